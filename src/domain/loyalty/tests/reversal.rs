//! Tests of reversal on returns: full and partial returns, refused returns and records,
//! and the property that any sequence of returns reverses exactly what the sale moved.

use super::*;

fn sale_record() -> SaleLoyalty {
    SaleLoyalty {
        earned_per_line: vec![(1, 10), (2, 7), (3, 0)],
        redeemed_points: 100,
        net_per_line: vec![(1, 10_000), (2, 7_000), (3, 0)],
    }
}

#[test]
fn a_full_return_reverses_everything_at_once() {
    let s = sale_record();
    let r = s
        .reverse(&[], Reversal::default(), &[(1, 10_000), (2, 7_000), (3, 0)])
        .unwrap();
    assert_eq!(
        r,
        Reversal {
            earned_back: 17,
            redeemed_back: 100
        }
    );
    assert_eq!(s.earned_total(), 17);
}

#[test]
fn partial_returns_add_up_without_drift() {
    let s = sale_record();
    let mut earlier = Vec::new();
    let mut done = Reversal::default();
    let mut steps = Vec::new();
    for now in [
        vec![(1, 3_333)],
        vec![(1, 3_333)],
        vec![(1, 3_333), (2, 7_000)],
        vec![(1, 1), (3, 0)],
    ] {
        let r = s.reverse(&earlier, done, &now).unwrap();
        steps.push(r);
        done = done.plus(r);
        earlier.extend(now);
    }
    // Line 1: floor(10 x 3333/10000) = 3, then 6 (3 more), 9 (3 more), 10 (1 more).
    assert_eq!(
        steps.iter().map(|r| r.earned_back).collect::<Vec<_>>(),
        vec![3, 3, 3 + 7, 1]
    );
    assert_eq!(
        done,
        Reversal {
            earned_back: 17,
            redeemed_back: 100
        }
    );
    // A further return of an already returned line is refused.
    assert_eq!(
        s.reverse(&earlier, done, &[(1, 1)]),
        Err(LoyaltyError::OverReturn {
            line: 1,
            sold: 10_000,
            returned: 10_001
        })
    );
}

#[test]
fn reversal_refuses_bad_returns_and_bad_records() {
    let s = sale_record();
    let none = Reversal::default();
    assert_eq!(
        s.reverse(&[], none, &[(9, 100)]),
        Err(LoyaltyError::UnknownLine(9))
    );
    assert_eq!(
        s.reverse(&[], none, &[(1, -1)]),
        Err(LoyaltyError::NegativeRefund {
            line: 1,
            amount: -1
        })
    );
    assert!(matches!(
        s.reverse(&[], none, &[(3, 1)]),
        Err(LoyaltyError::OverReturn { line: 3, .. })
    ));
    let mut twice = sale_record();
    twice.net_per_line.push((1, 5));
    assert!(matches!(
        twice.reverse(&[], none, &[]),
        Err(LoyaltyError::InvalidSale(_))
    ));
    let mut orphan = sale_record();
    orphan.earned_per_line.push((4, 1));
    assert!(matches!(
        orphan.reverse(&[], none, &[]),
        Err(LoyaltyError::InvalidSale(_))
    ));
    let mut negative = sale_record();
    negative.redeemed_points = -1;
    assert!(matches!(
        negative.reverse(&[], none, &[]),
        Err(LoyaltyError::InvalidSale(_))
    ));
}

#[test]
fn sale_record_is_built_from_the_sale() {
    let p = PointsProgram::default();
    let lines = [line(1, 5_000), line(2, 3_000)];
    let earned = p.earn(&lines, "standard", 0);
    let s = SaleLoyalty::new(&lines, &earned, 20);
    assert_eq!(s.earned_per_line, vec![(1, 5), (2, 3)]);
    assert_eq!(s.net_per_line, vec![(1, 5_000), (2, 3_000)]);
    assert_eq!(s.redeemed_points, 20);
}

// ------------------------------------------------------------------------ property tests

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn partial_returns_reverse_exactly_the_sale(
        nets in proptest::collection::vec(-500i64..30_000, 1..6),
        earned in proptest::collection::vec(0i64..500, 6),
        redeemed in 0i64..2_000,
        cuts in proptest::collection::vec(proptest::collection::vec(0u8..=100, 6), 0..5),
    ) {
        let sale = SaleLoyalty {
            earned_per_line: nets.iter().enumerate().map(|(i, _)| (i as u32, earned[i])).collect(),
            redeemed_points: redeemed,
            net_per_line: nets.iter().enumerate().map(|(i, &n)| (i as u32, n)).collect(),
        };
        let mut refunded = vec![0i64; nets.len()];
        let mut earlier = Vec::new();
        let mut done = Reversal::default();
        let mut returns: Vec<Vec<(u32, i64)>> = cuts
            .iter()
            .map(|cut| {
                nets.iter()
                    .enumerate()
                    .filter(|&(i, _)| cut[i] > 0)
                    .map(|(i, &n)| {
                        let amount = (n.max(0) - refunded[i]) * i64::from(cut[i]) / 100;
                        refunded[i] += amount;
                        (i as u32, amount)
                    })
                    .collect()
            })
            .collect();
        returns.push(
            nets.iter()
                .enumerate()
                .map(|(i, &n)| (i as u32, n.max(0) - refunded[i]))
                .collect(),
        );
        for now in returns {
            let r = sale.reverse(&earlier, done, &now).unwrap();
            prop_assert!(r.earned_back >= 0 && r.redeemed_back >= 0);
            done = done.plus(r);
            prop_assert!(done.earned_back <= sale.earned_total());
            prop_assert!(done.redeemed_back <= redeemed);
            earlier.extend(now);
        }
        prop_assert_eq!(done, Reversal { earned_back: sale.earned_total(), redeemed_back: redeemed });
        // Nothing is left to reverse once everything is back.
        let again = sale.reverse(&earlier, done, &[]).unwrap();
        prop_assert_eq!(again, Reversal::default());
    }
}
