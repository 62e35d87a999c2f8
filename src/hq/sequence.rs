//! A terminal's acknowledgement at HQ: how far its events are complete, and the gaps above.
//!
//! Invariants kept here:
//! - `acked_seq` is the highest sequence below which HQ holds every event of the terminal
//!   (applied or parked), and it only moves forward, over events held contiguously;
//! - gaps above it are answered as at most [`MAX_MISSING_RANGES`] ranges, lowest first,
//!   with the total count beside them, so what an answer costs does not grow with the size
//!   of a gap: a sequence number far ahead (which the ingest refuses anyway, see
//!   [`storepos_sync::wire::MAX_SEQ_AHEAD`]) cannot make HQ build a list of everything below
//!   it.

use storepos_sync::wire::{IngestReply, MAX_MISSING_RANGES, SeqRange};

use super::db::{Tx, query};
use super::error::HqError;
use super::sender::{TerminalId, TillReport};

/// The acknowledgement moved and what is held above it, in one statement on the terminal's
/// row and its events (one store's rows: on a distributed database, one shard's).
pub(crate) const ADVANCE: &str = "UPDATE terminals SET acked_seq = COALESCE(
             (SELECT MAX(seq) FROM (
                  SELECT seq, seq - ROW_NUMBER() OVER (ORDER BY seq) AS offset_from_rank
                  FROM events WHERE store_id = $1 AND terminal_id = $2 AND seq > $3) held
              WHERE offset_from_rank = $3), $3),
             version = COALESCE($4, version),
             backlog = COALESCE($5, backlog),
             reported_at = COALESCE($6, reported_at)
         WHERE store_id = $1 AND terminal_id = $2
         RETURNING acked_seq,
             (SELECT COALESCE(MAX(seq), 0) FROM events WHERE store_id = $1 AND terminal_id = $2),
             (SELECT COUNT(*) FROM events WHERE store_id = $1 AND terminal_id = $2 AND seq > $3)";

/// Moves the terminal's acknowledgement (`acked`, read with its row locked) over every
/// contiguous event now held, and lists the gaps below the highest sequence held; keeps
/// what the till reported of itself, if anything, in the same statement.
pub(super) async fn advance(
    tx: &mut Tx,
    from: &TerminalId,
    acked: i64,
    report: &TillReport,
) -> Result<IngestReply, HqError> {
    // Above the acknowledgement, the n-th held event in order is contiguous iff its
    // sequence is acked + n; the acknowledgement moves to the last such one.
    let row = query(ADVANCE)
        .bind(&from.store_id)
        .bind(&from.terminal_id)
        .bind(acked)
        .bind(report.version.clone())
        .bind(report.backlog.map(|b| b.min(i64::MAX as u64) as i64))
        .bind((report.version.is_some() || report.backlog.is_some()).then(chrono::Utc::now))
        .fetch_one(&mut *tx)
        .await?;
    let (new_acked, highest, held_above_old): (i64, i64, i64) =
        (row.get(0), row.get(1), row.get(2));
    debug_assert!(new_acked >= acked, "the acknowledgement only moves forward");
    let mut reply = IngestReply {
        acked_seq: new_acked as u64,
        ..IngestReply::default()
    };
    if highest <= new_acked {
        return Ok(reply);
    }
    // Gaps (rare: lost or reordered batches). Everything between the old acknowledgement
    // and the highest held is either held or missing.
    reply.missing_total = ((highest - acked) - held_above_old).max(0) as u64;
    let gaps = query(
        "SELECT prev + 1, seq - 1 FROM (
             SELECT seq, LAG(seq, 1, $3) OVER (ORDER BY seq) AS prev
             FROM events WHERE store_id = $1 AND terminal_id = $2 AND seq > $3) held
         WHERE seq > prev + 1 ORDER BY seq LIMIT $4",
    )
    .bind(&from.store_id)
    .bind(&from.terminal_id)
    .bind(new_acked)
    .bind(MAX_MISSING_RANGES as i64)
    .fetch_all(&mut *tx)
    .await?;
    reply.missing = gaps
        .iter()
        .map(|r| SeqRange {
            first: r.get::<i64>(0) as u64,
            last: r.get::<i64>(1) as u64,
        })
        .collect();
    debug_assert!(
        reply.missing.iter().map(SeqRange::count).sum::<u64>() <= reply.missing_total,
        "the ranges listed are part of what is missing"
    );
    debug_assert!(
        reply
            .missing
            .first()
            .is_none_or(|r| r.first == reply.acked_seq + 1),
        "the first gap starts just above the acknowledgement"
    );
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn hq_with_events(seqs: &[i64]) -> (tempfile::TempDir, super::super::HqStore) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("hq.db").display());
        let store = super::super::HqStore::open(&url).await.unwrap();
        store.register_terminal("S001", "T01").await.unwrap();
        for &seq in seqs {
            query(
                "INSERT INTO events (id, store_id, terminal_id, seq, kind, payload, at)
                 VALUES ($1, 'S001', 'T01', $2, 'complaint.recorded', $3, $4)",
            )
            .bind(uuid::Uuid::now_v7())
            .bind(seq)
            .bind(serde_json::json!({}))
            .bind(chrono::Utc::now())
            .execute(store.pool())
            .await
            .unwrap();
        }
        (dir, store)
    }

    async fn advance_once(store: &super::super::HqStore) -> IngestReply {
        let from = TerminalId {
            store_id: "S001".into(),
            terminal_id: "T01".into(),
        };
        let mut tx = store.pool().begin().await.unwrap();
        let reply = advance(&mut tx, &from, 0, &TillReport::default())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        reply
    }

    #[tokio::test]
    async fn gaps_are_bounded_ranges_whatever_their_size() {
        // Held: 1, 2, 5, 9 and one event far ahead.
        let far = 1_i64 << 52;
        let (_dir, store) = hq_with_events(&[1, 2, 5, 9, far]).await;
        let reply = advance_once(&store).await;
        assert_eq!(reply.acked_seq, 2);
        assert_eq!(
            reply.missing,
            vec![
                SeqRange { first: 3, last: 4 },
                SeqRange { first: 6, last: 8 },
                SeqRange {
                    first: 10,
                    last: far as u64 - 1
                },
            ]
        );
        assert_eq!(reply.missing_total, far as u64 - 5);
        let answer = serde_json::to_string(&reply).unwrap();
        assert!(answer.len() < 300, "{answer}");
    }

    #[tokio::test]
    async fn no_more_than_the_stated_number_of_ranges_is_listed() {
        let seqs: Vec<i64> = (0..500).map(|i| 1 + i * 2).collect();
        let (_dir, store) = hq_with_events(&seqs).await;
        let reply = advance_once(&store).await;
        assert_eq!(reply.acked_seq, 1);
        assert_eq!(reply.missing.len(), MAX_MISSING_RANGES);
        assert_eq!(reply.missing[0], SeqRange { first: 2, last: 2 });
        assert_eq!(reply.missing_total, 499);
    }
}
