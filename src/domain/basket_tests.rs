//! Tests of the basket: operations, pricing with each promotion kind, and the totals and
//! "refused operations change nothing" properties.

use super::*;
use crate::domain::gs1::Gtin;
use crate::domain::product::{BonusPoints, BrandType};
use crate::domain::promotion::{AttachedOffer, Promotion, PromotionKind, Target};
use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;

const CNY: Currency = Currency::CNY;
const GTINS: [&str; 4] = [
    "6901234567892",
    "4006381333931",
    "9780201379624",
    "6920000000463",
];

fn cny(minor: i64) -> Money {
    Money::from_minor(minor, CNY)
}

fn product(k: usize, price: i64) -> Product {
    Product {
        gtin: Gtin::parse(GTINS[k]).unwrap(),
        name: format!("item {k}"),
        name_en: None,
        price: cny(price),
        tax_rate: if k.is_multiple_of(2) {
            TaxRate::CN_STANDARD
        } else {
            TaxRate::CN_REDUCED
        },
        department: None,
        category: Some(if k < 2 { "snacks" } else { "drinks" }.into()),
        brand_type: BrandType::Unknown,
        manufacturer: None,
        member_price: (k == 0).then(|| cny(price * 9 / 10)),
        bonus_points: BonusPoints::None,
        weighed: k == 3,
        plu: None,
        restricted: false,
        external_id: None,
    }
}

fn item(p: Product, units: i64) -> PricedItem {
    let quantity = Quantity::units(units);
    PricedItem {
        amount: p.price.times(quantity).unwrap(),
        quantity,
        product: p,
    }
}

fn weighed(price: i64, milli: i64) -> PricedItem {
    let p = product(3, price);
    let quantity = Quantity::from_milli(milli);
    PricedItem {
        amount: p.price.times(quantity).unwrap(),
        quantity,
        product: p,
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap()
}

fn promo(id: &str, kind: PromotionKind) -> Promotion {
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let end = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
    Promotion::new(id, &format!("{id} offer"), start, end, kind)
}

fn ctx(promotions: &[Promotion], member: bool, mode: TaxMode) -> PricingContext<'_> {
    PricingContext {
        now: now(),
        member,
        promotions,
        offers: &[],
        mode,
    }
}

fn gtin(k: usize) -> Gtin {
    Gtin::parse(GTINS[k]).unwrap()
}

#[test]
fn lines_are_numbered_and_voids_keep_numbers() {
    let mut b = Basket::new(CNY);
    assert_eq!(b.add_item(item(product(0, 500), 1)).unwrap(), 1);
    assert_eq!(b.add_item(item(product(1, 300), 2)).unwrap(), 2);
    b.void_line(1).unwrap();
    assert_eq!(b.add_item(item(product(2, 100), 1)).unwrap(), 3);
    let priced = b.price(&ctx(&[], false, TaxMode::Inclusive));
    assert_eq!(priced.lines.len(), 3);
    assert!(priced.lines[0].voided);
    assert_eq!(priced.lines[0].list_amount, cny(500));
    assert_eq!(priced.lines[0].gross, cny(0));
    assert_eq!(priced.total, cny(700));
    assert_eq!(b.void_line(1), Err(BasketError::VoidedLine(1)));
    assert_eq!(b.void_line(9), Err(BasketError::UnknownLine(9)));
}

#[test]
fn quantity_changes_reprice_and_refuse_weighed_items() {
    let mut b = Basket::new(CNY);
    b.add_item(item(product(0, 250), 1)).unwrap();
    b.add_item(weighed(1298, 1250)).unwrap();
    b.set_quantity(1, Quantity::units(4)).unwrap();
    assert_eq!(b.line(1).unwrap().amount, cny(1000));
    assert!(matches!(
        b.set_quantity(2, Quantity::units(2)),
        Err(BasketError::WeighedItem { line: 2, .. })
    ));
    assert_eq!(
        b.set_quantity(1, Quantity::units(0)),
        Err(BasketError::NonPositiveQuantity(Quantity::units(0)))
    );
    assert!(b.set_quantity(1, Quantity::from_milli(-1000)).is_err());
    assert_eq!(b.line(2).unwrap().amount, cny(1623));
    // A fixed discount may not end up above the line amount.
    b.discount_line(1, Discount::Amount(cny(800)), "dent")
        .unwrap();
    assert!(matches!(
        b.set_quantity(1, Quantity::units(3)),
        Err(BasketError::DiscountAboveLine { line: 1, .. })
    ));
    assert_eq!(b.line(1).unwrap().quantity, Quantity::units(4));
}

