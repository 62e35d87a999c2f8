//! The published baselines the engine's lists are measured against, each ranking the
//! products a member will buy in the next period from their history (grouped and cut at
//! the cut-off) alone:
//! - [`decayed_frequency`]: each purchase day of a product counts half as much every
//!   `half_life` days back;
//! - [`TifuKnn`]: TIFU-KNN (Hu et al., KDD 2020): each member's baskets as a time-decayed
//!   vector (within groups of `group_size` baskets, then across groups), blended with the
//!   mean vector of the `neighbours` most similar members (cosine);
//! - each member's own most frequent products then the best sellers (GP-TopFreq) is
//!   [`super::metrics::most_frequent`].
//!
//! Every list is filled up with the population's best sellers the member never bought, as
//! the baselines' papers do. [`fit`] picks each baseline's settings from a grid on a cut-off
//! the caller chooses (one period before the one reported), never on the weeks reported.

use std::collections::{BTreeMap, HashMap};

use super::history::PurchaseGroups;
use super::metrics::{Scores, measure};
use super::parallel::parallel_map;
use super::population::Population;

/// A member's baskets: the products of each day they shopped, oldest first.
fn baskets(groups: &PurchaseGroups) -> Vec<Vec<u32>> {
    let mut by_day: BTreeMap<i32, Vec<u32>> = BTreeMap::new();
    for g in &groups.groups {
        for &day in g.days(groups) {
            by_day.entry(day).or_default().push(g.product);
        }
    }
    by_day.into_values().collect()
}

