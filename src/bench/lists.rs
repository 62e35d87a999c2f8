//! `storepos bench lists`: shopping lists for every member with purchase history in the
//! store, timing the load out of SQLite, reading the list model and the generation
//! (grouping, population figures, eligibility, ranking and re-ranking, segments)
//! separately and in total.

use std::time::Instant;

use anyhow::Result;

use crate::config::Config;
use crate::domain::lists::{Params, plan_lists};
use crate::lists::{load::load, parse_moment};

#[derive(Debug, clap::Args)]
pub struct ListsBenchArgs {
    /// The moment the lists are made (default: just after the last purchase on record).
    #[arg(long, value_name = "DATETIME")]
    pub as_of: Option<String>,
    /// Generation runs; the median is reported.
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,
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
