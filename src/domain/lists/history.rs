//! One member's purchase history as plain data, and the same history grouped per product
//! (distinct purchase days, spend), cut at the moment a list is made for.

use chrono::{DateTime, Utc};

use super::Params;

/// One purchased line: which product (its index in the catalogue), when, and what was paid
/// for it in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Purchase {
    pub product: u32,
    pub at: DateTime<Utc>,
    pub amount: i64,
}

/// A member and everything they bought, in any order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MemberHistory {
    pub member_id: String,
    pub purchases: Vec<Purchase>,
}

/// The purchases of one product by one member before the cut-off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProductGroup {
    pub product: u32,
    /// Range of this product's distinct purchase days in [`PurchaseGroups::days`].
    start: u32,
    len: u32,
    /// Lines bought (several on one day count once in `days` but each here).
    pub lines: u32,
    pub spend: i64,
    /// Spend on the last purchase day alone (above the usual: stocked up).
    pub last_day_spend: i64,
}

/// A member's history before the cut-off, grouped per product.
///
/// Invariant: only purchases strictly before `as_of` are in it; each group's days are
/// distinct and ascending; groups are in product order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PurchaseGroups {
    pub groups: Vec<ProductGroup>,
    days: Vec<i32>,
    /// Distinct days the member shopped, ascending.
    pub trip_days: Vec<i32>,
}

impl ProductGroup {
    /// This product's distinct purchase days, ascending.
    pub fn days<'a>(&self, all: &'a PurchaseGroups) -> &'a [i32] {
        &all.days[self.start as usize..(self.start + self.len) as usize]
    }
}

impl PurchaseGroups {
    /// Groups the purchases made before `as_of`; later ones are left out.
    pub fn build(history: &MemberHistory, as_of: DateTime<Utc>, params: &Params) -> Self {
        let mut lines: Vec<(u32, i32, i64)> = history
            .purchases
            .iter()
            .filter(|p| p.at < as_of)
            .map(|p| (p.product, params.day_of(p.at), p.amount))
            .collect();
        lines.sort_unstable();
        let mut out = PurchaseGroups {
            groups: Vec::new(),
            days: Vec::with_capacity(lines.len()),
            trip_days: lines.iter().map(|l| l.1).collect(),
        };
        out.trip_days.sort_unstable();
        out.trip_days.dedup();
        let mut i = 0;
        while i < lines.len() {
            let product = lines[i].0;
            let start = out.days.len() as u32;
            let mut spend = 0;
            let mut last_day_spend = 0;
            let mut count = 0;
            while i < lines.len() && lines[i].0 == product {
                let day = lines[i].1;
                if out.days.len() as u32 == start || out.days.last() != Some(&day) {
                    out.days.push(day);
                    last_day_spend = 0;
                }
                spend += lines[i].2;
                last_day_spend += lines[i].2;
                count += 1;
                i += 1;
            }
            out.groups.push(ProductGroup {
                product,
                start,
                len: out.days.len() as u32 - start,
                lines: count,
                spend,
                last_day_spend,
            });
        }
        out
    }

    /// The group of a product, if the member bought it.
    pub fn group(&self, product: u32) -> Option<&ProductGroup> {
        self.groups
            .binary_search_by_key(&product, |g| g.product)
            .ok()
            .map(|i| &self.groups[i])
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}
