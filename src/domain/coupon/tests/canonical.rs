//! Tests of the canonical encoding: the documented byte layout, round trips, and refusing
//! non-canonical or altered content.

use super::*;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

#[test]
fn the_canonical_encoding_follows_the_documented_layout() {
    let c = Coupon {
        id: "K-1".into(),
        member_id: "M42".into(),
        offer: Offer {
            target: OfferTarget::Product(gtin("4006381333931")),
            value: OfferValue::AmountOff(500),
            min_spend: 2000,
            max_discount: None,
        },
        valid_from: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
        valid_until: DateTime::from_timestamp(1_700_086_400, 250).unwrap(),
        single_use: true,
        funded_by: Some("acme".into()),
        title: "5 off".into(),
    };
    let mut expected: Vec<u8> = b"SPC1".to_vec();
    expected.extend([0, 0, 0, 3]);
    expected.extend(b"K-1");
    expected.extend([0, 0, 0, 3]);
    expected.extend(b"M42");
    expected.extend([1, 0, 0, 0, 13]);
    expected.extend(b"4006381333931");
    expected.extend([1, 0, 0, 0, 0, 0, 0, 0x01, 0xf4]); // amount off 500
    expected.extend([0, 0, 0, 0, 0, 0, 0x07, 0xd0]); // min spend 2000
    expected.push(0); // no cap
    expected.extend([0, 0, 0, 0, 0x65, 0x53, 0xf1, 0x00, 0, 0, 0, 0]);
    expected.extend([0, 0, 0, 0, 0x65, 0x55, 0x42, 0x80, 0, 0, 0, 250]);
    expected.push(1); // single use
    expected.extend([1, 0, 0, 0, 4]);
    expected.extend(b"acme");
    expected.extend([0, 0, 0, 5]);
    expected.extend(b"5 off");
    assert_eq!(c.canonical_bytes(), expected);
    assert_eq!(Coupon::from_canonical_bytes(&expected), Ok(c));
}

#[test]
fn other_targets_and_values_encode_distinctly() {
    let mut a = sample();
    a.offer.target = OfferTarget::Category("dairy".into());
    a.offer.value = OfferValue::PercentOff(1500);
    a.offer.max_discount = Some(800);
    let mut b = a.clone();
    b.offer.target = OfferTarget::Basket;
    for c in [a, b] {
        let bytes = c.canonical_bytes();
        assert_eq!(Coupon::from_canonical_bytes(&bytes), Ok(c));
    }
}

#[test]
fn non_canonical_and_trailing_content_is_refused() {
    let signed = signed(sample());
    let sig = URL_SAFE_NO_PAD.encode(signed.signature);
    let mut bytes = signed.coupon.canonical_bytes();
    bytes.push(0);
    let text = format!("SPC1.{}.{sig}", URL_SAFE_NO_PAD.encode(&bytes));
    assert!(matches!(
        parse_code(&text),
        Err(CouponError::Damaged { ref reason, .. }) if reason.contains("unexpected bytes")
    ));
    // Single-use flag written as 2 instead of 1.
    let mut bytes = signed.coupon.canonical_bytes();
    let title_len = 4 + signed.coupon.title.len();
    let funder_len = 1 + 4 + signed.coupon.funded_by.as_ref().unwrap().len();
    let flag = bytes.len() - title_len - funder_len - 1;
    assert_eq!(bytes[flag], 1);
    bytes[flag] = 2;
    let text = format!("SPC1.{}.{sig}", URL_SAFE_NO_PAD.encode(&bytes));
    assert!(matches!(
        parse_code(&text),
        Err(CouponError::Damaged { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn changing_one_byte_of_the_signed_content_is_caught(
        c in arb_coupon(),
        position in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let signed = sign(c, &hq_key()).unwrap();
        let mut bytes = signed.coupon.canonical_bytes();
        let i = position.index(bytes.len());
        bytes[i] ^= flip;
        let text = format!(
            "SPC1.{}.{}",
            URL_SAFE_NO_PAD.encode(&bytes),
            URL_SAFE_NO_PAD.encode(signed.signature)
        );
        match parse_code(&text) {
            Ok(CouponCode::Full(read)) => {
                prop_assert_eq!(read.verify(&hq_key().verifying_key()), Err(CouponError::Forged));
            }
            Ok(short) => prop_assert!(false, "read as {:?}", short),
            Err(_) => {}
        }
    }
}
