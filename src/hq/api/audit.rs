//! The audit log over HTTP (`GET /v1/audit`, admins only), and [`audited`], which every
//! route that changes something calls once its change is made.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde_json::Value;

use super::AppState;
use super::auth::Staff;
use super::error::{AdminRefusals, ApiError, ErrorAnswer};
use crate::hq::staff::audit::{AuditEntry, AuditFilter, Change};
use crate::hq::staff::{Permission, Principal};

/// Records a change `who` made (after it was committed).
pub async fn audited(
    state: &AppState,
    who: &Principal,
    action: &str,
    target: &str,
    before: Option<Value>,
    after: Option<Value>,
) -> Result<(), ApiError> {
    state
        .store
        .audit(Change {
            by: who,
            action,
            target,
            before,
            after,
        })
        .await
        .map_err(|e| {
            tracing::error!("audit log: {action} {target} by {}: {e}", who.login);
            ApiError::from(e)
        })
}

/// The ids of at most 200 records a bulk change stored, for its audit entry.
pub fn ids<'a>(ids: impl Iterator<Item = String> + 'a) -> Value {
    Value::Array(ids.take(200).map(Value::String).collect())
}

/// The changes staff made through the console and the API (who, when, what, before and
/// after), newest first: by staff login and action. Admins only.
#[utoipa::path(
    get,
    path = "/v1/audit",
    tag = "staff",
    security(("admin" = []), ("session" = [])),
    params(AuditFilter),
    responses(
        (status = 200, description = "The entries", body = Vec<AuditEntry>),
        (status = 400, description = "A filter that is not one", body = ErrorAnswer),
        AdminRefusals,
    )
)]
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    filter: Result<Query<AuditFilter>, QueryRejection>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    staff.may(Permission::Audit)?;
    let Query(filter) = filter.map_err(|r| ApiError::bad_request("bad_request", r.body_text()))?;
    Ok(Json(state.store.audit_log(&filter).await?))
}
