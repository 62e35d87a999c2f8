//! Exactly once through a hostile network: three terminals of two stores sell hundreds of
//! member sales each while a fault-injecting proxy between them and HQ drops requests,
//! answers 503, loses answers after HQ applied the request, sends requests twice and
//! delays them, and HQ itself is killed and restarted mid-stream. Once the faults stop and
//! every terminal has caught up, HQ holds exactly the sales the terminals recorded, and
//! every member's balance equals their opening balance plus the transfers the terminals
//! made, with no transfer applied twice. It runs on PostgreSQL and on the embedded SQLite
//! file (where the three tills' writes serialize).

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use common::hq::{Database, Hq, free_port, register, run_ok, storepos};

/// What the proxy does to one request.
#[derive(Debug, Clone, Copy)]
enum Fault {
    Pass,
    Drop,
    Unavailable,
    LoseAnswer,
    Twice,
    Delay,
}

struct Proxy {
    port: u16,
    faults: Arc<AtomicBool>,
    counts: Arc<[AtomicU64; 6]>,
}

fn random(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// Reads one HTTP request (headers and a Content-Length body); `None` at end of stream.
fn read_request(stream: &mut BufReader<TcpStream>) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if stream.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().ok()?;
        }
        if lower.starts_with("connection:") {
            continue;
        }
        if line == "\r\n" {
            head.extend_from_slice(b"Connection: close\r\n\r\n");
            break;
        }
        head.extend_from_slice(line.as_bytes());
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body).ok()?;
    head.extend_from_slice(&body);
    Some(head)
}

/// Sends a request to HQ on a fresh connection and returns its whole answer.
fn forward(target: u16, request: &[u8]) -> Option<Vec<u8>> {
    let mut upstream = TcpStream::connect(("127.0.0.1", target)).ok()?;
    upstream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .ok()?;
    upstream.write_all(request).ok()?;
    let mut answer = Vec::new();
    upstream.read_to_end(&mut answer).ok()?;
    (!answer.is_empty()).then_some(answer)
}

impl Proxy {
    fn start(target: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let faults = Arc::new(AtomicBool::new(true));
        let counts: Arc<[AtomicU64; 6]> = Arc::new(Default::default());
        let (f, c) = (faults.clone(), counts.clone());
        std::thread::spawn(move || {
            for (n, client) in listener.incoming().enumerate() {
                let Ok(client) = client else { continue };
                let (faults, counts) = (f.clone(), c.clone());
                std::thread::spawn(move || {
                    let mut seed = 0x9E37_79B9_7F4A_7C15 ^ ((n as u64 + 1) * 0x2545_F491);
                    let mut reader = BufReader::new(client.try_clone().unwrap());
                    let mut client = client;
                    let Some(request) = read_request(&mut reader) else {
                        return;
                    };
                    let fault = if faults.load(Ordering::Relaxed) {
                        match random(&mut seed) % 10 {
                            0 => Fault::Drop,
                            1 => Fault::Unavailable,
                            2 => Fault::LoseAnswer,
                            3 => Fault::Twice,
                            4 | 5 => Fault::Delay,
                            _ => Fault::Pass,
                        }
                    } else {
                        Fault::Pass
                    };
                    counts[fault as usize].fetch_add(1, Ordering::Relaxed);
                    let answer = match fault {
                        Fault::Drop => None,
                        Fault::Unavailable => Some(
                            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                                .to_vec(),
                        ),
                        Fault::LoseAnswer => {
                            forward(target, &request);
                            None
                        }
                        Fault::Twice => {
                            forward(target, &request);
                            forward(target, &request)
                        }
                        Fault::Delay => {
                            std::thread::sleep(Duration::from_millis(random(&mut seed) % 300));
                            forward(target, &request)
                        }
                        Fault::Pass => forward(target, &request),
                    };
                    if let Some(answer) = answer {
                        let _ = client.write_all(&answer);
                    }
                    let _ = client.shutdown(std::net::Shutdown::Both);
                });
            }
        });
        Proxy {
            port,
            faults,
            counts,
        }
    }
}

