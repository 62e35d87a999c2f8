//! A completed sale or return as the till records it, HQ reads it and the journal hashes
//! it: [`SaleRecord`] with its [`SaleLine`]s, [`TenderLine`]s and, for a member,
//! [`LoyaltyRecord`]. [`SaleRecord::check`] holds its invariants (lines add up to the
//! header; tenders less change pay the rounded total) wherever a record is written or read.
//! Also the counter's [`Complaint`], which travels to HQ the same way.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::loyalty::{Reversal, SaleLoyalty, Transfer};

/// Why a sale record does not add up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the sale does not add up: {0}")]
pub struct Unbalanced(pub String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SaleKind {
    Sale,
    Return,
}

impl SaleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SaleKind::Sale => "sale",
            SaleKind::Return => "return",
        }
    }
}

/// One sold (or returned) line, amounts in minor units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleLine {
    pub line_no: u32,
    pub gtin: u64,
    pub name: String,
    /// Thousandths of a unit.
    pub quantity: i64,
    pub unit_price: i64,
    /// Before discounts.
    pub amount: i64,
    pub discount: i64,
    pub tax_bp: u32,
    pub tax: i64,
    /// For a return: the line of the original sale this refunds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// The promotions that make up part of `discount`, for the receipt.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub promotions: Vec<LinePromotion>,
}

/// A promotion's saving on one line (positive, minor units).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinePromotion {
    pub id: String,
    pub name: String,
    pub amount: i64,
}

/// How a tender paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tender {
    Cash,
    Card,
    Voucher,
    Points,
}

impl Tender {
    /// Every tender, in the order reports list them.
    pub const ALL: [Tender; 4] = [Tender::Cash, Tender::Card, Tender::Voucher, Tender::Points];

    /// The tender's name in records, reports and the headless interface.
    pub const fn as_str(self) -> &'static str {
        match self {
            Tender::Cash => "cash",
            Tender::Card => "card",
            Tender::Voucher => "voucher",
            Tender::Points => "points",
        }
    }

    /// The tender named `name`, if it is one.
    pub fn parse(name: &str) -> Option<Tender> {
        Tender::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// Only cash gives change and is rounded to the store's cash step.
    pub fn is_cash(self) -> bool {
        self == Tender::Cash
    }
}

impl std::fmt::Display for Tender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One tender line of a sale: how and how much, and a card payment's reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenderLine {
    pub kind: Tender,
    pub amount: i64,
    pub reference: Option<String>,
}

/// Everything a completed sale or return records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleRecord {
    pub kind: SaleKind,
    pub operator_id: String,
    pub member_id: Option<String>,
    pub currency: String,
    pub lines: Vec<SaleLine>,
    pub tenders: Vec<TenderLine>,
    pub subtotal: i64,
    pub discount: i64,
    pub tax: i64,
    /// What the customer owes: subtotal − discount (+ tax in exclusive mode).
    pub total: i64,
    /// Cash rounding applied to the total (e.g. −0.03 to reach a 0.10 step).
    pub rounding: i64,
    pub change: i64,
    /// For a return: the receipt number of the sale it refunds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_receipt: Option<u64>,
    /// The shift the sale belongs to, for X/Z reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shift_id: Option<i64>,
    /// What the sale did for its member: points, coupons, shopping list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loyalty: Option<LoyaltyRecord>,
    /// The customer's age, confirmed for the sale's age-restricted goods (sales only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_check: Option<AgeCheck>,
}

/// A cashier's confirmation of the customer's age: who confirmed it, and when. One
/// confirmation covers every age-restricted item of its sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgeCheck {
    pub operator_id: String,
    pub at: DateTime<Utc>,
}

impl SaleRecord {
    /// Checks that the record is consistent before anything is written: lines add up to
    /// the subtotal and discount, and the tenders less change pay the rounded total.
    pub fn check(&self) -> Result<(), Unbalanced> {
        let unbalanced = |m: String| Err(Unbalanced(m));
        if self.lines.is_empty() {
            return unbalanced("no lines".into());
        }
        // Checked sums: a record from elsewhere (HQ reads tills' events) may carry any
        // number, and one that overflows does not add up.
        fn sum(mut values: impl Iterator<Item = i64>) -> Option<i64> {
            values.try_fold(0i64, |acc, v| acc.checked_add(v))
        }
        let overflow = || unbalanced("amounts beyond what can be added up".into());
        let (Some(amounts), Some(discounts), Some(taxes), Some(paid)) = (
            sum(self.lines.iter().map(|l| l.amount)),
            sum(self.lines.iter().map(|l| l.discount)),
            sum(self.lines.iter().map(|l| l.tax)),
            sum(self.tenders.iter().map(|t| t.amount)),
        ) else {
            return overflow();
        };
        if amounts != self.subtotal || discounts != self.discount || taxes != self.tax {
            return unbalanced(format!(
                "lines give subtotal {amounts}, discount {discounts}, tax {taxes}; header says {}, {}, {}",
                self.subtotal, self.discount, self.tax
            ));
        }
        let (Some(received), Some(due)) = (
            paid.checked_sub(self.change),
            self.total.checked_add(self.rounding),
        ) else {
            return overflow();
        };
        if received != due {
            return unbalanced(format!(
                "tenders {paid} less change {} do not pay total {} with rounding {}",
                self.change, self.total, self.rounding
            ));
        }
        Ok(())
    }
}

/// A personalised coupon redeemed on a sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponUse {
    pub coupon_id: String,
    pub title: String,
    /// What it saved (minor units, positive).
    pub amount: i64,
}

