//! Campaign results: for every coupon issue, deal and list period, what was issued and
//! redeemed, what it cost and what the redeemers bought of the targeted products; and for
//! list periods the lift of the lists over a random hold-out group, measured.
//!
//! - **Coupon issues** are the campaigns of [`super::member_value::segments`] (coupons
//!   issued to a segment under a campaign id) and, in one row without a campaign id, the
//!   coupons issued one by one (`storepos hq issue-coupon`).
//! - **Deals** and **list periods** are read from the offers on the personalised lists
//!   (`list_offers`).
//! - **Cost** is the sum of the redeemed coupons' discounts; the **redemption rate** is
//!   redeemed over issued (0 when none was issued).
//! - **Targeted sales by redeemers**: the net sales (ex tax, `sale_lines`) of the offer's
//!   target (its product, its category, or the whole basket) to the members who redeemed
//!   one of its coupons, within the coupon's validity (a list period for list offers).
//! - **Hold-out**: each list period holds out `hq.lists.holdout_share` of the members who
//!   would get a list, chosen by a hash of the period and the member ([`held_out`]), so a
//!   rerun holds out the same members; they get no list that period (not even asked for at
//!   a counter). A period whose expected hold-out group (share × members who would get a
//!   list) is under two members holds no one out. The period's **lift** is the mean net sales (ex tax, returns taken off) in
//!   the period per list holder less that per held-out member, with a 95 % interval by the
//!   normal approximation (Welch's standard error) ([`lift`]).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;

use super::db::{Query, query};
pub use super::holdout::{MIN_EXPECTED_HOLDOUT, effective_holdout_share, held_out};
use super::lists::{PERIOD_DAYS, period_start};
use super::member_value::segments::CampaignRequest;
use super::store::{HqError, HqStore};
use crate::domain::coupon::{CouponCode, OfferTarget, parse_code};
use crate::lists::load::Loaded;

/// The z value of a two-sided 95 % interval.
const Z95: f64 = 1.959_964;

/// Issued, redeemed, cost and what redeemers bought of the target.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Results {
    pub issued: i64,
    pub redeemed: i64,
    /// Redeemed over issued (0–1).
    pub redemption_rate: f64,
    /// The redeemed coupons' discounts, minor units.
    pub cost: i64,
    /// Members who redeemed at least one.
    pub redeemers: i64,
    /// Net sales (ex tax) of the targeted products to the redeemers within the validity.
    pub targeted_sales: i64,
}

impl Results {
    fn add(&mut self, other: &Results) {
        self.issued += other.issued;
        self.redeemed += other.redeemed;
        self.cost += other.cost;
        self.redeemers += other.redeemers;
        self.targeted_sales += other.targeted_sales;
        self.rate();
    }

    fn rate(&mut self) {
        self.redemption_rate = if self.issued > 0 {
            self.redeemed as f64 / self.issued as f64
        } else {
            0.0
        };
    }
}

/// One coupon issue.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct IssueResult {
    /// None: the coupons issued one by one.
    pub campaign_id: Option<String>,
    pub segment_id: Option<String>,
    pub title: Option<String>,
    pub results: Results,
}

/// One deal of the lists, over every period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DealResult {
    pub deal_id: String,
    pub funded_by: String,
    pub results: Results,
}

/// One list period with its hold-out comparison.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PeriodResult {
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    /// Whether the period is over (otherwise its sales are so far).
    pub complete: bool,
    pub lists: i64,
    /// The offers on the period's lists.
    pub results: Results,
    pub lift: Lift,
}

/// The lists' lift: sales per member of list holders against the hold-out group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Lift {
    pub list_members: i64,
    pub holdout_members: i64,
    /// Mean net sales (minor units, rounded) per member in the period.
    pub sales_per_list_member: i64,
    pub sales_per_holdout_member: i64,
    /// The difference of the means, and its 95 % interval (normal approximation).
    pub lift_per_member: i64,
    pub ci95_low: i64,
    pub ci95_high: i64,
    /// The difference over the hold-out mean (none when that is not above zero).
    pub relative_lift: Option<f64>,
    /// Whether both groups have two members or more (else the interval is not measured
    /// and the bounds equal the difference).
    pub measured: bool,
}

