//! `storepos sync`: send the outbox to HQ now, then fetch and apply HQ's data sets, all
//! within the command's time; HQ's refusals are listed, and a sequence conflict ends the
//! command with the reason.

use anyhow::{Context, Result};

use super::open_store;
use crate::config::Config;
use crate::till::open_uploader;

pub(super) fn sync_now(config: &Config, timeout: u64) -> Result<()> {
    let store = open_store(config)?;
    let dir = store.dir().to_path_buf();
    drop(store);
    let mut uploader = open_uploader(config, &dir)?
        .context("no HQ token (`hq.token`): register this terminal with `storepos hq register`")?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(timeout);
    let mut backoff = storepos_sync::Backoff::default();
    loop {
        match uploader.run_once() {
            Ok(report) => {
                for r in &report.refused {
                    println!(
                        "HQ refused event {} ({}): {}; {}",
                        r.seq,
                        r.rule,
                        r.message,
                        if r.parked {
                            "HQ keeps it and applied nothing of it"
                        } else {
                            "HQ did not store it"
                        }
                    );
                }
                if report.backlog == 0 {
                    println!("in sync: HQ has every event up to {}", report.acked_seq);
                    let refused = uploader.refusal_count().unwrap_or(0);
                    if refused > 0 {
                        println!(
                            "HQ has refused {refused} event(s) of this terminal in all \
                             (recorded in terminal.db)"
                        );
                    }
                    return pull_checkpoints(config, deadline, timeout);
                }
                if report.acknowledged > 0 {
                    backoff.reset();
                    continue;
                }
                tracing::warn!(
                    "sync: HQ acknowledged nothing new (missing {})",
                    storepos_sync::describe_missing(&report.missing, report.missing_total)
                );
            }
            // A conflict stops the uploads until the data directory is restored.
            Err(e) if e.is_local() || e.is_conflict() => return Err(anyhow::anyhow!("{e}")),
            Err(e) => tracing::warn!("sync: {e}"),
        }
        if std::time::Instant::now() >= deadline {
            let left = uploader.backlog().unwrap_or(0);
            anyhow::bail!("{left} events are still waiting for HQ after {timeout} s");
        }
        std::thread::sleep(backoff.next_delay().min(std::time::Duration::from_secs(2)));
    }
}

/// Fetches and applies HQ's data sets for this store: catalogue, promotions, members. HQ
/// away during the fetch is asked again until `deadline`.
fn pull_checkpoints(config: &Config, deadline: std::time::Instant, timeout: u64) -> Result<()> {
    use crate::terminal::datasets;
    let mut store = open_store(config)?;
    let sets = datasets::fetch_until(&config.hq, deadline).map_err(|e| {
        anyhow::anyhow!(
            "every event is at HQ, but HQ's data sets could not be fetched within {timeout} s: {e}"
        )
    })?;
    let applied = datasets::apply(&mut store, config, &sets)?;
    println!("catalogue: {} products from HQ", applied.products);
    println!("promotions: {} from HQ", applied.promotions);
    println!("operators: {} from HQ", applied.operators);
    println!("coupons: {} from HQ", applied.codes);
    println!(
        "members: {} from HQ, balances as of event {}",
        applied.members, sets.members.as_of_seq
    );
    match applied.settings {
        Some(Err(e)) => anyhow::bail!("settings: {e}"),
        Some(Ok(())) => println!("settings: from HQ"),
        None => {}
    }
    Ok(())
}
