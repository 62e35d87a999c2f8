//! The registered terminals as HQ staff see them: store, terminal, when registered, the
//! sequence HQ has acknowledged and when its latest acknowledged event arrived (one
//! statement for every till: the event is found by its key).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::db::query;
use super::error::HqError;
use super::staff::Scope;
use super::store::HqStore;

/// One registered terminal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Till {
    pub store_id: String,
    pub terminal_id: String,
    pub registered: DateTime<Utc>,
    /// The highest contiguous sequence HQ holds.
    pub acked_seq: i64,
    /// When HQ received that event (none before the first upload).
    pub last_upload: Option<DateTime<Utc>>,
}

impl HqStore {
    /// The terminals of the stores `scope` covers, by store and terminal.
    pub async fn tills(&self, scope: &Scope) -> Result<Vec<Till>, HqError> {
        let rows = query(
            "SELECT t.store_id, t.terminal_id, t.created_at, t.acked_seq, e.received_at
             FROM terminals t
             LEFT JOIN events e ON e.store_id = t.store_id AND e.terminal_id = t.terminal_id
                                AND e.seq = t.acked_seq
             ORDER BY t.store_id, t.terminal_id",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| Till {
                store_id: r.get(0),
                terminal_id: r.get(1),
                registered: r.get(2),
                acked_seq: r.get(3),
                last_upload: r.get(4),
            })
            .filter(|t| match scope {
                Scope::Chain => true,
                Scope::Stores(s) => s.contains(&t.store_id),
            })
            .collect())
    }
}
