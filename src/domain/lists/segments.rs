//! Segments per category: brand loyalty (national brand, store brand, switcher) × usage
//! (low, mid, high), nine segments. Deals target segments, and an offer's value follows
//! the member's segment in the deal's category.
//!
//! Thresholds and why:
//! - **Loyalty** is the share of the member's purchases in the category that were national
//!   brands. At least [`LOYAL_SHARE`] (4 in 5) of one kind makes a loyal buyer of it:
//!   that is a habit, while the occasional other pack (a promotion, an out-of-stock) does
//!   not make a switcher. Anything between is a switcher. Purchases of unknown brand
//!   type count for neither; a category with none known counts as switching, the neutral
//!   choice.
//! - **Usage** is the member's average weekly spend in the category over the segment
//!   window, compared with every buyer of that category (so a heavy buyer of spices and a
//!   heavy buyer of milk are both heavy): the top fifth are high users (in grocery the top
//!   fifth of a category's buyers typically make about half its sales, which is who a
//!   manufacturer most wants to keep), the bottom half low users, the rest mid users.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::history::MemberHistory;
use super::{DAY, Params, ProductInfo};
use crate::domain::product::BrandType;

/// Share of one brand kind from which a member is loyal to it.
pub const LOYAL_SHARE: f64 = 0.8;
/// Share of the category's buyers a member must out-spend to be a mid user.
pub const USAGE_MID_QUANTILE: f64 = 0.5;
/// Share they must out-spend to be a high user.
pub const USAGE_HIGH_QUANTILE: f64 = 0.8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BrandLoyalty {
    National,
    Store,
    Switcher,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Usage {
    Low,
    Mid,
    High,
}

/// One of the nine segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Segment {
    pub loyalty: BrandLoyalty,
    pub usage: Usage,
}

impl Segment {
    /// All nine, national-loyal heavy users first.
    pub const ALL: [Segment; 9] = {
        use BrandLoyalty::*;
        use Usage::*;
        [
            Segment::new(National, High),
            Segment::new(National, Mid),
            Segment::new(National, Low),
            Segment::new(Store, High),
            Segment::new(Store, Mid),
            Segment::new(Store, Low),
            Segment::new(Switcher, High),
            Segment::new(Switcher, Mid),
            Segment::new(Switcher, Low),
        ]
    };

    pub const fn new(loyalty: BrandLoyalty, usage: Usage) -> Self {
        Segment { loyalty, usage }
    }

    /// `national/high`, `store/low`, `switcher/mid`, …
    pub fn name(self) -> String {
        let loyalty = match self.loyalty {
            BrandLoyalty::National => "national",
            BrandLoyalty::Store => "store",
            BrandLoyalty::Switcher => "switcher",
        };
        let usage = match self.usage {
            Usage::Low => "low",
            Usage::Mid => "mid",
            Usage::High => "high",
        };
        format!("{loyalty}/{usage}")
    }

    /// Reads a name as [`Segment::name`] writes it.
    pub fn parse(text: &str) -> Option<Segment> {
        Segment::ALL.into_iter().find(|s| s.name() == text.trim())
    }

    /// The share (percent) of a deal's full value this segment gets: heavy users get the
    /// deepest offers, and loyalty counts next, so loyal heavy users get the most.
    pub fn value_percent(self) -> i64 {
        match (self.usage, self.loyalty) {
            (Usage::High, BrandLoyalty::National | BrandLoyalty::Store) => 100,
            (Usage::High, BrandLoyalty::Switcher) => 85,
            (Usage::Mid, BrandLoyalty::National | BrandLoyalty::Store) => 75,
            (Usage::Mid, BrandLoyalty::Switcher) => 60,
            (Usage::Low, _) => 50,
        }
    }
}

/// A member's use of one category over the segment window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CategoryUse {
    pub category: u32,
    /// Average weekly spend in minor units.
    pub weekly_spend: i64,
    /// Purchased lines of national and of store brands.
    pub national_lines: u32,
    pub store_lines: u32,
}

