//! The rollups a batch of lines adds to: each [`Table`] (its keys and the figures summed),
//! and [`Rollups`], the rows one batch adds to each, keyed and summed in memory so that
//! every table takes one upsert per batch. Rows are kept in key order, so two batches that
//! touch the same rows lock them in the same order.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use serde_json::Value;
use uuid::Uuid;

use super::{DEPARTMENT_ROW, Line};
use crate::domain::sale::SaleKind;

/// One rollup table: its key columns (with their PostgreSQL types) and the figures summed.
pub(super) struct Table {
    pub name: &'static str,
    pub keys: &'static [(&'static str, &'static str)],
    pub sums: &'static [&'static str],
}

pub(super) static BY_CATEGORY: Table = Table {
    name: "sales_by_category",
    keys: &[
        ("store_id", "text"),
        ("day", "date"),
        ("department", "text"),
        ("category", "text"),
    ],
    sums: &[
        "net",
        "tax",
        "discount",
        "quantity",
        "lines",
        "bills",
        "member_net",
    ],
};

pub(super) static BY_HOUR: Table = Table {
    name: "sales_by_hour",
    keys: &[("store_id", "text"), ("day", "date"), ("hour", "int2")],
    sums: &[
        "bills",
        "returns",
        "net",
        "tax",
        "discount",
        "items",
        "member_bills",
        "member_net",
    ],
};

pub(super) static BY_PRODUCT: Table = Table {
    name: "sales_by_product",
    keys: &[("store_id", "text"), ("day", "date"), ("gtin", "int8")],
    sums: &["net", "tax", "discount", "quantity", "bills"],
};

pub(super) static MEMBER_MONTHS: Table = Table {
    name: "member_months",
    keys: &[
        ("member_id", "text"),
        ("month", "date"),
        ("department", "text"),
        ("category", "text"),
    ],
    sums: &["net", "quantity", "bills"],
};

/// The name, department and category each product first sold under.
static SOLD_PRODUCTS: Table = Table {
    name: "sold_products",
    keys: &[
        ("gtin", "int8"),
        ("name", "text"),
        ("department", "text"),
        ("category", "text"),
    ],
    sums: &[],
};

impl Table {
    /// What a row of the table conflicts on: its key, or for the product names the GTIN.
    pub(super) fn conflict_target(&self) -> String {
        let keys: Vec<&str> = self.keys.iter().map(|(k, _)| *k).collect();
        if self.sums.is_empty() {
            // The product names: keyed by GTIN, the first kept. Every store sells the same
            // products, so rewriting the row would make every batch of the chain wait on
            // every other that sold the product.
            keys[0].to_string()
        } else {
            keys.join(", ")
        }
    }

    /// What a conflicting row does: its figures are added to the stored row's.
    pub(super) fn conflict_action(&self) -> String {
        if self.sums.is_empty() {
            return "DO NOTHING".to_string();
        }
        let sums: Vec<String> = self
            .sums
            .iter()
            .map(|s| format!("{s} = {}.{s} + EXCLUDED.{s}", self.name))
            .collect();
        format!("DO UPDATE SET {}", sums.join(", "))
    }

    /// The upsert of a JSON array of rows, on SQLite.
    fn sqlite(&self) -> String {
        let columns: Vec<&str> = self
            .keys
            .iter()
            .map(|(k, _)| *k)
            .chain(self.sums.iter().copied())
            .collect();
        let extracted: Vec<String> = columns.iter().map(|c| format!("value->>'{c}'")).collect();
        // `WHERE true`: SQLite's parser needs it between a SELECT and ON CONFLICT.
        format!(
            "INSERT INTO {name} ({cols}) SELECT {extracted} FROM json_each($1) WHERE true
             ON CONFLICT ({conflict}) {action}",
            name = self.name,
            cols = columns.join(", "),
            extracted = extracted.join(", "),
            conflict = self.conflict_target(),
            action = self.conflict_action(),
        )
    }
}

/// Each table's upsert on SQLite, made once.
pub(super) static SQLITE_UPSERTS: LazyLock<HashMap<&'static str, String>> =
    LazyLock::new(|| ROLLUP_TABLES.iter().map(|t| (t.name, t.sqlite())).collect());

/// The rollup tables, in the order [`Rollups::tables`] gives their rows.
pub(super) static ROLLUP_TABLES: [&Table; 5] = [
    &BY_CATEGORY,
    &BY_HOUR,
    &BY_PRODUCT,
    &MEMBER_MONTHS,
    &SOLD_PRODUCTS,
];

/// A key part of a rollup row.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Part {
    Text(String),
    Int(i64),
}

impl From<&Part> for Value {
    fn from(p: &Part) -> Value {
        match p {
            Part::Text(s) => Value::from(s.as_str()),
            Part::Int(n) => Value::from(*n),
        }
    }
}

pub(super) type Rows = BTreeMap<Vec<Part>, Vec<i64>>;

/// The rollups' deltas of a set of lines, by table and key.
#[derive(Debug, Default)]
pub(super) struct Rollups {
    pub(super) by_category: Rows,
    pub(super) by_hour: Rows,
    pub(super) by_product: Rows,
    pub(super) member_months: Rows,
    pub(super) sold_products: Rows,
}

