//! `storepos bench ui`: the touch UI's figures, rendered offscreen with the software
//! renderer at 1024×768.
//!
//! - scan to frame: from scanner data in hand to the updated frame drawn, with the basket
//!   at `--lines` (200) lines and growing by one line per timed scan;
//! - resident memory (VmRSS) of the till with the UI up over a `--products` (100,000)
//!   product catalogue and the basket full;
//! - start to ready: from starting the till's process to the sign-in screen's first frame.
//!
//! The catalogue is generated first; the till is then a fresh process of this binary
//! (`--store DIR`), so its memory and start-up hold only what a till would.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result};
use hdrhistogram::Histogram;
use slint::ComponentHandle;

use super::{bench_terminal, generated_gtin, scatter, work_dir, write_catalogue};
use crate::config::Config;

#[derive(Debug, clap::Args)]
pub struct UiBenchArgs {
    /// Products in the generated catalogue.
    #[arg(long, default_value_t = 100_000)]
    pub products: u64,
    /// Lines in the basket before the timed scans.
    #[arg(long, default_value_t = 200)]
    pub lines: u64,
    /// Timed scans.
    #[arg(long, default_value_t = 300)]
    pub scans: u64,
    /// Where to build the store (default: a temporary directory).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Run as the till over this prepared store (used by the benchmark itself).
    #[arg(long, value_name = "DIR", hide = true)]
    pub store: Option<PathBuf>,
}

/// Prepares the store, then runs and times the till process.
pub fn ui(config: &Config, args: &UiBenchArgs) -> Result<()> {
    if let Some(store) = &args.store {
        return till(config, args, store);
    }
    anyhow::ensure!(args.products > 0, "products must be positive");
    let (_temp, dir) = work_dir(args.dir.as_ref())?;
    let csv = dir.join("bench-products.csv");
    write_catalogue(&csv, args.products)?;
    let store_dir = dir.join("store");
    let _ = std::fs::remove_dir_all(&store_dir);
    {
        let mut store = crate::store::Store::open_configured(config, &store_dir)?;
        crate::import::products::import(&mut store.catalogue, &csv)?;
        // Signs the bench cashier in once so the operator exists in the store.
        drop(bench_terminal(store, config)?);
    }
    let exe = std::env::current_exe().context("finding this program")?;
    let started = Instant::now();
    let mut child = Command::new(exe)
        .args(["bench", "ui", "--products"])
        .arg(args.products.to_string())
        .args(["--lines", &args.lines.to_string()])
        .args(["--scans", &args.scans.to_string()])
        .arg("--store")
        .arg(&store_dir)
        .stdout(Stdio::piped())
        .spawn()
        .context("starting the till process")?;
    let stdout = child.stdout.take().context("the till's output")?;
    let mut ready = None;
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        if line == "ready" {
            ready = Some(started.elapsed());
            continue;
        }
        println!("{line}");
    }
    let status = child.wait()?;
    anyhow::ensure!(status.success(), "the till process failed: {status}");
    let ready = ready.context("the till never reported its ready screen")?;
    println!(
        "start to ready: {:.0} ms from starting the till process to the sign-in screen's first frame",
        ready.as_secs_f64() * 1000.0
    );
    Ok(())
}

/// The till process: opens the store, draws the sign-in screen, fills the basket and
/// times scans to frames.
fn till(config: &Config, args: &UiBenchArgs, dir: &std::path::Path) -> Result<()> {
    let mut screen =
        crate::ui::offscreen::install(1024, 768, true).map_err(|e| anyhow::anyhow!(e))?;
    let till = crate::till::RunningTill::open(config, dir)?;
    let (app, controller) =
        crate::ui::launch::build_with(config, till.terminal, till.counter, false)?;
    app.show()?;
    screen.draw();
    println!("ready");
    let session = app.global::<crate::ui::Session>();
    let sale = app.global::<crate::ui::Sale>();
    let status = app.global::<crate::ui::Status>();
    session.invoke_sign_in("1001".into(), "1234".into());
    anyhow::ensure!(
        status.get_error_message().is_empty(),
        "sign-in: {}",
        status.get_error_message()
    );
    if !controller.borrow().terminal().shift_open() {
        session.invoke_open_shift("100.00".into());
    }
    screen.draw();
    let code = |k: u64| generated_gtin(scatter(k * 7919) % args.products).to_string();
    for k in 0..args.lines {
        sale.invoke_scan(code(k).into());
    }
    screen.draw();
    let mut latency = Histogram::<u64>::new(3)?;
    for k in 0..args.scans {
        let label = code(args.lines + k);
        let t = Instant::now();
        sale.invoke_scan(label.as_str().into());
        let drew = screen.draw();
        latency.record(t.elapsed().as_nanos() as u64)?;
        anyhow::ensure!(drew, "scan {k} drew no frame");
        anyhow::ensure!(
            status.get_error_message().is_empty(),
            "scan {label}: {}",
            status.get_error_message()
        );
    }
    let lines = controller.borrow().terminal().basket().lines().len();
    anyhow::ensure!(
        lines as u64 == args.lines + args.scans,
        "the basket has {lines} lines"
    );
    let ms = |q: f64| latency.value_at_quantile(q) as f64 / 1e6;
    println!(
        "scan to frame (software renderer, 1024x768), basket {}→{} lines over {} products: {} scans; p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        args.lines,
        lines,
        args.products,
        args.scans,
        ms(0.5),
        ms(0.99),
        latency.max() as f64 / 1e6
    );
    println!(
        "resident memory (VmRSS) of the till with the UI up and {lines} lines in the basket: {:.1} MB",
        vm_rss_kb()? as f64 / 1024.0
    );
    Ok(())
}

/// This process's resident set size in kB, from /proc/self/status.
fn vm_rss_kb() -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS in /proc/self/status")
}
