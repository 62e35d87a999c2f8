//! Renders every screen of the touch UI, in English and in Chinese, with the software
//! renderer into PNG files under `target/ui-screenshots/<width>x<height>/`, at the two
//! screen sizes a till has (1024×768 and 1920×1080). The screens are reached the way a
//! cashier reaches them, through the UI's own actions on a demo store.

use std::path::{Path, PathBuf};

use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use slint::{ComponentHandle, Model};
use storepos::config::Config;
use storepos::terminal::Terminal;
use storepos::ui::offscreen::{self, Screen as Frame};
use storepos::ui::{
    AppWindow, Approval, Manager, Member, Payment, Returns, Sale, Screen, Session, Status,
};

fn out_dir(width: u32, height: u32) -> PathBuf {
    // CARGO_TARGET_TMPDIR is <target>/tmp.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("ui-screenshots")
        .join(format!("{width}x{height}"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Shooter {
    frame: Frame,
    app: AppWindow,
    dir: PathBuf,
    shots: Vec<(String, Vec<u8>)>,
}

impl Shooter {
    /// Saves the current screen in both languages; the two must differ.
    fn shoot(&mut self, name: &str) {
        let mut images = Vec::new();
        for language in ["en", "zh_CN"] {
            self.app
                .global::<Session>()
                .invoke_set_language(language.into());
            self.frame.redraw();
            let png = self.frame.png().unwrap();
            let path = self.dir.join(format!("{name}-{language}.png"));
            std::fs::write(&path, &png).unwrap();
            assert!(
                distinct_colours(&self.frame) > 8,
                "{} is nearly blank",
                path.display()
            );
            images.push(png.clone());
            self.shots.push((format!("{name}-{language}"), png));
        }
        assert_ne!(images[0], images[1], "{name}: the language did not change");
        self.app
            .global::<Session>()
            .invoke_set_language("en".into());
    }
}

/// The Pay button's text sits on one line inside it, in both languages: no text pixels
/// (white) touch its top or bottom edge, where a wrapped, clipped amount would show.
fn pay_button_shows_its_whole_amount(s: &mut Shooter) {
    let pay = ElementHandle::find_by_accessible_label(&s.app, "Pay")
        .find(|e| e.accessible_role() == Some(AccessibleRole::Button))
        .expect("the Pay button");
    for language in ["en", "zh_CN"] {
        s.app
            .global::<Session>()
            .invoke_set_language(language.into());
        s.frame.redraw();
        let (at, size) = (pay.absolute_position(), pay.size());
        let (x0, y0) = (at.x.ceil() as u32, at.y.ceil() as u32);
        let (x1, y1) = (
            (at.x + size.width).floor() as u32,
            (at.y + size.height).floor() as u32,
        );
        let white = |x: u32, y: u32| {
            let p = s.frame.pixel(x, y);
            p.r > 200 && p.g > 200 && p.b > 200
        };
        for y in (y0 + 2..y0 + 8).chain(y1 - 8..y1 - 2) {
            for x in x0 + 8..x1 - 8 {
                assert!(
                    !white(x, y),
                    "{language}: the Pay button's text reaches its edge at ({x}, {y}): it wraps"
                );
            }
        }
    }
    s.app.global::<Session>().invoke_set_language("en".into());
}

/// Taps the one element labelled `label`, as a finger would.
fn tap(app: &AppWindow, label: &str) {
    let found: Vec<_> = ElementHandle::find_by_accessible_label(app, label)
        .filter(|e| e.accessible_role() != Some(AccessibleRole::Text))
        .collect();
    assert_eq!(found.len(), 1, "elements labelled {label:?}");
    found[0].invoke_accessible_default_action();
}

fn distinct_colours(frame: &Frame) -> usize {
    let mut seen = std::collections::HashSet::new();
    for y in (0..frame.height).step_by(7) {
        for x in (0..frame.width).step_by(7) {
            let p = frame.pixel(x, y);
            seen.insert((p.r, p.g, p.b));
        }
    }
    seen.len()
}

fn render_every_screen(width: u32, height: u32) {
    let frame = offscreen::install(width, height, false).unwrap();
    let store_dir = tempfile::tempdir().unwrap();
    let mut config = storepos::demo::with_demo_coupon_key(&Config::default());
    config.store.language = storepos::receipt::Language::En;
    let mut store = storepos::store::Store::open_configured(&config, store_dir.path()).unwrap();
    storepos::demo::seed(&mut store).unwrap();
    let now = chrono::Utc::now();
    storepos::demo::seed_history(&store, now).unwrap();
    storepos::demo::keep_demo_lists(&store, &config, now).unwrap();
    let terminal = Terminal::open(store, config.clone()).unwrap();
    let (app, _controller) = storepos::ui::launch::build(&config, terminal, true).unwrap();
    app.show().unwrap();
    let mut s = Shooter {
        frame,
        app,
        dir: out_dir(width, height),
        shots: Vec::new(),
    };
    let app = s.app.clone_strong();
    let session = || app.global::<Session>();
    let sale = || app.global::<Sale>();
    let payment = || app.global::<Payment>();
    let member = || app.global::<Member>();
    let returns = || app.global::<Returns>();
    let manager = || app.global::<Manager>();
    let status = || app.global::<Status>();
    let approval = || app.global::<Approval>();

    s.shoot("01-sign-in");
    session().invoke_sign_in("1001".into(), "1234".into());
    s.shoot("02-open-shift");
    session().invoke_open_shift("200.00".into());
    assert_eq!(session().get_screen(), Screen::Checkout);
    s.shoot("03-checkout-empty");

    member().invoke_lookup("13800138000".into());
    for code in [
        "6904000000111",
        "6910000000181",
        "6910000000181",
        "6910000000181",
        "6901234567892",
        "2104011003505",
        "2504131012355",
        "6907000000174",
    ] {
        sale().invoke_scan(code.into());
    }
    sale().invoke_key_item("4664".into(), "0.850".into());
    sale().invoke_scan("6920000000159".into());
    assert_eq!(status().get_error_message(), "");
    assert!(sale().get_total().len() >= 6, "a total of 100.00 or more");
    pay_button_shows_its_whole_amount(&mut s);
    s.shoot("04-checkout-member-basket");

    sale().invoke_scan("6900000000014".into());
    assert_eq!(status().get_error_code(), "unknown_item");
    s.shoot("05-error-unknown-item");
    status().invoke_dismiss_error();

    sale().invoke_price_override(1, "40.00".into());
    assert_ne!(approval().get_what(), "");
    s.shoot("06-approval");
    // A wrong PIN: the refusal shows over the prompt, undimmed.
    approval().invoke_approve("2001".into(), "0000".into());
    assert_eq!(status().get_error_code(), "bad_credentials");
    assert_ne!(approval().get_what(), "");
    s.shoot("06b-approval-wrong-pin");
    status().invoke_dismiss_error();
    approval().invoke_cancel();

    session().set_screen(Screen::Member);
    // A complaint recorded at the counter: the sheet lists it as a case to add notes to.
    member().invoke_complaint("牛奶变质了".into(), 2);
    assert_eq!(status().get_error_message(), "");
    member().invoke_open_sheet();
    assert_eq!(member().get_cases().row_count(), 1);
    s.shoot("07-member");
    let case = member().get_cases().row_data(0).unwrap();
    member().invoke_note(case, "已电话回访，同意退款".into());
    assert_eq!(status().get_error_message(), "");
    s.shoot("07c-member-complaint-note");
    // The on-screen keyboard, opened by tapping the complaint field and typed on.
    tap(&app, "Complaint text");
    for key in [
        "Capital", "M", "i", "l", "k", "Space", "w", "a", "s", "Space", "s", "o", "u", "r",
    ] {
        tap(&app, &format!("Keyboard {key}"));
    }
    s.shoot("07b-keyboard");
    tap(&app, "Keyboard Done");

    sale().invoke_to_payment();
    payment().invoke_tender_points("300".into());
    assert_eq!(status().get_error_message(), "");
    s.shoot("08-payment-split");
    payment().invoke_tender_cash("200.00".into());
    assert!(payment().get_sale_done());
    s.shoot("09-payment-done");
    payment().invoke_new_sale();

    // Beer: the age-check prompt; refused, so the next screens start from an empty sale.
    let age_check = || app.global::<storepos::ui::AgeCheck>();
    sale().invoke_scan("6908000000140".into());
    assert!(age_check().get_waiting());
    s.shoot("09b-age-check");
    age_check().invoke_refuse();
    assert!(!age_check().get_waiting());
    assert_eq!(sale().get_total(), "0.00");

    session().set_screen(Screen::Returns);
    returns().invoke_lookup("1".into());
    returns().invoke_adjust(2, 1);
    s.shoot("10-returns");

    session().set_screen(Screen::Manager);
    manager().invoke_x_report();
    status().invoke_refresh_status();
    // A batch of shopping lists, printed one per timer tick until the bar is full.
    manager().invoke_print_lists_batch();
    for _ in 0..100 {
        if manager().get_lists_progress() >= 1.0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
        s.frame.draw();
    }
    assert_eq!(manager().get_lists_progress(), 1.0);
    assert_eq!(status().get_error_message(), "");
    for key in ["5", "0", "0"] {
        tap(&app, &format!("Manager pad {key}"));
    }
    s.shoot("11-manager");
    // The Z report with the 500.00 keyed as counted: it stays on screen with its over/short.
    tap(&app, "Z report");
    assert_eq!(status().get_error_message(), "");
    assert!(manager().get_showing_z_report());
    s.shoot("12-z-report");

    assert!(s.shots.len() >= 24);
}

#[test]
fn every_screen_in_both_languages_at_1024x768() {
    render_every_screen(1024, 768);
}

#[test]
fn every_screen_in_both_languages_at_1920x1080() {
    render_every_screen(1920, 1080);
}

/// The rows of the member sheet as (key, state).
fn sheet_rows(app: &AppWindow) -> Vec<(String, String, String)> {
    use slint::Model;
    let sheet = app.global::<Member>().get_sheet();
    (0..sheet.row_count())
        .filter_map(|i| sheet.row_data(i))
        .map(|f| (f.key.to_string(), f.state.to_string(), f.value.to_string()))
        .collect()
}

/// The member sheet at the counter from HQ's chain-wide view while HQ answers (the
/// member's bills in two stores, spend by category this year, the largest purchase, the
/// plan), and from the till's own history once HQ is gone, each saying which.
fn render_member_sheet_with_and_without_hq(width: u32, height: u32) {
    use crate::common::hq::{Database, Hq, import_demo_members, register, run_ok, setup, storepos};
    const ZHANG: &str = "6200123412341234";
    // HQ holds the member's sales of two stores' tills (run as the binary and synced).
    let db = Database::sqlite();
    let (s1, _) = setup(&db);
    import_demo_members(s1.path());
    let mut hq = Hq::start(s1.path());
    let now = chrono::Utc::now();
    let clock = |days: i64| {
        let at = now - chrono::Duration::days(days);
        format!("{{\"set_clock\":\"{}\"}}\n", at.to_rfc3339())
    };
    let sale = |items: &[&str]| {
        let mut s = format!("{{\"member\":\"{ZHANG}\"}}\n");
        for item in items {
            s.push_str(&format!("{{\"scan\":\"{item}\"}}\n"));
        }
        s + "{\"tender\":{\"cash\":\"500.00\"}}\n"
    };
    let mut script = clock(43)
        + "{\"sign_in\":{\"operator\":\"1001\",\"pin\":\"1234\"}}\n{\"open_shift\":{\"float\":\"0\"}}\n";
    for (days, items) in [
        (43, &["6904000000111", "6901234567892", "6920000000159"][..]),
        (29, &["6904000000111", "6901023850013", "6904000000289"][..]),
        (15, &["6904000000111", "6901234567892", "6920000000159"][..]),
        (2, &["6904000000111", "6904000000289"][..]),
    ] {
        script += &clock(days);
        script += &sale(items);
    }
    crate::common::run_script(s1.path(), &script);
    run_ok(storepos(s1.path()).args(["--data-dir", "store", "sync", "--timeout", "30"]));

    let frame = offscreen::install(width, height, false).unwrap();
    let store_dir = tempfile::tempdir().unwrap();
    let mut config = storepos::demo::with_demo_coupon_key(&Config::default());
    config.store.language = storepos::receipt::Language::En;
    config.hq.url = url::Url::parse(&hq.url).unwrap();
    config.hq.token = Some(register(s1.path(), "S002", "T01"));
    config.store.id = "S002".into();
    let mut store = storepos::store::Store::open_configured(&config, store_dir.path()).unwrap();
    storepos::demo::seed(&mut store).unwrap();
    storepos::demo::seed_history(&store, now).unwrap();
    let terminal = Terminal::open(store, config.clone()).unwrap();
    let (app, _controller) = storepos::ui::launch::build(&config, terminal, true).unwrap();
    app.show().unwrap();
    let mut s = Shooter {
        frame,
        app,
        dir: out_dir(width, height),
        shots: Vec::new(),
    };
    let app = s.app.clone_strong();
    let session = || app.global::<Session>();
    let member = || app.global::<Member>();
    let status = || app.global::<Status>();
    session().invoke_sign_in("1001".into(), "1234".into());
    session().invoke_open_shift("200.00".into());
    session().set_screen(Screen::Member);
    member().invoke_lookup(ZHANG.into());
    member().invoke_open_sheet();
    assert_eq!(status().get_error_message(), "");
    let rows = sheet_rows(&app);
    assert_eq!(rows[0].0, "source");
    assert_eq!(rows[0].1, "hq-view", "{rows:?}");
    let row = |key: &str| rows.iter().find(|r| r.0 == key).map(|r| r.2.clone());
    assert_eq!(row("visits").as_deref(), Some("4"), "{rows:?}");
    assert!(row("largest-purchase").is_some(), "{rows:?}");
    s.shoot("13-member-sheet-hq");

    // HQ gone: the till's own history, and the sheet says so.
    hq.stop();
    member().invoke_lookup(ZHANG.into());
    member().invoke_open_sheet();
    let rows = sheet_rows(&app);
    assert_eq!(rows[0].1, "till-view", "{rows:?}");
    assert!(!rows.iter().any(|r| r.0 == "visits"), "{rows:?}");
    s.shoot("13b-member-sheet-till");
    drop(db);
}

#[test]
fn the_member_sheet_with_and_without_hq_at_1024x768() {
    render_member_sheet_with_and_without_hq(1024, 768);
}

#[test]
fn the_member_sheet_with_and_without_hq_at_1920x1080() {
    render_member_sheet_with_and_without_hq(1920, 1080);
}
