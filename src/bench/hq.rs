//! `storepos bench hq`: HQ's ingest rate with many terminals posting at once, beside the raw
//! rate of inserting the same rows straight into its database, and the time a terminal's
//! backlog takes to reach HQ through the real uploader.
//!
//! It runs on the backend `hq.database` names. Each run works in fresh databases (dropped at
//! the end), so figures never depend on what a previous run left: on PostgreSQL, databases
//! created on that server; on SQLite, files in a temporary directory beside the configured
//! file (so they sit on the same disk).

use std::time::Instant;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::config::Config;
use crate::hq::HqStore;
use crate::hq::db::{DatabaseUrl, Pool, query};

#[derive(Debug, clap::Args)]
pub struct HqBenchArgs {
    /// Terminals posting at once.
    #[arg(long, default_value_t = 50)]
    pub terminals: usize,
    /// Sales per terminal.
    #[arg(long, default_value_t = 200)]
    pub sales: usize,
    /// Events per request.
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    /// Events in the single terminal's backlog.
    #[arg(long, default_value_t = 10_000)]
    pub backlog: u64,
    /// On a PostgreSQL server with Citus: make the citus extension in each scratch
    /// database and lay HQ's tables out on it (`hq distribute`) before the runs.
    #[arg(long)]
    pub distribute: bool,
    /// Shards per distributed table with `--distribute` (default: Citus's).
    #[arg(long, value_name = "N", requires = "distribute")]
    pub shard_count: Option<u32>,
}

/// Makes the citus extension in a scratch database HQ has migrated, and lays HQ's tables
/// out on it.
async fn distributed(pool: &Pool, shard_count: Option<u32>) -> Result<()> {
    query("CREATE EXTENSION IF NOT EXISTS citus")
        .execute(pool)
        .await
        .context("the citus extension (is the server's shared_preload_libraries 'citus'?)")?;
    crate::hq::distribution::distribute(pool, shard_count).await?;
    Ok(())
}

/// A fresh database of the backend `hq.database` names, removed when the guard goes.
pub(super) enum Scratch {
    Postgres(PgScratch),
    Sqlite(tempfile::TempDir),
}

impl Scratch {
    pub(super) async fn create(url: &str, tag: &str) -> Result<Scratch> {
        match DatabaseUrl::parse(url).map_err(|e| anyhow::anyhow!("hq.database {e}"))? {
            DatabaseUrl::Postgres(url) => {
                Ok(Scratch::Postgres(PgScratch::create(&url, tag).await?))
            }
            DatabaseUrl::Sqlite(path) => {
                let parent = path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(std::path::Path::new("."));
                std::fs::create_dir_all(parent)?;
                let dir = tempfile::Builder::new()
                    .prefix(&format!("storepos-bench-{tag}-"))
                    .tempdir_in(parent)
                    .with_context(|| format!("a scratch directory in {}", parent.display()))?;
                Ok(Scratch::Sqlite(dir))
            }
        }
    }

    pub(super) fn url(&self) -> String {
        match self {
            Scratch::Postgres(db) => db.url(),
            Scratch::Sqlite(dir) => format!("sqlite://{}", dir.path().join("hq.db").display()),
        }
    }

    pub(super) fn backend(&self) -> &'static str {
        match self {
            Scratch::Postgres(_) => "PostgreSQL",
            Scratch::Sqlite(_) => "SQLite",
        }
    }
}

/// A fresh database on the PostgreSQL server of `url`, dropped when the guard goes.
pub(super) struct PgScratch {
    admin: String,
    name: String,
    runtime: tokio::runtime::Handle,
}

impl PgScratch {
    async fn create(url: &str, tag: &str) -> Result<PgScratch> {
        let base = url.rsplit_once('/').map_or(url, |(b, _)| b).to_string();
        let admin = format!("{base}/postgres");
        let mut bytes = [0u8; 4];
        getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
        let name = format!("storepos_bench_{tag}_{}", hex::encode(bytes));
        let pool = sqlx::PgPool::connect(&admin)
            .await
            .context("PostgreSQL server")?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&pool)
            .await?;
        Ok(PgScratch {
            admin,
            name,
            runtime: tokio::runtime::Handle::current(),
        })
    }

    fn url(&self) -> String {
        format!("{}/{}", self.admin.trim_end_matches("/postgres"), self.name)
    }
}

