//! Tests of earning and redemption: the Watsons defaults, exclusions, bonuses, tiers,
//! spend paid with points, redemption limits, and their properties.

use super::*;

#[test]
fn watsons_default_earns_one_point_per_ten_and_redeems_at_a_tenth() {
    let p = PointsProgram::default();
    p.validate().unwrap();
    let earned = p.earn(&[line(1, 12_345)], "standard", 0);
    assert_eq!(earned.base, 12);
    assert_eq!(earned.total, 12);
    assert_eq!(earned.lines, vec![(1, 12)]);
    assert_eq!(earned.eligible_spend, 12_345);
    assert_eq!(p.redeem_value(100), 1_000);
    assert_eq!(p.earn(&[line(1, 999)], "standard", 0).total, 0);
    assert_eq!(p.earn(&[line(1, 1_000)], "standard", 0).total, 1);
}

#[test]
fn per_line_points_add_up_to_the_sale_base() {
    // Three lines of 9.99: no line reaches 10.00 alone, but the sale's 29.97 earns 2.
    let p = PointsProgram::default();
    let lines = [line(1, 999), line(2, 999), line(3, 999)];
    let earned = p.earn(&lines, "standard", 0);
    assert_eq!(earned.base, 2);
    assert_eq!(earned.lines, vec![(1, 1), (2, 1), (3, 0)]);
    let earned = p.earn(&[line(7, 2_500), line(9, 7_600)], "standard", 0);
    assert_eq!(earned.lines, vec![(7, 2), (9, 8)]);
}

#[test]
fn excluded_categories_earn_nothing_not_even_bonuses() {
    let p = PointsProgram {
        excluded_categories: vec!["tobacco".into()],
        ..PointsProgram::default()
    };
    p.validate().unwrap();
    let lines = [
        with_bonus(
            in_category(line(1, 5_000), "tobacco"),
            BonusPoints::Extra(50),
            2,
        ),
        in_category(line(2, 5_000), "food"),
        line(3, 2_000),
    ];
    let earned = p.earn(&lines, "standard", 0);
    assert_eq!(earned.lines, vec![(1, 0), (2, 5), (3, 2)]);
    assert_eq!(earned.eligible_spend, 7_000);
    assert_eq!(earned.bonus, 0);
}

#[test]
fn zero_and_negative_lines_earn_nothing() {
    let p = PointsProgram::default();
    let lines = [
        with_bonus(line(1, 0), BonusPoints::Extra(10), 1),
        with_bonus(line(2, -3_000), BonusPoints::Extra(10), 1),
        line(3, 4_000),
    ];
    let earned = p.earn(&lines, "standard", 0);
    assert_eq!(earned.lines, vec![(1, 0), (2, 0), (3, 4)]);
    assert_eq!(earned.total, 4);
}

#[test]
fn product_bonuses_add_per_unit_or_multiply_the_base() {
    let p = PointsProgram::default();
    // 3 units of 20.00 with +5 per unit: 6 base + 15 bonus.
    let extra = p.earn(
        &[with_bonus(line(1, 6_000), BonusPoints::Extra(5), 3)],
        "standard",
        0,
    );
    assert_eq!((extra.base, extra.bonus, extra.total), (6, 15, 21));
    // A weighed line of 1.500 kg counts one whole unit.
    let mut weighed = with_bonus(line(1, 3_000), BonusPoints::Extra(10), 0);
    weighed.quantity_milli = 1_500;
    assert_eq!(p.earn(&[weighed], "standard", 0).bonus, 10);
    // x3 on a line with 4 base points earns 12 on that line.
    let triple = p.earn(
        &[
            with_bonus(line(1, 4_000), BonusPoints::Multiplier(3), 1),
            line(2, 1_000),
        ],
        "standard",
        0,
    );
    assert_eq!(triple.lines, vec![(1, 12), (2, 1)]);
    assert_eq!((triple.base, triple.bonus), (5, 8));
}

