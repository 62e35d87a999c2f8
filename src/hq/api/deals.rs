//! The deals the fortnight's lists draw on (`GET` and `PUT /v1/deals`), for HQ staff with
//! the admin token or a session allowed campaigns; [`deals_as`] and [`put_deals_as`] are
//! the console's way in too.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::AppState;
use super::audit::{audited, ids};
use super::auth::Staff;
use super::error::{AdminRefusals, ApiError, BodyRefusals};
use super::staff::Stored;
use crate::hq::deals::HeldDeal;
use crate::hq::staff::{Permission, Principal};

/// The paths of this module.
pub const PATHS: [&str; 1] = ["/v1/deals"];

/// Most deals one request may carry.
pub const MAX_DEALS: usize = 1_000;

/// A deal HQ holds, with its budget and what the lists' offers reserved of it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DealBudget {
    pub id: String,
    /// As stored: one object of the deals format.
    #[schema(value_type = Object)]
    pub definition: Value,
    /// The budget in minor units; null when the deal no longer reads against HQ's
    /// catalogue (`problem` says why; the lists skip it).
    pub budget: Option<i64>,
    /// What the lists' offers of every period reserved of it, minor units.
    pub reserved: i64,
    /// What is left for the lists to come (never below zero), minor units.
    pub left: Option<i64>,
    pub problem: Option<String>,
}

impl From<HeldDeal> for DealBudget {
    fn from(h: HeldDeal) -> DealBudget {
        DealBudget {
            left: h.left(),
            budget: h.deal.as_ref().ok().map(|d| d.budget),
            problem: h.deal.err(),
            id: h.id,
            definition: h.definition,
            reserved: h.reserved,
        }
    }
}

/// Every deal HQ holds, by id, with its budget, what the lists' offers reserved of it and
/// what is left.
#[utoipa::path(
    get,
    path = "/v1/deals",
    tag = "member value",
    security(("admin" = []), ("session" = [])),
    responses((status = 200, description = "The deals", body = Vec<DealBudget>), AdminRefusals)
)]
pub async fn list_deals(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<Vec<DealBudget>>, ApiError> {
    let who = staff.may(Permission::Campaigns)?;
    let deals = deals_as(&state, who).await?;
    Ok(Json(deals.into_iter().map(DealBudget::from).collect()))
}

/// The deals HQ holds with their budgets, for `who` (the API's and the console's).
pub async fn deals_as(state: &AppState, who: &Principal) -> Result<Vec<HeldDeal>, ApiError> {
    who.require(Permission::Campaigns)?;
    Ok(state.store.held_deals(state.currency).await?)
}

/// Add or replace deals by id, all or nothing: one object each in the `storepos lists`
/// deals format (`id`, `title`, `funding`, `target`, `discount`, `max_discount`,
/// `min_spend`, `budget`, `segments`, `valid_from`, `valid_until`,
/// `switch_to_store_brand`; amounts are decimal strings in the chain's currency), each
/// read against HQ's catalogue first.
#[utoipa::path(
    put,
    path = "/v1/deals",
    tag = "member value",
    security(("admin" = []), ("session" = [])),
    request_body(content = Vec<Object>, description = "Deals in the `storepos lists` deals format"),
    responses((status = 200, description = "Stored, all or nothing", body = Stored), BodyRefusals, AdminRefusals)
)]
pub async fn put_deals(
    State(state): State<AppState>,
    staff: Staff,
    body: Result<Json<Vec<Map<String, Value>>>, JsonRejection>,
) -> Result<Json<Stored>, ApiError> {
    let who = staff.may(Permission::Campaigns)?;
    let Json(deals) = body?;
    let deals: Vec<Value> = deals.into_iter().map(Value::Object).collect();
    let n = put_deals_as(&state, who, &deals).await?;
    Ok(Json(Stored { stored: n as u64 }))
}

/// Stores deals for `who` (the API's and the console's): the same parser and checks as
/// `storepos hq import-deals`, audited with the deals as they were (none for a new one)
/// and as they are now.
pub async fn put_deals_as(
    state: &AppState,
    who: &Principal,
    deals: &[Value],
) -> Result<usize, ApiError> {
    who.require(Permission::Campaigns)?;
    if deals.len() > MAX_DEALS {
        return Err(ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            format!(
                "at most {MAX_DEALS} deals a request ({} given)",
                deals.len()
            ),
        ));
    }
    let asked: Vec<&str> = deals.iter().filter_map(|d| d["id"].as_str()).collect();
    let before = state.store.deal_definitions(&asked).await?;
    let n = state.store.put_deals(deals, state.currency).await?;
    let target = match deals {
        [one] => one["id"].as_str().unwrap_or("deals").to_string(),
        _ => "deals".to_string(),
    };
    let listed = |d: &[Value]| json!(d.iter().take(200).collect::<Vec<_>>());
    let after = json!({ "stored": n,
        "ids": ids(asked.iter().map(|s| s.to_string())), "deals": listed(deals) });
    audited(
        state,
        who,
        "deals.put",
        &target,
        Some(json!({ "deals": listed(&before) })),
        Some(after),
    )
    .await?;
    Ok(n)
}
