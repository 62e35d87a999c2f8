//! Each store's IANA time zone ([`chrono_tz::Tz`]): a store's days and hours are its own,
//! and a fixed offset from UTC would be wrong wherever daylight saving applies.
//!
//! A store's zone is set with its settings (`time_zone` in `PUT /v1/stores/{store}/settings`)
//! and fixed once HQ holds sales of the store: every sale's local day and hour are computed
//! at ingest, so a later change would leave them on the old days. A store that sells before
//! any zone is set takes [`DEFAULT_TIME_ZONE`], and keeps it.

use chrono_tz::Tz;

use super::db::{Tx, query};
use super::error::HqError;

/// The zone of a store HQ was told none for.
pub const DEFAULT_TIME_ZONE: Tz = chrono_tz::Asia::Shanghai;

/// Reads an IANA zone name (`Asia/Shanghai`, `Europe/Berlin`).
pub fn parse(name: &str) -> Result<Tz, HqError> {
    name.parse::<Tz>().map_err(|_| {
        HqError::Invalid(format!(
            "'{}' is not an IANA time zone (e.g. Asia/Shanghai, Europe/Berlin)",
            name.chars().take(64).collect::<String>()
        ))
    })
}

/// The zone of `store_id` for the sales being stored, fixing [`DEFAULT_TIME_ZONE`] as the
/// store's zone if it has none yet. A store's row is made when its first terminal is
/// registered ([`ensure_store`]); made here, in a batch's transaction, it would stay locked
/// until that batch commits, and every other till of the store would wait on it.
pub(super) async fn for_ingest(tx: &mut Tx, store_id: &str) -> Result<Tz, HqError> {
    if let Some(zone) = of(tx, store_id).await? {
        return Ok(zone);
    }
    ensure_store(&mut *tx, store_id).await?;
    Ok(of(tx, store_id).await?.unwrap_or(DEFAULT_TIME_ZONE))
}

/// Gives `store_id` a row with [`DEFAULT_TIME_ZONE`] if it has none.
pub(super) async fn ensure_store<'a>(
    on: impl Into<super::db::On<'a>>,
    store_id: &str,
) -> Result<(), HqError> {
    query(
        "INSERT INTO stores (store_id, time_zone, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (store_id) DO NOTHING",
    )
    .bind(store_id)
    .bind(DEFAULT_TIME_ZONE.name())
    .bind(chrono::Utc::now())
    .execute(on)
    .await?;
    Ok(())
}

/// The zone HQ holds for `store_id`, if any.
pub(super) async fn of(tx: &mut Tx, store_id: &str) -> Result<Option<Tz>, HqError> {
    let row = query("SELECT time_zone FROM stores WHERE store_id = $1")
        .bind(store_id)
        .fetch_optional(&mut *tx)
        .await?;
    match row {
        Some(row) => {
            let name: String = row.get(0);
            // Written only through `parse`; a name this build does not know is a database
            // that another version wrote: say so rather than guess.
            parse(&name).map(Some).map_err(|_| {
                HqError::Invalid(format!(
                    "store {store_id}'s time zone '{name}' is not one this HQ knows"
                ))
            })
        }
        None => Ok(None),
    }
}

/// Sets `store_id`'s zone in the caller's transaction; refused when HQ already holds sales
/// of the store under another zone.
pub(super) async fn set(tx: &mut Tx, store_id: &str, zone: Tz) -> Result<(), HqError> {
    if !tx.is_sqlite() {
        // A batch holds its terminal's row until it commits: with the store's terminals
        // locked, every batch in flight has committed its sales (seen below) and the next
        // ones read the zone set here.
        query("SELECT 1 FROM terminals WHERE store_id = $1 ORDER BY terminal_id FOR UPDATE")
            .bind(store_id)
            .fetch_all(&mut *tx)
            .await?;
    }
    if let Some(held) = of(tx, store_id).await?
        && held != zone
    {
        let sold = query("SELECT 1 FROM sales WHERE store_id = $1 LIMIT 1")
            .bind(store_id)
            .fetch_optional(&mut *tx)
            .await?;
        if sold.is_some() {
            return Err(HqError::Invalid(format!(
                "store {store_id} has sales on its days in {}; its time zone cannot change to {}",
                held.name(),
                zone.name()
            )));
        }
    }
    query(
        "INSERT INTO stores (store_id, time_zone, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (store_id) DO UPDATE SET time_zone = EXCLUDED.time_zone,
                                              updated_at = EXCLUDED.updated_at",
    )
    .bind(store_id)
    .bind(zone.name())
    .bind(chrono::Utc::now())
    .execute(&mut *tx)
    .await?;
    Ok(())
}
