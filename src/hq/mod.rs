//! The headquarters service (`storepos hq`): one HTTP service over its database that every
//! terminal of the chain syncs with. It holds what must be the same in every store: the
//! members and their cards, the points ledger, and every sale, return, redemption and
//! complaint the terminals report, each applied exactly once.
//!
//! - [`db`]: the backends (PostgreSQL, or the embedded SQLite file by default) and their
//!   migrations, chosen by the URL in `hq.database`;
//! - [`store`]: the exactly-once ingest, members and the points ledger (`ingest_pg`: its
//!   set-based form for runs of sales on PostgreSQL; `ledger`: applying points transfers);
//! - [`api`]: the HTTP routes (axum on tokio);
//! - [`anchors`]: the journal anchors of a terminal's sales, for `journal verify --against-hq`;
//! - [`admin`]: points expiry, coupon issuance and the reconciliation report;
//! - [`catalogue`], [`prices`]: the data sets HQ staff administer for the stores' tills;
//! - [`lists`]: the biweekly personalised shopping lists and the manufacturer report;
//! - [`schedule`]: what `hq serve` runs by itself (daily expiry, the lists when due).

pub mod admin;
pub mod anchors;
pub mod api;
pub mod catalogue;
pub mod db;
mod ingest_pg;
mod ledger;
pub mod lists;
pub mod prices;
pub mod schedule;
pub mod store;

use std::net::SocketAddr;

use anyhow::{Context, Result};

pub use store::{HqStore, IngestReply, TerminalId};

/// Runs the service over HTTPS with the PEM certificate chain and key until interrupted.
pub async fn serve_tls(
    store: HqStore,
    listen: SocketAddr,
    admin_token: Option<String>,
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
    tracing::info!("HQ listening on https://{listen}/");
    println!("HQ listening on https://{listen}/");
    axum_server::bind_rustls(listen, tls)
        .serve(api::router(store, admin_token).into_make_service())
        .await
        .context("HQ service stopped")?;
    Ok(())
}

/// Runs the service until interrupted.
pub async fn serve(store: HqStore, listen: SocketAddr, admin_token: Option<String>) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    tracing::info!("HQ listening on http://{addr}/");
    println!("HQ listening on http://{addr}/");
    axum::serve(listener, api::router(store, admin_token))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("HQ service stopped")?;
    Ok(())
}

/// A multi-threaded runtime for the HQ commands.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
