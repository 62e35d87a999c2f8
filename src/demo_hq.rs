//! The demo's headquarters: after the demo sales, a local HQ (`storepos hq` in-process, on
//! a fresh `storepos_demo` database of the PostgreSQL server at `hq.database`) takes the
//! till's events through the real uploader, so the demo shows a sync end to end. Without a
//! reachable PostgreSQL server the demo says so and the till simply stays offline, as a
//! real one would.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::config::Config;
use crate::hq::HqStore;

/// The database the demo's HQ uses on the configured server (recreated on every run).
const DEMO_DATABASE: &str = "storepos_demo";

/// Brings up the demo HQ and syncs the demo store at `dir` with it.
pub fn run(config: &Config, dir: &Path) -> Result<()> {
    println!("\n== Headquarters ==");
    let runtime = crate::hq::runtime()?;
    let started = runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(5), start(config)).await });
    let (store, addr, token) = match started {
        Ok(Ok(up)) => up,
        Ok(Err(e)) => {
            println!("HQ not started ({e:#}); the till stays offline and keeps its events.");
            return Ok(());
        }
        Err(_) => {
            println!("HQ not started (no PostgreSQL answered in time); the till stays offline.");
            return Ok(());
        }
    };
    println!("HQ listening on http://{addr}/ (database {DEMO_DATABASE})");
    let origin = storepos_sync::outbox::Origin {
        store_id: config.store.id.clone(),
        terminal_id: config.terminal.id.clone(),
    };
    let mut uploader = storepos_sync::Uploader::open(
        dir.join(crate::store::TERMINAL_FILE),
        origin,
        &format!("http://{addr}/"),
        &token,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let report = loop {
        let report = uploader
            .run_once()
            .map_err(|e| anyhow::anyhow!("upload: {e}"))?;
        if report.backlog == 0 {
            break report;
        }
    };
    println!(
        "the till sent its events; HQ acknowledges all of them up to #{}",
        report.acked_seq
    );
    let zhang = runtime.block_on(store.member_by_card("6200123412341234"))?;
    if let Some((member, balance)) = zhang {
        println!(
            "{} has {balance} points at HQ, the balance the receipt printed",
            member.name
        );
    }
    Ok(())
}

/// Recreates the demo database, loads the demo members, serves the API on a free port
/// and registers the demo terminal.
async fn start(config: &Config) -> Result<(HqStore, std::net::SocketAddr, String)> {
    let server = config
        .hq
        .database
        .rsplit_once('/')
        .map_or(config.hq.database.as_str(), |(base, _)| base);
    let admin = sqlx::PgPool::connect(&config.hq.database)
        .await
        .with_context(|| format!("no PostgreSQL at {}", config.hq.database))?;
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(DEMO_DATABASE)
        .fetch_optional(&admin)
        .await?;
    if exists.is_some() {
        let drop = format!("DROP DATABASE {DEMO_DATABASE} WITH (FORCE)");
        sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
            .execute(&admin)
            .await?;
    }
    let create = format!("CREATE DATABASE {DEMO_DATABASE}");
    sqlx::raw_sql(sqlx::AssertSqlSafe(create))
        .execute(&admin)
        .await?;
    let store = HqStore::open(&format!("{server}/{DEMO_DATABASE}")).await?;
    let members = crate::import::members::read_all_from(
        Path::new("(embedded demo members.csv)"),
        crate::demo::MEMBERS_CSV.as_bytes(),
    )?;
    for m in &members {
        store.upsert_member(m).await?;
        if m.points_balance != 0 {
            store.opening_balance(&m.id, m.points_balance).await?;
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = crate::hq::api::router(store.clone(), None);
    tokio::spawn(async move { axum::serve(listener, app).await });
    let token = store
        .register_terminal(&config.store.id, &config.terminal.id)
        .await?;
    Ok((store, addr, token))
}
