//! The shopping-list engine: from each member's purchase history, the products they are
//! most likely to buy in the next period, each with a plain reason, the member's segment
//! per category, whether they qualify for a list at all, and the deals that become their
//! personal coupons.
//!
//! Everything here is pure: the catalogue, the purchase histories, the deals and the
//! moment the lists are made for (`as_of`) come in as plain data, and lists come out. No
//! purchase at or after `as_of` is ever read: every function that sees a history cuts it
//! there first, so a list made "as of" a past moment is exactly the list that moment
//! would have given.
//!
//! The pieces, in the order [`plan_lists`] uses them:
//! - [`history`]: one member's purchases grouped per product (purchase days, spend);
//! - [`population`]: what all members together say about each product (how often it is
//!   bought again, its usual repurchase interval) and about each category (usage
//!   thresholds);
//! - [`features`]: per product, the member's count, time-decayed frequency, repurchase
//!   interval (shrunk towards the product's population interval) and next due date;
//! - [`segments`]: brand loyalty × usage per category, nine segments;
//! - [`eligibility`]: average weekly spend over the recent weeks against a threshold;
//! - [`ranking`]: the score and the reason of each product, and the ranked list;
//! - [`rerank`]: gradient-boosted trees that re-order the top of each list by the
//!   probability of a purchase in the period;
//! - [`offers`]: deals matched to lists, their value scaled to the member, budgets kept;
//! - [`coupons`]: the planned offers as HQ-signed coupons on a signed shopping list;
//! - [`metrics`]: recall, NDCG and hit rate of ranked lists against what was bought;
//! - [`baselines`]: the published methods the lists are measured against.

pub mod baselines;
pub mod coupons;
pub mod eligibility;
pub mod features;
pub mod history;
pub mod metrics;
pub mod offers;
pub mod parallel;
pub mod population;
pub mod ranking;
pub mod rerank;
pub mod segments;

pub mod plan;

pub use eligibility::{Eligibility, weekly_spend};
pub use features::ProductFeatures;
pub use history::{MemberHistory, Purchase, PurchaseGroups};
pub use offers::{Deal, DealTarget, Funding, PlannedOffer};
pub use plan::{MemberList, MemberSource, Plan, plan_batches, plan_lists, prepare};
pub use population::Population;
pub use ranking::{RankedItem, rank};
pub use segments::{BrandLoyalty, Segment, Usage};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::gs1::Gtin;
use crate::domain::product::BrandType;

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// A product as the engine needs it. Histories refer to products by their index in the
/// catalogue slice passed alongside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductInfo {
    /// The id the product has in the data it came from (e.g. Complete Journey's
    /// `product_id`), or its GTIN when it has no other.
    pub id: String,
    pub gtin: Gtin,
    pub name: String,
    pub department: Option<String>,
    pub category: Option<String>,
    pub brand: BrandType,
    /// Whether the store's catalogue holds it, so it can be sold and named on a list. A
    /// product known only from the history (never priced, or gone since) is never listed.
    pub stocked: bool,
}

/// The engine's settings. The defaults are the ones measured on the Complete Journey
/// (see `storepos lists evaluate`); each is explained where it is used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Length of the period a list is for, in days.
    pub period_days: u32,
    /// Seconds added to UTC before cutting time into days (the store's UTC offset), so a
    /// shopping trip late in the evening counts for the day it happened on locally.
    pub day_offset_seconds: i64,
    /// Least average weekly spend over `eligibility_weeks` for a member to get a list, in
    /// minor units.
    pub min_weekly_spend: i64,
    pub eligibility_weeks: u32,
    /// How many products a list holds.
    pub list_len: usize,
    /// Weeks of history the segments look at.
    pub segment_weeks: u32,
    /// Most offers on one list.
    pub max_offers: usize,
    /// Share of the members who would get a list that HQ's fortnightly run holds out at
    /// random, as the control group its lift is measured against (`hq.lists.holdout_share`;
    /// the engine itself ignores it).
    pub holdout_share: f64,
    pub scoring: Scoring,
    /// The trees that re-order the top of each list (see [`rerank`]); none ranks by the
    /// linear score alone.
    #[serde(skip)]
    pub reranker: Option<std::sync::Arc<rerank::Reranker>>,
}

