//! The ranking: a score per product the member bought, from their own history and the
//! population figures, and the top of it as the list, each item with a plain reason.
//!
//! The score is a log-linear blend (weights in [`Scoring`]):
//! - `ln(1 + purchase days)`: how much of a habit it is;
//! - `ln(1 + decayed frequency)` with a short and a long half-life: recent purchases count
//!   more, so a product the member has moved away from sinks and a new favourite rises;
//! - the log-odds that a purchase of the product is a repeat purchase across all members:
//!   milk and bananas are bought again and again, a barbecue set is not, which separates
//!   products the member bought equally often;
//! - the squared log-ratio of days since the last purchase to the member's repurchase
//!   interval, which lowers products bought just now or long overdue, and a bonus when the
//!   member's own cycle makes the product due within the period;
//! - the product's sales trend across all members (recent weeks against its long-run
//!   rate), which lifts seasonal products as their season comes;
//! - the member's use of the product's category: how many days they bought anything of
//!   it and the product's share of those days (a weekly need bought in several brands
//!   keeps each of them likelier than a product of a rarely bought category), and how
//!   much more recently they bought something else in it;
//! - days and shopping trips since the last purchase, days since the first, the share of
//!   trips since the first that included it, and lines per purchase day.
//!
//! With a list model ([`super::rerank::Reranker`]) in the settings (the shipped one by
//! default), the linear score is not used: the member's products best by TIFU-KNN's blend
//! are the candidates, the model's trees order them by the probability of a purchase in
//! the period (see [`super::rerank`]), and their log-odds become the scores.
//!
//! Members who bought fewer products than a list holds get the population's best sellers
//! after their own products, below every one of them.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};

use super::Params;
use super::baselines::{Signal, TifuKnn};
use super::features::{CategoryDays, ProductFeatures, features};
use super::history::PurchaseGroups;
use super::population::Population;
use super::rerank::{FEATURES, MemberContext, feature_row};

/// Why a product is on the list.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Basis {
    /// The member bought it before.
    Own(ProductFeatures),
    /// A best seller, filling a short list.
    Popular,
}

/// One product on a member's list.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedItem {
    pub product: u32,
    /// Higher is likelier; comparable within one member's list only.
    pub score: f64,
    pub basis: Basis,
    /// Printed beside the item, e.g. "usually every 25 days, last bought 22 days ago".
    pub reason: String,
}

/// The score of one product from its features and its population repeat share.
pub fn score(f: &ProductFeatures, population: &Population, params: &Params) -> f64 {
    let scoring = &params.scoring;
    let cycle = ((f64::from(f.days_since_last) + 1.0) / (f.interval.max(0.0) + 1.0)).ln();
    let due_in_period = f.own_interval.is_some()
        && f.due_in >= -f.interval / 2.0
        && f.due_in < f64::from(params.period_days);
    scoring.count * f64::from(f.purchase_days).ln_1p()
        + scoring.recent * f.recent_frequency.ln_1p()
        + scoring.steady * f.steady_frequency.ln_1p()
        + scoring.cycle * cycle
        + scoring.off_cycle * cycle * cycle
        + scoring.due * f64::from(u8::from(due_in_period))
        + scoring.recency * f64::from(f.days_since_last).ln_1p()
        + scoring.rate * (f64::from(params.period_days) / f.interval.max(1.0)).ln_1p()
        + scoring.tenure * f64::from(f.days_since_first).ln_1p()
        + scoring.lines * f.lines_per_day.max(1.0).ln()
        + scoring.category_share * (f64::from(f.purchase_days) / f64::from(f.category_days)).ln()
        + scoring.category_recency
            * ((f64::from(f.days_since_last) + 1.0) / (f64::from(f.category_days_since_last) + 1.0))
                .ln()
        + scoring.category_count * f64::from(f.category_days).ln_1p()
        + scoring.trip_share
            * (f64::from(f.purchase_days) / f64::from(f.trips_since_first.max(1))).ln()
        + scoring.trips_since * f64::from(f.trips_since_last).ln_1p()
        + population_terms(f.product, population, params)
}

/// The part of the score that comes from all members: repeat share, popularity, trend.
fn population_terms(product: u32, population: &Population, params: &Params) -> f64 {
    let scoring = &params.scoring;
    let p = product as usize;
    let r = population.repeat_share[p].clamp(1e-6, 1.0 - 1e-6);
    let q = population.quick_repeat_share[p].clamp(1e-6, 1.0 - 1e-6);
    scoring.repeat * (r / (1.0 - r)).ln()
        + scoring.quick_repeat * (q / (1.0 - q)).ln()
        + scoring.popularity * f64::from(population.buyers[p]).ln_1p()
        + scoring.trend * population.trend[p]
}

