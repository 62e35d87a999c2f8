//! The random hold-out of a list period: members chosen (deterministically, per period and
//! member) to get no list, so the lists' lift is measured against them. The lists
//! ([`super::lists`]) keep them out; the campaign results ([`super::campaigns`]) compare.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::db::{Tx, query};
use super::error::HqError;

/// Whether `member_id` is held out of the lists of the period starting at `start`, with
/// `share` of members held out: the first 64 bits of SHA-256 over the period and the member,
/// as a fraction of 2⁶⁴, fall below `share`.
pub fn held_out(start: DateTime<Utc>, member_id: &str, share: f64) -> bool {
    if share <= 0.0 {
        return false;
    }
    let mut hash = Sha256::new();
    hash.update(b"holdout\0");
    hash.update(start.timestamp().to_be_bytes());
    hash.update(member_id.as_bytes());
    let digest = hash.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(first) as f64) / 2f64.powi(64) < share
}

/// Fewest members a period's hold-out group is expected to have (share × members who would
/// get a list) for the period to hold any out: a smaller group measures nothing, and a
/// small chain would only lose lists.
pub const MIN_EXPECTED_HOLDOUT: f64 = 2.0;

/// The share a period with `listed` members who would get a list holds out: `share`, or 0
/// when fewer than [`MIN_EXPECTED_HOLDOUT`] would be expected in the group.
pub fn effective_holdout_share(share: f64, listed: usize) -> f64 {
    if share * listed as f64 >= MIN_EXPECTED_HOLDOUT {
        share
    } else {
        0.0
    }
}

/// Records a period's held-out members (each once).
pub(crate) async fn keep_holdouts(
    tx: &mut Tx,
    start: DateTime<Utc>,
    members: &[&str],
) -> Result<(), HqError> {
    for member in members {
        query(
            "INSERT INTO list_holdouts (member_id, period_start) VALUES ($1, $2)
             ON CONFLICT (member_id, period_start) DO NOTHING",
        )
        .bind(*member)
        .bind(start)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}
