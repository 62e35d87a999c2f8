//! HQ's database backends: PostgreSQL for production and an embedded SQLite file so one
//! machine can run HQ with nothing installed, chosen by the URL in `hq.database`.
//!
//! HQ's rules (in [`super::store`], [`super::catalogue`], [`super::admin`]) are written once
//! against this small layer: a [`Query`] carries its SQL and its arguments as plain values,
//! and runs on either backend's pool or transaction. The dialects differ only where a
//! query names two texts ([`Query::dialects`]) and in how a value is stored:
//!
//! | value | PostgreSQL | SQLite |
//! |---|---|---|
//! | JSON document | `JSONB` | `TEXT` (serialised JSON) |
//! | instant | `TIMESTAMPTZ` | `TEXT`, RFC 3339 in UTC (so text order is time order) |
//! | UUID | `UUID` | `TEXT` (hyphenated) |
//!
//! Each backend has its own migrations (`src/hq/migrations/postgres`, `…/sqlite`).
//!
//! Writes on SQLite serialize: a write transaction starts with `BEGIN IMMEDIATE`, so it
//! holds the file's write lock from its first statement and never has to upgrade a read
//! lock (which could fail half-way); a writer waits for the lock up to the busy timeout,
//! and a transaction that still meets `SQLITE_BUSY` is retried from the start, as one that
//! meets a serialization failure (40001) on PostgreSQL is.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Postgres, Row as _, Sqlite, Transaction};

use super::error::HqError;
use super::retry::{self, Backoff};

/// SQLite's migrations (`src/hq/migrations/sqlite`): the same tables in SQLite's types.
static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("src/hq/migrations/sqlite");

/// How long a SQLite writer waits for another to finish before it meets `SQLITE_BUSY`.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

pub use crate::database_url::DatabaseUrl;

/// A connection pool on one of the backends.
#[derive(Clone, Debug)]
pub enum Pool {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

impl Pool {
    /// Writes a consistent copy of an embedded SQLite HQ database to `to`, a new file, while
    /// HQ runs (`VACUUM INTO`: one read transaction, so one snapshot). A PostgreSQL HQ is
    /// backed up with the server's own tools (`pg_dump`), and is refused here with that advice.
    pub async fn backup_into(&self, to: &std::path::Path) -> Result<(), HqError> {
        match self {
            Pool::Postgres(_) => Err(HqError::Invalid(
                "HQ's database is on a PostgreSQL server: back it up with pg_dump (see README, Install HQ)"
                    .into(),
            )),
            Pool::Sqlite(pool) => {
                if to.exists() {
                    return Err(HqError::Invalid(format!(
                        "{} exists: a backup goes into a new file",
                        to.display()
                    )));
                }
                let target = to.to_str().ok_or_else(|| {
                    HqError::Invalid(format!("{} is not a UTF-8 path", to.display()))
                })?;
                sqlx::query("VACUUM INTO ?1")
                    .bind(target)
                    .execute(pool)
                    .await?;
                Ok(())
            }
        }
    }

    /// Connects (creating a SQLite file if missing) and brings the schema up to date.
    pub async fn open(url: &DatabaseUrl) -> Result<Pool, HqError> {
        match url {
            DatabaseUrl::Postgres(url) => {
                // No JIT: HQ's statements are short, and compiling one costs more than it
                // saves (tens of milliseconds on a plan whose row estimate is off, such as
                // a partial index's before the table is analysed).
                //
                // On Citus, multi-shard writes (a run of sales moves the accounts of members
                // on several shards) run side by side instead of one at a time per shard: a
                // distributed deadlock between two of them is detected by Citus and ends one
                // with 40P01, which HQ retries. Plain PostgreSQL keeps the setting as an
                // unused placeholder.
                let options = url
                    .parse::<sqlx::postgres::PgConnectOptions>()?
                    .options([("jit", "off"), ("citus.enable_deadlock_prevention", "off")]);
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .connect_with(options)
                    .await?;
                if let Err(e) = migrate_postgres(&pool).await {
                    pool.close().await;
                    return Err(e);
                }
                Ok(Pool::Postgres(pool))
            }
            DatabaseUrl::Sqlite(path) => {
                // Two processes creating the same new file at once: the one that loses
                // the race to switch it to WAL or to migrate it meets a busy file and
                // tries again, by then on a file the other has set up.
                retry::retrying_if(&OPENING, "opening the SQLite file", opening_busy, || {
                    open_sqlite(path)
                })
                .await
            }
        }
    }

