//! The operator repository and PIN hashing. PINs are stored only as Argon2id hashes.

use rusqlite::{Connection, OptionalExtension, params};

use crate::domain::org::{Operator, Role};
pub use crate::domain::org::{hash_pin, verify_pin};

use super::StoreError;

/// Replaces every operator with `operators`, in one transaction.
pub fn replace_all(conn: &mut Connection, operators: &[Operator]) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    tx.execute("DELETE FROM operators", [])?;
    for o in operators {
        upsert(&tx, o)?;
    }
    tx.commit()?;
    Ok(())
}

pub fn upsert(conn: &Connection, op: &Operator) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO operators (id, name, role, pin_hash) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![op.id, op.name, op.role.as_str(), op.pin_hash])?;
    Ok(())
}

pub fn by_id(conn: &Connection, id: &str) -> Result<Option<Operator>, StoreError> {
    let row = conn
        .prepare_cached("SELECT id, name, role, pin_hash FROM operators WHERE id = ?1")?
        .query_row([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .optional()?;
    row.map(|(id, name, role, pin_hash)| {
        let role: Role = role
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("operator {id}: {e}")))?;
        Ok(Operator {
            id,
            name,
            role,
            pin_hash,
        })
    })
    .transpose()
}

pub fn count(conn: &Connection) -> Result<u64, StoreError> {
    let n: i64 = conn.query_row("SELECT COUNT(*) FROM operators", [], |r| r.get(0))?;
    Ok(n as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_verify_only_against_their_hash() {
        let hash = hash_pin("1234");
        assert!(!hash.contains("1234"));
        assert!(verify_pin("1234", &hash));
        assert!(!verify_pin("1235", &hash));
        assert!(!verify_pin("1234", "not a hash"));
        assert_ne!(hash, hash_pin("1234"), "salts differ");
    }
}
