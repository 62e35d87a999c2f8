//! Per product, what a member's own history says: how often they bought it, how recently
//! (a time-decayed frequency), their own repurchase interval and when it is next due.
//!
//! The interval is the median gap between distinct purchase days (robust to the odd
//! stock-up or holiday), shrunk towards the product's population interval when the member
//! has few gaps: with `g` gaps of median `m` and population interval `P`, it is
//! `(g·m + k·P) / (g + k)` with `k` = [`super::Scoring::interval_shrinkage`]. One purchase
//! gives no gap at all, so the population interval stands alone.

use super::Scoring;
use super::history::{ProductGroup, PurchaseGroups};
use super::population::median_sorted;

/// What the member's history says about one product, as of the cut-off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProductFeatures {
    pub product: u32,
    /// Distinct days the member bought it.
    pub purchase_days: u32,
    /// Sum over purchase days of `0.5^(age / half-life)`, short and long half-life.
    pub recent_frequency: f64,
    pub steady_frequency: f64,
    /// Whole days from the last purchase day to the cut-off day.
    pub days_since_last: i32,
    /// The member's own median gap, if they bought it on two days or more.
    pub own_interval: Option<f64>,
    /// The estimated repurchase interval in days (see the module doc).
    pub interval: f64,
    /// Days from the cut-off until it is due again (negative: overdue).
    pub due_in: f64,
    pub spend: i64,
    /// Whole days from the first purchase day to the cut-off day.
    pub days_since_first: i32,
    /// Purchase lines per purchase day (above 1: several packs or variants at once).
    pub lines_per_day: f64,
    /// Distinct days the member bought anything of the product's category (its own
    /// purchase days when it has no category).
    pub category_days: u32,
    /// Whole days since the member last bought anything of the product's category.
    pub category_days_since_last: i32,
    /// Shopping days of the member from the first purchase of the product on, and the
    /// ones after its last purchase.
    pub trips_since_first: u32,
    pub trips_since_last: u32,
}

/// Per category, the days the member bought anything of it: when last and on how many
/// distinct days. A product bought less often than its category is one of several the
/// member switches between; a category bought just now lowers its other products.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CategoryDays {
    /// (category, last day, distinct days), in category order.
    entries: Vec<(u32, i32, u32)>,
}

impl CategoryDays {
    /// Gathers the member's category days from their grouped history.
    pub fn build(all: &PurchaseGroups, category_of: &[Option<u32>]) -> CategoryDays {
        let mut pairs: Vec<(u32, i32)> = Vec::new();
        for g in &all.groups {
            if let Some(c) = category_of.get(g.product as usize).copied().flatten() {
                pairs.extend(g.days(all).iter().map(|&d| (c, d)));
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        let mut entries: Vec<(u32, i32, u32)> = Vec::new();
        for (c, d) in pairs {
            match entries.last_mut() {
                Some(e) if e.0 == c => {
                    e.1 = d;
                    e.2 += 1;
                }
                _ => entries.push((c, d, 1)),
            }
        }
        CategoryDays { entries }
    }

    /// The last day and the distinct days of a category, if the member bought in it.
    pub fn get(&self, category: u32) -> Option<(i32, u32)> {
        self.entries
            .binary_search_by_key(&category, |e| e.0)
            .ok()
            .map(|i| (self.entries[i].1, self.entries[i].2))
    }
}

/// Computes the features of one product group. `today` is the cut-off as a fractional day
/// number; `population_interval` the product's population interval in days; `category`
/// the last day and distinct days of the product's category in the member's history.
pub fn features(
    group: &ProductGroup,
    all: &PurchaseGroups,
    today: f64,
    population_interval: f64,
    category: Option<(i32, u32)>,
    scoring: &Scoring,
) -> ProductFeatures {
    let days = group.days(all);
    let last = *days.last().expect("a group has at least one day");
    let decay = |half_life: f64| -> f64 {
        days.iter()
            .map(|&d| (-(today - f64::from(d)).max(0.0) * std::f64::consts::LN_2 / half_life).exp())
            .sum()
    };
    let gaps = {
        let mut g: Vec<i32> = days.windows(2).map(|w| w[1] - w[0]).collect();
        g.sort_unstable();
        g
    };
    let own_interval = median_sorted(&gaps);
    let interval = shrunk_interval(
        own_interval,
        gaps.len(),
        population_interval,
        scoring.interval_shrinkage,
    );
    let days_since_last = (today.floor() as i32 - last).max(0);
    let (category_last, category_days) = category.unwrap_or((last, days.len() as u32));
    ProductFeatures {
        product: group.product,
        purchase_days: days.len() as u32,
        recent_frequency: decay(scoring.recent_half_life),
        steady_frequency: decay(scoring.steady_half_life),
        days_since_last,
        own_interval,
        interval,
        due_in: f64::from(last) + interval - today.floor(),
        spend: group.spend,
        days_since_first: (today.floor() as i32 - days[0]).max(0),
        lines_per_day: f64::from(group.lines) / days.len() as f64,
        category_days: category_days.max(days.len() as u32),
        category_days_since_last: (today.floor() as i32 - category_last.max(last)).max(0),
        trips_since_first: (all.trip_days.len() - all.trip_days.partition_point(|&d| d < days[0]))
            as u32,
        trips_since_last: (all.trip_days.len() - all.trip_days.partition_point(|&d| d <= last))
            as u32,
    }
}

/// The member's median gap shrunk towards the population interval by `k` pseudo-gaps.
pub fn shrunk_interval(own_median: Option<f64>, gaps: usize, population: f64, k: f64) -> f64 {
    match own_median {
        Some(m) if gaps > 0 => (gaps as f64 * m + k * population) / (gaps as f64 + k),
        _ => population,
    }
}
