//! Hostile input for `POST /v1/events`, on PostgreSQL and on the embedded SQLite file: an
//! honest till sells to members (points earned and redeemed, an enrolment, a complaint)
//! and uploads through its own uploader; then another store's terminal token sends
//! thousands of envelopes mutated from the honest events (re-addressed, renumbered,
//! re-kinded, payload fields replaced by huge numbers, NULs, other members' ids, other
//! types, and the takeover moves: another store's card, a foreign member, minted points).
//! HQ answers every request with a status below 500, stays up, and what the honest till
//! sent is exactly what HQ holds for its members; the honest till's next sales still go
//! through.

use crate::common;

use serde_json::{Value, json};

use common::Rng;
use common::hq::{Database, Hq, import_demo_members, register, setup};

crate::on_each_backend!(another_stores_token_changes_nothing_the_honest_till_said);

/// Every path to a node of `v` (object keys and array indexes).
fn paths(v: &Value, here: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(here.clone());
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                here.push(json!(k));
                paths(child, here, out);
                here.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                here.push(json!(i));
                paths(child, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn node<'a>(v: &'a mut Value, path: &[Value]) -> &'a mut Value {
    path.iter().fold(v, |v, step| match step {
        Value::String(k) => &mut v[k.as_str()],
        Value::Number(i) => &mut v[i.as_u64().unwrap() as usize],
        _ => unreachable!(),
    })
}

/// Values an attacker puts in place of a field.
fn hostile_value(rng: &mut Rng, honest: &HonestFacts) -> Value {
    match rng.below(16) {
        0 => json!(i64::MAX),
        1 => json!(u64::MAX),
        2 => json!(1_i64 << 62),
        3 => json!(-1_000_000_000_i64),
        4 => json!(1_000_000),
        5 => json!("a\u{0}b"),
        6 => json!("x".repeat(10_000)),
        7 => Value::Null,
        8 => json!([]),
        9 => json!({}),
        10 => json!(rng.pick(&honest.members).clone()),
        11 => json!(rng.pick(&honest.cards).clone()),
        12 => json!("adjust"),
        13 => json!("S001"),
        14 => json!(1.5),
        _ => json!(true),
    }
}

/// What the honest till's events name, for the attacker to aim at.
struct HonestFacts {
    members: Vec<String>,
    cards: Vec<String>,
}

/// One envelope mutated from an honest one, sent as terminal S002/T09.
fn mutate(rng: &mut Rng, honest: &[Value], facts: &HonestFacts) -> Value {
    let mut e = rng.pick(honest).clone();
    e["store_id"] = json!("S002");
    e["terminal_id"] = json!("T09");
    if rng.below(2) == 0 {
        e["id"] = json!(uuid::Uuid::now_v7());
    }
    e["seq"] = match rng.below(8) {
        0 => json!(0),
        1 => json!(u64::MAX),
        2 => json!(1_u64 << 60),
        3 => json!(rng.below(5_000_000)),
        _ => json!(1 + rng.below(300)),
    };
    if rng.below(10) == 0 {
        e["kind"] = json!(*rng.pick(&[
            "sale.completed",
            "return.completed",
            "member.enrolled",
            "card.replaced",
            "complaint.recorded",
            "points.adjusted",
            "Sale.Completed",
            "",
        ]));
    }
    // One to four fields of the payload replaced or removed.
    for _ in 0..=rng.below(4) {
        let mut all = Vec::new();
        paths(&e["payload"], &mut Vec::new(), &mut all);
        let path = rng.pick(&all).clone();
        let payload = &mut e["payload"];
        if rng.below(6) == 0 && !path.is_empty() {
            let (last, parent) = path.split_last().unwrap();
            match (node(payload, parent), last) {
                (Value::Object(map), Value::String(k)) => {
                    map.remove(k);
                }
                (Value::Array(items), Value::Number(i)) => {
                    items.remove(i.as_u64().unwrap() as usize);
                }
                _ => {}
            }
        } else {
            *node(payload, &path) = hostile_value(rng, facts);
        }
    }
    // The takeover moves, aimed at the honest till's members.
    if rng.below(4) == 0 {
        let member = rng.pick(&facts.members).clone();
        let card = rng.pick(&facts.cards).clone();
        e["kind"] = json!(*rng.pick(&["member.enrolled", "card.replaced"]));
        e["payload"] = if e["kind"] == "member.enrolled" {
            json!({"member": {"id": member, "name": "Mallory", "phone": "13900000000",
                "cards": [{"number": card, "status": "active"}], "tier": "gold",
                "home_store": "S002", "consent": {"marketing": true, "profiling": true},
                "points_balance": 1_000_000}})
        } else {
            json!({"member_id": member, "blocked": card, "new_card": "7700000000009999"})
        };
    }
    e
}

