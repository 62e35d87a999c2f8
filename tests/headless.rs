//! The headless automation interface end to end: a JSON Lines script on standard input
//! drives the real binary against a real store; one answer line per input line.

use assert_cmd::Command;

mod common;
use common::{run_script, seed};

#[test]
fn a_scripted_sale_with_approval_completes_and_is_journaled() {
    let work = tempfile::tempdir().unwrap();
    seed(work.path());
    let script = r#"{"set_clock":"2017-12-04T09:00:00+08:00"}
{"scan":"6901234567892"}
{"sign_in":{"operator":"1001","pin":"1234"}}
{"open_shift":{"float":"200.00"}}
{"scan":"6901234567892"}
{"scan":"6901234567893"}
{"scan":"6904000000111"}
{"quantity":"3"}
{"key_item":{"plu":"4011","qty":"1.250"}}
{"discount":{"line":1,"percent":"10"}}
{"price_override":{"line":2,"price":"50.00","reason":"damaged"}}
{"approve":{"operator":"1002","pin":"4321"}}
{"approve":{"operator":"2001","pin":"2222"}}
{"hello":1}
{"tender":{"card":"100.00","ref":"A1"}}
{"tender":{"cash":"100.00"}}
"#;
    let out = run_script(work.path(), script);
    assert_eq!(out.len(), 16, "one answer per line");
    let code = |i: usize| out[i]["error"]["code"].as_str().unwrap_or("").to_string();
    assert_eq!(code(1), "not_signed_in");
    assert_eq!(code(5), "bad_barcode");
    assert_eq!(out[8]["basket"]["lines"][2]["amount"], "8.73"); // 6.98/kg x 1.250
    assert_eq!(out[9]["ok"], true); // 10% is within the cashier's limit
    assert_eq!(code(10), "approval_required");
    assert_eq!(code(11), "not_allowed"); // a cashier cannot approve
    assert_eq!(out[12]["basket"]["lines"][1]["amount"], "150.00");
    assert_eq!(code(13), "bad_request");
    // 2.00 - 10% + 150.00 + 8.73 = 160.53; card 100.00, cash 100.00, change 39.47.
    assert_eq!(out[14]["ok"], true);
    let sale = &out[15]["sale"];
    assert_eq!(sale["receipt_no"], 1);
    assert_eq!(sale["total"], "160.53");
    assert_eq!(sale["change"], "39.47");
    assert_eq!(sale["tenders"][0]["ref"], "A1");
    assert!(
        sale["receipt"]
            .as_str()
            .unwrap()
            .contains("R/S001/T01/00000001")
    );
    assert_eq!(out[15]["basket"]["lines"].as_array().unwrap().len(), 0);

    Command::cargo_bin("storepos")
        .unwrap()
        .current_dir(work.path())
        .args(["--data-dir", "store", "journal", "verify"])
        .assert()
        .success();
}

#[test]
fn cash_is_rounded_to_the_configured_step_and_cards_are_not() {
    let work = tempfile::tempdir().unwrap();
    seed(work.path());
    std::fs::write(
        work.path().join("storepos.toml"),
        "[store]\ncash_rounding = \"0.10\"\n",
    )
    .unwrap();
    // Water 2.00 + bananas label 3.50 + apples 1.235 kg (16.03) = 21.53.
    let script = r#"{"sign_in":{"operator":"1001","pin":"1234"}}
{"open_shift":{"float":"0"}}
{"scan":"6901234567892"}
{"scan":"2104011003505"}
{"scan":"2504131012355"}
{"tender":{"cash":"50.00"}}
{"scan":"6901234567892"}
{"scan":"2104011003505"}
{"scan":"2504131012355"}
{"tender":{"card":"21.53","ref":"X9"}}
"#;
    let out = run_script(work.path(), script);
    let cash = &out[5]["sale"];
    assert_eq!(cash["total"], "21.50", "{cash}");
    assert_eq!(cash["change"], "28.50");
    assert!(cash["receipt"].as_str().unwrap().contains("抹零"));
    let card = &out[9]["sale"];
    assert_eq!(card["total"], "21.53", "{card}");
    assert_eq!(card["change"], "0.00");
}

/// Sale 1 of the return tests: water x3 (6.00) and milk 12-pack (54.00 - 10% = 48.60),
/// paid 20.00 by card, the rest in cash (its answer is line 7).
const MIXED_TENDER_SALE: &str = r#"{"sign_in":{"operator":"1001","pin":"1234"}}
{"open_shift":{"float":"100.00"}}
{"scan":"6901234567892"}
{"quantity":"3"}
{"scan":"6904000000111"}
{"discount":{"line":2,"percent":"10","reason":"dented"}}
{"tender":{"card":"20.00","ref":"C-1"}}
{"tender":{"cash":"50.00"}}
"#;

