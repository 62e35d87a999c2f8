//! The headless automation interface end to end: a JSON Lines script on standard input
//! drives the real binary against a real store; one answer line per input line.

use assert_cmd::Command;

use crate::common;
use common::{run_bytes, run_script, seed};

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

/// Sells a bottle of water for cash in the store `dir` and returns the receipt text.
fn water_receipt(dir: &std::path::Path) -> String {
    let script = r#"{"sign_in":{"operator":"1001","pin":"1234"}}
{"open_shift":{"float":"0"}}
{"scan":"6901234567892"}
{"tender":{"cash":"5.00"}}
"#;
    let out = run_script(dir, script);
    assert_eq!(out[3]["ok"], true, "{}", out[3]);
    out[3]["sale"]["receipt"].as_str().unwrap().to_string()
}

#[test]
fn receipts_print_in_the_language_the_store_configured() {
    // The default store prints Chinese.
    let work = tempfile::tempdir().unwrap();
    seed(work.path());
    let receipt = water_receipt(work.path());
    for label in ["销售", "合计", "谢谢惠顾"] {
        assert!(receipt.contains(label), "{label} missing:\n{receipt}");
    }
    assert!(!receipt.contains("TOTAL"), "{receipt}");
    // A Berlin store in euros with `language = "en"` prints English.
    let berlin = tempfile::tempdir().unwrap();
    std::fs::write(
        berlin.path().join("storepos.toml"),
        "[store]\ncurrency = \"EUR\"\nutc_offset = \"+01:00\"\nlanguage = \"en\"\n",
    )
    .unwrap();
    seed(berlin.path());
    let receipt = water_receipt(berlin.path());
    for label in ["SALE", "TOTAL", "Thank you", "Cash"] {
        assert!(receipt.contains(label), "{label} missing:\n{receipt}");
    }
    for label in ["销售", "合计", "谢谢惠顾", "现金"] {
        assert!(!receipt.contains(label), "{label} printed:\n{receipt}");
    }
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
{"return_preview":{"receipt":1,"lines":[{"line":2,"qty":"1"}]}}
{"return_preview":{"receipt":-1,"lines":[{"line":1,"qty":"1"}]}}
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
    // The receipt as the sale's answer gives it (`receipt_no`, a number) is taken too;
    // a number no receipt can have is refused as bad input.
    assert_eq!(out[13]["ok"], true, "{}", out[13]);
    assert_eq!(out[13]["refund"]["total"], "48.60", "{}", out[13]);
    assert_eq!(out[14]["ok"], false, "{}", out[14]);
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
    // Change given is shown, so cash tendered less change is what cash sales took.
    assert_eq!(x["change"], "8.00", "{x}");
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

fn code(answer: &serde_json::Value) -> &str {
    answer["error"]["code"].as_str().unwrap_or("")
}

#[test]
fn invalid_utf8_and_overlong_lines_are_refused_and_the_basket_is_kept() {
    let work = tempfile::tempdir().unwrap();
    seed(work.path());
    let mut input = Vec::new();
    input.extend_from_slice(
        b"{\"sign_in\":{\"operator\":\"1001\",\"pin\":\"1234\"}}\n{\"open_shift\":{\"float\":\"0\"}}\n{\"scan\":\"6901234567892\"}\n",
    );
    input.extend_from_slice(b"{\"scan\":\"\xff\xfe\x80\"}\n");
    // 1 MiB in one line, far above the limit.
    input.extend_from_slice(b"{\"scan\":\"");
    input.extend(std::iter::repeat_n(b'7', 1 << 20));
    input.extend_from_slice(b"\"}\n");
    // Within the limit, but a refusal must not quote all of it back.
    let long_action = "x".repeat(20_000);
    input.extend_from_slice(format!("{{\"{long_action}\":1}}\n").as_bytes());
    input.extend_from_slice(b"{\"tender\":{\"cash\":\"2.00\"}}\n");
    let out = run_bytes(work.path(), input);
    assert_eq!(out.len(), 7, "one answer per line: {out:?}");
    for i in [3, 4, 5] {
        assert_eq!(code(&out[i]), "bad_request", "{}", out[i]);
        let message = out[i]["error"]["message"].as_str().unwrap();
        assert!(message.chars().count() < 300, "{message}");
    }
    assert!(
        out[3]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("UTF-8")
    );
    assert!(
        out[4]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("65536")
    );
    // The open basket was kept through all of it.
    assert_eq!(out[6]["sale"]["total"], "2.00", "{}", out[6]);
    assert_eq!(out[6]["sale"]["lines"].as_array().unwrap().len(), 1);
}

#[test]
fn amounts_above_their_ceilings_are_refused_and_change_nothing() {
    let work = tempfile::tempdir().unwrap();
    seed(work.path());
    std::fs::write(
        work.path().join("storepos.toml"),
        "[limits]\nmax_cash = \"5000\"\n",
    )
    .unwrap();
    let script = r#"{"sign_in":{"operator":"2001","pin":"2222"}}
{"open_shift":{"float":"5000.01"}}
{"open_shift":{"float":"100.00"}}
{"scan":"6901234567892"}
{"tender":{"cash":"6901234567892"}}
{"price_override":{"line":1,"price":"99999999999","reason":"typo"}}
{"discount":{"amount":"99999999999","reason":"typo"}}
{"cash_in":{"amount":"92233720368547758","reason":"float top-up"}}
{"cash_in":{"amount":"6000","reason":"float top-up"}}
{"cash_out":{"amount":"6000","reason":"pickup"}}
{"tender":{"cash":"5.00"}}
{"report":"x"}
{"close_shift":{"counted":"92233720368547758"}}
{"report":"x"}
{"close_shift":{"counted":"103.00"}}
"#;
    let out = run_script(work.path(), script);
    assert_eq!(out.len(), 15);
    for i in [1, 4, 5, 6, 7, 8, 9, 12] {
        assert_eq!(code(&out[i]), "bad_amount", "line {i}: {}", out[i]);
    }
    assert!(
        out[4]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("limits.max_tender")
    );
    assert!(
        out[8]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("limits.max_cash")
    );
    assert_eq!(out[10]["sale"]["total"], "2.00", "{}", out[10]);
    assert_eq!(out[11]["report"]["expected_cash"], "102.00", "{}", out[11]);
    // The refused close left the shift open; the next one closes it with its Z report.
    assert_eq!(out[13]["ok"], true, "{}", out[13]);
    assert_eq!(out[14]["report"]["over_short"], "1.00", "{}", out[14]);
}

#[test]
fn a_close_shift_whose_report_fails_leaves_the_shift_open() {
    let work = tempfile::tempdir().unwrap();
    seed(work.path());
    let out = run_script(
        work.path(),
        "{\"sign_in\":{\"operator\":\"1001\",\"pin\":\"1234\"}}\n{\"open_shift\":{\"float\":\"0\"}}\n",
    );
    assert!(out.iter().all(|a| a["ok"] == true), "{out:?}");
    // Movements no till would take today (written before the ceilings existed): their sum
    // overflows, so no Z report can be made.
    let conn = rusqlite::Connection::open(work.path().join("store/terminal.db")).unwrap();
    for _ in 0..2 {
        conn.execute(
            "INSERT INTO cash_movements (shift_id, at, kind, amount, reason, operator_id)
             VALUES (1, '2017-12-04T09:00:00+08:00', 'in', 6000000000000000000, 'old', '1001')",
            [],
        )
        .unwrap();
    }
    drop(conn);
    let out = run_script(
        work.path(),
        "{\"sign_in\":{\"operator\":\"1001\",\"pin\":\"1234\"}}\n{\"close_shift\":{\"counted\":\"0\"}}\n",
    );
    assert_eq!(out[1]["ok"], false, "{}", out[1]);
    let conn = rusqlite::Connection::open(work.path().join("store/terminal.db")).unwrap();
    let open: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM shifts WHERE closed_at IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(open, 1, "a shift closes only with its Z report");
}

#[test]
fn unit_items_are_sold_and_returned_in_whole_units() {
    let work = tempfile::tempdir().unwrap();
    seed(work.path());
    let script = r#"{"sign_in":{"operator":"2001","pin":"2222"}}
{"open_shift":{"float":"0"}}
{"scan":"6901234567892"}
{"quantity":"0.001"}
{"quantity":"1.5"}
{"key_item":{"plu":"99","qty":"0.5"}}
{"key_item":{"plu":"4011","qty":"0.500"}}
{"quantity":"2"}
{"tender":{"cash":"10.00"}}
{"return":{"receipt":"1","lines":[{"line":1,"qty":"0.5"}]}}
{"return_preview":{"receipt":"1","lines":[{"line":1,"qty":"0.001"}]}}
{"return":{"receipt":"1","lines":[{"line":2,"qty":"0.250"}]}}
"#;
    let out = run_script(work.path(), script);
    for i in [3, 4, 5] {
        assert_eq!(code(&out[i]), "basket", "line {i}: {}", out[i]);
        assert!(
            out[i]["error"]["message"]
                .as_str()
                .unwrap()
                .contains("sold by the unit"),
            "{}",
            out[i]
        );
    }
    assert_eq!(code(&out[7]), "basket", "a weighed line takes no quantity");
    // Water 2.00 and 0.5 kg of bananas (3.49).
    assert_eq!(out[8]["sale"]["total"], "5.49", "{}", out[8]);
    for i in [9, 10] {
        assert_eq!(code(&out[i]), "invalid", "line {i}: {}", out[i]);
        assert!(
            out[i]["error"]["message"]
                .as_str()
                .unwrap()
                .contains("whole units")
        );
    }
    // Weighed items come back by weight.
    assert_eq!(out[11]["sale"]["total"], "-1.75", "{}", out[11]);
}

#[test]
fn the_cashiers_discount_limit_is_on_the_sales_total_discount() {
    let work = tempfile::tempdir().unwrap();
    seed(work.path());
    let script = r#"{"sign_in":{"operator":"1001","pin":"1234"}}
{"open_shift":{"float":"0"}}
{"scan":"6904000000111"}
{"discount":{"line":1,"percent":"10","reason":"dented"}}
{"discount":{"percent":"10","reason":"loyal customer"}}
{"discount":{"percent":"150","reason":"typo"}}
{"discount":{"line":1,"percent":"100.01","reason":"typo"}}
{"approve":{"operator":"2001","pin":"2222"}}
{"discount":{"percent":"5","reason":"loyal customer"}}
{"approve":{"operator":"2001","pin":"2222"}}
{"tender":{"cash":"50.00"}}
"#;
    let out = run_script(work.path(), script);
    assert_eq!(out[3]["ok"], true, "10% on its own is within the limit");
    // 10% on the line and 10% on the ticket are 19% of the sale.
    assert_eq!(code(&out[4]), "approval_required", "{}", out[4]);
    // Over 100% is refused outright, before any approval is asked.
    assert_eq!(code(&out[5]), "basket", "{}", out[5]);
    assert_eq!(code(&out[6]), "basket", "{}", out[6]);
    // The refused ones held nothing back: the supervisor approves the 19% still waiting.
    assert_eq!(out[7]["ok"], true, "{}", out[7]);
    assert_eq!(out[7]["basket"]["discount"], "10.26", "{}", out[7]);
    // 10% + 5% of the rest is still above 10%: a supervisor approves it.
    assert_eq!(code(&out[8]), "approval_required", "{}", out[8]);
    assert_eq!(out[9]["ok"], true, "{}", out[9]);
    // 54.00 - 5.40 = 48.60, less 5% = 46.17.
    assert_eq!(out[10]["sale"]["total"], "46.17", "{}", out[10]);
}

#[test]
fn control_characters_in_typed_text_are_refused_before_anything_is_written() {
    let work = tempfile::tempdir().unwrap();
    seed(work.path());
    let script = r#"{"sign_in":{"operator":"2001","pin":"2222"}}
{"open_shift":{"float":"0"}}
{"enroll":{"name":"Zhao\u0000Lei","phone":"13512345678"}}
{"enroll":{"name":"Zhao Lei","phone":"13512345678","email":"z\u0007@example.com"}}
{"complaint":{"content":"rude\u0000"}}
{"complaint":{"content":"slow","handling":"said sorry\u001b[2J"}}
{"cash_in":{"amount":"5.00","reason":"top\u0000up"}}
{"scan":"6901234567892"}
{"discount":{"line":1,"percent":"5","reason":"dent\u0000"}}
{"price_override":{"line":1,"price":"1.00","reason":"\u0001"}}
{"enroll":{"name":"Zhao Lei","phone":"13512345678"}}
"#;
    let out = run_script(work.path(), script);
    for i in [2, 3, 4, 5, 6, 8, 9] {
        assert_eq!(code(&out[i]), "invalid", "line {i}: {}", out[i]);
        assert!(
            out[i]["error"]["message"]
                .as_str()
                .unwrap()
                .contains("control character"),
            "{}",
            out[i]
        );
    }
    assert_eq!(out[10]["ok"], true, "{}", out[10]);
    let conn = rusqlite::Connection::open(work.path().join("store/terminal.db")).unwrap();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(
        count("SELECT COUNT(*) FROM outbox"),
        1,
        "only the good enrolment"
    );
    assert_eq!(count("SELECT COUNT(*) FROM complaints"), 0);
    assert_eq!(count("SELECT COUNT(*) FROM cash_movements"), 0);
}

#[test]
fn enrolled_card_numbers_do_not_follow_from_one_another() {
    let work = tempfile::tempdir().unwrap();
    seed(work.path());
    let mut script = String::from(
        "{\"sign_in\":{\"operator\":\"1001\",\"pin\":\"1234\"}}\n{\"open_shift\":{\"float\":\"0\"}}\n",
    );
    for i in 0..6 {
        script.push_str(&format!(
            "{{\"enroll\":{{\"name\":\"Member {i}\",\"phone\":\"1351234567{i}\"}}}}\n{{\"clear_member\":{{}}}}\n"
        ));
    }
    let out = run_script(work.path(), &script);
    let cards: Vec<String> = out
        .iter()
        .filter_map(|a| a["card"].as_str().map(str::to_string))
        .collect();
    assert_eq!(cards.len(), 6, "{out:?}");
    let luhn_ok = |digits: &str| {
        let sum: u32 = digits
            .bytes()
            .rev()
            .enumerate()
            .map(|(i, b)| {
                let d = u32::from(b - b'0');
                if i % 2 == 1 {
                    if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
                } else {
                    d
                }
            })
            .sum();
        sum.is_multiple_of(10)
    };
    let mut numbers = Vec::new();
    for card in &cards {
        let digits = card
            .strip_prefix("S001T01")
            .expect("store and terminal first");
        assert_eq!(digits.len(), 11, "{card}");
        assert!(luhn_ok(digits), "{card} fails its check digit");
        numbers.push(digits[..10].parse::<i64>().unwrap());
    }
    for pair in numbers.windows(2) {
        assert!((pair[1] - pair[0]).abs() > 1_000, "{cards:?}");
    }
}

/// Peak resident memory of a running process in kB (`VmHWM` in `/proc/PID/status`).
fn peak_rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}

#[test]
fn a_line_of_200_mib_is_refused_without_being_held_in_memory() {
    use std::io::{BufRead, Write};
    let work = tempfile::tempdir().unwrap();
    seed(work.path());
    let mut child = crate::common::headless_till(work.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut answers = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    stdin.write_all(b"{\"status\":{}}\n").unwrap();
    answers.next().unwrap().unwrap();
    let before = peak_rss_kb(child.id());
    // 200 MiB of one line, written in pieces so this test does not hold it either.
    stdin.write_all(b"{\"scan\":\"").unwrap();
    let piece = vec![b'7'; 1 << 20];
    for _ in 0..200 {
        stdin.write_all(&piece).unwrap();
    }
    stdin.write_all(b"\"}\n").unwrap();
    let answer: serde_json::Value =
        serde_json::from_str(&answers.next().unwrap().unwrap()).unwrap();
    assert_eq!(code(&answer), "bad_request", "{answer}");
    let after = peak_rss_kb(child.id());
    drop(stdin);
    assert!(child.wait().unwrap().success());
    assert!(
        after < before + 32 * 1024,
        "peak memory grew from {before} kB to {after} kB reading one long line"
    );
}
