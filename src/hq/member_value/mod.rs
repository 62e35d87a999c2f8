//! Member value: who the best members are and who is slipping away.
//!
//! - **RFM** ([`score`]): over a trailing window (365 days to the end of the day `as_of`,
//!   UTC), each member's recency (days since the last bill), frequency (bills) and
//!   monetary value (net sales ex tax, returns taken off); each becomes a quintile score
//!   1–5 by its mid-rank among the members who bought in the window ([`quintile_scores`]),
//!   and the three scores name a [`Segment`]. `hq serve` computes them daily; any other
//!   day is computed when first asked for. Stored in `member_scores`, one row per member
//!   and day, with the member's tier then (for the migration between two days).
//! - **Pareto** ([`pareto`]): the share of the members' net sales that the top 1 %, 5 %
//!   and 20 % of members made, and the members' share of all sales.
//! - **Migration** ([`HqStore::migration`]): members counted by segment (or tier) on one day
//!   against another.
//! - **Slipping away** ([`slipping`]): members whose days since their last purchase exceed
//!   a factor (default 2) of their own median gap between purchase days.
//! - **Saved segments** ([`segments`]): a typed definition over all of the above, evaluated
//!   to members, exported as CSV, or issued a coupon each.
//!
//! Money is integer minor units; shares and ratios are fractions (0–1), never money.

mod rfm;
pub mod segments;

pub use rfm::{
    Cycle, Figures, Pareto, ParetoRow, Scored, Segment, pareto, quintile_scores, score, slipping,
    window,
};

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::db::query;
use super::retry::retrying;
use super::store::{HqError, HqStore};

/// Days of the trailing window RFM, Pareto and slipping away look at.
pub const WINDOW_DAYS: i64 = 365;
/// How many median gaps past the last purchase a member counts as slipping away.
pub const SLIPPING_FACTOR: f64 = 2.0;
/// Purchase days a member needs before their own cycle is read.
pub const SLIPPING_MIN_DAYS: usize = 3;
const _: () = assert!(
    SLIPPING_MIN_DAYS >= 2,
    "a cycle needs two purchase days at least"
);
/// The Pareto table's shares of members, in percent.
pub const PARETO_TOPS: [u32; 3] = [1, 5, 20];

/// One member's bills in a window, as read from `sales`.
#[derive(Debug, Default)]
struct Bills {
    /// Distinct UTC days with a sale, in order.
    days: Vec<NaiveDate>,
    last: Option<DateTime<Utc>>,
    frequency: i64,
    monetary: i64,
}

/// A member's stored scores.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MemberScore {
    pub member_id: String,
    pub recency_days: i64,
    pub frequency: i64,
    pub monetary: i64,
    pub r: u8,
    pub f: u8,
    pub m: u8,
    pub segment: Segment,
    /// The member's tier when the scores were computed.
    pub tier: String,
}

/// The members of one segment.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SegmentCount {
    pub segment: Segment,
    pub members: i64,
    /// Their net sales in the window.
    pub net: i64,
}

/// Segment counts and the Pareto table as of a day.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ValueReport {
    pub as_of: NaiveDate,
    pub window_days: i64,
    /// Members with scores: every member who ever bought up to `as_of`.
    pub members_scored: i64,
    /// Every segment, in order, with zeros where none.
    pub segments: Vec<SegmentCount>,
    pub pareto: Pareto,
}

/// A member slipping away.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SlippingMember {
    pub member_id: String,
    pub name: String,
    pub home_store: Option<String>,
    pub last_purchase: NaiveDate,
    pub days_since: i64,
    pub median_gap_days: f64,
    /// Days since the last purchase over the median gap.
    pub overdue_ratio: f64,
    /// Net sales in the window.
    pub monetary: i64,
    pub segment: Option<Segment>,
}

/// Members by segment (or tier) on one day against another.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Migration {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// `segment` or `tier`.
    pub by: String,
    /// Every value seen on either day, then `none` (no scores that day).
    pub labels: Vec<String>,
    /// Non-zero cells only.
    pub cells: Vec<MigrationCell>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MigrationCell {
    pub from: String,
    pub to: String,
    pub members: i64,
}

/// What a migration is counted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MigrationBy {
    Segment,
    Tier,
}

/// The label of members without scores on a day.
pub const NONE: &str = "none";

impl HqStore {
    /// Every member's bills in the window of `as_of`.
    async fn window_bills(&self, as_of: NaiveDate) -> Result<HashMap<String, Bills>, HqError> {
        let (from, until) = window(as_of);
        let rows = query(
            "SELECT member_id, kind, at, COALESCE(net, total - tax) FROM sales
             WHERE member_id IS NOT NULL AND at >= $1 AND at < $2 ORDER BY at",
        )
        .bind(from)
        .bind(until)
        .fetch_all(self.pool())
        .await?;
        let mut bills: HashMap<String, Bills> = HashMap::new();
        for r in &rows {
            let b = bills.entry(r.get(0)).or_default();
            let at: DateTime<Utc> = r.get(2);
            b.monetary += r.get::<i64>(3);
            if r.get::<String>(1) == "sale" {
                b.frequency += 1;
                b.last = Some(at);
                if b.days.last() != Some(&at.date_naive()) {
                    b.days.push(at.date_naive());
                }
            }
        }
        Ok(bills)
    }

