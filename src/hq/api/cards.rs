//! A member's card blocked or replaced by HQ staff whose role serves members (admins and
//! customer service: [`Permission::Cards`]); see [`crate::hq::cards`].

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::AppState;
use super::auth::Staff;
use super::error::{AdminRefusals, ApiError, BodyRefusals, ErrorAnswer};
use crate::hq::cards::{BlockCard, CardsChanged, ReplaceCard};
use crate::hq::staff::{Permission, Principal};

fn unknown(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "unknown_member",
        format!("HQ has no member {id}"),
    )
}

/// Block a member's lost or stolen card (a reason is required): HQ's lookup refuses it
/// from now on and the tills of the member's store refuse it once they have synced.
#[utoipa::path(
    post,
    path = "/v1/members/{id}/cards/{card}/block",
    tag = "members",
    security(("admin" = []), ("session" = [])),
    params(
        ("id" = String, Path, description = "The member's number"),
        ("card" = String, Path, description = "One of the member's active cards"),
    ),
    request_body = BlockCard,
    responses(
        (status = 200, description = "The member's cards now", body = CardsChanged),
        (status = 404, description = "HQ has no such member", body = ErrorAnswer),
        BodyRefusals,
        AdminRefusals,
    )
)]
pub async fn block(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, card)): Path<(String, String)>,
    body: Result<Json<BlockCard>, JsonRejection>,
) -> Result<Json<CardsChanged>, ApiError> {
    let who = staff.may(Permission::Cards)?;
    let Json(ask) = body?;
    block_as(&state, who, &id, &card, &ask).await.map(Json)
}

/// [`block`] for `who` (the console's form calls it too).
pub async fn block_as(
    state: &AppState,
    who: &Principal,
    id: &str,
    card: &str,
    ask: &BlockCard,
) -> Result<CardsChanged, ApiError> {
    who.require(Permission::Cards)?;
    state
        .store
        .block_card(id, card, ask, who)
        .await?
        .ok_or_else(|| unknown(id))
}

/// Replace a member's card by a new number (format and check digit checked, not issued
/// before; a reason is required): the old card is blocked, the new one active.
#[utoipa::path(
    post,
    path = "/v1/members/{id}/cards/{card}/replace",
    tag = "members",
    security(("admin" = []), ("session" = [])),
    params(
        ("id" = String, Path, description = "The member's number"),
        ("card" = String, Path, description = "The card replaced, one of the member's"),
    ),
    request_body = ReplaceCard,
    responses(
        (status = 200, description = "The member's cards now", body = CardsChanged),
        (status = 404, description = "HQ has no such member", body = ErrorAnswer),
        BodyRefusals,
        AdminRefusals,
    )
)]
pub async fn replace(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, card)): Path<(String, String)>,
    body: Result<Json<ReplaceCard>, JsonRejection>,
) -> Result<Json<CardsChanged>, ApiError> {
    let who = staff.may(Permission::Cards)?;
    let Json(ask) = body?;
    replace_as(&state, who, &id, &card, &ask).await.map(Json)
}

/// [`replace`] for `who` (the console's form calls it too).
pub async fn replace_as(
    state: &AppState,
    who: &Principal,
    id: &str,
    card: &str,
    ask: &ReplaceCard,
) -> Result<CardsChanged, ApiError> {
    who.require(Permission::Cards)?;
    state
        .store
        .replace_card(id, card, ask, who)
        .await?
        .ok_or_else(|| unknown(id))
}
