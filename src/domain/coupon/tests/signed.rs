//! Tests of signing coupons: verification, tamper detection, refusing invalid coupons, the
//! JSON form, and the till's redemption checks and refusals.

use super::*;

#[test]
fn a_signed_coupon_verifies_and_survives_its_full_code() {
    let signed = signed(sample());
    let key = hq_key().verifying_key();
    assert_eq!(signed.verify(&key), Ok(()));
    let code = signed.full_code();
    assert!(code.starts_with(COUPON_FULL_PREFIX));
    assert!(code.is_ascii());
    let read = full(&code);
    assert_eq!(read, signed);
    assert_eq!(read.verify(&key), Ok(()));
    assert!(code.len() < QR_BYTE_CAPACITY);
}

#[test]
fn another_key_does_not_verify() {
    let signed = signed(sample());
    assert_eq!(
        signed.verify(&other_key().verifying_key()),
        Err(CouponError::Forged)
    );
    let mut resigned = sign(sample(), &other_key()).unwrap();
    resigned.coupon = sample();
    assert_eq!(
        resigned.verify(&hq_key().verifying_key()),
        Err(CouponError::Forged)
    );
}

#[test]
fn changing_any_field_after_signing_is_forged() {
    let key = hq_key().verifying_key();
    let original = signed(sample());
    let edits: Vec<fn(&mut Coupon)> = vec![
        |c| c.id = "K-2024-0002".into(),
        |c| c.member_id = "M1002".into(),
        |c| c.offer.target = OfferTarget::Product(gtin(GTINS[0])),
        |c| c.offer.target = OfferTarget::Basket,
        |c| c.offer.value = OfferValue::AmountOff(5000),
        |c| c.offer.value = OfferValue::PercentOff(500),
        |c| c.offer.min_spend = 1,
        |c| c.offer.max_discount = Some(500),
        |c| c.valid_from -= Duration::days(30),
        |c| c.valid_until += Duration::nanoseconds(1),
        |c| c.single_use = false,
        |c| c.funded_by = None,
        |c| c.funded_by = Some("store".into()),
        |c| c.title = "50.00 off Acme coffee".into(),
    ];
    for (n, edit) in edits.iter().enumerate() {
        let mut tampered = original.clone();
        edit(&mut tampered.coupon);
        assert_ne!(tampered, original, "edit {n} changed nothing");
        assert_eq!(tampered.verify(&key), Err(CouponError::Forged), "edit {n}");
    }
    let mut tampered = original.clone();
    tampered.signature[10] ^= 1;
    assert_eq!(tampered.verify(&key), Err(CouponError::Forged));
}

#[test]
fn invalid_coupons_are_not_signed() {
    let edits: Vec<fn(&mut Coupon)> = vec![
        |c| c.id = String::new(),
        |c| c.id = "A".repeat(21),
        |c| c.id = "K 1".into(),
        |c| c.id = "K_1".into(),
        |c| c.id = "Kü".into(),
        |c| c.member_id = String::new(),
        |c| c.member_id = "M 1".into(),
        |c| c.member_id = "M".repeat(65),
        |c| c.valid_until = c.valid_from,
        |c| c.offer.value = OfferValue::AmountOff(0),
        |c| c.offer.value = OfferValue::AmountOff(-5),
        |c| c.offer.value = OfferValue::PercentOff(0),
        |c| c.offer.value = OfferValue::PercentOff(10_001),
        |c| c.offer.min_spend = -1,
        |c| c.offer.max_discount = Some(0),
        |c| c.offer.target = OfferTarget::Category(String::new()),
        |c| c.funded_by = Some(String::new()),
        |c| c.title = String::new(),
        |c| c.title = "line\nbreak".into(),
        |c| c.title = "x".repeat(201),
    ];
    for (n, edit) in edits.iter().enumerate() {
        let mut c = sample();
        edit(&mut c);
        let err = sign(c, &hq_key()).expect_err(&format!("edit {n} was signed"));
        assert!(
            matches!(err, CouponError::BadId { .. } | CouponError::Invalid { .. }),
            "edit {n}: {err:?}"
        );
        assert!(!err.to_string().is_empty());
    }
    let err = validate_id(CodeKind::Coupon, "K 1").unwrap_err();
    assert_eq!(
        err.to_string(),
        "coupon id 'K 1' must be 1–20 letters, digits or '-'"
    );
}

#[test]
fn json_keeps_the_signature_and_tampering_is_caught() {
    let signed = signed(sample());
    let json = serde_json::to_string(&signed).unwrap();
    let back: SignedCoupon = serde_json::from_str(&json).unwrap();
    assert_eq!(back, signed);
    let key = hq_key().verifying_key();
    assert_eq!(back.verify(&key), Ok(()));

    let cheaper = json.replace("\"amount_off\":500", "\"amount_off\":50000");
    assert_ne!(cheaper, json);
    let tampered: SignedCoupon = serde_json::from_str(&cheaper).unwrap();
    assert_eq!(tampered.verify(&key), Err(CouponError::Forged));

    let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
    value["signature"] = "AAAA".into();
    assert!(serde_json::from_value::<SignedCoupon>(value).is_err());
}

