//! Set-based ingest of a run of sale and return events on PostgreSQL: the same rules as
//! the row-at-a-time path in [`super::store`] (which SQLite, and every other kind of event,
//! still takes), in one statement per run instead of two or three per event. On
//! PostgreSQL every statement is a round trip and a plan to run, so HQ's ingest rate is set
//! by how many statements a batch costs far more than by how many rows it writes.
//!
//! The events of a run have passed HQ's rules ([`super::rules`]) and are new (the ingest
//! screened them against what HQ holds). The invariants are those of the row path, kept
//! the same way:
//! - **exactly once**: events are stored with `ON CONFLICT DO NOTHING` and only the ones
//!   this statement stored go on; a sale row is written only for a new event, and only a
//!   new sale row's transfers and coupons are applied; transfers are keyed by their ids;
//! - **ledger**: each member's account moves once per run by the sum of the run's new
//!   transfers, with its row locked (accounts are touched in member order, so two batches
//!   cannot wait on each other in a cycle); the balance after every single transfer is
//!   recovered from the account's new balance, so an overdraft is recorded exactly where
//!   the one-by-one path would record it;
//! - **first to arrive wins** a single-use coupon: redemptions are applied in the batch's
//!   order, after the points, one statement each (they are rare).

use std::collections::{HashMap, HashSet};

use sqlx::{PgConnection, Row as _};
use uuid::Uuid;

use crate::domain::loyalty::Transfer;
use crate::domain::sale::SaleRecord;
use storepos_sync::Envelope;

use super::db::Tx;
use super::error::HqError;
use super::ledger::record_overdraft;
use super::ledger::redeem_coupons;
use super::sale_lines::{Catalogue, Classified, NewSale, bill_facts, gtins};

/// A parsed sale or return event of the batch.
pub(super) struct SaleEvent<'a> {
    pub event: &'a Envelope,
    /// SHA-256 of the payload's canonical encoding (see [`super::rules::sequence`]).
    pub hash: &'a str,
    pub receipt_no: u64,
    pub sale: SaleRecord,
}

/// Stores and applies a run of sale and return events from one terminal, in order.
pub(super) async fn ingest_sales(
    tx: &mut Tx,
    run: &[SaleEvent<'_>],
    zone: chrono_tz::Tz,
) -> Result<(), HqError> {
    // One copy of each event (a batch may carry one twice) and of each transfer; the
    // first is kept.
    let mut seen = HashSet::new();
    let run: Vec<&SaleEvent> = run.iter().filter(|s| seen.insert(s.event.id)).collect();
    if run.is_empty() {
        return Ok(());
    }
    let mut seen = HashSet::new();
    let transfers: Vec<(&Transfer, Uuid)> = run
        .iter()
        .filter_map(|s| s.sale.loyalty.as_ref().map(|l| (l, s.event.id)))
        .flat_map(|(l, event)| l.transfers.iter().map(move |t| (t, event)))
        .filter(|(t, _)| seen.insert(t.id.as_str()))
        .collect();
    let Tx::Postgres(conn) = tx else {
        return Err(HqError::Invalid(
            "the set-based ingest runs on PostgreSQL only".into(),
        ));
    };
    let applied = store_run(conn, &run, &transfers, zone).await?;
    for (t, balance) in applied.balances_after(&transfers) {
        record_overdraft(tx, t, balance).await?;
    }
    for s in run.iter().filter(|s| applied.sold.contains(&s.event.id)) {
        if let Some(loyalty) = &s.sale.loyalty {
            redeem_coupons(tx, s.event, s.receipt_no, loyalty).await?;
        }
    }
    let new: Vec<NewSale> = run
        .iter()
        .filter(|s| applied.sold.contains(&s.event.id))
        .map(|s| NewSale {
            store_id: &s.event.store_id,
            terminal_id: &s.event.terminal_id,
            event_id: s.event.id,
            at: s.event.at,
            receipt_no: s.receipt_no,
            sale: &s.sale,
        })
        .collect();
    super::sale_lines::record_classified(tx, zone, &new, &applied.catalogue).await
}

/// What one run's statement stored: the events whose sale row is new, the transfers that
/// are new, and the new balance of every account they moved; and what it read: HQ's
/// catalogue of the products the run sold (for the lines, [`super::sale_lines`]).
struct Applied {
    sold: HashSet<Uuid>,
    transfers: HashSet<String>,
    balances: HashMap<String, i64>,
    catalogue: Catalogue,
}

impl Applied {
    /// Each new transfer, in the batch's order, with its account's balance just after it:
    /// the balance before the batch is the new balance less everything the batch moved.
    fn balances_after<'t>(&self, transfers: &[(&'t Transfer, Uuid)]) -> Vec<(&'t Transfer, i64)> {
        let new: Vec<&Transfer> = transfers
            .iter()
            .map(|(t, _)| *t)
            .filter(|t| self.transfers.contains(&t.id))
            .collect();
        let mut running: HashMap<&str, i64> = HashMap::new();
        for t in &new {
            let start = *self.balances.get(&t.member_id).unwrap_or(&0);
            *running.entry(t.member_id.as_str()).or_insert(start) -= t.points;
        }
        new.into_iter()
            .map(|t| {
                let balance = running.entry(t.member_id.as_str()).or_default();
                *balance += t.points;
                (t, *balance)
            })
            .collect()
    }
}

