//! Promotions: the chain's promotions with their kind, window and products, and a form to
//! add or change one. A change goes through the same function as
//! `PUT /v1/admin/promotions` ([`put_promotions_as`]: [`Promotion::validate`], products
//! HQ's catalogue holds, the same audit entry with the promotion before and after). The
//! page asks the same two checks first only to say what is wrong in the viewer's language.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc, Weekday};
use maud::{Markup, html};
use serde::Deserialize;

use super::i18n::{Lang, T};
use super::layout::{self, Nav, csrf};
use super::members::enc;
use super::{Viewer, money};
use crate::domain::gs1::Gtin;
use crate::domain::money::{format_scaled, parse_scaled};
use crate::domain::promotion::{Promotion, PromotionError, PromotionKind as K, Target};
use crate::hq::api::AppState;
use crate::hq::api::staff::put_promotions_as;
use crate::hq::staff::Permission;

/// What the promotions page is asked for: the promotion to change, and whether a change
/// was just saved.
#[derive(Deserialize)]
pub struct PromotionsQuery {
    edit: Option<String>,
    saved: Option<String>,
}

/// The kinds the form offers: the form's value and the label.
const KINDS: [(&str, T); 6] = [
    ("percent_off", T::PromoPercentOff),
    ("amount_off", T::PromoAmountOff),
    ("member_price", T::PromoMemberPrice),
    ("buy_x_get_y", T::PromoBuyGet),
    ("mix_and_match", T::PromoMix),
    ("bundle", T::PromoBundle),
];

const DAYS: [(Weekday, T); 7] = [
    (Weekday::Mon, T::Mon),
    (Weekday::Tue, T::Tue),
    (Weekday::Wed, T::Wed),
    (Weekday::Thu, T::Thu),
    (Weekday::Fri, T::Fri),
    (Weekday::Sat, T::Sat),
    (Weekday::Sun, T::Sun),
];

fn kind_name(k: &K) -> &'static str {
    match k {
        K::PercentOff { .. } => "percent_off",
        K::AmountOff { .. } => "amount_off",
        K::MemberPrice { .. } => "member_price",
        K::BuyXGetY { .. } => "buy_x_get_y",
        K::MixAndMatch { .. } => "mix_and_match",
        K::Bundle { .. } => "bundle",
    }
}

/// Why a promotion was refused, in the viewer's language.
fn reason(lang: Lang, e: &PromotionError) -> String {
    let (id, why) = match e {
        PromotionError::EmptyWindow(id) => (id, T::ErrWindow),
        PromotionError::BadHours(id) => (id, T::ErrHours),
        PromotionError::BadPercent(id) => (id, T::ErrPercent),
        PromotionError::NegativeAmount(id) => (id, T::ErrNegative),
        PromotionError::BadBuyGet(id) => (id, T::ErrBuyGet),
        PromotionError::BadCount(id) => (id, T::ErrCount),
        PromotionError::BadBundle(id) => (id, T::ErrBundle),
    };
    format!("{id}: {}", lang.t(why))
}

/// A basis-point share as a percentage (`1250` is `12.5`).
fn percent(bp: u32) -> String {
    let text = format_scaled(i64::from(bp), 2);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The promotion form's fields, as entered. Days are one checkbox each (a form's
/// repeated names do not make a list here).
#[derive(Deserialize, Default)]
pub struct PromotionForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    member_only: Option<String>,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    products: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    percent: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    buy: String,
    #[serde(default)]
    get: String,
    #[serde(default)]
    count: String,
    mon: Option<String>,
    tue: Option<String>,
    wed: Option<String>,
    thu: Option<String>,
    fri: Option<String>,
    sat: Option<String>,
    sun: Option<String>,
    #[serde(default)]
    hours_from: String,
    #[serde(default)]
    hours_to: String,
    /// Kept as held: the till sets it from its store's configuration.
    #[serde(default)]
    utc_offset: String,
}

/// An instant as the form shows it (UTC, to the minute).
fn instant(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// `YYYY-MM-DD`, `YYYY-MM-DD HH:MM` (or with a `T`) in UTC, or RFC 3339.
pub fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|n| n.and_utc());
    }
    ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
        .map(|n| n.and_utc())
        .or_else(|| {
            DateTime::parse_from_rfc3339(t)
                .ok()
                .map(|d| d.with_timezone(&Utc))
        })
}

