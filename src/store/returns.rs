//! What returns read of earlier sales: a sale's header, a sold line, how much of a line
//! came back already, a sale's tenders, and the lines with what is left to return.

use rusqlite::{Connection, OptionalExtension};

use super::StoreError;
use crate::domain::sale::{SaleLine, Tender, TenderLine};

/// Sale `receipt_no`'s kind (`sale` or `return`), currency and member; none if this
/// terminal holds no such sale.
pub fn header(
    conn: &Connection,
    receipt_no: u64,
) -> Result<Option<(String, String, Option<String>)>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT kind, currency, member_id FROM sales WHERE receipt_no = ?1",
            [receipt_no as i64],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?)
}

/// Line `line_no` of sale `receipt_no`, as sold (without its promotions).
pub fn line(
    conn: &Connection,
    receipt_no: u64,
    line_no: u32,
) -> Result<Option<SaleLine>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT gtin, name, quantity, unit_price, amount, discount, tax_bp, tax, department
             FROM sale_lines WHERE receipt_no = ?1 AND line_no = ?2",
            [receipt_no as i64, i64::from(line_no)],
            |r| {
                Ok(SaleLine {
                    line_no,
                    gtin: r.get::<_, i64>(0)? as u64,
                    name: r.get(1)?,
                    quantity: r.get(2)?,
                    unit_price: r.get(3)?,
                    amount: r.get(4)?,
                    discount: r.get(5)?,
                    tax_bp: r.get(6)?,
                    tax: r.get(7)?,
                    original_line: None,
                    department: r.get(8)?,
                    promotions: Vec::new(),
                })
            },
        )
        .optional()?)
}

/// How much of line `line_no` of sale `receipt_no` its returns took back (thousandths).
pub fn returned_quantity(
    conn: &Connection,
    receipt_no: u64,
    line_no: u32,
) -> Result<i64, StoreError> {
    Ok(conn.query_row(
        "SELECT COALESCE(SUM(l.quantity), 0) FROM sale_lines l JOIN sales s
         ON s.receipt_no = l.receipt_no
         WHERE s.original_receipt = ?1 AND l.original_line = ?2",
        [receipt_no as i64, i64::from(line_no)],
        |r| r.get(0),
    )?)
}

/// Sale `receipt_no`'s tenders, in order. A tender kind this till does not know was not
/// written by it: refused as it is read.
pub fn tenders(conn: &Connection, receipt_no: u64) -> Result<Vec<TenderLine>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT kind, amount, reference FROM sale_tenders WHERE receipt_no = ?1 ORDER BY seq",
    )?;
    let rows = stmt.query_map([receipt_no as i64], |r| {
        let name: String = r.get(0)?;
        let kind = Tender::parse(&name).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                0,
                rusqlite::types::Type::Text,
                format!("'{name}' is not a tender").into(),
            )
        })?;
        Ok(TenderLine {
            kind,
            amount: r.get(1)?,
            reference: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A line of an earlier sale and how much of it may still come back, for choosing what to
/// return. Quantities are in thousandths, amounts in minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Returnable {
    pub line: u32,
    pub name: String,
    pub sold: i64,
    /// Sold less every earlier return of the line; never negative.
    pub left: i64,
    /// What the customer paid for the whole line (after discounts).
    pub paid: i64,
}

/// The lines of sale `receipt_no` with what is left to return on each.
pub fn returnable_lines(conn: &Connection, receipt_no: u64) -> Result<Vec<Returnable>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT l.line_no, l.name, l.quantity, l.amount - l.discount,
                (SELECT COALESCE(SUM(r.quantity), 0) FROM sale_lines r JOIN sales s
                 ON s.receipt_no = r.receipt_no
                 WHERE s.original_receipt = l.receipt_no AND r.original_line = l.line_no)
         FROM sale_lines l WHERE l.receipt_no = ?1 ORDER BY l.line_no",
    )?;
    let rows = stmt.query_map([receipt_no as i64], |r| {
        let sold: i64 = r.get(2)?;
        let returned: i64 = r.get(4)?;
        Ok(Returnable {
            line: r.get(0)?,
            name: r.get(1)?,
            sold,
            left: (sold - returned).max(0),
            paid: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
