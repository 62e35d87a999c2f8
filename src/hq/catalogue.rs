//! The chain's catalogue (products and prices) and promotions at HQ: replaced through the
//! admin API and read back as the data sets the stores' terminals apply.

use sqlx::Row;

use super::store::{HqError, HqStore};
use crate::domain::product::Product;
use crate::domain::promotion::Promotion;

impl HqStore {
    /// Inserts or replaces products by GTIN, all in one transaction.
    pub async fn put_products(&self, products: &[Product]) -> Result<usize, HqError> {
        let mut tx = self.pool().begin().await?;
        for p in products {
            let record = serde_json::to_value(p).map_err(|e| HqError::Invalid(e.to_string()))?;
            sqlx::query(
                "INSERT INTO products (gtin, record) VALUES ($1, $2)
                 ON CONFLICT (gtin) DO UPDATE SET record = EXCLUDED.record, updated_at = now()",
            )
            .bind(p.gtin.value() as i64)
            .bind(record)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(products.len())
    }

    /// Inserts or replaces promotions by id, all in one transaction; each is checked first.
    pub async fn put_promotions(&self, promotions: &[Promotion]) -> Result<usize, HqError> {
        for p in promotions {
            p.validate().map_err(|e| HqError::Invalid(e.to_string()))?;
        }
        let mut tx = self.pool().begin().await?;
        for p in promotions {
            let definition =
                serde_json::to_value(p).map_err(|e| HqError::Invalid(e.to_string()))?;
            sqlx::query(
                "INSERT INTO promotions (id, definition) VALUES ($1, $2)
                 ON CONFLICT (id) DO UPDATE SET definition = EXCLUDED.definition, updated_at = now()",
            )
            .bind(&p.id)
            .bind(definition)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(promotions.len())
    }

    /// Every product, in GTIN order.
    pub async fn products(&self) -> Result<Vec<Product>, HqError> {
        let rows = sqlx::query("SELECT record FROM products ORDER BY gtin")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                serde_json::from_value(r.get(0))
                    .map_err(|e| HqError::Invalid(format!("stored product: {e}")))
            })
            .collect()
    }

    /// Every promotion, in id order.
    pub async fn promotions(&self) -> Result<Vec<Promotion>, HqError> {
        let rows = sqlx::query("SELECT definition FROM promotions ORDER BY id")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                serde_json::from_value(r.get(0))
                    .map_err(|e| HqError::Invalid(format!("stored promotion: {e}")))
            })
            .collect()
    }

    /// The terminal's acknowledged sequence (what data sets read now reflect of its events).
    pub async fn acked_seq(&self, from: &super::TerminalId) -> Result<u64, HqError> {
        let acked: i64 = sqlx::query_scalar(
            "SELECT acked_seq FROM terminals WHERE store_id = $1 AND terminal_id = $2",
        )
        .bind(&from.store_id)
        .bind(&from.terminal_id)
        .fetch_one(self.pool())
        .await?;
        Ok(acked as u64)
    }
}

/// A signed coupon or list as stores receive it: the full printed code and whose it is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignedCode {
    pub kind: String,
    pub id: String,
    pub member_id: String,
    pub code: String,
}

impl HqStore {
    /// The coupons HQ issued to a store's members (home store), as stores keep them.
    pub async fn store_codes(&self, store_id: &str) -> Result<Vec<SignedCode>, HqError> {
        let rows = sqlx::query(
            "SELECT c.id, c.member_id, c.code FROM coupons c JOIN members m ON m.id = c.member_id
             WHERE m.home_store = $1 ORDER BY c.id",
        )
        .bind(store_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| SignedCode {
                kind: "coupon".into(),
                id: r.get(0),
                member_id: r.get(1),
                code: r.get(2),
            })
            .collect())
    }
}
