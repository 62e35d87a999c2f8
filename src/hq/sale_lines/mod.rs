//! What HQ keeps of every sale's lines, and the rollups its sales reports read.
//!
//! A sale or return event carries its lines; HQ stores each as a [`Line`] in `sale_lines`,
//! in the transaction that stores the sale (so exactly once, as the sale is), with what it
//! derives rather than what the till says where it can: the name, department and category from
//! HQ's own catalogue (the till's department only for a product HQ does not know), the
//! local day and hour from the sale's instant in the store's time zone ([`super::zones`]).
//! A return's lines are negative and name the sale and line they refund.
//!
//! The same transaction adds the sales to four rollups, one upsert each per batch
//! ([`rollups`]): `sales_by_category` (store × day × department × category),
//! `sales_by_hour` (store × day × hour, bill-level), `sales_by_product` (store × day ×
//! product) and `member_months` (member × month × department × category). Rollup rows are
//! written in key order, so two batches that touch the same rows take their locks in the
//! same order. A store's closed months are rolled up again by month ([`months`]) for the
//! long reports; a sale for a rolled-up month sends them back to it.
//!
//! Events HQ held before it kept lines are back-filled when it opens its database
//! ([`backfill`]): a sale row without a local day is one whose lines are not stored yet.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::domain::sale::{SaleKind, SaleRecord};
use crate::protocol::Event;

use super::db::{Pool, Query, Tx, query};

mod months;
mod postgres;
mod rollups;
mod weeks;
use super::error::HqError;
pub use months::{GRACE_DAYS, MonthsRolled, month_of, next_month};
use rollups::{Part, ROLLUP_TABLES, Rollups, Rows, SQLITE_UPSERTS, Table, rows_json};

/// The department or category of a line HQ can name none for.
pub const UNASSIGNED: &str = "unassigned";

/// The category of a department's own row in `sales_by_category`: the department's totals
/// and the bills with a line in it (which the categories' bills do not add up to).
pub const DEPARTMENT_ROW: &str = "*";

/// A sale or return that was just stored for the first time.
#[derive(Clone)]
pub(super) struct NewSale<'a> {
    pub store_id: &'a str,
    pub terminal_id: &'a str,
    pub event_id: Uuid,
    pub at: DateTime<Utc>,
    pub receipt_no: u64,
    pub sale: &'a SaleRecord,
}

/// The bill-level figures stored on a sale's row beside its totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct BillFacts {
    pub local_day: NaiveDate,
    pub local_hour: i16,
    /// Net of tax and discounts (negative for a return).
    pub net: i64,
    pub discount: i64,
    /// Units in thousandths (negative for a return).
    pub items: i64,
}

/// Whether the record's prices include their tax (the total is the lines less discounts).
fn tax_inclusive(sale: &SaleRecord) -> bool {
    sale.total == sale.subtotal - sale.discount
}

/// A line's net of tax and discount.
fn line_net(sale: &SaleRecord, amount: i64, discount: i64, tax: i64) -> i64 {
    if tax_inclusive(sale) {
        amount - discount - tax
    } else {
        amount - discount
    }
}

/// A line's quantity with the sign of its sale: returns are negative.
fn signed_quantity(kind: SaleKind, quantity: i64) -> i64 {
    match kind {
        SaleKind::Sale => quantity,
        SaleKind::Return => -quantity.abs(),
    }
}

/// The local day and hour of `at` in `zone`.
pub fn local(at: DateTime<Utc>, zone: Tz) -> (NaiveDate, i16) {
    let local = at.with_timezone(&zone);
    (local.date_naive(), local.hour() as i16)
}

/// The bill-level figures of a sale made at `at` in a store in `zone`.
pub(super) fn bill_facts(sale: &SaleRecord, at: DateTime<Utc>, zone: Tz) -> BillFacts {
    let (local_day, local_hour) = local(at, zone);
    BillFacts {
        local_day,
        local_hour,
        net: sale
            .lines
            .iter()
            .map(|l| line_net(sale, l.amount, l.discount, l.tax))
            .sum(),
        discount: sale.lines.iter().map(|l| l.discount).sum(),
        items: sale
            .lines
            .iter()
            .map(|l| signed_quantity(sale.kind, l.quantity))
            .sum(),
    }
}