/// Rows of HQ's tables that hold what the honest store's members are (members whose home
/// store is S001, their cards, the transfers no till of S002 made), as text. A till of
/// S002 may sell to them (one card in every store) and block or replace the cards of its
/// own members, so those are left out.
fn honest_state(db: &Database) -> Vec<String> {
    let queries = [
        "SELECT id || '|' || name || '|' || COALESCE(phone, '') || '|' || COALESCE(home_store, '')
                || '|' || tier FROM members WHERE home_store = 'S001' ORDER BY id",
        "SELECT c.card || '|' || c.member_id || '|' || c.status FROM member_cards c
         JOIN members m ON m.id = c.member_id WHERE m.home_store = 'S001' ORDER BY c.card",
        "SELECT t.id || '|' || t.member_id || '|' || t.kind || '|' || CAST(t.points AS TEXT)
         FROM point_transfers t JOIN members m ON m.id = t.member_id
         WHERE m.home_store = 'S001' AND t.id NOT LIKE 'S002/%' ORDER BY t.id",
        "SELECT coupon_id || '|' || store_id FROM coupon_redemptions WHERE store_id <> 'S002'
         ORDER BY coupon_id",
    ];
    queries.iter().flat_map(|q| texts(db, q)).collect()
}

fn texts(db: &Database, sql: &str) -> Vec<String> {
    match db {
        Database::Postgres { .. } => {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async {
                use sqlx::Row;
                let pool = sqlx::PgPool::connect(&db.url()).await.unwrap();
                sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                    .fetch_all(&pool)
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| r.get::<String, _>(0))
                    .collect()
            })
        }
        Database::Sqlite { dir } => {
            let conn = rusqlite::Connection::open(dir.path().join("hq.db")).unwrap();
            let mut stmt = conn.prepare(sql).unwrap();
            stmt.query_map([], |r| r.get::<_, String>(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        }
    }
}

