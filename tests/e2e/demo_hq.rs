//! The demo's headquarters: with nothing configured the demo brings up HQ on an embedded
//! SQLite file in the demo directory and the till's events reach it; an explicit
//! PostgreSQL `hq.database` is honoured, and a kept store whose earlier events that HQ
//! lacks is reported, not waited on forever.

use predicates::prelude::*;

fn demo(dir: &std::path::Path) -> assert_cmd::assert::Assert {
    assert_cmd::Command::cargo_bin("storepos")
        .unwrap()
        .current_dir(dir)
        .env_remove("STOREPOS_CONFIG")
        .args(["demo", "--keep", "kept"])
        .assert()
        .success()
}

#[test]
fn the_demo_syncs_with_an_embedded_hq_out_of_the_box() {
    let work = tempfile::tempdir().unwrap();
    demo(work.path())
        .stdout(predicate::str::contains("embedded SQLite database"))
        .stdout(predicate::str::contains(
            "HQ acknowledges all of them up to #4",
        ))
        .stdout(predicate::str::contains(
            "张伟 has 12608 points at HQ, the balance the receipt printed",
        ));
    assert!(work.path().join("kept/hq.db").exists());
    // The configured HQ file is left alone; the kept store keeps its HQ, so a second run's
    // events follow the first's there.
    assert!(!work.path().join("storepos-hq.db").exists());
    demo(work.path()).stdout(predicate::str::contains(
        "HQ acknowledges all of them up to #8",
    ));
}

#[test]
fn the_demo_uses_postgresql_when_hq_database_names_it() {
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        work.path().join("storepos.toml"),
        "[hq]\ndatabase = \"postgres://postgres@127.0.0.1:5432/postgres\"\n",
    )
    .unwrap();
    demo(work.path())
        .stdout(predicate::str::contains(
            "PostgreSQL database storepos_demo",
        ))
        .stdout(predicate::str::contains(
            "HQ acknowledges all of them up to #4",
        ));
    assert!(!work.path().join("kept/hq.db").exists());
    // Run again on the kept store: the recreated database lacks the first run's events.
    demo(work.path()).stdout(predicate::str::contains(
        "HQ lacks events 1–4 an earlier HQ acknowledged",
    ));
}
