//! Deals (manufacturer- or store-funded discounts with a budget and target segments)
//! matched to members' lists, their value scaled to the member, and budgets kept.
//!
//! - A deal applies to a member when its period overlaps the list's, its target is on the
//!   list (the product, or a product of the category), and the member's segment in that
//!   category is one the deal targets (no targets: every segment).
//! - A "switch to store brand" deal targets a store-brand product; it goes to members who
//!   are national-brand loyal heavy users of its category, have a national product of it
//!   on their list and have never bought the store brand product.
//! - The value is the deal's full value scaled by the segment ([`Segment::value_percent`]):
//!   loyal heavy users get it all, light users half.
//! - Each coupon reserves its largest possible discount (the amount off, or the cap of a
//!   percentage) from the deal's budget. Members are served best first (segment value,
//!   then recent weekly spend), and a coupon the rest of the budget cannot cover is not
//!   made, so the coupons of a deal never promise more than its budget.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::history::PurchaseGroups;
use super::segments::{BrandLoyalty, Segment, Usage};
use crate::domain::coupon::OfferValue;

/// Who pays for a deal's discounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Funding {
    /// A manufacturer, by name or id.
    Manufacturer(String),
    Store,
}

impl Funding {
    /// As a coupon records it: the manufacturer, or `store`.
    pub fn funded_by(&self) -> String {
        match self {
            Funding::Manufacturer(m) => m.clone(),
            Funding::Store => "store".into(),
        }
    }
}

/// What a deal discounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DealTarget {
    /// One product (catalogue index).
    Product(u32),
    /// Every product of a category (by name).
    Category(String),
}

/// One deal of the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deal {
    pub id: String,
    /// Printed on the coupon.
    pub title: String,
    pub funding: Funding,
    pub target: DealTarget,
    /// The full value, for the most valuable members.
    pub value: OfferValue,
    /// Largest discount of one coupon at full value (required for a percentage, so its
    /// cost to the budget is known).
    pub max_discount: Option<i64>,
    /// Least spend on the target for the coupon to apply, minor units.
    pub min_spend: i64,
    /// Most the deal's coupons may promise together, minor units.
    pub budget: i64,
    /// Segments it is for; empty: all.
    pub segments: Vec<Segment>,
    pub valid_from: DateTime<Utc>,
    /// Exclusive end.
    pub valid_until: DateTime<Utc>,
    /// Offer the (store-brand) target to national-brand loyal heavy users instead.
    pub switch_to_store_brand: bool,
}

impl Deal {
    /// What must hold for the deal to be used.
    pub fn validate(&self) -> Result<(), String> {
        if self.id.trim().is_empty() {
            return Err("the deal id is empty".into());
        }
        if self.title.trim().is_empty() {
            return Err("the title is empty".into());
        }
        match self.value {
            OfferValue::AmountOff(a) if a <= 0 => {
                return Err("the amount off must be above zero".into());
            }
            OfferValue::PercentOff(bp) if bp == 0 || bp > 10_000 => {
                return Err("the percent off must be above 0 and at most 100".into());
            }
            OfferValue::PercentOff(_) if self.max_discount.is_none() => {
                return Err(
                    "a percentage needs a max_discount, so its cost to the budget is known".into(),
                );
            }
            _ => {}
        }
        if matches!(self.max_discount, Some(m) if m <= 0) {
            return Err("max_discount must be above zero".into());
        }
        if self.budget < 0 || self.min_spend < 0 {
            return Err("budget and min_spend must not be negative".into());
        }
        if self.valid_until <= self.valid_from {
            return Err("valid_until must be after valid_from".into());
        }
        if self.switch_to_store_brand && !matches!(self.target, DealTarget::Product(_)) {
            return Err("a switch to store brand targets one store-brand product".into());
        }
        Ok(())
    }

    /// Whether the deal may go to a member of this segment.
    pub fn targets(&self, segment: Segment) -> bool {
        if self.switch_to_store_brand
            && (segment.loyalty != BrandLoyalty::National || segment.usage != Usage::High)
        {
            return false;
        }
        self.segments.is_empty() || self.segments.contains(&segment)
    }

