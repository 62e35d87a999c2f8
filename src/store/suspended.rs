//! Suspended baskets: a cashier parks a customer's basket (forgotten wallet, price check)
//! and serves the next customer; the basket waits in `terminal.db`, so it survives a restart,
//! and is resumed exactly as it was, with its overrides and discounts.

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;

pub const SCHEMA: &str = "
CREATE TABLE suspended (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    operator_id TEXT NOT NULL,
    basket      TEXT NOT NULL
);
";

/// Parks a basket (as JSON); returns its id.
pub fn park(
    conn: &Connection,
    at: &str,
    operator_id: &str,
    basket: &str,
) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO suspended (at, operator_id, basket) VALUES (?1, ?2, ?3)",
        params![at, operator_id, basket],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Takes a parked basket out; `None` if there is no such id.
pub fn take(conn: &mut Connection, id: i64) -> Result<Option<String>, StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let basket: Option<String> = tx
        .query_row("SELECT basket FROM suspended WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?;
    tx.execute("DELETE FROM suspended WHERE id = ?1", [id])?;
    tx.commit()?;
    Ok(basket)
}
