//! Tests of offers: which lines match, minimum spend, caps, rounding, and how a saving is
//! spread over the lines.

use super::*;
use crate::domain::money::div_round_half_away;

#[test]
fn product_amount_off_is_spread_over_its_lines() {
    let offer = amount_off(OfferTarget::Product(gtin(GTINS[1])), 500);
    let lines = [
        line(1, GTINS[1], None, 1000),
        line(2, GTINS[0], None, 9999),
        line(3, GTINS[1], None, 2000),
    ];
    let saving = offer.saving(&lines).unwrap();
    assert_eq!(saving.total, 500);
    assert_eq!(saving.per_line, vec![(1, 167), (3, 333)]);
}

#[test]
fn a_product_matches_whatever_length_it_was_scanned_in() {
    // The same item as UPC-A (12 digits) and as GTIN-13 with a leading zero.
    let offer = amount_off(OfferTarget::Product(gtin("036000291452")), 100);
    let lines = [line(1, "0036000291452", None, 350)];
    assert_eq!(offer.saving(&lines).unwrap().total, 100);
}

#[test]
fn amount_off_is_capped_by_the_matching_net() {
    let offer = amount_off(OfferTarget::Product(gtin(GTINS[1])), 5000);
    let lines = [line(1, GTINS[1], None, 1200), line(2, GTINS[0], None, 9000)];
    let saving = offer.saving(&lines).unwrap();
    assert_eq!(saving.total, 1200);
    assert_eq!(saving.per_line, vec![(1, 1200)]);
}

#[test]
fn category_offers_take_only_their_category() {
    let offer = Offer {
        target: OfferTarget::Category("dairy".into()),
        value: OfferValue::PercentOff(1000),
        min_spend: 0,
        max_discount: None,
    };
    let lines = [
        line(1, GTINS[0], Some("dairy"), 1235),
        line(2, GTINS[1], Some("snacks"), 5000),
        line(3, GTINS[2], None, 5000),
    ];
    // 10% of 12.35 = 1.235, rounded half away from zero.
    assert_eq!(
        offer.saving(&lines).unwrap(),
        OfferSaving {
            total: 124,
            per_line: vec![(1, 124)]
        }
    );
    let offer = Offer {
        target: OfferTarget::Category("frozen".into()),
        ..offer
    };
    assert_eq!(offer.saving(&lines), None);
}

#[test]
fn basket_percent_with_cap() {
    let offer = Offer {
        target: OfferTarget::Basket,
        value: OfferValue::PercentOff(2000),
        min_spend: 0,
        max_discount: Some(1000),
    };
    let lines = [line(1, GTINS[0], None, 3000), line(2, GTINS[1], None, 1000)];
    // 20% of 40.00 = 8.00, under the 10.00 cap.
    assert_eq!(
        offer.saving(&lines).unwrap().per_line,
        vec![(1, 600), (2, 200)]
    );
    let lines = [line(1, GTINS[0], None, 6000), line(2, GTINS[1], None, 1500)];
    // 20% of 75.00 = 15.00, capped to 10.00 and spread 8.00 / 2.00.
    let saving = offer.saving(&lines).unwrap();
    assert_eq!(saving.total, 1000);
    assert_eq!(saving.per_line, vec![(1, 800), (2, 200)]);
}

#[test]
fn minimum_spend_is_on_matching_lines_or_the_whole_basket() {
    let product = Offer {
        min_spend: 2000,
        ..amount_off(OfferTarget::Product(gtin(GTINS[1])), 300)
    };
    let lines = [line(1, GTINS[1], None, 1500), line(2, GTINS[0], None, 5000)];
    assert_eq!(product.saving(&lines), None, "other lines do not count");
    let lines = [line(1, GTINS[1], None, 1500), line(2, GTINS[1], None, 500)];
    assert_eq!(product.saving(&lines).unwrap().total, 300, "met exactly");

    let basket = Offer {
        min_spend: 2500,
        ..amount_off(OfferTarget::Basket, 300)
    };
    let lines = [line(1, GTINS[1], None, 1500), line(2, GTINS[0], None, 1000)];
    assert_eq!(basket.saving(&lines).unwrap().total, 300);
    let with_return = [
        line(1, GTINS[1], None, 1500),
        line(2, GTINS[0], None, 1000),
        line(3, GTINS[2], None, -200),
    ];
    assert_eq!(
        basket.saving(&with_return),
        None,
        "a return lowers the spend"
    );
}

