//! A till's token, rotated or revoked by HQ staff whose role handles tills (a store manager:
//! their own stores' tills only). Rotation answers the new token once (HQ keeps only its
//! hash); revocation leaves the terminal's events and sales where they are.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;

use super::AppState;
use super::auth::Staff;
use super::error::{AdminRefusals, ApiError, ErrorAnswer};
use crate::hq::staff::{Permission, Principal};
use crate::hq::store::TerminalId;
use crate::hq::tills::TillRefusal;

/// A terminal's new token: shown this once, never again.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Rotated {
    pub store_id: String,
    pub terminal_id: String,
    /// The terminal's new bearer token (its `hq.token`); the old one is refused from now.
    pub token: String,
}

/// A terminal whose token no longer speaks for it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Revoked {
    pub store_id: String,
    pub terminal_id: String,
    pub revoked: bool,
}

impl From<TillRefusal> for ApiError {
    fn from(r: TillRefusal) -> ApiError {
        match r {
            TillRefusal::Unknown(..) => {
                ApiError::new(StatusCode::NOT_FOUND, "unknown_terminal", r.to_string())
            }
            TillRefusal::Revoked(..) => {
                ApiError::new(StatusCode::CONFLICT, "revoked", r.to_string())
            }
            TillRefusal::Hq(e) => e.into(),
        }
    }
}

fn till(store: &str, terminal: &str) -> TerminalId {
    TerminalId {
        store_id: store.to_string(),
        terminal_id: terminal.to_string(),
    }
}

/// Give a terminal a new token, answered once; its old token is refused at once (401).
/// Admins, and store managers for their own stores.
#[utoipa::path(
    post,
    path = "/v1/admin/terminals/{store}/{terminal}/rotate",
    tag = "admin",
    security(("admin" = []), ("session" = [])),
    params(
        ("store" = String, Path, description = "The store's id"),
        ("terminal" = String, Path, description = "The terminal's id"),
    ),
    responses(
        (status = 200, description = "The new token (the only time HQ shows it)", body = Rotated),
        (status = 404, description = "HQ has no such terminal", body = ErrorAnswer),
        (status = 409, description = "The terminal is revoked: register it again", body = ErrorAnswer),
        AdminRefusals,
    )
)]
pub async fn rotate(
    State(state): State<AppState>,
    staff: Staff,
    Path((store, terminal)): Path<(String, String)>,
) -> Result<Json<Rotated>, ApiError> {
    let who = staff.may(Permission::Tills)?;
    Ok(Json(rotate_as(&state, who, &store, &terminal).await?))
}

/// [`rotate`] for `who` (the console's form calls it too).
pub async fn rotate_as(
    state: &AppState,
    who: &Principal,
    store: &str,
    terminal: &str,
) -> Result<Rotated, ApiError> {
    who.require(Permission::Tills)?;
    who.check_store(store)?;
    let token = state
        .store
        .rotate_terminal(&till(store, terminal), who)
        .await?;
    Ok(Rotated {
        store_id: store.to_string(),
        terminal_id: terminal.to_string(),
        token,
    })
}

/// Make a terminal's token useless on every till route (401); its events, sales and
/// reports stay. `storepos hq register` gives it a token again. Admins, and store managers
/// for their own stores.
#[utoipa::path(
    post,
    path = "/v1/admin/terminals/{store}/{terminal}/revoke",
    tag = "admin",
    security(("admin" = []), ("session" = [])),
    params(
        ("store" = String, Path, description = "The store's id"),
        ("terminal" = String, Path, description = "The terminal's id"),
    ),
    responses(
        (status = 200, description = "Revoked", body = Revoked),
        (status = 404, description = "HQ has no such terminal", body = ErrorAnswer),
        (status = 409, description = "The terminal is revoked already", body = ErrorAnswer),
        AdminRefusals,
    )
)]
pub async fn revoke(
    State(state): State<AppState>,
    staff: Staff,
    Path((store, terminal)): Path<(String, String)>,
) -> Result<Json<Revoked>, ApiError> {
    let who = staff.may(Permission::Tills)?;
    Ok(Json(revoke_as(&state, who, &store, &terminal).await?))
}

/// [`revoke`] for `who` (the console's form calls it too).
pub async fn revoke_as(
    state: &AppState,
    who: &Principal,
    store: &str,
    terminal: &str,
) -> Result<Revoked, ApiError> {
    who.require(Permission::Tills)?;
    who.check_store(store)?;
    state
        .store
        .revoke_terminal(&till(store, terminal), who)
        .await?;
    Ok(Revoked {
        store_id: store.to_string(),
        terminal_id: terminal.to_string(),
        revoked: true,
    })
}
