//! Receipts: the layout of a completed sale or return (store header, lines with their
//! discounts, per-rate VAT, tenders, change, member, a CODE128 receipt code for returns),
//! in Chinese or English, as plain text or as a printer document for the drivers crate.
//!
//! The receipt is built from the [`SaleRecord`] that was committed, never from the live
//! basket, so a reprint shows exactly what the journal holds.

use std::collections::BTreeMap;

use iso_currency::Currency;
use storepos_drivers::{Document, TextStyle};
use unicode_width::UnicodeWidthStr;

use crate::domain::money::{Money, Quantity, format_scaled};
use crate::store::sales::{SaleKind, SaleRecord};

pub use crate::domain::org::Language;

/// The labels a receipt prints, per language.
struct Labels {
    sale: &'static str,
    refund: &'static str,
    receipt: &'static str,
    operator: &'static str,
    discount: &'static str,
    subtotal: &'static str,
    total: &'static str,
    vat: &'static str,
    rounding: &'static str,
    change: &'static str,
    member: &'static str,
    earned: &'static str,
    redeemed: &'static str,
    balance: &'static str,
    offers: &'static str,
    thanks: &'static str,
    tenders: [(&'static str, &'static str); 4],
}

const ZH: Labels = Labels {
    sale: "销售",
    refund: "退货",
    receipt: "小票号",
    operator: "收银员",
    discount: "优惠",
    subtotal: "小计",
    total: "合计",
    vat: "增值税",
    rounding: "抹零",
    change: "找零",
    member: "会员",
    earned: "本次积分",
    redeemed: "使用积分",
    balance: "积分余额",
    offers: "专享优惠",
    thanks: "谢谢惠顾，欢迎再次光临",
    tenders: [
        ("cash", "现金"),
        ("card", "银行卡"),
        ("voucher", "购物券"),
        ("points", "积分"),
    ],
};

const EN: Labels = Labels {
    sale: "SALE",
    refund: "REFUND",
    receipt: "Receipt",
    operator: "Cashier",
    discount: "Discount",
    subtotal: "Subtotal",
    total: "TOTAL",
    vat: "VAT",
    rounding: "Rounding",
    change: "Change",
    member: "Member",
    earned: "Points earned",
    redeemed: "Points used",
    balance: "Points balance",
    offers: "Your offers",
    thanks: "Thank you for shopping with us",
    tenders: [
        ("cash", "Cash"),
        ("card", "Card"),
        ("voucher", "Voucher"),
        ("points", "Points"),
    ],
};

/// Where and when a receipt was issued.
#[derive(Debug, Clone)]
pub struct Header {
    pub store_name: String,
    pub store_id: String,
    pub terminal_id: String,
    pub receipt_no: u64,
    /// Local time as printed.
    pub at: String,
}

/// The code printed as CODE128 so a return can find its sale: `R/store/terminal/number`.
pub fn receipt_code(store_id: &str, terminal_id: &str, receipt_no: u64) -> String {
    format!("R/{store_id}/{terminal_id}/{receipt_no:08}")
}

/// One printed row: left text, right text, emphasis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    Title(String),
    Text(String),
    Pair(String, String),
    Total(String, String),
    Rule,
    Barcode(String),
}

