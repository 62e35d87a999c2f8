//! The terminal's outbox: events waiting for HQ's acknowledgement, in sequence order.
//!
//! Invariants: sequence numbers start at 1 and never skip or repeat, because rows are
//! never deleted and each append takes `max(seq) + 1` inside the caller's transaction;
//! acknowledgement only moves forward.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::envelope::{Envelope, event_id};

/// Schema of the outbox table, created by the terminal store's migrations.
pub const SCHEMA: &str = "
CREATE TABLE outbox (
    seq      INTEGER PRIMARY KEY,
    id       TEXT NOT NULL UNIQUE,
    kind     TEXT NOT NULL,
    payload  TEXT NOT NULL,
    at       TEXT NOT NULL,
    acked    INTEGER NOT NULL DEFAULT 0
);
";

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("outbox database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("outbox row {seq} is unreadable: {message}")]
    Corrupt { seq: i64, message: String },
}

/// The identity stamped on every envelope this terminal makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub store_id: String,
    pub terminal_id: String,
}

/// Appends an event. Call it inside the transaction that makes the change it reports.
pub fn append(
    conn: &Connection,
    origin: &Origin,
    kind: &str,
    payload: serde_json::Value,
    at: DateTime<Utc>,
) -> Result<Envelope, OutboxError> {
    let (id, seq) = append_encoded(conn, kind, &payload.to_string(), at)?;
    Ok(Envelope {
        id,
        store_id: origin.store_id.clone(),
        terminal_id: origin.terminal_id.clone(),
        seq,
        kind: kind.to_string(),
        payload,
        at,
        version: crate::envelope::VERSION,
    })
}

/// Appends an event whose payload is already JSON text, returning its id and sequence
/// number. The hot path of a sale uses it so the sale is encoded once, not once per copy.
/// The text must be one JSON value; [`pending`] refuses a row whose payload is not.
pub fn append_encoded(
    conn: &Connection,
    kind: &str,
    payload_json: &str,
    at: DateTime<Utc>,
) -> Result<(uuid::Uuid, u64), OutboxError> {
    let seq: i64 = conn
        .prepare_cached("SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox")?
        .query_row([], |r| r.get(0))?;
    let id = event_id(at);
    conn.prepare_cached(
        "INSERT INTO outbox (seq, id, kind, payload, at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        seq,
        id.to_string(),
        kind,
        payload_json,
        at.to_rfc3339(),
    ])?;
    Ok((id, seq as u64))
}

/// Up to `limit` unacknowledged events, oldest first.
pub fn pending(
    conn: &Connection,
    origin: &Origin,
    limit: usize,
) -> Result<Vec<Envelope>, OutboxError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, id, kind, payload, at FROM outbox WHERE acked = 0 ORDER BY seq LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit as i64], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, id, kind, payload, at) = row?;
        let corrupt = |message: String| OutboxError::Corrupt { seq, message };
        out.push(Envelope {
            id: id.parse().map_err(|e| corrupt(format!("id: {e}")))?,
            store_id: origin.store_id.clone(),
            terminal_id: origin.terminal_id.clone(),
            seq: seq as u64,
            kind,
            payload: serde_json::from_str(&payload)
                .map_err(|e| corrupt(format!("payload: {e}")))?,
            at: DateTime::parse_from_rfc3339(&at)
                .map_err(|e| corrupt(format!("time: {e}")))?
                .with_timezone(&Utc),
            version: crate::envelope::VERSION,
        });
    }
    Ok(out)
}

/// Marks every event up to and including `seq` as acknowledged by HQ.
/// Returns how many became acknowledged; an older acknowledgement changes nothing.
pub fn acknowledge(conn: &Connection, seq: u64) -> Result<usize, OutboxError> {
    Ok(conn.execute(
        "UPDATE outbox SET acked = 1 WHERE seq <= ?1 AND acked = 0",
        [seq as i64],
    )?)
}

/// Number of events not yet acknowledged (shown on the status bar).
pub fn backlog(conn: &Connection) -> Result<u64, OutboxError> {
    let n: i64 = conn.query_row("SELECT COUNT(*) FROM outbox WHERE acked = 0", [], |r| {
        r.get(0)
    })?;
    Ok(n as u64)
}

/// Highest sequence number HQ has acknowledged, 0 if none.
pub fn acknowledged_up_to(conn: &Connection) -> Result<u64, OutboxError> {
    let n: Option<i64> = conn
        .query_row("SELECT MAX(seq) FROM outbox WHERE acked = 1", [], |r| {
            r.get(0)
        })
        .optional()?
        .flatten();
    Ok(n.unwrap_or(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn setup() -> (Connection, Origin) {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        let origin = Origin {
            store_id: "S001".into(),
            terminal_id: "T01".into(),
        };
        (conn, origin)
    }

    #[test]
    fn sequences_are_gap_free_and_acks_move_forward() {
        let (conn, origin) = setup();
        let at = Utc::now();
        for i in 0..5 {
            let e = append(&conn, &origin, "test", json!({ "i": i }), at).unwrap();
            assert_eq!(e.seq, i + 1);
        }
        assert_eq!(backlog(&conn).unwrap(), 5);
        assert_eq!(acknowledge(&conn, 3).unwrap(), 3);
        assert_eq!(
            acknowledge(&conn, 2).unwrap(),
            0,
            "an old ack changes nothing"
        );
        assert_eq!(acknowledged_up_to(&conn).unwrap(), 3);
        let rest = pending(&conn, &origin, 10).unwrap();
        assert_eq!(rest.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![4, 5]);
        assert_eq!(rest[0].payload, json!({ "i": 3 }));
        // Sequence keeps climbing after acknowledgements.
        assert_eq!(
            append(&conn, &origin, "test", json!({}), at).unwrap().seq,
            6
        );
    }

    #[test]
    fn an_event_rolled_back_with_its_change_leaves_no_trace() {
        let (mut conn, origin) = setup();
        let tx = conn.transaction().unwrap();
        append(&tx, &origin, "test", json!({}), Utc::now()).unwrap();
        drop(tx); // rolled back
        assert_eq!(backlog(&conn).unwrap(), 0);
        let e = append(&conn, &origin, "test", json!({}), Utc::now()).unwrap();
        assert_eq!(
            e.seq, 1,
            "the rolled-back sequence number is reused, leaving no gap"
        );
    }
}