/// One stored line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    pub store_id: String,
    pub terminal_id: String,
    pub receipt_no: i64,
    pub line_no: i64,
    pub event_id: Uuid,
    pub kind: &'static str,
    pub gtin: i64,
    pub name: String,
    pub department: String,
    pub category: String,
    pub quantity: i64,
    pub net: i64,
    pub tax: i64,
    pub discount: i64,
    pub member_id: Option<String>,
    /// RFC 3339 in UTC with microseconds (as HQ's SQLite stores instants).
    pub at: String,
    pub local_day: NaiveDate,
    pub local_hour: i16,
    pub original_receipt: Option<i64>,
    pub original_line: Option<i64>,
}

/// What HQ's catalogue says of a product.
#[derive(Debug, Clone)]
pub(super) struct Classified {
    name: Option<String>,
    department: Option<String>,
    category: Option<String>,
}

impl Classified {
    /// From the catalogue record's fields; a blank one is none.
    pub(super) fn new(
        department: Option<String>,
        category: Option<String>,
        name: Option<String>,
    ) -> Classified {
        let named = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        Classified {
            department: named(department),
            category: named(category),
            name: named(name),
        }
    }
}

/// HQ's catalogue of the products a batch names, by GTIN.
pub(super) type Catalogue = HashMap<i64, Classified>;

/// The lines of `sales`, classified by HQ's catalogue (`catalogue`, by GTIN).
fn lines_of(sales: &[NewSale<'_>], zone: Tz, catalogue: &Catalogue) -> Vec<Line> {
    let mut lines = Vec::new();
    for s in sales {
        let (local_day, local_hour) = local(s.at, zone);
        let at = s.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, false);
        for l in &s.sale.lines {
            let gtin = l.gtin as i64;
            let known = catalogue.get(&gtin);
            let till_department = l.department.clone().filter(|d| !d.trim().is_empty());
            let department = match known {
                Some(k) => k.department.clone().or(till_department.clone()),
                None => till_department.clone(),
            }
            .unwrap_or_else(|| UNASSIGNED.to_string());
            let category = match known {
                Some(k) => k.category.clone(),
                None => None,
            }
            .or(till_department)
            .unwrap_or_else(|| UNASSIGNED.to_string());
            lines.push(Line {
                store_id: s.store_id.to_string(),
                terminal_id: s.terminal_id.to_string(),
                receipt_no: s.receipt_no as i64,
                line_no: i64::from(l.line_no),
                event_id: s.event_id,
                kind: s.sale.kind.as_str(),
                gtin,
                name: known
                    .and_then(|k| k.name.clone())
                    .unwrap_or_else(|| l.name.clone())
                    .chars()
                    .take(200)
                    .collect(),
                department,
                category,
                quantity: signed_quantity(s.sale.kind, l.quantity),
                net: line_net(s.sale, l.amount, l.discount, l.tax),
                tax: l.tax,
                discount: l.discount,
                member_id: s.sale.member_id.clone(),
                at: at.clone(),
                local_day,
                local_hour,
                original_receipt: s.sale.original_receipt.map(|n| n as i64),
                original_line: l.original_line.map(i64::from),
            });
        }
    }
    lines
}