    /// A transaction that will write: on SQLite it takes the write lock at once.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Pool::Postgres(p) => Tx::Postgres(p.begin().await?),
            Pool::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
        })
    }

    /// A transaction that only reads: one consistent snapshot, no write lock on SQLite.
    pub async fn begin_read(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Pool::Postgres(p) => Tx::Postgres(p.begin().await?),
            Pool::Sqlite(p) => Tx::Sqlite(p.begin().await?),
        })
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Pool::Postgres(_) => "postgres",
            Pool::Sqlite(_) => "sqlite",
        }
    }

    /// Closes every connection (a SQLite file is then checkpointed and may be removed).
    pub async fn close(&self) {
        match self {
            Pool::Postgres(p) => p.close().await,
            Pool::Sqlite(p) => p.close().await,
        }
    }
}

/// How opening a SQLite file another process is setting up is tried again (about 3.5 s).
const OPENING: Backoff = Backoff {
    first: Duration::from_millis(20),
    cap: Duration::from_millis(200),
    attempts: 21,
};

/// Brings PostgreSQL's schema up to date without an advisory lock (sqlx takes one by
/// default; some PostgreSQL-compatible engines refuse them). The pending migrations and
/// their rows in `_sqlx_migrations` are applied in one transaction, so a migration is
/// recorded exactly when it took effect. Two HQs starting at once on a new database: the
/// second's DDL or its `_sqlx_migrations` row (the primary key) waits for the first and
/// then fails; it finds that more migrations are applied than when it began, and starts
/// again with nothing left to do.
async fn migrate_postgres(pool: &PgPool) -> Result<(), HqError> {
    let mut migrator = sqlx::migrate!("src/hq/migrations/postgres");
    migrator.set_locking(false);
    let migrator = &migrator;
    let raced = &AtomicBool::new(false);
    retry::retrying_if(
        &retry::WRITES,
        "migrating the database",
        |e| raced.load(Ordering::Relaxed) || retry::retryable(e),
        || async move {
            let before = applied_migrations(pool).await?;
            let outcome: Result<(), HqError> = async {
                let mut tx = pool.begin().await?;
                // `run` on a borrowed connection trips the compiler's higher-ranked `Send`
                // check; `run_direct` is sqlx's way around it.
                migrator.run_direct(None, &mut *tx, false).await?;
                tx.commit().await?;
                Ok(())
            }
            .await;
            if outcome.is_err() {
                let after = applied_migrations(pool).await.ok();
                raced.store(after.is_some_and(|a| a != before), Ordering::Relaxed);
            }
            outcome
        },
    )
    .await
}

/// The versions `_sqlx_migrations` records as applied (none before it exists).
async fn applied_migrations(pool: &PgPool) -> Result<Vec<i64>, HqError> {
    match sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
        .fetch_all(pool)
        .await
    {
        Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some("42P01") => Ok(Vec::new()),
        other => Ok(other?),
    }
}

