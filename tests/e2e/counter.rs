//! The terminal's effects on the counter's devices (simulated printer and drawer): a cash
//! sale prints and opens the drawer, a card sale only prints, and paper running out leaves
//! the sale complete with a warning and a reprint once paper is back.

use storepos_drivers::printer::PaperState;

use crate::common::till::{headless_till, say};

#[test]
fn receipts_print_the_drawer_opens_for_cash_and_paper_out_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut terminal, mut counter) = headless_till(dir.path(), Default::default());
    let printer = counter.devices().simulators.printer.clone().unwrap();
    // The simulated drawer has a virtual printer port of its own that records its kicks.
    let drawer = counter.devices().simulators.drawer.clone().unwrap();
    for line in [
        r#"{"sign_in":{"operator":"1001","pin":"1234"}}"#,
        r#"{"open_shift":{"float":"100.00"}}"#,
    ] {
        assert_eq!(say(&mut terminal, &mut counter, line)["ok"], true);
    }
    let kicks_before = drawer.kicks().len();

    // A card sale prints its receipt and leaves the drawer shut.
    say(&mut terminal, &mut counter, r#"{"scan":"6901234567892"}"#);
    let card = say(
        &mut terminal,
        &mut counter,
        r#"{"tender":{"card":"2.00","ref":"C1"}}"#,
    );
    assert_eq!(card["sale"]["receipt_no"], 1, "{card}");
    assert_eq!(printer.jobs().len(), 1);
    assert!(printer.jobs()[0].complete);
    assert_eq!(
        drawer.kicks().len(),
        kicks_before,
        "no kick for a card sale"
    );

    // Paper runs out: the cash sale still completes, the drawer still opens, and the
    // answer says the receipt did not print.
    printer.set_paper(PaperState::Out);
    say(&mut terminal, &mut counter, r#"{"scan":"6904000000111"}"#);
    let cash = say(
        &mut terminal,
        &mut counter,
        r#"{"tender":{"cash":"60.00"}}"#,
    );
    assert_eq!(cash["ok"], true, "{cash}");
    assert_eq!(cash["sale"]["receipt_no"], 2);
    let warning = cash["warnings"][0].as_str().unwrap();
    assert!(warning.contains("sale 2 is complete"), "{warning}");
    assert_eq!(
        drawer.kicks().len(),
        kicks_before + 1,
        "cash opens the drawer"
    );
    let conn = rusqlite::Connection::open(dir.path().join("terminal.db")).unwrap();
    let sales: i64 = conn
        .query_row("SELECT COUNT(*) FROM sales", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sales, 2, "the sale is durable whatever the printer does");

    // While the paper is out a reprint is refused and says why.
    let refused = say(&mut terminal, &mut counter, r#"{"reprint":{}}"#);
    assert_eq!(refused["error"]["code"], "device", "{refused}");
    // Paper loaded: the reprint prints the receipt in full.
    printer.set_paper(PaperState::Ok);
    let reprinted = say(&mut terminal, &mut counter, r#"{"reprint":{}}"#);
    assert_eq!(reprinted["ok"], true, "{reprinted}");
    let last = printer.jobs().last().cloned().unwrap();
    assert!(last.complete);
    let text = String::from_utf8_lossy(&last.bytes).to_string();
    assert!(text.contains("R/S001/T01/00000002"), "{text}");
}
