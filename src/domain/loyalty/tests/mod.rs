//! Tests of the loyalty rules and the points ledger: the Watsons defaults, exclusions,
//! bonuses, tiers, redemption limits, reversal on returns, expiry, and the ledger
//! properties (never negative, nothing from nothing, full returns restore, replays and
//! repeated expiry change nothing). This file holds the builders and strategies the
//! test files share.

use super::*;
use crate::domain::product::BonusPoints;
use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;

mod earn;
mod ledger;
mod ledger_props;
mod program;
mod reversal;

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
}

fn line(line_no: u32, net: i64) -> EarnLine {
    EarnLine {
        line_no,
        category: None,
        net,
        quantity_milli: 1000,
        bonus: BonusPoints::None,
    }
}

fn in_category(mut l: EarnLine, category: &str) -> EarnLine {
    l.category = Some(category.to_string());
    l
}

fn with_bonus(mut l: EarnLine, bonus: BonusPoints, units: i64) -> EarnLine {
    l.bonus = bonus;
    l.quantity_milli = units * 1000;
    l
}

fn transfer(id: &str, member: &str, kind: TransferKind, points: i64) -> Transfer {
    Transfer {
        id: id.to_string(),
        member_id: member.to_string(),
        kind,
        points,
        at: at(2026, 1, 1),
        source: format!("src-{id}"),
        expires_at: None,
    }
}

fn earn_at(id: &str, points: i64, when: DateTime<Utc>, expiry: &ExpiryPolicy) -> Transfer {
    Transfer {
        at: when,
        expires_at: expiry.expires_at(when),
        ..transfer(id, "m1", TransferKind::Earn, points)
    }
}

fn earn_line() -> impl Strategy<Value = EarnLine> {
    (
        -2_000i64..60_000,
        0usize..4,
        0i64..5_000,
        prop_oneof![
            Just(BonusPoints::None),
            (0u32..20).prop_map(BonusPoints::Extra),
            (1u32..4).prop_map(BonusPoints::Multiplier),
        ],
    )
        .prop_map(|(net, cat, quantity_milli, bonus)| EarnLine {
            line_no: 0,
            category: [None, Some("food"), Some("tobacco"), Some("beauty")][cat].map(String::from),
            net,
            quantity_milli,
            bonus,
        })
}

fn earn_lines() -> impl Strategy<Value = Vec<EarnLine>> {
    proptest::collection::vec(earn_line(), 1..8).prop_map(|mut lines| {
        for (i, l) in lines.iter_mut().enumerate() {
            l.line_no = i as u32 + 1;
        }
        lines
    })
}

/// The programme the property tests run: Watsons earning with an exclusion, a category
/// bonus, a small minimum redemption, a share limit and two-month expiry.
fn test_program(clawback: ClawbackPolicy) -> PointsProgram {
    PointsProgram {
        excluded_categories: vec!["tobacco".into()],
        bonus_categories: vec![CategoryBonus {
            category: "beauty".into(),
            bonus: BonusPoints::Multiplier(2),
        }],
        min_redeem_points: 10,
        max_redeem_share_bp: 8_000,
        expiry: ExpiryPolicy::AfterMonths(2),
        clawback,
        ..PointsProgram::default()
    }
}

const TIERS: [&str; 4] = ["standard", "silver", "gold", "unknown"];
