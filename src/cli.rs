//! The `storepos` command line: global options, subcommands and their dispatch.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

use crate::config::{Config, Source};

mod backup;
mod hq;
mod hq_complaints;
mod hq_member;
mod hq_report;
mod hq_staff;
mod hq_value;
mod journal;
mod lists;
mod sync;
use crate::import;
use crate::store::{Identity, Store, history, members};

#[derive(Debug, Parser)]
#[command(
    name = "storepos",
    version,
    about = "Point-of-sale and membership-card terminal for retail stores"
)]
pub struct Cli {
    /// Configuration file (default: $STOREPOS_CONFIG, else ./storepos.toml if present, else
    /// /etc/storepos/storepos.toml if present, else built-in defaults). Any key can be set
    /// over it from the environment: STOREPOS_<TABLE>__<KEY>=value (e.g.
    /// STOREPOS_HQ__DATABASE=postgres://…, STOREPOS_DATA_DIR=/srv/till).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Data directory; overrides `data_dir` from the configuration for every command.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the demo store: the touch UI on a demo store with simulated devices when there is
    /// a display; otherwise (or with --headless) the scripted demo, which seeds a store with
    /// demo products, members and operators and prices sample baskets (scans, in-store
    /// labels, a misread barcode) with their VAT.
    Demo(DemoArgs),
    /// Create the data directory and bring its databases to the current schema; with
    /// `--reprovision`, give a directory that lost its terminal.db a new life under a new
    /// terminal id.
    Init(InitArgs),
    /// Run the terminal. `--headless --script FILE` (or `-` for standard input) reads JSON
    /// Lines commands and answers each with one JSON line.
    Terminal(TerminalArgs),
    /// Load data into the terminal's store; a bad row imports nothing.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Look up a product by scanner data (GTIN or in-store label).
    Product {
        /// The barcode digits as the scanner sends them.
        code: String,
    },
    /// Look up a member by card number or phone.
    Member {
        /// Card number or phone number.
        query: String,
    },
    /// Check the whole till, one line per check with what to do when it is not ok: the
    /// configuration, the data directory (writable, free space), HQ (reachable, the token
    /// accepted), the clock against HQ's, the coupon key, a CJK font for Chinese, the
    /// outbox's backlog, the journal, and every configured device. Exit status 1 when a
    /// check fails.
    Doctor {
        /// Print one JSON document (an array of {name, status, detail, remedy}) for
        /// monitoring.
        #[arg(long)]
        json: bool,
    },
    /// Check or export the electronic journal.
    #[command(subcommand)]
    Journal(JournalCommand),
    /// Show, check or print the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Benchmarks that print their figures.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// The headquarters service and its administration (the database at `hq.database`).
    #[command(subcommand)]
    Hq(hq::HqCommand),
    /// Personalised shopping lists from purchase history: generate, evaluate, backtest, print.
    #[command(subcommand)]
    Lists(lists::ListsCommand),
    /// Back the till's data up into DIR (a new or empty directory) while it runs: its
    /// databases copied consistently, the journal verified on the copy.
    Backup { dir: PathBuf },
    /// Restore a backup made by `storepos backup` into the data directory (stop the till
    /// first): refused unless every file is as the backup recorded, its journal verifies and
    /// it is this store's and terminal's; the files it replaces are set aside.
    Restore { dir: PathBuf },
    /// Send this terminal's unacknowledged events to HQ now, retrying until none is left or
    /// the time is up (exit status 1 if some are left).
    Sync {
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 60)]
        timeout: u64,
    },
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the demo store in this directory instead of a fresh temporary one.
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,
    /// Run the scripted demo without the touch UI (also what happens without a display).
    #[arg(long, conflicts_with = "fullscreen")]
    pub headless: bool,
    /// Show the touch UI full screen, as on a till, instead of in a window.
    #[arg(long)]
    pub fullscreen: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The directory lost its terminal.db (missing, empty or unreadable) and no backup is
    /// left: set the old files aside in the directory and start a new sales file. HQ holds
    /// the lost terminal's sequence, so the new life needs a new terminal id.
    #[arg(long, requires = "terminal")]
    pub reprovision: bool,
    /// The new terminal id (with --reprovision); it must differ from `terminal.id` and from
    /// every id the directory served before.
    #[arg(long, value_name = "NEW_ID", requires = "reprovision")]
    pub terminal: Option<String>,
}

