//! HQ's HTTP API (axum): terminal event ingest, cross-store member lookup, health,
//! Prometheus metrics and the OpenAPI document.
//!
//! Every terminal request carries `Authorization: Bearer <token>` from `storepos hq
//! register`; a token is scoped to one store and terminal, and events naming any other are
//! refused. Bad requests (malformed, truncated, wrong types) get a 4xx answer with a JSON
//! message, never a 5xx or a panic.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use storepos_sync::Envelope;
use storepos_sync::wire::{ConflictAnswer, ErrorBody, IngestReply};

use super::store::{HqError, HqStore, TerminalId};

/// The OpenAPI description of this API, served at `/openapi.json`.
pub const OPENAPI: &str = include_str!("openapi.json");

#[derive(Default)]
pub struct Metrics {
    requests: AtomicU64,
    events: AtomicU64,
    batches: AtomicU64,
    refused: AtomicU64,
    member_lookups: AtomicU64,
}

/// Largest request body HQ reads. A batch of the uploader's 500 sales of a dozen lines is
/// about 2 MB; a larger batch is answered 413 and the uploader halves it.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// Most events one request may carry (the uploader sends 500).
pub const MAX_EVENTS_PER_REQUEST: usize = 1_000;

/// What the API is configured with.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// The bearer token of HQ staff tools (`hq.admin_token`); none disables the admin API.
    pub admin_token: Option<String>,
    /// Member lookups one terminal token may make per minute (`hq.member_lookups_per_minute`);
    /// 0 uses [`DEFAULT_LOOKUPS_PER_MINUTE`].
    pub member_lookups_per_minute: u32,
    /// How long a client may take to send a request's headers, and its first request on a
    /// new connection (`hq.header_timeout`): a connection that opens and says nothing is
    /// closed after it, so half-open connections cannot pile up.
    pub header_timeout: std::time::Duration,
    /// How long a request's body may take to arrive once its headers have
    /// (`hq.body_timeout`).
    pub body_timeout: std::time::Duration,
    /// HQ's coupon-signing key and list settings, for lists a store asks for one member
    /// (`POST /v1/lists/{member}`); none answers those asks 503.
    pub lists: Option<Arc<ListSigner>>,
}

impl Default for ApiSettings {
    fn default() -> Self {
        let hq = crate::config::HqConfig::default();
        ApiSettings {
            admin_token: None,
            member_lookups_per_minute: hq.member_lookups_per_minute,
            header_timeout: std::time::Duration::from_secs(hq.header_timeout),
            body_timeout: std::time::Duration::from_secs(hq.body_timeout),
            lists: None,
        }
    }
}

/// What HQ signs a store's ask for a member's list with.
pub struct ListSigner {
    pub key: ed25519_dalek::SigningKey,
    pub params: crate::domain::lists::Params,
    pub currency: crate::domain::money::Currency,
}

impl std::fmt::Debug for ListSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key itself.
        f.debug_struct("ListSigner")
            .field("key", &hex::encode(self.key.verifying_key().to_bytes()))
            .field("currency", &self.currency)
            .finish_non_exhaustive()
    }
}

/// Lists one terminal may ask HQ to make per minute: a member asks at the counter now and
/// then; far more is a till walking through the chain's members.
pub const LIST_ASKS_PER_MINUTE: u32 = 10;

impl ApiSettings {
    /// The settings `hq.*` configures.
    pub fn from_config(hq: &crate::config::HqConfig) -> ApiSettings {
        ApiSettings {
            admin_token: hq.admin_token.clone(),
            member_lookups_per_minute: hq.member_lookups_per_minute,
            header_timeout: std::time::Duration::from_secs(hq.header_timeout),
            body_timeout: std::time::Duration::from_secs(hq.body_timeout),
            lists: None,
        }
    }
}

/// See [`crate::config::DEFAULT_MEMBER_LOOKUPS_PER_MINUTE`].
pub const DEFAULT_LOOKUPS_PER_MINUTE: u32 = crate::config::DEFAULT_MEMBER_LOOKUPS_PER_MINUTE;

/// Per terminal: how fast it may look members up.
type LookupLimiter = governor::DefaultKeyedRateLimiter<(String, String)>;

