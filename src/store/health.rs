//! Read-only looks at a till's `terminal.db` for `storepos doctor`: whose it is, whether its
//! journal verifies, and what waits in its outbox. Nothing here writes, migrates or
//! creates a file, so the doctor may run beside a selling till.

use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::{StoreError, TERMINAL_FILE};
use crate::journal::{self, BadEntry, Sealer};

/// Opens `dir/terminal.db` for reading only; a missing file is an error.
pub fn open_read_only(dir: &Path) -> Result<Connection, StoreError> {
    let path = dir.join(TERMINAL_FILE);
    let conn = Connection::open_with_flags(
        &path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|source| StoreError::Open {
        path: path.clone(),
        source,
    })?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}

/// The store and terminal a `terminal.db` was made for, as recorded in it.
pub fn identity(conn: &Connection) -> Result<(Option<String>, Option<String>), StoreError> {
    let get = |key: &str| -> Result<Option<String>, rusqlite::Error> {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
    };
    Ok((get("store_id")?, get("terminal_id")?))
}

/// What the journal check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalState {
    /// Entries read.
    pub entries: u64,
    /// Sales compared with their entries.
    pub sales: u64,
    /// The first entry that is bad, in the chain or against its sale's rows.
    pub first_bad: Option<BadEntry>,
}

/// Verifies the journal of the `terminal.db` open in `conn` (in `dir`, beside its key):
/// receipt numbers, the hash chain, every signature, and the sales rows against their
/// entries. A missing key beside a journal with entries is an error.
pub fn journal(conn: &Connection, dir: &Path) -> Result<JournalState, StoreError> {
    let entries: i64 = conn.query_row("SELECT COUNT(*) FROM journal", [], |r| r.get(0))?;
    let mut state = JournalState {
        entries: entries as u64,
        sales: 0,
        first_bad: None,
    };
    if entries > 0 {
        let key = Sealer::load(dir)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?
            .verifying_key();
        let verification =
            journal::verify(conn, &key).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        state.entries = verification.entries;
        if verification.first_bad.is_some() {
            state.first_bad = verification.first_bad;
            return Ok(state);
        }
    }
    let sales = super::sales_audit::verify_sales(conn)?;
    state.sales = sales.sales;
    state.first_bad = sales.first_bad;
    Ok(state)
}

/// What waits in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxState {
    /// Events HQ has not acknowledged.
    pub backlog: u64,
    /// When the oldest of them happened.
    pub oldest: Option<DateTime<Utc>>,
    /// Events HQ refused, in all.
    pub refused: u64,
    /// A sequence conflict with HQ, which stops the uploads.
    pub conflict: Option<String>,
}

/// The outbox of the `terminal.db` open in `conn`, which `origin` (store and terminal)
/// sends.
pub fn outbox(
    conn: &Connection,
    origin: &storepos_sync::outbox::Origin,
) -> Result<OutboxState, StoreError> {
    use storepos_sync::{outbox, refusals};
    let backlog = outbox::backlog(conn)?;
    let oldest = outbox::pending(conn, origin, 1)?
        .into_iter()
        .next()
        .map(|e| e.at);
    Ok(OutboxState {
        backlog,
        oldest,
        refused: refusals::count(conn)?,
        conflict: refusals::conflict(conn, origin)?.map(|c| {
            format!(
                "HQ holds another event under sequence {} ({})",
                c.seq, c.message
            )
        }),
    })
}
