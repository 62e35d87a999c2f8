//! One saved segment: its members as of a day (the first [`SHOWN`] on the page, all of
//! them in its CSV, the same as `GET /v1/segments/{id}/members` with `text/csv`), the
//! coupon issues made to it with their counts, and a form to issue a campaign's coupon to
//! its members, through the same function as `POST /v1/segments/{id}/coupons`
//! ([`segment_coupons_as`]: signed coupons, members who consented to marketing only, one
//! per member and campaign, audited). An HQ without its coupon-signing key says so.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use maud::{Markup, html};
use serde::Deserialize;

use super::i18n::{Lang, T};
use super::layout::{self, Nav, csrf};
use super::members::enc;
use super::promotions::parse_instant;
use super::segments::{rfm_label, summary};
use super::{Viewer, money};
use crate::domain::gs1::Gtin;
use crate::domain::money::{Currency, Money, parse_scaled};
use crate::hq::api::AppState;
use crate::hq::api::value::{CampaignsQuery, campaigns_as, segment_coupons_as, segment_members_as};
use crate::hq::member_value::segments::{CampaignRequest, SegmentMembers, members_csv};
use crate::hq::staff::Permission;

/// How many members the page lists (the CSV has them all).
pub const SHOWN: usize = 200;

/// What a segment's page is asked for: the day, and what was just done.
#[derive(Deserialize, Default)]
pub struct MembersQuery {
    as_of: Option<String>,
    saved: Option<String>,
    campaign: Option<String>,
    issued: Option<i64>,
    already: Option<i64>,
    without: Option<i64>,
}

impl MembersQuery {
    fn as_of(&self) -> Option<&str> {
        self.as_of
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
    }
}

/// The coupon form's fields, as entered.
#[derive(Deserialize, Default, Clone)]
pub struct CouponForm {
    #[serde(default)]
    as_of: String,
    #[serde(default)]
    campaign_id: String,
    #[serde(default)]
    title: String,
    /// `amount` or `percent`.
    #[serde(default)]
    kind: String,
    #[serde(default)]
    value: String,
    /// `basket`, `product` or `category`.
    #[serde(default)]
    target: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    min_spend: String,
    #[serde(default)]
    max_discount: String,
    #[serde(default)]
    valid_from: String,
    #[serde(default)]
    valid_until: String,
    #[serde(default)]
    funded_by: String,
}

impl CouponForm {
    /// A new issue: amount off the basket, from today for thirty days.
    fn blank() -> CouponForm {
        let today = Utc::now().date_naive();
        CouponForm {
            kind: "amount".into(),
            target: "basket".into(),
            valid_from: today.to_string(),
            valid_until: (today + Duration::days(30)).to_string(),
            ..CouponForm::default()
        }
    }

    /// The issue the form asks for. Only the form's own encoding is read here (amounts, a
    /// percentage, a GTIN, days); what an issue may be is checked where the API checks it.
    fn request(&self, lang: Lang, currency: Currency) -> Result<CampaignRequest, String> {
        let bad = |field: T, why: T, value: &str| {
            format!("{}: {} ('{}')", lang.t(field), lang.t(why), value.trim())
        };
        let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let amount = |field: T, s: &str| {
            Money::parse(s.trim(), currency)
                .map(|m| m.minor())
                .map_err(|_| bad(field, T::ErrNotAmount, s))
        };
        let (amount_off, percent_off_bp) = match self.kind.as_str() {
            "percent" => {
                let bp = parse_scaled(self.value.trim(), 2)
                    .ok()
                    .and_then(|p| u32::try_from(p).ok())
                    .ok_or_else(|| bad(T::PercentOff, T::ErrNotAmount, &self.value))?;
                (None, Some(bp))
            }
            _ => (Some(amount(T::AmountOff, &self.value)?), None),
        };
        let (product, category) = match self.target.as_str() {
            "product" => {
                let g = Gtin::parse(self.product.trim())
                    .map_err(|_| bad(T::Gtin, T::ErrNotGtin, &self.product))?;
                (Some(g.to_string()), None)
            }
            "category" => {
                let c = text(&self.category).ok_or_else(|| {
                    format!("{}: {}", lang.t(T::ByCategory), lang.t(T::ErrRequired))
                })?;
                (None, Some(c))
            }
            _ => (None, None),
        };
        let day = |field: T, s: &str| parse_instant(s).ok_or_else(|| bad(field, T::ErrNotDate, s));
        Ok(CampaignRequest {
            campaign_id: self.campaign_id.trim().to_string(),
            title: self.title.trim().to_string(),
            amount_off,
            percent_off_bp,
            product,
            category,
            min_spend: match text(&self.min_spend) {
                Some(m) => amount(T::MinSpend, &m)?,
                None => 0,
            },
            max_discount: text(&self.max_discount)
                .map(|m| amount(T::MaxDiscount, &m))
                .transpose()?,
            valid_from: day(T::ValidFrom, &self.valid_from)?,
            valid_until: day(T::ValidUntil, &self.valid_until)?,
            funded_by: text(&self.funded_by),
        })
    }
}

