//! Logging in and out, and the language switch.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::Viewer;
use super::i18n::{Lang, T};
use super::layout;
use crate::hq::api::AppState;
use crate::hq::api::session::{COOKIE, cookie, session_cookie};
use crate::hq::staff::sessions::Login;

#[derive(Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

fn login_page(lang: Lang, message: Option<T>) -> maud::Markup {
    layout::bare(
        lang,
        T::Login,
        html! {
            @if let Some(m) = message { div.notice.error role="alert" { (lang.t(m)) } }
            form method="post" action="/console/login" {
                label { (lang.t(T::LoginName)) input name="login" autocomplete="username" required autofocus; }
                label { (lang.t(T::Password)) input name="password" type="password" autocomplete="current-password" required; }
                button type="submit" { (lang.t(T::Login)) }
            }
            p { a href=(format!("/console/login?lang={}", match lang { Lang::En => "zh_CN", Lang::Zh => "en" })) { (lang.t(T::Language)) } }
        },
    )
}

/// The login page.
pub async fn form(Query(q): Query<LangQuery>, headers: HeaderMap) -> Response {
    let lang = Lang::of(q.lang.as_deref(), &headers);
    let mut answer = login_page(lang, None).into_response();
    if let Some(l) = q.lang.as_deref().and_then(Lang::parse) {
        answer
            .headers_mut()
            .append(header::SET_COOKIE, lang_cookie(l));
    }
    answer
}

#[derive(Deserialize)]
pub struct Credentials {
    login: String,
    password: String,
}

/// The client's address, for the login rate limit (`unknown` where the server was not
/// started with connection info, as in the library's own tests).
pub struct Client(String);

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Client(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or_else(|| "unknown".into(), |c| c.0.ip().to_string()),
        ))
    }
}

/// Checks a login; opens a session and goes to the viewer's first page, or says why not
/// (401, or 429 after too many failures).
pub async fn submit(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    Form(c): Form<Credentials>,
) -> Response {
    let lang = Lang::of(None, &headers);
    match state
        .store
        .staff_login(&c.login, &c.password, &client, chrono::Utc::now())
        .await
    {
        Ok(Login::Opened(session)) => {
            let mut answer = Redirect::to(layout::home(session.principal.role)).into_response();
            answer.headers_mut().append(
                header::SET_COOKIE,
                session_cookie(Some(&session.id), state.console.secure),
            );
            answer
        }
        Ok(Login::Refused) => (
            StatusCode::UNAUTHORIZED,
            login_page(lang, Some(T::LoginRefused)),
        )
            .into_response(),
        Ok(Login::TooMany) => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "900")],
            login_page(lang, Some(T::LoginTooMany)),
        )
            .into_response(),
        Err(e) => crate::hq::api::error::ApiError::from(e).into_response(),
    }
}

/// Ends the session (the CSRF token was checked on the way in).
pub async fn logout(State(state): State<AppState>, v: Viewer, headers: HeaderMap) -> Response {
    if let Some(id) = cookie(&headers, COOKIE)
        && let Err(e) = state.store.staff_logout(id).await
    {
        return v.error(e.into());
    }
    let mut answer = Redirect::to("/console/login").into_response();
    answer.headers_mut().append(
        header::SET_COOKIE,
        session_cookie(None, state.console.secure),
    );
    answer
}

fn lang_cookie(l: Lang) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "lang={}; SameSite=Strict; Path=/; Max-Age=31536000",
        l.code()
    ))
    .expect("a language code is a header value")
}

#[derive(Deserialize)]
pub struct Switch {
    to: String,
    back: Option<String>,
}

/// Sets the `lang` cookie and goes back to the page (a console path only).
pub async fn switch_language(Query(s): Query<Switch>) -> Response {
    let lang = Lang::parse(&s.to).unwrap_or(Lang::En);
    let back = s
        .back
        .filter(|b| b.starts_with("/console") && !b.starts_with("//"))
        .map(|b| strip_lang(&b))
        .unwrap_or_else(|| "/console/dashboard".into());
    let mut answer = Redirect::to(&back).into_response();
    answer
        .headers_mut()
        .append(header::SET_COOKIE, lang_cookie(lang));
    answer
}

/// A console path without its `lang` parameter (the cookie now says it).
fn strip_lang(path: &str) -> String {
    let Some((p, q)) = path.split_once('?') else {
        return path.to_string();
    };
    let kept: Vec<(String, String)> = url::form_urlencoded::parse(q.as_bytes())
        .filter(|(k, _)| k != "lang")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        return p.to_string();
    }
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(kept)
        .finish();
    format!("{p}?{q}")
}
