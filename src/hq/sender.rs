//! Who sent a batch of events: the terminal its credentials identify.

/// What a till says of itself with a batch: its software version and how many events its
/// outbox still holds after the batch. Its own word, shown to staff, never trusted for
/// anything else.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TillReport {
    pub version: Option<String>,
    pub backlog: Option<u64>,
}

/// A terminal as its credentials identify it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalId {
    pub store_id: String,
    pub terminal_id: String,
}