impl Drop for PgScratch {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let handle = self.runtime.clone();
        let _ = std::thread::spawn(move || {
            handle.block_on(async move {
                if let Ok(pool) = sqlx::PgPool::connect(&admin).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&pool).await;
                }
            })
        })
        .join();
    }
}

/// A sale event as a terminal sends it: five lines, a member earning points. Each
/// terminal serves its own 50 regulars, as a store's members shop at their store.
fn sale_event(store: &str, terminal: &str, seq: u64) -> Value {
    let mut sale =
        serde_json::to_value(crate::store::sales::sample_sale(5, seq)).unwrap_or_default();
    let member = format!("B{terminal}{:03}", seq % 50);
    sale["member_id"] = json!(member);
    sale["loyalty"] = json!({
        "member_id": member, "name": "Bench", "tier": "standard", "earned": 3, "redeemed": 0,
        "balance_before": 0, "balance_after": 3,
        "transfers": [{"id": format!("{store}/{terminal}/{seq}:earn:0"), "member_id": member,
            "kind": "earn", "points": 3, "at": "2017-12-04T01:00:00Z",
            "source": format!("{store}/{terminal}/{seq}"), "expires_at": null}]
    });
    json!({"id": uuid::Uuid::now_v7(), "store_id": store, "terminal_id": terminal, "seq": seq,
           "kind": "sale.completed", "payload": {"receipt_no": seq, "sale": sale},
           "at": "2017-12-04T01:00:00Z"})
}

/// A regular of `store`, whose card number is their id.
pub(super) fn bench_member(id: &str, store: &str) -> Result<crate::domain::member::Member> {
    Ok(serde_json::from_value(json!({
        "id": id, "name": "Bench", "phone": null, "email": null, "address": null,
        "cards": [{"number": id, "status": "active"}], "card_opened": null,
        "tier": "standard", "home_store": store,
        "consent": {"marketing": false, "profiling": false}, "points_balance": 0}))?)
}

pub fn hq(config: &Config, args: &HqBenchArgs) -> Result<()> {
    anyhow::ensure!(
        args.terminals > 0 && args.sales > 0 && args.batch > 0,
        "counts must be positive"
    );
    let runtime = crate::hq::runtime()?;
    runtime.block_on(async {
        let ingest_db = Scratch::create(&config.hq.database, "ingest").await?;
        let raw_db = Scratch::create(&config.hq.database, "raw").await?;
        let store = HqStore::open(&ingest_db.url()).await?;
        if args.distribute {
            distributed(store.pool(), args.shard_count).await?;
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = crate::hq::api::router(store.clone(), crate::hq::api::ApiSettings::default());
        tokio::spawn(async move { axum::serve(listener, app).await });

        let mut work = Vec::new();
        for t in 0..args.terminals {
            let (s, id) = (format!("S{:03}", t % 10), format!("T{t:03}"));
            let token = store.register_terminal(&s, &id).await?;
            // HQ applies points only for members it holds: the terminal's regulars.
            for n in 0..50 {
                let member = format!("B{id}{n:03}");
                store.upsert_member(&bench_member(&member, &s)?).await?;
            }
            let events: Vec<Value> = (1..=args.sales as u64).map(|n| sale_event(&s, &id, n)).collect();
            work.push((token, events));
        }
        let total = args.terminals * args.sales;
        let http = reqwest::Client::new();
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for (token, events) in work.clone() {
            let (http, batch) = (http.clone(), args.batch);
            let url = format!("http://{addr}/v1/events");
            tasks.spawn(async move {
                for chunk in events.chunks(batch) {
                    let answer = http
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&json!({ "events": chunk }))
                        .send()
                        .await?;
                    anyhow::ensure!(answer.status().is_success(), "HQ answered {}", answer.status());
                }
                Ok(())
            });
        }
        while let Some(done) = tasks.join_next().await {
            done??;
        }
        let seconds = started.elapsed().as_secs_f64();
        let rate = total as f64 / seconds;
        println!(
            "HQ ingest on {}{}: {total} sales from {} terminals at once, batches of {}, in {seconds:.2} s = {rate:.0} sales/s (events, sales, ledger transfers and balances, exactly once)",
            ingest_db.backend(), if args.distribute { " (Citus, distributed)" } else { "" },
            args.terminals, args.batch
        );

        // The same rows straight into the database, one transaction per batch per terminal
        // (no account balances: the raw rate is an upper bound for ingest).
        let raw = HqStore::open(&raw_db.url()).await?;
        if args.distribute {
            distributed(raw.pool(), args.shard_count).await?;
        }
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for (_, events) in work {
            let (pool, batch) = (raw.pool().clone(), args.batch);
            tasks.spawn(async move { raw_insert(&pool, &events, batch).await });
        }
        while let Some(done) = tasks.join_next().await {
            done??;
        }
        let raw_seconds = started.elapsed().as_secs_f64();
        let raw_rate = total as f64 / raw_seconds;
        println!(
            "raw baseline: the same event, sale and transfer rows inserted straight into {} ({}), {} at a time = {raw_rate:.0} sales/s; HQ ingest reaches {:.0}% of it",
            raw_db.backend(),
            if matches!(raw_db, Scratch::Postgres(_)) { "a multi-row insert per table" } else { "row by row" },
            args.batch,
            100.0 * rate / raw_rate
        );
        raw.pool().close().await;
        let backlog = backlog_upload(config, &store, &addr.to_string(), args.backlog).await?;
        println!("{backlog}");
        drop(store);
        drop((ingest_db, raw_db));
        Ok(())
    })
}