/// The member's use of each category they bought in the segment window before `as_of`.
/// Weeks count from the later of the window's start and the member's first purchase, so
/// a new member is not taken for a light one.
pub fn category_use(
    history: &MemberHistory,
    catalogue: &[ProductInfo],
    category_of: &[Option<u32>],
    as_of: DateTime<Utc>,
    params: &Params,
) -> Vec<CategoryUse> {
    let window_start = segment_window_start(as_of, params);
    let first = history
        .purchases
        .iter()
        .filter(|p| p.at < as_of)
        .map(|p| p.at)
        .min();
    let Some(first) = first else {
        return Vec::new();
    };
    let from = first.max(window_start);
    let weeks = ((as_of - from).num_seconds() as f64 / (7 * DAY) as f64).max(1.0);
    let mut per: HashMap<u32, (i64, u32, u32)> = HashMap::new();
    for p in &history.purchases {
        if p.at < window_start || p.at >= as_of {
            continue;
        }
        let Some(category) = category_of.get(p.product as usize).copied().flatten() else {
            continue;
        };
        let entry = per.entry(category).or_default();
        entry.0 += p.amount;
        match catalogue[p.product as usize].brand {
            BrandType::National => entry.1 += 1,
            BrandType::Store => entry.2 += 1,
            BrandType::Unknown => {}
        }
    }
    let mut out: Vec<CategoryUse> = per
        .into_iter()
        .map(|(category, (spend, national, store))| CategoryUse {
            category,
            weekly_spend: (spend.max(0) as f64 / weeks).round() as i64,
            national_lines: national,
            store_lines: store,
        })
        .collect();
    out.sort_by_key(|u| u.category);
    out
}

/// The (mid, high) weekly-spend thresholds of a category from its buyers' weekly spends
/// (sorted in place): a buyer is a mid user when they spend more than at least half of the
/// other buyers, and a high user when more than at least four in five of them. Equal
/// spends share a segment, so when everyone spends the same nobody is a heavy user; a
/// category's only buyer is its heavy user.
pub fn usage_thresholds(spends: &mut [i64]) -> (i64, i64) {
    if spends.is_empty() {
        return (i64::MAX, i64::MAX);
    }
    spends.sort_unstable();
    let others = (spends.len() - 1) as f64;
    // More than `sorted[k - 1]` means spending more than at least k buyers.
    let at = |q: f64| match (others * q - 1e-9).ceil().max(0.0) as usize {
        0 => i64::MIN,
        k => spends[k - 1],
    };
    (at(USAGE_MID_QUANTILE), at(USAGE_HIGH_QUANTILE))
}

/// Brand loyalty from the national and store-brand line counts.
pub fn loyalty(national_lines: u32, store_lines: u32) -> BrandLoyalty {
    let known = national_lines + store_lines;
    if known == 0 {
        return BrandLoyalty::Switcher;
    }
    let national_share = f64::from(national_lines) / f64::from(known);
    if national_share >= LOYAL_SHARE {
        BrandLoyalty::National
    } else if 1.0 - national_share >= LOYAL_SHARE {
        BrandLoyalty::Store
    } else {
        BrandLoyalty::Switcher
    }
}

/// Usage from a weekly spend and the category's (mid, high) thresholds.
pub fn usage(weekly_spend: i64, (mid, high): (i64, i64)) -> Usage {
    if weekly_spend > high {
        Usage::High
    } else if weekly_spend > mid {
        Usage::Mid
    } else {
        Usage::Low
    }
}

/// The member's segment in a category they use.
pub fn segment(category_use: &CategoryUse, thresholds: (i64, i64)) -> Segment {
    Segment::new(
        loyalty(category_use.national_lines, category_use.store_lines),
        usage(category_use.weekly_spend, thresholds),
    )
}

/// The start of the segment window for a cut-off.
pub fn segment_window_start(as_of: DateTime<Utc>, params: &Params) -> DateTime<Utc> {
    as_of - chrono::Duration::weeks(i64::from(params.segment_weeks))
}
