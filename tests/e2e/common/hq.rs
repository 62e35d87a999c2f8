//! Helpers for tests that run HQ for real: a fresh database per test (PostgreSQL, or an
//! embedded SQLite file), the `storepos hq serve` process, and a store registered with it.
//! [`on_each_backend!`](crate::on_each_backend) runs a test once on each backend.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin;

/// A fresh HQ database for one test, dropped at the end: a database on the PostgreSQL
/// server, or an embedded SQLite file in a temporary directory.
pub enum Database {
    Postgres { name: String },
    Sqlite { dir: tempfile::TempDir },
}

/// Defines, for each named test function taking a [`Database`], a module of that name with
/// a test per backend: `name::postgres` and `name::sqlite`.
#[macro_export]
macro_rules! on_each_backend {
    ($($name:ident),* $(,)?) => {
        $(mod $name {
            #[test]
            fn postgres() {
                super::$name($crate::common::hq::Database::postgres())
            }
            #[test]
            fn sqlite() {
                super::$name($crate::common::hq::Database::sqlite())
            }
        })*
    };
}

/// The PostgreSQL server the tests make their databases on: 127.0.0.1:5432 unless
/// `STOREPOS_TEST_POSTGRES` names another (`postgres://user@host:port`).
fn server() -> String {
    std::env::var("STOREPOS_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_string())
}

/// With `STOREPOS_TEST_CITUS=N` (a server with Citus preloaded), each test database gets
/// the citus extension and HQ's tables laid out on it with N shards each
/// (`storepos hq distribute`), so the tests run HQ distributed (see README, Distributed
/// engines).
fn citus_shards() -> Option<u32> {
    std::env::var("STOREPOS_TEST_CITUS")
        .ok()
        .map(|n| n.parse().expect("STOREPOS_TEST_CITUS is a shard count"))
}

pub fn psql(sql: &str) {
    let sql = sql.to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let pool = sqlx::PgPool::connect(&format!("{}/postgres", server()))
            .await
            .unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&pool)
            .await
            .unwrap();
    });
}

impl Database {
    /// A fresh PostgreSQL database.
    pub fn new() -> Database {
        Database::postgres()
    }