/// The rows one sale event makes: event, sale and earn transfer, as plain values.
struct RawRows {
    id: uuid::Uuid,
    store: String,
    terminal: String,
    seq: i64,
    payload: Value,
    at: chrono::DateTime<chrono::Utc>,
    receipt_no: i64,
    member: Option<String>,
    total: i64,
    tax: i64,
    transfer: (String, String, i64, String),
}

impl RawRows {
    fn of(e: &Value) -> Result<RawRows> {
        let payload = e["payload"].clone();
        let sale = &payload["sale"];
        let t = &sale["loyalty"]["transfers"][0];
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        Ok(RawRows {
            id: serde_json::from_value(e["id"].clone())?,
            store: text(&e["store_id"]),
            terminal: text(&e["terminal_id"]),
            seq: e["seq"].as_i64().context("seq")?,
            at: serde_json::from_value(e["at"].clone())?,
            receipt_no: payload["receipt_no"].as_i64().context("receipt_no")?,
            member: sale["member_id"].as_str().map(str::to_string),
            total: sale["total"].as_i64().context("total")?,
            tax: sale["tax"].as_i64().context("tax")?,
            transfer: (
                text(&t["id"]),
                text(&t["member_id"]),
                t["points"].as_i64().context("points")?,
                text(&t["source"]),
            ),
            payload,
        })
    }
}

/// The same rows straight into the database, one transaction per batch: on PostgreSQL as
/// one multi-row insert per table (the cheapest way to write them there), on SQLite row by
/// row (in-process, where statements cost no round trip).
async fn raw_insert(pool: &Pool, events: &[Value], batch: usize) -> Result<()> {
    for chunk in events.chunks(batch) {
        let rows = chunk.iter().map(RawRows::of).collect::<Result<Vec<_>>>()?;
        let mut tx = pool.begin().await?;
        match &mut tx {
            crate::hq::db::Tx::Postgres(pg) => raw_insert_pg(pg, &rows).await?,
            crate::hq::db::Tx::Sqlite(_) => {
                for r in &rows {
                    query("INSERT INTO events (id, store_id, terminal_id, seq, kind, payload, at) VALUES ($1, $2, $3, $4, 'sale.completed', $5, $6)")
                        .bind(r.id).bind(&r.store).bind(&r.terminal).bind(r.seq).bind(&r.payload).bind(r.at)
                        .execute(&mut tx).await?;
                    query("INSERT INTO sales (store_id, terminal_id, receipt_no, kind, member_id, total, tax, at, event_id) VALUES ($1, $2, $3, 'sale', $4, $5, $6, $7, $8)")
                        .bind(&r.store).bind(&r.terminal).bind(r.receipt_no).bind(&r.member).bind(r.total).bind(r.tax).bind(r.at).bind(r.id)
                        .execute(&mut tx).await?;
                    let (id, member, points, source) = &r.transfer;
                    query("INSERT INTO point_transfers (id, member_id, kind, points, at, source, event_id) VALUES ($1, $2, 'earn', $3, $4, $5, $6)")
                        .bind(id).bind(member).bind(*points).bind(r.at).bind(source).bind(r.id)
                        .execute(&mut tx).await?;
                }
            }
        }
        tx.commit().await?;
    }
    Ok(())
}

