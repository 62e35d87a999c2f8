//! What HQ staff tools change and read with the admin token: the chain's products, store
//! prices, promotions, operators and store settings (each checked before it is stored),
//! and the reconciliation report.

use std::collections::{BTreeSet, HashSet};

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use serde::Serialize;
use serde_json::{Value, json};

use super::AppState;
use super::audit::{audited, ids};
use super::auth::Staff;
use super::error::{AdminRefusals, ApiError, BodyRefusals};
use crate::domain::product::Product;
use crate::domain::promotion::Promotion;
use crate::hq::admin::Reconciliation;
use crate::hq::catalogue::NewOperator;
use crate::hq::error::HqError;
use crate::hq::prices::StorePrice;
use crate::hq::staff::{Permission, Principal};
use crate::settings::StoreSettings;

/// How many records a change stored.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Stored {
    pub stored: u64,
}

/// Insert or replace products by GTIN.
#[utoipa::path(
    put,
    path = "/v1/admin/products",
    tag = "admin",
    security(("admin" = []), ("session" = [])),
    request_body = Vec<Product>,
    responses((status = 200, description = "Stored, all or nothing", body = Stored), BodyRefusals, AdminRefusals)
)]
pub async fn put_products(
    State(state): State<AppState>,
    staff: Staff,
    body: Result<Json<Vec<Product>>, JsonRejection>,
) -> Result<Json<Stored>, ApiError> {
    let who = staff.may(Permission::Catalogue)?;
    let Json(products) = body?;
    let n = put_products_as(&state, who, &products).await?;
    Ok(Json(Stored { stored: n as u64 }))
}

/// At most this many records of a bulk change go into its audit entry, before and after.
const AUDITED: usize = 200;

/// Stores products for `who` (the API's and the console's), audited with the products
/// as they were (none for a new one) and as they are now.
pub async fn put_products_as(
    state: &AppState,
    who: &Principal,
    products: &[Product],
) -> Result<usize, ApiError> {
    who.require(Permission::Catalogue)?;
    let mut before = Vec::new();
    for p in products.iter().take(AUDITED) {
        before.extend(state.store.product(p.gtin).await?);
    }
    let n = state.store.put_products(products).await?;
    let listed = |p: &[Product]| json!(p.iter().take(AUDITED).collect::<Vec<_>>());
    let after = json!({ "stored": n, "gtins": ids(products.iter().map(|p| p.gtin.to_string())),
        "products": listed(products) });
    let target = match products {
        [one] => one.gtin.to_string(),
        _ => "catalogue".to_string(),
    };
    let before = json!({ "products": listed(&before) });
    audited(
        state,
        who,
        "products.put",
        &target,
        Some(before),
        Some(after),
    )
    .await?;
    Ok(n)
}

/// Set a store's own prices for chain products: a decimal string in the product's
/// currency, or null for the chain's price again; all or nothing, and that store's
/// catalogue data set carries them.
#[utoipa::path(
    put,
    path = "/v1/admin/prices/{store}",
    tag = "admin",
    security(("admin" = []), ("session" = [])),
    params(("store" = String, Path, description = "The store's id")),
    request_body = Vec<StorePrice>,
    responses((status = 200, description = "Stored, all or nothing", body = Stored), BodyRefusals, AdminRefusals)
)]
pub async fn put_prices(
    State(state): State<AppState>,
    staff: Staff,
    Path(store): Path<String>,
    body: Result<Json<Vec<StorePrice>>, JsonRejection>,
) -> Result<Json<Stored>, ApiError> {
    let who = staff.may(Permission::Prices)?;
    who.check_store(&store)?;
    let Json(prices) = body?;
    let n = put_prices_as(&state, who, &store, &prices).await?;
    Ok(Json(Stored { stored: n as u64 }))
}