/// The `k` best of `scores` (product, score), highest first, the lower product first among
/// equals, filled with best sellers.
fn top(
    mut scores: Vec<(u32, f64)>,
    groups: &PurchaseGroups,
    population: &Population,
    k: usize,
) -> Vec<u32> {
    // Only what the store sells can be listed, by the baselines as by the engine.
    scores.retain(|(p, _)| population.stocked[*p as usize]);
    let by_score = |a: &(u32, f64), b: &(u32, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    if k > 0 && scores.len() > k {
        scores.select_nth_unstable_by(k - 1, by_score);
        scores.truncate(k);
    }
    scores.sort_by(by_score);
    let mut out: Vec<u32> = scores.into_iter().map(|(p, _)| p).collect();
    // The best sellers the member never bought (a neighbour's product may already be in).
    for &p in &population.top_sellers {
        if out.len() >= k {
            break;
        }
        if groups.group(p).is_none() && !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// Time-decayed frequency as of day `today`: a purchase day `age` days back weighs
/// `0.5^(age / half_life)`.
pub fn decayed_frequency(
    groups: &PurchaseGroups,
    population: &Population,
    today: i32,
    half_life: f64,
    k: usize,
) -> Vec<u32> {
    debug_assert!(half_life > 0.0);
    let scores = groups
        .groups
        .iter()
        .map(|g| {
            let weight: f64 = g
                .days(groups)
                .iter()
                .map(|&d| 0.5f64.powf(f64::from(today - d) / half_life))
                .sum();
            (g.product, weight)
        })
        .collect();
    top(scores, groups, population, k)
}

/// TIFU-KNN's settings; the paper's ranges: `group_size` 1–20 baskets, `within` and
/// `across` decay 0.1–1, `neighbours` 100–1,300, `alpha` 0–1.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TifuKnn {
    pub group_size: usize,
    /// Decay between the baskets of one group (r_b).
    pub within: f64,
    /// Decay between groups (r_g).
    pub across: f64,
    pub neighbours: usize,
    /// The member's own vector's share of the blend.
    pub alpha: f64,
}

/// A member's vector: (product, weight), in product order.
type Vector = Vec<(u32, f64)>;

/// What TIFU-KNN says of one product a member bought: the weight in their own vector and
/// the mean weight in their neighbours' vectors.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Signal {
    pub product: u32,
    pub own: f64,
    pub neighbours: f64,
}

impl TifuKnn {
    /// A member's personal vector: the baskets in groups of `group_size` counted from the
    /// newest (the oldest group may be short), each group the decayed mean of its
    /// baskets, the member the decayed mean of the groups.
    fn vector(&self, groups: &PurchaseGroups) -> Vector {
        let baskets = baskets(groups);
        let mut sum: HashMap<u32, f64> = HashMap::new();
        let size = self.group_size.max(1);
        let chunks: Vec<&[Vec<u32>]> = baskets.rchunks(size).collect();
        let count = chunks.len() as f64;
        // `rchunks` gives the newest group first.
        for (age, chunk) in chunks.iter().enumerate() {
            let group_weight = self.across.powi(age as i32) / count;
            let n = chunk.len() as f64;
            for (i, basket) in chunk.iter().enumerate() {
                let basket_weight = self.within.powi((chunk.len() - 1 - i) as i32) / n;
                for &p in basket {
                    *sum.entry(p).or_default() += group_weight * basket_weight;
                }
            }
        }
        let mut v: Vector = sum.into_iter().collect();
        v.sort_unstable_by_key(|e| e.0);
        v
    }

    /// Every member's TIFU-KNN signals for the products they bought, in product order: the
    /// engine's list model reads them as features.
    pub fn signals(&self, groups: &[PurchaseGroups]) -> Vec<Vec<Signal>> {
        let vectors = parallel_map(groups, |g| self.vector(g));
        let near = neighbours(&vectors, self.neighbours);
        let members: Vec<usize> = (0..vectors.len()).collect();
        parallel_map(&members, |&m| {
            let own = &vectors[m];
            let mut sum = vec![0.0f64; own.len()];
            for &n in &near[m] {
                // Both vectors are in product order: a merge finds the shared products.
                let other = &vectors[n as usize];
                let (mut i, mut j) = (0, 0);
                while i < own.len() && j < other.len() {
                    match own[i].0.cmp(&other[j].0) {
                        std::cmp::Ordering::Less => i += 1,
                        std::cmp::Ordering::Greater => j += 1,
                        std::cmp::Ordering::Equal => {
                            sum[i] += other[j].1;
                            i += 1;
                            j += 1;
                        }
                    }
                }
            }
            let share = 1.0 / near[m].len().max(1) as f64;
            own.iter()
                .zip(sum)
                .map(|(&(product, w), s)| Signal {
                    product,
                    own: w,
                    neighbours: s * share,
                })
                .collect()
        })
    }

    /// One member's signals from their own vector alone (no neighbours' weight).
    pub fn own_signals(&self, groups: &PurchaseGroups) -> Vec<Signal> {
        self.vector(groups)
            .into_iter()
            .map(|(product, own)| Signal {
                product,
                own,
                neighbours: 0.0,
            })
            .collect()
    }

    /// The blend of a signal that ranks: `alpha` of the member's own weight, the rest the
    /// neighbours'.
    pub fn blend(&self, signal: &Signal) -> f64 {
        self.alpha * signal.own + (1.0 - self.alpha) * signal.neighbours
    }

    /// Every member's list of `k`: their vector blended with their neighbours' mean.
    pub fn lists(
        &self,
        groups: &[PurchaseGroups],
        population: &Population,
        k: usize,
    ) -> Vec<Vec<u32>> {
        let vectors = parallel_map(groups, |g| self.vector(g));
        let near = neighbours(&vectors, self.neighbours);
        blended(&vectors, &near, &[self.alpha], groups, population, k)
            .pop()
            .expect("one blend asked")
    }
}

/// Each member's list of `k` for each of `alphas` (by alpha, then member): `alpha` times
/// their vector plus `1 − alpha` times the mean of their neighbours' vectors.
fn blended(
    vectors: &[Vector],
    near: &[Vec<u32>],
    alphas: &[f64],
    groups: &[PurchaseGroups],
    population: &Population,
    k: usize,
) -> Vec<Vec<Vec<u32>>> {
    let members: Vec<usize> = (0..vectors.len()).collect();
    let products = population.stocked.len();
    let per_member = parallel_map(&members, |&m| {
        // The neighbours' sum and the member's own vector, held densely: a member has
        // hundreds of neighbours of hundreds of products each.
        let (mut sum, mut own) = (vec![0.0f64; products], vec![0.0f64; products]);
        let mut touched: Vec<u32> = Vec::new();
        for &n in &near[m] {
            for &(p, w) in &vectors[n as usize] {
                if sum[p as usize] == 0.0 {
                    touched.push(p);
                }
                sum[p as usize] += w;
            }
        }
        for &(p, w) in &vectors[m] {
            if sum[p as usize] == 0.0 {
                touched.push(p);
            }
            own[p as usize] = w;
        }
        let share = if near[m].is_empty() {
            0.0
        } else {
            1.0 / near[m].len() as f64
        };
        alphas
            .iter()
            .map(|&alpha| {
                let scores = touched
                    .iter()
                    .map(|&p| {
                        let i = p as usize;
                        (p, alpha * own[i] + (1.0 - alpha) * share * sum[i])
                    })
                    .collect();
                top(scores, &groups[m], population, k)
            })
            .collect::<Vec<_>>()
    });
    (0..alphas.len())
        .map(|a| per_member.iter().map(|lists| lists[a].clone()).collect())
        .collect()
}

/// Each member's `k` nearest other members by the cosine of their vectors, nearest first
/// (members without history have none).
fn neighbours(vectors: &[Vector], k: usize) -> Vec<Vec<u32>> {
    let norms: Vec<f64> = vectors
        .iter()
        .map(|v| v.iter().map(|(_, w)| w * w).sum::<f64>().sqrt())
        .collect();
    let mut buyers: HashMap<u32, Vec<(u32, f64)>> = HashMap::new();
    for (m, v) in vectors.iter().enumerate() {
        for &(p, w) in v {
            buyers.entry(p).or_default().push((m as u32, w));
        }
    }
    let members: Vec<usize> = (0..vectors.len()).collect();
    parallel_map(&members, |&m| {
        if norms[m] == 0.0 {
            return Vec::new();
        }
        let mut dot = vec![0.0f64; vectors.len()];
        for &(p, w) in &vectors[m] {
            for &(other, x) in &buyers[&p] {
                dot[other as usize] += w * x;
            }
        }
        let mut near: Vec<(f64, u32)> = dot
            .iter()
            .enumerate()
            .filter(|&(o, &d)| o != m && d > 0.0)
            .map(|(o, &d)| (d / (norms[m] * norms[o]), o as u32))
            .collect();
        let keep = k.min(near.len());
        if keep > 0 && near.len() > keep {
            near.select_nth_unstable_by(keep - 1, |a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            near.truncate(keep);
        }
        near.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        near.into_iter().map(|(_, o)| o).collect()
    })
}

/// The settings [`fit`] tries: each of the paper's ranges at a few points.
pub const HALF_LIVES: [f64; 6] = [7.0, 14.0, 28.0, 56.0, 112.0, 224.0];
const GROUP_SIZES: [usize; 3] = [1, 3, 7];
const DECAYS: [f64; 3] = [0.6, 0.9, 1.0];
const NEIGHBOURS: [usize; 3] = [100, 300, 900];
const ALPHAS: [f64; 3] = [0.2, 0.5, 0.8];

/// The baselines' settings that score best (recall@10) on one cut-off: `groups` cut there,
/// `truth` what each member bought in the period after it (sorted, distinct; empty: not
/// scored). Returns the half-life of the decayed frequency and TIFU-KNN's settings.
pub fn fit(
    groups: &[PurchaseGroups],
    population: &Population,
    today: i32,
    truth: &[Vec<u32>],
    k: usize,
) -> (f64, TifuKnn) {
    let score = |lists: &[Vec<u32>]| -> Scores {
        measure(
            lists
                .iter()
                .zip(truth)
                .map(|(l, t)| (l.as_slice(), t.as_slice())),
        )
    };
    let mut best_half_life = (f64::MIN, HALF_LIVES[0]);
    for half_life in HALF_LIVES {
        let lists = parallel_map(groups, |g| {
            decayed_frequency(g, population, today, half_life, k)
        });
        let recall = score(&lists).recall_10;
        if recall > best_half_life.0 {
            best_half_life = (recall, half_life);
        }
    }
    // TIFU-KNN in two steps: the shape of the vectors at the middle of the neighbours'
    // and blend's ranges, then how many neighbours and how much of them for that shape.
    let mut shaped: Option<(f64, TifuKnn)> = None;
    for group_size in GROUP_SIZES {
        for within in DECAYS {
            for across in DECAYS {
                let s = TifuKnn {
                    group_size,
                    within,
                    across,
                    neighbours: NEIGHBOURS[1],
                    alpha: ALPHAS[1],
                };
                let recall = score(&s.lists(groups, population, k)).recall_10;
                if shaped.is_none_or(|(r, _)| recall > r) {
                    shaped = Some((recall, s));
                }
            }
        }
    }
    let shape = shaped.expect("the grid is not empty").1;
    let vectors = parallel_map(groups, |g| shape.vector(g));
    let widest = neighbours(&vectors, NEIGHBOURS[NEIGHBOURS.len() - 1]);
    let mut best: Option<(f64, TifuKnn)> = None;
    for count in NEIGHBOURS {
        let near: Vec<Vec<u32>> = widest
            .iter()
            .map(|n| n.iter().copied().take(count).collect())
            .collect();
        let by_alpha = blended(&vectors, &near, &ALPHAS, groups, population, k);
        for (alpha, lists) in ALPHAS.iter().zip(by_alpha) {
            let recall = score(&lists).recall_10;
            if best.is_none_or(|(r, _)| recall > r) {
                best = Some((
                    recall,
                    TifuKnn {
                        neighbours: count,
                        alpha: *alpha,
                        ..shape
                    },
                ));
            }
        }
    }
    (best_half_life.1, best.expect("the grid is not empty").1)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration, TimeZone, Utc};

    use super::*;
    use crate::domain::lists::{MemberHistory, Params, ProductInfo, Purchase, prepare};
    use crate::domain::product::BrandType;

    fn day(n: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, 12, 0, 0).unwrap() + Duration::days(n)
    }

    fn catalogue(n: u32) -> Vec<ProductInfo> {
        (0..n)
            .map(|i| ProductInfo {
                id: format!("P{i}"),
                gtin: crate::domain::gs1::Gtin::gtin13_from_body(400_000_000_000 + u64::from(i))
                    .unwrap(),
                name: format!("Product {i}"),
                department: Some("GROCERY".into()),
                category: Some(format!("C{i}")),
                brand: BrandType::National,
                stocked: true,
            })
            .collect()
    }

    fn member(id: &str, bought: &[(u32, i64)]) -> MemberHistory {
        MemberHistory {
            member_id: id.into(),
            purchases: bought
                .iter()
                .map(|&(product, d)| Purchase {
                    product,
                    at: day(d),
                    amount: 100,
                })
                .collect(),
        }
    }

    #[test]
    fn the_half_life_weighs_recent_purchases_against_many_old_ones() {
        // Product 0 five times long ago, product 1 twice lately.
        let m = member(
            "1",
            &[(0, 0), (0, 7), (0, 14), (0, 21), (0, 28), (1, 80), (1, 87)],
        );
        let params = Params::default();
        let (groups, _, population) = prepare(&catalogue(3), &[m], day(90), &params);
        let today = params.day_of(day(90));
        let short = decayed_frequency(&groups[0], &population, today, 7.0, 2);
        let long = decayed_frequency(&groups[0], &population, today, 1_000.0, 2);
        assert_eq!(short, vec![1, 0]);
        assert_eq!(long, vec![0, 1]);
    }

    #[test]
    fn tifu_vectors_decay_within_and_across_groups_of_baskets() {
        // Baskets [0], [1], [0, 1]; groups of 2 from the newest: ([1], [0, 1]) and ([0]).
        let m = member("1", &[(0, 0), (1, 7), (0, 14), (1, 14)]);
        let params = Params::default();
        let (groups, _, _) = prepare(&catalogue(2), &[m], day(20), &params);
        let s = TifuKnn {
            group_size: 2,
            within: 0.5,
            across: 0.5,
            neighbours: 0,
            alpha: 1.0,
        };
        // Newest group (weight 1/2): [1] at 0.5/2 and [0, 1] at 1/2; older group (weight
        // 0.5/2): [0] at 1.
        let v = s.vector(&groups[0]);
        assert_eq!(v.len(), 2);
        assert!((v[0].1 - (0.5 * 0.5 + 0.25)).abs() < 1e-12, "{v:?}");
        assert!((v[1].1 - 0.5 * (0.25 + 0.5)).abs() < 1e-12, "{v:?}");
    }

    #[test]
    fn tifu_knn_lends_a_member_what_similar_members_buy() {
        // Members 1 and 2 buy 0 and 1; member 2 also buys 2 every week; member 3 buys 3.
        let weekly = |products: &[u32]| -> Vec<(u32, i64)> {
            (0..8)
                .flat_map(|w| products.iter().map(move |&p| (p, w * 7)))
                .collect()
        };
        let members = vec![
            member("1", &weekly(&[0, 1])),
            member("2", &weekly(&[0, 1, 2])),
            member("3", &weekly(&[3])),
        ];
        let params = Params::default();
        let (groups, _, population) = prepare(&catalogue(5), &members, day(60), &params);
        let s = TifuKnn {
            group_size: 3,
            within: 0.9,
            across: 0.9,
            neighbours: 1,
            alpha: 0.5,
        };
        let lists = s.lists(&groups, &population, 3);
        assert_eq!(lists[0].len(), 3);
        assert_eq!(&lists[0][..2], &[0, 1], "{lists:?}");
        // The third is the neighbour's product, not member 3's.
        assert_eq!(lists[0][2], 2, "{lists:?}");
        // Alone (alpha 1) the member's own products come first, the rest best sellers.
        let own = TifuKnn { alpha: 1.0, ..s }.lists(&groups, &population, 3);
        assert_eq!(&own[0][..2], &[0, 1]);
        for list in &lists {
            let mut seen = list.clone();
            seen.sort_unstable();
            seen.dedup();
            assert_eq!(seen.len(), list.len(), "no product twice: {list:?}");
        }
    }
}
