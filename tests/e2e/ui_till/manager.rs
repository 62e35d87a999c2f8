//! The manager screen worked as a manager would: the Z report that closes the shift, and
//! personalised shopping lists printed for one member or a batch. Uses the cashier harness
//! of [`super`].

use std::time::Duration;

use super::*;

#[test]
fn list_printing_is_shown_as_unavailable_without_hqs_public_key() {
    let t = till();
    t.sign_in("1001", "1234");
    t.click("Manager");
    assert!(!t.manager().get_lists_available());
    let batch = ElementHandle::find_by_accessible_label(&t.app, "Print batch")
        .next()
        .unwrap();
    assert_eq!(batch.accessible_enabled(), Some(false));
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn a_manager_prints_a_members_list_and_a_batch_through_the_list_engine() {
    // Whose lists HQ sent, as the terminal core says on the same store.
    let dir = tempfile::tempdir().unwrap();
    let (_, mut terminal) = demo_terminal(dir.path(), true);
    storepos::terminal::headless::answer(
        &mut terminal,
        r#"{"sign_in":{"operator":"9001","pin":"9999"}}"#,
    );
    let expected = storepos::terminal::headless::answer(&mut terminal, r#"{"list_batch":{}}"#);
    let expected: Vec<&str> = expected["batch"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert_eq!(expected, ["6200111122223333", "6200123412341234"]);

    let t = till_with(true);
    t.sign_in("9001", "9999");
    t.click("Manager");
    assert!(t.manager().get_lists_available());
    assert_eq!(t.printed(), 0);

    // 张伟's list, asked for by card, prints as HQ signed it.
    t.key("Manager pad", "6200123412341234");
    t.click("Print for member");
    assert_eq!(t.status().get_error_message(), "");
    let notice = t.value_of("Notice");
    assert!(notice.contains("6200123412341234"), "{notice}");
    let jobs = t.jobs();
    assert_eq!(jobs.len(), 1, "one list printed");
    assert!(jobs[0].complete);
    assert!(contains(&jobs[0].bytes, "YOUR SHOPPING LIST"));
    assert!(contains(&jobs[0].bytes, "Yili pure milk"));

    // 李娜 spends too little for the fortnight's lists, and this till has no HQ link to
    // ask for one: it says so and prints nothing.
    t.key("Manager pad", "6200123412345678");
    t.click("Print for member");
    assert!(
        t.status().get_error_message().contains("no HQ link"),
        "{}",
        t.status().get_error_message()
    );
    assert_eq!(t.printed(), 1);
    t.click("Dismiss");

    // A card nobody holds is refused and prints nothing.
    t.key("Manager pad", "6200000000000000");
    t.click("Print for member");
    assert_eq!(t.status().get_error_code(), "unknown_member");
    assert_eq!(t.printed(), 1);
    t.click("Dismiss");

    t.click("Print batch");
    assert_eq!(t.manager().get_lists_total(), expected.len() as i32);
    assert!(t.manager().get_lists_progress() < 1.0);
    for _ in 0..20 {
        i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(5));
        slint::platform::update_timers_and_animations();
    }
    assert_eq!(t.manager().get_lists_progress(), 1.0);
    assert_eq!(t.manager().get_lists_printed(), 2);
    assert_eq!(t.manager().get_lists_failed(), 0);
    assert_eq!(
        t.value_of("List printing progress"),
        "100%",
        "the bar says it is done"
    );
    assert_eq!(
        t.value_of("List batch"),
        "2 of 2 members · 2 printed · 0 failed"
    );
    let jobs = t.jobs();
    assert_eq!(
        jobs.len(),
        3,
        "the batch printed a list per qualifying member"
    );
    assert!(jobs[1..].iter().all(|j| j.complete));
    // In member id order: 刘洋's eggs, then 张伟's milk.
    assert!(contains(&jobs[1].bytes, "Store choice eggs"));
    assert!(contains(&jobs[2].bytes, "Yili pure milk"));
}

#[test]
fn the_z_report_closes_the_shift_and_stays_on_screen_with_over_short() {
    let t = till();
    t.sign_in("9001", "9999");
    t.scan("6901234567892");
    t.click("Pay");
    t.click("Cash 2.00");
    assert!(t.payment().get_sale_done());
    t.click("New sale");
    t.click("Manager");
    // 200.00 float + 2.00 cash sale: 202.00 expected; 201.50 counted is 0.50 short.
    t.key("Manager pad", "201.50");
    t.click("Z report");
    assert_eq!(t.status().get_error_message(), "");
    assert_eq!(
        t.session().get_screen(),
        Screen::Manager,
        "the Z report stays on screen"
    );
    assert!(t.manager().get_showing_z_report());
    assert!(!t.manager().get_showing_x_report());
    use slint::Model;
    let report: Vec<_> = t.manager().get_report().iter().collect();
    let over_short = report
        .iter()
        .find(|f| f.key == "over-short")
        .expect("the Z report has its over/short");
    assert_eq!(over_short.value, "-0.50");
    assert!(!t.controller.borrow().terminal().shift_open());
    // Leaving the report, the next operator opens a new shift.
    t.click("Back to basket");
    assert_eq!(t.session().get_screen(), Screen::SignIn);
}
