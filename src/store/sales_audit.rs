//! Checks the sales tables against the journal: a sale's `sales`, `sale_lines` and
//! `sale_tenders` rows are written in the transaction that writes its journal entry, from
//! the same record, so each must say exactly what the entry's sealed body says. An edit to
//! any of them (a total lowered, a line removed, a tender changed), a row without its
//! entry, or an entry without its row is found and named by receipt number.

use rusqlite::types::Value as Sql;
use rusqlite::{Connection, OptionalExtension};
use serde_json::{Value, json};

use super::StoreError;
use super::sales::{SaleKind, SaleRecord};
use crate::journal::BadEntry;

/// What [`verify_sales`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesCheck {
    /// Sales and returns compared with their journal entries.
    pub sales: u64,
    pub first_bad: Option<BadEntry>,
}

/// Compares every sale's rows with its journal entry and reports the lowest receipt whose
/// rows differ, lack their entry, or whose entry lacks its rows.
pub fn verify_sales(conn: &Connection) -> Result<SalesCheck, StoreError> {
    let mut sales = 0;
    let mut entries =
        conn.prepare("SELECT receipt_no, kind, at, body FROM journal ORDER BY receipt_no")?;
    let mut rows = entries.query([])?;
    let mut first_bad = None;
    while let Some(r) = rows.next()? {
        let receipt_no = r.get::<_, i64>(0)?;
        let kind: String = r.get(1)?;
        if kind != SaleKind::Sale.as_str() && kind != SaleKind::Return.as_str() {
            continue;
        }
        sales += 1;
        let at: String = r.get(2)?;
        let body: String = r.get(3)?;
        if let Some(reason) = compare(conn, receipt_no, &kind, &at, &body)? {
            first_bad = Some(BadEntry {
                receipt_no: receipt_no as u64,
                reason,
            });
            break;
        }
    }
    let orphan: Option<i64> = conn
        .query_row(
            "SELECT MIN(receipt_no) FROM (
                 SELECT receipt_no FROM sales UNION ALL
                 SELECT receipt_no FROM sale_lines UNION ALL
                 SELECT receipt_no FROM sale_tenders)
             WHERE receipt_no NOT IN (SELECT receipt_no FROM journal)",
            [],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    if let Some(n) = orphan
        && first_bad.as_ref().is_none_or(|b| (n as u64) < b.receipt_no)
    {
        first_bad = Some(BadEntry {
            receipt_no: n as u64,
            reason: "the sales tables hold a sale the journal has no entry for".into(),
        });
    }
    Ok(SalesCheck { sales, first_bad })
}

/// Why the rows of one receipt differ from its entry, if they do.
fn compare(
    conn: &Connection,
    receipt_no: i64,
    kind: &str,
    at: &str,
    body: &str,
) -> Result<Option<String>, StoreError> {
    let record: SaleRecord = match serde_json::from_str(body) {
        Ok(r) => r,
        Err(e) => return Ok(Some(format!("its journal entry is not a sale record: {e}"))),
    };
    let header = conn
        .prepare_cached(
            "SELECT kind, at, operator_id, member_id, currency, subtotal, discount, tax, total,
                    rounding, change, line_count, original_receipt, shift_id
             FROM sales WHERE receipt_no = ?1",
        )?
        .query_row([receipt_no], |r| {
            (0..14)
                .map(|i| r.get::<_, Sql>(i))
                .collect::<Result<Vec<_>, _>>()
        })
        .optional()?;
    let Some(header) = header else {
        return Ok(Some("its journal entry has no row in `sales`".into()));
    };
    let expected = [
        ("kind", json!(kind)),
        ("at", json!(at)),
        ("operator_id", json!(record.operator_id)),
        ("member_id", json!(record.member_id)),
        ("currency", json!(record.currency)),
        ("subtotal", json!(record.subtotal)),
        ("discount", json!(record.discount)),
        ("tax", json!(record.tax)),
        ("total", json!(record.total)),
        ("rounding", json!(record.rounding)),
        ("change", json!(record.change)),
        ("line_count", json!(record.lines.len())),
        ("original_receipt", json!(record.original_receipt)),
        ("shift_id", json!(record.shift_id)),
    ];
    if let Some(reason) = differs("sales", &expected, &header) {
        return Ok(Some(reason));
    }

    let lines = rows_of(
        conn,
        "SELECT line_no, gtin, name, quantity, unit_price, amount, discount, tax_bp, tax,
                original_line, department
         FROM sale_lines WHERE receipt_no = ?1 ORDER BY line_no",
        receipt_no,
        11,
    )?;
    let mut sealed_lines: Vec<_> = record.lines.iter().collect();
    sealed_lines.sort_by_key(|l| l.line_no);
    if lines.len() != sealed_lines.len() {
        return Ok(Some(format!(
            "`sale_lines` holds {} lines, its journal entry {}",
            lines.len(),
            sealed_lines.len()
        )));
    }
    for (stored, l) in lines.iter().zip(sealed_lines) {
        let expected = [
            ("line_no", json!(l.line_no)),
            ("gtin", json!(l.gtin)),
            ("name", json!(l.name)),
            ("quantity", json!(l.quantity)),
            ("unit_price", json!(l.unit_price)),
            ("amount", json!(l.amount)),
            ("discount", json!(l.discount)),
            ("tax_bp", json!(l.tax_bp)),
            ("tax", json!(l.tax)),
            ("original_line", json!(l.original_line)),
            ("department", json!(l.department)),
        ];
        if let Some(reason) = differs(&format!("sale_lines line {}", l.line_no), &expected, stored)
        {
            return Ok(Some(reason));
        }
    }

    let tenders = rows_of(
        conn,
        "SELECT seq, kind, amount, reference FROM sale_tenders WHERE receipt_no = ?1 ORDER BY seq",
        receipt_no,
        4,
    )?;
    if tenders.len() != record.tenders.len() {
        return Ok(Some(format!(
            "`sale_tenders` holds {} tenders, its journal entry {}",
            tenders.len(),
            record.tenders.len()
        )));
    }
    for (i, (stored, t)) in tenders.iter().zip(&record.tenders).enumerate() {
        let expected = [
            ("seq", json!(i + 1)),
            ("kind", json!(t.kind)),
            ("amount", json!(t.amount)),
            ("reference", json!(t.reference)),
        ];
        if let Some(reason) = differs(&format!("sale_tenders tender {}", i + 1), &expected, stored)
        {
            return Ok(Some(reason));
        }
    }
    Ok(None)
}

