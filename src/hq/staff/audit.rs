//! The audit log: every change staff make through the console or the API, with who made
//! it (a staff login, or `admin-token`), when, what (`action`, `target`) and the record
//! before and after it (JSON). Entries are only ever added.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Principal;
use crate::hq::db::{On, Row, query};
use crate::hq::error::HqError;
use crate::hq::retry::retrying;
use crate::hq::store::HqStore;

/// One change.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: uuid::Uuid,
    pub at: DateTime<Utc>,
    /// The staff login, or `admin-token`.
    pub staff: String,
    /// What was done, e.g. `points.adjust`, `complaint.step`, `prices.put`.
    pub action: String,
    /// What it was done to, e.g. a member or case id.
    pub target: String,
    /// The record before the change (none for a new one); always a JSON object.
    #[schema(value_type = Option<Object>)]
    pub before: Option<Value>,
    /// The record after it.
    #[schema(value_type = Option<Object>)]
    pub after: Option<Value>,
}

/// Which entries to list (newest first).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// Only this staff login's changes.
    pub staff: Option<String>,
    /// Only this action.
    pub action: Option<String>,
    /// At most this many (default and most: 500).
    pub limit: Option<u32>,
}

/// Most entries one list answers.
pub const MAX_AUDIT_LIST: u32 = 500;

/// An entry to write: `record` stores it.
pub struct Change<'a> {
    pub by: &'a Principal,
    pub action: &'a str,
    pub target: &'a str,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl Change<'_> {
    /// Stores the entry on `on` (in the transaction of the change it records, when it has
    /// one).
    pub async fn record<'a>(
        &self,
        on: impl Into<On<'a>>,
        at: DateTime<Utc>,
    ) -> Result<(), HqError> {
        let json = |v: &Option<Value>| v.clone().unwrap_or(Value::Null);
        query(
            "INSERT INTO audit_log (id, at, staff_login, action, target, before, after)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(uuid::Uuid::now_v7())
        .bind(at)
        .bind(&self.by.login)
        .bind(self.action)
        .bind(self.target)
        .bind(json(&self.before))
        .bind(json(&self.after))
        .execute(on)
        .await?;
        Ok(())
    }
}

fn entry_of(r: &Row) -> Result<AuditEntry, HqError> {
    let id: String = r.get(0);
    let null_is_none = |v: Value| (!v.is_null()).then_some(v);
    Ok(AuditEntry {
        id: id
            .parse()
            .map_err(|_| HqError::Invalid(format!("stored audit id '{id}'")))?,
        at: r.get(1),
        staff: r.get(2),
        action: r.get(3),
        target: r.get(4),
        before: null_is_none(r.json(5)?),
        after: null_is_none(r.json(6)?),
    })
}

impl HqStore {
    /// Records one change on its own (after the change it records was committed).
    pub async fn audit(&self, change: Change<'_>) -> Result<(), HqError> {
        let change = &change;
        let now = Utc::now();
        retrying("writing the audit log", || async move {
            change.record(self.pool(), now).await
        })
        .await
    }

    /// The entries a filter asks for, newest first.
    pub async fn audit_log(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, HqError> {
        let limit = filter
            .limit
            .unwrap_or(MAX_AUDIT_LIST)
            .clamp(1, MAX_AUDIT_LIST);
        let blank = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
        let rows = query(
            "SELECT CAST(id AS TEXT), at, staff_login, action, target, before, after FROM audit_log
             WHERE ($1 IS NULL OR staff_login = $1) AND ($2 IS NULL OR action = $2)
             ORDER BY at DESC, id DESC LIMIT $3",
        )
        .bind(blank(&filter.staff))
        .bind(blank(&filter.action))
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(entry_of).collect()
    }
}