/// The till's outbox, as the envelopes it sent.
fn outbox(dir: &std::path::Path) -> Vec<Value> {
    let conn = rusqlite::Connection::open(dir.join("store/terminal.db")).unwrap();
    let mut stmt = conn
        .prepare("SELECT id, seq, kind, payload, at FROM outbox ORDER BY seq")
        .unwrap();
    stmt.query_map([], |r| {
        let payload: String = r.get(3)?;
        let at: String = r.get(4)?;
        Ok(
            json!({"id": r.get::<_, String>(0)?, "store_id": "S001", "terminal_id": "T01",
                  "seq": r.get::<_, i64>(1)?, "kind": r.get::<_, String>(2)?,
                  "payload": serde_json::from_str::<Value>(&payload).unwrap(),
                  "at": chrono::DateTime::parse_from_rfc3339(&at).unwrap()
                      .with_timezone(&chrono::Utc)}),
        )
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

const HONEST_SALES: &str = r#"{"sign_in":{"operator":"1001","pin":"1234"}}
{"open_shift":{"float":"0"}}
{"member":"6200123412341234"}
{"scan":"6904000000111"}
{"tender":{"points":200}}
{"tender":{"cash":"34.00"}}
{"member":"6200123412345678"}
{"scan":"6920000000159"}
{"tender":{"card":"39.90","ref":"K1"}}
{"complaint":{"member":"6200123412345678","content":"Rice bag torn"}}
{"enroll":{"name":"Zhao Lei","phone":"13512340000"}}
{"scan":"6904000000111"}
{"tender":{"cash":"100.00"}}
"#;

/// Sends the till's outbox now and checks HQ holds all of it.
fn sync(dir: &std::path::Path) {
    let out = common::hq::run_ok(common::hq::storepos(dir).args([
        "--data-dir",
        "store",
        "sync",
        "--timeout",
        "30",
    ]));
    assert!(!out.contains("refused"), "{out}");
    let conn = rusqlite::Connection::open(dir.join("store/terminal.db")).unwrap();
    let backlog: i64 = conn
        .query_row("SELECT COUNT(*) FROM outbox WHERE acked = 0", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(backlog, 0, "{out}");
}

fn another_stores_token_changes_nothing_the_honest_till_said(db: Database) {
    let (work, _token) = setup(&db);
    import_demo_members(work.path());
    let attacker = register(work.path(), "S002", "T09");
    let hq = Hq::start(work.path());
    let out = common::run_script(work.path(), HONEST_SALES);
    for (i, answer) in out.iter().enumerate() {
        assert_eq!(answer["ok"], true, "honest line {}: {answer}", i + 1);
    }
    sync(work.path());
    let honest = outbox(work.path());
    assert!(honest.len() >= 5, "{honest:?}");
    let before = honest_state(&db);
    let facts = HonestFacts {
        members: texts(&db, "SELECT id FROM members ORDER BY id"),
        cards: texts(&db, "SELECT card FROM member_cards ORDER BY card"),
    };

    let http = reqwest::blocking::Client::new();
    let mut rng = Rng(0x5eed_cafe_f00d_0001);
    let mut statuses = std::collections::BTreeMap::new();
    for round in 0..1_500 {
        let n = 1 + rng.below(4);
        let events: Vec<Value> = (0..n).map(|_| mutate(&mut rng, &honest, &facts)).collect();
        // Now and then the envelope still names the honest till: refused as foreign.
        let mut body = json!({ "events": events });
        if rng.below(20) == 0 {
            body["events"][0]["store_id"] = json!("S001");
            body["events"][0]["terminal_id"] = json!("T01");
        }
        let r = http
            .post(format!("{}v1/events", hq.url))
            .bearer_auth(&attacker)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .unwrap_or_else(|e| panic!("round {round}: HQ did not answer: {e}"));
        let status = r.status().as_u16();
        let text = r.text().unwrap();
        assert!(status < 500, "round {round}: {status} {text} for {body}");
        assert!(
            serde_json::from_str::<Value>(&text).is_ok(),
            "round {round}: not JSON: {text}"
        );
        *statuses.entry(status).or_insert(0) += 1;
    }
    assert!(
        statuses.len() > 2,
        "every attack answered alike: {statuses:?}"
    );
    let after = honest_state(&db);
    let new: Vec<_> = after.iter().filter(|r| !before.contains(r)).collect();
    let lost: Vec<_> = before.iter().filter(|r| !after.contains(r)).collect();
    assert!(
        new.is_empty() && lost.is_empty(),
        "HQ's records of the honest store's members changed: new {new:?}, gone {lost:?} \
         (statuses {statuses:?})"
    );
    // What the attacker's till did get through is its own sales' points, never a kind a
    // till may not make, and every balance is still the sum of its transfers.
    let kinds = texts(
        &db,
        "SELECT DISTINCT kind FROM point_transfers WHERE id LIKE 'S002/%' ORDER BY kind",
    );
    assert!(
        kinds
            .iter()
            .all(|k| ["earn", "redeem", "reverse", "clawback"].contains(&k.as_str())),
        "{kinds:?}"
    );
    let unbalanced = texts(
        &db,
        "SELECT a.member_id FROM point_accounts a
         WHERE a.balance <> COALESCE((SELECT SUM(t.points) FROM point_transfers t
                                      WHERE t.member_id = a.member_id), 0)",
    );
    assert!(
        unbalanced.is_empty(),
        "balances off their ledger: {unbalanced:?}"
    );

    // The honest till is not blocked: its next sale reaches HQ and nothing of it is refused.
    let out = common::run_script(
        work.path(),
        "{\"sign_in\":{\"operator\":\"1001\",\"pin\":\"1234\"}}\n{\"member\":\"6200123412345678\"}\n\
         {\"scan\":\"6920000000159\"}\n{\"tender\":{\"card\":\"39.90\",\"ref\":\"K2\"}}\n",
    );
    assert!(out[3]["sale"]["receipt_no"].is_u64(), "{}", out[3]);
    sync(work.path());
    let parked = texts(
        &db,
        "SELECT CAST(seq AS TEXT) || ' ' || refused_rule || ': ' || refused_message FROM events
         WHERE store_id = 'S001' AND refused_rule IS NOT NULL ORDER BY seq",
    );
    assert!(parked.is_empty(), "HQ refused honest events: {parked:?}");
    assert_eq!(
        db.scalar(
            "SELECT COUNT(*) FROM sales WHERE store_id = 'S001' AND terminal_id = 'T01'",
            &[]
        ),
        4
    );
}