impl PromotionForm {
    fn day_boxes(&self) -> [&Option<String>; 7] {
        [
            &self.mon, &self.tue, &self.wed, &self.thu, &self.fri, &self.sat, &self.sun,
        ]
    }

    fn of(p: &Promotion) -> PromotionForm {
        let on = |d: Weekday| p.days.contains(&d).then(|| "on".to_string());
        let mut f = PromotionForm {
            id: p.id.clone(),
            name: p.name.clone(),
            start: instant(p.start),
            end: instant(p.end),
            member_only: p.member_only.then(|| "on".into()),
            kind: kind_name(&p.kind).into(),
            mon: on(Weekday::Mon),
            tue: on(Weekday::Tue),
            wed: on(Weekday::Wed),
            thu: on(Weekday::Thu),
            fri: on(Weekday::Fri),
            sat: on(Weekday::Sat),
            sun: on(Weekday::Sun),
            hours_from: p.hours.map(|h| h.0.to_string()).unwrap_or_default(),
            hours_to: p.hours.map(|h| h.1.to_string()).unwrap_or_default(),
            utc_offset: p.utc_offset_minutes.to_string(),
            ..PromotionForm::default()
        };
        let gtins = |g: &[Gtin]| g.iter().map(Gtin::to_string).collect::<Vec<_>>().join(" ");
        let target = match &p.kind {
            K::Bundle { gtins: g, .. } => Target::Gtins(g.clone()),
            K::MemberPrice { target }
            | K::PercentOff { target, .. }
            | K::AmountOff { target, .. }
            | K::BuyXGetY { target, .. }
            | K::MixAndMatch { target, .. } => target.clone(),
        };
        match target {
            Target::Any => {}
            Target::Gtins(g) => f.products = gtins(&g),
            Target::Category(c) => f.category = c,
        }
        match &p.kind {
            K::MemberPrice { .. } => {}
            K::PercentOff { basis_points, .. } => f.percent = percent(*basis_points),
            K::AmountOff { per_unit, .. } => f.amount = money(*per_unit),
            K::BuyXGetY {
                buy,
                get,
                basis_points,
                ..
            } => {
                (f.buy, f.get) = (buy.to_string(), get.to_string());
                f.percent = percent(*basis_points);
            }
            K::MixAndMatch { count, price, .. } => {
                (f.count, f.amount) = (count.to_string(), money(*price));
            }
            K::Bundle { price, .. } => f.amount = money(*price),
        }
        f
    }

