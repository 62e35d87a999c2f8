//! What the terminal shows: the basket, a completed sale and a shift report as plain data
//! with amounts as decimal strings. The headless interface writes these as JSON and the
//! touch UI binds the same shapes, so both always agree on what a cashier sees.
//!
//! Views borrow from the terminal's state and serialise straight to text (no intermediate
//! JSON tree): every scanned item answers with the whole basket, so this is on the
//! scan-to-line path.

use std::fmt::Display;

use serde::{Deserialize, Serialize, Serializer};

use super::Completed;
use crate::domain::basket::{Basket, PricedBasket};
use crate::domain::gs1::Gtin;
use crate::domain::money::{Currency, Money, Quantity, format_scaled};
use crate::store::shifts::ShiftReport;

/// Serialises any `Display` value as a JSON string: `"12.30"`, `"1.250"`.
#[derive(Debug, Clone, Copy)]
pub struct Text<T>(pub T);

impl<T: Display> Serialize for Text<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

#[derive(Debug, Serialize)]
pub struct PromotionView<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub amount: Text<Money>,
}

#[derive(Debug, Serialize)]
pub struct LineView<'a> {
    pub line: u32,
    pub gtin: Text<Gtin>,
    pub name: &'a str,
    pub qty: Text<Quantity>,
    pub price: Text<Money>,
    pub amount: Text<Money>,
    pub discount: Text<Money>,
    pub net: Text<Money>,
    pub voided: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub promotions: Vec<PromotionView<'a>>,
}

#[derive(Debug, Serialize)]
pub struct BasketView<'a> {
    pub lines: Vec<LineView<'a>>,
    pub subtotal: Text<Money>,
    pub discount: Text<Money>,
    pub tax: Text<Money>,
    pub total: Text<Money>,
}

pub fn basket_view<'a>(basket: &'a Basket, priced: &'a PricedBasket) -> BasketView<'a> {
    let currency = priced.total.currency();
    let lines = basket
        .lines()
        .iter()
        .zip(&priced.lines)
        .map(|(line, p)| LineView {
            line: line.line_no,
            gtin: Text(line.product.gtin),
            name: &line.product.name,
            qty: Text(line.quantity),
            price: Text(line.unit_price),
            amount: Text(p.gross),
            discount: Text(p.total_discount()),
            net: Text(p.net),
            voided: p.voided,
            promotions: p
                .promotions
                .iter()
                .map(|s| PromotionView {
                    id: &s.promotion_id,
                    name: &s.name,
                    amount: Text(s.amount),
                })
                .collect(),
        })
        .collect();
    BasketView {
        lines,
        subtotal: Text(priced.subtotal),
        discount: Text(priced.total_discount),
        tax: Text(Money::from_minor(priced.tax.tax, currency)),
        total: Text(priced.total),
    }
}

#[derive(Debug, Serialize)]
pub struct SaleLineView<'a> {
    pub line: u32,
    pub name: &'a str,
    pub qty: Text<Quantity>,
    pub amount: Text<Money>,
    pub discount: Text<Money>,
}

#[derive(Debug, Serialize)]
pub struct TenderView<'a> {
    pub kind: &'a str,
    pub amount: Text<Money>,
    #[serde(rename = "ref")]
    pub reference: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct SaleView<'a> {
    pub receipt_no: u64,
    /// What was paid: the total after cash rounding.
    pub total: Text<Money>,
    pub tax: Text<Money>,
    pub discount: Text<Money>,
    pub change: Text<Money>,
    pub lines: Vec<SaleLineView<'a>>,
    pub tenders: Vec<TenderView<'a>>,
    /// The member's points on this sale, when a member was on it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points: Option<PointsView>,
    pub receipt: &'a str,
}

/// What a sale did to its member's points, as the till saw it.
#[derive(Debug, Serialize)]
pub struct PointsView {
    pub earned: i64,
    pub redeemed: i64,
    /// The member's balance after the sale.
    pub balance: i64,
}

