//! Member value and campaign results for HQ staff, with the admin token: RFM segments and
//! the Pareto table, members slipping away, the migration between two days, saved
//! segments (their members as JSON or CSV, a coupon issue to them) and the campaign
//! results (see [`crate::hq::member_value`] and [`crate::hq::campaigns`]).

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::audit::audited;
use super::auth::Staff;
use super::error::{AdminRefusals, ApiError, BodyRefusals, ErrorAnswer};
use crate::hq::campaigns::CampaignReport;
use crate::hq::member_value::segments::{
    CampaignIssue, CampaignRequest, NewSegment, SavedSegment, SegmentMembers, check_id,
};
use crate::hq::member_value::{
    Migration, MigrationBy, SLIPPING_FACTOR, SlippingMember, ValueReport,
};
use crate::hq::staff::{Permission, Principal};
use crate::hq::store::HqError;

/// The paths of this module (all behind the admin token).
pub const PATHS: [&str; 7] = [
    "/v1/members/value",
    "/v1/members/slipping",
    "/v1/members/migration",
    "/v1/segments/{id}",
    "/v1/segments/{id}/members",
    "/v1/segments/{id}/coupons",
    "/v1/reports/campaigns",
];

/// The first day a report may be asked for.
const FIRST_DAY: NaiveDate = NaiveDate::from_ymd_opt(2000, 1, 1).expect("a valid date");

/// A day from a query (`YYYY-MM-DD`, from 2000-01-01 to today), or `default`.
fn day(name: &str, text: Option<&str>, default: NaiveDate) -> Result<NaiveDate, ApiError> {
    let Some(text) = text else {
        return Ok(default);
    };
    let date: NaiveDate = text.trim().parse().map_err(|_| {
        ApiError::bad_request(
            "bad_date",
            format!("{name}: '{text}' is not a day such as 2026-11-30 (YYYY-MM-DD)"),
        )
    })?;
    let today = Utc::now().date_naive();
    if !(FIRST_DAY..=today).contains(&date) {
        return Err(ApiError::bad_request(
            "unknown_period",
            format!("{name}: {date} is not a day HQ reports on (2000-01-01 to today, {today})"),
        ));
    }
    Ok(date)
}

fn yesterday() -> NaiveDate {
    Utc::now().date_naive() - chrono::Duration::days(1)
}

fn query_of<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(q)| q)
        .map_err(|r| ApiError::bad_request("bad_request", r.body_text()))
}

/// As of which day.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// The last day of the 365-day window (YYYY-MM-DD); yesterday when absent.
    pub as_of: Option<String>,
    /// Compute the day's scores again from the sales HQ holds now.
    #[serde(default)]
    pub recompute: bool,
}

/// Segment counts and the Pareto table (share of net sales from the top 1 %, 5 % and
/// 20 % of members, and the members' share of all sales) as of a day.
#[utoipa::path(
    get,
    path = "/v1/members/value",
    tag = "member value",
    security(("admin" = []), ("session" = [])),
    params(AsOfQuery),
    responses(
        (status = 200, description = "Segments and the Pareto table (zeros when nothing sold)", body = ValueReport),
        (status = 400, description = "Not a day HQ reports on", body = ErrorAnswer),
        AdminRefusals,
    )
)]
pub async fn member_value(
    State(state): State<AppState>,
    staff: Staff,
    q: Result<Query<AsOfQuery>, QueryRejection>,
) -> Result<Json<ValueReport>, ApiError> {
    staff.may(Permission::Campaigns)?;
    let q = query_of(q)?;
    let as_of = day("as_of", q.as_of.as_deref(), yesterday())?;
    if q.recompute {
        state.store.compute_scores(as_of).await?;
    }
    Ok(Json(state.store.member_value(as_of).await?))
}

/// Which day, and how far past their cycle.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SlippingQuery {
    /// The day to look from (YYYY-MM-DD); yesterday when absent.
    pub as_of: Option<String>,
    /// How many median gaps past the last purchase (1–100; default 2).
    pub factor: Option<f64>,
}

/// Members slipping away.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SlippingReport {
    pub as_of: NaiveDate,
    pub factor: f64,
    /// Most valuable first.
    pub members: Vec<SlippingMember>,
}

/// Members whose days since their last purchase exceed `factor` times their own median gap
/// between purchase days (members with purchases on three days or more in the window).
#[utoipa::path(
    get,
    path = "/v1/members/slipping",
    tag = "member value",
    security(("admin" = []), ("session" = [])),
    params(SlippingQuery),
    responses(
        (status = 200, description = "Members slipping away, most valuable first", body = SlippingReport),
        (status = 400, description = "Not a day HQ reports on, or a factor out of range", body = ErrorAnswer),
        AdminRefusals,
    )
)]
pub async fn slipping(
    State(state): State<AppState>,
    staff: Staff,
    q: Result<Query<SlippingQuery>, QueryRejection>,
) -> Result<Json<SlippingReport>, ApiError> {
    staff.may(Permission::Campaigns)?;
    let q = query_of(q)?;
    let as_of = day("as_of", q.as_of.as_deref(), yesterday())?;
    let factor = q.factor.unwrap_or(SLIPPING_FACTOR);
    if !(1.0..=100.0).contains(&factor) {
        return Err(ApiError::bad_request(
            "bad_factor",
            format!("factor: {factor} is not from 1 to 100"),
        ));
    }
    Ok(Json(SlippingReport {
        as_of,
        factor,
        members: state.store.slipping_away(as_of, factor).await?,
    }))
}

