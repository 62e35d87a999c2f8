//! How good ranked lists are against what members really bought in the period: recall at
//! 10 and 20, NDCG at 10 and hit rate at 10, averaged over members; and the two
//! baselines they are compared with (the population's best sellers, and each member's own
//! most frequent products).

use super::history::PurchaseGroups;
use super::population::Population;

/// Averages over the members measured.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Scores {
    pub members: usize,
    pub recall_10: f64,
    pub recall_20: f64,
    pub ndcg_10: f64,
    pub hit_rate_10: f64,
}

/// Measures ranked lists (best first) against the products bought (sorted, distinct).
/// Members who bought nothing in the period are skipped: nothing could be recalled.
pub fn measure<'a>(pairs: impl IntoIterator<Item = (&'a [u32], &'a [u32])>) -> Scores {
    let mut s = Scores::default();
    for (ranked, bought) in pairs {
        if bought.is_empty() {
            continue;
        }
        let hit = |p: &u32| bought.binary_search(p).is_ok();
        let hits_at = |k: usize| ranked.iter().take(k).filter(|p| hit(p)).count() as f64;
        let truth = bought.len() as f64;
        s.recall_10 += hits_at(10) / truth;
        s.recall_20 += hits_at(20) / truth;
        s.hit_rate_10 += f64::from(u8::from(hits_at(10) > 0.0));
        let dcg: f64 = ranked
            .iter()
            .take(10)
            .enumerate()
            .filter(|(_, p)| hit(p))
            .map(|(i, _)| 1.0 / (i as f64 + 2.0).log2())
            .sum();
        let ideal: f64 = (0..bought.len().min(10))
            .map(|i| 1.0 / (i as f64 + 2.0).log2())
            .sum();
        s.ndcg_10 += dcg / ideal;
        s.members += 1;
    }
    if s.members > 0 {
        let n = s.members as f64;
        s.recall_10 /= n;
        s.recall_20 /= n;
        s.ndcg_10 /= n;
        s.hit_rate_10 /= n;
    }
    s
}

/// The baseline of each member's own most frequent products: most purchase days first,
/// the more recently bought first among equals, then the best sellers to fill up `k`.
pub fn most_frequent(groups: &PurchaseGroups, population: &Population, k: usize) -> Vec<u32> {
    let mut out = own_most_frequent(groups, population, k);
    fill_with_best_sellers(&mut out, groups, population, k);
    out
}

/// Each member's own `k` most frequent products the store sells, alone (most purchase
/// days first, the more recently bought first among equals): shorter when they bought
/// fewer.
pub fn own_most_frequent(groups: &PurchaseGroups, population: &Population, k: usize) -> Vec<u32> {
    let mut own: Vec<(u32, i32, u32)> = groups
        .groups
        .iter()
        .filter(|g| population.stocked[g.product as usize])
        .map(|g| {
            let days = g.days(groups);
            (days.len() as u32, *days.last().unwrap_or(&0), g.product)
        })
        .collect();
    own.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    own.into_iter().take(k).map(|o| o.2).collect()
}

/// The baseline of the population's best sellers, the same for everyone.
pub fn best_sellers(population: &Population, k: usize) -> Vec<u32> {
    population.top_sellers.iter().copied().take(k).collect()
}

fn fill_with_best_sellers(
    out: &mut Vec<u32>,
    groups: &PurchaseGroups,
    population: &Population,
    k: usize,
) {
    for &p in &population.top_sellers {
        if out.len() >= k {
            break;
        }
        if groups.group(p).is_none() {
            out.push(p);
        }
    }
}
