//! Store prices: a store's own shelf prices beside the chain's, a page of products at a
//! time, and a form to set one or to go back to the chain's price. A change goes through
//! the same function as `PUT /v1/admin/prices/{store}` ([`put_prices_as`]: the same
//! checks, the same audit entry with the price before and after). A store manager sees
//! and changes only their own stores: another store answers 403, page and form alike.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::Viewer;
use super::catalogue::{PAGE, pager, search_box};
use super::i18n::T;
use super::layout::{self, Nav, csrf};
use super::members::enc;
use super::settings::{StoreQuery, page_store_for, picker, viewer_stores};
use crate::domain::money::{format_scaled, minor_digits};
use crate::domain::product::Product;
use crate::hq::api::AppState;
use crate::hq::api::staff::put_prices_as;
use crate::hq::catalogue::ProductPage;
use crate::hq::prices::StorePrice;
use crate::hq::staff::Permission;

/// What the prices page is asked for: the store, a search, the page after a GTIN, the
/// product whose price to change, and whether a change was just saved.
#[derive(Deserialize, Default)]
pub struct PricesQuery {
    store: Option<String>,
    #[serde(default)]
    q: String,
    after: Option<String>,
    gtin: Option<String>,
    saved: Option<String>,
}

/// The price form's fields, as entered: an empty price (or the clear button) goes back
/// to the chain's price.
#[derive(Deserialize, Default)]
pub struct PriceForm {
    #[serde(default)]
    store: String,
    #[serde(default)]
    gtin: String,
    #[serde(default)]
    price: String,
    clear: Option<String>,
}

impl PriceForm {
    /// The store price the form asks for (its meaning is checked where the API checks it).
    fn price(&self) -> StorePrice {
        let price = self.price.trim();
        StorePrice {
            gtin: self.gtin.trim().to_string(),
            price: (self.clear.is_none() && !price.is_empty()).then(|| price.to_string()),
        }
    }
}

fn form(v: &Viewer, store: &str, f: &PriceForm) -> Markup {
    html! {
        form.stack #price method="post" action="/console/prices" {
            (csrf(v))
            input type="hidden" name="store" value=(store);
            label { (v.t(T::Gtin)) input name="gtin" value=(f.gtin) required maxlength="14" inputmode="numeric"; }
            label { (v.t(T::OwnPrice)) input name="price" value=(f.price) maxlength="20" inputmode="decimal"; }
            p.muted { (v.t(T::PriceNote)) }
            div.buttons {
                button type="submit" { (v.t(T::Save)) }
                " "
                button.secondary type="submit" name="clear" value="1" { (v.t(T::BackToChain)) }
            }
        }
    }
}

/// A price in its product's currency, as the form takes it back.
fn decimal(p: &Product, minor: i64) -> String {
    format_scaled(minor, minor_digits(p.price.currency()))
}

fn table(v: &Viewer, store: &str, q: &str, page: &ProductPage, own: &HashMap<u64, i64>) -> Markup {
    html! {
        div.scroll {
            table #prices {
                tr {
                    th { (v.t(T::Gtin)) } th { (v.t(T::ProductName)) }
                    th.num { (v.t(T::ChainPrice)) } th.num { (v.t(T::StorePrice)) } th {}
                }
                @for p in &page.products {
                    tr {
                        td.nowrap { (p.gtin) }
                        td { (p.name) }
                        td.num { (p.price.to_decimal_string()) }
                        td.num.own {
                            @match own.get(&p.gtin.value()) {
                                Some(minor) => { strong { (decimal(p, *minor)) } }
                                None => { span.muted { "—" } }
                            }
                        }
                        td { a href=(format!("/console/prices?store={}&q={}&gtin={}", enc(store), enc(q), p.gtin)) { (v.t(T::Change)) } }
                    }
                }
            }
        }
    }
}

