//! Offline-tolerant sync between StorePOS terminals and headquarters.
//!
//! A terminal never calls HQ while it sells. Everything HQ must learn (sales, points,
//! coupon redemptions, complaints) becomes an [`Envelope`] appended to the terminal's
//! [`outbox`] inside the same SQLite transaction as the change itself, so an event exists
//! if and only if its change does. The [`uploader`] drains the outbox when HQ is reachable,
//! retrying with [`backoff`] while it is not. HQ's answers are the [`wire`] types; what HQ
//! refused, and a conflict that stops the uploads, are kept in [`refusals`]. Each sale
//! carries its journal entry's [`anchor`], which HQ keeps and gives back.

pub mod anchor;
pub mod backoff;
pub mod checkpoint;
pub mod envelope;
pub mod outbox;
pub mod refusals;
pub mod uploader;
pub mod wire;

pub use backoff::Backoff;
pub use envelope::Envelope;
pub use uploader::{
    SyncSnapshot, SyncStatus, UploadError, UploadReport, Uploader, describe_missing,
};
