//! HQ on PostgreSQL with every transaction SERIALIZABLE (the scratch database's default):
//! eight terminals post member sales at once through `POST /v1/events`, all of them for the
//! same three members, so their ingests move the same point accounts and PostgreSQL
//! rolls some of them back with a serialization failure (40001) or a deadlock. HQ runs those
//! again (src/hq/retry.rs); every batch ends acknowledged, every event is applied exactly
//! once, and the balances are what the sales earned and redeemed. HQ's own log and the
//! database's count of rolled-back transactions show the failures really happened.

use crate::common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::hq::{Database, free_port, psql, register, run_ok, storepos};
use serde_json::{Value, json};
use sqlx::Row;

const TERMINALS: usize = 8;
const BATCHES: u64 = 6;
const PER_BATCH: u64 = 8;
const OPENING: i64 = 1_000;
/// The members every terminal sells to (cards; HQ's member ids are looked up).
const CARDS: [&str; 3] = ["7700000000009001", "7700000000009002", "7700000000009003"];

/// What receipt `seq` of terminal `t` does: which member (index into [`CARDS`]), points
/// earned, points redeemed. Redemptions stay far below the opening balances, so no order of
/// applying them can overdraw an account.
fn receipt(t: usize, seq: u64) -> (usize, i64, i64) {
    let member = (t + seq as usize) % CARDS.len();
    let earn = 1 + ((t as i64) * 7 + seq as i64) % 5;
    let redeem = if seq.is_multiple_of(4) { 2 } else { 0 };
    (member, earn, redeem)
}

/// The scratch database's counters of committed and rolled-back transactions.
async fn xact_counts(pool: &sqlx::PgPool, name: &str) -> (i64, i64) {
    let row =
        sqlx::query("SELECT xact_commit, xact_rollback FROM pg_stat_database WHERE datname = $1")
            .bind(name)
            .fetch_one(pool)
            .await
            .unwrap();
    (row.get(0), row.get(1))
}

