//! What a till asks HQ, with its own terminal token: send its events, look a member up in
//! any store, fetch its store's data sets, ask for a member's list, read back its journal
//! anchors. A token is one store's terminal: every answer is scoped to that store, and
//! events naming any other are refused.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use storepos_sync::Envelope;

use crate::hq::store::TillReport;
use storepos_sync::anchor::AnchorsPage;
use storepos_sync::checkpoint::Checkpoint;
use storepos_sync::wire::{ConflictAnswer, ErrorBody, IngestReply};

use super::auth::{Authenticated, Bearer};
use super::error::{ApiError, ErrorAnswer, TerminalRefusals};
use super::{AppState, LookupLimiter, MAX_EVENTS_PER_REQUEST};
use crate::domain::member::{CardStatus, Member};
use crate::domain::org::Operator;
use crate::domain::product::Product;
use crate::domain::promotion::Promotion;
use crate::hq::store::{HqError, TerminalId};
use crate::protocol::SignedCode;
use crate::settings::StoreSettings;

/// `POST /v1/events`: a batch of one terminal's events.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventBatch {
    /// At most 1,000 events (the uploader sends 500), lowest sequence first.
    pub events: Vec<Envelope>,
}

/// The answer to a batch HQ refused some events of (422): what it holds, and the first
/// refusal as the error.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RefusedBatch {
    #[serde(flatten)]
    pub reply: IngestReply,
    pub error: ErrorBody,
}

/// A 422 answer to a batch: some events refused, or a body of the wrong shape.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // Only read by the OpenAPI document.
pub enum Unprocessable {
    Refused(RefusedBatch),
    Invalid(ErrorAnswer),
}

/// A member found by one of their cards.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FoundMember {
    pub member: Member,
    /// The member's balance in HQ's ledger.
    pub points_balance: i64,
}

/// Ingest a batch of a terminal's events, each applied exactly once.
///
/// 200 when HQ holds every event (now or from before); 422 with the reply when it refused
/// some (each named with its rule; a refused event in range is parked and counted as held);
/// 409 when HQ holds another event under one of the batch's sequence numbers (nothing of
/// the batch is applied).
#[utoipa::path(
    post,
    path = "/v1/events",
    tag = "terminal",
    security(("terminal" = [])),
    params(
        ("x-storepos-backlog" = Option<u64>, Header,
         description = "Events the till's outbox still holds after this batch (shown to staff)"),
    ),
    request_body = EventBatch,
    responses(
        (status = 200, description = "Every event is held", body = IngestReply),
        (status = 409, description = "Another event is held under one of the batch's sequence numbers", body = ConflictAnswer),
        (status = 422, description = "HQ refused some events (or the body is of the wrong shape)", body = Unprocessable),
        (status = 403, description = "An event names another store or terminal", body = ErrorAnswer),
        (status = 413, description = "More than 1,000 events, or a body larger than HQ reads", body = ErrorAnswer),
        (status = 400, description = "The body is not JSON, or is truncated; or the backlog header is not a whole number", body = ErrorAnswer),
        (status = 415, description = "The body is not application/json", body = ErrorAnswer),
        TerminalRefusals,
    )
)]
pub async fn ingest(
    State(state): State<AppState>,
    Bearer(token): Bearer,
    headers: axum::http::HeaderMap,
    body: Result<Json<EventBatch>, JsonRejection>,
) -> Result<Response, ApiError> {
    let report = till_report(&headers)?;
    let Json(batch) = body?;
    if batch.events.len() > MAX_EVENTS_PER_REQUEST {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many",
            format!("send at most {MAX_EVENTS_PER_REQUEST} events at once"),
        ));
    }
    state.metrics.batches.fetch_add(1, Ordering::Relaxed);
    state
        .metrics
        .events
        .fetch_add(batch.events.len() as u64, Ordering::Relaxed);
    // The token is checked by the statement that locks the terminal's row.
    match state.store.ingest_as(&token, &batch.events, &report).await {
        Ok(Some((_, reply))) => Ok(ingest_answer(reply)),
        Ok(None) => Err(state.refused("this terminal token is not registered")),
        Err(HqError::Conflict(conflict)) => {
            let answer = ConflictAnswer {
                error: ErrorBody {
                    code: "seq_conflict".into(),
                    message: conflict.message.clone(),
                },
                conflict,
            };
            Ok((StatusCode::CONFLICT, Json(answer)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// What the till says of itself (see [`storepos_sync::wire::BACKLOG_HEADER`]): its
/// version from its uploader's `User-Agent` (`storepos-sync/VERSION`, kept only when it
/// is a plain version), and the backlog header, refused when it is not a whole number.
fn till_report(headers: &axum::http::HeaderMap) -> Result<TillReport, ApiError> {
    let version = headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .and_then(|ua| ua.strip_prefix("storepos-sync/"))
        .filter(|v| {
            (1..=32).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+'))
        })
        .map(str::to_string);
    let backlog = match headers.get(storepos_sync::wire::BACKLOG_HEADER) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|t| t.trim().parse::<u64>().ok())
                .ok_or_else(|| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "bad_backlog",
                        format!(
                            "{} must be a whole number of events",
                            storepos_sync::wire::BACKLOG_HEADER
                        ),
                    )
                })?,
        ),
    };
    Ok(TillReport { version, backlog })
}

