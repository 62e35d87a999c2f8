//! The SQL of the sales report, in both dialects.
//!
//! Every statement reads a period from parts of a rollup, added up (`UNION ALL`): the
//! whole months a store has rolled up (before the store's `months_until`, see
//! `sale_lines::months`) from the month rollup, so a year is 12 rows rather than 365, and
//! every other day of the period from the day rollup ([`union`]).
//!
//! Parameters: `$1` the first day, `$2` the last, `$3` the first day of the first whole
//! month and `$4` the first day after the last (both `$1` when there is none), `$5` the
//! store of one store's report, then the number of rows and of products to rank, or the
//! JSON array of the GTINs to compare.
//!
//! A store's rows are read through the rollups' primary keys, which lead with the store:
//! the chain is every store HQ knows (each has its row before its first sale is stored),
//! named on PostgreSQL as an array, which the planner takes as index conditions whatever it
//! guesses of the `stores` table's size.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::hq::db::Query;

/// What differs between the dialects: how a statement names the chain's stores (those
/// `stores` holds, `{when}` a condition on them) as a condition on `{t}.store_id`.
struct Dialect {
    chain: &'static str,
    /// The month (1 to 12) of the date `{d}`.
    month_of: &'static str,
    /// `t.gtin` is one of the numbers in the JSON array `{p}`: a (hash) semi-join on the
    /// rows the key ranges read, never a condition on each range (an index condition
    /// scans the range once per number; a filter on an array parameter is a linear search
    /// per row).
    listed: &'static str,
    /// The first day of the month of the date `{d}`, as text (`2026-03-01`).
    month_start: &'static str,
}

static POSTGRES: Dialect = Dialect {
    chain: " AND {t}.store_id = ANY(ARRAY(SELECT store_id FROM stores{when}))",
    month_of: "CAST(EXTRACT(MONTH FROM {d}) AS INT)",
    listed: "t.gtin IN (SELECT CAST(jsonb_array_elements_text({p}) AS BIGINT))",
    month_start: "CAST(CAST(date_trunc('month', {d}) AS DATE) AS TEXT)",
};

static SQLITE: Dialect = Dialect {
    chain: " AND {t}.store_id IN (SELECT store_id FROM stores{when})",
    month_of: "CAST(strftime('%m', {d}) AS INTEGER)",
    listed: "t.gtin IN (SELECT value FROM json_each({p}))",
    month_start: "date({d}, 'start of month')",
};

/// A rollup read by day and by month.
struct Rollup {
    days: &'static str,
    /// The day rollup's day column.
    day: &'static str,
    months: &'static str,
    /// The chain's month and year rollups, summed over the stores, if it has them.
    chain_months: Option<(&'static str, &'static str)>,
    /// A rollup by store and year with a bit per month (`months`), read instead of
    /// `months` when it has one: one row a year rather than one a month. Its parameters
    /// follow the others: the year's first day, the next year's, the period's whole months
    /// as bits ([`super::period::Period::month_bits`]).
    years: Option<&'static str>,
}

const BY_HOUR: Rollup = Rollup {
    days: "sales_by_hour",
    day: "day",
    months: "sales_by_hour_month",
    chain_months: None,
    years: None,
};
const BY_CATEGORY: Rollup = Rollup {
    days: "sales_by_category",
    day: "day",
    months: "sales_by_category_month",
    chain_months: None,
    years: None,
};
const BY_PRODUCT: Rollup = Rollup {
    days: "sales_by_product",
    day: "day",
    months: "sales_by_product_month",
    chain_months: Some((
        "sales_by_product_chain_month",
        "sales_by_product_chain_year",
    )),
    years: None,
};
const CUSTOMERS: Rollup = Rollup {
    days: "sales",
    day: "local_day",
    months: "customers_by_month",
    chain_months: None,
    years: Some("customers_by_year"),
};
/// The members and the hours they bought in: by month (a year's bits hold no hours).
const CUSTOMER_HOURS: Rollup = Rollup {
    years: None,
    ..CUSTOMERS
};

