//! The rules of a sale or return event (stated in [`super`]): its record adds up within
//! bounded amounts, its ledger transfers are the ones its receipt derives, for its member,
//! and move no more points than the programme gives (a sale) or its sale moved (a return).
//!
//! How HQ bounds the points a sale earns: [`PointsProgram::earn`] over the sale's lines
//! (net = amount − discount, the quantity, the points tenders' value taken off the
//! eligible spend), at the programme's most generous tier. The programme is the store's
//! (`store_settings` at HQ), else the default [`PointsProgram`]. A line's category and
//! product bonus are those of HQ's catalogue; a product HQ's catalogue does not hold (a
//! till with a locally imported catalogue) earns as an uncategorised product, plus, for the
//! bonuses HQ cannot check, at most the points worth the line's net amount: a bonus is never
//! worth more than what was paid for the line.

use storepos_sync::Envelope;
use storepos_sync::wire::MAX_SEQ;

use super::known::Sold;
use super::{Known, MAX_AMOUNT, MAX_POINTS, MAX_QUANTITY_MILLI, Refused, refuse};
use crate::domain::loyalty::{EarnLine, Transfer, TransferKind, check_transfer, transfer_id};
use crate::domain::product::BonusPoints;
use crate::domain::sale::{SaleKind, SaleRecord, Tender};
use crate::protocol::Kind;

/// The receipt key a sale's transfers derive from: `{store}/{terminal}/{receipt_no}`,
/// as an honest till makes it.
pub fn receipt_key(store: &str, terminal: &str, receipt_no: u64) -> String {
    format!("{store}/{terminal}/{receipt_no}")
}

/// Checks a sale or return event and records in `known` what it moves.
pub(super) fn check(
    known: &mut Known,
    e: &Envelope,
    receipt_no: u64,
    sale: &SaleRecord,
) -> Result<(), Refused> {
    let kind = if Kind::parse(&e.kind) == Some(Kind::SaleCompleted) {
        SaleKind::Sale
    } else {
        SaleKind::Return
    };
    if sale.kind != kind {
        return refuse(
            "kind_mismatch",
            format!("a {} event carries a {} record", e.kind, sale.kind.as_str()),
        );
    }
    if receipt_no == 0 || receipt_no > MAX_SEQ {
        return refuse(
            "receipt_out_of_range",
            format!("receipt number {receipt_no} is outside 1..={MAX_SEQ}"),
        );
    }
    bounded(sale)?;
    sale.check().map_err(|err| Refused {
        rule: "sale_unbalanced",
        message: err.to_string(),
    })?;
    let tendered = points_tendered(sale)?;
    let Some(loyalty) = &sale.loyalty else {
        if kind == SaleKind::Sale && tendered != 0 {
            return refuse(
                "redeem_not_tendered",
                format!("{tendered} points tendered on a sale without a member"),
            );
        }
        return Ok(());
    };
    let member = loyalty.member_id.as_str();
    if sale.member_id.as_deref().is_some_and(|m| m != member) {
        return refuse(
            "member_mismatch",
            format!(
                "the sale is for member {:?} but its loyalty record for {member}",
                sale.member_id
            ),
        );
    }
    let key = receipt_key(&known.from.store_id, &known.from.terminal_id, receipt_no);
    let mut seen = Vec::with_capacity(loyalty.transfers.len());
    for t in &loyalty.transfers {
        transfer(kind, &key, member, t)?;
        if seen.contains(&t.id.as_str()) {
            return refuse(
                "transfer_not_derived",
                format!("transfer {} is listed twice", t.id),
            );
        }
        seen.push(t.id.as_str());
    }
    if !loyalty.transfers.is_empty() && !known.members.contains_key(member) {
        return refuse("unknown_member", format!("HQ holds no member {member}"));
    }
    let sum = |f: &dyn Fn(&Transfer) -> bool| -> i64 {
        // Each transfer is within MAX_POINTS, so a sale's few cannot overflow.
        loyalty
            .transfers
            .iter()
            .filter(|t| f(t))
            .map(|t| t.points)
            .sum()
    };
    match kind {
        SaleKind::Sale => {
            let earned = sum(&|t| t.kind == TransferKind::Earn);
            let redeemed = -sum(&|t| t.kind == TransferKind::Redeem);
            let most = most_points(known, sale);
            if earned > most {
                return refuse(
                    "points_not_earned",
                    format!(
                        "the sale earns {earned} points; the programme gives at most {most} for its lines"
                    ),
                );
            }
            if redeemed != tendered.max(0) {
                return refuse(
                    "redeem_not_tendered",
                    format!(
                        "the sale redeems {redeemed} points but its points tenders name {tendered}"
                    ),
                );
            }
            known.sales.insert(
                receipt_no,
                Sold {
                    member_id: Some(member.to_string()),
                    earned,
                    redeemed,
                    ..Sold::default()
                },
            );
        }
        SaleKind::Return => {
            if loyalty.transfers.is_empty() {
                return Ok(());
            }
            let Some(original) = sale.original_receipt else {
                return refuse(
                    "return_without_sale",
                    "a return that moves points names no original receipt",
                );
            };
            let Some(sold) = known.sales.get_mut(&original) else {
                return refuse(
                    "return_without_sale",
                    format!("HQ holds no sale {original} of this terminal"),
                );
            };
            if sold.member_id.as_deref() != Some(member) {
                return refuse(
                    "member_mismatch",
                    format!(
                        "the return moves points of {member}, its sale {original} was for {:?}",
                        sold.member_id
                    ),
                );
            }
            let mut after = sold.clone();
            for t in &loyalty.transfers {
                after.add_return(Some(t.kind), t.points);
            }
            if after.earned_back > sold.earned || after.redeemed_back > sold.redeemed {
                return refuse(
                    "reversal_exceeds_sale",
                    format!(
                        "returns of sale {original} would take back {} of its {} earned points \
                         and give back {} of its {} redeemed",
                        after.earned_back, sold.earned, after.redeemed_back, sold.redeemed
                    ),
                );
            }
            *sold = after;
        }
    }
    Ok(())
}

