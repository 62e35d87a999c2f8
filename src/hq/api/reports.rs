//! The sales report for HQ staff (admin token or staff session): `GET /v1/reports/sales`.
//! A store manager reads their own stores' reports only.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::AppState;
use super::auth::Staff;
use super::error::{AdminRefusals, ApiError, ErrorAnswer};
use crate::hq::reports::{
    By, Period, PeriodKind, ReportError, SalesQuery, SalesReport, SalesTrend,
};
use crate::hq::staff::{Permission, Principal};

/// Most best and worst selling products one report lists.
pub const MOST_RANKED: usize = 100;

/// Most rows one report lists, and how many it lists unless asked for fewer or more: a
/// chain's day by product is ten thousand products, a year's more than sixty thousand.
pub const MOST_ROWS: usize = 100_000;
pub const DEFAULT_ROWS: usize = 1_000;

/// What the sales report is asked for (all optional).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SalesParams {
    /// `day`, `week` (ISO, Monday to Sunday), `month` (default), `quarter` or `year`.
    pub period: Option<String>,
    /// A day in the period: `YYYY-MM-DD`, or `YYYY-MM`, `YYYY-Qn`, `YYYY`; default today
    /// in the chain's default zone.
    pub date: Option<String>,
    /// Rows by `chain` (default), `store`, `department`, `category`, `product` or `hour`.
    pub by: Option<String>,
    /// One store's sales; default the whole chain.
    pub store: Option<String>,
    /// How many best and worst selling products to list (default 10, at most 100).
    pub top: Option<usize>,
    /// How many rows to list, those with the largest net sales (default 1,000, at most
    /// 100,000); `rows_total` says how many there are.
    pub rows: Option<usize>,
}

impl SalesParams {
    /// The query these parameters ask for, or what is wrong with them.
    pub fn query(&self, today: chrono::NaiveDate) -> Result<SalesQuery, String> {
        let kind = match &self.period {
            Some(p) => PeriodKind::parse(p)?,
            None => PeriodKind::Month,
        };
        let day = match &self.date {
            Some(d) => crate::hq::reports::period::parse_day(d)?,
            None => today,
        };
        let by = match &self.by {
            Some(b) => By::parse(b)?,
            None => By::Chain,
        };
        let top = self.top.unwrap_or(10);
        if top > MOST_RANKED {
            return Err(format!("top {top}: at most {MOST_RANKED}"));
        }
        let rows = self.rows.unwrap_or(DEFAULT_ROWS);
        if rows == 0 || rows > MOST_ROWS {
            return Err(format!("rows {rows}: from 1 to {MOST_ROWS}"));
        }
        Ok(SalesQuery {
            period: Period::holding(kind, day),
            by,
            store: self.store.clone().filter(|s| !s.trim().is_empty()),
            top,
            rows,
        })
    }
}

/// Today in the chain's default zone.
pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&crate::hq::zones::DEFAULT_TIME_ZONE)
        .date_naive()
}

/// The sales of a period by chain, store, department, category, product or hour of day,
/// with the period before, the same period a year earlier, growth, and the best and worst
/// selling products. Days and hours are each store's own (its IANA time zone); amounts
/// are in minor units; a period without sales answers zeros. Definitions: README, Reports.
#[utoipa::path(
    get,
    path = "/v1/reports/sales",
    tag = "reports",
    security(("admin" = []), ("session" = [])),
    params(SalesParams),
    responses(
        (status = 200, description = "The report", body = SalesReport),
        (status = 404, description = "HQ knows no such store", body = ErrorAnswer),
        (status = 422, description = "A parameter is not one of those allowed", body = ErrorAnswer),
        AdminRefusals
    )
)]
pub async fn sales(
    State(state): State<AppState>,
    staff: Staff,
    params: Result<Query<SalesParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<SalesReport>, ApiError> {
    let Query(params) = params
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", e.body_text()))?;
    Ok(Json(sales_as(&state, &staff.0, &params).await?))
}

/// The sales report `params` ask for, as `who` may see it: a store manager's report is of
/// one of their stores (their only store when none is named), never the chain's.
pub async fn sales_as(
    state: &AppState,
    who: &Principal,
    params: &SalesParams,
) -> Result<SalesReport, ApiError> {
    who.require(Permission::Reports)?;
    let mut query = params
        .query(today())
        .map_err(|m| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m))?;
    query.store = who.one_store(query.store.as_deref())?;
    state
        .store
        .sales_report(&query)
        .await
        .map_err(report_refusal)
}

/// What the sales trend is asked for (all optional).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrendParams {
    /// `day` (by hour), `week` or `month` (by day), `quarter` or `year` (by month); default
    /// `month`.
    pub period: Option<String>,
    /// A day in the period, as for the sales report; default today.
    pub date: Option<String>,
    /// One store's sales; default the whole chain.
    pub store: Option<String>,
}

/// Net sales of a period part by part (hours of a day, days of a week or month, months of
/// a quarter or year) beside the same parts a year earlier, for drawing as lines.
#[utoipa::path(
    get,
    path = "/v1/reports/sales/trend",
    tag = "reports",
    security(("admin" = []), ("session" = [])),
    params(TrendParams),
    responses(
        (status = 200, description = "The trend", body = SalesTrend),
        (status = 404, description = "HQ knows no such store", body = ErrorAnswer),
        (status = 422, description = "A parameter is not one of those allowed", body = ErrorAnswer),
        AdminRefusals
    )
)]
pub async fn trend(
    State(state): State<AppState>,
    staff: Staff,
    params: Result<Query<TrendParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<SalesTrend>, ApiError> {
    let Query(params) = params
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", e.body_text()))?;
    Ok(Json(trend_as(&state, &staff.0, &params).await?))
}

/// The trend `params` ask for, as `who` may see it (a store manager's own stores only).
pub async fn trend_as(
    state: &AppState,
    who: &Principal,
    params: &TrendParams,
) -> Result<SalesTrend, ApiError> {
    who.require(Permission::Reports)?;
    let asked = SalesParams {
        period: params.period.clone(),
        date: params.date.clone(),
        store: params.store.clone(),
        ..SalesParams::default()
    }
    .query(today())
    .map_err(|m| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m))?;
    let store = who.one_store(asked.store.as_deref())?;
    state
        .store
        .sales_trend(asked.period, store.as_deref())
        .await
        .map_err(report_refusal)
}

/// A report's refusal as the API gives it.
fn report_refusal(e: ReportError) -> ApiError {
    match e {
        ReportError::UnknownStore(s) => ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_store",
            format!("HQ knows no store '{s}'"),
        ),
        ReportError::Hq(e) => e.into(),
    }
}