/// Lays out a committed sale as rows.
pub fn layout(header: &Header, sale: &SaleRecord, lang: Language) -> Vec<Row> {
    let l = match lang {
        Language::Zh => &ZH,
        Language::En => &EN,
    };
    let currency = Currency::from_code(&sale.currency).unwrap_or(Currency::CNY);
    let money = |minor: i64| Money::from_minor(minor, currency).to_string();
    let mut rows = vec![
        Row::Title(header.store_name.clone()),
        Row::Text(format!(
            "{} {}",
            match sale.kind {
                SaleKind::Sale => l.sale,
                SaleKind::Return => l.refund,
            },
            header.at
        )),
        Row::Text(format!(
            "{} {}/{}",
            l.receipt, header.terminal_id, header.receipt_no
        )),
        Row::Text(format!("{} {}", l.operator, sale.operator_id)),
        Row::Rule,
    ];
    for line in &sale.lines {
        let qty = Quantity::from_milli(line.quantity);
        rows.push(Row::Pair(line.name.clone(), money(line.amount)));
        if line.quantity != Quantity::ONE.milli() {
            rows.push(Row::Text(format!("  {qty} x {}", money(line.unit_price))));
        }
        let mut promoted = 0;
        for p in &line.promotions {
            promoted += p.amount;
            rows.push(Row::Pair(format!("  {}", p.name), money(-p.amount)));
        }
        // Manual discounts (and a return's share of every discount) print as one row.
        let other = line.discount - promoted;
        if other != 0 {
            rows.push(Row::Pair(format!("  {}", l.discount), money(-other)));
        }
    }
    rows.push(Row::Rule);
    rows.push(Row::Pair(l.subtotal.into(), money(sale.subtotal)));
    if sale.discount != 0 {
        rows.push(Row::Pair(l.discount.into(), money(-sale.discount)));
    }
    let mut per_rate: BTreeMap<u32, i64> = BTreeMap::new();
    for line in &sale.lines {
        *per_rate.entry(line.tax_bp).or_default() += line.tax;
    }
    for (bp, tax) in per_rate {
        let rate = format_scaled(i64::from(bp), 2);
        let rate = rate.trim_end_matches('0').trim_end_matches('.');
        rows.push(Row::Pair(format!("{} {rate}%", l.vat), money(tax)));
    }
    if sale.rounding != 0 {
        rows.push(Row::Pair(l.rounding.into(), money(sale.rounding)));
    }
    rows.push(Row::Total(
        l.total.into(),
        format!("{} {}", currency.code(), money(sale.total + sale.rounding)),
    ));
    for tender in &sale.tenders {
        let kind = l
            .tenders
            .iter()
            .find(|(k, _)| *k == tender.kind.as_str())
            .map_or(tender.kind.as_str(), |(_, label)| *label);
        let name = match &tender.reference {
            Some(r) => format!("{kind} ({r})"),
            None => kind.to_string(),
        };
        rows.push(Row::Pair(name, money(tender.amount)));
    }
    if sale.change != 0 {
        rows.push(Row::Pair(l.change.into(), money(sale.change)));
    }
    match (&sale.loyalty, &sale.member_id) {
        (Some(loyalty), _) => {
            let card = loyalty.card.as_deref().unwrap_or(&loyalty.member_id);
            rows.push(Row::Text(format!(
                "{} {} ({})",
                l.member,
                loyalty.name,
                masked(card)
            )));
            for c in &loyalty.coupons {
                rows.push(Row::Pair(
                    format!("{} {}", l.offers, c.title),
                    money(-c.amount),
                ));
            }
            if loyalty.redeemed != 0 {
                rows.push(Row::Pair(
                    l.redeemed.into(),
                    format!("{:+}", -loyalty.redeemed),
                ));
            }
            rows.push(Row::Pair(l.earned.into(), format!("{:+}", loyalty.earned)));
            rows.push(Row::Pair(
                l.balance.into(),
                loyalty.balance_after.to_string(),
            ));
        }
        (None, Some(member)) => rows.push(Row::Text(format!("{} {member}", l.member))),
        (None, None) => {}
    }
    rows.push(Row::Rule);
    rows.push(Row::Barcode(receipt_code(
        &header.store_id,
        &header.terminal_id,
        header.receipt_no,
    )));
    rows.push(Row::Text(l.thanks.into()));
    rows
}

/// A card number as printed: all but the last four characters hidden.
fn masked(card: &str) -> String {
    let chars: Vec<char> = card.chars().collect();
    let hidden = chars.len().saturating_sub(4);
    let last: String = chars[hidden..].iter().collect();
    format!("{}{last}", "*".repeat(hidden.min(8)))
}

