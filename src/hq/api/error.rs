//! Error answers: a status and `{"error": {"code", "message"}}`, and how HQ's own errors
//! and axum's rejections become one. The OpenAPI document names them per route through
//! the response sets at the bottom.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use storepos_sync::wire::ErrorBody;

use crate::hq::store::HqError;

/// An error answer.
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

/// The body of every error answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)] // Nothing but the error: the document can tell it from a reply.
pub struct ErrorAnswer {
    pub error: ErrorBody,
}

impl ApiError {
    /// The answer's status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// What the answer says.
    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// A 400 answer naming what is wrong with the request.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorAnswer {
            error: ErrorBody {
                code: self.code.to_string(),
                message: self.message,
            },
        };
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

/// What any route behind a terminal token may answer besides its own answers.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only read by the OpenAPI document.
pub enum TerminalRefusals {
    /// No token, or one HQ has not registered (or has revoked).
    #[response(status = 401)]
    Unauthorized(ErrorAnswer),
    /// HQ cannot reach its database; retry later.
    #[response(status = 503)]
    Unavailable(ErrorAnswer),
}

/// What any admin route may answer besides its own answers.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only read by the OpenAPI document.
pub enum AdminRefusals {
    /// Neither the admin token nor an open staff session.
    #[response(status = 401)]
    Unauthorized(ErrorAnswer),
    /// The admin API is off (no `hq.admin_token`), the staff member's role or stores do
    /// not allow this, or a change in a session without its CSRF token.
    #[response(status = 403)]
    Disabled(ErrorAnswer),
    /// HQ cannot reach its database; retry later.
    #[response(status = 503)]
    Unavailable(ErrorAnswer),
}

/// What a route reading a JSON body may answer when the body is not what it takes.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only read by the OpenAPI document.
pub enum BodyRefusals {
    /// The body is not JSON, or is truncated.
    #[response(status = 400)]
    Malformed(ErrorAnswer),
    /// The body is larger than HQ reads.
    #[response(status = 413)]
    TooLarge(ErrorAnswer),
    /// The body is not `application/json`.
    #[response(status = 415)]
    NotJson(ErrorAnswer),
    /// The body is JSON of the wrong shape, or values a rule refuses.
    #[response(status = 422)]
    Invalid(ErrorAnswer),
}