/// 200 with the reply when every event is held and none refused; 422 with the reply and
/// the first refusal as the error when HQ refused some (parked or not stored).
fn ingest_answer(reply: IngestReply) -> Response {
    let Some(first) = reply.refused.first() else {
        return Json(reply).into_response();
    };
    let error = ErrorBody {
        code: "refused".into(),
        message: format!("event {} ({}): {}", first.seq, first.rule, first.message),
    };
    let answer = RefusedBatch { reply, error };
    (StatusCode::UNPROCESSABLE_ENTITY, Json(answer)).into_response()
}

/// A 429 answer with `Retry-After` when the terminal is over its limit.
pub(super) fn too_fast(
    limiter: &LookupLimiter,
    from: &TerminalId,
    code: &'static str,
    what: &str,
) -> Option<Response> {
    let not_until = limiter
        .check_key(&(from.store_id.clone(), from.terminal_id.clone()))
        .err()?;
    let wait = not_until.wait_time_from(governor::clock::Clock::now(
        &governor::clock::DefaultClock::default(),
    ));
    let seconds = wait.as_secs() + 1;
    let mut answer = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        code,
        format!("{what}; retry in {seconds} s"),
    )
    .into_response();
    answer
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    Some(answer)
}

/// The member's signed shopping list of the current period, made now if HQ has none.
///
/// Only the member's home store may ask, at most 10 times a minute per terminal.
#[utoipa::path(
    post,
    path = "/v1/lists/{member}",
    tag = "terminal",
    security(("terminal" = [])),
    params(("member" = String, Path, description = "The member's id", pattern = "^[^\\s]{1,64}$")),
    responses(
        (status = 200, description = "The member's signed list", body = SignedCode),
        (status = 400, description = "Not a member id", body = ErrorAnswer),
        (status = 403, description = "The member belongs to another store", body = ErrorAnswer),
        (status = 404, description = "No such member, or no purchases to make a list from", body = ErrorAnswer),
        (status = 429, description = "This terminal asks too fast (see Retry-After)", body = ErrorAnswer),
        TerminalRefusals,
    )
)]
pub async fn list_on_demand(
    State(state): State<AppState>,
    Authenticated(from): Authenticated,
    Path(member): Path<String>,
) -> Result<Response, ApiError> {
    if let Some(answer) = too_fast(
        &state.list_asks,
        &from,
        "too_many_list_asks",
        "this terminal asks for lists too fast",
    ) {
        return Ok(answer);
    }
    if crate::domain::coupon::check_member_id(&member).is_err() {
        return Err(ApiError::bad_request(
            "bad_member",
            format!("'{member}' is not a member id"),
        ));
    }
    let Some(signer) = state.lists.clone() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "lists_unavailable",
            "this HQ makes no lists (it has no coupon-signing key)",
        ));
    };
    let made = state
        .store
        .list_on_demand(
            &signer.key,
            &member,
            &from.store_id,
            chrono::Utc::now(),
            &signer.params,
            signer.currency,
        )
        .await
        .map_err(|e| match e.downcast::<HqError>() {
            Ok(e) => ApiError::from(e),
            Err(e) => {
                tracing::error!("hq: list for {member}: {e:#}");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "HQ could not make the list; retry later",
                )
            }
        })?;
    use crate::hq::lists::OnDemand;
    match made {
        OnDemand::List(code) => Ok(Json(code).into_response()),
        OnDemand::UnknownMember => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_member",
            format!("HQ has no member {member}"),
        )),
        OnDemand::NotHome(home) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not_home_store",
            format!(
                "member {member} belongs to store {home:?}, not {}: only the member's home store asks for their list",
                from.store_id
            ),
        )),
        OnDemand::HeldOut => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "held_out",
            format!("member {member} is in this fortnight's hold-out group: no list this period"),
        )),
        OnDemand::NoHistory => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_history",
            format!("HQ holds no purchases of member {member} to make a list from"),
        )),
    }
}

