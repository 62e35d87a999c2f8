//! HQ's personalised shopping lists: every other week HQ makes each qualifying member's
//! list from the purchases the tills reported (the shopping-list engine in
//! [`crate::domain::lists`]), signs it with its offers, and sends it to the member's home
//! store in the coupons data set; and the anonymised report manufacturers receive.
//!
//! - Periods are fixed: they start every 14 days from Monday 2024-01-01 00:00 UTC, so a
//!   restart or a second HQ process never shifts them, and a run is keyed by its start.
//! - Running a period again changes nothing: list and coupon ids derive from the member,
//!   the deal and the period, and every row is inserted once.
//! - A deal's budget holds across periods: what earlier runs' offers reserved is taken off
//!   before this run shares out the rest, so all its coupons together never promise more.
//! - The manufacturer report groups by funding party and segment only: no member name or
//!   id leaves HQ in it.

use std::collections::HashMap;

use anyhow::Context;
use chrono::{DateTime, Duration, TimeZone, Utc};
use ed25519_dalek::SigningKey;
use serde_json::Value;

use super::db::query;
use super::retry::retrying;
use super::store::{HqError, HqStore};
use crate::domain::coupon::LIST_ITEMS_MAX;
use crate::domain::coupon::SignedList;
use crate::domain::lists::coupons::{coupon_id, sign_member_list};
use crate::domain::lists::{MemberHistory, Params, ProductInfo, Purchase, plan_lists};
use crate::domain::money::Currency;
use crate::domain::product::Product;
use crate::domain::sale::SaleRecord;
use crate::lists::load::Loaded;

/// Days of one list period.
pub const PERIOD_DAYS: i64 = 14;
/// How far back purchases are read for a list (the engine weighs recent ones most).
const HISTORY_DAYS: i64 = 371;

/// HQ's list settings for the chain configured in `config`: the engine's defaults, days
/// cut at the stores' local midnight.
pub fn params_for(config: &crate::config::Config) -> Params {
    Params {
        day_offset_seconds: i64::from(config.store.offset().local_minus_utc()),
        holdout_share: config.hq.lists.holdout_share,
        ..Params::default()
    }
}

/// The engine's lists for the fortnight starting at `start`, from `loaded` with `params`
/// (the period is always HQ's fixed fortnight): what the run, an ask for one member and the
/// demo HQ all sign.
pub fn period_plan(
    loaded: &Loaded,
    deals: &[crate::domain::lists::Deal],
    start: DateTime<Utc>,
    params: &Params,
) -> crate::domain::lists::plan::Plan {
    let params = Params {
        period_days: PERIOD_DAYS as u32,
        ..params.clone()
    };
    plan_lists(&loaded.catalogue, &loaded.members, deals, start, &params)
}

/// The first period's start: a Monday, midnight UTC.
fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .expect("a valid fixed date")
}

/// The start of the period `at` falls in.
pub fn period_start(at: DateTime<Utc>) -> DateTime<Utc> {
    let period = Duration::days(PERIOD_DAYS).num_seconds();
    let since = (at - epoch()).num_seconds();
    epoch() + Duration::seconds(since.div_euclid(period) * period)
}

/// What one run made.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ListRun {
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    /// Members with purchases in the history window.
    pub members: usize,
    /// Members who qualified and got a list.
    pub lists: usize,
    pub offers: usize,
    /// Members who would have got a list and were held out of this period's at random.
    pub held_out: usize,
}

/// What a store's ask for one member's list came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnDemand {
    /// The member's signed list of the current period.
    List(super::catalogue::SignedCode),
    UnknownMember,
    /// The member belongs to another store (named) or to none.
    NotHome(String),
    /// The member is in this period's hold-out group: no list this fortnight.
    HeldOut,
    /// HQ holds no purchases of the member to make a list from.
    NoHistory,
}

/// Signs a member's list.
fn sign_list(
    list: &crate::domain::lists::MemberList,
    deals: &[crate::domain::lists::Deal],
    catalogue: &[ProductInfo],
    key: &SigningKey,
) -> anyhow::Result<SignedList> {
    sign_member_list(list, deals, catalogue, key, LIST_ITEMS_MAX)
        .with_context(|| format!("signing the list of member {}", list.member_id))
}

