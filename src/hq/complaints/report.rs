//! The complaints report over the cases *opened* in a range of days (UTC, both ends
//! included):
//! - volume: how many, by category, store, channel, severity and current state;
//! - time to first response: from opening to the case's first step after it, over the
//!   cases that have one; time to close: from opening to the case's closing, over the
//!   cases closed now (a reopened case counts when closed again, from its opening);
//! - median and p90 by nearest rank: the value at rank ⌈p·n/100⌉ of the n durations in
//!   ascending order (the median of an even count is the lower middle one), in seconds;
//! - satisfaction: how many cases have the member's word, its average and how many said
//!   each of 1–5.
//!
//! A range with no cases answers zeros.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::store::ComplaintError;
use crate::hq::db::query;
use crate::hq::store::HqStore;

/// Longest range one report covers: ten years.
pub const MAX_REPORT_DAYS: i64 = 3_660;

/// How many cases had one value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Volume {
    pub key: String,
    pub cases: u64,
}

/// Durations in seconds over `cases` cases (zeros when none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Durations {
    pub cases: u64,
    pub median_seconds: i64,
    pub p90_seconds: i64,
}

/// The member's satisfaction over the cases that have it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Satisfaction {
    pub cases: u64,
    /// The average, to two decimals (0 when no case has it).
    pub average: f64,
    /// How many said 1, 2, 3, 4 and 5.
    pub distribution: [u64; 5],
}

/// `GET /v1/reports/complaints`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ComplaintReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Cases opened in the range.
    pub cases: u64,
    pub by_category: Vec<Volume>,
    pub by_store: Vec<Volume>,
    pub by_channel: Vec<Volume>,
    pub by_severity: Vec<Volume>,
    pub by_state: Vec<Volume>,
    pub first_response: Durations,
    pub to_close: Durations,
    pub satisfaction: Satisfaction,
}

/// The value at nearest rank ⌈p·n/100⌉ of `sorted` (ascending); 0 for none.
pub fn nearest_rank(sorted: &[i64], p: usize) -> i64 {
    debug_assert!(sorted.windows(2).all(|w| w[0] <= w[1]));
    debug_assert!((1..=100).contains(&p));
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

fn durations(mut seconds: Vec<i64>) -> Durations {
    seconds.sort_unstable();
    Durations {
        cases: seconds.len() as u64,
        median_seconds: nearest_rank(&seconds, 50),
        p90_seconds: nearest_rank(&seconds, 90),
    }
}

fn volumes(counts: BTreeMap<String, u64>) -> Vec<Volume> {
    let mut v: Vec<Volume> = counts
        .into_iter()
        .map(|(key, cases)| Volume { key, cases })
        .collect();
    // Most first; ties by name.
    v.sort_by(|a, b| b.cases.cmp(&a.cases).then_with(|| a.key.cmp(&b.key)));
    v
}

impl HqStore {
    /// The report over the cases opened from `from` to `to` (UTC days, both included).
    pub async fn complaint_report(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<ComplaintReport, ComplaintError> {
        use chrono::Datelike;
        if let Some(day) = [from, to]
            .into_iter()
            .find(|d| !(1970..=9999).contains(&d.year()))
        {
            return Err(ComplaintError::Invalid(format!(
                "{day} is outside the years 1970–9999"
            )));
        }
        if to < from {
            return Err(ComplaintError::Invalid(format!(
                "the range ends ({to}) before it starts ({from})"
            )));
        }
        if (to - from).num_days() >= MAX_REPORT_DAYS {
            return Err(ComplaintError::Invalid(format!(
                "a report covers at most {MAX_REPORT_DAYS} days"
            )));
        }
        let start = from.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
        let end = to.and_hms_opt(0, 0, 0).expect("midnight").and_utc() + TimeDelta::days(1);
        let rows = query(
            "SELECT category, store_id, channel, severity, state, opened_at, first_response_at,
                    closed_at, satisfaction
             FROM complaint_cases WHERE opened_at >= $1 AND opened_at < $2",
        )
        .bind(start)
        .bind(end)
        .fetch_all(self.pool())
        .await?;
        let mut maps: [BTreeMap<String, u64>; 5] = Default::default();
        let mut first = Vec::new();
        let mut close = Vec::new();
        let mut satisfaction = Satisfaction::default();
        let mut sum = 0u64;
        for r in &rows {
            for (i, map) in maps.iter_mut().enumerate() {
                *map.entry(r.get::<String>(i)).or_default() += 1;
            }
            let opened: DateTime<Utc> = r.get(5);
            if let Some(at) = r.get::<Option<DateTime<Utc>>>(6) {
                first.push((at - opened).num_seconds());
            }
            if let Some(at) = r.get::<Option<DateTime<Utc>>>(7) {
                close.push((at - opened).num_seconds());
            }
            if let Some(s) = r.get::<Option<i64>>(8).filter(|s| (1..=5).contains(s)) {
                satisfaction.cases += 1;
                satisfaction.distribution[s as usize - 1] += 1;
                sum += s as u64;
            }
        }
        if satisfaction.cases > 0 {
            satisfaction.average = (sum as f64 * 100.0 / satisfaction.cases as f64).round() / 100.0;
        }
        let [category, store, channel, severity, state] = maps;
        let report = ComplaintReport {
            from,
            to,
            cases: rows.len() as u64,
            by_category: volumes(category),
            by_store: volumes(store),
            by_channel: volumes(channel),
            by_severity: volumes(severity),
            by_state: volumes(state),
            first_response: durations(first),
            to_close: durations(close),
            satisfaction,
        };
        debug_assert!(
            [
                &report.by_category,
                &report.by_store,
                &report.by_channel,
                &report.by_severity,
                &report.by_state
            ]
            .iter()
            .all(|v| v.iter().map(|x| x.cases).sum::<u64>() == report.cases),
            "every breakdown adds up to the cases"
        );
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(nearest_rank(&[], 50), 0);
        assert_eq!(nearest_rank(&[7], 50), 7);
        assert_eq!(nearest_rank(&[7], 90), 7);
        assert_eq!(nearest_rank(&[1, 2], 50), 1);
        assert_eq!(nearest_rank(&[1, 2, 3], 50), 2);
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(nearest_rank(&ten, 50), 5);
        assert_eq!(nearest_rank(&ten, 90), 9);
        let eleven: Vec<i64> = (1..=11).collect();
        assert_eq!(nearest_rank(&eleven, 90), 10);
        assert_eq!(nearest_rank(&eleven, 100), 11);
    }
}
