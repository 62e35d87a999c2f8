//! `storepos doctor` on a seeded till with simulated devices: with HQ running and the
//! token accepted, with a token HQ refuses, and with HQ down; and the environment
//! overrides of the configuration (`STOREPOS_<TABLE>__<KEY>`, `STOREPOS_LOG_FORMAT`).

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::hq::{Database, Hq, free_port, setup, storepos, with_hq_settings};
use crate::common::run_script;

/// A till of [`setup`] (demo data, registered with HQ) with HQ's public coupon key set and
/// one sale in its journal.
fn till(db: &Database) -> tempfile::TempDir {
    let (work, _token) = setup(db);
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
    let path = work.path().join("storepos.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        format!(
            "{config}\n[loyalty]\ncoupon_key = \"{}\"\n",
            hex::encode(key.to_bytes())
        ),
    )
    .unwrap();
    let answers = run_script(
        work.path(),
        "{\"sign_in\":{\"operator\":\"1001\",\"pin\":\"1234\"}}\n{\"open_shift\":{\"float\":\"0\"}}\n\
         {\"scan\":\"6901234567892\"}\n{\"tender\":{\"cash\":\"50.00\"}}\n",
    );
    assert!(answers.iter().all(|a| a["ok"] == true), "{answers:?}");
    work
}

/// Runs `storepos --data-dir store doctor --json` in `dir`: its exit status and checks.
fn doctor(dir: &std::path::Path) -> (bool, Vec<Value>) {
    let out = storepos(dir)
        .args(["--data-dir", "store", "doctor", "--json"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let checks: Vec<Value> =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not one JSON array ({e}):\n{text}"));
    for c in &checks {
        assert!(c["name"].is_string() && c["detail"].is_string(), "{c}");
        assert!(
            ["ok", "warn", "fail"].contains(&c["status"].as_str().unwrap()),
            "{c}"
        );
        // Every check that is not ok says what to do.
        if c["status"] != "ok" {
            assert!(!c["remedy"].as_str().unwrap_or("").is_empty(), "{c}");
        }
    }
    (out.status.success(), checks)
}

fn check<'a>(checks: &'a [Value], name: &str) -> &'a Value {
    checks
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name} in {checks:#?}"))
}

#[test]
fn doctor_passes_a_seeded_till_with_hq_running() {
    let db = Database::sqlite();
    let work = till(&db);
    let _hq = Hq::start(work.path());
    let (ok, checks) = doctor(work.path());
    // The store speaks Chinese (the default): without a CJK font that check fails.
    assert_eq!(ok, has_cjk_font(), "{checks:#?}");
    for name in [
        "config",
        "data directory",
        "hq",
        "clock",
        "coupon key",
        "journal",
        "outbox",
        "device: scanner",
        "device: card reader",
        "device: receipt printer",
        "device: cash drawer",
        "device: line display",
    ] {
        assert_eq!(check(&checks, name)["status"], "ok", "{name}: {checks:#?}");
    }
    assert!(
        check(&checks, "hq")["detail"]
            .as_str()
            .unwrap()
            .contains("accepts the token")
    );
    // HQ's answers carry a Date, so the clock was compared.
    assert!(
        check(&checks, "clock")["detail"]
            .as_str()
            .unwrap()
            .contains("of HQ")
    );
    let journal = check(&checks, "journal")["detail"].as_str().unwrap();
    assert!(journal.contains("1 entries verified"), "{journal}");
    assert!(
        check(&checks, "data directory")["detail"]
            .as_str()
            .unwrap()
            .contains("free")
    );
    // The plain report says the same, one line a check.
    let out = storepos(work.path())
        .args(["--data-dir", "store", "doctor"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.success(), has_cjk_font(), "{text}");
    assert!(text.contains("accepts the token"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("ok") && l.contains("journal")),
        "{text}"
    );
}

fn has_cjk_font() -> bool {
    std::process::Command::new("fc-list")
        .args([":lang=zh", "family"])
        .output()
        .is_ok_and(|o| !o.stdout.is_empty())
}

#[test]
fn doctor_fails_when_hq_refuses_the_token() {
    let db = Database::sqlite();
    let work = till(&db);
    let _hq = Hq::start(work.path());
    let path = work.path().join("storepos.toml");
    let config: String = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("token = "))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&path, config).unwrap();
    with_hq_settings(work.path(), "token = \"S001.T01.not-a-token\"\n");
    let (ok, checks) = doctor(work.path());
    assert!(!ok, "exit status 0 with a refused token: {checks:#?}");
    let hq = check(&checks, "hq");
    assert_eq!(hq["status"], "fail", "{hq}");
    assert!(hq["detail"].as_str().unwrap().contains("401"), "{hq}");
    assert!(
        hq["remedy"]
            .as_str()
            .unwrap()
            .contains("token not accepted: register with storepos hq register"),
        "{hq}"
    );
    // HQ answered all the same: the clock is still compared.
    assert_eq!(check(&checks, "clock")["status"], "ok", "{checks:#?}");
    assert_eq!(check(&checks, "journal")["status"], "ok");
}