/// One transfer of the sale: bounded, well-formed, of a kind a till may make, for the
/// sale's member, with the id and source its receipt derives.
fn transfer(kind: SaleKind, key: &str, member: &str, t: &Transfer) -> Result<(), Refused> {
    if !(-MAX_POINTS..=MAX_POINTS).contains(&t.points) {
        return refuse(
            "points_out_of_range",
            format!(
                "transfer {} moves {} points; at most {MAX_POINTS} either way",
                t.id, t.points
            ),
        );
    }
    if !super::sane_time(t.at) || t.expires_at.is_some_and(|x| !super::sane_time(x)) {
        return refuse(
            "bad_time",
            format!("transfer {} is dated outside the years 1970–9999", t.id),
        );
    }
    check_transfer(t).map_err(|err| Refused {
        rule: "transfer_invalid",
        message: err.to_string(),
    })?;
    let n = match (kind, t.kind) {
        (SaleKind::Sale, TransferKind::Earn | TransferKind::Redeem) => 0,
        (SaleKind::Return, TransferKind::Reverse) => u32::from(t.points < 0),
        (SaleKind::Return, TransferKind::Clawback) => 0,
        (_, other) => {
            return refuse(
                "transfer_kind_not_allowed",
                format!("a till's {} makes no {other} transfer", kind.as_str()),
            );
        }
    };
    if t.member_id != member {
        return refuse(
            "member_mismatch",
            format!(
                "transfer {} is for {}, the sale for {member}",
                t.id, t.member_id
            ),
        );
    }
    let id = transfer_id(key, t.kind, n);
    if t.id != id || t.source != key {
        return refuse(
            "transfer_not_derived",
            format!(
                "transfer {} (source {}) must be {id} (source {key}), as this terminal's receipt derives it",
                t.id, t.source
            ),
        );
    }
    Ok(())
}

/// Every amount and quantity within its ceiling, so no sum below can overflow.
fn bounded(sale: &SaleRecord) -> Result<(), Refused> {
    let amount = |what: &str, v: i64| {
        if (-MAX_AMOUNT..=MAX_AMOUNT).contains(&v) {
            Ok(())
        } else {
            refuse(
                "amount_out_of_range",
                format!("{what} {v} is beyond ±{MAX_AMOUNT} minor units"),
            )
        }
    };
    for (what, v) in [
        ("subtotal", sale.subtotal),
        ("discount", sale.discount),
        ("tax", sale.tax),
        ("total", sale.total),
        ("rounding", sale.rounding),
        ("change", sale.change),
    ] {
        amount(what, v)?;
    }
    for l in &sale.lines {
        for (what, v) in [
            ("unit price", l.unit_price),
            ("line amount", l.amount),
            ("line discount", l.discount),
            ("line tax", l.tax),
        ] {
            amount(what, v)?;
        }
        if !(-MAX_QUANTITY_MILLI..=MAX_QUANTITY_MILLI).contains(&l.quantity) {
            return refuse(
                "amount_out_of_range",
                format!(
                    "line {} quantity {} is beyond ±{MAX_QUANTITY_MILLI} thousandths",
                    l.line_no, l.quantity
                ),
            );
        }
    }
    for t in &sale.tenders {
        amount("tender", t.amount)?;
    }
    Ok(())
}

/// Points the sale's points tenders name (a points tender carries them in its
/// reference, as the till writes it).
fn points_tendered(sale: &SaleRecord) -> Result<i64, Refused> {
    let mut total: i64 = 0;
    for t in sale.tenders.iter().filter(|t| t.kind == Tender::Points) {
        let n = t
            .reference
            .as_deref()
            .and_then(|r| r.parse::<i64>().ok())
            .unwrap_or(0);
        total = total
            .checked_add(n)
            .filter(|t| (-MAX_POINTS..=MAX_POINTS).contains(t))
            .ok_or_else(|| Refused {
                rule: "points_out_of_range",
                message: format!("points tenders beyond {MAX_POINTS} points"),
            })?;
    }
    Ok(total)
}

/// The most points the programme gives for the sale's lines (see the module docs).
fn most_points(known: &Known, sale: &SaleRecord) -> i64 {
    let program = &known.program;
    let point_value = i128::from(program.point_value.max(1));
    let paid_with_points: i64 = sale
        .tenders
        .iter()
        .filter(|t| t.kind == Tender::Points)
        .map(|t| t.amount)
        .sum();
    let mut unchecked: i128 = 0;
    let lines: Vec<EarnLine> = sale
        .lines
        .iter()
        .map(|l| {
            let net = l.amount - l.discount;
            let (category, bonus) = match known.products.get(&l.gtin) {
                Some((category, bonus)) => (category.clone(), *bonus),
                None => {
                    if net > 0 {
                        unchecked += i128::from(net) / point_value;
                    }
                    (None, BonusPoints::None)
                }
            };
            EarnLine {
                line_no: l.line_no,
                category,
                net,
                quantity_milli: l.quantity,
                bonus,
            }
        })
        .collect();
    let earned = program.earn(&lines, &known.best_tier, paid_with_points);
    (i128::from(earned.total) + unchecked).clamp(0, i128::from(i64::MAX)) as i64
}
