//! The journal anchored outside the till: a till sells and uploads to a real HQ process,
//! then its data directory is tampered with as whoever can edit it could (entries cut,
//! an entry rewritten and the chain signed again with the till's key, the key replaced and
//! everything signed again, a `sales` row edited). `journal verify` alone cannot tell the
//! first three; `journal verify --against-hq` compares the journal with the anchors HQ
//! keeps and names the first bad receipt. Edits to the sales tables are found locally.

use crate::common;

use std::path::Path;

use chrono::{DateTime, Utc};
use common::hq::{Database, Hq, run_ok, second_till, setup, storepos};
use rusqlite::Connection;
use storepos::journal::{self, Sealer};

const SALES: u64 = 5;

/// A till of `setup` with five sales, every one uploaded to HQ.
fn till_with_sales(db: &Database) -> (tempfile::TempDir, Hq, String) {
    let (work, token) = setup(db);
    let hq = Hq::start(work.path());
    let mut script = String::from(
        "{\"sign_in\":{\"operator\":\"1001\",\"pin\":\"1234\"}}\n{\"open_shift\":{\"float\":\"0\"}}\n",
    );
    for item in [
        "6901234567892",
        "6904000000111",
        "6920000000159",
        "6910000000181",
        "6901234567892",
    ] {
        script.push_str(&format!(
            "{{\"scan\":\"{item}\"}}\n{{\"tender\":{{\"cash\":\"500.00\"}}}}\n"
        ));
    }
    let answers = common::run_script(work.path(), &script);
    assert!(answers.iter().all(|a| a["ok"] == true), "{answers:?}");
    run_ok(storepos(work.path()).args(["--data-dir", "store", "sync", "--timeout", "30"]));
    (work, hq, token)
}

/// A copy of the till's directory (configuration, data directory) to tamper with.
fn copy_of(work: &Path) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy(work, dir.path());
    dir
}

/// The till's database as whoever edits it sees it: foreign keys are a choice.
fn terminal_db(dir: &Path) -> Connection {
    let conn = Connection::open(dir.join("store/terminal.db")).unwrap();
    conn.pragma_update(None, "foreign_keys", false).unwrap();
    conn
}