    pub fn postgres() -> Database {
        let mut bytes = [0u8; 6];
        getrandom::fill(&mut bytes).unwrap();
        let name = format!("storepos_test_{}", hex::encode(bytes));
        psql(&format!("CREATE DATABASE {name}"));
        let db = Database::Postgres { name };
        if let Some(shards) = citus_shards() {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async {
                let pool = sqlx::PgPool::connect(&db.url()).await.unwrap();
                sqlx::raw_sql("CREATE EXTENSION citus")
                    .execute(&pool)
                    .await
                    .unwrap();
                pool.close().await;
                let store = storepos::hq::HqStore::open(&db.url()).await.unwrap();
                storepos::hq::distribution::distribute(store.pool(), Some(shards))
                    .await
                    .unwrap();
                store.pool().close().await;
            });
        }
        db
    }

    /// A SQLite file HQ creates on first use.
    pub fn sqlite() -> Database {
        Database::Sqlite {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The value for `hq.database`.
    pub fn url(&self) -> String {
        match self {
            Database::Postgres { name } => format!("{}/{name}", server()),
            Database::Sqlite { dir } => format!("sqlite://{}", dir.path().join("hq.db").display()),
        }
    }

    /// The integer columns of the one row a query returns, read straight from HQ's
    /// database (`$1`-style parameters, text arguments).
    pub fn row(&self, sql: &str, args: &[&str]) -> Vec<i64> {
        match self {
            Database::Postgres { .. } => {
                let rt = tokio::runtime::Runtime::new().unwrap();
                rt.block_on(async {
                    use sqlx::Row;
                    let pool = sqlx::PgPool::connect(&self.url()).await.unwrap();
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
                    for a in args {
                        q = q.bind(a.to_string());
                    }
                    let row = q.fetch_one(&pool).await.unwrap();
                    (0..row.len()).map(|i| row.get::<i64, _>(i)).collect()
                })
            }
            Database::Sqlite { dir } => {
                let conn = rusqlite::Connection::open(dir.path().join("hq.db")).unwrap();
                conn.query_row(sql, rusqlite::params_from_iter(args), |r| {
                    (0..r.as_ref().column_count())
                        .map(|i| r.get::<_, i64>(i))
                        .collect::<Result<Vec<_>, _>>()
                })
                .unwrap()
            }
        }
    }

    /// The single integer a query returns.
    pub fn scalar(&self, sql: &str, args: &[&str]) -> i64 {
        self.row(sql, args)[0]
    }

    /// Runs a statement straight on HQ's database (HQ stopped, for a test's setup).
    pub fn execute(&self, sql: &str) {
        match self {
            Database::Postgres { .. } => {
                let rt = tokio::runtime::Runtime::new().unwrap();
                rt.block_on(async {
                    let pool = sqlx::PgPool::connect(&self.url()).await.unwrap();
                    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
                        .execute(&pool)
                        .await
                        .unwrap();
                })
            }
            Database::Sqlite { dir } => {
                let conn = rusqlite::Connection::open(dir.path().join("hq.db")).unwrap();
                conn.execute_batch(sql).unwrap();
            }
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Database::Postgres { name } = self {
            psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn storepos(dir: &std::path::Path) -> Command {
    let mut c = Command::new(cargo_bin("storepos"));
    c.current_dir(dir).env_remove("STOREPOS_CONFIG");
    c
}

pub fn run_ok(c: &mut Command) -> String {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub struct Hq {
    child: Child,
    pub url: String,
}

impl Hq {
    pub fn start(dir: &std::path::Path) -> Hq {
        Hq::spawn(dir, storepos(dir).stderr(Stdio::null()))
    }

    /// HQ with its log (filtered by `filter`, as `RUST_LOG`) written to `log`.
    pub fn start_logging(dir: &std::path::Path, log: &std::path::Path, filter: &str) -> Hq {
        let file = std::fs::File::create(log).unwrap();
        Hq::spawn(
            dir,
            storepos(dir)
                .env("RUST_LOG", filter)
                .env("NO_COLOR", "1")
                .stderr(file),
        )
    }

    /// Stops HQ (killed, and waited for).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn spawn(dir: &std::path::Path, command: &mut Command) -> Hq {
        let child = command
            .args(["hq", "serve"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let config = std::fs::read_to_string(dir.join("storepos.toml")).unwrap();
        let listen = config
            .lines()
            .find_map(|l| l.strip_prefix("listen = \""))
            .unwrap()
            .trim_end_matches('"')
            .to_string();
        let url = format!("http://{listen}/");
        let started = Instant::now();
        while reqwest::blocking::get(format!("{url}health"))
            .map(|r| r.status().as_u16())
            .ok()
            != Some(200)
        {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "HQ did not come up"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Hq { child, url }
    }
}

impl Drop for Hq {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A store with the demo data, HQ in a fresh database with one member only HQ knows, and
/// the terminal registered with HQ.
pub fn setup(db: &Database) -> (tempfile::TempDir, String) {
    let work = tempfile::tempdir().unwrap();
    super::seed(work.path());
    let port = free_port();
    let hq_only = work.path().join("hq-members.csv");
    std::fs::write(&hq_only, "card,name,phone,tier,points,home_store\n7700000000001234,Ana Souza,+5511987654321,silver,900,S002\n").unwrap();
    let base = format!(
        "[hq]\nurl = \"http://127.0.0.1:{port}/\"\ndatabase = \"{}\"\nlisten = \"127.0.0.1:{port}\"\n",
        db.url()
    );
    std::fs::write(work.path().join("storepos.toml"), &base).unwrap();
    run_ok(
        storepos(work.path())
            .args(["hq", "import-members"])
            .arg(&hq_only),
    );
    let token = register(work.path(), "S001", "T01");
    let with_token = base.replace("[hq]\n", &format!("[hq]\ntoken = \"{token}\"\n"));
    std::fs::write(work.path().join("storepos.toml"), with_token).unwrap();
    (work, token)
}

/// Adds `extra` (TOML lines) to the `[hq]` table of the configuration in `dir`.
pub fn with_hq_settings(dir: &std::path::Path, extra: &str) {
    let path = dir.join("storepos.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, config.replace("[hq]\n", &format!("[hq]\n{extra}"))).unwrap();
}

/// Another till of the store set up by [`setup`] in `first`: the same configuration with
/// its own terminal id and token, and the demo data.
pub fn second_till(first: &std::path::Path, terminal: &str) -> tempfile::TempDir {
    till_of(first, "S001", terminal)
}

/// A till `terminal` of store `store` beside the one set up in `first`: the same HQ with
/// its own token, its own directory and the demo data.
pub fn till_of(first: &std::path::Path, store: &str, terminal: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let token = register(first, store, terminal);
    let config: String = std::fs::read_to_string(first.join("storepos.toml"))
        .unwrap()
        .lines()
        .map(|l| {
            if l.starts_with("token = ") {
                format!("token = \"{token}\"\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(
        dir.path().join("storepos.toml"),
        format!("[store]\nid = \"{store}\"\n[terminal]\nid = \"{terminal}\"\n{config}"),
    )
    .unwrap();
    super::seed(dir.path());
    dir
}

/// Loads the demo members (with their opening balances) into HQ.
pub fn import_demo_members(dir: &std::path::Path) {
    let file = dir.join("demo-members.csv");
    std::fs::write(&file, storepos::demo::MEMBERS_CSV).unwrap();
    run_ok(storepos(dir).args(["hq", "import-members"]).arg(&file));
}

/// Registers a terminal with the HQ configured in `dir` and returns its token.
pub fn register(dir: &std::path::Path, store: &str, terminal: &str) -> String {
    run_ok(storepos(dir).args(["hq", "register", "--store", store, "--terminal", terminal]))
        .trim()
        .to_string()
}
