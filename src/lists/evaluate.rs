//! `storepos lists evaluate`: lists as of a cut-off against what members really bought in
//! the period after it, beside baselines on the same members: each member's own most
//! frequent products, alone and then the best sellers (GP-TopFreq), the time-decayed
//! frequency and TIFU-KNN (their settings fitted on the period before the cut-off,
//! [`baselines::fit`]), and the best sellers. [`super::rolling`] repeats it at every
//! period of the history with a model fitted before each.
//!
//! What is scored is what members get: the lists [`super::generate::plan`] makes (the
//! function `lists generate` writes, with its eligibility and list length), or any lists
//! CSV in `generate`'s columns ([`read_lists`]), so a list file can be checked on its own.
//! The protocol:
//! - members scored: those with at least [`MIN_BASKETS`] baskets (distinct purchase
//!   moments) before the cut-off who bought something in the period;
//! - the truth: the distinct products each bought in `[as_of, as_of + period)` that the
//!   store sells (a line of something it does not, such as a coupon's zero-quantity line,
//!   is no product a list could hold); every method lists only those too;
//! - each list is cut to [`LIST_K`] and, when shorter (or missing: a member without a
//!   list), filled with the best sellers before the cut-off that it does not hold;
//! - recall@10 = hits in the top 10 / size of the truth, averaged over the members (as
//!   recall@20, NDCG@10 and hit rate@10).

use std::path::Path;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Duration, Utc};

use super::generate;
use super::load::Loaded;
use crate::domain::lists::baselines::{self, TifuKnn};
use crate::domain::lists::metrics::{
    Scores, best_sellers, measure, most_frequent, own_most_frequent,
};
use crate::domain::lists::plan::parallel_map;
use crate::domain::lists::{Deal, Params, prepare};

/// Baskets a member needs before the cut-off to be scored.
pub const MIN_BASKETS: usize = 2;
/// The length every list is scored at (cut or filled to it).
pub const LIST_K: usize = 20;

/// The figures of one evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub as_of: DateTime<Utc>,
    pub period_days: u32,
    /// Members given a list of their own (the others are scored on the best sellers).
    pub listed: usize,
    pub lists: Scores,
    /// Each member's own most frequent products alone.
    pub own_most_frequent: Scores,
    /// Each member's own most frequent products, then the best sellers (GP-TopFreq).
    pub gp_top_freq: Scores,
    pub best_sellers: Scores,
    pub decayed_frequency: Scores,
    pub tifu_knn: Scores,
    /// The baselines' settings, fitted on the period before the cut-off.
    pub half_life: f64,
    pub tifu: TifuKnn,
}

/// Scores the lists `lists generate` makes as of `as_of` with these settings and deals.
pub fn evaluate(
    loaded: &Loaded,
    as_of: DateTime<Utc>,
    params: &Params,
    deals: &[Deal],
) -> Evaluation {
    let baselines = fit_baselines(loaded, as_of, params);
    evaluate_with(loaded, as_of, params, deals, baselines)
}

/// As [`evaluate`], with the baselines' settings already fitted ([`fit_baselines`]).
pub fn evaluate_with(
    loaded: &Loaded,
    as_of: DateTime<Utc>,
    params: &Params,
    deals: &[Deal],
    baselines: (f64, TifuKnn),
) -> Evaluation {
    let plan = generate::plan(loaded, deals, as_of, params);
    let lists: Vec<Vec<u32>> = plan
        .lists
        .iter()
        .map(|l| l.items.iter().map(|i| i.product).collect())
        .collect();
    score(loaded, as_of, params, &lists, baselines)
}

/// The baselines' settings (the decayed frequency's half-life, TIFU-KNN's) that score best
/// on the period before `as_of`, from the history before that period.
pub fn fit_baselines(loaded: &Loaded, as_of: DateTime<Utc>, params: &Params) -> (f64, TifuKnn) {
    let period = Duration::days(i64::from(params.period_days));
    let (groups, _, population) =
        prepare(&loaded.catalogue, &loaded.members, as_of - period, params);
    baselines::fit(
        &groups,
        &population,
        params.day_of(as_of - period),
        &truths(loaded, as_of - period, as_of),
        LIST_K,
    )
}