/// The period's rows of `rollup`: `select_*` give the columns read from the days (alias
/// `d`) and the months (`m`), `filter_*` more conditions on them. The parts: the days
/// before the first whole month; the whole months every store has rolled up, from the
/// chain's table where the rollup has one (chain-wide reports only); the whole months a
/// store has rolled up; the days of the whole months it has not (from its `months_until`
/// on); and the days after the last whole month. Each reads its store's rows by a range of
/// the rollup's primary key.
fn union(
    d: &Dialect,
    (one, year): (bool, bool),
    rollup: &Rollup,
    select_days: &str,
    select_months: &str,
    filter_days: &str,
    filter_months: &str,
) -> String {
    let Rollup {
        days,
        day,
        months,
        chain_months,
        years,
    } = rollup;
    let scope = |t: &str, when: &str| {
        if one {
            format!(" AND {t}.store_id = $5")
        } else {
            d.chain.replace("{t}", t).replace("{when}", when)
        }
    };
    // The whole chain's months that every store has rolled up, where the rollup has a
    // chain-wide table: read from it, and only the later months store by store. A calendar
    // year's are read from the table by year while every store has rolled up the same
    // months and none is stale (`months_summed`): it holds exactly those months then.
    let (chain, after_chain) = match chain_months {
        Some((by_month, by_year)) if !one => {
            let (by_year, months_then) = if year {
                (
                    format!(
                        "SELECT {select_months} FROM {by_year} m
                         WHERE m.year = $3 AND {YEAR_HELD}{filter_months}
                         UNION ALL
                         "
                    ),
                    format!(" AND NOT {YEAR_HELD}"),
                )
            } else {
                (String::new(), String::new())
            };
            (
                format!(
                    "{by_year}SELECT {select_months} FROM {by_month} m
                     WHERE m.month >= $3 AND m.month < $4
                       AND m.month < (SELECT MIN(months_until) FROM stores){months_then}{filter_months}
                     UNION ALL
                     "
                ),
                " AND m.month >= (SELECT MIN(months_until) FROM stores)",
            )
        }
        _ => (String::new(), ""),
    };
    let rolled_months = match years {
        // The period's months the store has rolled up: those before its `months_until`.
        Some(by_year) => {
            let n = if one { 6 } else { 5 };
            let month = d.month_of.replace("{d}", "s.months_until");
            format!(
                "SELECT {select_months} FROM {by_year} m
                 JOIN stores s ON s.store_id = m.store_id
                 WHERE m.year = ${n}
                   AND (m.months & ${bits}
                        & CAST(CASE WHEN s.months_until >= ${next} THEN 4095
                                    WHEN s.months_until <= ${n} THEN 0
                                    ELSE (1 << ({month} - 1)) - 1 END AS BIGINT)) <> 0\
                   {filter_months}{rolled}",
                next = n + 1,
                bits = n + 2,
                rolled = scope("m", ""),
            )
        }
        None => format!(
            "SELECT {select_months} FROM {months} m
             JOIN stores s ON s.store_id = m.store_id AND m.month < s.months_until
             WHERE m.month >= $3 AND m.month < $4{after_chain}{filter_months}{rolled}",
            rolled = scope("m", ""),
        ),
    };
    format!(
        "SELECT {select_days} FROM {days} d
         WHERE d.{day} >= $1 AND d.{day} < $3{filter_days}{head}
         UNION ALL
         {chain}{rolled_months}
         UNION ALL
         SELECT {select_days} FROM {days} d
         JOIN stores s ON s.store_id = d.store_id AND d.{day} >= s.months_until
         WHERE d.{day} >= $3 AND d.{day} < $4{filter_days}{unrolled}
         UNION ALL
         SELECT {select_days} FROM {days} d
         WHERE d.{day} >= $4 AND d.{day} <= $2{filter_days}{tail}",
        head = scope("d", ""),
        unrolled = scope("d", " WHERE months_until < $4"),
        tail = scope("d", ""),
    )
}

