//! HQ over HTTPS: `storepos hq serve` with a certificate from the chain's own authority, and
//! a terminal trusting that authority (`hq.ca_file`) looks members up and uploads its
//! events; a terminal that does not trust it cannot talk to HQ and sells on offline.

use crate::common;

use std::time::{Duration, Instant};

use common::hq::{Database, free_port, import_demo_members, register, run_ok, storepos};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};

#[test]
fn a_terminal_trusting_the_chain_authority_syncs_over_tls() {
    let db = Database::new();
    let work = tempfile::tempdir().unwrap();
    common::seed(work.path());
    // The chain's authority and HQ's certificate for 127.0.0.1.
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let (ca_file, cert_file, key_file) = (
        work.path().join("chain-ca.pem"),
        work.path().join("hq.pem"),
        work.path().join("hq-key.pem"),
    );
    std::fs::write(&ca_file, ca.pem()).unwrap();
    std::fs::write(&cert_file, cert.pem()).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();

    let port = free_port();
    let base = format!(
        "[hq]\nurl = \"https://127.0.0.1:{port}/\"\ndatabase = \"{}\"\nlisten = \"127.0.0.1:{port}\"\ntls_cert = \"{}\"\ntls_key = \"{}\"\n",
        db.url(),
        cert_file.display(),
        key_file.display()
    );
    std::fs::write(work.path().join("storepos.toml"), &base).unwrap();
    import_demo_members(work.path());
    let token = register(work.path(), "S001", "T01");
    let mut hq = storepos(work.path())
        .args(["hq", "serve"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let trusting = reqwest::blocking::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let started = Instant::now();
    while trusting
        .get(format!("https://127.0.0.1:{port}/health"))
        .send()
        .map(|r| r.status().as_u16())
        .ok()
        != Some(200)
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "HQ did not come up over TLS"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Plain HTTP gets nothing.
    assert!(reqwest::blocking::get(format!("http://127.0.0.1:{port}/health")).is_err());

    let script = "{\"sign_in\":{\"operator\":\"1001\",\"pin\":\"1234\"}}\n{\"open_shift\":{\"float\":\"0\"}}\n{\"member\":\"7700000000000000\"}\n{\"scan\":\"6901234567892\"}\n{\"tender\":{\"cash\":\"2.00\"}}\n";
    // Without the authority the till cannot reach HQ: it sells offline and keeps its events.
    std::fs::write(
        work.path().join("storepos.toml"),
        format!("{base}token = \"{token}\"\n"),
    )
    .unwrap();
    let out = common::run_script(work.path(), script);
    assert_eq!(out[4]["sale"]["receipt_no"], 1, "{}", out[4]);
    let refused = storepos(work.path())
        .args(["--data-dir", "store", "sync", "--timeout", "3"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    // Trusting the chain's authority, it catches up over TLS.
    std::fs::write(
        work.path().join("storepos.toml"),
        format!(
            "{base}token = \"{token}\"\nca_file = \"{}\"\n",
            ca_file.display()
        ),
    )
    .unwrap();
    let synced =
        run_ok(storepos(work.path()).args(["--data-dir", "store", "sync", "--timeout", "30"]));
    assert!(synced.contains("in sync"), "{synced}");
    let out = common::run_script(
        work.path(),
        "{\"sign_in\":{\"operator\":\"1001\",\"pin\":\"1234\"}}\n{\"status\":{}}\n",
    );
    assert_eq!(out[1]["sync"]["backlog"], 0, "{}", out[1]);
    let _ = hq.kill();
    let _ = hq.wait();
}