const MEMBERS: [&str; 3] = ["6200123412341234", "6200123412345678", "6200987654321098"];
const ITEMS: [&str; 4] = [
    "6901234567892",
    "6904000000111",
    "6920000000159",
    "6910000000181",
];

/// A terminal's data directory, registered with HQ, its HQ address the proxy.
fn terminal(
    db: &Database,
    store: &str,
    terminal: &str,
    hq_dir: &std::path::Path,
    proxy: u16,
) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let token = register(hq_dir, store, terminal);
    std::fs::write(
        dir.path().join("storepos.toml"),
        format!(
            "[store]\nid = \"{store}\"\n[terminal]\nid = \"{terminal}\"\n[hq]\nurl = \"http://127.0.0.1:{proxy}/\"\ntoken = \"{token}\"\ndatabase = \"{}\"\n",
            db.url()
        ),
    )
    .unwrap();
    common::seed(dir.path());
    dir
}

fn script(sales: usize, salt: usize) -> String {
    let mut s = String::from(
        "{\"sign_in\":{\"operator\":\"1001\",\"pin\":\"1234\"}}\n{\"open_shift\":{\"float\":\"0\"}}\n",
    );
    for i in 0..sales {
        let k = i + salt;
        s.push_str(&format!(
            "{{\"member\":\"{}\"}}\n",
            MEMBERS[k % MEMBERS.len()]
        ));
        for j in 0..(1 + k % 3) {
            s.push_str(&format!(
                "{{\"scan\":\"{}\"}}\n",
                ITEMS[(k + j) % ITEMS.len()]
            ));
        }
        if k.is_multiple_of(4) {
            s.push_str("{\"tender\":{\"points\":100}}\n");
        }
        s.push_str("{\"tender\":{\"cash\":\"500.00\"}}\n");
    }
    s
}

