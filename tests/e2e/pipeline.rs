//! The pipelined headless loop behaves exactly like a sequential terminal, even when a
//! commit fails: the failed tender is refused, the commands after it are run again on the
//! basket the terminal went back to, and no receipt number is skipped.

use std::io::{BufRead, BufReader, Write};

use storepos::terminal::Terminal;
use storepos::terminal::serve::serve;

#[test]
fn a_failed_commit_refuses_the_tender_and_replays_what_followed() {
    let dir = tempfile::tempdir().unwrap();
    let config = storepos::config::Config::default();
    let mut store = storepos::store::Store::open_configured(&config, dir.path()).unwrap();
    storepos::demo::seed(&mut store).unwrap();
    let mut terminal = Terminal::open(store, config).unwrap();

    let (script_rx, mut script) = std::io::pipe().unwrap();
    let (answers_rx, answers_tx) = std::io::pipe().unwrap();
    let runner = std::thread::spawn(move || {
        serve(&mut terminal, script_rx, answers_tx, None).unwrap();
    });
    let mut answers = BufReader::new(answers_rx).lines();
    let mut next = move || -> serde_json::Value {
        serde_json::from_str(&answers.next().unwrap().unwrap()).unwrap()
    };

    script
        .write_all(
            br#"{"sign_in":{"operator":"1001","pin":"1234"}}
{"open_shift":{"float":"100.00"}}
{"scan":"6901234567892"}
{"tender":{"cash":"2.00"}}
"#,
        )
        .unwrap();
    for _ in 0..3 {
        assert_eq!(next()["ok"], true);
    }
    assert_eq!(next()["sale"]["receipt_no"], 1);

    // Another process holds the write lock longer than the terminal waits for it.
    let blocker = rusqlite::Connection::open(dir.path().join("terminal.db")).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    script
        .write_all(
            br#"{"scan":"6904000000111"}
{"tender":{"cash":"54.00"}}
{"scan":"6910000000181"}
{"quantity":"2"}
"#,
        )
        .unwrap();
    assert_eq!(next()["ok"], true); // the milk
    let refused = next();
    assert_eq!(refused["error"]["code"], "commit_failed", "{refused}");
    // The cola lands in the milk's basket, as it would on a sequential terminal.
    let cola = next();
    assert_eq!(
        cola["basket"]["lines"].as_array().unwrap().len(),
        2,
        "{cola}"
    );
    let two = next();
    assert_eq!(two["basket"]["total"], "60.00", "{two}");

    blocker.execute_batch("ROLLBACK").unwrap();
    script
        .write_all(b"{\"tender\":{\"cash\":\"60.00\"}}\n")
        .unwrap();
    let sale = next();
    assert_eq!(
        sale["sale"]["receipt_no"], 2,
        "no receipt number is skipped: {sale}"
    );
    assert_eq!(sale["sale"]["lines"].as_array().unwrap().len(), 2);
    drop(script);
    runner.join().unwrap();

    let conn = rusqlite::Connection::open(dir.path().join("terminal.db")).unwrap();
    let (sales, whole, journal, events, max_receipt) =
        storepos::store::sales::consistency(&conn).unwrap();
    assert_eq!(
        (sales, whole, journal, events, max_receipt),
        (2, 2, 2, 2, 2)
    );
}
