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

use serde::{Deserialize, Serialize};

use super::period::{Period, PeriodKind};
use super::statements::statement;
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
    /// How many rows to list at most: those with the largest net sales.
    pub rows: usize,
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
    /// The rows with the largest net sales, at most as many as asked for.
    pub rows: Vec<Row>,
    /// How many rows the breakdown has in all.
    pub rows_total: usize,
    pub total: Row,
    pub top_products: Vec<RankedProduct>,
    pub bottom_products: Vec<RankedProduct>,
}

fn growth(now: i64, then: i64) -> Option<f64> {
    (then != 0).then(|| (now - then) as f64 / then.abs() as f64)
}

/// The rows of one period, by key: (label, figures).
type Sums = BTreeMap<String, (String, Figures)>;

/// `q` with the store of one store's report bound next, if it is one store's.
pub(super) fn with_store(q: Query, store: Option<&str>) -> Query {
    match store {
        Some(s) => q.bind(s),
        None => q,
    }
}

/// `q` bound to `period` (and the store), as [`super::statements`] reads its parameters.
pub(super) fn scoped(q: Query, period: Period, store: Option<&str>) -> Query {
    let (first, after) = period.whole_months();
    with_store(
        q.bind(period.from).bind(period.to).bind(first).bind(after),
        store,
    )
}

/// One period's figures of a breakdown.
#[derive(Default)]
struct PeriodSums {
    rows: Sums,
    /// By product: the largest and the smallest products (the best and worst sellers).
    products: Vec<RankedProduct>,
    /// By product: how many products the period has (the rows are only the largest).
    counted: Option<usize>,
}

/// One period's rows of the query's breakdown. By product, those of the period's largest
/// products, with the best and worst sellers; or, given a JSON array of GTINs (`listed`),
/// those products' rows over the period, for comparing.
async fn sums(
    tx: &mut Tx,
    q: &SalesQuery,
    period: Period,
    listed: Option<&serde_json::Value>,
) -> Result<PeriodSums, HqError> {
    let one = q.store.is_some();
    let store = q.store.as_deref();
    let mut rows = Sums::new();
    let mut products = Vec::new();
    let mut counted = None;
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
            for (key, count) in customers(tx, group, period, store).await? {
                if let Some((_, f)) = rows.get_mut(&key) {
                    f.customers = Some(count);
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
            let found = match held_by(tx, period, store).await? {
                Some(of @ ("week" | "quarter" | "year")) => {
                    statement(|st| &st.by_category_held[&(group, of)]).bind(period.from)
                }
                _ => scoped(
                    statement(|st| &st.by_category[&(group, one)]),
                    period,
                    store,
                ),
            }
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
            let year = period.kind == PeriodKind::Year;
            let held = held_by(tx, period, store).await?;
            let found = match (listed, held) {
                // The listed products, sold in that period or not.
                (Some(gtins), Some(of)) => with_store(
                    statement(|st| &st.by_product_of_held[of])
                        .bind(period.from)
                        .bind(gtins),
                    store,
                ),
                (Some(gtins), None) => scoped(
                    statement(|st| &st.by_product_of[&(one, year)]),
                    period,
                    store,
                )
                .bind(gtins),
                // A whole month, quarter or year, from its table where it holds it.
                (None, Some(of)) => with_store(
                    statement(|st| &st.by_product_held[of])
                        .bind(period.from)
                        .bind(q.rows.max(q.top) as i64)
                        .bind(q.top as i64),
                    store,
                ),
                // The period's largest and smallest products.
                (None, None) => scoped(statement(|st| &st.by_product[&(one, year)]), period, store)
                    .bind(q.rows.max(q.top) as i64)
                    .bind(q.top as i64),
            }
            .fetch_all(&mut *tx)
            .await?;
            let mut largest = Vec::new();
            for r in found {
                let gtin: String = r.get(1);
                let figures = Figures {
                    bills: r.get(4),
                    net: r.get(5),
                    tax: r.get(6),
                    discount: r.get(7),
                    ..Figures::default()
                }
                .finish(r.get(8));
                if listed.is_some() {
                    rows.insert(gtin, (String::new(), figures));
                    continue;
                }
                counted = Some(r.get::<i64>(9) as usize);
                let ranked = RankedProduct {
                    gtin: gtin.parse().unwrap_or_default(),
                    name: r.get(2),
                    category: r.get(3),
                    net: figures.net,
                    quantity: figures.items,
                    bills: figures.bills,
                };
                if r.get::<i64>(0) == 1 {
                    largest.push((ranked.clone(), figures));
                }
                products.push(ranked);
            }
            // The rows are the largest, as many as asked for.
            largest.sort_by(|(a, _), (b, _)| b.net.cmp(&a.net).then(a.gtin.cmp(&b.gtin)));
            for (p, figures) in largest.into_iter().take(q.rows) {
                rows.insert(p.gtin.to_string(), (p.name, figures));
            }
        }
    }
    Ok(PeriodSums {
        rows,
        products,
        counted,
    })
}

