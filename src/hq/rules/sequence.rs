//! A batch's sequence numbers against what HQ holds: which events are in range, which are
//! resends of events HQ holds, and which contradict them.
//!
//! Invariants kept here:
//! - an event is stored only with a sequence in `1..=MAX_SEQ` and at most `MAX_SEQ_AHEAD`
//!   beyond the terminal's acknowledgement; others are refused, not stored (`parked:
//!   false`);
//! - HQ acknowledges an event it already holds only if it is the same event: the same id,
//!   kind and payload (by the SHA-256 of its canonical encoding, kept in
//!   `events.payload_hash`) under the same (store, terminal, seq). Another event under a
//!   held sequence, a held id under another sequence, or a sale under a receipt number
//!   the terminal already used for another event is a *conflict*: nothing of the batch is
//!   applied, HQ answers 409 and records the conflict in `seq_conflicts` (a terminal whose
//!   data directory lost part of its life, e.g. a re-created `terminal.db`);
//! - a refused event in range is parked: a row of `events` with `refused_rule` and
//!   `refused_message` set, its payload with every NUL replaced (its hash is the
//!   original's), never applied. It holds its sequence like any stored event, so the
//!   acknowledgement moves past it and the events behind it are not blocked.

use std::collections::HashMap;

use serde_json::Value;
use storepos_sync::Envelope;
use storepos_sync::wire::{MAX_SEQ, MAX_SEQ_AHEAD, Refusal, SeqConflict};
use uuid::Uuid;

use super::{Refused, payload_digest};
use crate::hq::db::{Pool, Query, Tx, query};
use crate::hq::error::HqError;
use crate::hq::sender::TerminalId;

/// Whether HQ stores an event at `seq` from a terminal acknowledged up to `acked`.
pub fn in_bounds(seq: u64, acked: u64) -> Result<(), Refused> {
    if seq == 0 || seq > MAX_SEQ {
        return super::refuse(
            "seq_out_of_range",
            format!("sequence {seq} is outside 1..={MAX_SEQ}"),
        );
    }
    if seq > acked.saturating_add(MAX_SEQ_AHEAD) {
        return super::refuse(
            "seq_too_far_ahead",
            format!(
                "sequence {seq} is more than {MAX_SEQ_AHEAD} beyond the acknowledged {acked}; \
                 send from the first unacknowledged event"
            ),
        );
    }
    Ok(())
}

/// An event of the batch HQ does not hold yet, with its payload hash.
pub struct Fresh<'a> {
    pub event: &'a Envelope,
    pub hash: String,
    /// The length of the payload's encoding (the one hashed).
    pub bytes: usize,
}

/// A batch screened against what HQ holds.
pub struct Screened<'a> {
    /// The events HQ does not hold yet, in order and each once.
    pub fresh: Vec<Fresh<'a>>,
    /// Resends of events HQ parked, with their refusal again (the till may have missed
    /// the first answer).
    pub parked_again: Vec<Refusal>,
}

/// What the store holds under the batch's sequences (of this terminal) or ids (events are
/// keyed by store and id): on PostgreSQL driven from the keys, one index probe each, all
/// within the sending terminal's store.
pub(crate) const SCREEN: &str =
    "SELECT e.store_id, e.terminal_id, e.seq, e.id::text, e.kind, e.payload_hash,
            e.refused_rule, e.refused_message
     FROM jsonb_array_elements_text($3) AS k(seq)
     JOIN events e ON e.store_id = $1 AND e.terminal_id = $2 AND e.seq = k.seq::int8
     UNION
     SELECT e.store_id, e.terminal_id, e.seq, e.id::text, e.kind, e.payload_hash,
            e.refused_rule, e.refused_message
     FROM jsonb_array_elements_text($4) AS k(id) JOIN events e ON e.store_id = $1 AND e.id = k.id::uuid";

