//! The pure part of member value: RFM quintile scores and named segments, the Pareto
//! table and a member's own purchase cycle, with no I/O (the database side is in the
//! parent module).

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use super::{PARETO_TOPS, WINDOW_DAYS};

/// A named RFM segment. Rules are taken in this order, first match wins (R, F, M are the
/// scores 1–5, FM = ⌈(F + M) / 2⌉):
///
/// | segment | rule |
/// |---|---|
/// | `new` | R ≥ 4 and exactly one bill in the window |
/// | `champions` | R ≥ 4 and FM ≥ 4 |
/// | `potential` | R ≥ 4 (recent, not yet frequent or big) |
/// | `loyal` | R = 3 and FM ≥ 3 |
/// | `needs_attention` | R = 3 |
/// | `cant_lose` | R = 1 and FM ≥ 4 (were among the best, gone longest) |
/// | `at_risk` | R ≤ 2 and FM ≥ 3 |
/// | `hibernating` | R = 2 |
/// | `lost` | R = 1, and every member with no bill in the window |
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    Champions,
    Loyal,
    Potential,
    New,
    NeedsAttention,
    AtRisk,
    CantLose,
    Hibernating,
    Lost,
}

impl Segment {
    pub const ALL: [Segment; 9] = [
        Segment::Champions,
        Segment::Loyal,
        Segment::Potential,
        Segment::New,
        Segment::NeedsAttention,
        Segment::AtRisk,
        Segment::CantLose,
        Segment::Hibernating,
        Segment::Lost,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Segment::Champions => "champions",
            Segment::Loyal => "loyal",
            Segment::Potential => "potential",
            Segment::New => "new",
            Segment::NeedsAttention => "needs_attention",
            Segment::AtRisk => "at_risk",
            Segment::CantLose => "cant_lose",
            Segment::Hibernating => "hibernating",
            Segment::Lost => "lost",
        }
    }

    pub fn parse(text: &str) -> Option<Segment> {
        Segment::ALL.into_iter().find(|s| s.name() == text)
    }

    /// The segment of scores `r`, `f`, `m` (1–5) and `bills` in the window.
    pub fn classify(r: u8, f: u8, m: u8, bills: i64) -> Segment {
        debug_assert!([r, f, m].iter().all(|s| (1..=5).contains(s)));
        let fm = (f + m).div_ceil(2);
        match r {
            4.. if bills == 1 => Segment::New,
            4.. if fm >= 4 => Segment::Champions,
            4.. => Segment::Potential,
            3 if fm >= 3 => Segment::Loyal,
            3 => Segment::NeedsAttention,
            1 if fm >= 4 => Segment::CantLose,
            _ if fm >= 3 => Segment::AtRisk,
            2 => Segment::Hibernating,
            _ => Segment::Lost,
        }
    }
}

/// Quintile scores 1–5 of `values` by mid-rank: with `b` values worse and `e` equal
/// (itself included) among `n`, the score is `1 + ⌊5·(b + e/2)/n⌋`. The best fifth
/// scores 5, the worst fifth 1, and equal values score alike.
pub fn quintile_scores(values: &[i64], higher_is_better: bool) -> Vec<u8> {
    let n = values.len() as i128;
    let key = |v: i64| {
        if higher_is_better {
            i128::from(v)
        } else {
            -i128::from(v)
        }
    };
    let mut sorted: Vec<i128> = values.iter().map(|&v| key(v)).collect();
    sorted.sort_unstable();
    values
        .iter()
        .map(|&v| {
            let k = key(v);
            let below = sorted.partition_point(|&x| x < k) as i128;
            let equal = sorted.partition_point(|&x| x <= k) as i128 - below;
            let score = 1 + (5 * (2 * below + equal)) / (2 * n);
            debug_assert!((1..=5).contains(&score));
            score as u8
        })
        .collect()
}

/// One member's figures over the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    pub member_id: String,
    /// Days from the last bill to the end of the day `as_of` (0: bought that day).
    pub recency_days: i64,
    /// Bills (sales, not returns) in the window; 0 for a member who bought only before.
    pub frequency: i64,
    /// Net sales ex tax in the window, returns taken off.
    pub monetary: i64,
}

/// A member's RFM scores and segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scored {
    pub figures: Figures,
    pub r: u8,
    pub f: u8,
    pub m: u8,
    pub segment: Segment,
}