async fn open_sqlite(path: &Path) -> Result<Pool, HqError> {
    let pool = sqlite_pool(path).await?;
    // SQLite's migrator takes no lock of its own: two processes would both find a
    // migration pending and the second would fail half-way. A lock on a file beside the
    // database makes them take turns; the second then finds nothing to do.
    let lock_path = path.with_extension("migrate-lock");
    let lock = tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)?;
        file.lock()?;
        Ok(file)
    })
    .await
    .map_err(|e| sqlx::Error::Io(std::io::Error::other(e)))?
    .map_err(sqlx::Error::Io)?;
    let migrated = SQLITE_MIGRATIONS.run(&pool).await;
    drop(lock);
    if let Err(e) = migrated {
        pool.close().await;
        return Err(e.into());
    }
    Ok(Pool::Sqlite(pool))
}

/// Whether opening failed only because another connection held the file.
fn opening_busy(e: &HqError) -> bool {
    match e {
        HqError::Db(d) => retryable(d),
        HqError::Migrate(sqlx::migrate::MigrateError::Execute(d)) => retryable(d),
        HqError::Migrate(sqlx::migrate::MigrateError::ExecuteMigration(d, _)) => retryable(d),
        _ => false,
    }
}

/// The SQLite pool of HQ's file: WAL, `synchronous=FULL` (a committed ingest survives a
/// power cut, as a till's sale does), foreign keys on, writers waiting on each other.
async fn sqlite_pool(path: &Path) -> Result<SqlitePool, sqlx::Error> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(SQLITE_BUSY_TIMEOUT)
        .foreign_keys(true);
    SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
}

pub use super::retry::retryable_db as retryable;

/// A transaction on one of the backends; dropped without [`Tx::commit`] it rolls back.
pub enum Tx {
    Postgres(Transaction<'static, Postgres>),
    Sqlite(Transaction<'static, Sqlite>),
}

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Postgres(t) => t.commit().await,
            Tx::Sqlite(t) => t.commit().await,
        }
    }

    /// Whether this transaction runs on SQLite, for the few rules whose statements differ.
    pub fn is_sqlite(&self) -> bool {
        matches!(self, Tx::Sqlite(_))
    }
}

/// Where a query runs: a pool (one statement, autocommit) or an open transaction.
pub enum On<'a> {
    PgPool(&'a PgPool),
    SqlitePool(&'a SqlitePool),
    Pg(&'a mut sqlx::PgConnection),
    Sqlite(&'a mut sqlx::SqliteConnection),
}

impl<'a> From<&'a Pool> for On<'a> {
    fn from(p: &'a Pool) -> On<'a> {
        match p {
            Pool::Postgres(p) => On::PgPool(p),
            Pool::Sqlite(p) => On::SqlitePool(p),
        }
    }
}

impl<'a> From<&'a mut Tx> for On<'a> {
    fn from(t: &'a mut Tx) -> On<'a> {
        match t {
            Tx::Postgres(t) => On::Pg(t),
            Tx::Sqlite(t) => On::Sqlite(t),
        }
    }
}

/// A value bound to a query, stored in each backend's type for it (see the table above).
#[derive(Debug, Clone)]
pub enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(bool),
    Date(Option<NaiveDate>),
    Time(Option<DateTime<Utc>>),
    Uuid(Option<uuid::Uuid>),
    Json(Value),
}

macro_rules! arg_from {
    ($($t:ty => |$v:ident| $e:expr;)*) => {
        $(impl From<$t> for Arg {
            fn from($v: $t) -> Arg {
                $e
            }
        })*
    };
}

arg_from! {
    &str => |v| Arg::Text(Some(v.to_string()));
    String => |v| Arg::Text(Some(v));
    &String => |v| Arg::Text(Some(v.clone()));
    Option<&str> => |v| Arg::Text(v.map(str::to_string));
    Option<String> => |v| Arg::Text(v);
    &Option<String> => |v| Arg::Text(v.clone());
    i64 => |v| Arg::Int(Some(v));
    Option<i64> => |v| Arg::Int(v);
    bool => |v| Arg::Bool(v);
    NaiveDate => |v| Arg::Date(Some(v));
    Option<NaiveDate> => |v| Arg::Date(v);
    DateTime<Utc> => |v| Arg::Time(Some(v));
    Option<DateTime<Utc>> => |v| Arg::Time(v);
    uuid::Uuid => |v| Arg::Uuid(Some(v));
    Option<uuid::Uuid> => |v| Arg::Uuid(v);
    Value => |v| Arg::Json(v);
    &Value => |v| Arg::Json(v.clone());
}

type PgQuery = sqlx::query::Query<'static, Postgres, sqlx::postgres::PgArguments>;
type SqliteQuery = sqlx::query::Query<'static, Sqlite, sqlx::sqlite::SqliteArguments>;

impl Arg {
    fn bind_pg(self, q: PgQuery) -> PgQuery {
        match self {
            Arg::Text(v) => q.bind(v),
            Arg::Int(v) => q.bind(v),
            Arg::Bool(v) => q.bind(v),
            Arg::Date(v) => q.bind(v),
            Arg::Time(v) => q.bind(v),
            Arg::Uuid(v) => q.bind(v),
            Arg::Json(v) => q.bind(v),
        }
    }

    fn bind_sqlite(self, q: SqliteQuery) -> SqliteQuery {
        match self {
            Arg::Text(v) => q.bind(v),
            Arg::Int(v) => q.bind(v),
            Arg::Bool(v) => q.bind(v),
            Arg::Date(v) => q.bind(v),
            Arg::Time(v) => {
                q.bind(v.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, false)))
            }
            Arg::Uuid(v) => q.bind(v.map(|u| u.hyphenated().to_string())),
            Arg::Json(v) => q.bind(v.to_string()),
        }
    }
}

