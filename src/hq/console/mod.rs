//! The HQ console: a web back office at `/console` for HQ staff and store managers,
//! served by `storepos hq serve` beside the API.
//!
//! Pages are rendered on the server with maud (checked at compile time) and work without
//! JavaScript; htmx, embedded in the binary ([`ASSETS`]), makes the member search answer as
//! one types. Every page and form goes through the same checks as the API: a
//! [`Viewer`] is the staff member of the request's session (see
//! [`crate::hq::api::session`]: cookie, idle timeout, CSRF on every change), their
//! [`crate::hq::staff::Role`] says which pages they may open and their stores limit what a
//! store manager sees; a page beyond them answers 403. Labels are in English and
//! Simplified Chinese ([`i18n`]).
//!
//! - [`layout`]: the page shell and the navigation by role; [`chart`]: SVG bar charts;
//! - [`login`], [`dashboard`], [`members`] (with [`member_cards`]), [`complaints`],
//!   [`reports`], [`tills`], [`campaigns`] (with [`segments`], [`segment_members`] and
//!   [`deals`]), [`reconciliation`], [`settings`],
//!   [`operators`], [`catalogue`], [`prices`], [`promotions`], [`audit`]: the pages.

// A refused request's answer is the page that says so, made at most once per request: no
// need to box it.
#![allow(clippy::result_large_err)]

pub mod audit;
pub mod campaigns;
pub mod catalogue;
pub mod chart;
pub mod complaints;
pub mod dashboard;
pub mod deals;
pub mod i18n;
pub mod layout;
pub mod login;
pub mod member_cards;
pub mod members;
pub mod operators;
pub mod prices;
pub mod promotions;
pub mod reconciliation;
pub mod reports;
pub mod segment_members;
pub mod segments;
pub mod settings;
pub mod tills;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::hq::api::AppState;
use crate::hq::api::error::ApiError;
use crate::hq::api::session::SessionStaff;
use crate::hq::staff::{Permission, Principal};
use i18n::{Lang, T};

/// htmx 2 (minified, from the npm package `htmx.org`), served from the binary.
const HTMX: &[u8] = include_bytes!("assets/htmx-2.0.11.min.js");
/// The console's style sheet.
const CSS: &str = include_str!("assets/console.css");

/// The embedded assets' paths.
pub const ASSETS: [&str; 2] = [
    "/console/assets/htmx-2.0.11.min.js",
    "/console/assets/console.css",
];

/// The console's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/console",
            get(|| async { Redirect::to("/console/dashboard") }),
        )
        .route(
            "/console/",
            get(|| async { Redirect::to("/console/dashboard") }),
        )
        .route(ASSETS[0], get(htmx))
        .route(ASSETS[1], get(css))
        .route("/console/lang", get(login::switch_language))
        .route("/console/login", get(login::form).post(login::submit))
        .route("/console/logout", post(login::logout))
        .route("/console/dashboard", get(dashboard::page))
        .route("/console/members", get(members::search))
        .route("/console/members/{id}", get(members::member))
        .route("/console/members/{id}/adjust", post(members::adjust))
        .route(
            "/console/members/{id}/cards/block",
            post(member_cards::block),
        )
        .route(
            "/console/members/{id}/cards/replace",
            post(member_cards::replace),
        )
        .route("/console/complaints", get(complaints::queue))
        .route("/console/complaints/{id}", get(complaints::case))
        .route("/console/complaints/{id}/step", post(complaints::step))
        .route("/console/reports", get(reports::page))
        .route("/console/reports/sales.csv", get(reports::csv))
        .route("/console/tills", get(tills::page))
        .route(
            "/console/tills/{store}/{terminal}/rotate",
            post(tills::rotate),
        )
        .route(
            "/console/tills/{store}/{terminal}/revoke",
            get(tills::confirm_revoke).post(tills::revoke),
        )
        .route("/console/campaigns", get(campaigns::page))
        .route(
            "/console/segments",
            get(segments::page).post(segments::save),
        )
        .route("/console/segments/{id}", get(segment_members::page))
        .route(
            "/console/segments/{id}/members.csv",
            get(segment_members::csv),
        )
        .route(
            "/console/segments/{id}/coupons",
            post(segment_members::issue),
        )
        .route("/console/deals", get(deals::page).post(deals::save))
        .route("/console/reconciliation", get(reconciliation::page))
        .route("/console/settings", get(settings::page))
        .route(
            "/console/settings/{store}",
            get(settings::of_store).post(settings::save),
        )
        .route(
            "/console/operators",
            get(operators::page).post(operators::save),
        )
        .route(
            "/console/catalogue",
            get(catalogue::page).post(catalogue::save),
        )
        .route("/console/prices", get(prices::page).post(prices::save))
        .route(
            "/console/promotions",
            get(promotions::page).post(promotions::save),
        )
        .route("/console/audit", get(audit::page))
}

