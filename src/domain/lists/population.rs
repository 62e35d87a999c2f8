//! What all members' histories say together, as of the cut-off: for each product how
//! often a purchase of it is a repeat purchase and its usual repurchase interval; for each
//! category the spend that separates low, mid and high users; the best-selling products.
//!
//! A member's own history is thin for most products (one or two purchases), so the
//! ranking leans on these population figures where the member's own say little.

use std::collections::HashMap;

use super::ProductInfo;
use super::history::PurchaseGroups;
use super::segments::{self, CategoryUse};

/// Population interval used for a product with too few observed repurchases, in days
/// (the median gap between repurchases of the same product in the Complete Journey).
pub const DEFAULT_INTERVAL_DAYS: f64 = 25.0;
/// Gaps a product needs before its own median replaces the overall one.
const MIN_GAPS_FOR_INTERVAL: usize = 3;
/// Pseudo-occasions of the overall repeat share mixed into each product's own share, so a
/// product bought twice by one member does not look like a staple.
const REPEAT_PRIOR_WEIGHT: f64 = 5.0;
/// Days of recent sales the trend compares with the long-run rate.
pub const TREND_DAYS: i32 = 14;
/// Best sellers kept, for filling short lists and the global baseline.
const TOP_SELLERS: usize = 100;

/// Population figures as of one cut-off.
#[derive(Debug, Clone, PartialEq)]
pub struct Population {
    /// Per product (catalogue index): the smoothed share of its purchase days that were
    /// repeat purchases by the same member, in (0, 1).
    pub repeat_share: Vec<f64>,
    /// Per product: the smoothed share of its purchase days followed by another purchase
    /// of it by the same member within the list period, in (0, 1).
    pub quick_repeat_share: Vec<f64>,
    /// Per product: the median gap in days between a member's purchase days of it.
    pub interval_days: Vec<f64>,
    /// Per product: how many members bought it.
    pub buyers: Vec<u32>,
    /// Per product: the log-ratio of its purchase days in the last [`TREND_DAYS`] to what
    /// its average over the whole history gives for as many days (seasonal products rise
    /// before their season: turkeys before Thanksgiving).
    pub trend: Vec<f64>,
    /// Per product: what a purchase line of it costs on average, in minor units.
    pub line_amount: Vec<f64>,
    /// Products by number of buyers, most first (at most [`TOP_SELLERS`]).
    pub top_sellers: Vec<u32>,
    /// Products by purchase days in the last [`TREND_DAYS`], most first (at most
    /// [`TOP_SELLERS`]): what is selling now.
    pub selling_now: Vec<u32>,
    /// Per product: whether the store's catalogue holds it (only those are listed).
    pub stocked: Vec<bool>,
    /// Category index of each product (into `categories`).
    pub category_of: Vec<Option<u32>>,
    pub categories: Vec<String>,
    /// Per category: weekly spend (minor units) above which a buyer is a mid user, and
    /// above which a high user (see [`segments::usage_thresholds`]).
    pub usage_thresholds: Vec<(i64, i64)>,
}

