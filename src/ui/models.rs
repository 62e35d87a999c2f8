//! The terminal's views turned into the rows the screens show. Formatting only: every
//! amount here was computed by the terminal core and arrives as a decimal string or in
//! minor units to print. The other UI modules build on this one; it uses none of them.

use slint::{Model, ModelRc, SharedString, VecModel};

use super::{BasketLine, Entry, Fact, ReturnRow};
use crate::domain::money::{Currency, Money, Quantity};
use crate::terminal::CommandError;
use crate::terminal::returns::Returnable;
use crate::terminal::views::{BasketView, MemberSheetView, RefundView, ReportView};

/// Rows as a model a screen's list binds.
pub fn rows<T: Clone + 'static>(items: Vec<T>) -> ModelRc<T> {
    ModelRc::new(VecModel::from(items))
}

/// Why a command did not take effect, as the screens show it.
pub(super) struct Refusal {
    pub code: String,
    pub message: String,
    /// The message in Chinese, for the Chinese screens; empty where it has none.
    pub chinese: String,
}

impl From<&CommandError> for Refusal {
    fn from(e: &CommandError) -> Refusal {
        Refusal {
            code: e.code().into(),
            message: e.to_string(),
            chinese: e.in_chinese(),
        }
    }
}

/// The basket's rows as the list shows them.
pub fn basket_lines(view: &BasketView) -> Vec<BasketLine> {
    view.lines
        .iter()
        .map(|l| BasketLine {
            line: l.line as i32,
            name: l.name.into(),
            qty: l.qty.0.to_string().into(),
            price: l.price.0.to_string().into(),
            amount: l.amount.0.to_string().into(),
            discount: l.discount.0.to_string().into(),
            has_discount: l.discount.0.minor() != 0,
            net: l.net.0.to_string().into(),
            voided: l.voided,
            has_offers: !l.promotions.is_empty(),
            offers: l
                .promotions
                .iter()
                .map(|p| format!("{} −{}", p.name, p.amount.0))
                .collect::<Vec<_>>()
                .join(" · ")
                .into(),
        })
        .collect()
}

/// Brings `model` to `rows` changing only the rows that differ, so a scan that adds one
/// line re-renders one row, not the whole list.
pub fn sync_rows<T: Clone + PartialEq + 'static>(model: &VecModel<T>, rows: Vec<T>) {
    let old = model.row_count();
    for (i, row) in rows.iter().enumerate() {
        if i < old {
            if model.row_data(i).as_ref() != Some(row) {
                model.set_row_data(i, row.clone());
            }
        } else {
            model.push(row.clone());
        }
    }
    for i in (rows.len()..old).rev() {
        model.remove(i);
    }
}

/// Banknotes the customer is likely to hand over for `due`: the exact amount, then the
/// next whole multiples of 10, 20, 50 and 100 units above it (at most four, no repeats).
pub fn suggested_notes(due: Money) -> Vec<String> {
    if due.minor() <= 0 {
        return Vec::new();
    }
    let unit = 10_i64.pow(crate::domain::money::minor_digits(due.currency()));
    let mut notes = vec![due.minor()];
    for step in [10, 20, 50, 100] {
        let step = step * unit;
        let up = due.minor().div_euclid(step) * step + step;
        if !notes.contains(&up) {
            notes.push(up);
        }
    }
    notes.truncate(4);
    notes
        .into_iter()
        .map(|m| Money::from_minor(m, due.currency()).to_string())
        .collect()
}

fn entry(label: impl Into<SharedString>, value: impl Into<SharedString>) -> Entry {
    Entry {
        label: label.into(),
        value: value.into(),
    }
}

/// A row the screen words itself (see `Fact` in `ui/types.slint`): what it is, data within
/// its label, and its value.
pub fn fact(key: &str, arg: impl Into<SharedString>, value: impl Into<SharedString>) -> Fact {
    Fact {
        key: key.into(),
        arg: arg.into(),
        value: value.into(),
        state: SharedString::new(),
    }
}

/// A row whose value is a state the screen words (ok, warning, failed, online, offline).
pub fn state_fact(key: &str, state: &str) -> Fact {
    Fact {
        state: state.into(),
        ..fact(key, "", "")
    }
}