    /// The offer at this segment's share of the full value, and what it reserves from the
    /// budget. Amounts and caps are rounded down to whole minor units and percentages to
    /// whole percent, never below one unit.
    pub fn scaled(&self, segment: Segment) -> (OfferValue, Option<i64>, i64) {
        let pct = segment.value_percent();
        let scale = |minor: i64| (minor * pct / 100).max(1);
        let value = match self.value {
            OfferValue::AmountOff(a) => OfferValue::AmountOff(scale(a)),
            OfferValue::PercentOff(bp) => {
                let scaled = i64::from(bp) * pct / 100;
                OfferValue::PercentOff(((scaled / 100) * 100).max(100).min(i64::from(bp)) as u32)
            }
        };
        let cap = self.max_discount.map(scale);
        let liability = match (value, cap) {
            (OfferValue::AmountOff(a), Some(c)) => a.min(c),
            (OfferValue::AmountOff(a), None) => a,
            (OfferValue::PercentOff(_), Some(c)) => c,
            // Refused by `validate`; reserve nothing would break the budget, so reserve all.
            (OfferValue::PercentOff(_), None) => i64::MAX,
        };
        (value, cap, liability)
    }
}

/// A deal a member could get, before budgets are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Index of the member (in the caller's order).
    pub member: usize,
    /// Index of the deal in the feed.
    pub deal: usize,
    pub segment: Segment,
    /// The member's recent weekly spend, to serve the better customer first.
    pub weekly_spend: i64,
    /// The product the coupon is for when it is a switch (the store brand), else the
    /// deal's own target product, if any.
    pub product: Option<u32>,
    /// For a switch: the national product on the list it stands in for.
    pub instead_of: Option<u32>,
}

/// An offer granted to a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedOffer {
    pub deal: usize,
    pub segment: Segment,
    pub value: OfferValue,
    pub max_discount: Option<i64>,
    /// What it reserved from the deal's budget, minor units.
    pub reserved: i64,
    pub product: Option<u32>,
    pub instead_of: Option<u32>,
}

/// Grants candidates best first within each deal's budget and at most `max_offers` per
/// member; returns the offers per member (indexed like the members) and what is left of
/// each budget.
///
/// Invariant (tested as a property): for every deal, the reservations granted add up to
/// at most its budget, and no member gets two offers of one deal.
pub fn allocate(
    deals: &[Deal],
    mut candidates: Vec<Candidate>,
    members: usize,
    max_offers: usize,
) -> (Vec<Vec<PlannedOffer>>, Vec<i64>) {
    candidates.sort_by(|a, b| {
        b.segment
            .value_percent()
            .cmp(&a.segment.value_percent())
            .then(b.weekly_spend.cmp(&a.weekly_spend))
            .then(a.member.cmp(&b.member))
            .then(a.deal.cmp(&b.deal))
    });
    let mut left: Vec<i64> = deals.iter().map(|d| d.budget.max(0)).collect();
    let mut granted: Vec<Vec<PlannedOffer>> = vec![Vec::new(); members];
    for c in candidates {
        let offers = &mut granted[c.member];
        if offers.len() >= max_offers || offers.iter().any(|o| o.deal == c.deal) {
            continue;
        }
        let deal = &deals[c.deal];
        let (value, max_discount, reserved) = deal.scaled(c.segment);
        if reserved > left[c.deal] {
            continue;
        }
        left[c.deal] -= reserved;
        offers.push(PlannedOffer {
            deal: c.deal,
            segment: c.segment,
            value,
            max_discount,
            reserved,
            product: c.product,
            instead_of: c.instead_of,
        });
    }
    (granted, left)
}

/// Whether the deal's validity overlaps `[from, until)`.
pub fn overlaps(deal: &Deal, from: DateTime<Utc>, until: DateTime<Utc>) -> bool {
    deal.valid_from < until && deal.valid_until > from
}

/// How much a coupon covering `products` is worth to a member: what they spent on those
/// products before the cut-off (minor units). Redemption follows long-run spend rather
/// than recent purchases: a coupon is used where the member's own money already goes.
pub fn coupon_affinity(groups: &PurchaseGroups, products: &[u32]) -> i64 {
    let mut products = products.to_vec();
    products.sort_unstable();
    products.dedup();
    products
        .iter()
        .filter_map(|&p| groups.group(p))
        .map(|g| g.spend)
        .sum()
}
