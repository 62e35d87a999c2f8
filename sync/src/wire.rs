//! What HQ answers to a batch of events (`POST /v1/events`), shared by the uploader and
//! HQ so both sides read and write the same types.
//!
//! - **200** [`IngestReply`]: every event of the batch is held (applied now or earlier);
//! - **422** [`IngestReply`] with `refused` not empty: the events it names broke a rule HQ
//!   keeps (a foreign card, points the programme does not give, a NUL in a name…). A
//!   refused event whose sequence is in range is *parked*: HQ keeps it with its rule and
//!   message, applies nothing of it, and counts its sequence as held, so one bad event
//!   never blocks the events behind it. The till records the refusal and reports it;
//! - **409** [`ConflictAnswer`]: HQ already holds another event (another id, kind or
//!   payload) under one of the batch's (store, terminal, seq), or the batch reuses an id
//!   HQ holds for another sequence. Nothing of the batch is applied; HQ records the
//!   conflict, and the till stops uploading and says why (its data directory has lost
//!   part of its life, see `storepos restore`).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Highest sequence number HQ accepts (2^53: exact in every JSON reader).
pub const MAX_SEQ: u64 = 1 << 53;
/// How far beyond its acknowledged sequence a terminal may send: events further ahead are
/// refused and not stored (an honest outbox sends from its first unacknowledged event).
pub const MAX_SEQ_AHEAD: u64 = 100_000;
/// Most gap ranges an answer lists (the lowest first); more are summed up in
/// [`IngestReply::missing_total`].
pub const MAX_MISSING_RANGES: usize = 100;

/// The header a till's uploader sends with every batch: how many events its outbox still
/// holds after the batch (HQ shows it to staff as the till's backlog).
pub const BACKLOG_HEADER: &str = "x-storepos-backlog";

/// A run of sequence numbers, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SeqRange {
    pub first: u64,
    pub last: u64,
}

impl SeqRange {
    /// How many sequence numbers the range holds.
    pub fn count(&self) -> u64 {
        self.last.saturating_sub(self.first) + 1
    }
}

/// One event HQ would not apply, and the rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Refusal {
    pub seq: u64,
    pub id: Uuid,
    /// A stable name of the rule, e.g. `card_taken`, `points_not_earned`, `seq_out_of_range`.
    pub rule: String,
    pub message: String,
    /// Whether HQ parked the event (kept it and counts its sequence as held); false when
    /// it was not stored at all (its sequence was out of range).
    pub parked: bool,
}

/// HQ's answer to a batch (status 200, or 422 with `refused` not empty).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IngestReply {
    /// Highest sequence below which HQ holds every event of the terminal.
    pub acked_seq: u64,
    /// Gaps above `acked_seq`, lowest first, at most [`MAX_MISSING_RANGES`] of them.
    #[serde(default)]
    pub missing: Vec<SeqRange>,
    /// How many sequence numbers are missing in all (the ranges listed may be fewer).
    #[serde(default)]
    pub missing_total: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<Refusal>,
}

/// What a 409 names: the sequence HQ holds another event under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SeqConflict {
    pub seq: u64,
    /// The event HQ holds under that sequence.
    pub held_id: Uuid,
    /// The event the batch sent under it.
    pub sent_id: Uuid,
    pub message: String,
}

/// The body of a 409 answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConflictAnswer {
    pub error: ErrorBody,
    pub conflict: SeqConflict,
}

/// `{"code", "message"}` of every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}
