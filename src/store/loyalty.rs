//! The terminal's loyalty records in `terminal.db`: the points transfers its sales and
//! returns made (kept until HQ acknowledges them), what each sale earned and redeemed (for
//! returns), the personalised coupons it redeemed, and complaints taken at the counter.
//!
//! Invariants:
//! - a sale's transfers, its loyalty record and its coupon redemptions are written inside
//!   the sale's own transaction (see `sales::commit_sealed`), so they exist exactly when
//!   the sale does;
//! - a coupon is redeemed at most once on this terminal: `coupon_redemptions` is keyed by
//!   the coupon id, so a second redemption fails the whole sale's transaction;
//! - offline, the points a member may redeem are HQ's last balance less what this till's
//!   unacknowledged transfers took away ([`points`]): their net counts when it is a
//!   debit (redemptions, points taken back), and credits made here only offset this till's
//!   own debits, so a till never lets a member spend more than HQ last confirmed.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;
use crate::domain::loyalty::{Transfer, TransferKind};
pub use crate::domain::sale::{Complaint, CouponUse, LoyaltyRecord};

/// Schema of the loyalty tables (a terminal migration).
pub const SCHEMA: &str = "
CREATE TABLE points_transfers (
    id         TEXT PRIMARY KEY,
    member_id  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    points     INTEGER NOT NULL CHECK (points <> 0),
    at         TEXT NOT NULL,
    source     TEXT NOT NULL,
    receipt_no INTEGER REFERENCES journal (receipt_no),
    expires_at TEXT,
    acked      INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX points_transfers_member ON points_transfers (member_id, at);
CREATE TABLE sale_loyalty (
    receipt_no INTEGER PRIMARY KEY REFERENCES sales (receipt_no),
    member_id  TEXT NOT NULL,
    record     TEXT NOT NULL
);
CREATE INDEX sale_loyalty_member ON sale_loyalty (member_id);
CREATE TABLE coupon_redemptions (
    coupon_id  TEXT PRIMARY KEY,
    member_id  TEXT NOT NULL,
    receipt_no INTEGER NOT NULL REFERENCES sales (receipt_no),
    amount     INTEGER NOT NULL,
    at         TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE complaints (
    id           INTEGER PRIMARY KEY,
    member_id    TEXT,
    channel      TEXT NOT NULL,
    content      TEXT NOT NULL,
    handling     TEXT,
    outcome      TEXT,
    satisfaction INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
    status       TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    at           TEXT NOT NULL,
    operator_id  TEXT NOT NULL
);
CREATE INDEX complaints_member ON complaints (member_id);
CREATE TABLE signed_codes (
    kind      TEXT NOT NULL CHECK (kind IN ('coupon', 'list')),
    id        TEXT NOT NULL,
    member_id TEXT NOT NULL,
    code      TEXT NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE INDEX signed_codes_member ON signed_codes (member_id);
";

/// Writes a sale's loyalty: its transfers, its record and its coupon redemptions. Call
/// inside the sale's transaction.
pub fn record_sale(
    conn: &Connection,
    receipt_no: u64,
    record: &LoyaltyRecord,
    at: &str,
) -> Result<(), StoreError> {
    let mut transfer = conn.prepare_cached(
        "INSERT INTO points_transfers (id, member_id, kind, points, at, source, receipt_no, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for t in &record.transfers {
        transfer.execute(params![
            t.id,
            t.member_id,
            t.kind.as_str(),
            t.points,
            t.at.to_rfc3339(),
            t.source,
            receipt_no as i64,
            t.expires_at.map(|e| e.to_rfc3339()),
        ])?;
    }
    let json = serde_json::to_string(record)
        .map_err(|e| StoreError::Corrupt(format!("loyalty record: {e}")))?;
    conn.prepare_cached(
        "INSERT INTO sale_loyalty (receipt_no, member_id, record) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![receipt_no as i64, record.member_id, json])?;
    let mut coupon = conn.prepare_cached(
        "INSERT INTO coupon_redemptions (coupon_id, member_id, receipt_no, amount, at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for c in &record.coupons {
        coupon
            .execute(params![
                c.coupon_id,
                record.member_id,
                receipt_no as i64,
                c.amount,
                at
            ])
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    StoreError::Corrupt(format!("coupon {} was already redeemed", c.coupon_id))
                }
                other => StoreError::Sql(other),
            })?;
    }
    Ok(())
}

/// Marks this till's points movements whose sale or return event HQ had applied by
/// `as_of_seq` as acknowledged: HQ's balances now include them.
pub fn mark_included(conn: &Connection, as_of_seq: u64) -> Result<usize, StoreError> {
    Ok(conn.execute(
        "UPDATE points_transfers SET acked = 1 WHERE acked = 0 AND receipt_no IN (
             SELECT s.receipt_no FROM sales s JOIN outbox o ON o.id = s.event_id
             WHERE o.seq <= ?1)",
        [as_of_seq as i64],
    )?)
}

/// A member's points as a till sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberPoints {
    /// To show: HQ's last balance plus everything this till did since.
    pub shown: i64,
    /// To redeem here: HQ's last balance plus the net of this till's unacknowledged
    /// movements when that net is negative (see the module invariants).
    pub redeemable: i64,
}

/// The member's points from HQ's last balance and this till's unacknowledged movements.
pub fn points(
    conn: &Connection,
    member_id: &str,
    hq_balance: i64,
) -> Result<MemberPoints, StoreError> {
    let net: i64 = conn
        .prepare_cached(
            "SELECT COALESCE(SUM(points), 0) FROM points_transfers WHERE member_id = ?1 AND acked = 0",
        )?
        .query_row([member_id], |r| r.get(0))?;
    Ok(MemberPoints {
        shown: hq_balance + net,
        redeemable: (hq_balance + net.min(0)).max(0),
    })
}

