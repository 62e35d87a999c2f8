//! Tests of the programme: validation, reading it from TOML, and tier lookup.

use super::*;

#[test]
fn tier_follows_rolling_spend() {
    let p = PointsProgram::default();
    let code = |spend| p.tier_for_spend(spend).unwrap().code.as_str();
    assert_eq!(code(0), "standard");
    assert_eq!(code(-500), "standard");
    assert_eq!(code(499_999), "standard");
    assert_eq!(code(500_000), "silver");
    assert_eq!(code(1_999_999), "silver");
    assert_eq!(code(2_000_000), "gold");
    assert_eq!(code(i64::MAX), "gold");
    let empty = PointsProgram {
        tiers: Vec::new(),
        ..PointsProgram::default()
    };
    assert!(empty.tier_for_spend(1_000).is_none());
    assert_eq!(
        rolling_window_start(at(2026, 3, 31)),
        at(2025, 3, 31),
        "the window is twelve calendar months"
    );
}

#[test]
fn validate_refuses_nonsense() {
    let bad = |f: &dyn Fn(&mut PointsProgram)| {
        let mut p = PointsProgram::default();
        f(&mut p);
        p.validate().unwrap_err()
    };
    assert!(matches!(
        bad(&|p| p.earn_per_point = 0),
        LoyaltyError::NotPositive {
            field: "earn_per_point",
            value: 0
        }
    ));
    assert!(matches!(
        bad(&|p| p.point_value = -10),
        LoyaltyError::NotPositive { .. }
    ));
    assert!(matches!(
        bad(&|p| p.min_redeem_points = -1),
        LoyaltyError::Negative { .. }
    ));
    assert!(matches!(
        bad(&|p| p.max_redeem_points_per_sale = Some(50)),
        LoyaltyError::MaxBelowMin { max: 50, min: 100 }
    ));
    assert!(matches!(
        bad(&|p| p.max_redeem_share_bp = 10_001),
        LoyaltyError::ShareOutOfRange(10_001)
    ));
    assert_eq!(
        bad(&|p| p.expiry = ExpiryPolicy::AfterMonths(0)),
        LoyaltyError::ZeroExpiry
    );
    assert_eq!(bad(&|p| p.tiers.clear()), LoyaltyError::NoTiers);
    assert!(matches!(
        bad(&|p| p.tiers[0].min_rolling_spend = 100),
        LoyaltyError::FirstTierNotZero { .. }
    ));
    assert_eq!(
        bad(&|p| p.tiers.swap(1, 2)),
        LoyaltyError::TiersNotAscending("silver".into())
    );
    assert_eq!(
        bad(&|p| p.tiers[2].code = "silver".into()),
        LoyaltyError::DuplicateTier("silver".into())
    );
    assert!(matches!(
        bad(&|p| p.tiers[1].multiplier_bp = 0),
        LoyaltyError::TierMultiplier { .. }
    ));
    assert_eq!(
        bad(&|p| p.tiers[1].code = " ".into()),
        LoyaltyError::EmptyName("tier code")
    );
    assert_eq!(
        bad(&|p| p.excluded_categories = vec!["tobacco".into(), "tobacco".into()]),
        LoyaltyError::DuplicateCategory("tobacco".into())
    );
    let bonus = |category: &str, bonus| CategoryBonus {
        category: category.into(),
        bonus,
    };
    assert_eq!(
        bad(&|p| {
            p.excluded_categories = vec!["tobacco".into()];
            p.bonus_categories = vec![bonus("tobacco", BonusPoints::Extra(1))];
        }),
        LoyaltyError::BonusOnExcluded("tobacco".into())
    );
    assert_eq!(
        bad(&|p| p.bonus_categories = vec![bonus("tea", BonusPoints::Multiplier(0))]),
        LoyaltyError::ZeroMultiplier("tea".into())
    );
    assert_eq!(
        bad(&|p| p.bonus_categories = vec![bonus("", BonusPoints::Extra(1))]),
        LoyaltyError::EmptyName("category")
    );
}

#[test]
fn programme_reads_from_toml_with_defaults() {
    let p: PointsProgram = toml::from_str(
        r#"
        excluded_categories = ["tobacco"]
        max_redeem_share_bp = 5000
        expiry = { after_months = 24 }
        clawback = "allow_negative"

        [[bonus_categories]]
        category = "beauty"
        bonus = { multiplier = 2 }
        "#,
    )
    .unwrap();
    p.validate().unwrap();
    assert_eq!(p.earn_per_point, 1_000);
    assert_eq!(p.tiers, PointsProgram::default().tiers);
    assert_eq!(p.expiry, ExpiryPolicy::AfterMonths(24));
    assert_eq!(p.clawback, ClawbackPolicy::AllowNegative);
    assert_eq!(p.bonus_categories[0].bonus, BonusPoints::Multiplier(2));

    let text = toml::to_string(&p).unwrap();
    assert_eq!(toml::from_str::<PointsProgram>(&text).unwrap(), p);
    assert_eq!(
        toml::from_str::<PointsProgram>("").unwrap(),
        PointsProgram::default()
    );
    assert!(toml::from_str::<PointsProgram>("earn_per_pt = 5").is_err());
}