/// Sets a store's own prices for `who` (the API's and the console's): the store must be
/// one of theirs; audited with each price before (null: the chain's) and after.
pub async fn put_prices_as(
    state: &AppState,
    who: &Principal,
    store: &str,
    prices: &[StorePrice],
) -> Result<usize, ApiError> {
    who.require(Permission::Prices)?;
    who.check_store(store)?;
    let mut before = Vec::new();
    for p in prices.iter().take(AUDITED) {
        let Ok(g) = crate::domain::gs1::Gtin::parse(&p.gtin) else {
            continue;
        };
        let (Some(product), Some(minor)) = (
            state.store.product(g).await?,
            state
                .store
                .own_prices_between(store, g, g)
                .await?
                .remove(&g.value()),
        ) else {
            before.push(json!({ "gtin": p.gtin, "price": null }));
            continue;
        };
        let held = crate::domain::money::Money::from_minor(minor, product.price.currency());
        before.push(json!({ "gtin": p.gtin, "price": held.to_decimal_string() }));
    }
    let n = state.store.put_store_prices(store, prices).await?;
    let after = json!({ "stored": n, "prices": prices.iter().take(AUDITED).collect::<Vec<_>>() });
    let before = json!({ "prices": before });
    audited(state, who, "prices.put", store, Some(before), Some(after)).await?;
    Ok(n)
}

/// Insert or replace promotions by id (each is validated).
#[utoipa::path(
    put,
    path = "/v1/admin/promotions",
    tag = "admin",
    security(("admin" = []), ("session" = [])),
    request_body = Vec<Promotion>,
    responses((status = 200, description = "Stored, all or nothing", body = Stored), BodyRefusals, AdminRefusals)
)]
pub async fn put_promotions(
    State(state): State<AppState>,
    staff: Staff,
    body: Result<Json<Vec<Promotion>>, JsonRejection>,
) -> Result<Json<Stored>, ApiError> {
    let who = staff.may(Permission::Catalogue)?;
    let Json(promotions) = body?;
    let n = put_promotions_as(&state, who, &promotions).await?;
    Ok(Json(Stored { stored: n as u64 }))
}

/// Stores promotions for `who` (the API's and the console's): each validated and naming
/// only products HQ's catalogue holds; audited with the promotions before and after.
pub async fn put_promotions_as(
    state: &AppState,
    who: &Principal,
    promotions: &[Promotion],
) -> Result<usize, ApiError> {
    who.require(Permission::Catalogue)?;
    let mut before = Vec::new();
    for p in promotions.iter().take(AUDITED) {
        before.extend(state.store.promotion(&p.id).await?);
    }
    let n = state.store.put_promotions(promotions).await?;
    let after =
        json!({ "stored": n, "promotions": promotions.iter().take(AUDITED).collect::<Vec<_>>() });
    let target = match promotions {
        [one] => one.id.clone(),
        _ => "promotions".to_string(),
    };
    let before = json!({ "promotions": before });
    audited(
        state,
        who,
        "promotions.put",
        &target,
        Some(before),
        Some(after),
    )
    .await?;
    Ok(n)
}

/// Insert or replace operators of stores; PINs are stored as Argon2id hashes.
#[utoipa::path(
    put,
    path = "/v1/admin/operators",
    tag = "admin",
    security(("admin" = []), ("session" = [])),
    request_body = Vec<NewOperator>,
    responses((status = 200, description = "Stored, all or nothing", body = Stored), BodyRefusals, AdminRefusals)
)]
pub async fn put_operators(
    State(state): State<AppState>,
    staff: Staff,
    body: Result<Json<Vec<NewOperator>>, JsonRejection>,
) -> Result<Json<Stored>, ApiError> {
    let who = staff.may(Permission::Catalogue)?;
    let Json(operators) = body?;
    let n = put_operators_as(&state, who, &operators).await?;
    Ok(Json(Stored { stored: n as u64 }))
}

/// An operator as the audit log shows it: never the PIN or its hash.
fn operator_record(store: &str, id: &str, name: &str, role: crate::domain::org::Role) -> Value {
    json!({ "store_id": store, "id": id, "name": name, "role": role.as_str() })
}

