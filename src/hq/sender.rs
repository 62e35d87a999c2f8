//! Who sent a batch of events: the terminal its credentials identify.

/// A terminal as its credentials identify it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalId {
    pub store_id: String,
    pub terminal_id: String,
}
