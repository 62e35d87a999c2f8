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

#[derive(Clone)]
pub struct AppState {
    pub store: HqStore,
    pub metrics: Arc<Metrics>,
    /// The bearer token of HQ staff tools (`hq.admin_token`); none disables the admin API.
    pub admin_token: Option<Arc<str>>,
}

/// The routes of the API.
pub fn router(store: HqStore, admin_token: Option<String>) -> Router {
    let state = AppState {
        store,
        metrics: Arc::new(Metrics::default()),
        admin_token: admin_token.map(Arc::from),
    };
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route("/v1/events", post(ingest))
        .route("/v1/members/{card}", get(member))
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
        // A batch of 500 large sales is a few megabytes; the default 2 MB is too tight.
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024 * 1024))
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
        match e {
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
    if batch.events.len() > 10_000 {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many",
            "send at most 10,000 events at once",
        ));
    }
    state.metrics.batches.fetch_add(1, Ordering::Relaxed);
    state
        .metrics
        .events
        .fetch_add(batch.events.len() as u64, Ordering::Relaxed);
    // The token is checked by the statement that locks the terminal's row.
    match state.store.ingest_as(&token, &batch.events).await? {
        Some((_, reply)) => Ok(Json(reply).into_response()),
        None => Err(state.refused("this terminal token is not registered")),
    }
}

async fn member(
    State(state): State<AppState>,
    Authenticated(_): Authenticated,
    Path(card): Path<String>,
) -> Result<Response, ApiError> {
    state.metrics.member_lookups.fetch_add(1, Ordering::Relaxed);
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
