//! HQ's limits, through `storepos hq serve` over real HTTP: no sequence number, however
//! large, costs HQ more than a bounded answer or stops it; silent and slow clients are cut
//! off; member lookups are rate-limited per terminal; a request carries a bounded number
//! of events; store settings need a store id; SIGTERM stops HQ gracefully.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use common::hq::{Database, Hq, register, setup, storepos, with_hq_settings};

crate::on_each_backend!(
    any_sequence_number_gets_a_bounded_answer_and_hq_stays_up,
    refused_events_cannot_fill_hqs_disk,
);

/// The configuration `setup` wrote, with `extra` lines added to its `[hq]` table.
/// A sale without a member, as terminal S001/T01 would send it with sequence `seq`.
fn sale(seq: u64) -> Value {
    let sale = storepos::store::sales::sample_sale(1, seq % 1_000);
    json!({"id": uuid::Uuid::now_v7(), "store_id": "S001", "terminal_id": "T01", "seq": seq,
           "kind": "sale.completed", "payload": {"receipt_no": seq, "sale": sale},
           "at": "2017-12-04T01:00:00Z"})
}

fn post(hq: &Hq, token: &str, body: String) -> (u16, String) {
    let r = reqwest::blocking::Client::new()
        .post(format!("{}v1/events", hq.url))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

fn events(list: Vec<Value>) -> String {
    json!({ "events": list }).to_string()
}

fn healthy(hq: &Hq) -> bool {
    reqwest::blocking::get(format!("{}health", hq.url)).is_ok_and(|r| r.status().as_u16() == 200)
}

fn any_sequence_number_gets_a_bounded_answer_and_hq_stays_up(db: Database) {
    let (work, token) = setup(&db);
    let hq = Hq::start(work.path());
    // A gap: one range, however many numbers it holds.
    let (status, body) = post(&hq, &token, events(vec![sale(50_000)]));
    assert_eq!(status, 200, "{body}");
    let reply: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(reply["acked_seq"], 0);
    assert_eq!(reply["missing"], json!([{"first": 1, "last": 49_999}]));
    assert_eq!(reply["missing_total"], 49_999);
    assert!(body.len() < 200, "{} bytes: {body}", body.len());
    // Out of range (0, beyond 2^53, far ahead of the acknowledgement, the largest numbers
    // JSON can carry): refused, not stored, and HQ still answers.
    for seq in [
        0,
        (1 << 53) + 1,
        2_000_000,
        100_000_000_000,
        i64::MAX as u64,
        u64::MAX,
    ] {
        let (status, body) = post(&hq, &token, events(vec![sale(seq)]));
        assert!((400..500).contains(&status), "seq {seq}: {status} {body}");
        assert!(body.len() < 2_000, "seq {seq}: {} bytes", body.len());
        assert!(healthy(&hq), "HQ stopped answering after seq {seq}");
    }
    assert_eq!(db.scalar("SELECT COUNT(*) FROM events", &[]), 1);
    // The honest events behind are taken as ever.
    let honest: Vec<Value> = (1..=3).map(sale).collect();
    let (status, body) = post(&hq, &token, events(honest));
    assert_eq!(status, 200, "{body}");
    let reply: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(reply["acked_seq"], 3);
    assert_eq!(reply["missing"], json!([{"first": 4, "last": 49_999}]));
}

/// Reads from a connection until HQ closes it (true) or `patience` runs out (false).
fn closed_by_server(mut c: TcpStream, patience: Duration) -> bool {
    c.set_read_timeout(Some(patience)).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match c.read(&mut buf) {
            Ok(0) => return true,
            // An answer (e.g. 408) before closing is fine: read on until the close.
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

#[test]
fn silent_and_slow_clients_are_cut_off_and_others_are_served() {
    let db = Database::sqlite();
    let (work, _token) = setup(&db);
    with_hq_settings(work.path(), "header_timeout = 2\nbody_timeout = 2\n");
    let hq = Hq::start(work.path());
    let addr = hq.url.trim_start_matches("http://").trim_end_matches('/');
    let mut held = Vec::new();
    for i in 0..300 {
        let mut c = TcpStream::connect(addr).unwrap();
        match i % 3 {
            // Connects and says nothing.
            0 => {}
            // Half a request line and headers.
            1 => c
                .write_all(b"POST /v1/events HTTP/1.1\r\nHost: x\r\n")
                .unwrap(),
            // Headers in full, then a body that never arrives.
            _ => c
                .write_all(
                    b"POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x\r\n\
                      Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"ev",
                )
                .unwrap(),
        }
        held.push(c);
    }
    // Meanwhile everyone else is served.
    assert!(healthy(&hq));
    let started = Instant::now();
    let open: usize = held
        .into_iter()
        .map(|c| usize::from(!closed_by_server(c, Duration::from_secs(8))))
        .sum();
    assert_eq!(
        open,
        0,
        "connections still held after {:?}",
        started.elapsed()
    );
    assert!(healthy(&hq));
}

#[test]
fn member_lookups_are_rate_limited_per_terminal() {
    let db = Database::sqlite();
    let (work, token) = setup(&db);
    let other = register(work.path(), "S001", "T02");
    with_hq_settings(work.path(), "member_lookups_per_minute = 5\n");
    let hq = Hq::start(work.path());
    let lookup = |token: &str| {
        let r = reqwest::blocking::Client::new()
            .get(format!("{}v1/members/7700000000001234", hq.url))
            .bearer_auth(token)
            .send()
            .unwrap();
        let retry = r
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string());
        (r.status().as_u16(), retry)
    };
    for _ in 0..5 {
        assert_eq!(lookup(&token).0, 200);
    }
    let (status, retry) = lookup(&token);
    assert_eq!(status, 429);
    let seconds: u64 = retry.expect("a Retry-After header").parse().unwrap();
    assert!((1..=60).contains(&seconds), "{seconds}");
    // Another terminal has its own allowance.
    assert_eq!(lookup(&other).0, 200);
}

#[test]
fn a_request_carries_a_bounded_number_of_events() {
    let db = Database::sqlite();
    let (work, token) = setup(&db);
    let hq = Hq::start(work.path());
    let (status, body) = post(&hq, &token, events((1..=1_001).map(sale).collect()));
    assert_eq!(status, 413, "{body}");
    assert_eq!(db.scalar("SELECT COUNT(*) FROM events", &[]), 0);
    let (status, body) = post(&hq, &token, events((1..=500).map(sale).collect()));
    assert_eq!(status, 200, "{body}");
    assert_eq!(db.scalar("SELECT COUNT(*) FROM events", &[]), 500);
}

#[test]
fn store_settings_are_stored_only_under_a_store_id() {
    let db = Database::sqlite();
    let (work, _token) = setup(&db);
    with_hq_settings(work.path(), "admin_token = \"staff-secret\"\n");
    let hq = Hq::start(work.path());
    let put = |store: &str| {
        reqwest::blocking::Client::new()
            .put(format!("{}v1/admin/settings/{store}", hq.url))
            .bearer_auth("staff-secret")
            .json(&json!({"name": "分店"}))
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    let long = "S".repeat(200);
    for bad in [
        "S%20001",
        "S001%0A",
        "%E5%88%86%E5%BA%97",
        "a%2Fb",
        long.as_str(),
    ] {
        let status = put(bad);
        assert!((400..500).contains(&status), "{bad}: {status}");
    }
    assert_eq!(db.scalar("SELECT COUNT(*) FROM store_settings", &[]), 0);
    assert_eq!(put("S001"), 200);
    assert_eq!(db.scalar("SELECT COUNT(*) FROM store_settings", &[]), 1);
}

#[cfg(unix)]
#[test]
fn sigterm_stops_hq_gracefully() {
    let db = Database::sqlite();
    let (work, _token) = setup(&db);
    // HQ on a port of its own, started here so the test holds its process id.
    let port = common::hq::free_port();
    let config = std::fs::read_to_string(work.path().join("storepos.toml")).unwrap();
    let listen = config
        .lines()
        .find_map(|l| l.strip_prefix("listen = \""))
        .unwrap()
        .trim_end_matches('"')
        .to_string();
    std::fs::write(
        work.path().join("second.toml"),
        config.replace(&listen, &format!("127.0.0.1:{port}")),
    )
    .unwrap();
    let mut child = storepos(work.path())
        .args(["--config", "second.toml", "hq", "serve"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/health");
    let started = Instant::now();
    while reqwest::blocking::get(&url)
        .map(|r| r.status().as_u16())
        .ok()
        != Some(200)
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "HQ did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "HQ ignored SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "HQ ended with {status} on SIGTERM");
}

fn refused_events_cannot_fill_hqs_disk(db: Database) {
    let (work, token) = setup(&db);
    let hq = Hq::start(work.path());
    // Events of a kind HQ does not know, each with megabytes of payload, and one payload
    // past the largest an event may carry.
    let big = "x".repeat(3 * 1024 * 1024);
    for seq in 1..=4u64 {
        let event = json!({"id": uuid::Uuid::now_v7(), "store_id": "S001", "terminal_id": "T01",
            "seq": seq, "kind": format!("telemetry.{}", "k".repeat(500)),
            "payload": {"blob": big}, "at": "2017-12-04T01:00:00Z"});
        let (status, body) = post(&hq, &token, events(vec![event]));
        assert_eq!(status, 422, "{}", &body[..body.len().min(300)]);
        assert!(
            body.contains("unknown_kind"),
            "{}",
            &body[..body.len().min(300)]
        );
        assert!(body.len() < 2_000, "{} bytes", body.len());
    }
    let huge = "y".repeat(9 * 1024 * 1024);
    let mut padded = sale(5);
    padded["payload"]["padding"] = json!(huge);
    let (status, body) = post(&hq, &token, events(vec![padded]));
    assert_eq!(status, 422, "{}", &body[..body.len().min(300)]);
    assert!(
        body.contains("event_too_large"),
        "{}",
        &body[..body.len().min(300)]
    );
    // Parked, so the till is not blocked, but kept only as their size and hash.
    let stored = db.scalar(
        "SELECT CAST(COALESCE(SUM(LENGTH(CAST(payload AS TEXT)) + LENGTH(kind)), 0) AS BIGINT)
         FROM events",
        &[],
    );
    assert!(stored < 2_000, "{stored} bytes of parked events");
    let (status, body) = post(&hq, &token, events(vec![sale(6)]));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"acked_seq\":6"), "{body}");
}