/// Distinct members by `group` (chain, store or hour): they are counted over the whole
/// period, never added up from shorter ones.
async fn customers(
    tx: &mut Tx,
    group: &'static str,
    period: Period,
    store: Option<&str>,
) -> Result<Vec<(String, i64)>, HqError> {
    let one = store.is_some();
    if group != "hour" {
        let (year, next, bits) = period.month_bits();
        let found = scoped(statement(|st| &st.customers[&(group, one)]), period, store)
            .bind(year)
            .bind(next)
            .bind(bits)
            .fetch_all(&mut *tx)
            .await?;
        return Ok(found.into_iter().map(|r| (r.get(0), r.get(1))).collect());
    }
    // Each member's hours, put together from the days and months they were read from.
    let found = scoped(statement(|st| &st.customer_hours[&one]), period, store)
        .fetch_all(&mut *tx)
        .await?;
    let mut hours: HashMap<String, i64> = HashMap::new();
    for r in found {
        *hours.entry(r.get(0)).or_default() |= r.get::<i64>(1);
    }
    let mut counts = [0i64; 24];
    for mask in hours.values() {
        for (hour, count) in counts.iter_mut().enumerate() {
            *count += (mask >> hour) & 1;
        }
    }
    Ok(counts
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(hour, n)| (hour.to_string(), *n))
        .collect())
}

/// The period's chain or store total.
async fn total(tx: &mut Tx, q: &SalesQuery, period: Period) -> Result<Figures, HqError> {
    let whole = SalesQuery {
        by: By::Chain,
        ..q.clone()
    };
    let sums = sums(tx, &whole, period, None).await?;
    Ok(match sums.rows.into_values().next() {
        Some((_, f)) => f,
        None => Figures {
            customers: Some(0),
            ..Figures::default()
        },
    })
}

/// The best and the worst selling products of the period: from the rows of a breakdown by
/// product when there are some, else read.
async fn ranked(
    tx: &mut Tx,
    q: &SalesQuery,
    mut products: Vec<RankedProduct>,
) -> Result<(Vec<RankedProduct>, Vec<RankedProduct>), HqError> {
    if q.by != By::Product {
        let one = q.store.is_some();
        let year = q.period.kind == PeriodKind::Year;
        let ranking = if let Some(of) = held_by(tx, q.period, q.store.as_deref()).await? {
            with_store(
                statement(|st| &st.ranked_held[of])
                    .bind(q.period.from)
                    .bind(q.top as i64),
                q.store.as_deref(),
            )
        } else {
            scoped(
                statement(|st| &st.ranked[&(one, year)]),
                q.period,
                q.store.as_deref(),
            )
            .bind(q.top as i64)
        };
        products = ranking
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .map(|r| RankedProduct {
                gtin: r.get(1),
                name: r.get(2),
                category: r.get(3),
                net: r.get(4),
                quantity: r.get::<i64>(5) as f64 / 1000.0,
                bills: r.get(6),
            })
            .collect();
    }
    // A product can be among both the best and the worst of a short period.
    products.sort_by_key(|p| p.gtin);
    products.dedup_by_key(|p| p.gtin);
    products.sort_by(|a, b| b.net.cmp(&a.net).then(a.gtin.cmp(&b.gtin)));
    let best = products.iter().take(q.top).cloned().collect();
    products.sort_by(|a, b| a.net.cmp(&b.net).then(a.gtin.cmp(&b.gtin)));
    let worst = products.into_iter().take(q.top).collect();
    Ok((best, worst))
}