/// An X or Z report as rows the screen words in the chosen language.
pub fn report_facts(r: &ReportView) -> Vec<Fact> {
    let receipts = match (r.first_receipt, r.last_receipt) {
        (Some(a), Some(b)) => format!("{a}–{b}"),
        _ => "—".into(),
    };
    // What the cashier counts against comes first: expected cash and, in a Z report, the
    // over/short, then where the takings came from.
    let mut rows = vec![
        fact("shift", "", r.shift.to_string()),
        fact("sales", "", r.sales.to_string()),
        fact("returns", "", r.returns.to_string()),
        fact("receipts", "", receipts),
        fact("expected-cash", "", r.expected_cash.0.to_string()),
    ];
    if let Some(v) = &r.over_short {
        rows.push(fact("over-short", "", v.0.to_string()));
    }
    rows.push(fact("float", "", r.float.0.to_string()));
    rows.push(fact("cash-in", "", r.cash_in.0.to_string()));
    rows.push(fact("cash-out", "", r.cash_out.0.to_string()));
    rows.push(fact("no-sales", "", r.no_sales.to_string()));
    for (k, v) in &r.by_tender.0 {
        rows.push(fact("tender", k.as_str(), v.0.to_string()));
    }
    rows.push(fact("change-given", "", r.change.0.to_string()));
    for (k, v) in &r.by_tax_rate.0 {
        rows.push(fact("vat", k.as_str(), v.0.to_string()));
    }
    for (k, v) in &r.by_department.0 {
        rows.push(fact("department", k.as_str(), v.0.to_string()));
    }
    rows
}

/// A device's health as the state word the status panel shows.
pub fn health_state(level: &storepos_drivers::HealthLevel) -> &'static str {
    match level {
        storepos_drivers::HealthLevel::Ok => "ok",
        storepos_drivers::HealthLevel::Warning => "warning",
        storepos_drivers::HealthLevel::Failed => "failed",
    }
}

/// The member's sheet as rows the screen words: who, points, their complaint cases, recent
/// baskets, spend by category, the largest purchase and the suggested plan.
pub fn member_sheet(view: &MemberSheetView, currency: Currency) -> Vec<Fact> {
    let money = |minor: i64| Money::from_minor(minor, currency).to_string();
    let member = &view.member;
    let mut rows = vec![
        fact("name", "", member.name.as_str()),
        fact("member", "", member.id.as_str()),
        fact("tier", "", member.tier.as_str()),
        fact("phone", "", member.phone.as_deref().unwrap_or("")),
        fact("points", "", view.points.balance.to_string()),
        fact("redeemable", "", view.points.redeemable.to_string()),
    ];
    // The member's complaints come first after who they are: a complaint is answered fast.
    for c in &view.complaints.complaints {
        rows.push(fact("complaint", c.state.as_str(), complaint_summary(c)));
    }
    if let Some(hq) = &view.hq {
        rows.insert(0, state_fact("source", "hq-view"));
        rows.extend(hq_sheet(hq, currency));
        return rows;
    }
    rows.insert(0, state_fact("source", "till-view"));
    for b in &view.recent {
        let day = b.at.get(..10).unwrap_or(&b.at);
        rows.push(fact("visit", day, money(b.total)));
    }
    for c in &view.spend_by_category {
        let name = c
            .category
            .as_deref()
            .or(c.department.as_deref())
            .unwrap_or("—");
        rows.push(fact("spend", name, money(c.spend)));
    }
    if let Some(largest) = &view.largest_purchase {
        rows.push(fact("largest-purchase", "", money(largest.basket.total)));
    }
    for p in &view.plan {
        rows.push(fact("suggested", "", p.name.as_deref().unwrap_or("")));
    }
    rows
}

/// A case on one line: the day it was opened, its category unless it is the default, and
/// its last note (or, for this till's own, what the member said).
fn complaint_summary(c: &crate::terminal::complaints::TillCase) -> String {
    let mut parts = vec![c.opened_at.get(..10).unwrap_or(&c.opened_at).to_string()];
    if !c.category.is_empty() && c.category != "general" {
        parts.push(c.category.clone());
    }
    if let Some(text) = c.last_note.as_deref().or(c.content.as_deref()) {
        parts.push(text.replace('\n', " "));
    }
    parts.join(" · ")
}

/// The member's cases a note can be added to: their ids, and how the screen names them.
pub fn complaint_choices(view: &MemberSheetView) -> Vec<SharedString> {
    view.complaints
        .complaints
        .iter()
        .map(|c| c.id.as_str().into())
        .collect()
}

