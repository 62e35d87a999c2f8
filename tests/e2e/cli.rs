//! End-to-end tests of the `storepos` binary: imports (all or nothing, errors with line
//! numbers), `--data-dir`, configuration errors and lookups, on real SQLite files.

use std::io::Write;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn storepos(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("storepos").unwrap();
    cmd.current_dir(dir)
        .env_remove("STOREPOS_CONFIG")
        .env_remove("RUST_LOG")
        // `demo` opens the touch UI where there is a display; these tests run the script.
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY");
    cmd
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const GOOD_PRODUCTS: &str = "gtin,name,price,tax_rate,plu,weighed\n\
6901234567892,矿泉水,2.00,13,,0\n\
036000291452,Tissues,9.90,13,,0\n\
6920000000463,香蕉,6.98,9,4011,1\n";

#[test]
fn import_then_scan_in_the_data_dir() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("store-a");
    let file = write(work.path(), "p.csv", GOOD_PRODUCTS);
    storepos(work.path())
        .args(["--data-dir", data.to_str().unwrap(), "import", "products"])
        .arg(&file)
        .assert()
        .success()
        .stdout(predicate::str::contains("3 products imported"));
    assert!(data.join("terminal.db").exists() && data.join("catalogue.db").exists());
    // A UPC-A code finds the product imported as 12 digits, also as EAN-13.
    storepos(work.path())
        .args([
            "--data-dir",
            data.to_str().unwrap(),
            "product",
            "0036000291452",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("Tissues"));
    // A price label for PLU 4011 (prefix 21, 3.50).
    storepos(work.path())
        .args([
            "--data-dir",
            data.to_str().unwrap(),
            "product",
            "2104011003505",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("amount 3.50 CNY"));
    // The default data dir was never touched.
    assert!(!work.path().join("storepos-data").exists());
}

#[test]
fn a_bad_row_imports_nothing_and_names_its_line() {
    let work = tempfile::tempdir().unwrap();
    let good = write(work.path(), "good.csv", GOOD_PRODUCTS);
    storepos(work.path())
        .args(["import", "products"])
        .arg(&good)
        .assert()
        .success();
    // Line 2 would change a price; line 3 has a wrong check digit.
    let bad = write(
        work.path(),
        "bad.csv",
        "gtin,name,price,tax_rate\n6901234567892,矿泉水,2.50,13\n6901234567893,Typo,1.00,13\n4006381333931,Pen,x,13\n",
    );
    storepos(work.path())
        .args(["import", "products"])
        .arg(&bad)
        .assert()
        .failure()
        .stderr(predicate::str::contains("line 3: gtin"))
        .stderr(predicate::str::contains("check digit"))
        .stderr(predicate::str::contains("line 4: price"))
        .stderr(predicate::str::contains("nothing was imported"));
    storepos(work.path())
        .args(["product", "6901234567892"])
        .assert()
        .success()
        .stdout(predicate::str::contains("amount 2.00 CNY"));
    storepos(work.path())
        .args(["product", "4006381333931"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("unknown item"));
}

#[test]
fn tax_rates_are_read_against_the_rates_the_store_configured() {
    let work = tempfile::tempdir().unwrap();
    // A fraction of a configured rate: 0.13 is 13 %, never 0.13 %.
    let fractions = write(
        work.path(),
        "fractions.csv",
        "gtin,name,price,tax_rate\n6901234567892,矿泉水,2.00,0.13\n036000291452,Tissues,9.90,9\n",
    );
    storepos(work.path())
        .args(["import", "products"])
        .arg(&fractions)
        .assert()
        .success()
        .stdout(predicate::str::contains("2 products imported"));
    storepos(work.path())
        .args(["product", "6901234567892"])
        .assert()
        .success()
        .stdout(predicate::str::contains("VAT 13%"));
    // 0.07 is neither a rate nor the fraction of one of China's rates: the file is refused
    // with the line and the rates allowed, and its good line is not imported either.
    let seven =
        "gtin,name,price,tax_rate\n6920000000463,香蕉,6.98,9\n4006381333931,Pen,1.00,0.07\n";
    let file = write(work.path(), "seven.csv", seven);
    storepos(work.path())
        .args(["import", "products"])
        .arg(&file)
        .assert()
        .failure()
        .stderr(predicate::str::contains("line 3: tax_rate"))
        .stderr(predicate::str::contains("13%, 9%, 6%, 0%, 3%"))
        .stderr(predicate::str::contains("store.tax_rates"))
        .stderr(predicate::str::contains("nothing was imported"));
    for code in ["6920000000463", "4006381333931"] {
        storepos(work.path())
            .args(["product", code])
            .assert()
            .failure()
            .stderr(predicate::str::contains("unknown item"));
    }
    // A store that configured 7 % takes the same file, and 7 itself.
    let berlin = tempfile::tempdir().unwrap();
    write(
        berlin.path(),
        "storepos.toml",
        "[store]\ncurrency = \"EUR\"\nutc_offset = \"+01:00\"\ntax_rates = [\"19\", \"7\", \"9\", \"0\"]\n",
    );
    let file = write(berlin.path(), "seven.csv", seven);
    storepos(berlin.path())
        .args(["import", "products"])
        .arg(&file)
        .assert()
        .success()
        .stdout(predicate::str::contains("2 products imported"));
    storepos(berlin.path())
        .args(["product", "4006381333931"])
        .assert()
        .success()
        .stdout(predicate::str::contains("VAT 7%"));
    let file = write(
        berlin.path(),
        "more.csv",
        "gtin,name,price,tax_rate\n036000291452,Tissues,9.90,7\n6901234567892,Wasser,2.00,13\n",
    );
    storepos(berlin.path())
        .args(["import", "products"])
        .arg(&file)
        .assert()
        .failure()
        .stderr(predicate::str::contains("line 3: tax_rate: 13%"))
        .stderr(predicate::str::contains("19%, 7%, 9%, 0%"));
}

#[test]
fn header_problems_are_reported_on_line_one() {
    let work = tempfile::tempdir().unwrap();
    for (csv, expected) in [
        (
            "gtin,name,price\n6901234567892,A,1.00\n",
            "missing required column tax_rate",
        ),
        (
            "gtin,name,price,tax_rate,colour\n",
            "unknown column 'colour'",
        ),
        ("gtin,name,price,tax_rate\n6901234567892,A,1.00\n", "line 2"),
    ] {
        let file = write(work.path(), "h.csv", csv);
        storepos(work.path())
            .args(["import", "products"])
            .arg(&file)
            .assert()
            .failure()
            .stderr(predicate::str::contains(expected));
    }
    storepos(work.path())
        .args(["import", "products", "no-such-file.csv"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no-such-file.csv"));
}

#[test]
fn members_and_operators_import_and_pins_are_hashed() {
    let work = tempfile::tempdir().unwrap();
    let members = write(
        work.path(),
        "m.csv",
        "card,name,phone,tier,points,email\n6200123412341234,张伟,138 0013 8000,gold,12800,zw@example.com\n6200555566667777,Emily,,,,\n",
    );
    storepos(work.path())
        .args(["import", "members"])
        .arg(&members)
        .assert()
        .success();
    storepos(work.path())
        .args(["member", "13800138000"])
        .assert()
        .success()
        .stdout(predicate::str::contains("张伟").and(predicate::str::contains("points 12800")));
    let bad = write(
        work.path(),
        "mb.csv",
        "card,name,phone\n12,X,13800138000\n6200123412349999,Y,call me\n",
    );
    storepos(work.path())
        .args(["import", "members"])
        .arg(&bad)
        .assert()
        .failure()
        .stderr(predicate::str::contains("line 2: card"))
        .stderr(predicate::str::contains("line 3: phone"));

    let ops = write(
        work.path(),
        "o.csv",
        "id,name,role,pin\n1001,Amy,cashier,1234\n9001,Bo,manager,987654\n",
    );
    storepos(work.path())
        .args(["import", "operators"])
        .arg(&ops)
        .assert()
        .success();
    let conn = rusqlite::Connection::open(work.path().join("storepos-data/catalogue.db")).unwrap();
    let hashes: Vec<String> = conn
        .prepare("SELECT pin_hash FROM operators ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(hashes.len(), 2);
    assert!(
        hashes
            .iter()
            .all(|h| h.starts_with("$argon2id$") && !h.contains("1234"))
    );
    let bad_ops = write(
        work.path(),
        "ob.csv",
        "id,name,role,pin\n1002,Cy,boss,1234\n1003,Di,cashier,12\n",
    );
    storepos(work.path())
        .args(["import", "operators"])
        .arg(&bad_ops)
        .assert()
        .failure()
        .stderr(predicate::str::contains("line 2: role"))
        .stderr(predicate::str::contains("line 3: pin"));
}

#[test]
fn a_bad_configuration_names_the_key_and_changes_nothing() {
    let work = tempfile::tempdir().unwrap();
    for (text, key) in [
        ("[store]\ncurrency = \"EURO\"\n", "store.currency"),
        ("[terminal]\nid = 7\n", "terminal.id"),
        ("[hq]\nurl = \"nowhere\"\n", "hq.url"),
        ("data_dir = \"x\"\n[stor]\nid = \"S1\"\n", "stor"),
        ("[store\n", "not valid TOML"),
        ("[store]\nlanguage = \"de\"\n", "store.language"),
        (
            "[store]\ntax_rates = [\"13\", \"0.13\"]\n",
            "store.tax_rates",
        ),
        ("[store]\ntax_rates = []\n", "store.tax_rates"),
    ] {
        let cfg = write(work.path(), "bad.toml", text);
        storepos(work.path())
            .args(["--config"])
            .arg(&cfg)
            .args(["init"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(key));
    }
    assert!(!work.path().join("storepos-data").exists());
    assert!(!work.path().join("x").exists());
}

#[test]
fn configuration_file_is_honoured_and_data_dir_overrides_it() {
    let work = tempfile::tempdir().unwrap();
    let cfg = write(
        work.path(),
        "storepos.toml",
        "data_dir = \"from-config\"\n[store]\nid = \"SH-1\"\ncurrency = \"USD\"\n",
    );
    storepos(work.path()).arg("init").assert().success();
    assert!(work.path().join("from-config/terminal.db").exists());
    storepos(work.path())
        .args(["--config"])
        .arg(&cfg)
        .args(["--data-dir", "elsewhere", "init"])
        .assert()
        .success();
    assert!(work.path().join("elsewhere/terminal.db").exists());
    // The same directory under another currency is refused, naming the key.
    storepos(work.path())
        .args(["--data-dir", "elsewhere", "--config", "/dev/null", "init"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("store.currency"));
    storepos(work.path())
        .args(["config", "show"])
        .assert()
        .success()
        .stdout(predicate::str::contains("currency = \"USD\""));
}

#[test]
fn empty_database_files_are_refused_not_a_fresh_start() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("d");
    std::fs::create_dir(&data).unwrap();
    std::fs::File::create(data.join("terminal.db")).unwrap();
    storepos(work.path())
        .args(["--data-dir", "d", "init"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("terminal.db is empty (0 bytes)"))
        .stderr(predicate::str::contains("--reprovision"));
    assert_eq!(
        std::fs::metadata(data.join("terminal.db")).unwrap().len(),
        0
    );
    // An empty catalogue beside a good sales file is refused the same way.
    std::fs::remove_file(data.join("terminal.db")).unwrap();
    storepos(work.path())
        .args(["--data-dir", "d", "init"])
        .assert()
        .success();
    std::fs::remove_file(data.join("catalogue.db")).unwrap();
    std::fs::File::create(data.join("catalogue.db")).unwrap();
    storepos(work.path())
        .args(["--data-dir", "d", "product", "6901234567892"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("catalogue.db is empty (0 bytes)"))
        .stderr(predicate::str::contains("storepos sync"));
    // A brand-new directory still starts from nothing.
    storepos(work.path())
        .args(["--data-dir", "new", "init"])
        .assert()
        .success();
    let conn = rusqlite::Connection::open(work.path().join("new/terminal.db")).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, storepos::store::TERMINAL_VERSION);
}

/// Seeds the demo catalogue into `work/store` and sells `sales` waters there.
fn a_till_with_sales(work: &Path, sales: usize) {
    for (what, text) in [
        ("products", storepos::demo::PRODUCTS_CSV),
        ("operators", storepos::demo::OPERATORS_CSV),
    ] {
        let file = write(work, &format!("{what}.csv"), text);
        storepos(work)
            .args(["--data-dir", "store", "import", what])
            .arg(&file)
            .assert()
            .success();
    }
    let mut script = String::from(
        "{\"sign_in\":{\"operator\":\"1001\",\"pin\":\"1234\"}}\n{\"open_shift\":{\"float\":\"0\"}}\n",
    );
    for _ in 0..sales {
        script.push_str("{\"scan\":\"6901234567892\"}\n{\"tender\":{\"cash\":\"2.00\"}}\n");
    }
    sell(work, &script).success();
}

fn sell(work: &Path, script: &str) -> assert_cmd::assert::Assert {
    assert_cmd::Command::from_std(crate::common::headless_till(work))
        .env_remove("RUST_LOG")
        .write_stdin(script.to_string())
        .assert()
}

#[test]
fn a_lost_terminal_db_is_refused_until_restored_or_reprovisioned() {
    let work = tempfile::tempdir().unwrap();
    a_till_with_sales(work.path(), 3);
    let data = work.path().join("store");
    let backup = work.path().join("backup.db");
    {
        let conn = rusqlite::Connection::open(data.join("terminal.db")).unwrap();
        conn.execute("VACUUM INTO ?1", [backup.to_str().unwrap()])
            .unwrap();
    }
    for f in ["terminal.db", "terminal.db-wal", "terminal.db-shm"] {
        let _ = std::fs::remove_file(data.join(f));
    }
    let refused = |args: &[&str]| {
        storepos(work.path())
            .args(["--data-dir", "store"])
            .args(args)
            .write_stdin("{\"status\":{}}\n")
            .assert()
            .failure()
            .stderr(predicate::str::contains("terminal.db is missing"))
            .stderr(predicate::str::contains("restore terminal.db"))
            .stderr(predicate::str::contains(
                "storepos init --reprovision --terminal NEW_ID",
            ));
    };
    refused(&["terminal", "--headless", "--script", "-"]);
    refused(&["init"]);
    refused(&["sync", "--timeout", "1"]);
    refused(&["journal", "verify"]);
    refused(&["demo", "--headless", "--keep", "store"]);
    assert!(!data.join("terminal.db").exists(), "nothing was re-created");

    // Re-provisioning under the lost id is refused: HQ holds its sequence.
    storepos(work.path())
        .args([
            "--data-dir",
            "store",
            "init",
            "--reprovision",
            "--terminal",
            "T01",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("already served"));
    storepos(work.path())
        .args([
            "--data-dir",
            "store",
            "init",
            "--reprovision",
            "--terminal",
            "T02",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("terminal.id = \"T02\""));
    let aside: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("set-aside-"))
        .collect();
    assert_eq!(aside.len(), 1);
    assert!(aside[0].path().join("terminal.key").exists());
    // The configuration still names the lost terminal: refused, naming the key.
    sell(work.path(), "{\"status\":{}}\n")
        .failure()
        .stderr(predicate::str::contains("terminal.id"));
    write(work.path(), "storepos.toml", "[terminal]\nid = \"T02\"\n");
    let out = sell(
        work.path(),
        "{\"sign_in\":{\"operator\":\"1001\",\"pin\":\"1234\"}}\n{\"open_shift\":{\"float\":\"0\"}}\n{\"scan\":\"6901234567892\"}\n{\"tender\":{\"cash\":\"2.00\"}}\n",
    )
    .success()
    .get_output()
    .stdout
    .clone();
    assert!(String::from_utf8_lossy(&out).contains("R/S001/T02/00000001"));
    storepos(work.path())
        .args(["--data-dir", "store", "journal", "verify"])
        .assert()
        .success();
}

#[test]
fn a_restored_terminal_db_carries_on_where_it_was() {
    let work = tempfile::tempdir().unwrap();
    a_till_with_sales(work.path(), 2);
    let data = work.path().join("store");
    let backup = work.path().join("backup.db");
    {
        let conn = rusqlite::Connection::open(data.join("terminal.db")).unwrap();
        conn.execute("VACUUM INTO ?1", [backup.to_str().unwrap()])
            .unwrap();
    }
    std::fs::write(data.join("terminal.db"), b"").unwrap();
    for f in ["terminal.db-wal", "terminal.db-shm"] {
        let _ = std::fs::remove_file(data.join(f));
    }
    sell(work.path(), "{\"status\":{}}\n")
        .failure()
        .stderr(predicate::str::contains("terminal.db is empty"));
    std::fs::copy(&backup, data.join("terminal.db")).unwrap();
    let out = sell(
        work.path(),
        "{\"sign_in\":{\"operator\":\"1001\",\"pin\":\"1234\"}}\n{\"scan\":\"6901234567892\"}\n{\"tender\":{\"cash\":\"2.00\"}}\n",
    )
    .success()
    .get_output()
    .stdout
    .clone();
    assert!(String::from_utf8_lossy(&out).contains("R/S001/T01/00000003"));
}

#[test]
fn a_missing_signing_key_beside_a_journal_is_an_error_not_a_new_key() {
    let work = tempfile::tempdir().unwrap();
    a_till_with_sales(work.path(), 1);
    let key = work.path().join("store/terminal.key");
    std::fs::remove_file(&key).unwrap();
    sell(work.path(), "{\"status\":{}}\n")
        .failure()
        .stderr(predicate::str::contains("terminal.key"))
        .stderr(predicate::str::contains("restore"));
    assert!(!key.exists(), "no new key was made");
    storepos(work.path())
        .args(["--data-dir", "store", "journal", "verify"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("terminal.key"));
}

#[test]
fn every_subcommand_has_help() {
    let work = tempfile::tempdir().unwrap();
    for args in [
        vec!["--help"],
        vec!["demo", "--help"],
        vec!["init", "--help"],
        vec!["terminal", "--help"],
        vec!["import", "--help"],
        vec!["import", "products", "--help"],
        vec!["import", "members", "--help"],
        vec!["import", "operators", "--help"],
        vec!["import", "completejourney", "--help"],
        vec!["product", "--help"],
        vec!["member", "--help"],
        vec!["config", "--help"],
        vec!["doctor", "--help"],
        vec!["journal", "verify", "--help"],
        vec!["journal", "export", "--help"],
        vec!["config", "default", "--help"],
        vec!["bench", "catalogue", "--help"],
        vec!["bench", "persist", "--help"],
        vec!["bench", "replay", "--help"],
        vec!["bench", "scan", "--help"],
        vec!["bench", "members", "--help"],
        vec!["bench", "hq", "--help"],
        vec!["import", "promotions", "--help"],
        vec!["import", "codes", "--help"],
        vec!["sync", "--help"],
        vec!["hq", "--help"],
        vec!["hq", "serve", "--help"],
        vec!["hq", "register", "--help"],
        vec!["hq", "import-members", "--help"],
        vec!["hq", "coupon-key", "--help"],
        vec!["hq", "issue-coupon", "--help"],
        vec!["hq", "expire", "--help"],
        vec!["hq", "report", "--help"],
        vec!["hq", "import-deals", "--help"],
        vec!["hq", "lists", "--help"],
        vec!["hq", "manufacturer-report", "--help"],
    ] {
        storepos(work.path())
            .args(&args)
            .assert()
            .success()
            .stdout(predicate::str::contains("Usage"));
    }
}

#[test]
fn the_demo_store_prices_its_baskets() {
    let work = tempfile::tempdir().unwrap();
    storepos(work.path())
        .arg("demo")
        .assert()
        .success()
        .stdout(predicate::str::contains("No display"))
        .stdout(predicate::str::contains("TOTAL CNY 117.93"))
        .stdout(predicate::str::contains("expected 2"))
        .stdout(predicate::str::contains("unknown item"))
        .stdout(predicate::str::contains("[R/S001/T01/00000002]"))
        .stdout(predicate::str::contains("销售 2017-12-04 09:00"));
    // Kept, the store holds the slips the virtual printer rendered.
    storepos(work.path())
        .args(["demo", "--headless", "--keep", "kept"])
        .assert()
        .success();
    let png = std::fs::read(work.path().join("kept/price-check-1.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "not a PNG image");
}

/// A few thousand real rows of the Complete Journey, written in its own gzip CSV format.
fn sample_completejourney(dir: &Path, rows: usize) -> Option<()> {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/completejourney");
    if !shared.exists() {
        return None;
    }
    for (name, limit) in [
        ("transactions.csv.gz", rows),
        ("products.csv.gz", usize::MAX),
        ("demographics.csv.gz", usize::MAX),
    ] {
        let input =
            flate2::read::MultiGzDecoder::new(std::fs::File::open(shared.join(name)).unwrap());
        let mut out = flate2::write::GzEncoder::new(
            std::fs::File::create(dir.join(name)).unwrap(),
            flate2::Compression::fast(),
        );
        use std::io::BufRead;
        for line in std::io::BufReader::new(input)
            .lines()
            .take(limit.saturating_add(1))
        {
            writeln!(out, "{}", line.unwrap()).unwrap();
        }
        out.finish().unwrap();
    }
    Some(())
}

#[test]
fn completejourney_loads_as_a_store() {
    let work = tempfile::tempdir().unwrap();
    let cj = work.path().join("cj");
    std::fs::create_dir(&cj).unwrap();
    sample_completejourney(&cj, 5_000)
        .expect("../shared/data/completejourney is beside the repository");
    let cfg = write(
        work.path(),
        "us.toml",
        "[store]\ncurrency = \"USD\"\ntax_mode = \"exclusive\"\n",
    );
    let run = || {
        storepos(work.path())
            .args(["--config"])
            .arg(&cfg)
            .args(["import", "completejourney"])
            .arg(&cj)
            .assert()
            .success()
            .stdout(predicate::str::contains("5000 purchase lines"))
    };
    run();
    run(); // a second run replaces, it does not duplicate
    let conn = rusqlite::Connection::open(work.path().join("storepos-data/catalogue.db")).unwrap();
    let (products, members, lines) =
        storepos::import::completejourney::loaded_counts(&conn).unwrap();
    assert_eq!(lines, 5_000);
    assert!(
        products > 100 && members > 10,
        "{products} products, {members} members"
    );
    // Household 900's first purchase in the data: product 1095275 for 0.50.
    let gtin = storepos::import::completejourney::gtin_for_product(1_095_275).unwrap();
    let amount: i64 = conn
        .query_row(
            "SELECT amount FROM purchase_history WHERE member_id = '900' AND gtin = ?1 ORDER BY at LIMIT 1",
            [gtin.value() as i64],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(amount, 50);
    storepos(work.path())
        .args(["--config"])
        .arg(&cfg)
        .args(["member", "8800000900"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Household 900"));
    // Its baskets replay through the headless terminal.
    storepos(work.path())
        .args(["--config"])
        .arg(&cfg)
        .args([
            "bench",
            "replay",
            "--baskets",
            "20",
            "--from",
            "storepos-data",
            "--rounds",
            "1",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("round 1: 20 baskets"));
    // CNY is two-decimal too; JPY is not and is refused with the key named.
    let jpy = write(
        work.path(),
        "jp.toml",
        "data_dir = \"jp\"\n[store]\ncurrency = \"JPY\"\n",
    );
    storepos(work.path())
        .args(["--config"])
        .arg(&jpy)
        .args(["import", "completejourney"])
        .arg(&cj)
        .assert()
        .failure()
        .stderr(predicate::str::contains("store.currency"));
}

#[test]
fn a_corrupt_completejourney_row_imports_nothing() {
    let work = tempfile::tempdir().unwrap();
    let cj = work.path().join("cj");
    std::fs::create_dir(&cj).unwrap();
    sample_completejourney(&cj, 50).expect("shared data");
    // Replace the transactions with one good and one corrupt row.
    let mut out = flate2::write::GzEncoder::new(
        std::fs::File::create(cj.join("transactions.csv.gz")).unwrap(),
        flate2::Compression::fast(),
    );
    writeln!(out, "household_id,store_id,basket_id,product_id,quantity,sales_value,retail_disc,coupon_disc,coupon_match_disc,week,transaction_timestamp").unwrap();
    writeln!(
        out,
        "900,330,31198570044,1095275,1,0.5,0.0,0.0,0.0,1,2017-01-01T11:53:26"
    )
    .unwrap();
    writeln!(
        out,
        "900,330,31198570047,9878513,1,zero,0.1,0.0,0.0,1,2017-01-01T12:10:28"
    )
    .unwrap();
    out.finish().unwrap();
    let cfg = write(work.path(), "us.toml", "[store]\ncurrency = \"USD\"\n");
    storepos(work.path())
        .args(["--config"])
        .arg(&cfg)
        .args(["import", "completejourney"])
        .arg(&cj)
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "line 3: transactions.csv.gz: sales_value",
        ));
    let conn = rusqlite::Connection::open(work.path().join("storepos-data/catalogue.db")).unwrap();
    assert_eq!(
        storepos::import::completejourney::loaded_counts(&conn).unwrap(),
        (0, 0, 0)
    );
}

#[test]
fn journal_verify_finds_a_tampered_byte_and_export_writes_json_lines() {
    let work = tempfile::tempdir().unwrap();
    storepos(work.path()).arg("init").assert().success();
    let data = work.path().join("storepos-data");
    {
        // Real sales: verify also checks each entry's sales rows.
        let mut conn = rusqlite::Connection::open(data.join("terminal.db")).unwrap();
        let sealer = storepos::journal::Sealer::load_or_create(&data).unwrap();
        for i in 1..=4 {
            storepos::store::sales::commit(
                &mut conn,
                &sealer,
                &storepos::store::sales::sample_sale(2, i),
                chrono::Utc::now(),
            )
            .unwrap();
        }
    }
    storepos(work.path())
        .args(["journal", "verify"])
        .assert()
        .success()
        .stdout(predicate::str::contains("4 entries"));
    let out = work.path().join("journal.jsonl");
    storepos(work.path())
        .args(["journal", "export", "--out"])
        .arg(&out)
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 4);

    let conn = rusqlite::Connection::open(data.join("terminal.db")).unwrap();
    conn.execute(
        "UPDATE journal SET body = replace(body, '\"Item 1\"', '\"Item 7\"') WHERE receipt_no = 2",
        [],
    )
    .unwrap();
    storepos(work.path())
        .args(["journal", "verify"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("journal entry 2 is bad"));
}
