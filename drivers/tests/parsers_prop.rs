//! Property tests: every parser is fed random bytes. None may panic, none may hand out
//! half a frame, and cutting the input into arbitrary pieces must not change the result.

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use storepos_drivers::card::msr::{CardNumberRule, MsrDecoder, parse_swipe};
use storepos_drivers::card::pn532_frame::{Pn532Frame, Pn532Parser, parse_list_response};
use storepos_drivers::card::{CardSource, WedgeCardDecoder};
use storepos_drivers::display::{DisplayEncoding, VirtualDisplay};
use storepos_drivers::printer::parse::{Parsed, next_token, tokens};
use storepos_drivers::printer::{
    Block, PaperWidth, PrinterProfile, PrinterStatus, VirtualPrinter, commands, encode,
};
use storepos_drivers::render::{barcode, render_receipt};
use storepos_drivers::scanner::aim::{decode_payload, gs1_check_ok};
use storepos_drivers::scanner::{FramedScanDecoder, HidPosDecoder, Symbology};
use storepos_drivers::stream::FrameDecoder;
use storepos_drivers::transport::{Connector, KeyDecoder};
use storepos_drivers::{Document, ErrorKind, TextStyle};

/// Random bytes drawn mostly from the characters these protocols use.
fn protocol_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => any::<u8>(),
        2 => prop::sample::select(b"]EQC04%;?=^B\r\n\x02\x03\x00\xFF\x10\x1B\x1D".to_vec()),
        2 => b'0'..=b'9',
    ];
    prop::collection::vec(byte, 0..max)
}

/// Cut points for feeding the same bytes in pieces.
fn cuts() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..40, 0..20)
}

