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
use storepos::ui::{AppWindow, Controller, ListPrinter, Pos, Screen};

struct Till {
    _dir: tempfile::TempDir,
    app: AppWindow,
    controller: Rc<RefCell<Controller>>,
}

fn till_with(lists: Option<Box<dyn ListPrinter>>) -> Till {
    i_slint_backend_testing::init_no_event_loop();
    let dir = tempfile::tempdir().unwrap();
    let config = storepos::demo::with_demo_coupon_key(&Config::default());
    let mut store = storepos::cli::open_store_at(&config, dir.path()).unwrap();
    storepos::demo::seed(&mut store).unwrap();
    let terminal = Terminal::open(store, config.clone()).unwrap();
    let (app, controller) = storepos::ui::launch::build(&config, terminal, false, lists).unwrap();
    app.show().unwrap();
    Till {
        _dir: dir,
        app,
        controller,
    }
}

fn till() -> Till {
    till_with(None)
}

impl Till {
    fn pos(&self) -> Pos<'_> {
        self.app.global::<Pos>()
    }

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

    fn sign_in(&self, operator: &str, pin: &str) {
        self.key("PIN pad", operator);
        self.click("Next");
        self.key("PIN pad", pin);
        self.click("Sign in");
        assert_eq!(self.pos().get_error_message(), "", "sign-in refused");
        if self.pos().get_screen() == Screen::SignIn {
            self.key("PIN pad", "200");
            self.click("Open shift");
        }
        assert_eq!(self.pos().get_screen(), Screen::Checkout);
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
                || !self.pos().get_error_message().is_empty()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        panic!("the scanner did not deliver {code}");
    }

    fn lines(&self) -> Vec<storepos::ui::BasketLine> {
        use slint::Model;
        self.pos().get_lines().iter().collect()
    }

    fn printed(&self) -> usize {
        let mut c = self.controller.borrow_mut();
        c.counter()
            .devices()
            .simulators
            .printer
            .as_ref()
            .map_or(0, |p| p.jobs().len())
    }
}

/// The same commands through the headless interface on a fresh demo store, for the
/// figures the UI must show.
fn headless(lines: &[&str]) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let config = storepos::demo::with_demo_coupon_key(&Config::default());
    let mut store = storepos::cli::open_store_at(&config, dir.path()).unwrap();
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
    assert_eq!(t.pos().get_screen(), Screen::SignIn);
    t.sign_in("1001", "1234");
    assert_eq!(t.pos().get_operator_name(), "陈小红");

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
    assert_eq!(t.pos().get_screen(), Screen::Payment);
    assert_eq!(t.value_of("Due"), "14.47");
    // The suggested notes start with the exact amount and round up.
    t.click("Cash 20.00");
    assert!(t.pos().get_sale_done());
    assert_eq!(t.value_of("Change"), "5.53");
    assert_eq!(t.pos().get_receipt_no(), "1");
    assert_eq!(t.printed(), 1, "the receipt printed once");

    t.click("New sale");
    assert_eq!(t.pos().get_screen(), Screen::Checkout);
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
    assert_eq!(t.pos().get_screen(), Screen::Member);
    t.key("Member pad", "13800138000");
    t.click("Find member");
    assert_eq!(t.value_of("Member"), "张伟");
    assert_eq!(t.pos().get_member_points(), before_points.to_string());
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
    assert!(!t.pos().get_sale_done(), "points cover only part");
    let total: f64 = t.pos().get_total().parse().unwrap();
    let due: f64 = t.value_of("Due").parse().unwrap();
    assert!((total - due - 20.0).abs() < 0.001, "200 points pay 20.00");
    let due_text = t.value_of("Due");
    t.click(&format!("Cash {due_text}"));
    assert!(t.pos().get_sale_done());
    assert_eq!(t.value_of("Change"), "0.00");
    use slint::Model;
    let tenders: Vec<String> = t
        .pos()
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
    assert_eq!(t.pos().get_receipt_no(), "1");
    t.click("New sale");

    t.click("Returns");
    t.key("Receipt pad", "1");
    t.click("Find receipt");
    assert_eq!(t.pos().get_return_receipt(), "1");
    t.click("More 高露洁牙膏120g");
    assert_eq!(t.pos().get_return_chosen(), 1);
    t.click("Refund");
    assert!(
        t.pos().get_approval_what().contains("return"),
        "the cashier is asked for a supervisor"
    );
    assert!(t.exists("Supervisor approval") || t.exists("Approval pad 1"));

    // Another cashier cannot approve; a wrong PIN is refused; nothing was refunded.
    t.key("Approval pad", "1002");
    t.click("Next");
    t.key("Approval pad", "4321");
    t.click("Approve");
    assert_eq!(t.pos().get_error_code(), "not_allowed");
    assert_ne!(t.pos().get_approval_what(), "");
    t.click("Cancel");
    t.click("Refund");
    t.key("Approval pad", "2001");
    t.click("Next");
    t.key("Approval pad", "9999");
    t.click("Approve");
    assert_eq!(t.pos().get_error_code(), "bad_credentials");
    assert_eq!(t.printed(), 1, "only the sale's receipt so far");

    t.click("Cancel");
    t.click("Refund");
    t.key("Approval pad", "2001");
    t.click("Next");
    t.key("Approval pad", "2222");
    t.click("Approve");
    assert_eq!(t.pos().get_approval_what(), "");
    assert!(
        t.pos().get_notice().contains("receipt 2"),
        "{}",
        t.pos().get_notice()
    );
    assert_eq!(t.printed(), 2, "the refund's receipt printed");
    // What is left of the line can still come back, no more.
    t.key("Receipt pad", "1");
    t.click("Find receipt");
    use slint::Model;
    let rows: Vec<_> = t.pos().get_return_lines().iter().collect();
    assert_eq!(rows[0].left, "1");
    assert_eq!(rows[0].max, 1);
}