/// The batch's events HQ does not hold yet and the resends of parked ones; or the conflict
/// with the lowest sequence with what HQ holds (or within the batch).
pub async fn screen<'a>(
    tx: &mut Tx,
    from: &TerminalId,
    events: &[&'a Envelope],
) -> Result<Result<Screened<'a>, SeqConflict>, HqError> {
    let conflict = |seq: u64, held_id: Uuid, sent_id: Uuid, message: String| {
        Ok(Err(SeqConflict {
            seq,
            held_id,
            sent_id,
            message,
        }))
    };
    // Within the batch: one event per sequence and one sequence per id.
    let mut by_seq: HashMap<u64, (&Envelope, String)> = HashMap::new();
    let mut by_id: HashMap<Uuid, u64> = HashMap::new();
    let mut batch: Vec<Fresh> = Vec::with_capacity(events.len());
    for e in events {
        let (hash, bytes) = payload_digest(&e.payload);
        if let Some((held, held_hash)) = by_seq.get(&e.seq) {
            if held.id != e.id || held.kind != e.kind || *held_hash != hash {
                return conflict(
                    e.seq,
                    held.id,
                    e.id,
                    format!(
                        "the batch sends two different events under sequence {}",
                        e.seq
                    ),
                );
            }
            continue;
        }
        if let Some(seq) = by_id.insert(e.id, e.seq) {
            return conflict(
                e.seq,
                e.id,
                e.id,
                format!(
                    "the batch sends event {} under sequences {seq} and {}",
                    e.id, e.seq
                ),
            );
        }
        by_seq.insert(e.seq, (e, hash.clone()));
        batch.push(Fresh {
            event: e,
            hash,
            bytes,
        });
    }
    let mut parked_again = Vec::new();
    if batch.is_empty() {
        return Ok(Ok(Screened {
            fresh: batch,
            parked_again,
        }));
    }
    let seqs = Value::Array(batch.iter().map(|f| Value::from(f.event.seq)).collect());
    let ids = Value::Array(
        batch
            .iter()
            .map(|f| Value::from(f.event.id.to_string()))
            .collect(),
    );
    let held = Query::dialects(
        SCREEN,
        "SELECT store_id, terminal_id, seq, id, kind, payload_hash, refused_rule,
                refused_message FROM events
         WHERE store_id = $1
           AND ((terminal_id = $2 AND seq IN (SELECT value FROM json_each($3)))
                OR id IN (SELECT value FROM json_each($4)))",
    )
    .bind(&from.store_id)
    .bind(&from.terminal_id)
    .bind(seqs)
    .bind(ids)
    .fetch_all(&mut *tx)
    .await?;
    let mut duplicates = Vec::new();
    let mut conflicts = Vec::new();
    for r in held {
        let (store, terminal, seq) = (r.get::<String>(0), r.get::<String>(1), r.get::<i64>(2));
        let id = parse_id(&r.get::<String>(3))?;
        let (kind, hash): (String, Option<String>) = (r.get(4), r.get(5));
        let here = store == from.store_id && terminal == from.terminal_id;
        if here && let Some((sent, sent_hash)) = by_seq.get(&(seq as u64)) {
            let same = sent.id == id
                && super::sanitized_kind(&sent.kind) == kind
                // Events stored before hashes were kept compare by id and kind.
                && hash.as_ref().is_none_or(|h| h == sent_hash);
            if !same {
                conflicts.push(SeqConflict {
                    seq: seq as u64,
                    held_id: id,
                    sent_id: sent.id,
                    message: format!(
                        "HQ holds event {id} ({kind}) under sequence {seq}; this terminal now sends \
                         {} ({}) there: its data directory has lost part of its life",
                        sent.id, sent.kind
                    ),
                });
                continue;
            }
            if let Some(rule) = r.get::<Option<String>>(6) {
                parked_again.push(Refusal {
                    seq: seq as u64,
                    id,
                    rule,
                    message: r.get::<Option<String>>(7).unwrap_or_default(),
                    parked: true,
                });
            }
            duplicates.push(id);
            continue;
        }
        if let Some(sent_seq) = by_id.get(&id) {
            conflicts.push(SeqConflict {
                seq: *sent_seq,
                held_id: id,
                sent_id: id,
                message: format!(
                    "HQ holds event {id} under {store}/{terminal} sequence {seq}, not sequence {sent_seq}"
                ),
            });
        }
    }
    if let Some(first) = conflicts.into_iter().min_by_key(|c| c.seq) {
        return Ok(Err(first));
    }
    parked_again.sort_by_key(|r| r.seq);
    batch.retain(|f| !duplicates.contains(&f.event.id));
    // A receipt number names one sale of the terminal.
    let mut receipts: HashMap<u64, Uuid> = HashMap::new();
    for f in &batch {
        if let Some(n) = sale_receipt(f.event)
            && let Some(other) = receipts.insert(n, f.event.id)
        {
            return conflict(
                f.event.seq,
                other,
                f.event.id,
                format!("the batch sends two sales under receipt number {n}"),
            );
        }
    }
    if !receipts.is_empty() {
        let numbers = Value::Array(receipts.keys().map(|n| Value::from(*n)).collect());
        let held = Query::dialects(
            "SELECT s.receipt_no, s.event_id::text FROM jsonb_array_elements_text($3) AS k(n)
             JOIN sales s ON s.store_id = $1 AND s.terminal_id = $2 AND s.receipt_no = k.n::int8",
            "SELECT receipt_no, event_id FROM sales WHERE store_id = $1 AND terminal_id = $2
               AND receipt_no IN (SELECT value FROM json_each($3))",
        )
        .bind(&from.store_id)
        .bind(&from.terminal_id)
        .bind(numbers)
        .fetch_all(&mut *tx)
        .await?;
        let mut conflicts = Vec::new();
        for r in held {
            let n = r.get::<i64>(0) as u64;
            let held_id = parse_id(&r.get::<String>(1))?;
            let sent = receipts[&n];
            if held_id != sent {
                let seq = batch
                    .iter()
                    .find(|f| f.event.id == sent)
                    .map_or(0, |f| f.event.seq);
                conflicts.push(SeqConflict {
                    seq,
                    held_id,
                    sent_id: sent,
                    message: format!(
                        "receipt {n} of {}/{} is sale event {held_id} at HQ; event {sent} sends \
                         another sale under it",
                        from.store_id, from.terminal_id
                    ),
                });
            }
        }
        if let Some(first) = conflicts.into_iter().min_by_key(|c| c.seq) {
            return Ok(Err(first));
        }
    }
    Ok(Ok(Screened {
        fresh: batch,
        parked_again,
    }))
}

