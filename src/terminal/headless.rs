//! The headless automation interface: JSON Lines in, one JSON line out per input line.
//!
//! Each input line is an object with a single key naming the action, e.g.
//! `{"scan":"6901234567892"}`. The answer is `{"ok":true,"basket":{…}}` or
//! `{"ok":false,"error":{"code":"…","message":"…"}}`; when a sale completes it also
//! carries `sale` with the receipt number, amounts as decimal strings and the receipt text.
//! Unknown actions and malformed lines are refused with code `bad_request` and change
//! nothing.

use std::io::{BufRead, Write};

use serde::Deserialize;
use serde_json::{Value, json};

use super::{CommandError, Completed, Terminal};
use crate::domain::money::{Currency, Money, Quantity};
use crate::store::shifts::ShiftReport;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    SignIn {
        operator: String,
        pin: String,
    },
    OpenShift {
        float: String,
    },
    Scan(String),
    KeyItem {
        plu: String,
        qty: Option<String>,
    },
    Quantity(String),
    VoidLine(u32),
    Approve {
        operator: String,
        pin: String,
    },
    Discount {
        line: Option<u32>,
        percent: Option<String>,
        amount: Option<String>,
        #[serde(default)]
        reason: String,
    },
    PriceOverride {
        line: u32,
        price: String,
        #[serde(default)]
        reason: String,
    },
    Tender(TenderArgs),
    VoidSale {},
    SetClock(String),
    Return {
        receipt: String,
        lines: Vec<ReturnLineArgs>,
    },
    CashIn {
        amount: String,
        reason: String,
    },
    CashOut {
        amount: String,
        reason: String,
    },
    NoSale {
        reason: String,
    },
    Report(String),
    CloseShift {
        counted: String,
    },
    Suspend {},
    Resume {
        id: String,
    },
}

