//! The sales report: a period's figures by chain, store, department, category, product or
//! hour of day, beside the period before and the same period a year earlier, with the
//! best and worst selling products. Read from the rollups [`crate::hq::sale_lines`] keeps,
//! never from the lines; distinct customers from the bills (they do not add up across days).
//!
//! Every amount is in minor units (fen, cents). Definitions (README, Reports):
//! - `net`: sales less discounts, excluding tax, returns subtracted;
//! - `gross`: `net` + `tax`; `discount`: what promotions, coupons and member prices took off;
//! - `bills`: sales (not returns) with a line in the row; `returns`: returns in the row;
//! - `customers`: distinct members among the bills (chain, store and hour rows only);
//! - `items_per_bill`: units sold (weighed goods by the kilogram) per bill;
//! - `average_bill`: `gross` per bill; `member_share`: the part of `net` sold to members;
//! - growth: (this − other) / other on `net`, none when the other is zero.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::period::Period;
use crate::hq::db::{Query, Tx, query};
use crate::hq::error::HqError;
use crate::hq::store::HqStore;

/// What a report's rows are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum By {
    Chain,
    Store,
    Department,
    Category,
    Product,
    Hour,
}

impl By {
    pub fn parse(text: &str) -> Result<By, String> {
        Ok(match text.trim().to_ascii_lowercase().as_str() {
            "chain" => By::Chain,
            "store" => By::Store,
            "department" => By::Department,
            "category" => By::Category,
            "product" => By::Product,
            "hour" => By::Hour,
            other => {
                return Err(format!(
                    "'{}' is not a breakdown: chain, store, department, category, product or hour",
                    other.chars().take(32).collect::<String>()
                ));
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            By::Chain => "chain",
            By::Store => "store",
            By::Department => "department",
            By::Category => "category",
            By::Product => "product",
            By::Hour => "hour",
        }
    }

    /// Whether distinct customers can be counted for its rows.
    fn counts_customers(self) -> bool {
        matches!(self, By::Chain | By::Store | By::Hour)
    }
}

/// What to report.
#[derive(Debug, Clone)]
pub struct SalesQuery {
    pub period: Period,
    pub by: By,
    /// One store, or the whole chain.
    pub store: Option<String>,
    /// How many best and worst selling products to list.
    pub top: usize,
}

/// A row's figures over one period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Figures {
    pub net: i64,
    pub tax: i64,
    pub gross: i64,
    pub discount: i64,
    pub bills: i64,
    pub returns: i64,
    /// Distinct members (chain, store and hour rows).
    pub customers: Option<i64>,
    /// Units sold (thousandths summed, as units).
    pub items: f64,
    pub items_per_bill: f64,
    pub average_bill: f64,
    pub member_net: i64,
    pub member_share: f64,
}

impl Figures {
    /// The derived figures from the sums.
    fn finish(mut self, milli_items: i64) -> Figures {
        self.gross = self.net + self.tax;
        self.items = milli_items as f64 / 1000.0;
        let per_bill = |v: f64| {
            if self.bills == 0 {
                0.0
            } else {
                v / self.bills as f64
            }
        };
        self.items_per_bill = per_bill(self.items);
        self.average_bill = per_bill(self.gross as f64);
        self.member_share = if self.net == 0 {
            0.0
        } else {
            self.member_net as f64 / self.net as f64
        };
        self
    }
}

/// One row: this period, the one before and a year earlier, and the growth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Row {
    /// The store id, department, category, GTIN or hour (`chain` for the chain's row).
    pub key: String,
    /// The product's name, the category's department; empty otherwise.
    pub label: String,
    pub current: Figures,
    pub previous: Figures,
    pub last_year: Figures,
    /// Growth of `net` over the period before.
    pub period_growth: Option<f64>,
    /// Growth of `net` over the same period a year earlier.
    pub year_growth: Option<f64>,
}

/// A product's place in the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RankedProduct {
    pub gtin: i64,
    pub name: String,
    pub category: String,
    pub net: i64,
    /// Units (thousandths summed, as units).
    pub quantity: f64,
    pub bills: i64,
}

/// A sales report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SalesReport {
    pub period: Period,
    pub previous: Period,
    pub last_year: Period,
    /// The store reported on; none for the whole chain.
    pub store: Option<String>,
    pub by: By,
    pub rows: Vec<Row>,
    pub total: Row,
    pub top_products: Vec<RankedProduct>,
    pub bottom_products: Vec<RankedProduct>,
}

