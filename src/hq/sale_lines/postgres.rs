//! A batch's lines and rollup rows in one PostgreSQL statement: the lines insert and the
//! five rollup upserts are data-modifying CTEs of it, each reading its rows from typed
//! arrays (`UNNEST`), one array per column. Every statement is a round trip and a plan, and
//! the arrays travel in PostgreSQL's binary format, where a JSON document would be
//! written, sent and parsed again row by row; on a busy HQ the difference is the ingest
//! rate. The rollup upserts go last in the batch's transaction, so their rows, which other
//! tills of the store update too, stay locked only until the commit that follows.

use std::sync::LazyLock;

use chrono::NaiveDate;
use sqlx::PgConnection;
use sqlx::postgres::{PgArguments, Postgres};
use sqlx::query::Query as SqlxQuery;

use super::{Line, Part, ROLLUP_TABLES, Rows, Table};
use crate::hq::error::HqError;

/// The lines' columns, their array types and how each is cast as it is stored.
const LINE_COLUMNS: [(&str, &str, &str); 20] = [
    ("store_id", "text", ""),
    ("terminal_id", "text", ""),
    ("receipt_no", "int8", ""),
    ("line_no", "int8", "::int4"),
    ("event_id", "uuid", ""),
    ("kind", "text", ""),
    ("gtin", "int8", ""),
    ("name", "text", ""),
    ("department", "text", ""),
    ("category", "text", ""),
    ("quantity", "int8", ""),
    ("net", "int8", ""),
    ("tax", "int8", ""),
    ("discount", "int8", ""),
    ("member_id", "text", ""),
    ("at", "text", "::timestamptz"),
    ("local_day", "date", ""),
    ("local_hour", "int2", ""),
    ("original_receipt", "int8", ""),
    ("original_line", "int8", "::int4"),
];

/// One insert reading `columns` (name, array type, cast) from parameters `$first…`.
fn unnest_insert(table: &str, columns: &[(&str, String, String)], first: usize) -> String {
    let names: Vec<&str> = columns.iter().map(|(n, _, _)| *n).collect();
    let arrays: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, (_, array, _))| format!("${}::{array}[]", first + i))
        .collect();
    let selected: Vec<String> = columns
        .iter()
        .map(|(n, _, cast)| format!("r.{n}{cast}"))
        .collect();
    format!(
        "INSERT INTO {table} ({names}) SELECT {selected} FROM UNNEST({arrays}) AS r({names})",
        names = names.join(", "),
        selected = selected.join(", "),
        arrays = arrays.join(", "),
    )
}

/// A rollup's columns as they are bound: a date key travels as text, an int2 as int8.
fn rollup_columns(table: &Table) -> Vec<(&'static str, String, String)> {
    let keys = table.keys.iter().map(|(name, kind)| match *kind {
        "text" => (*name, "text".to_string(), String::new()),
        "date" => (*name, "text".to_string(), "::date".to_string()),
        other => (*name, "int8".to_string(), format!("::{other}")),
    });
    let sums = table
        .sums
        .iter()
        .map(|name| (*name, "int8".to_string(), String::new()));
    keys.chain(sums).collect()
}

/// The statement: the lines from `$1…$20`, then each rollup's columns in turn.
static STATEMENT: LazyLock<String> = LazyLock::new(|| {
    let lines: Vec<(&str, String, String)> = LINE_COLUMNS
        .iter()
        .map(|(n, t, c)| (*n, t.to_string(), c.to_string()))
        .collect();
    let mut parts = vec![format!(
        "lines AS ({})",
        unnest_insert("sale_lines", &lines, 1)
    )];
    let mut next = 1 + lines.len();
    for table in ROLLUP_TABLES {
        let columns = rollup_columns(table);
        let insert = unnest_insert(table.name, &columns, next);
        next += columns.len();
        parts.push(format!(
            "{} AS ({insert} ON CONFLICT ({}) {})",
            table.name,
            table.conflict_target(),
            table.conflict_action()
        ));
    }
    // A sale for a day of a rolled-up month sends the store's month rollups back to it
    // (see `months`); the update locks the store's row only when it changes it.
    parts.push(format!(
        "unrolled AS (UPDATE stores SET months_until = ${next}::date
                      WHERE store_id = ${} AND months_until > ${next}::date)",
        next + 1
    ));
    format!("WITH {} SELECT 1", parts.join(",\n"))
});

/// Stores `lines` and adds `rollups` (in [`ROLLUP_TABLES`]' order) in one statement, and
/// moves the store's month rollups back to `unrolled`'s month if they hold it.
pub(super) async fn record(
    conn: &mut PgConnection,
    lines: &[Line],
    rollups: [(&'static Table, &Rows); 5],
    unrolled: Option<(&str, NaiveDate)>,
) -> Result<(), HqError> {
    let mut q = sqlx::query(STATEMENT.as_str());
    q = bind_lines(q, lines);
    for (table, rows) in rollups {
        q = bind_rollup(q, table, rows);
    }
    // No lines: no store has the empty id, so nothing changes.
    let (store_id, month) =
        unrolled.unwrap_or(("", NaiveDate::from_ymd_opt(1900, 1, 1).expect("a date")));
    q = q.bind(month).bind(store_id.to_string());
    q.execute(conn).await?;
    Ok(())
}

type PgQuery<'q> = SqlxQuery<'q, Postgres, PgArguments>;

fn bind_lines<'q>(q: PgQuery<'q>, lines: &[Line]) -> PgQuery<'q> {
    fn col<T>(lines: &[Line], f: impl Fn(&Line) -> T) -> Vec<T> {
        lines.iter().map(f).collect()
    }
    q.bind(col(lines, |l| l.store_id.clone()))
        .bind(col(lines, |l| l.terminal_id.clone()))
        .bind(col(lines, |l| l.receipt_no))
        .bind(col(lines, |l| l.line_no))
        .bind(col(lines, |l| l.event_id))
        .bind(col(lines, |l| l.kind))
        .bind(col(lines, |l| l.gtin))
        .bind(col(lines, |l| l.name.clone()))
        .bind(col(lines, |l| l.department.clone()))
        .bind(col(lines, |l| l.category.clone()))
        .bind(col(lines, |l| l.quantity))
        .bind(col(lines, |l| l.net))
        .bind(col(lines, |l| l.tax))
        .bind(col(lines, |l| l.discount))
        .bind(col(lines, |l| l.member_id.clone()))
        .bind(col(lines, |l| l.at.clone()))
        .bind(col(lines, |l| l.local_day))
        .bind(col(lines, |l| l.local_hour))
        .bind(col(lines, |l| l.original_receipt))
        .bind(col(lines, |l| l.original_line))
}

fn bind_rollup<'q>(mut q: PgQuery<'q>, table: &Table, rows: &Rows) -> PgQuery<'q> {
    for (i, (_, kind)) in table.keys.iter().enumerate() {
        let part = |key: &Vec<Part>| key[i].clone();
        q = if matches!(*kind, "text" | "date") {
            q.bind(
                rows.keys()
                    .map(|key| match part(key) {
                        Part::Text(s) => s,
                        Part::Int(n) => n.to_string(),
                    })
                    .collect::<Vec<String>>(),
            )
        } else {
            q.bind(
                rows.keys()
                    .map(|key| match part(key) {
                        Part::Int(n) => n,
                        Part::Text(_) => unreachable!("a numeric key of {} holds text", table.name),
                    })
                    .collect::<Vec<i64>>(),
            )
        };
    }
    for i in 0..table.sums.len() {
        q = q.bind(rows.values().map(|sums| sums[i]).collect::<Vec<i64>>());
    }
    q
}