/// One statement and its arguments, runnable on either backend.
#[must_use]
pub struct Query {
    postgres: &'static str,
    sqlite: &'static str,
    args: Vec<Arg>,
}

/// A statement both dialects read the same way (`$1`-style parameters work on both).
pub fn query(sql: &'static str) -> Query {
    Query::dialects(sql, sql)
}

impl Query {
    /// A statement that needs different text in each dialect.
    pub fn dialects(postgres: &'static str, sqlite: &'static str) -> Query {
        Query {
            postgres,
            sqlite,
            args: Vec::new(),
        }
    }

    pub fn bind(mut self, value: impl Into<Arg>) -> Query {
        self.args.push(value.into());
        self
    }

    fn pg(self) -> PgQuery {
        self.args
            .into_iter()
            .fold(sqlx::query(self.postgres), |q, a| a.bind_pg(q))
    }

    fn sqlite(self) -> SqliteQuery {
        self.args
            .into_iter()
            .fold(sqlx::query(self.sqlite), |q, a| a.bind_sqlite(q))
    }

    /// Runs the statement; returns the rows it changed.
    pub async fn execute<'a>(self, on: impl Into<On<'a>>) -> Result<u64, sqlx::Error> {
        Ok(match on.into() {
            On::PgPool(p) => self.pg().execute(p).await?.rows_affected(),
            On::Pg(c) => self.pg().execute(c).await?.rows_affected(),
            On::SqlitePool(p) => self.sqlite().execute(p).await?.rows_affected(),
            On::Sqlite(c) => self.sqlite().execute(c).await?.rows_affected(),
        })
    }

    pub async fn fetch_all<'a>(self, on: impl Into<On<'a>>) -> Result<Vec<Row>, sqlx::Error> {
        Ok(match on.into() {
            On::PgPool(p) => wrap(self.pg().fetch_all(p).await?, Row::Postgres),
            On::Pg(c) => wrap(self.pg().fetch_all(c).await?, Row::Postgres),
            On::SqlitePool(p) => wrap(self.sqlite().fetch_all(p).await?, Row::Sqlite),
            On::Sqlite(c) => wrap(self.sqlite().fetch_all(c).await?, Row::Sqlite),
        })
    }

    pub async fn fetch_optional<'a>(
        self,
        on: impl Into<On<'a>>,
    ) -> Result<Option<Row>, sqlx::Error> {
        Ok(match on.into() {
            On::PgPool(p) => self.pg().fetch_optional(p).await?.map(Row::Postgres),
            On::Pg(c) => self.pg().fetch_optional(c).await?.map(Row::Postgres),
            On::SqlitePool(p) => self.sqlite().fetch_optional(p).await?.map(Row::Sqlite),
            On::Sqlite(c) => self.sqlite().fetch_optional(c).await?.map(Row::Sqlite),
        })
    }

    pub async fn fetch_one<'a>(self, on: impl Into<On<'a>>) -> Result<Row, sqlx::Error> {
        self.fetch_optional(on)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }
}

