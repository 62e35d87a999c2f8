//! Returns against a receipt: find the original sale, check what may still be returned,
//! and build the refund as a `return` record (negative amounts) paid back to the original
//! tenders — card refunds to the card with its reference first, the rest in cash.
//!
//! Invariants: a line can never be refunded for more than was sold on it, counting every
//! earlier return of the same receipt; an item sold by the unit comes back in whole units.
//!
//! `return_preview` builds the same refund without recording anything, so a cashier (and
//! the supervisor asked to approve it) sees the amount before the return is made.

use crate::said;
use rusqlite::Connection;

use crate::domain::gs1::Gtin;
use crate::domain::money::{Money, Quantity, div_round_half_away};
use crate::domain::tax::TaxMode;
use crate::store::Catalogue;
use crate::store::returns as sold;
use crate::store::sales::{SaleKind, SaleLine, SaleRecord, TenderLine};

use super::CommandError;

/// A line to return and how much of it.
#[derive(Debug, Clone, Copy)]
pub struct ReturnLine {
    pub line: u32,
    pub qty: Quantity,
}

/// Parses `R/store/terminal/number` (the receipt's CODE128) or a bare receipt number, and
/// refuses receipts of other tills, whose sales this terminal does not hold.
pub fn parse_receipt(code: &str, store_id: &str, terminal_id: &str) -> Result<u64, CommandError> {
    let code = code.trim();
    let number = match code.strip_prefix("R/") {
        Some(rest) => {
            let parts: Vec<&str> = rest.split('/').collect();
            if parts.len() != 3 {
                return Err(CommandError::Invalid(said!(
                    "'{}' is not a receipt code",
                    code
                )));
            }
            if parts[0] != store_id || parts[1] != terminal_id {
                return Err(CommandError::Invalid(said!(
                    "receipt {} is from store {} terminal {}; return it there",
                    code,
                    parts[0],
                    parts[1]
                )));
            }
            parts[2]
        }
        None => code,
    };
    number
        .parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| CommandError::Invalid(said!("'{}' is not a receipt code", code)))
}

/// Builds the refund record for `lines` of sale `receipt_no`.
pub fn build(
    conn: &Connection,
    catalogue: &Catalogue,
    receipt_no: u64,
    lines: &[ReturnLine],
    operator_id: &str,
    mode: TaxMode,
) -> Result<SaleRecord, CommandError> {
    let original = sold::header(conn, receipt_no)?;
    let Some((kind, currency, member_id)) = original else {
        return Err(CommandError::Invalid(said!(
            "no sale with receipt {} on this terminal",
            receipt_no
        )));
    };
    if kind != "sale" {
        return Err(CommandError::Invalid(said!(
            "receipt {} is itself a return",
            receipt_no
        )));
    }
    if lines.is_empty() {
        return Err(CommandError::Invalid(said!(
            "name at least one line to return"
        )));
    }
    let mut refund_lines = Vec::new();
    for want in lines {
        let sold = sold::line(conn, receipt_no, want.line)?;
        let Some(sold) = sold else {
            return Err(CommandError::Invalid(said!(
                "receipt {} has no line {}",
                receipt_no,
                want.line
            )));
        };
        let qty = sold.quantity;
        // Items sold by the unit come back in whole units; a product no longer in the
        // catalogue counts as one when it was sold in whole units.
        let unit_item = Gtin::from_gtin14_value(sold.gtin)
            .and_then(|g| catalogue.product_by_gtin(g).ok().flatten())
            .map_or(qty % 1000 == 0, |p| !p.weighed);
        if unit_item && want.qty.whole_units().is_none() {
            return Err(CommandError::Invalid(said!(
                "line {}: {} is sold by the unit: return whole units, not {}",
                want.line,
                sold.name,
                want.qty
            )));
        }
        let returned = sold::returned_quantity(conn, receipt_no, want.line)?;
        let left = qty - returned;
        if want.qty.milli() <= 0 || want.qty.milli() > left {
            return Err(CommandError::Invalid(said!(
                "line {}: {} may be returned, not {}",
                want.line,
                Quantity::from_milli(left.max(0)),
                want.qty
            )));
        }
        // What the customer paid for this share of the line, to the minor unit.
        let share = |v: i64| -> i64 {
            -(div_round_half_away(
                i128::from(v) * i128::from(want.qty.milli()),
                i128::from(qty),
            ) as i64)
        };
        refund_lines.push(SaleLine {
            original_line: Some(want.line),
            line_no: refund_lines.len() as u32 + 1,
            quantity: want.qty.milli(),
            amount: share(sold.amount),
            discount: share(sold.discount),
            tax: share(sold.tax),
            ..sold
        });
    }
    let lines = refund_lines;
    let subtotal: i64 = lines.iter().map(|l| l.amount).sum();
    let discount: i64 = lines.iter().map(|l| l.discount).sum();
    let tax: i64 = lines.iter().map(|l| l.tax).sum();
    let total = match mode {
        TaxMode::Inclusive => subtotal - discount,
        TaxMode::Exclusive => subtotal - discount + tax,
    };
    let tenders = refund_tenders(conn, receipt_no, -total)?;
    Ok(SaleRecord {
        kind: SaleKind::Return,
        operator_id: operator_id.to_string(),
        member_id,
        currency,
        lines,
        tenders,
        subtotal,
        discount,
        tax,
        total,
        rounding: 0,
        change: 0,
        original_receipt: Some(receipt_no),
        shift_id: None,
        loyalty: None,
        age_check: None,
    })
}

