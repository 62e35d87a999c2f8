//! `storepos lists evaluate`: the engine's lists as of a cut-off against what members
//! really bought in the period after it, beside two baselines on the same members (the
//! best sellers, and each member's own most frequent products).

use chrono::{DateTime, Duration, Utc};

use super::load::Loaded;
use crate::domain::lists::metrics::{Scores, best_sellers, measure, most_frequent};
use crate::domain::lists::plan::parallel_map;
use crate::domain::lists::{Params, prepare, rank};

/// The figures of one evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub as_of: DateTime<Utc>,
    pub period_days: u32,
    pub engine: Scores,
    pub own_most_frequent: Scores,
    pub best_sellers: Scores,
}

/// Ranks every member as of `as_of` (only history before it is used) and measures the
/// lists against the distinct products each member bought in `[as_of, as_of + period)`.
/// Members count when they have history before the cut-off and bought in the period.
pub fn evaluate(loaded: &Loaded, as_of: DateTime<Utc>, params: &Params) -> Evaluation {
    let end = as_of + Duration::days(i64::from(params.period_days));
    let (groups, _, population) = prepare(&loaded.catalogue, &loaded.members, as_of, params);
    let k = params.list_len.max(20);
    let mut params = params.clone();
    params.list_len = k;
    let engine: Vec<Vec<u32>> = parallel_map(&groups, |g| {
        rank(g, &population, as_of, &params)
            .into_iter()
            .map(|i| i.product)
            .collect()
    });
    let frequent: Vec<Vec<u32>> = groups
        .iter()
        .map(|g| most_frequent(g, &population, k))
        .collect();
    let sellers = best_sellers(&population, k);
    let truth: Vec<Vec<u32>> = loaded
        .members
        .iter()
        .zip(&groups)
        .map(|(m, g)| {
            if g.is_empty() {
                return Vec::new();
            }
            let mut bought: Vec<u32> = m
                .purchases
                .iter()
                .filter(|p| p.at >= as_of && p.at < end)
                .map(|p| p.product)
                .collect();
            bought.sort_unstable();
            bought.dedup();
            bought
        })
        .collect();
    let pairs = |lists: &[Vec<u32>]| -> Scores {
        measure(
            lists
                .iter()
                .zip(&truth)
                .map(|(l, t)| (l.as_slice(), t.as_slice())),
        )
    };
    Evaluation {
        as_of,
        period_days: params.period_days,
        engine: pairs(&engine),
        own_most_frequent: pairs(&frequent),
        best_sellers: measure(truth.iter().map(|t| (sellers.as_slice(), t.as_slice()))),
    }
}

/// The evaluation as a table.
pub fn table(e: &Evaluation) -> String {
    let mut out = format!(
        "cut-off {}, period {} days, {} members with history before and purchases in the period\n",
        e.as_of.to_rfc3339(),
        e.period_days,
        e.engine.members
    );
    out.push_str(&format!(
        "{:<28} {:>10} {:>10} {:>10} {:>12}\n",
        "method", "recall@10", "recall@20", "NDCG@10", "hit rate@10"
    ));
    for (name, s) in [
        ("shopping-list engine", &e.engine),
        ("own most frequent products", &e.own_most_frequent),
        ("best sellers", &e.best_sellers),
    ] {
        out.push_str(&format!(
            "{name:<28} {:>10.4} {:>10.4} {:>10.4} {:>12.4}\n",
            s.recall_10, s.recall_20, s.ndcg_10, s.hit_rate_10
        ));
    }
    let base = e.own_most_frequent.recall_10;
    if base > 0.0 {
        out.push_str(&format!(
            "recall@10 gain over own most frequent: {:+.1}%\n",
            (e.engine.recall_10 / base - 1.0) * 100.0
        ));
    }
    out
}
