//! Deals and their budgets: every deal HQ holds with its budget, what the lists' offers
//! reserved of it and what is left for the lists to come, and a form to add or change a
//! deal (the same list as `GET /v1/deals`, [`deals_as`]). A change goes through the same
//! function as `PUT /v1/deals` ([`put_deals_as`]:
//! the `storepos lists` deals parser read against HQ's catalogue, the same audit entry
//! with the deal before and after).

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::campaigns::{funder_label, segment_label};
use super::i18n::T;
use super::layout::{self, Nav, csrf};
use super::members::enc;
use super::{Viewer, money, when};
use crate::domain::coupon::OfferValue;
use crate::domain::lists::{DealTarget, Segment};
use crate::hq::api::AppState;
use crate::hq::api::deals::{deals_as, put_deals_as};
use crate::hq::deals::HeldDeal;
use crate::hq::staff::Permission;

/// What the deals page is asked for: the deal to change, and whether one was just saved.
#[derive(Deserialize)]
pub struct DealsQuery {
    edit: Option<String>,
    saved: Option<String>,
}

/// The deal form's fields, as entered (its segments are one checkbox each, a name
/// repeated: the form is read as pairs).
#[derive(Default, Debug, Clone, PartialEq)]
pub struct DealForm {
    pub id: String,
    pub title: String,
    /// Empty: the chain funds it.
    pub manufacturer: String,
    /// `product` or `category`.
    pub target_kind: String,
    pub target: String,
    /// `amount` or `percent`.
    pub discount_kind: String,
    pub discount: String,
    pub max_discount: String,
    pub min_spend: String,
    pub budget: String,
    pub segments: Vec<String>,
    pub valid_from: String,
    pub valid_until: String,
    pub switch: bool,
}

impl DealForm {
    pub fn from_pairs(pairs: &[(String, String)]) -> DealForm {
        let mut f = DealForm::default();
        for (k, v) in pairs {
            let v = v.clone();
            match k.as_str() {
                "id" => f.id = v,
                "title" => f.title = v,
                "manufacturer" => f.manufacturer = v,
                "target_kind" => f.target_kind = v,
                "target" => f.target = v,
                "discount_kind" => f.discount_kind = v,
                "discount" => f.discount = v,
                "max_discount" => f.max_discount = v,
                "min_spend" => f.min_spend = v,
                "budget" => f.budget = v,
                "segment" => f.segments.push(v),
                "valid_from" => f.valid_from = v,
                "valid_until" => f.valid_until = v,
                "switch" => f.switch = true,
                _ => {}
            }
        }
        f
    }

    /// The form of a stored deal (its definition as stored, whether or not it still reads).
    pub fn of(d: &Value) -> DealForm {
        let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
        let first = |v: &Value| {
            v.as_object()
                .and_then(|o| o.iter().next())
                .map(|(k, v)| (k.clone(), s(v)))
                .unwrap_or_default()
        };
        let (target_kind, target) = first(&d["target"]);
        let (discount_kind, discount) = first(&d["discount"]);
        DealForm {
            id: s(&d["id"]),
            title: s(&d["title"]),
            manufacturer: s(&d["funding"]["manufacturer"]),
            target_kind,
            target,
            discount_kind,
            discount,
            max_discount: s(&d["max_discount"]),
            min_spend: s(&d["min_spend"]),
            budget: s(&d["budget"]),
            segments: d["segments"]
                .as_array()
                .map(|a| a.iter().map(s).collect())
                .unwrap_or_default(),
            valid_from: s(&d["valid_from"]),
            valid_until: s(&d["valid_until"]),
            switch: d["switch_to_store_brand"].as_bool().unwrap_or(false),
        }
    }

    /// The deal as the deals format has it; the parser HQ stores deals through reads it.
    pub fn definition(&self) -> Value {
        let t = |s: &str| s.trim().to_string();
        let mut d = Map::new();
        d.insert("id".into(), json!(t(&self.id)));
        d.insert("title".into(), json!(t(&self.title)));
        let funding = match self.manufacturer.trim() {
            "" => json!("store"),
            m => json!({ "manufacturer": m }),
        };
        d.insert("funding".into(), funding);
        let kind = if self.target_kind == "product" {
            "product"
        } else {
            "category"
        };
        d.insert("target".into(), json!({ kind: t(&self.target) }));
        let kind = if self.discount_kind == "percent" {
            "percent"
        } else {
            "amount"
        };
        d.insert("discount".into(), json!({ kind: t(&self.discount) }));
        for (name, value) in [
            ("max_discount", &self.max_discount),
            ("min_spend", &self.min_spend),
        ] {
            if !value.trim().is_empty() {
                d.insert(name.into(), json!(t(value)));
            }
        }
        d.insert("budget".into(), json!(t(&self.budget)));
        d.insert("segments".into(), json!(self.segments));
        d.insert("valid_from".into(), json!(t(&self.valid_from)));
        d.insert("valid_until".into(), json!(t(&self.valid_until)));
        d.insert("switch_to_store_brand".into(), json!(self.switch));
        Value::Object(d)
    }
}