/// The score of a product selling well now that the member never bought.
pub fn newcomer_score(product: u32, population: &Population, params: &Params) -> f64 {
    params.scoring.newcomer_base + population_terms(product, population, params)
}

/// Each product the member bought before `as_of`, in product order, with its features and
/// linear score.
fn scored(
    groups: &PurchaseGroups,
    population: &Population,
    as_of: DateTime<Utc>,
    params: &Params,
) -> impl Iterator<Item = (f64, ProductFeatures)> {
    featured(groups, population, as_of, params).map(|f| (score(&f, population, params), f))
}

/// Each product the member bought before `as_of`, in product order, with its features.
fn featured(
    groups: &PurchaseGroups,
    population: &Population,
    as_of: DateTime<Utc>,
    params: &Params,
) -> impl Iterator<Item = ProductFeatures> {
    let today = params.day_fraction(as_of);
    let categories = CategoryDays::build(groups, &population.category_of);
    groups.groups.iter().map(move |g| {
        let p = g.product as usize;
        let category = population.category_of[p].and_then(|c| categories.get(c));
        features(
            g,
            groups,
            today,
            population.interval_days[p],
            category,
            &params.scoring,
        )
    })
}

/// Keeps the `n` first of `items` by `order`, sorted by it.
fn keep_first<T>(items: &mut Vec<T>, n: usize, order: impl Fn(&T, &T) -> Ordering) {
    if items.len() > n && n > 0 {
        items.select_nth_unstable_by(n - 1, &order);
    }
    items.truncate(n);
    items.sort_by(order);
}

/// The score of every product the member bought before `as_of`, in product order.
pub fn score_all(
    groups: &PurchaseGroups,
    population: &Population,
    as_of: DateTime<Utc>,
    params: &Params,
) -> Vec<(u32, f64)> {
    scored(groups, population, as_of, params)
        .map(|(score, f)| (f.product, score))
        .collect()
}

/// Ranks the products of one member (history grouped and cut at `as_of`) and keeps the
/// first `params.list_len`, best first; ties go to the lower product index. With a list
/// model in `params`, `signals` are the member's TIFU-KNN signals by the model's settings
/// (from [`TifuKnn::signals`], in product order); `None` reads the member's own vector
/// alone, without neighbours.
pub fn rank(
    groups: &PurchaseGroups,
    population: &Population,
    as_of: DateTime<Utc>,
    params: &Params,
    signals: Option<&[Signal]>,
) -> Vec<RankedItem> {
    let keep = params.list_len;
    let mut scored = match params.reranker.as_deref() {
        Some(model) => {
            let own;
            let signals = match signals {
                Some(s) => s,
                None => {
                    own = model.tifu.own_signals(groups);
                    &own
                }
            };
            let today = params.day_of(as_of);
            let short = shortlist(
                groups,
                population,
                as_of,
                params,
                (&model.tifu, signals),
                model.candidates,
            );
            let odds = model.predict(&candidate_features(
                &short,
                groups,
                population,
                today,
                params.period_days,
            ));
            let mut scored: Vec<(f64, ProductFeatures)> = short
                .into_iter()
                .zip(odds)
                .map(|(c, odds)| (odds, c.features))
                .collect();
            scored.sort_by(by_score);
            scored
        }
        None => best_first(groups, population, as_of, params, keep),
    };
    scored.truncate(keep);
    let mut newcomers: Vec<(f64, u32)> = population
        .selling_now
        .iter()
        .take(params.scoring.newcomers)
        .filter(|&&p| groups.group(p).is_none())
        .map(|&p| (newcomer_score(p, population, params), p))
        .collect();
    newcomers.sort_by(|a, b| {
        b.0.partial_cmp(&a.0)
            .unwrap_or(Ordering::Equal)
            .then(a.1.cmp(&b.1))
    });
    let mut items: Vec<RankedItem> = scored
        .into_iter()
        .map(|(score, f)| RankedItem {
            product: f.product,
            score,
            reason: reason(&f),
            basis: Basis::Own(f),
        })
        .collect();
    if !newcomers.is_empty() {
        let mut merged = Vec::with_capacity(keep);
        let (mut own, mut new) = (
            items.into_iter().peekable(),
            newcomers.into_iter().peekable(),
        );
        while merged.len() < keep {
            let take_new = match (own.peek(), new.peek()) {
                (Some(o), Some(n)) => n.0 > o.score,
                (None, Some(_)) => true,
                _ => false,
            };
            if take_new {
                let (score, product) = new.next().expect("peeked");
                merged.push(RankedItem {
                    product,
                    score,
                    basis: Basis::Popular,
                    reason: "selling well this season".into(),
                });
            } else if let Some(item) = own.next() {
                merged.push(item);
            } else {
                break;
            }
        }
        items = merged;
    }
    let floor = items.last().map_or(0.0, |i| i.score);
    for &p in &population.top_sellers {
        if items.len() >= keep {
            break;
        }
        if groups.group(p).is_none() && !items.iter().any(|i| i.product == p) {
            let n = items.len() as f64;
            items.push(RankedItem {
                product: p,
                score: floor - 1.0 - n * 1e-3,
                basis: Basis::Popular,
                reason: "popular with other shoppers".into(),
            });
        }
    }
    items
}

