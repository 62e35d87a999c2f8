//! Saved segments: the list, and a form to add or change one. A change goes through the
//! same function as `PUT /v1/segments/{id}` ([`put_segment_as`]: the same checks, the
//! same audit entry with the segment before and after). A segment's members, their CSV
//! and a coupon issue to them are on its own page ([`super::segment_members`]).

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::i18n::{Lang, T};
use super::layout::{self, Nav, csrf};
use super::members::enc;
use super::{Viewer, money, when};
use crate::domain::money::{Currency, Money};
use crate::hq::api::AppState;
use crate::hq::api::value::{put_segment_as, segments_as};
use crate::hq::member_value::Segment;
use crate::hq::member_value::segments::{Definition, NewSegment, SavedSegment, ScoreRange};
use crate::hq::staff::Permission;

/// What the segments page is asked for: the segment to change.
#[derive(Deserialize)]
pub struct SegmentsQuery {
    edit: Option<String>,
}

/// An RFM segment's label.
pub fn rfm_label(s: Segment) -> T {
    match s {
        Segment::Champions => T::RfmChampions,
        Segment::Loyal => T::RfmLoyal,
        Segment::Potential => T::RfmPotential,
        Segment::New => T::RfmNew,
        Segment::NeedsAttention => T::RfmNeedsAttention,
        Segment::AtRisk => T::RfmAtRisk,
        Segment::CantLose => T::RfmCantLose,
        Segment::Hibernating => T::RfmHibernating,
        Segment::Lost => T::RfmLost,
    }
}

/// The segment form's fields, as entered (its RFM segments are one checkbox each, a
/// name repeated: the form is read as pairs).
#[derive(Default, Debug, Clone, PartialEq)]
pub struct SegmentForm {
    pub id: String,
    pub name: String,
    pub segments: Vec<String>,
    /// R, F and M: each a least and a most score, empty for no criterion.
    pub scores: [(String, String); 3],
    /// `""` (any), `yes` or `no`.
    pub slipping: String,
    pub tiers: String,
    pub home_stores: String,
    pub min_spend: String,
    pub consent: bool,
}

const SCORES: [(T, &str); 3] = [(T::ScoreR, "r"), (T::ScoreF, "f"), (T::ScoreM, "m")];

/// Words separated by commas or spaces.
fn words(text: &str) -> Vec<String> {
    text.split([',', ' ', '，'])
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

impl SegmentForm {
    /// The form as a browser sends it.
    pub fn from_pairs(pairs: &[(String, String)]) -> SegmentForm {
        let mut f = SegmentForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "id" => f.id = v.clone(),
                "name" => f.name = v.clone(),
                "segment" => f.segments.push(v.clone()),
                "r_min" => f.scores[0].0 = v.clone(),
                "r_max" => f.scores[0].1 = v.clone(),
                "f_min" => f.scores[1].0 = v.clone(),
                "f_max" => f.scores[1].1 = v.clone(),
                "m_min" => f.scores[2].0 = v.clone(),
                "m_max" => f.scores[2].1 = v.clone(),
                "slipping" => f.slipping = v.clone(),
                "tiers" => f.tiers = v.clone(),
                "home_stores" => f.home_stores = v.clone(),
                "min_spend" => f.min_spend = v.clone(),
                "consent" => f.consent = true,
                _ => {}
            }
        }
        f
    }

    pub fn of(s: &SavedSegment) -> SegmentForm {
        let d = &s.definition;
        let range = |r: Option<ScoreRange>| {
            r.map(|r| (r.min.to_string(), r.max.to_string()))
                .unwrap_or_default()
        };
        SegmentForm {
            id: s.id.clone(),
            name: s.name.clone(),
            segments: d.segments.iter().map(|s| s.name().to_string()).collect(),
            scores: [range(d.r), range(d.f), range(d.m)],
            slipping: match d.slipping {
                None => String::new(),
                Some(true) => "yes".into(),
                Some(false) => "no".into(),
            },
            tiers: d.tiers.join(", "),
            home_stores: d.home_stores.join(", "),
            min_spend: d.min_spend.map(money).unwrap_or_default(),
            consent: d.consent_marketing,
        }
    }

    /// The segment the form asks for. Only the form's own encoding is read here (scores,
    /// an amount); what a segment may be is checked where the API checks it.
    pub fn segment(&self, lang: Lang, currency: Currency) -> Result<NewSegment, String> {
        let bad = |field: T, why: T, value: &str| {
            format!("{}: {} ('{}')", lang.t(field), lang.t(why), value.trim())
        };
        let score = |field: T, text: &str, default: u8| -> Result<u8, String> {
            let t = text.trim();
            if t.is_empty() {
                return Ok(default);
            }
            t.parse().map_err(|_| bad(field, T::ErrNotNumber, text))
        };
        let mut ranges = [None; 3];
        for (i, (field, _)) in SCORES.iter().enumerate() {
            let (min, max) = &self.scores[i];
            if min.trim().is_empty() && max.trim().is_empty() {
                continue;
            }
            ranges[i] = Some(ScoreRange {
                min: score(*field, min, 1)?,
                max: score(*field, max, 5)?,
            });
        }
        let segments = self
            .segments
            .iter()
            .map(|s| Segment::parse(s).ok_or_else(|| bad(T::RfmSegments, T::Refused, s)))
            .collect::<Result<Vec<_>, _>>()?;
        let min_spend = match self.min_spend.trim() {
            "" => None,
            t => Some(
                Money::parse(t, currency)
                    .map_err(|_| bad(T::MinSpendYear, T::ErrNotAmount, t))?
                    .minor(),
            ),
        };
        Ok(NewSegment {
            name: self.name.trim().to_string(),
            definition: Definition {
                segments,
                r: ranges[0],
                f: ranges[1],
                m: ranges[2],
                slipping: match self.slipping.as_str() {
                    "yes" => Some(true),
                    "no" => Some(false),
                    _ => None,
                },
                tiers: words(&self.tiers),
                home_stores: words(&self.home_stores),
                min_spend,
                consent_marketing: self.consent,
            },
        })
    }
}

