//! Promotions from the catalogue at the till: imported from a file, applied by the engine
//! with the documented best result, inside their time windows, shown per line and printed
//! on the receipt; a bad promotions file imports nothing.

use crate::common;

use assert_cmd::Command;
use common::{run_script, seed, seed_with_promotions};

#[test]
fn the_best_promotion_applies_inside_its_window_and_prints_on_the_receipt() {
    let work = tempfile::tempdir().unwrap();
    seed_with_promotions(work.path());
    // Monday 2017-12-04, 08:30 local: the morning egg offer (07–10) runs; at 11:00 it does not.
    let script = r#"{"set_clock":"2017-12-04T08:30:00+08:00"}
{"sign_in":{"operator":"1001","pin":"1234"}}
{"open_shift":{"float":"100.00"}}
{"scan":"6910000000181"}
{"quantity":"3"}
{"scan":"6920000000395"}
{"scan":"6904000000289"}
{"scan":"6920000000227"}
{"tender":{"cash":"100.00"}}
{"set_clock":"2017-12-04T11:00:00+08:00"}
{"scan":"6920000000227"}
{"scan":"6910000000181"}
{"scan":"6910000000181"}
"#;
    let out = run_script(work.path(), script);
    assert!(out.iter().all(|a| a["ok"] == true), "{out:?}");
    // Three colas: buy two, the third free (3.00 off 9.00).
    let cola = &out[4]["basket"]["lines"][0];
    assert_eq!(cola["net"], "6.00", "{cola}");
    assert_eq!(cola["promotions"][0]["id"], "COLA-3FOR2");
    // Bread 12.00 + fresh milk 15.80 as the breakfast bundle for 23.80, spread by price.
    let basket = &out[6]["basket"];
    assert_eq!(basket["total"], "29.80", "{basket}");
    // Eggs 26.80 less 10% in the morning window.
    let eggs = &out[7]["basket"]["lines"][3];
    assert_eq!(eggs["discount"], "2.68", "{eggs}");
    let sale = &out[8]["sale"];
    assert_eq!(sale["total"], "53.92", "{sale}");
    assert_eq!(sale["discount"], "9.68");
    let receipt = sale["receipt"].as_str().unwrap();
    for name in ["可乐买二送一", "早餐组合（面包+鲜奶）", "早市鸡蛋9折"] {
        assert!(receipt.contains(name), "{name} missing from\n{receipt}");
    }
    // Outside the window the eggs are full price; two colas alone get nothing.
    let later = &out[12]["basket"];
    assert_eq!(later["lines"][0]["discount"], "0.00", "{later}");
    assert_eq!(later["total"], "32.80");
}

#[test]
fn a_bad_promotions_file_names_its_lines_and_imports_nothing() {
    let work = tempfile::tempdir().unwrap();
    seed(work.path());
    let file = work.path().join("bad.jsonl");
    std::fs::write(
        &file,
        r#"{"id":"OK-1","name":"fine","start":"2017-01-01T00:00:00Z","end":"2031-01-01T00:00:00Z","kind":{"percent_off":{"target":"any","basis_points":500}}}
{"id":"BAD-1","name":"backwards","start":"2031-01-01T00:00:00Z","end":"2017-01-01T00:00:00Z","kind":{"percent_off":{"target":"any","basis_points":500}}}

{"id":"BAD-2","name":"typo","start":"2017-01-01T00:00:00Z","end":"2031-01-01T00:00:00Z","kind":{"percent_of":{"target":"any","basis_points":500}}}
{"id":"BAD-3","name":"too much","start":"2017-01-01T00:00:00Z","end":"2031-01-01T00:00:00Z","kind":{"percent_off":{"target":"any","basis_points":20000}}}
"#,
    )
    .unwrap();
    let out = Command::cargo_bin("storepos")
        .unwrap()
        .current_dir(work.path())
        .args(["--data-dir", "store", "import", "promotions"])
        .arg(&file)
        .assert()
        .failure()
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    for expected in ["line 2", "line 4", "line 5", "percent_of", "BAD-3"] {
        assert!(err.contains(expected), "'{expected}' not in: {err}");
    }
    // OK-1 (5% off everything) was not imported: a scan is at full price.
    let out = run_script(
        work.path(),
        r#"{"sign_in":{"operator":"1001","pin":"1234"}}
{"open_shift":{"float":"0"}}
{"scan":"6901234567892"}
"#,
    );
    assert_eq!(out[2]["basket"]["total"], "2.00", "{}", out[2]);
}
