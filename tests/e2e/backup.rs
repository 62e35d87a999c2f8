//! Backups taken while the till sells, and restoring them: `storepos backup` copies a live
//! data directory consistently and verifies the journal on the copy; `storepos restore`
//! puts back only a backup that is whole, verifies and is this till's.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common;
use crate::common::hq::storepos;

/// The journal's (receipt number, hash) pairs of a `terminal.db`.
fn journal(db: &Path) -> Vec<(i64, String)> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    let mut stmt = conn
        .prepare("SELECT receipt_no, hex(hash) FROM journal ORDER BY receipt_no")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// A script that signs in and sells `n` sales of one item for cash.
fn sales_script(n: usize) -> String {
    let mut script = String::from(
        "{\"sign_in\":{\"operator\":\"1001\",\"pin\":\"1234\"}}\n{\"open_shift\":{\"float\":\"0\"}}\n",
    );
    for _ in 0..n {
        script.push_str("{\"scan\":\"6901234567892\"}\n{\"tender\":{\"cash\":\"100.00\"}}\n");
    }
    script
}

fn run(c: &mut Command) -> (bool, String) {
    let out = c.output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn a_backup_taken_while_the_till_sells_restores_every_sale_durable_when_it_began() {
    let work = tempfile::tempdir().unwrap();
    common::seed(work.path());
    let db = work.path().join("store/terminal.db");

    // A till selling, sale after sale, in its own process.
    let mut till = common::headless_till(work.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let script = sales_script(20_000);
    let mut stdin = till.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(script.as_bytes());
    });
    let started = Instant::now();
    while journal(&db).len() < 20 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the till sells nothing"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let durable = journal(&db);
    let (ok, said) = run(storepos(work.path())
        .args(["--data-dir", "store", "backup"])
        .arg(work.path().join("backup")));
    assert!(ok, "{said}");
    let during = journal(&db).len();
    assert!(
        till.try_wait().unwrap().is_none() && during > durable.len(),
        "the till should still be selling while the backup is taken ({} then {during})",
        durable.len()
    );
    till.kill().unwrap();
    till.wait().unwrap();
    feeder.join().unwrap();

    // Restored into a new data directory of the same till, the journal verifies and holds
    // every sale that was durable when the backup began, exactly as it was.
    let after = work.path().join("after");
    std::fs::create_dir(&after).unwrap();
    let (ok, said) = run(storepos(&after)
        .args(["--data-dir", "store", "restore"])
        .arg(work.path().join("backup")));
    assert!(ok, "{said}");
    let (ok, said) = run(storepos(&after).args(["--data-dir", "store", "journal", "verify"]));
    assert!(ok, "{said}");
    let restored = journal(&after.join("store/terminal.db"));
    assert!(
        restored.len() >= durable.len(),
        "{} < {}",
        restored.len(),
        durable.len()
    );
    assert_eq!(restored[..durable.len()], durable[..]);
    // What the till sold after the backup is not in it, and nothing else is.
    assert_eq!(restored[..], journal(&db)[..restored.len()]);
    // The restored till opens and sells on from its last receipt, its journal whole.
    common::run_script(&after, &sales_script(1));
    let sold_on = journal(&after.join("store/terminal.db"));
    assert_eq!(sold_on.len(), restored.len() + 1);
    assert_eq!(sold_on[..restored.len()], restored[..]);
    assert_eq!(sold_on.last().unwrap().0, restored.len() as i64 + 1);
    let (ok, said) = run(storepos(&after).args(["--data-dir", "store", "journal", "verify"]));
    assert!(ok, "{said}");
}

/// A small till with a few sales, backed up into `work/backup`.
fn backed_up() -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    common::seed(work.path());
    common::run_script(work.path(), &sales_script(3));
    let (ok, said) = run(storepos(work.path())
        .args(["--data-dir", "store", "backup"])
        .arg(work.path().join("backup")));
    assert!(ok, "{said}");
    work
}

