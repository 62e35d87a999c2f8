//! What HQ staff tools change and read with the admin token: the chain's products, store
//! prices, promotions, operators and store settings (each checked before it is stored),
//! and the reconciliation report.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use serde::Serialize;

use super::AppState;
use super::audit::{audited, ids};
use super::auth::Staff;
use super::error::{AdminRefusals, ApiError, BodyRefusals};
use crate::domain::product::Product;
use crate::domain::promotion::Promotion;
use crate::hq::admin::Reconciliation;
use crate::hq::catalogue::NewOperator;
use crate::hq::prices::StorePrice;
use crate::hq::staff::Permission;
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
    let n = state.store.put_products(&products).await?;
    let after = serde_json::json!({ "stored": n, "gtins": ids(products.iter().map(|p| p.gtin.to_string())) });
    audited(&state, who, "products.put", "catalogue", None, Some(after)).await?;
    Ok(Json(Stored { stored: n as u64 }))
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
    let n = state.store.put_store_prices(&store, &prices).await?;
    let after = serde_json::json!({ "stored": n, "prices": prices });
    audited(&state, who, "prices.put", &store, None, Some(after)).await?;
    Ok(Json(Stored { stored: n as u64 }))
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
    let n = state.store.put_promotions(&promotions).await?;
    let after = serde_json::json!({ "stored": n, "promotions": promotions });
    audited(
        &state,
        who,
        "promotions.put",
        "promotions",
        None,
        Some(after),
    )
    .await?;
    Ok(Json(Stored { stored: n as u64 }))
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
    let n = state.store.put_operators(&operators).await?;
    // Never the PINs: who was stored, where.
    let after = serde_json::json!({ "stored": n, "operators": ids(operators.iter().map(|o| format!("{}/{}", o.store_id, o.id))) });
    audited(&state, who, "operators.put", "operators", None, Some(after)).await?;
    Ok(Json(Stored { stored: n as u64 }))
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
    state.store.put_settings(&store, &settings).await?;
    let after = serde_json::to_value(&settings).ok();
    audited(&state, who, "settings.put", &store, None, after).await?;
    Ok(Json(Stored { stored: 1 }))
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
    staff.may(Permission::Reconciliation)?;
    Ok(Json(state.store.reconciliation().await?))
}
