//! The touch UI driven as a cashier would, through Slint's testing backend: elements are
//! found by their accessible labels and clicked; the screens' state and the terminal's
//! store are then checked. Each test runs on its own thread with its own Slint platform.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use serde_json::Value;
use slint::ComponentHandle;
use storepos::config::Config;
use storepos::terminal::Terminal;
use storepos::ui::{
    AppWindow, Approval, Controller, Manager, Member, Payment, Returns, Sale, Screen, Session,
    Status,
};

struct Till {
    _dir: tempfile::TempDir,
    app: AppWindow,
    controller: Rc<RefCell<Controller>>,
}

/// A till on the demo store. `lists` gives it HQ's public key, the demo members' purchase
/// history and the lists the demo HQ signed for them this period, as its coupons data set
/// brings them; without, it has no HQ public key and so prints no list. Neither holds any
/// HQ private key.
fn till_with(lists: bool) -> Till {
    i_slint_backend_testing::init_no_event_loop();
    let dir = tempfile::tempdir().unwrap();
    let (config, terminal) = demo_terminal(dir.path(), lists);
    let (app, controller) = storepos::ui::launch::build(&config, terminal, false).unwrap();
    app.show().unwrap();
    Till {
        _dir: dir,
        app,
        controller,
    }
}

/// The default store, in English: the screens start in the store's language, and these
/// tests find their elements by their English labels.
fn english() -> Config {
    let mut config = Config::default();
    config.store.language = storepos::receipt::Language::En;
    config
}

fn demo_terminal(dir: &std::path::Path, lists: bool) -> (Config, Terminal) {
    let config = if lists {
        storepos::demo::with_demo_coupon_key(&english())
    } else {
        english()
    };
    let mut store = storepos::store::Store::open_configured(&config, dir).unwrap();
    storepos::demo::seed(&mut store).unwrap();
    if lists {
        let now = chrono::Utc::now();
        storepos::demo::seed_history(&store, now).unwrap();
        storepos::demo::keep_demo_lists(&store, &config, now).unwrap();
    }
    let terminal = Terminal::open(store, config.clone()).unwrap();
    (config, terminal)
}

fn till() -> Till {
    till_with(false)
}

/// `t.session()`, `t.sale()`, …: the till window's global of that name.
macro_rules! globals {
    ($($name:ident: $global:ident),* $(,)?) => {
        impl Till {
            $(fn $name(&self) -> $global<'_> {
                self.app.global::<$global>()
            })*
        }
    };
}

globals!(
    session: Session,
    sale: Sale,
    payment: Payment,
    member: Member,
    returns: Returns,
    manager: Manager,
    status: Status,
    approval: Approval,
);

impl Till {
    /// Clicks the one button (or other non-text element) labelled `label`.
    fn click(&self, label: &str) {
        let found: Vec<_> = ElementHandle::find_by_accessible_label(&self.app, label)
            .filter(|e| e.accessible_role() != Some(AccessibleRole::Text))
            .collect();
        assert_eq!(found.len(), 1, "elements labelled {label:?}");
        assert_ne!(
            found[0].accessible_enabled(),
            Some(false),
            "{label:?} is disabled"
        );
        found[0].invoke_accessible_default_action();
    }

    /// Where the element labelled `label` lies: x, y, width, height in logical pixels.
    fn rect(&self, label: &str) -> (f32, f32, f32, f32) {
        let e = ElementHandle::find_by_accessible_label(&self.app, label)
            .next()
            .unwrap_or_else(|| panic!("no element labelled {label:?}"));
        let (at, size) = (e.absolute_position(), e.size());
        (at.x, at.y, size.width, size.height)
    }

    /// Whether the elements labelled `a` and `b` lie over each other.
    fn overlap(&self, a: &str, b: &str) -> bool {
        let (a, b) = (self.rect(a), self.rect(b));
        a.0 < b.0 + b.2 && b.0 < a.0 + a.2 && a.1 < b.1 + b.3 && b.1 < a.1 + a.3
    }

    /// Presses `keys` on a physical keyboard (or a keyboard-wedge scanner): each is sent
    /// to the window as a key press and release, to whatever holds the focus.
    fn press(&self, keys: &[slint::SharedString]) {
        use slint::platform::WindowEvent;
        for key in keys {
            let window = self.app.window();
            window.dispatch_event(WindowEvent::KeyPressed { text: key.clone() });
            window.dispatch_event(WindowEvent::KeyReleased { text: key.clone() });
        }
    }

