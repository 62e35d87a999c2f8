//! The sales report: a form (period, date, rows by, store), the period's net sales part by
//! part as lines over last year's, the rows with this period, the period before and last
//! year, a bar chart, and the same report as CSV. A store manager's
//! reports are of their own stores only (the API's rule).

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use maud::html;

use super::chart::{Bar, Point, bars, lines};
use super::i18n::T;
use super::layout::{self, Nav};
use super::{Viewer, money};
use crate::hq::api::AppState;
use crate::hq::api::reports::{SalesParams, TrendParams, sales_as, trend_as};
use crate::hq::reports::csv::{percent, sales_csv};
use crate::hq::staff::Permission;

const PERIODS: [(&str, T); 5] = [
    ("day", T::Day),
    ("week", T::Week),
    ("month", T::Month),
    ("quarter", T::Quarter),
    ("year", T::Year),
];
const BYS: [(&str, T); 6] = [
    ("chain", T::ByChain),
    ("store", T::ByStore),
    ("department", T::ByDepartment),
    ("category", T::ByCategory),
    ("product", T::ByProduct),
    ("hour", T::ByHour),
];

/// The query string of a report's parameters (for its CSV link).
fn query_of(p: &SalesParams) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("period", &p.period),
        ("date", &p.date),
        ("by", &p.by),
        ("store", &p.store),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            q.append_pair(k, v);
        }
    }
    q.finish()
}

/// How many rows the reports page lists.
const PAGE_ROWS: usize = 200;

/// `GET /console/reports`.
pub async fn page(
    State(state): State<AppState>,
    v: Viewer,
    Query(mut p): Query<SalesParams>,
) -> Response {
    if let Err(r) = v.may(Permission::Reports) {
        return r;
    }
    p.store = p.store.filter(|s| !s.trim().is_empty());
    p.date = p.date.filter(|s| !s.trim().is_empty());
    // A page shows the largest rows; the CSV has them all.
    p.rows = Some(p.rows.unwrap_or(PAGE_ROWS).min(PAGE_ROWS));
    let report = match sales_as(&state, &v.who, &p).await {
        Ok(r) => r,
        Err(e) => return v.error(e),
    };
    let trend = match trend_as(
        &state,
        &v.who,
        &TrendParams {
            period: p.period.clone(),
            date: p.date.clone(),
            store: p.store.clone(),
        },
    )
    .await
    {
        Ok(t) => t,
        Err(e) => return v.error(e),
    };
    // Days as month-day, months as they are, hours as hours.
    let points: Vec<Point> = trend
        .points
        .iter()
        .map(|t| Point {
            label: if t.part.len() == 10 {
                t.part[5..].to_string()
            } else {
                t.part.clone()
            },
            current: t.net,
            last_year: t.last_year_net,
        })
        .collect();
    let period = p.period.clone().unwrap_or_else(|| "month".into());
    let by = p.by.clone().unwrap_or_else(|| "chain".into());
    let chart: Vec<Bar> = report
        .rows
        .iter()
        .take(30)
        .map(|r| Bar {
            label: super::row_label(r).to_string(),
            current: r.current.net,
            last_year: r.last_year.net,
        })
        .collect();
    let body = html! {
        form.inline method="get" action="/console/reports" {
            label { (v.t(T::Period))
                select name="period" {
                    @for (k, t) in PERIODS { option value=(k) selected[period == k] { (v.t(t)) } }
                }
            }
            label { (v.t(T::Date)) input name="date" type="date" value=(p.date.as_deref().unwrap_or("")); }
            label { (v.t(T::By))
                select name="by" {
                    @for (k, t) in BYS { option value=(k) selected[by == k] { (v.t(t)) } }
                }
            }
            label { (v.t(T::Store)) input name="store" size="8" value=(p.store.as_deref().or(report.store.as_deref()).unwrap_or("")) placeholder=(v.t(T::AllStores)); }
            button type="submit" { (v.t(T::Show)) }
            a.button #csv href=(format!("/console/reports/sales.csv?{}", query_of(&p))) { (v.t(T::DownloadCsv)) }
        }
        p { (report.period.from) " – " (report.period.to) " · " (report.store.as_deref().unwrap_or(v.t(T::AllStores))) }
        (lines(v.t(T::Trend), (v.t(T::Current), v.t(T::LastYear)), &points))
        @if report.rows.is_empty() {
            p { (v.t(T::NoData)) }
        } @else {
            (bars(v.t(T::Chart), (v.t(T::Current), v.t(T::LastYear)), &chart))
        }
        @if report.rows.len() < report.rows_total {
            p.muted #rows-shown { (v.t(T::RowsShown).replace("{shown}", &report.rows.len().to_string()).replace("{total}", &report.rows_total.to_string())) }
        }
        div.scroll {
            table #report {
                tr {
                    th { (v.t(T::Row)) }
                    th.num { (v.t(T::Current)) }
                    th.num { (v.t(T::Previous)) }
                    th.num { (v.t(T::LastYear)) }
                    th.num { (v.t(T::Growth)) }
                    th.num { (v.t(T::Bills)) }
                }
                @for r in report.rows.iter().chain(std::iter::once(&report.total)) {
                    tr {
                        td { @if std::ptr::eq(r, &report.total) { strong { (v.t(T::Total)) } } @else { (super::row_label(r)) } }
                        td.num { (money(r.current.net)) }
                        td.num { (money(r.previous.net)) }
                        td.num { (money(r.last_year.net)) }
                        td.num { (percent(r.year_growth)) }
                        td.num { (r.current.bills) }
                    }
                }
            }
        }
    };
    layout::page(&v, T::Reports, Nav::Reports, body).into_response()
}

/// `GET /console/reports/sales.csv`: the report as `storepos hq report sales --format csv`
/// writes it.
pub async fn csv(
    State(state): State<AppState>,
    v: Viewer,
    Query(mut p): Query<SalesParams>,
) -> Response {
    if let Err(r) = v.may(Permission::Reports) {
        return r;
    }
    p.store = p.store.filter(|s| !s.trim().is_empty());
    p.date = p.date.filter(|s| !s.trim().is_empty());
    // The export is the whole breakdown, not the page's first rows.
    p.rows = p.rows.or(Some(crate::hq::api::reports::MOST_ROWS));
    let report = match sales_as(&state, &v.who, &p).await {
        Ok(r) => r,
        Err(e) => return v.error(e),
    };
    match sales_csv(&report, 2) {
        Ok(text) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"sales-{}-{}-{}.csv\"",
                        report.by.as_str(),
                        report.period.kind.as_str(),
                        report.period.from
                    ),
                ),
            ],
            text,
        )
            .into_response(),
        Err(e) => v.refusal(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            &e.to_string(),
        ),
    }
}