/// Between which days.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MigrationQuery {
    /// The earlier day (YYYY-MM-DD).
    pub from: String,
    /// The later day (YYYY-MM-DD).
    pub to: String,
    /// Count by `segment` (default) or `tier`.
    pub by: Option<MigrationBy>,
}

/// Members by segment (or tier) on one day against another: a matrix of counts, `none`
/// for members without scores on a day.
#[utoipa::path(
    get,
    path = "/v1/members/migration",
    tag = "member value",
    security(("admin" = []), ("session" = [])),
    params(MigrationQuery),
    responses(
        (status = 200, description = "The migration matrix (non-zero cells)", body = Migration),
        (status = 400, description = "Not two days HQ reports on, the first before the second", body = ErrorAnswer),
        AdminRefusals,
    )
)]
pub async fn migration(
    State(state): State<AppState>,
    staff: Staff,
    q: Result<Query<MigrationQuery>, QueryRejection>,
) -> Result<Json<Migration>, ApiError> {
    staff.may(Permission::Campaigns)?;
    let q = query_of(q)?;
    let today = Utc::now().date_naive();
    let from = day("from", Some(&q.from), today)?;
    let to = day("to", Some(&q.to), today)?;
    if from >= to {
        return Err(ApiError::bad_request(
            "unknown_period",
            format!("from ({from}) must be before to ({to})"),
        ));
    }
    Ok(Json(
        state
            .store
            .migration(from, to, q.by.unwrap_or(MigrationBy::Segment))
            .await?,
    ))
}

/// Why a coupon issue is refused by an HQ without a coupon-signing key.
pub const NO_SIGNING_KEY: &str = "this HQ signs no coupons (it has no coupon-signing key)";

fn segment_id(id: &str) -> Result<(), ApiError> {
    check_id("segment", id).map_err(|m| ApiError::bad_request("bad_id", m))
}

fn unknown_segment(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "unknown_segment",
        format!("HQ has no segment '{id}' (save it with PUT /v1/segments/{id})"),
    )
}

/// Save a segment: a name and a definition (segments, score ranges, slipping away, tiers,
/// home stores, least spend, marketing consent), replacing one saved under the id.
#[utoipa::path(
    put,
    path = "/v1/segments/{id}",
    tag = "member value",
    security(("admin" = []), ("session" = [])),
    params(("id" = String, Path, description = "1–40 letters, digits, '-' or '_'")),
    request_body = NewSegment,
    responses(
        (status = 200, description = "Saved", body = SavedSegment),
        BodyRefusals,
        AdminRefusals,
    )
)]
pub async fn put_segment(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    body: Result<Json<NewSegment>, JsonRejection>,
) -> Result<Json<SavedSegment>, ApiError> {
    let who = staff.may(Permission::Campaigns)?;
    segment_id(&id)?;
    let Json(segment) = body?;
    Ok(Json(put_segment_as(&state, who, &id, &segment).await?))
}

/// Saves segment `id` for `who` (the API's and the console's), audited with the segment
/// as it was (none for a new one) and as it is now.
pub async fn put_segment_as(
    state: &AppState,
    who: &Principal,
    id: &str,
    segment: &NewSegment,
) -> Result<SavedSegment, ApiError> {
    who.require(Permission::Campaigns)?;
    segment_id(id)?;
    let before = state.store.segment(id).await?;
    let saved = state.store.put_segment(id, segment).await?;
    audited(
        state,
        who,
        "segment.put",
        id,
        before.and_then(|b| serde_json::to_value(&b).ok()),
        serde_json::to_value(&saved).ok(),
    )
    .await?;
    Ok(saved)
}

/// The saved segments `who` may see (the API's and the console's), by id.
pub async fn segments_as(state: &AppState, who: &Principal) -> Result<Vec<SavedSegment>, ApiError> {
    who.require(Permission::Campaigns)?;
    Ok(state.store.segments().await?)
}

/// As of which day a segment is evaluated.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SegmentQuery {
    /// The day whose scores are read (YYYY-MM-DD); yesterday when absent.
    pub as_of: Option<String>,
}

/// A saved segment's members: JSON, or CSV with `Accept: text/csv`.
#[utoipa::path(
    get,
    path = "/v1/segments/{id}/members",
    tag = "member value",
    security(("admin" = []), ("session" = [])),
    params(("id" = String, Path, description = "The segment's id"), SegmentQuery),
    responses(
        (status = 200, description = "The members", content(
            (SegmentMembers = "application/json"),
            (String = "text/csv"),
        )),
        (status = 400, description = "Not a segment id or a day HQ reports on", body = ErrorAnswer),
        (status = 404, description = "No such segment", body = ErrorAnswer),
        AdminRefusals,
    )
)]
pub async fn segment_members(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    headers: HeaderMap,
    q: Result<Query<SegmentQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let who = staff.may(Permission::Campaigns)?;
    let q = query_of(q)?;
    let members = segment_members_as(&state, who, &id, q.as_of.as_deref()).await?;
    let csv = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/csv"));
    if csv {
        let text = crate::hq::member_value::segments::members_csv(&members.members)?;
        return Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], text).into_response());
    }
    Ok(Json(members).into_response())
}