#[test]
fn a_partial_return_refunds_to_the_original_tenders_and_never_more_than_was_sold() {
    let work = tempfile::tempdir().unwrap();
    seed(work.path());
    let script = MIXED_TENDER_SALE.to_string()
        + r#"{"return":{"receipt":"R/S001/T01/00000001","lines":[{"line":1,"qty":"1"},{"line":2,"qty":"1"}]}}
{"approve":{"operator":"2001","pin":"2222"}}
{"return":{"receipt":"R/S001/T01/00000001","lines":[{"line":1,"qty":"3"}]}}
{"return":{"receipt":"R/S009/T01/00000001","lines":[{"line":1,"qty":"1"}]}}
{"return":{"receipt":"1","lines":[{"line":1,"qty":"2"}]}}
{"approve":{"operator":"2001","pin":"2222"}}
"#;
    let out = run_script(work.path(), &script);
    assert_eq!(out[7]["sale"]["total"], "54.60", "{}", out[7]);
    assert_eq!(out[8]["error"]["code"], "approval_required");
    let refund = &out[9]["sale"];
    // 2.00 for one water plus 48.60 for the discounted milk = 50.60; the card gets its 20.00 back.
    assert_eq!(refund["total"], "-50.60", "{}", out[9]);
    assert_eq!(refund["tenders"][0]["kind"], "card");
    assert_eq!(refund["tenders"][0]["amount"], "-20.00");
    assert_eq!(refund["tenders"][0]["ref"], "C-1");
    assert_eq!(refund["tenders"][1]["amount"], "-30.60");
    assert_eq!(refund["receipt_no"], 2);
    // Only two waters are left to return.
    assert_eq!(out[10]["error"]["code"], "invalid", "{}", out[10]);
    assert!(
        out[10]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2 may be returned")
    );
    assert_eq!(out[11]["error"]["code"], "invalid");
    assert_eq!(out[13]["sale"]["total"], "-4.00", "{}", out[13]);
    Command::cargo_bin("storepos")
        .unwrap()
        .current_dir(work.path())
        .args(["--data-dir", "store", "journal", "verify"])
        .assert()
        .success()
        .stdout(predicates::str::contains("3 entries"));
}

#[test]
fn a_return_preview_shows_the_refund_and_records_nothing() {
    let work = tempfile::tempdir().unwrap();
    seed(work.path());
    let script = MIXED_TENDER_SALE.to_string()
        + r#"{"return_preview":{"receipt":"1","lines":[{"line":1,"qty":"1"},{"line":2,"qty":"1"}]}}
{"return_preview":{"receipt":"1","lines":[{"line":1,"qty":"4"}]}}
{"return_preview":{"receipt":"9","lines":[{"line":1,"qty":"1"}]}}
{"return":{"receipt":"1","lines":[{"line":1,"qty":"3"}]}}
{"approve":{"operator":"2001","pin":"2222"}}
"#;
    let out = run_script(work.path(), &script);
    let refund = &out[8]["refund"];
    assert_eq!(out[8]["ok"], true, "{}", out[8]);
    assert_eq!(refund["total"], "50.60", "{refund}");
    assert_eq!(refund["lines"][0]["amount"], "2.00");
    assert_eq!(refund["lines"][1]["amount"], "48.60");
    assert_eq!(refund["lines"][1]["qty"], "1");
    assert_eq!(refund["tenders"][0]["kind"], "card");
    assert_eq!(refund["tenders"][0]["amount"], "20.00");
    assert_eq!(refund["tenders"][1]["kind"], "cash");
    assert_eq!(refund["tenders"][1]["amount"], "30.60");
    // More than was sold, or a receipt this till does not have, is refused.
    assert_eq!(out[9]["error"]["code"], "invalid", "{}", out[9]);
    assert_eq!(out[10]["error"]["code"], "invalid", "{}", out[10]);
    // The preview recorded nothing: all three waters can still come back, as receipt 2.
    assert_eq!(out[12]["sale"]["total"], "-6.00", "{}", out[12]);
    assert_eq!(out[12]["sale"]["receipt_no"], 2);
}

