//! Store settings: what HQ sets for a store's tills (name, address, language, cash
//! rounding, time zone, points programme), viewed and changed through the same function
//! as `PUT /v1/admin/settings/{store}` ([`put_settings_as`]: the same checks, the same
//! audit entry with the settings before and after). A store outside the viewer's stores
//! answers 403.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::Viewer;
use super::i18n::{Lang, T};
use super::layout::{self, Nav, csrf};
use super::members::enc;
use crate::domain::org::Language;
use crate::hq::api::AppState;
use crate::hq::api::staff::put_settings_as;
use crate::hq::staff::{Permission, Scope};
use crate::settings::StoreSettings;

/// The stores `v` may choose among: HQ's stores, a store manager's own only.
pub async fn viewer_stores(state: &AppState, v: &Viewer) -> Result<Vec<String>, Response> {
    let known = state
        .store
        .store_ids()
        .await
        .map_err(|e| v.error(e.into()))?;
    Ok(match v.who.scope() {
        Scope::Chain => known,
        Scope::Stores(mine) => mine,
    })
}

/// The store a page is about: the one asked for (if the viewer's), else their first.
pub fn chosen(
    v: &Viewer,
    asked: Option<&str>,
    stores: &[String],
) -> Result<Option<String>, Response> {
    match asked.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => {
            v.who
                .check_store(s)
                .map_err(|f| v.refusal(StatusCode::FORBIDDEN, &f.0))?;
            Ok(Some(s.to_string()))
        }
        None => Ok(stores.first().cloned()),
    }
}

/// The store picker every store page starts with.
pub fn picker(v: &Viewer, action: &str, stores: &[String], current: &str) -> Markup {
    html! {
        form.inline method="get" action=(action) {
            label {
                (v.t(T::ChooseStore))
                select name="store" {
                    @for s in stores {
                        option value=(s) selected[s == current] { (s) }
                    }
                    @if !current.is_empty() && !stores.iter().any(|s| s == current) {
                        option value=(current) selected { (current) }
                    }
                }
            }
            button type="submit" { (v.t(T::Show)) }
        }
    }
}

/// The settings form's fields, as entered.
#[derive(Deserialize, Default)]
pub struct SettingsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    cash_rounding: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    points: String,
}

impl SettingsForm {
    fn of(s: &StoreSettings) -> SettingsForm {
        SettingsForm {
            name: s.name.clone().unwrap_or_default(),
            address: s.address.clone().unwrap_or_default(),
            language: match s.language {
                Some(Language::Zh) => "zh".into(),
                Some(Language::En) => "en".into(),
                None => String::new(),
            },
            cash_rounding: s.cash_rounding.clone().unwrap_or_default(),
            time_zone: s.time_zone.clone().unwrap_or_default(),
            points: s
                .points
                .as_ref()
                .and_then(|p| serde_json::to_string_pretty(p).ok())
                .unwrap_or_default(),
        }
    }

    /// The settings the form asks for: a blank field sets nothing. Only the form's own
    /// encoding is read here; what the values mean is checked where the API checks it.
    fn settings(&self, lang: Lang) -> Result<StoreSettings, String> {
        let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let language = match self.language.trim() {
            "" => None,
            "zh" => Some(Language::Zh),
            "en" => Some(Language::En),
            other => return Err(format!("{}: '{other}'", lang.t(T::StoreLanguage))),
        };
        let not_json = |e: serde_json::Error| {
            let (field, what) = (lang.t(T::PointsProgram), lang.t(T::NotJson));
            format!("{field}: {what} ({e})")
        };
        let points = match text(&self.points) {
            None => None,
            Some(json) => Some(serde_json::from_str(&json).map_err(not_json)?),
        };
        Ok(StoreSettings {
            name: text(&self.name),
            address: text(&self.address),
            language,
            cash_rounding: text(&self.cash_rounding),
            points,
            time_zone: text(&self.time_zone),
        })
    }
}

fn form(v: &Viewer, store: &str, f: &SettingsForm) -> Markup {
    html! {
        form.stack.wide #settings method="post" action=(format!("/console/settings/{}", enc(store))) {
            (csrf(v))
            label { (v.t(T::StoreName)) input name="name" value=(f.name) maxlength="200"; }
            label { (v.t(T::Address)) input name="address" value=(f.address) maxlength="400"; }
            label {
                (v.t(T::StoreLanguage))
                select name="language" {
                    option value="" selected[f.language.is_empty()] { (v.t(T::Unset)) }
                    option value="zh" selected[f.language == "zh"] { (v.t(T::LangZh)) }
                    option value="en" selected[f.language == "en"] { (v.t(T::LangEn)) }
                }
            }
            label { (v.t(T::CashRounding)) input name="cash_rounding" value=(f.cash_rounding) maxlength="20"; }
            label { (v.t(T::TimeZone)) input name="time_zone" value=(f.time_zone) maxlength="64"; }
            label { (v.t(T::PointsProgram)) textarea name="points" rows="8" spellcheck="false" { (f.points) } }
            button type="submit" { (v.t(T::Save)) }
        }
    }
}

