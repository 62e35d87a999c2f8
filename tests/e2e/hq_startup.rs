//! HQ starting and stopping: HQs opening one new PostgreSQL database at once all come up
//! and the schema is migrated once, without the advisory lock sqlx's migrator would take
//! (another session holds it throughout); `storepos hq serve` over TLS stops on SIGTERM,
//! answering the request it is in the middle of, and exits 0.

use crate::common;

use std::io::Read;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::hq::{Database, free_port, storepos};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use sqlx::Connection;
use storepos::hq::HqStore;

/// The advisory lock key sqlx's PostgreSQL migrator takes for a database: CRC-32
/// (ISO-HDLC) of its name times 0x3d32ad9e.
fn sqlx_migration_lock_key(database: &str) -> i64 {
    let mut crc = !0u32;
    for byte in database.bytes() {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    0x3d32_ad9e * i64::from(!crc)
}

#[test]
fn the_lock_key_is_the_one_sqlx_derives() {
    // CRC-32 of "123456789" is 0xCBF43926, the algorithm's check value.
    assert_eq!(
        sqlx_migration_lock_key("123456789"),
        0x3d32_ad9e * 0xCBF4_3926
    );
}

#[test]
fn hqs_opening_one_new_postgres_database_at_once_migrate_it_once_without_an_advisory_lock() {
    let migrations = std::fs::read_dir(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/hq/migrations/postgres"),
    )
    .unwrap()
    .filter(|e| {
        e.as_ref()
            .unwrap()
            .path()
            .extension()
            .is_some_and(|x| x == "sql")
    })
    .count() as i64;
    assert!(migrations > 0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    for round in 0..3 {
        let db = Database::postgres();
        let Database::Postgres { name } = &db else {
            unreachable!()
        };
        let url = db.url();
        rt.block_on(async {
            // Held by another session all along: a migrator taking it would wait forever.
            let mut holder = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(sqlx_migration_lock_key(name))
                .execute(&mut holder)
                .await
                .unwrap();
            let holder_pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
                .fetch_one(&mut holder)
                .await
                .unwrap();
            let openers: Vec<_> = (0..4)
                .map(|_| {
                    let url = url.clone();
                    tokio::spawn(async move { HqStore::open(&url).await })
                })
                .collect();
            // Watches for an advisory lock any other session of this database asks for.
            let mut watcher = sqlx::PgConnection::connect(&url).await.unwrap();
            let started = Instant::now();
            let mut advisory = 0i64;
            while !openers.iter().all(|o| o.is_finished()) {
                assert!(
                    started.elapsed() < Duration::from_secs(60),
                    "round {round}: opening waits (for an advisory lock?)"
                );
                advisory += sqlx::query_scalar::<_, i64>(
                    "SELECT COUNT(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
                     WHERE l.locktype = 'advisory' AND d.datname = $1 AND l.pid <> $2",
                )
                .bind(name)
                .bind(holder_pid)
                .fetch_one(&mut watcher)
                .await
                .unwrap();
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            assert_eq!(advisory, 0, "round {round}: an advisory lock was asked for");
            for opener in openers {
                let store = opener.await.unwrap().expect("every HQ opens the database");
                store.ping().await.unwrap();
                store.pool().close().await;
            }
            let (rows, versions, failed): (i64, i64, i64) = sqlx::query_as(
                "SELECT COUNT(*), COUNT(DISTINCT version), COUNT(*) FILTER (WHERE NOT success)
                 FROM _sqlx_migrations",
            )
            .fetch_one(&mut watcher)
            .await
            .unwrap();
            assert_eq!(
                (rows, versions, failed),
                (migrations, migrations, 0),
                "round {round}"
            );
            let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events")
                .fetch_one(&mut watcher)
                .await
                .unwrap();
            assert_eq!(events, 0);
            // Opened again, nothing is left to migrate.
            let again = HqStore::open(&url).await.unwrap();
            again.pool().close().await;
            let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
                .fetch_one(&mut watcher)
                .await
                .unwrap();
            assert_eq!(rows, migrations);
            holder.close().await.unwrap();
            watcher.close().await.unwrap();
        });
    }
}

/// A request body whose first half goes at once and whose rest waits for `go`.
struct HeldBody {
    body: Vec<u8>,
    sent: usize,
    started: Option<mpsc::Sender<()>>,
    go: mpsc::Receiver<()>,
}

impl Read for HeldBody {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let half = self.body.len() / 2;
        if self.sent == half {
            if let Some(started) = self.started.take() {
                let _ = started.send(());
            }
            let _ = self.go.recv();
        }
        let end = if self.sent < half {
            half
        } else {
            self.body.len()
        };
        let n = (end - self.sent).min(buf.len());
        buf[..n].copy_from_slice(&self.body[self.sent..self.sent + n]);
        self.sent += n;
        Ok(n)
    }
}

#[cfg(unix)]
#[test]
fn sigterm_stops_hq_over_tls_after_answering_the_request_in_flight() {
    let db = Database::sqlite();
    let work = tempfile::tempdir().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let (cert_file, key_file) = (work.path().join("hq.pem"), work.path().join("hq-key.pem"));
    std::fs::write(&cert_file, cert.pem()).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    let port = free_port();
    std::fs::write(
        work.path().join("storepos.toml"),
        format!(
            "[hq]\ndatabase = \"{}\"\nlisten = \"127.0.0.1:{port}\"\ntls_cert = \"{}\"\ntls_key = \"{}\"\nadmin_token = \"staff-secret\"\n",
            db.url(),
            cert_file.display(),
            key_file.display()
        ),
    )
    .unwrap();
    let mut hq = storepos(work.path())
        .args(["hq", "serve"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::blocking::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let base = format!("https://127.0.0.1:{port}/");
    let started = Instant::now();
    while client
        .get(format!("{base}health"))
        .send()
        .map(|r| r.status().as_u16())
        .ok()
        != Some(200)
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "HQ did not come up over TLS"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // A settings upload whose body is half sent when SIGTERM arrives.
    let (started_tx, started_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel();
    let body = HeldBody {
        body: serde_json::to_vec(&serde_json::json!({"name": "Centro"})).unwrap(),
        sent: 0,
        started: Some(started_tx),
        go: go_rx,
    };
    let request = client
        .put(format!("{base}v1/admin/settings/S001"))
        .bearer_auth("staff-secret")
        .header("content-type", "application/json")
        .body(reqwest::blocking::Body::new(body));
    let in_flight = std::thread::spawn(move || {
        request
            .send()
            .map(|r| (r.status().as_u16(), r.text().unwrap_or_default()))
    });
    started_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the request started");
    // Let HQ take the headers before it is told to stop.
    std::thread::sleep(Duration::from_millis(300));
    let pid = hq.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        hq.try_wait().unwrap().is_none(),
        "HQ left with a request in flight"
    );
    let stopping = Instant::now();
    go_tx.send(()).unwrap();
    let answer = in_flight
        .join()
        .unwrap()
        .expect("the request in flight is answered");
    assert_eq!(answer.0, 200, "{}", answer.1);
    let status = loop {
        if let Some(status) = hq.try_wait().unwrap() {
            break status;
        }
        assert!(
            stopping.elapsed() < Duration::from_secs(5),
            "HQ did not stop after its last request"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "HQ ended with {status} on SIGTERM");
    // The settings it answered for were stored.
    assert_eq!(
        db.scalar(
            "SELECT COUNT(*) FROM store_settings WHERE store_id = $1",
            &["S001"]
        ),
        1
    );
}
