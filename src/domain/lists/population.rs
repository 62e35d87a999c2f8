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
        let mut builder = PopulationBuilder::new(catalogue.len(), today);
        for (member, uses) in groups.iter().zip(category_use) {
            builder.add(member, uses);
        }
        builder.finish(catalogue, period_days)
    }

    /// The category index of a name, if some product has it.
    pub fn category_named(&self, name: &str) -> Option<u32> {
        self.categories
            .iter()
            .position(|c| c == name)
            .map(|i| i as u32)
    }
}

/// The population figures gathered one member at a time, so that members can be read in
/// batches and dropped: per product counts, and the repurchase gaps and category spends
/// as counts of each value (their medians and thresholds need every one).
#[derive(Debug, Clone)]
pub struct PopulationBuilder {
    today: i32,
    first_day: i32,
    occasions: Vec<u32>,
    buyers: Vec<u32>,
    recent: Vec<u32>,
    spend: Vec<i64>,
    lines: Vec<u64>,
    /// (product, gap in days) → how many times a member's purchases of it were so far
    /// apart.
    gaps: HashMap<(u32, i32), u32>,
    /// Per category index, each buyer's weekly spend.
    spends: HashMap<u32, Vec<i64>>,
}

impl PopulationBuilder {
    pub fn new(products: usize, today: i32) -> PopulationBuilder {
        PopulationBuilder {
            today,
            first_day: today,
            occasions: vec![0; products],
            buyers: vec![0; products],
            recent: vec![0; products],
            spend: vec![0; products],
            lines: vec![0; products],
            gaps: HashMap::new(),
            spends: HashMap::new(),
        }
    }

    /// Adds one member's grouped history and category use.
    pub fn add(&mut self, member: &PurchaseGroups, uses: &[CategoryUse]) {
        let today = self.today;
        if let Some(&first) = member.trip_days.first() {
            self.first_day = self.first_day.min(first);
        }
        for g in &member.groups {
            let days = g.days(member);
            let p = g.product as usize;
            self.occasions[p] += days.len() as u32;
            self.buyers[p] += 1;
            self.spend[p] += g.spend;
            self.lines[p] += u64::from(g.lines);
            self.recent[p] += days.iter().filter(|&&d| d >= today - TREND_DAYS).count() as u32;
            for w in days.windows(2) {
                *self.gaps.entry((g.product, w[1] - w[0])).or_default() += 1;
            }
        }
        for u in uses {
            self.spends
                .entry(u.category)
                .or_default()
                .push(u.weekly_spend);
        }
    }

    /// The figures of everyone added.
    pub fn finish(self, catalogue: &[ProductInfo], period_days: u32) -> Population {
        let PopulationBuilder {
            today,
            first_day,
            occasions,
            buyers,
            recent,
            spend,
            lines,
            gaps,
            mut spends,
        } = self;
        let n = catalogue.len();
        debug_assert_eq!(occasions.len(), n);
        let (category_of, categories) = category_index(catalogue);
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
        let mut gaps: Vec<((u32, i32), u32)> = gaps.into_iter().collect();
        gaps.sort_unstable();
        let mut quick = vec![0u32; n];
        let mut overall: HashMap<i32, u64> = HashMap::new();
        for &((p, gap), count) in &gaps {
            if gap <= period_days as i32 {
                quick[p as usize] += count;
            }
            *overall.entry(gap).or_default() += u64::from(count);
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
        let mut overall: Vec<(i32, u64)> = overall.into_iter().collect();
        overall.sort_unstable();
        let overall = median_counted(&overall).unwrap_or(DEFAULT_INTERVAL_DAYS);
        let mut interval_days = vec![overall; n];
        for chunk in gaps.chunk_by(|a, b| a.0.0 == b.0.0) {
            let counted: Vec<(i32, u64)> = chunk.iter().map(|g| (g.0.1, u64::from(g.1))).collect();
            if counted.iter().map(|c| c.1).sum::<u64>() >= MIN_GAPS_FOR_INTERVAL as u64 {
                interval_days[chunk[0].0.0 as usize] = median_counted(&counted).unwrap_or(overall);
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

        let usage_thresholds = (0..categories.len() as u32)
            .map(|c| segments::usage_thresholds(spends.get_mut(&c).map_or(&mut [][..], |s| s)))
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

/// The median of values given as (value, count), ascending by value: as
/// [`median_sorted`] of the values each repeated its count of times.
pub fn median_counted(counted: &[(i32, u64)]) -> Option<f64> {
    let n: u64 = counted.iter().map(|c| c.1).sum();
    if n == 0 {
        return None;
    }
    // The value at 0-based position `i` of the expanded list.
    let at = |i: u64| {
        let mut seen = 0;
        for &(v, c) in counted {
            seen += c;
            if i < seen {
                return v;
            }
        }
        unreachable!("position within the count")
    };
    Some(if n % 2 == 1 {
        f64::from(at(n / 2))
    } else {
        (f64::from(at(n / 2 - 1)) + f64::from(at(n / 2))) / 2.0
    })
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
