//! `storepos lists backtest DIR`: coupon targeting on the Complete Journey's own
//! campaigns. In each Type A campaign every household got 16 coupons picked from the
//! campaign's pool; here the engine picks 16 for each household from the same pool using
//! only purchases before the campaign started, and the backtest counts how many of the
//! coupons households really redeemed were among them, beside the same pick by personal
//! purchase frequency.
//!
//! Both pickers order the pool the same way after their first key, so only that key is
//! compared: the engine's coupon affinity, what the member spent on the coupon's products
//! ([`coupon_affinity`]; personal purchase frequency: the member's purchase lines of
//! them), then the member's weekly spend in the coupon's categories, then how many
//! members bought its products.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use flate2::read::MultiGzDecoder;

use super::load::Loaded;
use crate::domain::lists::offers::coupon_affinity;
use crate::domain::lists::{Params, prepare};

/// Coupons each household is given in a Type A campaign.
pub const COUPONS_PER_HOUSEHOLD: usize = 16;

/// The outcome for one campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignResult {
    pub campaign: String,
    pub start: NaiveDate,
    pub households: usize,
    pub pool: usize,
    /// Coupons redeemed by households of the campaign (household, coupon pairs).
    pub redeemed: usize,
    pub engine_covered: usize,
    pub frequency_covered: usize,
}

fn read_gz(dir: &Path, name: &str) -> Result<Vec<csv::StringRecord>> {
    let path = dir.join(name);
    let file =
        std::fs::File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
    let reader: Box<dyn Read> = Box::new(MultiGzDecoder::new(std::io::BufReader::new(file)));
    let mut csv = csv::Reader::from_reader(reader);
    csv.records()
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("reading {}", path.display()))
}

