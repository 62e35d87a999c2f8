//! `storepos bench replay`: real Complete Journey baskets through the headless terminal
//! with full persistence, beside the raw rate of writing the very same rows.
//!
//! Each round replays the baskets on a fresh copy of the catalogue through
//! `terminal --headless` (JSON commands in and answers out, pricing, sealing, the durable
//! commit of every sale and its receipt), then writes the rows those sales produced, read
//! back byte for byte, as one bare fsync'd transaction per basket into a fresh store. The
//! disk's speed drifts from second to second on a shared machine, so the rounds alternate
//! the two and the median ratio is reported with every round's figures.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};

use super::{OK, bench_terminal, same_rows_rate};
use crate::config::Config;
use crate::domain::gs1::Gtin;
use crate::terminal::Terminal;

#[derive(Debug, clap::Args)]
pub struct ReplayBenchArgs {
    /// A store holding the imported Complete Journey (`storepos import completejourney`).
    /// It is not changed: every round runs on a copy of its catalogue.
    #[arg(long, value_name = "DIR")]
    pub from: PathBuf,
    /// Baskets to replay, oldest first.
    #[arg(long, default_value_t = 10_000)]
    pub baskets: usize,
    /// Rounds of replay and raw baseline, alternated.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
}

/// A fresh store on a copy of the imported catalogue, with a bench cashier signed in and a
/// shift open.
fn open_terminal(
    config: &Config,
    from: &std::path::Path,
    dir: &std::path::Path,
) -> Result<Terminal> {
    // A new till first, then the imported catalogue in place of its empty one: a catalogue
    // with content beside no terminal.db would be a till that lost its sales file.
    drop(crate::store::Store::open_configured(config, dir)?);
    std::fs::copy(
        from.join(crate::store::CATALOGUE_FILE),
        dir.join(crate::store::CATALOGUE_FILE),
    )
    .with_context(|| format!("no catalogue in {}", from.display()))?;
    let store = crate::store::Store::open_configured(config, dir)?;
    bench_terminal(store, config)
}

/// The script a cashier would produce: scans, quantities, and exact cash. Totals are
/// worked out before any clock starts, by pricing each basket the way the till will.
fn script(terminal: &Terminal, baskets: &[Vec<(String, i64)>]) -> Result<String> {
    let mut script = String::new();
    for basket in baskets {
        let mut priced = crate::domain::basket::Basket::new(terminal.currency());
        for (code, qty) in basket {
            script.push_str(&format!("{{\"scan\":\"{code}\"}}\n"));
            let line = priced.add_item(terminal.resolve_for_pricing(code)?)?;
            if *qty != 1000 {
                let q = crate::domain::money::Quantity::from_milli(*qty);
                script.push_str(&format!("{{\"quantity\":\"{q}\"}}\n"));
                priced.set_quantity(line, q)?;
            }
        }
        let total = terminal.price_of(&priced).total;
        script.push_str(&format!("{{\"tender\":{{\"cash\":\"{total}\"}}}}\n"));
    }
    Ok(script)
}

pub fn replay(config: &Config, args: &ReplayBenchArgs) -> Result<()> {
    anyhow::ensure!(args.rounds > 0, "at least one round");
    let baskets = {
        let conn = rusqlite::Connection::open(args.from.join(crate::store::CATALOGUE_FILE))?;
        load_baskets(&conn, args.baskets)?
    };
    let lines: usize = baskets.iter().map(Vec::len).sum();
    let mut ratios = Vec::new();
    let mut script_text = None;
    for round in 1..=args.rounds {
        let work = tempfile::tempdir()?;
        let mut terminal = open_terminal(config, &args.from, work.path())?;
        if script_text.is_none() {
            script_text = Some(script(&terminal, &baskets)?);
        }
        let text = script_text.as_deref().unwrap_or_default();
        let mut answers = Vec::with_capacity(text.len() * 8);
        let started = Instant::now();
        crate::terminal::serve::serve(&mut terminal, text.as_bytes(), &mut answers, None)?;
        let seconds = started.elapsed().as_secs_f64();
        drop(terminal);
        let answers = String::from_utf8(answers)?;
        let sales = answers
            .lines()
            .filter(|a| a.contains(r#""sale":{"receipt_no""#))
            .count();
        let refused = answers.lines().filter(|a| !a.starts_with(OK)).count();
        anyhow::ensure!(
            sales == baskets.len() && refused == 0,
            "{sales} of {} baskets completed, {refused} commands refused",
            baskets.len()
        );
        let rate = baskets.len() as f64 / seconds;
        let terminal_db =
            rusqlite::Connection::open(work.path().join(crate::store::TERMINAL_FILE))?;
        let raw_rate = same_rows_rate(&terminal_db, &work.path().join("raw"), config)?;
        let ratio = rate / raw_rate;
        println!(
            "round {round}: {} baskets ({lines} lines, {} commands) through `terminal --headless` in {seconds:.2} s = {rate:.0} baskets/s; the same rows as one bare fsync'd transaction per basket = {raw_rate:.0} tx/s; {:.0}% of raw",
            baskets.len(),
            answers.lines().count(),
            100.0 * ratio
        );
        ratios.push(ratio);
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "replay reaches {:.0}% of the raw rate (median of {} rounds)",
        100.0 * ratios[ratios.len() / 2],
        ratios.len()
    );
    Ok(())
}

/// The first `n` baskets of the imported history as (GTIN, quantity in thousandths) lines;
/// lines with no quantity are left out, as the till never sees them, and so are goods sold
/// by measure (the Complete Journey's fuel, metered at the pump, not scanned).
fn load_baskets(conn: &rusqlite::Connection, n: usize) -> Result<Vec<Vec<(String, i64)>>> {
    let mut stmt = conn.prepare(
        "SELECT h.basket_id, h.gtin, h.quantity FROM purchase_history h
         JOIN products p ON p.gtin = h.gtin
         WHERE h.quantity > 0 AND p.weighed = 0
         ORDER BY h.at, h.basket_id",
    )?;
    let mut rows = stmt.query([])?;
    let mut baskets: Vec<Vec<(String, i64)>> = Vec::new();
    let mut current = String::new();
    while let Some(r) = rows.next()? {
        let basket: String = r.get(0)?;
        if basket != current {
            if baskets.len() == n {
                break;
            }
            baskets.push(Vec::new());
            current = basket;
        }
        let gtin = Gtin::from_gtin14_value(r.get::<_, i64>(1)? as u64)
            .context("history names a code that is not a GTIN")?;
        if let Some(last) = baskets.last_mut() {
            last.push((gtin.to_string(), r.get(2)?));
        }
    }
    anyhow::ensure!(!baskets.is_empty(), "no purchase history to replay");
    Ok(baskets)
}