/// Reads a lists CSV in `generate`'s columns (`member_id`, `product_id`, `rank`; others
/// ignored): each member's products in rank order, by member index. A member or product
/// the store does not hold, a rank that is not a positive number or is given twice, is
/// an error naming its row.
pub fn read_lists(loaded: &Loaded, path: &Path) -> Result<Vec<Vec<u32>>> {
    let mut reader = csv::Reader::from_path(path)
        .with_context(|| format!("cannot read the lists in {}", path.display()))?;
    let headers = reader
        .headers()
        .with_context(|| format!("{}: no header row", path.display()))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .with_context(|| format!("{}: no '{name}' column", path.display()))
    };
    let (member_at, product_at, rank_at) =
        (column("member_id")?, column("product_id")?, column("rank")?);
    let mut ranked: Vec<Vec<(u32, u32)>> = vec![Vec::new(); loaded.members.len()];
    for (row, record) in reader.records().enumerate() {
        let line = row + 2;
        let record = record.with_context(|| format!("{}: row {line}", path.display()))?;
        let field = |at: usize| record.get(at).unwrap_or("").trim();
        let member = loaded.member(field(member_at)).with_context(|| {
            format!(
                "{}: row {line}: the store holds no history of member '{}'",
                path.display(),
                field(member_at)
            )
        })?;
        let product = loaded.product(field(product_at)).with_context(|| {
            format!(
                "{}: row {line}: no product '{}' in the store's catalogue",
                path.display(),
                field(product_at)
            )
        })?;
        let rank: u32 = match field(rank_at).parse() {
            Ok(r) if r > 0 => r,
            _ => bail!(
                "{}: row {line}: rank '{}' is not a positive whole number",
                path.display(),
                field(rank_at)
            ),
        };
        if ranked[member].iter().any(|(r, _)| *r == rank) {
            bail!(
                "{}: row {line}: member '{}' has rank {rank} twice",
                path.display(),
                field(member_at)
            );
        }
        ranked[member].push((rank, product));
    }
    Ok(ranked
        .into_iter()
        .map(|mut list| {
            list.sort_unstable();
            list.into_iter().map(|(_, p)| p).collect()
        })
        .collect())
}

/// Scores `lists` (by member index, best first; empty: no list) as of `as_of` by the
/// module's protocol, beside the baselines on the same members, with the baselines'
/// settings given ([`fit_baselines`]).
pub fn score(
    loaded: &Loaded,
    as_of: DateTime<Utc>,
    params: &Params,
    lists: &[Vec<u32>],
    (half_life, tifu): (f64, TifuKnn),
) -> Evaluation {
    debug_assert_eq!(lists.len(), loaded.members.len());
    let end = as_of + Duration::days(i64::from(params.period_days));
    let (groups, _, population) = prepare(&loaded.catalogue, &loaded.members, as_of, params);
    let sellers = best_sellers(&population, LIST_K * 2);
    let filled = |list: &[u32]| -> Vec<u32> {
        let mut out: Vec<u32> = list.iter().copied().take(LIST_K).collect();
        for &p in &sellers {
            if out.len() >= LIST_K {
                break;
            }
            if !out.contains(&p) {
                out.push(p);
            }
        }
        out
    };
    let today = params.day_of(as_of);
    let decayed = parallel_map(&groups, |g| {
        baselines::decayed_frequency(g, &population, today, half_life, LIST_K)
    });
    let knn = tifu.lists(&groups, &population, LIST_K);

    let (mut scored, mut own, mut best) = (Vec::new(), Vec::new(), Vec::new());
    let mut gp = Vec::new();
    let (mut by_decay, mut by_knn) = (Vec::new(), Vec::new());
    let mut bought = Vec::new();
    let mut listed = 0;
    for (i, truth) in truths(loaded, as_of, end).into_iter().enumerate() {
        if truth.is_empty() {
            continue;
        }
        listed += usize::from(!lists[i].is_empty());
        scored.push(filled(&lists[i]));
        own.push(own_most_frequent(&groups[i], &population, LIST_K));
        gp.push(most_frequent(&groups[i], &population, LIST_K));
        best.push(filled(&[]));
        by_decay.push(decayed[i].clone());
        by_knn.push(knn[i].clone());
        bought.push(truth);
    }
    let pairs = |lists: &[Vec<u32>]| -> Scores {
        measure(
            lists
                .iter()
                .zip(&bought)
                .map(|(l, t)| (l.as_slice(), t.as_slice())),
        )
    };
    Evaluation {
        as_of,
        period_days: params.period_days,
        listed,
        lists: pairs(&scored),
        own_most_frequent: pairs(&own),
        gp_top_freq: pairs(&gp),
        best_sellers: pairs(&best),
        decayed_frequency: pairs(&by_decay),
        tifu_knn: pairs(&by_knn),
        half_life,
        tifu,
    }
}