/// The statement of [`store_run`]: every row it writes names its own distribution key
/// (the event's store, the transfer's and account's member), and the only table it reads
/// is the chain's catalogue (a reference table).
pub(crate) const STORE_RUN: &str = "WITH input AS (
             SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::int8[], $5::text[],
                                  $6::jsonb[], $7::timestamptz[], $8::int8[], $9::text[],
                                  $10::text[], $11::int8[], $12::int8[], $21::text[],
                                  $22::int8[], $23::date[], $24::int2[], $25::int8[],
                                  $26::int8[], $27::int8[])
                 AS i(id, store_id, terminal_id, seq, kind, payload, at, receipt_no,
                      sale_kind, member_id, total, tax, payload_hash, original_receipt,
                      local_day, local_hour, net, discount, items)),
         ev AS (
             INSERT INTO events (id, store_id, terminal_id, seq, kind, payload, at, payload_hash)
             SELECT id, store_id, terminal_id, seq, kind, payload, at, payload_hash FROM input
             ON CONFLICT DO NOTHING RETURNING id),
         sa AS (
             INSERT INTO sales (store_id, terminal_id, receipt_no, kind, member_id, total, tax, at,
                                event_id, original_receipt, local_day, local_hour, net,
                                discount, items)
             SELECT i.store_id, i.terminal_id, i.receipt_no, i.sale_kind, i.member_id, i.total,
                    i.tax, i.at, i.id, i.original_receipt, i.local_day, i.local_hour, i.net,
                    i.discount, i.items
             FROM input i JOIN ev ON ev.id = i.id
             ON CONFLICT DO NOTHING RETURNING event_id),
         tr AS (
             INSERT INTO point_transfers (id, member_id, kind, points, at, source, expires_at, event_id)
             SELECT t.id, t.member_id, t.kind, t.points, t.at, t.source, t.expires_at, t.event_id
             FROM UNNEST($13::text[], $14::text[], $15::text[], $16::int8[], $17::timestamptz[],
                         $18::text[], $19::timestamptz[], $20::uuid[])
                  AS t(id, member_id, kind, points, at, source, expires_at, event_id)
             JOIN sa ON sa.event_id = t.event_id
             ON CONFLICT (member_id, id) DO NOTHING RETURNING id, member_id, points),
         ac AS (
             INSERT INTO point_accounts (member_id, balance)
             SELECT member_id, SUM(points)::int8 FROM tr GROUP BY member_id ORDER BY member_id
             ON CONFLICT (member_id) DO UPDATE SET balance = point_accounts.balance + EXCLUDED.balance
             RETURNING member_id, balance)
         SELECT 0::int4, event_id::text, 0::int8 FROM sa
         UNION ALL SELECT 1, id, 0 FROM tr
         UNION ALL SELECT 2, member_id, balance FROM ac
         UNION ALL SELECT 3, jsonb_build_array(record->>'department', record->>'category',
                                               record->>'name')::text, gtin
                   FROM products WHERE gtin = ANY($28::int8[])";