#[test]
fn a_label_price_is_kept_per_unit() {
    let mut b = Basket::new(CNY);
    let p = product(0, 999);
    b.add_item(PricedItem {
        product: p,
        quantity: Quantity::ONE,
        amount: cny(350),
    })
    .unwrap();
    b.set_quantity(1, Quantity::units(2)).unwrap();
    assert_eq!(b.line(1).unwrap().amount, cny(700));
}

#[test]
fn bad_items_are_refused() {
    let mut b = Basket::new(CNY);
    let mut usd = item(product(0, 100), 1);
    usd.amount = Money::from_minor(100, Currency::USD);
    assert!(matches!(
        b.add_item(usd),
        Err(BasketError::CurrencyMismatch { .. })
    ));
    let mut zero = item(product(0, 100), 1);
    zero.quantity = Quantity::from_milli(0);
    assert!(b.add_item(zero).is_err());
    let mut negative = item(product(0, 100), 1);
    negative.amount = cny(-5);
    assert!(matches!(
        b.add_item(negative),
        Err(BasketError::NegativeAmount { .. })
    ));
    assert!(b.lines().is_empty());
}

#[test]
fn price_override_excludes_promotions_and_needs_reason_and_operator() {
    let promos = [promo(
        "TEN",
        PromotionKind::PercentOff {
            target: Target::Any,
            basis_points: 1000,
        },
    )];
    let mut b = Basket::new(CNY);
    b.add_item(item(product(0, 1000), 2)).unwrap();
    b.add_item(item(product(1, 1000), 1)).unwrap();
    assert_eq!(
        b.override_price(1, cny(800), " ", "op1"),
        Err(BasketError::MissingReason)
    );
    assert_eq!(
        b.override_price(1, cny(800), "damaged", ""),
        Err(BasketError::MissingOperator)
    );
    assert!(matches!(
        b.override_price(1, cny(-1), "x", "op1"),
        Err(BasketError::NegativeAmount { .. })
    ));
    b.override_price(1, cny(800), "damaged", "op1").unwrap();
    let priced = b.price(&ctx(&promos, false, TaxMode::Inclusive));
    assert_eq!(priced.lines[0].gross, cny(1600));
    assert!(priced.lines[0].promotions.is_empty());
    assert_eq!(priced.lines[1].promotions[0].amount, cny(100));
    assert_eq!(priced.total, cny(2500));
}

#[test]
fn member_price_needs_a_member() {
    let mut p = product(0, 1000);
    p.member_price = Some(cny(850));
    let promos = [promo(
        "MEMBER",
        PromotionKind::MemberPrice {
            target: Target::Any,
        },
    )];
    let mut b = Basket::new(CNY);
    b.add_item(item(p, 3)).unwrap();
    assert_eq!(
        b.price(&ctx(&promos, false, TaxMode::Inclusive)).total,
        cny(3000)
    );
    let priced = b.price(&ctx(&promos, true, TaxMode::Inclusive));
    assert_eq!(priced.total, cny(2550));
    let saving = &priced.lines[0].promotions[0];
    assert_eq!(saving.promotion_id, "MEMBER");
    assert_eq!(saving.name, "MEMBER offer");
    assert_eq!(saving.quantity, Quantity::units(3));
    assert_eq!(saving.amount, cny(450));
}

#[test]
fn percent_and_amount_off_by_category_and_on_weighed_items() {
    let promos = [
        promo(
            "SNACK15",
            PromotionKind::PercentOff {
                target: Target::Category("snacks".into()),
                basis_points: 1500,
            },
        ),
        promo(
            "KG1",
            PromotionKind::AmountOff {
                target: Target::Gtins(vec![gtin(3)]),
                per_unit: 100,
            },
        ),
    ];
    let mut b = Basket::new(CNY);
    b.add_item(item(product(0, 333), 2)).unwrap(); // 15% of 3.33 = 0.4995 -> 0.50 per unit
    b.add_item(item(product(2, 500), 1)).unwrap(); // drinks: nothing
    b.add_item(weighed(1298, 1250)).unwrap(); // 16.23; 1.00/kg x 1.25 = 1.25 off
    let priced = b.price(&ctx(&promos, false, TaxMode::Inclusive));
    assert_eq!(priced.lines[0].promotion_discount(), cny(100));
    assert!(priced.lines[1].promotions.is_empty());
    assert_eq!(priced.lines[2].promotions[0].amount, cny(125));
    assert_eq!(priced.lines[2].promotions[0].quantity.milli(), 1250);
    assert_eq!(priced.subtotal, cny(666 + 500 + 1623));
    assert_eq!(priced.total, cny(666 + 500 + 1623 - 225));
}

