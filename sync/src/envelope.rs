//! The event envelope: what every terminal event carries so HQ can apply it exactly once.
//!
//! The id is a UUIDv7 made on the terminal (time-ordered, unique without coordination);
//! `seq` is the terminal's own gap-free sequence, which lets HQ spot a missing event and
//! acknowledge the highest contiguous one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The version of the events' wire format this till writes. HQ takes this version and the
/// one before it, so tills can be upgraded after HQ; an event of a newer version is
/// refused by name (`unsupported_version`), never dropped.
pub const VERSION: u32 = 1;

fn first_version() -> u32 {
    1
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Envelope {
    pub id: Uuid,
    pub store_id: String,
    pub terminal_id: String,
    /// Per-terminal sequence number, starting at 1, without gaps.
    pub seq: u64,
    /// Event type, e.g. `sale.completed`.
    pub kind: String,
    pub payload: serde_json::Value,
    /// When the event happened on the terminal (the terminal's clock, in UTC).
    pub at: DateTime<Utc>,
    /// The wire format's version ([`VERSION`]); events from before versions were sent
    /// read as version 1.
    #[serde(default = "first_version")]
    pub version: u32,
}

/// A UUIDv7 whose time part is `at`, so ids sort by the time the event happened.
pub fn event_id(at: DateTime<Utc>) -> Uuid {
    let seconds = u64::try_from(at.timestamp()).unwrap_or(0);
    let ts = uuid::Timestamp::from_unix(uuid::NoContext, seconds, at.timestamp_subsec_nanos());
    Uuid::new_v7(ts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_version_7_and_carry_the_time() {
        let at = DateTime::parse_from_rfc3339("2017-12-04T09:00:00+08:00")
            .unwrap()
            .with_timezone(&Utc);
        let a = event_id(at);
        let b = event_id(at);
        assert_eq!(a.get_version_num(), 7);
        assert_ne!(a, b, "ids made in the same millisecond must still differ");
        let (secs, _) = a.get_timestamp().unwrap().to_unix();
        assert_eq!(secs as i64, at.timestamp());
    }
}
