//! Where HQ's database is: [`DatabaseUrl`], read from `hq.database` by the configuration
//! (which checks it) and by HQ (which opens it).

use std::path::PathBuf;
use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;

/// Where HQ's database is, as `hq.database` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `postgres://…` or `postgresql://…`: a PostgreSQL (or compatible) server.
    Postgres(String),
    /// `sqlite://PATH`, `sqlite:PATH` or a plain path: an embedded SQLite file, created if
    /// missing. A relative path starts at the working directory.
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    /// Reads `hq.database`; the error says what is wrong and what is accepted.
    pub fn parse(text: &str) -> Result<DatabaseUrl, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("is empty; give postgres://… or sqlite://PATH".into());
        }
        let scheme = text.split_once("://").map(|(s, _)| s).filter(|s| {
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        });
        match scheme.map(str::to_ascii_lowercase).as_deref() {
            Some("postgres" | "postgresql") => {
                PgConnectOptions::from_str(text)
                    .map_err(|e| format!("'{text}' is not a PostgreSQL URL: {e}"))?;
                Ok(DatabaseUrl::Postgres(text.to_string()))
            }
            Some("sqlite") => Self::sqlite_path(text, &text["sqlite://".len()..]),
            Some(other) => Err(format!(
                "'{text}': '{other}' databases are not supported; give postgres://… or sqlite://PATH"
            )),
            None => match text.strip_prefix("sqlite:") {
                Some(path) => Self::sqlite_path(text, path),
                None => Self::sqlite_path(text, text),
            },
        }
    }

    fn sqlite_path(text: &str, path: &str) -> Result<DatabaseUrl, String> {
        if path.is_empty() {
            return Err(format!("'{text}' names no file; give sqlite://PATH"));
        }
        if path.starts_with(':') || path.contains('?') {
            return Err(format!(
                "'{text}': give the path of a database file, without options \
                 (an in-memory database would lose HQ's data)"
            ));
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }

    /// The URL with any password left out, for messages.
    pub fn display(&self) -> String {
        match self {
            DatabaseUrl::Postgres(url) => match url::Url::parse(url) {
                Ok(mut u) if u.password().is_some() => {
                    let _ = u.set_password(Some("***"));
                    u.to_string()
                }
                _ => url.clone(),
            },
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
        }
    }
}
