//! The terminal store: SQLite files in the data directory, their migrations and typed
//! repositories.
//!
//! Two files, two durability levels:
//! - `terminal.db` holds what must never be lost (sales, journal, outbox, ledger cache):
//!   WAL with `synchronous=FULL`, so a committed transaction survives a power cut.
//! - `catalogue.db` holds what HQ can send again (products, members, operators, imported
//!   purchase history): WAL with `synchronous=NORMAL`, which is safe against corruption
//!   and much faster for bulk loads.

pub mod backup;
pub mod catalogue;
pub mod events;
pub mod health;
pub mod history;
pub mod lifecycle;
pub mod loyalty;
pub mod member_view;
pub mod members;
pub mod operators;
pub mod promotions;
pub mod returns;
pub mod sales;
pub mod sales_audit;
mod schema;
pub mod shifts;
pub mod suspended;

use std::path::{Path, PathBuf};

use iso_currency::Currency;
use rusqlite::{Connection, OptionalExtension};

pub use catalogue::Catalogue;
pub use schema::{CATALOGUE_VERSION, TERMINAL_VERSION};

pub const TERMINAL_FILE: &str = "terminal.db";
pub const CATALOGUE_FILE: &str = "catalogue.db";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("database {path} could not be migrated: {source}")]
    Migrate {
        path: PathBuf,
        source: rusqlite_migration::Error,
    },
    #[error(
        "data directory {path} belongs to store {recorded_store} in {recorded_currency}, but the configuration says store {store} in {currency} (keys `store.id`, `store.currency`)"
    )]
    Mismatch {
        path: PathBuf,
        recorded_store: String,
        recorded_currency: String,
        store: String,
        currency: String,
    },
    #[error(
        "data directory {path} was provisioned for terminal {recorded}, but the configuration says terminal {terminal} (key `terminal.id`)"
    )]
    TerminalMismatch {
        path: PathBuf,
        recorded: String,
        terminal: String,
    },
    /// A data directory that lost a file it cannot live without (see [`lifecycle`]).
    #[error("data directory {dir}: {what}; {remedy}")]
    Lost {
        dir: PathBuf,
        what: String,
        remedy: &'static str,
    },
    #[error(
        "{path} cannot be read ({message}); restore it from a backup, or re-provision this till with `storepos init --reprovision --terminal NEW_ID`"
    )]
    Unreadable { path: PathBuf, message: String },
    #[error("cannot re-provision: {0}")]
    Reprovision(String),
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    /// Data that would make the store wrong, refused before anything was written.
    #[error("{0}")]
    Refused(String),
}

/// Which store owns a data directory; recorded when the directory is first created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub store_id: String,
    pub terminal_id: String,
    pub currency: Currency,
}

/// The open data directory.
pub struct Store {
    pub terminal: Connection,
    pub catalogue: Catalogue,
    identity: Identity,
    dir: PathBuf,
}

impl Store {
    /// Opens the data directory `dir` as `config` describes its store and terminal (id,
    /// currency); its catalogue takes the products of the configured VAT rates. Every
    /// program that opens a till's data opens it here.
    pub fn open_configured(
        config: &crate::config::Config,
        dir: &Path,
    ) -> Result<Store, StoreError> {
        let mut store = Store::open(
            dir,
            Identity {
                store_id: config.store.id.clone(),
                terminal_id: config.terminal.id.clone(),
                currency: config.store.currency,
            },
        )?;
        store
            .catalogue
            .set_tax_rates(config.store.tax_rates.clone());
        Ok(store)
    }

