//! `storepos backup DIR` and `storepos restore DIR`: a till's data, copied while it sells
//! and put back only when it verifies and is this till's (see [`crate::store::backup`]).

use std::path::Path;

use anyhow::{Context, Result};

use crate::config::Config;
use crate::store::backup;
use crate::store::{Identity, TERMINAL_FILE};

pub(super) fn backup(config: &Config, dest: &Path) -> Result<()> {
    let manifest = backup::take(&config.data_dir, dest).with_context(|| {
        format!(
            "backing up {} into {}",
            config.data_dir.display(),
            dest.display()
        )
    })?;
    println!(
        "backed up store {} terminal {} into {}: {} journal entries, verified on the copy",
        manifest.store_id,
        manifest.terminal_id,
        dest.display(),
        manifest.journal_entries
    );
    Ok(())
}

pub(super) fn restore(config: &Config, from: &Path) -> Result<()> {
    let identity = Identity {
        store_id: config.store.id.clone(),
        terminal_id: config.terminal.id.clone(),
        currency: config.store.currency,
    };
    let restored = backup::restore(from, &config.data_dir, &identity)
        .with_context(|| format!("restoring {}", from.display()))?;
    println!(
        "restored {} ({} journal entries, taken {}) into {}",
        from.display(),
        restored.manifest.journal_entries,
        restored.manifest.taken_at.to_rfc3339(),
        config.data_dir.join(TERMINAL_FILE).display()
    );
    if let Some(aside) = restored.aside {
        println!("the files it replaced are in {}", aside.display());
    }
    Ok(())
}