/// Weights of the ranking score (see [`ranking`]); all are on log scales, so they trade
/// relative changes against each other.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scoring {
    /// On `ln(1 + purchase days)`.
    pub count: f64,
    /// On `ln(1 + decayed frequency)` with the short half-life.
    pub recent: f64,
    /// On `ln(1 + decayed frequency)` with the long half-life.
    pub steady: f64,
    /// Half-lives of the two decayed frequencies, in days.
    pub recent_half_life: f64,
    pub steady_half_life: f64,
    /// On the log-odds that a purchase of the product, by anyone, is a repeat purchase.
    pub repeat: f64,
    /// On the log-odds that a purchase of the product is followed by another by the same
    /// member within the list period.
    pub quick_repeat: f64,
    /// On the log-ratio of days since the last purchase to the repurchase interval
    /// (positive: the longer past its cycle, the likelier).
    pub cycle: f64,
    /// On the squared log-ratio of days since the last purchase to the repurchase
    /// interval (negative: being far off the member's cycle, early or late, lowers the
    /// score).
    pub off_cycle: f64,
    /// Bonus when the member's own cycle makes the product due within the period (from
    /// half an interval overdue to the period's end).
    pub due: f64,
    /// On the product's population sales trend (log-ratio of recent to long-run sales).
    pub trend: f64,
    /// On `ln(1 + members who bought the product)`.
    pub popularity: f64,
    /// How many of the products selling most right now compete for a place on the list
    /// of a member who never bought them, and the score they start from (the rest of
    /// theirs comes from the population terms: repeat share, popularity, trend).
    pub newcomers: usize,
    pub newcomer_base: f64,
    /// Pseudo-gaps of the population interval mixed into the member's own median gap.
    pub interval_shrinkage: f64,
    /// On `ln(1 + days since the last purchase)`.
    pub recency: f64,
    /// On `ln(1 + period / repurchase interval)`: the purchases the member's cycle
    /// expects within the period.
    pub rate: f64,
    /// On `ln(1 + days since the first purchase)`.
    pub tenure: f64,
    /// On `ln(purchase lines per purchase day)`.
    pub lines: f64,
    /// On `ln(share of the category's purchase days that included the product)`.
    pub category_share: f64,
    /// On `ln((1 + days since the product) / (1 + days since its category))`: how much
    /// more recently the member bought something else in the category.
    pub category_recency: f64,
    /// On `ln(share of the member's shopping days since the first purchase that
    /// included the product)`: a product newly taken up and bought on every trip since
    /// is a habit already.
    pub trip_share: f64,
    /// On `ln(1 + shopping days since the last purchase)`.
    pub trips_since: f64,
    /// On `ln(1 + distinct days the member bought anything of the category)`.
    pub category_count: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            period_days: 14,
            day_offset_seconds: 0,
            min_weekly_spend: 2_500,
            eligibility_weeks: 8,
            list_len: 20,
            segment_weeks: 26,
            max_offers: 8,
            holdout_share: 0.0,
            scoring: Scoring::default(),
            reranker: Some(rerank::Reranker::shipped()),
        }
    }
}

impl Default for Scoring {
    /// Fitted to the Complete Journey on cut-offs other than the ones `lists evaluate` is
    /// usually shown at: a logistic fit of "bought in the next 14 days" on each member's
    /// top candidates at weeks 34 and 38, then a coordinate search on recall@10 at weeks
    /// 32, 34, 38 and 42. Several terms are negative only beside the others: the
    /// purchase-day count against the decayed frequencies, the cycle's expected purchases
    /// against the category terms.
    fn default() -> Self {
        Scoring {
            count: -1.34,
            recent: 1.29,
            steady: 0.619,
            recent_half_life: 16.0,
            steady_half_life: 153.0,
            repeat: 0.439,
            quick_repeat: 0.064,
            cycle: 0.474,
            off_cycle: -0.038,
            due: 0.219,
            trend: 0.175,
            popularity: -0.025,
            newcomers: 0,
            newcomer_base: 0.0,
            interval_shrinkage: 1.0,
            recency: -0.561,
            rate: -1.098,
            tenure: 0.205,
            lines: -0.406,
            category_share: 1.173,
            category_recency: -0.071,
            category_count: 1.75,
            trip_share: 0.104,
            trips_since: 0.148,
        }
    }
}

impl Params {
    /// The day number (days since the Unix epoch, in the store's local time) of an instant.
    pub fn day_of(&self, at: DateTime<Utc>) -> i32 {
        (at.timestamp() + self.day_offset_seconds).div_euclid(DAY) as i32
    }

    /// The day number of `as_of`, as a fraction (the time of day counts).
    pub fn day_fraction(&self, at: DateTime<Utc>) -> f64 {
        (at.timestamp() + self.day_offset_seconds) as f64 / DAY as f64
    }
}

#[cfg(test)]
mod tests;