impl Population {
    /// Builds the figures from every member's grouped history (already cut at `as_of`)
    /// and their category use over the segment window.
    pub fn build(
        catalogue: &[ProductInfo],
        groups: &[PurchaseGroups],
        category_use: &[Vec<CategoryUse>],
        today: i32,
        period_days: u32,
    ) -> Population {
        let n = catalogue.len();
        let (category_of, categories) = category_index(catalogue);
        let mut occasions = vec![0u32; n];
        let mut buyers = vec![0u32; n];
        let mut recent = vec![0u32; n];
        let mut spend = vec![0i64; n];
        let mut lines = vec![0u64; n];
        let mut gaps: Vec<(u32, i32)> = Vec::new();
        let mut first_day = today;
        for member in groups {
            if let Some(&first) = member.trip_days.first() {
                first_day = first_day.min(first);
            }
            for g in &member.groups {
                let days = g.days(member);
                let p = g.product as usize;
                occasions[p] += days.len() as u32;
                buyers[p] += 1;
                spend[p] += g.spend;
                lines[p] += u64::from(g.lines);
                recent[p] += days.iter().filter(|&&d| d >= today - TREND_DAYS).count() as u32;
                gaps.extend(days.windows(2).map(|w| (g.product, w[1] - w[0])));
            }
        }
        let total_occasions: u64 = occasions.iter().map(|&o| u64::from(o)).sum();
        let total_buyers: u64 = buyers.iter().map(|&b| u64::from(b)).sum();
        let prior = if total_occasions == 0 {
            0.4
        } else {
            ((total_occasions - total_buyers) as f64 / total_occasions as f64).clamp(0.01, 0.99)
        };
        let repeat_share = (0..n)
            .map(|p| {
                let repeats = f64::from(occasions[p] - buyers[p]);
                (repeats + REPEAT_PRIOR_WEIGHT * prior)
                    / (f64::from(occasions[p]) + REPEAT_PRIOR_WEIGHT)
            })
            .collect();

        let span = f64::from((today - first_day).max(TREND_DAYS));
        let trend = (0..n)
            .map(|p| {
                let expected = f64::from(occasions[p]) * f64::from(TREND_DAYS) / span;
                ((f64::from(recent[p]) + 1.0) / (expected + 1.0)).ln()
            })
            .collect();
        let mut quick = vec![0u32; n];
        for &(p, gap) in &gaps {
            if gap <= period_days as i32 {
                quick[p as usize] += 1;
            }
        }
        let quick_total: u64 = quick.iter().map(|&q| u64::from(q)).sum();
        let quick_prior = if total_occasions == 0 {
            0.2
        } else {
            (quick_total as f64 / total_occasions as f64).clamp(0.01, 0.99)
        };
        let quick_repeat_share = (0..n)
            .map(|p| {
                (f64::from(quick[p]) + REPEAT_PRIOR_WEIGHT * quick_prior)
                    / (f64::from(occasions[p]) + REPEAT_PRIOR_WEIGHT)
            })
            .collect();
        gaps.sort_unstable();
        let overall = median_sorted(&{
            let mut all: Vec<i32> = gaps.iter().map(|g| g.1).collect();
            all.sort_unstable();
            all
        })
        .unwrap_or(DEFAULT_INTERVAL_DAYS);
        let mut interval_days = vec![overall; n];
        for chunk in gaps.chunk_by(|a, b| a.0 == b.0) {
            if chunk.len() >= MIN_GAPS_FOR_INTERVAL {
                let values: Vec<i32> = chunk.iter().map(|g| g.1).collect();
                interval_days[chunk[0].0 as usize] = median_sorted(&values).unwrap_or(overall);
            }
        }

        let stocked: Vec<bool> = catalogue.iter().map(|p| p.stocked).collect();
        let mut ranked: Vec<u32> = (0..n as u32)
            .filter(|&p| buyers[p as usize] > 0 && stocked[p as usize])
            .collect();
        ranked.sort_by_key(|&p| (std::cmp::Reverse(buyers[p as usize]), p));
        ranked.truncate(TOP_SELLERS);
        let mut now: Vec<u32> = (0..n as u32)
            .filter(|&p| recent[p as usize] > 0 && stocked[p as usize])
            .collect();
        now.sort_by_key(|&p| (std::cmp::Reverse(recent[p as usize]), p));
        now.truncate(TOP_SELLERS);

        let mut spends: Vec<Vec<i64>> = vec![Vec::new(); categories.len()];
        for member in category_use {
            for u in member {
                spends[u.category as usize].push(u.weekly_spend);
            }
        }
        let usage_thresholds = spends
            .iter_mut()
            .map(|s| segments::usage_thresholds(s))
            .collect();
        let line_amount = spend
            .iter()
            .zip(&lines)
            .map(|(&s, &l)| if l == 0 { 0.0 } else { s as f64 / l as f64 })
            .collect();
        Population {
            line_amount,
            repeat_share,
            quick_repeat_share,
            interval_days,
            buyers,
            trend,
            top_sellers: ranked,
            selling_now: now,
            stocked,
            category_of,
            categories,
            usage_thresholds,
        }
    }

    /// The category index of a name, if some product has it.
    pub fn category_named(&self, name: &str) -> Option<u32> {
        self.categories
            .iter()
            .position(|c| c == name)
            .map(|i| i as u32)
    }
}

/// Numbers the distinct categories of the catalogue.
pub fn category_index(catalogue: &[ProductInfo]) -> (Vec<Option<u32>>, Vec<String>) {
    let mut names: Vec<String> = Vec::new();
    let mut index: HashMap<&str, u32> = HashMap::new();
    let of = catalogue
        .iter()
        .map(|p| {
            p.category.as_deref().map(|c| {
                *index.entry(c).or_insert_with(|| {
                    names.push(c.to_string());
                    names.len() as u32 - 1
                })
            })
        })
        .collect();
    (of, names)
}

/// The median of sorted values (the mean of the middle two for an even count).
pub fn median_sorted(values: &[i32]) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    Some(if n % 2 == 1 {
        f64::from(values[n / 2])
    } else {
        (f64::from(values[n / 2 - 1]) + f64::from(values[n / 2])) / 2.0
    })
}
