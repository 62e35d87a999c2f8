//! The promotion repository: the store's promotions in `catalogue.db`, each kept as its
//! JSON definition (the same shape as a promotions file), so HQ can send them again.

use rusqlite::{Connection, params};

use super::StoreError;
use crate::domain::promotion::Promotion;

/// Inserts or replaces a promotion by id.
/// Replaces every promotion with `promotions`, in one transaction.
pub fn replace_all(conn: &mut Connection, promotions: &[Promotion]) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    tx.execute("DELETE FROM promotions", [])?;
    for p in promotions {
        upsert(&tx, p)?;
    }
    tx.commit()?;
    Ok(())
}

pub fn upsert(conn: &Connection, promotion: &Promotion) -> Result<(), StoreError> {
    let definition = serde_json::to_string(promotion)
        .map_err(|e| StoreError::Corrupt(format!("promotion {}: {e}", promotion.id)))?;
    conn.prepare_cached(
        "INSERT INTO promotions (id, definition) VALUES (?1, ?2)
         ON CONFLICT (id) DO UPDATE SET definition = excluded.definition",
    )?
    .execute(params![promotion.id, definition])?;
    Ok(())
}

/// Every stored promotion, in id order. A definition that no longer reads is an error
/// rather than a silently missing offer.
pub fn all(conn: &Connection) -> Result<Vec<Promotion>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT id, definition FROM promotions ORDER BY id")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (id, definition) = row?;
        let promotion = serde_json::from_str(&definition)
            .map_err(|e| StoreError::Corrupt(format!("promotion {id}: {e}")))?;
        out.push(promotion);
    }
    Ok(out)
}

/// Removes a promotion; returns whether it existed.
pub fn remove(conn: &Connection, id: &str) -> Result<bool, StoreError> {
    Ok(conn.execute("DELETE FROM promotions WHERE id = ?1", [id])? > 0)
}