    /// Types `text` on a physical keyboard, character by character (`\n` is Enter).
    fn type_text(&self, text: &str) {
        let keys: Vec<slint::SharedString> = text
            .chars()
            .map(|c| match c {
                '\n' => slint::platform::Key::Return.into(),
                c => c.to_string().into(),
            })
            .collect();
        self.press(&keys);
    }

    fn exists(&self, label: &str) -> bool {
        ElementHandle::find_by_accessible_label(&self.app, label)
            .next()
            .is_some()
    }

    fn value_of(&self, label: &str) -> String {
        ElementHandle::find_by_accessible_label(&self.app, label)
            .next()
            .unwrap_or_else(|| panic!("no element labelled {label:?}"))
            .accessible_value()
            .unwrap_or_default()
            .to_string()
    }

    /// Taps `digits` on the keypad called `pad`.
    fn key(&self, pad: &str, digits: &str) {
        for d in digits.chars() {
            self.click(&format!("{pad} {d}"));
        }
    }

    /// Types `text` on the on-screen keyboard called `keyboard`: a capital is ⇧ then
    /// the letter, a space the space bar.
    fn type_keys(&self, keyboard: &str, text: &str) {
        for ch in text.chars() {
            match ch {
                ' ' => self.click(&format!("{keyboard} Space")),
                c if c.is_uppercase() => {
                    self.click(&format!("{keyboard} Capital"));
                    self.click(&format!("{keyboard} {c}"));
                }
                c => self.click(&format!("{keyboard} {c}")),
            }
        }
    }

    fn sign_in(&self, operator: &str, pin: &str) {
        self.key("PIN pad", operator);
        self.click("Next");
        self.key("PIN pad", pin);
        self.click("Sign in");
        assert_eq!(self.status().get_error_message(), "", "sign-in refused");
        if self.session().get_screen() == Screen::SignIn {
            self.key("PIN pad", "200");
            self.click("Open shift");
        }
        assert_eq!(self.session().get_screen(), Screen::Checkout);
    }

    /// Scanner data through the simulated scanner, as the device delivers it.
    fn scan(&self, code: &str) {
        let mut c = self.controller.borrow_mut();
        let sim = c.counter().devices().simulators.scanner.clone().unwrap();
        assert!(sim.scan(code));
        // The simulator's reader thread hands the label over shortly.
        for _ in 0..200 {
            let before = c.terminal().basket().lines().len();
            c.poll_devices();
            if c.terminal().basket().lines().len() != before
                || !self.status().get_error_message().is_empty()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        panic!("the scanner did not deliver {code}");
    }

    fn lines(&self) -> Vec<storepos::ui::BasketLine> {
        use slint::Model;
        self.sale().get_lines().iter().collect()
    }

    fn printed(&self) -> usize {
        self.jobs().len()
    }

    /// What the virtual receipt printer received, job by job (ESC/POS bytes).
    fn jobs(&self) -> Vec<storepos_drivers::printer::virtual_printer::PrintedJob> {
        let mut c = self.controller.borrow_mut();
        c.counter()
            .devices()
            .simulators
            .printer
            .as_ref()
            .map_or(Vec::new(), |p| p.jobs())
    }
}

/// The same commands through the headless interface on a fresh demo store, for the
/// figures the UI must show.
fn headless(lines: &[&str]) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let config = storepos::demo::with_demo_coupon_key(&english());
    let mut store = storepos::store::Store::open_configured(&config, dir.path()).unwrap();
    storepos::demo::seed(&mut store).unwrap();
    let mut terminal = Terminal::open(store, config).unwrap();
    lines
        .iter()
        .map(|l| storepos::terminal::headless::answer(&mut terminal, l))
        .collect()
}

