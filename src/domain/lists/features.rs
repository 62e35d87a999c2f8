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
}

/// Computes the features of one product group. `today` is the cut-off as a fractional day
/// number; `population_interval` the product's population interval in days.
pub fn features(
    group: &ProductGroup,
    all: &PurchaseGroups,
    today: f64,
    population_interval: f64,
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
    }
}

/// The member's median gap shrunk towards the population interval by `k` pseudo-gaps.
pub fn shrunk_interval(own_median: Option<f64>, gaps: usize, population: f64, k: f64) -> f64 {
    match own_median {
        Some(m) if gaps > 0 => (gaps as f64 * m + k * population) / (gaps as f64 + k),
        _ => population,
    }
}