fn local_counts(dir: &std::path::Path) -> (i64, Vec<(String, i64, i64)>) {
    let conn = rusqlite::Connection::open(dir.join("store/terminal.db")).unwrap();
    let sales: i64 = conn
        .query_row("SELECT COUNT(*) FROM sales", [], |r| r.get(0))
        .unwrap();
    let per_member = conn
        .prepare("SELECT member_id, SUM(points), COUNT(*) FROM points_transfers GROUP BY member_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    (sales, per_member)
}

crate::on_each_backend!(hq_ends_with_exactly_what_the_terminals_recorded_whatever_the_network_did);

fn hq_ends_with_exactly_what_the_terminals_recorded_whatever_the_network_did(db: Database) {
    let hq_dir = tempfile::tempdir().unwrap();
    let hq_port = free_port();
    std::fs::write(
        hq_dir.path().join("storepos.toml"),
        format!(
            "[hq]\ndatabase = \"{}\"\nlisten = \"127.0.0.1:{hq_port}\"\n",
            db.url()
        ),
    )
    .unwrap();
    let members = hq_dir.path().join("members.csv");
    std::fs::write(&members, storepos::demo::MEMBERS_CSV).unwrap();
    run_ok(
        storepos(hq_dir.path())
            .args(["hq", "import-members"])
            .arg(&members),
    );
    let mut hq = Hq::start(hq_dir.path());
    let proxy = Proxy::start(hq_port);
    let tills = [
        terminal(&db, "S001", "T01", hq_dir.path(), proxy.port),
        terminal(&db, "S001", "T02", hq_dir.path(), proxy.port),
        terminal(&db, "S002", "T01", hq_dir.path(), proxy.port),
    ];
    // Sell, in three processes at once, in two sessions each; HQ dies during the first.
    for session in 0..2 {
        let running: Vec<_> = tills
            .iter()
            .enumerate()
            .map(|(i, dir)| {
                let mut child = common::headless_till(dir.path())
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .unwrap();
                let text = script(150, i * 7 + session * 3);
                let mut stdin = child.stdin.take().unwrap();
                std::thread::spawn(move || {
                    let _ = stdin.write_all(text.as_bytes());
                });
                child
            })
            .collect();
        if session == 0 {
            std::thread::sleep(Duration::from_millis(1500));
            drop(hq);
            std::thread::sleep(Duration::from_millis(1500));
            hq = Hq::start(hq_dir.path());
        }
        for mut child in running {
            assert!(child.wait().unwrap().success());
        }
    }
    let injected: u64 = proxy.counts[1..]
        .iter()
        .map(|c| c.load(Ordering::Relaxed))
        .sum();
    assert!(injected > 0, "the proxy injected no fault");
    // The faults stop; every terminal catches up.
    proxy.faults.store(false, Ordering::Relaxed);
    for dir in &tills {
        run_ok(storepos(dir.path()).args(["--data-dir", "store", "sync", "--timeout", "120"]));
    }

    let hq_sales = |store: &str, terminal: &str| -> i64 {
        db.scalar(
            "SELECT COUNT(*) FROM sales WHERE store_id = $1 AND terminal_id = $2",
            &[store, terminal],
        )
    };
    let mut expected_points: std::collections::HashMap<String, (i64, i64)> = Default::default();
    for ((store, term), dir) in [("S001", "T01"), ("S001", "T02"), ("S002", "T01")]
        .iter()
        .zip(&tills)
    {
        let (sales, per_member) = local_counts(dir.path());
        assert_eq!(sales, 300, "{store}/{term} sold every basket");
        assert_eq!(
            hq_sales(store, term),
            sales,
            "HQ holds {store}/{term}'s sales exactly once"
        );
        for (member, points, count) in per_member {
            let e = expected_points.entry(member).or_default();
            e.0 += points;
            e.1 += count;
        }
    }
    for member in MEMBERS {
        let opening: i64 = storepos::demo::MEMBERS_CSV
            .lines()
            .find(|l| l.starts_with(member))
            .and_then(|l| l.split(',').nth(4))
            .unwrap()
            .parse()
            .unwrap();
        let (moved, count) = expected_points[member];
        let ledger = db.row(
            "SELECT CAST(COALESCE(SUM(points), 0) AS BIGINT), COUNT(*) FROM point_transfers
             WHERE member_id = $1 AND kind <> 'adjust'",
            &[member],
        );
        let (balance, transfers) = (ledger[0], ledger[1]);
        assert_eq!(transfers, count, "{member}: every transfer once");
        assert_eq!(
            balance, moved,
            "{member}: the ledger holds what the tills moved"
        );
        let account = db.scalar(
            "SELECT balance FROM point_accounts WHERE member_id = $1",
            &[member],
        );
        assert_eq!(
            account,
            opening + moved,
            "{member}: the balance is the sum of the ledger"
        );
    }
    drop(hq);
}

/// What [`HqProxy`] does to event uploads.
const PASS: u8 = 0;
/// Forward, then answer as an HQ that refused (parked) the batch's first event: a 422.
const REFUSE_FIRST: u8 = 1;
/// Answer a 409: HQ holds another event under the batch's first sequence.
const CONFLICT: u8 = 2;

/// A proxy in front of HQ that drops the connection of the next `drops` data-set requests
/// (`GET /v1/checkpoints/…`) unanswered, as an HQ that goes away in the middle of a `sync`
/// would, and answers event uploads as `events` says.
struct HqProxy {
    port: u16,
    drops: Arc<AtomicU64>,
    dropped: Arc<AtomicU64>,
    events: Arc<std::sync::atomic::AtomicU8>,
    posts: Arc<AtomicU64>,
}

/// The body of an HTTP message (after the blank line).
fn body_of(message: &[u8]) -> serde_json::Value {
    let at = message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(message.len(), |i| i + 4);
    serde_json::from_slice(&message[at..]).unwrap_or_default()
}

fn http_answer(status: u16, body: &serde_json::Value) -> Vec<u8> {
    let body = body.to_string();
    format!(
        "HTTP/1.1 {status} Scripted\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// How the proxy answers one upload.
fn answer_events(mode: u8, target: u16, request: &[u8]) -> Option<Vec<u8>> {
    let first = body_of(request)["events"][0].clone();
    match mode {
        CONFLICT => Some(http_answer(
            409,
            &serde_json::json!({
                "error": {"code": "seq_conflict", "message": "HQ holds another event"},
                "conflict": {
                    "seq": first["seq"],
                    "held_id": "01890a5d-ac96-774b-bcce-b302099a8057",
                    "sent_id": first["id"],
                    "message": format!("HQ holds another event under sequence {}", first["seq"]),
                },
            }),
        )),
        REFUSE_FIRST => {
            let held = body_of(&forward(target, request)?);
            Some(http_answer(
                422,
                &serde_json::json!({
                    "acked_seq": held["acked_seq"],
                    "refused": [{
                        "seq": first["seq"],
                        "id": first["id"],
                        "rule": "points_not_earned",
                        "message": "the sale claims points the programme does not give",
                        "parked": true,
                    }],
                    "error": {"code": "refused", "message": "an event broke HQ's rules"},
                }),
            ))
        }
        _ => forward(target, request),
    }
}

impl HqProxy {
    fn start(target: u16) -> HqProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let proxy = HqProxy {
            port,
            drops: Arc::new(AtomicU64::new(0)),
            dropped: Arc::new(AtomicU64::new(0)),
            events: Arc::new(std::sync::atomic::AtomicU8::new(PASS)),
            posts: Arc::new(AtomicU64::new(0)),
        };
        let (left, count, events, posts) = (
            proxy.drops.clone(),
            proxy.dropped.clone(),
            proxy.events.clone(),
            proxy.posts.clone(),
        );
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(mut client) = client else { continue };
                let (left, count, events, posts) =
                    (left.clone(), count.clone(), events.clone(), posts.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(client.try_clone().unwrap());
                    let Some(request) = read_request(&mut reader) else {
                        return;
                    };
                    let answer = if request.starts_with(b"POST /v1/events") {
                        posts.fetch_add(1, Ordering::SeqCst);
                        answer_events(events.load(Ordering::SeqCst), target, &request)
                    } else if request.starts_with(b"GET /v1/checkpoints/")
                        && left
                            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                            .is_ok()
                    {
                        count.fetch_add(1, Ordering::SeqCst);
                        None
                    } else {
                        forward(target, &request)
                    };
                    if let Some(answer) = answer {
                        let _ = client.write_all(&answer);
                    }
                    let _ = client.shutdown(std::net::Shutdown::Both);
                });
            }
        });
        proxy
    }
}