/// Assets change only with the binary: a year in the browser's cache.
const LONG_CACHE: &str = "public, max-age=31536000, immutable";

async fn htmx() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, LONG_CACHE),
        ],
        HTMX,
    )
        .into_response()
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, LONG_CACHE),
        ],
        CSS,
    )
        .into_response()
}

/// The staff member a console request comes from, with their session's CSRF token and the
/// language to answer in. Without an open session a page redirects to the login page.
pub struct Viewer {
    pub who: Principal,
    pub csrf: String,
    pub lang: Lang,
    /// The request's path and query, for the language switch to come back to.
    pub here: String,
}

/// The `lang` parameter of a query string, if any.
fn query_lang(parts: &Parts) -> Option<String> {
    url::form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "lang")
        .map(|(_, v)| v.into_owned())
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Response> {
        let lang = Lang::of(query_lang(parts).as_deref(), &parts.headers);
        let Some(SessionStaff(session)) = parts.extensions.get::<SessionStaff>() else {
            return Err(Redirect::to("/console/login").into_response());
        };
        Ok(Viewer {
            who: session.principal.clone(),
            csrf: session.csrf.clone(),
            lang,
            here: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/console/dashboard".into()),
        })
    }
}

impl Viewer {
    /// The label `t` in the viewer's language.
    pub fn t(&self, t: T) -> &'static str {
        self.lang.t(t)
    }

    /// Whether the viewer's role may do `what`; a 403 page otherwise.
    pub fn may(&self, what: Permission) -> Result<(), Response> {
        self.who
            .require(what)
            .map_err(|f| self.refusal(StatusCode::FORBIDDEN, &f.0))
    }

    /// A page saying why a request was refused (403: not theirs to see).
    pub fn refusal(&self, status: StatusCode, detail: &str) -> Response {
        let title = match status {
            StatusCode::FORBIDDEN => T::Forbidden,
            StatusCode::NOT_FOUND => T::NotFound,
            _ => T::Refused,
        };
        let body = maud::html! {
            div.notice.error {
                p { strong { (self.t(title)) } }
                p.detail { (detail) }
                p { a href="/console/dashboard" { (self.t(T::Back)) } }
            }
        };
        (status, layout::page(self, title, layout::Nav::None, body)).into_response()
    }

    /// An API error as a page.
    pub fn error(&self, e: ApiError) -> Response {
        self.refusal(e.status(), e.message())
    }
}

/// A report row's label, or its key where it has none (a store HQ knows no name of).
pub fn row_label(r: &crate::hq::reports::Row) -> &str {
    if r.label.trim().is_empty() {
        &r.key
    } else {
        &r.label
    }
}

/// Money in minor units as the currency's units (two decimals).
pub fn money(minor: i64) -> String {
    crate::domain::money::format_scaled(minor, 2)
}

/// An instant as the console shows it (UTC, to the minute).
pub fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}
