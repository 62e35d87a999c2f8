//! `storepos bench lists`: shopping lists for every member with purchase history in the
//! store, timing the load out of SQLite, reading the list model and the generation
//! (grouping, population figures, eligibility, TIFU-KNN's signals, ranking and
//! re-ranking, segments) separately and in total.
//!
//! With `--members N`, the lists of N synthetic members instead: each the history of one
//! of the store's members drawn at random, less a tenth of its baskets (also at random),
//! made batch by batch ([`plan_batches`]) as a chain's run is, so that the members are
//! never all in memory. The raw limit beside it is reading the same members twice (what
//! the plan reads) and nothing else; peak resident memory is the process's (VmHWM).

use std::time::Instant;

use anyhow::Result;

use crate::config::Config;
use crate::domain::lists::plan::BATCH;
use crate::domain::lists::{MemberHistory, MemberSource, Params, plan_batches, plan_lists};
use crate::lists::{load::load, parse_moment};

#[derive(Debug, clap::Args)]
pub struct ListsBenchArgs {
    /// The moment the lists are made (default: just after the last purchase on record).
    #[arg(long, value_name = "DATETIME")]
    pub as_of: Option<String>,
    /// Generation runs; the median is reported.
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,
    /// Lists for this many synthetic members drawn from the store's (one round).
    #[arg(long)]
    pub members: Option<usize>,
    /// Members per batch with --members.
    #[arg(long, default_value_t = BATCH)]
    pub batch: usize,
}

/// Synthetic members, each a store member's history drawn at random less a tenth of its
/// baskets; member `i` is the same whenever it is read.
struct Synthetic<'a> {
    base: &'a [MemberHistory],
    count: usize,
}

impl Synthetic<'_> {
    fn member(&self, i: usize) -> MemberHistory {
        let mut rng = fastrand::Rng::with_seed(i as u64);
        let from = &self.base[rng.usize(..self.base.len())];
        let salt = rng.u64(..);
        let kept = |at: chrono::DateTime<chrono::Utc>| {
            // A basket (one moment) is dropped or kept whole.
            fastrand::Rng::with_seed(salt ^ at.timestamp() as u64).u8(..10) != 0
        };
        MemberHistory {
            member_id: format!("S{i:07}"),
            purchases: from
                .purchases
                .iter()
                .filter(|p| kept(p.at))
                .copied()
                .collect(),
        }
    }
}

impl MemberSource for Synthetic<'_> {
    fn count(&self) -> usize {
        self.count
    }

    fn read(&self, from: usize, to: usize) -> std::borrow::Cow<'_, [MemberHistory]> {
        let indices: Vec<usize> = (from..to).collect();
        std::borrow::Cow::Owned(crate::domain::lists::plan::parallel_map(&indices, |&i| {
            self.member(i)
        }))
    }
}

/// The process's peak resident memory (VmHWM), in MiB, where the system tells it.
fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

pub fn lists(config: &Config, args: &ListsBenchArgs) -> Result<()> {
    let store = crate::store::Store::open_configured(config, &config.data_dir)?;
    let started = Instant::now();
    let loaded = load(store.catalogue.conn())?;
    let load_time = started.elapsed();
    let lines: usize = loaded.members.iter().map(|m| m.purchases.len()).sum();
    let as_of = match &args.as_of {
        Some(t) => parse_moment(t)?,
        None => loaded
            .members
            .iter()
            .flat_map(|m| m.purchases.iter().map(|p| p.at))
            .max()
            .map_or_else(chrono::Utc::now, |t| t + chrono::Duration::seconds(1)),
    };
    // The first default reads the shipped list model; that is part of the cost.
    let started = Instant::now();
    let params = Params {
        day_offset_seconds: i64::from(config.store.offset().local_minus_utc()),
        ..Params::default()
    };
    let model_time = started.elapsed();
    if let Some(count) = args.members {
        return synthetic(&loaded, count, args.batch, as_of, &params, load_time);
    }
    let mut times = Vec::new();
    let mut listed = 0;
    for _ in 0..args.rounds.max(1) {
        let started = Instant::now();
        let plan = plan_lists(&loaded.catalogue, &loaded.members, &[], as_of, &params);
        times.push(started.elapsed());
        listed = plan.lists.iter().filter(|l| !l.items.is_empty()).count();
    }
    times.sort();
    let generation = times[times.len() / 2];
    println!(
        "{} members, {} products, {lines} purchase lines; lists as of {}",
        loaded.members.len(),
        loaded.catalogue.len(),
        as_of.to_rfc3339()
    );
    println!(
        "load (SQLite to engine data): {:>8.3} s",
        load_time.as_secs_f64()
    );
    println!(
        "list model (read once):       {:>8.3} s",
        model_time.as_secs_f64()
    );
    println!(
        "generation, all members:      {:>8.3} s  (median of {}; {listed} lists made)",
        generation.as_secs_f64(),
        times.len()
    );
    println!(
        "total:                        {:>8.3} s",
        (load_time + model_time + generation).as_secs_f64()
    );
    Ok(())
}

/// The lists of `count` synthetic members, batch by batch.
fn synthetic(
    loaded: &crate::lists::load::Loaded,
    count: usize,
    batch: usize,
    as_of: chrono::DateTime<chrono::Utc>,
    params: &Params,
    load_time: std::time::Duration,
) -> Result<()> {
    let with_history: Vec<MemberHistory> = loaded
        .members
        .iter()
        .filter(|m| m.purchases.iter().any(|p| p.at < as_of))
        .cloned()
        .collect();
    anyhow::ensure!(
        !with_history.is_empty(),
        "the store holds no purchase history before {as_of} to draw members from"
    );
    let source = Synthetic {
        base: &with_history,
        count,
    };
    let batch = batch.max(1);
    // The raw limit: reading every batch twice, as the plan does, and nothing else.
    let started = Instant::now();
    let mut lines = 0usize;
    for _ in 0..2 {
        for from in (0..count).step_by(batch) {
            lines += source
                .read(from, (from + batch).min(count))
                .iter()
                .map(|m| m.purchases.len())
                .sum::<usize>();
        }
    }
    let raw = started.elapsed();
    let started = Instant::now();
    let (mut listed, mut items) = (0usize, 0usize);
    plan_batches(&loaded.catalogue, &source, &[], as_of, params, batch, |b| {
        listed += b.lists.iter().filter(|l| !l.items.is_empty()).count();
        items += b.lists.iter().map(|l| l.items.len()).sum::<usize>();
    });
    let generation = started.elapsed();
    println!(
        "{count} synthetic members drawn from {} with history, {} purchase lines, batches of {batch}; lists as of {}",
        with_history.len(),
        lines / 2,
        as_of.to_rfc3339()
    );
    println!(
        "load (SQLite to engine data):   {:>9.3} s",
        load_time.as_secs_f64()
    );
    println!(
        "raw limit (read members twice): {:>9.3} s",
        raw.as_secs_f64()
    );
    println!(
        "generation, all members:        {:>9.3} s  ({listed} lists, {items} items; {:.1}x the raw limit, {:.0} members/s)",
        generation.as_secs_f64(),
        generation.as_secs_f64() / raw.as_secs_f64().max(1e-9),
        count as f64 / generation.as_secs_f64().max(1e-9)
    );
    match peak_memory_mib() {
        Some(mib) => println!("peak resident memory (VmHWM):   {mib:>9.0} MiB"),
        None => println!("peak resident memory: not told by this system"),
    }
    Ok(())
}