    /// Computes and stores every member's scores as of `as_of` (replacing any stored);
    /// returns how many members were scored.
    pub async fn compute_scores(&self, as_of: NaiveDate) -> Result<usize, HqError> {
        let bills = self.window_bills(as_of).await?;
        let (from, end) = window(as_of);
        // Members who bought before the window only: lost, with their real recency.
        let earlier = query(
            "SELECT member_id, MAX(at) FROM sales
             WHERE member_id IS NOT NULL AND kind = 'sale' AND at < $1 GROUP BY member_id",
        )
        .bind(from)
        .fetch_all(self.pool())
        .await?;
        let days_to_end = |at: DateTime<Utc>| (end - at).num_days();
        let mut figures: Vec<Figures> = bills
            .iter()
            .map(|(member, b)| Figures {
                member_id: member.clone(),
                recency_days: b.last.map_or(WINDOW_DAYS, days_to_end),
                frequency: b.frequency,
                monetary: b.monetary,
            })
            .collect();
        for r in &earlier {
            let member: String = r.get(0);
            match bills.get(&member) {
                Some(b) if b.frequency > 0 => {}
                Some(b) => {
                    // Only returns in the window: recency from the last sale before it.
                    let f = figures
                        .iter_mut()
                        .find(|f| f.member_id == member)
                        .expect("every member with bills has figures");
                    f.recency_days = days_to_end(r.get(1));
                    debug_assert_eq!(f.monetary, b.monetary);
                }
                None => figures.push(Figures {
                    member_id: member,
                    recency_days: days_to_end(r.get(1)),
                    frequency: 0,
                    monetary: 0,
                }),
            }
        }
        let tiers: HashMap<String, String> = query("SELECT id, tier FROM members")
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let scored = score(figures);
        let n = scored.len();
        let (scored, tiers) = (&scored, &tiers);
        retrying("storing member scores", || async move {
            let mut tx = self.pool().begin().await?;
            query("DELETE FROM member_scores WHERE as_of = $1")
                .bind(Some(as_of))
                .execute(&mut tx)
                .await?;
            let now = Utc::now();
            for s in scored {
                let f = &s.figures;
                query(
                    "INSERT INTO member_scores (member_id, as_of, recency_days, frequency, monetary,
                        r_score, f_score, m_score, segment, tier, computed_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                     ON CONFLICT (member_id, as_of) DO UPDATE SET recency_days = EXCLUDED.recency_days,
                        frequency = EXCLUDED.frequency, monetary = EXCLUDED.monetary,
                        r_score = EXCLUDED.r_score, f_score = EXCLUDED.f_score,
                        m_score = EXCLUDED.m_score, segment = EXCLUDED.segment,
                        tier = EXCLUDED.tier, computed_at = EXCLUDED.computed_at",
                )
                .bind(&f.member_id)
                .bind(Some(as_of))
                .bind(f.recency_days)
                .bind(f.frequency)
                .bind(f.monetary)
                .bind(i64::from(s.r))
                .bind(i64::from(s.f))
                .bind(i64::from(s.m))
                .bind(s.segment.name())
                .bind(tiers.get(&f.member_id).map_or("unknown", String::as_str))
                .bind(now)
                .execute(&mut tx)
                .await?;
            }
            query(
                "INSERT INTO member_score_runs (as_of, members, computed_at) VALUES ($1, $2, $3)
                 ON CONFLICT (as_of) DO UPDATE SET members = EXCLUDED.members, computed_at = EXCLUDED.computed_at",
            )
            .bind(Some(as_of))
            .bind(scored.len() as i64)
            .bind(now)
            .execute(&mut tx)
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await?;
        Ok(n)
    }

    /// The scores stored as of `as_of`, computed first if that day has none.
    pub async fn scores(&self, as_of: NaiveDate) -> Result<Vec<MemberScore>, HqError> {
        let done = query("SELECT 1 FROM member_score_runs WHERE as_of = $1")
            .bind(Some(as_of))
            .fetch_optional(self.pool())
            .await?
            .is_some();
        if !done {
            self.compute_scores(as_of).await?;
        }
        let rows = query(
            "SELECT member_id, recency_days, frequency, monetary, r_score, f_score, m_score,
                    segment, tier
             FROM member_scores WHERE as_of = $1 ORDER BY member_id",
        )
        .bind(Some(as_of))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let segment: String = r.get(7);
                Ok(MemberScore {
                    member_id: r.get(0),
                    recency_days: r.get(1),
                    frequency: r.get(2),
                    monetary: r.get(3),
                    r: r.get::<i64>(4) as u8,
                    f: r.get::<i64>(5) as u8,
                    m: r.get::<i64>(6) as u8,
                    segment: Segment::parse(&segment)
                        .ok_or_else(|| HqError::Invalid(format!("stored segment '{segment}'")))?,
                    tier: r.get(8),
                })
            })
            .collect()
    }

