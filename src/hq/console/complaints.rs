//! Complaints: the queue by deadline (overdue first, then the soonest due), a case with
//! its steps, and the steps staff take on it: assign, start handling, resolve (outcome
//! and satisfaction), close, reopen, or a note. Every step goes through the API's checks
//! (role, the store manager's stores, the case's state) and is audited.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::i18n::T;
use super::layout::{self, Nav, csrf};
use super::members::enc;
use super::{Viewer, when};
use crate::hq::api::AppState;
use crate::hq::api::complaints::{list_as, show_as, step_as};
use crate::hq::complaints::store::{ListFilter, ListedCase};
use crate::hq::complaints::{
    CaseWithSteps, Channel, Overdue, Severity, State as CaseState, StepRequest,
};
use crate::hq::staff::Permission;

pub fn state_label(s: CaseState) -> T {
    match s {
        CaseState::Open => T::StateOpen,
        CaseState::InProgress => T::StateInProgress,
        CaseState::Resolved => T::StateResolved,
        CaseState::Closed => T::StateClosed,
    }
}

fn severity_label(s: Severity) -> T {
    match s {
        Severity::Low => T::SevLow,
        Severity::Normal => T::SevNormal,
        Severity::High => T::SevHigh,
        Severity::Critical => T::SevCritical,
    }
}

fn channel_label(c: Channel) -> T {
    match c {
        Channel::Counter => T::ChannelCounter,
        Channel::Phone => T::ChannelPhone,
        Channel::Web => T::ChannelWeb,
        Channel::Social => T::ChannelSocial,
        Channel::Email => T::ChannelEmail,
        Channel::App => T::ChannelApp,
    }
}

fn overdue_badge(v: &Viewer, o: Option<Overdue>) -> Markup {
    html! {
        @match o {
            Some(Overdue::Response) => span.badge.overdue { (v.t(T::OverdueResponse)) },
            Some(Overdue::Resolution) => span.badge.overdue { (v.t(T::OverdueResolution)) },
            None => {},
        }
    }
}

#[derive(Deserialize)]
pub struct QueueQuery {
    state: Option<String>,
    store: Option<String>,
}

/// The queue's order: overdue first, then pending by the deadline to resolve, then the
/// rest newest first.
fn by_deadline(cases: &mut [ListedCase]) {
    cases.sort_by(|a, b| {
        let rank = |c: &ListedCase| match (c.overdue.is_some(), c.case.state.is_pending()) {
            (true, _) => 0,
            (false, true) => 1,
            (false, false) => 2,
        };
        rank(a).cmp(&rank(b)).then_with(|| {
            if rank(a) < 2 {
                a.case.resolve_due.cmp(&b.case.resolve_due)
            } else {
                b.case.opened_at.cmp(&a.case.opened_at)
            }
        })
    });
}

/// `GET /console/complaints`: the queue.
pub async fn queue(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<QueueQuery>,
) -> Response {
    if let Err(r) = v.may(Permission::Complaints) {
        return r;
    }
    let wanted = q.state.as_deref().and_then(CaseState::parse);
    let store = q.store.clone().filter(|s| !s.trim().is_empty());
    let filter = ListFilter {
        state: wanted,
        store: store.clone(),
        ..ListFilter::default()
    };
    let mut cases = match list_as(&state, &v.who, &filter).await {
        Ok(c) => c,
        Err(e) => return v.error(e),
    };
    by_deadline(&mut cases);
    let body = html! {
        form.inline method="get" action="/console/complaints" {
            label { (v.t(T::State))
                select name="state" {
                    option value="" { (v.t(T::AllStates)) }
                    @for s in CaseState::ALL {
                        option value=(s.as_str()) selected[wanted == Some(s)] { (v.t(state_label(s))) }
                    }
                }
            }
            label { (v.t(T::Store)) input name="store" value=(store.as_deref().unwrap_or("")) size="8"; }
            button type="submit" { (v.t(T::Filter)) }
        }
        p { (v.t(T::Queue)) }
        div.scroll {
            table #queue {
                tr {
                    th { (v.t(T::Case)) } th { (v.t(T::Store)) } th { (v.t(T::State)) }
                    th { (v.t(T::Severity)) } th { (v.t(T::Category)) } th { (v.t(T::Opened)) }
                    th { (v.t(T::Due)) } th { (v.t(T::Handler)) }
                }
                @for c in &cases {
                    tr {
                        td { a href=(format!("/console/complaints/{}", enc(&c.case.id))) { (c.case.id) } }
                        td { (c.case.store_id) }
                        td { (v.t(state_label(c.case.state))) " " (overdue_badge(&v, c.overdue)) }
                        td { (v.t(severity_label(c.case.severity))) }
                        td { (c.case.category) }
                        td { (when(c.case.opened_at)) }
                        td { (when(c.case.resolve_due)) }
                        td { (c.case.handler.as_deref().unwrap_or("")) }
                    }
                }
            }
        }
    };
    layout::page(&v, T::Complaints, Nav::Complaints, body).into_response()
}

