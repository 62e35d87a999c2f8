//! Nothing completed is lost: a process committing sales is killed with SIGKILL at random
//! moments, again and again, and the store must hold only whole sales, each with its
//! journal entry and outbox event, gap-free receipt numbers and a journal that verifies.

mod common;

use std::hash::{BuildHasher, Hasher};
use std::process::{Command, Stdio};
use std::time::Duration;

fn random_below(n: u64) -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(n);
    h.finish() % n
}

#[test]
fn sigkill_at_random_moments_leaves_whole_sales_only() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("store");
    let binary = assert_cmd::cargo::cargo_bin("storepos");
    let mut previous = 0;
    for round in 0..8 {
        let mut child = Command::new(&binary)
            .current_dir(work.path())
            .env_remove("STOREPOS_CONFIG")
            .args([
                "bench", "persist", "--sales", "1000000", "--lines", "6", "--dir",
            ])
            .arg(&data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(150 + random_below(400)));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();

        let sales = common::assert_whole_sales(&data.join("terminal.db"), round);
        assert!(
            sales >= previous,
            "round {round}: committed sales disappeared"
        );
        previous = sales;
    }
    assert!(previous > 0, "no sale was committed before the kills");
    common::assert_journal_verifies(&data, previous);
}