#[test]
fn buy_two_get_one_free_gives_the_cheapest() {
    let promos = [promo(
        "B2G1",
        PromotionKind::BuyXGetY {
            target: Target::Category("snacks".into()),
            buy: 2,
            get: 1,
            basis_points: 10_000,
        },
    )];
    let mut b = Basket::new(CNY);
    b.add_item(item(product(0, 500), 2)).unwrap();
    b.add_item(item(product(1, 300), 1)).unwrap();
    let priced = b.price(&ctx(&promos, false, TaxMode::Inclusive));
    assert_eq!(priced.promotion_discount, cny(300));
    assert_eq!(priced.lines[1].promotions[0].amount, cny(300));
    assert_eq!(priced.lines[0].promotions, vec![]);
    assert_eq!(priced.total, cny(1000));
}

#[test]
fn mix_and_match_and_bundle() {
    let promos = [
        promo(
            "ANY3",
            PromotionKind::MixAndMatch {
                target: Target::Category("drinks".into()),
                count: 3,
                price: 1000,
            },
        ),
        promo(
            "PAIR",
            PromotionKind::Bundle {
                gtins: vec![gtin(0), gtin(1)],
                price: 700,
            },
        ),
    ];
    let mut b = Basket::new(CNY);
    b.add_item(item(product(2, 400), 3)).unwrap(); // 12.00 -> 10.00
    b.add_item(item(product(0, 500), 1)).unwrap(); // 5.00 + 4.00 -> 7.00
    b.add_item(item(product(1, 400), 1)).unwrap();
    let priced = b.price(&ctx(&promos, false, TaxMode::Inclusive));
    assert_eq!(priced.lines[0].promotions[0].promotion_id, "ANY3");
    assert_eq!(priced.lines[0].promotions[0].amount, cny(200));
    // The bundle's 2.00 saving is spread 5:4 over its units.
    assert_eq!(priced.lines[1].promotions[0].amount, cny(111));
    assert_eq!(priced.lines[2].promotions[0].amount, cny(89));
    assert_eq!(priced.total, cny(1700));
}

#[test]
fn manual_line_discounts_follow_promotions_and_are_checked() {
    let promos = [promo(
        "HALF",
        PromotionKind::PercentOff {
            target: Target::Any,
            basis_points: 5000,
        },
    )];
    let mut b = Basket::new(CNY);
    b.add_item(item(product(0, 1000), 1)).unwrap();
    b.add_item(item(product(1, 1000), 1)).unwrap();
    assert!(matches!(
        b.discount_line(1, Discount::Amount(cny(1001)), "dent"),
        Err(BasketError::DiscountAboveLine { line: 1, .. })
    ));
    assert_eq!(
        b.discount_line(1, Discount::Percent(10_001), "dent"),
        Err(BasketError::PercentOutOfRange(10_001))
    );
    assert_eq!(
        b.discount_line(1, Discount::Percent(10), ""),
        Err(BasketError::MissingReason)
    );
    b.discount_line(1, Discount::Amount(cny(800)), "dent")
        .unwrap();
    b.discount_line(2, Discount::Percent(1000), "loyal")
        .unwrap();
    let priced = b.price(&ctx(&promos, false, TaxMode::Inclusive));
    // Line 1: 10.00 - 5.00 promotion, the 8.00 discount is capped at the 5.00 left.
    assert_eq!(priced.lines[0].line_discount, cny(500));
    assert_eq!(priced.lines[0].net, cny(0));
    // Line 2: 10% of the 5.00 left.
    assert_eq!(priced.lines[1].line_discount, cny(50));
    assert_eq!(priced.total, cny(450));
    // A quantity or price change that would leave the amount discount above the line fails.
    assert!(b.override_price(1, cny(700), "x", "op").is_err());
}