fn step_form(v: &Viewer, id: &str, action: &str, label: T, fields: Markup) -> Markup {
    html! {
        form.stack method="post" action=(format!("/console/complaints/{}/step", enc(id))) {
            (csrf(v))
            input type="hidden" name="action" value=(action);
            (fields)
            label { (v.t(T::Note)) textarea name="note" rows="2" {} }
            button type="submit" name="do" value=(action) { (v.t(label)) }
        }
    }
}

fn case_body(v: &Viewer, c: &CaseWithSteps, message: Option<String>) -> Markup {
    let case = &c.case;
    let id = case.id.as_str();
    html! {
        @if let Some(m) = message { div.notice.error role="alert" { (m) } }
        div.cards {
            section.card {
                h2 { (id) " " (overdue_badge(v, c.overdue)) }
                dl.facts #facts {
                    dt { (v.t(T::State)) } dd #state { (v.t(state_label(case.state))) }
                    dt { (v.t(T::Store)) } dd { (case.store_id) }
                    dt { (v.t(T::Member)) } dd {
                        @if let Some(m) = &case.member_id { a href=(format!("/console/members/{}", enc(m))) { (m) } }
                    }
                    dt { (v.t(T::Severity)) } dd { (v.t(severity_label(case.severity))) }
                    dt { (v.t(T::Channel)) } dd { (v.t(channel_label(case.channel))) }
                    dt { (v.t(T::Category)) } dd { (case.category) }
                    dt { (v.t(T::Opened)) } dd { (when(case.opened_at)) }
                    dt { (v.t(T::Due)) } dd { (when(case.resolve_due)) }
                    dt { (v.t(T::Handler)) } dd { (case.handler.as_deref().unwrap_or("")) }
                    dt { (v.t(T::Outcome)) } dd { (case.outcome.as_deref().unwrap_or("")) }
                    dt { (v.t(T::Satisfaction)) } dd { (case.satisfaction.map(|s| s.to_string()).unwrap_or_default()) }
                    dt { (v.t(T::Content)) } dd { (case.content) }
                }
            }
        }
        h2 { (v.t(T::Steps)) }
        div.scroll {
            table {
                tr { th { "#" } th { (v.t(T::When)) } th { (v.t(T::State)) } th { (v.t(T::Handler)) } th { (v.t(T::Note)) } }
                @for s in &c.step_list {
                    tr {
                        td { (s.step_no) }
                        td { (when(s.at)) }
                        td { (v.t(state_label(s.to_state))) }
                        td { (s.handler) }
                        td { (s.note.as_deref().unwrap_or("")) (s.outcome.as_deref().map(|o| format!(" · {o}")).unwrap_or_default()) }
                    }
                }
            }
        }
        h2 { (v.t(T::Action)) }
        div.actions {
            @match case.state {
                CaseState::Open => {
                    (step_form(v, id, "assign", T::Assign, html! {
                        label { (v.t(T::Assignee)) input name="assignee" required; }
                    }))
                    (step_form(v, id, "handle", T::Handle, html! {}))
                }
                CaseState::InProgress => {
                    (step_form(v, id, "resolve", T::Resolve, html! {
                        label { (v.t(T::Outcome)) input name="outcome" required; }
                        label { (v.t(T::Satisfaction)) input name="satisfaction" type="number" min="1" max="5"; }
                    }))
                    (step_form(v, id, "assign", T::Assign, html! {
                        label { (v.t(T::Assignee)) input name="assignee" required; }
                    }))
                }
                CaseState::Resolved => {
                    (step_form(v, id, "close", T::Close, html! {
                        label { (v.t(T::Satisfaction)) input name="satisfaction" type="number" min="1" max="5"; }
                    }))
                    (step_form(v, id, "reopen", T::Reopen, html! {}))
                }
                CaseState::Closed => {
                    (step_form(v, id, "reopen", T::Reopen, html! {}))
                }
            }
            (step_form(v, id, "note", T::AddNote, html! {}))
        }
    }
}

