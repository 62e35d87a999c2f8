//! The chain's catalogue: products found by GTIN or name, a bounded page at a time (a
//! chain holds tens of thousands), and a form to add or change one. A change goes through
//! the same function as `PUT /v1/admin/products` ([`put_products_as`]: the same checks,
//! the same audit entry with the product before and after); the tills take it at their
//! next sync.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::Viewer;
use super::i18n::{Lang, T};
use super::layout::{self, Nav, csrf};
use super::members::enc;
use crate::domain::gs1::Gtin;
use crate::domain::money::{Money, parse_currency};
use crate::domain::product::{BonusPoints, BrandType, Product};
use crate::domain::tax::TaxRate;
use crate::hq::api::AppState;
use crate::hq::api::staff::put_products_as;
use crate::hq::catalogue::ProductPage;
use crate::hq::staff::Permission;

/// How many products a page of the list shows.
pub const PAGE: usize = 50;

/// What the catalogue page is asked for: a search, the page after a GTIN, the product to
/// change, and whether a change was just saved.
#[derive(Deserialize, Default)]
pub struct CatalogueQuery {
    #[serde(default)]
    pub q: String,
    pub after: Option<String>,
    pub edit: Option<String>,
    pub saved: Option<String>,
}

impl CatalogueQuery {
    /// The GTIN value the page starts after (0: the first page; a bad value is the first).
    pub fn after(&self) -> u64 {
        self.after
            .as_deref()
            .and_then(|a| a.trim().parse().ok())
            .unwrap_or(0)
    }
}

/// The product search box (GTIN or name), shared with the store prices page; `hidden`
/// carries the page's other parameters (the store).
pub fn search_box(v: &Viewer, action: &str, hidden: &[(&str, &str)], q: &str) -> Markup {
    html! {
        form.inline #search method="get" action=(action) {
            @for (name, value) in hidden { input type="hidden" name=(name) value=(value); }
            label {
                (v.t(T::SearchProducts))
                input type="search" name="q" value=(q) maxlength="100";
            }
            button type="submit" { (v.t(T::Search)) }
        }
    }
}

/// The links to the next page (after the last product shown) and back to the first.
pub fn pager(v: &Viewer, base: &str, page: &ProductPage, after: u64) -> Markup {
    let next = page.products.last().filter(|_| page.more);
    html! {
        p.pager {
            @if after > 0 { a href=(base) { (v.t(T::FirstPage)) } " " }
            @if let Some(last) = next {
                a #next href=(format!("{base}&after={}", last.gtin.value())) { (v.t(T::NextPage)) }
            }
        }
    }
}

/// The product form's fields, as entered.
#[derive(Deserialize, Default)]
pub struct ProductForm {
    #[serde(default)]
    gtin: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    member_price: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    tax_rate: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    brand_type: String,
    #[serde(default)]
    manufacturer: String,
    #[serde(default)]
    bonus_points: String,
    weighed: Option<String>,
    restricted: Option<String>,
    #[serde(default)]
    plu: String,
    #[serde(default)]
    external_id: String,
}

impl ProductForm {
    fn of(p: &Product) -> ProductForm {
        let text = |s: &Option<String>| s.clone().unwrap_or_default();
        ProductForm {
            gtin: p.gtin.to_string(),
            name: p.name.clone(),
            name_en: text(&p.name_en),
            price: p.price.to_decimal_string(),
            member_price: p
                .member_price
                .map(Money::to_decimal_string)
                .unwrap_or_default(),
            currency: p.price.currency().code().to_string(),
            tax_rate: p.tax_rate.percent_text(),
            department: text(&p.department),
            category: text(&p.category),
            brand_type: p.brand_type.as_str().to_string(),
            manufacturer: text(&p.manufacturer),
            bonus_points: p.bonus_points.to_string(),
            weighed: p.weighed.then(|| "on".into()),
            restricted: p.restricted.then(|| "on".into()),
            plu: p.plu.map(|n| n.to_string()).unwrap_or_default(),
            external_id: text(&p.external_id),
        }
    }

