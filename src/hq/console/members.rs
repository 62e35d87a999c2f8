//! Members: the search (card, phone, name, pinyin; answered as one types through htmx),
//! the chain-wide member view with the points ledger, and the manual adjustment form
//! (reason required; audited with the balance before and after); the card forms are in
//! [`super::member_cards`].

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::i18n::T;
use super::layout::{self, Nav, csrf};
use super::{Viewer, money, when};
use crate::hq::adjustments::AdjustRequest;
use crate::hq::api::AppState;
use crate::hq::api::members::adjust_as;
use crate::hq::member_view::{MemberView, ViewAsk};
use crate::hq::staff::Permission;
use crate::hq::staff::search::FoundMember;

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
}

fn matched_label(m: &FoundMember) -> T {
    use crate::hq::staff::search::Matched;
    match m.matched {
        Matched::Card => T::Cards,
        Matched::Id => T::Number,
        Matched::Phone => T::Phone,
        Matched::Name => T::Name,
        Matched::Pinyin => T::Search,
    }
}

fn results(v: &Viewer, q: &str, found: &[FoundMember]) -> Markup {
    html! {
        div #results {
            @if !q.trim().is_empty() && found.is_empty() {
                p { (v.t(T::NoneFound)) }
            } @else if !found.is_empty() {
                div.scroll {
                    table {
                        tr {
                            th { (v.t(T::Number)) }
                            th { (v.t(T::Name)) }
                            th { (v.t(T::Phone)) }
                            th { (v.t(T::HomeStore)) }
                            th { (v.t(T::Tier)) }
                            th.num { (v.t(T::Balance)) }
                            th { (v.t(T::Matched)) }
                        }
                        @for m in found {
                            tr {
                                td { a href=(format!("/console/members/{}", enc(&m.id))) { (m.id) } }
                                td { (m.name) }
                                td { (m.phone.as_deref().unwrap_or("")) }
                                td { (m.home_store.as_deref().unwrap_or("")) }
                                td { (m.tier) }
                                td.num { (m.balance) }
                                td { span.badge { (v.t(matched_label(m))) @if m.matched == crate::hq::staff::search::Matched::Pinyin { " (pinyin)" } } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A path segment, percent-encoded.
pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `GET /console/members?q=`: the search page, or (to htmx) its results alone.
pub async fn search(
    State(state): State<AppState>,
    v: Viewer,
    headers: HeaderMap,
    Query(q): Query<SearchQuery>,
) -> Response {
    if let Err(r) = v.may(Permission::MembersRead) {
        return r;
    }
    let q = q.q.unwrap_or_default();
    let found = match state.store.find_members(&q).await {
        Ok(f) => f,
        Err(e) => return v.error(e.into()),
    };
    if headers.contains_key("hx-request") {
        return results(&v, &q, &found).into_response();
    }
    let body = html! {
        form.inline method="get" action="/console/members" {
            label {
                (v.t(T::SearchHint))
                input type="search" name="q" value=(q) autofocus
                    hx-get="/console/members" hx-trigger="input changed delay:300ms, search"
                    hx-target="#results" hx-swap="outerHTML";
            }
            button type="submit" { (v.t(T::Search)) }
        }
        (results(&v, &q, &found))
    };
    layout::page(&v, T::Members, Nav::Members, body).into_response()
}

fn kind_label(kind: &str) -> Option<T> {
    Some(match kind {
        "earn" => T::KindEarn,
        "redeem" => T::KindRedeem,
        "reverse" => T::KindReverse,
        "expire" => T::KindExpire,
        "adjust" => T::KindAdjust,
        "clawback" => T::KindClawback,
        _ => return None,
    })
}

fn view_body(v: &Viewer, view: &MemberView, message: Option<(bool, String)>) -> Markup {
    let r = &view.record;
    let may_adjust = v.who.role.may(Permission::PointsAdjust);
    html! {
        @if let Some((ok, m)) = &message {
            div class=(if *ok { "notice" } else { "notice error" }) role="status" { (m) }
        }
        div.cards {
            section.card {
                h2 { (r.name) }
                dl.facts {
                    dt { (v.t(T::Number)) } dd { (r.number) }
                    dt { (v.t(T::Phone)) } dd { (r.phone.as_deref().unwrap_or("")) }
                    dt { (v.t(T::HomeStore)) } dd { (r.home_store.as_deref().unwrap_or("")) }
                    dt { (v.t(T::Tier)) } dd { (r.tier) }
                    dt { (v.t(T::Cards)) }
                    dd {
                        @for c in &view.cards {
                            span.badge { (c.number) @if c.status == crate::domain::member::CardStatus::Blocked { " · " (v.t(T::CardBlocked)) } } " "
                        }
                    }
                    dt { (v.t(T::Balance)) } dd #balance { strong { (view.points.balance) } }
                    dt { (v.t(T::Visits)) } dd { (view.visits.bills) " · " (money(view.visits.spent)) }
                }
            }
            @if may_adjust {
                section.card {
                    h2 { (v.t(T::Adjust)) }
                    form.stack method="post" action=(format!("/console/members/{}/adjust", enc(&r.number))) {
                        (csrf(v))
                        label { (v.t(T::Points)) input name="points" type="number" required step="1"; }
                        label { (v.t(T::Reason)) input name="reason" required maxlength="200"; }
                        button type="submit" { (v.t(T::Save)) }
                    }
                }
            }
            (super::member_cards::forms(v, view))
        }
        h2 { (v.t(T::Ledger)) }
        div.scroll {
            table #ledger {
                tr { th { (v.t(T::When)) } th { (v.t(T::Kind)) } th.num { (v.t(T::Points)) } th { (v.t(T::Source)) } }
                @for e in &view.points.entries {
                    tr {
                        td { (when(e.at)) }
                        td { (kind_label(&e.kind).map_or(e.kind.as_str(), |t| v.t(t))) }
                        td.num { (format!("{:+}", e.points)) }
                        td { (e.source) }
                    }
                }
            }
        }
        h2 { (v.t(T::History)) }
        div.scroll {
            table {
                tr { th { (v.t(T::When)) } th { (v.t(T::Store)) } th { (v.t(T::Receipt)) } th { (v.t(T::Kind)) } th.num { (v.t(T::Total)) } }
                @for b in view.history.bills.iter().take(10) {
                    tr {
                        td { (when(b.at)) }
                        td { (b.store_id) }
                        td { (b.terminal_id) " #" (b.receipt_no) }
                        td { (if b.kind == "return" { v.t(T::Return) } else { v.t(T::Sale) }) }
                        td.num { (money(b.total)) }
                    }
                }
            }
        }
        @if !view.open_complaints.is_empty() {
            h2 { (v.t(T::OpenComplaints)) }
            ul {
                @for c in &view.open_complaints {
                    li { a href=(format!("/console/complaints/{}", enc(&c.id))) { (c.id) } " · " (c.category) " · " (when(c.at)) }
                }
            }
        }
    }
}

pub(super) async fn view_page(
    state: &AppState,
    v: &Viewer,
    id: &str,
    message: Option<(bool, String)>,
    status: StatusCode,
) -> Response {
    let params = crate::domain::lists::Params::default();
    match state.store.member_view(id, &ViewAsk::now(), &params).await {
        Ok(Some(view)) => {
            let body = view_body(v, &view, message);
            (status, layout::page(v, T::Member, Nav::Members, body)).into_response()
        }
        Ok(None) => v.refusal(StatusCode::NOT_FOUND, id),
        Err(e) => v.error(e.into()),
    }
}

#[derive(Deserialize)]
pub struct ViewQuery {
    adjusted: Option<String>,
    /// `blocked` or `replaced`: a card form's change was made.
    card: Option<String>,
}

/// `GET /console/members/{id}`: the member view with the ledger.
pub async fn member(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Query(q): Query<ViewQuery>,
) -> Response {
    if let Err(r) = v.may(Permission::MembersRead) {
        return r;
    }
    let done = match q.card.as_deref() {
        Some("blocked") => Some(T::CardBlockedDone),
        Some("replaced") => Some(T::CardReplacedDone),
        _ => q.adjusted.map(|_| T::Adjusted),
    };
    let message = done.map(|t| (true, v.t(t).to_string()));
    view_page(&state, &v, &id, message, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct AdjustForm {
    points: String,
    reason: String,
}

/// `POST /console/members/{id}/adjust`: adjusts and shows the view again, or shows it
/// with what was wrong (nothing changed).
pub async fn adjust(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(f): Form<AdjustForm>,
) -> Response {
    if let Err(r) = v.may(Permission::PointsAdjust) {
        return r;
    }
    let Ok(points) = f.points.trim().parse::<i64>() else {
        let m = format!("'{}': {}", f.points, v.t(T::Points));
        return view_page(
            &state,
            &v,
            &id,
            Some((false, m)),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let ask = AdjustRequest {
        points,
        reason: f.reason,
    };
    match adjust_as(&state, &v.who, &id, &ask).await {
        Ok(_) => Redirect::to(&format!("/console/members/{}?adjusted=1", enc(&id))).into_response(),
        Err(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            let m = e.message().to_string();
            view_page(&state, &v, &id, Some((false, m)), e.status()).await
        }
        Err(e) => v.error(e),
    }
}