#[test]
fn category_bonuses_apply_to_their_category_and_stack_with_product_bonuses() {
    let p = PointsProgram {
        bonus_categories: vec![CategoryBonus {
            category: "beauty".into(),
            bonus: BonusPoints::Multiplier(2),
        }],
        ..PointsProgram::default()
    };
    p.validate().unwrap();
    let lines = [
        in_category(line(1, 5_000), "beauty"),
        with_bonus(
            in_category(line(2, 3_000), "beauty"),
            BonusPoints::Extra(4),
            2,
        ),
        in_category(line(3, 5_000), "food"),
    ];
    let earned = p.earn(&lines, "standard", 0);
    assert_eq!(earned.lines, vec![(1, 10), (2, 6 + 8), (3, 5)]);
    assert_eq!(earned.total, earned.base + earned.bonus);
}

#[test]
fn tiers_multiply_the_base_but_not_the_bonus() {
    let p = PointsProgram::default();
    let lines = [
        line(1, 12_345),
        with_bonus(line(2, 1_000), BonusPoints::Extra(10), 1),
    ];
    let standard = p.earn(&lines, "standard", 0);
    let silver = p.earn(&lines, "silver", 0);
    let gold = p.earn(&lines, "gold", 0);
    assert_eq!(
        (standard.base, standard.tier_extra, standard.total),
        (13, 0, 23)
    );
    // 13 x 1.25 = 16.25 -> 16; 13 x 1.5 = 19.5 -> 19.
    assert_eq!((silver.tier_extra, silver.total), (3, 26));
    assert_eq!((gold.tier_extra, gold.total), (6, 29));
    assert_eq!(gold.lines.iter().map(|l| l.1).sum::<i64>(), 29);
    // An unknown tier code earns as the first tier.
    assert_eq!(p.earn(&lines, "platinum", 0), standard);
}

#[test]
fn spend_paid_with_points_earns_nothing() {
    let p = PointsProgram::default();
    // 123.45 of which 23.45 paid with points: 100.00 earns 10.
    let earned = p.earn(&[line(1, 12_345)], "standard", 2_345);
    assert_eq!((earned.eligible_spend, earned.total), (10_000, 10));
    // The points-paid 30.00 is spread 2:1 over 100.00 and 50.00: 80.00 and 40.00 remain.
    let earned = p.earn(&[line(1, 10_000), line(2, 5_000)], "standard", 3_000);
    assert_eq!(earned.lines, vec![(1, 8), (2, 4)]);
    // Fully paid with points: nothing, bonuses included.
    let lines = [with_bonus(line(1, 5_000), BonusPoints::Extra(20), 2)];
    assert_eq!(p.earn(&lines, "gold", 5_000).total, 0);
    // Half paid with points: half the per-unit bonus.
    assert_eq!(p.earn(&lines, "standard", 2_500).bonus, 20);
}

#[test]
fn points_paid_beyond_eligible_spend_only_zeroes_the_eligible_lines() {
    let p = PointsProgram {
        excluded_categories: vec!["tobacco".into()],
        ..PointsProgram::default()
    };
    let lines = [in_category(line(1, 8_000), "tobacco"), line(2, 2_000)];
    assert_eq!(p.earn(&lines, "standard", 9_000).total, 0);
    assert_eq!(p.earn(&lines, "standard", -500).total, 2);
}

// ---------------------------------------------------------------------------- redemption

