//! The dashboard: today's and this week's net sales per store against the same day and
//! week a year earlier, as a table and a chart (the viewer's stores only, for a store
//! manager).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use super::chart::{Bar, bars};
use super::i18n::T;
use super::layout::{self, Nav};
use super::{Viewer, money};
use crate::hq::api::AppState;
use crate::hq::api::reports::{SalesParams, sales_as};
use crate::hq::reports::Row;
use crate::hq::staff::{Permission, Scope};

/// The per-store rows of one period: the chain's by store, or each of a manager's stores.
async fn rows(state: &AppState, v: &Viewer, period: &str) -> Result<Vec<Row>, Response> {
    let ask = |store: Option<String>| SalesParams {
        period: Some(period.into()),
        by: Some("store".into()),
        store,
        top: Some(0),
        ..SalesParams::default()
    };
    match v.who.scope() {
        Scope::Chain => sales_as(state, &v.who, &ask(None))
            .await
            .map(|r| r.rows)
            .map_err(|e| v.error(e)),
        Scope::Stores(stores) => {
            let mut rows = Vec::new();
            for s in stores {
                let r = sales_as(state, &v.who, &ask(Some(s)))
                    .await
                    .map_err(|e| v.error(e))?;
                rows.extend(r.rows);
            }
            Ok(rows)
        }
    }
}

fn growth(g: Option<f64>) -> String {
    crate::hq::reports::csv::percent(g)
}

fn section(v: &Viewer, title: T, rows: &[Row]) -> Markup {
    let chart: Vec<Bar> = rows
        .iter()
        .map(|r| Bar {
            label: super::row_label(r).to_string(),
            current: r.current.net,
            last_year: r.last_year.net,
        })
        .collect();
    html! {
        section.card {
            h2 { (v.t(title)) }
            @if rows.is_empty() {
                p { (v.t(T::NoData)) }
            } @else {
                (bars(v.t(T::Chart), (v.t(title), v.t(T::LastYear)), &chart))
                div.scroll {
                    table {
                        tr {
                            th { (v.t(T::Store)) }
                            th.num { (v.t(T::Net)) }
                            th.num { (v.t(T::LastYear)) }
                            th.num { (v.t(T::Growth)) }
                            th.num { (v.t(T::Bills)) }
                        }
                        @for r in rows {
                            tr {
                                td { (super::row_label(r)) }
                                td.num { (money(r.current.net)) }
                                td.num { (money(r.last_year.net)) }
                                td.num { (growth(r.year_growth)) }
                                td.num { (r.current.bills) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /console/dashboard`.
pub async fn page(State(state): State<AppState>, v: Viewer) -> Response {
    if let Err(r) = v.may(Permission::Reports) {
        return r;
    }
    let today = match rows(&state, &v, "day").await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let week = match rows(&state, &v, "week").await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let body = html! {
        div.cards {
            (section(&v, T::Today, &today))
            (section(&v, T::ThisWeek, &week))
        }
    };
    layout::page(&v, T::Dashboard, Nav::Dashboard, body).into_response()
}
