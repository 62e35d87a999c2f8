//! `storepos bench scan`: scan-to-line latency through the headless terminal over a
//! generated catalogue (100,000 products by default), the figure a cashier feels on every
//! beep. Each timed scan is one JSON command in and the whole basket back as JSON out,
//! with baskets completing (durably) every `--lines` scans.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use hdrhistogram::Histogram;

use super::{OK, bench_terminal, generated_gtin, scatter, work_dir, write_catalogue};
use crate::config::Config;
use crate::terminal::headless;

#[derive(Debug, clap::Args)]
pub struct ScanBenchArgs {
    /// Products in the generated catalogue.
    #[arg(long, default_value_t = 100_000)]
    pub products: u64,
    /// Timed scans, of random products.
    #[arg(long, default_value_t = 50_000)]
    pub scans: u64,
    /// Lines per basket before it is paid for and a new one starts.
    #[arg(long, default_value_t = 40)]
    pub lines: u64,
    /// Where to build the store (default: a temporary directory).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub fn scan(config: &Config, args: &ScanBenchArgs) -> Result<()> {
    anyhow::ensure!(
        args.products > 0 && args.lines > 0,
        "products and lines must be positive"
    );
    let (_temp, dir) = work_dir(args.dir.as_ref())?;
    let csv = dir.join("bench-products.csv");
    write_catalogue(&csv, args.products)?;
    let store_dir = dir.join("store");
    let _ = std::fs::remove_dir_all(&store_dir);
    let mut store = crate::store::Store::open_configured(config, &store_dir)?;
    crate::import::products::import(&mut store.catalogue, &csv)?;
    let mut terminal = bench_terminal(store, config)?;
    let commands: Vec<String> = (0..args.scans)
        .map(|k| {
            let gtin = generated_gtin(scatter(k * 7919) % args.products);
            format!(r#"{{"scan":"{gtin}"}}"#)
        })
        .collect();
    let mut latency = Histogram::<u64>::new(3)?;
    let started = Instant::now();
    for (k, command) in commands.iter().enumerate() {
        let t = Instant::now();
        let answer = headless::answer_text(&mut terminal, command);
        latency.record(t.elapsed().as_nanos() as u64)?;
        anyhow::ensure!(answer.starts_with(OK), "{command}: {answer}");
        if (k as u64 + 1).is_multiple_of(args.lines) {
            let total = terminal.priced().total;
            let answer = headless::answer_text(
                &mut terminal,
                &format!(r#"{{"tender":{{"cash":"{total}"}}}}"#),
            );
            anyhow::ensure!(
                answer.contains(r#""sale":{"receipt_no""#),
                "tender: {answer}"
            );
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let us = |q: f64| latency.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "scan-to-line over {} products, baskets of {} lines: {} scans (with {} durable sales) in {seconds:.2} s; p50 {:.1} µs, p99 {:.1} µs, p99.9 {:.1} µs, max {:.1} µs",
        args.products,
        args.lines,
        args.scans,
        args.scans / args.lines,
        us(0.5),
        us(0.99),
        us(0.999),
        latency.max() as f64 / 1000.0
    );
    Ok(())
}