#[test]
fn a_shift_survives_a_restart_and_closes_with_x_and_z_reports() {
    let work = tempfile::tempdir().unwrap();
    seed(work.path());
    let first = r#"{"sign_in":{"operator":"1001","pin":"1234"}}
{"open_shift":{"float":"200.00"}}
{"scan":"6901234567892"}
{"tender":{"cash":"10.00"}}
{"scan":"6904000000111"}
{"tender":{"card":"54.00","ref":"C-7"}}
{"cash_in":{"amount":"50.00","reason":"change from the safe"}}
"#;
    let out = run_script(work.path(), first);
    assert!(out.iter().all(|a| a["ok"] == true), "{out:?}");
    // A new process: the shift is still open.
    let second = r#"{"sign_in":{"operator":"1001","pin":"1234"}}
{"open_shift":{"float":"200.00"}}
{"cash_out":{"amount":"20.00","reason":"pickup"}}
{"approve":{"operator":"2001","pin":"2222"}}
{"no_sale":{"reason":"customer needed change"}}
{"approve":{"operator":"2001","pin":"2222"}}
{"report":"x"}
{"report":"y"}
{"close_shift":{"counted":"231.00"}}
{"scan":"6901234567892"}
"#;
    let out = run_script(work.path(), second);
    assert_eq!(out[1]["error"]["code"], "invalid", "{}", out[1]);
    // A cashier takes cash out or opens the drawer only with a supervisor's approval.
    assert_eq!(out[2]["error"]["code"], "approval_required", "{}", out[2]);
    assert_eq!(out[3]["ok"], true, "{}", out[3]);
    assert_eq!(out[4]["error"]["code"], "approval_required");
    assert_eq!(out[5]["ok"], true);
    let x = &out[6]["report"];
    assert_eq!(x["sales"], 2);
    assert_eq!(x["by_tender"]["cash"], "10.00");
    assert_eq!(x["by_tender"]["card"], "54.00");
    assert_eq!(x["by_department"]["Dairy"], "54.00");
    assert_eq!(x["by_tax_rate"]["9%"], "4.46"); // 54.00 x 9/109
    // 200 float + 10 cash - 8 change + 50 in - 20 out = 232.
    assert_eq!(x["expected_cash"], "232.00", "{x}");
    assert_eq!(x["no_sales"], 1);
    assert_eq!(x["over_short"], serde_json::Value::Null);
    assert_eq!(out[7]["error"]["code"], "invalid");
    let z = &out[8]["report"];
    assert_eq!(z["over_short"], "-1.00", "{z}");
    assert_eq!(
        (z["first_receipt"].clone(), z["last_receipt"].clone()),
        (1.into(), 2.into())
    );
    assert_eq!(out[9]["error"]["code"], "no_shift");
    // The approver is on record beside the cashier.
    let conn = rusqlite::Connection::open(work.path().join("store/terminal.db")).unwrap();
    let approved: Vec<(String, String, Option<String>)> = conn
        .prepare("SELECT kind, operator_id, approved_by FROM cash_movements ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        approved,
        vec![
            ("in".into(), "1001".into(), None),
            ("out".into(), "1001".into(), Some("2001".into())),
            ("no_sale".into(), "1001".into(), Some("2001".into())),
        ]
    );
}

#[test]
fn a_suspended_basket_survives_a_restart_and_resumes_with_its_discounts() {
    let work = tempfile::tempdir().unwrap();
    seed(work.path());
    let first = r#"{"sign_in":{"operator":"2001","pin":"2222"}}
{"open_shift":{"float":"100.00"}}
{"suspend":{}}
{"scan":"6904000000111"}
{"key_item":{"plu":"4011","qty":"0.800"}}
{"price_override":{"line":1,"price":"50.00","reason":"damaged box"}}
{"suspend":{}}
{"scan":"6901234567892"}
{"tender":{"cash":"2.00"}}
"#;
    let out = run_script(work.path(), first);
    assert_eq!(out[2]["error"]["code"], "empty_basket");
    let id = out[6]["suspended"].as_str().unwrap().to_string();
    assert_eq!(out[6]["basket"]["lines"].as_array().unwrap().len(), 0);
    assert_eq!(
        out[8]["sale"]["total"], "2.00",
        "the next customer is served"
    );

    let second = format!(
        r#"{{"sign_in":{{"operator":"1001","pin":"1234"}}}}
{{"scan":"6901234567892"}}
{{"resume":{{"id":"{id}"}}}}
{{"void_line":1}}
{{"resume":{{"id":"{id}"}}}}
{{"tender":{{"cash":"60.00"}}}}
{{"resume":{{"id":"{id}"}}}}
"#
    );
    let out = run_script(work.path(), &second);
    assert_eq!(
        out[2]["error"]["code"], "invalid",
        "a basket is in progress"
    );
    let resumed = &out[4]["basket"];
    assert_eq!(resumed["lines"][0]["amount"], "50.00", "{resumed}");
    assert_eq!(resumed["lines"][1]["amount"], "5.58"); // 0.800 kg x 6.98
    assert_eq!(out[5]["sale"]["total"], "55.58");
    assert_eq!(out[6]["error"]["code"], "invalid", "a basket resumes once");
}
