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
            other => database_answer(other),
        }
    }
}

/// What a failure of HQ's database is answered with: 503 only when HQ cannot reach it (no
/// connection, the server shutting down or out of resources, or still busy after HQ's
/// retries); a statement the database refused (a constraint, a statement its planner does
/// not support, such as a distributed engine's) is HQ's own fault, 500 with the cause.
fn database_answer(e: HqError) -> ApiError {
    tracing::error!("hq: {e}");
    match unreachable_cause(&e) {
        Some(Reach::Unreachable) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "HQ cannot reach its database; retry later",
        ),
        Some(Reach::Busy) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            format!("HQ's database is busy ({e}); retry later"),
        ),
        None => {
            let (code, what) = match sqlstate(&e).as_deref() {
                Some(c) if c.starts_with("23") => ("constraint", "refused a write"),
                Some("0A000") => ("unsupported", "does not support a statement"),
                _ => ("database_error", "failed"),
            };
            let state = sqlstate(&e).map_or_else(String::new, |c| format!(" (SQLSTATE {c})"));
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                code,
                format!("HQ's database {what}{state}: {e}"),
            )
        }
    }
}

/// Why the database could not be used, when it is a matter of reaching it.
enum Reach {
    /// No connection: the server is down, unreachable, shutting down or out of resources.
    Unreachable,
    /// A serialization failure or deadlock still there after HQ's retries.
    Busy,
}

/// The SQLSTATE of a database's refusal, if the error is one.
fn sqlstate(e: &HqError) -> Option<String> {
    let d = match e {
        HqError::Db(sqlx::Error::Database(d)) => d,
        HqError::Migrate(sqlx::migrate::MigrateError::Execute(sqlx::Error::Database(d))) => d,
        _ => return None,
    };
    d.code().map(|c| c.into_owned())
}

fn unreachable_cause(e: &HqError) -> Option<Reach> {
    match e {
        HqError::Db(
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed,
        ) => Some(Reach::Unreachable),
        HqError::Db(sqlx::Error::Database(_)) => match sqlstate(e).as_deref() {
            // Connection exceptions, insufficient resources, operator intervention (the
            // server shutting down), a system error.
            Some(c)
                if ["08", "53", "57", "58"]
                    .iter()
                    .any(|class| c.starts_with(class)) =>
            {
                Some(Reach::Unreachable)
            }
            // SQLite's busy and locked files: another writer held it past HQ's retries.
            Some("5" | "6" | "261" | "262" | "517") => Some(Reach::Busy),
            Some("40001" | "40P01") => Some(Reach::Busy),
            _ => None,
        },
        _ => None,
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
    /// HQ's database refused a statement (a constraint, or one its planner does not
    /// support): the cause is in the answer.
    #[response(status = 500)]
    DatabaseError(ErrorAnswer),
    /// HQ cannot reach its database, or it is still busy after HQ's retries; retry later.
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
    /// A value the database cannot take (such as a NUL character in a query parameter).
    #[response(status = 422)]
    DataError(ErrorAnswer),
    /// HQ's database refused a statement (a constraint, or one its planner does not
    /// support): the cause is in the answer.
    #[response(status = 500)]
    DatabaseError(ErrorAnswer),
    /// HQ cannot reach its database, or it is still busy after HQ's retries; retry later.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_out_of_reach_is_a_503_and_a_refused_statement_a_500() {
        for unreachable in [
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
            sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
        ] {
            let answer = ApiError::from(HqError::Db(unreachable));
            assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert!(
                answer.message().contains("cannot reach"),
                "{}",
                answer.message()
            );
        }
        let decode = ApiError::from(HqError::Db(sqlx::Error::RowNotFound));
        assert_eq!(decode.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            !decode.message().contains("cannot reach"),
            "{}",
            decode.message()
        );
    }
}
