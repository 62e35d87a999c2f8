//! The search that assigns basket units to promotions for the largest total saving.
//!
//! Units are grouped in *slots*: the whole units of one non-weighed line (all worth the same),
//! or a whole weighed or fractional line as one indivisible slot. Each unit either takes its
//! best single-unit promotion (member price, percent off, amount off) or joins one group of a
//! group promotion (buy X get Y, mix-and-match, bundle), never both.
//!
//! Exact search: let `V(counts)` be the best saving for the remaining unit counts per slot.
//! The first slot with a unit left, `i`, either gives one unit its single saving, or that
//! unit joins a group of some group promotion together with remaining units of slots `>= i`;
//! `V` is the maximum over these choices, memoised on `counts`. Every partition of the units
//! into groups and singles is reached exactly once through its lowest unit, so the result is
//! optimal. The work is bounded; beyond the bound the greedy fallback described in
//! [`super::promotion`] is used.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use super::gs1::Gtin;
use super::money::Quantity;
use super::product::Product;
use super::promotion::{Promotion, PromotionKind, distinct};

/// Work budget of the exact search (memo states plus candidate groups).
const EXACT_BUDGET: usize = 50_000;
/// Above this many units in group-eligible slots the exact search is not tried.
const EXACT_MAX_UNITS: u64 = 64;

/// One basket line as the engine sees it.
pub(crate) struct EngineLine<'a> {
    pub product: &'a Product,
    pub quantity: Quantity,
    /// Line amount before discounts, in minor units.
    pub gross: i64,
    /// False for voided and price-overridden lines: they take no promotion.
    pub eligible: bool,
}

/// One promotion's saving on one line: promotion index, quantity in thousandths, amount.
pub(crate) type LineSaving = (usize, i64, i64);

struct Slot {
    line: usize,
    count: u32,
    value: i64,
    whole_line: Option<Quantity>,
    gtin: Gtin,
    /// Best single-unit promotion and its saving per unit.
    single: Option<(usize, i64)>,
    /// Active group promotions this slot's units may join.
    groups: Vec<usize>,
}

impl Slot {
    fn single_saving(&self) -> i64 {
        self.single.map_or(0, |(_, s)| s)
    }
}

/// A chosen group: the promotion and the slot of each unit in it.
type Group = (usize, Vec<usize>);

