//! `storepos lists fit`: fits the trees that re-order the top of each list
//! ([`crate::domain::lists::rerank`]) on the store's own past. For each cut-off given,
//! every member who shopped in the period after it contributes their top candidates by
//! the linear score as of the cut-off, each labelled by whether they bought it in the
//! period; the trees learn to tell them apart.

use chrono::{DateTime, Duration, Utc};

use super::load::Loaded;
use crate::domain::lists::plan::parallel_map;
use crate::domain::lists::ranking::candidate_rows;
use crate::domain::lists::rerank::{FEATURES, FitSettings, Reranker};
use crate::domain::lists::{Params, prepare};

/// What one fit saw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitReport {
    pub rows: usize,
    pub bought: usize,
    pub members: usize,
}

/// Labelled candidate rows, each weighted so that every member's period counts once, as
/// recall counts it.
#[derive(Debug, Default)]
struct Labelled {
    rows: Vec<[f64; FEATURES]>,
    labels: Vec<f64>,
    weights: Vec<f64>,
    members: usize,
}

/// Adds the labelled candidate rows of one cut-off.
fn add_cutoff(
    out: &mut Labelled,
    loaded: &Loaded,
    as_of: DateTime<Utc>,
    params: &Params,
    candidates: usize,
) {
    let mut linear = params.clone();
    linear.reranker = None;
    let end = as_of + Duration::days(i64::from(params.period_days));
    let (groups, _, population) = prepare(&loaded.catalogue, &loaded.members, as_of, &linear);
    let indices: Vec<usize> = (0..groups.len()).collect();
    let per_member = parallel_map(&indices, |&i| {
        if groups[i].is_empty() {
            return (Vec::new(), Vec::new(), 0.0);
        }
        let mut bought: Vec<u32> = loaded.members[i]
            .purchases
            .iter()
            .filter(|p| p.at >= as_of && p.at < end)
            .map(|p| p.product)
            .collect();
        if bought.is_empty() {
            return (Vec::new(), Vec::new(), 0.0);
        }
        bought.sort_unstable();
        bought.dedup();
        let (rows, labels) = candidate_rows(&groups[i], &population, as_of, &linear, candidates)
            .into_iter()
            .map(|(product, row)| {
                let label = f64::from(u8::from(bought.binary_search(&product).is_ok()));
                (row, label)
            })
            .unzip();
        // Weighted by everything the member bought in the period, as recall divides.
        (rows, labels, 1.0 / bought.len() as f64)
    });
    for (rows, labels, weight) in per_member {
        if rows.is_empty() {
            continue;
        }
        out.members += 1;
        out.weights.extend(std::iter::repeat_n(weight, rows.len()));
        out.rows.extend(rows);
        out.labels.extend(labels);
    }
}

/// Fits a model on the cut-offs given.
pub fn fit(
    loaded: &Loaded,
    cutoffs: &[DateTime<Utc>],
    params: &Params,
    candidates: usize,
    settings: &FitSettings,
) -> Result<(Reranker, FitReport), String> {
    let mut labelled = Labelled::default();
    for &as_of in cutoffs {
        add_cutoff(&mut labelled, loaded, as_of, params, candidates);
    }
    // Scaled so the weights sum to the number of rows, as unit weights would.
    let mean = labelled.weights.iter().sum::<f64>() / labelled.weights.len().max(1) as f64;
    labelled.weights.iter_mut().for_each(|w| *w /= mean);
    let report = FitReport {
        rows: labelled.rows.len(),
        bought: labelled.labels.iter().filter(|&&l| l > 0.5).count(),
        members: labelled.members,
    };
    let model = Reranker::fit(
        &labelled.rows,
        &labelled.labels,
        &labelled.weights,
        settings,
        candidates,
    )?;
    Ok((model, report))
}
