//! Events the till records for HQ outside a sale (enrolments, card replacements,
//! complaints): each in its own durable transaction with what the till keeps of it, so the
//! outbox and the tables never disagree.
//!
//! The transactions are taken `IMMEDIATE`, like a sale's: they read the outbox's last
//! sequence before they write, and a deferred transaction whose snapshot the uploader's
//! acknowledgement made stale would fail at once ("database is locked") instead of waiting
//! its turn.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction, TransactionBehavior};
use storepos_sync::outbox::{self, OutboxError};

use super::StoreError;
use super::loyalty::{self, Complaint};
use crate::protocol::{ComplaintEvent, Event};

impl From<OutboxError> for StoreError {
    fn from(e: OutboxError) -> StoreError {
        match e {
            OutboxError::Sql(e) => StoreError::Sql(e),
            corrupt @ OutboxError::Corrupt { .. } => StoreError::Corrupt(corrupt.to_string()),
        }
    }
}

fn append(tx: &Transaction<'_>, event: &Event, at: DateTime<Utc>) -> Result<(), StoreError> {
    outbox::append_encoded(tx, event.kind().as_str(), &event.payload().to_string(), at)?;
    Ok(())
}

/// Writes one event to the outbox, durable when this returns.
pub fn record(conn: &mut Connection, event: &Event, at: DateTime<Utc>) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    append(&tx, event, at)?;
    tx.commit()?;
    Ok(())
}

/// Keeps a complaint and writes its event, in one transaction; the complaint's id is the
/// one it was kept under.
pub fn record_complaint(
    conn: &mut Connection,
    complaint: &mut Complaint,
    at: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    complaint.id = loyalty::add_complaint(&tx, complaint)?;
    let event = Event::ComplaintRecorded(ComplaintEvent {
        complaint: complaint.clone(),
    });
    append(&tx, &event, at)?;
    tx.commit()?;
    Ok(complaint.id)
}
