//! Tills: the registered terminals of the viewer's stores, with the events HQ holds from
//! each and when the latest arrived.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::html;

use super::i18n::T;
use super::layout::{self, Nav};
use super::{Viewer, when};
use crate::hq::api::AppState;
use crate::hq::staff::Permission;

/// `GET /console/tills`.
pub async fn page(State(state): State<AppState>, v: Viewer) -> Response {
    if let Err(r) = v.may(Permission::Tills) {
        return r;
    }
    let tills = match state.store.tills(&v.who.scope()).await {
        Ok(t) => t,
        Err(e) => return v.error(e.into()),
    };
    let body = html! {
        div.scroll {
            table #tills {
                tr {
                    th { (v.t(T::Store)) } th { (v.t(T::Terminal)) } th { (v.t(T::Registered)) }
                    th.num { (v.t(T::Acked)) } th { (v.t(T::LastUpload)) }
                }
                @for t in &tills {
                    tr {
                        td { (t.store_id) }
                        td { (t.terminal_id) }
                        td { (when(t.registered)) }
                        td.num { (t.acked_seq) }
                        td { (t.last_upload.map(when).unwrap_or_else(|| v.t(T::Never).to_string())) }
                    }
                }
            }
        }
    };
    layout::page(&v, T::Tills, Nav::Tills, body).into_response()
}