/// HQ's chain-wide view as rows: visits in every store, spend per category this year,
/// the largest purchase, the latest bills, the plan and open complaints.
fn hq_sheet(hq: &crate::hq::member_view::MemberView, currency: Currency) -> Vec<Fact> {
    use chrono::Datelike;
    let money = |minor: i64| Money::from_minor(minor, currency).to_string();
    let day = |at: chrono::DateTime<chrono::Utc>| at.format("%Y-%m-%d").to_string();
    let mut rows = Vec::new();
    let v = &hq.visits;
    rows.push(fact("visits", "", v.bills.to_string()));
    let stores: Vec<&str> = v.stores.iter().map(|s| s.store_id.as_str()).collect();
    rows.push(fact("stores", stores.len().to_string(), stores.join(", ")));
    if let Some(last) = v.last {
        rows.push(fact("last-visit", "", day(last)));
    }
    let year = hq.as_of.year();
    if let Some(this_year) = hq.spend_by_year.iter().find(|y| y.year == year) {
        for c in &this_year.categories {
            rows.push(fact("spend", c.category.as_str(), money(c.net)));
        }
    }
    if let Some(largest) = &hq.largest_purchase {
        let b = &largest.bill;
        rows.push(fact(
            "largest-purchase",
            "",
            format!("{} · {} · {}", money(b.total), day(b.at), b.store_id),
        ));
    }
    for b in hq.history.bills.iter().take(5) {
        rows.push(fact("visit", day(b.at), money(b.total)));
    }
    for p in &hq.plan {
        rows.push(fact("suggested", "", p.name.as_str()));
    }
    for c in &hq.open_complaints {
        rows.push(fact("open-complaint", "", c.content.as_str()));
    }
    rows
}

/// A refund the terminal core previewed: its total, its lines as "name × quantity" with
/// their amount, and the tenders it goes back to.
pub fn refund_rows(refund: &RefundView) -> (String, Vec<Entry>, Vec<Fact>) {
    let lines = refund
        .lines
        .iter()
        .map(|l| entry(format!("{} × {}", l.name, l.qty), l.amount.as_str()))
        .collect();
    let tenders = refund
        .tenders
        .iter()
        .map(|t| fact("tender", t.kind.as_str(), t.amount.as_str()))
        .collect();
    (refund.total.clone(), lines, tenders)
}

/// The lines of a receipt with how many units the cashier chose to take back. A weighed
/// line (a fractional quantity left) comes back whole or not at all.
pub fn return_rows(lines: &[Returnable], chosen: &[i32], currency: Currency) -> Vec<ReturnRow> {
    lines
        .iter()
        .zip(chosen)
        .map(|(l, &n)| {
            let left = Quantity::from_milli(l.left);
            ReturnRow {
                line: l.line as i32,
                name: l.name.clone().into(),
                left: left.to_string().into(),
                amount: Money::from_minor(l.paid, currency).to_string().into(),
                chosen: n,
                max: returnable_units(l.left),
            }
        })
        .collect()
}

/// How many steps of the − / + buttons a line has: whole units, or one for a weighed line.
pub fn returnable_units(left_milli: i64) -> i32 {
    match Quantity::from_milli(left_milli).whole_units() {
        Some(units) => units.clamp(0, i64::from(i32::MAX)) as i32,
        None => i32::from(left_milli > 0),
    }
}

/// The quantity to return for `chosen` steps of a line with `left_milli` left.
pub fn return_quantity(left_milli: i64, chosen: i32) -> Quantity {
    match Quantity::from_milli(left_milli).whole_units() {
        Some(_) => Quantity::units(i64::from(chosen)),
        None if chosen > 0 => Quantity::from_milli(left_milli),
        None => Quantity::from_milli(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::parse_currency;

    fn cny(minor: i64) -> Money {
        Money::from_minor(minor, parse_currency("CNY").unwrap())
    }

    #[test]
    fn suggested_notes_start_with_the_exact_amount_and_round_up() {
        assert_eq!(
            suggested_notes(cny(3740)),
            vec!["37.40", "40.00", "50.00", "100.00"]
        );
        assert_eq!(
            suggested_notes(cny(12000)),
            vec!["120.00", "130.00", "140.00", "150.00"]
        );
        assert!(suggested_notes(cny(0)).is_empty());
    }

    #[test]
    fn suggested_notes_never_repeat_an_amount() {
        let notes = suggested_notes(cny(5000));
        let mut unique = notes.clone();
        unique.dedup();
        assert_eq!(notes, unique);
        assert_eq!(notes[0], "50.00");
    }

    #[test]
    fn sync_rows_touches_only_what_changed() {
        let model = VecModel::from(vec![1, 2, 3]);
        sync_rows(&model, vec![1, 5, 3, 4]);
        assert_eq!(model.iter().collect::<Vec<_>>(), vec![1, 5, 3, 4]);
        sync_rows(&model, vec![1]);
        assert_eq!(model.iter().collect::<Vec<_>>(), vec![1]);
    }

    #[test]
    fn weighed_lines_come_back_whole_and_counted_lines_by_the_unit() {
        assert_eq!(returnable_units(3000), 3);
        assert_eq!(returnable_units(1235), 1);
        assert_eq!(returnable_units(0), 0);
        assert_eq!(return_quantity(3000, 2), Quantity::units(2));
        assert_eq!(return_quantity(1235, 1), Quantity::from_milli(1235));
        assert_eq!(return_quantity(1235, 0).milli(), 0);
    }
}