/// Renders rows as plain text `columns` wide (CJK characters take two columns).
pub fn to_text(rows: &[Row], columns: usize) -> String {
    let mut out = String::new();
    let pad = |left: &str, right: &str| {
        let used = left.width() + right.width();
        if used >= columns {
            // Too long for one line: the name on its own lines, the amount right-aligned.
            let mut text = wrap(left, columns);
            text.push('\n');
            text.push_str(&" ".repeat(columns.saturating_sub(right.width())));
            text.push_str(right);
            return text;
        }
        format!("{left}{}{right}", " ".repeat(columns - used))
    };
    for row in rows {
        let line = match row {
            Row::Title(t) => {
                let indent = columns.saturating_sub(t.width()) / 2;
                format!("{}{t}", " ".repeat(indent))
            }
            Row::Text(t) => wrap(t, columns),
            Row::Pair(a, b) | Row::Total(a, b) => pad(a, b),
            Row::Rule => "-".repeat(columns),
            Row::Barcode(code) => format!("[{code}]"),
        };
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Breaks `text` into lines of at most `columns` display columns.
fn wrap(text: &str, columns: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for ch in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
        if used + w > columns {
            out.push('\n');
            used = 0;
        }
        out.push(ch);
        used += w;
    }
    out
}

/// Renders rows as a printer document (ESC/POS through the drivers crate).
pub fn to_document(rows: &[Row]) -> Document {
    rows.iter()
        .fold(Document::new(), |doc, row| match row {
            Row::Title(t) => doc.styled(t.clone(), TextStyle::new().center().bold().double()),
            Row::Text(t) => doc.line(t.clone()),
            Row::Pair(a, b) => doc.pair(a.clone(), b.clone()),
            Row::Total(a, b) => {
                doc.pair_styled(a.clone(), b.clone(), TextStyle::new().bold().double())
            }
            Row::Rule => doc.rule(),
            Row::Barcode(code) => doc.code128(code.clone()),
        })
        .cut()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sales::sample_sale;

    fn header() -> Header {
        Header {
            store_name: "StorePOS Demo Store".into(),
            store_id: "S001".into(),
            terminal_id: "T01".into(),
            receipt_no: 42,
            at: "2017-12-04 09:00".into(),
        }
    }

    #[test]
    fn text_receipt_shows_totals_tax_tenders_and_the_return_code() {
        let mut sale = sample_sale(2, 0);
        sale.lines[1].discount = 50;
        sale.discount = 50;
        sale.total -= 50;
        sale.change += 50;
        sale.check().unwrap();
        let text = to_text(&layout(&header(), &sale, Language::En), 42);
        assert!(text.contains("TOTAL"), "{text}");
        assert!(text.contains(&format!(
            "CNY {}",
            Money::from_minor(sale.total, Currency::CNY)
        )));
        assert!(text.contains("VAT 13%"));
        assert!(text.contains("Discount"));
        assert!(text.contains("Change"));
        assert!(text.contains("[R/S001/T01/00000042]"));
        assert!(text.lines().all(|l| l.width() <= 42), "{text}");
    }

    #[test]
    fn chinese_labels_and_wide_characters_fit_the_paper() {
        let mut sale = sample_sale(1, 3);
        sale.lines[0].name = "农夫山泉饮用天然水550ml".into();
        let text = to_text(&layout(&header(), &sale, Language::Zh), 32);
        assert!(text.contains("合计") && text.contains("找零") && text.contains("增值税 13%"));
        assert!(text.lines().all(|l| l.width() <= 32), "{text}");
    }

    #[test]
    fn the_document_encodes_for_the_printer() {
        let sale = sample_sale(3, 1);
        let doc = to_document(&layout(&header(), &sale, Language::Zh));
        let encoded =
            storepos_drivers::printer::encode(&doc, &storepos_drivers::PrinterProfile::mm58());
        assert!(encoded.is_ok());
    }
}