/// The run in one statement: events stored (duplicates of stored ones skipped), a sale row
/// for each new event, the transfers of each new sale row stored under their ids, and
/// each member's account moved once by the sum of its new transfers, in member order (so
/// two batches lock accounts in the same order); and HQ's catalogue entry of every product
/// the run sold, read in the same round trip.
async fn store_run(
    conn: &mut PgConnection,
    run: &[&SaleEvent<'_>],
    transfers: &[(&Transfer, Uuid)],
    zone: chrono_tz::Tz,
) -> Result<Applied, HqError> {
    let events: Vec<&Envelope> = run.iter().map(|s| s.event).collect();
    let facts: Vec<_> = run
        .iter()
        .map(|s| bill_facts(&s.sale, s.event.at, zone))
        .collect();
    let rows = sqlx::query(STORE_RUN)
        .bind(events.iter().map(|e| e.id).collect::<Vec<_>>())
        .bind(
            events
                .iter()
                .map(|e| e.store_id.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            events
                .iter()
                .map(|e| e.terminal_id.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(events.iter().map(|e| e.seq as i64).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>())
        .bind(events.iter().map(|e| &e.payload).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.at).collect::<Vec<_>>())
        .bind(run.iter().map(|s| s.receipt_no as i64).collect::<Vec<_>>())
        .bind(run.iter().map(|s| s.sale.kind.as_str()).collect::<Vec<_>>())
        .bind(
            run.iter()
                .map(|s| s.sale.member_id.as_deref())
                .collect::<Vec<_>>(),
        )
        .bind(
            run.iter()
                .map(|s| s.sale.total + s.sale.rounding)
                .collect::<Vec<_>>(),
        )
        .bind(run.iter().map(|s| s.sale.tax).collect::<Vec<_>>())
        .bind(
            transfers
                .iter()
                .map(|(t, _)| t.id.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            transfers
                .iter()
                .map(|(t, _)| t.member_id.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            transfers
                .iter()
                .map(|(t, _)| t.kind.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(transfers.iter().map(|(t, _)| t.points).collect::<Vec<_>>())
        .bind(transfers.iter().map(|(t, _)| t.at).collect::<Vec<_>>())
        .bind(
            transfers
                .iter()
                .map(|(t, _)| t.source.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            transfers
                .iter()
                .map(|(t, _)| t.expires_at)
                .collect::<Vec<_>>(),
        )
        .bind(transfers.iter().map(|(_, e)| *e).collect::<Vec<_>>())
        .bind(run.iter().map(|s| s.hash).collect::<Vec<_>>())
        .bind(
            run.iter()
                .map(|s| s.sale.original_receipt.map(|n| n as i64))
                .collect::<Vec<_>>(),
        )
        .bind(facts.iter().map(|f| f.local_day).collect::<Vec<_>>())
        .bind(facts.iter().map(|f| f.local_hour).collect::<Vec<_>>())
        .bind(facts.iter().map(|f| f.net).collect::<Vec<_>>())
        .bind(facts.iter().map(|f| f.discount).collect::<Vec<_>>())
        .bind(facts.iter().map(|f| f.items).collect::<Vec<_>>())
        .bind(gtins(run.iter().map(|s| &s.sale)))
        .fetch_all(&mut *conn)
        .await?;
    let mut applied = Applied {
        sold: HashSet::new(),
        transfers: HashSet::new(),
        balances: HashMap::new(),
        catalogue: Catalogue::new(),
    };
    for r in &rows {
        let (what, key, value): (i32, String, i64) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        match what {
            0 => {
                let id = Uuid::parse_str(&key)
                    .map_err(|e| HqError::Invalid(format!("event id {key}: {e}")))?;
                applied.sold.insert(id);
            }
            1 => {
                applied.transfers.insert(key);
            }
            2 => {
                applied.balances.insert(key, value);
            }
            _ => {
                let (department, category, name): (Option<String>, Option<String>, Option<String>) =
                    serde_json::from_str(&key)
                        .map_err(|e| HqError::Invalid(format!("product {value}: {e}")))?;
                applied
                    .catalogue
                    .insert(value, Classified::new(department, category, name));
            }
        }
    }
    Ok(applied)
}
