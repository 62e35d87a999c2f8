//! HQ's HTTP API (axum): terminal event ingest, cross-store member lookup, the stores'
//! data sets, the admin API, health, Prometheus metrics and the OpenAPI document.
//!
//! Every route is declared once, with its `#[utoipa::path]`, in [`terminal`] (a till's
//! own token: a token is scoped to one store and terminal, and events naming any other are
//! refused), [`staff`] or [`value`] (the admin token) or [`complaints`] (both, route by
//! route); [`routes`] collects them, so the document
//! served at `/openapi.json` ([`document`]) is derived from the handlers and the Rust types
//! they read and write and cannot drift from them. Bad requests (malformed, truncated,
//! wrong types) get a 4xx answer with a JSON message ([`error`]), never a 5xx or a panic.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::Serialize;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::store::HqStore;

pub mod audit;
pub mod auth;
pub mod cards;
pub mod complaints;
pub mod deals;
pub mod error;
pub mod members;
pub mod reports;
pub mod session;
pub mod staff;
pub mod terminal;
pub mod tills;
pub mod value;

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
    /// How long a console session may go unused (`hq.session_idle_minutes`).
    pub session_idle: std::time::Duration,
    /// Whether session cookies are `Secure` (HQ serves HTTPS).
    pub secure_cookies: bool,
    /// The chain's currency (`store.currency`): deals' amounts are in it.
    pub currency: crate::domain::money::Currency,
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
            session_idle: std::time::Duration::from_secs(hq.session_idle_minutes * 60),
            secure_cookies: false,
            currency: crate::domain::money::Currency::CNY,
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
            session_idle: std::time::Duration::from_secs(hq.session_idle_minutes * 60),
            secure_cookies: hq.tls_cert.is_some() && hq.tls_key.is_some(),
            currency: crate::domain::money::Currency::CNY,
        }
    }
}

/// See [`crate::config::DEFAULT_MEMBER_LOOKUPS_PER_MINUTE`].
pub const DEFAULT_LOOKUPS_PER_MINUTE: u32 = crate::config::DEFAULT_MEMBER_LOOKUPS_PER_MINUTE;

/// Per terminal: how fast it may look members up.
pub(crate) type LookupLimiter = governor::DefaultKeyedRateLimiter<(String, String)>;

#[derive(Clone)]
pub struct AppState {
    pub store: HqStore,
    pub metrics: Arc<Metrics>,
    /// The bearer token of HQ staff tools (`hq.admin_token`); none disables the admin API.
    pub admin_token: Option<Arc<str>>,
    lookups: Arc<LookupLimiter>,
    list_asks: Arc<LookupLimiter>,
    lists: Option<Arc<ListSigner>>,
    /// The console's session settings.
    pub console: Arc<ConsoleSettings>,
    /// The chain's currency.
    pub currency: crate::domain::money::Currency,
}

impl AppState {
    /// Whether HQ holds its coupon-signing key (coupon issues are refused without it).
    pub fn signs_coupons(&self) -> bool {
        self.lists.is_some()
    }
}

/// How staff sessions behave.
#[derive(Debug, Clone)]
pub struct ConsoleSettings {
    /// How long a session may go unused.
    pub idle: chrono::TimeDelta,
    /// Whether the session cookie is `Secure`.
    pub secure: bool,
}

/// Every route of the API with its OpenAPI description.
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(Document::openapi())
        .routes(routes!(health))
        .routes(routes!(metrics))
        .routes(routes!(openapi))
        .routes(routes!(terminal::ingest))
        .routes(routes!(terminal::member))
        .routes(routes!(terminal::list_on_demand))
        .routes(routes!(terminal::members_checkpoint))
        .routes(routes!(terminal::catalogue_checkpoint))
        .routes(routes!(terminal::promotions_checkpoint))
        .routes(routes!(terminal::coupons_checkpoint))
        .routes(routes!(terminal::operators_checkpoint))
        .routes(routes!(terminal::settings_checkpoint))
        .routes(routes!(terminal::journal_anchors))
        .routes(routes!(staff::put_operators))
        .routes(routes!(staff::put_settings))
        .routes(routes!(staff::put_products))
        .routes(routes!(staff::put_prices))
        .routes(routes!(staff::put_promotions))
        .routes(routes!(staff::report))
        .routes(routes!(value::member_value))
        .routes(routes!(value::slipping))
        .routes(routes!(value::migration))
        .routes(routes!(value::put_segment))
        .routes(routes!(value::segment_members))
        .routes(routes!(value::segment_coupons))
        .routes(routes!(value::campaigns))
        .routes(routes!(deals::put_deals, deals::list_deals))
        .routes(routes!(members::member_view))
        .routes(routes!(reports::sales))
        .routes(routes!(reports::trend))
        .routes(routes!(complaints::record, complaints::list))
        .routes(routes!(complaints::show))
        .routes(routes!(complaints::step))
        .routes(routes!(complaints::report))
        .routes(routes!(complaints::member_cases))
        .routes(routes!(complaints::till_note))
        .routes(routes!(members::adjust_points))
        .routes(routes!(audit::list))
        .routes(routes!(tills::rotate))
        .routes(routes!(tills::revoke))
        .routes(routes!(cards::block))
        .routes(routes!(cards::replace))
}

/// The OpenAPI document of the API, derived from its handlers and types.
pub fn document() -> utoipa::openapi::OpenApi {
    routes().split_for_parts().1
}