/// What a command produced besides the basket.
pub enum Outcome {
    Nothing,
    Sale(Completed),
    Report(ShiftReport),
    Suspended(i64),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnLineArgs {
    line: u32,
    qty: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenderArgs {
    cash: Option<String>,
    card: Option<String>,
    voucher: Option<String>,
    #[serde(rename = "ref")]
    reference: Option<String>,
}

/// Runs one command.
pub fn run(terminal: &mut Terminal, command: Command) -> Result<Outcome, CommandError> {
    let nothing = |_| Outcome::Nothing;
    let sale = |done: Option<Completed>| done.map_or(Outcome::Nothing, Outcome::Sale);
    match command {
        Command::SignIn { operator, pin } => terminal.sign_in(&operator, &pin).map(nothing),
        Command::OpenShift { float } => terminal.open_shift(&float).map(nothing),
        Command::Scan(code) => terminal.scan(&code).map(|_| Outcome::Nothing),
        Command::KeyItem { plu, qty } => terminal
            .key_item(&plu, qty.as_deref())
            .map(|_| Outcome::Nothing),
        Command::Quantity(q) => terminal.quantity(&q).map(nothing),
        Command::VoidLine(line) => terminal.void_line(line).map(nothing),
        Command::Approve { operator, pin } => terminal.approve(&operator, &pin).map(sale),
        Command::Return { receipt, lines } => {
            let lines = lines
                .into_iter()
                .map(|l| {
                    Ok(super::returns::ReturnLine {
                        line: l.line,
                        qty: Quantity::parse(&l.qty)?,
                    })
                })
                .collect::<Result<Vec<_>, CommandError>>()?;
            terminal.return_items(&receipt, lines).map(sale)
        }
        Command::Discount {
            line,
            percent,
            amount,
            reason,
        } => terminal
            .discount(
                line,
                percent.as_deref(),
                amount.as_deref(),
                or_unstated(&reason),
            )
            .map(nothing),
        Command::PriceOverride {
            line,
            price,
            reason,
        } => terminal
            .price_override(line, &price, or_unstated(&reason))
            .map(nothing),
        Command::Tender(t) => {
            let (kind, amount) = match (t.cash, t.card, t.voucher) {
                (Some(a), None, None) => ("cash", a),
                (None, Some(a), None) => ("card", a),
                (None, None, Some(a)) => ("voucher", a),
                _ => {
                    return Err(CommandError::Invalid(
                        "a tender names exactly one of cash, card, voucher".into(),
                    ));
                }
            };
            terminal
                .tender(kind, &amount, t.reference.as_deref())
                .map(sale)
        }
        Command::VoidSale {} => terminal.void_sale().map(nothing),
        Command::SetClock(text) => {
            let at = chrono::DateTime::parse_from_rfc3339(&text)
                .map_err(|e| CommandError::Invalid(format!("set_clock: '{text}': {e}")))?;
            terminal.set_clock(at.with_timezone(&chrono::Utc));
            Ok(Outcome::Nothing)
        }
        Command::CashIn { amount, reason } => {
            terminal.cash_movement("in", &amount, &reason).map(nothing)
        }
        Command::CashOut { amount, reason } => {
            terminal.cash_movement("out", &amount, &reason).map(nothing)
        }
        Command::NoSale { reason } => terminal.cash_movement("no_sale", "0", &reason).map(nothing),
        Command::Report(which) => match which.as_str() {
            "x" => terminal.x_report().map(Outcome::Report),
            other => Err(CommandError::Invalid(format!(
                "report '{other}' is not known; \"x\" shows the open shift, close_shift gives the Z report"
            ))),
        },
        Command::CloseShift { counted } => terminal.close_shift(&counted).map(Outcome::Report),
        Command::Suspend {} => terminal.suspend().map(Outcome::Suspended),
        Command::Resume { id } => terminal.resume(&id).map(nothing),
    }
}

/// Scripts may leave the reason out; the journal then records that none was given.
fn or_unstated(reason: &str) -> &str {
    if reason.trim().is_empty() {
        "(no reason given)"
    } else {
        reason
    }
}

fn basket_json(terminal: &Terminal) -> Value {
    let priced = terminal.priced();
    let lines: Vec<Value> = terminal
        .basket
        .lines()
        .iter()
        .zip(&priced.lines)
        .map(|(line, p)| {
            json!({
                "line": line.line_no,
                "gtin": line.product.gtin.to_string(),
                "name": line.product.name,
                "qty": line.quantity.to_string(),
                "price": line.unit_price.to_string(),
                "amount": p.gross.to_string(),
                "discount": p.gross.checked_sub(p.net).unwrap_or(p.gross).to_string(),
                "net": p.net.to_string(),
                "voided": p.voided,
            })
        })
        .collect();
    json!({
        "lines": lines,
        "subtotal": priced.subtotal.to_string(),
        "discount": priced.total_discount.to_string(),
        "tax": Money::from_minor(priced.tax.tax, priced.total.currency()).to_string(),
        "total": priced.total.to_string(),
    })
}

fn sale_json(done: &Completed, currency: Currency) -> Value {
    let m = |minor: i64| Money::from_minor(minor, currency).to_string();
    let r = &done.record;
    json!({
        "receipt_no": done.receipt_no,
        "total": m(r.total + r.rounding),
        "tax": m(r.tax),
        "discount": m(r.discount),
        "change": m(r.change),
        "lines": r.lines.iter().map(|l| json!({
            "line": l.line_no,
            "name": l.name,
            "qty": Quantity::from_milli(l.quantity).to_string(),
            "amount": m(l.amount),
            "discount": m(l.discount),
        })).collect::<Vec<_>>(),
        "tenders": r.tenders.iter().map(|t| json!({
            "kind": t.kind,
            "amount": m(t.amount),
            "ref": t.reference,
        })).collect::<Vec<_>>(),
        "receipt": done.receipt_text,
    })
}

fn report_json(r: &ShiftReport, currency: Currency) -> Value {
    let m = |minor: i64| Money::from_minor(minor, currency).to_string();
    let map = |entries: Vec<(String, i64)>| -> Value {
        Value::Object(
            entries
                .into_iter()
                .map(|(k, v)| (k, Value::String(m(v))))
                .collect(),
        )
    };
    json!({
        "shift": r.shift_id,
        "sales": r.sales,
        "returns": r.returns,
        "first_receipt": r.first_receipt,
        "last_receipt": r.last_receipt,
        "by_tender": map(r.by_tender.iter().map(|(k, v)| (k.clone(), *v)).collect()),
        "by_tax_rate": map(r.by_tax_rate.iter().map(|(bp, v)| {
            let rate = crate::domain::money::format_scaled(i64::from(*bp), 2);
            (format!("{}%", rate.trim_end_matches('0').trim_end_matches('.')), *v)
        }).collect()),
        "by_department": map(r.by_department.iter().map(|(k, v)| (k.clone(), *v)).collect()),
        "float": m(r.float),
        "cash_in": m(r.cash_in),
        "cash_out": m(r.cash_out),
        "no_sales": r.no_sales,
        "expected_cash": m(r.expected_cash),
        "over_short": r.over_short.map(m),
    })
}

/// Answers one input line.
pub fn answer(terminal: &mut Terminal, line: &str) -> Value {
    let command: Command = match serde_json::from_str(line) {
        Ok(c) => c,
        Err(e) => {
            return json!({"ok": false, "error": {"code": "bad_request", "message": format!("not a command: {e}")}});
        }
    };
    match run(terminal, command) {
        Ok(outcome) => {
            let mut out = json!({"ok": true, "basket": basket_json(terminal)});
            let currency = terminal.currency();
            match outcome {
                Outcome::Nothing => {}
                Outcome::Sale(done) => out["sale"] = sale_json(&done, currency),
                Outcome::Report(report) => out["report"] = report_json(&report, currency),
                Outcome::Suspended(id) => out["suspended"] = json!(id.to_string()),
            }
            out
        }
        Err(e) => json!({"ok": false, "error": {"code": e.code(), "message": e.to_string()}}),
    }
}

/// Reads JSON Lines from `input` and writes one answer line per non-empty input line.
pub fn serve(
    terminal: &mut Terminal,
    input: impl BufRead,
    mut output: impl Write,
) -> std::io::Result<()> {
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let answer = answer(terminal, &line);
        writeln!(output, "{answer}")?;
        output.flush()?;
    }
    Ok(())
}
