//! Logging in and sessions.
//!
//! A login checks the password (Argon2id) unless the login or the client's address has
//! failed too often lately ([`LOGIN_FAILURES`] per login, [`CLIENT_FAILURES`] per address,
//! within [`FAILURE_WINDOW`]): then it is refused before any password is checked. A
//! successful login opens a [`Session`]: a random id (only its SHA-256 is stored) for the
//! cookie and a random CSRF token that every change made in the session must carry. A
//! session unused for the idle timeout is over; logging out, a new password or a
//! disabled account end it at once.

use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};

use super::{Principal, Role};
use crate::hq::db::query;
use crate::hq::error::HqError;
use crate::hq::retry::retrying;
use crate::hq::store::HqStore;

/// Failed logins of one login within [`FAILURE_WINDOW`] after which it is refused.
pub const LOGIN_FAILURES: i64 = 5;
/// Failed logins from one address within [`FAILURE_WINDOW`] after which it is refused (an
/// office behind one address has several people logging in).
pub const CLIENT_FAILURES: i64 = 20;
/// How far back failed logins count.
pub const FAILURE_WINDOW: TimeDelta = TimeDelta::minutes(15);
/// A session's last use is written at most this often (not on every request).
const TOUCH_EVERY: TimeDelta = TimeDelta::seconds(60);

/// An open session: its id (for the cookie, never stored) and CSRF token.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub csrf: String,
    pub principal: Principal,
}

/// How a login ended.
#[derive(Debug)]
pub enum Login {
    Opened(Session),
    /// Wrong login or password, or a disabled account (not told apart).
    Refused,
    /// Too many failures lately: try again later.
    TooMany,
}

/// A PHC string to verify against when the login is unknown, so an unknown login takes as
/// long to refuse as a wrong password.
static DECOY: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| super::hash_password("decoy password, never valid"));

fn random_hex() -> Result<String, HqError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| HqError::Invalid(format!("no randomness for a session: {e}")))?;
    Ok(hex::encode(bytes))
}

fn id_hash(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

impl HqStore {
    /// Logs `login` in from `client` (its address) with `password`.
    pub async fn staff_login(
        &self,
        login: &str,
        password: &str,
        client: &str,
        now: DateTime<Utc>,
    ) -> Result<Login, HqError> {
        // No account's login has a control character (`check_login`), and PostgreSQL
        // refuses a NUL in text: such a login is one that fails, recorded without them.
        let login: String = login
            .trim()
            .chars()
            .filter(|c| !c.is_control())
            .take(super::MAX_LOGIN_CHARS)
            .collect();
        let since = now - FAILURE_WINDOW;
        let failures = query(
            "SELECT (SELECT COUNT(*) FROM login_failures WHERE login = $1 AND at > $3),
                    (SELECT COUNT(*) FROM login_failures WHERE client = $2 AND at > $3)",
        )
        .bind(&login)
        .bind(client)
        .bind(since)
        .fetch_one(self.pool())
        .await?;
        if failures.get::<i64>(0) >= LOGIN_FAILURES || failures.get::<i64>(1) >= CLIENT_FAILURES {
            return Ok(Login::TooMany);
        }
        let row =
            query("SELECT password_hash, disabled, display_name, role FROM staff WHERE login = $1")
                .bind(&login)
                .fetch_optional(self.pool())
                .await?;
        let (hash, disabled, name, role) = match &row {
            Some(r) => (r.get::<String>(0), r.get::<bool>(1), r.get(2), r.get(3)),
            None => (DECOY.clone(), true, String::new(), String::new()),
        };
        let password = password.to_string();
        let matches = tokio::task::spawn_blocking(move || super::verify_password(&password, &hash))
            .await
            .unwrap_or(false);
        if !matches || disabled {
            let (login, client) = (&login, client);
            retrying("recording a failed login", || async move {
                let mut tx = self.pool().begin().await?;
                query("DELETE FROM login_failures WHERE at < $1")
                    .bind(since)
                    .execute(&mut tx)
                    .await?;
                query("INSERT INTO login_failures (id, login, client, at) VALUES ($1, $2, $3, $4)")
                    .bind(uuid::Uuid::now_v7())
                    .bind(login)
                    .bind(client)
                    .bind(now)
                    .execute(&mut tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            })
            .await?;
            return Ok(Login::Refused);
        }
        let role = Role::parse(&role).map_err(HqError::Invalid)?;
        let stores = self
            .staff_account(&login)
            .await?
            .map(|a| a.stores)
            .unwrap_or_default();
        let (id, csrf) = (random_hex()?, random_hex()?);
        let (hash, login_ref, csrf_ref) = (&id_hash(&id), &login, &csrf);
        retrying("opening a session", || async move {
            query(
                "INSERT INTO staff_sessions (id_hash, login, csrf, created_at, last_seen)
                 VALUES ($1, $2, $3, $4, $4)",
            )
            .bind(hash)
            .bind(login_ref)
            .bind(csrf_ref)
            .bind(now)
            .execute(self.pool())
            .await
            .map_err(HqError::from)
        })
        .await?;
        Ok(Login::Opened(Session {
            id,
            csrf,
            principal: Principal {
                login,
                name,
                role,
                stores,
                token: false,
            },
        }))
    }

    /// The session a cookie's id opens, if it is open and was used within `idle` (its
    /// last use is then moved to `now`); an idle session is ended.
    pub async fn staff_session(
        &self,
        id: &str,
        now: DateTime<Utc>,
        idle: TimeDelta,
    ) -> Result<Option<Session>, HqError> {
        if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let hash = &id_hash(id);
        let rows = query(
            "SELECT s.login, s.csrf, s.last_seen, st.display_name, st.role, ss.store_id
             FROM staff_sessions s JOIN staff st ON st.login = s.login AND NOT st.disabled
             LEFT JOIN staff_stores ss ON ss.login = s.login
             WHERE s.id_hash = $1 ORDER BY ss.store_id",
        )
        .bind(hash)
        .fetch_all(self.pool())
        .await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let last_seen: DateTime<Utc> = first.get(2);
        if last_seen + idle < now {
            self.staff_logout(id).await?;
            return Ok(None);
        }
        if now - last_seen > TOUCH_EVERY {
            retrying("touching a session", || async move {
                query("UPDATE staff_sessions SET last_seen = $2 WHERE id_hash = $1")
                    .bind(hash)
                    .bind(now)
                    .execute(self.pool())
                    .await
                    .map_err(HqError::from)
            })
            .await?;
        }
        let role: String = first.get(4);
        Ok(Some(Session {
            id: id.to_string(),
            csrf: first.get(1),
            principal: Principal {
                login: first.get(0),
                name: first.get(3),
                role: Role::parse(&role).map_err(HqError::Invalid)?,
                stores: rows
                    .iter()
                    .filter_map(|r| r.get::<Option<String>>(5))
                    .collect(),
                token: false,
            },
        }))
    }

    /// Ends a session (nothing if it is not open).
    pub async fn staff_logout(&self, id: &str) -> Result<(), HqError> {
        let hash = &id_hash(id);
        retrying("ending a session", || async move {
            query("DELETE FROM staff_sessions WHERE id_hash = $1")
                .bind(hash)
                .execute(self.pool())
                .await
                .map_err(HqError::from)
        })
        .await?;
        Ok(())
    }
}
