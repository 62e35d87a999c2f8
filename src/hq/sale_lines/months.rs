//! The month rollups: each store's closed months summed from its day rollups, so that a
//! quarter's or a year's report reads a row per month rather than per day.
//!
//! `stores.months_until` is the first day of the first month a store's month rollups do
//! not hold; reports read the months before it from the month rollups and everything
//! else from the day rollups. Two things move it:
//! - [`HqStore::roll_up_months`] (run by `hq serve`'s schedule) rolls up each month that
//!   closed in the store's zone more than [`GRACE_DAYS`] ago, one month per transaction,
//!   and moves it forward past the month;
//! - a sale stored for a day before it moves it back to that sale's month in the sale's
//!   own transaction ([`unrolled_month`]), so the month is read by day again until it is
//!   rolled up anew. A late sale never makes a report wrong, only slower for a while.
//!
//! A batch holds its terminal's row until it commits; rolling a month up locks every
//! terminal of the store first (as a time-zone change does), so the sums it reads hold
//! every batch in flight, and every later batch sees where `months_until` stands.

use std::sync::LazyLock;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use super::super::db::{Pool, Query, Tx, query};
use super::super::error::HqError;
use super::super::store::HqStore;
use super::Line;

/// How many days after a month closes in a store's zone it is rolled up: a till that was
/// offline at the month's end still uploads its last sales into the day rollups.
pub const GRACE_DAYS: i64 = 2;

/// The first day of `day`'s month.
pub fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).expect("every month has a first day")
}

/// The first day of the month after `month`'s.
pub fn next_month(month: NaiveDate) -> NaiveDate {
    month_of(month_of(month) + Duration::days(32))
}

/// The store and month the lines of one batch send `months_until` back to, if it lies after
/// it: the month of their earliest day. A batch is one terminal's, so one store's.
pub(super) fn unrolled_month(lines: &[Line]) -> Option<(&str, NaiveDate)> {
    let first = lines.first()?;
    debug_assert!(
        lines.iter().all(|l| l.store_id == first.store_id),
        "a batch's lines are one store's"
    );
    let earliest = lines.iter().map(|l| l.local_day).min()?;
    Some((first.store_id.as_str(), month_of(earliest)))
}

