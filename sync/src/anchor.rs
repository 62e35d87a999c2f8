//! Journal anchors: each sale or return event carries its journal entry's hash and the
//! public key of the terminal that signed it (`payload.journal`), HQ keeps them with the
//! event, and `GET /v1/journal/anchors` gives a terminal back the anchors of its own
//! events, so the journal can be checked against a record the till cannot rewrite
//! (`storepos journal verify --against-hq`).

use serde::{Deserialize, Serialize};

/// Most anchors one page of `GET /v1/journal/anchors` holds.
pub const ANCHORS_PAGE: usize = 10_000;

/// What a sale or return event carries of its journal entry (`payload.journal`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalAnchor {
    /// The entry's hash (SHA-256, lowercase hex).
    pub hash: String,
    /// The terminal's Ed25519 public key the entry was signed with (lowercase hex).
    pub key: String,
}

/// One anchor HQ holds for the asking terminal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HeldAnchor {
    /// The event's sequence number.
    pub seq: u64,
    pub receipt_no: u64,
    pub hash: String,
    pub key: String,
}

/// One page of `GET /v1/journal/anchors?after_seq=N`: anchors of events with a sequence
/// above N, lowest first.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AnchorsPage {
    pub anchors: Vec<HeldAnchor>,
    /// The `after_seq` of the next page; none when this page is the last.
    #[serde(default)]
    pub next_after: Option<u64>,
}