#[test]
fn concurrent_ingests_of_the_same_members_under_serializable_retry_and_apply_once() {
    let db = Database::postgres();
    let Database::Postgres { name } = &db else {
        unreachable!()
    };
    // Before anything connects: every transaction of every HQ session is SERIALIZABLE.
    psql(&format!(
        "ALTER DATABASE {name} SET default_transaction_isolation = 'serializable'"
    ));

    let work = tempfile::tempdir().unwrap();
    let port = free_port();
    std::fs::write(
        work.path().join("storepos.toml"),
        format!(
            "[hq]\nurl = \"http://127.0.0.1:{port}/\"\ndatabase = \"{}\"\nlisten = \"127.0.0.1:{port}\"\n",
            db.url()
        ),
    )
    .unwrap();
    let members_csv = work.path().join("members.csv");
    let mut csv = String::from("card,name,phone,tier,points,home_store\n");
    for (i, card) in CARDS.iter().enumerate() {
        csv.push_str(&format!("{card},Member {i},,standard,{OPENING},S001\n"));
    }
    std::fs::write(&members_csv, csv).unwrap();
    run_ok(
        storepos(work.path())
            .args(["hq", "import-members"])
            .arg(&members_csv),
    );
    let tokens: Vec<String> = (0..TERMINALS)
        .map(|t| register(work.path(), "S001", &format!("T{:02}", t + 1)))
        .collect();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    let pool = rt
        .block_on(
            sqlx::postgres::PgPoolOptions::new()
                .max_connections(2)
                .connect(&db.url()),
        )
        .unwrap();
    let isolation: String = rt
        .block_on(sqlx::query_scalar("SHOW default_transaction_isolation").fetch_one(&pool))
        .unwrap();
    assert_eq!(isolation, "serializable");
    // HQ's member id of each card, and its opening balance.
    let mut ids = Vec::new();
    for card in CARDS {
        let row = rt
            .block_on(
                sqlx::query(
                    "SELECT c.member_id, COALESCE(a.balance, 0) FROM member_cards c
                     LEFT JOIN point_accounts a ON a.member_id = c.member_id WHERE c.card = $1",
                )
                .bind(card)
                .fetch_one(&pool),
            )
            .unwrap();
        let balance: i64 = row.get(1);
        assert_eq!(balance, OPENING, "{card}");
        ids.push(row.get::<String, _>(0));
    }

    // The reference model: what each member's balance moves by, and every transfer id.
    let mut expected = vec![OPENING; CARDS.len()];
    let mut transfers = 0;
    let mut batches: Vec<Vec<Value>> = Vec::new();
    for t in 0..TERMINALS {
        let terminal = format!("T{:02}", t + 1);
        let events: Vec<Value> = (1..=BATCHES * PER_BATCH)
            .map(|seq| {
                let (m, earn, redeem) = receipt(t, seq);
                expected[m] += earn - redeem;
                transfers += 1 + i64::from(redeem > 0);
                let e = common::events::member_sale("S001", &terminal, seq, &ids[m], earn, redeem);
                serde_json::to_value(&e).unwrap()
            })
            .collect();
        batches.push(events);
    }

    let log = work.path().join("hq.log");
    let mut hq = common::hq::Hq::start_logging(work.path(), &log, "warn,storepos::hq::retry=debug");
    let (_, rollbacks_before) = rt.block_on(xact_counts(&pool, name));

    let started = Instant::now();
    let http = reqwest::Client::new();
    // Per terminal: the answers to its requests, by status.
    let answers: Vec<BTreeMap<u16, u32>> = rt.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        for (t, events) in batches.iter().enumerate() {
            let (http, url, token, events) = (
                http.clone(),
                format!("{}v1/events", hq.url),
                tokens[t].clone(),
                events.clone(),
            );
            tasks.spawn(async move {
                let mut statuses = BTreeMap::new();
                for batch in events.chunks(PER_BATCH as usize) {
                    let body = json!({ "events": batch }).to_string();
                    let last = batch.last().unwrap()["seq"].as_u64().unwrap();
                    let mut tries = 0;
                    loop {
                        tries += 1;
                        let r = http
                            .post(&url)
                            .bearer_auth(&token)
                            .header("content-type", "application/json")
                            .body(body.clone())
                            .send()
                            .await
                            .unwrap();
                        let status = r.status().as_u16();
                        let reply: Value = r.json().await.unwrap_or(Value::Null);
                        *statuses.entry(status).or_insert(0) += 1;
                        match status {
                            200 => {
                                assert_eq!(reply["acked_seq"], last, "T{:02}: {reply}", t + 1);
                                assert_eq!(reply["missing"], json!([]), "{reply}");
                                assert!(
                                    reply["refused"].as_array().is_none_or(Vec::is_empty),
                                    "{reply}"
                                );
                                break;
                            }
                            // HQ gave up after its own attempts; the uploader tries later.
                            503 if tries < 30 => {
                                assert_eq!(reply["error"]["code"], "unavailable", "{reply}");
                                tokio::time::sleep(Duration::from_millis(20 * tries)).await;
                            }
                            _ => panic!("T{:02} batch to {last}: {status} {reply}", t + 1),
                        }
                    }
                }
                (t, statuses)
            });
        }
        let mut answers = vec![BTreeMap::new(); TERMINALS];
        while let Some(done) = tasks.join_next().await {
            let (t, statuses) = done.unwrap();
            answers[t] = statuses;
        }
        answers
    });
    let took = started.elapsed();
    // Stopping HQ ends its sessions, which flushes their statistics.
    hq.stop();

    // Every event once: per terminal as many events and sales as it sent, acknowledged.
    let sent = (BATCHES * PER_BATCH) as i64;
    for t in 0..TERMINALS {
        let terminal = format!("T{:02}", t + 1);
        let row = rt
            .block_on(
                sqlx::query(
                    "SELECT (SELECT COUNT(*) FROM events WHERE store_id = 'S001' AND terminal_id = $1),
                            (SELECT COUNT(DISTINCT seq) FROM events WHERE store_id = 'S001' AND terminal_id = $1),
                            (SELECT COUNT(*) FROM sales WHERE store_id = 'S001' AND terminal_id = $1),
                            (SELECT acked_seq FROM terminals WHERE store_id = 'S001' AND terminal_id = $1)",
                )
                .bind(&terminal)
                .fetch_one(&pool),
            )
            .unwrap();
        let counts: Vec<i64> = (0..4).map(|i| row.get(i)).collect();
        assert_eq!(
            counts,
            vec![sent; 4],
            "{terminal}: events, seqs, sales, acked"
        );
    }
    let row = rt
        .block_on(
            sqlx::query(
                "SELECT (SELECT COUNT(*) FROM point_transfers WHERE id LIKE 'S001/%'),
                        (SELECT COUNT(DISTINCT id) FROM point_transfers WHERE id LIKE 'S001/%'),
                        (SELECT COUNT(*) FROM point_overdrafts)",
            )
            .fetch_one(&pool),
        )
        .unwrap();
    let (rows, distinct, overdrafts): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    assert_eq!(
        (rows, distinct),
        (transfers, transfers),
        "transfers, each once"
    );
    assert_eq!(overdrafts, 0, "no account ever went below zero");
    for (m, id) in ids.iter().enumerate() {
        let balance: i64 = rt
            .block_on(
                sqlx::query_scalar("SELECT balance FROM point_accounts WHERE member_id = $1")
                    .bind(id)
                    .fetch_one(&pool),
            )
            .unwrap();
        assert_eq!(balance, expected[m], "member {id}");
    }

    // The retry path ran for real: HQ logged ingests PostgreSQL rolled back for a
    // serialization failure or a deadlock and ran again, and the database counted at least
    // as many rolled-back transactions.
    let text = std::fs::read_to_string(&log).unwrap();
    let retried: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("ingesting events: attempt"))
        .collect();
    let serialization = retried
        .iter()
        .filter(|l| l.contains("could not serialize access"))
        .count();
    let deadlocks = retried
        .iter()
        .filter(|l| l.contains("deadlock detected"))
        .count();
    let gave_up = text.matches("ingesting events: failed after").count();
    let mut rollbacks = 0;
    let waited = Instant::now();
    while rollbacks < retried.len() as i64 && waited.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(100));
        rollbacks = rt.block_on(xact_counts(&pool, name)).1 - rollbacks_before;
    }
    let served_503: u32 = answers
        .iter()
        .map(|a| a.get(&503).copied().unwrap_or(0))
        .sum();
    eprintln!(
        "{TERMINALS} terminals x {BATCHES} batches in {took:?}: {} retried attempts \
         ({serialization} serialization failures, {deadlocks} deadlocks), {gave_up} ingests \
         gave up (503 served {served_503}), {rollbacks} transactions rolled back",
        retried.len()
    );
    assert!(
        serialization > 0,
        "no ingest met a serialization failure and was retried:\n{text}"
    );
    assert_eq!(
        serialization + deadlocks,
        retried.len(),
        "every retried attempt failed for a serialization failure or a deadlock:\n{text}"
    );
    assert!(
        rollbacks >= retried.len() as i64,
        "{rollbacks} rolled-back transactions for {} retried attempts",
        retried.len()
    );
    assert_eq!(
        gave_up as u32, served_503,
        "a 503 answers exactly an ingest HQ gave up on"
    );
}
