//! HQ end to end against real PostgreSQL: `storepos hq` serves members and takes terminal
//! events; a terminal finds a member it has never seen through HQ (one card, every store)
//! and carries on when HQ is gone; bad requests get 4xx with a message; replays change
//! nothing; a terminal's token is refused for another store's events.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin;
use serde_json::{Value, json};

/// A fresh PostgreSQL database for one test, dropped at the end.
struct Database {
    name: String,
}

const SERVER: &str = "postgres://postgres@127.0.0.1:5432";

fn psql(sql: &str) {
    let sql = sql.to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let pool = sqlx::PgPool::connect(&format!("{SERVER}/postgres"))
            .await
            .unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&pool)
            .await
            .unwrap();
    });
}

impl Database {
    fn new() -> Database {
        let mut bytes = [0u8; 6];
        getrandom::fill(&mut bytes).unwrap();
        let name = format!("storepos_test_{}", hex::encode(bytes));
        psql(&format!("CREATE DATABASE {name}"));
        Database { name }
    }

    fn url(&self) -> String {
        format!("{SERVER}/{}", self.name)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        psql(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn storepos(dir: &std::path::Path) -> Command {
    let mut c = Command::new(cargo_bin("storepos"));
    c.current_dir(dir).env_remove("STOREPOS_CONFIG");
    c
}

fn run_ok(c: &mut Command) -> String {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

struct Hq {
    child: Child,
    url: String,
}

impl Hq {
    fn start(dir: &std::path::Path) -> Hq {
        let child = storepos(dir)
            .args(["hq", "serve"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let config = std::fs::read_to_string(dir.join("storepos.toml")).unwrap();
        let listen = config
            .lines()
            .find_map(|l| l.strip_prefix("listen = \""))
            .unwrap()
            .trim_end_matches('"')
            .to_string();
        let url = format!("http://{listen}/");
        let started = Instant::now();
        while reqwest::blocking::get(format!("{url}health"))
            .map(|r| r.status().as_u16())
            .ok()
            != Some(200)
        {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "HQ did not come up"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Hq { child, url }
    }
}

impl Drop for Hq {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A store with the demo data, HQ in a fresh database with one member only HQ knows, and
/// the terminal registered with HQ.
fn setup(db: &Database) -> (tempfile::TempDir, String) {
    let work = tempfile::tempdir().unwrap();
    common::seed(work.path());
    let port = free_port();
    let hq_only = work.path().join("hq-members.csv");
    std::fs::write(&hq_only, "card,name,phone,tier,points,home_store\n7700000000001234,Ana Souza,+5511987654321,silver,900,S002\n").unwrap();
    let base = format!(
        "[hq]\nurl = \"http://127.0.0.1:{port}/\"\ndatabase = \"{}\"\nlisten = \"127.0.0.1:{port}\"\n",
        db.url()
    );
    std::fs::write(work.path().join("storepos.toml"), &base).unwrap();
    run_ok(
        storepos(work.path())
            .args(["hq", "import-members"])
            .arg(&hq_only),
    );
    let token = run_ok(storepos(work.path()).args([
        "hq",
        "register",
        "--store",
        "S001",
        "--terminal",
        "T01",
    ]))
    .trim()
    .to_string();
    let with_token = base.replace("[hq]\n", &format!("[hq]\ntoken = \"{token}\"\n"));
    std::fs::write(work.path().join("storepos.toml"), with_token).unwrap();
    (work, token)
}

#[test]
fn a_card_from_another_store_is_found_at_hq_and_offline_the_till_sells_on() {
    let db = Database::new();
    let (work, _token) = setup(&db);
    let hq = Hq::start(work.path());
    let script = r#"{"sign_in":{"operator":"1001","pin":"1234"}}
{"open_shift":{"float":"0"}}
{"member":"7700000000001234"}
{"scan":"6901234567892"}
"#;
    let out = common::run_script(work.path(), script);
    let badge = &out[2]["member"];
    assert_eq!(badge["name"], "Ana Souza", "{}", out[2]);
    assert_eq!(badge["points"], 900);
    drop(hq);
    // HQ gone: the member is now in the till's cache; an unknown card is just unknown, fast.
    let script = r#"{"sign_in":{"operator":"1001","pin":"1234"}}
{"swipe":";7700000000001234=4912?"}
{"member":"7700000000005678"}
{"scan":"6901234567892"}
{"tender":{"cash":"2.00"}}
"#;
    let started = Instant::now();
    let out = common::run_script(work.path(), script);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(out[1]["member"]["name"], "Ana Souza", "{}", out[1]);
    assert_eq!(out[2]["error"]["code"], "unknown_member", "{}", out[2]);
    assert_eq!(out[4]["sale"]["receipt_no"], 1, "{}", out[4]);
}

#[test]
fn bad_requests_get_4xx_replays_change_nothing_and_tokens_are_scoped() {
    let db = Database::new();
    let (work, token) = setup(&db);
    let other = run_ok(storepos(work.path()).args([
        "hq",
        "register",
        "--store",
        "S002",
        "--terminal",
        "T09",
    ]))
    .trim()
    .to_string();
    let hq = Hq::start(work.path());
    let http = reqwest::blocking::Client::new();
    let post = |token: &str, body: String| {
        let r = http
            .post(format!("{}v1/events", hq.url))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json::<Value>().unwrap_or(Value::Null))
    };
    let event = |seq: u64, points: i64| {
        let sale = storepos::store::sales::sample_sale(1, seq);
        let mut sale = serde_json::to_value(&sale).unwrap();
        sale["member_id"] = json!("7700000000001234");
        sale["loyalty"] = json!({
            "member_id": "7700000000001234", "name": "Ana", "tier": "silver", "earned": points,
            "redeemed": 0, "balance_before": 0, "balance_after": points,
            "transfers": [{"id": format!("S001/T01/{seq}:earn:0"), "member_id": "7700000000001234",
                "kind": "earn", "points": points, "at": "2017-12-04T01:00:00Z",
                "source": format!("S001/T01/{seq}"), "expires_at": null}]
        });
        json!({"id": uuid::Uuid::now_v7(), "store_id": "S001", "terminal_id": "T01", "seq": seq,
               "kind": "sale.completed", "payload": {"receipt_no": seq, "sale": sale},
               "at": "2017-12-04T01:00:00Z"})
    };
    let batch = |events: Vec<Value>| json!({ "events": events }).to_string();

    // Event 2 before 1: HQ keeps it, reports 1 missing, acknowledges nothing yet.
    let (status, reply) = post(&token, batch(vec![event(2, 20)]));
    assert_eq!(
        (status, &reply["acked_seq"], &reply["missing"]),
        (200, &json!(0), &json!([1]))
    );
    let (_, reply) = post(
        &token,
        batch(vec![event(1, 10), event(2, 20), event(3, 30)]),
    );
    assert_eq!(reply, json!({"acked_seq": 3, "missing": []}));
    // The same events again (new ids, as a retry after a lost answer would not have; and
    // the same ids) change nothing.
    let (_, reply) = post(&token, batch(vec![event(1, 10), event(3, 30)]));
    assert_eq!(reply["acked_seq"], 3);
    let member = http
        .get(format!("{}v1/members/7700000000001234", hq.url))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .json::<Value>()
        .unwrap();
    assert_eq!(member["points_balance"], 900 + 10 + 20 + 30, "{member}");

    // Another store's token cannot send this terminal's events.
    let (status, reply) = post(&other, batch(vec![event(4, 40)]));
    assert_eq!(status, 403, "{reply}");
    // No token, a wrong token, truncated JSON, wrong shapes: 4xx with a message.
    assert_eq!(post("nope", batch(vec![])).0, 401);
    let full = batch(vec![event(4, 40)]);
    for body in [
        full[..full.len() / 2].to_string(),
        "{}".into(),
        "[]".into(),
        "{\"events\":[{\"seq\":\"x\"}]}".into(),
    ] {
        let (status, reply) = post(&token, body.clone());
        assert!((400..500).contains(&status), "{status} for {body}");
        assert!(
            reply["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{reply}"
        );
    }
    let r = http
        .get(format!("{}v1/members/not%20a%20card", hq.url))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let r = http
        .get(format!("{}v1/members/1234567890", hq.url))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    // Metrics and the OpenAPI document are served, and the document names every route.
    let metrics = http
        .get(format!("{}metrics", hq.url))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(metrics.contains("storepos_hq_events_total"), "{metrics}");
    let doc: Value = http
        .get(format!("{}openapi.json", hq.url))
        .send()
        .unwrap()
        .json()
        .unwrap();
    for path in [
        "/health",
        "/metrics",
        "/openapi.json",
        "/v1/events",
        "/v1/members/{card}",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    drop(work);
}

#[test]
fn a_terminal_uploads_its_sales_and_hq_balances_match_the_till() {
    let db = Database::new();
    let (work, token) = setup(&db);
    let demo = work.path().join("demo-members.csv");
    std::fs::write(&demo, storepos::demo::MEMBERS_CSV).unwrap();
    run_ok(
        storepos(work.path())
            .args(["hq", "import-members"])
            .arg(&demo),
    );
    let hq = Hq::start(work.path());
    let script = r#"{"sign_in":{"operator":"1001","pin":"1234"}}
{"open_shift":{"float":"0"}}
{"member":"6200123412341234"}
{"scan":"6904000000111"}
{"tender":{"points":200}}
{"tender":{"cash":"34.00"}}
{"member":"6200123412345678"}
{"scan":"6920000000159"}
{"tender":{"card":"39.90","ref":"K1"}}
{"complaint":{"member":"6200123412345678","content":"Rice bag torn"}}
{"status":{}}
"#;
    let out = common::run_script(work.path(), script);
    let zhang_after = out[5]["sale"]["receipt"].as_str().unwrap().to_string();
    let li_earned: i64 = {
        let receipt = out[8]["sale"]["receipt"].as_str().unwrap();
        let line = receipt.lines().find(|l| l.starts_with("本次积分")).unwrap();
        line.split_whitespace()
            .last()
            .unwrap()
            .trim_start_matches('+')
            .parse()
            .unwrap()
    };
    let http = reqwest::blocking::Client::new();
    let balance = |card: &str| -> i64 {
        http.get(format!("{}v1/members/{card}", hq.url))
            .bearer_auth(&token)
            .send()
            .unwrap()
            .json::<Value>()
            .unwrap()["points_balance"]
            .as_i64()
            .unwrap()
    };
    // The till printed 张伟's new balance; HQ holds the same.
    let printed: i64 = zhang_after
        .lines()
        .find(|l| l.starts_with("积分余额"))
        .and_then(|l| l.split_whitespace().last())
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(balance("6200123412341234"), printed);
    assert_eq!(balance("6200123412345678"), 3560 + li_earned);
    // Every sale and the complaint reached HQ, once.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (sales, complaints): (i64, i64) = rt.block_on(async {
        let pool = sqlx::PgPool::connect(&db.url()).await.unwrap();
        let sales = sqlx::query_scalar("SELECT COUNT(*) FROM sales")
            .fetch_one(&pool)
            .await
            .unwrap();
        let complaints = sqlx::query_scalar("SELECT COUNT(*) FROM complaints")
            .fetch_one(&pool)
            .await
            .unwrap();
        (sales, complaints)
    });
    assert_eq!((sales, complaints), (2, 1));
    // A later session sees nothing left to send.
    let out = common::run_script(
        work.path(),
        "{\"sign_in\":{\"operator\":\"1001\",\"pin\":\"1234\"}}\n{\"status\":{}}\n",
    );
    assert_eq!(out[1]["sync"]["backlog"], 0, "{}", out[1]);
}
