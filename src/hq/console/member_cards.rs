//! The member page's card forms: block a lost card (reason required) or replace a card by a
//! new number, through the same functions as the API ([`block_as`], [`replace_as`]: the
//! same checks, the same audit entries). Shown to roles that may change cards only.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::Viewer;
use super::i18n::T;
use super::layout::csrf;
use super::members::{enc, view_page};
use crate::domain::member::CardStatus;
use crate::hq::api::cards::{block_as, replace_as};
use crate::hq::cards::{BlockCard, ReplaceCard};
use crate::hq::member_view::MemberView;
use crate::hq::staff::Permission;

/// The two forms, for a viewer who may change cards (nothing otherwise).
pub fn forms(v: &Viewer, view: &MemberView) -> Markup {
    if !v.who.role.may(Permission::Cards) {
        return html! {};
    }
    let base = format!("/console/members/{}/cards", enc(&view.record.number));
    let active: Vec<&str> = view
        .cards
        .iter()
        .filter(|c| c.status == CardStatus::Active)
        .map(|c| c.number.as_str())
        .collect();
    let select = |cards: &[&str]| {
        html! {
            label {
                (v.t(T::CardLabel))
                select name="card" required {
                    @for c in cards { option value=(c) { (c) } }
                }
            }
        }
    };
    let all: Vec<&str> = view.cards.iter().map(|c| c.number.as_str()).collect();
    html! {
        @if !active.is_empty() {
            section.card {
                h2 { (v.t(T::BlockCard)) }
                form.stack #block-card method="post" action=(format!("{base}/block")) {
                    (csrf(v))
                    (select(&active))
                    label { (v.t(T::Reason)) input name="reason" required maxlength="200"; }
                    button type="submit" { (v.t(T::BlockAction)) }
                }
            }
        }
        section.card {
            h2 { (v.t(T::ReplaceCard)) }
            form.stack #replace-card method="post" action=(format!("{base}/replace")) {
                (csrf(v))
                (select(&all))
                label {
                    (v.t(T::NewCardNumber))
                    input name="new_card" required maxlength="32" inputmode="numeric" autocomplete="off";
                }
                label { (v.t(T::Reason)) input name="reason" required maxlength="200"; }
                button type="submit" { (v.t(T::ReplaceAction)) }
            }
        }
    }
}

/// A card form's fields, as entered.
#[derive(Deserialize)]
pub struct CardForm {
    #[serde(default)]
    card: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    new_card: String,
}

/// `POST /console/members/{id}/cards/block`.
pub async fn block(
    State(state): State<crate::hq::api::AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(f): Form<CardForm>,
) -> Response {
    if let Err(r) = v.may(Permission::Cards) {
        return r;
    }
    let ask = BlockCard { reason: f.reason };
    let done = block_as(&state, &v.who, &id, &f.card, &ask).await;
    answer(&state, &v, &id, done.map(|_| "blocked")).await
}

/// `POST /console/members/{id}/cards/replace`.
pub async fn replace(
    State(state): State<crate::hq::api::AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(f): Form<CardForm>,
) -> Response {
    if let Err(r) = v.may(Permission::Cards) {
        return r;
    }
    let ask = ReplaceCard {
        new_card: f.new_card,
        reason: f.reason,
    };
    let done = replace_as(&state, &v.who, &id, &f.card, &ask).await;
    answer(&state, &v, &id, done.map(|_| "replaced")).await
}

/// The member page again: with what was done, or with why nothing was (422).
async fn answer(
    state: &crate::hq::api::AppState,
    v: &Viewer,
    id: &str,
    done: Result<&str, crate::hq::api::error::ApiError>,
) -> Response {
    match done {
        Ok(what) => {
            Redirect::to(&format!("/console/members/{}?card={what}", enc(id))).into_response()
        }
        Err(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            let m = e.message().to_string();
            view_page(state, v, id, Some((false, m)), e.status()).await
        }
        Err(e) => v.error(e),
    }
}
