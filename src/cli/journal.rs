//! `storepos journal`: verify the journal (the chain, its signatures, the sales tables
//! against their entries, and with `--against-hq` the anchors HQ keeps) and export it.

use anyhow::{Context, Result};

use super::{JournalCommand, open_store};
use crate::config::Config;
use crate::journal;
use crate::store::Store;

pub(super) fn run_journal(config: &Config, command: JournalCommand) -> Result<()> {
    let store = open_store(config)?;
    match command {
        JournalCommand::Verify { against_hq } => verify_journal(config, &store, against_hq),
        JournalCommand::Export { out } => {
            let n = match out {
                Some(path) => {
                    let mut file = std::io::BufWriter::new(
                        std::fs::File::create(&path)
                            .with_context(|| format!("cannot create {}", path.display()))?,
                    );
                    let n = journal::export(&store.terminal, &mut file)?;
                    std::io::Write::flush(&mut file)?;
                    n
                }
                None => journal::export(&store.terminal, &mut std::io::stdout().lock())?,
            };
            tracing::info!(entries = n, "journal exported");
            Ok(())
        }
    }
}

/// `journal verify`: the chain and signatures, the sales tables against their entries, and
/// with `against_hq` the journal against the anchors HQ holds.
fn verify_journal(config: &Config, store: &Store, against_hq: bool) -> Result<()> {
    let count: i64 = store
        .terminal
        .query_row("SELECT COUNT(*) FROM journal", [], |r| r.get(0))?;
    let bad = |b: journal::BadEntry, read: String| {
        anyhow::anyhow!(
            "journal entry {} is bad: {} ({read})",
            b.receipt_no,
            b.reason
        )
    };
    // An empty journal has nothing to sign, but HQ may still hold anchors of its entries.
    let key = if count > 0 || against_hq {
        Some(journal::Sealer::load(store.dir())?.verifying_key())
    } else {
        None
    };
    if let Some(key) = &key
        && count > 0
    {
        let v = journal::verify(&store.terminal, key)?;
        if let Some(b) = v.first_bad {
            return Err(bad(b, format!("{} entries read", v.entries)));
        }
    }
    let sales = crate::store::sales_audit::verify_sales(&store.terminal)?;
    if let Some(b) = sales.first_bad {
        return Err(bad(b, format!("{} sales compared", sales.sales)));
    }
    if count == 0 {
        println!("journal is empty");
    } else {
        println!(
            "journal verified: {count} entries, chain and signatures intact, \
             {} sales rows match their entries",
            sales.sales
        );
    }
    let Some(key) = key.filter(|_| against_hq) else {
        return Ok(());
    };
    let client = crate::terminal::hq_client::HqClient::for_sync(&config.hq)
        .context("--against-hq needs HQ credentials (`hq.token`)")?;
    let anchors = client
        .journal_anchors()
        .map_err(|e| anyhow::anyhow!("HQ's anchors of this journal: {e}"))?;
    let check = journal::verify_against(&store.terminal, &key, &anchors)?;
    if let Some(b) = check.first_bad {
        return Err(bad(
            b,
            format!(
                "compared with HQ's {} anchors of this terminal",
                check.anchors
            ),
        ));
    }
    println!(
        "journal matches HQ: {} entries anchored at HQ, {} not yet",
        check.entries - check.unanchored,
        check.unanchored
    );
    Ok(())
}