/// A till with sales HQ has not received yet, its HQ address the proxy.
fn till_behind_a_proxy() -> (Database, tempfile::TempDir, Hq, HqProxy) {
    let db = Database::sqlite();
    let (work, _) = common::hq::setup(&db);
    let hq = Hq::start(work.path());
    let config_path = work.path().join("storepos.toml");
    let config = std::fs::read_to_string(&config_path).unwrap();
    let hq_url = config
        .lines()
        .find(|l| l.starts_with("url = "))
        .unwrap()
        .to_string();
    // Sell while HQ cannot be reached, so `sync` has events to upload.
    let offline = format!("url = \"http://127.0.0.1:{}/\"", free_port());
    std::fs::write(&config_path, config.replace(&hq_url, &offline)).unwrap();
    let mut sales = String::from(
        "{\"sign_in\":{\"operator\":\"1001\",\"pin\":\"1234\"}}\n{\"open_shift\":{\"float\":\"0\"}}\n",
    );
    for item in ITEMS {
        sales.push_str(&format!(
            "{{\"scan\":\"{item}\"}}\n{{\"tender\":{{\"cash\":\"500.00\"}}}}\n"
        ));
    }
    let answers = common::run_script(work.path(), &sales);
    assert!(answers.iter().all(|a| a["ok"] == true), "{answers:?}");
    let hq_port: u16 = hq_url
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches("/\"")
        .parse()
        .unwrap();
    let dropper = HqProxy::start(hq_port);
    let through = format!("url = \"http://127.0.0.1:{}/\"", dropper.port);
    std::fs::write(&config_path, config.replace(&hq_url, &through)).unwrap();
    (db, work, hq, dropper)
}

fn backlog(work: &std::path::Path) -> i64 {
    rusqlite::Connection::open(work.join("store/terminal.db"))
        .unwrap()
        .query_row("SELECT COUNT(*) FROM outbox WHERE acked = 0", [], |r| {
            r.get(0)
        })
        .unwrap()
}