/// The refund's tenders for sale `receipt_no` (see [`refund_tenders`]).
fn refund_tenders(
    conn: &Connection,
    receipt_no: u64,
    refund: i64,
) -> Result<Vec<TenderLine>, crate::store::StoreError> {
    Ok(crate::domain::sale::refund_tenders(
        &sold::tenders(conn, receipt_no)?,
        refund,
    ))
}

pub use crate::store::returns::Returnable;

/// The lines of sale `receipt_no` with what is left to return on each.
pub fn returnable(conn: &Connection, receipt_no: u64) -> Result<Vec<Returnable>, CommandError> {
    let kind = sold::header(conn, receipt_no)?.map(|(kind, _, _)| kind);
    match kind.as_deref() {
        None => {
            return Err(CommandError::Invalid(said!(
                "no sale with receipt {} on this terminal",
                receipt_no
            )));
        }
        Some("sale") => {}
        Some(_) => {
            return Err(CommandError::Invalid(said!(
                "receipt {} is itself a return",
                receipt_no
            )));
        }
    }
    Ok(sold::returnable_lines(conn, receipt_no)?)
}

impl super::Terminal {
    /// What may still be returned of the sale a receipt code (or number) names.
    pub fn returnable(&self, code: &str) -> Result<(u64, Vec<Returnable>), CommandError> {
        self.signed_in()?;
        let receipt = parse_receipt(code, &self.config.store.id, &self.config.terminal.id)?;
        Ok((receipt, returnable(&self.store.terminal, receipt)?))
    }

    /// The refund `lines` of the sale a receipt code names would make, and to which
    /// tenders, as `return` would record it now; nothing is recorded or changed.
    pub fn return_preview(
        &self,
        receipt: &str,
        lines: &[ReturnLine],
    ) -> Result<serde_json::Value, CommandError> {
        let operator = self.signed_in()?.id.clone();
        let receipt = parse_receipt(receipt, &self.config.store.id, &self.config.terminal.id)?;
        let record = build(
            &self.store.terminal,
            &self.store.catalogue,
            receipt,
            lines,
            &operator,
            self.config.store.tax_mode,
        )?;
        Ok(preview_view(receipt, &record, self.currency()))
    }
}

/// A refund as the preview shows it: amounts refunded as positive decimal strings.
fn preview_view(
    receipt: u64,
    record: &SaleRecord,
    currency: iso_currency::Currency,
) -> serde_json::Value {
    let money = |minor: i64| Money::from_minor(-minor, currency).to_string();
    serde_json::json!({
        "receipt": receipt,
        "lines": record.lines.iter().map(|l| serde_json::json!({
            "line": l.original_line,
            "name": l.name,
            "qty": Quantity::from_milli(l.quantity).to_string(),
            "amount": money(l.amount - l.discount),
        })).collect::<Vec<_>>(),
        "tax": money(record.tax),
        "total": money(record.total),
        "tenders": record.tenders.iter().map(|t| serde_json::json!({
            "kind": t.kind,
            "amount": money(t.amount),
        })).collect::<Vec<_>>(),
    })
}