/// Stores operators for `who` (the API's and the console's): each operator's store must
/// be one of theirs; audited with the operators as they were and as they are now.
pub async fn put_operators_as(
    state: &AppState,
    who: &Principal,
    operators: &[NewOperator],
) -> Result<usize, ApiError> {
    who.require(Permission::Catalogue)?;
    for o in operators {
        who.check_store(&o.store_id)?;
    }
    // The operators replaced, as they were (at most 200, as the entry's other lists).
    let asked: HashSet<(&str, &str)> = operators
        .iter()
        .map(|o| (o.store_id.as_str(), o.id.as_str()))
        .collect();
    let stores: BTreeSet<&str> = asked.iter().map(|(store, _)| *store).collect();
    let mut before = Vec::new();
    for store in stores {
        let held = state.store.store_operators(store).await?;
        before.extend(
            held.iter()
                .filter(|h| asked.contains(&(store, h.id.as_str())))
                .map(|h| operator_record(store, &h.id, &h.name, h.role)),
        );
    }
    before.truncate(200);
    let n = state.store.put_operators(operators).await?;
    // Never the PINs: who was stored, where, with what name and role.
    let records = operators
        .iter()
        .take(200)
        .map(|o| operator_record(&o.store_id, &o.id, &o.name, o.role));
    let after = json!({ "stored": n, "operators": records.collect::<Vec<_>>() });
    let before = json!({ "operators": before });
    let target = match operators {
        [one] => format!("{}/{}", one.store_id, one.id),
        _ => "operators".to_string(),
    };
    audited(
        state,
        who,
        "operators.put",
        &target,
        Some(before),
        Some(after),
    )
    .await?;
    Ok(n)
}

/// Set a store's till settings (checked against the till configuration before they are
/// stored).
#[utoipa::path(
    put,
    path = "/v1/admin/settings/{store}",
    tag = "admin",
    security(("admin" = []), ("session" = [])),
    params(("store" = String, Path, description = "The store's id")),
    request_body = StoreSettings,
    responses((status = 200, description = "Stored, all or nothing", body = Stored), BodyRefusals, AdminRefusals)
)]
pub async fn put_settings(
    State(state): State<AppState>,
    staff: Staff,
    Path(store): Path<String>,
    body: Result<Json<StoreSettings>, JsonRejection>,
) -> Result<Json<Stored>, ApiError> {
    let who = staff.may(Permission::Catalogue)?;
    let Json(settings) = body?;
    put_settings_as(&state, who, &store, &settings).await?;
    Ok(Json(Stored { stored: 1 }))
}

/// Sets a store's till settings for `who` (the API's and the console's): the store must
/// be one of theirs; audited with the settings before and after.
pub async fn put_settings_as(
    state: &AppState,
    who: &Principal,
    store: &str,
    settings: &StoreSettings,
) -> Result<(), ApiError> {
    who.require(Permission::Catalogue)?;
    who.check_store(store)?;
    // Settings stored unreadable (an older format) are replaced, and logged as none.
    let before = match state.store.settings(store).await {
        Ok(held) => held,
        Err(HqError::Invalid(_)) => None,
        Err(e) => return Err(e.into()),
    };
    state.store.put_settings(store, settings).await?;
    let as_json = |s: &StoreSettings| serde_json::to_value(s).ok();
    audited(
        state,
        who,
        "settings.put",
        store,
        before.as_ref().and_then(as_json),
        as_json(settings),
    )
    .await
}

/// The reconciliation report: coupons redeemed twice by offline tills with their cost,
/// redemptions that overdrew a balance, refused events and sequence conflicts.
#[utoipa::path(
    get,
    path = "/v1/admin/report",
    tag = "admin",
    security(("admin" = []), ("session" = [])),
    responses((status = 200, description = "The report", body = Reconciliation), AdminRefusals)
)]
pub async fn report(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<Reconciliation>, ApiError> {
    let who = staff.may(Permission::Reconciliation)?;
    Ok(Json(reconciliation_as(&state, who).await?))
}

/// The reconciliation report, if `who` may read it (the API's and the console's).
pub async fn reconciliation_as(
    state: &AppState,
    who: &Principal,
) -> Result<Reconciliation, ApiError> {
    who.require(Permission::Reconciliation)?;
    Ok(state.store.reconciliation().await?)
}