    /// The promotion the form asks for. Only the form's own encoding is read here (dates,
    /// GTINs, numbers); whether the promotion makes sense is [`Promotion::validate`]'s.
    /// Amounts are in the chain currency's units with two decimals (promotions hold
    /// minor units).
    fn promotion(&self, lang: Lang) -> Result<Promotion, String> {
        let bad = |field: T, why: T, value: &str| {
            format!("{}: {} ('{}')", lang.t(field), lang.t(why), value.trim())
        };
        let required = |field: T, value: &str| {
            let v = value.trim();
            if v.is_empty() {
                Err(format!("{}: {}", lang.t(field), lang.t(T::ErrRequired)))
            } else {
                Ok(v.to_string())
            }
        };
        let when = |field: T, value: &str| {
            parse_instant(value).ok_or_else(|| bad(field, T::ErrNotDate, value))
        };
        let whole = |field: T, value: &str| -> Result<u32, String> {
            value
                .trim()
                .parse()
                .map_err(|_| bad(field, T::ErrNotNumber, value))
        };
        let amount = |value: &str| {
            parse_scaled(value.trim(), 2).map_err(|_| bad(T::Amount, T::ErrNotAmount, value))
        };
        let share = |value: &str| -> Result<u32, String> {
            let bp = parse_scaled(value.trim(), 2)
                .map_err(|_| bad(T::PercentOff, T::ErrNotAmount, value))?;
            // A negative share cannot be one: refused as validate refuses more than 100%.
            u32::try_from(bp).map_err(|_| bad(T::PercentOff, T::ErrPercent, value))
        };
        let mut gtins = Vec::new();
        for code in self
            .products
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|c| !c.is_empty())
        {
            gtins.push(Gtin::parse(code).map_err(|_| bad(T::Gtin, T::ErrNotGtin, code))?);
        }
        let category = self.category.trim();
        let target = match (gtins.is_empty(), category.is_empty()) {
            (true, true) => Target::Any,
            (false, true) => Target::Gtins(gtins.clone()),
            (true, false) => Target::Category(category.to_string()),
            (false, false) => return Err(lang.t(T::ErrBothTargets).to_string()),
        };
        let kind = match self.kind.as_str() {
            "member_price" => K::MemberPrice { target },
            "percent_off" => K::PercentOff {
                target,
                basis_points: share(&self.percent)?,
            },
            "amount_off" => K::AmountOff {
                target,
                per_unit: amount(&self.amount)?,
            },
            "buy_x_get_y" => K::BuyXGetY {
                target,
                buy: whole(T::Buy, &self.buy)?,
                get: whole(T::Get, &self.get)?,
                basis_points: match self.percent.trim() {
                    "" => 10_000,
                    p => share(p)?,
                },
            },
            "mix_and_match" => K::MixAndMatch {
                target,
                count: whole(T::GroupUnits, &self.count)?,
                price: amount(&self.amount)?,
            },
            "bundle" => K::Bundle {
                gtins,
                price: amount(&self.amount)?,
            },
            other => return Err(bad(T::Kind, T::Refused, other)),
        };
        let hours = match (self.hours_from.trim(), self.hours_to.trim()) {
            ("", "") => None,
            (from, to) => Some((whole(T::HoursFrom, from)?, whole(T::HoursTo, to)?)),
        };
        let days = DAYS
            .iter()
            .zip(self.day_boxes())
            .filter(|(_, on)| on.is_some())
            .map(|((d, _), _)| *d)
            .collect();
        Ok(Promotion {
            id: required(T::PromotionId, &self.id)?,
            name: required(T::PromotionName, &self.name)?,
            start: when(T::Starts, &self.start)?,
            end: when(T::Ends, &self.end)?,
            days,
            hours,
            utc_offset_minutes: self.utc_offset.trim().parse().unwrap_or(0),
            member_only: self.member_only.is_some(),
            kind,
        })
    }
}

fn form(v: &Viewer, f: &PromotionForm) -> Markup {
    let hint = v.t(T::DateHint);
    html! {
        form.stack #promotion method="post" action="/console/promotions" {
            (csrf(v))
            input type="hidden" name="utc_offset" value=(f.utc_offset);
            label { (v.t(T::PromotionId)) input name="id" value=(f.id) required maxlength="64"; }
            label { (v.t(T::PromotionName)) input name="name" value=(f.name) required maxlength="100"; }
            label { (v.t(T::Starts)) input name="start" value=(f.start) required placeholder=(hint) maxlength="25"; }
            label { (v.t(T::Ends)) input name="end" value=(f.end) required placeholder=(hint) maxlength="25"; }
            label {
                (v.t(T::Kind))
                select name="kind" {
                    @for (value, label) in KINDS {
                        option value=(value) selected[f.kind == value] { (v.t(label)) }
                    }
                }
            }
            label { (v.t(T::PromoProducts)) input name="products" value=(f.products) maxlength="2000"; }
            label { (v.t(T::PromoCategory)) input name="category" value=(f.category) maxlength="100"; }
            label { (v.t(T::PercentOff)) input name="percent" value=(f.percent) maxlength="6" inputmode="decimal"; }
            label { (v.t(T::Amount)) input name="amount" value=(f.amount) maxlength="20" inputmode="decimal"; }
            label { (v.t(T::Buy)) input name="buy" value=(f.buy) maxlength="3" inputmode="numeric"; }
            label { (v.t(T::Get)) input name="get" value=(f.get) maxlength="3" inputmode="numeric"; }
            label { (v.t(T::GroupUnits)) input name="count" value=(f.count) maxlength="3" inputmode="numeric"; }
            fieldset.days {
                legend { (v.t(T::Days)) }
                @for ((day, label), on) in DAYS.iter().zip(f.day_boxes()) {
                    label.check {
                        input type="checkbox" name=(day.to_string().to_lowercase()) checked[on.is_some()];
                        (v.t(*label))
                    }
                }
            }
            label { (v.t(T::HoursFrom)) input name="hours_from" value=(f.hours_from) maxlength="2" inputmode="numeric"; }
            label { (v.t(T::HoursTo)) input name="hours_to" value=(f.hours_to) maxlength="2" inputmode="numeric"; }
            label.check { input type="checkbox" name="member_only" checked[f.member_only.is_some()]; (v.t(T::MemberOnly)) }
            p.muted { (v.t(T::PromotionNote)) }
            button type="submit" { (v.t(T::Save)) }
        }
    }
}

