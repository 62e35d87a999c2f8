//! The journal anchors HQ holds for a terminal: the `journal` part (entry hash, signer's
//! public key) of the payloads of its sale and return events, as stored with each event,
//! so the till's journal can be checked against a record outside the till
//! (`storepos journal verify --against-hq`).
//!
//! HQ keeps them as the till sent them and checks nothing about them: they are the till's
//! own statement, and only their comparison with the journal later tells anything. Events
//! stored before their sales carried anchors have none and are left out.

use storepos_sync::anchor::{ANCHORS_PAGE, AnchorsPage, HeldAnchor};

use super::db::Query;
use super::store::{HqError, HqStore, TerminalId};

impl HqStore {
    /// The anchors of `terminal`'s sale and return events with a sequence above
    /// `after_seq`, lowest first: one page of at most [`ANCHORS_PAGE`] events.
    pub async fn journal_anchors(
        &self,
        terminal: &TerminalId,
        after_seq: u64,
    ) -> Result<AnchorsPage, HqError> {
        // The text of each JSON field, whatever its type in the payload; read in Rust.
        let rows = Query::dialects(
            "SELECT seq, payload->>'receipt_no', payload#>>'{journal,hash}',
                    payload#>>'{journal,key}'
             FROM events
             WHERE store_id = $1 AND terminal_id = $2 AND seq > $3
               AND kind IN ('sale.completed', 'return.completed')
             ORDER BY seq LIMIT $4",
            "SELECT seq, CAST(json_extract(payload, '$.receipt_no') AS TEXT),
                    CAST(json_extract(payload, '$.journal.hash') AS TEXT),
                    CAST(json_extract(payload, '$.journal.key') AS TEXT)
             FROM events
             WHERE store_id = $1 AND terminal_id = $2 AND seq > $3
               AND kind IN ('sale.completed', 'return.completed')
             ORDER BY seq LIMIT $4",
        )
        .bind(&terminal.store_id)
        .bind(&terminal.terminal_id)
        .bind(i64::try_from(after_seq).unwrap_or(i64::MAX))
        .bind(ANCHORS_PAGE as i64)
        .fetch_all(self.pool())
        .await?;
        let full = rows.len() == ANCHORS_PAGE;
        let mut last_seq = after_seq;
        let mut anchors = Vec::with_capacity(rows.len());
        for row in &rows {
            let seq = row.try_get::<i64>(0)?;
            last_seq = u64::try_from(seq).unwrap_or(last_seq);
            let receipt_no = row
                .try_get::<Option<String>>(1)?
                .and_then(|n| n.parse::<u64>().ok());
            let hash = row.try_get::<Option<String>>(2)?;
            let key = row.try_get::<Option<String>>(3)?;
            if let (Some(receipt_no), Some(hash), Some(key)) = (receipt_no, hash, key) {
                anchors.push(HeldAnchor {
                    seq: last_seq,
                    receipt_no,
                    hash,
                    key,
                });
            }
        }
        Ok(AnchorsPage {
            anchors,
            next_after: full.then_some(last_seq),
        })
    }
}