/// The member's transfers made on this terminal, newest first.
pub fn history(
    conn: &Connection,
    member_id: &str,
    limit: usize,
) -> Result<Vec<Transfer>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, kind, points, at, source, expires_at FROM points_transfers
         WHERE member_id = ?1 ORDER BY at DESC, id DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![member_id, limit as i64], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, Option<String>>(5)?,
        ))
    })?;
    let time = |s: &str| {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| StoreError::Corrupt(format!("points transfer time '{s}': {e}")))
    };
    let mut out = Vec::new();
    for row in rows {
        let (id, kind, points, at, source, expires_at) = row?;
        let kind = TransferKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("points transfer {id}: kind '{kind}'")))?;
        out.push(Transfer {
            member_id: member_id.to_string(),
            kind,
            points,
            at: time(&at)?,
            source,
            expires_at: expires_at.as_deref().map(time).transpose()?,
            id,
        });
    }
    Ok(out)
}

/// Whether this terminal has redeemed the coupon.
pub fn coupon_redeemed(conn: &Connection, coupon_id: &str) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM coupon_redemptions WHERE coupon_id = ?1")?
        .query_row([coupon_id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The loyalty record of a sale, and the records of the returns made against it so far.
pub fn for_receipt(
    conn: &Connection,
    receipt_no: u64,
) -> Result<Option<(LoyaltyRecord, Vec<LoyaltyRecord>)>, StoreError> {
    let read = |json: String| {
        serde_json::from_str::<LoyaltyRecord>(&json)
            .map_err(|e| StoreError::Corrupt(format!("loyalty record: {e}")))
    };
    let Some(json) = conn
        .prepare_cached("SELECT record FROM sale_loyalty WHERE receipt_no = ?1")?
        .query_row([receipt_no as i64], |r| r.get::<_, String>(0))
        .optional()?
    else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(
        "SELECT l.record FROM sale_loyalty l JOIN sales s ON s.receipt_no = l.receipt_no
         WHERE s.original_receipt = ?1 ORDER BY l.receipt_no",
    )?;
    let returns = stmt
        .query_map([receipt_no as i64], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .map(read)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some((read(json)?, returns)))
}

/// Records a complaint and returns its id. Call inside the transaction that also writes
/// its outbox event.
pub fn add_complaint(conn: &Connection, c: &Complaint) -> Result<i64, StoreError> {
    conn.prepare_cached(
        "INSERT INTO complaints (member_id, channel, content, handling, outcome, satisfaction,
                                 status, at, operator_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        c.member_id,
        c.channel,
        c.content,
        c.handling,
        c.outcome,
        c.satisfaction,
        c.status,
        c.at,
        c.operator_id
    ])?;
    Ok(conn.last_insert_rowid())
}

/// The member's complaints, newest first.
pub fn complaints(conn: &Connection, member_id: &str) -> Result<Vec<Complaint>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, member_id, channel, content, handling, outcome, satisfaction, status, at,
                operator_id
         FROM complaints WHERE member_id = ?1 ORDER BY id DESC",
    )?;
    let rows = stmt.query_map([member_id], |r| {
        Ok(Complaint {
            id: r.get(0)?,
            member_id: r.get(1)?,
            channel: r.get(2)?,
            content: r.get(3)?,
            handling: r.get(4)?,
            outcome: r.get(5)?,
            satisfaction: r.get(6)?,
            status: r.get(7)?,
            at: r.get(8)?,
            operator_id: r.get(9)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Keeps a signed coupon or shopping list (its full printed form) so its short code can be
/// redeemed here offline. The code is verified again whenever it is used.
/// Keeps HQ's signed codes (coupons and lists), in one durable transaction.
pub fn keep_codes(
    conn: &mut Connection,
    codes: &[crate::protocol::SignedCode],
) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    for c in codes {
        keep_code(&tx, &c.kind, &c.id, &c.member_id, &c.code)?;
    }
    tx.commit()?;
    Ok(())
}

pub fn keep_code(
    conn: &Connection,
    kind: &str,
    id: &str,
    member_id: &str,
    code: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO signed_codes (kind, id, member_id, code) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (kind, id) DO UPDATE SET member_id = excluded.member_id, code = excluded.code",
    )?
    .execute(params![kind, id, member_id, code])?;
    Ok(())
}

/// The full printed form kept for a short code.
pub fn code_for(conn: &Connection, kind: &str, id: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT code FROM signed_codes WHERE kind = ?1 AND id = ?2")?
        .query_row([kind, id], |r| r.get(0))
        .optional()?)
}

/// The coupons and lists kept for a member: (kind, id, full code).
/// The kept shopping lists (of one member when `only` names one): (member id, full code),
/// in member then list id order.
pub fn kept_lists(
    conn: &Connection,
    only: Option<&str>,
) -> Result<Vec<(String, String)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT member_id, code FROM signed_codes
         WHERE kind = 'list' AND (?1 IS NULL OR member_id = ?1) ORDER BY member_id, id",
    )?;
    let rows = stmt.query_map([only], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn codes_for_member(
    conn: &Connection,
    member_id: &str,
) -> Result<Vec<(String, String, String)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT kind, id, code FROM signed_codes WHERE member_id = ?1 ORDER BY kind, id",
    )?;
    let rows = stmt.query_map([member_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
