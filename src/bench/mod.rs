//! Benchmarks that print figures (`storepos bench …`): they measure the real code paths on
//! real SQLite files, so the numbers are what a till on this machine would see.

mod console;
mod hq;
mod lists;
mod member_view;
mod members;
mod replay;
mod reports;
mod scan;
mod ui;

pub use hq::{HqBenchArgs, hq};
pub use lists::{ListsBenchArgs, lists};
pub use member_view::{MemberViewBenchArgs, member_view};
pub use members::{MembersBenchArgs, members};
pub use replay::{ReplayBenchArgs, replay};
pub use reports::{ReportsBenchArgs, reports};
pub use scan::{ScanBenchArgs, scan};
pub use ui::{UiBenchArgs, ui};

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use hdrhistogram::Histogram;

use crate::config::Config;
use crate::domain::gs1::Gtin;
use crate::import;

#[derive(Debug, clap::Args)]
pub struct CatalogueBenchArgs {
    /// Products in the generated catalogue.
    #[arg(long, default_value_t = 1_000_000)]
    pub products: u64,
    /// Timed lookups of existing products, in random order.
    #[arg(long, default_value_t = 200_000)]
    pub lookups: u64,
    /// Where to build the catalogue (default: a temporary directory).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// A bijection on 0..10^10 that scatters sequential numbers, so generated GTINs arrive
/// in no particular order, as in a real supplier file.
pub(super) fn scatter(i: u64) -> u64 {
    const MODULUS: u64 = 10_000_000_000;
    // 7_777_777_777 is odd and not a multiple of 5, hence invertible modulo 10^10.
    ((u128::from(i) * 7_777_777_777 + 1_234_567) % u128::from(MODULUS)) as u64
}

pub(super) fn generated_gtin(i: u64) -> Gtin {
    Gtin::gtin13_from_body(690_000_000_000 + scatter(i)).expect("12-digit body")
}

/// Writes a products CSV with every column filled.
pub(super) fn write_catalogue(path: &std::path::Path, products: u64) -> Result<()> {
    let file = std::fs::File::create(path)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    writeln!(
        out,
        "gtin,name,price,tax_rate,name_en,department,category,brand_type,manufacturer,member_price,bonus_points,weighed,plu,restricted"
    )?;
    let rates = ["13", "9", "6", "0"];
    for i in 0..products {
        let price = 100 + (i * 37) % 50_000;
        writeln!(
            out,
            "{},商品{i},{}.{:02},{},Product {i},Dept {},Category {},{},Maker {},{}.{:02},{},0,,0",
            generated_gtin(i),
            price / 100,
            price % 100,
            rates[(i % 4) as usize],
            i % 20,
            i % 400,
            if i % 3 == 0 { "store" } else { "national" },
            i % 1000,
            price * 9 / 10 / 100,
            price * 9 / 10 % 100,
            if i % 50 == 0 { "x2" } else { "" },
        )?;
    }
    out.flush()?;
    Ok(())
}

pub fn catalogue(config: &Config, args: &CatalogueBenchArgs) -> Result<()> {
    let (_temp, dir) = work_dir(args.dir.as_ref())?;
    std::fs::create_dir_all(&dir)?;
    let csv = dir.join("bench-products.csv");
    write_catalogue(&csv, args.products).context("writing the generated catalogue")?;
    let size = std::fs::metadata(&csv)?.len();
    println!(
        "generated {} products ({:.1} MB CSV) in {}",
        args.products,
        size as f64 / 1e6,
        dir.display()
    );

    let store_dir = dir.join("store");
    let _ = std::fs::remove_dir_all(&store_dir);
    let mut store = crate::store::Store::open_configured(config, &store_dir)?;
    let started = Instant::now();
    let summary = import::products::import(&mut store.catalogue, &csv)?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "import: {} rows in {:.2} s = {:.0} rows/s (parse, validate, insert, one commit)",
        summary.rows,
        seconds,
        summary.rows as f64 / seconds
    );
    drop(store);

