//! Downstream data sets: what HQ sends a store's terminals (members, later catalogue,
//! promotions, coupons and lists, operators, configuration) as checkpoints — a whole,
//! store-scoped data set with a checksum. A terminal applies a checkpoint only whole and
//! only when its checksum matches; otherwise it fetches the data set again.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One data set as of one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Checkpoint<T> {
    /// `members`, `catalogue`, …
    pub dataset: String,
    pub store_id: String,
    /// The receiving terminal's events HQ had applied when it read the data: everything up
    /// to this sequence is reflected in it, nothing after.
    pub as_of_seq: u64,
    /// Hex SHA-256 of the JSON encoding of `items`.
    pub checksum: String,
    pub items: Vec<T>,
}

/// The checksum of a data set's items.
pub fn checksum<T: Serialize>(items: &[T]) -> String {
    let bytes = serde_json::to_vec(items).unwrap_or_default();
    hex::encode(Sha256::digest(&bytes))
}

impl<T: Serialize> Checkpoint<T> {
    pub fn new(dataset: &str, store_id: &str, as_of_seq: u64, items: Vec<T>) -> Checkpoint<T> {
        Checkpoint {
            dataset: dataset.to_string(),
            store_id: store_id.to_string(),
            as_of_seq,
            checksum: checksum(&items),
            items,
        }
    }

    /// Whether the items are what HQ summed up (a truncated or altered transfer is not).
    pub fn is_intact(&self) -> bool {
        checksum(&self.items) == self.checksum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_change_to_the_items_breaks_the_checksum() {
        let c = Checkpoint::new("members", "S001", 7, vec!["a".to_string(), "b".to_string()]);
        assert!(c.is_intact());
        let mut altered = c.clone();
        altered.items[1] = "c".into();
        assert!(!altered.is_intact());
        let mut shorter = c;
        shorter.items.pop();
        assert!(!shorter.is_intact());
    }
}