/// What a promotion gives, in a few words: `10%`, `1.00`, `2 + 1`, `3 → 10.00`.
fn terms(k: &K) -> String {
    match k {
        K::MemberPrice { .. } => String::new(),
        K::PercentOff { basis_points, .. } => format!("{}%", percent(*basis_points)),
        K::AmountOff { per_unit, .. } => money(*per_unit),
        K::BuyXGetY {
            buy,
            get,
            basis_points,
            ..
        } => format!("{buy} + {get} ({}%)", percent(*basis_points)),
        K::MixAndMatch { count, price, .. } => format!("{count} → {}", money(*price)),
        K::Bundle { price, .. } => format!("→ {}", money(*price)),
    }
}

fn products(v: &Viewer, p: &Promotion) -> Markup {
    let f = PromotionForm::of(p);
    html! {
        @if !f.products.is_empty() { (f.products) }
        @else if !f.category.is_empty() { (v.t(T::ByCategory)) ": " (f.category) }
        @else { (v.t(T::AllProducts)) }
    }
}

fn table(v: &Viewer, promotions: &[Promotion]) -> Markup {
    let label = |k: &K| {
        let name = kind_name(k);
        KINDS
            .iter()
            .find(|(value, _)| *value == name)
            .map_or("", |(_, t)| v.t(*t))
    };
    html! {
        div.scroll {
            table #promotions {
                tr {
                    th { (v.t(T::PromotionId)) } th { (v.t(T::PromotionName)) } th { (v.t(T::Kind)) }
                    th { (v.t(T::ByProduct)) } th { (v.t(T::Runs)) } th {}
                }
                @for p in promotions {
                    tr {
                        td.nowrap { (p.id) }
                        td {
                            (p.name)
                            @if p.member_only { " " span.badge { (v.t(T::MemberOnly)) } }
                        }
                        td { (label(&p.kind)) " " (terms(&p.kind)) }
                        td { (products(v, p)) }
                        td.nowrap { (instant(p.start)) br; (instant(p.end)) }
                        td { a href=(format!("/console/promotions?edit={}", enc(&p.id))) { (v.t(T::Change)) } }
                    }
                }
            }
        }
    }
}

async fn show(
    state: &AppState,
    v: &Viewer,
    entered: PromotionForm,
    message: Option<(bool, String)>,
    status: StatusCode,
) -> Response {
    // A chain runs tens, not thousands, of promotions at a time: all are listed.
    let promotions = match state.store.promotions().await {
        Ok(p) => p,
        Err(e) => return v.error(e.into()),
    };
    let body = html! {
        @if let Some((ok, m)) = &message {
            div class=(if *ok { "notice" } else { "notice error" }) role="status" { (m) }
        }
        @if promotions.is_empty() {
            p { (v.t(T::NoneYet)) }
        } @else {
            (table(v, &promotions))
        }
        section.card {
            h2 { (v.t(T::EditPromotion)) }
            (form(v, &entered))
        }
    };
    (
        status,
        layout::page(v, T::Promotions, Nav::Promotions, body),
    )
        .into_response()
}

/// `GET /console/promotions?edit=`: the promotions and the form (filled with the one to
/// change).
pub async fn page(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<PromotionsQuery>,
) -> Response {
    if let Err(r) = v.may(Permission::Catalogue) {
        return r;
    }
    let held = match q.edit.as_deref() {
        Some(id) => state.store.promotion(id).await,
        None => Ok(None),
    };
    let f = match held {
        Ok(Some(p)) => PromotionForm::of(&p),
        Ok(None) => PromotionForm {
            kind: KINDS[0].0.into(),
            utc_offset: "0".into(),
            ..PromotionForm::default()
        },
        Err(e) => return v.error(e.into()),
    };
    let message = q.saved.map(|_| (true, v.t(T::PromotionSaved).to_string()));
    show(&state, &v, f, message, StatusCode::OK).await
}

