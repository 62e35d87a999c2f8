//! Shifts and the cash drawer's movements: the float a shift opens with, cash in and out with
//! a reason, audited no-sale drawer openings, and the X (mid-shift) and Z (closing) reports
//! computed from the durable sales of the shift.
//!
//! Invariant: at most one shift is open per terminal; a closed shift is never reopened or
//! changed, so its Z report reads the same forever.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::StoreError;

pub const SCHEMA: &str = "
CREATE TABLE shifts (
    id          INTEGER PRIMARY KEY,
    operator_id TEXT NOT NULL,
    opened_at   TEXT NOT NULL,
    float       INTEGER NOT NULL,
    closed_at   TEXT,
    counted     INTEGER
);
CREATE UNIQUE INDEX shifts_one_open ON shifts ((closed_at IS NULL)) WHERE closed_at IS NULL;
CREATE TABLE cash_movements (
    id          INTEGER PRIMARY KEY,
    shift_id    INTEGER NOT NULL REFERENCES shifts (id),
    at          TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('in', 'out', 'no_sale')),
    amount      INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    operator_id TEXT NOT NULL
);
ALTER TABLE sales ADD COLUMN shift_id INTEGER REFERENCES shifts (id);
ALTER TABLE sale_lines ADD COLUMN department TEXT;
";

/// Who approved a cash movement (a later migration than [`SCHEMA`]).
pub const APPROVALS_SCHEMA: &str = "ALTER TABLE cash_movements ADD COLUMN approved_by TEXT;";

/// The open shift, if any: (id, float).
pub fn open_shift(conn: &Connection) -> Result<Option<(i64, i64)>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT id, float FROM shifts WHERE closed_at IS NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// Opens a shift; refused while another is open.
pub fn open(conn: &Connection, operator_id: &str, float: i64, at: &str) -> Result<i64, StoreError> {
    if open_shift(conn)?.is_some() {
        return Err(StoreError::Corrupt(
            "a shift is already open on this terminal".into(),
        ));
    }
    conn.execute(
        "INSERT INTO shifts (operator_id, opened_at, float) VALUES (?1, ?2, ?3)",
        params![operator_id, at, float],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Records cash in (`amount` > 0), cash out (`amount` < 0) or a no-sale opening (0).
/// One cash movement as recorded: `amount` is signed (out is negative, no-sale is zero).
#[derive(Debug, Clone, Copy)]
pub struct Movement<'a> {
    pub shift_id: i64,
    pub kind: &'a str,
    pub amount: i64,
    pub reason: &'a str,
    pub operator_id: &'a str,
    /// The supervisor who approved it, when it was not the operator.
    pub approved_by: Option<&'a str>,
    pub at: &'a str,
}

pub fn movement(conn: &Connection, m: &Movement<'_>) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO cash_movements (shift_id, at, kind, amount, reason, operator_id, approved_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            m.shift_id,
            m.at,
            m.kind,
            m.amount,
            m.reason,
            m.operator_id,
            m.approved_by
        ],
    )?;
    Ok(())
}

/// Closes the open shift with the counted cash.
/// Closes the shift and makes its Z report in one transaction: a report that cannot be made
/// leaves the shift open.
pub fn close_with_report(
    conn: &Connection,
    shift_id: i64,
    counted: i64,
    at: &str,
) -> Result<ShiftReport, StoreError> {
    let tx = conn.unchecked_transaction()?;
    close(&tx, shift_id, counted, at)?;
    let report = report(&tx, shift_id)?;
    tx.commit()?;
    Ok(report)
}

pub fn close(conn: &Connection, shift_id: i64, counted: i64, at: &str) -> Result<(), StoreError> {
    let n = conn.execute(
        "UPDATE shifts SET closed_at = ?2, counted = ?3 WHERE id = ?1 AND closed_at IS NULL",
        params![shift_id, at, counted],
    )?;
    if n != 1 {
        return Err(StoreError::Corrupt(format!("shift {shift_id} is not open")));
    }
    Ok(())
}

