//! The `storepos lists` subcommands: their arguments and what each runs.

use crate::progress::Working;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use ed25519_dalek::SigningKey;
use storepos_drivers::Device as _;

use crate::config::Config;
use crate::domain::lists::rerank::{FitSettings, Reranker};
use crate::domain::lists::{Deal, Params};
use crate::domain::money::Money;
use crate::lists::load::{Loaded, load};
use crate::lists::{backtest, deals, evaluate, fit, generate, parse_moment, print, rolling};
use crate::store::members;

#[derive(Debug, Subcommand)]
pub enum ListsCommand {
    /// Every qualifying member's shopping list for the period as CSV (member_id,product_id,rank,score,reason and the offer columns).
    Generate(GenerateArgs),
    /// Recall@10/20, NDCG@10 and hit rate@10 of the lists `generate` makes (or of a lists CSV) against what members bought after the cut-off, beside two baselines.
    Evaluate(EvaluateArgs),
    /// Fit the trees that re-order the top of each list on the store's own past (labelled cut-offs) and write them as a model file.
    Fit(FitArgs),
    /// Coupon targeting on the Complete Journey's Type A campaigns (a folder of its .csv.gz files) against personal purchase frequency.
    Backtest(BacktestArgs),
    /// Print the lists HQ signed for this store's members on the receipt printer (one member, asking HQ when it sent none, or every list of the period).
    Print(PrintArgs),
}

#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Days the list is for.
    #[arg(long, default_value_t = 14)]
    pub period_days: u32,
    /// Engine settings as JSON (e.g. '{"scoring":{"steady":1.2}}'); unknown keys are refused.
    #[arg(long, value_name = "JSON")]
    pub params: Option<String>,
    /// The list model (from `storepos lists fit`) instead of the one built in, or `none` to rank by the linear score alone.
    #[arg(long, value_name = "FILE|none")]
    pub model: Option<String>,
}

#[derive(Debug, Args)]
pub struct FitArgs {
    /// Cut-offs to learn from (RFC 3339 or a date): each with the period after it must lie in the store's history.
    #[arg(long, value_name = "DATETIME", required_unless_present = "from")]
    pub as_of: Vec<String>,
    /// Also every --step-days from this cut-off ...
    #[arg(long, value_name = "DATETIME", requires = "to")]
    pub from: Option<String>,
    /// ... up to this one.
    #[arg(long, value_name = "DATETIME", requires = "from")]
    pub to: Option<String>,
    #[arg(long, default_value_t = 7)]
    pub step_days: u32,
    #[command(flatten)]
    pub common: CommonArgs,
    /// How many of each member's products, best by the linear score, the model re-orders.
    #[arg(long, default_value_t = 50)]
    pub candidates: usize,
    /// Trees to grow.
    #[arg(long, default_value_t = 500)]
    pub trees: usize,
    /// Depth of each tree.
    #[arg(long, default_value_t = 4)]
    pub depth: usize,
    /// Step of each tree.
    #[arg(long, default_value_t = 0.05)]
    pub learning_rate: f32,
    /// Where to write the model (JSON; `.gz` is gzip'd).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The moment the lists are made (RFC 3339 or a date); no purchase from then on is used.
    #[arg(long, value_name = "DATETIME")]
    pub as_of: String,
    #[command(flatten)]
    pub common: CommonArgs,
    /// Least average weekly spend over the last 8 weeks, e.g. 25.00.
    #[arg(long, value_name = "AMOUNT", default_value = "25.00")]
    pub min_weekly_spend: String,
    /// Deals feed (JSON Lines; see README).
    #[arg(long, value_name = "FILE")]
    pub deals: Option<PathBuf>,
    /// Where to write the CSV.
    #[arg(long, value_name = "FILE.csv")]
    pub out: PathBuf,
    /// Also sign the lists with HQ's key and write their full codes here (for `storepos import codes`).
    #[arg(long, value_name = "FILE")]
    pub codes: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Cut-off(s): RFC 3339 or a date; give several to evaluate each.
    #[arg(
        long,
        value_name = "DATETIME",
        required_unless_present = "rolling_from"
    )]
    pub as_of: Vec<String>,
    /// Rolling origins: judge the lists at this cut-off and every period after it whose period the history holds, each with a list model fitted only on the periods before it (the model given is not used).
    #[arg(long, value_name = "DATETIME", conflicts_with_all = ["as_of", "lists", "deals"])]
    pub rolling_from: Option<String>,
    /// With --rolling-from: the last origin (default: the last whose period the history holds).
    #[arg(long, value_name = "DATETIME", requires = "rolling_from")]
    pub rolling_until: Option<String>,
    /// With --rolling-from: cut-offs each origin's model learns from, one period apart back from the origin.
    #[arg(long, default_value_t = 4, requires = "rolling_from")]
    pub training_cutoffs: usize,
    /// With --rolling-from: trees each origin's model grows.
    #[arg(long, default_value_t = 500, requires = "rolling_from")]
    pub trees: usize,
    #[command(flatten)]
    pub common: CommonArgs,
    /// Least average weekly spend over the last 8 weeks for a list of one's own, as `generate`.
    #[arg(long, value_name = "AMOUNT", default_value = "25.00")]
    pub min_weekly_spend: String,
    /// Deals feed (JSON Lines), as `generate`.
    #[arg(long, value_name = "FILE", conflicts_with = "lists")]
    pub deals: Option<PathBuf>,
    /// Score this lists CSV (generate's columns: member_id, product_id, rank) instead of making the lists; one --as-of, the file's.
    #[arg(long, value_name = "FILE.csv")]
    pub lists: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// The Complete Journey folder (campaign_descriptions, campaigns, coupons, coupon_redemptions .csv.gz).
    pub dir: PathBuf,
    #[arg(long, value_name = "JSON")]
    pub params: Option<String>,
}

