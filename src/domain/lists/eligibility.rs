//! Who gets a list: members whose average weekly spend over the recent weeks (eight by
//! default) reaches a threshold (25.00 by default). Weeks without a purchase count as
//! zero, so a member who stopped coming drops below it.

use chrono::{DateTime, Duration, Utc};

use super::Params;
use super::history::MemberHistory;

/// A member's recent spend and whether it qualifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Eligibility {
    /// Average weekly spend over the window, minor units, rounded down.
    pub weekly_spend: i64,
    pub eligible: bool,
}

/// Average weekly spend over the `weeks` weeks before `as_of` (purchases at or after
/// `as_of` are not counted), in minor units rounded down. Zero weeks give zero.
pub fn weekly_spend(history: &MemberHistory, as_of: DateTime<Utc>, weeks: u32) -> i64 {
    if weeks == 0 {
        return 0;
    }
    let from = as_of - Duration::weeks(i64::from(weeks));
    let total: i64 = history
        .purchases
        .iter()
        .filter(|p| p.at >= from && p.at < as_of)
        .map(|p| p.amount)
        .sum();
    total.div_euclid(i64::from(weeks))
}

/// Whether the member qualifies for a list as of `as_of`.
pub fn eligibility(history: &MemberHistory, as_of: DateTime<Utc>, params: &Params) -> Eligibility {
    let weekly_spend = weekly_spend(history, as_of, params.eligibility_weeks);
    Eligibility {
        weekly_spend,
        eligible: weekly_spend >= params.min_weekly_spend,
    }
}