#[test]
fn doctor_fails_when_hq_is_down() {
    let db = Database::sqlite();
    let work = till(&db);
    // No HQ running at hq.url.
    let (ok, checks) = doctor(work.path());
    assert!(!ok, "exit status 0 with HQ down: {checks:#?}");
    let hq = check(&checks, "hq");
    assert_eq!(hq["status"], "fail", "{hq}");
    assert!(
        hq["detail"].as_str().unwrap().contains("not reachable"),
        "{hq}"
    );
    assert!(
        hq["remedy"].as_str().unwrap().contains("storepos-hq"),
        "{hq}"
    );
    let clock = check(&checks, "clock");
    assert_eq!(clock["status"], "warn", "{clock}");
    // The sale waits in the outbox (HQ was never up), seconds old: not yet a problem.
    let outbox = check(&checks, "outbox");
    assert!(
        outbox["detail"].as_str().unwrap().contains("wait for HQ"),
        "{outbox}"
    );
    assert_eq!(check(&checks, "journal")["status"], "ok");
    assert_eq!(check(&checks, "device: scanner")["status"], "ok");
    // The plain report says what to do, and exits non-zero.
    let out = storepos(work.path())
        .args(["--data-dir", "store", "doctor"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("FAIL") && l.contains("not reachable")),
        "{text}"
    );
    assert!(text.contains("to do:"), "{text}");
}

#[test]
fn doctor_reports_a_configuration_it_cannot_load() {
    let work = tempfile::tempdir().unwrap();
    let out = storepos(work.path())
        .env("STOREPOS_HQ__LISTEN", "nowhere")
        .args(["doctor", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let checks: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let config = check(&checks, "config");
    assert_eq!(config["status"], "fail");
    assert!(
        config["detail"]
            .as_str()
            .unwrap()
            .contains("STOREPOS_HQ__LISTEN"),
        "{config}"
    );
}

#[test]
fn environment_overrides_move_hq_and_name_a_bad_variable() {
    let db = Database::sqlite();
    let (work, _token) = setup(&db);
    let port = free_port();
    let log = work.path().join("hq.log");
    // hq.listen in the file stays; the variable moves HQ, and its log is JSON lines.
    let mut child = storepos(work.path())
        .env("STOREPOS_HQ__LISTEN", format!("127.0.0.1:{port}"))
        .env("STOREPOS_LOG_FORMAT", "json")
        .env_remove("RUST_LOG")
        .args(["hq", "serve"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let up = loop {
        let answer = reqwest::blocking::get(format!("http://127.0.0.1:{port}/health"));
        if answer.is_ok_and(|r| r.status().is_success()) {
            break true;
        }
        if started.elapsed() > Duration::from_secs(30) {
            break false;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(up, "HQ did not listen at STOREPOS_HQ__LISTEN's address");
    let logged = std::fs::read_to_string(&log).unwrap();
    let first = logged.lines().next().expect("HQ logs its start");
    let line: Value = serde_json::from_str(first)
        .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {first}"));
    assert!(
        line["level"].is_string() && line["fields"].is_object(),
        "{line}"
    );

    // An override is checked like the file, and its error names the variable.
    let out = storepos(work.path())
        .env("STOREPOS_STORE__CURRENCY", "EURO")
        .args(["config", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("environment variable STOREPOS_STORE__CURRENCY (key `store.currency`)"),
        "{said}"
    );
    // And `config show` shows what is in effect.
    let out = storepos(work.path())
        .env("STOREPOS_STORE__ID", "S002")
        .args(["config", "show"])
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("id = \"S002\""), "{shown}");
}
