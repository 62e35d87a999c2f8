//! `storepos lists fit`: fits the list model ([`crate::domain::lists::rerank`]) on the
//! store's own past. TIFU-KNN's settings are fitted first, on the period after the latest
//! cut-off ([`super::evaluate::fit_baselines`]); then for each cut-off given, every member
//! who shopped in the period after it contributes their top candidates by TIFU-KNN's
//! blend as of the cut-off, each labelled by whether they bought it in the period; the
//! trees learn to tell them apart. Nothing after the latest cut-off's period is read.

use chrono::{DateTime, Duration, Utc};

use super::evaluate::fit_baselines;
use super::load::Loaded;
use crate::domain::lists::baselines::TifuKnn;
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
    /// The time-decayed frequency's half-life fitted beside TIFU-KNN (the baseline's).
    pub half_life: f64,
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
    (tifu, candidates): (&TifuKnn, usize),
) {
    let mut linear = params.clone();
    linear.reranker = None;
    let end = as_of + Duration::days(i64::from(params.period_days));
    let (groups, _, population) = prepare(&loaded.catalogue, &loaded.members, as_of, &linear);
    let signals = tifu.signals(&groups);
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
        let (rows, labels) = candidate_rows(
            &groups[i],
            &population,
            as_of,
            &linear,
            (tifu, &signals[i]),
            candidates,
        )
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

/// Fits a model on the cut-offs given, TIFU-KNN's settings fitted on the period after the
/// latest.
pub fn fit(
    loaded: &Loaded,
    cutoffs: &[DateTime<Utc>],
    params: &Params,
    candidates: usize,
    settings: &FitSettings,
) -> Result<(Reranker, FitReport), String> {
    let period = Duration::days(i64::from(params.period_days));
    let latest = *cutoffs.iter().max().ok_or("no cut-off to learn from")?;
    let baselines = fit_baselines(loaded, latest + period, params);
    fit_with(loaded, cutoffs, params, candidates, settings, baselines)
}

/// As [`fit`], with the baselines' settings (half-life, TIFU-KNN) already fitted on the
/// period after the latest cut-off.
pub fn fit_with(
    loaded: &Loaded,
    cutoffs: &[DateTime<Utc>],
    params: &Params,
    candidates: usize,
    settings: &FitSettings,
    (half_life, tifu): (f64, TifuKnn),
) -> Result<(Reranker, FitReport), String> {
    let period = Duration::days(i64::from(params.period_days));
    let latest = *cutoffs.iter().max().ok_or("no cut-off to learn from")?;
    let mut labelled = Labelled::default();
    for &as_of in cutoffs {
        add_cutoff(&mut labelled, loaded, as_of, params, (&tifu, candidates));
    }
    // Scaled so the weights sum to the number of rows, as unit weights would.
    let mean = labelled.weights.iter().sum::<f64>() / labelled.weights.len().max(1) as f64;
    labelled.weights.iter_mut().for_each(|w| *w /= mean);
    let report = FitReport {
        rows: labelled.rows.len(),
        bought: labelled.labels.iter().filter(|&&l| l > 0.5).count(),
        members: labelled.members,
        half_life,
    };
    let model = Reranker::fit(
        &labelled.rows,
        &labelled.labels,
        &labelled.weights,
        settings,
        (candidates, tifu),
        latest + period,
    )?;
    Ok((model, report))
}