#[test]
fn a_cash_sale_from_sign_in_to_change_and_receipt() {
    let t = till();
    assert_eq!(t.session().get_screen(), Screen::SignIn);
    t.sign_in("1001", "1234");
    assert_eq!(t.session().get_operator_name(), "陈小红");

    // Two waters through the scanner, bananas by weight on the quick key.
    t.scan("6901234567892");
    t.key("Keypad", "6901234567892");
    t.click("Enter code");
    t.key("Keypad", "1.5");
    t.click("香蕉（每千克）");
    let lines = t.lines();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2].qty, "1.500");
    assert_eq!(lines[2].net, "10.47");
    assert_eq!(t.value_of("Total"), "14.47");

    t.click("Pay");
    assert_eq!(t.session().get_screen(), Screen::Payment);
    assert_eq!(t.value_of("Due"), "14.47");
    // The suggested notes start with the exact amount and round up.
    t.click("Cash 20.00");
    assert!(t.payment().get_sale_done());
    assert_eq!(t.value_of("Change"), "5.53");
    assert_eq!(t.payment().get_receipt_no(), "1");
    assert_eq!(t.printed(), 1, "the receipt printed once");
    // The receipt it printed is on the screen beside the summary.
    let receipt = t.value_of("Printed receipt");
    assert!(
        receipt.contains("14.47") && receipt.contains("5.53"),
        "{receipt}"
    );
    // A reprint prints it again and leaves the summary as it was.
    t.click("Reprint");
    assert_eq!(t.printed(), 2, "reprinted");
    assert_eq!(t.sale().get_total(), "14.47");
    assert_eq!(t.value_of("Change"), "5.53");
    assert_eq!(t.value_of("Printed receipt"), receipt);

    t.click("New sale");
    assert_eq!(t.session().get_screen(), Screen::Checkout);
    assert!(t.lines().is_empty());
    assert_eq!(t.value_of("Total"), "0.00");
}

#[test]
fn a_member_sale_paid_partly_with_points() {
    let script = [
        r#"{"sign_in":{"operator":"1001","pin":"1234"}}"#,
        r#"{"open_shift":{"float":"200"}}"#,
        r#"{"member":"13800138000"}"#,
        r#"{"scan":"6904000000111"}"#,
        r#"{"scan":"6907000000174"}"#,
        r#"{"tender":{"points":200}}"#,
    ];
    let expected = headless(&script);
    let before_points = expected[2]["member"]["points"].as_i64().unwrap();

    let t = till();
    t.sign_in("1001", "1234");
    t.click("Member");
    assert_eq!(t.session().get_screen(), Screen::Member);
    t.key("Member pad", "13800138000");
    t.click("Find member");
    assert_eq!(t.value_of("Member"), "张伟");
    assert_eq!(t.member().get_points(), before_points.to_string());
    t.click("Back to basket");

    t.scan("6904000000111");
    t.scan("6907000000174");
    // Member prices apply: the basket shows what the core priced.
    assert_eq!(
        t.value_of("Total"),
        expected[4]["basket"]["total"].as_str().unwrap()
    );

    t.click("Pay");
    t.key("Amount pad", "200");
    t.click("Pay with points");
    assert!(!t.payment().get_sale_done(), "points cover only part");
    let total: f64 = t.sale().get_total().parse().unwrap();
    let due: f64 = t.value_of("Due").parse().unwrap();
    assert!((total - due - 20.0).abs() < 0.001, "200 points pay 20.00");
    let due_text = t.value_of("Due");
    t.click(&format!("Cash {due_text}"));
    assert!(t.payment().get_sale_done());
    assert_eq!(t.value_of("Change"), "0.00");
    use slint::Model;
    let tenders: Vec<String> = t
        .payment()
        .get_tenders()
        .iter()
        .map(|e| e.label.to_string())
        .collect();
    assert_eq!(tenders, ["points", "cash"]);
    t.click("New sale");
    assert_eq!(t.value_of("Member"), "", "the member leaves with the sale");
}