// ---------------------------------------------------------------- redemption

#[test]
fn a_valid_coupon_is_redeemable_by_its_member() {
    let signed = signed(sample());
    let key = hq_key().verifying_key();
    assert_eq!(
        signed.check_redeemable(&key, Some("M1001"), at(1, 0), false),
        Ok(())
    );
    assert_eq!(
        signed.check_redeemable(&key, Some("M1001"), at(14, 23), false),
        Ok(())
    );
}

#[test]
fn each_refusal_has_its_reason() {
    let signed = signed(sample());
    let key = hq_key().verifying_key();
    let check = |member: Option<&str>, now, used| signed.check_redeemable(&key, member, now, used);
    assert_eq!(check(None, at(5, 0), false), Err(CouponRefusal::NoMember));
    assert_eq!(
        check(Some("M1002"), at(5, 0), false),
        Err(CouponRefusal::ForeignMember)
    );
    assert_eq!(
        check(Some("M1001"), at(1, 0) - Duration::seconds(1), false),
        Err(CouponRefusal::NotYetValid { from: at(1, 0) })
    );
    assert_eq!(
        check(Some("M1001"), at(15, 0), false),
        Err(CouponRefusal::Expired { until: at(15, 0) })
    );
    assert_eq!(
        check(Some("M1001"), at(5, 0), true),
        Err(CouponRefusal::AlreadyUsed)
    );
    assert_eq!(
        signed.check_redeemable(&other_key().verifying_key(), Some("M1001"), at(5, 0), false),
        Err(CouponRefusal::Forged)
    );
    // A forgery is reported as such whatever else is wrong with it.
    let mut tampered = signed.clone();
    tampered.coupon.member_id = "M666".into();
    assert_eq!(
        tampered.check_redeemable(&key, Some("M666"), at(5, 0), false),
        Err(CouponRefusal::Forged)
    );
    assert_eq!(
        tampered.check_redeemable(&key, None, at(30, 0), true),
        Err(CouponRefusal::Forged)
    );
}

#[test]
fn a_multi_use_coupon_ignores_earlier_use() {
    let mut c = sample();
    c.single_use = false;
    let signed = signed(c);
    let key = hq_key().verifying_key();
    assert_eq!(
        signed.check_redeemable(&key, Some("M1001"), at(5, 0), true),
        Ok(())
    );
}

#[test]
fn refusals_read_well_for_a_cashier() {
    assert_eq!(
        CouponRefusal::Expired { until: at(15, 0) }.to_string(),
        "this coupon has expired: it ended 2024-05-15 00:00 UTC"
    );
    assert_eq!(
        CouponRefusal::NotYetValid { from: at(1, 9) }.to_string(),
        "this coupon is not valid yet: it starts 2024-05-01 09:00 UTC"
    );
    assert!(
        CouponRefusal::NoMember
            .to_string()
            .contains("identify the member")
    );
}

/// Changes one field of `c` to a different value, chosen by `which` and `n`.
fn mutate(c: &mut Coupon, which: u8, n: u32) {
    let n = n.max(1);
    match which % 12 {
        0 => c.id.push('x'),
        1 => c.member_id.push('7'),
        2 => {
            c.offer.target = match c.offer.target {
                OfferTarget::Basket => OfferTarget::Category("dairy".into()),
                _ => OfferTarget::Basket,
            }
        }
        3 => {
            c.offer.value = match c.offer.value {
                OfferValue::AmountOff(a) => OfferValue::AmountOff(a + i64::from(n)),
                OfferValue::PercentOff(bp) => OfferValue::AmountOff(i64::from(bp)),
            }
        }
        4 => c.offer.min_spend += i64::from(n),
        5 => c.offer.max_discount = c.offer.max_discount.map_or(Some(1), |cap| Some(cap + 1)),
        6 => c.valid_from -= Duration::nanoseconds(i64::from(n)),
        7 => c.valid_until += Duration::seconds(i64::from(n)),
        8 => c.single_use = !c.single_use,
        9 => c.funded_by = c.funded_by.as_ref().map_or(Some("store".into()), |_| None),
        10 => c.title.push('!'),
        _ => {
            if let OfferTarget::Product(g) = c.offer.target {
                let other =
                    Gtin::gtin13_from_body((g.value() / 10 + u64::from(n)) % 1_000_000_000_000);
                c.offer.target = OfferTarget::Product(other.unwrap());
            } else {
                c.offer.target = OfferTarget::Product(gtin(GTINS[0]));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn changing_any_field_is_forged(c in arb_coupon(), which in any::<u8>(), n in any::<u32>()) {
        let signed = sign(c, &hq_key()).unwrap();
        let mut tampered = signed.clone();
        mutate(&mut tampered.coupon, which, n);
        prop_assert_ne!(&tampered, &signed);
        prop_assert_eq!(tampered.verify(&hq_key().verifying_key()), Err(CouponError::Forged));
    }
}