fn coupon_form(v: &Viewer, id: &str, f: &CouponForm) -> Markup {
    html! {
        form.stack.wide #coupon method="post" action=(format!("/console/segments/{}/coupons", enc(id))) {
            (csrf(v))
            input type="hidden" name="as_of" value=(f.as_of);
            label { (v.t(T::CampaignId)) input name="campaign_id" value=(f.campaign_id) required maxlength="40"; }
            label { (v.t(T::CouponTitle)) input name="title" value=(f.title) required maxlength="200"; }
            label {
                (v.t(T::Kind))
                select name="kind" {
                    option value="amount" selected[f.kind != "percent"] { (v.t(T::AmountOff)) }
                    option value="percent" selected[f.kind == "percent"] { (v.t(T::PercentOff)) }
                }
            }
            label { (v.t(T::OfferValue)) input name="value" value=(f.value) required maxlength="20" inputmode="decimal"; }
            label {
                (v.t(T::Target))
                select name="target" {
                    option value="basket" selected[f.target != "product" && f.target != "category"] { (v.t(T::WholeBasket)) }
                    option value="product" selected[f.target == "product"] { (v.t(T::ByProduct)) }
                    option value="category" selected[f.target == "category"] { (v.t(T::ByCategory)) }
                }
            }
            label { (v.t(T::Gtin)) input name="product" value=(f.product) maxlength="14" inputmode="numeric"; }
            label { (v.t(T::ByCategory)) input name="category" value=(f.category) maxlength="100"; }
            label { (v.t(T::MinSpend)) input name="min_spend" value=(f.min_spend) maxlength="20" inputmode="decimal"; }
            label { (v.t(T::MaxDiscount)) input name="max_discount" value=(f.max_discount) maxlength="20" inputmode="decimal"; }
            label { (v.t(T::ValidFrom)) input name="valid_from" value=(f.valid_from) required maxlength="25" placeholder=(v.t(T::DateHint)); }
            label { (v.t(T::ValidUntil)) input name="valid_until" value=(f.valid_until) required maxlength="25" placeholder=(v.t(T::DateHint)); }
            label { (v.t(T::FundedByField)) input name="funded_by" value=(f.funded_by) maxlength="100"; }
            p.muted { (v.t(T::CouponNote)) }
            button type="submit" { (v.t(T::IssueCoupons)) }
        }
    }
}

fn members_table(v: &Viewer, m: &SegmentMembers) -> Markup {
    let opt = |s: Option<u8>| s.map(|s| s.to_string()).unwrap_or_default();
    html! {
        div.scroll {
            table.wrap #members {
                tr {
                    th { (v.t(T::Member)) } th { (v.t(T::Tier)) }
                    th { (v.t(T::HomeStore)) } th { (v.t(T::MarketingConsent)) }
                    th { (v.t(T::RfmSegment)) br; span.muted { (v.t(T::RfmScores)) } }
                    th.num { (v.t(T::DaysSince)) } th.num { (v.t(T::Purchases)) } th.num { (v.t(T::Net)) }
                }
                @for x in m.members.iter().take(SHOWN) {
                    tr {
                        td {
                            a href=(format!("/console/members/{}", enc(&x.member_id))) { (x.member_id) }
                            br; (x.name)
                        }
                        td { (x.tier) }
                        td { (x.home_store.as_deref().unwrap_or("")) }
                        td { (v.t(if x.consent_marketing { T::Yes } else { T::No })) }
                        td {
                            @if let Some(s) = x.segment {
                                (v.t(rfm_label(s))) br;
                                span.muted { (opt(x.r)) " / " (opt(x.f)) " / " (opt(x.m)) }
                            }
                        }
                        td.num { (x.recency_days.map(|d| d.to_string()).unwrap_or_default()) }
                        td.num { (x.frequency) }
                        td.num { (money(x.monetary)) }
                    }
                }
            }
        }
    }
}