fn rows_of(
    conn: &Connection,
    sql: &str,
    receipt_no: i64,
    columns: usize,
) -> Result<Vec<Vec<Sql>>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([receipt_no], |r| {
        (0..columns)
            .map(|i| r.get::<_, Sql>(i))
            .collect::<Result<Vec<_>, _>>()
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The first column whose stored value is not the sealed one, said for a reader.
fn differs(table: &str, expected: &[(&str, Value)], stored: &[Sql]) -> Option<String> {
    debug_assert_eq!(expected.len(), stored.len());
    expected
        .iter()
        .zip(stored)
        .find_map(|((column, sealed), stored)| {
            let stored = as_json(stored);
            (stored != *sealed).then(|| {
                format!(
                    "`{table}` says {column} = {stored}, its journal entry {sealed}: \
                     the sales tables were edited"
                )
            })
        })
}

fn as_json(value: &Sql) -> Value {
    match value {
        Sql::Null => Value::Null,
        Sql::Integer(n) => json!(n),
        Sql::Real(x) => json!(x),
        Sql::Text(t) => json!(t),
        Sql::Blob(b) => json!(hex::encode(b)),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::journal::Sealer;
    use crate::store::sales::{commit, sample_sale};

    fn store_with(n: u64) -> (tempfile::TempDir, crate::store::Store) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = crate::store::Store::open(
            dir.path(),
            crate::store::Identity {
                store_id: "S001".into(),
                terminal_id: "T01".into(),
                currency: iso_currency::Currency::CNY,
            },
        )
        .unwrap();
        let sealer = Sealer::from_secret([1; 32]);
        for i in 0..n {
            commit(&mut store.terminal, &sealer, &sample_sale(3, i), Utc::now()).unwrap();
        }
        (dir, store)
    }

    fn first_bad(store: &crate::store::Store) -> Option<BadEntry> {
        verify_sales(&store.terminal).unwrap().first_bad
    }

    #[test]
    fn untouched_sales_match_their_entries() {
        let (_dir, store) = store_with(4);
        assert_eq!(
            verify_sales(&store.terminal).unwrap(),
            SalesCheck {
                sales: 4,
                first_bad: None
            }
        );
    }

    #[test]
    fn every_kind_of_edit_to_the_sales_tables_names_its_receipt() {
        for (edit, says) in [
            (
                "UPDATE sales SET total = total - 100 WHERE receipt_no = 3",
                "total",
            ),
            (
                "UPDATE sales SET member_id = 'M1' WHERE receipt_no = 3",
                "member_id",
            ),
            (
                "UPDATE sale_lines SET quantity = 2000 WHERE receipt_no = 3 AND line_no = 2",
                "quantity",
            ),
            (
                "DELETE FROM sale_lines WHERE receipt_no = 3 AND line_no = 3",
                "lines",
            ),
            (
                "UPDATE sale_tenders SET kind = 'card' WHERE receipt_no = 3",
                "kind",
            ),
            ("DELETE FROM sale_tenders WHERE receipt_no = 3", "tenders"),
            (
                "DELETE FROM sale_lines WHERE receipt_no = 3;
                 DELETE FROM sale_tenders WHERE receipt_no = 3;
                 DELETE FROM sales WHERE receipt_no = 3",
                "no row",
            ),
        ] {
            let (_dir, store) = store_with(4);
            store.terminal.execute_batch(edit).unwrap();
            let bad = first_bad(&store).unwrap_or_else(|| panic!("{edit}: not found"));
            assert_eq!(bad.receipt_no, 3, "{edit}");
            assert!(bad.reason.contains(says), "{edit}: {}", bad.reason);
        }
    }

    #[test]
    fn a_sale_without_its_journal_entry_is_found() {
        let (_dir, store) = store_with(2);
        store
            .terminal
            .execute_batch(
                "PRAGMA foreign_keys = OFF;
                 INSERT INTO sales (receipt_no, kind, at, operator_id, currency, subtotal,
                                    discount, tax, total, rounding, change, line_count, event_id)
                 VALUES (9, 'sale', 'x', '1001', 'CNY', 1, 0, 0, 1, 0, 0, 0, 'e')",
            )
            .unwrap();
        let bad = first_bad(&store).unwrap();
        assert_eq!(bad.receipt_no, 9);
        assert!(bad.reason.contains("no entry"), "{}", bad.reason);
    }
}
