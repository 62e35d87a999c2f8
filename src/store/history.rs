//! Purchase history per member: the raw material of personalised shopping lists and the
//! per-member sheet. Imported history and the till's own sales end up here.

use rusqlite::{Connection, params};

use super::StoreError;

/// One purchased line as history keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryLine {
    pub member_id: String,
    pub store_id: String,
    pub basket_id: String,
    pub gtin: u64,
    /// Thousandths of a unit.
    pub quantity: i64,
    /// Minor units paid after retail discounts.
    pub amount: i64,
    pub retail_disc: i64,
    pub coupon_disc: i64,
    /// RFC 3339 in UTC.
    pub at: String,
}

/// What `member_id` spent here since `since` (minor units, after retail discounts).
pub fn spend_since(
    conn: &Connection,
    member_id: &str,
    since: chrono::DateTime<chrono::Utc>,
) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT COALESCE(SUM(amount), 0) FROM purchase_history WHERE member_id = ?1 AND at >= ?2",
        )?
        .query_row(params![member_id, since.to_rfc3339()], |r| r.get(0))?)
}

/// Keeps `lines` (one sale's), all or none.
pub fn insert_all(conn: &Connection, lines: &[HistoryLine]) -> Result<(), StoreError> {
    let tx = conn.unchecked_transaction()?;
    for line in lines {
        insert(&tx, line)?;
    }
    tx.commit()?;
    Ok(())
}

pub fn insert(conn: &Connection, line: &HistoryLine) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO purchase_history
            (member_id, store_id, basket_id, gtin, quantity, amount, retail_disc, coupon_disc, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        line.member_id,
        line.store_id,
        line.basket_id,
        line.gtin as i64,
        line.quantity,
        line.amount,
        line.retail_disc,
        line.coupon_disc,
        line.at,
    ])?;
    Ok(())
}

pub fn count(conn: &Connection) -> Result<u64, StoreError> {
    let n: i64 = conn.query_row("SELECT COUNT(*) FROM purchase_history", [], |r| r.get(0))?;
    Ok(n as u64)
}

/// Lines of one member, oldest first.
pub fn for_member(conn: &Connection, member_id: &str) -> Result<Vec<HistoryLine>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT member_id, store_id, basket_id, gtin, quantity, amount, retail_disc, coupon_disc, at
         FROM purchase_history WHERE member_id = ?1 ORDER BY at",
    )?;
    let rows = stmt.query_map([member_id], |r| {
        Ok(HistoryLine {
            member_id: r.get(0)?,
            store_id: r.get(1)?,
            basket_id: r.get(2)?,
            gtin: r.get::<_, i64>(3)? as u64,
            quantity: r.get(4)?,
            amount: r.get(5)?,
            retail_disc: r.get(6)?,
            coupon_disc: r.get(7)?,
            at: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