/// What a sale or return did for its member, recorded with it (and in its journal entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoyaltyRecord {
    pub member_id: String,
    /// The card presented, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<String>,
    pub name: String,
    pub tier: String,
    /// Points earned by the sale (negative: taken back by a return).
    pub earned: i64,
    /// Points paid with (negative: given back by a return).
    pub redeemed: i64,
    /// The member's balance as the till saw it before and after.
    pub balance_before: i64,
    pub balance_after: i64,
    /// Per line, for proportional reversal on returns (sales only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sale: Option<SaleLoyalty>,
    /// What a return moved (returns only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reversal: Option<Reversal>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coupons: Vec<CouponUse>,
    /// The shopping list scanned for the sale, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_id: Option<String>,
    /// The ledger transfers this sale or return makes.
    #[serde(default)]
    pub transfers: Vec<Transfer>,
    /// Points a return could not take back because the member had spent them (kept under
    /// the `cap_at_zero` clawback policy so the loss shows in reports).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub uncollected: i64,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// Pays `refund` (positive, minor units) back for a sale paid with `original`: to its card
/// and voucher tenders first, each up to what it paid, then the rest in cash. Points are
/// given back as points, not money, so they take no part. Amounts are negative, as money
/// leaves the till.
pub fn refund_tenders(original: &[TenderLine], refund: i64) -> Vec<TenderLine> {
    debug_assert!(refund >= 0, "a refund is positive: {refund}");
    let mut left = refund;
    let mut out = Vec::new();
    for t in original
        .iter()
        .filter(|t| !matches!(t.kind, Tender::Cash | Tender::Points))
    {
        let part = left.min(t.amount);
        if part > 0 {
            out.push(TenderLine {
                kind: t.kind,
                amount: -part,
                reference: t.reference.clone(),
            });
            left -= part;
        }
    }
    if left > 0 || out.is_empty() {
        out.push(TenderLine {
            kind: Tender::Cash,
            amount: -left,
            reference: None,
        });
    }
    // The refund is paid exactly, and no tender gives back more than it took.
    debug_assert_eq!(out.iter().map(|t| t.amount).sum::<i64>(), -refund);
    debug_assert!(out.iter().all(|r| {
        r.kind.is_cash()
            || original
                .iter()
                .any(|t| t.kind == r.kind && t.reference == r.reference && -r.amount <= t.amount)
    }));
    out
}

/// A complaint or piece of feedback taken at the counter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Complaint {
    #[serde(default)]
    pub id: i64,
    pub member_id: Option<String>,
    /// `counter`, `phone`, `email`, `app`, …
    pub channel: String,
    pub content: String,
    pub handling: Option<String>,
    pub outcome: Option<String>,
    /// 1 (very unhappy) to 5 (very happy), when the member said.
    pub satisfaction: Option<u8>,
    /// `open` until an outcome is recorded.
    pub status: String,
    pub at: String,
    pub operator_id: String,
}

/// A synthetic but balanced sale of `lines` lines, for benchmarks and crash tests.
pub fn sample_sale(lines: usize, seed: u64) -> SaleRecord {
    let lines: Vec<SaleLine> = (0..lines)
        .map(|i| {
            let amount = 100 + ((seed + i as u64) * 37 % 5000) as i64;
            SaleLine {
                line_no: i as u32 + 1,
                gtin: 6_901_234_567_892,
                name: format!("Item {i}"),
                quantity: 1000,
                unit_price: amount,
                amount,
                discount: 0,
                tax_bp: 1300,
                tax: amount * 1300 / 11300,
                original_line: None,
                department: None,
                promotions: Vec::new(),
            }
        })
        .collect();
    let subtotal = lines.iter().map(|l| l.amount).sum();
    let tax = lines.iter().map(|l| l.tax).sum();
    SaleRecord {
        kind: SaleKind::Sale,
        operator_id: "1001".into(),
        member_id: None,
        currency: "CNY".into(),
        lines,
        tenders: vec![TenderLine {
            kind: Tender::Cash,
            amount: subtotal + 1000,
            reference: None,
        }],
        subtotal,
        discount: 0,
        tax,
        total: subtotal,
        rounding: 0,
        change: 1000,
        original_receipt: None,
        shift_id: None,
        loyalty: None,
        age_check: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tender(kind: Tender, amount: i64, reference: Option<&str>) -> TenderLine {
        TenderLine {
            kind,
            amount,
            reference: reference.map(str::to_string),
        }
    }

    #[test]
    fn a_refund_goes_back_to_the_card_first_then_in_cash() {
        let paid = [
            tender(Tender::Points, 500, None),
            tender(Tender::Card, 3000, Some("A1")),
            tender(Tender::Cash, 2000, None),
        ];
        // Within what the card paid: all to the card, under its reference.
        assert_eq!(
            refund_tenders(&paid, 1200),
            [tender(Tender::Card, -1200, Some("A1"))]
        );
        // Beyond it: the card's whole part, then cash; points take no part.
        assert_eq!(
            refund_tenders(&paid, 4000),
            [
                tender(Tender::Card, -3000, Some("A1")),
                tender(Tender::Cash, -1000, None)
            ]
        );
        // A cash sale is refunded in cash, a zero refund as one zero cash line.
        let cash = [tender(Tender::Cash, 2000, None)];
        assert_eq!(
            refund_tenders(&cash, 700),
            [tender(Tender::Cash, -700, None)]
        );
        assert_eq!(refund_tenders(&cash, 0), [tender(Tender::Cash, 0, None)]);
    }

    #[test]
    fn a_record_that_does_not_add_up_is_refused() {
        let mut sale = sample_sale(3, 1);
        assert_eq!(sale.check(), Ok(()));
        sale.lines[1].tax += 1;
        assert!(sale.check().is_err());
        let mut sale = sample_sale(3, 1);
        sale.change -= 1;
        assert!(sale.check().is_err());
    }
}
