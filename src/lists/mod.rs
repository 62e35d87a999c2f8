//! `storepos lists …`: the glue between the shopping-list engine ([`crate::domain::lists`])
//! and the store: reading the catalogue and purchase history out of SQLite, reading a
//! deals feed, writing lists as CSV, measuring them against what members really bought,
//! the coupon-targeting backtest on the Complete Journey campaigns, and printing a list
//! on the receipt printer.

pub mod backtest;
pub mod deals;
pub mod evaluate;
pub mod fit;
pub mod generate;
pub mod load;
pub mod print;
pub mod rolling;

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};

/// Reads a moment given on the command line: RFC 3339 (`2017-11-06T05:00:00Z`), or a date
/// (`2017-11-06`), taken as midnight UTC.
pub fn parse_moment(text: &str) -> Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text.trim()) {
        return Ok(t.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").with_context(|| {
        format!(
            "'{text}' is neither an RFC 3339 time (2017-11-06T05:00:00Z) nor a date (2017-11-06)"
        )
    })?;
    Ok(date
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc())
}