#[test]
fn ticket_discount_is_spread_by_largest_remainder() {
    let mut b = Basket::new(CNY);
    for k in 0..3 {
        b.add_item(item(product(k, 100), 1)).unwrap();
    }
    assert!(matches!(
        b.discount_ticket(Discount::Amount(cny(301)), "x"),
        Err(BasketError::DiscountAboveSubtotal { .. })
    ));
    b.discount_ticket(Discount::Amount(cny(100)), "manager")
        .unwrap();
    let priced = b.price(&ctx(&[], false, TaxMode::Inclusive));
    let shares: Vec<i64> = priced
        .lines
        .iter()
        .map(|l| l.ticket_discount.minor())
        .collect();
    assert_eq!(shares, vec![34, 33, 33]);
    assert_eq!(priced.total, cny(200));
    assert_eq!(priced.manual_discount, cny(100));
    b.discount_ticket(Discount::Percent(1000), "manager")
        .unwrap();
    assert_eq!(
        b.price(&ctx(&[], false, TaxMode::Inclusive)).total,
        cny(270)
    );
}

#[test]
fn exclusive_mode_adds_tax_to_the_nets() {
    let mut b = Basket::new(CNY);
    b.add_item(item(product(0, 1000), 1)).unwrap(); // 13%
    b.add_item(item(product(1, 1000), 1)).unwrap(); // 9%
    let priced = b.price(&ctx(&[], false, TaxMode::Exclusive));
    assert_eq!(priced.tax.tax, 220);
    assert_eq!(priced.total, cny(2220));
    assert_eq!(priced.lines[0].tax, cny(130));
    let inclusive = b.price(&ctx(&[], false, TaxMode::Inclusive));
    assert_eq!(inclusive.total, cny(2000));
    assert_eq!(inclusive.tax.tax, 115 + 83);
}

// ---- properties ----

#[derive(Debug, Clone)]
enum Op {
    Add(usize, i64, i64),
    AddWeighed(i64, i64),
    SetQuantity(u32, i64),
    /// Any quantity in thousandths, fractions of units included.
    SetQuantityMilli(u32, i64),
    Void(u32),
    Override(u32, i64, bool),
    DiscountLine(u32, Discount, bool),
    DiscountTicket(Discount),
}

fn discount() -> impl Strategy<Value = Discount> {
    prop_oneof![
        (0u32..=12_000).prop_map(Discount::Percent),
        (-100i64..3_000).prop_map(|m| Discount::Amount(cny(m))),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0usize..3, 0i64..2_000, -1i64..5).prop_map(|(k, p, n)| Op::Add(k, p, n)),
        1 => (1i64..3_000, -100i64..3_000).prop_map(|(p, g)| Op::AddWeighed(p, g)),
        1 => (0u32..8, -1i64..6).prop_map(|(l, n)| Op::SetQuantity(l, n)),
        1 => (0u32..8, -1i64..6_000).prop_map(|(l, m)| Op::SetQuantityMilli(l, m)),
        1 => (0u32..8).prop_map(Op::Void),
        1 => (0u32..8, -100i64..2_000, any::<bool>()).prop_map(|(l, p, ok)| Op::Override(l, p, ok)),
        1 => (0u32..8, discount(), any::<bool>()).prop_map(|(l, d, ok)| Op::DiscountLine(l, d, ok)),
        1 => discount().prop_map(Op::DiscountTicket),
    ]
}

fn run(b: &mut Basket, op: &Op) -> Result<(), BasketError> {
    match op {
        Op::Add(k, price, n) => {
            let p = product(*k, *price);
            let quantity = Quantity::units(*n);
            let amount = p.price.times(quantity).unwrap();
            b.add_item(PricedItem {
                product: p,
                quantity,
                amount,
            })
            .map(|_| ())
        }
        Op::AddWeighed(price, grams) => {
            let p = product(3, *price);
            let quantity = Quantity::from_milli(*grams);
            let amount = p.price.times(quantity).unwrap();
            b.add_item(PricedItem {
                product: p,
                quantity,
                amount,
            })
            .map(|_| ())
        }
        Op::SetQuantity(l, n) => b.set_quantity(*l, Quantity::units(*n)),
        Op::SetQuantityMilli(l, m) => b.set_quantity(*l, Quantity::from_milli(*m)),
        Op::Void(l) => b.void_line(*l),
        Op::Override(l, p, ok) => {
            b.override_price(*l, cny(*p), "reason", if *ok { "op" } else { "" })
        }
        Op::DiscountLine(l, d, ok) => b.discount_line(*l, *d, if *ok { "reason" } else { "" }),
        Op::DiscountTicket(d) => b.discount_ticket(*d, "reason"),
    }
}

