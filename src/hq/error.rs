//! HQ's error: what went wrong with the database, its migrations, a terminal's events or
//! a request, for [`super::api`] to answer and the commands to report. Its own module so
//! the database layer ([`super::db`]) and the rules above it ([`super::store`]) both use it
//! without using each other.

use storepos_sync::wire::SeqConflict;

#[derive(Debug, thiserror::Error)]
pub enum HqError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("event {seq} ({kind}) cannot be applied: {message}")]
    BadEvent {
        seq: u64,
        kind: String,
        message: String,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("hq.database {0}")]
    Url(String),
    #[error("event {seq} names {store}/{terminal}, not the terminal that sent it")]
    ForeignEvent {
        seq: u64,
        store: String,
        terminal: String,
    },
    /// HQ holds another event where the batch puts one (see [`super::rules::sequence`]).
    #[error("sequence {}: {}", .0.seq, .0.message)]
    Conflict(SeqConflict),
}