#[test]
fn a_refund_needs_a_supervisor_and_a_wrong_pin_changes_nothing() {
    let t = till();
    t.sign_in("1001", "1234");
    t.scan("6907000000174");
    t.key("Keypad", "2");
    t.click("Quantity");
    assert_eq!(t.lines()[0].qty, "2");
    t.click("Pay");
    t.click("Cash 50.00");
    assert_eq!(t.payment().get_receipt_no(), "1");
    t.click("New sale");

    t.click("Returns");
    t.key("Receipt pad", "1");
    t.click("Find receipt");
    assert_eq!(t.returns().get_receipt(), "1");
    assert_eq!(t.value_of("Refund amount"), "0 chosen to return");
    t.click("More 高露洁牙膏120g");
    assert_eq!(t.returns().get_chosen(), 1);
    // The refund, as the terminal core previews it, shows before anyone approves it.
    let preview = headless(&[
        r#"{"sign_in":{"operator":"1001","pin":"1234"}}"#,
        r#"{"open_shift":{"float":"200"}}"#,
        r#"{"scan":"6907000000174"}"#,
        r#"{"quantity":"2"}"#,
        r#"{"tender":{"cash":"50.00"}}"#,
        r#"{"return_preview":{"receipt":"1","lines":[{"line":1,"qty":"1"}]}}"#,
    ]);
    let refund = preview[5]["refund"]["total"].as_str().unwrap();
    assert_eq!(t.returns().get_refund(), refund);
    assert_eq!(
        t.value_of("Refund amount"),
        format!("1 chosen · refund {refund}")
    );
    {
        use slint::Model;
        let lines: Vec<_> = t.returns().get_refund_lines().iter().collect();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].label, "高露洁牙膏120g × 1");
        assert_eq!(lines[0].value, refund);
        let tenders: Vec<_> = t.returns().get_refund_tenders().iter().collect();
        assert_eq!(tenders[0].arg, "cash");
        assert_eq!(tenders[0].value, refund);
    }
    assert!(t.returns().get_has_refund());
    t.click("Refund");
    assert!(
        t.approval().get_what().contains("return"),
        "the cashier is asked for a supervisor"
    );
    assert!(t.approval().get_needed());
    assert_eq!(t.value_of("Refund to approve"), refund);
    assert!(t.exists("Supervisor approval") || t.exists("Approval pad 1"));

    // Another cashier cannot approve; a wrong PIN is refused; nothing was refunded.
    t.key("Approval pad", "1002");
    t.click("Next");
    t.key("Approval pad", "4321");
    t.click("Approve");
    assert_eq!(t.status().get_error_code(), "not_allowed");
    assert_ne!(t.approval().get_what(), "");
    t.click("Cancel");
    t.click("Refund");
    t.key("Approval pad", "2001");
    t.click("Next");
    t.key("Approval pad", "9999");
    t.click("Approve");
    assert_eq!(t.status().get_error_code(), "bad_credentials");
    assert_eq!(t.printed(), 1, "only the sale's receipt so far");
    // The refusal shows over the approval prompt, clear of its buttons.
    assert!(t.exists("Error"));
    assert!(!t.overlap("Error", "Next") && !t.overlap("Error", "Cancel"));

    t.click("Cancel");
    t.click("Refund");
    t.key("Approval pad", "2001");
    t.click("Next");
    t.key("Approval pad", "2222");
    t.click("Approve");
    assert_eq!(t.approval().get_what(), "");
    assert!(!t.approval().get_needed(), "the prompt closes");
    assert!(
        t.value_of("Notice").contains("receipt 2"),
        "{}",
        t.value_of("Notice")
    );
    assert_eq!(t.printed(), 2, "the refund's receipt printed");
    // The notice lies over nothing a cashier taps, and goes once it has been read.
    for label in ["Find receipt", "Back to basket", "Refund"] {
        assert!(!t.overlap("Notice", label), "the notice lies over {label}");
    }
    i_slint_backend_testing::mock_elapsed_time(
        storepos::ui::NOTICE_SHOWN_FOR + Duration::from_millis(100),
    );
    slint::platform::update_timers_and_animations();
    assert!(!t.exists("Notice"), "the notice is still shown");
    // What is left of the line can still come back, no more.
    t.key("Receipt pad", "1");
    t.click("Find receipt");
    use slint::Model;
    let rows: Vec<_> = t.returns().get_lines().iter().collect();
    assert_eq!(rows[0].left, "1");
    assert_eq!(rows[0].max, 1);
}

#[test]
fn an_unknown_item_is_shown_and_changes_nothing() {
    let t = till();
    t.sign_in("1001", "1234");
    t.scan("6901234567892");
    t.scan("6900000000014");
    assert_eq!(t.status().get_error_code(), "unknown_item");
    assert!(t.exists("Error"));
    assert_eq!(t.lines().len(), 1);
    // The refusal is a strip: the basket and the action row stay in view and in reach.
    let (_, _, _, height) = t.rect("Error");
    assert!(height < 200.0, "the error banner is {height} px high");
    for label in ["Pay", "Enter code", "Total"] {
        assert!(
            !t.overlap("Error", label),
            "the error banner lies over {label}"
        );
    }
    t.click("Dismiss");
    assert_eq!(t.status().get_error_message(), "");
    // A misread (bad check digit) is refused the same way.
    t.key("Keypad", "6901234567893");
    t.click("Enter code");
    assert_eq!(t.status().get_error_code(), "bad_barcode");
    assert_eq!(t.lines().len(), 1);
}

