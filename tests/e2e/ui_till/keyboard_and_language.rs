//! The touch UI worked from a physical keyboard (and a wedge scanner), and its words in
//! the screen's language: refusals, the member sheet, the demo strip's scale and restricted
//! item. Uses the cashier harness of [`super`].

use std::time::Duration;

use super::*;

#[test]
fn on_the_chinese_screens_a_refusal_reads_in_chinese_with_its_money() {
    let t = till();
    t.sign_in("1001", "1234");
    t.click("Member");
    t.key("Member pad", "13800138000");
    t.click("Find member");
    t.click("Back to basket");
    t.scan("6901234567892");
    t.click("Pay");
    let due = t.value_of("Due");
    // More points than the sale is worth: refused, in the screen's language.
    t.key("Amount pad", "100");
    t.click("Pay with points");
    assert_eq!(t.status().get_error_code(), "invalid");
    let english = t.value_of("Error");
    assert_eq!(
        english,
        format!("points worth 10.00 exceed the {due} due"),
        "amounts are money, not minor units"
    );
    t.session().invoke_set_language("zh_CN".into());
    let chinese = t.value_of("错误");
    assert_eq!(chinese, format!("积分抵扣 10.00 超过应付的 {due}"));
    // Switched back, the same refusal reads in English again.
    t.session().invoke_set_language("en".into());
    assert_eq!(t.value_of("Error"), english);
}

#[test]
fn the_manager_screens_field_shows_what_a_keyboard_keys() {
    let t = till();
    t.sign_in("9001", "9999");
    t.click("Manager");
    assert_eq!(t.session().get_screen(), Screen::Manager);
    // Typed on a keyboard with nobody tapping the field first.
    t.type_text("201.5");
    t.press(&[slint::platform::Key::Backspace.into()]);
    t.type_text("0");
    assert_eq!(t.value_of("Amount or member"), "201.0");
    // The pad keys into the same field.
    t.key("Manager pad", "5");
    assert_eq!(t.value_of("Amount or member"), "201.05");
}

#[test]
fn a_keyboard_sells_from_scan_to_the_next_sale() {
    let t = till();
    t.sign_in("1001", "1234");
    // A wedge scanner types the code and Enter into the scan field, which holds the focus.
    t.type_text("6901234567892\n");
    assert_eq!(t.lines().len(), 1, "{}", t.status().get_error_message());
    // A PLU typed in the scan field keys its item: bananas are weighed, and with no scale
    // the cashier is asked for the weight; nothing is added.
    t.type_text("4011\n");
    assert_eq!(t.status().get_error_code(), "weight_required");
    assert_eq!(t.lines().len(), 1);
    t.click("Dismiss");
    // The total key (F12) goes to payment; Enter with nothing keyed pays the amount due in
    // cash, and Enter again starts the next sale.
    t.press(&[slint::platform::Key::F12.into()]);
    assert_eq!(t.session().get_screen(), Screen::Payment);
    t.type_text("\n");
    assert!(
        t.payment().get_sale_done(),
        "{}",
        t.status().get_error_message()
    );
    assert_eq!(t.value_of("Change"), "0.00");
    t.type_text("\n");
    assert!(!t.payment().get_sale_done());
    assert_eq!(t.session().get_screen(), Screen::Checkout);
    // Keyed on the keyboard, 5 in cash for a 2.00 item gives 3.00 change.
    t.type_text("6901234567892\n");
    t.press(&[slint::platform::Key::F12.into()]);
    t.type_text("5\n");
    assert_eq!(t.value_of("Change"), "3.00");
}

#[test]
fn the_demo_strip_weighs_on_the_simulated_scale_and_scans_a_restricted_item() {
    // The demo's configuration has the simulated scale.
    let t = till_with(true);
    t.sign_in("1001", "1234");
    t.status().invoke_demo_weigh(1235);
    t.click("香蕉（每千克）");
    assert_eq!(t.status().get_error_message(), "");
    assert_eq!(t.lines()[0].qty, "1.235", "weighed on the scale, not 1 kg");
    t.status().invoke_demo_scan("6908000000140".into());
    // The scanner's read reaches the till on its next poll.
    for _ in 0..50 {
        t.controller.borrow_mut().poll_devices();
        if t.lines().len() == 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(t.lines().len(), 2);
    assert!(
        t.app.global::<storepos::ui::AgeCheck>().get_waiting(),
        "the beer waits for the customer's age"
    );
}

#[test]
fn the_member_sheet_words_the_tier_in_the_screens_language() {
    let t = till();
    t.sign_in("1001", "1234");
    t.click("Member");
    t.key("Member pad", "13800138000");
    t.click("Find member");
    t.member().invoke_open_sheet();
    t.session().invoke_set_language("zh_CN".into());
    assert!(t.exists("会员档案"), "the member sheet is on screen");
    assert!(!t.exists("gold"), "no English tier on the Chinese screen");
    assert!(t.exists("金卡"));
}
