//! Earning and redemption: the points a sale earns under the programme (the rule is in
//! the `loyalty` module documentation) and the checks on points used to pay.

use serde::{Deserialize, Serialize};

use super::program::{FULL_BP, LoyaltyError, PointsProgram};
use crate::domain::money::allocate_minor;
use crate::domain::product::BonusPoints;

/// One sale line as loyalty sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarnLine {
    pub line_no: u32,
    pub category: Option<String>,
    /// Minor units after all discounts.
    pub net: i64,
    /// Quantity in thousandths (1 unit = 1000).
    pub quantity_milli: i64,
    pub bonus: BonusPoints,
}

/// Points a sale earns.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Earned {
    /// Points per line (`line_no`, points), one entry per input line, in input order.
    pub lines: Vec<(u32, i64)>,
    /// Eligible spend paid with money (minor units).
    pub eligible_spend: i64,
    /// `floor(eligible_spend / earn_per_point)`.
    pub base: i64,
    /// What the tier multiplier adds to the base.
    pub tier_extra: i64,
    /// Product and category bonuses.
    pub bonus: i64,
    /// `base + tier_extra + bonus`, equal to the sum of `lines`.
    pub total: i64,
}

impl PointsProgram {
    /// Multiplier of a tier code. An unknown code (a member record written under an older
    /// configuration) earns as the first tier, so it can never earn more than it should.
    fn multiplier_bp(&self, tier: &str) -> u32 {
        self.tier(tier)
            .or(self.tiers.first())
            .map_or(FULL_BP, |t| t.multiplier_bp)
    }

    fn earns(&self, line: &EarnLine) -> bool {
        line.net > 0
            && !line
                .category
                .as_ref()
                .is_some_and(|c| self.excluded_categories.contains(c))
    }

    fn category_bonus(&self, category: Option<&str>) -> BonusPoints {
        category
            .and_then(|c| self.bonus_categories.iter().find(|b| b.category == c))
            .map_or(BonusPoints::None, |b| b.bonus)
    }

    /// Points a sale earns for a member of `tier`, given the value paid with points
    /// (`points_tender_value`, minor units). See the module documentation for the rule.
    pub fn earn(&self, lines: &[EarnLine], tier: &str, points_tender_value: i64) -> Earned {
        let earn_per_point = i128::from(self.earn_per_point.max(1));
        let eligible: Vec<i64> = lines
            .iter()
            .map(|l| if self.earns(l) { l.net } else { 0 })
            .collect();
        let eligible_total = saturate(eligible.iter().map(|&n| i128::from(n)).sum());
        let paid = points_tender_value.clamp(0, eligible_total);
        let paid_parts = allocate_minor(paid, &eligible);
        let money: Vec<i64> = eligible
            .iter()
            .zip(&paid_parts)
            .map(|(&e, &p)| (e - p).max(0))
            .collect();
        let money_total = saturate(money.iter().map(|&m| i128::from(m)).sum());

        let base_total = saturate(i128::from(money_total) / earn_per_point);
        let base = allocate_minor(base_total, &money);
        let multiplier = i128::from(self.multiplier_bp(tier));
        let tiered_total = saturate(i128::from(base_total) * multiplier / i128::from(FULL_BP));
        let tiered = allocate_minor(tiered_total, &base);

        let mut earned = Earned {
            eligible_spend: money_total,
            base: base_total,
            tier_extra: tiered_total - base_total,
            ..Earned::default()
        };
        let mut bonus_total: i128 = 0;
        for (i, line) in lines.iter().enumerate() {
            let bonus = if money[i] > 0 {
                [line.bonus, self.category_bonus(line.category.as_deref())]
                    .into_iter()
                    .map(|b| bonus_points(b, line, base[i], money[i]))
                    .sum::<i128>()
            } else {
                0
            };
            bonus_total += bonus;
            earned
                .lines
                .push((line.line_no, saturate(i128::from(tiered[i]) + bonus)));
        }
        earned.bonus = saturate(bonus_total);
        earned.total = earned.lines.iter().map(|l| l.1).sum();
        earned
    }

    /// Value (minor units) of `points` when redeemed.
    pub fn redeem_value(&self, points: i64) -> i64 {
        points.saturating_mul(self.point_value)
    }

    /// Most value points may pay on a sale whose total due is `sale_total_minor`.
    fn redeem_limit(&self, sale_total_minor: i64) -> i64 {
        let share = i128::from(sale_total_minor.max(0))
            * i128::from(self.max_redeem_share_bp.min(FULL_BP))
            / i128::from(FULL_BP);
        saturate(share)
    }

    /// The most points a member holding `available_balance` may redeem on a sale of
    /// `sale_total_minor`; 0 when the rules allow no redemption at all.
    pub fn max_redeemable(&self, available_balance: i64, sale_total_minor: i64) -> i64 {
        let by_value = self.redeem_limit(sale_total_minor) / self.point_value.max(1);
        let mut points = by_value.min(available_balance.max(0));
        if let Some(max) = self.max_redeem_points_per_sale {
            points = points.min(max);
        }
        if points < self.min_redeem_points.max(1) {
            0
        } else {
            points
        }
    }

    /// Checks a redemption of `points` against the member's balance and the sale, and
    /// returns the value (minor units) the points pay.
    pub fn check_redeem(
        &self,
        points: i64,
        available_balance: i64,
        sale_total_minor: i64,
    ) -> Result<i64, LoyaltyError> {
        if points <= 0 {
            return Err(LoyaltyError::RedeemNotPositive(points));
        }
        if points < self.min_redeem_points {
            return Err(LoyaltyError::BelowMinimum {
                points,
                min: self.min_redeem_points,
            });
        }
        if let Some(max) = self.max_redeem_points_per_sale
            && points > max
        {
            return Err(LoyaltyError::AboveMaximum { points, max });
        }
        if points > available_balance {
            return Err(LoyaltyError::InsufficientBalance {
                available: available_balance,
                wanted: points,
            });
        }
        if sale_total_minor <= 0 {
            return Err(LoyaltyError::NothingToPay);
        }
        let value = self.redeem_value(points);
        if value > sale_total_minor {
            return Err(LoyaltyError::ExceedsTotal {
                value,
                total: sale_total_minor,
            });
        }
        let limit = self.redeem_limit(sale_total_minor);
        if value > limit {
            return Err(LoyaltyError::ExceedsShare { value, limit });
        }
        Ok(value)
    }
}

/// Bonus points a line earns from one bonus rule.
fn bonus_points(bonus: BonusPoints, line: &EarnLine, base: i64, money: i64) -> i128 {
    match bonus {
        BonusPoints::None => 0,
        BonusPoints::Extra(n) => {
            let units = i128::from(line.quantity_milli.max(0) / 1000);
            // Scaled by the share of the line paid with money; `money <= net`.
            i128::from(n) * units * i128::from(money) / i128::from(line.net.max(1))
        }
        BonusPoints::Multiplier(n) => i128::from(n.saturating_sub(1)) * i128::from(base),
    }
}

/// `value` clamped to the range of `i64`.
pub(super) fn saturate(value: i128) -> i64 {
    value.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}