#[test]
fn returned_and_free_lines_take_nothing() {
    let offer = amount_off(OfferTarget::Product(gtin(GTINS[1])), 300);
    let mut returned = line(1, GTINS[1], None, 1000);
    returned.quantity_milli = -1000;
    let free = line(2, GTINS[1], None, 0);
    let refund = line(3, GTINS[1], None, -1000);
    assert_eq!(offer.saving(&[returned, free, refund]), None);
    assert_eq!(offer.saving(&[]), None);
}

#[test]
fn a_percentage_that_rounds_to_nothing_saves_nothing() {
    let offer = Offer {
        target: OfferTarget::Basket,
        value: OfferValue::PercentOff(100),
        min_spend: 0,
        max_discount: None,
    };
    assert_eq!(offer.saving(&[line(1, GTINS[0], None, 49)]), None);
    assert_eq!(
        offer.saving(&[line(1, GTINS[0], None, 50)]).unwrap().total,
        1
    );
}

fn arb_line() -> impl Strategy<Value = (usize, Option<usize>, i64, i64)> {
    (
        0..GTINS.len(),
        proptest::option::of(0..CATEGORIES.len()),
        -2_000i64..200_000,
        prop_oneof![Just(1000i64), Just(-1000), 1i64..5000],
    )
}

fn arb_offer() -> impl Strategy<Value = Offer> {
    let target = prop_oneof![
        (0..GTINS.len()).prop_map(|k| OfferTarget::Product(gtin(GTINS[k]))),
        (0..CATEGORIES.len()).prop_map(|k| OfferTarget::Category(CATEGORIES[k].into())),
        Just(OfferTarget::Basket),
    ];
    let value = prop_oneof![
        (1i64..500_000).prop_map(OfferValue::AmountOff),
        (1u32..=10_000).prop_map(OfferValue::PercentOff),
    ];
    (
        target,
        value,
        0i64..300_000,
        proptest::option::of(1i64..100_000),
    )
        .prop_map(|(target, value, min_spend, max_discount)| Offer {
            target,
            value,
            min_spend,
            max_discount,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn savings_add_up_and_never_exceed_the_lines(
        offer in arb_offer(),
        raw in proptest::collection::vec(arb_line(), 0..12),
    ) {
        let lines: Vec<OfferLine> = raw
            .iter()
            .enumerate()
            .map(|(n, (g, cat, net, qty))| OfferLine {
                line_no: n as u32 + 1,
                gtin: gtin(GTINS[*g]),
                category: cat.map(|k| CATEGORIES[k].to_string()),
                net: *net,
                quantity_milli: *qty,
            })
            .collect();
        let eligible: Vec<&OfferLine> = lines
            .iter()
            .filter(|l| l.net > 0 && l.quantity_milli > 0 && offer.matches(l))
            .collect();
        let matching_net: i64 = eligible.iter().map(|l| l.net).sum();
        match offer.saving(&lines) {
            None => {
                let spend = match offer.target {
                    OfferTarget::Basket => lines.iter().map(|l| l.net).sum(),
                    _ => matching_net,
                };
                let raw = match offer.value {
                    OfferValue::AmountOff(a) => a,
                    OfferValue::PercentOff(bp) => {
                        div_round_half_away(i128::from(matching_net) * i128::from(bp), 10_000) as i64
                    }
                };
                prop_assert!(eligible.is_empty() || spend < offer.min_spend || raw == 0);
            }
            Some(saving) => {
                prop_assert!(saving.total > 0);
                prop_assert!(saving.total <= matching_net);
                if let Some(cap) = offer.max_discount {
                    prop_assert!(saving.total <= cap);
                }
                prop_assert_eq!(saving.per_line.iter().map(|(_, p)| p).sum::<i64>(), saving.total);
                for (line_no, part) in &saving.per_line {
                    let line = eligible.iter().find(|l| l.line_no == *line_no);
                    prop_assert!(line.is_some(), "line {} does not match", line_no);
                    prop_assert!(*part > 0 && *part <= line.unwrap().net);
                }
                let expected = match offer.value {
                    OfferValue::AmountOff(a) => a,
                    OfferValue::PercentOff(bp) => {
                        div_round_half_away(i128::from(matching_net) * i128::from(bp), 10_000) as i64
                    }
                }
                .min(matching_net)
                .min(offer.max_discount.unwrap_or(i64::MAX));
                prop_assert_eq!(saving.total, expected);
            }
        }
    }
}