/// Stores the lines of sales that were just stored, and adds them to the rollups. On
/// PostgreSQL the lines and the five rollups are one statement ([`postgres::record`]);
/// SQLite takes one statement each.
pub(super) async fn record(tx: &mut Tx, zone: Tz, sales: &[NewSale<'_>]) -> Result<(), HqError> {
    if sales.is_empty() {
        return Ok(());
    }
    let catalogue = classify(tx, sales).await?;
    record_classified(tx, zone, sales, &catalogue).await
}

/// [`record`] with HQ's catalogue of the sales' products already read (the set-based
/// ingest reads it in the statement that stores the sales).
pub(super) async fn record_classified(
    tx: &mut Tx,
    zone: Tz,
    sales: &[NewSale<'_>],
    catalogue: &Catalogue,
) -> Result<(), HqError> {
    if sales.is_empty() {
        return Ok(());
    }
    let lines = lines_of(sales, zone, catalogue);
    let rollups = Rollups::of(&lines);
    let unrolled = months::unrolled_month(&lines);
    if let Tx::Postgres(conn) = tx {
        return postgres::record(conn, &lines, rollups.tables(), unrolled).await;
    }
    if let Some((store_id, month)) = unrolled {
        months::unroll(tx, store_id, month).await?;
    }
    let lines = serde_json::to_value(&lines).map_err(|e| HqError::Invalid(e.to_string()))?;
    query(INSERT_LINES_SQLITE)
        .bind(lines)
        .execute(&mut *tx)
        .await?;
    for (table, rows) in rollups.tables() {
        if !rows.is_empty() {
            query(&SQLITE_UPSERTS[table.name])
                .bind(rows_json(table, rows))
                .execute(&mut *tx)
                .await?;
        }
    }
    Ok(())
}

/// The GTINs the sales' lines name, each once.
pub(super) fn gtins<'a>(sales: impl Iterator<Item = &'a SaleRecord>) -> Vec<i64> {
    let mut gtins: Vec<i64> = sales
        .flat_map(|s| s.lines.iter().map(|l| l.gtin as i64))
        .collect();
    gtins.sort_unstable();
    gtins.dedup();
    gtins
}

/// HQ's department and category of every product the sales name.
async fn classify(tx: &mut Tx, sales: &[NewSale<'_>]) -> Result<Catalogue, HqError> {
    let rows = Query::dialects(
        "SELECT gtin, record->>'department', record->>'category', record->>'name' FROM products
         WHERE gtin IN (SELECT jsonb_array_elements_text($1)::int8)",
        "SELECT gtin, json_extract(record, '$.department'), json_extract(record, '$.category'),
                json_extract(record, '$.name')
         FROM products WHERE gtin IN (SELECT value FROM json_each($1))",
    )
    .bind(Value::from(gtins(sales.iter().map(|s| s.sale))))
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.get::<i64>(0),
                Classified::new(r.get(1), r.get(2), r.get(3)),
            )
        })
        .collect())
}

/// The lines of a JSON array, on SQLite (PostgreSQL takes [`postgres::record`]).
const INSERT_LINES_SQLITE: &str =
    "INSERT INTO sale_lines (store_id, terminal_id, receipt_no, line_no, event_id, kind, gtin,
                         name, department, category, quantity, net, tax, discount,
                         member_id, at, local_day, local_hour, original_receipt,
                         original_line)
 SELECT value->>'store_id', value->>'terminal_id', value->>'receipt_no',
        value->>'line_no', value->>'event_id', value->>'kind', value->>'gtin',
        value->>'name', value->>'department', value->>'category', value->>'quantity',
        value->>'net', value->>'tax', value->>'discount', value->>'member_id',
        value->>'at', value->>'local_day', value->>'local_hour',
        value->>'original_receipt', value->>'original_line'
 FROM json_each($1)";

/// How many older sales one back-fill transaction takes.
const BACKFILL_BATCH: i64 = 500;