/// The lift of `treated` (sales per member) over `control`.
pub fn lift(treated: &[i64], control: &[i64]) -> Lift {
    let stats = |x: &[i64]| {
        let n = x.len() as f64;
        if x.is_empty() {
            return (0.0, 0.0);
        }
        let mean = x.iter().map(|&v| v as f64).sum::<f64>() / n;
        let var = if x.len() > 1 {
            x.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / (n - 1.0)
        } else {
            0.0
        };
        (mean, var)
    };
    let (mt, vt) = stats(treated);
    let (mc, vc) = stats(control);
    let diff = mt - mc;
    let measured = treated.len() >= 2 && control.len() >= 2;
    let half = if measured {
        Z95 * (vt / treated.len() as f64 + vc / control.len() as f64).sqrt()
    } else {
        0.0
    };
    Lift {
        list_members: treated.len() as i64,
        holdout_members: control.len() as i64,
        sales_per_list_member: mt.round() as i64,
        sales_per_holdout_member: mc.round() as i64,
        lift_per_member: diff.round() as i64,
        ci95_low: (diff - half).round() as i64,
        ci95_high: (diff + half).round() as i64,
        relative_lift: (mc > 0.0 && !control.is_empty()).then(|| diff / mc),
        measured,
    }
}

/// Every coupon issue, deal and list period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CampaignReport {
    pub coupon_issues: Vec<IssueResult>,
    pub deals: Vec<DealResult>,
    pub list_periods: Vec<PeriodResult>,
}

/// What an offer applies to, as the sales lines name it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Target {
    Product(i64),
    Category(String),
    Basket,
}

impl From<&OfferTarget> for Target {
    fn from(t: &OfferTarget) -> Target {
        match t {
            OfferTarget::Product(g) => Target::Product(g.value() as i64),
            OfferTarget::Category(c) => Target::Category(c.clone()),
            OfferTarget::Basket => Target::Basket,
        }
    }
}

impl HqStore {
    /// Whether a member is held out of the lists of the period starting at `start`.
    pub async fn is_held_out(
        &self,
        member_id: &str,
        start: DateTime<Utc>,
    ) -> Result<bool, HqError> {
        Ok(
            query("SELECT 1 FROM list_holdouts WHERE member_id = $1 AND period_start = $2")
                .bind(member_id)
                .bind(start)
                .fetch_optional(self.pool())
                .await?
                .is_some(),
        )
    }

    /// Net sales of `target` in `[from, until)` to each of `members`, summed.
    async fn targeted_sales(
        &self,
        target: &Target,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        members: &HashSet<String>,
    ) -> Result<i64, HqError> {
        if members.is_empty() {
            return Ok(0);
        }
        let q = match target {
            Target::Product(gtin) => query(
                "SELECT member_id, CAST(SUM(net) AS BIGINT) FROM sale_lines
                 WHERE member_id IS NOT NULL AND at >= $1 AND at < $2 AND gtin = $3 GROUP BY member_id",
            )
            .bind(from)
            .bind(until)
            .bind(*gtin),
            Target::Category(c) => query(
                "SELECT member_id, CAST(SUM(net) AS BIGINT) FROM sale_lines
                 WHERE member_id IS NOT NULL AND at >= $1 AND at < $2 AND category = $3 GROUP BY member_id",
            )
            .bind(from)
            .bind(until)
            .bind(c),
            Target::Basket => query(
                "SELECT member_id, CAST(SUM(net) AS BIGINT) FROM sale_lines
                 WHERE member_id IS NOT NULL AND at >= $1 AND at < $2 GROUP BY member_id",
            )
            .bind(from)
            .bind(until),
        };
        Ok(q.fetch_all(self.pool())
            .await?
            .iter()
            .filter(|r| members.contains(&r.get::<String>(0)))
            .map(|r| r.get::<i64>(1))
            .sum())
    }

    /// The results of every coupon issue, deal and list period (only the list period `at`
    /// falls in when given; one without lists answers zeros).
    pub async fn campaign_report(
        &self,
        period: Option<NaiveDate>,
    ) -> Result<CampaignReport, HqError> {
        let only = period.map(|d| period_start(d.and_time(chrono::NaiveTime::MIN).and_utc()));
        let (deals, periods) = self.list_results(only).await?;
        Ok(CampaignReport {
            coupon_issues: if only.is_some() {
                Vec::new()
            } else {
                self.issue_results().await?
            },
            deals,
            list_periods: periods,
        })
    }