/// `POST /console/promotions`: adds or replaces one promotion and lists them again, or
/// shows the form as entered with what was wrong (nothing changed).
pub async fn save(
    State(state): State<AppState>,
    v: Viewer,
    Form(f): Form<PromotionForm>,
) -> Response {
    if let Err(r) = v.may(Permission::Catalogue) {
        return r;
    }
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let promotion = match f.promotion(v.lang) {
        Ok(p) => p,
        Err(m) => return show(&state, &v, f, Some((false, m)), unprocessable).await,
    };
    // The checks put_promotions_as makes, asked first to say what is wrong in the
    // viewer's language.
    if let Err(e) = promotion.validate() {
        let m = reason(v.lang, &e);
        return show(&state, &v, f, Some((false, m)), unprocessable).await;
    }
    let one = std::slice::from_ref(&promotion);
    match state.store.unknown_products(one).await {
        Ok(unknown) if !unknown.is_empty() => {
            let gtins: Vec<String> = unknown.iter().map(|(_, g)| g.to_string()).collect();
            let m = format!(
                "{}: {} ({})",
                promotion.id,
                v.t(T::ErrUnknownProduct),
                gtins.join(", ")
            );
            return show(&state, &v, f, Some((false, m)), unprocessable).await;
        }
        Ok(_) => {}
        Err(e) => return v.error(e.into()),
    }
    match put_promotions_as(&state, &v.who, one).await {
        Ok(_) => Redirect::to(&format!(
            "/console/promotions?edit={}&saved=1",
            enc(&promotion.id)
        ))
        .into_response(),
        Err(e) if e.status() == unprocessable => {
            let m = e.message().to_string();
            show(&state, &v, f, Some((false, m)), e.status()).await
        }
        Err(e) => v.error(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn promo(kind: K) -> Promotion {
        let mut p = Promotion::new(
            "P1",
            "牛奶九折",
            Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2027, 1, 1, 8, 30, 0).unwrap(),
            kind,
        );
        p.days = vec![Weekday::Sat, Weekday::Sun];
        p.hours = Some((17, 19));
        p.member_only = true;
        p
    }

    #[test]
    fn the_form_shows_each_kind_of_promotion_it_stores() {
        let milk = Gtin::parse("6904000000111").unwrap();
        let water = Gtin::parse("6901234567892").unwrap();
        for kind in [
            K::PercentOff {
                target: Target::Gtins(vec![milk]),
                basis_points: 1250,
            },
            K::AmountOff {
                target: Target::Category("Milk".into()),
                per_unit: 100,
            },
            K::MemberPrice {
                target: Target::Any,
            },
            K::BuyXGetY {
                target: Target::Any,
                buy: 2,
                get: 1,
                basis_points: 10_000,
            },
            K::MixAndMatch {
                target: Target::Gtins(vec![milk, water]),
                count: 3,
                price: 1000,
            },
            K::Bundle {
                gtins: vec![milk, water],
                price: 5500,
            },
        ] {
            let p = promo(kind);
            assert_eq!(PromotionForm::of(&p).promotion(Lang::En), Ok(p));
        }
    }

    #[test]
    fn a_form_that_is_not_one_is_refused_with_its_field_in_the_viewer_language() {
        let p = promo(K::AmountOff {
            target: Target::Any,
            per_unit: 100,
        });
        let bad = |change: fn(&mut PromotionForm)| {
            let mut f = PromotionForm::of(&p);
            change(&mut f);
            f.promotion(Lang::Zh)
        };
        assert!(
            bad(|f| f.start = "tomorrow".into())
                .unwrap_err()
                .contains("开始时间")
        );
        assert!(
            bad(|f| f.products = "6904000000112".into())
                .unwrap_err()
                .contains("商品条码")
        );
        assert!(bad(|f| f.category = "Milk".into()).is_ok());
        let both = bad(|f| {
            f.category = "Milk".into();
            f.products = "6904000000111".into();
        });
        assert!(both.unwrap_err().contains("品类"));
        // What validate refuses passes the form, and is said in the viewer's language.
        let negative = bad(|f| f.amount = "-1.00".into()).unwrap();
        let said = reason(Lang::Zh, &negative.validate().unwrap_err());
        assert_eq!(said, "P1: 金额和价格不能为负数");
        let backwards = bad(|f| f.end = "2026-11-30".into()).unwrap();
        assert!(matches!(
            backwards.validate(),
            Err(PromotionError::EmptyWindow(_))
        ));
    }
}
