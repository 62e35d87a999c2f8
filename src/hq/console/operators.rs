//! Operators: the cashiers, supervisors and managers who sign in at a store's tills,
//! listed (never their PINs) and added or replaced through the same function as
//! `PUT /v1/admin/operators` ([`put_operators_as`]: the same checks, the same audit
//! entry with the operator before and after). A store outside the viewer's stores
//! answers 403.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::Viewer;
use super::i18n::T;
use super::layout::{self, Nav, csrf};
use super::members::enc;
use super::settings::{StoreQuery, page_store, picker, viewer_stores};
use crate::domain::org::Role;
use crate::hq::api::AppState;
use crate::hq::api::staff::put_operators_as;
use crate::hq::catalogue::NewOperator;
use crate::hq::staff::Permission;

fn role_label(r: Role) -> T {
    match r {
        Role::Cashier => T::OpCashier,
        Role::Supervisor => T::OpSupervisor,
        Role::Manager => T::OpManager,
    }
}

const ROLES: [Role; 3] = [Role::Cashier, Role::Supervisor, Role::Manager];

/// The operator form's fields, as entered (the PIN is never shown again).
#[derive(Deserialize, Default)]
pub struct OperatorForm {
    #[serde(default)]
    store: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    pin: String,
}

fn form(v: &Viewer, store: &str, f: &OperatorForm) -> Markup {
    html! {
        form.stack #operator method="post" action="/console/operators" {
            (csrf(v))
            input type="hidden" name="store" value=(store);
            label { (v.t(T::OperatorId)) input name="id" value=(f.id) required maxlength="32"; }
            label { (v.t(T::Name)) input name="name" value=(f.name) required maxlength="100"; }
            label {
                (v.t(T::OperatorRole))
                select name="role" {
                    @for r in ROLES {
                        option value=(r.as_str()) selected[f.role == r.as_str()] { (v.t(role_label(r))) }
                    }
                }
            }
            label { (v.t(T::NewPin)) input name="pin" type="password" inputmode="numeric" autocomplete="new-password" required; }
            p.muted { (v.t(T::OperatorNote)) }
            button type="submit" { (v.t(T::Save)) }
        }
    }
}

async fn show(
    state: &AppState,
    v: &Viewer,
    store: Option<String>,
    entered: Option<OperatorForm>,
    message: Option<(bool, String)>,
    status: StatusCode,
) -> Response {
    let stores = match viewer_stores(state, v).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(store) = store else {
        let body = html! { p { (v.t(T::NoStores)) } };
        return layout::page(v, T::Operators, Nav::Operators, body).into_response();
    };
    let operators = match state.store.store_operators(&store).await {
        Ok(o) => o,
        Err(e) => return v.error(e.into()),
    };
    let f = entered.unwrap_or_default();
    let body = html! {
        (picker(v, "/console/operators", &stores, &store))
        @if let Some((ok, m)) = &message {
            div class=(if *ok { "notice" } else { "notice error" }) role="status" { (m) }
        }
        div.cards {
            section.card {
                h2 { (v.t(T::Operators)) " · " (store) }
                @if operators.is_empty() {
                    p { (v.t(T::NoneYet)) }
                } @else {
                    div.scroll {
                        table #operators {
                            tr { th { (v.t(T::OperatorId)) } th { (v.t(T::Name)) } th { (v.t(T::OperatorRole)) } }
                            @for o in &operators {
                                tr { td { (o.id) } td { (o.name) } td { (v.t(role_label(o.role))) } }
                            }
                        }
                    }
                }
            }
            section.card {
                h2 { (v.t(T::AddOperator)) }
                (form(v, &store, &f))
            }
        }
    };
    (status, layout::page(v, T::Operators, Nav::Operators, body)).into_response()
}

/// `GET /console/operators?store=`: a store's operators and the form to add one.
pub async fn page(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<StoreQuery>,
) -> Response {
    let store = match page_store(&state, &v, &q).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let message = q.saved.map(|_| (true, v.t(T::OperatorSaved).to_string()));
    show(&state, &v, store, None, message, StatusCode::OK).await
}

/// `POST /console/operators`: adds or replaces one operator of a store and shows the
/// store's operators again, or shows the form as entered with what was wrong (nothing
/// changed).
pub async fn save(
    State(state): State<AppState>,
    v: Viewer,
    Form(f): Form<OperatorForm>,
) -> Response {
    if let Err(r) = v.may(Permission::Catalogue) {
        return r;
    }
    if let Err(e) = v.who.check_store(&f.store) {
        return v.refusal(StatusCode::FORBIDDEN, &e.0);
    }
    let store = f.store.clone();
    let unprocessable = |f: OperatorForm, m: String| {
        let (state, v, store) = (&state, &v, store.clone());
        async move {
            let f = OperatorForm {
                pin: String::new(),
                ..f
            };
            show(
                state,
                v,
                Some(store),
                Some(f),
                Some((false, m)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let role = match f.role.parse::<Role>() {
        Ok(r) => r,
        Err(m) => return unprocessable(f, m).await,
    };
    let operator = NewOperator {
        store_id: f.store.clone(),
        id: f.id.trim().to_string(),
        name: f.name.trim().to_string(),
        role,
        pin: f.pin.clone(),
    };
    match put_operators_as(&state, &v.who, std::slice::from_ref(&operator)).await {
        Ok(_) => Redirect::to(&format!("/console/operators?store={}&saved=1", enc(&store)))
            .into_response(),
        Err(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            unprocessable(f, e.message().to_string()).await
        }
        Err(e) => v.error(e),
    }
}
