//! The customer line display driven by the terminal's effects (the simulated 2×20 GB18030
//! display the default configuration has): a greeting at sign-in, the item and price with
//! the total on every scan, the total while paying, the change after the sale, the
//! greeting again once a sale is voided; a display that fails warns and the sale goes on.

use storepos_drivers::display::{DisplayConfig, DisplayEncoding, DisplayProtocol, DisplayTexts};

use crate::common::till::{headless_till, say};

fn padded(left: &str, right: &str) -> String {
    let used = unicode_width(left) + right.len();
    format!("{left}{}{right}", " ".repeat(20 - used))
}

/// Display columns: a CJK character takes two.
fn unicode_width(text: &str) -> usize {
    text.chars()
        .map(|c| if u32::from(c) >= 0x2E80 { 2 } else { 1 })
        .sum()
}

#[test]
fn the_display_follows_the_sale() {
    let dir = tempfile::tempdir().unwrap();
    let (mut terminal, mut counter) = headless_till(dir.path(), Default::default());
    let display = counter.devices().simulators.display.clone().unwrap();
    assert_eq!(display.lines(), ["Welcome!".to_string(), String::new()]);
    for line in [
        r#"{"sign_in":{"operator":"1001","pin":"1234"}}"#,
        r#"{"open_shift":{"float":"100.00"}}"#,
    ] {
        assert_eq!(say(&mut terminal, &mut counter, line)["ok"], true);
    }
    assert_eq!(display.lines(), ["Welcome!".to_string(), String::new()]);

    // Scans: the item (its Chinese name cut to fit by display width) and the total.
    say(&mut terminal, &mut counter, r#"{"scan":"6901234567892"}"#);
    assert_eq!(
        display.lines(),
        [padded("农夫山泉饮用天", "2.00"), padded("TOTAL", "2.00")]
    );
    say(&mut terminal, &mut counter, r#"{"scan":"6901234567892"}"#);
    assert_eq!(display.lines()[1], padded("TOTAL", "4.00"));
    let milk = say(&mut terminal, &mut counter, r#"{"scan":"6904000000111"}"#);
    let total = milk["basket"]["total"].as_str().unwrap().to_string();
    assert_eq!(
        display.lines(),
        [padded("伊利纯牛奶250m", "54.00"), padded("TOTAL", &total)]
    );
    for row in display.lines() {
        assert!(unicode_width(&row) <= 20, "{row}");
    }

    // Paying: the total while it is not covered, then the change.
    let part = say(
        &mut terminal,
        &mut counter,
        r#"{"tender":{"card":"10.00","ref":"C9"}}"#,
    );
    assert_eq!(part["ok"], true, "{part}");
    assert_eq!(display.lines(), [padded("TOTAL", &total), String::new()]);
    let paid = say(
        &mut terminal,
        &mut counter,
        r#"{"tender":{"cash":"100.00"}}"#,
    );
    let change = paid["sale"]["change"].as_str().unwrap();
    assert_ne!(change, "0.00", "{paid}");
    assert_eq!(
        display.lines(),
        ["Thank you!".to_string(), padded("CHANGE", change)]
    );

    // Exact card payment: no change line. A voided sale brings the greeting back.
    say(&mut terminal, &mut counter, r#"{"scan":"6901234567892"}"#);
    say(
        &mut terminal,
        &mut counter,
        r#"{"tender":{"card":"2.00","ref":"C10"}}"#,
    );
    assert_eq!(display.lines(), ["Thank you!".to_string(), String::new()]);
    say(&mut terminal, &mut counter, r#"{"scan":"6901234567892"}"#);
    say(&mut terminal, &mut counter, r#"{"void_sale":{}}"#);
    say(
        &mut terminal,
        &mut counter,
        r#"{"approve":{"operator":"2001","pin":"2222"}}"#,
    );
    assert_eq!(display.lines(), ["Welcome!".to_string(), String::new()]);
}

#[test]
fn a_failing_display_warns_and_never_fails_the_sale() {
    let dir = tempfile::tempdir().unwrap();
    // A serial display that is not plugged in, with Chinese texts it would encode as GB18030.
    let mut config = storepos::config::Config::default();
    config.devices.display = DisplayConfig::Serial {
        path: dir.path().join("no-such-display"),
        baud: 9600,
        protocol: DisplayProtocol::Cd5220,
        encoding: DisplayEncoding::Gb18030,
        columns: 20,
        texts: DisplayTexts {
            welcome: "欢迎光临".into(),
            ..Default::default()
        },
    };
    let (mut terminal, mut counter) = headless_till(&dir.path().join("data"), config);
    for line in [
        r#"{"sign_in":{"operator":"1001","pin":"1234"}}"#,
        r#"{"open_shift":{"float":"100.00"}}"#,
    ] {
        assert_eq!(say(&mut terminal, &mut counter, line)["ok"], true);
    }
    let scan = say(&mut terminal, &mut counter, r#"{"scan":"6901234567892"}"#);
    assert_eq!(scan["ok"], true, "{scan}");
    assert_eq!(scan["basket"]["lines"].as_array().unwrap().len(), 1);
    let warning = scan["warnings"][0].as_str().unwrap();
    assert!(
        warning.contains("customer display") && warning.contains("goes on"),
        "{warning}"
    );
    let sale = say(&mut terminal, &mut counter, r#"{"tender":{"cash":"5.00"}}"#);
    assert_eq!(sale["ok"], true, "{sale}");
    assert_eq!(sale["sale"]["receipt_no"], 1, "{sale}");
    assert_eq!(sale["sale"]["change"], "3.00");

    // The simulated display unplugged mid-sale: the same.
    let dir = tempfile::tempdir().unwrap();
    let (mut terminal, mut counter) = headless_till(dir.path(), Default::default());
    let display = counter.devices().simulators.display.clone().unwrap();
    say(
        &mut terminal,
        &mut counter,
        r#"{"sign_in":{"operator":"1001","pin":"1234"}}"#,
    );
    say(
        &mut terminal,
        &mut counter,
        r#"{"open_shift":{"float":"100.00"}}"#,
    );
    display.set_plugged(false);
    let scan = say(&mut terminal, &mut counter, r#"{"scan":"6901234567892"}"#);
    assert_eq!(scan["ok"], true, "{scan}");
    assert!(!scan["warnings"].as_array().unwrap().is_empty(), "{scan}");
    let sale = say(&mut terminal, &mut counter, r#"{"tender":{"cash":"2.00"}}"#);
    assert_eq!(sale["sale"]["receipt_no"], 1, "{sale}");
    // Plugged back in: the next sale shows again.
    display.set_plugged(true);
    say(&mut terminal, &mut counter, r#"{"scan":"6901234567892"}"#);
    assert_eq!(display.lines()[1], padded("TOTAL", "2.00"));
}
