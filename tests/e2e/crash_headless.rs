//! Nothing completed is lost, through the headless terminal: a script of many sales is fed
//! to `storepos terminal --headless` and the process is killed with SIGKILL at random
//! moments, again and again. After every kill the store holds only whole sales, each with
//! its journal entry and outbox event, receipt numbers have no gaps, the journal verifies,
//! and every sale whose answer the terminal wrote before it died is in the store.

use crate::common;

use std::hash::{BuildHasher, Hasher};
use std::io::{BufRead, Write};
use std::process::Stdio;
use std::time::Duration;

fn random_below(n: u64) -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(n);
    h.finish() % n
}

/// Sign-in, a shift (refused after the first round, as it stays open) and many sales.
fn script(sales: usize) -> String {
    let items = [
        "6901234567892",
        "6904000000111",
        "6920000000159",
        "2104011003505",
        "6910000000181",
        "6911000000157",
    ];
    let mut s = String::from(
        "{\"sign_in\":{\"operator\":\"1001\",\"pin\":\"1234\"}}\n{\"open_shift\":{\"float\":\"100.00\"}}\n",
    );
    for i in 0..sales {
        for k in 0..(2 + i % 4) {
            s.push_str(&format!(
                "{{\"scan\":\"{}\"}}\n",
                items[(i + k) % items.len()]
            ));
        }
        s.push_str("{\"tender\":{\"cash\":\"500.00\"}}\n");
    }
    s
}

#[test]
fn sigkill_during_scripted_sales_leaves_whole_sales_and_loses_no_answered_sale() {
    let work = tempfile::tempdir().unwrap();
    common::seed(work.path());
    let data = work.path().join("store");
    let script = script(20_000);
    let mut previous = 0;
    for round in 0..6 {
        let mut child = common::headless_till(work.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let text = script.clone();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(text.as_bytes()); // fails once the process is killed
        });
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut answered = 0u64;
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let answer: serde_json::Value = serde_json::from_str(&line).unwrap();
                if let Some(n) = answer["sale"]["receipt_no"].as_u64() {
                    answered = answered.max(n);
                }
            }
            answered
        });
        std::thread::sleep(Duration::from_millis(300 + random_below(700)));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let answered = reader.join().unwrap();
        writer.join().unwrap();

        let sales = common::assert_whole_sales(&data.join("terminal.db"), round);
        assert!(
            answered <= sales,
            "round {round}: sale {answered} was answered but is not in the store (it has {sales})"
        );
        assert!(
            sales >= previous,
            "round {round}: committed sales disappeared"
        );
        previous = sales;
    }
    assert!(previous > 0, "no sale was completed before the kills");
    common::assert_journal_verifies(&data, previous);
}