    /// Campaigns and single coupons.
    async fn issue_results(&self) -> Result<Vec<IssueResult>, HqError> {
        let mut out = Vec::new();
        let campaigns =
            query("SELECT id, segment_id, definition FROM campaigns ORDER BY created_at, id")
                .fetch_all(self.pool())
                .await?;
        for c in &campaigns {
            let id: String = c.get(0);
            let request: Option<CampaignRequest> = serde_json::from_value(c.json(2)?).ok();
            let counts = query(
                "SELECT COUNT(*), COUNT(r.coupon_id), CAST(COALESCE(SUM(r.amount), 0) AS BIGINT)
                 FROM campaign_coupons c
                 LEFT JOIN coupon_redemptions r ON r.member_id = c.member_id AND r.coupon_id = c.coupon_id
                 WHERE c.campaign_id = $1",
            )
            .bind(&id)
            .fetch_one(self.pool())
            .await?;
            let redeemers: HashSet<String> = query(
                "SELECT r.member_id FROM campaign_coupons c
                 JOIN coupon_redemptions r ON r.member_id = c.member_id AND r.coupon_id = c.coupon_id
                 WHERE c.campaign_id = $1",
            )
            .bind(&id)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
            let targeted = match request.as_ref().and_then(|r| Some((r, r.offer().ok()?))) {
                Some((r, offer)) => {
                    self.targeted_sales(
                        &(&offer.target).into(),
                        r.valid_from,
                        r.valid_until,
                        &redeemers,
                    )
                    .await?
                }
                None => 0,
            };
            let mut results = Results {
                issued: counts.get(0),
                redeemed: counts.get(1),
                cost: counts.get(2),
                redeemers: redeemers.len() as i64,
                targeted_sales: targeted,
                ..Results::default()
            };
            results.rate();
            out.push(IssueResult {
                campaign_id: Some(id),
                segment_id: c.get(1),
                title: request.map(|r| r.title),
                results,
            });
        }
        // Coupons issued one by one: each redeemed one's target read from its signed code.
        let singles = query(
            "SELECT c.id, c.code, r.member_id, r.amount FROM coupons c
             LEFT JOIN coupon_redemptions r ON r.member_id = c.member_id AND r.coupon_id = c.id
             WHERE NOT EXISTS (SELECT 1 FROM campaign_coupons cc
                               WHERE cc.member_id = c.member_id AND cc.coupon_id = c.id)",
        )
        .fetch_all(self.pool())
        .await?;
        if !singles.is_empty() {
            let mut results = Results::default();
            let mut redeemers = HashSet::new();
            for s in &singles {
                results.issued += 1;
                let Some(member) = s.get::<Option<String>>(2) else {
                    continue;
                };
                results.redeemed += 1;
                results.cost += s.get::<Option<i64>>(3).unwrap_or(0);
                redeemers.insert(member.clone());
                if let Ok(CouponCode::Full(signed)) = parse_code(&s.get::<String>(1)) {
                    let c = &signed.coupon;
                    results.targeted_sales += self
                        .targeted_sales(
                            &(&c.offer.target).into(),
                            c.valid_from,
                            c.valid_until,
                            &HashSet::from([member]),
                        )
                        .await?;
                }
            }
            results.redeemers = redeemers.len() as i64;
            results.rate();
            out.push(IssueResult {
                campaign_id: None,
                segment_id: None,
                title: None,
                results,
            });
        }
        Ok(out)
    }