/// The page of segment `id` (`message`: what went wrong, with the coupon form as entered).
async fn show(
    state: &AppState,
    v: &Viewer,
    id: &str,
    q: &MembersQuery,
    coupon: CouponForm,
    message: Option<String>,
    status: StatusCode,
) -> Response {
    let Some(segment) = (match state.store.segment(id).await {
        Ok(s) => s,
        Err(e) => return v.error(e.into()),
    }) else {
        let e = segment_members_as(state, &v.who, id, q.as_of()).await.err();
        return match e {
            Some(e) => v.error(e),
            None => v.refusal(StatusCode::NOT_FOUND, id),
        };
    };
    let members = match segment_members_as(state, &v.who, id, q.as_of()).await {
        Ok(m) => m,
        Err(e) => return v.error(e),
    };
    let issues = match campaigns_as(state, &v.who, &CampaignsQuery { period: None }).await {
        Ok(r) => r.coupon_issues,
        Err(e) => return v.error(e),
    };
    let issues: Vec<_> = issues
        .into_iter()
        .filter(|i| i.segment_id.as_deref() == Some(id))
        .collect();
    let day = members.as_of.to_string();
    let coupon = CouponForm {
        as_of: day.clone(),
        ..coupon
    };
    let csv = format!("/console/segments/{}/members.csv?as_of={day}", enc(id));
    let shown = SHOWN.min(members.members.len());
    let body = html! {
        p { a href="/console/segments" { (v.t(T::Segments)) } " · " a href="/console/deals" { (v.t(T::DealsBudgets)) } }
        h2 #name { (segment.name) " " span.muted { (segment.id) } }
        p #criteria { @for line in summary(v, &segment.definition) { span.badge { (line) } " " } }
        @if q.saved.is_some() { div.notice role="status" { (v.t(T::SegmentSaved)) } }
        @if let (Some(c), Some(n)) = (&q.campaign, q.issued) {
            div.notice #issued role="status" {
                (c) ": " (v.t(T::CouponsIssued)) " " strong { (n) }
                " · " (v.t(T::AlreadyIssued)) " " (q.already.unwrap_or(0))
                " · " (v.t(T::WithoutConsent)) " " (q.without.unwrap_or(0))
            }
        }
        @if let Some(m) = &message { div.notice.error role="status" { (m) } }
        form.inline #day method="get" action=(format!("/console/segments/{}", enc(id))) {
            label { (v.t(T::ScoresOf)) input type="date" name="as_of" value=(day); }
            button type="submit" { (v.t(T::Show)) }
            a.button #csv href=(csv) download { (v.t(T::DownloadCsv)) }
            a href=(format!("/console/segments?edit={}", enc(id))) { (v.t(T::Change)) }
        }
        p #count {
            (v.t(T::MembersInSegment)) " " strong { (members.members.len()) }
            @if shown < members.members.len() { " · " (v.t(T::FirstShown)) " " (shown) }
        }
        @if members.members.is_empty() { p { (v.t(T::NoneFound)) } } @else { (members_table(v, &members)) }
        h2 { (v.t(T::CouponIssues)) }
        @if issues.is_empty() {
            p { (v.t(T::NoneYet)) }
        } @else {
            div.scroll {
                table #issues {
                    tr {
                        th { (v.t(T::Campaign)) } th.num { (v.t(T::Issued)) } th.num { (v.t(T::Redeemed)) }
                        th.num { (v.t(T::Cost)) }
                    }
                    @for i in &issues {
                        tr {
                            td {
                                (i.campaign_id.as_deref().unwrap_or(""))
                                @if let Some(t) = &i.title { br; span.muted { (t) } }
                            }
                            td.num { (i.results.issued) }
                            td.num { (i.results.redeemed) }
                            td.num { (money(i.results.cost)) }
                        }
                    }
                }
            }
        }
        section.card {
            h2 { (v.t(T::IssueCouponsTitle)) }
            @if state.signs_coupons() {
                (coupon_form(v, id, &coupon))
            } @else {
                div.notice.error #nokey role="status" { (v.t(T::NoSigningKey)) }
            }
        }
    };
    (status, layout::page(v, T::Segment, Nav::Segments, body)).into_response()
}