/// Whether the chain's tables by quarter and by year hold every store's months before their
/// (common) `months_until`, and nothing else.
const YEAR_HELD: &str = "(SELECT MIN(months_until) = MAX(months_until)
                            AND MIN(months_summed) = MAX(months_summed)
                            AND MIN(months_until) = MIN(months_summed) FROM stores)";

/// Each statement's text, by what it groups and whether it is one store's.
pub(super) struct Statements {
    /// Bill-level sums by `chain`, `store` or `hour`: key, bills, returns, net, tax,
    /// discount, items, member net.
    pub by_hour: HashMap<(&'static str, bool), String>,
    /// Distinct members by `chain` or `store`: key, count.
    pub customers: HashMap<(&'static str, bool), String>,
    /// Each member who bought and the hours they bought in (a bit per hour), possibly
    /// several rows per member.
    pub customer_hours: HashMap<bool, String>,
    /// By `department` or `category`: key, label, bills, net, tax, discount, quantity,
    /// member net.
    pub by_category: HashMap<(&'static str, bool), String>,
    /// [`Statements::by_category`] of the chain's whole `week`, `quarter` or `year` from its table,
    /// where [`Statements::chain_holds`]: `$1` its first day.
    pub by_category_held: HashMap<(&'static str, &'static str), String>,
    /// By product, by one store's or not and a calendar year's or not: best (1: among
    /// the largest, 0: among the smallest), GTIN, name, category, bills, net, tax,
    /// discount, quantity, how many products the period has.
    pub by_product: HashMap<(bool, bool), String>,
    /// The products of a JSON array of GTINs, in [`Statements::by_product`]'s columns
    /// (0, GTIN, '', '', bills, net, tax, discount, quantity; no count).
    pub by_product_of: HashMap<(bool, bool), String>,
    /// The best and worst selling products: best (1 or 0), GTIN, name, category, net,
    /// quantity, bills.
    pub ranked: HashMap<(bool, bool), String>,
    /// Whether the chain's table holds the whole `week` (`$2` its first day), `month`,
    /// `quarter` or `year` (`$1` the first day after it), or the store's table its whole
    /// year (`store year`, `$2` the store): 1 or 0.
    pub chain_holds: HashMap<&'static str, String>,
    /// [`Statements::by_product`] of the chain's whole week, month, quarter or year, or a
    /// store's year, read from its table by the net index, where
    /// [`Statements::chain_holds`]: `$1` its first day, `$2` the rows, `$3` the products
    /// to rank, `$4` the store.
    pub by_product_held: HashMap<&'static str, String>,
    /// [`Statements::by_product_of`] of the same: `$1` its first day, `$2` the JSON array
    /// of GTINs, `$3` the store.
    pub by_product_of_held: HashMap<&'static str, String>,
    /// [`Statements::ranked`] of the same, `$2` the products to rank, `$3` the store.
    pub ranked_held: HashMap<&'static str, String>,
    /// Net sales by day (`false`: bound with no whole months, so every day is read from
    /// the day rollups) or by month (`true`), one store's or not: the day or the month's
    /// first day as text, net.
    pub trend: HashMap<(bool, bool), String>,
}

static PG_STATEMENTS: LazyLock<Statements> = LazyLock::new(|| statements(&POSTGRES));
static SQLITE_STATEMENTS: LazyLock<Statements> = LazyLock::new(|| statements(&SQLITE));

/// One statement, picked from both dialects' [`Statements`].
pub(super) fn statement(pick: impl Fn(&'static Statements) -> &'static String) -> Query {
    Query::dialects(pick(&PG_STATEMENTS), pick(&SQLITE_STATEMENTS))
}

fn statements(d: &Dialect) -> Statements {
    let mut s = Statements {
        by_hour: HashMap::new(),
        customers: HashMap::new(),
        customer_hours: HashMap::new(),
        by_category: HashMap::new(),
        by_product: HashMap::new(),
        by_category_held: HashMap::new(),
        by_product_of: HashMap::new(),
        by_product_of_held: HashMap::new(),
        ranked: HashMap::new(),
        trend: HashMap::new(),
        chain_holds: HashMap::new(),
        by_product_held: HashMap::new(),
        ranked_held: HashMap::new(),
    };
    // Every store has rolled the month up; for a quarter or a year, also the chain's table
    // by quarter or year holds exactly the months before their common `months_until`.
    s.chain_holds.insert(
        "month",
        "SELECT CAST(CASE WHEN COUNT(*) = 0 THEN 1 ELSE 0 END AS BIGINT) FROM stores
          WHERE months_until < $1"
            .into(),
    );
    // One store's year: the store has rolled up every month of it (`$2` the store).
    s.chain_holds.insert(
        "store year",
        "SELECT CAST(CASE WHEN COUNT(*) = 1 THEN 1 ELSE 0 END AS BIGINT) FROM stores
          WHERE store_id = $2 AND months_until >= $1"
            .into(),
    );
    // The chain's week: every store has rolled its days up and the week is made.
    s.chain_holds.insert(
        "week",
        "SELECT CAST(CASE WHEN (SELECT MIN(months_until) FROM stores) >= $1
                           AND EXISTS (SELECT 1 FROM chain_weeks WHERE week = $2)
                      THEN 1 ELSE 0 END AS BIGINT)"
            .into(),
    );
    for (of, table, key) in [
        ("week", "sales_by_product_chain_week", "week = $1"),
        ("month", "sales_by_product_chain_month", "month = $1"),
        ("quarter", "sales_by_product_chain_quarter", "quarter = $1"),
        ("year", "sales_by_product_chain_year", "year = $1"),
        (
            "store year",
            "sales_by_product_store_year",
            "store_id = $4 AND year = $1",
        ),
    ] {
        if of == "quarter" || of == "year" {
            s.chain_holds.insert(
                of,
                format!(
                    "SELECT CAST(CASE WHEN {YEAR_HELD}
                                       AND (SELECT MIN(months_until) FROM stores) >= $1
                                  THEN 1 ELSE 0 END AS BIGINT)"
                ),
            );
        }
        let ends = |columns: &str, largest: &str, smallest: &str| {
            format!(
                "(SELECT * FROM (SELECT CAST(1 AS BIGINT) AS best, {columns} FROM {table}
                                 WHERE {key} ORDER BY net DESC, gtin LIMIT {largest}) b
                  UNION ALL
                  SELECT * FROM (SELECT CAST(0 AS BIGINT) AS best, {columns} FROM {table}
                                 WHERE {key} ORDER BY net ASC, gtin LIMIT {smallest}) w) x"
            )
        };
        s.by_product_held.insert(
            of,
            format!(
                "SELECT x.best, CAST(x.gtin AS TEXT), COALESCE(n.name, ''),
                        COALESCE(n.category, ''), x.bills, x.net, x.tax, x.discount, x.quantity,
                        (SELECT COUNT(*) FROM {table} WHERE {key})
                 FROM {}
                 LEFT JOIN sold_products n ON n.gtin = x.gtin",
                ends("gtin, bills, net, tax, discount, quantity", "$2", "$3")
            ),
        );
        s.by_product_of_held.insert(
            of,
            format!(
                "SELECT CAST(0 AS BIGINT), CAST(t.gtin AS TEXT), '', '', t.bills, t.net, t.tax,
                        t.discount, t.quantity
                 FROM {table} t WHERE {} AND {}",
                key.replace("$4", "$3"),
                d.listed.replace("{p}", "$2")
            ),
        );
        s.ranked_held.insert(
            of,
            format!(
                "SELECT x.best, x.gtin, COALESCE(n.name, ''), COALESCE(n.category, ''), x.net,
                        x.quantity, x.bills
                 FROM {}
                 LEFT JOIN sold_products n ON n.gtin = x.gtin",
                ends("gtin, net, quantity, bills", "$2", "$2").replace("$4", "$3")
            ),
        );
    }
    for one in [false, true] {
        for (group, key) in [
            ("chain", "'chain'"),
            ("store", "{t}.store_id"),
            ("hour", "CAST({t}.hour AS TEXT)"),
        ] {
            let select = |t: &str| {
                format!(
                    "{} AS k, {t}.bills, {t}.returns, {t}.net, {t}.tax, {t}.discount, \
                     {t}.items, {t}.member_net",
                    key.replace("{t}", t)
                )
            };
            s.by_hour.insert(
                (group, one),
                format!(
                    "SELECT k, CAST(SUM(bills) AS BIGINT), CAST(SUM(returns) AS BIGINT),
                            CAST(SUM(net) AS BIGINT), CAST(SUM(tax) AS BIGINT),
                            CAST(SUM(discount) AS BIGINT), CAST(SUM(items) AS BIGINT),
                            CAST(SUM(member_net) AS BIGINT)
                     FROM ({}) t GROUP BY k",
                    union(
                        d,
                        (one, false),
                        &BY_HOUR,
                        &select("d"),
                        &select("m"),
                        "",
                        ""
                    )
                ),
            );
        }
        let sold = " AND d.kind = 'sale' AND d.member_id IS NOT NULL";
        for (group, key) in [("chain", "'chain'"), ("store", "{t}.store_id")] {
            let select = |t: &str| format!("{} AS k, {t}.member_id", key.replace("{t}", t));
            s.customers.insert(
                (group, one),
                format!(
                    "SELECT k, COUNT(*) FROM (SELECT DISTINCT k, member_id FROM ({}) u) t
                     GROUP BY k",
                    union(
                        d,
                        (one, false),
                        &CUSTOMERS,
                        &select("d"),
                        &select("m"),
                        sold,
                        ""
                    )
                ),
            );
        }
        s.customer_hours.insert(
            one,
            union(
                d,
                (one, false),
                &CUSTOMER_HOURS,
                "d.member_id, CAST(1 AS BIGINT) << d.local_hour AS hours",
                "m.member_id, m.hours",
                sold,
                "",
            ),
        );
        for months in [false, true] {
            let day_key = if months {
                d.month_start.replace("{d}", "d.day")
            } else {
                "CAST(d.day AS TEXT)".to_string()
            };
            s.trend.insert(
                (months, one),
                format!(
                    "SELECT k, CAST(SUM(net) AS BIGINT) FROM ({}) t GROUP BY k",
                    union(
                        d,
                        (one, false),
                        &BY_HOUR,
                        &format!("{day_key} AS k, d.net"),
                        "CAST(m.month AS TEXT) AS k, m.net",
                        "",
                        ""
                    )
                ),
            );
        }
        // A department's row is its own (`category = '*'`): the bills of its categories
        // do not add up to its bills.
        for (group, columns, grouped, rows) in [
            ("department", "department, MIN('')", "department", "= '*'"),
            (
                "category",
                "category, department",
                "category, department",
                "<> '*'",
            ),
        ] {
            let select = |t: &str| {
                format!(
                    "{t}.department, {t}.category, {t}.bills, {t}.net, {t}.tax, {t}.discount, \
                     {t}.quantity, {t}.member_net"
                )
            };
            // The chain's whole quarter or year, from its table where it holds it.
            if !one {
                for of in ["week", "quarter", "year"] {
                    s.by_category_held.insert(
                        (group, of),
                        format!(
                            "SELECT {columns}, CAST(SUM(bills) AS BIGINT), CAST(SUM(net) AS BIGINT),
                                    CAST(SUM(tax) AS BIGINT), CAST(SUM(discount) AS BIGINT),
                                    CAST(SUM(quantity) AS BIGINT), CAST(SUM(member_net) AS BIGINT)
                             FROM sales_by_category_chain_{of}
                             WHERE {of} = $1 AND category {rows} GROUP BY {grouped}"
                        ),
                    );
                }
            }
            s.by_category.insert(
                (group, one),
                format!(
                    "SELECT {columns}, CAST(SUM(bills) AS BIGINT), CAST(SUM(net) AS BIGINT),
                            CAST(SUM(tax) AS BIGINT), CAST(SUM(discount) AS BIGINT),
                            CAST(SUM(quantity) AS BIGINT), CAST(SUM(member_net) AS BIGINT)
                     FROM ({}) t GROUP BY {grouped}",
                    union(
                        d,
                        (one, false),
                        &BY_CATEGORY,
                        &select("d"),
                        &select("m"),
                        &format!(" AND d.category {rows}"),
                        &format!(" AND m.category {rows}"),
                    )
                ),
            );
        }
        let select =
            |t: &str| format!("{t}.gtin, {t}.bills, {t}.net, {t}.tax, {t}.discount, {t}.quantity");
        for year in [false, true] {
            let products = union(
                d,
                (one, year),
                &BY_PRODUCT,
                &select("d"),
                &select("m"),
                "",
                "",
            );
            // The period's products: the largest `$rows` (or `$top`, if more) by net and
            // the `$top` smallest, from one pass, with how many there are in all.
            let (rows, top) = if one { ("$6", "$7") } else { ("$5", "$6") };
            s.by_product.insert(
                (one, year),
                format!(
                    "WITH r AS (SELECT gtin, CAST(SUM(bills) AS BIGINT) AS bills,
                                   CAST(SUM(net) AS BIGINT) AS net, CAST(SUM(tax) AS BIGINT) AS tax,
                                   CAST(SUM(discount) AS BIGINT) AS discount,
                                   CAST(SUM(quantity) AS BIGINT) AS quantity
                            FROM ({products}) t GROUP BY gtin)
                 SELECT x.best, CAST(x.gtin AS TEXT), COALESCE(n.name, ''),
                        COALESCE(n.category, ''), x.bills, x.net, x.tax, x.discount, x.quantity,
                        (SELECT COUNT(*) FROM r)
                 FROM (SELECT * FROM (SELECT CAST(1 AS BIGINT) AS best, r.* FROM r
                                      ORDER BY net DESC, gtin LIMIT {rows}) b
                       UNION ALL
                       SELECT * FROM (SELECT CAST(0 AS BIGINT) AS best, r.* FROM r
                                      ORDER BY net ASC, gtin LIMIT {top}) w) x
                 LEFT JOIN sold_products n ON n.gtin = x.gtin"
                ),
            );
            // The same products' figures over another period (a JSON array of GTINs).
            let listed = d.listed.replace("{p}", if one { "$6" } else { "$5" });
            s.by_product_of.insert(
                (one, year),
                format!(
                    "SELECT CAST(0 AS BIGINT), CAST(gtin AS TEXT), '', '', CAST(SUM(bills) AS BIGINT),
                            CAST(SUM(net) AS BIGINT), CAST(SUM(tax) AS BIGINT),
                            CAST(SUM(discount) AS BIGINT), CAST(SUM(quantity) AS BIGINT)
                     FROM ({products}) t WHERE {listed} GROUP BY gtin"
                ),
            );
            // The best and the worst from one pass over the period's rows.
            let limit = if one { "$6" } else { "$5" };
            s.ranked.insert(
                (one, year),
                format!(
                    "WITH r AS (SELECT gtin, CAST(SUM(net) AS BIGINT) AS net,
                                   CAST(SUM(quantity) AS BIGINT) AS quantity,
                                   CAST(SUM(bills) AS BIGINT) AS bills
                            FROM ({products}) t GROUP BY gtin)
                 SELECT x.best, x.gtin, COALESCE(n.name, ''), COALESCE(n.category, ''), x.net,
                        x.quantity, x.bills
                 FROM (SELECT * FROM (SELECT CAST(1 AS BIGINT) AS best, gtin, net, quantity, bills FROM r
                                      ORDER BY net DESC, gtin LIMIT {limit}) b
                       UNION ALL
                       SELECT * FROM (SELECT CAST(0 AS BIGINT) AS best, gtin, net, quantity, bills FROM r
                                      ORDER BY net ASC, gtin LIMIT {limit}) w) x
                 LEFT JOIN sold_products n ON n.gtin = x.gtin"
                ),
            );
        }
    }
    s
}
