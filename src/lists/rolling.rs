//! `storepos lists evaluate --rolling-from T`: the lists judged on every period of the
//! history from `T` on (rolling origins), each with a model that never saw it.
//!
//! For each origin `o` (`T`, `T + period`, … while the period after it lies wholly in the
//! history):
//! - the baselines' settings and TIFU-KNN's are fitted on the period before `o`
//!   ([`evaluate::fit_baselines`]), from the history before that period;
//! - the list model's trees are fitted ([`fit::fit`]) on the cut-offs `o − period`,
//!   `o − 2·period`, …, so the last label they read ends at `o`;
//! - the lists `lists generate` makes as of `o` with that model are scored by
//!   [`evaluate`]'s protocol beside the baselines on the same members.
//!
//! [`Summary`] then gives, per measure, the gain over each member's own most frequent
//! products across the origins: mean, spread and a bootstrap 95 % interval (origins
//! resampled), and at how many origins the lists beat each baseline.

use std::sync::Arc;

use anyhow::{Result, bail};
use chrono::{DateTime, Duration, Utc};

use super::evaluate::{self, Evaluation};
use super::fit::{self, FitReport};
use super::load::Loaded;
use crate::domain::lists::Params;
use crate::domain::lists::metrics::Scores;
use crate::domain::lists::rerank::FitSettings;

/// How each origin's model is fitted.
#[derive(Debug, Clone, PartialEq)]
pub struct RollingSettings {
    /// Cut-offs the trees learn from, one period apart back from the origin.
    pub training_cutoffs: usize,
    /// How many of each member's products the model re-orders.
    pub candidates: usize,
    pub trees: FitSettings,
}

impl Default for RollingSettings {
    fn default() -> Self {
        RollingSettings {
            training_cutoffs: 4,
            candidates: 50,
            trees: FitSettings::default(),
        }
    }
}

/// One origin's figures and what its model learned from.
#[derive(Debug, Clone)]
pub struct Origin {
    pub evaluation: Evaluation,
    pub fit: FitReport,
    pub trained_on: Vec<DateTime<Utc>>,
}

/// The origins from `first` on, one period apart, whose period lies wholly in the history:
/// it ends no later than the end of the local day of the last purchase on record.
pub fn origins(loaded: &Loaded, first: DateTime<Utc>, params: &Params) -> Vec<DateTime<Utc>> {
    let period = Duration::days(i64::from(params.period_days));
    let Some(last) = loaded
        .members
        .iter()
        .flat_map(|m| m.purchases.iter().map(|p| p.at))
        .max()
    else {
        return Vec::new();
    };
    let end_day = i64::from(params.day_of(last)) + 1;
    let end = DateTime::from_timestamp(end_day * 86_400 - params.day_offset_seconds, 0)
        .expect("a day in range");
    let mut out = Vec::new();
    let mut at = first;
    while at + period <= end {
        out.push(at);
        at += period;
    }
    out
}

/// Fits a model for `origin` on the periods before it and scores its lists.
pub fn judge(
    loaded: &Loaded,
    origin: DateTime<Utc>,
    params: &Params,
    settings: &RollingSettings,
) -> Result<Origin> {
    let period = Duration::days(i64::from(params.period_days));
    let first = loaded
        .members
        .iter()
        .flat_map(|m| m.purchases.iter().map(|p| p.at))
        .min();
    // A cut-off with less than a period of history before it teaches nothing.
    let trained_on: Vec<DateTime<Utc>> = (1..=settings.training_cutoffs as i32)
        .map(|j| origin - period * j)
        .filter(|&c| first.is_some_and(|f| c - period >= f))
        .collect();
    if trained_on.is_empty() {
        bail!(
            "origin {}: no cut-off with a period of history before it and its period before the origin to learn from",
            origin.to_rfc3339()
        );
    }
    let baselines = evaluate::fit_baselines(loaded, origin, params);
    let (model, report) = fit::fit_with(
        loaded,
        &trained_on,
        params,
        settings.candidates,
        &settings.trees,
        baselines,
    )
    .map_err(|e| anyhow::anyhow!("origin {}: {e}", origin.to_rfc3339()))?;
    debug_assert!(model.fitted_until <= origin);
    let judged = Params {
        reranker: Some(Arc::new(model)),
        ..params.clone()
    };
    let evaluation = evaluate::evaluate_with(loaded, origin, &judged, &[], baselines);
    Ok(Origin {
        evaluation,
        fit: report,
        trained_on,
    })
}

/// A gain over the origins: its mean, standard deviation and bootstrap 95 % interval of
/// the mean (origins resampled with replacement).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gain {
    pub mean: f64,
    pub spread: f64,
    pub low: f64,
    pub high: f64,
}

/// Resamples of the bootstrap.
const RESAMPLES: usize = 10_000;