#[test]
fn redemption_limits() {
    let p = PointsProgram {
        max_redeem_points_per_sale: Some(500),
        max_redeem_share_bp: 5_000,
        ..PointsProgram::default()
    };
    p.validate().unwrap();
    assert_eq!(p.check_redeem(100, 1_000, 10_000), Ok(1_000));
    assert_eq!(
        p.check_redeem(0, 1_000, 10_000),
        Err(LoyaltyError::RedeemNotPositive(0))
    );
    assert_eq!(
        p.check_redeem(99, 1_000, 10_000),
        Err(LoyaltyError::BelowMinimum {
            points: 99,
            min: 100
        })
    );
    assert_eq!(
        p.check_redeem(501, 1_000, 100_000),
        Err(LoyaltyError::AboveMaximum {
            points: 501,
            max: 500
        })
    );
    assert_eq!(
        p.check_redeem(300, 299, 100_000),
        Err(LoyaltyError::InsufficientBalance {
            available: 299,
            wanted: 300
        })
    );
    assert_eq!(
        p.check_redeem(100, 1_000, 0),
        Err(LoyaltyError::NothingToPay)
    );
    // Half of 30.00 is 15.00: 150 points pay it, 151 do not.
    assert_eq!(p.check_redeem(150, 1_000, 3_000), Ok(1_500));
    assert_eq!(
        p.check_redeem(151, 1_000, 3_000),
        Err(LoyaltyError::ExceedsShare {
            value: 1_510,
            limit: 1_500
        })
    );
    assert_eq!(p.max_redeemable(1_000, 3_000), 150);
    assert_eq!(p.max_redeemable(1_000, 100_000), 500);
    assert_eq!(p.max_redeemable(120, 100_000), 120);
    assert_eq!(p.max_redeemable(99, 100_000), 0);
    assert_eq!(p.max_redeemable(-40, 100_000), 0);
}

#[test]
fn points_never_pay_more_than_is_due_and_only_in_whole_points() {
    let p = PointsProgram::default();
    // 12.35 due: 123 points pay 12.30, the 124th would overpay.
    assert_eq!(p.max_redeemable(10_000, 1_235), 123);
    assert_eq!(p.check_redeem(123, 10_000, 1_235), Ok(1_230));
    assert_eq!(
        p.check_redeem(124, 10_000, 1_235),
        Err(LoyaltyError::ExceedsTotal {
            value: 1_240,
            total: 1_235
        })
    );
}

// ------------------------------------------------------------------------ property tests

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn earned_points_add_up(lines in earn_lines(), tier in 0usize..4, paid in -1_000i64..200_000) {
        let p = test_program(ClawbackPolicy::CapAtZero);
        let e = p.earn(&lines, TIERS[tier], paid);
        let eligible: i64 = lines
            .iter()
            .filter(|l| l.net > 0 && l.category.as_deref() != Some("tobacco"))
            .map(|l| l.net)
            .sum();
        let money = eligible - paid.clamp(0, eligible);
        prop_assert_eq!(e.eligible_spend, money);
        prop_assert_eq!(e.base, money / 1_000);
        prop_assert_eq!(e.lines.iter().map(|l| l.1).sum::<i64>(), e.total);
        prop_assert_eq!(e.total, e.base + e.tier_extra + e.bonus);
        prop_assert_eq!(e.lines.len(), lines.len());
        for (l, &(no, points)) in lines.iter().zip(&e.lines) {
            prop_assert_eq!(no, l.line_no);
            prop_assert!(points >= 0);
            if l.net <= 0 || l.category.as_deref() == Some("tobacco") {
                prop_assert_eq!(points, 0, "line {:?} earned", l);
            }
        }
        if money == 0 {
            prop_assert_eq!(e.total, 0);
        }
        let standard = p.earn(&lines, "standard", paid);
        prop_assert!(e.total >= standard.total, "a tier never earns less than standard");
    }

    #[test]
    fn accepted_redemptions_respect_every_limit(
        points in -10i64..5_000,
        balance in -100i64..5_000,
        total in -100i64..50_000,
    ) {
        let p = test_program(ClawbackPolicy::CapAtZero);
        match p.check_redeem(points, balance, total) {
            Ok(value) => {
                prop_assert_eq!(value, points * 10);
                prop_assert!(points >= 10 && points <= balance);
                prop_assert!(value <= total * 8 / 10);
            }
            Err(_) => prop_assert!(points < 10 || points > balance || points * 10 > total * 8 / 10),
        }
        let most = p.max_redeemable(balance, total);
        if most > 0 {
            prop_assert!(p.check_redeem(most, balance, total).is_ok());
            prop_assert!(p.check_redeem(most + 1, balance, total).is_err());
        }
    }
}