/// Assigns units to the promotions active at `now` and returns each line's savings, ordered
/// by promotion index. Only savings above zero are listed.
pub(crate) fn assign(
    lines: &[EngineLine<'_>],
    promotions: &[Promotion],
    now: DateTime<Utc>,
    member: bool,
) -> Vec<Vec<LineSaving>> {
    let active: Vec<usize> = (0..promotions.len())
        .filter(|&p| promotions[p].is_active(now, member))
        .collect();
    let slots = build_slots(lines, promotions, &active);
    let counts: Vec<u32> = slots
        .iter()
        .map(|s| if s.groups.is_empty() { 0 } else { s.count })
        .collect();
    let group_units: u64 = counts.iter().map(|c| u64::from(*c)).sum();
    let groups = (group_units <= EXACT_MAX_UNITS)
        .then(|| exact(&slots, promotions, &counts))
        .flatten()
        .unwrap_or_else(|| greedy(&slots, promotions, &counts));

    let mut used = vec![0u32; slots.len()];
    let mut totals: BTreeMap<(usize, usize), (i64, i64)> = BTreeMap::new();
    for (p, members) in &groups {
        let values: Vec<i64> = members.iter().map(|&s| slots[s].value).collect();
        let savings = promotions[*p].group_savings(&values).unwrap_or_default();
        for (&s, saving) in members.iter().zip(savings) {
            used[s] += 1;
            let entry = totals.entry((slots[s].line, *p)).or_default();
            entry.0 += Quantity::SCALE;
            entry.1 += saving;
        }
    }
    for (s, slot) in slots.iter().enumerate() {
        let singles = i64::from(slot.count - used[s]);
        if let Some((p, saving)) = slot.single
            && singles > 0
        {
            let qty = slot
                .whole_line
                .map_or(singles * Quantity::SCALE, |q| q.milli());
            let entry = totals.entry((slot.line, p)).or_default();
            entry.0 += qty;
            entry.1 += singles * saving;
        }
    }
    let mut out = vec![Vec::new(); lines.len()];
    for ((line, p), (qty, amount)) in totals {
        if amount > 0 {
            out[line].push((p, qty, amount));
        }
    }
    out
}

fn build_slots(lines: &[EngineLine<'_>], promotions: &[Promotion], active: &[usize]) -> Vec<Slot> {
    let mut slots = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        if !line.eligible || line.gross <= 0 || line.quantity.milli() <= 0 {
            continue;
        }
        let units = line
            .quantity
            .whole_units()
            .filter(|n| !line.product.weighed && *n >= 1 && line.gross % n == 0)
            .and_then(|n| u32::try_from(n).ok());
        let (count, value, whole_line) = match units {
            Some(n) => (n, line.gross / i64::from(n), None),
            None => (1, line.gross, Some(line.quantity)),
        };
        let mut single: Option<(usize, i64)> = None;
        let mut groups = Vec::new();
        for &p in active {
            let promo = &promotions[p];
            if promo.is_group() {
                if whole_line.is_none() && promo.applies_to(line.product) {
                    groups.push(p);
                }
            } else {
                let saving = promo.unit_saving(line.product, value, whole_line);
                if saving > single.map_or(0, |(_, s)| s) {
                    single = Some((p, saving));
                }
            }
        }
        slots.push(Slot {
            line: index,
            count,
            value,
            whole_line,
            gtin: line.product.gtin,
            single,
            groups,
        });
    }
    slots
}

#[derive(Clone)]
enum Choice {
    Done,
    Singles(usize, u32),
    Group(Group),
}

struct Search<'a> {
    slots: &'a [Slot],
    promotions: &'a [Promotion],
    memo: HashMap<Vec<u32>, (i64, Choice)>,
    budget: usize,
}

/// The optimal groups, or `None` when the work budget runs out.
fn exact(slots: &[Slot], promotions: &[Promotion], counts: &[u32]) -> Option<Vec<Group>> {
    let mut search = Search {
        slots,
        promotions,
        memo: HashMap::new(),
        budget: EXACT_BUDGET,
    };
    search.best(counts)?;
    let mut groups = Vec::new();
    let mut state = counts.to_vec();
    loop {
        match search.memo.get(&state)?.1.clone() {
            Choice::Done => return Some(groups),
            Choice::Singles(s, n) => state[s] -= n,
            Choice::Group(group) => {
                for &s in &group.1 {
                    state[s] -= 1;
                }
                groups.push(group);
            }
        }
    }
}

