//! Tests of coupons and shopping lists, one file per part of the module, and the fixtures
//! and strategies they share.

use super::*;
use crate::domain::gs1::Gtin;
use chrono::{DateTime, Duration, TimeZone, Utc};
use ed25519_dalek::SigningKey;
use proptest::prelude::*;

mod canonical;
mod code;
mod list;
mod offer;
mod signed;

const GTINS: [&str; 4] = [
    "6901234567892",
    "4006381333931",
    "9780201379624",
    "6920000000463",
];
const CATEGORIES: [&str; 3] = ["dairy", "snacks", "household"];

fn hq_key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

fn other_key() -> SigningKey {
    SigningKey::from_bytes(&[9; 32])
}

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, day, hour, 0, 0).unwrap()
}

fn gtin(code: &str) -> Gtin {
    Gtin::parse(code).unwrap()
}

fn coupon(id: &str, offer: Offer) -> Coupon {
    Coupon {
        id: id.to_string(),
        member_id: "M1001".to_string(),
        offer,
        valid_from: at(1, 0),
        valid_until: at(15, 0),
        single_use: true,
        funded_by: Some("acme-foods".to_string()),
        title: "5.00 off Acme coffee".to_string(),
    }
}

fn amount_off(target: OfferTarget, amount: i64) -> Offer {
    Offer {
        target,
        value: OfferValue::AmountOff(amount),
        min_spend: 0,
        max_discount: None,
    }
}

fn sample() -> Coupon {
    coupon(
        "K-2024-0001",
        amount_off(OfferTarget::Product(gtin(GTINS[1])), 500),
    )
}

fn signed(c: Coupon) -> SignedCoupon {
    sign(c, &hq_key()).unwrap()
}

fn line(line_no: u32, code: &str, category: Option<&str>, net: i64) -> OfferLine {
    OfferLine {
        line_no,
        gtin: gtin(code),
        category: category.map(str::to_string),
        net,
        quantity_milli: 1000,
    }
}

fn full(code: &str) -> SignedCoupon {
    match parse_code(code).unwrap() {
        CouponCode::Full(signed) => *signed,
        CouponCode::Short(id) => panic!("expected a full code, got short {id}"),
    }
}

fn list_with(coupons: Vec<SignedCoupon>) -> ShoppingList {
    ShoppingList {
        id: "L-2024-19".into(),
        member_id: "M1001".into(),
        period_start: at(1, 0),
        period_end: at(15, 0),
        items: vec![
            ListItem {
                gtin: gtin(GTINS[1]),
                name: "Acme coffee 500 g".into(),
                department: Some("grocery".into()),
                reason: "you buy this every two weeks".into(),
            },
            ListItem {
                gtin: gtin(GTINS[3]),
                name: "Milk 1 l".into(),
                department: None,
                reason: String::new(),
            },
        ],
        coupons,
    }
}

fn signed_list(coupons: Vec<SignedCoupon>) -> SignedList {
    sign_list(list_with(coupons), &hq_key()).unwrap()
}

fn three_coupons() -> Vec<SignedCoupon> {
    let mut early = coupon("K-1", amount_off(OfferTarget::Basket, 200));
    early.valid_until = at(5, 0);
    let mut late = coupon("K-2", amount_off(OfferTarget::Basket, 300));
    late.valid_from = at(10, 0);
    let whole = coupon(
        "K-3",
        amount_off(OfferTarget::Category("dairy".into()), 100),
    );
    vec![signed(early), signed(late), signed(whole)]
}

fn arb_coupon() -> impl Strategy<Value = Coupon> {
    let target = prop_oneof![
        (0u64..1_000_000_000_000)
            .prop_map(|body| OfferTarget::Product(Gtin::gtin13_from_body(body).unwrap())),
        "[a-z]{1,12}".prop_map(OfferTarget::Category),
        Just(OfferTarget::Basket),
    ];
    let value = prop_oneof![
        (1i64..10_000_000).prop_map(OfferValue::AmountOff),
        (1u32..=10_000).prop_map(OfferValue::PercentOff),
    ];
    let offer = (
        target,
        value,
        0i64..10_000_000,
        proptest::option::of(1i64..10_000_000),
    )
        .prop_map(|(target, value, min_spend, max_discount)| Offer {
            target,
            value,
            min_spend,
            max_discount,
        });
    (
        ("[A-Za-z0-9-]{1,20}", "[A-Za-z0-9]{1,16}", offer),
        (0i64..4_000_000_000, 0u32..1_000_000_000, 1i64..100_000_000),
        any::<bool>(),
        proptest::option::of("[a-z-]{1,10}"),
        "\\PC{1,30}",
    )
        .prop_map(
            |((id, member_id, offer), (from, nanos, span), single_use, funded_by, title)| {
                let valid_from = DateTime::from_timestamp(from, nanos).unwrap();
                Coupon {
                    id,
                    member_id,
                    offer,
                    valid_from,
                    valid_until: valid_from + Duration::seconds(span),
                    single_use,
                    funded_by,
                    title,
                }
            },
        )
}
