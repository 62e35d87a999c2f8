//! The chain's catalogue (products and prices), promotions, issued coupons and each
//! store's operators at HQ: replaced through the admin API and read back as the data sets
//! the stores' terminals apply.

use super::db::{Arg, Query, query};

use super::retry::retrying;
use super::store::{HqError, HqStore};
use crate::domain::gs1::Gtin;
use crate::domain::product::Product;
use crate::domain::promotion::Promotion;

impl HqStore {
    /// Inserts or replaces products by GTIN, all in one transaction; each is checked first
    /// (a name, prices not negative, the member price in the price's currency).
    pub async fn put_products(&self, products: &[Product]) -> Result<usize, HqError> {
        for p in products {
            check_product(p)?;
        }
        let records = products
            .iter()
            .map(|p| Ok((Arg::from(p.gtin.value() as i64), as_json(p)?)))
            .collect::<Result<Vec<_>, HqError>>()?;
        self.upsert_json(
            "storing products",
            "INSERT INTO products (gtin, record, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (gtin) DO UPDATE SET record = EXCLUDED.record, updated_at = EXCLUDED.updated_at",
            &records,
        )
        .await
    }

    /// Inserts or replaces promotions by id, all in one transaction; each is checked first.
    pub async fn put_promotions(&self, promotions: &[Promotion]) -> Result<usize, HqError> {
        for p in promotions {
            p.validate().map_err(|e| HqError::Invalid(e.to_string()))?;
        }
        if let Some((id, gtin)) = self.unknown_products(promotions).await?.first() {
            return Err(HqError::Invalid(format!(
                "promotion {id}: no product {gtin} in HQ's catalogue"
            )));
        }
        let definitions = promotions
            .iter()
            .map(|p| Ok((Arg::from(p.id.clone()), as_json(p)?)))
            .collect::<Result<Vec<_>, HqError>>()?;
        self.upsert_json(
            "storing promotions",
            "INSERT INTO promotions (id, definition, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET definition = EXCLUDED.definition, updated_at = EXCLUDED.updated_at",
            &definitions,
        )
        .await
    }

    /// Runs `sql` (key, JSON record, now) for every record, all in one transaction,
    /// retried as every write is.
    async fn upsert_json(
        &self,
        what: &str,
        sql: &'static str,
        records: &[(Arg, serde_json::Value)],
    ) -> Result<usize, HqError> {
        retrying(what, || async move {
            let mut tx = self.pool().begin().await?;
            for (key, record) in records {
                query(sql)
                    .bind(key.clone())
                    .bind(record)
                    .bind(chrono::Utc::now())
                    .execute(&mut tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        })
        .await?;
        Ok(records.len())
    }

    /// Every product, in GTIN order.
    pub async fn products(&self) -> Result<Vec<Product>, HqError> {
        let rows = query("SELECT record FROM products ORDER BY gtin")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                serde_json::from_value(r.json(0)?)
                    .map_err(|e| HqError::Invalid(format!("stored product: {e}")))
            })
            .collect()
    }

    /// Every promotion, in id order.
    pub async fn promotions(&self) -> Result<Vec<Promotion>, HqError> {
        let rows = query("SELECT definition FROM promotions ORDER BY id")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                serde_json::from_value(r.json(0)?)
                    .map_err(|e| HqError::Invalid(format!("stored promotion: {e}")))
            })
            .collect()
    }

    /// The terminal's acknowledged sequence (what data sets read now reflect of its events).
    pub async fn acked_seq(&self, from: &super::TerminalId) -> Result<u64, HqError> {
        let acked: i64 =
            query("SELECT acked_seq FROM terminals WHERE store_id = $1 AND terminal_id = $2")
                .bind(&from.store_id)
                .bind(&from.terminal_id)
                .fetch_one(self.pool())
                .await?
                .get(0);
        Ok(acked as u64)
    }
}

pub use crate::protocol::SignedCode;

impl HqStore {
    /// The coupons HQ issued to a store's members (home store), then their current
    /// shopping lists, as stores keep them.
    pub async fn store_codes(&self, store_id: &str) -> Result<Vec<SignedCode>, HqError> {
        let rows = query(STORE_COUPONS)
            .bind(store_id)
            .fetch_all(self.pool())
            .await?;
        let mut codes: Vec<SignedCode> = rows
            .iter()
            .map(|r| SignedCode {
                kind: "coupon".into(),
                id: r.get(0),
                member_id: r.get(1),
                code: r.get(2),
            })
            .collect();
        codes.extend(self.store_lists(store_id, chrono::Utc::now()).await?);
        Ok(codes)
    }
}

/// An operator as HQ staff enter them: the PIN in clear, hashed before it is stored.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOperator {
    pub store_id: String,
    pub id: String,
    pub name: String,
    pub role: crate::domain::org::Role,
    pub pin: String,
}

