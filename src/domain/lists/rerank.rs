//! The second pass of the ranking: gradient-boosted trees that re-order the top of each
//! member's list by the probability that each product is bought in the period.
//!
//! A sum of terms cannot say that recency matters much for a weekly staple and little
//! for a monthly one, or that a member whose shopping has slowed drops their occasional
//! products first. The trees see each product's features, what TIFU-KNN (Hu et al., KDD
//! 2020; [`super::baselines::TifuKnn`]) makes of it — the member's time-decayed weight
//! and their nearest members' — and a few figures about the member's own shopping, and
//! learn such interactions from the store's past: for a cut-off in the past each
//! candidate is labelled by whether the member bought it in the period after (`storepos
//! lists fit`). Only each member's top [`Reranker::candidates`] by TIFU-KNN's blend are
//! re-ordered, so the trees only ever separate plausible products.
//!
//! A model is plain data (its TIFU-KNN settings and its trees, as JSON) and states the
//! last day its fit saw; the engine ships one fitted on the Complete Journey, and a store
//! fits its own.

use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock};

use forust_ml::objective::ObjectiveType;
use forust_ml::{GradientBooster, Matrix};
use serde::{Deserialize, Serialize};

use super::baselines::{Signal, TifuKnn};
use super::features::ProductFeatures;
use super::history::PurchaseGroups;
use super::population::Population;

/// The features each candidate is described by, in the model's column order. A model
/// names them, so one fitted for another set is refused rather than misread.
pub const FEATURE_NAMES: [&str; FEATURES] = [
    "tifu_score",
    "tifu_position",
    "tifu_own",
    "tifu_neighbours",
    "purchase_days",
    "recent_frequency",
    "steady_frequency",
    "days_since_last",
    "own_interval",
    "interval",
    "due_in",
    "days_since_first",
    "lines_per_day",
    "spend_per_day",
    "category_days",
    "category_days_since_last",
    "trips_since_first",
    "trips_since_last",
    "repeat_share",
    "quick_repeat_share",
    "buyers",
    "trend",
    "population_interval",
    "member_trips",
    "member_recent_trips",
    "member_days_since_trip",
    "member_products",
    "member_trips_per_week",
    "member_lines_per_trip",
    "trip_share",
    "cycle_ratio",
    "recent_to_steady",
    "streak",
    "recent_days",
    "frequency_position",
    "category_recent_days",
    "window_share_since_first",
    "window_share",
    "recent_window_share",
    "decayed_window_share",
    "last_spend_ratio",
    "price_ratio",
];

/// Number of features.
pub const FEATURES: usize = 42;

/// Days of the member's recent shopping the context looks at.
const RECENT_DAYS: i32 = 28;

/// What the member's shopping as a whole looks like at the cut-off.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberContext {
    pub trips: u32,
    pub recent_trips: u32,
    pub days_since_trip: i32,
    pub products: u32,
    pub trips_per_week: f64,
    /// Distinct products per shopping day, on average.
    pub lines_per_trip: f64,
    /// Each product's purchase days and last day, most first: the order of the
    /// own-most-frequent list, to find a product's place in it.
    frequency_order: Vec<(u32, i32)>,
    /// Per category the member bought in recently, the distinct days they did.
    recent_category_days: Vec<(u32, u32)>,
    today: i32,
    /// The period-long windows back from the cut-off (0 the last) in which the member
    /// shopped at all, most recent first.
    active_windows: Vec<i32>,
    period_days: i32,
}

