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

/// The labelled candidate rows of one cut-off, and how many members gave them.
pub fn labelled_rows(
    loaded: &Loaded,
    as_of: DateTime<Utc>,
    params: &Params,
    candidates: usize,
) -> (Vec<[f64; FEATURES]>, Vec<f64>, Vec<f64>, usize) {
    let mut linear = params.clone();
    linear.reranker = None;
    let end = as_of + Duration::days(i64::from(params.period_days));
    let (groups, _, population) = prepare(&loaded.catalogue, &loaded.members, as_of, &linear);
    let indices: Vec<usize> = (0..groups.len()).collect();
    let per_member = parallel_map(&indices, |&i| {
        if groups[i].is_empty() {
            return Vec::new();
        }
        let mut bought: Vec<u32> = loaded.members[i]
            .purchases
            .iter()
            .filter(|p| p.at >= as_of && p.at < end)
            .map(|p| p.product)
            .collect();
        if bought.is_empty() {
            return Vec::new();
        }
        bought.sort_unstable();
        bought.dedup();
        candidate_rows(&groups[i], &population, as_of, &linear, candidates)
            .into_iter()
            .map(|(product, row)| {
                let label = f64::from(u8::from(bought.binary_search(&product).is_ok()));
                (row, label, 1.0 / bought.len() as f64)
            })
            .collect::<Vec<_>>()
    });
    let members = per_member.iter().filter(|m| !m.is_empty()).count();
    let mut rows = Vec::new();
    let mut labels = Vec::new();
    let mut weights = Vec::new();
    for (row, label, weight) in per_member.into_iter().flatten() {
        rows.push(row);
        labels.push(label);
        weights.push(weight);
    }
    (rows, labels, weights, members)
}

/// Fits a model on the cut-offs given.
pub fn fit(
    loaded: &Loaded,
    cutoffs: &[DateTime<Utc>],
    params: &Params,
    candidates: usize,
    settings: &FitSettings,
) -> Result<(Reranker, FitReport), String> {
    let mut rows = Vec::new();
    let mut labels = Vec::new();
    let mut weights = Vec::new();
    let mut members = 0;
    for &as_of in cutoffs {
        let (r, l, w, m) = labelled_rows(loaded, as_of, params, candidates);
        rows.extend(r);
        labels.extend(l);
        weights.extend(w);
        members += m;
    }
    if std::env::var_os("LISTS_FIT_UNWEIGHTED").is_some() {
        weights.iter_mut().for_each(|w| *w = 1.0);
    } else {
        // Scaled so the weights sum to the number of rows, as unit weights would.
        let mean = weights.iter().sum::<f64>() / weights.len().max(1) as f64;
        weights.iter_mut().for_each(|w| *w /= mean);
    }
    let report = FitReport {
        rows: rows.len(),
        bought: labels.iter().filter(|&&l| l > 0.5).count(),
        members,
    };
    let model = Reranker::fit(&rows, &labels, &weights, settings, candidates)?;
    Ok((model, report))
}