pub fn sale_view(done: &Completed, currency: Currency) -> SaleView<'_> {
    let m = |minor: i64| Text(Money::from_minor(minor, currency));
    let r = &done.record;
    SaleView {
        receipt_no: done.receipt_no,
        total: m(r.total + r.rounding),
        tax: m(r.tax),
        discount: m(r.discount),
        change: m(r.change),
        lines: r
            .lines
            .iter()
            .map(|l| SaleLineView {
                line: l.line_no,
                name: &l.name,
                qty: Text(Quantity::from_milli(l.quantity)),
                amount: m(l.amount),
                discount: m(l.discount),
            })
            .collect(),
        tenders: r
            .tenders
            .iter()
            .map(|t| TenderView {
                kind: t.kind.as_str(),
                amount: m(t.amount),
                reference: t.reference.as_deref(),
            })
            .collect(),
        points: r.loyalty.as_ref().map(|l| PointsView {
            earned: l.earned,
            redeemed: l.redeemed,
            balance: l.balance_after,
        }),
        receipt: &done.receipt_text,
    }
}

#[derive(Debug, Serialize)]
pub struct ReportView {
    pub shift: i64,
    pub sales: i64,
    pub returns: i64,
    pub first_receipt: Option<i64>,
    pub last_receipt: Option<i64>,
    pub by_tender: Entries,
    pub by_tax_rate: Entries,
    pub by_department: Entries,
    /// Change handed back in cash: cash tendered less this is what cash sales took.
    pub change: Text<Money>,
    pub float: Text<Money>,
    pub cash_in: Text<Money>,
    pub cash_out: Text<Money>,
    pub no_sales: i64,
    pub expected_cash: Text<Money>,
    pub over_short: Option<Text<Money>>,
}

/// Named amounts, serialised as a JSON object in their order.
#[derive(Debug, Default)]
pub struct Entries(pub Vec<(String, Text<Money>)>);