impl MemberContext {
    /// The context of a member's grouped history; `today` is the cut-off's day number.
    pub fn of(
        groups: &PurchaseGroups,
        today: i32,
        period_days: u32,
        category_of: &[Option<u32>],
    ) -> MemberContext {
        let trips = &groups.trip_days;
        let period_days = period_days.max(1) as i32;
        let mut active_windows: Vec<i32> = trips
            .iter()
            .rev()
            .map(|&d| (today - d) / period_days)
            .collect();
        active_windows.dedup();
        let mut frequency_order: Vec<(u32, i32)> = groups
            .groups
            .iter()
            .map(|g| {
                let days = g.days(groups);
                (days.len() as u32, *days.last().unwrap_or(&0))
            })
            .collect();
        frequency_order.sort_unstable_by(|a, b| b.cmp(a));
        let mut recent: Vec<(u32, i32)> = Vec::new();
        let mut day_total = 0usize;
        for g in &groups.groups {
            let days = g.days(groups);
            day_total += days.len();
            if let Some(c) = category_of.get(g.product as usize).copied().flatten() {
                recent.extend(
                    days.iter()
                        .filter(|&&d| d >= today - RECENT_DAYS)
                        .map(|&d| (c, d)),
                );
            }
        }
        recent.sort_unstable();
        recent.dedup();
        let mut recent_category_days: Vec<(u32, u32)> = Vec::new();
        for (c, _) in recent {
            match recent_category_days.last_mut() {
                Some(e) if e.0 == c => e.1 += 1,
                _ => recent_category_days.push((c, 1)),
            }
        }
        let first = trips.first().copied().unwrap_or(today);
        let weeks = (f64::from(today - first) / 7.0).max(1.0);
        MemberContext {
            trips: trips.len() as u32,
            recent_trips: (trips.len() - trips.partition_point(|&d| d < today - RECENT_DAYS))
                as u32,
            days_since_trip: trips.last().map_or(0, |&d| today - d),
            products: groups.groups.len() as u32,
            trips_per_week: trips.len() as f64 / weeks,
            lines_per_trip: day_total as f64 / trips.len().max(1) as f64,
            frequency_order,
            recent_category_days,
            today,
            active_windows,
            period_days,
        }
    }

    /// The product's place in the member's own-most-frequent order (0 first).
    fn frequency_position(&self, purchase_days: u32, last: i32) -> usize {
        self.frequency_order
            .partition_point(|&e| e > (purchase_days, last))
    }

    fn recent_category_days(&self, category: Option<u32>) -> u32 {
        category
            .and_then(|c| {
                self.recent_category_days
                    .binary_search_by_key(&c, |e| e.0)
                    .ok()
            })
            .map_or(0, |i| self.recent_category_days[i].1)
    }
}

/// The feature row of one candidate: its features, what TIFU-KNN says of it (its blended
/// score and place among the member's candidates), the population's figures for the
/// product and the member's context.
pub fn feature_row(
    f: &ProductFeatures,
    signal: &Signal,
    blend: f64,
    position: usize,
    groups: &PurchaseGroups,
    population: &Population,
    member: &MemberContext,
) -> [f64; FEATURES] {
    let p = f.product as usize;
    let group = groups.group(f.product);
    let days = group.map_or(&[][..], |g| g.days(groups));
    let (last_spend_ratio, price_ratio) = group.map_or((1.0, 1.0), |g| {
        let per_day = g.spend as f64 / days.len().max(1) as f64;
        let per_line = g.spend as f64 / f64::from(g.lines.max(1));
        (
            g.last_day_spend as f64 / per_day.max(1.0),
            per_line / population.line_amount[p].max(1.0),
        )
    });
    let last = days.last().copied().unwrap_or(member.today);
    let trips = &groups.trip_days;
    let streak = trips
        .iter()
        .rev()
        .take_while(|d| days.binary_search(d).is_ok())
        .count();
    let recent_days = days.len() - days.partition_point(|&d| d < member.today - RECENT_DAYS);
    let windows = window_shares(days, member);
    [
        blend,
        position as f64,
        signal.own,
        signal.neighbours,
        f64::from(f.purchase_days),
        f.recent_frequency,
        f.steady_frequency,
        f64::from(f.days_since_last),
        f.own_interval.unwrap_or(f64::NAN),
        f.interval,
        f.due_in,
        f64::from(f.days_since_first),
        f.lines_per_day,
        f.spend as f64 / f64::from(f.purchase_days.max(1)),
        f64::from(f.category_days),
        f64::from(f.category_days_since_last),
        f64::from(f.trips_since_first),
        f64::from(f.trips_since_last),
        population.repeat_share[p],
        population.quick_repeat_share[p],
        f64::from(population.buyers[p]),
        population.trend[p],
        population.interval_days[p],
        f64::from(member.trips),
        f64::from(member.recent_trips),
        f64::from(member.days_since_trip),
        f64::from(member.products),
        member.trips_per_week,
        member.lines_per_trip,
        f64::from(f.purchase_days) / f64::from(f.trips_since_first.max(1)),
        f64::from(f.days_since_last) / f.interval.max(1.0),
        f.recent_frequency / f.steady_frequency.max(1e-9),
        streak as f64,
        recent_days as f64,
        member.frequency_position(f.purchase_days, last) as f64,
        f64::from(member.recent_category_days(population.category_of[p])),
        windows[0],
        windows[1],
        windows[2],
        windows[3],
        last_spend_ratio,
        price_ratio,
    ]
}