/// Stores the lines of the sales HQ held before it kept lines (their rows have no local
/// day), a batch per transaction; returns how many sales it filled. Two HQs opening the
/// same database at once fill each sale once: a sale is claimed by setting its local day,
/// which only one of them can do.
pub async fn backfill(pool: &Pool) -> Result<u64, HqError> {
    let mut filled = 0;
    loop {
        let mut tx = pool.begin().await?;
        let rows = query(
            "SELECT s.store_id, s.terminal_id, s.receipt_no, CAST(s.event_id AS TEXT), s.at, e.kind,
                    e.payload
             FROM sales s JOIN events e ON e.store_id = s.store_id AND e.id = s.event_id
             WHERE s.local_day IS NULL
             ORDER BY s.store_id, s.terminal_id, s.receipt_no
             LIMIT $1",
        )
        .bind(BACKFILL_BATCH)
        .fetch_all(&mut tx)
        .await?;
        if rows.is_empty() {
            return Ok(filled);
        }
        let mut held = Vec::with_capacity(rows.len());
        for r in &rows {
            let store_id: String = r.get(0);
            let terminal_id: String = r.get(1);
            let receipt_no: i64 = r.get(2);
            let event_id: String = r.get(3);
            let event_id = Uuid::parse_str(&event_id)
                .map_err(|e| HqError::Invalid(format!("event id {event_id}: {e}")))?;
            let at: DateTime<Utc> = r.get(4);
            let kind: String = r.get(5);
            let payload = r.json(6)?;
            let Ok(Event::Sale { event, .. }) = Event::read(&kind, &payload) else {
                return Err(HqError::Invalid(format!(
                    "sale {store_id}/{terminal_id}/{receipt_no}: its event ({kind}) is not a \
                     sale HQ can read; its lines cannot be back-filled"
                )));
            };
            held.push((store_id, terminal_id, receipt_no, event_id, at, event.sale));
        }
        let mut zones: HashMap<String, Tz> = HashMap::new();
        for (store_id, ..) in &held {
            if !zones.contains_key(store_id) {
                let zone = super::zones::for_ingest(&mut tx, store_id).await?;
                zones.insert(store_id.clone(), zone);
            }
        }
        let mut by_store: BTreeMap<&str, Vec<NewSale>> = BTreeMap::new();
        for (store_id, terminal_id, receipt_no, event_id, at, sale) in &held {
            let zone = zones[store_id];
            let facts = bill_facts(sale, *at, zone);
            let claimed = query(
                "UPDATE sales SET local_day = $1, local_hour = $2, net = $3, discount = $4,
                                  items = $5
                 WHERE store_id = $7 AND event_id = $6 AND local_day IS NULL",
            )
            .bind(facts.local_day)
            .bind(i64::from(facts.local_hour))
            .bind(facts.net)
            .bind(facts.discount)
            .bind(facts.items)
            .bind(*event_id)
            .bind(store_id.as_str())
            .execute(&mut tx)
            .await?;
            if claimed == 1 {
                by_store.entry(store_id).or_default().push(NewSale {
                    store_id,
                    terminal_id,
                    event_id: *event_id,
                    at: *at,
                    receipt_no: *receipt_no as u64,
                    sale,
                });
            }
        }
        for (store_id, sales) in &by_store {
            record(&mut tx, zones[*store_id], sales).await?;
            filled += sales.len() as u64;
        }
        tx.commit().await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::sale::sample_sale;
    use chrono::Datelike;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn local_days_follow_daylight_saving() {
        let berlin = chrono_tz::Europe::Berlin;
        // 2026-03-29: clocks go from 02:00 to 03:00 in Berlin (UTC+1 to UTC+2).
        assert_eq!(
            local(at("2026-03-28T23:30:00Z"), berlin),
            (NaiveDate::from_ymd_opt(2026, 3, 29).unwrap(), 0)
        );
        assert_eq!(
            local(at("2026-03-29T22:30:00Z"), berlin),
            (NaiveDate::from_ymd_opt(2026, 3, 30).unwrap(), 0)
        );
        // A fixed UTC+1 would put this one on the 29th.
        assert_eq!(local(at("2026-03-29T22:30:00Z"), berlin).0.day(), 30);
        let shanghai = chrono_tz::Asia::Shanghai;
        assert_eq!(
            local(at("2026-03-29T16:00:00Z"), shanghai),
            (NaiveDate::from_ymd_opt(2026, 3, 30).unwrap(), 0)
        );
    }

    #[test]
    fn lines_take_hq_categories_and_returns_are_negative() {
        let mut sale = sample_sale(3, 5);
        sale.lines[1].gtin = 42;
        sale.lines[2].department = Some("Till dept".into());
        sale.lines[2].gtin = 43;
        let event_id = Uuid::from_u128(1);
        let new = NewSale {
            store_id: "S1",
            terminal_id: "T1",
            event_id,
            at: at("2026-06-01T10:15:00Z"),
            receipt_no: 7,
            sale: &sale,
        };
        let catalogue = HashMap::from([(
            42,
            Classified {
                name: None,
                department: Some("Fresh".into()),
                category: Some("Dairy".into()),
            },
        )]);
        let lines = lines_of(
            std::slice::from_ref(&new),
            chrono_tz::Asia::Shanghai,
            &catalogue,
        );
        assert_eq!(lines.len(), 3);
        assert_eq!(
            (lines[1].department.as_str(), lines[1].category.as_str()),
            ("Fresh", "Dairy")
        );
        // Unknown to HQ: the till's department names both.
        assert_eq!(lines[2].category, "Till dept");
        assert_eq!(lines[0].category, UNASSIGNED);
        assert_eq!(lines[0].local_hour, 18);
        let facts = bill_facts(&sale, at("2026-06-01T10:15:00Z"), chrono_tz::Asia::Shanghai);
        assert_eq!(facts.net, lines.iter().map(|l| l.net).sum::<i64>());
        assert_eq!(facts.net + sale.tax, sale.subtotal - sale.discount);

        let mut ret = sale.clone();
        ret.kind = SaleKind::Return;
        for l in &mut ret.lines {
            l.amount = -l.amount;
            l.discount = -l.discount;
            l.tax = -l.tax;
        }
        ret.subtotal = -ret.subtotal;
        ret.discount = -ret.discount;
        ret.tax = -ret.tax;
        ret.total = -ret.total;
        ret.original_receipt = Some(7);
        let returned = NewSale {
            receipt_no: 8,
            event_id: Uuid::from_u128(2),
            sale: &ret,
            ..new.clone()
        };
        let back = lines_of(&[returned], chrono_tz::Asia::Shanghai, &catalogue);
        for (l, r) in lines.iter().zip(&back) {
            assert_eq!((r.quantity, r.net, r.tax), (-l.quantity, -l.net, -l.tax));
            assert_eq!(r.original_receipt, Some(7));
        }
    }

    #[test]
    fn rollups_add_up_to_the_lines_and_count_each_bill_once_per_group() {
        let sale = sample_sale(4, 9);
        let news: Vec<NewSale> = (0..3)
            .map(|i| NewSale {
                store_id: "S1",
                terminal_id: "T1",
                event_id: Uuid::from_u128(u128::from(i) + 10),
                at: at("2026-06-01T10:15:00Z"),
                receipt_no: i + 1,
                sale: &sale,
            })
            .collect();
        let lines = lines_of(&news, chrono_tz::Asia::Shanghai, &HashMap::new());
        let r = Rollups::of(&lines);
        let net: i64 = lines.iter().map(|l| l.net).sum();
        let cat_net: i64 = r
            .by_category
            .iter()
            .filter(|(k, _)| k[3] != Part::Text(DEPARTMENT_ROW.into()))
            .map(|(_, v)| v[0])
            .sum();
        let hour_net: i64 = r.by_hour.values().map(|v| v[2]).sum();
        let product_net: i64 = r.by_product.values().map(|v| v[0]).sum();
        assert_eq!((cat_net, hour_net, product_net), (net, net, net));
        // Every line of the sample is the same product: three bills, not twelve.
        assert_eq!(r.by_product.values().map(|v| v[4]).sum::<i64>(), 3);
        assert_eq!(r.by_hour.values().map(|v| v[0]).sum::<i64>(), 3);
        assert_eq!(r.sold_products.len(), 1);
    }
}