/// Restores `work/backup` into a new data directory `work/restore-here/store` with
/// `config` (TOML, may be empty); what it said, and whether it left the directory empty.
fn restore_into_new(work: &Path, config: &str) -> (bool, String, bool) {
    let here = work.join("restore-here");
    let _ = std::fs::remove_dir_all(&here);
    std::fs::create_dir_all(here.join("store")).unwrap();
    std::fs::write(here.join("storepos.toml"), config).unwrap();
    let (ok, said) = run(storepos(&here)
        .args(["--data-dir", "store", "restore"])
        .arg(work.join("backup")));
    let untouched = std::fs::read_dir(here.join("store"))
        .unwrap()
        .next()
        .is_none();
    (ok, said, untouched)
}

#[test]
fn a_backup_of_another_terminal_is_refused_and_changes_nothing() {
    let work = backed_up();
    let (ok, said, untouched) = restore_into_new(work.path(), "[terminal]\nid = \"T09\"\n");
    assert!(
        !ok && said.contains("terminal T01") && said.contains("T09"),
        "{said}"
    );
    assert!(untouched);
}

#[test]
fn a_damaged_backup_is_refused_and_changes_nothing() {
    let work = backed_up();
    let catalogue = work.path().join("backup/catalogue.db");
    let mut bytes = std::fs::read(&catalogue).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&catalogue, bytes).unwrap();
    let (ok, said, untouched) = restore_into_new(work.path(), "");
    assert!(
        !ok && said.contains("differs from what the backup's manifest recorded"),
        "{said}"
    );
    assert!(untouched);
}

#[test]
fn a_backup_whose_journal_does_not_verify_is_refused_even_with_a_matching_manifest() {
    let work = backed_up();
    let backup = work.path().join("backup");
    // A sale's journal entry rewritten, and the manifest made to match the altered file.
    let conn = rusqlite::Connection::open(backup.join("terminal.db")).unwrap();
    conn.execute(
        "UPDATE journal SET body = body || ' ' WHERE receipt_no = 2",
        [],
    )
    .unwrap();
    drop(conn);
    let manifest_path = backup.join("backup.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
    let bytes = std::fs::read(backup.join("terminal.db")).unwrap();
    for file in manifest["files"].as_array_mut().unwrap() {
        if file["name"] == "terminal.db" {
            file["bytes"] = bytes.len().into();
            file["sha256"] = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes)).into();
        }
    }
    std::fs::write(&manifest_path, manifest.to_string()).unwrap();
    let (ok, said, untouched) = restore_into_new(work.path(), "");
    assert!(!ok && said.contains("journal does not verify"), "{said}");
    assert!(untouched);
}

#[test]
fn a_backup_never_goes_into_a_directory_that_holds_something() {
    let work = backed_up();
    let (ok, said) = run(storepos(work.path())
        .args(["--data-dir", "store", "backup"])
        .arg(work.path().join("backup")));
    assert!(!ok && said.contains("is not empty"), "{said}");
}

#[test]
fn an_embedded_hq_database_is_copied_whole_while_hq_runs_and_a_postgresql_one_is_sent_to_pg_dump() {
    use crate::common::hq::{Database, Hq, register, setup};
    let db = Database::sqlite();
    let (work, _token) = setup(&db);
    let _hq = Hq::start(work.path());
    register(work.path(), "S001", "T02");
    let copy = work.path().join("hq-copy.db");
    let (ok, said) = run(storepos(work.path()).args(["hq", "backup"]).arg(&copy));
    assert!(ok, "{said}");
    // The copy is a database HQ opens, holding what HQ held: both terminals and the member.
    let conn = rusqlite::Connection::open(&copy).unwrap();
    let terminals: i64 = conn
        .query_row("SELECT COUNT(*) FROM terminals", [], |r| r.get(0))
        .unwrap();
    let members: i64 = conn
        .query_row("SELECT COUNT(*) FROM members", [], |r| r.get(0))
        .unwrap();
    assert_eq!((terminals, members), (2, 1));
    // A second backup never overwrites the first.
    let (ok, said) = run(storepos(work.path()).args(["hq", "backup"]).arg(&copy));
    assert!(!ok && said.contains("exists"), "{said}");

    let pg = Database::postgres();
    let (work, _token) = setup(&pg);
    let (ok, said) = run(storepos(work.path())
        .args(["hq", "backup"])
        .arg(work.path().join("x.db")));
    assert!(!ok && said.contains("pg_dump"), "{said}");
}