/// The receipt number of a sale or return event, when it is one a receipt can have.
fn sale_receipt(e: &Envelope) -> Option<u64> {
    matches!(
        crate::protocol::Kind::parse(&e.kind),
        Some(crate::protocol::Kind::SaleCompleted | crate::protocol::Kind::ReturnCompleted)
    )
    .then(|| e.payload.get("receipt_no").and_then(Value::as_u64))
    .flatten()
    .filter(|n| (1..=MAX_SEQ).contains(n))
}

pub(crate) fn parse_id(text: &str) -> Result<Uuid, HqError> {
    Uuid::parse_str(text).map_err(|e| HqError::Invalid(format!("stored event id {text}: {e}")))
}

/// Records a conflict HQ answered (in its own transaction: the batch's was rolled back).
pub async fn record_conflict(
    pool: &Pool,
    from: &TerminalId,
    c: &SeqConflict,
) -> Result<(), HqError> {
    query(
        "INSERT INTO seq_conflicts (store_id, terminal_id, seq, held_id, sent_id, message, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
    )
    .bind(&from.store_id)
    .bind(&from.terminal_id)
    .bind(c.seq.min(MAX_SEQ) as i64)
    .bind(c.held_id)
    .bind(c.sent_id)
    .bind(&c.message)
    .bind(chrono::Utc::now())
    .execute(pool)
    .await?;
    Ok(())
}