impl Serialize for Entries {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// A rate in basis points as the receipt prints it: 1300 → `13%`, 950 → `9.5%`.
pub fn rate_label(bp: u32) -> String {
    let rate = format_scaled(i64::from(bp), 2);
    format!("{}%", rate.trim_end_matches('0').trim_end_matches('.'))
}

pub fn report_view(r: &ShiftReport, currency: Currency) -> ReportView {
    let m = |minor: i64| Text(Money::from_minor(minor, currency));
    ReportView {
        shift: r.shift_id,
        sales: r.sales,
        returns: r.returns,
        first_receipt: r.first_receipt,
        last_receipt: r.last_receipt,
        by_tender: Entries(
            r.by_tender
                .iter()
                .map(|(k, v)| (k.clone(), m(*v)))
                .collect(),
        ),
        by_tax_rate: Entries(
            r.by_tax_rate
                .iter()
                .map(|(bp, v)| (rate_label(*bp), m(*v)))
                .collect(),
        ),
        by_department: Entries(
            r.by_department
                .iter()
                .map(|(k, v)| (k.clone(), m(*v)))
                .collect(),
        ),
        change: m(r.change),
        float: m(r.float),
        cash_in: m(r.cash_in),
        cash_out: m(r.cash_out),
        no_sales: r.no_sales,
        expected_cash: m(r.expected_cash),
        over_short: r.over_short.map(m),
    }
}

/// The member badge: who is on the sale, their points and the offers attached.
#[derive(Debug, Serialize)]
pub struct MemberBadge {
    pub id: String,
    pub name: String,
    pub tier: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card: Option<String>,
    /// The balance to show: HQ's last figure plus this till's movements since.
    pub points: i64,
    /// What may be paid with points here, now.
    pub redeemable: i64,
    pub offers: Vec<OfferBadge>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct OfferBadge {
    pub id: String,
    pub title: String,
}

pub fn member_badge(terminal: &super::Terminal) -> Option<MemberBadge> {
    let at = terminal.member()?;
    let points = terminal.member_points().ok().flatten();
    Some(MemberBadge {
        id: at.member.id.clone(),
        name: at.member.name.clone(),
        tier: at.member.tier.clone(),
        card: at.card.clone(),
        points: points.map_or(at.member.points_balance, |p| p.shown),
        redeemable: points.map_or(0, |p| p.redeemable),
        offers: terminal
            .offers()
            .iter()
            .map(|o| OfferBadge {
                id: o.coupon_id.clone(),
                title: o.title.clone(),
            })
            .collect(),
        list: terminal.list_id().map(str::to_string),
    })
}

/// One member in a list of lookup candidates.
#[derive(Debug, Serialize)]
pub struct MemberLine {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    pub tier: String,
}

pub fn member_line(m: &crate::domain::member::Member) -> MemberLine {
    MemberLine {
        id: m.id.clone(),
        name: m.name.clone(),
        phone: m.phone.as_deref().map(mask_phone),
        tier: m.tier.clone(),
    }
}

/// A phone number as shown to a cashier choosing between members: the last four digits.
fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().collect();
    let hidden = digits.len().saturating_sub(4);
    let last: String = digits[hidden..].iter().collect();
    format!("{}{last}", "*".repeat(hidden))
}

/// Where the payment of the sale in progress stands: the tenders so far and what is due.
#[derive(Debug, Serialize)]
pub struct PaymentView {
    pub total: Text<Money>,
    pub paid: Text<Money>,
    /// The total less the tenders so far, never below zero.
    pub due: Text<Money>,
    pub tenders: Vec<(String, Text<Money>)>,
}

/// `total` is the priced basket's total (the caller has priced the basket already).
pub fn payment_view(terminal: &super::Terminal, total: Money) -> PaymentView {
    let currency = terminal.currency();
    let paid: i64 = terminal.tendered().iter().map(|t| t.amount).sum();
    PaymentView {
        total: Text(total),
        paid: Text(Money::from_minor(paid, currency)),
        due: Text(Money::from_minor((total.minor() - paid).max(0), currency)),
        tenders: terminal
            .tendered()
            .iter()
            .map(|t| {
                (
                    t.kind.as_str().to_string(),
                    Text(Money::from_minor(t.amount, currency)),
                )
            })
            .collect(),
    }
}

/// The member's sheet as the till shows it: the parts of the `member_view` answer the
/// screens bind. Amounts are in minor units of the store's currency.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MemberSheetView {
    pub member: SheetMember,
    pub points: SheetPoints,
    pub recent: Vec<SheetBasket>,
    pub spend_by_category: Vec<SheetSpend>,
    pub largest_purchase: Option<SheetLargest>,
    pub plan: Vec<SheetPlanned>,
    pub open_complaints: Vec<SheetComplaint>,
    /// The member's complaint cases (HQ's, or this till's own when HQ did not answer).
    pub complaints: super::complaints::MemberComplaints,
    /// `hq` when HQ's chain-wide view came in time, else `till`.
    pub source: String,
    /// HQ's view, when it came.
    pub hq: Option<Box<crate::hq::member_view::MemberView>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SheetMember {
    pub id: String,
    pub name: String,
    pub tier: String,
    pub phone: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SheetPoints {
    pub balance: i64,
    pub redeemable: i64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SheetBasket {
    /// RFC 3339.
    pub at: String,
    pub total: i64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SheetSpend {
    pub category: Option<String>,
    pub department: Option<String>,
    pub spend: i64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SheetLargest {
    pub basket: SheetBasket,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SheetPlanned {
    pub name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SheetComplaint {
    pub content: String,
}

/// A shopping list `print_list` printed: the parts of its answer the till shows.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PrintedListView {
    /// The short code printed on the list.
    pub code: String,
    pub member: String,
    pub items: u64,
    pub offers: u64,
}

/// A refund `return_preview` shows: amounts refunded, as positive decimal strings.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RefundView {
    pub receipt: u64,
    pub lines: Vec<RefundLineView>,
    pub tax: String,
    pub total: String,
    pub tenders: Vec<RefundTenderView>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RefundLineView {
    /// The line of the original receipt.
    pub line: u32,
    pub name: String,
    pub qty: String,
    pub amount: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RefundTenderView {
    pub kind: String,
    pub amount: String,
}