#[derive(Clone)]
pub struct AppState {
    pub store: HqStore,
    pub metrics: Arc<Metrics>,
    /// The bearer token of HQ staff tools (`hq.admin_token`); none disables the admin API.
    pub admin_token: Option<Arc<str>>,
    lookups: Arc<LookupLimiter>,
    list_asks: Arc<LookupLimiter>,
    lists: Option<Arc<ListSigner>>,
}

/// The routes of the API.
pub fn router(store: HqStore, settings: ApiSettings) -> Router {
    let per_minute = match settings.member_lookups_per_minute {
        0 => DEFAULT_LOOKUPS_PER_MINUTE,
        n => n,
    };
    let per_minute = std::num::NonZeroU32::new(per_minute).unwrap_or(std::num::NonZeroU32::MIN);
    let state = AppState {
        store,
        metrics: Arc::new(Metrics::default()),
        admin_token: settings.admin_token.map(Arc::from),
        lookups: Arc::new(governor::RateLimiter::keyed(governor::Quota::per_minute(
            per_minute,
        ))),
        list_asks: Arc::new(governor::RateLimiter::keyed(governor::Quota::per_minute(
            std::num::NonZeroU32::new(LIST_ASKS_PER_MINUTE).expect("a positive constant"),
        ))),
        lists: settings.lists,
    };
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route("/v1/events", post(ingest))
        .route("/v1/members/{card}", get(member))
        .route("/v1/lists/{member}", post(list_on_demand))
        .route("/v1/checkpoints/members", get(members_checkpoint))
        .route("/v1/checkpoints/catalogue", get(catalogue_checkpoint))
        .route("/v1/checkpoints/promotions", get(promotions_checkpoint))
        .route("/v1/checkpoints/coupons", get(coupons_checkpoint))
        .route("/v1/checkpoints/operators", get(operators_checkpoint))
        .route("/v1/admin/operators", axum::routing::put(put_operators))
        .route(
            "/v1/admin/settings/{store}",
            axum::routing::put(put_settings),
        )
        .route("/v1/checkpoints/settings", get(settings_checkpoint))
        .route("/v1/admin/products", axum::routing::put(put_products))
        .route("/v1/admin/prices/{store}", axum::routing::put(put_prices))
        .route("/v1/admin/promotions", axum::routing::put(put_promotions))
        .route("/v1/admin/report", get(report))
        .route("/v1/journal/anchors", get(journal_anchors))
        // A batch of 500 sales is a few megabytes; the default 2 MB is too tight.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        // A client that sends its body slowly is cut off (its headers: see `hq::serve`).
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            settings.body_timeout,
        ))
        .with_state(state)
}

/// An error answer: a status and a JSON body `{"error": {"code", "message"}}`.
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        (self.status, Json(body)).into_response()
    }
}

impl From<HqError> for ApiError {
    fn from(e: HqError) -> ApiError {
        if data_error(&e) {
            // Values the database cannot take (SQLSTATE class 22: a character it cannot
            // store, a number out of range) are the request's fault, not the database's.
            return ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "data_error",
                e.to_string(),
            );
        }
        match e {
            HqError::Conflict(c) => ApiError::new(StatusCode::CONFLICT, "seq_conflict", c.message),
            HqError::ForeignEvent { .. } => {
                ApiError::new(StatusCode::FORBIDDEN, "foreign_event", e.to_string())
            }
            HqError::BadEvent { .. } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_event", e.to_string())
            }
            HqError::Invalid(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", e.to_string())
            }
            other => {
                tracing::error!("hq: {other}");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "HQ cannot reach its database; retry later",
                )
            }
        }
    }
}

/// Whether a database error is one of the data it was given (SQLSTATE class 22).
fn data_error(e: &HqError) -> bool {
    matches!(e, HqError::Db(sqlx::Error::Database(d))
        if d.code().is_some_and(|c| c.starts_with("22")))
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> ApiError {
        ApiError::new(r.status(), "bad_request", r.body_text())
    }
}

impl AppState {
    /// A 401 answer, counted.
    fn refused(&self, message: &str) -> ApiError {
        self.metrics.refused.fetch_add(1, Ordering::Relaxed);
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
}

/// A request's bearer token, not yet checked (a route that takes it checks it itself).
pub struct Bearer(pub String);

impl FromRequestParts<AppState> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        state.metrics.requests.fetch_add(1, Ordering::Relaxed);
        parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| Bearer(t.trim().to_string()))
            .ok_or_else(|| state.refused("send Authorization: Bearer <terminal token>"))
    }
}