#[derive(Debug, Args)]
pub struct PrintArgs {
    /// The member (id or card) whose list to print: HQ's list of this period, asked of HQ
    /// when the till has none.
    #[arg(long, conflicts_with = "all", required_unless_present = "all")]
    pub member: Option<String>,
    /// Every list HQ sent this store for the current period (progress on standard error).
    #[arg(long)]
    pub all: bool,
    /// The moment whose period's lists print (RFC 3339 or a date; default now).
    #[arg(long, value_name = "DATETIME")]
    pub as_of: Option<String>,
    /// Tips by department (TOML: DEPARTMENT = ["tip", …]; default: built in).
    #[arg(long, value_name = "FILE")]
    pub tips: Option<PathBuf>,
    /// Also write each printed list as text into this folder (LIST-ID.txt), and as PNG when the printer is the simulator.
    #[arg(long, value_name = "DIR")]
    pub save: Option<PathBuf>,
}

/// The engine settings for this store and these options.
pub fn params(config: &Config, common: &CommonArgs) -> Result<Params> {
    let mut params: Params = match &common.params {
        Some(json) => serde_json::from_str(json).context("--params")?,
        None => Params::default(),
    };
    params.period_days = common.period_days;
    match common.model.as_deref() {
        None => {}
        Some("none") => params.reranker = None,
        Some(path) => params.reranker = Some(std::sync::Arc::new(read_model(Path::new(path))?)),
    }
    params.day_offset_seconds = i64::from(config.store.offset().local_minus_utc());
    if params.period_days == 0 {
        bail!("--period-days must be at least 1");
    }
    Ok(params)
}