/// An X or Z report: what the shift took, by tender, VAT rate and department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShiftReport {
    pub shift_id: i64,
    pub sales: i64,
    pub returns: i64,
    pub first_receipt: Option<i64>,
    pub last_receipt: Option<i64>,
    /// Net takings per tender kind (refunds subtract).
    pub by_tender: BTreeMap<String, i64>,
    /// Tax per VAT rate in basis points.
    pub by_tax_rate: BTreeMap<u32, i64>,
    pub by_department: BTreeMap<String, i64>,
    /// Change handed back in cash (tenders count what was handed over).
    pub change: i64,
    pub float: i64,
    pub cash_in: i64,
    pub cash_out: i64,
    pub no_sales: i64,
    /// Float + cash tenders − change + cash in − cash out.
    pub expected_cash: i64,
    /// Only in a Z report: counted − expected.
    pub over_short: Option<i64>,
}

pub fn report(conn: &Connection, shift_id: i64) -> Result<ShiftReport, StoreError> {
    let (float, counted): (i64, Option<i64>) = conn.query_row(
        "SELECT float, counted FROM shifts WHERE id = ?1",
        [shift_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let (sales, returns, first, last, change): (i64, i64, Option<i64>, Option<i64>, i64) = conn
        .query_row(
            "SELECT COUNT(*) FILTER (WHERE kind = 'sale'), COUNT(*) FILTER (WHERE kind = 'return'),
                    MIN(receipt_no), MAX(receipt_no), COALESCE(SUM(change), 0)
             FROM sales WHERE shift_id = ?1",
            [shift_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
    let grouped = |sql: &str| -> Result<Vec<(String, i64)>, StoreError> {
        let mut stmt = conn.prepare(sql)?;
        let rows = stmt.query_map([shift_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    };
    let by_tender: BTreeMap<String, i64> = grouped(
        "SELECT t.kind, SUM(t.amount) FROM sale_tenders t JOIN sales s ON s.receipt_no = t.receipt_no
         WHERE s.shift_id = ?1 GROUP BY t.kind",
    )?
    .into_iter()
    .collect();
    let by_department = grouped(
        "SELECT COALESCE(l.department, '-'), SUM(l.amount - l.discount) FROM sale_lines l
         JOIN sales s ON s.receipt_no = l.receipt_no WHERE s.shift_id = ?1
         GROUP BY COALESCE(l.department, '-')",
    )?
    .into_iter()
    .collect();
    let by_tax_rate = {
        let mut stmt = conn.prepare(
            "SELECT l.tax_bp, SUM(l.tax) FROM sale_lines l JOIN sales s ON s.receipt_no = l.receipt_no
             WHERE s.shift_id = ?1 GROUP BY l.tax_bp",
        )?;
        let rows = stmt.query_map([shift_id], |r| {
            Ok((r.get::<_, u32>(0)?, r.get::<_, i64>(1)?))
        })?;
        rows.collect::<Result<BTreeMap<_, _>, _>>()?
    };
    let moved = |kind: &str| -> Result<(i64, i64), StoreError> {
        Ok(conn.query_row(
            "SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM cash_movements WHERE shift_id = ?1 AND kind = ?2",
            params![shift_id, kind],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    };
    let (_, cash_in) = moved("in")?;
    let (_, cash_out) = moved("out")?;
    let (no_sales, _) = moved("no_sale")?;
    let cash_tendered = by_tender.get("cash").copied().unwrap_or(0);
    let expected_cash = float
        .checked_add(cash_tendered)
        .and_then(|v| v.checked_sub(change))
        .and_then(|v| v.checked_add(cash_in))
        .and_then(|v| v.checked_add(cash_out))
        .ok_or_else(|| {
            StoreError::Corrupt(format!(
                "shift {shift_id}: expected cash exceeds the range of amounts"
            ))
        })?;
    let over_short = match counted {
        Some(c) => Some(c.checked_sub(expected_cash).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "shift {shift_id}: over/short exceeds the range of amounts"
            ))
        })?),
        None => None,
    };
    Ok(ShiftReport {
        shift_id,
        sales,
        returns,
        first_receipt: first,
        last_receipt: last,
        by_tender,
        by_tax_rate,
        by_department,
        change,
        float,
        cash_in,
        cash_out: cash_out.checked_neg().unwrap_or(i64::MAX),
        no_sales,
        expected_cash,
        over_short,
    })
}