/// A deal's offer: amount or percent off, and its cap.
fn offer(v: &Viewer, value: &OfferValue, cap: Option<i64>) -> String {
    let value = match value {
        OfferValue::AmountOff(a) => format!("{} {}", v.t(T::AmountOff), money(*a)),
        OfferValue::PercentOff(bp) => {
            let pct = money(i64::from(*bp));
            let pct = pct.trim_end_matches('0').trim_end_matches('.');
            format!("{} {pct}%", v.t(T::PromoPercentOff))
        }
    };
    match cap {
        Some(c) => format!("{value} ({} {})", v.t(T::MaxDiscount), money(c)),
        None => value,
    }
}

/// An instant as a day when it is midnight UTC, else to the minute.
fn moment(t: chrono::DateTime<chrono::Utc>) -> String {
    if t.time() == chrono::NaiveTime::MIN {
        t.format("%Y-%m-%d").to_string()
    } else {
        when(t)
    }
}

/// The link to change deal `id` in the form.
fn change(v: &Viewer, id: &str) -> Markup {
    html! { a href=(format!("/console/deals?edit={}", enc(id))) { (v.t(T::Change)) } }
}

fn table(v: &Viewer, deals: &[HeldDeal]) -> Markup {
    html! {
        div.scroll {
            table.wrap #deals {
                tr {
                    th { (v.t(T::Deal)) } th { (v.t(T::FundedBy)) } th { (v.t(T::Target)) }
                    th { (v.t(T::Offer)) } th { (v.t(T::Runs)) }
                    th.num { (v.t(T::Budget)) } th.num { (v.t(T::Reserved)) } th.num { (v.t(T::BudgetLeft)) }
                }
                @for h in deals {
                    tr id=(format!("deal-{}", h.id)) {
                        @match &h.deal {
                            Ok(d) => {
                                td { (d.id) br; span.muted { (d.title) } br; (change(v, &h.id)) }
                                td { (funder_label(v, &d.funding.funded_by())) }
                                td {
                                    @match &d.target {
                                        DealTarget::Product(_) => { (v.t(T::ByProduct)) " " (h.definition["target"]["product"].as_str().unwrap_or("")) }
                                        DealTarget::Category(c) => { (v.t(T::ByCategory)) " " (c) }
                                    }
                                    br;
                                    span.muted {
                                        @if d.segments.is_empty() { (v.t(T::AllSegments)) }
                                        @for s in &d.segments { (segment_label(v, &s.name())) br; }
                                    }
                                }
                                td { (offer(v, &d.value, d.max_discount)) }
                                td { span.nowrap { (moment(d.valid_from)) } " – " span.nowrap { (moment(d.valid_until)) } }
                                td.num { (money(d.budget)) }
                                td.num { (money(h.reserved)) }
                                td.num.left { strong { (money(h.left().unwrap_or(0))) } }
                            }
                            Err(e) => {
                                td { (h.id) br; (change(v, &h.id)) }
                                td colspan="4" { span.badge.overdue { (v.t(T::DealUnreadable)) } br; span.muted { (e) } }
                                td.num { (h.definition["budget"].as_str().unwrap_or("")) }
                                td.num { (money(h.reserved)) }
                                td.num {}
                            }
                        }
                    }
                }
            }
        }
    }
}

fn form(v: &Viewer, f: &DealForm) -> Markup {
    html! {
        form.stack.wide #deal method="post" action="/console/deals" {
            (csrf(v))
            label { (v.t(T::DealId)) input name="id" value=(f.id) required maxlength="40"; }
            label { (v.t(T::CouponTitle)) input name="title" value=(f.title) required maxlength="200"; }
            label { (v.t(T::ManufacturerFunds)) input name="manufacturer" value=(f.manufacturer) maxlength="100"; }
            label {
                (v.t(T::Target))
                select name="target_kind" {
                    option value="category" selected[f.target_kind != "product"] { (v.t(T::ByCategory)) }
                    option value="product" selected[f.target_kind == "product"] { (v.t(T::ByProduct)) }
                }
            }
            label { (v.t(T::TargetValue)) input name="target" value=(f.target) required maxlength="100"; }
            label {
                (v.t(T::Kind))
                select name="discount_kind" {
                    option value="amount" selected[f.discount_kind != "percent"] { (v.t(T::AmountOff)) }
                    option value="percent" selected[f.discount_kind == "percent"] { (v.t(T::PercentOff)) }
                }
            }
            label { (v.t(T::OfferValue)) input name="discount" value=(f.discount) required maxlength="20" inputmode="decimal"; }
            label { (v.t(T::MaxDiscount)) input name="max_discount" value=(f.max_discount) maxlength="20" inputmode="decimal"; }
            label { (v.t(T::MinSpend)) input name="min_spend" value=(f.min_spend) maxlength="20" inputmode="decimal"; }
            label { (v.t(T::Budget)) input name="budget" value=(f.budget) required maxlength="20" inputmode="decimal"; }
            fieldset.days {
                legend { (v.t(T::DealSegments)) }
                @for s in Segment::ALL {
                    label.check {
                        input type="checkbox" name="segment" value=(s.name()) checked[f.segments.contains(&s.name())];
                        (segment_label(v, &s.name()))
                    }
                }
            }
            label { (v.t(T::ValidFrom)) input name="valid_from" value=(f.valid_from) required maxlength="25" placeholder=(v.t(T::DateHint)); }
            label { (v.t(T::ValidUntil)) input name="valid_until" value=(f.valid_until) required maxlength="25" placeholder=(v.t(T::DateHint)); }
            label.check { input type="checkbox" name="switch" checked[f.switch]; (v.t(T::SwitchToStoreBrand)) }
            p.muted { (v.t(T::DealNote)) }
            button type="submit" { (v.t(T::Save)) }
        }
    }
}