fn promotions() -> Vec<Promotion> {
    let mut member_only = promo(
        "VIP20",
        PromotionKind::PercentOff {
            target: Target::Category("drinks".into()),
            basis_points: 2000,
        },
    );
    member_only.member_only = true;
    vec![
        promo(
            "MEMBER",
            PromotionKind::MemberPrice {
                target: Target::Any,
            },
        ),
        member_only,
        promo(
            "OFF",
            PromotionKind::AmountOff {
                target: Target::Gtins(vec![gtin(1), gtin(3)]),
                per_unit: 50,
            },
        ),
        promo(
            "B1G1",
            PromotionKind::BuyXGetY {
                target: Target::Gtins(vec![gtin(0)]),
                buy: 1,
                get: 1,
                basis_points: 5000,
            },
        ),
        promo(
            "MIX",
            PromotionKind::MixAndMatch {
                target: Target::Category("snacks".into()),
                count: 3,
                price: 1200,
            },
        ),
        promo(
            "BUNDLE",
            PromotionKind::Bundle {
                gtins: vec![gtin(0), gtin(2)],
                price: 900,
            },
        ),
    ]
}

/// A personal offer on one of the test products, a category or the whole basket.
fn personal_offer() -> impl Strategy<Value = AttachedOffer> {
    use crate::domain::coupon::{Offer, OfferTarget, OfferValue};
    let target = prop_oneof![
        (0..GTINS.len()).prop_map(|k| OfferTarget::Product(gtin(k))),
        Just(OfferTarget::Category("drinks".into())),
        Just(OfferTarget::Basket),
    ];
    let value = prop_oneof![
        (1i64..2_000).prop_map(OfferValue::AmountOff),
        (1u32..=10_000).prop_map(OfferValue::PercentOff),
    ];
    (
        target,
        value,
        0i64..3_000,
        proptest::option::of(1i64..1_500),
    )
        .prop_map(|(target, value, min_spend, max_discount)| AttachedOffer {
            coupon_id: "C1".into(),
            title: "offer".into(),
            offer: Offer {
                target,
                value,
                min_spend,
                max_discount,
            },
        })
}