impl Search<'_> {
    fn best(&mut self, counts: &[u32]) -> Option<i64> {
        if let Some((value, _)) = self.memo.get(counts) {
            return Some(*value);
        }
        self.budget = self.budget.checked_sub(1)?;
        let Some(i) = counts.iter().position(|c| *c > 0) else {
            self.memo.insert(counts.to_vec(), (0, Choice::Done));
            return Some(0);
        };
        let mut next = counts.to_vec();
        next[i] -= 1;
        let mut best = self.slots[i].single_saving() + self.best(&next)?;
        let mut choice = Choice::Singles(i, 1);
        for &p in &self.slots[i].groups {
            for members in self.candidates(i, p, counts)? {
                let values: Vec<i64> = members.iter().map(|&s| self.slots[s].value).collect();
                let Some(savings) = self.promotions[p].group_savings(&values) else {
                    continue;
                };
                let mut rest = counts.to_vec();
                for &s in &members {
                    rest[s] -= 1;
                }
                let value = savings.iter().sum::<i64>() + self.best(&rest)?;
                if value > best {
                    best = value;
                    choice = Choice::Group((p, members));
                }
            }
        }
        self.memo.insert(counts.to_vec(), (best, choice));
        Some(best)
    }

    /// Every group of promotion `p` holding one unit of slot `i` and otherwise units of
    /// slots `>= i` still available; `None` when the budget runs out.
    fn candidates(&mut self, i: usize, p: usize, counts: &[u32]) -> Option<Vec<Vec<usize>>> {
        let promo = &self.promotions[p];
        let eligible: Vec<usize> = (i..self.slots.len())
            .filter(|&s| counts[s] > 0 && self.slots[s].groups.contains(&p))
            .collect();
        let mut out = Vec::new();
        match &promo.kind {
            PromotionKind::Bundle { gtins, .. } => {
                let others: Vec<Gtin> = distinct(gtins)
                    .into_iter()
                    .filter(|g| *g != self.slots[i].gtin)
                    .collect();
                let mut chosen = vec![i];
                self.bundles(&others, &eligible, &mut chosen, &mut out)?;
            }
            _ => {
                let mut avail: Vec<u32> = eligible.iter().map(|&s| counts[s]).collect();
                avail[0] -= 1; // slot i is eligible[0] and gives one unit already
                let mut chosen = vec![i];
                let need = promo.group_size().saturating_sub(1);
                self.multisets(&eligible, &avail, 0, need, &mut chosen, &mut out)?;
            }
        }
        Some(out)
    }

    fn multisets(
        &mut self,
        eligible: &[usize],
        avail: &[u32],
        from: usize,
        need: usize,
        chosen: &mut Vec<usize>,
        out: &mut Vec<Vec<usize>>,
    ) -> Option<()> {
        if need == 0 {
            self.budget = self.budget.checked_sub(1)?;
            out.push(chosen.clone());
            return Some(());
        }
        for k in from..eligible.len() {
            if avail[k] == 0 {
                continue;
            }
            let take = (avail[k] as usize).min(need);
            for n in (1..=take).rev() {
                chosen.extend(std::iter::repeat_n(eligible[k], n));
                self.multisets(eligible, avail, k + 1, need - n, chosen, out)?;
                chosen.truncate(chosen.len() - n);
            }
        }
        Some(())
    }

    fn bundles(
        &mut self,
        others: &[Gtin],
        eligible: &[usize],
        chosen: &mut Vec<usize>,
        out: &mut Vec<Vec<usize>>,
    ) -> Option<()> {
        let Some((gtin, rest)) = others.split_first() else {
            self.budget = self.budget.checked_sub(1)?;
            out.push(chosen.clone());
            return Some(());
        };
        for &s in eligible {
            if self.slots[s].gtin == *gtin {
                chosen.push(s);
                self.bundles(rest, eligible, chosen, out)?;
                chosen.pop();
            }
        }
        Some(())
    }
}