/// Reads a model file written by `storepos lists fit`.
fn read_model(path: &Path) -> Result<Reranker> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Reranker::from_bytes(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

fn run_fit(config: &Config, args: FitArgs) -> Result<()> {
    let params = params(config, &args.common)?;
    if args.candidates == 0 {
        bail!("--candidates must be at least 1");
    }
    let mut cutoffs = args
        .as_of
        .iter()
        .map(|t| parse_moment(t))
        .collect::<Result<Vec<_>>>()?;
    if let (Some(from), Some(to)) = (&args.from, &args.to) {
        let (mut at, to) = (parse_moment(from)?, parse_moment(to)?);
        if args.step_days == 0 || to < at {
            bail!("--from must not be after --to, and --step-days must be at least 1");
        }
        while at <= to {
            cutoffs.push(at);
            at += chrono::Duration::days(i64::from(args.step_days));
        }
    }
    let loaded = load_store(config)?;
    let started = std::time::Instant::now();
    let working = Working::new("fitting the list model");
    let (model, report) = fit::fit(
        &loaded,
        &cutoffs,
        &params,
        args.candidates,
        &FitSettings {
            trees: args.trees,
            depth: args.depth,
            learning_rate: args.learning_rate,
            ..FitSettings::default()
        },
    )
    .map_err(|e| anyhow::anyhow!(e))?;
    drop(working);
    let bytes = model.to_file_bytes(args.out.extension().is_some_and(|e| e == "gz"));
    std::fs::write(&args.out, bytes)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    let t = &model.tifu;
    println!(
        "fitted {} trees on {} candidates of {} member periods ({} bought), with TIFU-KNN's groups of {}, decay {} within and {} across, {} neighbours, alpha {}, on purchases up to {}, in {:.1} s; written to {}",
        model.trees(),
        report.rows,
        report.members,
        report.bought,
        t.group_size,
        t.within,
        t.across,
        t.neighbours,
        t.alpha,
        model.fitted_until.to_rfc3339(),
        started.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(())
}

fn load_store(config: &Config) -> Result<Loaded> {
    let _working = Working::new("loading the purchase history");
    let store = crate::store::Store::open_configured(config, &config.data_dir)?;
    load(store.catalogue.conn())
}

fn read_deals(path: Option<&Path>, loaded: &Loaded, config: &Config) -> Result<Vec<Deal>> {
    path.map_or(Ok(Vec::new()), |p| {
        deals::read(p, loaded, config.store.currency)
    })
}

/// HQ's signing key from `hq.key_file`; it must exist already (HQ makes it) and match the
/// tills' `loyalty.coupon_key` when that is set, or the tills would refuse what it signs.
pub fn hq_key(config: &Config) -> Result<SigningKey> {
    let path = &config.hq.key_file();
    if !path.exists() {
        bail!(
            "no HQ signing key at {} (hq.key_file): make it at HQ with `storepos hq coupon-key`",
            path.display()
        );
    }
    let key = crate::hq::admin::signing_key(path)?;
    if let Some(public) = config.loyalty.coupon_key()
        && public != key.verifying_key()
    {
        bail!(
            "the key in {} is not the one the tills check (loyalty.coupon_key)",
            path.display()
        );
    }
    Ok(key)
}

/// Runs a `lists` subcommand.
pub fn run(config: &Config, command: ListsCommand) -> Result<()> {
    match command {
        ListsCommand::Generate(args) => run_generate(config, args),
        ListsCommand::Evaluate(args) => run_evaluate(config, args),
        ListsCommand::Backtest(args) => {
            let common = CommonArgs {
                period_days: 14,
                params: args.params,
                model: None,
            };
            let params = params(config, &common)?;
            let loaded = load_store(config)?;
            let working = Working::new("backtesting the lists");
            let results = backtest::run(&args.dir, &loaded, &params)?;
            drop(working);
            print!("{}", backtest::table(&results));
            Ok(())
        }
        ListsCommand::Print(args) => run_print(config, args),
        ListsCommand::Fit(args) => run_fit(config, args),
    }
}

fn run_evaluate(config: &Config, args: EvaluateArgs) -> Result<()> {
    let mut params = params(config, &args.common)?;
    params.min_weekly_spend = Money::parse(&args.min_weekly_spend, config.store.currency)
        .context("--min-weekly-spend")?
        .minor();
    if let Some(first) = &args.rolling_from {
        return run_rolling(&params, config, parse_moment(first)?, &args);
    }
    let cutoffs = args
        .as_of
        .iter()
        .map(|t| parse_moment(t))
        .collect::<Result<Vec<_>>>()?;
    if args.lists.is_some() && cutoffs.len() != 1 {
        bail!("--lists scores one file: give the one --as-of its lists were made for");
    }
    let loaded = load_store(config)?;
    let deals = read_deals(args.deals.as_deref(), &loaded, config)?;
    for as_of in cutoffs {
        let working = Working::new(&format!("judging the lists of {as_of}"));
        let (evaluation, what) = match &args.lists {
            Some(file) => (
                evaluate::evaluate_file(&loaded, as_of, &params, file)?,
                "the lists in the file",
            ),
            None => (
                evaluate::evaluate(&loaded, as_of, &params, &deals),
                "the lists generate makes",
            ),
        };
        drop(working);
        print!("{}", evaluate::table(&evaluation, what));
        if let Some(model) = params
            .reranker
            .as_deref()
            .filter(|m| m.fitted_until > as_of)
            && args.lists.is_none()
        {
            println!(
                "note: the list model learned from purchases up to {}, after this cut-off: these weeks are not new to it (--rolling-from judges each period with a model that never saw it)",
                model.fitted_until.to_rfc3339()
            );
        }
        println!();
    }
    Ok(())
}

fn run_rolling(
    params: &Params,
    config: &Config,
    first: chrono::DateTime<chrono::Utc>,
    args: &EvaluateArgs,
) -> Result<()> {
    let settings = rolling::RollingSettings {
        training_cutoffs: args.training_cutoffs.max(1),
        trees: FitSettings {
            trees: args.trees.max(1),
            ..FitSettings::default()
        },
        ..rolling::RollingSettings::default()
    };
    let loaded = load_store(config)?;
    let mut origins = rolling::origins(&loaded, first, params);
    if let Some(until) = &args.rolling_until {
        let until = parse_moment(until)?;
        origins.retain(|&o| o <= until);
    }
    if origins.is_empty() {
        bail!(
            "no origin from {}: the history holds no whole period of {} days after it",
            first.to_rfc3339(),
            params.period_days
        );
    }
    println!("{}", rolling::header());
    let mut judged = Vec::new();
    for origin in origins {
        let working = Working::new(&format!("fitting and judging the lists of {origin}"));
        let o = rolling::judge(&loaded, origin, params, &settings)?;
        drop(working);
        println!("{}", rolling::row(&o));
        std::io::stdout().flush()?;
        judged.push(o);
    }
    println!();
    print!("{}", rolling::summary_table(&rolling::Summary::of(&judged)));
    Ok(())
}

fn run_generate(config: &Config, args: GenerateArgs) -> Result<()> {
    let as_of = parse_moment(&args.as_of)?;
    let mut params = params(config, &args.common)?;
    params.min_weekly_spend = Money::parse(&args.min_weekly_spend, config.store.currency)
        .context("--min-weekly-spend")?
        .minor();
    let key = args.codes.as_ref().map(|_| hq_key(config)).transpose()?;
    let loaded = load_store(config)?;
    let deals = read_deals(args.deals.as_deref(), &loaded, config)?;
    let working = Working::new("making the lists");
    let plan = generate::plan(&loaded, &deals, as_of, &params);
    drop(working);
    let file = std::fs::File::create(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let mut out = std::io::BufWriter::new(file);
    let (members, rows) =
        generate::write_csv(&mut out, &plan, &deals, &loaded, config.store.currency)?;
    out.flush()?;
    let offers: usize = plan.lists.iter().map(|l| l.offers.len()).sum();
    println!(
        "{members} of {} members qualify: {rows} list rows, {offers} offers, written to {}",
        plan.lists.len(),
        args.out.display()
    );
    for (deal, left) in deals.iter().zip(&plan.budget_left) {
        println!(
            "deal {}: {} of {} budget promised",
            deal.id,
            Money::from_minor(deal.budget - left, config.store.currency),
            Money::from_minor(deal.budget, config.store.currency)
        );
    }
    if let (Some(path), Some(key)) = (&args.codes, &key) {
        let n = generate::write_codes(path, &plan, &deals, &loaded, key)?;
        println!("{n} signed lists written to {}", path.display());
    }
    Ok(())
}

fn run_print(config: &Config, args: PrintArgs) -> Result<()> {
    config.check_till()?;
    let as_of = match &args.as_of {
        Some(t) => parse_moment(t)?,
        None => chrono::Utc::now(),
    };
    let key = config.loyalty.coupon_key().context(
        "no HQ public key (loyalty.coupon_key): lists cannot be verified, so none are printed",
    )?;
    let tips = print::Tips::from_file(args.tips.as_deref())?;
    let store = crate::store::Store::open_configured(config, &config.data_dir)?;
    let conn = store.catalogue.conn();
    let chosen = match &args.member {
        Some(m) => {
            let member = members::by_id_or_card(conn, m)?
                .with_context(|| format!("no member matches '{m}'"))?;
            let mut kept = crate::terminal::lists::current_lists(
                &store.terminal,
                &key,
                as_of,
                Some(&member.id),
            )?;
            match kept.pop() {
                Some(list) => vec![list],
                None => vec![crate::terminal::lists::ask_hq_for_list(
                    config,
                    &store.terminal,
                    &member.id,
                    &key,
                    as_of,
                )?],
            }
        }
        None => crate::terminal::lists::current_lists(&store.terminal, &key, as_of, None)?,
    };
    let mut devices = storepos_drivers::build_all(&config.devices);
    devices.printer.start().context("receipt printer")?;
    if let Some(dir) = &args.save {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let total = chosen.len();
    for (n, signed) in chosen.iter().enumerate() {
        let list = &signed.list;
        let name = members::by_id(conn, &list.member_id)?
            .map_or_else(|| list.member_id.clone(), |m| m.name);
        let cx = print::PrintContext {
            store_name: &config.store.name,
            member_name: &name,
            currency: config.store.currency,
            tips: &tips,
        };
        let rows = print::layout(signed, &cx);
        devices
            .printer
            .print(&print::to_document(&rows))
            .with_context(|| format!("printing the list of member {}", list.member_id))?;
        if let Some(dir) = &args.save {
            std::fs::write(
                dir.join(format!("{}.txt", signed.id())),
                print::to_text(&rows, 48),
            )?;
            if let Some(sim) = &devices.simulators.printer {
                let image = sim.render_job(sim.jobs().len() - 1)?;
                std::fs::write(dir.join(format!("{}.png", signed.id())), image.to_png())?;
            }
        }
        if args.all {
            eprintln!(
                "[{}/{total}] member {} list {}",
                n + 1,
                list.member_id,
                signed.id()
            );
        } else {
            println!(
                "printed list {} for {} ({} items, {} offers)",
                signed.id(),
                name,
                list.items.len(),
                list.coupons.len()
            );
        }
    }
    if args.all {
        println!("printed {total} lists");
    }
    Ok(())
}