#[derive(Debug, Args)]
pub struct TerminalArgs {
    /// Run without a screen, driven by a script (without it: the touch UI, which needs a display).
    #[arg(long, requires = "script", conflicts_with = "fullscreen")]
    pub headless: bool,
    /// Fill the screen, as on a till, instead of a window.
    #[arg(long)]
    pub fullscreen: bool,
    /// JSON Lines script; `-` reads standard input.
    #[arg(long, value_name = "FILE")]
    pub script: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Products CSV: gtin,name,price,tax_rate[,name_en,department,category,brand_type,manufacturer,member_price,bonus_points,weighed,plu,restricted].
    Products { file: PathBuf },
    /// Members CSV: card,name,phone[,tier,points,home_store,email].
    Members { file: PathBuf },
    /// Operators CSV: id,name,role,pin (role: cashier, supervisor or manager; PIN 4–8 digits).
    Operators { file: PathBuf },
    /// HQ-signed coupons and shopping lists, one full code (SPC1./SPL1.) per line, so their short codes redeem offline.
    Codes { file: PathBuf },
    /// Promotions, one JSON object per line (member price, percent/amount off, buy X get Y, mix-and-match, bundle; see README).
    Promotions { file: PathBuf },
    /// The Complete Journey data set (a folder of .csv.gz files): products, households as members, purchase history.
    Completejourney { dir: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum JournalCommand {
    /// Check receipt numbers, the hash chain and every signature, and the sales tables
    /// against their entries; report the first bad entry.
    Verify {
        /// Also compare the journal with the anchors HQ keeps of this terminal's sales
        /// (each entry's hash and signing key): finds removed entries, rewritten and
        /// re-signed entries, and a replaced key.
        #[arg(long)]
        against_hq: bool,
    },
    /// Write the journal as JSON lines.
    Export {
        /// Output file (default: standard output).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the configuration in effect, every key included.
    Show,
    /// Validate the configuration and say where it came from.
    Check,
    /// Print the built-in defaults as a commented starting file.
    Default,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Product import rate and GTIN lookup latency over a generated catalogue.
    Catalogue(crate::bench::CatalogueBenchArgs),
    /// Member lookup (card, phone, name searches) over a generated membership.
    Members(crate::bench::MembersBenchArgs),
    /// Durable sale commits (sale + journal + outbox, fsync'd) against a raw fsync'd baseline.
    Persist(crate::bench::PersistBenchArgs),
    /// Replay Complete Journey baskets through the headless terminal against a raw fsync'd baseline.
    Replay(crate::bench::ReplayBenchArgs),
    /// Scan-to-line latency through the headless terminal over a generated catalogue.
    Scan(crate::bench::ScanBenchArgs),
    /// The touch UI: scan to rendered frame with a 200-line basket, resident memory, start-up.
    Ui(crate::bench::UiBenchArgs),
    /// HQ ingest from many terminals at once against raw inserts, and a backlog's upload (the backend of `hq.database`).
    Hq(crate::bench::HqBenchArgs),
    /// Shopping lists for every member of the store: load time and generation time.
    Lists(crate::bench::ListsBenchArgs),
    /// A chain's year of sales from the Complete Journey's baskets ingested through HQ's API
    /// (lines and rollups), then every sales report asked through the API, with its latency.
    Reports(crate::bench::ReportsBenchArgs),
    /// HQ's chain-wide member view over members with a year of history (p50/p99).
    MemberView(crate::bench::MemberViewBenchArgs),
}

/// Loads the configuration and applies `--data-dir`.
pub fn load_config(cli: &Cli) -> Result<(Config, Source)> {
    let (mut config, source) = Config::load(cli.config.as_deref())?;
    if let Some(dir) = &cli.data_dir {
        config.data_dir = dir.clone();
    }
    Ok((config, source))
}

/// Opens the store the configuration points at.
pub fn open_store(config: &Config) -> Result<Store> {
    Ok(Store::open_configured(config, &config.data_dir)?)
}

/// `init --reprovision`: a new sales file under `new_id` in a directory that lost its own.
fn reprovision(config: &Config, new_id: &str) -> Result<()> {
    anyhow::ensure!(
        crate::config::valid_id(new_id),
        "terminal id '{new_id}' must be 1–32 letters, digits, '-' or '_'"
    );
    let identity = Identity {
        store_id: config.store.id.clone(),
        terminal_id: new_id.to_string(),
        currency: config.store.currency,
    };
    let (store, aside) = Store::reprovision(&config.data_dir, &config.terminal.id, identity)?;
    println!(
        "data directory {} re-provisioned for terminal {new_id}; the old files are in {}",
        store.dir().display(),
        aside.display()
    );
    println!(
        "next: set `terminal.id = \"{new_id}\"` in the configuration and register it with HQ \
         (`storepos hq register --store {} --terminal {new_id}`) for its `hq.token`",
        config.store.id
    );
    Ok(())
}

/// Runs a parsed command line.
pub fn run(cli: Cli, config: Config, source: Source) -> Result<()> {
    match cli.command {
        Command::Demo(args) => {
            let dir = args.keep.as_deref().or(cli.data_dir.as_deref());
            if args.headless {
                return crate::demo_hq::run_scripted(&config, dir);
            }
            if !crate::ui::launch::has_display() {
                println!(
                    "No display (DISPLAY and WAYLAND_DISPLAY are unset): running the scripted \
                     demo without the touch UI."
                );
                return crate::demo_hq::run_scripted(&config, dir);
            }
            crate::ui::launch::run_demo_in(&config, dir, args.fullscreen)
        }
        Command::Init(args) => match args.terminal {
            Some(new_id) => reprovision(&config, &new_id),
            None => {
                let store = open_store(&config)?;
                println!("data directory {} is ready", store.dir().display());
                Ok(())
            }
        },
        Command::Import(what) => run_import(&config, what),
        Command::Hq(what) => hq::run(&config, what),
        Command::Sync { timeout } => sync::sync_now(&config, timeout),
        Command::Backup { dir } => backup::backup(&config, &dir),
        Command::Restore { dir } => backup::restore(&config, &dir),
        Command::Lists(what) => lists::run(&config, what),
        Command::Terminal(args) => {
            if !args.headless {
                if !crate::ui::launch::has_display() {
                    return Err(NoDisplay.into());
                }
                return crate::ui::launch::run_till(&config, args.fullscreen);
            }
            let crate::till::RunningTill {
                mut terminal,
                mut counter,
                services,
            } = crate::till::RunningTill::open(&config, &config.data_dir)?;
            let script = args.script.expect("clap requires --script with --headless");
            let stdout = std::io::stdout().lock();
            let input: Box<dyn std::io::Read> = if script.as_os_str() == "-" {
                Box::new(std::io::stdin().lock())
            } else {
                Box::new(
                    std::fs::File::open(&script)
                        .with_context(|| format!("cannot open script {}", script.display()))?,
                )
            };
            crate::terminal::serve::serve(&mut terminal, input, stdout, Some(&mut counter))?;
            drop(terminal);
            services.finish();
            Ok(())
        }
        Command::Product { code } => {
            let store = open_store(&config)?;
            let item = store
                .catalogue
                .resolve_scan(code.trim(), &config.barcode.variable_measure)?;
            let p = &item.product;
            println!("{}  {}", p.gtin, p.name);
            if let Some(en) = &p.name_en {
                println!("  {en}");
            }
            println!(
                "  quantity {}  amount {} {}  (price {}{}, VAT {})",
                item.quantity,
                item.amount,
                p.price.currency().code(),
                p.price,
                if p.weighed { "/kg" } else { "" },
                p.tax_rate
            );
            Ok(())
        }
        Command::Member { query } => {
            let store = open_store(&config)?;
            let conn = store.catalogue.conn();
            let mut found = members::by_card(conn, query.trim())?
                .into_iter()
                .collect::<Vec<_>>();
            if found.is_empty()
                && let Ok(phone) = crate::domain::member::normalize_phone(&query)
            {
                found = members::by_phone(conn, &phone)?;
            }
            if found.is_empty() {
                anyhow::bail!("no member with card or phone '{query}'");
            }
            for m in found {
                let cards: Vec<&str> = m.cards.iter().map(|c| c.number.as_str()).collect();
                println!(
                    "{}  {}  tier {}  points {}  phone {}  cards {}  purchase lines {}",
                    m.id,
                    m.name,
                    m.tier,
                    m.points_balance,
                    m.phone.as_deref().unwrap_or("-"),
                    cards.join(","),
                    history::for_member(conn, &m.id)?.len()
                );
            }
            Ok(())
        }
        Command::Doctor { json } => {
            let report = crate::doctor::run(&config, &source);
            if json {
                println!("{}", report.to_json());
            } else {
                println!("{report}");
            }
            anyhow::ensure!(!report.failed(), "some checks failed (see above)");
            Ok(())
        }
        Command::Journal(j) => journal::run_journal(&config, j),
        Command::Config(c) => {
            match c {
                ConfigCommand::Show => print!("{}", config.to_toml()),
                ConfigCommand::Check => match source {
                    Source::File(path) => println!("{}: valid", path.display()),
                    Source::Defaults => {
                        println!("no configuration file; built-in defaults are in effect")
                    }
                },
                ConfigCommand::Default => print!("{}", crate::config::DOCUMENTED_DEFAULTS),
            }
            Ok(())
        }
        Command::Bench(BenchCommand::Catalogue(args)) => crate::bench::catalogue(&config, &args),
        Command::Bench(BenchCommand::Members(args)) => crate::bench::members(&config, &args),
        Command::Bench(BenchCommand::Persist(args)) => crate::bench::persist(&config, &args),
        Command::Bench(BenchCommand::Replay(args)) => crate::bench::replay(&config, &args),
        Command::Bench(BenchCommand::Scan(args)) => crate::bench::scan(&config, &args),
        Command::Bench(BenchCommand::Ui(args)) => crate::bench::ui(&config, &args),
        Command::Bench(BenchCommand::Hq(args)) => crate::bench::hq(&config, &args),
        Command::Bench(BenchCommand::Lists(args)) => crate::bench::lists(&config, &args),
        Command::Bench(BenchCommand::Reports(args)) => crate::bench::reports(&config, &args),
        Command::Bench(BenchCommand::MemberView(args)) => crate::bench::member_view(&config, &args),
    }
}

fn run_import(config: &Config, what: ImportCommand) -> Result<()> {
    let mut store = open_store(config)?;
    let started = std::time::Instant::now();
    let summary = match &what {
        ImportCommand::Products { file } => import::products::import(&mut store.catalogue, file),
        ImportCommand::Members { file } => {
            import::members::import(store.catalogue.conn_mut(), file)
        }
        ImportCommand::Operators { file } => {
            import::operators::import(store.catalogue.conn_mut(), file)
        }
        ImportCommand::Codes { file } => {
            import::codes::import(&mut store.terminal, config.loyalty.coupon_key(), file)
        }
        ImportCommand::Promotions { file } => {
            import::promotions::import(store.catalogue.conn_mut(), file)
        }
        ImportCommand::Completejourney { dir } => {
            import::completejourney::import(&mut store.catalogue, dir)
        }
    }
    .context("import failed")?;
    println!(
        "{} in {:.2} s",
        summary.detail,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `storepos terminal` without `--headless` where no display is there: the caller exits 2.
#[derive(Debug, thiserror::Error)]
#[error(
    "no display to open the touch UI on (neither DISPLAY nor WAYLAND_DISPLAY is set); \
     run the till under a graphical session, or use --headless --script FILE"
)]
pub struct NoDisplay;