/// Windows checked for the recent window share.
const RECENT_WINDOWS: usize = 4;
/// Weight of each older window in the decayed window share.
const WINDOW_DECAY: f64 = 0.8;

/// Of the windows (one period long, back from the cut-off) in which the member shopped,
/// the share that included the product: since its first purchase, overall, in the last
/// few, and decayed. What a list predicts is just that: bought in the next window, given
/// the member shops in it.
fn window_shares(days: &[i32], member: &MemberContext) -> [f64; 4] {
    let mut with: Vec<i32> = days
        .iter()
        .rev()
        .map(|&d| (member.today - d) / member.period_days)
        .collect();
    with.dedup();
    let first = with.last().copied().unwrap_or(0);
    let active = &member.active_windows;
    let since_first = active.partition_point(|&w| w <= first).max(1);
    let (mut recent, mut decayed, mut norm, mut weight) = (0.0, 0.0, 0.0, 1.0);
    for (i, w) in active.iter().enumerate() {
        let hit = f64::from(u8::from(with.binary_search(w).is_ok()));
        if i < RECENT_WINDOWS {
            recent += hit;
        }
        decayed += weight * hit;
        norm += weight;
        weight *= WINDOW_DECAY;
    }
    [
        with.len() as f64 / since_first as f64,
        with.len() as f64 / active.len().max(1) as f64,
        recent / active.len().clamp(1, RECENT_WINDOWS) as f64,
        decayed / norm.max(1e-9),
    ]
}

/// A fitted model as stored: the trees and what they expect.
#[derive(Serialize, Deserialize)]
struct StoredModel {
    features: Vec<String>,
    candidates: usize,
    tifu: TifuKnn,
    /// The end of the last period the fit learned from (exclusive).
    fitted_until: chrono::DateTime<chrono::Utc>,
    booster: GradientBooster,
}

/// Gradient-boosted trees over [`FEATURE_NAMES`], giving the log-odds that a candidate is
/// bought in the period.
pub struct Reranker {
    booster: GradientBooster,
    /// How many of each member's products, best by TIFU-KNN's blend first, are re-ordered.
    pub candidates: usize,
    /// The TIFU-KNN settings whose signals the trees read (fitted with them).
    pub tifu: TifuKnn,
    /// The end of the last period the fit learned from (exclusive): lists made before it
    /// are judged on weeks the model has seen.
    pub fitted_until: chrono::DateTime<chrono::Utc>,
    /// A hash of the stored model, to tell models apart.
    fingerprint: u64,
}

impl std::fmt::Debug for Reranker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reranker")
            .field("candidates", &self.candidates)
            .field("trees", &self.booster.trees.len())
            .field("fingerprint", &format_args!("{:016x}", self.fingerprint))
            .finish()
    }
}

impl PartialEq for Reranker {
    fn eq(&self, other: &Self) -> bool {
        self.fingerprint == other.fingerprint && self.candidates == other.candidates
    }
}

fn fingerprint(json: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    json.hash(&mut h);
    h.finish()
}

/// The model fitted on the Complete Journey, shipped with the engine (gzip'd JSON).
const SHIPPED_MODEL: &[u8] = include_bytes!("rerank-model.json.gz");

impl Reranker {
    /// Reads a stored model, refusing one fitted for other features.
    pub fn from_json(json: &str) -> Result<Reranker, String> {
        let stored: StoredModel =
            serde_json::from_str(json).map_err(|e| format!("not a list model: {e}"))?;
        if stored.features != FEATURE_NAMES {
            return Err(format!(
                "the model was fitted on other features ({}) than this engine computes",
                stored.features.join(", ")
            ));
        }
        if stored.candidates == 0 {
            return Err("the model re-orders no candidates".into());
        }
        Ok(Reranker {
            booster: stored.booster,
            candidates: stored.candidates,
            tifu: stored.tifu,
            fitted_until: stored.fitted_until,
            fingerprint: fingerprint(json),
        })
    }