/// The terminal a request's bearer token identifies.
pub struct Authenticated(pub TerminalId);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Bearer(token) = Bearer::from_request_parts(parts, state).await?;
        match state.store.authenticate(&token).await? {
            Some(id) => Ok(Authenticated(id)),
            None => Err(state.refused("this terminal token is not registered")),
        }
    }
}

async fn health(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(_) => Json(json!({"status": "ok", "database": "ok"})).into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "degraded", "database": e.to_string()})),
        )
            .into_response(),
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    let m = &state.metrics;
    let line = |name: &str, help: &str, v: &AtomicU64| {
        format!(
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}\n",
            v.load(Ordering::Relaxed)
        )
    };
    let body = [
        line(
            "storepos_hq_requests_total",
            "Authenticated API requests.",
            &m.requests,
        ),
        line(
            "storepos_hq_event_batches_total",
            "Event batches ingested.",
            &m.batches,
        ),
        line(
            "storepos_hq_events_total",
            "Events received (duplicates included).",
            &m.events,
        ),
        line(
            "storepos_hq_refused_total",
            "Requests refused for their credentials.",
            &m.refused,
        ),
        line(
            "storepos_hq_member_lookups_total",
            "Member lookups by card.",
            &m.member_lookups,
        ),
    ]
    .concat();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventBatch {
    events: Vec<Envelope>,
}

async fn ingest(
    State(state): State<AppState>,
    Bearer(token): Bearer,
    body: Result<Json<EventBatch>, JsonRejection>,
) -> Result<Response, ApiError> {
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
    match state.store.ingest_as(&token, &batch.events).await {
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

/// 200 with the reply when every event is held and none refused; 422 with the reply and
/// the first refusal as the error when HQ refused some (parked or not stored).
fn ingest_answer(reply: IngestReply) -> Response {
    let Some(first) = reply.refused.first() else {
        return Json(reply).into_response();
    };
    let error = json!({
        "code": "refused",
        "message": format!("event {} ({}): {}", first.seq, first.rule, first.message),
    });
    let mut body = serde_json::to_value(&reply).unwrap_or_else(|_| json!({}));
    body["error"] = error;
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

/// A 429 answer with `Retry-After` when the terminal is over its limit.
fn too_fast(
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

/// A member's list of the current period, made and signed by HQ if it has none yet, for
/// a store that prints it at the counter: only the member's home store may ask.
async fn list_on_demand(
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
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
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
    use super::lists::OnDemand;
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
        OnDemand::NoHistory => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_history",
            format!("HQ holds no purchases of member {member} to make a list from"),
        )),
    }
}

async fn member(
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
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_card",
            format!("'{card}' is not a card number"),
        ));
    }
    match state.store.member_by_card(&card).await? {
        Some((member, balance)) => {
            Ok(Json(json!({"member": member, "points_balance": balance})).into_response())
        }
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_member",
            format!("no member has card {card}"),
        )),
    }
}

/// The store's members (home store), their cards and balances, as a checkpoint.
async fn members_checkpoint(
    State(state): State<AppState>,
    Authenticated(from): Authenticated,
) -> Result<Response, ApiError> {
    let (as_of, members) = state.store.store_members(&from).await?;
    let checkpoint =
        storepos_sync::checkpoint::Checkpoint::new("members", &from.store_id, as_of, members);
    Ok(Json(checkpoint).into_response())
}

/// HQ staff, by the admin bearer token.
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(expected) = &state.admin_token else {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "admin_disabled",
                "the admin API is off: set hq.admin_token",
            ));
        };
        let given = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        // Compared in full whatever the input, so timing says nothing about the token.
        let same = given.is_some_and(|g| {
            g.len() == expected.len()
                && g.bytes()
                    .zip(expected.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        });
        if same {
            Ok(Admin)
        } else {
            state.metrics.refused.fetch_add(1, Ordering::Relaxed);
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "send Authorization: Bearer <admin token>",
            ))
        }
    }
}

async fn put_products(
    State(state): State<AppState>,
    _: Admin,
    body: Result<Json<Vec<crate::domain::product::Product>>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(products) = body?;
    let n = state.store.put_products(&products).await?;
    Ok(Json(json!({ "stored": n })).into_response())
}

