//! A member's list, as HQ signed it, laid out for the receipt printer: the member, the
//! items grouped by department with their reasons, the offers with their values, one code
//! that redeems every offer (the signed list: a QR code when its full form fits, else its
//! short CODE128 form, which the store's tills resolve from their kept codes), and a few
//! tips by department from configurable content. Everything printed comes from the signed
//! list, so the member holds exactly what HQ made.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use storepos_drivers::printer::document::{Block, QrLevel};
use storepos_drivers::{Document, PrinterProfile, TextStyle};
use unicode_width::UnicodeWidthStr;

use super::generate::offer_value_text;
use crate::domain::coupon::{OfferTarget, OfferValue, QR_BYTE_CAPACITY, SignedList};
use crate::domain::money::{Currency, Money};

/// The tips printed at the foot of a list when no other content is given.
pub const DEFAULT_TIPS: &str = include_str!("tips.toml");
/// Tips printed on one list.
const TIPS_PER_LIST: usize = 2;

/// Tips by department (`default` for the rest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tips(BTreeMap<String, Vec<String>>);

impl Tips {
    /// Reads tips in the layout of [`DEFAULT_TIPS`].
    pub fn parse(text: &str) -> Result<Tips> {
        let map: BTreeMap<String, Vec<String>> =
            toml::from_str(text).context("tips: expected `DEPARTMENT = [\"tip\", …]` lines")?;
        Ok(Tips(map))
    }

    pub fn from_file(path: Option<&Path>) -> Result<Tips> {
        match path {
            Some(p) => Tips::parse(
                &std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read {}", p.display()))?,
            ),
            None => Tips::parse(DEFAULT_TIPS),
        }
    }

    /// Up to `n` tips for these departments (most important first), one per department,
    /// then the defaults; `seed` varies which tip of a department is picked.
    pub fn pick(&self, departments: &[&str], seed: u64, n: usize) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let take = |tips: &Vec<String>, out: &mut Vec<String>| {
            if !tips.is_empty() {
                let tip = &tips[(seed as usize) % tips.len()];
                if !out.contains(tip) {
                    out.push(tip.clone());
                }
            }
        };
        for d in departments {
            if out.len() >= n {
                break;
            }
            if let Some(tips) = self.0.get(*d) {
                take(tips, &mut out);
            }
        }
        if out.len() < n
            && let Some(tips) = self.0.get("default")
        {
            take(tips, &mut out);
        }
        out.truncate(n);
        out
    }
}

/// One printed row of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    Title(String),
    Heading(String),
    Text(String),
    Pair(String, String),
    Rule,
    /// A QR code and its module size in dots.
    Qr(String, u8),
    Code128(String),
}

/// What a printed list needs besides the list itself.
pub struct PrintContext<'a> {
    pub store_name: &'a str,
    pub member_name: &'a str,
    pub currency: Currency,
    pub tips: &'a Tips,
}

/// Lays out a member's list as HQ signed it (a till prints it as it is, never signs): the
/// items by department with their reasons, the offers the list carries, and the list's
/// own code, which redeems every offer at once.
pub fn layout(signed: &SignedList, cx: &PrintContext<'_>) -> Vec<Row> {
    let list = &signed.list;
    let mut rows = vec![
        Row::Title(cx.store_name.to_string()),
        Row::Heading("YOUR SHOPPING LIST".into()),
        Row::Text(format!("Member: {}", cx.member_name)),
        Row::Text(format!(
            "For {} to {}",
            list.period_start.format("%Y-%m-%d"),
            (list.period_end - chrono::Duration::seconds(1)).format("%Y-%m-%d")
        )),
        Row::Rule,
    ];
    let mut departments: Vec<(&str, Vec<usize>)> = Vec::new();
    for (i, item) in list.items.iter().enumerate() {
        let d = item.department.as_deref().unwrap_or("OTHER");
        match departments.iter_mut().find(|(name, _)| *name == d) {
            Some((_, items)) => items.push(i),
            None => departments.push((d, vec![i])),
        }
    }
    let on_offer = |gtin: crate::domain::gs1::Gtin| {
        list.coupons
            .iter()
            .any(|c| c.coupon.offer.target == OfferTarget::Product(gtin))
    };
    for (department, items) in &departments {
        rows.push(Row::Heading(department.to_string()));
        for &i in items {
            let item = &list.items[i];
            let flag = if on_offer(item.gtin) { " *" } else { "" };
            rows.extend(wrapped(&format!("[ ] {}{flag}", item.name), "    "));
            if !item.reason.is_empty() {
                rows.extend(wrapped(&format!("    {}", item.reason), "    "));
            }
        }
    }
    if !list.coupons.is_empty() {
        rows.push(Row::Rule);
        rows.push(Row::Heading("YOUR OFFERS (*)".into()));
        let mut worth = Some(0i64);
        for signed in &list.coupons {
            let offer = &signed.coupon.offer;
            rows.push(Row::Pair(
                signed.coupon.title.clone(),
                offer_value_text(offer.value, offer.max_discount, cx.currency),
            ));
            let most = match offer.value {
                OfferValue::AmountOff(a) => Some(offer.max_discount.map_or(a, |cap| a.min(cap))),
                OfferValue::PercentOff(_) => offer.max_discount,
            };
            worth = worth.zip(most).map(|(w, m)| w.saturating_add(m));
        }
        if let Some(total) = worth {
            rows.push(Row::Pair(
                "Worth up to".into(),
                Money::from_minor(total, cx.currency).to_string(),
            ));
        }
    }
    rows.push(Row::Rule);
    rows.push(code_row(signed));
    rows.push(Row::Text(if list.coupons.is_empty() {
        "Scan at the till with your card.".into()
    } else {
        "Scan at the till: every offer applies at once.".into()
    }));
    let names: Vec<&str> = departments.iter().map(|(d, _)| *d).collect();
    let seed = list.period_start.timestamp() as u64 / 86_400 + list.member_id.len() as u64;
    let tips = cx.tips.pick(&names, seed, TIPS_PER_LIST);
    if !tips.is_empty() {
        rows.push(Row::Rule);
        rows.push(Row::Heading("TIPS".into()));
        for tip in tips {
            rows.extend(wrapped(&tip, ""));
        }
    }
    rows
}

