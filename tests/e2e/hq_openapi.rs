//! HQ's API against its own OpenAPI document, on each backend: schemathesis (PyPI,
//! `pip install schemathesis`) generates requests from the document served at
//! `/openapi.json` (valid, edge-case and malformed) with a terminal's token and with the
//! admin token, and checks every answer: no server error, and no status, content type,
//! header or body the document does not describe. Without schemathesis in Python's
//! site-packages the test installs it under the build directory first.

use std::process::Command;
use std::sync::OnceLock;

use crate::common::hq::{Database, Hq, setup, with_hq_settings};
use crate::on_each_backend;

const ADMIN_TOKEN: &str = "staff-secret-for-schemathesis";

/// The checks every generated request is held to.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
response_schema_conformance,response_headers_conformance";

/// The version CI installs; the test installs it beside the build when Python has none.
const SCHEMATHESIS: &str = "schemathesis==4.32.5";

/// Where Python finds schemathesis: its own site-packages, or a copy this test installs
/// under the build's temporary directory (so `cargo test` needs nothing installed by hand).
fn python_path() -> &'static str {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| {
        let own = concat!(env!("CARGO_TARGET_TMPDIR"), "/schemathesis");
        let found = |path: &str| {
            Command::new("python3")
                .args(["-m", "schemathesis.cli", "--version"])
                .env("PYTHONPATH", path)
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if found("") {
            return String::new();
        }
        if !found(own) {
            let out = Command::new("python3")
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                ])
                .args(["--target", own, SCHEMATHESIS])
                .output()
                .expect("python3 is needed for this test");
            assert!(
                out.status.success(),
                "this test needs schemathesis (pip install {SCHEMATHESIS}): {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        own.to_string()
    })
}

fn schemathesis(hq: &Hq, token: &str, report: &std::path::Path) -> (bool, String) {
    let out = Command::new("python3")
        .args(["-m", "schemathesis.cli", "--no-color", "run"])
        .env("PYTHONPATH", python_path())
        .arg(format!("{}openapi.json", hq.url))
        .args(["--checks", CHECKS])
        .args(["--max-examples", "40", "--seed", "20261206"])
        // The other tests load the machine: a slow answer is not a wrong one.
        .args(["--request-timeout", "60", "--suppress-health-check", "all"])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .arg("--report=junit")
        .arg(format!("--report-dir={}", report.display()))
        // Its caches go beside the report, not into the repository.
        .current_dir(report.parent().unwrap())
        .output()
        .expect("python3 is needed for this test");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn every_answer_is_what_the_document_says(db: Database) {
    let (work, terminal_token) = setup(&db);
    with_hq_settings(work.path(), &format!("admin_token = \"{ADMIN_TOKEN}\"\n"));
    let hq = Hq::start(work.path());
    for (who, token) in [
        ("terminal", terminal_token.as_str()),
        ("admin", ADMIN_TOKEN),
    ] {
        let (passed, output) = schemathesis(&hq, token, &work.path().join(who));
        assert!(
            passed,
            "with the {who} token, schemathesis found answers outside the document:\n{output}"
        );
        // It ran every operation of the document, not none.
        let count = |label: &str| {
            output
                .lines()
                .find_map(|l| l.trim().strip_prefix(label))
                .and_then(|n| n.trim().split('/').next()?.parse::<usize>().ok())
        };
        let tested = count("Tested:");
        assert!(
            tested.is_some() && tested == count("Selected:") && tested >= Some(18),
            "with the {who} token, not every operation ran:\n{output}"
        );
    }
}

on_each_backend!(every_answer_is_what_the_document_says);