fn growth(now: i64, then: i64) -> Option<f64> {
    (then != 0).then(|| (now - then) as f64 / then.abs() as f64)
}

/// The rows of one period, by key: (label, figures).
type Sums = BTreeMap<String, (String, Figures)>;

/// Each query's text, by what it groups and whether it is one store's.
struct Statements {
    by_hour: HashMap<(&'static str, bool), String>,
    customers: HashMap<(&'static str, bool), String>,
    by_category: HashMap<(&'static str, bool), String>,
    by_product: HashMap<bool, String>,
    ranked: HashMap<(bool, bool), String>,
}

/// The statements on PostgreSQL and on SQLite: they differ in how they name the chain.
static STATEMENTS: LazyLock<Statements> =
    LazyLock::new(|| statements(" AND store_id = ANY(ARRAY(SELECT store_id FROM stores))"));
static SQLITE_STATEMENTS: LazyLock<Statements> =
    LazyLock::new(|| statements(" AND store_id IN (SELECT store_id FROM stores)"));

/// The chain is every store HQ knows (a store has its row before its first sale is stored,
/// see `zones`): named so that each rollup is read a store at a time through its primary
/// key, which leads with the store, rather than scanned whole. On PostgreSQL as an array,
/// which the planner takes as index conditions whatever it guesses of `stores`' size.
fn statements(chain: &'static str) -> Statements {
    let scope = |one: bool| if one { " AND store_id = $3" } else { chain };
    let mut s = Statements {
        by_hour: HashMap::new(),
        customers: HashMap::new(),
        by_category: HashMap::new(),
        by_product: HashMap::new(),
        ranked: HashMap::new(),
    };
    for one in [false, true] {
        for (group, column, customer_column) in [
            ("chain", "'chain'", "'chain'"),
            ("store", "store_id", "store_id"),
            ("hour", "CAST(hour AS TEXT)", "CAST(local_hour AS TEXT)"),
        ] {
            let grouped = if group == "chain" {
                String::new()
            } else {
                format!(" GROUP BY {column}")
            };
            s.by_hour.insert(
                (group, one),
                format!(
                    "SELECT {column}, CAST(SUM(bills) AS BIGINT), CAST(SUM(returns) AS BIGINT),
                            CAST(SUM(net) AS BIGINT), CAST(SUM(tax) AS BIGINT),
                            CAST(SUM(discount) AS BIGINT), CAST(SUM(items) AS BIGINT),
                            CAST(SUM(member_net) AS BIGINT)
                     FROM sales_by_hour WHERE day BETWEEN $1 AND $2{}{grouped}
                     HAVING COUNT(*) > 0",
                    scope(one)
                ),
            );
            let grouped = if group == "chain" {
                String::new()
            } else {
                format!(" GROUP BY {customer_column}")
            };
            s.customers.insert(
                (group, one),
                format!(
                    "SELECT {customer_column}, COUNT(DISTINCT member_id) FROM sales
                     WHERE kind = 'sale' AND local_day BETWEEN $1 AND $2{}{grouped}",
                    scope(one)
                ),
            );
        }
        // A department's row is its own (`category = '*'`): the bills of its categories
        // do not add up to its bills.
        for (group, columns, grouped, rows) in [
            (
                "department",
                "department, MIN('')",
                "department",
                "category = '*'",
            ),
            (
                "category",
                "category, department",
                "category, department",
                "category <> '*'",
            ),
        ] {
            s.by_category.insert(
                (group, one),
                format!(
                    "SELECT {columns}, CAST(SUM(bills) AS BIGINT), CAST(SUM(net) AS BIGINT),
                            CAST(SUM(tax) AS BIGINT), CAST(SUM(discount) AS BIGINT),
                            CAST(SUM(quantity) AS BIGINT), CAST(SUM(member_net) AS BIGINT)
                     FROM sales_by_category WHERE {rows} AND day BETWEEN $1 AND $2{}
                     GROUP BY {grouped}",
                    scope(one)
                ),
            );
        }
        s.by_product.insert(
            one,
            format!(
                "SELECT CAST(p.gtin AS TEXT), COALESCE(MAX(n.name), ''), CAST(SUM(p.bills) AS BIGINT),
                        CAST(SUM(p.net) AS BIGINT), CAST(SUM(p.tax) AS BIGINT),
                        CAST(SUM(p.discount) AS BIGINT), CAST(SUM(p.quantity) AS BIGINT)
                 FROM sales_by_product p LEFT JOIN sold_products n ON n.gtin = p.gtin
                 WHERE p.day BETWEEN $1 AND $2{}
                 GROUP BY p.gtin",
                scope(one).replacen("store_id", "p.store_id", 1)
            ),
        );
        for best in [false, true] {
            let order = if best { "DESC" } else { "ASC" };
            s.ranked.insert(
                (one, best),
                format!(
                    "SELECT r.gtin, COALESCE(n.name, ''), COALESCE(n.category, ''), r.net,
                            r.quantity, r.bills
                     FROM (SELECT gtin, CAST(SUM(net) AS BIGINT) AS net,
                                  CAST(SUM(quantity) AS BIGINT) AS quantity,
                                  CAST(SUM(bills) AS BIGINT) AS bills
                           FROM sales_by_product WHERE day BETWEEN $1 AND $2{}
                           GROUP BY gtin) r
                     LEFT JOIN sold_products n ON n.gtin = r.gtin
                     ORDER BY r.net {order}, r.gtin
                     LIMIT {limit}",
                    scope(one),
                    limit = if one { "$4" } else { "$3" },
                ),
            );
        }
    }
    s
}

/// One statement, picked from both dialects' [`Statements`].
fn statement(pick: impl Fn(&'static Statements) -> &'static String) -> Query {
    Query::dialects(pick(&STATEMENTS), pick(&SQLITE_STATEMENTS))
}

fn scoped(q: Query, period: Period, store: Option<&str>) -> Query {
    let q = q.bind(period.from).bind(period.to);
    match store {
        Some(s) => q.bind(s),
        None => q,
    }
}

/// One period's rows of the query's breakdown.
async fn sums(tx: &mut Tx, q: &SalesQuery, period: Period) -> Result<Sums, HqError> {
    let one = q.store.is_some();
    let store = q.store.as_deref();
    let mut rows = Sums::new();
    match q.by {
        By::Chain | By::Store | By::Hour => {
            let group = match q.by {
                By::Chain => "chain",
                By::Store => "store",
                _ => "hour",
            };
            let found = scoped(statement(|st| &st.by_hour[&(group, one)]), period, store)
                .fetch_all(&mut *tx)
                .await?;
            let mut items = HashMap::new();
            for r in found {
                let key: String = r.get(0);
                items.insert(key.clone(), r.get::<i64>(6));
                rows.insert(
                    key,
                    (
                        String::new(),
                        Figures {
                            bills: r.get(1),
                            returns: r.get(2),
                            net: r.get(3),
                            tax: r.get(4),
                            discount: r.get(5),
                            member_net: r.get(7),
                            customers: Some(0),
                            ..Figures::default()
                        },
                    ),
                );
            }
            let customers = scoped(statement(|st| &st.customers[&(group, one)]), period, store)
                .fetch_all(&mut *tx)
                .await?;
            for r in customers {
                let key: String = r.get(0);
                if let Some((_, f)) = rows.get_mut(&key) {
                    f.customers = Some(r.get(1));
                }
            }
            for (key, (_, f)) in rows.iter_mut() {
                *f = std::mem::take(f).finish(items[key]);
            }
        }
        By::Department | By::Category => {
            let group = if q.by == By::Department {
                "department"
            } else {
                "category"
            };
            let found = scoped(
                statement(|st| &st.by_category[&(group, one)]),
                period,
                store,
            )
            .fetch_all(&mut *tx)
            .await?;
            for r in found {
                rows.insert(
                    r.get(0),
                    (
                        r.get(1),
                        Figures {
                            bills: r.get(2),
                            net: r.get(3),
                            tax: r.get(4),
                            discount: r.get(5),
                            member_net: r.get(7),
                            ..Figures::default()
                        }
                        .finish(r.get(6)),
                    ),
                );
            }
        }
        By::Product => {
            let found = scoped(statement(|st| &st.by_product[&one]), period, store)
                .fetch_all(&mut *tx)
                .await?;
            for r in found {
                rows.insert(
                    r.get(0),
                    (
                        r.get(1),
                        Figures {
                            bills: r.get(2),
                            net: r.get(3),
                            tax: r.get(4),
                            discount: r.get(5),
                            ..Figures::default()
                        }
                        .finish(r.get(6)),
                    ),
                );
            }
        }
    }
    Ok(rows)
}

/// The period's chain or store total.
async fn total(tx: &mut Tx, q: &SalesQuery, period: Period) -> Result<Figures, HqError> {
    let whole = SalesQuery {
        by: By::Chain,
        ..q.clone()
    };
    let rows = sums(tx, &whole, period).await?;
    Ok(match rows.into_values().next() {
        Some((_, f)) => f,
        None => Figures {
            customers: Some(0),
            ..Figures::default()
        },
    })
}

async fn ranked(tx: &mut Tx, q: &SalesQuery, best: bool) -> Result<Vec<RankedProduct>, HqError> {
    let one = q.store.is_some();
    let rows = scoped(
        statement(|st| &st.ranked[&(one, best)]),
        q.period,
        q.store.as_deref(),
    )
    .bind(q.top as i64)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| RankedProduct {
            gtin: r.get(0),
            name: r.get(1),
            category: r.get(2),
            net: r.get(3),
            quantity: r.get::<i64>(4) as f64 / 1000.0,
            bills: r.get(5),
        })
        .collect())
}

/// Whether HQ knows `store_id` (a registered terminal or a store with settings or sales).
async fn store_known(tx: &mut Tx, store_id: &str) -> Result<bool, HqError> {
    let found = query(
        "SELECT 1 FROM terminals WHERE store_id = $1
         UNION ALL SELECT 1 FROM stores WHERE store_id = $1
         UNION ALL SELECT 1 FROM store_settings WHERE store_id = $1
         LIMIT 1",
    )
    .bind(store_id)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(found.is_some())
}

/// Why a report could not be made from what was asked.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("HQ knows no store '{0}'")]
    UnknownStore(String),
    #[error(transparent)]
    Hq(#[from] HqError),
}

impl HqStore {
    /// The sales report `q` asks for, from one consistent snapshot.
    pub async fn sales_report(&self, q: &SalesQuery) -> Result<SalesReport, ReportError> {
        let mut tx = self.pool().begin_read().await.map_err(HqError::from)?;
        if let Some(store) = &q.store
            && !store_known(&mut tx, store).await?
        {
            return Err(ReportError::UnknownStore(store.chars().take(64).collect()));
        }
        let (previous, last_year) = (q.period.previous(), q.period.last_year());
        let now = sums(&mut tx, q, q.period).await?;
        let before = sums(&mut tx, q, previous).await?;
        let year = sums(&mut tx, q, last_year).await?;
        let zero = || Figures {
            customers: q.by.counts_customers().then_some(0),
            ..Figures::default()
        };
        let mut keys: Vec<&String> = now.keys().collect();
        // Rows of the period, then those only the comparisons have (sold then, not now).
        keys.extend(
            before
                .keys()
                .chain(year.keys())
                .filter(|k| !now.contains_key(*k)),
        );
        keys.sort();
        keys.dedup();
        let mut rows: Vec<Row> = keys
            .into_iter()
            .map(|key| {
                let label = [&now, &before, &year]
                    .iter()
                    .find_map(|s| s.get(key).map(|(l, _)| l.clone()))
                    .unwrap_or_default();
                let pick = |s: &Sums| s.get(key).map(|(_, f)| f.clone()).unwrap_or_else(zero);
                row(key.clone(), label, pick(&now), pick(&before), pick(&year))
            })
            .collect();
        // Largest first; hours in the day's order.
        if q.by == By::Hour {
            rows.sort_by_key(|r| r.key.parse::<u32>().unwrap_or(0));
        } else {
            rows.sort_by(|a, b| b.current.net.cmp(&a.current.net).then(a.key.cmp(&b.key)));
        }
        let total = row(
            q.store.clone().unwrap_or_else(|| "chain".into()),
            String::new(),
            total(&mut tx, q, q.period).await?,
            total(&mut tx, q, previous).await?,
            total(&mut tx, q, last_year).await?,
        );
        debug_assert!(
            q.by != By::Category
                || rows.iter().map(|r| r.current.net).sum::<i64>() == total.current.net,
            "the categories add up to the total"
        );
        let (top_products, bottom_products) = if q.top == 0 {
            (Vec::new(), Vec::new())
        } else {
            (
                ranked(&mut tx, q, true).await?,
                ranked(&mut tx, q, false).await?,
            )
        };
        Ok(SalesReport {
            period: q.period,
            previous,
            last_year,
            store: q.store.clone(),
            by: q.by,
            rows,
            total,
            top_products,
            bottom_products,
        })
    }
}

fn row(key: String, label: String, current: Figures, previous: Figures, last_year: Figures) -> Row {
    Row {
        period_growth: growth(current.net, previous.net),
        year_growth: growth(current.net, last_year.net),
        key,
        label,
        current,
        previous,
        last_year,
    }
}