/// Best first, then the lower product index.
fn by_score(a: &(f64, ProductFeatures), b: &(f64, ProductFeatures)) -> Ordering {
    b.0.partial_cmp(&a.0)
        .unwrap_or(Ordering::Equal)
        .then(a.1.product.cmp(&b.1.product))
}

/// The member's `n` best products by the linear score, best first.
fn best_first(
    groups: &PurchaseGroups,
    population: &Population,
    as_of: DateTime<Utc>,
    params: &Params,
    n: usize,
) -> Vec<(f64, ProductFeatures)> {
    // Only what the store sells can be listed.
    let mut scored: Vec<(f64, ProductFeatures)> = scored(groups, population, as_of, params)
        .filter(|(_, f)| population.stocked[f.product as usize])
        .collect();
    keep_first(&mut scored, n, by_score);
    scored
}

/// A product the model may re-order: its TIFU-KNN signal and blend, and its features.
pub struct Candidate {
    pub blend: f64,
    pub signal: Signal,
    pub features: ProductFeatures,
}

/// The member's `n` best stocked products by TIFU-KNN's blend, best first (the lower
/// product index first among equals).
fn shortlist(
    groups: &PurchaseGroups,
    population: &Population,
    as_of: DateTime<Utc>,
    params: &Params,
    (tifu, signals): (&TifuKnn, &[Signal]),
    n: usize,
) -> Vec<Candidate> {
    debug_assert_eq!(signals.len(), groups.groups.len());
    let by_blend = |a: &Candidate, b: &Candidate| {
        b.blend
            .total_cmp(&a.blend)
            .then(a.features.product.cmp(&b.features.product))
    };
    // Signals and groups are both in product order, one per product bought.
    let mut short: Vec<Candidate> = featured(groups, population, as_of, params)
        .zip(signals)
        .filter(|(f, _)| population.stocked[f.product as usize])
        .map(|(f, s)| {
            debug_assert_eq!(f.product, s.product);
            Candidate {
                blend: tifu.blend(s),
                signal: *s,
                features: f,
            }
        })
        .collect();
    keep_first(&mut short, n, by_blend);
    short
}

/// The re-ranking features of candidates in shortlist order (their place is one).
fn candidate_features(
    short: &[Candidate],
    groups: &PurchaseGroups,
    population: &Population,
    today: i32,
    period_days: u32,
) -> Vec<[f64; FEATURES]> {
    let member = MemberContext::of(groups, today, period_days, &population.category_of);
    short
        .iter()
        .enumerate()
        .map(|(i, c)| {
            feature_row(
                &c.features,
                &c.signal,
                c.blend,
                i,
                groups,
                population,
                &member,
            )
        })
        .collect()
}

/// The candidate rows of one member for fitting a [`super::rerank::Reranker`]: the
/// features of their top `candidates` products by the blend of `tifu` (with the member's
/// `signals` by it), best first, with the product of each.
pub fn candidate_rows(
    groups: &PurchaseGroups,
    population: &Population,
    as_of: DateTime<Utc>,
    params: &Params,
    (tifu, signals): (&TifuKnn, &[Signal]),
    candidates: usize,
) -> Vec<(u32, [f64; FEATURES])> {
    let short = shortlist(
        groups,
        population,
        as_of,
        params,
        (tifu, signals),
        candidates,
    );
    let rows = candidate_features(
        &short,
        groups,
        population,
        params.day_of(as_of),
        params.period_days,
    );
    short.iter().map(|c| c.features.product).zip(rows).collect()
}

/// The plain reason printed for a product the member bought before.
pub fn reason(f: &ProductFeatures) -> String {
    let ago = match f.days_since_last {
        0 => "today".to_string(),
        1 => "yesterday".to_string(),
        n => format!("{n} days ago"),
    };
    match f.own_interval {
        Some(_) => {
            let every = f.interval.round().max(1.0) as i64;
            let due = f.due_in.round() as i64;
            let when = if due < -2 {
                ", overdue"
            } else if due <= 2 {
                ", due now"
            } else {
                ""
            };
            format!("usually every {every} days, last bought {ago}{when}")
        }
        None => format!("bought once, {ago}"),
    }
}
