//! The points programme: its configuration (earn and redeem rates, tiers, category
//! exclusions and bonuses, expiry and clawback policies), its validation, tier lookup, and
//! the errors the loyalty rules refuse with.

use chrono::{DateTime, Months, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::product::BonusPoints;

/// 100% in basis points.
pub(super) const FULL_BP: u32 = 10_000;
/// The largest tier multiplier accepted (10×).
const MAX_TIER_MULTIPLIER_BP: u32 = 100_000;

/// A membership tier, chosen by the member's spend over the last 12 months.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// Code stored on the member record, e.g. `silver`.
    pub code: String,
    /// Rolling 12-month spend (minor units) from which the tier applies.
    pub min_rolling_spend: i64,
    /// Multiplier on base points in basis points (10000 = 1×, 12500 = 1.25×).
    pub multiplier_bp: u32,
}

impl Tier {
    pub fn new(code: &str, min_rolling_spend: i64, multiplier_bp: u32) -> Tier {
        Tier {
            code: code.to_string(),
            min_rolling_spend,
            multiplier_bp,
        }
    }
}

/// Bonus points for every product of a category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryBonus {
    pub category: String,
    pub bonus: BonusPoints,
}

/// When earned points expire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExpiryPolicy {
    /// Points never expire.
    #[default]
    None,
    /// Each lot of earned points expires this many calendar months after it was earned.
    /// Debits consume the oldest lots first, so what expires is what was not used.
    AfterMonths(u32),
}

impl ExpiryPolicy {
    /// The first instant at which points earned at `earned_at` are no longer valid.
    pub fn expires_at(&self, earned_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match *self {
            ExpiryPolicy::None => None,
            ExpiryPolicy::AfterMonths(months) => earned_at.checked_add_months(Months::new(months)),
        }
    }
}

/// What happens when a return takes back points the member has already spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClawbackPolicy {
    /// The reversal takes only what the balance holds; the shortfall is recorded as an
    /// uncollected clawback and the balance stays at zero or above.
    #[default]
    CapAtZero,
    /// The shortfall is taken by a recorded `Clawback` transfer, which may leave the
    /// balance negative until later earnings cover it.
    AllowNegative,
}

/// The points programme.
///
/// Defaults are the Watsons VIP rule: 1 point per 10.00 of eligible spend, 1 point redeems
/// for 0.10, at least 100 points (10.00) per redemption, no cap per sale, points may pay the
/// whole sale, points never expire, reversals cap at zero. Default tiers: `standard` (1×)
/// from 0, `silver` (1.25×) from 5,000.00 and `gold` (1.5×) from 20,000.00 of rolling
/// 12-month spend. No category is excluded and none carries a bonus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PointsProgram {
    /// Eligible spend (minor units) that earns one base point.
    pub earn_per_point: i64,
    /// Value of one point when redeemed (minor units).
    pub point_value: i64,
    /// Categories that earn nothing (tobacco, gift cards, ...). Exact match.
    pub excluded_categories: Vec<String>,
    pub bonus_categories: Vec<CategoryBonus>,
    /// Ascending by `min_rolling_spend`; the first starts at 0 so every member has a tier.
    pub tiers: Vec<Tier>,
    /// Fewest points one redemption may use.
    pub min_redeem_points: i64,
    /// Most points one sale may use; `None` for no cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_redeem_points_per_sale: Option<i64>,
    /// Largest share of a sale's total that points may pay, in basis points (10000 = all).
    pub max_redeem_share_bp: u32,
    pub expiry: ExpiryPolicy,
    pub clawback: ClawbackPolicy,
}

impl Default for PointsProgram {
    fn default() -> Self {
        PointsProgram {
            earn_per_point: 1_000,
            point_value: 10,
            excluded_categories: Vec::new(),
            bonus_categories: Vec::new(),
            tiers: vec![
                Tier::new("standard", 0, 10_000),
                Tier::new("silver", 500_000, 12_500),
                Tier::new("gold", 2_000_000, 15_000),
            ],
            min_redeem_points: 100,
            max_redeem_points_per_sale: None,
            max_redeem_share_bp: FULL_BP,
            expiry: ExpiryPolicy::None,
            clawback: ClawbackPolicy::CapAtZero,
        }
    }
}