    /// The deals' targets (as the feed holds them now), by deal id.
    async fn deal_targets(&self) -> Result<HashMap<String, Target>, HqError> {
        let rows = query("SELECT id, definition FROM deals")
            .fetch_all(self.pool())
            .await?;
        // Only the products the deals name, by external id or GTIN, not the catalogue.
        let named: Vec<Value> = rows
            .iter()
            .map(|r| r.json(1))
            .collect::<Result<Vec<_>, _>>()?
            .iter()
            .filter_map(|d| {
                d["target"]["product"]
                    .as_str()
                    .map(|p| Value::from(p.trim()))
            })
            .collect();
        let products = if named.is_empty() {
            Vec::new()
        } else {
            Query::dialects(
                "SELECT record FROM products
                 WHERE CAST(gtin AS TEXT) IN (SELECT jsonb_array_elements_text($1))
                    OR record->>'external_id' IN (SELECT jsonb_array_elements_text($1))",
                "SELECT record FROM products
                 WHERE CAST(gtin AS TEXT) IN (SELECT value FROM json_each($1))
                    OR json_extract(record, '$.external_id') IN (SELECT value FROM json_each($1))",
            )
            .bind(Value::from(named))
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| {
                serde_json::from_value::<crate::domain::product::Product>(r.json(0)?)
                    .map(super::lists::product_info)
                    .map_err(|e| HqError::Invalid(format!("stored product: {e}")))
            })
            .collect::<Result<Vec<_>, HqError>>()?
        };
        let loaded = Loaded::from_parts(products, Vec::new());
        let mut out = HashMap::new();
        for r in &rows {
            let definition = r.json(1)?;
            let target = &definition["target"];
            let found = if let Some(id) = target["product"].as_str() {
                loaded
                    .product(id)
                    .map(|p| Target::Product(loaded.catalogue[p as usize].gtin.value() as i64))
            } else {
                target["category"]
                    .as_str()
                    .map(|c| Target::Category(c.to_string()))
            };
            if let Some(t) = found {
                out.insert(r.get(0), t);
            }
        }
        Ok(out)
    }

    /// Deals over every period, and each period with its lift (or only period `only`).
    async fn list_results(
        &self,
        only: Option<DateTime<Utc>>,
    ) -> Result<(Vec<DealResult>, Vec<PeriodResult>), HqError> {
        let targets = self.deal_targets().await?;
        let offers = query(
            "SELECT o.deal_id, o.period_start, o.funded_by, COUNT(*), COUNT(r.coupon_id),
                    CAST(COALESCE(SUM(r.amount), 0) AS BIGINT)
             FROM list_offers o
             LEFT JOIN coupon_redemptions r ON r.member_id = o.member_id AND r.coupon_id = o.coupon_id
             GROUP BY o.deal_id, o.period_start, o.funded_by ORDER BY o.deal_id, o.period_start",
        )
        .fetch_all(self.pool())
        .await?;
        let mut redeemers: HashMap<(String, DateTime<Utc>), HashSet<String>> = HashMap::new();
        for r in query(
            "SELECT o.deal_id, o.period_start, r.member_id FROM list_offers o
             JOIN coupon_redemptions r ON r.member_id = o.member_id AND r.coupon_id = o.coupon_id",
        )
        .fetch_all(self.pool())
        .await?
        .iter()
        {
            redeemers
                .entry((r.get(0), r.get(1)))
                .or_default()
                .insert(r.get(2));
        }
        let mut deals: Vec<DealResult> = Vec::new();
        let mut by_period: HashMap<DateTime<Utc>, Results> = HashMap::new();
        for o in &offers {
            let (deal, start): (String, DateTime<Utc>) = (o.get(0), o.get(1));
            if only.is_some_and(|p| p != start) {
                continue;
            }
            let who = redeemers.remove(&(deal.clone(), start)).unwrap_or_default();
            let targeted = match targets.get(&deal) {
                Some(t) => {
                    self.targeted_sales(t, start, start + Duration::days(PERIOD_DAYS), &who)
                        .await?
                }
                None => 0,
            };
            let mut results = Results {
                issued: o.get(3),
                redeemed: o.get(4),
                cost: o.get(5),
                redeemers: who.len() as i64,
                targeted_sales: targeted,
                ..Results::default()
            };
            results.rate();
            by_period.entry(start).or_default().add(&results);
            match deals.last_mut() {
                Some(d) if d.deal_id == deal => d.results.add(&results),
                _ => deals.push(DealResult {
                    deal_id: deal,
                    funded_by: o.get(2),
                    results,
                }),
            }
        }
        let mut starts: Vec<DateTime<Utc>> = query(
            "SELECT period_start FROM list_runs UNION SELECT period_start FROM shopping_lists
             UNION SELECT period_start FROM list_holdouts",
        )
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| r.get(0))
        .filter(|s| only.is_none_or(|p| p == *s))
        .collect();
        if let Some(p) = only
            && !starts.contains(&p)
        {
            starts.push(p);
        }
        starts.sort();
        starts.dedup();
        let mut periods = Vec::new();
        for start in starts {
            periods.push(
                self.period_result(start, by_period.remove(&start).unwrap_or_default())
                    .await?,
            );
        }
        Ok((deals, periods))
    }

    /// A list period: its offers' results and the lift over its hold-out group.
    async fn period_result(
        &self,
        start: DateTime<Utc>,
        results: Results,
    ) -> Result<PeriodResult, HqError> {
        let end = start + Duration::days(PERIOD_DAYS);
        let members = |sql: &'static str| async move {
            Ok::<Vec<String>, HqError>(
                query(sql)
                    .bind(start)
                    .fetch_all(self.pool())
                    .await?
                    .iter()
                    .map(|r| r.get(0))
                    .collect(),
            )
        };
        let holders =
            members("SELECT DISTINCT member_id FROM shopping_lists WHERE period_start = $1")
                .await?;
        let held = members("SELECT member_id FROM list_holdouts WHERE period_start = $1").await?;
        let sales: HashMap<String, i64> = query(
            "SELECT member_id, CAST(SUM(COALESCE(net, total - tax)) AS BIGINT) FROM sales
             WHERE member_id IS NOT NULL AND at >= $1 AND at < $2 GROUP BY member_id",
        )
        .bind(start)
        .bind(end)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
        let of = |ms: &[String]| -> Vec<i64> {
            ms.iter()
                .map(|m| sales.get(m).copied().unwrap_or(0))
                .collect()
        };
        Ok(PeriodResult {
            period_start: start,
            period_end: end,
            complete: end <= Utc::now(),
            lists: holders.len() as i64,
            results,
            lift: lift(&of(&holders), &of(&held)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hold_out_is_the_share_asked_for_and_the_same_on_every_run() {
        let start = period_start(Utc::now());
        let members: Vec<String> = (0..20_000).map(|i| format!("M{i}")).collect();
        let held = members.iter().filter(|m| held_out(start, m, 0.05)).count();
        // 5 % of 20,000 is 1,000; the binomial's standard deviation is about 31.
        assert!((880..=1120).contains(&held), "{held}");
        let again = members.iter().filter(|m| held_out(start, m, 0.05)).count();
        assert_eq!(held, again);
        assert!(!members.iter().any(|m| held_out(start, m, 0.0)));
        // Another period holds out other members.
        let next = start + Duration::days(PERIOD_DAYS);
        let both = members
            .iter()
            .filter(|m| held_out(start, m, 0.05) && held_out(next, m, 0.05))
            .count();
        assert!(both < 150, "{both}");
        // Too few members for a group of two: no one is held out.
        assert_eq!(effective_holdout_share(0.05, 39), 0.0);
        assert_eq!(effective_holdout_share(0.05, 40), 0.05);
        assert_eq!(effective_holdout_share(0.5, 4), 0.5);
    }

    #[test]
    fn lift_is_the_difference_of_means_with_a_welch_interval() {
        let treated = [100, 200, 300, 400];
        let control = [100, 100, 200, 200];
        let l = lift(&treated, &control);
        assert_eq!(l.sales_per_list_member, 250);
        assert_eq!(l.sales_per_holdout_member, 150);
        assert_eq!(l.lift_per_member, 100);
        // var(t) = 16666.7, var(c) = 3333.3: se = sqrt(4166.7 + 833.3) = 70.71.
        assert_eq!((l.ci95_low, l.ci95_high), (-39, 239));
        assert!((l.relative_lift.unwrap() - 2.0 / 3.0).abs() < 1e-9);
        assert!(l.measured);
        let empty = lift(&[], &[]);
        assert_eq!(empty, Lift::default());
        let one = lift(&[500], &[]);
        assert!(!one.measured);
        assert_eq!(one.relative_lift, None);
        assert_eq!((one.ci95_low, one.ci95_high), (500, 500));
    }
}