#[test]
fn paper_out_is_a_warning_after_a_completed_sale() {
    let t = till();
    t.sign_in("1001", "1234");
    t.scan("6901234567892");
    {
        let mut c = t.controller.borrow_mut();
        let printer = c.counter().devices().simulators.printer.clone().unwrap();
        printer.set_paper(storepos_drivers::printer::status::PaperState::Out);
        c.refresh_status();
    }
    assert!(t.status().get_printer_paper_out());
    assert!(!t.status().get_printer_ready());
    assert!(t.value_of("Printer").contains("paper out"));
    t.click("Pay");
    t.click("Cash 2.00");
    assert!(t.payment().get_sale_done(), "the sale is complete");
    assert_eq!(t.status().get_error_code(), "device");
    assert!(t.status().get_error_message().contains("reprint"));
    // On the Chinese screens the warning reads in Chinese.
    t.session().invoke_set_language("zh_CN".into());
    let chinese = t.value_of("错误");
    assert!(
        chinese.starts_with("小票打印机：") && chinese.contains("重打小票"),
        "{chinese}"
    );
}

#[test]
fn offline_and_the_backlog_show_in_the_status_bar() {
    let t = till();
    assert!(t.value_of("HQ link").starts_with("Offline"));
    t.sign_in("1001", "1234");
    t.scan("6901234567892");
    t.click("Pay");
    t.click("Cash 2.00");
    t.controller.borrow_mut().refresh_status();
    assert!(t.status().get_backlog() >= 1, "the sale waits for HQ");
    assert!(
        t.value_of("HQ link")
            .contains(&t.status().get_backlog().to_string())
    );
}

#[test]
fn approval_for_a_price_override_then_void_line() {
    let t = till();
    t.sign_in("1001", "1234");
    t.scan("6907000000174");
    t.key("Keypad", "10");
    t.click("Price");
    assert_ne!(t.approval().get_what(), "");
    t.key("Approval pad", "2001");
    t.click("Next");
    t.key("Approval pad", "2222");
    t.click("Approve");
    assert_eq!(t.lines()[0].net, "10.00");
    t.click("Void line");
    assert!(t.lines()[0].voided);
    assert_eq!(t.value_of("Total"), "0.00");
}

#[test]
fn a_shift_opened_with_no_float_keyed_opens_with_none() {
    let t = till();
    t.key("PIN pad", "1001");
    t.click("Next");
    t.key("PIN pad", "1234");
    t.click("Sign in");
    assert!(t.session().get_signed_in());
    assert_eq!(t.session().get_screen(), Screen::SignIn);
    t.click("Open shift");
    assert_eq!(t.status().get_error_message(), "");
    assert_eq!(t.session().get_screen(), Screen::Checkout);
    assert!(t.session().get_shift_open());
    t.click("Sign out");
    assert!(!t.session().get_signed_in());
}

#[test]
fn the_language_switches_at_runtime() {
    let t = till();
    assert!(t.exists("Sign in"));
    t.click("Language");
    assert_eq!(t.session().get_language(), "zh_CN");
    assert!(t.session().get_chinese());
    assert!(t.exists("登录"), "the sign-in button speaks Chinese");
    assert!(!t.exists("Sign in"));
    t.click("语言");
    assert_eq!(t.session().get_language(), "en");
    assert!(!t.session().get_chinese());
    assert!(t.exists("Sign in"));
}

