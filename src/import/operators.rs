//! `storepos import operators FILE.csv` with columns `id,name,role,pin`.
//! PINs are hashed (Argon2id) before they touch the disk.

use rustc_hash::FxHashMap;
use std::path::Path;

use super::csvfile::{self, Columns};
use super::{Errors, ImportError, ImportSummary};
use crate::domain::org::{Operator, Role, validate_pin};
use crate::store::{StoreError, operators};

pub const REQUIRED: &[&str] = &["id", "name", "role", "pin"];

pub fn parse_row(cols: &Columns, row: &csv::StringRecord) -> Result<Operator, String> {
    let id = cols.get(row, "id");
    if id.is_empty() || id.len() > 16 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(format!("id: '{id}' must be 1–16 letters or digits"));
    }
    let name = cols.get(row, "name");
    if name.is_empty() {
        return Err("name: must not be empty".into());
    }
    let role: Role = cols
        .get(row, "role")
        .parse()
        .map_err(|e| format!("role: {e}"))?;
    let pin = cols.get(row, "pin");
    validate_pin(pin).map_err(|e| format!("pin: {e}"))?;
    Ok(Operator {
        id: id.to_string(),
        name: name.to_string(),
        role,
        pin_hash: operators::hash_pin(pin),
    })
}

/// Imports an operators CSV, all or nothing.
pub fn import(conn: &mut rusqlite::Connection, path: &Path) -> Result<ImportSummary, ImportError> {
    import_from(conn, path, csvfile::open(path)?)
}

/// Imports from any reader; `path` names the source in messages.
pub fn import_from<R: std::io::Read>(
    conn: &mut rusqlite::Connection,
    path: &Path,
    mut reader: csv::Reader<R>,
) -> Result<ImportSummary, ImportError> {
    let header = csvfile::header(path, &mut reader)?;
    let cols = Columns::resolve(path, &header, REQUIRED, &[])?;
    let tx = conn.transaction().map_err(StoreError::from)?;
    let mut errors = Errors::default();
    let mut seen: FxHashMap<String, u64> = FxHashMap::default();
    let rows = csvfile::each_row(path, &mut reader, &mut errors, |line, record, errors| {
        match parse_row(&cols, record) {
            Err(message) => errors.push(line, message),
            Ok(op) => {
                if let Some(first) = seen.insert(op.id.clone(), line) {
                    errors.push(
                        line,
                        format!("id: {} already appears on line {first}", op.id),
                    );
                } else if errors.is_empty() {
                    operators::upsert(&tx, &op)?;
                }
            }
        }
        Ok(())
    })?;
    errors.take_result(path)?;
    tx.commit().map_err(StoreError::from)?;
    Ok(ImportSummary {
        rows,
        detail: format!("{rows} operators imported"),
    })
}
