//! Age checks end to end: a restricted product (the demo's beer and cigarettes) waits for
//! the cashier to confirm the customer's age; no tender is taken until then, a refusal
//! removes the restricted lines, and the confirmation with its operator is in the sale's
//! journal entry and outbox event.

use serde_json::Value;

use crate::common::{self, run_script, seed};

const BEER: &str = "6908000000140";
const CIGARETTES: &str = "6909000000116";
const WATER: &str = "6901234567892";

const OPEN: &str = r#"{"set_clock":"2024-03-01T10:00:00+08:00"}
{"sign_in":{"operator":"1001","pin":"1234"}}
{"open_shift":{"float":"0"}}
"#;

fn code(answer: &Value) -> &str {
    answer["error"]["code"].as_str().unwrap_or("")
}

/// The journal bodies and outbox payloads of `dir/store/terminal.db`, in receipt order.
fn journal_and_events(dir: &std::path::Path) -> (Vec<Value>, Vec<Value>) {
    let conn = rusqlite::Connection::open(dir.join("store/terminal.db")).unwrap();
    let read = |sql: &str| -> Vec<Value> {
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(|text| serde_json::from_str(&text.unwrap()).unwrap())
            .collect()
    };
    (
        read("SELECT body FROM journal ORDER BY receipt_no"),
        read("SELECT payload FROM outbox ORDER BY seq"),
    )
}

#[test]
fn a_restricted_item_is_sold_only_after_the_age_check_and_the_journal_names_who_checked() {
    let work = tempfile::tempdir().unwrap();
    seed(work.path());
    let script = format!(
        r#"{OPEN}{{"scan":"{WATER}"}}
{{"scan":"{BEER}"}}
{{"tender":{{"cash":"20.00"}}}}
{{"tender":{{"points":1}}}}
{{"age_check":{{"confirmed":true}}}}
{{"scan":"{CIGARETTES}"}}
{{"tender":{{"cash":"60.00"}}}}
{{"age_check":{{"confirmed":true}}}}
"#
    );
    let out = run_script(work.path(), &script);
    assert_eq!(out.len(), 11);
    // Water: no age check is spoken of.
    assert_eq!(out[3]["ok"], true);
    assert!(out[3].get("age_check").is_none(), "{}", out[3]);
    // Beer: added, waiting for the check.
    let scanned = &out[4];
    assert_eq!(scanned["ok"], true);
    assert_eq!(scanned["basket"]["lines"][1]["gtin"], BEER);
    assert_eq!(scanned["basket"]["lines"][1]["voided"], false);
    assert_eq!(scanned["age_check"]["status"], "required");
    assert_eq!(scanned["age_check"]["code"], "age_check_required");
    assert_eq!(scanned["age_check"]["lines"], serde_json::json!([2]));
    // No tender is taken, in cash or points, and the basket is as it was.
    for refused in &out[5..7] {
        assert_eq!(code(refused), "age_check_required", "{refused}");
        let message = refused["error"]["message"].as_str().unwrap();
        assert!(message.contains("Tsingtao") || message.contains("青岛啤酒"));
    }
    // Confirmed by the signed-in cashier at the till's clock.
    let confirmed = &out[7]["age_check"];
    assert_eq!(out[7]["ok"], true);
    assert_eq!(confirmed["status"], "confirmed");
    assert_eq!(confirmed["operator_id"], "1001");
    assert_eq!(confirmed["at"], "2024-03-01T02:00:00Z");
    // The confirmation covers the sale's later restricted items.
    assert_eq!(out[8]["ok"], true);
    assert_eq!(out[8]["age_check"]["status"], "confirmed");
    // 2.00 + 6.50 + 45.00 = 53.50.
    let sale = &out[9]["sale"];
    assert_eq!(out[9]["ok"], true, "{}", out[9]);
    assert_eq!(sale["total"], "53.50");
    assert!(
        out[9].get("age_check").is_none(),
        "the next sale starts unchecked"
    );
    // Nothing waits now, so there is nothing to confirm.
    assert_eq!(code(&out[10]), "nothing_to_check");

    let (journal, events) = journal_and_events(work.path());
    assert_eq!(journal.len(), 1);
    let check = &journal[0]["age_check"];
    assert_eq!(check["operator_id"], "1001");
    assert_eq!(check["at"], "2024-03-01T02:00:00Z");
    assert_eq!(journal[0]["lines"].as_array().unwrap().len(), 3);
    let sale_events: Vec<&Value> = events.iter().filter(|e| e.get("sale").is_some()).collect();
    assert_eq!(sale_events.len(), 1);
    assert_eq!(sale_events[0]["sale"]["age_check"], *check);
    common::assert_journal_verifies(&work.path().join("store"), 1);
}