/// Columns of the narrowest receipt paper (58 mm, 32 columns of the normal font).
const PAPER_COLUMNS: usize = 32;

/// Text broken between words into rows of at most [`PAPER_COLUMNS`] columns, each row
/// after the first starting with `indent` (a word longer than a row is cut).
fn wrapped(text: &str, indent: &str) -> Vec<Row> {
    let body = text.trim_start();
    let mut line = text[..text.len() - body.len()].to_string();
    let mut fresh = true;
    let mut rows = Vec::new();
    for word in body.split(' ').filter(|w| !w.is_empty()) {
        if !fresh && line.width() + 1 + word.width() > PAPER_COLUMNS {
            rows.push(Row::Text(std::mem::replace(&mut line, indent.to_string())));
            fresh = true;
        }
        if !fresh {
            line.push(' ');
        }
        line.push_str(word);
        fresh = false;
    }
    if !fresh {
        rows.push(Row::Text(line));
    }
    rows
}

/// Smallest QR module, in dots, that handheld scanners still read off a receipt.
const QR_MODULE_MIN: u8 = 3;

/// The list's full code as a QR code when it fits the narrowest paper at a module size
/// scanners read, else its short CODE128 form (the store's tills keep the full code).
pub fn code_row(signed: &SignedList) -> Row {
    let full = signed.full_code();
    if full.len() <= QR_BYTE_CAPACITY {
        let profile = PrinterProfile::mm58();
        for module in (QR_MODULE_MIN..=6).rev() {
            let doc = Document::new().push(Block::Qr {
                data: full.clone(),
                module,
                level: QrLevel::L,
            });
            if storepos_drivers::printer::encode(&doc, &profile).is_ok() {
                return Row::Qr(full, module);
            }
        }
    }
    Row::Code128(signed.short_code())
}

/// Renders rows as plain text `columns` wide (for the screen and tests).
pub fn to_text(rows: &[Row], columns: usize) -> String {
    let mut out = String::new();
    for row in rows {
        let line = match row {
            Row::Title(t) | Row::Heading(t) => {
                let pad = columns.saturating_sub(t.width()) / 2;
                format!("{}{t}", " ".repeat(pad))
            }
            Row::Text(t) => t.clone(),
            Row::Pair(a, b) => {
                let used = a.width() + b.width();
                if used + 1 > columns {
                    format!("{a}\n{}{b}", " ".repeat(columns.saturating_sub(b.width())))
                } else {
                    format!("{a}{}{b}", " ".repeat(columns - used))
                }
            }
            Row::Rule => "-".repeat(columns),
            Row::Qr(code, _) => format!("[QR {} bytes]", code.len()),
            Row::Code128(code) => format!("[{code}]"),
        };
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Renders rows as a printer document.
pub fn to_document(rows: &[Row]) -> Document {
    rows.iter()
        .fold(Document::new(), |doc, row| match row {
            Row::Title(t) => doc.styled(t.clone(), TextStyle::new().center().bold().double()),
            Row::Heading(t) => doc.styled(t.clone(), TextStyle::new().center().bold()),
            Row::Text(t) => doc.line(t.clone()),
            Row::Pair(a, b) => doc.pair(a.clone(), b.clone()),
            Row::Rule => doc.rule(),
            Row::Qr(code, module) => doc.push(Block::Qr {
                data: code.clone(),
                module: *module,
                level: QrLevel::L,
            }),
            Row::Code128(code) => doc.code128(code.clone()),
        })
        .cut()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_breaks_between_words_within_the_paper() {
        let rows = wrapped(
            "    usually every 14 days, last bought 26 days ago, overdue",
            "    ",
        );
        let lines: Vec<String> = rows
            .iter()
            .map(|r| match r {
                Row::Text(t) => t.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            lines,
            [
                "    usually every 14 days, last",
                "    bought 26 days ago, overdue"
            ]
        );
        assert!(lines.iter().all(|l| l.width() <= PAPER_COLUMNS));
        assert!(wrapped("   ", "").is_empty());
    }

    #[test]
    fn tips_fall_back_to_the_defaults() {
        let tips = Tips::parse(DEFAULT_TIPS).unwrap();
        let picked = tips.pick(&["PRODUCE", "NO SUCH"], 0, 2);
        assert_eq!(picked.len(), 2);
        assert!(picked[0].contains("bananas"), "{picked:?}");
        assert!(Tips::parse("PRODUCE = 3").is_err());
    }
}