    /// Segment counts and the Pareto table as of `as_of`.
    pub async fn member_value(&self, as_of: NaiveDate) -> Result<ValueReport, HqError> {
        let scores = self.scores(as_of).await?;
        let all_net = self.window_net(as_of).await?;
        let segments = Segment::ALL
            .iter()
            .map(|&segment| {
                let of: Vec<&MemberScore> =
                    scores.iter().filter(|s| s.segment == segment).collect();
                SegmentCount {
                    segment,
                    members: of.len() as i64,
                    net: of.iter().map(|s| s.monetary).sum(),
                }
            })
            .collect();
        let active: Vec<i64> = scores
            .iter()
            .filter(|s| s.frequency > 0)
            .map(|s| s.monetary)
            .collect();
        Ok(ValueReport {
            as_of,
            window_days: WINDOW_DAYS,
            members_scored: scores.len() as i64,
            segments,
            pareto: pareto(&active, all_net),
        })
    }

    /// All net sales in the window of `as_of` (members or not).
    async fn window_net(&self, as_of: NaiveDate) -> Result<i64, HqError> {
        let (from, until) = window(as_of);
        let all: i64 = query(
            "SELECT CAST(COALESCE(SUM(COALESCE(net, total - tax)), 0) AS BIGINT) FROM sales
             WHERE at >= $1 AND at < $2",
        )
        .bind(from)
        .bind(until)
        .fetch_one(self.pool())
        .await?
        .get(0);
        Ok(all)
    }

    /// Members slipping away as of `as_of` (`factor` median gaps past their last purchase),
    /// most valuable first.
    pub async fn slipping_away(
        &self,
        as_of: NaiveDate,
        factor: f64,
    ) -> Result<Vec<SlippingMember>, HqError> {
        let bills = self.window_bills(as_of).await?;
        let segments: HashMap<String, Segment> = self
            .scores(as_of)
            .await?
            .into_iter()
            .map(|s| (s.member_id, s.segment))
            .collect();
        let mut out = Vec::new();
        for (member, b) in &bills {
            let Some(cycle) = slipping(&b.days, as_of, factor, SLIPPING_MIN_DAYS) else {
                continue;
            };
            let row = query("SELECT name, home_store FROM members WHERE id = $1")
                .bind(member)
                .fetch_optional(self.pool())
                .await?;
            out.push(SlippingMember {
                member_id: member.clone(),
                name: row.as_ref().map(|r| r.get(0)).unwrap_or_default(),
                home_store: row.as_ref().and_then(|r| r.get(1)),
                last_purchase: cycle.last_purchase,
                days_since: cycle.days_since,
                overdue_ratio: cycle.days_since as f64 / cycle.median_gap_days,
                median_gap_days: cycle.median_gap_days,
                monetary: b.monetary,
                segment: segments.get(member).copied(),
            });
        }
        out.sort_by(|a, b| {
            b.monetary
                .cmp(&a.monetary)
                .then_with(|| a.member_id.cmp(&b.member_id))
        });
        Ok(out)
    }

    /// Members counted by segment (or tier) as of `from` against `to`.
    pub async fn migration(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        by: MigrationBy,
    ) -> Result<Migration, HqError> {
        let label = |s: MemberScore| {
            let l = match by {
                MigrationBy::Segment => s.segment.name().to_string(),
                MigrationBy::Tier => s.tier,
            };
            (s.member_id, l)
        };
        let a: HashMap<String, String> = self.scores(from).await?.into_iter().map(label).collect();
        let b: HashMap<String, String> = self.scores(to).await?.into_iter().map(label).collect();
        let mut counts: HashMap<(String, String), i64> = HashMap::new();
        for (member, la) in &a {
            let lb = b.get(member).map_or(NONE, String::as_str);
            *counts.entry((la.clone(), lb.to_string())).or_default() += 1;
        }
        for (member, lb) in &b {
            if !a.contains_key(member) {
                *counts.entry((NONE.to_string(), lb.clone())).or_default() += 1;
            }
        }
        let mut labels: Vec<String> = match by {
            MigrationBy::Segment => Segment::ALL.iter().map(|s| s.name().to_string()).collect(),
            MigrationBy::Tier => {
                let mut t: Vec<String> = a.values().chain(b.values()).cloned().collect();
                t.sort();
                t.dedup();
                t
            }
        };
        labels.push(NONE.to_string());
        let position = |l: &str| labels.iter().position(|x| x == l).unwrap_or(usize::MAX);
        let mut cells: Vec<MigrationCell> = counts
            .into_iter()
            .map(|((from, to), members)| MigrationCell { from, to, members })
            .collect();
        cells.sort_by_key(|c| (position(&c.from), position(&c.to)));
        Ok(Migration {
            from,
            to,
            by: match by {
                MigrationBy::Segment => "segment",
                MigrationBy::Tier => "tier",
            }
            .into(),
            labels,
            cells,
        })
    }
}

#[cfg(test)]
mod tests;