/// Scores members: those with a bill in the window by quintiles among themselves; those
/// without (who bought before it) score 1, 1, 1 and are `lost`.
pub fn score(members: Vec<Figures>) -> Vec<Scored> {
    let (active, gone): (Vec<Figures>, Vec<Figures>) =
        members.into_iter().partition(|m| m.frequency > 0);
    let r = quintile_scores(
        &active.iter().map(|m| m.recency_days).collect::<Vec<_>>(),
        false,
    );
    let f = quintile_scores(
        &active.iter().map(|m| m.frequency).collect::<Vec<_>>(),
        true,
    );
    let m = quintile_scores(&active.iter().map(|m| m.monetary).collect::<Vec<_>>(), true);
    let mut out: Vec<Scored> = active
        .into_iter()
        .enumerate()
        .map(|(i, figures)| Scored {
            segment: Segment::classify(r[i], f[i], m[i], figures.frequency),
            figures,
            r: r[i],
            f: f[i],
            m: m[i],
        })
        .collect();
    out.extend(gone.into_iter().map(|figures| Scored {
        figures,
        r: 1,
        f: 1,
        m: 1,
        segment: Segment::Lost,
    }));
    out
}

/// The Pareto table.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Pareto {
    /// Members with a bill in the window.
    pub members: i64,
    /// Their net sales (minor units).
    pub member_net: i64,
    /// Net sales of the window, members or not.
    pub all_net: i64,
    /// The members' share of all net sales (0–1; 0 when there were none).
    pub member_share_of_sales: f64,
    /// The top 1 %, 5 % and 20 % of members by net sales.
    pub top: Vec<ParetoRow>,
}

/// What the top share of members bought.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ParetoRow {
    /// The share of members, in percent (1, 5, 20).
    pub top_percent: u32,
    /// That many members (rounded up; at least one when any bought).
    pub members: i64,
    pub net: i64,
    /// Their share of the members' net sales (0–1; 0 when there were none).
    pub share_of_member_net: f64,
}

/// The Pareto table of members' net sales `monetary` beside `all_net`, all sales.
pub fn pareto(monetary: &[i64], all_net: i64) -> Pareto {
    let mut sorted = monetary.to_vec();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    let member_net: i64 = sorted.iter().sum();
    let share = |part: i64, whole: i64| {
        if whole > 0 {
            part as f64 / whole as f64
        } else {
            0.0
        }
    };
    let n = sorted.len();
    Pareto {
        members: n as i64,
        member_net,
        all_net,
        member_share_of_sales: share(member_net, all_net),
        top: PARETO_TOPS
            .iter()
            .map(|&p| {
                let k = (n * p as usize).div_ceil(100);
                let net: i64 = sorted[..k].iter().sum();
                ParetoRow {
                    top_percent: p,
                    members: k as i64,
                    net,
                    share_of_member_net: share(net, member_net),
                }
            })
            .collect(),
    }
}

/// A member's own purchase cycle against the days since they last bought.
#[derive(Debug, Clone, PartialEq)]
pub struct Cycle {
    pub last_purchase: NaiveDate,
    pub days_since: i64,
    /// The median of the gaps between consecutive purchase days.
    pub median_gap_days: f64,
}

/// The cycle of a member who bought on `days` (sorted, distinct), as of `as_of`, if they
/// are slipping away: at least `min_days` purchase days and more than `factor` median
/// gaps since the last.
pub fn slipping(
    days: &[NaiveDate],
    as_of: NaiveDate,
    factor: f64,
    min_days: usize,
) -> Option<Cycle> {
    debug_assert!(days.windows(2).all(|w| w[0] < w[1]));
    if days.len() < min_days.max(2) {
        return None;
    }
    let mut gaps: Vec<i64> = days.windows(2).map(|w| (w[1] - w[0]).num_days()).collect();
    gaps.sort_unstable();
    let mid = gaps.len() / 2;
    let median = if gaps.len() % 2 == 1 {
        gaps[mid] as f64
    } else {
        (gaps[mid - 1] + gaps[mid]) as f64 / 2.0
    };
    let last = *days.last()?;
    let since = (as_of - last).num_days();
    (since as f64 > factor * median).then_some(Cycle {
        last_purchase: last,
        days_since: since,
        median_gap_days: median,
    })
}

/// The window of `as_of`: `[end − 365 days, end)` with `end` the next midnight (UTC).
pub fn window(as_of: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let end = (as_of + Duration::days(1))
        .and_time(NaiveTime::MIN)
        .and_utc();
    (end - Duration::days(WINDOW_DAYS), end)
}