/// The document as served, made once.
static DOCUMENT_JSON: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    document()
        .to_pretty_json()
        .expect("the OpenAPI document is plain data")
});

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
        console: Arc::new(ConsoleSettings {
            idle: chrono::TimeDelta::from_std(settings.session_idle)
                .unwrap_or(chrono::TimeDelta::minutes(30)),
            secure: settings.secure_cookies,
        }),
        currency: settings.currency,
    };
    let (router, _) = routes().split_for_parts();
    router
        .merge(crate::hq::console::router())
        // Staff sessions and CSRF, for the console and the API alike.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::layer,
        ))
        // A batch of 500 sales is a few megabytes; the default 2 MB is too tight.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        // A client that sends its body slowly is cut off (its headers: see `hq::serve`).
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            settings.body_timeout,
        ))
        .with_state(state)
}

/// The document's title, security schemes and tags; the paths come from the handlers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "StorePOS HQ",
        description = "Headquarters service for StorePOS terminals: event ingest (exactly once), cross-store member lookup, the stores' data sets, the admin API, health and metrics. Terminal requests carry `Authorization: Bearer <token>` from `storepos hq register`; staff tools carry `hq.admin_token`, or a staff member's console session cookie (with the session's CSRF token on every change), limited by the staff member's role and stores."
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "terminal", description = "A till's own requests, with its terminal token"),
        (name = "data sets", description = "What HQ sends a store's tills, as checksummed checkpoints"),
        (name = "admin", description = "HQ staff tools, with the admin token"),
        (name = "member value", description = "Member value and campaign results, with the admin token"),
        (name = "members", description = "The chain-wide member view: HQ staff, or the till serving the member"),
        (name = "reports", description = "What the chain sold, for HQ staff (admin token)"),
        (name = "complaints", description = "Complaint handling by HQ staff, with the admin token"),
        (name = "staff", description = "HQ staff's own records: the audit log of their changes"),
        (name = "service", description = "Health, metrics and this document"),
    )
)]
struct Document;

/// The two bearer tokens.
struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = |description: &str| {
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(description))
                    .build(),
            )
        };
        components.add_security_scheme(
            "terminal",
            bearer("A terminal's token from `storepos hq register`: one store's terminal"),
        );
        components.add_security_scheme("admin", bearer("`hq.admin_token`"));
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                session::COOKIE,
                "A staff member's console session (log in at /console/login); its role and stores limit what it may do, and every change carries the session's CSRF token in `X-CSRF-Token`",
            ))),
        );
    }
}

/// HQ's health: whether it reaches its database.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`, or `degraded` when the database does not answer.
    pub status: String,
    /// `ok`, or why the database does not answer.
    pub database: String,
}

/// Liveness and database reachability.
#[utoipa::path(
    get,
    path = "/health",
    tag = "service",
    responses(
        (status = 200, description = "HQ and its database answer", body = Health),
        (status = 503, description = "The database does not answer", body = Health),
    )
)]
async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    match state.store.ping().await {
        Ok(_) => (
            StatusCode::OK,
            Json(Health {
                status: "ok".into(),
                database: "ok".into(),
            }),
        ),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: "degraded".into(),
                database: e.to_string(),
            }),
        ),
    }
}

/// Prometheus metrics.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "service",
    responses((status = 200, description = "Counters in Prometheus' text format", content_type = "text/plain", body = String))
)]
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

/// This document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "service",
    responses((status = 200, description = "The OpenAPI document of this API", content_type = "application/json", body = Object))
)]
async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT_JSON.as_str(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use utoipa::openapi::path::Operation;

    fn operations() -> Vec<(String, Operation)> {
        let doc = super::document();
        let mut out = Vec::new();
        for (path, item) in doc.paths.paths {
            for op in [item.get, item.post, item.put, item.delete, item.patch]
                .into_iter()
                .flatten()
            {
                out.push((path.clone(), op));
            }
        }
        out
    }

    #[test]
    fn the_document_names_every_route_with_its_token_and_described_answers() {
        let ops = operations();
        assert_eq!(
            ops.len(),
            44,
            "{:?}",
            ops.iter().map(|o| &o.0).collect::<Vec<_>>()
        );
        for (path, op) in &ops {
            let service = matches!(path.as_str(), "/health" | "/metrics" | "/openapi.json");
            let schemes: Vec<String> = op
                .security
                .iter()
                .flatten()
                .filter_map(|s| serde_json::to_value(s).ok())
                .filter_map(|v| v.as_object()?.keys().next().cloned())
                .collect();
            let expected: &[&str] = if service {
                &[]
            } else if path.starts_with("/v1/admin/")
                || path.starts_with("/v1/reports/")
                || op.tags.iter().flatten().any(|t| t == "complaints")
                || super::value::PATHS.contains(&path.as_str())
                || super::deals::PATHS.contains(&path.as_str())
                || path == "/v1/audit"
                || path == "/v1/members/{id}/adjustments"
                || path.starts_with("/v1/members/{id}/cards/")
            {
                &["admin", "session"]
            } else if path == "/v1/members/{id}/view" {
                &["admin", "session", "terminal"]
            } else {
                &["terminal"]
            };
            assert_eq!(schemes, expected, "{path}");
            for (status, answer) in &op.responses.responses {
                let json = serde_json::to_value(answer).unwrap();
                assert!(
                    json["description"].as_str().is_some_and(|d| !d.is_empty()),
                    "{path} {status} has no description: {json}"
                );
            }
            if !service {
                assert!(op.responses.responses.contains_key("401"), "{path}");
            }
        }
    }
}
