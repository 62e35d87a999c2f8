//! `storepos import promotions FILE.jsonl`: one promotion per line as JSON (the format is
//! in README). All or nothing: every promotion is parsed and validated first, and any bad
//! one is reported with its line number while nothing is written.

use std::path::Path;

use super::{Errors, ImportError, ImportSummary};
use crate::domain::promotion::Promotion;
use crate::store::promotions;

/// Imports a promotions file, replacing promotions with the same id.
pub fn import(conn: &mut rusqlite::Connection, path: &Path) -> Result<ImportSummary, ImportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    import_text(conn, path, &text)
}

/// Imports promotions from text already read; `path` names the source in errors.
pub fn import_text(
    conn: &mut rusqlite::Connection,
    path: &Path,
    text: &str,
) -> Result<ImportSummary, ImportError> {
    let mut errors = Errors::default();
    let mut parsed: Vec<Promotion> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let promotion: Promotion = match serde_json::from_str(line) {
            Ok(p) => p,
            Err(e) => {
                errors.push(line_no, format!("not a promotion: {e}"));
                continue;
            }
        };
        if let Err(e) = promotion.validate() {
            errors.push(line_no, e.to_string());
        } else if !seen.insert(promotion.id.clone()) {
            errors.push(
                line_no,
                format!("promotion '{}' appears twice", promotion.id),
            );
        } else {
            parsed.push(promotion);
        }
    }
    errors.take_result(path)?;
    let tx = conn.transaction().map_err(crate::store::StoreError::from)?;
    for promotion in &parsed {
        promotions::upsert(&tx, promotion)?;
    }
    tx.commit().map_err(crate::store::StoreError::from)?;
    Ok(ImportSummary {
        rows: parsed.len() as u64,
        detail: format!("{} promotions", parsed.len()),
    })
}