/// Runs the backtest on every Type A campaign of the data set in `dir`, with the store's
/// history in `loaded`.
pub fn run(dir: &Path, loaded: &Loaded, params: &Params) -> Result<Vec<CampaignResult>> {
    let descriptions = read_gz(dir, "campaign_descriptions.csv.gz")?;
    let mut campaigns: BTreeMap<String, NaiveDate> = BTreeMap::new();
    for r in &descriptions {
        if r.get(1) == Some("Type A") {
            let date = |column: usize, what: &str| {
                NaiveDate::parse_from_str(r.get(column).unwrap_or(""), "%Y-%m-%d")
                    .with_context(|| format!("campaign {:?}: bad {what} date", r.get(0)))
            };
            let (start, end) = (date(2, "start")?, date(3, "end")?);
            if end < start {
                anyhow::bail!("campaign {:?} ends before it starts", r.get(0));
            }
            campaigns.insert(r.get(0).unwrap_or("").to_string(), start);
        }
    }
    let mut households: HashMap<String, Vec<String>> = HashMap::new();
    for r in read_gz(dir, "campaigns.csv.gz")? {
        if campaigns.contains_key(&r[0]) {
            households
                .entry(r[0].to_string())
                .or_default()
                .push(r[1].to_string());
        }
    }
    // campaign -> coupon -> products
    let mut pools: HashMap<String, BTreeMap<String, Vec<u32>>> = HashMap::new();
    for r in read_gz(dir, "coupons.csv.gz")? {
        if campaigns.contains_key(&r[2]) {
            let products = pools
                .entry(r[2].to_string())
                .or_default()
                .entry(r[0].to_string())
                .or_default();
            if let Some(p) = loaded.product(&r[1]) {
                products.push(p);
            }
        }
    }
    let mut redeemed: HashMap<(String, String), HashSet<String>> = HashMap::new();
    for r in read_gz(dir, "coupon_redemptions.csv.gz")? {
        if campaigns.contains_key(&r[2]) {
            redeemed
                .entry((r[2].to_string(), r[0].to_string()))
                .or_default()
                .insert(r[1].to_string());
        }
    }

    let mut results = Vec::new();
    for (campaign, start) in &campaigns {
        let as_of = start.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
        let (groups, uses, population) = prepare(&loaded.catalogue, &loaded.members, as_of, params);
        let pool = pools.get(campaign).cloned().unwrap_or_default();
        let coupon_popularity: HashMap<&str, u64> = pool
            .iter()
            .map(|(c, ps)| {
                let sum = ps
                    .iter()
                    .map(|&p| u64::from(population.buyers[p as usize]))
                    .sum();
                (c.as_str(), sum)
            })
            .collect();
        let mut result = CampaignResult {
            campaign: campaign.clone(),
            start: *start,
            households: 0,
            pool: pool.len(),
            redeemed: 0,
            engine_covered: 0,
            frequency_covered: 0,
        };
        for household in households.get(campaign).map_or(&[][..], |h| h.as_slice()) {
            result.households += 1;
            let Some(used) = redeemed.get(&(campaign.clone(), household.clone())) else {
                continue;
            };
            result.redeemed += used.len();
            let Some(m) = loaded.member(household) else {
                continue;
            };
            let lines: HashMap<u32, u32> = groups[m]
                .groups
                .iter()
                .map(|g| (g.product, g.lines))
                .collect();
            let category_spend: HashMap<u32, i64> = uses[m]
                .iter()
                .map(|u| (u.category, u.weekly_spend))
                .collect();
            let fallback = |products: &[u32]| -> i64 {
                let mut cats: Vec<u32> = products
                    .iter()
                    .filter_map(|&p| population.category_of[p as usize])
                    .collect();
                cats.sort_unstable();
                cats.dedup();
                cats.iter()
                    .map(|c| category_spend.get(c).copied().unwrap_or(0))
                    .sum()
            };
            let pick = |first: &dyn Fn(&[u32]) -> f64| -> HashSet<&str> {
                let mut keyed: Vec<(f64, i64, u64, &str)> = pool
                    .iter()
                    .map(|(c, ps)| {
                        (
                            first(ps),
                            fallback(ps),
                            coupon_popularity[c.as_str()],
                            c.as_str(),
                        )
                    })
                    .collect();
                keyed.sort_by(|a, b| {
                    b.0.partial_cmp(&a.0)
                        .unwrap_or(std::cmp::Ordering::Equal)
                        .then(b.1.cmp(&a.1))
                        .then(b.2.cmp(&a.2))
                        .then(a.3.cmp(b.3))
                });
                keyed
                    .into_iter()
                    .take(COUPONS_PER_HOUSEHOLD)
                    .map(|k| k.3)
                    .collect()
            };
            // The coupons whose products the member spent most on: a coupon is worth
            // most where the member's own spend is.
            let engine = pick(&|ps: &[u32]| coupon_affinity(&groups[m], ps) as f64);
            let frequency = pick(&|ps: &[u32]| {
                ps.iter()
                    .map(|p| f64::from(lines.get(p).copied().unwrap_or(0)))
                    .sum()
            });
            result.engine_covered += used.iter().filter(|c| engine.contains(c.as_str())).count();
            result.frequency_covered += used
                .iter()
                .filter(|c| frequency.contains(c.as_str()))
                .count();
        }
        results.push(result);
    }
    Ok(results)
}

/// The results as a table with the totals.
pub fn table(results: &[CampaignResult]) -> String {
    let mut out = format!(
        "{:<9} {:<11} {:>10} {:>6} {:>9} {:>14} {:>17}\n",
        "campaign", "start", "households", "pool", "redeemed", "engine chose", "frequency chose"
    );
    let share = |a: usize, b: usize| {
        if b == 0 {
            0.0
        } else {
            a as f64 * 100.0 / b as f64
        }
    };
    let (mut r, mut e, mut f) = (0, 0, 0);
    for c in results {
        out.push_str(&format!(
            "{:<9} {:<11} {:>10} {:>6} {:>9} {:>8} {:>4.1}% {:>11} {:>4.1}%\n",
            c.campaign,
            c.start,
            c.households,
            c.pool,
            c.redeemed,
            c.engine_covered,
            share(c.engine_covered, c.redeemed),
            c.frequency_covered,
            share(c.frequency_covered, c.redeemed)
        ));
        r += c.redeemed;
        e += c.engine_covered;
        f += c.frequency_covered;
    }
    out.push_str(&format!(
        "{:<9} {:<11} {:>10} {:>6} {:>9} {:>8} {:>4.1}% {:>11} {:>4.1}%\n",
        "all",
        "",
        "",
        "",
        r,
        e,
        share(e, r),
        f,
        share(f, r)
    ));
    out
}