/// What each member bought in `[from, to)` (sorted, distinct), for the members scored: those
/// with [`MIN_BASKETS`] baskets or more before `from`; empty for the others.
pub fn truths(loaded: &Loaded, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Vec<u32>> {
    loaded
        .members
        .iter()
        .map(|member| {
            let mut baskets: Vec<DateTime<Utc>> = member
                .purchases
                .iter()
                .filter(|p| p.at < from)
                .map(|p| p.at)
                .collect();
            baskets.sort_unstable();
            baskets.dedup();
            if baskets.len() < MIN_BASKETS {
                return Vec::new();
            }
            let mut truth: Vec<u32> = member
                .purchases
                .iter()
                .filter(|p| p.at >= from && p.at < to)
                .filter(|p| loaded.catalogue[p.product as usize].stocked)
                .map(|p| p.product)
                .collect();
            truth.sort_unstable();
            truth.dedup();
            truth
        })
        .collect()
}

/// Scores a lists CSV as of `as_of` (see [`read_lists`]).
pub fn evaluate_file(
    loaded: &Loaded,
    as_of: DateTime<Utc>,
    params: &Params,
    path: &Path,
) -> Result<Evaluation> {
    let lists = read_lists(loaded, path)?;
    let baselines = fit_baselines(loaded, as_of, params);
    Ok(score(loaded, as_of, params, &lists, baselines))
}

/// The evaluation as a table; `what` names the lists scored.
pub fn table(e: &Evaluation, what: &str) -> String {
    let mut out = format!(
        "cut-off {}, period {} days, {} members with {MIN_BASKETS} baskets or more before and purchases in the period ({} with a list of their own; lists cut or filled with the best sellers to {LIST_K})\n",
        e.as_of.to_rfc3339(),
        e.period_days,
        e.lists.members,
        e.listed,
    );
    out.push_str(&format!(
        "{:<31} {:>10} {:>10} {:>10} {:>12}\n",
        "method", "recall@10", "recall@20", "NDCG@10", "hit rate@10"
    ));
    for (name, s) in [
        (what, &e.lists),
        ("own most frequent products", &e.own_most_frequent),
        ("GP-TopFreq (own, then popular)", &e.gp_top_freq),
        ("time-decayed frequency", &e.decayed_frequency),
        ("TIFU-KNN", &e.tifu_knn),
        ("best sellers", &e.best_sellers),
    ] {
        out.push_str(&format!(
            "{name:<31} {:>10.4} {:>10.4} {:>10.4} {:>12.4}\n",
            s.recall_10, s.recall_20, s.ndcg_10, s.hit_rate_10
        ));
    }
    let t = &e.tifu;
    out.push_str(&format!(
        "fitted on the period before: half-life {} days; TIFU-KNN groups of {}, decay {} within and {} across, {} neighbours, alpha {}\n",
        e.half_life, t.group_size, t.within, t.across, t.neighbours, t.alpha
    ));
    let base = e.own_most_frequent.recall_10;
    if base > 0.0 {
        out.push_str(&format!(
            "recall@10 gain over own most frequent: {:+.1}%\n",
            (e.lists.recall_10 / base - 1.0) * 100.0
        ));
    }
    out
}