impl HqStore {
    /// Inserts or replaces operators of stores; every PIN is checked, then stored hashed.
    pub async fn put_operators(&self, operators: &[NewOperator]) -> Result<usize, HqError> {
        for o in operators {
            crate::domain::org::validate_pin(&o.pin)
                .map_err(|e| HqError::Invalid(format!("operator {}: {e}", o.id)))?;
            if o.id.is_empty() || o.name.trim().is_empty() {
                return Err(HqError::Invalid(
                    "an operator needs an id and a name".into(),
                ));
            }
        }
        // Hashed once: a retried transaction stores the same hashes.
        let hashed = &operators
            .iter()
            .map(|o| (o, crate::domain::org::hash_pin(&o.pin)))
            .collect::<Vec<_>>();
        retrying("storing operators", || async move {
            let mut tx = self.pool().begin().await?;
            for (o, pin_hash) in hashed {
                query(
                    "INSERT INTO operators (store_id, id, name, role, pin_hash) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (store_id, id) DO UPDATE SET name = EXCLUDED.name, role = EXCLUDED.role,
                         pin_hash = EXCLUDED.pin_hash",
                )
                .bind(&o.store_id)
                .bind(&o.id)
                .bind(&o.name)
                .bind(o.role.as_str())
                .bind(pin_hash)
                .execute(&mut tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
        .await?;
        Ok(operators.len())
    }

    /// A store's operators, in id order.
    pub async fn store_operators(
        &self,
        store_id: &str,
    ) -> Result<Vec<crate::domain::org::Operator>, HqError> {
        let rows =
            query("SELECT id, name, role, pin_hash FROM operators WHERE store_id = $1 ORDER BY id")
                .bind(store_id)
                .fetch_all(self.pool())
                .await?;
        rows.iter()
            .map(|r| {
                let role: String = r.get(2);
                Ok(crate::domain::org::Operator {
                    id: r.get(0),
                    name: r.get(1),
                    role: role
                        .parse()
                        .map_err(|e| HqError::Invalid(format!("stored role: {e}")))?,
                    pin_hash: r.get(3),
                })
            })
            .collect()
    }
}

impl HqStore {
    /// Stores the settings of a store's tills (checked against the default configuration).
    pub async fn put_settings(
        &self,
        store_id: &str,
        settings: &crate::settings::StoreSettings,
    ) -> Result<(), HqError> {
        if !super::prices::store_id_ok(store_id) {
            return Err(HqError::Invalid(format!("'{store_id}' is not a store id")));
        }
        settings
            .apply_to(&crate::config::Config::default())
            .map_err(HqError::Invalid)?;
        let zone = match &settings.time_zone {
            Some(name) => Some(super::zones::parse(name)?),
            None => None,
        };
        let value = &serde_json::to_value(settings).map_err(|e| HqError::Invalid(e.to_string()))?;
        retrying("storing store settings", || async move {
            let mut tx = self.pool().begin().await?;
            if let Some(zone) = zone {
                super::zones::set(&mut tx, store_id, zone).await?;
            }
            query(
                "INSERT INTO store_settings (store_id, settings, updated_at) VALUES ($1, $2, $3)
                 ON CONFLICT (store_id) DO UPDATE SET settings = EXCLUDED.settings, updated_at = EXCLUDED.updated_at",
            )
            .bind(store_id)
            .bind(value)
            .bind(chrono::Utc::now())
            .execute(&mut tx)
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// Every store HQ knows of: with tills, sales, settings or operators, in id order.
    pub async fn store_ids(&self) -> Result<Vec<String>, HqError> {
        let rows = query(
            "SELECT store_id FROM stores UNION SELECT store_id FROM store_settings
             UNION SELECT store_id FROM operators UNION SELECT store_id FROM terminals
             ORDER BY store_id",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// The settings of a store's tills, if HQ sets any.
    pub async fn settings(
        &self,
        store_id: &str,
    ) -> Result<Option<crate::settings::StoreSettings>, HqError> {
        let row = query("SELECT settings FROM store_settings WHERE store_id = $1")
            .bind(store_id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            serde_json::from_value(r.json(0)?)
                .map_err(|e| HqError::Invalid(format!("stored settings: {e}")))
        })
        .transpose()
    }
}

/// Why HQ refuses to store a product, if it does: a till could not sell it as given.
fn check_product(p: &Product) -> Result<(), HqError> {
    let refused = |why: &str| Err(HqError::Invalid(format!("product {}: {why}", p.gtin)));
    if p.name.trim().is_empty() {
        return refused("it needs a name");
    }
    if p.price.is_negative() || p.member_price.is_some_and(|m| m.is_negative()) {
        return refused("prices must not be negative");
    }
    if p.member_price
        .is_some_and(|m| m.currency() != p.price.currency())
    {
        return refused("the member price must be in the price's currency");
    }
    Ok(())
}

/// The GTINs a promotion names (its products or bundle), none for a category or any.
pub fn promotion_gtins(p: &Promotion) -> &[Gtin] {
    use crate::domain::promotion::{PromotionKind as K, Target};
    match &p.kind {
        K::Bundle { gtins, .. } => gtins,
        K::MemberPrice { target }
        | K::PercentOff { target, .. }
        | K::AmountOff { target, .. }
        | K::BuyXGetY { target, .. }
        | K::MixAndMatch { target, .. } => match target {
            Target::Gtins(gtins) => gtins,
            Target::Any | Target::Category(_) => &[],
        },
    }
}

/// A record as HQ keeps it: its JSON.
fn as_json<T: serde::Serialize>(record: &T) -> Result<serde_json::Value, HqError> {
    serde_json::to_value(record).map_err(|e| HqError::Invalid(e.to_string()))
}

/// One page of the catalogue as the console lists it: the products found, in GTIN order,
/// and whether more follow the last of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductPage {
    pub products: Vec<Product>,
    pub more: bool,
}

/// `text` as a `LIKE` pattern that finds it anywhere (its `%`, `_` and `\` taken literally).
fn contains_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

impl HqStore {
    /// The product with this GTIN, if HQ's catalogue holds it.
    pub async fn product(&self, gtin: Gtin) -> Result<Option<Product>, HqError> {
        let row = query("SELECT record FROM products WHERE gtin = $1")
            .bind(gtin.value() as i64)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            serde_json::from_value(r.json(0)?)
                .map_err(|e| HqError::Invalid(format!("stored product: {e}")))
        })
        .transpose()
    }

    /// At most `limit` products after GTIN `after`, in GTIN order: every product for an
    /// empty `search`, else the one whose GTIN it is and those whose names contain it. A
    /// chain holds tens of thousands of products: a page is read, never the whole table.
    pub async fn product_page(
        &self,
        search: &str,
        after: u64,
        limit: usize,
    ) -> Result<ProductPage, HqError> {
        let search = search.trim();
        let gtin = Gtin::parse(search).map_or(-1, |g| g.value() as i64);
        let rows = Query::dialects(
            "SELECT record FROM products WHERE gtin > $1 AND ($2 = '' OR gtin = $3
                 OR record->>'name' ILIKE $4 ESCAPE '\\'
                 OR COALESCE(record->>'name_en', '') ILIKE $4 ESCAPE '\\')
             ORDER BY gtin LIMIT $5",
            "SELECT record FROM products WHERE gtin > $1 AND ($2 = '' OR gtin = $3
                 OR json_extract(record, '$.name') LIKE $4 ESCAPE '\\'
                 OR COALESCE(json_extract(record, '$.name_en'), '') LIKE $4 ESCAPE '\\')
             ORDER BY gtin LIMIT $5",
        )
        .bind(i64::try_from(after).unwrap_or(i64::MAX))
        .bind(search)
        .bind(gtin)
        .bind(contains_pattern(search))
        .bind(limit as i64 + 1)
        .fetch_all(self.pool())
        .await?;
        let mut products = rows
            .iter()
            .map(|r| {
                serde_json::from_value(r.json(0)?)
                    .map_err(|e| HqError::Invalid(format!("stored product: {e}")))
            })
            .collect::<Result<Vec<Product>, HqError>>()?;
        let more = products.len() > limit;
        products.truncate(limit);
        Ok(ProductPage { products, more })
    }

    /// The products promotions name that HQ's catalogue lacks (promotion id, GTIN), which
    /// [`HqStore::put_promotions`] refuses; the console asks first to say so in its language.
    pub async fn unknown_products(
        &self,
        promotions: &[Promotion],
    ) -> Result<Vec<(String, Gtin)>, HqError> {
        let mut unknown = Vec::new();
        for p in promotions {
            for g in crate::domain::promotion::distinct(promotion_gtins(p)) {
                if self.product(g).await?.is_none() {
                    unknown.push((p.id.clone(), g));
                }
            }
        }
        Ok(unknown)
    }

    /// The promotion with this id, if HQ holds it.
    pub async fn promotion(&self, id: &str) -> Result<Option<Promotion>, HqError> {
        let row = query("SELECT definition FROM promotions WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            serde_json::from_value(r.json(0)?)
                .map_err(|e| HqError::Invalid(format!("stored promotion: {e}")))
        })
        .transpose()
    }
}

/// The coupons issued to a store's members: members are distributed by member, so this
/// reads every shard, each joining its own coupons (colocated by member); no lock.
pub(crate) const STORE_COUPONS: &str =
    "SELECT c.id, c.member_id, c.code FROM coupons c JOIN members m ON m.id = c.member_id
     WHERE m.home_store = $1 ORDER BY c.id";