impl Gain {
    /// The gain of relative changes `values` (0.1 is +10 %), by a fixed seed.
    pub fn of(values: &[f64]) -> Gain {
        let n = values.len();
        if n == 0 {
            return Gain {
                mean: f64::NAN,
                spread: f64::NAN,
                low: f64::NAN,
                high: f64::NAN,
            };
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let spread = if n > 1 {
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        let mut rng = fastrand::Rng::with_seed(20_201_116);
        let mut means: Vec<f64> = (0..RESAMPLES)
            .map(|_| (0..n).map(|_| values[rng.usize(..n)]).sum::<f64>() / n as f64)
            .collect();
        means.sort_by(f64::total_cmp);
        Gain {
            mean,
            spread,
            low: means[RESAMPLES * 25 / 1000],
            high: means[RESAMPLES * 975 / 1000 - 1],
        }
    }
}

/// The rolling-origin figures in brief.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub origins: usize,
    /// Gains of the lists over own most frequent: recall@10, NDCG@10, hit rate@10.
    pub recall_10: Gain,
    pub ndcg_10: Gain,
    pub hit_rate_10: Gain,
    /// Origins where the lists' recall@10 is above TIFU-KNN's, the decayed frequency's and
    /// GP-TopFreq's.
    pub beat_tifu: usize,
    pub beat_decayed: usize,
    pub beat_gp_top_freq: usize,
    /// Each method's recall@10 averaged over the origins, in [`METHODS`] order.
    pub mean_recall_10: Vec<f64>,
}

/// The methods of every table, in order.
pub const METHODS: [&str; 6] = [
    "lists",
    "own most frequent",
    "GP-TopFreq",
    "decayed frequency",
    "TIFU-KNN",
    "best sellers",
];

fn methods(e: &Evaluation) -> [&Scores; 6] {
    [
        &e.lists,
        &e.own_most_frequent,
        &e.gp_top_freq,
        &e.decayed_frequency,
        &e.tifu_knn,
        &e.best_sellers,
    ]
}

impl Summary {
    pub fn of(origins: &[Origin]) -> Summary {
        let gain = |measure: fn(&Scores) -> f64| {
            let values: Vec<f64> = origins
                .iter()
                .map(|o| {
                    measure(&o.evaluation.lists) / measure(&o.evaluation.own_most_frequent) - 1.0
                })
                .collect();
            Gain::of(&values)
        };
        let beats = |other: fn(&Evaluation) -> &Scores| {
            origins
                .iter()
                .filter(|o| o.evaluation.lists.recall_10 > other(&o.evaluation).recall_10)
                .count()
        };
        let n = origins.len().max(1) as f64;
        Summary {
            origins: origins.len(),
            recall_10: gain(|s| s.recall_10),
            ndcg_10: gain(|s| s.ndcg_10),
            hit_rate_10: gain(|s| s.hit_rate_10),
            beat_tifu: beats(|e| &e.tifu_knn),
            beat_decayed: beats(|e| &e.decayed_frequency),
            beat_gp_top_freq: beats(|e| &e.gp_top_freq),
            mean_recall_10: (0..METHODS.len())
                .map(|m| {
                    origins
                        .iter()
                        .map(|o| methods(&o.evaluation)[m].recall_10)
                        .sum::<f64>()
                        / n
                })
                .collect(),
        }
    }
}

/// One origin's row of the table (recall@10 of each method, then the gain).
pub fn row(o: &Origin) -> String {
    let e = &o.evaluation;
    let mut out = format!("{:<22} {:>7}", e.as_of.to_rfc3339(), e.lists.members);
    for s in methods(e) {
        out.push_str(&format!(" {:>9.4}", s.recall_10));
    }
    out.push_str(&format!(
        " {:>+7.1}%",
        (e.lists.recall_10 / e.own_most_frequent.recall_10 - 1.0) * 100.0
    ));
    out
}

/// The header of the rows.
pub fn header() -> String {
    let mut out = format!("{:<22} {:>7}", "origin (recall@10)", "members");
    for name in [
        "lists",
        "own freq",
        "GP-TopFrq",
        "decayed",
        "TIFU-KNN",
        "best sell",
    ] {
        out.push_str(&format!(" {name:>9}"));
    }
    out.push_str(&format!(" {:>8}", "gain"));
    out
}

/// The summary as text.
pub fn summary_table(s: &Summary) -> String {
    let pct = |g: &Gain| {
        format!(
            "{:+.1}% (spread {:.1}%, 95% interval {:+.1}% to {:+.1}%)",
            g.mean * 100.0,
            g.spread * 100.0,
            g.low * 100.0,
            g.high * 100.0
        )
    };
    let mut out = format!("{} origins; mean recall@10:", s.origins);
    for (name, r) in METHODS.iter().zip(&s.mean_recall_10) {
        out.push_str(&format!(" {name} {r:.4};"));
    }
    out.pop();
    out.push('\n');
    out.push_str(&format!(
        "gain of the lists over own most frequent: recall@10 {}\n",
        pct(&s.recall_10)
    ));
    out.push_str(&format!("  NDCG@10 {}\n", pct(&s.ndcg_10)));
    out.push_str(&format!("  hit rate@10 {}\n", pct(&s.hit_rate_10)));
    out.push_str(&format!(
        "lists ahead (recall@10) of TIFU-KNN at {} of {} origins, of the decayed frequency at {}, of GP-TopFreq at {}\n",
        s.beat_tifu, s.origins, s.beat_decayed, s.beat_gp_top_freq
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gains_interval_holds_its_mean_and_narrows_with_agreeing_origins() {
        let agreeing = Gain::of(&[0.10, 0.11, 0.09, 0.10, 0.10, 0.11, 0.09]);
        assert!((agreeing.mean - 0.10).abs() < 1e-12);
        assert!(agreeing.low <= agreeing.mean && agreeing.mean <= agreeing.high);
        let scattered = Gain::of(&[0.30, -0.10, 0.25, -0.05, 0.10, 0.20, -0.20]);
        assert!(scattered.high - scattered.low > 4.0 * (agreeing.high - agreeing.low));
        assert!(scattered.spread > agreeing.spread);
        let one = Gain::of(&[0.05]);
        assert_eq!(
            (one.mean, one.spread, one.low, one.high),
            (0.05, 0.0, 0.05, 0.05)
        );
        assert!(Gain::of(&[]).mean.is_nan());
    }
}