#[test]
fn an_unknown_item_is_shown_and_changes_nothing() {
    let t = till();
    t.sign_in("1001", "1234");
    t.scan("6901234567892");
    t.scan("6900000000014");
    assert_eq!(t.pos().get_error_code(), "unknown_item");
    assert!(t.exists("Error"));
    assert_eq!(t.lines().len(), 1);
    t.click("Dismiss");
    assert_eq!(t.pos().get_error_message(), "");
    // A misread (bad check digit) is refused the same way.
    t.key("Keypad", "6901234567893");
    t.click("Enter code");
    assert_eq!(t.pos().get_error_code(), "bad_barcode");
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
    assert_eq!(t.pos().get_printer_state(), "paper-out");
    assert!(t.value_of("Printer").contains("paper out"));
    t.click("Pay");
    t.click("Cash 2.00");
    assert!(t.pos().get_sale_done(), "the sale is complete");
    assert_eq!(t.pos().get_error_code(), "device");
    assert!(t.pos().get_error_message().contains("reprint"));
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
    assert!(t.pos().get_backlog() >= 1, "the sale waits for HQ");
    assert!(
        t.value_of("HQ link")
            .contains(&t.pos().get_backlog().to_string())
    );
}

#[test]
fn approval_for_a_price_override_then_void_line() {
    let t = till();
    t.sign_in("1001", "1234");
    t.scan("6907000000174");
    t.key("Keypad", "10");
    t.click("Price");
    assert_ne!(t.pos().get_approval_what(), "");
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
fn the_language_switches_at_runtime() {
    let t = till();
    assert!(t.exists("Sign in"));
    t.click("Language");
    assert_eq!(t.pos().get_language(), "zh_CN");
    assert!(t.exists("登录"), "the sign-in button speaks Chinese");
    assert!(!t.exists("Sign in"));
    t.click("语言");
    assert_eq!(t.pos().get_language(), "en");
    assert!(t.exists("Sign in"));
}

#[test]
fn list_printing_is_shown_as_unavailable_without_an_engine() {
    let t = till();
    t.sign_in("1001", "1234");
    t.click("Manager");
    assert!(!t.pos().get_lists_available());
    let batch = ElementHandle::find_by_accessible_label(&t.app, "Print batch")
        .next()
        .unwrap();
    assert_eq!(batch.accessible_enabled(), Some(false));
}

struct Recorder(Rc<RefCell<Vec<String>>>);

impl ListPrinter for Recorder {
    fn print_for(&mut self, member: &str) -> Result<String, String> {
        self.0.borrow_mut().push(member.to_string());
        Ok(format!("list printed for {member}"))
    }
    fn batch(&mut self) -> Result<Vec<String>, String> {
        Ok(vec!["a".into(), "b".into(), "c".into()])
    }
}

#[test]
fn a_batch_of_lists_prints_with_progress() {
    let printed = Rc::new(RefCell::new(Vec::new()));
    let t = till_with(Some(Box::new(Recorder(printed.clone()))));
    t.sign_in("1001", "1234");
    t.click("Manager");
    t.click("Print batch");
    assert!(t.pos().get_lists_progress() < 1.0);
    for _ in 0..10 {
        i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(5));
        slint::platform::update_timers_and_animations();
    }
    assert_eq!(t.pos().get_lists_progress(), 1.0);
    assert_eq!(*printed.borrow(), ["a", "b", "c"]);
    assert_eq!(
        t.value_of("List printing progress"),
        "100%",
        "the bar says it is done"
    );
}