/// A member by any of their cards, in any store, with their points balance.
#[utoipa::path(
    get,
    path = "/v1/members/{card}",
    tag = "terminal",
    security(("terminal" = [])),
    params(("card" = String, Path, description = "A card number: 4–32 letters or digits", pattern = "^[A-Za-z0-9]{4,32}$")),
    responses(
        (status = 200, description = "The card's member", body = FoundMember),
        (status = 400, description = "Not a card number", body = ErrorAnswer),
        (status = 404, description = "No member has this card", body = ErrorAnswer),
        (status = 410, description = "The card is blocked (lost or replaced)", body = ErrorAnswer),
        (status = 429, description = "This terminal looks members up too fast (see Retry-After)", body = ErrorAnswer),
        TerminalRefusals,
    )
)]
pub async fn member(
    State(state): State<AppState>,
    Authenticated(from): Authenticated,
    Path(card): Path<String>,
) -> Result<Response, ApiError> {
    state.metrics.member_lookups.fetch_add(1, Ordering::Relaxed);
    if let Some(answer) = too_fast(
        &state.lookups,
        &from,
        "too_many_lookups",
        "this terminal looks members up too fast",
    ) {
        return Ok(answer);
    }
    if crate::domain::member::validate_card_number(&card).is_err() {
        return Err(ApiError::bad_request(
            "bad_card",
            format!("'{card}' is not a card number"),
        ));
    }
    match state.store.member_by_card(&card).await? {
        // A blocked card (lost, replaced) speaks for nobody, at any store.
        Some((member, _))
            if member
                .cards
                .iter()
                .any(|c| c.number == card && c.status == CardStatus::Blocked) =>
        {
            Err(ApiError::new(
                StatusCode::GONE,
                "card_blocked",
                format!("card {card} is blocked: ask for the member's new card"),
            ))
        }
        Some((member, points_balance)) => Ok(Json(FoundMember {
            member,
            points_balance,
        })
        .into_response()),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_member",
            format!("no member has card {card}"),
        )),
    }
}

/// The terminal's store's members (home store) with cards and balances, as a checkpoint.
#[utoipa::path(
    get,
    path = "/v1/checkpoints/members",
    tag = "data sets",
    security(("terminal" = [])),
    responses((status = 200, description = "The data set", body = Checkpoint<Member>), TerminalRefusals)
)]
pub async fn members_checkpoint(
    State(state): State<AppState>,
    Authenticated(from): Authenticated,
) -> Result<Json<Checkpoint<Member>>, ApiError> {
    let (as_of, members) = state.store.store_members(&from).await?;
    Ok(Json(Checkpoint::new(
        "members",
        &from.store_id,
        as_of,
        members,
    )))
}

/// The chain's products at the store's prices, as a checkpoint (empty while HQ does not
/// administer them).
#[utoipa::path(
    get,
    path = "/v1/checkpoints/catalogue",
    tag = "data sets",
    security(("terminal" = [])),
    responses((status = 200, description = "The data set", body = Checkpoint<Product>), TerminalRefusals)
)]
pub async fn catalogue_checkpoint(
    State(state): State<AppState>,
    Authenticated(from): Authenticated,
) -> Result<Json<Checkpoint<Product>>, ApiError> {
    let as_of = state.store.acked_seq(&from).await?;
    let products = state.store.store_products(&from.store_id).await?;
    Ok(Json(Checkpoint::new(
        "catalogue",
        &from.store_id,
        as_of,
        products,
    )))
}