async fn show(
    state: &AppState,
    v: &Viewer,
    store: Option<String>,
    q: &PricesQuery,
    entered: Option<PriceForm>,
    message: Option<(bool, String)>,
    status: StatusCode,
) -> Response {
    let stores = match viewer_stores(state, v).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(store) = store else {
        let body = html! { p { (v.t(T::NoStores)) } };
        return layout::page(v, T::StorePrices, Nav::Prices, body).into_response();
    };
    let after = q.after.as_deref().and_then(|a| a.parse().ok()).unwrap_or(0);
    let page = match state.store.product_page(&q.q, after, PAGE).await {
        Ok(p) => p,
        Err(e) => return v.error(e.into()),
    };
    let own = match (page.products.first(), page.products.last()) {
        (Some(first), Some(last)) => state
            .store
            .own_prices_between(&store, first.gtin, last.gtin)
            .await
            .map_err(|e| v.error(e.into())),
        _ => Ok(HashMap::new()),
    };
    let own = match own {
        Ok(o) => o,
        Err(r) => return r,
    };
    // The form: as entered, else the product asked for with its store price, if any.
    let f = entered.unwrap_or_else(|| {
        let gtin = q.gtin.clone().unwrap_or_default();
        let held = page
            .products
            .iter()
            .find(|p| p.gtin.to_string() == gtin.trim())
            .and_then(|p| own.get(&p.gtin.value()).map(|m| decimal(p, *m)));
        PriceForm {
            gtin,
            price: held.unwrap_or_default(),
            ..PriceForm::default()
        }
    });
    let base = format!(
        "/console/prices?store={}&q={}",
        enc(&store),
        enc(q.q.trim())
    );
    let body = html! {
        (picker(v, "/console/prices", &stores, &store))
        @if let Some((ok, m)) = &message {
            div class=(if *ok { "notice" } else { "notice error" }) role="status" { (m) }
        }
        (search_box(v, "/console/prices", &[("store", &store)], &q.q))
        @if page.products.is_empty() {
            p { (v.t(T::NoneFound)) }
        } @else {
            (table(v, &store, &q.q, &page, &own))
        }
        (pager(v, &base, &page, after))
        section.card {
            h2 { (v.t(T::SetPrice)) " · " (store) }
            (form(v, &store, &f))
        }
    };
    (status, layout::page(v, T::StorePrices, Nav::Prices, body)).into_response()
}

/// `GET /console/prices?store=&q=&after=&gtin=`: a store's prices beside the chain's and
/// the form to set one.
pub async fn page(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<PricesQuery>,
) -> Response {
    let asked = StoreQuery {
        store: q.store.clone(),
        saved: None,
    };
    let store = match page_store_for(&state, &v, &asked, Permission::Prices).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let message = q
        .saved
        .as_ref()
        .map(|_| (true, v.t(T::PriceSaved).to_string()));
    show(&state, &v, store, &q, None, message, StatusCode::OK).await
}

/// `POST /console/prices`: sets or clears one store price and shows the product again, or
/// shows the form as entered with what was wrong (nothing changed).
pub async fn save(State(state): State<AppState>, v: Viewer, Form(f): Form<PriceForm>) -> Response {
    if let Err(r) = v.may(Permission::Prices) {
        return r;
    }
    if let Err(e) = v.who.check_store(&f.store) {
        return v.refusal(StatusCode::FORBIDDEN, &e.0);
    }
    let price = f.price();
    match put_prices_as(&state, &v.who, &f.store, std::slice::from_ref(&price)).await {
        Ok(_) => Redirect::to(&format!(
            "/console/prices?store={}&q={}&gtin={}&saved=1",
            enc(&f.store),
            enc(&price.gtin),
            enc(&price.gtin)
        ))
        .into_response(),
        Err(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            let q = PricesQuery {
                q: price.gtin.clone(),
                ..PricesQuery::default()
            };
            let (store, m) = (Some(f.store.clone()), e.message().to_string());
            show(&state, &v, store, &q, Some(f), Some((false, m)), e.status()).await
        }
        Err(e) => v.error(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_price_or_the_clear_button_is_the_chain_price_again() {
        let f = |price: &str, clear: bool| PriceForm {
            store: "S001".into(),
            gtin: " 6901234567892 ".into(),
            price: price.into(),
            clear: clear.then(|| "1".into()),
        };
        assert_eq!(f(" 1.50 ", false).price().price.as_deref(), Some("1.50"));
        assert_eq!(f("", false).price().price, None);
        assert_eq!(f("1.50", true).price().price, None);
        assert_eq!(f("1.50", true).price().gtin, "6901234567892");
    }

    #[test]
    fn a_price_shows_in_its_currency() {
        let p: Product = serde_json::from_value(serde_json::json!({"gtin": "6901234567892",
            "name": "水", "name_en": null, "price": {"minor": 200, "currency": "CNY"},
            "tax_rate": 1300, "department": null, "category": null, "brand_type": "unknown",
            "manufacturer": null, "member_price": null, "bonus_points": "none",
            "weighed": false, "plu": null, "restricted": false, "external_id": null}))
        .unwrap();
        assert_eq!(decimal(&p, 150), "1.50");
    }
}
