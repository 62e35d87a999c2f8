//! Offers: what a coupon takes off (its target and value) and the saving it gives on a
//! basket, spread over the matching lines.

use serde::{Deserialize, Serialize};

use crate::domain::gs1::Gtin;
use crate::domain::money::{allocate_minor, div_round_half_away};

use super::validate::{LABEL_MAX, check_text};

/// Which lines an offer applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferTarget {
    /// Lines of this product (compared as GTIN-14, whatever length was scanned).
    Product(Gtin),
    /// Lines of this category (exact match).
    Category(String),
    /// Every line of the basket.
    Basket,
}

/// What an offer takes off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferValue {
    /// A fixed amount in minor units, off the matching lines together.
    AmountOff(i64),
    /// A share of the matching lines' net amount, in basis points (1000 = 10%).
    PercentOff(u32),
}

/// The discount a coupon gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offer {
    pub target: OfferTarget,
    pub value: OfferValue,
    /// Least spend, in minor units, for the offer to apply: on the matching lines for a
    /// product or category target, on the whole basket for a basket target.
    pub min_spend: i64,
    /// Largest discount in minor units, if capped.
    pub max_discount: Option<i64>,
}

/// One basket line as an offer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferLine {
    pub line_no: u32,
    pub gtin: Gtin,
    pub category: Option<String>,
    /// What the line costs after promotions and manual discounts, in minor units.
    pub net: i64,
    /// Quantity in thousandths (1 item is 1000).
    pub quantity_milli: i64,
}

/// What an offer saves on a basket, and on which lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferSaving {
    /// The whole discount in minor units; always above zero.
    pub total: i64,
    /// `(line_no, part)` for each matching line that takes a non-zero part, in basket order;
    /// the parts add up to `total` and none exceeds its line's net.
    pub per_line: Vec<(u32, i64)>,
}

impl Offer {
    pub(super) fn validate(&self) -> Result<(), String> {
        match &self.target {
            OfferTarget::Product(_) | OfferTarget::Basket => {}
            OfferTarget::Category(category) => check_text("category", category, 1, LABEL_MAX)?,
        }
        match self.value {
            OfferValue::AmountOff(amount) if amount <= 0 => {
                return Err("the amount off must be above zero".into());
            }
            OfferValue::PercentOff(bp) if bp == 0 || bp > 10_000 => {
                return Err(
                    "the percent off must be within 0.01–100% (1–10000 basis points)".into(),
                );
            }
            _ => {}
        }
        if self.min_spend < 0 {
            return Err("the minimum spend must not be negative".into());
        }
        if matches!(self.max_discount, Some(cap) if cap <= 0) {
            return Err("the discount cap must be above zero".into());
        }
        Ok(())
    }

    /// Whether the offer's target covers this line (whatever its amount).
    pub fn matches(&self, line: &OfferLine) -> bool {
        match &self.target {
            OfferTarget::Product(gtin) => line.gtin.value() == gtin.value(),
            OfferTarget::Category(category) => line.category.as_deref() == Some(category.as_str()),
            OfferTarget::Basket => true,
        }
    }

    /// What this offer saves on `lines`, or `None` if it gives nothing: no line matches, the
    /// minimum spend is not met, or the discount rounds to zero.
    ///
    /// Only lines with a positive net and quantity take part (a returned or fully discounted
    /// line gets nothing). A percentage is rounded half away from zero on the matching net.
    /// The discount is capped by `max_discount` and by the matching net, then spread over the
    /// matching lines in proportion to their nets by largest remainder, so the parts add up
    /// exactly and no line goes below zero.
    pub fn saving(&self, lines: &[OfferLine]) -> Option<OfferSaving> {
        let matching: Vec<&OfferLine> = lines
            .iter()
            .filter(|l| l.net > 0 && l.quantity_milli > 0 && self.matches(l))
            .collect();
        if matching.is_empty() {
            return None;
        }
        let matching_net: i128 = matching.iter().map(|l| i128::from(l.net)).sum();
        let spend = match self.target {
            OfferTarget::Basket => lines.iter().map(|l| i128::from(l.net)).sum(),
            _ => matching_net,
        };
        if spend < i128::from(self.min_spend) {
            return None;
        }
        let raw = match self.value {
            OfferValue::AmountOff(amount) => i128::from(amount),
            OfferValue::PercentOff(bp) => {
                div_round_half_away(matching_net * i128::from(bp.min(10_000)), 10_000)
            }
        };
        let mut total = raw.min(matching_net);
        if let Some(cap) = self.max_discount {
            total = total.min(i128::from(cap));
        }
        if total <= 0 {
            return None;
        }
        // Above i64 only for a huge uncapped percentage; the clamp keeps it below the net.
        let total = i64::try_from(total).unwrap_or(i64::MAX);
        let weights: Vec<i64> = matching.iter().map(|l| l.net).collect();
        let per_line = matching
            .iter()
            .zip(allocate_minor(total, &weights))
            .filter(|(_, part)| *part != 0)
            .map(|(line, part)| (line.line_no, part))
            .collect();
        Some(OfferSaving { total, per_line })
    }
}
