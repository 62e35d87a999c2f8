//! Staff sessions on every request: the session cookie, the idle timeout and CSRF.
//!
//! [`layer`] runs before every route. A request with a session cookie has its session
//! looked up ([`crate::hq::HqStore::staff_session`]: open, its account enabled, used
//! within the idle timeout); an open session is put in the request's extensions as
//! [`SessionStaff`], where the [`super::auth::Staff`] extractor and the console find it. A
//! change (POST, PUT, PATCH, DELETE) made in a session must carry the session's CSRF token,
//! in the `X-CSRF-Token` header or a form's `csrf` field; without it the change is refused
//! with 403 before any route sees it. (Requests with a bearer token carry no ambient
//! credential and are not checked.) The cookie is `HttpOnly; SameSite=Strict; Path=/`, and
//! `Secure` when HQ serves HTTPS.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::ApiError;
use crate::hq::staff::sessions::Session;

/// The session cookie's name.
pub const COOKIE: &str = "storepos_session";
/// The header a change's CSRF token may come in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The largest form body read to find its `csrf` field.
const MAX_FORM_BYTES: usize = 256 * 1024;

/// The open session of a request.
#[derive(Clone, Debug)]
pub struct SessionStaff(pub Session);

/// The value of cookie `name`, if the request has it.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// The `Set-Cookie` value of a session id (`None`: the cookie's removal).
pub fn session_cookie(id: Option<&str>, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = match id {
        Some(id) => format!("{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/{secure}"),
        None => format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{secure}"),
    };
    HeaderValue::from_str(&text).expect("a cookie of hex digits is a header value")
}

/// Whether two tokens are equal, compared in full whatever they hold.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The `csrf` field of a URL-encoded form.
fn form_csrf(body: &[u8]) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned())
}

/// Whether the request is a change.
fn is_change(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

/// A 403 for a change without the session's CSRF token: a page for the console, JSON
/// for the API.
fn csrf_refused(console: bool) -> Response {
    let message =
        "this change does not carry the session's CSRF token: reload the page and try again";
    if console {
        (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            format!("<!doctype html><title>403</title><h1>403</h1><p>{message}</p>"),
        )
            .into_response()
    } else {
        ApiError::new(StatusCode::FORBIDDEN, "csrf", message).into_response()
    }
}

/// Finds the request's session and checks a change's CSRF token (see the module's doc).
pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(id) = cookie(request.headers(), COOKIE).map(str::to_string) else {
        return next.run(request).await;
    };
    let bearer = request.headers().contains_key(header::AUTHORIZATION);
    let session = match state
        .store
        .staff_session(&id, chrono::Utc::now(), state.console.idle)
        .await
    {
        Ok(Some(s)) => s,
        // An unknown, ended or idle session is no session: the request goes on without.
        Ok(None) => return next.run(request).await,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let console = request.uri().path().starts_with("/console");
    let mut request = request;
    if is_change(request.method()) && !bearer && request.uri().path() != "/console/login" {
        let from_header = request
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let given = match from_header {
            Some(t) => Some(t),
            None => {
                let form = request
                    .headers()
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
                if form {
                    let (parts, body) = request.into_parts();
                    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
                        return ApiError::new(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "too_large",
                            "this form is larger than HQ reads",
                        )
                        .into_response();
                    };
                    let token = form_csrf(&bytes);
                    request = Request::from_parts(parts, Body::from(bytes));
                    token
                } else {
                    None
                }
            }
        };
        if !given.is_some_and(|g| same(&g, &session.csrf)) {
            state
                .metrics
                .refused
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return csrf_refused(console);
        }
    }
    request.extensions_mut().insert(SessionStaff(session));
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_name_and_set_strict_and_http_only() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("lang=zh_CN; storepos_session=abc"),
        );
        assert_eq!(cookie(&h, COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "lang"), Some("zh_CN"));
        assert_eq!(cookie(&h, "other"), None);
        let set = session_cookie(Some("abc"), true);
        assert_eq!(
            set.to_str().unwrap(),
            "storepos_session=abc; HttpOnly; SameSite=Strict; Path=/; Secure"
        );
        assert!(
            !session_cookie(Some("abc"), false)
                .to_str()
                .unwrap()
                .contains("Secure")
        );
        assert!(
            session_cookie(None, false)
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
    }

    #[test]
    fn a_form_csrf_field_is_found_and_compared_in_full() {
        assert_eq!(form_csrf(b"a=1&csrf=x%2By&b=2"), Some("x+y".into()));
        assert_eq!(form_csrf(b"a=1"), None);
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
