//! Store-specific prices at HQ: HQ staff set a store's own shelf price for a chain product
//! (`PUT /v1/admin/prices/{store}`), and the catalogue data set that store's tills receive
//! carries it in place of the chain's price. Other stores keep the chain's.
//!
//! A store price is kept in the product's currency and minor unit. Where it falls below the
//! chain's member price, the member price in that store becomes the store price, so a member
//! never pays more than anyone else.

use std::collections::HashMap;

use super::db::query;
use super::retry::retrying;
use super::store::{HqError, HqStore};
use crate::domain::gs1::Gtin;
use crate::domain::money::Money;
use crate::domain::product::Product;

/// One store price as HQ staff send it: the product and its price as a decimal string in
/// the product's currency (`"1.50"`), or `null` to go back to the chain's price.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StorePrice {
    pub gtin: String,
    /// Required: a missing price is refused, never read as "back to the chain's".
    #[serde(deserialize_with = "present_or_null")]
    pub price: Option<String>,
}

/// A field that must be present and may be `null` (serde reads a missing `Option` as
/// `None` unless the field has its own deserializer).
fn present_or_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    serde::Deserialize::deserialize(d)
}

/// Whether `id` can be a store id (as `store.id` in the configuration).
pub(crate) fn store_id_ok(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 32
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl HqStore {
    /// Sets (or, with no price, removes) a store's prices, all or nothing: every product
    /// must be in HQ's catalogue and every price a valid amount, else nothing changes.
    pub async fn put_store_prices(
        &self,
        store_id: &str,
        prices: &[StorePrice],
    ) -> Result<usize, HqError> {
        if !store_id_ok(store_id) {
            return Err(HqError::Invalid(format!("'{store_id}' is not a store id")));
        }
        let catalogue: HashMap<u64, Product> = self
            .products()
            .await?
            .into_iter()
            .map(|p| (p.gtin.value(), p))
            .collect();
        let mut changes = Vec::with_capacity(prices.len());
        for p in prices {
            let gtin = Gtin::parse(&p.gtin)
                .map_err(|e| HqError::Invalid(format!("gtin '{}': {e}", p.gtin)))?;
            let product = catalogue.get(&gtin.value()).ok_or_else(|| {
                HqError::Invalid(format!("no product {} in HQ's catalogue", p.gtin))
            })?;
            let price = match &p.price {
                None => None,
                Some(text) => {
                    let money = Money::parse(text, product.price.currency())
                        .map_err(|e| HqError::Invalid(format!("price of {}: {e}", p.gtin)))?;
                    if money.minor() < 0 {
                        return Err(HqError::Invalid(format!(
                            "price of {}: '{text}' is negative",
                            p.gtin
                        )));
                    }
                    Some(money.minor())
                }
            };
            changes.push((gtin.value() as i64, price));
        }
        let changes = &changes;
        retrying("storing store prices", || async move {
            let mut tx = self.pool().begin().await?;
            for (gtin, price) in changes {
                match price {
                    Some(price) => {
                        query(
                            "INSERT INTO store_prices (store_id, gtin, price, updated_at)
                             VALUES ($1, $2, $3, $4)
                             ON CONFLICT (store_id, gtin) DO UPDATE SET price = EXCLUDED.price,
                                 updated_at = EXCLUDED.updated_at",
                        )
                        .bind(store_id)
                        .bind(*gtin)
                        .bind(*price)
                        .bind(chrono::Utc::now())
                        .execute(&mut tx)
                        .await?;
                    }
                    None => {
                        query("DELETE FROM store_prices WHERE store_id = $1 AND gtin = $2")
                            .bind(store_id)
                            .bind(*gtin)
                            .execute(&mut tx)
                            .await?;
                    }
                }
            }
            tx.commit().await?;
            Ok(())
        })
        .await?;
        Ok(changes.len())
    }

    /// The catalogue as one store's tills receive it: every product, in GTIN order, at the
    /// store's own price where it has one.
    pub async fn store_products(&self, store_id: &str) -> Result<Vec<Product>, HqError> {
        let own: HashMap<u64, i64> =
            query("SELECT gtin, price FROM store_prices WHERE store_id = $1")
                .bind(store_id)
                .fetch_all(self.pool())
                .await?
                .iter()
                .map(|r| (r.get::<i64>(0) as u64, r.get::<i64>(1)))
                .collect();
        let mut products = self.products().await?;
        for p in &mut products {
            if let Some(&minor) = own.get(&p.gtin.value()) {
                p.price = Money::from_minor(minor, p.price.currency());
                p.member_price = p
                    .member_price
                    .map(|m| if m.minor() > minor { p.price } else { m });
            }
        }
        Ok(products)
    }

    /// A store's own prices (minor units) of the products with GTINs in `first..=last`
    /// (a page of the catalogue, which is in GTIN order), by GTIN.
    pub async fn own_prices_between(
        &self,
        store_id: &str,
        first: Gtin,
        last: Gtin,
    ) -> Result<HashMap<u64, i64>, HqError> {
        let rows = query(
            "SELECT gtin, price FROM store_prices WHERE store_id = $1 AND gtin BETWEEN $2 AND $3",
        )
        .bind(store_id)
        .bind(first.value() as i64)
        .bind(last.value() as i64)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get::<i64>(0) as u64, r.get::<i64>(1)))
            .collect())
    }
}