    /// The product the form asks for. Only the form's own encoding is read here (a GTIN,
    /// amounts, a rate); what the product may be is checked where the API checks it.
    fn product(&self, lang: Lang) -> Result<Product, String> {
        let bad = |field: T, why: T, value: &str| {
            format!("{}: {} ('{}')", lang.t(field), lang.t(why), value.trim())
        };
        let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let gtin =
            Gtin::parse(self.gtin.trim()).map_err(|_| bad(T::Gtin, T::ErrNotGtin, &self.gtin))?;
        let currency = parse_currency(&self.currency)
            .map_err(|_| bad(T::Currency, T::ErrNotAmount, &self.currency))?;
        let money = |field: T, s: &str| {
            Money::parse(s.trim(), currency).map_err(|_| bad(field, T::ErrNotAmount, s))
        };
        let member_price = match text(&self.member_price) {
            None => None,
            Some(m) => Some(money(T::MemberPrice, &m)?),
        };
        let plu = match text(&self.plu) {
            None => None,
            Some(n) => Some(n.parse().map_err(|_| bad(T::Plu, T::ErrNotNumber, &n))?),
        };
        Ok(Product {
            gtin,
            name: self.name.trim().to_string(),
            name_en: text(&self.name_en),
            price: money(T::Price, &self.price)?,
            tax_rate: TaxRate::parse_percent(&self.tax_rate)
                .map_err(|_| bad(T::VatRate, T::ErrNotAmount, &self.tax_rate))?,
            department: text(&self.department),
            category: text(&self.category),
            brand_type: BrandType::parse(&self.brand_type)
                .ok_or_else(|| bad(T::Brand, T::Refused, &self.brand_type))?,
            manufacturer: text(&self.manufacturer),
            member_price,
            bonus_points: BonusPoints::parse(&self.bonus_points)
                .ok_or_else(|| bad(T::BonusPoints, T::ErrNotNumber, &self.bonus_points))?,
            weighed: self.weighed.is_some(),
            plu,
            restricted: self.restricted.is_some(),
            external_id: text(&self.external_id),
        })
    }
}

const BRANDS: [(BrandType, T); 3] = [
    (BrandType::National, T::BrandNational),
    (BrandType::Store, T::BrandStore),
    (BrandType::Unknown, T::BrandUnknown),
];

fn form(v: &Viewer, f: &ProductForm) -> Markup {
    html! {
        form.stack #product method="post" action="/console/catalogue" {
            (csrf(v))
            label { (v.t(T::Gtin)) input name="gtin" value=(f.gtin) required maxlength="14" inputmode="numeric"; }
            label { (v.t(T::ProductName)) input name="name" value=(f.name) required maxlength="200"; }
            label { (v.t(T::NameEn)) input name="name_en" value=(f.name_en) maxlength="200"; }
            label { (v.t(T::Price)) input name="price" value=(f.price) required maxlength="20" inputmode="decimal"; }
            label { (v.t(T::MemberPrice)) input name="member_price" value=(f.member_price) maxlength="20" inputmode="decimal"; }
            label { (v.t(T::Currency)) input name="currency" value=(f.currency) required maxlength="3"; }
            label { (v.t(T::VatRate)) input name="tax_rate" value=(f.tax_rate) required maxlength="6" inputmode="decimal"; }
            label { (v.t(T::ByDepartment)) input name="department" value=(f.department) maxlength="100"; }
            label { (v.t(T::ByCategory)) input name="category" value=(f.category) maxlength="100"; }
            label {
                (v.t(T::Brand))
                select name="brand_type" {
                    @for (b, label) in BRANDS {
                        option value=(b.as_str()) selected[f.brand_type == b.as_str()] { (v.t(label)) }
                    }
                }
            }
            label { (v.t(T::Manufacturer)) input name="manufacturer" value=(f.manufacturer) maxlength="200"; }
            label { (v.t(T::BonusPoints)) input name="bonus_points" value=(f.bonus_points) maxlength="10"; }
            label { (v.t(T::Plu)) input name="plu" value=(f.plu) maxlength="9" inputmode="numeric"; }
            label { (v.t(T::ExternalId)) input name="external_id" value=(f.external_id) maxlength="100"; }
            label.check { input type="checkbox" name="weighed" checked[f.weighed.is_some()]; (v.t(T::Weighed)) }
            label.check { input type="checkbox" name="restricted" checked[f.restricted.is_some()]; (v.t(T::RestrictedSale)) }
            p.muted { (v.t(T::ProductNote)) }
            button type="submit" { (v.t(T::Save)) }
        }
    }
}