#[test]
fn a_personal_offer_applies_after_promotions_to_its_product_only() {
    use crate::domain::coupon::{Offer, OfferTarget, OfferValue};
    let mut b = Basket::new(CNY);
    b.add_item(item(product(0, 1000), 2)).unwrap();
    b.add_item(item(product(1, 500), 1)).unwrap();
    let offers = [AttachedOffer {
        coupon_id: "C-9".into(),
        title: "3.00 off".into(),
        offer: Offer {
            target: OfferTarget::Product(gtin(0)),
            value: OfferValue::AmountOff(300),
            min_spend: 1500,
            max_discount: None,
        },
    }];
    let priced = b.price(&PricingContext {
        offers: &offers,
        ..ctx(&[], true, TaxMode::Inclusive)
    });
    assert_eq!(priced.lines[0].net, cny(1700));
    assert_eq!(priced.lines[0].offers[0].coupon_id, "C-9");
    assert_eq!(priced.lines[1].net, cny(500));
    assert_eq!(priced.offer_discount, cny(300));
    assert_eq!(priced.total, cny(2200));
    // Below its minimum spend the offer saves nothing.
    b.set_quantity(1, Quantity::ONE).unwrap();
    let priced = b.price(&PricingContext {
        offers: &offers,
        ..ctx(&[], true, TaxMode::Inclusive)
    });
    assert_eq!(priced.offer_discount, cny(0));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn totals_add_up_in_both_tax_modes(
        ops in proptest::collection::vec(op(), 0..25),
        member in any::<bool>(),
        offers in proptest::collection::vec(personal_offer(), 0..3),
    ) {
        let mut b = Basket::new(CNY);
        for op in &ops {
            let _ = run(&mut b, op);
        }
        let promos = promotions();
        for mode in [TaxMode::Inclusive, TaxMode::Exclusive] {
            let priced = b.price(&PricingContext {
                offers: &offers,
                ..ctx(&promos, member, mode)
            });
            let nets: i64 = priced.lines.iter().map(|l| l.net.minor()).sum();
            let by_parts: i64 = priced
                .lines
                .iter()
                .map(|l| l.gross.minor() - l.total_discount().minor())
                .sum();
            prop_assert_eq!(nets, by_parts);
            for l in &priced.lines {
                prop_assert!(l.net.minor() >= 0, "negative line {:?}", l);
                prop_assert_eq!(l.net.minor(), l.gross.minor() - l.total_discount().minor());
                if l.voided {
                    prop_assert_eq!(l.net.minor(), 0);
                }
            }
            prop_assert_eq!(
                priced.subtotal.minor() - priced.total_discount.minor(),
                nets
            );
            let line_tax: i64 = priced.lines.iter().map(|l| l.tax.minor()).sum();
            prop_assert_eq!(line_tax, priced.tax.tax);
            match mode {
                TaxMode::Inclusive => prop_assert_eq!(priced.total.minor(), nets),
                TaxMode::Exclusive => prop_assert_eq!(priced.total.minor(), nets + priced.tax.tax),
            }
        }
    }

    #[test]
    fn refused_operations_change_nothing(ops in proptest::collection::vec(op(), 0..30)) {
        let mut b = Basket::new(CNY);
        let mut refused = 0;
        for op in &ops {
            let before = b.clone();
            if run(&mut b, op).is_err() {
                refused += 1;
                prop_assert_eq!(&b, &before, "{:?} failed but changed the basket", op);
            }
        }
        prop_assert!(refused <= ops.len());
    }

    #[test]
    fn the_manual_discount_limit_counts_line_and_ticket_discounts_together(
        prices in proptest::collection::vec(1_000i64..50_000, 1..4),
        line_bp in 0u32..=3_000,
        ticket_bp in 0u32..=3_000,
        with_ticket in any::<bool>(),
    ) {
        let limit = 1_000;
        let mut b = Basket::new(CNY);
        for (k, price) in prices.iter().enumerate() {
            b.add_item(item(product(k % 3, *price), 1)).unwrap();
        }
        b.discount_line(1, Discount::Percent(line_bp), "test").unwrap();
        if with_ticket {
            b.discount_ticket(Discount::Percent(ticket_bp), "test").unwrap();
        }
        let priced = b.price(&ctx(&[], false, TaxMode::Inclusive));
        let exceeds = b.manual_discount_exceeds(&priced, limit);
        // The exact discount, unrounded, in 10^-8 minor units: the line's share of its
        // price, then the ticket's share of what is left.
        let total = i128::from(prices.iter().sum::<i64>());
        let (line_bp, ticket_bp) = (i128::from(line_bp), i128::from(ticket_bp) * i128::from(with_ticket));
        let first = line_bp * i128::from(prices[0]);
        let exact = first * 10_000 + ticket_bp * (total * 10_000 - first);
        // Its share of the basket is `exact / (total * 10^4)` basis points. Rounding and
        // the half-unit allowance move the decision by at most 2 minor units, 20 basis
        // points of the smallest basket here (10.00).
        let share_above = |bp: i128| exact > bp * total * 10_000;
        if share_above(i128::from(limit) + 25) {
            prop_assert!(exceeds, "{exact} passed the limit on {total}");
        }
        if !share_above(i128::from(limit) - 25) {
            prop_assert!(!exceeds, "{exact} was held above the limit on {total}");
        }
    }

    #[test]
    fn unit_lines_hold_whole_units_only(ops in proptest::collection::vec(op(), 0..30)) {
        let mut b = Basket::new(CNY);
        for op in &ops {
            let result = run(&mut b, op);
            if let Op::SetQuantityMilli(l, m) = op
                && let Some(line) = b.line(*l)
                && m % 1000 != 0
                && !line.product.weighed
            {
                prop_assert!(result.is_err(), "{:?} took a fraction of a unit", op);
            }
        }
        for line in b.lines() {
            prop_assert!(
                line.product.weighed || line.quantity.whole_units().is_some(),
                "line {:?} holds a fraction of a unit",
                line
            );
        }
    }
}

#[test]
fn a_basket_holds_at_most_its_line_limit() {
    let mut b = Basket::new(CNY);
    for _ in 0..MAX_LINES {
        b.add_item(item(product(0, 100), 1)).unwrap();
    }
    let before = b.clone();
    assert_eq!(
        b.add_item(item(product(0, 100), 1)),
        Err(BasketError::TooManyLines)
    );
    assert_eq!(b, before);
}