fn add(rows: &mut Rows, key: Vec<Part>, width: usize, values: &[i64]) {
    let sums = rows.entry(key).or_insert_with(|| vec![0; width]);
    for (sum, v) in sums.iter_mut().zip(values) {
        *sum += v;
    }
}

fn day(d: NaiveDate) -> Part {
    Part::Text(d.format("%Y-%m-%d").to_string())
}

impl Rollups {
    pub(super) fn of(lines: &[Line]) -> Rollups {
        let mut r = Rollups::default();
        // A bill counts once per group it has a line in: the first line of each.
        let mut counted: std::collections::HashSet<(Uuid, &str, Vec<Part>)> =
            std::collections::HashSet::new();
        let mut bills: HashMap<Uuid, &Line> = HashMap::new();
        for l in lines {
            let sale = l.kind == SaleKind::Sale.as_str();
            let member_net = if l.member_id.is_some() { l.net } else { 0 };
            let mut first = |table: &'static str, key: &[Part]| -> i64 {
                i64::from(sale && counted.insert((l.event_id, table, key.to_vec())))
            };
            // Each category's row, and its department's own row (a bill with lines in two
            // categories of one department is one bill of the department).
            for category in [l.category.as_str(), DEPARTMENT_ROW] {
                let key = vec![
                    Part::Text(l.store_id.clone()),
                    day(l.local_day),
                    Part::Text(l.department.clone()),
                    Part::Text(category.to_string()),
                ];
                let bill = first("category", &key);
                add(
                    &mut r.by_category,
                    key,
                    BY_CATEGORY.sums.len(),
                    &[l.net, l.tax, l.discount, l.quantity, 1, bill, member_net],
                );
            }
            let key = vec![
                Part::Text(l.store_id.clone()),
                day(l.local_day),
                Part::Int(l.gtin),
            ];
            let bill = first("product", &key);
            add(
                &mut r.by_product,
                key,
                BY_PRODUCT.sums.len(),
                &[l.net, l.tax, l.discount, l.quantity, bill],
            );
            if let Some(member) = &l.member_id {
                let month = l
                    .local_day
                    .with_day(1)
                    .expect("every month has a first day");
                let key = vec![
                    Part::Text(member.clone()),
                    day(month),
                    Part::Text(l.department.clone()),
                    Part::Text(l.category.clone()),
                ];
                let bill = first("member", &key);
                add(
                    &mut r.member_months,
                    key,
                    MEMBER_MONTHS.sums.len(),
                    &[l.net, l.quantity, bill],
                );
            }
            r.sold_products.insert(
                vec![
                    Part::Int(l.gtin),
                    Part::Text(l.name.clone()),
                    Part::Text(l.department.clone()),
                    Part::Text(l.category.clone()),
                ],
                Vec::new(),
            );
            let key = vec![
                Part::Text(l.store_id.clone()),
                day(l.local_day),
                Part::Int(i64::from(l.local_hour)),
            ];
            add(
                &mut r.by_hour,
                key,
                BY_HOUR.sums.len(),
                &[0, 0, l.net, l.tax, l.discount, l.quantity, 0, member_net],
            );
            bills.entry(l.event_id).or_insert(l);
        }
        // Bills and returns, once per sale, in its hour.
        for l in bills.values() {
            let sale = l.kind == SaleKind::Sale.as_str();
            let member = l.member_id.is_some();
            let key = vec![
                Part::Text(l.store_id.clone()),
                day(l.local_day),
                Part::Int(i64::from(l.local_hour)),
            ];
            add(
                &mut r.by_hour,
                key,
                BY_HOUR.sums.len(),
                &[
                    i64::from(sale),
                    i64::from(!sale),
                    0,
                    0,
                    0,
                    0,
                    i64::from(sale && member),
                    0,
                ],
            );
        }
        // One name per product and batch (the rows are in key order, so of two names in one
        // batch the later in that order; either is a name it sold under).
        let mut names: BTreeMap<i64, Vec<Part>> = BTreeMap::new();
        for key in r.sold_products.keys() {
            if let Part::Int(gtin) = key[0] {
                names.insert(gtin, key.clone());
            }
        }
        r.sold_products = names.into_values().map(|k| (k, Vec::new())).collect();
        r
    }

    /// Each table's rows, in [`ROLLUP_TABLES`]' order.
    pub(super) fn tables(&self) -> [(&'static Table, &Rows); 5] {
        let rows = [
            &self.by_category,
            &self.by_hour,
            &self.by_product,
            &self.member_months,
            &self.sold_products,
        ];
        std::array::from_fn(|i| (ROLLUP_TABLES[i], rows[i]))
    }
}

/// A rollup's rows as the JSON array its upsert reads.
pub(super) fn rows_json(table: &Table, rows: &Rows) -> Value {
    rows.iter()
        .map(|(key, sums)| {
            let mut row = serde_json::Map::new();
            for ((name, _), part) in table.keys.iter().zip(key) {
                row.insert((*name).to_string(), part.into());
            }
            for (name, sum) in table.sums.iter().zip(sums) {
                row.insert((*name).to_string(), Value::from(*sum));
            }
            Value::Object(row)
        })
        .collect()
}
