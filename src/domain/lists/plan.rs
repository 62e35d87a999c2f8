//! The whole pipeline for every member, as HQ runs it for a period: group the histories,
//! build the population figures, decide who qualifies, rank, segment, match the deals and
//! keep their budgets. Plain data in, lists and offers out: [`plan_lists`] for members in
//! memory, [`plan_batches`] for members read from a [`MemberSource`] a batch at a time.

use chrono::{DateTime, Duration, Utc};

use super::eligibility::{Eligibility, eligibility};
use super::history::{MemberHistory, PurchaseGroups};
use super::offers::{self, Candidate, Deal, DealTarget, PlannedOffer};
pub use super::parallel::parallel_map;
use super::population::{Population, PopulationBuilder};
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
    let (groups, uses) = grouped(catalogue, members, as_of, params);
    let population = Population::build(
        catalogue,
        &groups,
        &uses,
        params.day_of(as_of),
        params.period_days,
    );
    (groups, uses, population)
}

/// Members' histories grouped and cut at `as_of`, and their category use, on all cores.
fn grouped(
    catalogue: &[ProductInfo],
    members: &[MemberHistory],
    as_of: DateTime<Utc>,
    params: &Params,
) -> (Vec<PurchaseGroups>, Vec<Vec<CategoryUse>>) {
    let (category_of, _) = super::population::category_index(catalogue);
    let work = |m: &MemberHistory| {
        (
            PurchaseGroups::build(m, as_of, params),
            segments::category_use(m, catalogue, &category_of, as_of, params),
        )
    };
    parallel_map(members, work).into_iter().unzip()
}

/// Members read in batches, so that a chain's million members need never be in memory
/// at once: each batch is read twice, once for the population figures and once for the
/// lists.
pub trait MemberSource: Sync {
    /// How many members there are.
    fn count(&self) -> usize;
    /// The members `from..to` (at most `count()`), in a stable order.
    fn read(&self, from: usize, to: usize) -> std::borrow::Cow<'_, [MemberHistory]>;
}

impl MemberSource for &[MemberHistory] {
    fn count(&self) -> usize {
        self.len()
    }

    fn read(&self, from: usize, to: usize) -> std::borrow::Cow<'_, [MemberHistory]> {
        std::borrow::Cow::Borrowed(&self[from..to])
    }
}

/// Members per batch. TIFU-KNN's neighbours are found within a member's batch: among all
/// members up to this many, among a sample of this many above.
pub const BATCH: usize = 8_192;

/// One batch's lists (in the source's order, the first being member `first`) and the
/// deal candidates among them (their `member` the index in the whole source).
pub struct Batch {
    pub first: usize,
    pub lists: Vec<MemberList>,
    pub candidates: Vec<Candidate>,
}

/// Makes the lists of every member of `source` for the period starting at `as_of`, one
/// batch of `batch` members at a time, handing each batch to `done`; the `deals` are
/// matched (their candidates listed) but not allocated: that needs every batch. Returns
/// the population figures.
pub fn plan_batches(
    catalogue: &[ProductInfo],
    source: &dyn MemberSource,
    deals: &[Deal],
    as_of: DateTime<Utc>,
    params: &Params,
    batch: usize,
    mut done: impl FnMut(Batch),
) -> Population {
    let batch = batch.max(1);
    let count = source.count();
    let period_end = as_of + Duration::days(i64::from(params.period_days));
    let today = params.day_of(as_of);
    let mut builder = PopulationBuilder::new(catalogue.len(), today);
    let mut kept = None;
    for from in (0..count).step_by(batch) {
        let members = source.read(from, (from + batch).min(count));
        let (groups, uses) = grouped(catalogue, &members, as_of, params);
        for (g, u) in groups.iter().zip(&uses) {
            builder.add(g, u);
        }
        // One batch is all: no need to read and group it again.
        if count <= batch {
            kept = Some((members, groups, uses));
        }
    }
    let population = builder.finish(catalogue, params.period_days);
    for from in (0..count).step_by(batch) {
        let (members, groups, uses) = match kept.take() {
            Some(k) => k,
            None => {
                let members = source.read(from, (from + batch).min(count));
                let (groups, uses) = grouped(catalogue, &members, as_of, params);
                (members, groups, uses)
            }
        };
        // The list model reads each member's TIFU-KNN signals: neighbours in the batch.
        let signals = params
            .reranker
            .as_ref()
            .map(|model| model.tifu.signals(&groups));
        let indices: Vec<usize> = (0..members.len()).collect();
        let lists = parallel_map(&indices, |&i| {
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
                let signals = signals.as_ref().map(|s| s[i].as_slice());
                rank(&groups[i], &population, as_of, params, signals)
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
                        member: from + m,
                        deal: d,
                        weekly_spend: list.eligibility.weekly_spend,
                        ..c
                    });
                }
            }
        }
        done(Batch {
            first: from,
            lists,
            candidates,
        });
    }
    population
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
    let mut lists = Vec::with_capacity(members.len());
    let mut candidates = Vec::new();
    let population = plan_batches(catalogue, &members, deals, as_of, params, BATCH, |b| {
        debug_assert_eq!(b.first, lists.len());
        lists.extend(b.lists);
        candidates.extend(b.candidates);
    });
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
