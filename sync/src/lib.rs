//! Offline-tolerant sync between StorePOS terminals and headquarters.
//!
//! A terminal never calls HQ while it sells. Everything HQ must learn (sales, points,
//! coupon redemptions, complaints) becomes an [`Envelope`] appended to the terminal's
//! [`outbox`] inside the same SQLite transaction as the change itself, so an event exists
//! if and only if its change does. An uploader drains the outbox when HQ is reachable.

pub mod envelope;
pub mod outbox;

pub use envelope::Envelope;