/// `journal verify` (with `--against-hq` if asked): exit status, stdout, stderr.
fn verify(dir: &Path, against_hq: bool) -> (bool, String, String) {
    let mut c = storepos(dir);
    c.args(["--data-dir", "store", "journal", "verify"]);
    if against_hq {
        c.arg("--against-hq");
    }
    let out = c.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_detected(dir: &Path, against_hq: bool, receipt: u64, says: &str) {
    let (ok, stdout, stderr) = verify(dir, against_hq);
    assert!(!ok, "not detected; stdout: {stdout}");
    assert!(
        stderr.contains(&format!("journal entry {receipt} is bad")) && stderr.contains(says),
        "expected receipt {receipt} and {says:?}: {stderr}"
    );
}

/// Signs the journal again from receipt `from` on with `sealer`, keeping every entry's
/// kind, time and body (after `edit`), as whoever holds a key could.
fn resign(conn: &Connection, sealer: &Sealer, from: u64, edit: impl Fn(u64, String) -> String) {
    let entries: Vec<(u64, String, String, String)> = conn
        .prepare("SELECT receipt_no, kind, at, body FROM journal WHERE receipt_no >= ?1 ORDER BY receipt_no")
        .unwrap()
        .query_map([from as i64], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    conn.execute("DELETE FROM journal WHERE receipt_no >= ?1", [from as i64])
        .unwrap();
    for (receipt_no, kind, at, body) in entries {
        let at: DateTime<Utc> = DateTime::parse_from_rfc3339(&at).unwrap().into();
        let entry = journal::seal(
            sealer,
            journal::head(conn).unwrap(),
            &kind,
            at,
            edit(receipt_no, body),
        );
        journal::insert(conn, &entry).unwrap();
    }
}

crate::on_each_backend!(hq_keeps_each_sales_anchor_and_a_terminal_reads_only_its_own);

fn hq_keeps_each_sales_anchor_and_a_terminal_reads_only_its_own(db: Database) {
    let (work, hq, token) = till_with_sales(&db);
    // Each event carries its entry's hash and the till's key.
    let conn = terminal_db(work.path());
    let key = hex::encode(
        Sealer::load(&work.path().join("store"))
            .unwrap()
            .verifying_key()
            .to_bytes(),
    );
    let (payload, hash): (String, Vec<u8>) = conn
        .query_row(
            "SELECT o.payload, j.hash FROM outbox o JOIN sales s ON s.event_id = o.id
             JOIN journal j ON j.receipt_no = s.receipt_no WHERE s.receipt_no = 2",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let payload: serde_json::Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(payload["receipt_no"], 2);
    assert_eq!(payload["journal"]["hash"], hex::encode(hash));
    assert_eq!(payload["journal"]["key"], key);
    assert!(payload["sale"]["lines"].is_array());

    let anchors = |token: &str| -> serde_json::Value {
        reqwest::blocking::Client::new()
            .get(format!("{}v1/journal/anchors", hq.url))
            .bearer_auth(token)
            .send()
            .unwrap()
            .json()
            .unwrap()
    };
    let mine = anchors(&token);
    let list = mine["anchors"].as_array().unwrap();
    assert_eq!(list.len() as u64, SALES, "{mine}");
    assert_eq!(list[1]["receipt_no"], 2);
    assert_eq!(list[1]["hash"], payload["journal"]["hash"]);
    assert_eq!(list[1]["key"], key);
    assert_eq!(mine["next_after"], serde_json::Value::Null);
    // Another till of the same store sees none of them; no token, no anchors.
    let other = second_till(work.path(), "T02");
    let config = std::fs::read_to_string(other.path().join("storepos.toml")).unwrap();
    let other_token = config
        .lines()
        .find_map(|l| l.strip_prefix("token = \""))
        .unwrap()
        .trim_end_matches('"');
    assert_eq!(anchors(other_token)["anchors"], serde_json::json!([]));
    let status = reqwest::blocking::get(format!("{}v1/journal/anchors", hq.url))
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 401);

    let (ok, stdout, stderr) = verify(work.path(), true);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains(&format!(
            "journal matches HQ: {SALES} entries anchored at HQ, 0 not yet"
        )),
        "{stdout}"
    );
    drop(hq);
}

#[test]
fn against_hq_finds_a_cut_a_rewrite_signed_again_and_a_replaced_key() {
    let db = Database::sqlite();
    let (work, hq, _) = till_with_sales(&db);

    // Cut: the last two sales go, journal and sales rows alike.
    let cut = copy_of(work.path());
    terminal_db(cut.path())
        .execute_batch(
            "DELETE FROM sale_lines WHERE receipt_no >= 4;
             DELETE FROM sale_tenders WHERE receipt_no >= 4;
             DELETE FROM sales WHERE receipt_no >= 4;
             DELETE FROM journal WHERE receipt_no >= 4;",
        )
        .unwrap();
    let (ok, stdout, stderr) = verify(cut.path(), false);
    assert!(
        ok && stdout.contains("3 entries"),
        "locally intact: {stderr}"
    );
    assert_detected(cut.path(), true, 4, "entries were removed");

    // All of it cut: an empty journal is no excuse.
    let emptied = copy_of(work.path());
    terminal_db(emptied.path())
        .execute_batch(
            "DELETE FROM sale_lines; DELETE FROM sale_tenders; DELETE FROM sales; DELETE FROM journal;",
        )
        .unwrap();
    assert!(
        verify(emptied.path(), false).0,
        "locally there is nothing to check"
    );
    assert_detected(emptied.path(), true, 1, "is empty");

    // Rewrite: receipt 2 sold by another operator, sales row to match, the chain signed
    // again from there with the till's own key.
    let rewritten = copy_of(work.path());
    {
        let conn = terminal_db(rewritten.path());
        let sealer = Sealer::load(&rewritten.path().join("store")).unwrap();
        resign(&conn, &sealer, 2, |n, body| {
            if n != 2 {
                return body;
            }
            let mut sale: serde_json::Value = serde_json::from_str(&body).unwrap();
            sale["operator_id"] = "1002".into();
            sale.to_string()
        });
        conn.execute(
            "UPDATE sales SET operator_id = '1002' WHERE receipt_no = 2",
            [],
        )
        .unwrap();
    }
    let (ok, _, stderr) = verify(rewritten.path(), false);
    assert!(ok, "locally intact: {stderr}");
    assert_detected(rewritten.path(), true, 2, "rewritten");

    // Replaced key: a new key file, every entry signed again with it, content unchanged.
    let rekeyed = copy_of(work.path());
    {
        let dir = rekeyed.path().join("store");
        std::fs::remove_file(dir.join(journal::KEY_FILE)).unwrap();
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).unwrap();
        std::fs::write(dir.join(journal::KEY_FILE), hex::encode(secret)).unwrap();
        let forger = Sealer::load(&dir).unwrap();
        resign(&terminal_db(rekeyed.path()), &forger, 1, |_, body| body);
    }
    let (ok, _, stderr) = verify(rekeyed.path(), false);
    assert!(ok, "locally intact: {stderr}");
    assert_detected(rekeyed.path(), true, 1, "key was replaced");

    // The untouched till still matches.
    assert!(verify(work.path(), true).0);
    drop(hq);
}

#[test]
fn verify_finds_an_edited_sales_row_and_names_its_receipt() {
    let work = tempfile::tempdir().unwrap();
    common::seed(work.path());
    let mut script = String::from(
        "{\"sign_in\":{\"operator\":\"1001\",\"pin\":\"1234\"}}\n{\"open_shift\":{\"float\":\"0\"}}\n",
    );
    for item in ["6901234567892", "6904000000111", "6920000000159"] {
        script.push_str(&format!(
            "{{\"scan\":\"{item}\"}}\n{{\"scan\":\"{item}\"}}\n{{\"tender\":{{\"cash\":\"500.00\"}}}}\n"
        ));
    }
    common::run_script(work.path(), &script);
    assert!(verify(work.path(), false).0);
    for (edit, receipt, says) in [
        (
            "UPDATE sales SET total = total - 100 WHERE receipt_no = 3",
            3,
            "total",
        ),
        (
            "UPDATE sale_lines SET quantity = 7000 WHERE receipt_no = 2 AND line_no = 1",
            2,
            "quantity",
        ),
        (
            "DELETE FROM sale_tenders WHERE receipt_no = 1",
            1,
            "tenders",
        ),
    ] {
        let edited = copy_of(work.path());
        terminal_db(edited.path()).execute_batch(edit).unwrap();
        assert_detected(edited.path(), false, receipt, says);
    }
}