async fn show(
    state: &AppState,
    v: &Viewer,
    store: Option<String>,
    entered: Option<SettingsForm>,
    message: Option<(bool, String)>,
    status: StatusCode,
) -> Response {
    let stores = match viewer_stores(state, v).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(store) = store else {
        let body = html! { p { (v.t(T::NoStores)) } };
        return layout::page(v, T::StoreSettings, Nav::Settings, body).into_response();
    };
    let held = match state.store.settings(&store).await {
        Ok(h) => h,
        Err(e) => return v.error(e.into()),
    };
    let f = entered.unwrap_or_else(|| held.as_ref().map(SettingsForm::of).unwrap_or_default());
    let body = html! {
        (picker(v, "/console/settings", &stores, &store))
        @if let Some((ok, m)) = &message {
            div class=(if *ok { "notice" } else { "notice error" }) role="status" { (m) }
        }
        @if held.is_none() && message.is_none() { p.muted { (v.t(T::NoSettings)) } }
        (form(v, &store, &f))
    };
    (
        status,
        layout::page(v, T::StoreSettings, Nav::Settings, body),
    )
        .into_response()
}

/// What a store page is asked for: the store, and whether a change was just saved.
#[derive(Deserialize)]
pub struct StoreQuery {
    pub store: Option<String>,
    pub saved: Option<String>,
}

/// The store a store page (settings, operators) shows, once the viewer may see them.
pub async fn page_store(
    state: &AppState,
    v: &Viewer,
    q: &StoreQuery,
) -> Result<Option<String>, Response> {
    page_store_for(state, v, q, Permission::Catalogue).await
}

/// [`page_store`] for a page that needs `what` (store prices need [`Permission::Prices`]).
pub async fn page_store_for(
    state: &AppState,
    v: &Viewer,
    q: &StoreQuery,
    what: Permission,
) -> Result<Option<String>, Response> {
    v.may(what)?;
    let stores = viewer_stores(state, v).await?;
    chosen(v, q.store.as_deref(), &stores)
}

/// `GET /console/settings?store=`: a store's settings in a form.
pub async fn page(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<StoreQuery>,
) -> Response {
    let store = match page_store(&state, &v, &q).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let message = q.saved.map(|_| (true, v.t(T::SettingsSaved).to_string()));
    show(&state, &v, store, None, message, StatusCode::OK).await
}

/// `GET /console/settings/{store}`: the settings page of that store (where the language
/// switch of a refused form's answer leads).
pub async fn of_store(Path(store): Path<String>) -> Redirect {
    Redirect::to(&format!("/console/settings?store={}", enc(&store)))
}

/// `POST /console/settings/{store}`: stores the settings and shows them again, or shows
/// the form as entered with what was wrong (nothing changed).
pub async fn save(
    State(state): State<AppState>,
    v: Viewer,
    Path(store): Path<String>,
    Form(f): Form<SettingsForm>,
) -> Response {
    if let Err(r) = v.may(Permission::Catalogue) {
        return r;
    }
    if let Err(f) = v.who.check_store(&store) {
        return v.refusal(StatusCode::FORBIDDEN, &f.0);
    }
    let settings = match f.settings(v.lang) {
        Ok(s) => s,
        Err(m) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return show(&state, &v, Some(store), Some(f), Some((false, m)), status).await;
        }
    };
    match put_settings_as(&state, &v.who, &store, &settings).await {
        Ok(()) => Redirect::to(&format!("/console/settings?store={}&saved=1", enc(&store)))
            .into_response(),
        Err(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            let m = e.message().to_string();
            show(
                &state,
                &v,
                Some(store),
                Some(f),
                Some((false, m)),
                e.status(),
            )
            .await
        }
        Err(e) => v.error(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::loyalty::PointsProgram;

    #[test]
    fn the_form_shows_the_settings_it_stores() {
        let held = StoreSettings {
            name: Some("河畔店".into()),
            address: Some("1 River Road".into()),
            language: Some(Language::En),
            cash_rounding: Some("0.10".into()),
            points: Some(PointsProgram {
                earn_per_point: 500,
                ..PointsProgram::default()
            }),
            time_zone: Some("Asia/Shanghai".into()),
        };
        assert_eq!(SettingsForm::of(&held).settings(Lang::En), Ok(held));
        assert_eq!(
            SettingsForm::default().settings(Lang::En),
            Ok(StoreSettings::default())
        );
    }

    #[test]
    fn a_form_that_is_not_one_is_refused_with_its_field() {
        let f = SettingsForm {
            points: "{not json".into(),
            ..SettingsForm::default()
        };
        let said = f.settings(Lang::Zh).unwrap_err();
        assert!(said.contains("积分规则"), "{said}");
        let f = SettingsForm {
            language: "fr".into(),
            ..SettingsForm::default()
        };
        assert!(f.settings(Lang::En).unwrap_err().contains("'fr'"));
    }
}
