//! The deals HQ holds (the `storepos lists` deals format, [`crate::lists::deals`]) as HQ
//! staff see them: each deal as it reads against HQ's catalogue now, its budget, what the
//! lists' offers reserved of it in every period, and what is left for the next run.

use std::collections::HashMap;

use serde_json::Value;

use super::db::query;
use super::store::{HqError, HqStore};
use crate::domain::lists::Deal;
use crate::domain::money::Currency;
use crate::lists::load::Loaded;

/// A deal HQ holds.
#[derive(Debug, Clone)]
pub struct HeldDeal {
    pub id: String,
    /// As stored: one object of the deals format.
    pub definition: Value,
    /// The deal as it reads against HQ's catalogue now, or why it no longer does (its
    /// product left the catalogue): such a deal is skipped by every list run.
    pub deal: Result<Deal, String>,
    /// What the lists' offers of every period reserved of its budget, minor units.
    pub reserved: i64,
}

impl HeldDeal {
    /// What is left of the budget for the lists to come (never below zero), minor units.
    pub fn left(&self) -> Option<i64> {
        self.deal
            .as_ref()
            .ok()
            .map(|d| (d.budget - self.reserved).max(0))
    }
}

impl HqStore {
    /// The stored definitions of the deals `ids` (those HQ holds), by id.
    pub async fn deal_definitions(&self, ids: &[&str]) -> Result<Vec<Value>, HqError> {
        let mut out = Vec::new();
        for id in ids {
            let row = query("SELECT definition FROM deals WHERE id = $1")
                .bind(*id)
                .fetch_optional(self.pool())
                .await?;
            if let Some(r) = row {
                out.push(r.json(0)?);
            }
        }
        Ok(out)
    }

    /// Every deal HQ holds, by id, with what the lists reserved of its budget.
    pub async fn held_deals(&self, currency: Currency) -> Result<Vec<HeldDeal>, HqError> {
        let loaded = Loaded::from_parts(self.list_catalogue().await?, Vec::new());
        let rows = query("SELECT id, definition FROM deals ORDER BY id")
            .fetch_all(self.pool())
            .await?;
        let reserved = query(
            "SELECT deal_id, CAST(SUM(max_value) AS BIGINT) FROM list_offers GROUP BY deal_id",
        )
        .fetch_all(self.pool())
        .await?;
        let reserved: HashMap<String, i64> =
            reserved.iter().map(|r| (r.get(0), r.get(1))).collect();
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: String = r.get(0);
            let definition = r.json(1)?;
            let deal = crate::lists::deals::parse(&format!("{definition}\n"), &loaded, currency)
                .map_err(|e| format!("{e:#}"))
                .and_then(|mut d| d.pop().ok_or_else(|| "an empty definition".to_string()));
            out.push(HeldDeal {
                reserved: reserved.get(&id).copied().unwrap_or(0),
                id,
                definition,
                deal,
            });
        }
        Ok(out)
    }
}