async fn put_prices(
    State(state): State<AppState>,
    _: Admin,
    Path(store): Path<String>,
    body: Result<Json<Vec<super::prices::StorePrice>>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(prices) = body?;
    let n = state.store.put_store_prices(&store, &prices).await?;
    Ok(Json(json!({ "stored": n })).into_response())
}

async fn put_promotions(
    State(state): State<AppState>,
    _: Admin,
    body: Result<Json<Vec<crate::domain::promotion::Promotion>>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(promotions) = body?;
    let n = state.store.put_promotions(&promotions).await?;
    Ok(Json(json!({ "stored": n })).into_response())
}

async fn report(State(state): State<AppState>, _: Admin) -> Result<Response, ApiError> {
    Ok(Json(state.store.reconciliation().await?).into_response())
}

async fn catalogue_checkpoint(
    State(state): State<AppState>,
    Authenticated(from): Authenticated,
) -> Result<Response, ApiError> {
    let as_of = state.store.acked_seq(&from).await?;
    let products = state.store.store_products(&from.store_id).await?;
    let checkpoint =
        storepos_sync::checkpoint::Checkpoint::new("catalogue", &from.store_id, as_of, products);
    Ok(Json(checkpoint).into_response())
}

async fn promotions_checkpoint(
    State(state): State<AppState>,
    Authenticated(from): Authenticated,
) -> Result<Response, ApiError> {
    let as_of = state.store.acked_seq(&from).await?;
    let promotions = state.store.promotions().await?;
    let checkpoint =
        storepos_sync::checkpoint::Checkpoint::new("promotions", &from.store_id, as_of, promotions);
    Ok(Json(checkpoint).into_response())
}

async fn coupons_checkpoint(
    State(state): State<AppState>,
    Authenticated(from): Authenticated,
) -> Result<Response, ApiError> {
    let as_of = state.store.acked_seq(&from).await?;
    let codes = state.store.store_codes(&from.store_id).await?;
    let checkpoint =
        storepos_sync::checkpoint::Checkpoint::new("coupons", &from.store_id, as_of, codes);
    Ok(Json(checkpoint).into_response())
}

async fn put_operators(
    State(state): State<AppState>,
    _: Admin,
    body: Result<Json<Vec<super::catalogue::NewOperator>>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(operators) = body?;
    let n = state.store.put_operators(&operators).await?;
    Ok(Json(json!({ "stored": n })).into_response())
}

async fn operators_checkpoint(
    State(state): State<AppState>,
    Authenticated(from): Authenticated,
) -> Result<Response, ApiError> {
    let as_of = state.store.acked_seq(&from).await?;
    let operators = state.store.store_operators(&from.store_id).await?;
    let checkpoint =
        storepos_sync::checkpoint::Checkpoint::new("operators", &from.store_id, as_of, operators);
    Ok(Json(checkpoint).into_response())
}

async fn put_settings(
    State(state): State<AppState>,
    _: Admin,
    Path(store): Path<String>,
    body: Result<Json<crate::settings::StoreSettings>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(settings) = body?;
    state.store.put_settings(&store, &settings).await?;
    Ok(Json(json!({ "stored": 1 })).into_response())
}

async fn settings_checkpoint(
    State(state): State<AppState>,
    Authenticated(from): Authenticated,
) -> Result<Response, ApiError> {
    let as_of = state.store.acked_seq(&from).await?;
    let settings: Vec<crate::settings::StoreSettings> = state
        .store
        .settings(&from.store_id)
        .await?
        .into_iter()
        .collect();
    let checkpoint =
        storepos_sync::checkpoint::Checkpoint::new("settings", &from.store_id, as_of, settings);
    Ok(Json(checkpoint).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnchorsQuery {
    #[serde(default)]
    after_seq: u64,
}

/// The journal anchors HQ holds for the asking terminal (and only for it), a page at a time.
async fn journal_anchors(
    State(state): State<AppState>,
    Authenticated(from): Authenticated,
    query: Result<axum::extract::Query<AnchorsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let axum::extract::Query(query) =
        query.map_err(|r| ApiError::new(StatusCode::BAD_REQUEST, "bad_request", r.body_text()))?;
    let page = state.store.journal_anchors(&from, query.after_seq).await?;
    Ok(Json(page).into_response())
}