/// Keeps a signed list with its offers (each row once: ids derive from the member, the
/// deal and the period).
async fn keep_list(
    tx: &mut super::db::Tx,
    list: &crate::domain::lists::MemberList,
    signed: &SignedList,
    deals: &[crate::domain::lists::Deal],
) -> Result<(), HqError> {
    query(
        "INSERT INTO shopping_lists (id, member_id, period_start, period_end, code, issued_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (member_id, id) DO NOTHING",
    )
    .bind(signed.id())
    .bind(&list.member_id)
    .bind(list.period_start)
    .bind(list.period_end)
    .bind(signed.full_code())
    .bind(Utc::now())
    .execute(&mut *tx)
    .await?;
    for offer in &list.offers {
        let deal = &deals[offer.deal];
        query(
            "INSERT INTO list_offers (coupon_id, list_id, deal_id, funded_by, segment, max_value, period_start,
                                      member_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (member_id, coupon_id) DO NOTHING",
        )
        .bind(coupon_id(&list.member_id, &deal.id, list.period_start))
        .bind(signed.id())
        .bind(&deal.id)
        .bind(deal.funding.funded_by())
        .bind(offer.segment.name())
        .bind(offer.reserved)
        .bind(list.period_start)
        .bind(&list.member_id)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

impl HqStore {
    /// Replaces deals of the feed by id (the `storepos lists` deals format, one JSON object
    /// each), all in one transaction; each must read against HQ's catalogue first.
    pub async fn put_deals(&self, deals: &[Value], currency: Currency) -> Result<usize, HqError> {
        let loaded = Loaded::from_parts(self.list_catalogue().await?, Vec::new());
        let text: String = deals.iter().map(|d| format!("{d}\n")).collect();
        crate::lists::deals::parse(&text, &loaded, currency)
            .map_err(|e| HqError::Invalid(format!("{e:#}")))?;
        retrying("storing deals", || async move {
            let mut tx = self.pool().begin().await?;
            for d in deals {
                query(
                    "INSERT INTO deals (id, definition, updated_at) VALUES ($1, $2, $3)
                     ON CONFLICT (id) DO UPDATE SET definition = EXCLUDED.definition, updated_at = EXCLUDED.updated_at",
                )
                .bind(d["id"].as_str().unwrap_or_default())
                .bind(d)
                .bind(Utc::now())
                .execute(&mut tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
        .await?;
        Ok(deals.len())
    }

    /// HQ's catalogue as the engine sees it.
    pub(crate) async fn list_catalogue(&self) -> Result<Vec<ProductInfo>, HqError> {
        Ok(self
            .products()
            .await?
            .into_iter()
            .map(product_info)
            .collect())
    }

    /// Every member purchase the tills reported in `[from, until)` (of one member when
    /// `only` names one), with HQ's catalogue.
    async fn list_input(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        only: Option<&str>,
    ) -> Result<Loaded, HqError> {
        let mut loaded = Loaded::from_parts(self.list_catalogue().await?, Vec::new());
        // Only sales HQ applied: a refused (parked) event says nothing about what was bought.
        let rows = match only {
            None => query(
                "SELECT payload, at FROM events
                 WHERE kind = 'sale.completed' AND refused_rule IS NULL AND at >= $1 AND at < $2",
            )
            .bind(from)
            .bind(until),
            // One member's: through the sales rows HQ keeps per member (one index range),
            // not a read of every sale of the chain.
            Some(member) => query(
                "SELECT e.payload, e.at FROM sales s JOIN events e ON e.store_id = s.store_id AND e.id = s.event_id
                 WHERE s.member_id = $3 AND e.kind = 'sale.completed' AND s.at >= $1 AND s.at < $2",
            )
            .bind(from)
            .bind(until)
            .bind(member),
        }
        .fetch_all(self.pool())
        .await?;
        let mut histories: HashMap<String, Vec<Purchase>> = HashMap::new();
        for row in &rows {
            let payload = row.json(0)?;
            let at: DateTime<Utc> = row.get(1);
            // Ingest accepted only well-formed sales, so one that does not read now is
            // a record of an older format: it is left out rather than stopping the run.
            let Ok(sale) = serde_json::from_value::<SaleRecord>(payload["sale"].clone()) else {
                continue;
            };
            let Some(member) = sale.member_id else {
                continue;
            };
            let purchases = histories.entry(member).or_default();
            for line in &sale.lines {
                purchases.push(Purchase {
                    product: loaded.product_for_gtin(line.gtin),
                    at,
                    amount: line.amount - line.discount,
                });
            }
        }
        let members = histories
            .into_iter()
            .map(|(member_id, purchases)| MemberHistory {
                member_id,
                purchases,
            })
            .collect();
        Ok(Loaded::from_parts(loaded.catalogue, members))
    }

    /// Whether the period starting at `start` has had its run.
    pub async fn list_run_done(&self, start: DateTime<Utc>) -> Result<bool, HqError> {
        Ok(query("SELECT 1 FROM list_runs WHERE period_start = $1")
            .bind(start)
            .fetch_optional(self.pool())
            .await?
            .is_some())
    }

    /// Makes, signs and keeps the lists of the period starting at `start` from the
    /// purchases before it; running it again for the same period adds nothing.
    pub async fn make_lists(
        &self,
        key: &SigningKey,
        start: DateTime<Utc>,
        params: &Params,
        currency: Currency,
    ) -> anyhow::Result<ListRun> {
        let loaded = self
            .list_input(start - Duration::days(HISTORY_DAYS), start, None)
            .await?;
        self.make_period_lists(key, start, &loaded, params, currency, params.holdout_share)
            .await
    }

    /// Makes, signs and keeps the lists of the period starting at `start` from the
    /// catalogue and purchase histories in `loaded` (HQ's own, or a store's history handed
    /// to it, as the demo HQ is); running it again for the same period adds nothing.
    /// No one is held out of lists made this way (the demo's).
    pub async fn make_lists_from(
        &self,
        key: &SigningKey,
        start: DateTime<Utc>,
        loaded: &Loaded,
        params: &Params,
        currency: Currency,
    ) -> anyhow::Result<ListRun> {
        self.make_period_lists(key, start, loaded, params, currency, 0.0)
            .await
    }

    /// [`Self::make_lists_from`], holding out `holdout_share` of the members who would
    /// get a list (chosen per period and member, see [`super::holdout::held_out`]).
    async fn make_period_lists(
        &self,
        key: &SigningKey,
        start: DateTime<Utc>,
        loaded: &Loaded,
        params: &Params,
        currency: Currency,
        holdout_share: f64,
    ) -> anyhow::Result<ListRun> {
        let deals = self.deals_with_budget_left(loaded, start, currency).await?;
        let plan = period_plan(loaded, &deals, start, params);
        let end = start + Duration::days(PERIOD_DAYS);
        let mut signed = Vec::new();
        let mut held = Vec::new();
        let listed = plan.lists.iter().filter(|l| !l.items.is_empty()).count();
        let holdout_share = super::holdout::effective_holdout_share(holdout_share, listed);
        for list in plan.lists.iter().filter(|l| !l.items.is_empty()) {
            if super::holdout::held_out(start, &list.member_id, holdout_share) {
                held.push(list.member_id.as_str());
                continue;
            }
            signed.push((list, sign_list(list, &deals, &loaded.catalogue, key)?));
        }
        let run = ListRun {
            period_start: start,
            period_end: end,
            members: loaded.members.len(),
            lists: signed.len(),
            offers: signed.iter().map(|(l, _)| l.offers.len()).sum(),
            held_out: held.len(),
        };
        let (signed, deals, run_ref, held) = (&signed, &deals, &run, &held);
        retrying("keeping the period's lists", || async move {
            let mut tx = self.pool().begin().await?;
            for (list, code) in signed {
                keep_list(&mut tx, list, code, deals).await?;
            }
            super::holdout::keep_holdouts(&mut tx, start, held).await?;
            query(
                "INSERT INTO list_runs (period_start, period_end, members, lists, offers, made_at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (period_start) DO NOTHING",
            )
            .bind(start)
            .bind(end)
            .bind(run_ref.members as i64)
            .bind(run_ref.lists as i64)
            .bind(run_ref.offers as i64)
            .bind(Utc::now())
            .execute(&mut tx)
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await?;
        Ok(run)
    }

    /// The list of the current period for one member, made and signed now if HQ has none
    /// yet (a member asks at a counter of `store_id` and did not qualify for the
    /// fortnight's run). Only the member's home store may ask; the period is always the
    /// one `now` falls in, so no store can have lists made for other periods; a list
    /// already made (by the run or an earlier ask) is answered as it is.
    pub async fn list_on_demand(
        &self,
        key: &SigningKey,
        member_id: &str,
        store_id: &str,
        now: DateTime<Utc>,
        params: &Params,
        currency: Currency,
    ) -> anyhow::Result<OnDemand> {
        let Some((member, _)) = self.member(member_id).await? else {
            return Ok(OnDemand::UnknownMember);
        };
        if member.home_store.as_deref() != Some(store_id) {
            return Ok(OnDemand::NotHome(member.home_store.unwrap_or_default()));
        }
        let start = period_start(now);
        if let Some(code) = self.kept_list(member_id, start).await? {
            return Ok(OnDemand::List(code));
        }
        if self.is_held_out(member_id, start).await? {
            return Ok(OnDemand::HeldOut);
        }
        let loaded = self
            .list_input(start - Duration::days(HISTORY_DAYS), start, Some(member_id))
            .await?;
        // Asked for by name: made whatever the member spent lately.
        let params = Params {
            min_weekly_spend: i64::MIN,
            ..params.clone()
        };
        let deals = self
            .deals_with_budget_left(&loaded, start, currency)
            .await?;
        let plan = period_plan(&loaded, &deals, start, &params);
        let Some(list) = plan
            .lists
            .iter()
            .find(|l| l.member_id == member_id && !l.items.is_empty())
        else {
            return Ok(OnDemand::NoHistory);
        };
        let (signed, deals) = (&sign_list(list, &deals, &loaded.catalogue, key)?, &deals);
        retrying("keeping a member's list", || async move {
            let mut tx = self.pool().begin().await?;
            keep_list(&mut tx, list, signed, deals).await?;
            tx.commit().await?;
            Ok(())
        })
        .await?;
        // Another ask may have kept its list first: the one kept is the answer.
        Ok(match self.kept_list(member_id, start).await? {
            Some(code) => OnDemand::List(code),
            None => anyhow::bail!("the list of member {member_id} was kept and is gone"),
        })
    }

    /// The list HQ keeps for a member and period, as stores receive it.
    async fn kept_list(
        &self,
        member_id: &str,
        start: DateTime<Utc>,
    ) -> Result<Option<super::catalogue::SignedCode>, HqError> {
        let row =
            query("SELECT id, code FROM shopping_lists WHERE member_id = $1 AND period_start = $2")
                .bind(member_id)
                .bind(start)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.map(|r| super::catalogue::SignedCode {
            kind: "list".into(),
            id: r.get(0),
            member_id: member_id.to_string(),
            code: r.get(1),
        }))
    }

    /// The deals feed, each budget less what other periods' offers already reserved.
    async fn deals_with_budget_left(
        &self,
        loaded: &Loaded,
        start: DateTime<Utc>,
        currency: Currency,
    ) -> anyhow::Result<Vec<crate::domain::lists::Deal>> {
        let rows = query("SELECT definition FROM deals ORDER BY id")
            .fetch_all(self.pool())
            .await?;
        let text = rows
            .iter()
            .map(|r| r.json(0).map(|v| format!("{v}\n")))
            .collect::<Result<String, _>>()?;
        let mut deals = crate::lists::deals::parse(&text, loaded, currency)?;
        let spent = query(
            "SELECT deal_id, CAST(SUM(max_value) AS BIGINT) FROM list_offers WHERE period_start <> $1 GROUP BY deal_id",
        )
        .bind(start)
        .fetch_all(self.pool())
        .await?;
        let spent: HashMap<String, i64> = spent.iter().map(|r| (r.get(0), r.get(1))).collect();
        for deal in &mut deals {
            deal.budget = (deal.budget - spent.get(&deal.id).copied().unwrap_or(0)).max(0);
        }
        Ok(deals)
    }

    /// Runs the lists of the period `now` falls in unless that has been done; returns
    /// the run when it made one.
    pub async fn run_due_lists(
        &self,
        key: &SigningKey,
        now: DateTime<Utc>,
        params: &Params,
        currency: Currency,
    ) -> anyhow::Result<Option<ListRun>> {
        let start = period_start(now);
        if self.list_run_done(start).await? {
            return Ok(None);
        }
        Ok(Some(self.make_lists(key, start, params, currency).await?))
    }

    /// The current lists of a store's members (home store), as stores keep them.
    pub async fn store_lists(
        &self,
        store_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<super::catalogue::SignedCode>, HqError> {
        let rows = query(
            "SELECT l.id, l.member_id, l.code FROM shopping_lists l JOIN members m ON m.id = l.member_id
             WHERE m.home_store = $1 AND l.period_end > $2 ORDER BY l.id",
        )
        .bind(store_id)
        .bind(now)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| super::catalogue::SignedCode {
                kind: "list".into(),
                id: r.get(0),
                member_id: r.get(1),
                code: r.get(2),
            })
            .collect())
    }

    /// What each funding party's offers did, per segment: lists reached, offers issued
    /// and redeemed, the budget they reserved and what their redemptions cost. Only
    /// counts and amounts: no member names or ids.
    pub async fn manufacturer_figures(&self) -> Result<ManufacturerReport, HqError> {
        let rows = query(
            "SELECT o.funded_by, o.segment, COUNT(DISTINCT o.list_id), COUNT(*),
                    COUNT(r.coupon_id), CAST(COALESCE(SUM(o.max_value), 0) AS BIGINT), CAST(COALESCE(SUM(r.amount), 0) AS BIGINT)
             FROM list_offers o
             LEFT JOIN coupon_redemptions r ON r.member_id = o.member_id AND r.coupon_id = o.coupon_id
             GROUP BY o.funded_by, o.segment ORDER BY o.funded_by, o.segment",
        )
        .fetch_all(self.pool())
        .await?;
        let mut parties: Vec<FundingParty> = Vec::new();
        for r in &rows {
            let party: String = r.get(0);
            let segment = SegmentFigures {
                segment: r.get(1),
                lists_reached: r.get(2),
                offers_issued: r.get(3),
                offers_redeemed: r.get(4),
                reserved: r.get(5),
                cost: r.get(6),
            };
            if parties.last().is_none_or(|p| p.funded_by != party) {
                parties.push(FundingParty {
                    funded_by: party,
                    offers_issued: 0,
                    offers_redeemed: 0,
                    reserved: 0,
                    cost: 0,
                    segments: Vec::new(),
                });
            }
            let entry = parties.last_mut().expect("pushed above");
            entry.offers_issued += segment.offers_issued;
            entry.offers_redeemed += segment.offers_redeemed;
            entry.reserved += segment.reserved;
            entry.cost += segment.cost;
            entry.segments.push(segment);
        }
        Ok(ManufacturerReport {
            funding_parties: parties,
        })
    }

    /// [`HqStore::manufacturer_figures`] as JSON.
    pub async fn manufacturer_report(&self) -> Result<Value, HqError> {
        serde_json::to_value(self.manufacturer_figures().await?)
            .map_err(|e| HqError::Invalid(e.to_string()))
    }
}

/// The anonymised report manufacturers receive: per funding party, then per segment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ManufacturerReport {
    pub funding_parties: Vec<FundingParty>,
}

/// What one funding party's offers did, over its segments.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FundingParty {
    pub funded_by: String,
    pub offers_issued: i64,
    pub offers_redeemed: i64,
    /// The budget its offers reserved, minor units.
    pub reserved: i64,
    /// What its redeemed offers cost, minor units.
    pub cost: i64,
    pub segments: Vec<SegmentFigures>,
}

/// What one funding party's offers did in one segment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SegmentFigures {
    pub segment: String,
    pub lists_reached: i64,
    pub offers_issued: i64,
    pub offers_redeemed: i64,
    pub reserved: i64,
    pub cost: i64,
}

/// A catalogue product as the list engine knows it: by its external id (its GTIN when it
/// has none), its English name where it has one.
pub(crate) fn product_info(p: Product) -> ProductInfo {
    ProductInfo {
        id: p.external_id.clone().unwrap_or_else(|| p.gtin.to_string()),
        gtin: p.gtin,
        name: p.name_en.filter(|n| !n.is_empty()).unwrap_or(p.name),
        department: p.department,
        category: p.category,
        brand: p.brand_type,
        stocked: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_fixed_fortnights_from_a_monday() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(period_start(at("2024-01-01T00:00:00Z")), epoch());
        assert_eq!(period_start(at("2024-01-14T23:59:59Z")), epoch());
        assert_eq!(
            period_start(at("2024-01-15T00:00:00Z")),
            at("2024-01-15T00:00:00Z")
        );
        let start = period_start(at("2026-11-22T19:00:00Z"));
        assert!(start <= at("2026-11-22T19:00:00Z"));
        assert!(at("2026-11-22T19:00:00Z") < start + Duration::days(PERIOD_DAYS));
        assert_eq!(start.format("%a").to_string(), "Mon");
        // Before the first period, too.
        assert_eq!(
            period_start(at("2023-12-31T12:00:00Z")),
            at("2023-12-18T00:00:00Z")
        );
    }
}