    // Reopen so lookups start from a fresh connection, as a till would after start-up.
    let store = crate::store::Store::open_configured(config, &store_dir)?;
    let codes: Vec<String> = (0..args.lookups)
        .map(|k| generated_gtin(scatter(k * 7919) % args.products).to_string())
        .collect();
    let mut by_gtin = Histogram::<u64>::new(3)?;
    let mut by_scan = Histogram::<u64>::new(3)?;
    let layout = &config.barcode.variable_measure;
    for code in &codes {
        let gtin = Gtin::parse(code)?;
        let t = Instant::now();
        let found = store.catalogue.product_by_gtin(gtin)?;
        by_gtin.record(t.elapsed().as_nanos() as u64)?;
        anyhow::ensure!(found.is_some(), "generated product {code} missing");
    }
    for code in &codes {
        let t = Instant::now();
        store.catalogue.resolve_scan(code, layout)?;
        by_scan.record(t.elapsed().as_nanos() as u64)?;
    }
    let us = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    for (name, h) in [
        ("lookup by GTIN", &by_gtin),
        ("scan (parse + lookup + price)", &by_scan),
    ] {
        println!(
            "{name}: {} lookups over {} products: p50 {:.1} µs, p99 {:.1} µs, p99.9 {:.1} µs, max {:.1} µs",
            h.len(),
            args.products,
            us(h, 0.5),
            us(h, 0.99),
            us(h, 0.999),
            h.max() as f64 / 1000.0
        );
    }
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct PersistBenchArgs {
    /// Sales to commit.
    #[arg(long, default_value_t = 2_000)]
    pub sales: u64,
    /// Lines per sale.
    #[arg(long, default_value_t = 9)]
    pub lines: usize,
    /// Store to write into (default: a temporary directory). Sales are appended.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Commits synthetic sales through the real durable path (sale + journal + outbox, one
/// fsync'd transaction each), then measures the raw rate of one fsync'd SQLite transaction
/// writing the same number of rows per basket, and prints both.
pub fn persist(config: &Config, args: &PersistBenchArgs) -> Result<()> {
    use crate::store::sales;
    let (_temp, dir) = work_dir(args.dir.as_ref())?;
    let mut store = crate::store::Store::open_configured(config, &dir)?;
    let sealer = crate::journal::Sealer::load_or_create(&dir)?;
    let records: Vec<_> = (0..args.sales.min(10_000))
        .map(|i| sales::sample_sale(args.lines, i))
        .collect();
    let mut latency = Histogram::<u64>::new(3)?;
    let started = Instant::now();
    for i in 0..args.sales {
        let record = &records[(i % records.len() as u64) as usize];
        let t = Instant::now();
        sales::commit(&mut store.terminal, &sealer, record, chrono::Utc::now())?;
        latency.record(t.elapsed().as_nanos() as u64)?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let rate = args.sales as f64 / seconds;
    let ms = |q: f64| latency.value_at_quantile(q) as f64 / 1e6;
    println!(
        "durable sales: {} sales of {} lines in {seconds:.2} s = {rate:.0} sales/s (p50 {:.2} ms, p99 {:.2} ms)",
        args.sales,
        args.lines,
        ms(0.5),
        ms(0.99)
    );

    let raw_rate = same_rows_rate(&store.terminal, &dir.join("raw-baseline"), config)?;
    println!(
        "raw baseline: the same rows and bytes, one bare fsync'd transaction per sale = {raw_rate:.0} tx/s; durable sales reach {:.0}% of it",
        100.0 * rate / raw_rate
    );
    Ok(())
}

/// The directory a benchmark works in: the one given, or a temporary one (kept alive by the
/// returned guard).
pub(super) fn work_dir(given: Option<&PathBuf>) -> Result<(Option<tempfile::TempDir>, PathBuf)> {
    Ok(match given {
        Some(d) => (None, d.clone()),
        None => {
            let temp = tempfile::tempdir()?;
            let path = temp.path().to_path_buf();
            (Some(temp), path)
        }
    })
}

/// A terminal on `store` with a bench cashier signed in and a shift open.
pub(super) fn bench_terminal(
    store: crate::store::Store,
    config: &Config,
) -> Result<crate::terminal::Terminal> {
    crate::store::operators::upsert(
        store.catalogue.conn(),
        &crate::domain::org::Operator {
            id: "1001".into(),
            name: "Bench".into(),
            role: crate::domain::org::Role::Cashier,
            pin_hash: crate::store::operators::hash_pin("1234"),
        },
    )?;
    let mut terminal = crate::terminal::Terminal::open(store, config.clone())?;
    for setup in [
        r#"{"sign_in":{"operator":"1001","pin":"1234"}}"#,
        r#"{"open_shift":{"float":"100.00"}}"#,
    ] {
        let answer = crate::terminal::headless::answer_text(&mut terminal, setup);
        anyhow::ensure!(answer.starts_with(OK), "setup failed: {answer}");
    }
    Ok(terminal)
}

/// How every accepted headless answer starts.
pub(crate) const OK: &str = r#"{"ok":true"#;

/// The tables one completed sale writes, with the column that ties a row to its sale.
const SALE_TABLES: [(&str, &str); 5] = [
    ("journal", "receipt_no"),
    ("outbox", "seq"),
    ("sales", "receipt_no"),
    ("sale_lines", "receipt_no"),
    ("sale_tenders", "receipt_no"),
];

/// The ceiling any durable checkout on this disk can approach: the exact rows the sales
/// wrote (same tables, indexes, columns and bytes), read back from `source` into memory
/// first, then written into a fresh store as one bare fsync'd transaction per sale. The
/// gap to the measured rate is everything the terminal does besides the write itself.
pub(super) fn same_rows_rate(
    source: &rusqlite::Connection,
    dir: &std::path::Path,
    config: &Config,
) -> Result<f64> {
    use rusqlite::types::Value;
    let _ = std::fs::remove_dir_all(dir);
    let target = crate::store::Store::open_configured(config, dir)?;
    let sales: i64 = source.query_row("SELECT COUNT(*) FROM sales", [], |r| r.get(0))?;
    let events: i64 = source.query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0))?;
    anyhow::ensure!(sales == events, "every sale has exactly one event");
    // rows[sale][table] = the rows of that table belonging to the sale.
    let mut rows: Vec<Vec<Vec<Vec<Value>>>> =
        vec![vec![Vec::new(); SALE_TABLES.len()]; sales as usize];
    let mut inserts = Vec::new();
    for (t, (table, key)) in SALE_TABLES.iter().enumerate() {
        let mut stmt = source.prepare(&format!("SELECT * FROM {table} ORDER BY {key}"))?;
        let columns = stmt.column_count();
        let key_index = stmt.column_index(key)?;
        let mut cursor = stmt.query([])?;
        while let Some(r) = cursor.next()? {
            let row: Vec<Value> = (0..columns).map(|i| r.get(i)).collect::<Result<_, _>>()?;
            let Value::Integer(n) = row[key_index] else {
                anyhow::bail!("{table}.{key} is not an integer");
            };
            rows[(n - 1) as usize][t].push(row);
        }
        let marks = vec!["?"; columns].join(", ");
        inserts.push(format!("INSERT INTO {table} VALUES ({marks})"));
    }
    let conn = &target.terminal;
    // Shifts the sales refer to are in place before the clock starts.
    {
        let mut stmt = source.prepare("SELECT * FROM shifts")?;
        let columns = stmt.column_count();
        let marks = vec!["?"; columns].join(", ");
        let mut cursor = stmt.query([])?;
        while let Some(r) = cursor.next()? {
            let row: Vec<Value> = (0..columns).map(|i| r.get(i)).collect::<Result<_, _>>()?;
            conn.execute(
                &format!("INSERT INTO shifts VALUES ({marks})"),
                rusqlite::params_from_iter(row),
            )?;
        }
    }
    let started = Instant::now();
    for sale in &rows {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        for (t, table_rows) in sale.iter().enumerate() {
            let mut insert = conn.prepare_cached(&inserts[t])?;
            for row in table_rows {
                insert.execute(rusqlite::params_from_iter(row))?;
            }
        }
        conn.execute_batch("COMMIT")?;
    }
    Ok(rows.len() as f64 / started.elapsed().as_secs_f64())
}