/// Segment `id`'s members as of `as_of` (yesterday when absent) for `who` (the API's and
/// the console's); 404 for a segment HQ does not hold.
pub async fn segment_members_as(
    state: &AppState,
    who: &Principal,
    id: &str,
    as_of: Option<&str>,
) -> Result<SegmentMembers, ApiError> {
    who.require(Permission::Campaigns)?;
    segment_id(id)?;
    let as_of = day("as_of", as_of, yesterday())?;
    state
        .store
        .segment_members(id, as_of)
        .await?
        .ok_or_else(|| unknown_segment(id))
}

/// Issue a campaign's coupon (signed, one per member) to every member of a segment who
/// consented to marketing; issuing again under the same campaign id reaches only members
/// not issued one yet.
#[utoipa::path(
    post,
    path = "/v1/segments/{id}/coupons",
    tag = "member value",
    security(("admin" = []), ("session" = [])),
    params(("id" = String, Path, description = "The segment's id"), SegmentQuery),
    request_body = CampaignRequest,
    responses(
        (status = 200, description = "What was issued", body = CampaignIssue),
        (status = 404, description = "No such segment", body = ErrorAnswer),
        BodyRefusals,
        AdminRefusals,
    )
)]
pub async fn segment_coupons(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    q: Result<Query<SegmentQuery>, QueryRejection>,
    body: Result<Json<CampaignRequest>, JsonRejection>,
) -> Result<Json<CampaignIssue>, ApiError> {
    let who = staff.may(Permission::Campaigns)?;
    segment_id(&id)?;
    let q = query_of(q)?;
    let Json(request) = body?;
    Ok(Json(
        segment_coupons_as(&state, who, &id, q.as_of.as_deref(), &request).await?,
    ))
}

/// Issues a campaign's coupon to segment `id`'s members as of `as_of` (yesterday when
/// absent) for `who` (the API's and the console's), audited with what was issued; 503
/// when HQ holds no coupon-signing key.
pub async fn segment_coupons_as(
    state: &AppState,
    who: &Principal,
    id: &str,
    as_of: Option<&str>,
    request: &CampaignRequest,
) -> Result<CampaignIssue, ApiError> {
    who.require(Permission::Campaigns)?;
    segment_id(id)?;
    let as_of = day("as_of", as_of, yesterday())?;
    let Some(signer) = state.lists.clone() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            NO_SIGNING_KEY,
        ));
    };
    match state
        .store
        .issue_segment_coupons(&signer.key, id, as_of, request)
        .await
    {
        Ok(Some(issue)) => {
            let after = serde_json::to_value(&issue).ok();
            audited(state, who, "segment.coupons", id, None, after).await?;
            Ok(issue)
        }
        Ok(None) => Err(unknown_segment(id)),
        Err(e) => match e.downcast::<HqError>() {
            Ok(e) => Err(ApiError::from(e)),
            Err(e) => Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!("{e:#}"),
            )),
        },
    }
}

/// Which list period.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CampaignsQuery {
    /// A day in the list period to report on alone (YYYY-MM-DD); every issue, deal and
    /// period when absent.
    pub period: Option<String>,
}

/// For every coupon issue, deal and list period: issued, redeemed, redemption rate, cost
/// and the redeemers' sales of the targeted products; for list periods the lift of the
/// lists over the period's hold-out group, with its 95 % interval.
#[utoipa::path(
    get,
    path = "/v1/reports/campaigns",
    tag = "member value",
    security(("admin" = []), ("session" = [])),
    params(CampaignsQuery),
    responses(
        (status = 200, description = "The results (zeros for a period without lists)", body = CampaignReport),
        (status = 400, description = "Not a day HQ reports on", body = ErrorAnswer),
        AdminRefusals,
    )
)]
pub async fn campaigns(
    State(state): State<AppState>,
    staff: Staff,
    q: Result<Query<CampaignsQuery>, QueryRejection>,
) -> Result<Json<CampaignReport>, ApiError> {
    let who = staff.may(Permission::Campaigns)?;
    let q = query_of(q)?;
    Ok(Json(campaigns_as(&state, who, &q).await?))
}

/// The campaign results `who` asks for (the API's and the console's).
pub async fn campaigns_as(
    state: &AppState,
    who: &Principal,
    q: &CampaignsQuery,
) -> Result<CampaignReport, ApiError> {
    who.require(Permission::Campaigns)?;
    let period = match q.period.as_deref() {
        Some(p) => Some(day("period", Some(p), yesterday())?),
        None => None,
    };
    Ok(state.store.campaign_report(period).await?)
}
