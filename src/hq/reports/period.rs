//! The periods of the sales reports: a [`Period`] is a kind (day, week, month, quarter,
//! year) and the stores' local days it covers, with the period before it and the same
//! period a year earlier to compare with.

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// How long a report's period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PeriodKind {
    Day,
    /// ISO weeks, Monday to Sunday.
    Week,
    Month,
    Quarter,
    Year,
}

impl PeriodKind {
    pub fn parse(text: &str) -> Result<PeriodKind, String> {
        Ok(match text.trim().to_ascii_lowercase().as_str() {
            "day" => PeriodKind::Day,
            "week" => PeriodKind::Week,
            "month" => PeriodKind::Month,
            "quarter" => PeriodKind::Quarter,
            "year" => PeriodKind::Year,
            other => {
                return Err(format!(
                    "'{}' is not a period: day, week, month, quarter or year",
                    other.chars().take(32).collect::<String>()
                ));
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Day => "day",
            PeriodKind::Week => "week",
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
            PeriodKind::Year => "year",
        }
    }
}

/// A run of local days, first and last included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Period {
    pub kind: PeriodKind,
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
}

fn first_of_month(year: i32, month: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, 1).expect("months 1 to 12 have a first day")
}

/// The last day of the month `months` after the one `first` opens.
fn month_end(first: NaiveDate, months: u32) -> NaiveDate {
    let index = first.year() * 12 + first.month0() as i32 + months as i32;
    first_of_month(index.div_euclid(12), index.rem_euclid(12) as u32 + 1) - Duration::days(1)
}

impl Period {
    /// The period of kind `kind` that holds `day`.
    pub fn holding(kind: PeriodKind, day: NaiveDate) -> Period {
        let (from, to) = match kind {
            PeriodKind::Day => (day, day),
            PeriodKind::Week => {
                let monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
                (monday, monday + Duration::days(6))
            }
            PeriodKind::Month => {
                let first = first_of_month(day.year(), day.month());
                (first, month_end(first, 1))
            }
            PeriodKind::Quarter => {
                let first = first_of_month(day.year(), day.month0() / 3 * 3 + 1);
                (first, month_end(first, 3))
            }
            PeriodKind::Year => (
                first_of_month(day.year(), 1),
                NaiveDate::from_ymd_opt(day.year(), 12, 31).expect("every year has a 31 December"),
            ),
        };
        debug_assert!(from <= day && day <= to);
        Period { kind, from, to }
    }

    /// The period just before.
    pub fn previous(self) -> Period {
        Period::holding(self.kind, self.from - Duration::days(1))
    }

    /// The same period a year earlier: the same weekdays 52 weeks earlier for a day or a
    /// week (a Saturday compares with a Saturday), the same calendar period otherwise.
    pub fn last_year(self) -> Period {
        match self.kind {
            PeriodKind::Day | PeriodKind::Week => Period {
                kind: self.kind,
                from: self.from - Duration::weeks(52),
                to: self.to - Duration::weeks(52),
            },
            _ => {
                let day = self
                    .from
                    .with_year(self.from.year() - 1)
                    .expect("the first of a month exists in every year");
                Period::holding(self.kind, day)
            }
        }
    }

    /// The calendar months the period covers whole, as the first day of the first and the
    /// first day after the last (`first..after`); an empty run (both `from`) when it covers
    /// none. Reports read these months from the month rollups where a store has them.
    pub fn whole_months(self) -> (NaiveDate, NaiveDate) {
        let opening = first_of_month(self.from.year(), self.from.month());
        let first = if opening == self.from {
            opening
        } else {
            month_end(opening, 1) + Duration::days(1)
        };
        let after = self.to + Duration::days(1);
        let after = if after.day() == 1 {
            after
        } else {
            first_of_month(self.to.year(), self.to.month())
        };
        if first < after {
            debug_assert!(self.from <= first && after <= self.to + Duration::days(1));
            (first, after)
        } else {
            (self.from, self.from)
        }
    }

    /// The year its whole months are in (its first day), the first day of the next, and
    /// those months as bits (bit m - 1 for month m), as `customers_by_year` holds them. A
    /// period's whole months are never in two years (a week has none).
    pub fn month_bits(self) -> (NaiveDate, NaiveDate, i64) {
        let (first, after) = self.whole_months();
        let year = first_of_month(first.year(), 1);
        let next = first_of_month(first.year() + 1, 1);
        debug_assert!(after <= next, "whole months within one year");
        let end = if after >= next { 13 } else { after.month() };
        let bits = (first.month()..end)
            .filter(|_| first < after)
            .fold(0i64, |bits, m| bits | 1 << (m - 1));
        (year, next, bits)
    }

    /// How many days it covers.
    pub fn days(self) -> i64 {
        (self.to - self.from).num_days() + 1
    }
}