/// The chain's promotions as a checkpoint (empty while HQ does not administer them).
#[utoipa::path(
    get,
    path = "/v1/checkpoints/promotions",
    tag = "data sets",
    security(("terminal" = [])),
    responses((status = 200, description = "The data set", body = Checkpoint<Promotion>), TerminalRefusals)
)]
pub async fn promotions_checkpoint(
    State(state): State<AppState>,
    Authenticated(from): Authenticated,
) -> Result<Json<Checkpoint<Promotion>>, ApiError> {
    let as_of = state.store.acked_seq(&from).await?;
    let promotions = state.store.promotions().await?;
    Ok(Json(Checkpoint::new(
        "promotions",
        &from.store_id,
        as_of,
        promotions,
    )))
}

/// The signed coupons and lists HQ issued to the store's members, as a checkpoint.
#[utoipa::path(
    get,
    path = "/v1/checkpoints/coupons",
    tag = "data sets",
    security(("terminal" = [])),
    responses((status = 200, description = "The data set", body = Checkpoint<SignedCode>), TerminalRefusals)
)]
pub async fn coupons_checkpoint(
    State(state): State<AppState>,
    Authenticated(from): Authenticated,
) -> Result<Json<Checkpoint<SignedCode>>, ApiError> {
    let as_of = state.store.acked_seq(&from).await?;
    let codes = state.store.store_codes(&from.store_id).await?;
    Ok(Json(Checkpoint::new(
        "coupons",
        &from.store_id,
        as_of,
        codes,
    )))
}

/// The store's operators (id, name, role, PIN hash) as a checkpoint (empty while HQ does
/// not administer them).
#[utoipa::path(
    get,
    path = "/v1/checkpoints/operators",
    tag = "data sets",
    security(("terminal" = [])),
    responses((status = 200, description = "The data set", body = Checkpoint<Operator>), TerminalRefusals)
)]
pub async fn operators_checkpoint(
    State(state): State<AppState>,
    Authenticated(from): Authenticated,
) -> Result<Json<Checkpoint<Operator>>, ApiError> {
    let as_of = state.store.acked_seq(&from).await?;
    let operators = state.store.store_operators(&from.store_id).await?;
    Ok(Json(Checkpoint::new(
        "operators",
        &from.store_id,
        as_of,
        operators,
    )))
}

/// The settings HQ sets for the store's tills (at most one item), as a checkpoint.
#[utoipa::path(
    get,
    path = "/v1/checkpoints/settings",
    tag = "data sets",
    security(("terminal" = [])),
    responses((status = 200, description = "The data set", body = Checkpoint<StoreSettings>), TerminalRefusals)
)]
pub async fn settings_checkpoint(
    State(state): State<AppState>,
    Authenticated(from): Authenticated,
) -> Result<Json<Checkpoint<StoreSettings>>, ApiError> {
    let as_of = state.store.acked_seq(&from).await?;
    let settings: Vec<StoreSettings> = state
        .store
        .settings(&from.store_id)
        .await?
        .into_iter()
        .collect();
    Ok(Json(Checkpoint::new(
        "settings",
        &from.store_id,
        as_of,
        settings,
    )))
}

/// Which page of journal anchors.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AnchorsQuery {
    /// Anchors of events with a sequence above this one (0, the first page, when absent).
    #[serde(default)]
    pub after_seq: u64,
}

/// The journal anchors HQ holds for the asking terminal's sales and returns (and only for
/// it), a page at a time.
#[utoipa::path(
    get,
    path = "/v1/journal/anchors",
    tag = "terminal",
    security(("terminal" = [])),
    params(AnchorsQuery),
    responses(
        (status = 200, description = "A page of anchors", body = AnchorsPage),
        (status = 400, description = "Not a sequence number", body = ErrorAnswer),
        TerminalRefusals,
    )
)]
pub async fn journal_anchors(
    State(state): State<AppState>,
    Authenticated(from): Authenticated,
    query: Result<Query<AnchorsQuery>, QueryRejection>,
) -> Result<Json<AnchorsPage>, ApiError> {
    let Query(query) = query.map_err(|r| ApiError::bad_request("bad_request", r.body_text()))?;
    Ok(Json(
        state.store.journal_anchors(&from, query.after_seq).await?,
    ))
}
