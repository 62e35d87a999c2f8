//! What `storepos hq serve` runs by itself beside the API: the points expiry once a day,
//! the members' RFM scores as of the day before once a day, the staff search's index of
//! member names and the month rollups of every store's closed months at every tick, and
//! each fortnight's shopping lists once their period has started. All are
//! idempotent (expiry transfers and lists have ids derived from what they are for), so a
//! restart, or a second HQ process over the same database, does nothing twice.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{NaiveDate, Utc};

use super::HqStore;
use crate::domain::lists::Params;
use crate::domain::loyalty::ExpiryPolicy;
use crate::domain::money::Currency;

/// How often the schedule looks at the clock.
const TICK: Duration = Duration::from_secs(600);

/// The scheduled jobs' settings.
#[derive(Debug, Clone)]
pub struct Jobs {
    pub expiry: ExpiryPolicy,
    /// HQ's coupon-signing key (`hq.key_file`), made on first use.
    pub key_file: PathBuf,
    pub params: Params,
    pub currency: Currency,
}

/// Runs the jobs until the task is dropped; a failed job is logged and tried again at the
/// next tick.
pub async fn run(store: HqStore, jobs: Jobs) {
    let mut tick = tokio::time::interval(TICK);
    let mut expired_on: Option<NaiveDate> = None;
    let mut scored_on: Option<NaiveDate> = None;
    loop {
        tick.tick().await;
        let now = Utc::now();
        if expired_on != Some(now.date_naive()) {
            match store.expire_points(now, &jobs.expiry).await {
                Ok(points) => {
                    tracing::info!("expiry run: {points} points expired");
                    expired_on = Some(now.date_naive());
                }
                Err(e) => tracing::warn!("expiry run failed: {e}"),
            }
        }
        if scored_on != Some(now.date_naive()) {
            let yesterday = now.date_naive() - chrono::Duration::days(1);
            match store.compute_scores(yesterday).await {
                Ok(n) => {
                    tracing::info!("member scores: {n} members");
                    scored_on = Some(now.date_naive());
                }
                Err(e) => tracing::warn!("member scores failed: {e}"),
            }
        }
        // Names of members met since (imports, tills' enrolments) indexed for the staff's
        // search, so a search seldom has a backlog to index first.
        match store.index_member_names().await {
            Ok(0) => {}
            Ok(n) => tracing::info!("member search: {n} names indexed"),
            Err(e) => tracing::warn!("member search index failed: {e}"),
        }
        match store.roll_up_months(now).await {
            Ok(done) if done.months > 0 || done.deferred > 0 || done.weeks > 0 => tracing::info!(
                "month rollups: {} store-months rolled up, {} stores deferred by late sales, {} chain weeks made",
                done.months,
                done.deferred,
                done.weeks
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!("month rollups failed: {e}"),
        }
        let key = match super::admin::signing_key(&jobs.key_file) {
            Ok(key) => key,
            Err(e) => {
                tracing::warn!("shopping lists: {e:#}");
                continue;
            }
        };
        match store
            .run_due_lists(&key, now, &jobs.params, jobs.currency)
            .await
        {
            Ok(Some(run)) => tracing::info!(
                "shopping lists for {}: {} lists, {} offers for {} members with history",
                run.period_start,
                run.lists,
                run.offers,
                run.members
            ),
            Ok(None) => {}
            Err(e) => tracing::warn!("shopping lists failed: {e:#}"),
        }
    }
}