/// `GET /console/segments/{id}?as_of=`: the segment's members as of a day (yesterday by
/// default), its coupon issues and the coupon form.
pub async fn page(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Query(q): Query<MembersQuery>,
) -> Response {
    if let Err(r) = v.may(Permission::Campaigns) {
        return r;
    }
    show(
        &state,
        &v,
        &id,
        &q,
        CouponForm::blank(),
        None,
        StatusCode::OK,
    )
    .await
}

/// `GET /console/segments/{id}/members.csv?as_of=`: every member, as the API's CSV.
pub async fn csv(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Query(q): Query<MembersQuery>,
) -> Response {
    if let Err(r) = v.may(Permission::Campaigns) {
        return r;
    }
    let members = match segment_members_as(&state, &v.who, &id, q.as_of()).await {
        Ok(m) => m,
        Err(e) => return v.error(e),
    };
    match members_csv(&members.members) {
        Ok(text) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"segment-{}-{}.csv\"",
                        members.segment_id, members.as_of
                    ),
                ),
            ],
            text,
        )
            .into_response(),
        Err(e) => v.error(e.into()),
    }
}

/// `POST /console/segments/{id}/coupons`: issues the campaign's coupon and shows the
/// segment with the counts, or shows the form as entered with what was wrong (nothing
/// issued).
pub async fn issue(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(f): Form<CouponForm>,
) -> Response {
    if let Err(r) = v.may(Permission::Campaigns) {
        return r;
    }
    let q = MembersQuery {
        as_of: Some(f.as_of.clone()),
        ..MembersQuery::default()
    };
    let refused = |m: String, status: StatusCode| {
        let (state, v, id, q, f) = (&state, &v, &id, &q, f.clone());
        async move { show(state, v, id, q, f, Some(m), status).await }
    };
    let request = match f.request(v.lang, state.currency) {
        Ok(r) => r,
        Err(m) => return refused(m, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    match segment_coupons_as(&state, &v.who, &id, q.as_of(), &request).await {
        Ok(issue) => Redirect::to(&format!(
            "/console/segments/{}?as_of={}&campaign={}&issued={}&already={}&without={}",
            enc(&id),
            issue.as_of,
            enc(&issue.campaign_id),
            issue.issued,
            issue.already_issued,
            issue.without_consent
        ))
        .into_response(),
        Err(e) if e.status() == StatusCode::SERVICE_UNAVAILABLE && !state.signs_coupons() => {
            refused(v.t(T::NoSigningKey).to_string(), e.status()).await
        }
        Err(e) if e.status() == StatusCode::NOT_FOUND || e.status() == StatusCode::FORBIDDEN => {
            v.error(e)
        }
        Err(e) if e.status().is_client_error() => {
            refused(e.message().to_string(), e.status()).await
        }
        Err(e) => v.error(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_coupon_form_makes_the_api_request() {
        let f = CouponForm {
            campaign_id: "C1".into(),
            title: "1.50 off".into(),
            kind: "amount".into(),
            value: "1.50".into(),
            target: "category".into(),
            category: "Tea".into(),
            min_spend: "10".into(),
            valid_from: "2026-01-01".into(),
            valid_until: "2026-02-01 12:00".into(),
            ..CouponForm::default()
        };
        let r = f.request(Lang::En, Currency::CNY).unwrap();
        assert_eq!((r.amount_off, r.percent_off_bp), (Some(150), None));
        assert_eq!((r.product, r.category.as_deref()), (None, Some("Tea")));
        assert_eq!(r.min_spend, 1000);
        assert_eq!(r.valid_until.to_rfc3339(), "2026-02-01T12:00:00+00:00");
        let pct = CouponForm {
            kind: "percent".into(),
            value: "12.5".into(),
            target: "basket".into(),
            ..f.clone()
        };
        let r = pct.request(Lang::En, Currency::CNY).unwrap();
        assert_eq!((r.amount_off, r.percent_off_bp), (None, Some(1250)));
        let said = CouponForm {
            valid_until: "soon".into(),
            ..f
        }
        .request(Lang::Zh, Currency::CNY)
        .unwrap_err();
        assert!(said.contains("soon") && said.contains("日期"), "{said}");
    }
}
