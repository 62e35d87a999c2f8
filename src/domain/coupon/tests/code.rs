//! Tests of the printed forms: short and full codes, and clear errors for garbled, cut off,
//! unsupported or wrong-kind codes, never a panic.

use super::*;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

#[test]
fn short_codes_are_short_ascii_and_resolve_to_the_id() {
    let mut c = sample();
    c.id = "A".repeat(ID_MAX);
    let signed = signed(c);
    let short = signed.short_code();
    assert!(short.is_ascii());
    assert!(short.len() <= SHORT_CODE_MAX);
    assert_eq!(
        parse_code(&short).unwrap(),
        CouponCode::Short("A".repeat(ID_MAX))
    );
    assert_eq!(parse_code("C:K-7\r\n").unwrap().id(), "K-7");
}

#[test]
fn garbled_codes_get_clear_errors() {
    let signed = signed(sample());
    let code = signed.full_code();
    let (head, sig) = code.rsplit_once('.').unwrap();

    let not_ours = [
        "",
        "4006381333931",
        "CARD12345",
        "SPC1",
        "hello world",
        "C-123",
    ];
    for text in not_ours {
        assert!(
            matches!(parse_code(text), Err(CouponError::NotACode(_))),
            "{text:?}"
        );
        assert_eq!(parse_printed(text), Ok(None), "{text:?}");
    }
    assert!(matches!(
        parse_code(&code.replacen("SPC1.", "SPC2.", 1)),
        Err(CouponError::UnsupportedVersion { kind: CodeKind::Coupon, ref found }) if found == "2"
    ));
    assert!(matches!(
        parse_code(&code.replacen("SPC1.", "SPCx.", 1)),
        Err(CouponError::Damaged { .. })
    ));
    let damaged = [
        format!("{head}.{}", &sig[..sig.len() - 2]),
        format!("{head}.{sig}A"),
        format!("{head}.{sig}.{sig}"),
        head.to_string(),
        format!("{head}!.{sig}"),
        format!("SPC1..{sig}"),
        format!("{}.{sig}", &head[..head.len() - 7]),
    ];
    for text in &damaged {
        let err = parse_code(text).expect_err(text);
        assert!(
            matches!(err, CouponError::Damaged { .. }),
            "{text}: {err:?}"
        );
        assert!(err.to_string().contains("damaged"), "{err}");
    }
    for text in [
        "C:",
        "C:K 1",
        "C:K_1",
        "L:",
        &format!("C:{}", "A".repeat(21)),
    ] {
        assert!(
            matches!(parse_printed(text), Err(CouponError::BadId { .. })),
            "{text}"
        );
    }
}

#[test]
fn every_truncation_of_a_full_code_is_refused() {
    let code = signed(sample()).full_code();
    for cut in 0..code.len() {
        assert!(parse_code(&code[..cut]).is_err(), "accepted a cut at {cut}");
    }
}

#[test]
fn a_coupon_prefix_around_list_content_is_refused() {
    let list = signed_list(vec![signed(sample())]);
    let code = list
        .full_code()
        .replacen(LIST_FULL_PREFIX, COUPON_FULL_PREFIX, 1);
    assert!(matches!(
        parse_code(&code),
        Err(CouponError::Damaged {
            kind: CodeKind::Coupon,
            ..
        })
    ));
    assert!(matches!(
        parse_code(&list.full_code()),
        Err(CouponError::WrongKind {
            expected: CodeKind::Coupon,
            found: CodeKind::List
        })
    ));
    assert!(matches!(
        parse_list_code(&signed(sample()).short_code()),
        Err(CouponError::WrongKind {
            expected: CodeKind::List,
            found: CodeKind::Coupon
        })
    ));
}

const CODE_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.+/= :";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_valid_coupon_round_trips(c in arb_coupon()) {
        let signed = sign(c, &hq_key()).unwrap();
        let code = signed.full_code();
        prop_assert!(code.is_ascii());
        let read = full(&code);
        prop_assert_eq!(&read, &signed);
        prop_assert_eq!(read.verify(&hq_key().verifying_key()), Ok(()));
        prop_assert_eq!(parse_code(&signed.short_code()), Ok(CouponCode::Short(signed.coupon.id.clone())));
    }

    #[test]
    fn changing_one_character_of_a_full_code_is_caught(
        c in arb_coupon(),
        position in any::<prop::sample::Index>(),
        replacement in any::<prop::sample::Index>(),
    ) {
        let signed = sign(c, &hq_key()).unwrap();
        let code = signed.full_code();
        let mut bytes = code.clone().into_bytes();
        let i = position.index(bytes.len());
        let mut new = CODE_CHARS[replacement.index(CODE_CHARS.len())];
        if new == bytes[i] {
            new = if new == b'A' { b'B' } else { b'A' };
        }
        bytes[i] = new;
        let text = String::from_utf8(bytes).unwrap();
        if let Ok(CouponCode::Full(read)) = parse_code(&text) {
            prop_assert_eq!(read.verify(&hq_key().verifying_key()), Err(CouponError::Forged));
        } else {
            prop_assert!(parse_code(&text).is_err(), "{} read as a short code", text);
        }
    }

    #[test]
    fn random_text_never_panics(text in "\\PC{0,200}") {
        let _ = parse_printed(&text);
        let _ = parse_code(&text);
        let _ = parse_list_code(&text);
    }

    #[test]
    fn random_content_behind_a_valid_prefix_is_refused(
        prefix in prop_oneof![Just("SPC1."), Just("SPL1.")],
        payload in proptest::collection::vec(any::<u8>(), 0..300),
        signature in proptest::collection::vec(any::<u8>(), 60..68),
    ) {
        let text = format!(
            "{prefix}{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(&signature)
        );
        prop_assert!(parse_printed(&text).is_err());
    }

    #[test]
    fn random_code_characters_never_panic(suffix in "[A-Za-z0-9_.:-]{0,300}") {
        for prefix in ["SPC1.", "SPL1.", "SPC", "C:", "L:", ""] {
            let _ = parse_printed(&format!("{prefix}{suffix}"));
        }
    }
}