/// `GET /console/complaints/{id}`.
pub async fn case(State(state): State<AppState>, v: Viewer, Path(id): Path<String>) -> Response {
    if let Err(r) = v.may(Permission::Complaints) {
        return r;
    }
    match show_as(&state, &v.who, &id).await {
        Ok(c) => {
            layout::page(&v, T::Case, Nav::Complaints, case_body(&v, &c, None)).into_response()
        }
        Err(e) => v.error(e),
    }
}

#[derive(Deserialize)]
pub struct StepForm {
    action: String,
    note: Option<String>,
    assignee: Option<String>,
    outcome: Option<String>,
    satisfaction: Option<String>,
}

/// The step a form asks for, taken by the viewer (an assignment by the assignee).
fn step_of(v: &Viewer, f: &StepForm) -> Result<StepRequest, String> {
    let text = |t: &Option<String>| {
        t.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    };
    let satisfaction = match text(&f.satisfaction) {
        None => None,
        Some(s) => Some(
            s.parse::<u8>()
                .map_err(|_| format!("satisfaction: '{s}' is not 1 to 5"))?,
        ),
    };
    let mut step = StepRequest {
        handler: v.who.login.clone(),
        note: text(&f.note),
        ..StepRequest::default()
    };
    match f.action.as_str() {
        "assign" => {
            let to = text(&f.assignee).ok_or("name whom the case is assigned to")?;
            step.note = Some(match step.note {
                Some(n) => format!("→ {to}: {n}"),
                None => format!("→ {to}"),
            });
            step.handler = to;
        }
        "handle" | "reopen" => step.to_state = Some(CaseState::InProgress),
        "resolve" => {
            step.to_state = Some(CaseState::Resolved);
            step.outcome = text(&f.outcome);
            step.satisfaction = satisfaction;
        }
        "close" => {
            step.to_state = Some(CaseState::Closed);
            step.satisfaction = satisfaction;
        }
        "note" => {}
        other => return Err(format!("'{other}' is not a step")),
    }
    Ok(step)
}

/// `POST /console/complaints/{id}/step`: takes the step and shows the case again, or
/// shows it with why the step was refused (nothing changed).
pub async fn step(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> Response {
    if let Err(r) = v.may(Permission::Complaints) {
        return r;
    }
    let refused = |message: String, status: StatusCode| {
        let state = state.clone();
        let v = &v;
        let id = id.clone();
        async move {
            match show_as(&state, &v.who, &id).await {
                Ok(c) => (
                    status,
                    layout::page(v, T::Case, Nav::Complaints, case_body(v, &c, Some(message))),
                )
                    .into_response(),
                Err(e) => v.error(e),
            }
        }
    };
    let ask = match step_of(&v, &f) {
        Ok(s) => s,
        Err(m) => return refused(m, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    match step_as(&state, &v.who, &id, &ask).await {
        Ok(_) => Redirect::to(&format!("/console/complaints/{}", enc(&id))).into_response(),
        Err(e)
            if matches!(
                e.status(),
                StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT
            ) =>
        {
            refused(e.message().to_string(), e.status()).await
        }
        Err(e) => v.error(e),
    }
}