    /// The model as stored.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Out<'a> {
            features: &'a [&'a str],
            candidates: usize,
            tifu: TifuKnn,
            fitted_until: chrono::DateTime<chrono::Utc>,
            booster: &'a GradientBooster,
        }
        serde_json::to_string(&Out {
            features: &FEATURE_NAMES,
            candidates: self.candidates,
            tifu: self.tifu,
            fitted_until: self.fitted_until,
            booster: &self.booster,
        })
        .expect("a model serialises")
    }

    /// Reads a stored model as written by [`Reranker::to_file_bytes`]: its JSON, gzip'd
    /// or not (told by the gzip magic number, not the file's name).
    pub fn from_bytes(bytes: &[u8]) -> Result<Reranker, String> {
        if bytes.starts_with(&[0x1f, 0x8b]) {
            let mut json = String::new();
            std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(bytes), &mut json)
                .map_err(|e| format!("not a gzip'd list model: {e}"))?;
            Reranker::from_json(&json)
        } else {
            let json = std::str::from_utf8(bytes).map_err(|_| "not a list model: not text")?;
            Reranker::from_json(json)
        }
    }

    /// The model as stored in a file: its JSON, gzip'd when `gzip`.
    pub fn to_file_bytes(&self, gzip: bool) -> Vec<u8> {
        let json = self.to_json();
        if !gzip {
            return json.into_bytes();
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut gz, json.as_bytes()).expect("writing to memory");
        gz.finish().expect("writing to memory")
    }

    /// The model shipped with the engine, read once.
    pub fn shipped() -> Arc<Reranker> {
        static MODEL: OnceLock<Arc<Reranker>> = OnceLock::new();
        MODEL
            .get_or_init(|| {
                Arc::new(Reranker::from_bytes(SHIPPED_MODEL).expect("the shipped model is valid"))
            })
            .clone()
    }

    /// Fits trees to candidate rows labelled 1 (bought in the period) or 0, each with a
    /// weight, with the shape the `settings` give; `candidates` is how many of each
    /// member's products the rows were drawn from, by the signals of `tifu`, and
    /// `fitted_until` the end of the last period labelled.
    pub fn fit(
        rows: &[[f64; FEATURES]],
        labels: &[f64],
        weights: &[f64],
        settings: &FitSettings,
        (candidates, tifu): (usize, TifuKnn),
        fitted_until: chrono::DateTime<chrono::Utc>,
    ) -> Result<Reranker, String> {
        if rows.is_empty() || rows.len() != labels.len() || rows.len() != weights.len() {
            return Err("no labelled candidates to fit on".into());
        }
        let data = column_major(rows);
        let matrix = Matrix::new(&data, rows.len(), FEATURES);
        let mut booster = GradientBooster::default()
            .set_objective_type(ObjectiveType::LogLoss)
            .set_iterations(settings.trees)
            .set_learning_rate(settings.learning_rate)
            .set_max_depth(settings.depth)
            .set_min_leaf_weight(settings.min_leaf_weight)
            .set_seed(1);
        booster
            .fit(&matrix, labels, weights, None)
            .map_err(|e| format!("fitting failed: {e}"))?;
        let mut model = Reranker {
            booster,
            candidates,
            tifu,
            fitted_until,
            fingerprint: 0,
        };
        model.fingerprint = fingerprint(&model.to_json());
        Ok(model)
    }

    /// The log-odds of each row.
    pub fn predict(&self, rows: &[[f64; FEATURES]]) -> Vec<f64> {
        if rows.is_empty() {
            return Vec::new();
        }
        let data = column_major(rows);
        self.booster
            .predict(&Matrix::new(&data, rows.len(), FEATURES), false)
    }

    /// Trees in the model.
    pub fn trees(&self) -> usize {
        self.booster.trees.len()
    }
}

/// The shape of the trees a fit grows.
#[derive(Debug, Clone, PartialEq)]
pub struct FitSettings {
    pub trees: usize,
    pub depth: usize,
    pub learning_rate: f32,
    /// Least hessian weight in a leaf: keeps leaves from chasing a handful of members.
    pub min_leaf_weight: f32,
}

impl Default for FitSettings {
    fn default() -> Self {
        FitSettings {
            trees: 500,
            depth: 4,
            learning_rate: 0.05,
            min_leaf_weight: 20.0,
        }
    }
}