async fn show(
    state: &AppState,
    v: &Viewer,
    entered: &DealForm,
    message: Option<(bool, String)>,
    status: StatusCode,
) -> Response {
    let deals = match deals_as(state, &v.who).await {
        Ok(d) => d,
        Err(e) => return v.error(e),
    };
    let body = html! {
        p { a href="/console/campaigns" { (v.t(T::Campaigns)) } " · " a href="/console/segments" { (v.t(T::Segments)) } }
        @if let Some((ok, m)) = &message {
            div class=(if *ok { "notice" } else { "notice error" }) role="status" { (m) }
        }
        p.muted { (v.t(T::BudgetNote)) }
        @if deals.is_empty() { p { (v.t(T::NoneYet)) } } @else { (table(v, &deals)) }
        section.card {
            h2 { (v.t(T::EditDeal)) }
            (form(v, entered))
        }
    };
    (status, layout::page(v, T::DealsBudgets, Nav::Deals, body)).into_response()
}

/// `GET /console/deals?edit=`: the deals with their budgets and the deal form.
pub async fn page(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<DealsQuery>,
) -> Response {
    if let Err(r) = v.may(Permission::Campaigns) {
        return r;
    }
    let f = match q.edit.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        Some(id) => match state.store.deal_definitions(&[id]).await {
            Ok(d) => d.first().map(DealForm::of).unwrap_or_else(|| DealForm {
                id: id.to_string(),
                ..DealForm::default()
            }),
            Err(e) => return v.error(e.into()),
        },
        None => DealForm::default(),
    };
    let message = q.saved.map(|_| (true, v.t(T::DealSaved).to_string()));
    show(&state, &v, &f, message, StatusCode::OK).await
}

/// The parser's answer about one deal, without the framing of a feed of many.
fn reason(message: &str) -> String {
    message
        .trim_start_matches("bad deals, nothing used:")
        .trim()
        .trim_start_matches("line 1: ")
        .to_string()
}

/// `POST /console/deals`: adds or replaces one deal and shows it in the list, or shows the
/// form as entered with what was wrong (nothing changed).
pub async fn save(
    State(state): State<AppState>,
    v: Viewer,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(r) = v.may(Permission::Campaigns) {
        return r;
    }
    let f = DealForm::from_pairs(&pairs);
    let definition = f.definition();
    match put_deals_as(&state, &v.who, std::slice::from_ref(&definition)).await {
        Ok(_) => Redirect::to(&format!("/console/deals?edit={}&saved=1", enc(f.id.trim())))
            .into_response(),
        Err(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            let m = format!("{}: {}", v.t(T::DealRefused), reason(e.message()));
            show(&state, &v, &f, Some((false, m)), e.status()).await
        }
        Err(e) => v.error(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_writes_the_deals_format_and_reads_it_back() {
        let line = json!({"id":"MILK","title":"0.50 off milk","funding":{"manufacturer":"M7"},
            "target":{"category":"FLUID MILK"},"discount":{"amount":"0.50"},"budget":"500.00",
            "segments":["national/high","national/mid"],"valid_from":"2017-11-06",
            "valid_until":"2017-11-20","switch_to_store_brand":false});
        let f = DealForm::of(&line);
        assert_eq!(f.manufacturer, "M7");
        assert_eq!(
            (f.target_kind.as_str(), f.target.as_str()),
            ("category", "FLUID MILK")
        );
        assert_eq!(f.definition(), line);
        let store = DealForm {
            manufacturer: " ".into(),
            max_discount: "2.00".into(),
            ..f
        };
        let d = store.definition();
        assert_eq!(
            (d["funding"].clone(), d["max_discount"].clone()),
            (json!("store"), json!("2.00"))
        );
    }

    #[test]
    fn a_refusal_reads_as_one_deal() {
        assert_eq!(
            reason("bad deals, nothing used:\n  line 1: budget and min_spend must not be negative"),
            "budget and min_spend must not be negative"
        );
    }
}
