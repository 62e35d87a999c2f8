//! The audit log page (admins only): every change staff made, newest first, by staff
//! login and action.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use maud::html;

use super::i18n::T;
use super::layout::{self, Nav};
use super::{Viewer, when};
use crate::hq::api::AppState;
use crate::hq::staff::Permission;
use crate::hq::staff::audit::AuditFilter;

fn json(v: &Option<serde_json::Value>) -> String {
    v.as_ref()
        .and_then(|v| serde_json::to_string_pretty(v).ok())
        .unwrap_or_default()
}

/// `GET /console/audit?staff=&action=`.
pub async fn page(
    State(state): State<AppState>,
    v: Viewer,
    Query(f): Query<AuditFilter>,
) -> Response {
    if let Err(r) = v.may(Permission::Audit) {
        return r;
    }
    let entries = match state.store.audit_log(&f).await {
        Ok(e) => e,
        Err(e) => return v.error(e.into()),
    };
    let body = html! {
        form.inline method="get" action="/console/audit" {
            label { (v.t(T::Staff)) input name="staff" value=(f.staff.as_deref().unwrap_or("")) size="12"; }
            label { (v.t(T::Action)) input name="action" value=(f.action.as_deref().unwrap_or("")) size="16"; }
            button type="submit" { (v.t(T::Filter)) }
        }
        div.scroll {
            table #audit {
                tr {
                    th { (v.t(T::When)) } th { (v.t(T::Staff)) } th { (v.t(T::Action)) }
                    th { (v.t(T::Target)) } th { (v.t(T::Before)) } th { (v.t(T::After)) }
                }
                @for e in &entries {
                    tr {
                        td { (when(e.at)) }
                        td { (e.staff) }
                        td { code { (e.action) } }
                        td { (e.target) }
                        td { pre.json { (json(&e.before)) } }
                        td { pre.json { (json(&e.after)) } }
                    }
                }
            }
        }
    };
    layout::page(&v, T::Audit, Nav::Audit, body).into_response()
}