/// Rows as the column-major buffer the trees read.
fn column_major(rows: &[[f64; FEATURES]]) -> Vec<f64> {
    let mut data = vec![0.0; rows.len() * FEATURES];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            data[c * rows.len() + r] = *v;
        }
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows whose label depends on two features together: bought when the product is
    /// due (days since last below its interval) and the member shops often. Neither
    /// feature alone separates them.
    fn interaction_rows(n: usize, seed: u64) -> (Vec<[f64; FEATURES]>, Vec<f64>) {
        let mut state = seed;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut rows = Vec::with_capacity(n);
        let mut labels = Vec::with_capacity(n);
        for _ in 0..n {
            let mut row = [0.0; FEATURES];
            for v in row.iter_mut() {
                *v = next();
            }
            let due = row[5] < row[7];
            let frequent = row[25] > 0.5;
            labels.push(f64::from(u8::from(due == frequent)));
            rows.push(row);
        }
        (rows, labels)
    }

    fn tifu() -> TifuKnn {
        TifuKnn {
            group_size: 3,
            within: 0.9,
            across: 0.6,
            neighbours: 300,
            alpha: 0.8,
        }
    }

    fn until() -> chrono::DateTime<chrono::Utc> {
        "2017-11-20T05:00:00Z".parse().unwrap()
    }

    fn small() -> FitSettings {
        FitSettings {
            trees: 60,
            depth: 4,
            learning_rate: 0.3,
            min_leaf_weight: 1.0,
        }
    }

    #[test]
    fn fitted_trees_learn_an_interaction_of_two_features() {
        let (rows, labels) = interaction_rows(4_000, 7);
        let model = Reranker::fit(
            &rows,
            &labels,
            &vec![1.0; rows.len()],
            &small(),
            (10, tifu()),
            until(),
        )
        .unwrap();
        let (test, truth) = interaction_rows(1_000, 99);
        let odds = model.predict(&test);
        let right = odds
            .iter()
            .zip(&truth)
            .filter(|(o, t)| (**o > 0.0) == (**t > 0.5))
            .count();
        assert!(right > 850, "{right} of 1000 classified right");
    }

    #[test]
    fn a_model_reads_back_as_written_and_a_wrong_one_is_refused() {
        let (rows, labels) = interaction_rows(500, 3);
        let model = Reranker::fit(
            &rows,
            &labels,
            &vec![1.0; rows.len()],
            &small(),
            (10, tifu()),
            until(),
        )
        .unwrap();
        let json = model.to_json();
        let back = Reranker::from_json(&json).unwrap();
        assert_eq!(back, model);
        assert_eq!((back.tifu, back.fitted_until), (tifu(), until()));
        assert_eq!(back.predict(&rows[..20]), model.predict(&rows[..20]));

        let other = json.replacen("\"tifu_score\"", "\"something_else\"", 1);
        let err = Reranker::from_json(&other).unwrap_err();
        assert!(err.contains("other features"), "{err}");
        let err = Reranker::from_json(&json[..json.len() / 2]).unwrap_err();
        assert!(err.starts_with("not a list model"), "{err}");
        let none = json.replacen("\"candidates\":10", "\"candidates\":0", 1);
        assert!(Reranker::from_json(&none).is_err());
        assert!(Reranker::fit(&[], &[], &[], &small(), (10, tifu()), until()).is_err());
    }

    #[test]
    fn the_shipped_model_is_valid_and_reorders_more_than_a_list_holds() {
        let model = Reranker::shipped();
        assert!(model.trees() > 0);
        assert!(model.candidates >= super::super::Params::default().list_len);
    }

    #[test]
    fn window_shares_count_the_windows_the_member_shopped_in() {
        // Period 14; cut-off day 100. The member shopped in windows 0, 1, 2 and 4; the
        // product was bought on days 80 and 40, in windows 1 and 4.
        let member = MemberContext {
            trips: 4,
            recent_trips: 2,
            days_since_trip: 1,
            products: 1,
            trips_per_week: 0.5,
            lines_per_trip: 1.0,
            frequency_order: Vec::new(),
            recent_category_days: Vec::new(),
            today: 100,
            active_windows: vec![0, 1, 2, 4],
            period_days: 14,
        };
        let shares = window_shares(&[40, 80], &member);
        assert_eq!(shares[0], 2.0 / 4.0); // since its first purchase: windows 4, 2, 1, 0
        assert_eq!(shares[1], 2.0 / 4.0);
        assert_eq!(shares[2], 2.0 / 4.0);
        // Decayed: window 1 (weight 0.8) and window 4 (weight 0.8^3) of 1 + 0.8 + 0.64 + 0.512.
        let expected = (0.8 + 0.512) / (1.0 + 0.8 + 0.64 + 0.512);
        assert!((shares[3] - expected).abs() < 1e-12);
        // Bought only in the last window: all of the windows since.
        let shares = window_shares(&[99], &member);
        assert_eq!(shares[0], 1.0);
        assert_eq!(shares[1], 0.25);
    }
}