    /// Opens (creating and migrating as needed) the data directory for this store. A
    /// directory that served a till before and lost its `terminal.db`, or holds an empty
    /// one, is refused (see [`lifecycle`]).
    pub fn open(dir: &Path, identity: Identity) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
            path: dir.to_path_buf(),
            source,
        })?;
        lifecycle::check(dir)?;
        Store::open_checked(dir, identity)
    }

    /// Gives a directory whose `terminal.db` is lost a new life as terminal
    /// `identity.terminal_id`: the old files are set aside (the folder is returned),
    /// `lost_terminal` is retired, and a new store is created.
    pub fn reprovision(
        dir: &Path,
        lost_terminal: &str,
        identity: Identity,
    ) -> Result<(Store, PathBuf), StoreError> {
        let aside = lifecycle::set_aside(dir, lost_terminal, &identity.terminal_id)?;
        // The sales file is new by design here; an empty catalogue was set aside.
        lifecycle::check_catalogue(dir)?;
        Ok((Store::open_checked(dir, identity)?, aside))
    }

    fn open_checked(dir: &Path, identity: Identity) -> Result<Store, StoreError> {
        let terminal_path = dir.join(TERMINAL_FILE);
        let unreadable = |e: StoreError| match e {
            StoreError::Open { path, source } => StoreError::Unreadable {
                path,
                message: source.to_string(),
            },
            StoreError::Migrate { path, source } => StoreError::Unreadable {
                path,
                message: source.to_string(),
            },
            StoreError::Corrupt(message) => StoreError::Unreadable {
                path: terminal_path.clone(),
                message,
            },
            other => other,
        };
        let mut terminal = open_connection(&terminal_path, Durability::Full).map_err(unreadable)?;
        schema::migrate_terminal(&mut terminal)
            .map_err(|source| StoreError::Migrate {
                path: terminal_path.clone(),
                source,
            })
            .map_err(unreadable)?;
        check_identity(&terminal, &terminal_path, &identity)?;
        let catalogue_path = dir.join(CATALOGUE_FILE);
        let mut catalogue = open_connection(&catalogue_path, Durability::Normal)?;
        schema::migrate_catalogue(&mut catalogue).map_err(|source| StoreError::Migrate {
            path: catalogue_path,
            source,
        })?;
        Ok(Store {
            terminal,
            catalogue: Catalogue::new(catalogue, identity.currency),
            identity,
            dir: dir.to_path_buf(),
        })
    }

    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// How hard SQLite works to keep a commit across a power cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// fsync on every commit: completed sales must survive a power cut.
    Full,
    /// fsync at checkpoints: data that can be fetched again.
    Normal,
}

/// Opens a connection with the pragmas every StorePOS database uses.
pub fn open_connection(path: &Path, durability: Durability) -> Result<Connection, StoreError> {
    let wrap = |source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    };
    let conn = Connection::open(path).map_err(wrap)?;
    let sync = match durability {
        Durability::Full => "FULL",
        Durability::Normal => "NORMAL",
    };
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = {sync};
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000;
         PRAGMA cache_size = -32768;"
    ))
    .map_err(wrap)?;
    // Reading back proves the file is a database (a corrupt file fails here, clearly).
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .map_err(wrap)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Corrupt(format!(
            "{} refused WAL mode (got {mode})",
            path.display()
        )));
    }
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

fn check_identity(conn: &Connection, path: &Path, identity: &Identity) -> Result<(), StoreError> {
    let get = |key: &str| -> Result<Option<String>, rusqlite::Error> {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
    };
    match (get("store_id")?, get("currency")?) {
        (Some(store), Some(currency)) => {
            if store != identity.store_id || currency != identity.currency.code() {
                return Err(StoreError::Mismatch {
                    path: path.to_path_buf(),
                    recorded_store: store,
                    recorded_currency: currency,
                    store: identity.store_id.clone(),
                    currency: identity.currency.code().to_string(),
                });
            }
            // Receipt numbers and outbox sequences belong to one terminal id: another id on
            // this file would reuse them under a name HQ holds other events for.
            if let Some(recorded) = get("terminal_id")?
                && recorded != identity.terminal_id
            {
                return Err(StoreError::TerminalMismatch {
                    path: path.to_path_buf(),
                    recorded,
                    terminal: identity.terminal_id.clone(),
                });
            }
        }
        _ => {
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES
                 ('store_id', ?1), ('terminal_id', ?2), ('currency', ?3)",
                rusqlite::params![
                    identity.store_id,
                    identity.terminal_id,
                    identity.currency.code()
                ],
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(currency: Currency) -> Identity {
        Identity {
            store_id: "S001".into(),
            terminal_id: "T01".into(),
            currency,
        }
    }

    #[test]
    fn migrates_an_empty_directory_with_the_promised_pragmas() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), identity(Currency::CNY)).unwrap();
        let sync: i64 = store
            .terminal
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 2, "terminal.db must use synchronous=FULL");
        let mode: String = store
            .terminal
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let version: i64 = store
            .terminal
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, TERMINAL_VERSION);
        let version: i64 = store
            .catalogue
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, CATALOGUE_VERSION);
        drop(store);
        // Reopening is idempotent.
        Store::open(dir.path(), identity(Currency::CNY)).unwrap();
    }

    #[test]
    fn refuses_a_directory_of_another_currency() {
        let dir = tempfile::tempdir().unwrap();
        Store::open(dir.path(), identity(Currency::CNY)).unwrap();
        let err = Store::open(dir.path(), identity(Currency::USD))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("store.currency"), "{err}");
    }

    #[test]
    fn a_corrupt_database_file_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(TERMINAL_FILE),
            b"this is not a database at all, just text that is long enough to look like a header",
        )
        .unwrap();
        let err = Store::open(dir.path(), identity(Currency::CNY))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("terminal.db"), "{err}");
    }
}