/// What a definition asks for, in the viewer's language (empty: every member).
pub fn summary(v: &Viewer, d: &Definition) -> Vec<String> {
    let mut out = Vec::new();
    if !d.segments.is_empty() {
        let names: Vec<&str> = d.segments.iter().map(|s| v.t(rfm_label(*s))).collect();
        out.push(format!("{}: {}", v.t(T::RfmSegments), names.join(", ")));
    }
    for ((label, _), r) in SCORES.iter().zip([d.r, d.f, d.m]) {
        if let Some(r) = r {
            out.push(format!("{} {}–{}", v.t(*label), r.min, r.max));
        }
    }
    match d.slipping {
        Some(true) => out.push(v.t(T::SlippingOnly).to_string()),
        Some(false) => out.push(v.t(T::NotSlipping).to_string()),
        None => {}
    }
    if !d.tiers.is_empty() {
        out.push(format!("{}: {}", v.t(T::Tier), d.tiers.join(", ")));
    }
    if !d.home_stores.is_empty() {
        out.push(format!(
            "{}: {}",
            v.t(T::HomeStore),
            d.home_stores.join(", ")
        ));
    }
    if let Some(m) = d.min_spend {
        out.push(format!("{} ≥ {}", v.t(T::MinSpendYear), money(m)));
    }
    if d.consent_marketing {
        out.push(v.t(T::ConsentOnly).to_string());
    }
    if out.is_empty() {
        out.push(v.t(T::EveryMember).to_string());
    }
    out
}

/// The segment form (`action`: where it posts).
pub fn form(v: &Viewer, f: &SegmentForm) -> Markup {
    html! {
        form.stack.wide #segment method="post" action="/console/segments" {
            (csrf(v))
            label { (v.t(T::SegmentId)) input name="id" value=(f.id) required maxlength="40"; }
            label { (v.t(T::SegmentName)) input name="name" value=(f.name) required maxlength="200"; }
            fieldset.days {
                legend { (v.t(T::RfmSegmentsAny)) }
                @for s in Segment::ALL {
                    label.check {
                        input type="checkbox" name="segment" value=(s.name()) checked[f.segments.iter().any(|x| x == s.name())];
                        (v.t(rfm_label(s)))
                    }
                }
            }
            @for (i, (label, name)) in SCORES.iter().enumerate() {
                fieldset.days {
                    legend { (v.t(*label)) " " span.muted { (v.t(T::ScoreHint)) } }
                    label { (v.t(T::From)) input name=(format!("{name}_min")) value=(f.scores[i].0) maxlength="1" size="3" inputmode="numeric"; }
                    label { (v.t(T::To)) input name=(format!("{name}_max")) value=(f.scores[i].1) maxlength="1" size="3" inputmode="numeric"; }
                }
            }
            label {
                (v.t(T::SlippingAway))
                select name="slipping" {
                    option value="" selected[f.slipping.is_empty()] { (v.t(T::Any)) }
                    option value="yes" selected[f.slipping == "yes"] { (v.t(T::SlippingOnly)) }
                    option value="no" selected[f.slipping == "no"] { (v.t(T::NotSlipping)) }
                }
            }
            label { (v.t(T::TiersAny)) input name="tiers" value=(f.tiers) maxlength="200"; }
            label { (v.t(T::HomeStoresAny)) input name="home_stores" value=(f.home_stores) maxlength="400"; }
            label { (v.t(T::MinSpendYear)) input name="min_spend" value=(f.min_spend) maxlength="20" inputmode="decimal"; }
            label.check { input type="checkbox" name="consent" checked[f.consent]; (v.t(T::ConsentOnly)) }
            p.muted { (v.t(T::SegmentNote)) }
            button type="submit" { (v.t(T::Save)) }
        }
    }
}