/// Reads a day of a period: `2026-11-07`, or `2026-11` (a month), `2026-Q4`, `2026`.
pub fn parse_day(text: &str) -> Result<NaiveDate, String> {
    let t = text.trim();
    let bad = || {
        format!(
            "'{}' is not a date: give YYYY-MM-DD (or YYYY-MM, YYYY-Qn, YYYY)",
            t.chars().take(32).collect::<String>()
        )
    };
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(d);
    }
    if let Some((y, q)) = t.split_once("-Q").or_else(|| t.split_once("-q")) {
        let (Ok(y), Ok(q)) = (y.parse::<i32>(), q.parse::<u32>()) else {
            return Err(bad());
        };
        if !(1..=4).contains(&q) {
            return Err(bad());
        }
        return NaiveDate::from_ymd_opt(y, (q - 1) * 3 + 1, 1).ok_or_else(bad);
    }
    if let Some((y, m)) = t.split_once('-') {
        let (Ok(y), Ok(m)) = (y.parse::<i32>(), m.parse::<u32>()) else {
            return Err(bad());
        };
        return NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(bad);
    }
    if t.len() == 4
        && let Ok(y) = t.parse::<i32>()
    {
        return NaiveDate::from_ymd_opt(y, 1, 1).ok_or_else(bad);
    }
    Err(bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn periods_hold_their_day_and_compare_with_the_right_ones() {
        let week = Period::holding(PeriodKind::Week, d("2026-12-06"));
        assert_eq!((week.from, week.to), (d("2026-11-30"), d("2026-12-06")));
        assert_eq!(week.previous().from, d("2026-11-23"));
        assert_eq!(week.last_year().from.weekday(), week.from.weekday());
        let feb = Period::holding(PeriodKind::Month, d("2028-02-10"));
        assert_eq!((feb.to, feb.days()), (d("2028-02-29"), 29));
        assert_eq!(feb.last_year().to, d("2027-02-28"));
        assert_eq!(feb.previous().from, d("2028-01-01"));
        let q4 = Period::holding(PeriodKind::Quarter, d("2026-11-07"));
        assert_eq!((q4.from, q4.to), (d("2026-10-01"), d("2026-12-31")));
        assert_eq!(q4.previous().from, d("2026-07-01"));
        let jan = Period::holding(PeriodKind::Month, d("2026-01-15"));
        assert_eq!(jan.previous().from, d("2025-12-01"));
        let year = Period::holding(PeriodKind::Year, d("2026-07-01"));
        assert_eq!((year.last_year().from, year.days()), (d("2025-01-01"), 365));
    }

    #[test]
    fn month_bits_are_the_whole_months_of_one_year() {
        let at = |kind, day| Period::holding(kind, d(day)).month_bits();
        let (y, next) = (d("2026-01-01"), d("2027-01-01"));
        assert_eq!(
            at(PeriodKind::Year, "2026-07-01"),
            (y, next, 0b1111_1111_1111)
        );
        assert_eq!(
            at(PeriodKind::Quarter, "2026-11-07"),
            (y, next, 0b1110_0000_0000)
        );
        assert_eq!(at(PeriodKind::Quarter, "2026-02-07"), (y, next, 0b111));
        assert_eq!(at(PeriodKind::Month, "2026-12-31"), (y, next, 1 << 11));
        assert_eq!(at(PeriodKind::Month, "2026-03-01").2, 1 << 2);
        // A week or a day has no whole month.
        assert_eq!(at(PeriodKind::Week, "2026-12-30").2, 0);
        assert_eq!(at(PeriodKind::Day, "2026-03-01").2, 0);
    }

    #[test]
    fn whole_months_are_the_calendar_months_inside_the_period() {
        let at = |kind, day| Period::holding(kind, d(day)).whole_months();
        assert_eq!(
            at(PeriodKind::Day, "2026-03-01"),
            (d("2026-03-01"), d("2026-03-01"))
        );
        assert_eq!(
            at(PeriodKind::Day, "2026-03-31"),
            (d("2026-03-31"), d("2026-03-31"))
        );
        assert_eq!(
            at(PeriodKind::Week, "2026-04-01"),
            (d("2026-03-30"), d("2026-03-30"))
        );
        assert_eq!(
            at(PeriodKind::Month, "2028-02-10"),
            (d("2028-02-01"), d("2028-03-01"))
        );
        assert_eq!(
            at(PeriodKind::Quarter, "2026-11-07"),
            (d("2026-10-01"), d("2027-01-01"))
        );
        assert_eq!(
            at(PeriodKind::Year, "2026-07-01"),
            (d("2026-01-01"), d("2027-01-01"))
        );
        let odd = Period {
            kind: PeriodKind::Day,
            from: d("2026-01-15"),
            to: d("2026-04-10"),
        };
        assert_eq!(odd.whole_months(), (d("2026-02-01"), d("2026-04-01")));
    }

    #[test]
    fn days_read_in_every_form_and_nonsense_is_refused() {
        assert_eq!(parse_day("2026-11-07"), Ok(d("2026-11-07")));
        assert_eq!(parse_day("2026-11"), Ok(d("2026-11-01")));
        assert_eq!(parse_day("2026-Q3"), Ok(d("2026-07-01")));
        assert_eq!(parse_day("2026"), Ok(d("2026-01-01")));
        for bad in ["2026-13", "2026-Q5", "yesterday", "", "2026-02-30"] {
            assert!(parse_day(bad).is_err(), "{bad}");
        }
        assert!(PeriodKind::parse("fortnight").is_err());
    }
}
