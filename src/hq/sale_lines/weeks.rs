//! The chain's weeks: every store's seven days of product and category rows summed once,
//! into `sales_by_product_chain_week` and `sales_by_category_chain_week`, so that a
//! chain-wide week report reads one row per product rather than one per store and day.
//!
//! A week is made ([`build`]) once every store has rolled up all its days (the week ends
//! before the least `months_until`), from the day rollups, and `chain_weeks` names it
//! then. Day rows of a rolled-up month change only through a late sale, which sends its
//! store's `months_until` back (so the week is read by day again at once) and is rolled up
//! anew later; that roll-up drops the weeks of the months it rolls ([`forget`]), to be made
//! again once every store has rolled them up again. A report reads a week from here only
//! while both hold: `chain_weeks` names it and it ends before the least `months_until`.
//!
//! Making weeks holds every store's row (PostgreSQL), so a late sale that would send a
//! store back into a week being made waits for it to commit, and is then seen.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use chrono::{Datelike, Duration, NaiveDate};

use super::super::db::{Pool, Query, Tx, query};
use super::super::error::HqError;

/// The Monday of `day`'s ISO week.
pub fn week_of(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

/// The chain tables by week and the day rollup each sums: `{keys}` grouped, `{sums}` added.
const WEEK_TABLES: [(&str, &str, &str, &str); 2] = [
    (
        "sales_by_product_chain_week",
        "sales_by_product",
        "gtin",
        "net, tax, discount, quantity, bills",
    ),
    (
        "sales_by_category_chain_week",
        "sales_by_category",
        "department, category",
        "net, tax, discount, quantity, lines, bills, member_net",
    ),
];

/// Each week table's insert of week `$1` (its days up to before `$2`), in both dialects:
/// every store's rows (read by each store's key range).
static INSERTS: LazyLock<Vec<(String, String)>> = LazyLock::new(|| {
    WEEK_TABLES
        .iter()
        .map(|(table, days, keys, sums)| {
            let summed = sums
                .split(", ")
                .map(|s| format!("CAST(SUM({s}) AS BIGINT)"))
                .collect::<Vec<_>>()
                .join(", ");
            let insert = |stores: &str| {
                format!(
                    "INSERT INTO {table} (week, {keys}, {sums})
                     SELECT $1, {keys}, {summed} FROM {days}
                     WHERE store_id {stores} AND day >= $1 AND day < $2
                     GROUP BY {keys}"
                )
            };
            (
                insert("= ANY(ARRAY(SELECT store_id FROM stores))"),
                insert("IN (SELECT store_id FROM stores)"),
            )
        })
        .collect()
});

/// Drops the weeks from `$1` to before `$2` from `chain_weeks` and each week table.
static FORGETS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ["chain_weeks"]
        .into_iter()
        .chain(WEEK_TABLES.iter().map(|(table, ..)| *table))
        .map(|table| format!("DELETE FROM {table} WHERE week >= $1 AND week < $2"))
        .collect()
});

/// Drops the chain's weeks that hold a day from `until` to before `after` (a store's months
/// being rolled up again), in the roll-up's transaction.
pub(super) async fn forget(tx: &mut Tx, until: NaiveDate, after: NaiveDate) -> Result<(), HqError> {
    let first = week_of(until);
    for forget in FORGETS.iter() {
        query(forget)
            .bind(first)
            .bind(after)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Makes every week the chain tables by week do not hold yet that every store has rolled
/// up; returns how many.
pub(super) async fn build(pool: &Pool) -> Result<usize, HqError> {
    let mut tx = pool.begin().await?;
    let until: Option<NaiveDate> = if tx.is_sqlite() {
        query("SELECT MIN(months_until) FROM stores")
            .fetch_one(&mut tx)
            .await?
            .get(0)
    } else {
        // Every store's row, held to the commit: see the module's doc.
        query("SELECT months_until FROM stores ORDER BY store_id FOR UPDATE")
            .fetch_all(&mut tx)
            .await?
            .iter()
            .map(|r| r.get::<NaiveDate>(0))
            .min()
    };
    // The first month any store rolled up: no week before it holds a sale. (Not a
    // subquery per store: a distributed engine plans no correlated subquery over a
    // reference table such as `stores`.)
    let first: Option<NaiveDate> = query(
        "SELECT MIN(month) FROM sales_by_hour_month WHERE store_id IN (SELECT store_id FROM stores)",
    )
    .fetch_one(&mut tx)
    .await?
    .get(0);
    let (Some(until), Some(first)) = (until, first) else {
        return Ok(0);
    };
    let first = week_of(first);
    let held: BTreeSet<NaiveDate> = query("SELECT week FROM chain_weeks WHERE week >= $1")
        .bind(first)
        .fetch_all(&mut tx)
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut made = 0;
    let mut week = first;
    while week + Duration::days(7) <= until {
        let next = week + Duration::days(7);
        if !held.contains(&week) {
            for (pg, sqlite) in INSERTS.iter() {
                Query::dialects(pg, sqlite)
                    .bind(week)
                    .bind(next)
                    .execute(&mut tx)
                    .await?;
            }
            query("INSERT INTO chain_weeks (week) VALUES ($1)")
                .bind(week)
                .execute(&mut tx)
                .await?;
            made += 1;
        }
        week = next;
    }
    tx.commit().await?;
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_open_on_monday_across_months_and_years() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(week_of(d("2026-12-06")), d("2026-11-30"));
        assert_eq!(week_of(d("2026-11-30")), d("2026-11-30"));
        assert_eq!(week_of(d("2027-01-01")), d("2026-12-28"));
        assert_eq!(week_of(d("2028-03-01")), d("2028-02-28"));
    }
}