fn table(v: &Viewer, segments: &[SavedSegment]) -> Markup {
    html! {
        div.scroll {
            table #segments {
                tr {
                    th { (v.t(T::SegmentId)) } th { (v.t(T::SegmentName)) }
                    th { (v.t(T::Criteria)) } th { (v.t(T::Updated)) } th {}
                }
                @for s in segments {
                    tr {
                        td.nowrap { a href=(format!("/console/segments/{}", enc(&s.id))) { (s.id) } }
                        td { (s.name) }
                        td { @for line in summary(v, &s.definition) { (line) br; } }
                        td.nowrap { (when(s.updated_at)) }
                        td.nowrap {
                            a href=(format!("/console/segments/{}", enc(&s.id))) { (v.t(T::SeeMembers)) }
                            " · "
                            a href=(format!("/console/segments?edit={}", enc(&s.id))) { (v.t(T::Change)) }
                        }
                    }
                }
            }
        }
    }
}

async fn show(
    state: &AppState,
    v: &Viewer,
    entered: &SegmentForm,
    message: Option<String>,
    status: StatusCode,
) -> Response {
    let segments = match segments_as(state, &v.who).await {
        Ok(s) => s,
        Err(e) => return v.error(e),
    };
    let body = html! {
        p { a href="/console/campaigns" { (v.t(T::Campaigns)) } " · " a href="/console/deals" { (v.t(T::DealsBudgets)) } }
        @if let Some(m) = &message {
            div.notice.error role="status" { (m) }
        }
        @if segments.is_empty() {
            p { (v.t(T::NoneYet)) }
        } @else {
            (table(v, &segments))
        }
        section.card {
            h2 { (v.t(T::EditSegment)) }
            (form(v, entered))
        }
    };
    (status, layout::page(v, T::Segments, Nav::Segments, body)).into_response()
}

/// `GET /console/segments?edit=`: the saved segments and the segment form (filled with
/// the segment to change, or empty).
pub async fn page(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<SegmentsQuery>,
) -> Response {
    if let Err(r) = v.may(Permission::Campaigns) {
        return r;
    }
    let held = match q.edit.as_deref().map(str::trim) {
        Some(id) if !id.is_empty() => state.store.segment(id).await,
        _ => Ok(None),
    };
    let f = match held {
        Ok(Some(s)) => SegmentForm::of(&s),
        Ok(None) => SegmentForm {
            id: q.edit.unwrap_or_default(),
            ..SegmentForm::default()
        },
        Err(e) => return v.error(e.into()),
    };
    show(&state, &v, &f, None, StatusCode::OK).await
}

/// `POST /console/segments`: saves the segment and shows its members, or shows the form
/// as entered with what was wrong (nothing changed).
pub async fn save(
    State(state): State<AppState>,
    v: Viewer,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(r) = v.may(Permission::Campaigns) {
        return r;
    }
    let f = SegmentForm::from_pairs(&pairs);
    let segment = match f.segment(v.lang, state.currency) {
        Ok(s) => s,
        Err(m) => return show(&state, &v, &f, Some(m), StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let id = f.id.trim();
    match put_segment_as(&state, &v.who, id, &segment).await {
        Ok(saved) => {
            Redirect::to(&format!("/console/segments/{}?saved=1", enc(&saved.id))).into_response()
        }
        Err(e) if e.status().is_client_error() && e.status() != StatusCode::FORBIDDEN => {
            show(&state, &v, &f, Some(e.message().to_string()), e.status()).await
        }
        Err(e) => v.error(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_form_shows_the_segment_it_stores() {
        let f = SegmentForm::from_pairs(&pairs(&[
            ("id", "best"),
            ("name", "Best"),
            ("segment", "champions"),
            ("segment", "loyal"),
            ("r_min", "3"),
            ("m_max", "4"),
            ("slipping", "no"),
            ("tiers", "gold, silver"),
            ("home_stores", "S001 S002"),
            ("min_spend", "100.50"),
            ("consent", "on"),
        ]));
        let s = f.segment(Lang::En, Currency::CNY).unwrap();
        let d = &s.definition;
        assert_eq!(d.segments, vec![Segment::Champions, Segment::Loyal]);
        assert_eq!(d.r, Some(ScoreRange { min: 3, max: 5 }));
        assert_eq!((d.f, d.m), (None, Some(ScoreRange { min: 1, max: 4 })));
        assert_eq!(d.slipping, Some(false));
        assert_eq!(d.tiers, vec!["gold", "silver"]);
        assert_eq!(d.home_stores, vec!["S001", "S002"]);
        assert_eq!(d.min_spend, Some(10050));
        assert!(d.consent_marketing);
        let saved = SavedSegment {
            id: "best".into(),
            name: s.name.clone(),
            definition: d.clone(),
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        };
        let again = SegmentForm::of(&saved).segment(Lang::En, Currency::CNY);
        assert_eq!(again, Ok(s));
    }

    #[test]
    fn a_form_that_is_not_one_is_refused_with_its_field() {
        let said = SegmentForm::from_pairs(&pairs(&[("id", "x"), ("r_min", "high")]))
            .segment(Lang::Zh, Currency::CNY)
            .unwrap_err();
        assert!(said.contains("high") && said.contains("最近"), "{said}");
        let said = SegmentForm::from_pairs(&pairs(&[("min_spend", "1,5")]))
            .segment(Lang::En, Currency::CNY)
            .unwrap_err();
        assert!(said.contains("not an amount"), "{said}");
    }
}