#[test]
fn a_member_found_by_name_and_a_complaint_typed_on_the_on_screen_keyboard() {
    let t = till();
    t.sign_in("1001", "1234");
    t.click("Member");
    assert!(
        !t.exists("Keyboard Done"),
        "no keyboard until a text field is tapped"
    );
    t.click("Member name");
    t.type_keys("Keyboard", "Emily Chenx");
    t.click("Keyboard Delete");
    assert_eq!(t.value_of("Typing"), "Emily Chen");
    t.click("Keyboard Done");
    assert!(!t.exists("Keyboard Done"));
    assert_eq!(t.value_of("Member name"), "Emily Chen");
    t.click("Find member");
    assert_eq!(t.status().get_error_message(), "");
    assert_eq!(t.value_of("Member"), "Emily Chen");

    t.click("Complaint text");
    t.type_keys("Keyboard", "Milk was sour");
    t.click("Keyboard Done");
    t.click("Satisfaction 2");
    t.click("Record complaint");
    assert_eq!(t.status().get_error_message(), "");
    assert!(t.value_of("Notice").starts_with("Complaint "));
    assert!(t.value_of("Notice").ends_with(" recorded"));
    assert_eq!(t.value_of("Complaint text"), "", "the field is cleared");
    // The complaint is on the member's record, as typed.
    use storepos::terminal::headless::{Command, MemberViewArgs, Outcome};
    let view = t
        .controller
        .borrow_mut()
        .run(Command::MemberView(MemberViewArgs::Current {}));
    let Some(Outcome::MemberView { json, sheet }) = view else {
        panic!("no member view");
    };
    assert_eq!(sheet.open_complaints.len(), 1, "{json}");
    assert_eq!(sheet.open_complaints[0].content, "Milk was sour");
    // The answer scripts read says the same.
    assert_eq!(json["open_complaints"][0]["content"], "Milk was sour");

    // The sheet lists the complaint as a case (this till's own: no HQ), and a note typed
    // for it goes to the outbox for HQ.
    use slint::Model;
    t.click("Show sheet");
    assert_eq!(t.member().get_cases().row_count(), 1);
    let case = t.member().get_cases().row_data(0).unwrap();
    assert!(case.starts_with("S001.T01."), "{case}");
    assert!(
        t.member()
            .get_sheet()
            .iter()
            .any(|f| f.key == "complaint" && f.arg == "open" && f.value.ends_with("Milk was sour")),
        "the sheet shows the case"
    );
    t.click("Complaint text");
    t.type_keys("Keyboard", "Called back");
    t.click("Keyboard Done");
    t.click("Add note to complaint");
    assert_eq!(t.status().get_error_message(), "");
    assert_eq!(
        t.value_of("Notice"),
        format!("Note on complaint {case} kept for HQ")
    );
    assert_eq!(t.value_of("Complaint text"), "", "the field is cleared");
    let db = rusqlite::Connection::open(t._dir.path().join("terminal.db")).unwrap();
    let payload: String = db
        .query_row(
            "SELECT payload FROM outbox WHERE kind = 'complaint.noted'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let payload: serde_json::Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(payload["case_id"], case.as_str());
    assert_eq!(payload["note"], "Called back");
    assert_eq!(payload["operator_id"], "1001");
}

#[test]
fn the_windowed_demo_runs_beside_a_local_hq_and_its_backlog_drains() {
    i_slint_backend_testing::init_no_event_loop();
    let dir = tempfile::tempdir().unwrap();
    let (terminal, counter, services) =
        storepos::ui::launch::prepare_demo(&english(), dir.path()).unwrap();
    assert_eq!(services.offline, None, "HQ started");
    assert!(services.hq_url().unwrap().starts_with("http://127.0.0.1:"));
    let (app, controller) =
        storepos::ui::launch::build_with(&services.config, terminal, counter, false).unwrap();
    app.show().unwrap();
    let t = Till {
        _dir: dir,
        app,
        controller,
    };
    // The demo's lists are verified with its HQ's public key.
    assert!(t.manager().get_lists_available());
    // Nothing to upload yet, but HQ answers (its data sets arrive): the till says online.
    let started = std::time::Instant::now();
    while !t.status().get_online() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the status bar still says offline while HQ answers"
        );
        std::thread::sleep(Duration::from_millis(100));
        t.controller.borrow_mut().refresh_status();
    }
    t.sign_in("1001", "1234");
    t.scan("6901234567892");
    t.click("Pay");
    t.click("Cash 2.00");
    assert!(t.payment().get_sale_done());
    let mut drained = false;
    for _ in 0..200 {
        t.controller.borrow_mut().refresh_status();
        if t.status().get_online() && t.status().get_backlog() == 0 {
            drained = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(drained, "the uploader sent the sale to HQ");
    assert_eq!(t.value_of("HQ link"), "Online · backlog 0");
    drop(t);
    services.finish();
}

#[test]
fn the_windowed_demo_stays_offline_and_says_so_when_hq_cannot_start() {
    i_slint_backend_testing::init_no_event_loop();
    let dir = tempfile::tempdir().unwrap();
    let mut config = english();
    // A PostgreSQL server nobody runs: HQ's database does not open.
    config.hq.database = "postgres://postgres@127.0.0.1:1/storepos".into();
    let (terminal, counter, services) =
        storepos::ui::launch::prepare_demo(&config, dir.path()).unwrap();
    let reason = services.offline.clone().expect("HQ did not start");
    assert!(
        reason.contains("PostgreSQL") || reason.contains("did not answer"),
        "{reason}"
    );
    assert_eq!(services.hq_url(), None);
    assert_eq!(services.config.hq.token, None);
    let (app, controller) =
        storepos::ui::launch::build_with(&services.config, terminal, counter, false).unwrap();
    app.show().unwrap();
    controller.borrow().say_offline(&reason);
    controller.borrow_mut().refresh_status();
    let t = Till {
        _dir: dir,
        app,
        controller,
    };
    assert!(!t.status().get_online());
    assert!(
        t.value_of("HQ link")
            .starts_with("Offline · HQ not started"),
        "{}",
        t.value_of("HQ link")
    );
    assert!(t.status().get_hq_not_started());
    // The till sells all the same and keeps the sale for later.
    t.sign_in("1001", "1234");
    t.scan("6901234567892");
    t.click("Pay");
    t.click("Cash 2.00");
    assert!(t.payment().get_sale_done());
    t.controller.borrow_mut().refresh_status();
    assert_eq!(t.status().get_backlog(), 1);
    services.finish();
}

#[test]
fn a_per_kg_quick_key_asks_for_the_weight_when_there_is_no_scale_reading() {
    let t = till();
    t.sign_in("1001", "1234");
    // Nothing keyed and no scale: nothing is added, and the cashier is asked for the weight.
    t.click("香蕉（每千克）");
    assert_eq!(t.status().get_error_code(), "weight_required");
    assert!(t.lines().is_empty());
    t.click("Dismiss");
    // With the weight keyed, the line is added by that weight.
    t.key("Keypad", "0.75");
    t.click("香蕉（每千克）");
    assert_eq!(t.status().get_error_message(), "");
    assert_eq!(t.lines()[0].qty, "0.750");
}

#[test]
fn a_restricted_item_brings_up_the_age_check_and_its_answer_is_kept() {
    use storepos::ui::AgeCheck;
    let t = till();
    let waiting = |t: &Till| t.app.global::<AgeCheck>().get_waiting();
    t.sign_in("1001", "1234");
    t.scan("6901234567892");
    assert!(!waiting(&t), "water needs no age check");
    assert!(!t.exists("Age confirmed"));

    // Beer: the prompt names it; the line is in the basket but cannot be paid for.
    t.scan("6908000000140");
    assert!(waiting(&t));
    assert_eq!(t.value_of("Age-restricted items"), "青岛啤酒500ml");
    assert_eq!(t.lines().len(), 2);
    t.click("Pay");
    t.click("Cash 8.50");
    assert!(!t.payment().get_sale_done(), "sold without an age check");
    assert_eq!(t.status().get_error_code(), "age_check_required");
    t.click("Dismiss");
    t.click("Back to basket");

    // Refused: the beer goes, the water stays.
    t.click("Refuse and remove");
    assert!(!waiting(&t));
    assert!(!t.exists("Refuse and remove"));
    let lines = t.lines();
    assert!(!lines[0].voided && lines[1].voided);
    assert_eq!(t.value_of("Total"), "2.00");

    // Cigarettes: confirmed, then sold; the sale's journal entry names the cashier.
    t.scan("6909000000116");
    assert!(waiting(&t));
    t.click("Age confirmed");
    assert!(!waiting(&t));
    assert!(!t.exists("Age confirmed"));
    assert_eq!(t.value_of("Total"), "47.00");
    t.click("Pay");
    t.click("Cash 47.00");
    assert!(t.payment().get_sale_done());
    let conn = rusqlite::Connection::open(t._dir.path().join("terminal.db")).unwrap();
    let body: String = conn
        .query_row("SELECT body FROM journal WHERE receipt_no = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    let record: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(record["age_check"]["operator_id"], "1001");
    assert_eq!(record["lines"].as_array().unwrap().len(), 2);
}

mod keyboard_and_language;
mod manager;