/// Sends a store's `months_until` back to `month` if it lies after it (SQLite; PostgreSQL
/// does it in the statement that stores the lines).
pub(super) async fn unroll(tx: &mut Tx, store_id: &str, month: NaiveDate) -> Result<(), HqError> {
    query("UPDATE stores SET months_until = $1 WHERE store_id = $2 AND months_until > $1")
        .bind(month)
        .bind(store_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// What one run of [`HqStore::roll_up_months`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonthsRolled {
    /// Store-months rolled up.
    pub months: usize,
    /// Stores whose `months_until` a late sale moved while they were being rolled up (they
    /// are taken up again at the next run).
    pub deferred: usize,
    /// The chain's weeks made ([`super::weeks`]): every store has now rolled them up.
    pub weeks: usize,
}

/// The month rollups and what each sums from its day rollup: `{key}` columns are grouped.
const MONTH_TABLES: [(&str, &str, &str, &str); 3] = [
    (
        "sales_by_category_month",
        "sales_by_category",
        "department, category",
        "net, tax, discount, quantity, lines, bills, member_net",
    ),
    (
        "sales_by_hour_month",
        "sales_by_hour",
        "hour",
        "bills, returns, net, tax, discount, items, member_bills, member_net",
    ),
    (
        "sales_by_product_month",
        "sales_by_product",
        "gtin",
        "net, tax, discount, quantity, bills",
    ),
];

/// Clears a store's month rollups from `$2` to before `$3`: rows left from an earlier
/// roll-up of these months are stale (a late sale reached them).
static DELETES: LazyLock<Vec<String>> = LazyLock::new(|| {
    MONTH_TABLES
        .iter()
        .map(|(table, ..)| *table)
        .chain(["customers_by_month"])
        .map(|table| {
            format!("DELETE FROM {table} WHERE store_id = $1 AND month >= $2 AND month < $3")
        })
        .collect()
});

/// Sums a store's month `$2` (its days up to before `$3`) into each month rollup.
static INSERTS: LazyLock<Vec<String>> = LazyLock::new(|| {
    MONTH_TABLES
        .iter()
        .map(|(table, days, keys, sums)| {
            let summed: Vec<String> = sums
                .split(", ")
                .map(|s| format!("CAST(SUM({s}) AS BIGINT)"))
                .collect();
            format!(
                "INSERT INTO {table} (store_id, month, {keys}, {sums})
                 SELECT store_id, $2, {keys}, {summed} FROM {days}
                 WHERE store_id = $1 AND day >= $2 AND day < $3
                 GROUP BY store_id, {keys}",
                summed = summed.join(", ")
            )
        })
        .collect()
});

/// Takes a store's product rows of months `$2` to before `$3` out of the chain's: added
/// negated, as an upsert (a distributed engine keeps the chain's table as a reference
/// table, which it lets a statement change from a read of the stores' shards only this
/// way; a chain row dropped at nothing while the store's was not is made again, negative,
/// where an update would have left it out).
const CHAIN_OUT: &str = "INSERT INTO sales_by_product_chain_month
        (month, gtin, net, tax, discount, quantity, bills)
     SELECT month, gtin, -net, -tax, -discount, -quantity, -bills FROM sales_by_product_month
     WHERE store_id = $1 AND month >= $2 AND month < $3
     ORDER BY month, gtin
     ON CONFLICT (month, gtin) DO UPDATE SET
        net = sales_by_product_chain_month.net + EXCLUDED.net,
        tax = sales_by_product_chain_month.tax + EXCLUDED.tax,
        discount = sales_by_product_chain_month.discount + EXCLUDED.discount,
        quantity = sales_by_product_chain_month.quantity + EXCLUDED.quantity,
        bills = sales_by_product_chain_month.bills + EXCLUDED.bills";

/// Drops the chain's product rows of months `$1` to before `$2` left at nothing.
const CHAIN_EMPTIED: &str = "DELETE FROM sales_by_product_chain_month
     WHERE month >= $1 AND month < $2
       AND net = 0 AND tax = 0 AND discount = 0 AND quantity = 0 AND bills = 0";

/// Adds a store's product rows of months `$2` to before `$3` to the chain's, in GTIN order
/// (two stores rolled up at once lock the chain's rows in the same order).
const CHAIN_IN: &str = "INSERT INTO sales_by_product_chain_month
        (month, gtin, net, tax, discount, quantity, bills)
     SELECT month, gtin, net, tax, discount, quantity, bills FROM sales_by_product_month
     WHERE store_id = $1 AND month >= $2 AND month < $3
     ORDER BY month, gtin
     ON CONFLICT (month, gtin) DO UPDATE SET
        net = sales_by_product_chain_month.net + EXCLUDED.net,
        tax = sales_by_product_chain_month.tax + EXCLUDED.tax,
        discount = sales_by_product_chain_month.discount + EXCLUDED.discount,
        quantity = sales_by_product_chain_month.quantity + EXCLUDED.quantity,
        bills = sales_by_product_chain_month.bills + EXCLUDED.bills";

/// A chain table by quarter or year: the sum of every store's rows of a month rollup, kept
/// as the chain's table by month is (a store's old rows out, its new rows in, at each
/// roll-up).
struct ChainTable {
    table: &'static str,
    /// `quarter` or `year`: its period column, the period's first day.
    of: &'static str,
    /// The month rollup it sums, with its key columns and its figures.
    source: &'static str,
    keys: &'static str,
    sums: &'static str,
}

const PRODUCT_SUMS: &str = "net, tax, discount, quantity, bills";
const CATEGORY_SUMS: &str = "net, tax, discount, quantity, lines, bills, member_net";

const CHAIN_TABLES: [ChainTable; 4] = [
    ChainTable {
        table: "sales_by_product_chain_quarter",
        of: "quarter",
        source: "sales_by_product_month",
        keys: "gtin",
        sums: PRODUCT_SUMS,
    },
    ChainTable {
        table: "sales_by_product_chain_year",
        of: "year",
        source: "sales_by_product_month",
        keys: "gtin",
        sums: PRODUCT_SUMS,
    },
    ChainTable {
        table: "sales_by_category_chain_quarter",
        of: "quarter",
        source: "sales_by_category_month",
        keys: "department, category",
        sums: CATEGORY_SUMS,
    },
    ChainTable {
        table: "sales_by_category_chain_year",
        of: "year",
        source: "sales_by_category_month",
        keys: "department, category",
        sums: CATEGORY_SUMS,
    },
];

/// A chain table's statements, each in PostgreSQL's and SQLite's text: a store's rows of
/// months `$2` to before `$3` taken out (`out`) and put in (`into`, in key order, so two
/// stores rolled up at once lock the chain's rows in the same order), and the rows left at
/// nothing from the period of `$1` to before `$2` dropped (`emptied`).
struct ChainStatements {
    of: &'static str,
    out: (String, String),
    into: (String, String),
    emptied: String,
}

fn chain_statements(t: &ChainTable) -> ChainStatements {
    let first = |sqlite: bool| match (t.of, sqlite) {
        ("quarter", false) => "CAST(date_trunc('quarter', month) AS DATE)",
        ("quarter", true) => {
            "printf('%s-%02d-01', strftime('%Y', month), (CAST(strftime('%m', month) AS INTEGER) - 1) / 3 * 3 + 1)"
        }
        (_, false) => "CAST(date_trunc('year', month) AS DATE)",
        (_, true) => "strftime('%Y-01-01', month)",
    };
    let (table, of, keys) = (t.table, t.of, t.keys);
    let sums: Vec<&str> = t.sums.split(", ").collect();
    let summed = sums
        .iter()
        .map(|c| format!("CAST(SUM({c}) AS BIGINT) AS {c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let store_rows = |sqlite: bool| {
        format!(
            "SELECT {first} AS {of}, {keys}, {summed} FROM {source}
             WHERE store_id = $1 AND month >= $2 AND month < $3 GROUP BY 1, {keys}",
            first = first(sqlite),
            source = t.source
        )
    };
    let set = |sign: &str, from: &str| {
        sums.iter()
            .map(|c| format!("{c} = {table}.{c} {sign} {from}.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // Out is in, negated (see CHAIN_OUT).
    let upsert = |sqlite: bool, sign: &str| {
        let figures = sums
            .iter()
            .map(|c| format!("{sign}{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "INSERT INTO {table} ({of}, {keys}, {all})
             SELECT {of}, {keys}, {figures} FROM ({}) o WHERE true ORDER BY {of}, {keys}
             ON CONFLICT ({of}, {keys}) DO UPDATE SET {}",
            store_rows(sqlite),
            set("+", "EXCLUDED"),
            all = t.sums
        )
    };
    let out = |sqlite: bool| upsert(sqlite, "-");
    let into = |sqlite: bool| upsert(sqlite, "");
    let zero = sums
        .iter()
        .map(|c| format!(" AND {c} = 0"))
        .collect::<String>();
    ChainStatements {
        of,
        out: (out(false), out(true)),
        into: (into(false), into(true)),
        emptied: format!("DELETE FROM {table} WHERE {of} >= $1 AND {of} < $2{zero}"),
    }
}

static CHAIN_PERIODS: LazyLock<Vec<ChainStatements>> =
    LazyLock::new(|| CHAIN_TABLES.iter().map(chain_statements).collect());

/// The first day of the quarter or year (`of`) that holds `day`.
fn period_of(of: &str, day: NaiveDate) -> NaiveDate {
    let month = if of == "quarter" {
        day.month0() / 3 * 3 + 1
    } else {
        1
    };
    NaiveDate::from_ymd_opt(day.year(), month, 1).expect("quarters open on a month's first day")
}

/// Makes a store's rows of `customers_by_year` for the years from `$2` to before `$3`
/// again from its month rows (each member's months as bits; distinct powers of two add up
/// to their OR).
macro_rules! customers_years {
    ($year:literal, $bit:literal) => {
        concat!(
            "INSERT INTO customers_by_year (store_id, year, member_id, months)
             SELECT store_id, ",
            $year,
            ", member_id, CAST(SUM(",
            $bit,
            ") AS BIGINT)
             FROM customers_by_month WHERE store_id = $1 AND month >= $2 AND month < $3
             GROUP BY store_id, ",
            $year,
            ", member_id"
        )
    };
}

const CUSTOMERS_YEARS_PG: &str = customers_years!(
    "CAST(date_trunc('year', month) AS DATE)",
    "CAST(1 AS BIGINT) << (CAST(EXTRACT(MONTH FROM month) AS INT) - 1)"
);
const CUSTOMERS_YEARS_SQLITE: &str = customers_years!(
    "strftime('%Y-01-01', month)",
    "1 << (CAST(strftime('%m', month) AS INTEGER) - 1)"
);

/// Makes a store's rows of `sales_by_product_store_year` for the years from `$2` to before
/// `$3` again from its month rows.
macro_rules! store_product_years {
    ($year:literal) => {
        concat!(
            "INSERT INTO sales_by_product_store_year
                (store_id, year, gtin, net, tax, discount, quantity, bills)
             SELECT store_id, ",
            $year,
            ", gtin, CAST(SUM(net) AS BIGINT), CAST(SUM(tax) AS BIGINT),
                    CAST(SUM(discount) AS BIGINT), CAST(SUM(quantity) AS BIGINT),
                    CAST(SUM(bills) AS BIGINT)
             FROM sales_by_product_month WHERE store_id = $1 AND month >= $2 AND month < $3
             GROUP BY store_id, 2, gtin"
        )
    };
}

const STORE_PRODUCT_YEARS_PG: &str =
    store_product_years!("CAST(date_trunc('year', month) AS DATE)");
const STORE_PRODUCT_YEARS_SQLITE: &str = store_product_years!("strftime('%Y-01-01', month)");

impl HqStore {
    /// Rolls up every store's months that closed more than [`GRACE_DAYS`] before `now` in
    /// the store's zone and are not rolled up yet.
    pub async fn roll_up_months(&self, now: DateTime<Utc>) -> Result<MonthsRolled, HqError> {
        let stores =
            query("SELECT store_id, time_zone, months_until FROM stores ORDER BY store_id")
                .fetch_all(self.pool())
                .await?;
        let mut done = MonthsRolled::default();
        for row in stores {
            let store_id: String = row.get(0);
            let time_zone: String = row.get(1);
            let mut until: NaiveDate = row.get(2);
            let zone = super::super::zones::parse(&time_zone)?;
            let local_today = now.with_timezone(&zone).date_naive();
            let closed_until = month_of(local_today - Duration::days(GRACE_DAYS));
            while until < closed_until {
                // Months without sales are skipped to the next with some: they hold
                // nothing, and go with it (or with the last) in one transaction.
                let next = query(
                    "SELECT MIN(day) FROM sales_by_hour
                     WHERE store_id = $1 AND day >= $2 AND day < $3",
                )
                .bind(&store_id)
                .bind(until)
                .bind(closed_until)
                .fetch_one(self.pool())
                .await?;
                let month = next.get::<Option<NaiveDate>>(0).map(month_of);
                let after = month.map_or(closed_until, next_month);
                if !roll_up(self.pool(), &store_id, until, month, after).await? {
                    done.deferred += 1;
                    break;
                }
                done.months += usize::from(month.is_some());
                until = after;
            }
        }
        // The chain's weeks every store has now rolled up; the first run after HQ kept
        // weeks makes those of the months rolled up before.
        let none_made = query("SELECT 1 FROM chain_weeks LIMIT 1")
            .fetch_optional(self.pool())
            .await?
            .is_none();
        if done.months > 0 || none_made {
            done.weeks = super::weeks::build(self.pool()).await?;
        }
        if (done.months > 0 || done.weeks > 0) && self.pool().backend() == "postgres" {
            // The reports' plans count on the month rollups' statistics being current.
            query(
                "ANALYZE stores, sales_by_category_month, sales_by_hour_month,
                         sales_by_product_month, sales_by_product_chain_month,
                         sales_by_product_chain_quarter, sales_by_product_chain_year,
                         sales_by_product_store_year, sales_by_category_chain_quarter,
                         sales_by_category_chain_year, customers_by_month, customers_by_year,
                         chain_weeks, sales_by_product_chain_week, sales_by_category_chain_week",
            )
            .execute(self.pool())
            .await?;
        }
        Ok(done)
    }
}

/// Rolls up `month` of `store_id` (none: only empty months) and moves its `months_until`
/// from `until` to `after`, in one transaction; false, and nothing done, if `months_until`
/// is no longer `until` (a late sale moved it back, or another HQ process rolled it up) or
/// the months before `month` are no longer empty.
async fn roll_up(
    pool: &Pool,
    store_id: &str,
    until: NaiveDate,
    month: Option<NaiveDate>,
    after: NaiveDate,
) -> Result<bool, HqError> {
    let mut tx = pool.begin().await?;
    if !tx.is_sqlite() {
        // Every batch in flight for the store commits first (see the module's doc).
        query("SELECT 1 FROM terminals WHERE store_id = $1 ORDER BY terminal_id FOR UPDATE")
            .bind(store_id)
            .fetch_all(&mut tx)
            .await?;
    }
    let held = query("SELECT months_until FROM stores WHERE store_id = $1")
        .bind(store_id)
        .fetch_optional(&mut tx)
        .await?;
    if held.map(|r| r.get::<NaiveDate>(0)) != Some(until) {
        return Ok(false);
    }
    // The months skipped as empty must still be: a sale may have reached one since they
    // were looked at (not late, as it is not before `months_until`).
    let skipped =
        query("SELECT 1 FROM sales_by_hour WHERE store_id = $1 AND day >= $2 AND day < $3 LIMIT 1")
            .bind(store_id)
            .bind(until)
            .bind(month.unwrap_or(after))
            .fetch_optional(&mut tx)
            .await?;
    if skipped.is_some() {
        return Ok(false);
    }
    // The chain's weeks of these months are made again once every store has rolled them.
    super::weeks::forget(&mut tx, until, after).await?;
    // The chain's product rows hold the store's old rows of these months: out they go.
    let by_period = CHAIN_PERIODS
        .iter()
        .map(|c| Query::dialects(c.out.0.as_str(), c.out.1.as_str()));
    for out in std::iter::once(Query::dialects(CHAIN_OUT, CHAIN_OUT)).chain(by_period) {
        out.bind(store_id)
            .bind(until)
            .bind(after)
            .execute(&mut tx)
            .await?;
    }
    for delete in DELETES.iter() {
        query(delete)
            .bind(store_id)
            .bind(until)
            .bind(after)
            .execute(&mut tx)
            .await?;
    }
    if let Some(month) = month {
        debug_assert!(until <= month && next_month(month) == after);
        for insert in INSERTS.iter() {
            query(insert)
                .bind(store_id)
                .bind(month)
                .bind(after)
                .execute(&mut tx)
                .await?;
        }
        // Each hour a member bought in sets its bit once: the sum of distinct powers of
        // two is their OR, in both SQL dialects.
        query(
            "INSERT INTO customers_by_month (store_id, month, member_id, hours)
             SELECT store_id, $2, member_id, CAST(SUM(DISTINCT CAST(1 AS BIGINT) << local_hour) AS BIGINT)
             FROM sales
             WHERE store_id = $1 AND kind = 'sale' AND member_id IS NOT NULL
               AND local_day >= $2 AND local_day < $3
             GROUP BY store_id, member_id",
        )
        .bind(store_id)
        .bind(month)
        .bind(after)
        .execute(&mut tx)
        .await?;
    }
    // The years the months touched are made again from the month rows.
    let years = (
        period_of("year", until),
        period_of("year", after.pred_opt().unwrap_or(after))
            .checked_add_months(chrono::Months::new(12))
            .unwrap_or(after),
    );
    query("DELETE FROM customers_by_year WHERE store_id = $1 AND year >= $2 AND year < $3")
        .bind(store_id)
        .bind(years.0)
        .bind(years.1)
        .execute(&mut tx)
        .await?;
    Query::dialects(CUSTOMERS_YEARS_PG, CUSTOMERS_YEARS_SQLITE)
        .bind(store_id)
        .bind(years.0)
        .bind(years.1)
        .execute(&mut tx)
        .await?;
    query(
        "DELETE FROM sales_by_product_store_year WHERE store_id = $1 AND year >= $2 AND year < $3",
    )
    .bind(store_id)
    .bind(years.0)
    .bind(years.1)
    .execute(&mut tx)
    .await?;
    Query::dialects(STORE_PRODUCT_YEARS_PG, STORE_PRODUCT_YEARS_SQLITE)
        .bind(store_id)
        .bind(years.0)
        .bind(years.1)
        .execute(&mut tx)
        .await?;
    query(CHAIN_EMPTIED)
        .bind(until)
        .bind(after)
        .execute(&mut tx)
        .await?;
    for chain in CHAIN_PERIODS.iter() {
        query(&chain.emptied)
            .bind(period_of(chain.of, until))
            .bind(after)
            .execute(&mut tx)
            .await?;
    }
    if month.is_some() {
        let by_period = CHAIN_PERIODS
            .iter()
            .map(|c| Query::dialects(c.into.0.as_str(), c.into.1.as_str()));
        for into in std::iter::once(Query::dialects(CHAIN_IN, CHAIN_IN)).chain(by_period) {
            into.bind(store_id)
                .bind(until)
                .bind(after)
                .execute(&mut tx)
                .await?;
        }
    }
    // The months before `after` are rolled up and current; later ones a late sale left
    // stale stay summed in the chain's tables until they are rolled up again.
    query(
        "UPDATE stores SET months_until = $2,
                           months_summed = CASE WHEN months_summed > $2 THEN months_summed ELSE $2 END
         WHERE store_id = $1",
    )
        .bind(store_id)
        .bind(after)
        .execute(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_follow_one_another_across_the_year() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(month_of(d("2026-02-28")), d("2026-02-01"));
        assert_eq!(next_month(d("2026-01-31")), d("2026-02-01"));
        assert_eq!(next_month(d("2026-12-01")), d("2027-01-01"));
        assert_eq!(next_month(d("2028-02-01")), d("2028-03-01"));
    }
}