#[test]
fn refusing_the_age_check_removes_the_restricted_lines_and_nothing_else() {
    let work = tempfile::tempdir().unwrap();
    seed(work.path());
    let script = format!(
        r#"{OPEN}{{"scan":"{BEER}"}}
{{"scan":"{WATER}"}}
{{"scan":"{CIGARETTES}"}}
{{"age_check":{{"confirmed":false}}}}
{{"age_check":{{"confirmed":false}}}}
{{"tender":{{"cash":"2.00"}}}}
"#
    );
    let out = run_script(work.path(), &script);
    assert_eq!(out.len(), 9);
    assert_eq!(out[5]["age_check"]["lines"], serde_json::json!([1, 3]));
    let refused = &out[6];
    assert_eq!(refused["ok"], true);
    assert!(refused.get("age_check").is_none(), "{refused}");
    let lines = refused["basket"]["lines"].as_array().unwrap();
    let voided: Vec<bool> = lines.iter().map(|l| l["voided"] == true).collect();
    assert_eq!(voided, [true, false, true], "only the restricted lines go");
    assert_eq!(refused["basket"]["total"], "2.00");
    assert_eq!(code(&out[7]), "nothing_to_check");
    // The water alone is sold, with no age check recorded.
    assert_eq!(out[8]["sale"]["total"], "2.00");
    let (journal, _) = journal_and_events(work.path());
    assert_eq!(journal.len(), 1);
    assert!(journal[0].get("age_check").is_none());
    assert_eq!(journal[0]["lines"].as_array().unwrap().len(), 1);
}

#[test]
fn voiding_or_suspending_the_sale_ends_its_age_check() {
    let work = tempfile::tempdir().unwrap();
    seed(work.path());
    // A supervisor voids without an approval step; the next customer's beer is unchecked.
    let script = format!(
        r#"{{"set_clock":"2024-03-01T10:00:00+08:00"}}
{{"sign_in":{{"operator":"2001","pin":"2222"}}}}
{{"open_shift":{{"float":"0"}}}}
{{"scan":"{BEER}"}}
{{"age_check":{{"confirmed":true}}}}
{{"void_sale":{{}}}}
{{"scan":"{BEER}"}}
{{"tender":{{"cash":"10.00"}}}}
{{"age_check":{{"confirmed":true}}}}
{{"suspend":{{}}}}
{{"resume":{{"id":"1"}}}}
{{"tender":{{"cash":"10.00"}}}}
{{"age_check":{{"confirmed":true}}}}
{{"tender":{{"cash":"10.00"}}}}
"#
    );
    let out = run_script(work.path(), &script);
    assert_eq!(out.len(), 14);
    assert_eq!(out[4]["age_check"]["status"], "confirmed");
    assert_eq!(out[5]["ok"], true);
    assert!(out[5].get("age_check").is_none());
    assert_eq!(out[6]["age_check"]["status"], "required");
    assert_eq!(code(&out[7]), "age_check_required");
    assert_eq!(out[9]["suspended"], "1");
    assert_eq!(out[10]["age_check"]["status"], "required", "{}", out[10]);
    assert_eq!(code(&out[11]), "age_check_required");
    assert_eq!(out[13]["sale"]["total"], "6.50");
    let (journal, _) = journal_and_events(work.path());
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0]["age_check"]["operator_id"], "2001");
}

#[test]
fn a_sale_without_restricted_items_is_unchanged() {
    let work = tempfile::tempdir().unwrap();
    seed(work.path());
    let script = format!(
        r#"{OPEN}{{"scan":"{WATER}"}}
{{"age_check":{{"confirmed":true}}}}
{{"tender":{{"cash":"2.00"}}}}
"#
    );
    let out = run_script(work.path(), &script);
    assert_eq!(code(&out[4]), "nothing_to_check");
    assert_eq!(out[5]["ok"], true);
    assert!(out.iter().all(|a| a.get("age_check").is_none()));
    assert_eq!(out[5]["sale"]["total"], "2.00");
    let (journal, events) = journal_and_events(work.path());
    assert!(journal[0].get("age_check").is_none());
    assert!(!events[0].to_string().contains("age_check"));
}