fn wrap<R>(rows: Vec<R>, f: fn(R) -> Row) -> Vec<Row> {
    rows.into_iter().map(f).collect()
}

/// A result row from either backend.
pub enum Row {
    Postgres(PgRow),
    Sqlite(SqliteRow),
}

impl Row {
    /// The column at `index`; panics if the schema does not hold that type there (as
    /// sqlx's `Row::get` does: a programming error, not bad input).
    pub fn get<T: Column>(&self, index: usize) -> T {
        match self.try_get(index) {
            Ok(v) => v,
            Err(e) => panic!("column {index}: {e}"),
        }
    }

    pub fn try_get<T: Column>(&self, index: usize) -> Result<T, sqlx::Error> {
        match self {
            Row::Postgres(r) => T::from_pg(r, index),
            Row::Sqlite(r) => T::from_sqlite(r, index),
        }
    }

    /// A JSON document column (JSONB on PostgreSQL, text on SQLite).
    pub fn json(&self, index: usize) -> Result<Value, sqlx::Error> {
        match self {
            Row::Postgres(r) => r.try_get(index),
            Row::Sqlite(r) => {
                let text: String = r.try_get(index)?;
                serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
            }
        }
    }
}

/// A column type both backends decode the same way.
pub trait Column: Sized {
    fn from_pg(row: &PgRow, index: usize) -> Result<Self, sqlx::Error>;
    fn from_sqlite(row: &SqliteRow, index: usize) -> Result<Self, sqlx::Error>;
}

macro_rules! column {
    ($($t:ty),*) => {
        $(impl Column for $t {
            fn from_pg(row: &PgRow, index: usize) -> Result<Self, sqlx::Error> {
                row.try_get(index)
            }
            fn from_sqlite(row: &SqliteRow, index: usize) -> Result<Self, sqlx::Error> {
                row.try_get(index)
            }
        })*
    };
}