/// Which table of whole periods holds `period` of the chain or of `store`, if one does:
/// the key of its statements in [`super::statements::Statements`]. The chain's tables hold
/// a week made from every store's rolled-up days (`sale_lines::weeks`), and a calendar
/// month, quarter or year that every store has rolled up (for a quarter or a year, only
/// while they hold exactly those months); a store's table by year a year the store has
/// rolled up. Its rows are then read from them (products by net), not summed
/// from months and sorted.
async fn held_by(
    tx: &mut Tx,
    period: Period,
    store: Option<&str>,
) -> Result<Option<&'static str>, HqError> {
    let of = match (period.kind, store) {
        (PeriodKind::Day, _) => return Ok(None),
        (PeriodKind::Year, Some(_)) => "store year",
        (_, Some(_)) => return Ok(None),
        (kind, None) => kind.as_str(),
    };
    let after = period.to + chrono::Duration::days(1);
    let asked = statement(|st| &st.chain_holds[of]).bind(after);
    let asked = match of {
        "week" => asked.bind(period.from),
        _ => with_store(asked, store),
    };
    let held = asked.fetch_one(&mut *tx).await?;
    Ok((held.get::<i64>(0) == 1).then_some(of))
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
    /// A report's snapshot: a read transaction, refused for a store HQ does not know.
    pub(super) async fn open_report(&self, store: Option<&str>) -> Result<Tx, ReportError> {
        let mut tx = self.pool().begin_read().await.map_err(HqError::from)?;
        if !tx.is_sqlite() {
            // A year's products are hundreds of thousands of rollup rows to sum: in memory
            // rather than in batches spilled to disk (PostgreSQL's default is 4 MB).
            query("SET LOCAL work_mem = '64MB'")
                .execute(&mut tx)
                .await
                .map_err(HqError::from)?;
        }
        if let Some(store) = store
            && !store_known(&mut tx, store).await?
        {
            return Err(ReportError::UnknownStore(store.chars().take(64).collect()));
        }
        Ok(tx)
    }

    /// The sales report `q` asks for, from one consistent snapshot.
    pub async fn sales_report(&self, q: &SalesQuery) -> Result<SalesReport, ReportError> {
        let mut tx = self.open_report(q.store.as_deref()).await?;
        let (previous, last_year) = (q.period.previous(), q.period.last_year());
        let PeriodSums {
            rows: now,
            products,
            counted,
        } = sums(&mut tx, q, q.period, None).await?;
        // The products compared are those listed: a product sold only in the other
        // periods has no row (it is in the totals).
        let listed = (q.by == By::Product).then(|| {
            serde_json::Value::from(
                now.keys()
                    .filter_map(|k| k.parse::<i64>().ok())
                    .collect::<Vec<_>>(),
            )
        });
        let before = sums(&mut tx, q, previous, listed.as_ref()).await?.rows;
        let year = sums(&mut tx, q, last_year, listed.as_ref()).await?.rows;
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
        // Largest first, as many as asked for; hours in the day's order.
        let rows_total = counted.unwrap_or(rows.len());
        rows.sort_by(|a, b| b.current.net.cmp(&a.current.net).then(a.key.cmp(&b.key)));
        rows.truncate(q.rows);
        if q.by == By::Hour {
            rows.sort_by_key(|r| r.key.parse::<u32>().unwrap_or(0));
        }
        let total_key = q.store.clone().unwrap_or_else(|| "chain".into());
        let total = match (q.by, rows.first()) {
            // The chain's only row is its total.
            (By::Chain, Some(only)) => Row {
                key: total_key,
                ..only.clone()
            },
            _ => row(
                total_key,
                String::new(),
                total(&mut tx, q, q.period).await?,
                total(&mut tx, q, previous).await?,
                total(&mut tx, q, last_year).await?,
            ),
        };
        debug_assert!(
            q.by != By::Category
                || rows.len() < rows_total
                || rows.iter().map(|r| r.current.net).sum::<i64>() == total.current.net,
            "the categories add up to the total"
        );
        let (top_products, bottom_products) = if q.top == 0 {
            (Vec::new(), Vec::new())
        } else {
            ranked(&mut tx, q, products).await?
        };
        Ok(SalesReport {
            period: q.period,
            previous,
            last_year,
            store: q.store.clone(),
            by: q.by,
            rows,
            rows_total,
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
