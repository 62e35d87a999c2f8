//! The whole pipeline for every member at once, as HQ runs it for a period: group the
//! histories, build the population figures, decide who qualifies, rank, segment, match
//! the deals and keep their budgets. Plain data in, lists and offers out.

use chrono::{DateTime, Duration, Utc};

use super::eligibility::{Eligibility, eligibility};
use super::history::{MemberHistory, PurchaseGroups};
use super::offers::{self, Candidate, Deal, DealTarget, PlannedOffer};
use super::population::Population;
use super::ranking::{Basis, RankedItem, rank};
use super::segments::{self, CategoryUse, Segment};
use super::{Params, ProductInfo};
use crate::domain::product::BrandType;

/// One member's list for the period.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberList {
    pub member_id: String,
    pub eligibility: Eligibility,
    /// Best first; switch offers add their store-brand product at the end.
    pub items: Vec<RankedItem>,
    /// The member's segment in each category they used in the segment window.
    pub segments: Vec<(u32, Segment)>,
    pub offers: Vec<PlannedOffer>,
    pub period_start: DateTime<Utc>,
    /// Exclusive.
    pub period_end: DateTime<Utc>,
}

impl MemberList {
    /// The member's segment in a category, if they used it.
    pub fn segment_in(&self, category: u32) -> Option<Segment> {
        self.segments
            .binary_search_by_key(&category, |s| s.0)
            .ok()
            .map(|i| self.segments[i].1)
    }
}

/// Everything one run produces.
#[derive(Debug, Clone)]
pub struct Plan {
    /// One per member given, in their order; `items` and `offers` are empty for members who
    /// do not qualify.
    pub lists: Vec<MemberList>,
    pub population: Population,
    /// What is left of each deal's budget.
    pub budget_left: Vec<i64>,
}

/// Each member's history grouped and cut at `as_of`, with their category use; the work
/// is spread over the machine's cores.
pub fn prepare(
    catalogue: &[ProductInfo],
    members: &[MemberHistory],
    as_of: DateTime<Utc>,
    params: &Params,
) -> (Vec<PurchaseGroups>, Vec<Vec<CategoryUse>>, Population) {
    let (category_of, _) = super::population::category_index(catalogue);
    let work = |m: &MemberHistory| {
        (
            PurchaseGroups::build(m, as_of, params),
            segments::category_use(m, catalogue, &category_of, as_of, params),
        )
    };
    let prepared = parallel_map(members, work);
    let (groups, uses): (Vec<_>, Vec<_>) = prepared.into_iter().unzip();
    let population = Population::build(
        catalogue,
        &groups,
        &uses,
        params.day_of(as_of),
        params.period_days,
    );
    (groups, uses, population)
}

/// Makes the lists of all `members` for the period starting at `as_of`, with the `deals`
/// (already validated) matched and their budgets applied.
pub fn plan_lists(
    catalogue: &[ProductInfo],
    members: &[MemberHistory],
    deals: &[Deal],
    as_of: DateTime<Utc>,
    params: &Params,
) -> Plan {
    let period_end = as_of + Duration::days(i64::from(params.period_days));
    let (groups, uses, population) = prepare(catalogue, members, as_of, params);
    let indices: Vec<usize> = (0..members.len()).collect();
    let mut lists = parallel_map(&indices, |&i| {
        let eligibility = eligibility(&members[i], as_of, params);
        let segments: Vec<(u32, Segment)> = uses[i]
            .iter()
            .map(|u| {
                (
                    u.category,
                    segments::segment(u, population.usage_thresholds[u.category as usize]),
                )
            })
            .collect();
        let items = if eligibility.eligible {
            rank(&groups[i], &population, as_of, params)
        } else {
            Vec::new()
        };
        MemberList {
            member_id: members[i].member_id.clone(),
            eligibility,
            items,
            segments,
            offers: Vec::new(),
            period_start: as_of,
            period_end,
        }
    });

    let mut candidates = Vec::new();
    for (d, deal) in deals.iter().enumerate() {
        if !offers::overlaps(deal, as_of, period_end) {
            continue;
        }
        for (m, list) in lists.iter().enumerate() {
            if list.eligibility.eligible
                && let Some(c) = candidate(catalogue, &population, &groups[m], list, deal)
            {
                candidates.push(Candidate {
                    member: m,
                    deal: d,
                    weekly_spend: list.eligibility.weekly_spend,
                    ..c
                });
            }
        }
    }
    let (granted, budget_left) =
        offers::allocate(deals, candidates, lists.len(), params.max_offers);
    for (list, offers) in lists.iter_mut().zip(granted) {
        for offer in &offers {
            let (Some(product), Some(instead)) = (offer.product, offer.instead_of) else {
                continue;
            };
            let reason = format!(
                "our own brand, instead of {}",
                catalogue[instead as usize].name
            );
            match list.items.iter_mut().find(|i| i.product == product) {
                Some(item) => item.reason = reason,
                None => list.items.push(RankedItem {
                    product,
                    score: list.items.last().map_or(0.0, |i| i.score) - 1.0,
                    basis: Basis::Popular,
                    reason,
                }),
            }
        }
        list.offers = offers;
    }
    Plan {
        lists,
        population,
        budget_left,
    }
}

/// Whether a deal fits a member's list, and for which product and segment.
fn candidate(
    catalogue: &[ProductInfo],
    population: &Population,
    groups: &PurchaseGroups,
    list: &MemberList,
    deal: &Deal,
) -> Option<Candidate> {
    let own = |item: &&RankedItem| matches!(item.basis, Basis::Own(_));
    let category_of = |p: u32| population.category_of[p as usize];
    let neutral = Segment::new(segments::BrandLoyalty::Switcher, segments::Usage::Low);
    let (product, instead_of, category) = match &deal.target {
        DealTarget::Product(p) if deal.switch_to_store_brand => {
            let category = category_of(*p)?;
            if catalogue[*p as usize].brand != BrandType::Store || groups.group(*p).is_some() {
                return None;
            }
            let national = list.items.iter().filter(own).find(|i| {
                category_of(i.product) == Some(category)
                    && catalogue[i.product as usize].brand == BrandType::National
            })?;
            (Some(*p), Some(national.product), Some(category))
        }
        DealTarget::Product(p) => {
            list.items.iter().filter(own).find(|i| i.product == *p)?;
            (Some(*p), None, category_of(*p))
        }
        DealTarget::Category(name) => {
            let category = population.category_named(name)?;
            list.items
                .iter()
                .filter(own)
                .find(|i| category_of(i.product) == Some(category))?;
            (None, None, Some(category))
        }
    };
    let segment = category.and_then(|c| list.segment_in(c)).unwrap_or(neutral);
    deal.targets(segment).then_some(Candidate {
        member: 0,
        deal: 0,
        segment,
        weekly_spend: 0,
        product,
        instead_of,
    })
}

/// Maps `f` over `items` on all cores, keeping the order.
pub fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads <= 1 || items.len() < 64 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a list worker panicked"))
            .collect()
    })
}
