//! Complaint handling over HTTP. HQ staff (the admin token) record complaints taken by
//! phone, web or social media, list cases (by state, store, member, overdue), read a case
//! with its steps, take steps, and read the report. A till (its terminal token) reads a
//! member's cases chain-wide, as much as a cashier needs (id, state, category, opened,
//! last note), and adds notes: to a case of its own store, or to the case of the member it
//! names (the member at its counter). A till never moves a case.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use std::sync::atomic::Ordering;

use super::AppState;
use super::audit::audited;
use super::auth::{Authenticated, Staff};
use super::error::{AdminRefusals, ApiError, BodyRefusals, ErrorAnswer, TerminalRefusals};
use crate::hq::complaints::report::ComplaintReport;
use crate::hq::complaints::store::{ComplaintError, ListFilter, ListedCase, MAX_LIST};
use crate::hq::complaints::{CaseWithSteps, MemberCase, NewComplaint, StepRequest, TillNote};
use crate::hq::staff::{Permission, Principal, Scope};

impl From<ComplaintError> for ApiError {
    fn from(e: ComplaintError) -> ApiError {
        match e {
            ComplaintError::NotFound(m) => ApiError::new(StatusCode::NOT_FOUND, "not_found", m),
            ComplaintError::Invalid(m) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m)
            }
            ComplaintError::Illegal(m) => {
                ApiError::new(StatusCode::CONFLICT, "illegal_transition", m)
            }
            ComplaintError::Hq(e) => e.into(),
        }
    }
}

fn bad_query(r: QueryRejection) -> ApiError {
    ApiError::bad_request("bad_request", r.body_text())
}

/// Record a complaint HQ staff took (phone, web, social, e-mail, app) as a new open case;
/// its deadlines come from its severity.
#[utoipa::path(
    post,
    path = "/v1/complaints",
    tag = "complaints",
    security(("admin" = []), ("session" = [])),
    request_body = NewComplaint,
    responses(
        (status = 201, description = "The new case", body = CaseWithSteps),
        (status = 404, description = "No such member or store", body = ErrorAnswer),
        BodyRefusals,
        AdminRefusals,
    )
)]
pub async fn record(
    State(state): State<AppState>,
    staff: Staff,
    body: Result<Json<NewComplaint>, JsonRejection>,
) -> Result<(StatusCode, Json<CaseWithSteps>), ApiError> {
    let who = staff.may(Permission::Complaints)?;
    let Json(mut new) = body?;
    if who.scope() != Scope::Chain {
        // A store manager records complaints about their own stores only.
        new.store_id = who.one_store(new.store_id.as_deref())?;
    }
    let case = state.store.record_complaint(&new, Utc::now()).await?;
    let after = serde_json::to_value(&case.case).ok();
    audited(&state, who, "complaint.record", &case.case.id, None, after).await?;
    Ok((StatusCode::CREATED, Json(case)))
}

/// The cases `filter` lists, of the stores `who` sees (a store manager's, when no store is
/// named: each of theirs), newest first.
pub async fn list_as(
    state: &AppState,
    who: &Principal,
    filter: &ListFilter,
) -> Result<Vec<ListedCase>, ApiError> {
    who.require(Permission::Complaints)?;
    let now = Utc::now();
    match (who.scope(), &filter.store) {
        (Scope::Chain, _) => Ok(state.store.complaints(filter, now).await?),
        (Scope::Stores(_), Some(s)) => {
            who.check_store(s)?;
            Ok(state.store.complaints(filter, now).await?)
        }
        (Scope::Stores(stores), None) => {
            let mut all = Vec::new();
            for s in stores {
                let one = ListFilter {
                    store: Some(s),
                    ..filter.clone()
                };
                all.extend(state.store.complaints(&one, now).await?);
            }
            all.sort_by_key(|c| std::cmp::Reverse(c.case.opened_at));
            all.truncate(filter.limit.unwrap_or(MAX_LIST).clamp(1, MAX_LIST) as usize);
            Ok(all)
        }
    }
}

/// A case with its steps, if `who` sees its store.
pub async fn show_as(
    state: &AppState,
    who: &Principal,
    id: &str,
) -> Result<CaseWithSteps, ApiError> {
    who.require(Permission::Complaints)?;
    let case = state.store.complaint(id, Utc::now()).await?;
    who.check_store(&case.case.store_id)?;
    Ok(case)
}

/// A step on a case of a store `who` sees, audited with the case before and after.
pub async fn step_as(
    state: &AppState,
    who: &Principal,
    id: &str,
    step: &StepRequest,
) -> Result<CaseWithSteps, ApiError> {
    let before = show_as(state, who, id).await?;
    let after = state.store.complaint_step(id, step, Utc::now()).await?;
    audited(
        state,
        who,
        "complaint.step",
        id,
        serde_json::to_value(&before.case).ok(),
        serde_json::to_value(&after.case).ok(),
    )
    .await?;
    Ok(after)
}

/// Cases, newest first: by state, store and member, or only those past a deadline they
/// have not met (`overdue=true`, judged now or at `at`).
#[utoipa::path(
    get,
    path = "/v1/complaints",
    tag = "complaints",
    security(("admin" = []), ("session" = [])),
    params(ListFilter),
    responses(
        (status = 200, description = "The cases", body = Vec<ListedCase>),
        (status = 400, description = "A filter that is not one", body = ErrorAnswer),
        AdminRefusals,
    )
)]
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    filter: Result<Query<ListFilter>, QueryRejection>,
) -> Result<Json<Vec<ListedCase>>, ApiError> {
    let Query(filter) = filter.map_err(bad_query)?;
    Ok(Json(list_as(&state, &staff.0, &filter).await?))
}