column!(
    String,
    Option<String>,
    i64,
    Option<i64>,
    bool,
    NaiveDate,
    Option<NaiveDate>,
    DateTime<Utc>,
    Option<DateTime<Utc>>
);

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn postgres_urls_select_postgres() {
        for url in [
            "postgres://postgres@127.0.0.1:5432/postgres",
            "postgresql://u:p@db.example.com/hq?sslmode=require",
            "POSTGRES://postgres@localhost/hq",
        ] {
            assert_eq!(
                DatabaseUrl::parse(url),
                Ok(DatabaseUrl::Postgres(url.to_string())),
                "{url}"
            );
        }
    }

    #[test]
    fn sqlite_urls_and_plain_paths_select_an_embedded_file() {
        for (text, path) in [
            ("sqlite://storepos-hq.db", "storepos-hq.db"),
            (
                "sqlite:///var/lib/storepos/hq.db",
                "/var/lib/storepos/hq.db",
            ),
            ("sqlite:hq.db", "hq.db"),
            ("hq/storepos-hq.db", "hq/storepos-hq.db"),
            ("/srv/hq.sqlite", "/srv/hq.sqlite"),
            ("  sqlite://hq.db  ", "hq.db"),
        ] {
            assert_eq!(
                DatabaseUrl::parse(text),
                Ok(DatabaseUrl::Sqlite(PathBuf::from(path))),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_urls_are_refused_with_what_is_accepted() {
        for (text, says) in [
            ("", "is empty"),
            ("   ", "is empty"),
            ("sqlite://", "names no file"),
            ("sqlite:", "names no file"),
            ("sqlite::memory:", "in-memory"),
            ("sqlite://hq.db?mode=memory", "without options"),
            (
                "mysql://root@localhost/hq",
                "'mysql' databases are not supported",
            ),
            ("http://hq.example.com/", "not supported"),
            (
                "postgres://postgres@127.0.0.1:notaport/hq",
                "not a PostgreSQL URL",
            ),
        ] {
            let err = DatabaseUrl::parse(text).expect_err(text);
            assert!(err.contains(says), "{text}: {err}");
        }
    }

    #[test]
    fn passwords_are_left_out_of_messages() {
        let url = DatabaseUrl::parse("postgres://hq:s3cret@db.example.com/hq").unwrap();
        assert!(!url.display().contains("s3cret"), "{}", url.display());
        assert_eq!(
            DatabaseUrl::parse("sqlite://hq.db").unwrap().display(),
            "sqlite://hq.db"
        );
    }

    #[tokio::test]
    async fn a_sqlite_url_opens_a_new_file_with_full_durability() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hq/storepos-hq.db");
        let url = DatabaseUrl::parse(&format!("sqlite://{}", path.display())).unwrap();
        let pool = Pool::open(&url).await.unwrap();
        assert_eq!(pool.backend(), "sqlite");
        assert!(path.exists());
        let Pool::Sqlite(lite) = &pool else {
            unreachable!()
        };
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(lite)
            .await
            .unwrap();
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(lite)
            .await
            .unwrap();
        assert_eq!(
            (mode.as_str(), synchronous),
            ("wal", 2),
            "WAL, synchronous=FULL"
        );
        // The schema is there, and opening again migrates nothing twice.
        query("SELECT COUNT(*) FROM events")
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        Pool::open(&url).await.unwrap().close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn many_openers_of_one_new_sqlite_file_all_get_the_same_migrated_schema() {
        for round in 0..5 {
            let dir = tempfile::tempdir().unwrap();
            let url = DatabaseUrl::parse(&format!(
                "sqlite://{}",
                dir.path().join(format!("hq-{round}.db")).display()
            ))
            .unwrap();
            let openers: Vec<_> = (0..6)
                .map(|_| {
                    let url = url.clone();
                    tokio::spawn(async move { Pool::open(&url).await })
                })
                .collect();
            for opener in openers {
                let pool = opener.await.unwrap().expect("every opener gets the file");
                query("SELECT COUNT(*) FROM events")
                    .fetch_one(&pool)
                    .await
                    .unwrap();
                pool.close().await;
            }
        }
    }

    #[tokio::test]
    async fn a_sqlite_writer_busy_past_its_timeout_is_retryable_and_others_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hq.db");
        let options = |timeout| {
            SqliteConnectOptions::new()
                .filename(&path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(timeout)
        };
        let holder = SqlitePoolOptions::new()
            .connect_with(options(SQLITE_BUSY_TIMEOUT))
            .await
            .unwrap();
        let _writing = holder.begin_with("BEGIN IMMEDIATE").await.unwrap();
        let impatient = SqlitePoolOptions::new()
            .connect_with(options(Duration::ZERO))
            .await
            .unwrap();
        let busy = impatient.begin_with("BEGIN IMMEDIATE").await.unwrap_err();
        assert!(retryable(&busy), "{busy}");
        assert!(!retryable(&sqlx::Error::RowNotFound));
        let syntax = sqlx::query("SELEC 1")
            .execute(&impatient)
            .await
            .unwrap_err();
        assert!(!retryable(&syntax), "{syntax}");
    }
}
