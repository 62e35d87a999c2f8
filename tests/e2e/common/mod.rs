//! Helpers shared by the end-to-end tests: a seeded demo store and a headless script run
//! through the real binary.
#![allow(dead_code)]

pub mod console;
pub mod events;
pub mod hq;
pub mod till;

use assert_cmd::Command;
use serde_json::Value;

/// The headless till of the store `dir/store` reading JSON Lines from standard input, as a
/// process to spawn (standard streams left to the caller).
pub fn headless_till(dir: &std::path::Path) -> std::process::Command {
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("storepos"));
    command
        .current_dir(dir)
        .env_remove("STOREPOS_CONFIG")
        .args([
            "--data-dir",
            "store",
            "terminal",
            "--headless",
            "--script",
            "-",
        ]);
    command
}

pub fn run_script(dir: &std::path::Path, script: &str) -> Vec<Value> {
    run_bytes(dir, script.as_bytes().to_vec())
}

/// Runs raw bytes (not necessarily UTF-8) through `terminal --headless --script -` in the
/// store `dir/store` and returns the answers; the till must neither panic nor fail.
pub fn run_bytes(dir: &std::path::Path, input: Vec<u8>) -> Vec<Value> {
    let output = Command::from_std(headless_till(dir))
        .env("RUST_BACKTRACE", "1")
        .write_stdin(input)
        .timeout(std::time::Duration::from_secs(240))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "the till panicked:\n{stderr}");
    assert!(
        output.status.success(),
        "exit {:?}:\n{stderr}",
        output.status
    );
    String::from_utf8(output.stdout)
        .expect("answers are UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("each answer is one JSON line"))
        .collect()
}

/// SplitMix64: a small seeded generator for the hostile-input tests, so a failure
/// replays exactly.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Loads the demo catalogue, members and operators through the importers (no promotions,
/// so prices are the shelf prices).
pub fn seed(dir: &std::path::Path) {
    for (what, text) in [
        ("products", storepos::demo::PRODUCTS_CSV),
        ("members", storepos::demo::MEMBERS_CSV),
        ("operators", storepos::demo::OPERATORS_CSV),
    ] {
        let file = dir.join(format!("{what}.csv"));
        std::fs::write(&file, text).unwrap();
        Command::cargo_bin("storepos")
            .unwrap()
            .current_dir(dir)
            .args(["--data-dir", "store", "import", what])
            .arg(&file)
            .assert()
            .success();
    }
}

/// [`seed`] plus the demo store's promotions, imported through the CLI.
pub fn seed_with_promotions(dir: &std::path::Path) {
    seed(dir);
    let file = dir.join("promotions.jsonl");
    std::fs::write(&file, storepos::demo::PROMOTIONS_JSONL).unwrap();
    Command::cargo_bin("storepos")
        .unwrap()
        .current_dir(dir)
        .args(["--data-dir", "store", "import", "promotions"])
        .arg(&file)
        .assert()
        .success();
}

/// Checks what must hold after any crash and returns the number of sales: every sale
/// whole, one journal entry and one outbox event per sale, no gap in receipt numbers.
pub fn assert_whole_sales(terminal_db: &std::path::Path, round: usize) -> u64 {
    let conn = rusqlite::Connection::open(terminal_db).unwrap();
    let (sales, whole, journal, events, max_receipt) =
        storepos::store::sales::consistency(&conn).unwrap();
    assert_eq!(
        sales, whole,
        "round {round}: a sale is missing lines or tenders"
    );
    assert_eq!(
        sales, journal,
        "round {round}: sales and journal entries differ"
    );
    assert_eq!(
        sales, events,
        "round {round}: sales and outbox events differ"
    );
    assert_eq!(
        max_receipt, journal,
        "round {round}: receipt numbers have a gap"
    );
    sales
}

/// Checks the journal of the store in `data` and that it holds `entries` entries.
pub fn assert_journal_verifies(data: &std::path::Path, entries: u64) {
    let conn = rusqlite::Connection::open(data.join("terminal.db")).unwrap();
    let sealer = storepos::journal::Sealer::load(data).unwrap();
    let v = storepos::journal::verify(&conn, &sealer.verifying_key()).unwrap();
    assert_eq!(v.first_bad, None);
    assert_eq!(v.entries, entries);
}