/// A case with every step (handler, note, time).
#[utoipa::path(
    get,
    path = "/v1/complaints/{id}",
    tag = "complaints",
    security(("admin" = []), ("session" = [])),
    params(("id" = String, Path, description = "The case's id")),
    responses(
        (status = 200, description = "The case", body = CaseWithSteps),
        (status = 404, description = "No such case", body = ErrorAnswer),
        AdminRefusals,
    )
)]
pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Json<CaseWithSteps>, ApiError> {
    Ok(Json(show_as(&state, &staff.0, &id).await?))
}

/// Take a step on a case: move it (`to_state`: open → in_progress → resolved (with an
/// outcome) → closed; resolved or closed → in_progress reopens) or, without `to_state`,
/// add a note. A step the case's state does not allow is refused (409) and changes
/// nothing.
#[utoipa::path(
    post,
    path = "/v1/complaints/{id}/steps",
    tag = "complaints",
    security(("admin" = []), ("session" = [])),
    params(("id" = String, Path, description = "The case's id")),
    request_body = StepRequest,
    responses(
        (status = 200, description = "The case after the step", body = CaseWithSteps),
        (status = 404, description = "No such case", body = ErrorAnswer),
        (status = 409, description = "The case's state does not allow this step", body = ErrorAnswer),
        BodyRefusals,
        AdminRefusals,
    )
)]
pub async fn step(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    body: Result<Json<StepRequest>, JsonRejection>,
) -> Result<Json<CaseWithSteps>, ApiError> {
    let who = staff.may(Permission::Complaints)?;
    let Json(step) = body?;
    Ok(Json(step_as(&state, who, &id, &step).await?))
}

/// The report's range of days.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportRange {
    /// First day (UTC), e.g. 2026-01-01.
    pub from: NaiveDate,
    /// Last day (UTC), included.
    pub to: NaiveDate,
}

/// The complaints report over the cases opened in a range of days (UTC, both included):
/// volume by category, store, channel, severity and state; time to first response and to
/// close (median and p90 by nearest rank, in seconds); satisfaction. An empty range
/// answers zeros.
#[utoipa::path(
    get,
    path = "/v1/reports/complaints",
    tag = "complaints",
    security(("admin" = []), ("session" = [])),
    params(ReportRange),
    responses(
        (status = 200, description = "The report", body = ComplaintReport),
        (status = 400, description = "Not a range of days", body = ErrorAnswer),
        (status = 422, description = "A range that ends before it starts, or is too long", body = ErrorAnswer),
        AdminRefusals,
    )
)]
pub async fn report(
    State(state): State<AppState>,
    staff: Staff,
    range: Result<Query<ReportRange>, QueryRejection>,
) -> Result<Json<ComplaintReport>, ApiError> {
    let who = staff.may(Permission::Complaints)?;
    if who.scope() != Scope::Chain {
        return Err(crate::hq::staff::Forbidden(format!(
            "the complaints report covers the whole chain; {} sees their stores' cases in the queue",
            who.login
        ))
        .into());
    }
    let Query(range) = range.map_err(bad_query)?;
    Ok(Json(
        state.store.complaint_report(range.from, range.to).await?,
    ))
}

/// A member's complaint cases in every store, newest first, as a till's member sheet shows
/// them: id, state, category, when opened and the last note (no other member's, nothing
/// more of how HQ handles them). Counted with the terminal's member lookups
/// (`hq.member_lookups_per_minute`).
#[utoipa::path(
    get,
    path = "/v1/members/{member}/complaints",
    tag = "terminal",
    security(("terminal" = [])),
    params(("member" = String, Path, description = "The member's id")),
    responses(
        (status = 200, description = "The member's cases", body = Vec<MemberCase>),
        (status = 404, description = "No such member", body = ErrorAnswer),
        (status = 429, description = "This terminal looks members up too fast (see Retry-After)", body = ErrorAnswer),
        TerminalRefusals,
    )
)]
pub async fn member_cases(
    State(state): State<AppState>,
    Authenticated(from): Authenticated,
    Path(member): Path<String>,
) -> Result<Response, ApiError> {
    // Counted with the member lookups: a till asks once per customer, not for the chain.
    state.metrics.member_lookups.fetch_add(1, Ordering::Relaxed);
    if let Some(answer) = super::terminal::too_fast(
        &state.lookups,
        &from,
        "too_many_lookups",
        "this terminal looks members up too fast",
    ) {
        return Ok(answer);
    }
    Ok(Json(state.store.member_complaints(&member).await?).into_response())
}

/// A note from a till's cashier on a case of its store, or on the case of the member it
/// serves (named in `member_id`); any other case is not found. The note's id makes it
/// count once however often it is sent. A till never moves a case.
#[utoipa::path(
    post,
    path = "/v1/complaints/{id}/notes",
    tag = "terminal",
    security(("terminal" = [])),
    params(("id" = String, Path, description = "The case's id")),
    request_body = TillNote,
    responses(
        (status = 200, description = "The case as the till sees it", body = MemberCase),
        (status = 404, description = "No case of this store or of the member named", body = ErrorAnswer),
        BodyRefusals,
        TerminalRefusals,
    )
)]
pub async fn till_note(
    State(state): State<AppState>,
    Authenticated(from): Authenticated,
    Path(id): Path<String>,
    body: Result<Json<TillNote>, JsonRejection>,
) -> Result<Json<MemberCase>, ApiError> {
    let Json(note) = body?;
    Ok(Json(
        state.store.till_note(&from, &id, &note, Utc::now()).await?,
    ))
}