#[test]
fn sync_fetches_the_data_sets_again_when_hq_drops_during_the_fetch() {
    let (db, work, hq, dropper) = till_behind_a_proxy();
    assert!(backlog(work.path()) > 0, "the till has events to upload");
    dropper.drops.store(3, Ordering::SeqCst);
    let out =
        run_ok(storepos(work.path()).args(["--data-dir", "store", "sync", "--timeout", "30"]));
    assert!(out.contains("in sync"), "{out}");
    assert!(
        out.contains("catalogue:") && out.contains("members:"),
        "{out}"
    );
    assert_eq!(
        dropper.dropped.load(Ordering::SeqCst),
        3,
        "HQ went away thrice"
    );
    assert_eq!(backlog(work.path()), 0);
    let sales: i64 = rusqlite::Connection::open(work.path().join("store/terminal.db"))
        .unwrap()
        .query_row("SELECT COUNT(*) FROM sales", [], |r| r.get(0))
        .unwrap();
    assert_eq!(db.scalar("SELECT COUNT(*) FROM sales", &[]), sales);
    drop(hq);
}

#[test]
fn sync_gives_up_on_the_data_sets_only_when_its_time_is_up() {
    let (_db, work, hq, dropper) = till_behind_a_proxy();
    dropper.drops.store(u64::MAX, Ordering::SeqCst);
    let started = std::time::Instant::now();
    let out = storepos(work.path())
        .args(["--data-dir", "store", "sync", "--timeout", "3"])
        .output()
        .unwrap();
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("every event is at HQ") && stderr.contains("within 3 s"),
        "{stderr}"
    );
    assert!(
        dropper.dropped.load(Ordering::SeqCst) > 1,
        "asked more than once"
    );
    assert!(took >= Duration::from_secs(3), "gave up after {took:?}");
    assert!(
        took < Duration::from_secs(10),
        "ran past its time: {took:?}"
    );
    assert_eq!(backlog(work.path()), 0, "the upload itself succeeded");
    drop(hq);
}

#[test]
fn sync_lists_what_hq_refused_and_the_till_status_counts_it() {
    let (_db, work, hq, proxy) = till_behind_a_proxy();
    proxy.events.store(REFUSE_FIRST, Ordering::SeqCst);
    let out =
        run_ok(storepos(work.path()).args(["--data-dir", "store", "sync", "--timeout", "30"]));
    assert!(
        out.contains("HQ refused event 1 (points_not_earned)") && out.contains("applied nothing"),
        "{out}"
    );
    assert!(out.contains("in sync"), "{out}");
    assert_eq!(backlog(work.path()), 0, "a parked event is held at HQ");
    let recorded: i64 = rusqlite::Connection::open(work.path().join("store/terminal.db"))
        .unwrap()
        .query_row(
            "SELECT COUNT(*) FROM outbox_refusals WHERE seq = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(recorded, 1);
    let status = common::run_script(work.path(), "{\"status\":{}}\n");
    assert_eq!(status[0]["sync"]["refused"], 1, "{status:?}");
    drop(hq);
}

#[test]
fn sync_stops_and_says_why_when_hq_holds_other_events_under_its_sequences() {
    let (_db, work, hq, proxy) = till_behind_a_proxy();
    proxy.events.store(CONFLICT, Ordering::SeqCst);
    for round in 0..2 {
        let started = std::time::Instant::now();
        let out = storepos(work.path())
            .args(["--data-dir", "store", "sync", "--timeout", "20"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        for says in [
            "uploading is stopped",
            "sequence 1",
            "lost events",
            "backup",
            "new terminal id",
        ] {
            assert!(
                stderr.contains(says),
                "round {round}: {says:?} missing: {stderr}"
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "it did not wait for its timeout"
        );
    }
    assert_eq!(
        proxy.posts.load(Ordering::SeqCst),
        1,
        "nothing sent after the conflict"
    );
    // The till keeps selling; its status says why nothing reaches HQ.
    let status = common::run_script(work.path(), "{\"status\":{}}\n");
    let halted = status[0]["sync"]["halted"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(halted.contains("sequence 1"), "{status:?}");
    assert_eq!(proxy.posts.load(Ordering::SeqCst), 1);
    assert!(backlog(work.path()) > 0, "the events stay in the outbox");
    drop(hq);
}