async fn raw_insert_pg(conn: &mut sqlx::PgConnection, rows: &[RawRows]) -> Result<()> {
    let ids: Vec<uuid::Uuid> = rows.iter().map(|r| r.id).collect();
    let ats: Vec<_> = rows.iter().map(|r| r.at).collect();
    let stores: Vec<&str> = rows.iter().map(|r| r.store.as_str()).collect();
    let terminals: Vec<&str> = rows.iter().map(|r| r.terminal.as_str()).collect();
    sqlx::query(
        "INSERT INTO events (id, store_id, terminal_id, seq, kind, payload, at)
         SELECT id, s, t, q, 'sale.completed', p, a
         FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::int8[], $5::jsonb[], $6::timestamptz[])
              AS x(id, s, t, q, p, a)",
    )
    .bind(&ids)
    .bind(&stores)
    .bind(&terminals)
    .bind(rows.iter().map(|r| r.seq).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.payload.clone()).collect::<Vec<_>>())
    .bind(&ats)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO sales (store_id, terminal_id, receipt_no, kind, member_id, total, tax, at, event_id)
         SELECT s, t, r, 'sale', m, tot, tax, a, id
         FROM UNNEST($1::text[], $2::text[], $3::int8[], $4::text[], $5::int8[], $6::int8[],
                     $7::timestamptz[], $8::uuid[]) AS x(s, t, r, m, tot, tax, a, id)",
    )
    .bind(&stores)
    .bind(&terminals)
    .bind(rows.iter().map(|r| r.receipt_no).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.member.as_deref()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.total).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.tax).collect::<Vec<_>>())
    .bind(&ats)
    .bind(&ids)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO point_transfers (id, member_id, kind, points, at, source, event_id)
         SELECT id, m, 'earn', p, a, s, e
         FROM UNNEST($1::text[], $2::text[], $3::int8[], $4::timestamptz[], $5::text[], $6::uuid[])
              AS x(id, m, p, a, s, e)",
    )
    .bind(
        rows.iter()
            .map(|r| r.transfer.0.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        rows.iter()
            .map(|r| r.transfer.1.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(rows.iter().map(|r| r.transfer.2).collect::<Vec<_>>())
    .bind(&ats)
    .bind(
        rows.iter()
            .map(|r| r.transfer.3.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(&ids)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Fills one terminal's outbox with `events` durable sales, then times the real uploader
/// draining it to HQ.
async fn backlog_upload(
    config: &Config,
    store: &HqStore,
    addr: &str,
    events: u64,
) -> Result<String> {
    let token = store.register_terminal(&config.store.id, "BACKLOG").await?;
    let dir = tempfile::tempdir()?;
    let mut local = crate::store::Store::open_configured(config, dir.path())?;
    let sealer = crate::journal::Sealer::load_or_create(dir.path())?;
    for i in 0..events {
        crate::store::sales::commit(
            &mut local.terminal,
            &sealer,
            &crate::store::sales::sample_sale(5, i),
            chrono::Utc::now(),
        )?;
    }
    drop(local);
    let origin = storepos_sync::outbox::Origin {
        store_id: config.store.id.clone(),
        terminal_id: "BACKLOG".into(),
    };
    let path = dir.path().join(crate::store::TERMINAL_FILE);
    let url = format!("http://{addr}/");
    tokio::task::spawn_blocking(move || -> Result<String> {
        let mut uploader = storepos_sync::Uploader::open(&path, origin, &url, &token)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let started = Instant::now();
        let mut requests = 0;
        loop {
            let report = uploader.run_once().map_err(|e| anyhow::anyhow!("{e}"))?;
            requests += 1;
            if report.backlog == 0 {
                break;
            }
        }
        Ok(format!(
            "backlog: {events} events uploaded through the uploader in {:.2} s ({requests} requests)",
            started.elapsed().as_secs_f64()
        ))
    })
    .await?
}