/// Why a programme, a redemption or a return was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoyaltyError {
    #[error("{field} must be at least 1 (got {value})")]
    NotPositive { field: &'static str, value: i64 },
    #[error("{field} must not be negative (got {value})")]
    Negative { field: &'static str, value: i64 },
    #[error("max_redeem_share_bp must be at most 10000 (100%), got {0}")]
    ShareOutOfRange(u32),
    #[error("max_redeem_points_per_sale ({max}) is below min_redeem_points ({min})")]
    MaxBelowMin { max: i64, min: i64 },
    #[error("a {0} must not be empty")]
    EmptyName(&'static str),
    #[error("the programme needs at least one tier")]
    NoTiers,
    #[error("the first tier '{code}' must start at a rolling spend of 0 (got {min})")]
    FirstTierNotZero { code: String, min: i64 },
    #[error("tier '{0}' is listed twice")]
    DuplicateTier(String),
    #[error("tier '{0}' must start at a higher rolling spend than the tier before it")]
    TiersNotAscending(String),
    #[error("tier '{code}': multiplier must be 1..=100000 basis points (got {multiplier_bp})")]
    TierMultiplier { code: String, multiplier_bp: u32 },
    #[error("category '{0}' is listed twice")]
    DuplicateCategory(String),
    #[error("category '{0}' is excluded from earning and cannot carry a bonus")]
    BonusOnExcluded(String),
    #[error("category '{0}': a bonus multiplier must be at least x1")]
    ZeroMultiplier(String),
    #[error("points cannot expire after 0 months")]
    ZeroExpiry,
    #[error("redeem a positive number of points (got {0})")]
    RedeemNotPositive(i64),
    #[error("at least {min} points per redemption (asked for {points})")]
    BelowMinimum { points: i64, min: i64 },
    #[error("at most {max} points per sale (asked for {points})")]
    AboveMaximum { points: i64, max: i64 },
    #[error("only {available} points available (asked for {wanted})")]
    InsufficientBalance { available: i64, wanted: i64 },
    #[error("nothing is due, so no points can be redeemed")]
    NothingToPay,
    #[error("points worth {value} exceed the {total} due")]
    ExceedsTotal { value: i64, total: i64 },
    #[error("points worth {value} exceed the {limit} that points may pay on this sale")]
    ExceedsShare { value: i64, limit: i64 },
    #[error("line {0} is not part of the original sale")]
    UnknownLine(u32),
    #[error("line {line}: refund amount {amount} is negative")]
    NegativeRefund { line: u32, amount: i64 },
    #[error("line {line}: {returned} refunded in all, but the line sold for {sold}")]
    OverReturn { line: u32, sold: i64, returned: i64 },
    #[error("recorded sale is inconsistent: {0}")]
    InvalidSale(String),
}

impl PointsProgram {
    /// Checks the programme; a till must refuse to start with one that fails.
    pub fn validate(&self) -> Result<(), LoyaltyError> {
        let positive = |field: &'static str, value: i64| {
            if value < 1 {
                Err(LoyaltyError::NotPositive { field, value })
            } else {
                Ok(())
            }
        };
        positive("earn_per_point", self.earn_per_point)?;
        positive("point_value", self.point_value)?;
        if self.min_redeem_points < 0 {
            return Err(LoyaltyError::Negative {
                field: "min_redeem_points",
                value: self.min_redeem_points,
            });
        }
        if let Some(max) = self.max_redeem_points_per_sale {
            positive("max_redeem_points_per_sale", max)?;
            if max < self.min_redeem_points {
                return Err(LoyaltyError::MaxBelowMin {
                    max,
                    min: self.min_redeem_points,
                });
            }
        }
        if self.max_redeem_share_bp > FULL_BP {
            return Err(LoyaltyError::ShareOutOfRange(self.max_redeem_share_bp));
        }
        if self.expiry == ExpiryPolicy::AfterMonths(0) {
            return Err(LoyaltyError::ZeroExpiry);
        }
        self.validate_tiers()?;
        self.validate_categories()
    }

    fn validate_tiers(&self) -> Result<(), LoyaltyError> {
        let first = self.tiers.first().ok_or(LoyaltyError::NoTiers)?;
        if first.min_rolling_spend != 0 {
            return Err(LoyaltyError::FirstTierNotZero {
                code: first.code.clone(),
                min: first.min_rolling_spend,
            });
        }
        for (i, tier) in self.tiers.iter().enumerate() {
            if tier.code.trim().is_empty() {
                return Err(LoyaltyError::EmptyName("tier code"));
            }
            if !(1..=MAX_TIER_MULTIPLIER_BP).contains(&tier.multiplier_bp) {
                return Err(LoyaltyError::TierMultiplier {
                    code: tier.code.clone(),
                    multiplier_bp: tier.multiplier_bp,
                });
            }
            if self.tiers[..i].iter().any(|t| t.code == tier.code) {
                return Err(LoyaltyError::DuplicateTier(tier.code.clone()));
            }
            if i > 0 && tier.min_rolling_spend <= self.tiers[i - 1].min_rolling_spend {
                return Err(LoyaltyError::TiersNotAscending(tier.code.clone()));
            }
        }
        Ok(())
    }

    fn validate_categories(&self) -> Result<(), LoyaltyError> {
        for (i, c) in self.excluded_categories.iter().enumerate() {
            if c.trim().is_empty() {
                return Err(LoyaltyError::EmptyName("category"));
            }
            if self.excluded_categories[..i].contains(c) {
                return Err(LoyaltyError::DuplicateCategory(c.clone()));
            }
        }
        for (i, b) in self.bonus_categories.iter().enumerate() {
            if b.category.trim().is_empty() {
                return Err(LoyaltyError::EmptyName("category"));
            }
            if self.bonus_categories[..i]
                .iter()
                .any(|o| o.category == b.category)
            {
                return Err(LoyaltyError::DuplicateCategory(b.category.clone()));
            }
            if self.excluded_categories.contains(&b.category) {
                return Err(LoyaltyError::BonusOnExcluded(b.category.clone()));
            }
            if b.bonus == BonusPoints::Multiplier(0) {
                return Err(LoyaltyError::ZeroMultiplier(b.category.clone()));
            }
        }
        Ok(())
    }

    /// The tier with this code.
    pub fn tier(&self, code: &str) -> Option<&Tier> {
        self.tiers.iter().find(|t| t.code == code)
    }

    /// The highest tier whose threshold the rolling 12-month spend reaches (the first tier
    /// when it reaches none); `None` only for a programme without tiers.
    pub fn tier_for_spend(&self, rolling_spend: i64) -> Option<&Tier> {
        self.tiers
            .iter()
            .rev()
            .find(|t| rolling_spend >= t.min_rolling_spend)
            .or(self.tiers.first())
    }
}

/// The first instant of the rolling 12-month window ending at `now`, over which a member's
/// spend decides their tier.
pub fn rolling_window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now.checked_sub_months(Months::new(12))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}