/// Fallback for large baskets: repeatedly apply the group with the largest extra saving over
/// the single-unit savings of its units, built from the dearest units available.
fn greedy(slots: &[Slot], promotions: &[Promotion], counts: &[u32]) -> Vec<Group> {
    let mut counts = counts.to_vec();
    let mut groups = Vec::new();
    let mut order: Vec<usize> = (0..slots.len()).collect();
    order.sort_by_key(|&s| (std::cmp::Reverse(slots[s].value), s));
    let mut active: Vec<usize> = slots.iter().flat_map(|s| s.groups.clone()).collect();
    active.sort_unstable();
    active.dedup();
    loop {
        let mut best: Option<(i64, Group)> = None;
        for &p in &active {
            let available = |s: usize| counts[s] > 0 && slots[s].groups.contains(&p);
            let mut members = Vec::new();
            match &promotions[p].kind {
                PromotionKind::Bundle { gtins, .. } => {
                    for g in distinct(gtins) {
                        if let Some(&s) =
                            order.iter().find(|&&s| available(s) && slots[s].gtin == g)
                        {
                            members.push(s);
                        }
                    }
                }
                _ => {
                    let size = promotions[p].group_size();
                    for &s in order.iter().filter(|&&s| available(s)) {
                        let n = (counts[s] as usize).min(size - members.len());
                        members.extend(std::iter::repeat_n(s, n));
                    }
                }
            }
            let values: Vec<i64> = members.iter().map(|&s| slots[s].value).collect();
            let Some(savings) = promotions[p].group_savings(&values) else {
                continue;
            };
            let singles: i64 = members.iter().map(|&s| slots[s].single_saving()).sum();
            let extra = savings.iter().sum::<i64>() - singles;
            if extra > 0 && best.as_ref().is_none_or(|(e, _)| extra > *e) {
                best = Some((extra, (p, members)));
            }
        }
        let Some((_, group)) = best else {
            return groups;
        };
        for &s in &group.1 {
            counts[s] -= 1;
        }
        groups.push(group);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::{Currency, Money};
    use crate::domain::product::{BonusPoints, BrandType};
    use crate::domain::promotion::Target;
    use crate::domain::tax::TaxRate;
    use chrono::TimeZone;
    use proptest::prelude::*;

    const GTINS: [&str; 3] = ["6901234567892", "4006381333931", "9780201379624"];

    fn product(k: usize, price: i64, member: Option<i64>) -> Product {
        Product {
            gtin: Gtin::parse(GTINS[k]).unwrap(),
            name: format!("P{k}"),
            name_en: None,
            price: Money::from_minor(price, Currency::CNY),
            tax_rate: TaxRate::CN_STANDARD,
            department: None,
            category: Some(if k < 2 { "a" } else { "b" }.into()),
            brand_type: BrandType::Unknown,
            manufacturer: None,
            member_price: member.map(|m| Money::from_minor(m, Currency::CNY)),
            bonus_points: BonusPoints::None,
            weighed: false,
            plu: None,
            restricted: false,
            external_id: None,
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
    }

    fn promo(id: usize, kind: PromotionKind) -> Promotion {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let end = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
        Promotion::new(&format!("P{id}"), "promo", start, end, kind)
    }

    fn kind() -> impl Strategy<Value = PromotionKind> {
        let target = prop_oneof![
            Just(Target::Any),
            Just(Target::Category("a".into())),
            (0usize..3).prop_map(|k| Target::Gtins(vec![Gtin::parse(GTINS[k]).unwrap()])),
        ];
        prop_oneof![
            target
                .clone()
                .prop_map(|target| PromotionKind::MemberPrice { target }),
            (target.clone(), 0u32..=10_000).prop_map(|(target, basis_points)| {
                PromotionKind::PercentOff {
                    target,
                    basis_points,
                }
            }),
            (target.clone(), 0i64..800)
                .prop_map(|(target, per_unit)| PromotionKind::AmountOff { target, per_unit }),
            (target.clone(), 1u32..3, 1u32..3, 1u32..=10_000).prop_map(
                |(target, buy, get, basis_points)| PromotionKind::BuyXGetY {
                    target,
                    buy,
                    get,
                    basis_points
                }
            ),
            (target, 2u32..4, 0i64..2_000).prop_map(|(target, count, price)| {
                PromotionKind::MixAndMatch {
                    target,
                    count,
                    price,
                }
            }),
            (
                proptest::sample::subsequence(vec![0usize, 1, 2], 2..=3),
                0i64..2_500
            )
                .prop_map(|(ks, price)| PromotionKind::Bundle {
                    gtins: ks.iter().map(|&k| Gtin::parse(GTINS[k]).unwrap()).collect(),
                    price
                }),
        ]
    }

    /// Exhaustive search over units one by one: the first free unit is single or in any
    /// valid group of free units containing it.
    fn brute(units: &[(usize, i64)], products: &[Product], promos: &[Promotion], free: u32) -> i64 {
        let Some(u) = (0..units.len()).find(|&u| free & (1 << u) != 0) else {
            return 0;
        };
        let single = |u: usize| {
            promos
                .iter()
                .filter(|p| !p.is_group())
                .map(|p| p.unit_saving(&products[units[u].0], units[u].1, None))
                .max()
                .unwrap_or(0)
        };
        let mut best = single(u) + brute(units, products, promos, free & !(1 << u));
        for p in promos.iter().filter(|p| p.is_group()) {
            let size = p.group_size();
            // Every subset of free units with `u` as its lowest member.
            let rest = free & !(1 << u);
            let mut sub = rest;
            loop {
                if sub.count_ones() as usize + 1 == size {
                    let members: Vec<usize> = std::iter::once(u)
                        .chain((0..units.len()).filter(|&k| sub & (1 << k) != 0))
                        .collect();
                    let ok = members.iter().all(|&k| p.applies_to(&products[units[k].0]))
                        && match &p.kind {
                            PromotionKind::Bundle { gtins, .. } => {
                                let mut got: Vec<Gtin> =
                                    members.iter().map(|&k| products[units[k].0].gtin).collect();
                                got.sort_by_key(|g| g.value());
                                got.dedup();
                                got.len() == distinct(gtins).len()
                            }
                            _ => true,
                        };
                    if ok {
                        let values: Vec<i64> = members.iter().map(|&k| units[k].1).collect();
                        if let Some(s) = p.group_savings(&values) {
                            let v =
                                s.iter().sum::<i64>() + brute(units, products, promos, rest & !sub);
                            best = best.max(v);
                        }
                    }
                }
                if sub == 0 {
                    break;
                }
                sub = (sub - 1) & rest;
            }
        }
        best
    }

    #[test]
    fn picks_the_better_of_competing_promotions() {
        // 3 x P0 at 10.00 and 1 x P1 at 8.00; 10% off P0, 3 for 24.00 on category a, or
        // bundle P0+P1 for 15.00.
        let products = [product(0, 1000, None), product(1, 800, None)];
        let promos = [
            promo(
                0,
                PromotionKind::PercentOff {
                    target: Target::Gtins(vec![products[0].gtin]),
                    basis_points: 1000,
                },
            ),
            promo(
                1,
                PromotionKind::MixAndMatch {
                    target: Target::Category("a".into()),
                    count: 3,
                    price: 2400,
                },
            ),
            promo(
                2,
                PromotionKind::Bundle {
                    gtins: vec![products[0].gtin, products[1].gtin],
                    price: 1500,
                },
            ),
        ];
        let lines = [
            EngineLine {
                product: &products[0],
                quantity: Quantity::units(3),
                gross: 3000,
                eligible: true,
            },
            EngineLine {
                product: &products[1],
                quantity: Quantity::ONE,
                gross: 800,
                eligible: true,
            },
        ];
        let out = assign(&lines, &promos, now(), false);
        // Best: bundle (3.00) + 3-for-24 impossible with 2 left; 2 x 10% = 2.00 -> 5.00.
        // Alternative: 3 x P0 for 24.00 (6.00) + nothing on P1 -> 6.00. That wins.
        let total: i64 = out.iter().flatten().map(|(_, _, a)| a).sum();
        assert_eq!(total, 600);
        assert_eq!(out[0], vec![(1, 3000, 600)]);
        assert!(out[1].is_empty());
    }

    #[test]
    fn exact_search_beats_dearest_first_grouping() {
        // Grouping the dearest units (6.17 + 5.56) would cost P0 its 29.71% off; the best is
        // 29.71% off P0 (1.83) and the two 5.56 units together (0.09% of 5.56 = 0.01).
        let products = [product(0, 617, None), product(1, 556, None)];
        let promos = [
            promo(
                0,
                PromotionKind::PercentOff {
                    target: Target::Gtins(vec![products[0].gtin]),
                    basis_points: 2971,
                },
            ),
            promo(
                1,
                PromotionKind::BuyXGetY {
                    target: Target::Any,
                    buy: 1,
                    get: 1,
                    basis_points: 9,
                },
            ),
        ];
        let lines = [
            EngineLine {
                product: &products[0],
                quantity: Quantity::ONE,
                gross: 617,
                eligible: true,
            },
            EngineLine {
                product: &products[1],
                quantity: Quantity::units(2),
                gross: 1112,
                eligible: true,
            },
        ];
        let out = assign(&lines, &promos, now(), false);
        assert_eq!(out[0], vec![(0, 1000, 183)]);
        assert_eq!(out[1], vec![(1, 2000, 1)]);
    }

    #[test]
    fn greedy_never_loses_to_singles() {
        let products = [product(0, 1000, None)];
        let promos = [
            promo(
                0,
                PromotionKind::PercentOff {
                    target: Target::Any,
                    basis_points: 1000,
                },
            ),
            promo(
                1,
                PromotionKind::BuyXGetY {
                    target: Target::Any,
                    buy: 1,
                    get: 1,
                    basis_points: 10_000,
                },
            ),
        ];
        let lines = [EngineLine {
            product: &products[0],
            quantity: Quantity::units(101),
            gross: 101_000,
            eligible: true,
        }];
        let out = assign(&lines, &promos, now(), false);
        // 50 pairs with one free (500.00) plus the odd unit at 10% off (1.00).
        assert_eq!(out[0], vec![(0, 1000, 100), (1, 100_000, 50_000)]);
    }

    #[test]
    fn large_baskets_use_the_greedy_within_the_budget() {
        // 30 lines of 2 units in one category: too many groups for the exact search.
        let products: Vec<Product> = (0..30)
            .map(|i| product(i % 2, 500 + 10 * i as i64, None))
            .collect();
        let promos = [
            promo(
                0,
                PromotionKind::MixAndMatch {
                    target: Target::Category("a".into()),
                    count: 3,
                    price: 1200,
                },
            ),
            promo(
                1,
                PromotionKind::PercentOff {
                    target: Target::Any,
                    basis_points: 500,
                },
            ),
        ];
        let lines: Vec<EngineLine<'_>> = products
            .iter()
            .map(|p| EngineLine {
                product: p,
                quantity: Quantity::units(2),
                gross: p.price.minor() * 2,
                eligible: true,
            })
            .collect();
        let out = assign(&lines, &promos, now(), false);
        let total: i64 = out.iter().flatten().map(|(_, _, a)| a).sum();
        let singles: i64 = products
            .iter()
            .map(|p| 2 * promos[1].unit_saving(p, p.price.minor(), None))
            .sum();
        assert!(total > singles);
        for (line, savings) in lines.iter().zip(&out) {
            assert!(savings.iter().map(|(_, _, a)| a).sum::<i64>() <= line.gross);
            assert_eq!(savings.iter().map(|(_, q, _)| q).sum::<i64>(), 2000);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]
        #[test]
        fn engine_matches_exhaustive_search(
            kinds in proptest::collection::vec(kind(), 1..4),
            spec in proptest::collection::vec((0usize..3, 1i64..4, 1i64..1500, proptest::option::of(0i64..1500)), 1..4),
            member in any::<bool>(),
        ) {
            let promos: Vec<Promotion> = kinds.into_iter().enumerate().map(|(i, k)| promo(i, k)).collect();
            let products: Vec<Product> = spec.iter().map(|(k, _, p, m)| product(*k, *p, *m)).collect();
            let mut lines = Vec::new();
            let mut units = Vec::new();
            for (i, (_, n, price, _)) in spec.iter().enumerate() {
                if units.len() as i64 + n > 8 { break; }
                lines.push(EngineLine { product: &products[i], quantity: Quantity::units(*n), gross: price * n, eligible: true });
                units.extend(std::iter::repeat_n((i, *price), *n as usize));
            }
            let out = assign(&lines, &promos, now(), member);
            let engine: i64 = out.iter().flatten().map(|(_, _, a)| a).sum();
            let active: Vec<Promotion> = promos.iter().filter(|p| p.is_active(now(), member)).cloned().collect();
            let expected = brute(&units, &products, &active, (1u32 << units.len()) - 1);
            prop_assert_eq!(engine, expected);
            for (line, savings) in lines.iter().zip(&out) {
                let sum: i64 = savings.iter().map(|(_, _, a)| a).sum();
                prop_assert!(sum <= line.gross);
                let qty: i64 = savings.iter().map(|(_, q, _)| q).sum();
                prop_assert!(qty <= line.quantity.milli());
            }
        }
    }
}
