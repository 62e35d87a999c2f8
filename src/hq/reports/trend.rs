//! A period's net sales part by part, beside the same parts a year earlier: the hours of
//! a day, the days of a week or a month, the months of a quarter or a year. The console
//! draws it as lines with the year-earlier line over them. Read from the same rollups and
//! by the same rules as [`super::sales`]: a month a store has rolled up is one row.

use std::collections::HashMap;

use chrono::{Datelike, Duration};
use serde::{Deserialize, Serialize};

use super::period::{Period, PeriodKind};
use super::sales::{ReportError, scoped, with_store};
use super::statements::statement;
use crate::hq::db::Tx;
use crate::hq::error::HqError;
use crate::hq::store::HqStore;

/// One part of the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TrendPoint {
    /// The hour (`0`–`23`), the day (`2026-03-29`) or the month (`2026-03`).
    pub part: String,
    /// The same part a year earlier (the day 52 weeks earlier for a week's days).
    pub last_year_part: String,
    /// Net sales, minor units.
    pub net: i64,
    pub last_year_net: i64,
}

/// Net sales part by part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SalesTrend {
    pub period: Period,
    pub last_year: Period,
    /// The store; none for the whole chain.
    pub store: Option<String>,
    /// In the period's order, every part, zero where nothing was sold.
    pub points: Vec<TrendPoint>,
}

/// The parts a period is drawn in.
#[derive(Clone, Copy, PartialEq)]
enum Part {
    Hour,
    Day,
    Month,
}

fn part_of(kind: PeriodKind) -> Part {
    match kind {
        PeriodKind::Day => Part::Hour,
        PeriodKind::Week | PeriodKind::Month => Part::Day,
        PeriodKind::Quarter | PeriodKind::Year => Part::Month,
    }
}

/// The parts' keys as the statements give them, in order.
fn parts(period: Period, part: Part) -> Vec<String> {
    match part {
        Part::Hour => (0..24).map(|h| h.to_string()).collect(),
        Part::Day => (0..period.days())
            .map(|n| (period.from + Duration::days(n)).to_string())
            .collect(),
        Part::Month => {
            let mut months = Vec::new();
            let mut day = period.from;
            while day <= period.to {
                months.push(day.to_string());
                day = crate::hq::sale_lines::next_month(day);
            }
            months
        }
    }
}

/// A part's key as the answer shows it: a month without its day.
fn shown(key: &str, part: Part) -> String {
    match part {
        Part::Month => key.get(..7).unwrap_or(key).to_string(),
        _ => key.to_string(),
    }
}

/// The net sales of `period` by part.
async fn net_by_part(
    tx: &mut Tx,
    period: Period,
    part: Part,
    store: Option<&str>,
) -> Result<HashMap<String, i64>, HqError> {
    let one = store.is_some();
    let q = match part {
        Part::Hour => scoped(statement(|st| &st.by_hour[&("hour", one)]), period, store),
        // No whole months: every day is read from the day rollups, which keep them.
        Part::Day => with_store(
            statement(|st| &st.trend[&(false, one)])
                .bind(period.from)
                .bind(period.to)
                .bind(period.from)
                .bind(period.from),
            store,
        ),
        Part::Month => scoped(statement(|st| &st.trend[&(true, one)]), period, store),
    };
    // The hour statement's net is its fourth column; the trend's its second.
    let net = if part == Part::Hour { 3 } else { 1 };
    Ok(q.fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|r| (r.get::<String>(0), r.get::<i64>(net)))
        .collect())
}

impl HqStore {
    /// The net sales of the period holding `period` part by part, and a year earlier.
    pub async fn sales_trend(
        &self,
        period: Period,
        store: Option<&str>,
    ) -> Result<SalesTrend, ReportError> {
        let mut tx = self.open_report(store).await?;
        let part = part_of(period.kind);
        let last_year = period.last_year();
        let now = net_by_part(&mut tx, period, part, store).await?;
        let then = net_by_part(&mut tx, last_year, part, store).await?;
        let (now_parts, then_parts) = (parts(period, part), parts(last_year, part));
        // A month of 31 days against one of 30 (or February): the longer one's last day
        // has no partner.
        let points = (0..now_parts.len().max(then_parts.len()))
            .map(|i| {
                let (a, b) = (now_parts.get(i), then_parts.get(i));
                TrendPoint {
                    part: a.map(|k| shown(k, part)).unwrap_or_default(),
                    last_year_part: b.map(|k| shown(k, part)).unwrap_or_default(),
                    net: a.and_then(|k| now.get(k)).copied().unwrap_or(0),
                    last_year_net: b.and_then(|k| then.get(k)).copied().unwrap_or(0),
                }
            })
            .collect();
        debug_assert_eq!(
            parts(period, part).len(),
            match part {
                Part::Hour => 24,
                Part::Day => period.days() as usize,
                Part::Month => (period.to.month0() - period.from.month0() + 1) as usize,
            }
        );
        Ok(SalesTrend {
            period,
            last_year,
            store: store.map(str::to_string),
            points,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_period_is_drawn_in_its_parts() {
        let q = Period::holding(PeriodKind::Quarter, day("2026-05-17"));
        assert_eq!(
            parts(q, part_of(q.kind)),
            ["2026-04-01", "2026-05-01", "2026-06-01"]
        );
        let m = Period::holding(PeriodKind::Month, day("2024-02-10"));
        let days = parts(m, part_of(m.kind));
        assert_eq!(days.len(), 29);
        assert_eq!(days.last().map(String::as_str), Some("2024-02-29"));
        let d = Period::holding(PeriodKind::Day, day("2026-03-29"));
        assert_eq!(parts(d, part_of(d.kind)).len(), 24);
        assert_eq!(shown("2026-03-01", Part::Month), "2026-03");
    }
}
