//! Nothing completed is lost: a process committing sales is killed with SIGKILL at random
//! moments, again and again, and the store must hold only whole sales, each with its
//! journal entry and outbox event, gap-free receipt numbers and a journal that verifies.

use crate::common;

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
        // The kill lands while sales are being committed, however slowly the binary starts.
        wait_for_sales_table(&data.join("terminal.db"));
        std::thread::sleep(Duration::from_millis(50 + random_below(400)));
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

/// Waits until the store's sales table exists (the process has opened and migrated it).
fn wait_for_sales_table(terminal_db: &std::path::Path) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let ready = terminal_db.exists()
            && rusqlite::Connection::open_with_flags(
                terminal_db,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            )
            .and_then(|c| {
                c.query_row(
                    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'sales'",
                    [],
                    |r| r.get::<_, i64>(0),
                )
            })
            .is_ok_and(|n| n == 1);
        if ready {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the store was not created within 30 s"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}
