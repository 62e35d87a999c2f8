//! The demo's headquarters: after the demo sales, a local HQ (`storepos hq` in-process)
//! takes the till's events through the real uploader, so the demo shows a sync end to end.
//! The windowed demo starts the same HQ beside its till ([`start_beside`]) and keeps it
//! serving while the window is open.
//!
//! HQ's database is of the kind `hq.database` names: by default (a SQLite URL) an
//! embedded SQLite file in the demo directory (`hq.db`; the configured file is left alone),
//! so the demo syncs on a machine with nothing installed, and a kept demo store keeps its
//! HQ from run to run; with a PostgreSQL URL, a fresh `storepos_demo` database on that
//! server. If that server does not answer, the demo says so and the till simply stays
//! offline, as a real one would.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::config::Config;
use crate::hq::HqStore;
use crate::hq::db::DatabaseUrl;

/// The database the demo's HQ uses on the configured server (recreated on every run).
const DEMO_DATABASE: &str = "storepos_demo";

/// The embedded HQ file in the demo directory.
const DEMO_FILE: &str = "hq.db";

/// The demo HQ serving in the background beside the windowed demo's till, for as long as
/// this is kept: its address and the demo terminal's token.
pub(crate) struct RunningHq {
    /// Serves the API; dropping it stops HQ.
    _runtime: tokio::runtime::Runtime,
    pub addr: std::net::SocketAddr,
    pub token: String,
}

/// Starts the demo HQ for the till at `dir` and leaves it serving, or says why it could
/// not (its database did not open or answer within five seconds).
pub(crate) fn start_beside(
    config: &Config,
    dir: &Path,
    till: &crate::store::Store,
) -> Result<RunningHq> {
    let runtime = crate::hq::runtime()?;
    let (store, addr, token) = bring_up(&runtime, config, dir)?;
    // The demo members' history lives in the demo store, not in HQ's events: HQ makes
    // this fortnight's lists from it, as its run would from the sales it received.
    let loaded = crate::lists::load::load(till.catalogue.conn())?;
    runtime.block_on(store.make_lists_from(
        &crate::demo::demo_hq_key(),
        crate::hq::lists::period_start(chrono::Utc::now()),
        &loaded,
        &crate::hq::lists::params_for(config),
        config.store.currency,
    ))?;
    Ok(RunningHq {
        _runtime: runtime,
        addr,
        token,
    })
}

/// The embedded SQLite file HQ uses in `dir`, or none when `hq.database` names a
/// PostgreSQL server.
fn database_file(config: &Config, dir: &Path) -> Option<std::path::PathBuf> {
    match DatabaseUrl::parse(&config.hq.database) {
        Ok(DatabaseUrl::Postgres(_)) => None,
        _ => Some(dir.join(DEMO_FILE)),
    }
}

/// Starts the demo HQ on `runtime` within five seconds: its store, address and the demo
/// terminal's token.
fn bring_up(
    runtime: &tokio::runtime::Runtime,
    config: &Config,
    dir: &Path,
) -> Result<(HqStore, std::net::SocketAddr, String)> {
    let database = database_file(config, dir);
    runtime
        .block_on(async {
            tokio::time::timeout(Duration::from_secs(5), start(config, database.as_deref())).await
        })
        .map_err(|_| anyhow::anyhow!("its database did not answer in time"))?
}

/// The scripted demo in `dir`, or in a fresh temporary directory: the store's part, then
/// HQ's.
pub fn run_scripted(config: &Config, dir: Option<&Path>) -> Result<()> {
    let temp;
    let keep = dir.is_some();
    let dir = match dir {
        Some(d) => d,
        None => {
            temp = tempfile::tempdir().context("cannot create a temporary demo directory")?;
            temp.path()
        }
    };
    crate::demo::run_store(config, dir, keep)?;
    run(config, dir)
}

/// Brings up the demo HQ and syncs the demo store at `dir` with it.
pub fn run(config: &Config, dir: &Path) -> Result<()> {
    println!("\n== Headquarters ==");
    let runtime = crate::hq::runtime()?;
    let database = database_file(config, dir);
    let (store, addr, token) = match bring_up(&runtime, config, dir) {
        Ok(up) => up,
        Err(e) => {
            println!("HQ not started ({e:#}); the till stays offline and keeps its events.");
            return Ok(());
        }
    };
    match &database {
        Some(file) => println!(
            "HQ listening on http://{addr}/ (embedded SQLite database {})",
            file.display()
        ),
        None => println!("HQ listening on http://{addr}/ (PostgreSQL database {DEMO_DATABASE})"),
    }
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
        if report.backlog == 0 || report.acknowledged == 0 {
            break report;
        }
    };
    if report.backlog > 0 {
        // A kept store whose earlier events went to an HQ database since recreated: this
        // HQ lacks them and rightly acknowledges nothing past the gap.
        println!(
            "HQ lacks events {} an earlier HQ acknowledged; the till keeps its {} newer events",
            storepos_sync::describe_missing(&report.missing, report.missing_total),
            report.backlog
        );
        return Ok(());
    }
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

/// Opens the demo database (the SQLite `file`, else a fresh one on the PostgreSQL server of
/// `hq.database`), loads the demo members, serves the API on a free port and registers the
/// demo terminal.
async fn start(
    config: &Config,
    file: Option<&Path>,
) -> Result<(HqStore, std::net::SocketAddr, String)> {
    let store = match file {
        Some(file) => demo_sqlite(file).await?,
        None => fresh_postgres(config).await?,
    };
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
    let settings = crate::hq::api::ApiSettings {
        lists: Some(std::sync::Arc::new(crate::hq::api::ListSigner {
            key: crate::demo::demo_hq_key(),
            params: crate::hq::lists::params_for(config),
            currency: config.store.currency,
        })),
        currency: config.store.currency,
        ..crate::hq::api::ApiSettings::default()
    };
    let app = crate::hq::api::router(store.clone(), settings);
    tokio::spawn(async move { axum::serve(listener, app).await });
    let token = store
        .register_terminal(&config.store.id, &config.terminal.id)
        .await?;
    Ok((store, addr, token))
}

/// HQ on the embedded SQLite file of the demo store, created with it (loading the demo
/// members again changes nothing: members are upserted, opening balances are idempotent).
async fn demo_sqlite(file: &Path) -> Result<HqStore> {
    Ok(HqStore::open(&format!("sqlite://{}", file.display())).await?)
}

/// HQ on a new `storepos_demo` database of the PostgreSQL server of `hq.database`.
async fn fresh_postgres(config: &Config) -> Result<HqStore> {
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
    Ok(HqStore::open(&format!("{server}/{DEMO_DATABASE}")).await?)
}