fn feed_in_pieces<D: FrameDecoder>(
    d: &mut D,
    bytes: &[u8],
    cuts: &[usize],
) -> Vec<Result<D::Output, ErrorKind>> {
    let mut out = Vec::new();
    let mut rest = bytes;
    for &c in cuts {
        let (a, b) = rest.split_at(c.min(rest.len()));
        d.feed(a, &mut out);
        rest = b;
    }
    d.feed(rest, &mut out);
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

proptest! {
    // The saved failure cases are in parsers_prop.proptest-regressions beside this file
    // (the default would look for them under drivers/proptest-regressions/, since
    // tests/main.rs makes this directory the test's root).
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: Some(Box::new(
            FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        ..ProptestConfig::default()
    })]

    #[test]
    fn framed_scanner_yields_only_whole_frames(
        bytes in protocol_bytes(300),
        cut in cuts(),
        framing in 0usize..3,
    ) {
        let (prefix, suffix): (&[u8], &[u8]) = match framing {
            0 => (b"", b"\r"),
            1 => (b"\x02", b"\x03"),
            _ => (b"", b"\r\n"),
        };
        let mut whole = FramedScanDecoder::new(prefix, suffix);
        let mut all = Vec::new();
        whole.feed(&bytes, &mut all);
        let mut pieces = FramedScanDecoder::new(prefix, suffix);
        let split = feed_in_pieces(&mut pieces, &bytes, &cut);
        prop_assert_eq!(&all, &split);
        for scan in all.iter().flatten() {
            let mut framed = prefix.to_vec();
            framed.extend_from_slice(&scan.raw);
            framed.extend_from_slice(suffix);
            prop_assert!(contains(&bytes, &framed), "{:?} is not a whole frame", scan.raw);
            prop_assert!(!scan.label.is_empty());
            if scan.symbology == Symbology::Ean13 {
                prop_assert!(gs1_check_ok(scan.label.as_bytes()));
            }
        }
        let _ = whole.idle();
        prop_assert!(!whole.has_partial());
    }

    #[test]
    fn scan_payload_decoding_never_panics(bytes in protocol_bytes(80)) {
        if let Ok(scan) = decode_payload(&bytes) {
            prop_assert_eq!(&scan.raw, &bytes);
            let bad = scan.label.chars().any(|c| c == char::REPLACEMENT_CHARACTER || c == '\r' || c == '\n');
            prop_assert!(!bad, "label {:?} kept a character it must not", scan.label);
        }
    }

    #[test]
    fn hid_pos_reports(bytes in prop::collection::vec(any::<u8>(), 0..400), cut in cuts()) {
        let mut whole = HidPosDecoder::new();
        let mut all = Vec::new();
        whole.feed(&bytes, &mut all);
        let split = feed_in_pieces(&mut HidPosDecoder::new(), &bytes, &cut);
        prop_assert_eq!(&all, &split);
        for scan in all.iter().flatten() {
            let head = &scan.label.as_bytes()[..scan.label.len().min(56)];
            prop_assert!(contains(&bytes, head));
        }
    }

    #[test]
    fn swipes_are_whole_or_rejected(bytes in protocol_bytes(120), lrc in any::<bool>()) {
        if let Ok(swipe) = parse_swipe(&bytes, lrc) {
            if let Some(t1) = &swipe.track1 {
                let mut framed = b"%".to_vec();
                framed.extend_from_slice(t1.as_bytes());
                framed.push(b'?');
                prop_assert!(contains(&bytes, &framed));
            }
            if let Some(t2) = &swipe.track2 {
                let mut framed = b";".to_vec();
                framed.extend_from_slice(t2.as_bytes());
                framed.push(b'?');
                prop_assert!(contains(&bytes, &framed));
            }
        }
    }

    #[test]
    fn msr_and_wedge_card_decoders(bytes in protocol_bytes(300), cut in cuts()) {
        let mk = || MsrDecoder::new(b"\r", false, CardNumberRule::default(), CardSource::MagStripe);
        let mut whole = mk();
        let mut all = Vec::new();
        whole.feed(&bytes, &mut all);
        prop_assert_eq!(&all, &feed_in_pieces(&mut mk(), &bytes, &cut));
        for card in all.iter().flatten() {
            prop_assert!(contains(&bytes, card.card_number.as_bytes()));
            prop_assert!(card.card_number.bytes().all(|b| b.is_ascii_digit()));
        }
        let mut wedge = WedgeCardDecoder::new(CardNumberRule::default());
        let mut out = Vec::new();
        wedge.feed(&bytes, &mut out);
        let _ = wedge.idle();
        prop_assert!(!wedge.has_partial());
    }

    #[test]
    fn pn532_frames(bytes in protocol_bytes(300), cut in cuts()) {
        let mut whole = Pn532Parser::new();
        let mut all = Vec::new();
        whole.feed(&bytes, &mut all);
        let mut pieces = Pn532Parser::new();
        let mut split = Vec::new();
        let mut rest = bytes.as_slice();
        for &c in &cut {
            let (a, b) = rest.split_at(c.min(rest.len()));
            pieces.feed(a, &mut split);
            rest = b;
        }
        pieces.feed(rest, &mut split);
        prop_assert_eq!(&all, &split);
        for frame in all.iter().flatten() {
            if let Pn532Frame::Data { tfi, payload } = frame {
                prop_assert!(*tfi == 0xD4 || *tfi == 0xD5);
                prop_assert!(contains(&bytes, payload));
            }
        }
    }

    #[test]
    fn pn532_list_responses(payload in prop::collection::vec(any::<u8>(), 0..30)) {
        if let Ok(Some(target)) = parse_list_response(&payload) {
            prop_assert!(matches!(target.uid.len(), 4 | 7 | 10));
            prop_assert!(contains(&payload, &target.uid));
        }
    }

    #[test]
    fn status_bytes_parse_only_when_well_formed(replies in any::<[u8; 3]>()) {
        let well_formed = replies.iter().all(|b| b & 0x93 == 0x12);
        prop_assert_eq!(PrinterStatus::parse(replies).is_ok(), well_formed);
    }

    #[test]
    fn escpos_tokenizer_and_renderer(bytes in protocol_bytes(400)) {
        let mut it = tokens(&bytes);
        let count = it.by_ref().count();
        prop_assert!(it.consumed() <= bytes.len());
        if it.consumed() < bytes.len() {
            prop_assert_eq!(next_token(&bytes[it.consumed()..]), Parsed::Incomplete);
        }
        prop_assert!(count <= bytes.len());
        let image = render_receipt(&bytes, &PrinterProfile::mm58());
        prop_assert!(image.width() > 0 && image.height() > 0);
    }

    #[test]
    fn virtual_printer_is_chunking_invariant(bytes in protocol_bytes(300), cut in cuts()) {
        let run = |pieces: &[&[u8]]| {
            let vp = VirtualPrinter::new(PrinterProfile::mm80());
            let mut link = vp.connect().unwrap();
            for p in pieces {
                link.write_all(p).unwrap();
            }
            let mut replies = Vec::new();
            let mut buf = [0u8; 64];
            while let Ok(n) = link.read_timeout(&mut buf, std::time::Duration::ZERO) {
                if n == 0 { break; }
                replies.extend_from_slice(&buf[..n]);
            }
            (vp.jobs(), replies, vp.kicks())
        };
        let mut pieces: Vec<&[u8]> = Vec::new();
        let mut rest = bytes.as_slice();
        for &c in &cut {
            let (a, b) = rest.split_at(c.min(rest.len()));
            pieces.push(a);
            rest = b;
        }
        pieces.push(rest);
        prop_assert_eq!(run(&[&bytes]), run(&pieces));
    }

    #[test]
    fn key_decoder_and_virtual_display(
        keys in prop::collection::vec((0u16..130, 0i32..3), 0..100),
        display in protocol_bytes(200),
    ) {
        let mut d = KeyDecoder::new();
        let mut out = Vec::new();
        for (code, value) in keys {
            d.feed(code, value, &mut out);
        }
        prop_assert!(std::str::from_utf8(&out).is_ok());
        let vd = VirtualDisplay::new(DisplayEncoding::Gb18030, 20);
        vd.connect().unwrap().write_all(&display).unwrap();
        let lines = vd.lines();
        prop_assert!(lines.iter().all(|l| storepos_drivers::printer::profile::text_width(l) <= 20));
    }

    #[test]
    fn code128_round_trips_through_the_renderer(data in "[ -~]{1,40}") {
        let cmd = commands::code128(&data).unwrap();
        let Parsed::Token(storepos_drivers::printer::parse::Token::Command(
            storepos_drivers::printer::parse::Command::Barcode { system, data: payload }), used) = next_token(&cmd)
        else {
            return Err(TestCaseError::fail("not a barcode command"));
        };
        prop_assert_eq!(used, cmd.len());
        prop_assert_eq!(system, 73);
        let (modules, text) = barcode::code128_modules(payload).unwrap();
        prop_assert_eq!(text, data);
        prop_assert_eq!(modules.len() % 11, 2);
    }

    #[test]
    fn ean13_bars(digits in "[0-9]{12}") {
        let (modules, text) = barcode::ean13_modules(digits.as_bytes()).unwrap();
        prop_assert_eq!(modules.len(), 95);
        prop_assert!(text.starts_with(&digits));
        prop_assert!(gs1_check_ok(text.as_bytes()));
    }

    #[test]
    fn encoder_output_is_whole_escpos(
        texts in prop::collection::vec("[ -~一-龥¥]{0,30}", 0..6),
        code in "[ -~]{0,30}",
        ean in "[0-9]{11,14}",
        qr in "[ -~]{0,60}",
        narrow in any::<bool>(),
    ) {
        let mut doc = Document::new();
        for (i, t) in texts.iter().enumerate() {
            doc = if i % 2 == 0 {
                doc.styled(t.clone(), TextStyle::new().center().bold())
            } else {
                doc.pair(t.clone(), "¥1.00")
            };
        }
        doc = doc.code128(code).ean13(ean).qr(qr).push(Block::Feed { lines: 2 }).cut();
        let profile = PrinterProfile {
            paper: if narrow { PaperWidth::Mm58 } else { PaperWidth::Mm80 },
            ..PrinterProfile::default()
        };
        match encode(&doc, &profile) {
            Ok(enc) => {
                let mut it = tokens(&enc.bytes);
                let _ = it.by_ref().count();
                prop_assert_eq!(it.consumed(), enc.bytes.len(), "encoder left a command incomplete");
                prop_assert_eq!(*enc.block_ends.last().unwrap(), enc.bytes.len());
                let vp = VirtualPrinter::new(profile);
                vp.connect().unwrap().write_all(&enc.bytes).unwrap();
                let jobs = vp.jobs();
                prop_assert_eq!(jobs.len(), 1);
                prop_assert_eq!(&jobs[0].bytes, &enc.bytes);
            }
            Err(e) => prop_assert!(matches!(e, ErrorKind::InvalidInput(_)), "{e:?}"),
        }
    }
}
