//! Who is asking: a terminal by its bearer token (scoped to one store and terminal), or
//! HQ staff: a person by their console session ([`super::session`]) or scripts by the
//! admin token, both as a [`Staff`] principal whose role and stores each route checks.

use std::sync::atomic::Ordering;

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::header;
use axum::http::request::Parts;

use super::AppState;
use super::error::ApiError;
use crate::hq::staff::{Forbidden, Permission, Principal};
use crate::hq::store::TerminalId;

impl AppState {
    /// A 401 answer, counted.
    pub(super) fn refused(&self, message: &str) -> ApiError {
        self.metrics.refused.fetch_add(1, Ordering::Relaxed);
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
}

/// The token of `Authorization: Bearer <token>`, if the request has one.
fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// A request's bearer token, not yet checked (a route that takes it checks it itself).
pub struct Bearer(pub String);

impl FromRequestParts<AppState> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        state.metrics.requests.fetch_add(1, Ordering::Relaxed);
        bearer(parts)
            .map(|t| Bearer(t.to_string()))
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

/// Whether the request carries the admin token (never when the admin API is off).
pub(crate) fn is_admin(parts: &Parts, state: &AppState) -> bool {
    let Some(expected) = &state.admin_token else {
        return false;
    };
    // Compared in full whatever the input, so timing says nothing about the token.
    bearer(parts).is_some_and(|g| {
        g.len() == expected.len()
            && g.bytes()
                .zip(expected.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    })
}

/// HQ staff: the admin token (every right), or a staff session (its role and stores).
/// Without either: 401; a bearer token with the admin API off: 403.
pub struct Staff(pub Principal);

impl Staff {
    /// This principal, if its role may do `what`; 403 otherwise.
    pub fn may(&self, what: Permission) -> Result<&Principal, ApiError> {
        self.0.require(what)?;
        Ok(&self.0)
    }
}

impl From<Forbidden> for ApiError {
    fn from(f: Forbidden) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", f.0)
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if bearer(parts).is_none()
            && let Some(super::session::SessionStaff(session)) = parts.extensions.get()
        {
            state.metrics.requests.fetch_add(1, Ordering::Relaxed);
            return Ok(Staff(session.principal.clone()));
        }
        if bearer(parts).is_none() {
            state.metrics.refused.fetch_add(1, Ordering::Relaxed);
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "log in to the console, or send Authorization: Bearer <admin token>",
            ));
        }
        Admin::from_request_parts(parts, state).await?;
        Ok(Staff(Principal::admin_token()))
    }
}

/// HQ staff tools, by the admin bearer token.
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if state.admin_token.is_none() {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "admin_disabled",
                "the admin API is off: set hq.admin_token",
            ));
        }
        if is_admin(parts, state) {
            Ok(Admin)
        } else {
            state.metrics.refused.fetch_add(1, Ordering::Relaxed);
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "log in to the console, or send Authorization: Bearer <admin token>",
            ))
        }
    }
}
