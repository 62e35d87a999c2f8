//! What HQ refused of this terminal's events, and whether HQ found a sequence conflict that
//! stops the uploads, as the terminal keeps them in `terminal.db`.
//!
//! Invariants:
//! - a refusal is kept once per event (sequence and id), however often HQ repeats it;
//! - a conflict recorded for this terminal's identity (store, terminal) stops every later
//!   upload under that identity, across restarts, until the data directory is restored
//!   from a backup or the till is re-provisioned under a new terminal id: a till whose
//!   data directory lost events must not keep sending new events under sequences HQ
//!   already holds for other ones.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::outbox::{Origin, OutboxError};
use crate::wire::{Refusal, SeqConflict};

/// Schema of the refusal and conflict tables, created by the terminal store's migrations
/// after [`crate::outbox::SCHEMA`].
pub const SCHEMA: &str = "
CREATE TABLE outbox_refusals (
    seq      INTEGER NOT NULL,
    id       TEXT NOT NULL,
    rule     TEXT NOT NULL,
    message  TEXT NOT NULL,
    parked   INTEGER NOT NULL,
    at       TEXT NOT NULL,
    PRIMARY KEY (seq, id)
);
CREATE TABLE outbox_conflict (
    store_id    TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    held_id     TEXT NOT NULL,
    sent_id     TEXT NOT NULL,
    message     TEXT NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (store_id, terminal_id)
);
";

/// One refusal as the terminal recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRefusal {
    pub refusal: Refusal,
    /// When HQ's answer first named it.
    pub at: String,
}

/// Records HQ's refusals (inside the caller's transaction); returns how many were new.
pub fn record(
    conn: &Connection,
    refused: &[Refusal],
    at: DateTime<Utc>,
) -> Result<usize, OutboxError> {
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO outbox_refusals (seq, id, rule, message, parked, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut new = 0;
    for r in refused {
        new += insert.execute(params![
            r.seq as i64,
            r.id.to_string(),
            r.rule,
            r.message,
            r.parked,
            at.to_rfc3339(),
        ])?;
    }
    Ok(new)
}

/// How many refusals the terminal has recorded in all.
pub fn count(conn: &Connection) -> Result<u64, OutboxError> {
    let n: i64 = conn.query_row("SELECT COUNT(*) FROM outbox_refusals", [], |r| r.get(0))?;
    Ok(n as u64)
}

/// The recorded refusals, lowest sequence first, at most `limit`.
pub fn list(conn: &Connection, limit: usize) -> Result<Vec<RecordedRefusal>, OutboxError> {
    let mut stmt = conn.prepare(
        "SELECT seq, id, rule, message, parked, at FROM outbox_refusals ORDER BY seq, id LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit as i64], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, bool>(4)?,
            r.get::<_, String>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, id, rule, message, parked, at) = row?;
        out.push(RecordedRefusal {
            refusal: Refusal {
                seq: seq as u64,
                id: id.parse().map_err(|e| OutboxError::Corrupt {
                    seq,
                    message: format!("refusal id: {e}"),
                })?,
                rule,
                message,
                parked,
            },
            at,
        });
    }
    Ok(out)
}

/// Records the conflict HQ answered, which stops uploads under `origin` from now on. The
/// first conflict recorded stays: it is the one that explains the others.
pub fn record_conflict(
    conn: &Connection,
    origin: &Origin,
    conflict: &SeqConflict,
    at: DateTime<Utc>,
) -> Result<(), OutboxError> {
    conn.execute(
        "INSERT OR IGNORE INTO outbox_conflict
             (store_id, terminal_id, seq, held_id, sent_id, message, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            origin.store_id,
            origin.terminal_id,
            conflict.seq as i64,
            conflict.held_id.to_string(),
            conflict.sent_id.to_string(),
            conflict.message,
            at.to_rfc3339(),
        ],
    )?;
    Ok(())
}

/// The conflict that stopped uploads under `origin`, if any.
pub fn conflict(conn: &Connection, origin: &Origin) -> Result<Option<SeqConflict>, OutboxError> {
    let row: Option<(i64, String, String, String)> = conn
        .query_row(
            "SELECT seq, held_id, sent_id, message FROM outbox_conflict
             WHERE store_id = ?1 AND terminal_id = ?2",
            params![origin.store_id, origin.terminal_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((seq, held_id, sent_id, message)) = row else {
        return Ok(None);
    };
    let corrupt = |e: uuid::Error| OutboxError::Corrupt {
        seq,
        message: format!("conflict id: {e}"),
    };
    Ok(Some(SeqConflict {
        seq: seq as u64,
        held_id: held_id.parse().map_err(corrupt)?,
        sent_id: sent_id.parse().map_err(corrupt)?,
        message,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(crate::outbox::SCHEMA).unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        conn
    }

    fn origin(terminal: &str) -> Origin {
        Origin {
            store_id: "S001".into(),
            terminal_id: terminal.into(),
        }
    }

    #[test]
    fn a_refusal_repeated_by_hq_is_kept_once() {
        let conn = setup();
        let refusal = Refusal {
            seq: 3,
            id: uuid::Uuid::now_v7(),
            rule: "card_taken".into(),
            message: "card 62001 belongs to another member".into(),
            parked: true,
        };
        assert_eq!(
            record(&conn, std::slice::from_ref(&refusal), Utc::now()).unwrap(),
            1
        );
        assert_eq!(
            record(&conn, std::slice::from_ref(&refusal), Utc::now()).unwrap(),
            0
        );
        assert_eq!(count(&conn).unwrap(), 1);
        assert_eq!(list(&conn, 10).unwrap()[0].refusal, refusal);
    }

    #[test]
    fn a_conflict_stops_only_the_identity_it_was_recorded_for() {
        let conn = setup();
        let first = SeqConflict {
            seq: 4,
            held_id: uuid::Uuid::now_v7(),
            sent_id: uuid::Uuid::now_v7(),
            message: "HQ holds another event under 4".into(),
        };
        record_conflict(&conn, &origin("T01"), &first, Utc::now()).unwrap();
        let later = SeqConflict {
            seq: 9,
            ..first.clone()
        };
        record_conflict(&conn, &origin("T01"), &later, Utc::now()).unwrap();
        assert_eq!(conflict(&conn, &origin("T01")).unwrap(), Some(first));
        assert_eq!(conflict(&conn, &origin("T02")).unwrap(), None);
    }
}
