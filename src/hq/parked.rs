//! What HQ staff see of the events HQ would not apply: parked events with their rule, and
//! the sequence conflicts HQ answered.

use uuid::Uuid;

use super::db::Query;
use super::error::HqError;
use super::rules::sequence::parse_id;
use super::store::HqStore;

/// A parked event, as HQ staff see it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ParkedEvent {
    pub store_id: String,
    pub terminal_id: String,
    pub seq: u64,
    pub id: Uuid,
    pub kind: String,
    pub rule: String,
    pub message: String,
    pub received_at: chrono::DateTime<chrono::Utc>,
}

/// A sequence conflict HQ answered, as HQ staff see it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct RecordedConflict {
    pub store_id: String,
    pub terminal_id: String,
    pub seq: u64,
    pub held_id: Uuid,
    pub sent_id: Uuid,
    pub message: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

impl HqStore {
    /// The parked events of a store (of every store with `None`), by terminal and sequence.
    pub async fn refused_events(&self, store: Option<&str>) -> Result<Vec<ParkedEvent>, HqError> {
        let rows = Query::dialects(
            "SELECT store_id, terminal_id, seq, id::text, kind, refused_rule, refused_message,
                    received_at
             FROM events WHERE refused_rule IS NOT NULL AND ($1::text IS NULL OR store_id = $1)
             ORDER BY store_id, terminal_id, seq",
            "SELECT store_id, terminal_id, seq, id, kind, refused_rule, refused_message,
                    received_at
             FROM events WHERE refused_rule IS NOT NULL AND ($1 IS NULL OR store_id = $1)
             ORDER BY store_id, terminal_id, seq",
        )
        .bind(store)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ParkedEvent {
                    store_id: r.get(0),
                    terminal_id: r.get(1),
                    seq: r.get::<i64>(2) as u64,
                    id: parse_id(&r.get::<String>(3))?,
                    kind: r.get(4),
                    rule: r.get::<Option<String>>(5).unwrap_or_default(),
                    message: r.get::<Option<String>>(6).unwrap_or_default(),
                    received_at: r.get(7),
                })
            })
            .collect()
    }

    /// Every sequence conflict HQ answered, oldest first.
    pub async fn seq_conflicts(&self) -> Result<Vec<RecordedConflict>, HqError> {
        let rows = Query::dialects(
            "SELECT store_id, terminal_id, seq, held_id::text, sent_id::text, message, at
             FROM seq_conflicts ORDER BY at, store_id, terminal_id, seq",
            "SELECT store_id, terminal_id, seq, held_id, sent_id, message, at
             FROM seq_conflicts ORDER BY at, store_id, terminal_id, seq",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RecordedConflict {
                    store_id: r.get(0),
                    terminal_id: r.get(1),
                    seq: r.get::<i64>(2) as u64,
                    held_id: parse_id(&r.get::<String>(3))?,
                    sent_id: parse_id(&r.get::<String>(4))?,
                    message: r.get(5),
                    at: r.get(6),
                })
            })
            .collect()
    }
}
