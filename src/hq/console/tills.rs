//! Tills: the registered terminals of the viewer's stores, with the events HQ holds from
//! each and when the latest arrived, and the backlog and version each last reported; and each till's token rotated (the new token shown on
//! the answer alone, once) or revoked, through the same functions as the API
//! ([`rotate_as`], [`revoke_as`]: the same checks, the same audit entries). A till of a
//! store outside the viewer's stores answers 403.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::i18n::T;
use super::layout::{self, Nav, csrf};
use super::members::enc;
use super::{Viewer, when};
use crate::hq::api::AppState;
use crate::hq::api::tills::{Rotated, revoke_as, rotate_as};
use crate::hq::staff::Permission;

#[derive(Deserialize)]
pub struct TillsQuery {
    revoked: Option<String>,
}

/// The list, with a notice: what was done, or a new token to copy now.
async fn show(
    state: &AppState,
    v: &Viewer,
    notice: Option<(bool, String)>,
    rotated: Option<&Rotated>,
) -> Response {
    let tills = match state.store.tills(&v.who.scope()).await {
        Ok(t) => t,
        Err(e) => return v.error(e.into()),
    };
    let body = html! {
        @if let Some((ok, m)) = &notice {
            div class=(if *ok { "notice" } else { "notice error" }) role="status" { (m) }
        }
        @if let Some(r) = rotated {
            div.notice #new-token role="status" {
                p { strong { (r.store_id) " · " (r.terminal_id) } }
                p { (v.t(T::NewTokenShown)) }
                p { code.token { (r.token) } }
            }
        }
        div.scroll {
            table #tills {
                tr {
                    th { (v.t(T::Store)) } th { (v.t(T::Terminal)) } th { (v.t(T::Registered)) }
                    th.num { (v.t(T::Acked)) } th { (v.t(T::LastUpload)) }
                    th.num { (v.t(T::TillBacklog)) } th { (v.t(T::TillVersion)) }
                    th { (v.t(T::TillStatus)) }
                    th { (v.t(T::TillActions)) }
                }
                @for t in &tills {
                    @let path = format!("/console/tills/{}/{}", enc(&t.store_id), enc(&t.terminal_id));
                    tr {
                        td { (t.store_id) }
                        td { (t.terminal_id) }
                        td { (when(t.registered)) }
                        td.num { (t.acked_seq) }
                        td { (t.last_upload.map(when).unwrap_or_else(|| v.t(T::Never).to_string())) }
                        td.num { (t.backlog.map(|b| b.to_string()).unwrap_or_default()) }
                        td { (t.version.as_deref().unwrap_or_default()) }
                        @match t.revoked {
                            Some(at) => {
                                td { span.badge { (v.t(T::TillRevoked)) } " " (when(at)) }
                                td {}
                            }
                            None => {
                                td { (v.t(T::TillActive)) }
                                td.till-actions {
                                    form.inline.rotate method="post" action=(format!("{path}/rotate")) {
                                        (csrf(v))
                                        button type="submit" { (v.t(T::RotateToken)) }
                                    }
                                    " "
                                    // Asked first, on a page of its own: a revoked till
                                    // stops selling to HQ at once.
                                    form.inline.revoke method="get" action=(format!("{path}/revoke")) {
                                        button.danger type="submit" { (v.t(T::RevokeToken)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    layout::page(v, T::Tills, Nav::Tills, body).into_response()
}

/// `GET /console/tills`.
pub async fn page(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<TillsQuery>,
) -> Response {
    if let Err(r) = v.may(Permission::Tills) {
        return r;
    }
    let notice = q
        .revoked
        .map(|_| (true, v.t(T::TillRevokedDone).to_string()));
    show(&state, &v, notice, None).await
}

/// `POST /console/tills/{store}/{terminal}/rotate`: the list with the new token, shown
/// on this answer only (never stored in clear, never in a redirect's address).
pub async fn rotate(
    State(state): State<AppState>,
    v: Viewer,
    Path((store, terminal)): Path<(String, String)>,
) -> Response {
    if let Err(r) = v.may(Permission::Tills) {
        return r;
    }
    match rotate_as(&state, &v.who, &store, &terminal).await {
        Ok(rotated) => {
            let mut answer = show(&state, &v, None, Some(&rotated)).await;
            // The token is on this page alone: no cache keeps it.
            answer.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            answer
        }
        Err(e) if e.status() == StatusCode::CONFLICT => {
            show(&state, &v, Some((false, e.message().to_string())), None).await
        }
        Err(e) => v.error(e),
    }
}

/// `GET /console/tills/{store}/{terminal}/revoke`: asks before revoking a till of the
/// viewer's stores (one they may not change answers 403 here already).
pub async fn confirm_revoke(
    State(state): State<AppState>,
    v: Viewer,
    Path((store, terminal)): Path<(String, String)>,
) -> Response {
    if let Err(r) = v.may(Permission::Tills) {
        return r;
    }
    if let Err(f) = v.who.check_store(&store) {
        return v.refusal(StatusCode::FORBIDDEN, &f.0);
    }
    let tills = match state.store.tills(&v.who.scope()).await {
        Ok(t) => t,
        Err(e) => return v.error(e.into()),
    };
    let Some(till) = tills
        .iter()
        .find(|t| t.store_id == store && t.terminal_id == terminal)
    else {
        return v.refusal(StatusCode::NOT_FOUND, &format!("{store} · {terminal}"));
    };
    let path = format!("/console/tills/{}/{}", enc(&store), enc(&terminal));
    let body = html! {
        div.notice.error #revoke-ask role="alertdialog" {
            p { strong { (till.store_id) " · " (till.terminal_id) } }
            p { (v.t(T::RevokeAsk)) }
            form.inline.revoke-confirm method="post" action=(format!("{path}/revoke")) {
                (csrf(&v))
                @if till.revoked.is_none() {
                    button.danger type="submit" { (v.t(T::RevokeConfirm)) }
                }
                a.button href="/console/tills" { (v.t(T::KeepTill)) }
            }
        }
    };
    layout::page(&v, T::Tills, Nav::Tills, body).into_response()
}

/// `POST /console/tills/{store}/{terminal}/revoke`: revokes and shows the list again.
pub async fn revoke(
    State(state): State<AppState>,
    v: Viewer,
    Path((store, terminal)): Path<(String, String)>,
) -> Response {
    if let Err(r) = v.may(Permission::Tills) {
        return r;
    }
    match revoke_as(&state, &v.who, &store, &terminal).await {
        Ok(_) => Redirect::to("/console/tills?revoked=1").into_response(),
        Err(e) if e.status() == StatusCode::CONFLICT => {
            show(&state, &v, Some((false, e.message().to_string())), None).await
        }
        Err(e) => v.error(e),
    }
}