/// A product's flags as short badges (weighed, restricted, bonus points).
fn flags(v: &Viewer, p: &Product) -> Markup {
    html! {
        @if p.weighed { span.badge { (v.t(T::WeighedShort)) } " " }
        @if p.restricted { span.badge { (v.t(T::RestrictedShort)) } " " }
        @if p.bonus_points != BonusPoints::None { span.badge { (p.bonus_points) } }
    }
}

fn table(v: &Viewer, page: &ProductPage, q: &str) -> Markup {
    html! {
        div.scroll {
            table #products {
                tr {
                    th { (v.t(T::Gtin)) } th { (v.t(T::ProductName)) }
                    th { (v.t(T::ByDepartment)) " / " (v.t(T::ByCategory)) }
                    th.num { (v.t(T::Price)) } th.num { (v.t(T::MemberPrice)) }
                    th.num { (v.t(T::VatRate)) } th { (v.t(T::Flags)) } th {}
                }
                @for p in &page.products {
                    tr {
                        td.nowrap { (p.gtin) }
                        td { (p.name) @if let Some(en) = &p.name_en { br; span.muted { (en) } } }
                        td { (p.department.as_deref().unwrap_or("")) " / " (p.category.as_deref().unwrap_or("")) }
                        td.num { (p.price.to_decimal_string()) " " span.muted { (p.price.currency().code()) } }
                        td.num { (p.member_price.map(Money::to_decimal_string).unwrap_or_default()) }
                        td.num { (p.tax_rate) }
                        td { (flags(v, p)) }
                        td { a href=(format!("/console/catalogue?q={}&edit={}", enc(q), p.gtin)) { (v.t(T::Change)) } }
                    }
                }
            }
        }
    }
}

async fn show(
    state: &AppState,
    v: &Viewer,
    q: &CatalogueQuery,
    entered: ProductForm,
    message: Option<(bool, String)>,
    status: StatusCode,
) -> Response {
    let after = q.after();
    let page = match state.store.product_page(&q.q, after, PAGE).await {
        Ok(p) => p,
        Err(e) => return v.error(e.into()),
    };
    let base = format!("/console/catalogue?q={}", enc(q.q.trim()));
    let body = html! {
        @if let Some((ok, m)) = &message {
            div class=(if *ok { "notice" } else { "notice error" }) role="status" { (m) }
        }
        (search_box(v, "/console/catalogue", &[], &q.q))
        @if page.products.is_empty() {
            p { (v.t(T::NoneFound)) }
        } @else {
            (table(v, &page, &q.q))
        }
        (pager(v, &base, &page, after))
        section.card {
            h2 { (v.t(T::EditProduct)) }
            (form(v, &entered))
        }
    };
    (status, layout::page(v, T::Catalogue, Nav::Catalogue, body)).into_response()
}

