//! The headquarters service (`storepos hq`): one HTTP service over its database that every
//! terminal of the chain syncs with. It holds what must be the same in every store: the
//! members and their cards, the points ledger, and every sale, return, redemption and
//! complaint the terminals report, each applied exactly once.
//!
//! - [`db`]: the backends (PostgreSQL, or the embedded SQLite file by default) and their
//!   migrations, chosen by the URL in `hq.database`; [`distribution`]: how the tables lie
//!   on a distributed engine (Citus), `hq distribute`, and the check `hq serve` makes;
//! - [`error`]: [`error::HqError`], used by the backends and the rules alike;
//! - [`store`]: the exactly-once ingest, members and the points ledger (`ingest_pg`: its
//!   set-based form for runs of sales on PostgreSQL; `ledger`: applying points transfers);
//! - [`rules`]: what a terminal's token may say, what HQ derives and checks before it
//!   applies an event, and the parking of refused events and answering of conflicts;
//! - [`api`]: the HTTP routes (axum on tokio);
//! - [`anchors`]: the journal anchors of a terminal's sales, for `journal verify --against-hq`;
//! - [`admin`]: points expiry, coupon issuance and the reconciliation report;
//! - [`catalogue`], [`prices`]: the data sets HQ staff administer for the stores' tills;
//! - [`reports`]: the sales reports, by period, store, category, product and hour;
//! - [`complaints`]: complaint cases, their steps and deadlines, and their report;
//! - [`holdout`]: the members a list period holds out (to measure the lists' lift);
//! - [`lists`]: the biweekly personalised shopping lists and the manufacturer report;
//!   [`deals`]: the deals the lists draw on, with what is left of their budgets;
//! - [`member_view`]: one member as every store saw them (Metro's per-member view);
//! - [`retry`]: running a transaction again, after a jittered backoff, when the database
//!   gave up on it for a reason that may not recur;
//! - [`sale_lines`]: every sale's lines, classified by HQ's catalogue, on the store's local
//!   days ([`zones`]), and the rollups the sales reports read;
//! - [`sequence`]: a terminal's acknowledgement and the gaps above it, bounded;
//! - [`schedule`]: what `hq serve` runs by itself (daily expiry, the lists when due).
//! - [`staff`]: staff accounts and roles (scoped to stores), sessions, the audit log and
//!   member search; [`console`]: the web back office at `/console` on top of them and the
//!   API ([`adjustments`]: manual points adjustments; [`tills`]: the registered terminals);
//! - [`member_value`]: RFM scores and segments, the Pareto table, tier migration, members
//!   slipping away, saved segments; [`campaigns`]: coupon issues', deals' and list
//!   periods' results, with the lists' lift over a hold-out group.

pub mod adjustments;
pub mod admin;
pub mod anchors;
pub mod api;
pub mod campaigns;
pub mod cards;
pub mod catalogue;
pub mod complaints;
pub mod console;
pub mod db;
pub mod deals;
pub mod distribution;
pub mod error;
pub mod holdout;
mod ingest_pg;
mod ledger;
pub mod lists;
pub mod member_value;
pub mod member_view;
pub mod parked;
pub mod prices;
pub mod reports;
pub mod retry;
pub mod rules;
pub mod sale_lines;
pub mod schedule;
pub mod sender;
mod sequence;
pub mod staff;
pub mod store;
pub mod tills;
pub mod zones;

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result};

pub use sender::TerminalId;
pub use store::HqStore;
pub use storepos_sync::wire::IngestReply;

/// How long HQ waits for requests in flight when asked to stop.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Runs the service over HTTPS with the PEM certificate chain and key until interrupted
/// (Ctrl-C or SIGTERM).
pub async fn serve_tls(
    store: HqStore,
    listen: SocketAddr,
    settings: api::ApiSettings,
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<()> {
    // Both rustls providers are linked (the HTTP client brings one); HQ uses aws-lc.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
        .await
        .with_context(|| {
            format!(
                "TLS certificate {} or key {}",
                cert.display(),
                key.display()
            )
        })?;
    let listener = bind(listen)?;
    let addr = listener.local_addr()?;
    tracing::info!("HQ listening on https://{addr}/");
    println!("HQ listening on https://{addr}/");
    let server = axum_server::from_tcp_rustls(listener, tls)?;
    with_limits(server, settings.header_timeout)
        .serve(
            api::router(store, settings)
                .into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .context("HQ service stopped")?;
    Ok(())
}

/// Runs the service until interrupted (Ctrl-C or SIGTERM).
pub async fn serve(store: HqStore, listen: SocketAddr, settings: api::ApiSettings) -> Result<()> {
    let listener = bind(listen)?;
    let addr = listener.local_addr()?;
    tracing::info!("HQ listening on http://{addr}/");
    println!("HQ listening on http://{addr}/");
    let server = axum_server::from_tcp(listener)?;
    with_limits(server, settings.header_timeout)
        .serve(
            api::router(store, settings)
                .into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .context("HQ service stopped")?;
    Ok(())
}

fn bind(listen: SocketAddr) -> Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(listen)
        .with_context(|| format!("cannot listen on {listen}"))?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// The connection limits every HQ listener keeps (slow or silent clients are cut off, so
/// half-open connections cannot pile up), and a graceful stop on Ctrl-C or SIGTERM.
fn with_limits<A>(
    mut server: axum_server::Server<std::net::SocketAddr, A>,
    header_timeout: Duration,
) -> axum_server::Server<std::net::SocketAddr, A> {
    server
        .http_builder()
        .http1()
        .header_read_timeout(header_timeout);
    let handle = axum_server::Handle::new();
    let stopping = handle.clone();
    tokio::spawn(async move {
        stop_requested().await;
        tracing::info!("HQ stopping");
        stopping.graceful_shutdown(Some(SHUTDOWN_GRACE));
    });
    server.first_request_timeout(header_timeout).handle(handle)
}

/// Ctrl-C, or SIGTERM (how systemd and container runtimes ask a service to stop).
async fn stop_requested() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(e) => {
                    tracing::warn!("cannot watch for SIGTERM: {e}");
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// A multi-threaded runtime for the HQ commands.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
