//! Tests of shopping lists: signing and both codes, tamper detection, refusing invalid
//! lists, and the coupons a list offers at a given time.

use super::*;

#[test]
fn a_signed_list_round_trips_through_both_codes() {
    let list = signed_list(three_coupons());
    let key = hq_key().verifying_key();
    assert_eq!(list.verify(&key), Ok(()));

    let code = list.full_code();
    assert!(code.starts_with(LIST_FULL_PREFIX) && code.is_ascii());
    assert!(code.len() <= QR_BYTE_CAPACITY);
    let ListCode::Full(read) = parse_list_code(&code).unwrap() else {
        panic!("expected a full list code");
    };
    assert_eq!(*read, list);
    assert_eq!(read.verify(&key), Ok(()));

    let short = list.short_code();
    assert_eq!(short, "L:L-2024-19");
    assert!(short.len() <= SHORT_CODE_MAX);
    assert_eq!(
        parse_list_code(&short).unwrap(),
        ListCode::Short("L-2024-19".into())
    );

    let json = serde_json::to_string(&list).unwrap();
    assert_eq!(serde_json::from_str::<SignedList>(&json).unwrap(), list);
}

#[test]
fn a_tampered_list_is_forged() {
    let list = signed_list(three_coupons());
    let key = hq_key().verifying_key();
    let edits: Vec<fn(&mut ShoppingList)> = vec![
        |l| l.member_id = "M1002".into(),
        |l| l.period_end += Duration::days(1),
        |l| l.items[0].name = "Acme coffee 1 kg".into(),
        |l| l.items[1].department = Some("dairy".into()),
        |l| {
            l.items.pop();
        },
        |l| {
            l.coupons.pop();
        },
        |l| l.coupons.swap(0, 1),
        |l| l.coupons[2].coupon.offer.value = OfferValue::AmountOff(10_000),
        |l| l.coupons[0].signature[0] ^= 0x80,
    ];
    for (n, edit) in edits.iter().enumerate() {
        let mut tampered = list.clone();
        edit(&mut tampered.list);
        assert_eq!(tampered.verify(&key), Err(CouponError::Forged), "edit {n}");
    }
    assert_eq!(
        list.verify(&other_key().verifying_key()),
        Err(CouponError::Forged)
    );
}

#[test]
fn lists_with_foreign_unsigned_or_repeated_coupons_are_not_signed() {
    let mut foreign = sample();
    foreign.member_id = "M1002".into();
    let bad_lists = [
        vec![signed(foreign)],
        vec![sign(sample(), &other_key()).unwrap()],
        vec![signed(sample()), signed(sample())],
    ];
    for (n, coupons) in bad_lists.into_iter().enumerate() {
        let err = sign_list(list_with(coupons), &hq_key()).expect_err(&format!("list {n}"));
        assert!(
            matches!(
                err,
                CouponError::Invalid {
                    kind: CodeKind::List,
                    ..
                }
            ),
            "list {n}: {err:?}"
        );
    }
    let mut empty_name = list_with(Vec::new());
    empty_name.items[0].name.clear();
    assert!(sign_list(empty_name, &hq_key()).is_err());
    let mut backwards = list_with(Vec::new());
    backwards.period_end = backwards.period_start;
    assert!(sign_list(backwards, &hq_key()).is_err());
    let mut bad_id = list_with(Vec::new());
    bad_id.id = "L/1".into();
    assert!(matches!(
        sign_list(bad_id, &hq_key()),
        Err(CouponError::BadId {
            kind: CodeKind::List,
            ..
        })
    ));
}

#[test]
fn offers_for_returns_the_coupons_valid_now_for_the_lists_member() {
    let list = signed_list(three_coupons());
    let ids = |now| {
        list.offers_for("M1001", now)
            .into_iter()
            .map(|c| c.coupon.id.as_str())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(at(2, 0)), vec!["K-1", "K-3"]);
    assert_eq!(ids(at(7, 0)), vec!["K-3"]);
    assert_eq!(ids(at(12, 0)), vec!["K-2", "K-3"]);
    assert!(ids(at(20, 0)).is_empty());
    assert!(list.offers_for("M1002", at(2, 0)).is_empty());
    assert!(list.list.is_current(at(2, 0)));
    assert!(!list.list.is_current(at(15, 0)));

    // Every offer the list yields passes the redemption check on its own.
    let key = hq_key().verifying_key();
    for offer in list.offers_for("M1001", at(12, 0)) {
        assert_eq!(
            offer.check_redeemable(&key, Some("M1001"), at(12, 0), false),
            Ok(())
        );
    }
}

#[test]
fn every_truncation_of_a_list_code_is_refused() {
    let code = signed_list(three_coupons()).full_code();
    for cut in 0..code.len() {
        assert!(
            parse_list_code(&code[..cut]).is_err(),
            "accepted a cut at {cut}"
        );
    }
}
