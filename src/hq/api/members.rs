//! The chain-wide member view (`GET /v1/members/{id}/view`), for HQ staff and for the till
//! serving the member.
//!
//! Who may read it: HQ staff with the admin token read any member's view; a till, with its
//! terminal token, reads the view of the member at its counter only: it names the card the
//! member presented (`card`, one of the member's active cards), and its asks count against
//! the same per-terminal limit as its member lookups, so no till can walk through the
//! chain's members.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::AppState;
use super::auth::{Authenticated, Staff, is_admin};
use super::error::{AdminRefusals, ApiError, BodyRefusals, ErrorAnswer};
use crate::hq::adjustments::{AdjustRequest, Adjusted};
use crate::hq::member_view::{DEFAULT_BILLS, MAX_BILLS, MemberView, ViewAsk};
use crate::hq::staff::{Permission, Principal};
use crate::hq::store::TerminalId;

/// Who asks for a view: HQ staff whose role reads members, or one store's till.
pub enum Caller {
    Staff,
    Till(TerminalId),
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if is_admin(parts, state) {
            state.metrics.requests.fetch_add(1, Ordering::Relaxed);
            return Ok(Caller::Staff);
        }
        if parts
            .extensions
            .get::<super::session::SessionStaff>()
            .is_some()
        {
            let staff = Staff::from_request_parts(parts, state).await?;
            staff.may(Permission::MembersRead)?;
            return Ok(Caller::Staff);
        }
        let Authenticated(till) = Authenticated::from_request_parts(parts, state).await?;
        Ok(Caller::Till(till))
    }
}

/// Adjust a member's points by hand (positive adds, negative takes; a reason is required),
/// as an `adjust` transfer on their ledger, audited with the balance before and after. A
/// debit beyond the balance is refused (422) and changes nothing. Admins and customer
/// service.
#[utoipa::path(
    post,
    path = "/v1/members/{id}/adjustments",
    tag = "members",
    security(("admin" = []), ("session" = [])),
    params(("id" = String, Path, description = "The member's number")),
    request_body = AdjustRequest,
    responses(
        (status = 201, description = "The adjustment made", body = Adjusted),
        (status = 404, description = "HQ has no such member", body = ErrorAnswer),
        BodyRefusals,
        AdminRefusals,
    )
)]
pub async fn adjust_points(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    body: Result<Json<AdjustRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<Adjusted>), ApiError> {
    let who = staff.may(Permission::PointsAdjust)?;
    let Json(ask) = body?;
    adjust_as(&state, who, &id, &ask)
        .await
        .map(|a| (StatusCode::CREATED, Json(a)))
}

/// [`adjust_points`] for `who` (the console's form calls it too).
pub async fn adjust_as(
    state: &AppState,
    who: &Principal,
    id: &str,
    ask: &AdjustRequest,
) -> Result<Adjusted, ApiError> {
    who.require(Permission::PointsAdjust)?;
    ask.check()
        .map_err(|m| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m))?;
    state
        .store
        .adjust_points(id, ask, who)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_member",
                format!("HQ has no member {id}"),
            )
        })
}

/// Which page of the member's bills, and (for a till) the card presented.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ViewQuery {
    /// Bills before this instant (RFC 3339; the newest when absent): the page's
    /// `history.next_before` gives the next page.
    pub before: Option<DateTime<Utc>>,
    /// Bills on the page, 1–200 (20 when absent).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The card the member presented at the till (required with a terminal token).
    #[param(pattern = "^[A-Za-z0-9]{4,32}$")]
    pub card: Option<String>,
}

/// One member as every store of the chain saw them: the record (number, name, address,
/// phone, card opened, customer type), cards, points ledger, bills in every store (paged
/// by `before` and `limit`), spend per category per year, visits, the largest purchase,
/// coupons and lists, open complaints and a suggested purchase plan (the list engine's
/// products due in the next fortnight, with their reasons).
///
/// HQ staff (the admin token) read any member's view. A till (its terminal token) reads
/// the view of the member at its counter only: it names the card the member presented
/// (`card`, one of the member's active cards; 403 otherwise), and its asks count against
/// its member-lookup limit (`hq.member_lookups_per_minute`; 429 beyond it).
#[utoipa::path(
    get,
    path = "/v1/members/{id}/view",
    tag = "members",
    security(("admin" = []), ("session" = []), ("terminal" = [])),
    params(
        ("id" = String, Path, description = "The member's number", pattern = "^[^\\s]{1,64}$"),
        ViewQuery,
    ),
    responses(
        (status = 200, description = "The member's view", body = MemberView),
        (status = 400, description = "Not a member number, or a query parameter of the wrong form", body = ErrorAnswer),
        (status = 401, description = "No token, or one HQ does not know", body = ErrorAnswer),
        (status = 403, description = "A till named no card of this member", body = ErrorAnswer),
        (status = 404, description = "HQ has no such member", body = ErrorAnswer),
        (status = 429, description = "This till asks too fast (see Retry-After)", body = ErrorAnswer),
        (status = 503, description = "HQ cannot reach its database; retry later", body = ErrorAnswer),
    )
)]
pub async fn member_view(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    query: Result<Query<ViewQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    if let Caller::Till(from) = &caller {
        state.metrics.member_lookups.fetch_add(1, Ordering::Relaxed);
        if let Some(answer) = super::terminal::too_fast(
            &state.lookups,
            from,
            "too_many_lookups",
            "this terminal looks members up too fast",
        ) {
            return Ok(answer);
        }
    }
    let Query(query) = query.map_err(|r| ApiError::bad_request("bad_request", r.body_text()))?;
    if crate::domain::coupon::check_member_id(&id).is_err() {
        return Err(ApiError::bad_request(
            "bad_member",
            format!("'{id}' is not a member number"),
        ));
    }
    let limit = query.limit.unwrap_or(DEFAULT_BILLS);
    if !(1..=MAX_BILLS).contains(&limit) {
        return Err(ApiError::bad_request(
            "bad_limit",
            format!("limit must be 1–{MAX_BILLS} bills, not {limit}"),
        ));
    }
    if let Caller::Till(from) = &caller {
        let card = query.card.as_deref().unwrap_or_default();
        if crate::domain::member::validate_card_number(card).is_err() {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "card_required",
                format!(
                    "a till reads the view of the member at its counter: name the card they presented (card=…); {} named none",
                    from.terminal_id
                ),
            ));
        }
    }
    let ask = ViewAsk {
        before: query.before,
        limit,
        now: Utc::now(),
    };
    let params = state
        .lists
        .as_ref()
        .map(|l| l.params.clone())
        .unwrap_or_default();
    let Some(view) = state.store.member_view(&id, &ask, &params).await? else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_member",
            format!("HQ has no member {id}"),
        ));
    };
    if let Caller::Till(_) = &caller {
        let card = query.card.as_deref().unwrap_or_default();
        let presented = view
            .cards
            .iter()
            .any(|c| c.number == card && c.status == crate::domain::member::CardStatus::Active);
        if !presented {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "not_this_member",
                format!("card {card} is not an active card of member {id}"),
            ));
        }
    }
    Ok(Json(view).into_response())
}