/// `GET /console/catalogue?q=&after=&edit=`: a page of products and the product form
/// (filled with the product to change, or empty in the catalogue's currency).
pub async fn page(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<CatalogueQuery>,
) -> Response {
    if let Err(r) = v.may(Permission::Catalogue) {
        return r;
    }
    let asked = q.edit.as_deref().and_then(|g| Gtin::parse(g.trim()).ok());
    let held = match asked {
        Some(g) => state.store.product(g).await,
        None => Ok(None),
    };
    let f = match held {
        Ok(Some(p)) => ProductForm::of(&p),
        Ok(None) => blank(&state, asked).await,
        Err(e) => return v.error(e.into()),
    };
    let message = q
        .saved
        .as_ref()
        .map(|_| (true, v.t(T::ProductSaved).to_string()));
    show(&state, &v, &q, f, message, StatusCode::OK).await
}

/// An empty product form: the GTIN asked for, the catalogue's currency and the standard
/// VAT rate of its first product (CNY and 13% in an empty catalogue).
async fn blank(state: &AppState, gtin: Option<Gtin>) -> ProductForm {
    let first = state.store.product_page("", 0, 1).await.ok();
    let like = first.and_then(|p| p.products.into_iter().next());
    ProductForm {
        gtin: gtin.map(|g| g.to_string()).unwrap_or_default(),
        currency: like
            .as_ref()
            .map_or("CNY", |p| p.price.currency().code())
            .to_string(),
        tax_rate: like
            .as_ref()
            .map_or(TaxRate::CN_STANDARD, |p| p.tax_rate)
            .percent_text(),
        brand_type: BrandType::Unknown.as_str().into(),
        ..ProductForm::default()
    }
}

/// `POST /console/catalogue`: adds or replaces one product and shows it in the list, or
/// shows the form as entered with what was wrong (nothing changed).
pub async fn save(
    State(state): State<AppState>,
    v: Viewer,
    Form(f): Form<ProductForm>,
) -> Response {
    if let Err(r) = v.may(Permission::Catalogue) {
        return r;
    }
    let refused = |f: ProductForm, m: String, status: StatusCode| {
        let (state, v) = (&state, &v);
        async move {
            let q = CatalogueQuery {
                q: f.gtin.trim().to_string(),
                ..CatalogueQuery::default()
            };
            show(state, v, &q, f, Some((false, m)), status).await
        }
    };
    let product = match f.product(v.lang) {
        Ok(p) => p,
        Err(m) => return refused(f, m, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    match put_products_as(&state, &v.who, std::slice::from_ref(&product)).await {
        Ok(_) => Redirect::to(&format!(
            "/console/catalogue?q={}&edit={}&saved=1",
            product.gtin, product.gtin
        ))
        .into_response(),
        Err(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            refused(f, e.message().to_string(), e.status()).await
        }
        Err(e) => v.error(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn milk() -> Product {
        serde_json::from_value(serde_json::json!({"gtin": "6904000000111",
            "name": "伊利纯牛奶250ml×12", "name_en": "Yili milk", "price": {"minor": 5400, "currency": "CNY"},
            "tax_rate": 900, "department": "Dairy", "category": "Milk", "brand_type": "national",
            "manufacturer": "Yili", "member_price": {"minor": 4800, "currency": "CNY"},
            "bonus_points": {"multiplier": 2}, "weighed": false, "plu": 4011, "restricted": true,
            "external_id": "M-1"}))
        .unwrap()
    }

    #[test]
    fn the_form_shows_the_product_it_stores() {
        let p = milk();
        assert_eq!(ProductForm::of(&p).product(Lang::En), Ok(p));
    }

    #[test]
    fn a_form_that_is_not_one_is_refused_with_its_field() {
        let bad = |change: fn(&mut ProductForm)| {
            let mut f = ProductForm::of(&milk());
            change(&mut f);
            f.product(Lang::Zh).unwrap_err()
        };
        let said = bad(|f| f.gtin = "6904000000112".into());
        assert!(
            said.contains("商品条码") && said.contains("6904000000112"),
            "{said}"
        );
        let said = bad(|f| f.price = "5,40".into());
        assert!(said.contains("价格"), "{said}");
        let said = bad(|f| f.tax_rate = "abc".into());
        assert!(said.contains("增值税率"), "{said}");
    }
}
