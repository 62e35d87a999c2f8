//! The registered terminals as HQ staff see them: store, terminal, when registered, the
//! sequence HQ has acknowledged and when its latest acknowledged event arrived (one
//! statement for every till: the event is found by its key); and what staff do to a
//! till's token: rotate it (a new token, shown once, the old one refused at once) or
//! revoke it (every till route refuses the terminal, whose events and sales stay). Only
//! hashes are stored, and each change is audited in its own transaction, never the token.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::db::query;
use super::error::HqError;
use super::retry::retrying;
use super::staff::audit::Change;
use super::staff::{Principal, Scope};
use super::store::{HqStore, TerminalId, new_token, token_hash};

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
    /// When staff revoked its token (none while it may speak).
    pub revoked: Option<DateTime<Utc>>,
    /// The software version the till last reported with a batch.
    pub version: Option<String>,
    /// The events its outbox still held after that batch, by its own count.
    pub backlog: Option<i64>,
}

/// Why a change to a till's token was not made.
#[derive(Debug, thiserror::Error)]
pub enum TillRefusal {
    #[error("HQ has no terminal {0}/{1}")]
    Unknown(String, String),
    #[error(
        "terminal {0}/{1} is revoked: register it again (storepos hq register) to give it a token"
    )]
    Revoked(String, String),
    #[error(transparent)]
    Hq(#[from] HqError),
}

impl HqStore {
    /// The terminals of the stores `scope` covers, by store and terminal.
    pub async fn tills(&self, scope: &Scope) -> Result<Vec<Till>, HqError> {
        let rows = query(
            "SELECT t.store_id, t.terminal_id, t.created_at, t.acked_seq, e.received_at,
                    t.revoked_at, t.version, t.backlog
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
                revoked: r.get(5),
                version: r.get(6),
                backlog: r.get(7),
            })
            .filter(|t| match scope {
                Scope::Chain => true,
                Scope::Stores(s) => s.contains(&t.store_id),
            })
            .collect())
    }

    /// Gives a terminal a new token and returns it (the only time it is seen); the old
    /// token is refused from this commit on. A revoked terminal is refused: registering it
    /// again is the deliberate way back.
    pub async fn rotate_terminal(
        &self,
        till: &TerminalId,
        by: &Principal,
    ) -> Result<String, TillRefusal> {
        let token = new_token(&till.store_id, &till.terminal_id)?;
        let hash = &token_hash(&token);
        self.change_token(till, by, "terminal.rotate", hash).await?;
        Ok(token)
    }

    /// Makes a terminal's token useless: its hash is replaced by one no token hashes to
    /// (not hex), and `revoked_at` says when. Its events and sales stay.
    pub async fn revoke_terminal(
        &self,
        till: &TerminalId,
        by: &Principal,
    ) -> Result<(), TillRefusal> {
        let hash = &format!("revoked:{}", uuid::Uuid::now_v7());
        self.change_token(till, by, "terminal.revoke", hash).await
    }

    async fn change_token(
        &self,
        till: &TerminalId,
        by: &Principal,
        action: &'static str,
        hash: &str,
    ) -> Result<(), TillRefusal> {
        let target = &format!("{}/{}", till.store_id, till.terminal_id);
        let revoke = action == "terminal.revoke";
        retrying("changing a terminal's token", || async move {
            let mut tx = self.pool().begin().await?;
            let Some(row) = query(
                "SELECT revoked_at, acked_seq FROM terminals WHERE store_id = $1 AND terminal_id = $2",
            )
            .bind(&till.store_id)
            .bind(&till.terminal_id)
            .fetch_optional(&mut tx)
            .await?
            else {
                return Ok(Err(TillRefusal::Unknown(
                    till.store_id.clone(),
                    till.terminal_id.clone(),
                )));
            };
            if row.get::<Option<DateTime<Utc>>>(0).is_some() {
                return Ok(Err(TillRefusal::Revoked(
                    till.store_id.clone(),
                    till.terminal_id.clone(),
                )));
            }
            let acked: i64 = row.get(1);
            let at = Utc::now();
            query(
                "UPDATE terminals SET token_hash = $3, revoked_at = $4
                 WHERE store_id = $1 AND terminal_id = $2",
            )
            .bind(&till.store_id)
            .bind(&till.terminal_id)
            .bind(hash)
            .bind(revoke.then_some(at))
            .execute(&mut tx)
            .await?;
            // Who, when, which terminal: never the token nor its hash.
            Change {
                by,
                action,
                target,
                before: Some(serde_json::json!({ "revoked": false, "acked_seq": acked })),
                after: Some(serde_json::json!({
                    "revoked": revoke,
                    "token": if revoke { "revoked" } else { "rotated" },
                })),
            }
            .record(&mut tx, at)
            .await?;
            tx.commit().await?;
            Ok(Ok(()))
        })
        .await?
    }
}
