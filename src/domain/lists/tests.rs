//! Unit and property tests of the shopping-list engine, on small hand-made histories.

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

use super::coupons::{coupon_id, list_id, sign_member_list};
use super::eligibility::{eligibility, weekly_spend};
use super::features::{CategoryDays, shrunk_interval};
use super::metrics::{measure, most_frequent};
use super::offers::{Candidate, allocate};
use super::segments::{self, BrandLoyalty, CategoryUse, Usage};
use super::*;
use crate::domain::coupon::OfferValue;

/// Every member's products ranked as of `as_of`, no eligibility and no offers: the engine's
/// ranking alone.
fn rank_all(
    catalogue: &[ProductInfo],
    members: &[MemberHistory],
    as_of: DateTime<Utc>,
    params: &Params,
) -> (Vec<Vec<RankedItem>>, Population) {
    let (groups, _, population) = prepare(catalogue, members, as_of, params);
    let lists = groups
        .iter()
        .map(|g| rank(g, &population, as_of, params, None))
        .collect();
    (lists, population)
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2017, 1, 2, 12, 0, 0).unwrap()
}

fn day(n: i64) -> DateTime<Utc> {
    t0() + Duration::days(n)
}

fn product(i: u32, category: &str, brand: BrandType) -> ProductInfo {
    ProductInfo {
        id: format!("P{i}"),
        gtin: crate::domain::gs1::Gtin::gtin13_from_body(400_000_000_000 + u64::from(i)).unwrap(),
        name: format!("Product {i}"),
        department: Some("GROCERY".into()),
        category: Some(category.into()),
        brand,
        stocked: true,
    }
}

fn catalogue() -> Vec<ProductInfo> {
    vec![
        product(0, "MILK", BrandType::National),
        product(1, "MILK", BrandType::Store),
        product(2, "BREAD", BrandType::National),
        product(3, "BREAD", BrandType::Store),
        product(4, "GRILLS", BrandType::National),
    ]
}

fn buy(product: u32, day_no: i64, amount: i64) -> Purchase {
    Purchase {
        product,
        at: day(day_no),
        amount,
    }
}

fn member(id: &str, purchases: Vec<Purchase>) -> MemberHistory {
    MemberHistory {
        member_id: id.into(),
        purchases,
    }
}

#[test]
fn purchases_on_one_day_count_once_and_later_ones_not_at_all() {
    let m = member(
        "1",
        vec![
            buy(0, 0, 100),
            buy(0, 0, 100),
            buy(0, 7, 100),
            buy(0, 30, 100),
        ],
    );
    let g = PurchaseGroups::build(&m, day(20), &Params::default());
    let group = g.group(0).unwrap();
    assert_eq!(group.days(&g).len(), 2);
    assert_eq!(group.lines, 3);
    assert_eq!(group.spend, 300);
    assert_eq!(g.trip_days.len(), 2);
}

#[test]
fn the_repurchase_interval_is_the_median_gap_shrunk_towards_the_population() {
    // Gaps 7, 7, 8, 30: the median 7.5 resists the one long gap.
    let m = member(
        "1",
        [0, 7, 14, 22, 52].iter().map(|&d| buy(0, d, 100)).collect(),
    );
    let params = Params::default();
    let g = PurchaseGroups::build(&m, day(60), &params);
    let f = features::features(
        g.group(0).unwrap(),
        &g,
        params.day_fraction(day(60)),
        25.0,
        None,
        &params.scoring,
    );
    assert_eq!(f.own_interval, Some(7.5));
    // four gaps of median 7.5 and k pseudo-gaps of 25: (4·7.5 + k·25) / (4 + k)
    let k = params.scoring.interval_shrinkage;
    let expected = (4.0 * 7.5 + k * 25.0) / (4.0 + k);
    assert!((f.interval - expected).abs() < 1e-9, "{}", f.interval);
    assert_eq!(f.days_since_last, 8);
    assert!((f.due_in - (expected - 8.0)).abs() < 1e-9);
    // Few gaps lean on the population, many on the member.
    assert_eq!(shrunk_interval(None, 0, 25.0, 2.0), 25.0);
    assert!((shrunk_interval(Some(7.0), 1, 25.0, 2.0) - 19.0).abs() < 1e-9);
    assert!((shrunk_interval(Some(7.0), 40, 25.0, 2.0) - 7.857).abs() < 1e-3);
}

#[test]
fn brand_loyalty_needs_four_in_five_purchases_of_one_kind() {
    assert_eq!(segments::loyalty(8, 2), BrandLoyalty::National);
    assert_eq!(segments::loyalty(7, 3), BrandLoyalty::Switcher);
    assert_eq!(segments::loyalty(2, 8), BrandLoyalty::Store);
    assert_eq!(segments::loyalty(3, 7), BrandLoyalty::Switcher);
    assert_eq!(segments::loyalty(0, 0), BrandLoyalty::Switcher);
}

#[test]
fn usage_is_relative_to_the_categorys_buyers() {
    let mut spends: Vec<i64> = (1..=10).map(|i| i * 100).collect();
    let thresholds = segments::usage_thresholds(&mut spends);
    assert_eq!(thresholds, (500, 800));
    assert_eq!(segments::usage(500, thresholds), Usage::Low);
    assert_eq!(segments::usage(600, thresholds), Usage::Mid);
    assert_eq!(segments::usage(800, thresholds), Usage::Mid);
    assert_eq!(segments::usage(900, thresholds), Usage::High);
    // Everyone spending the same: nobody stands out.
    let same = segments::usage_thresholds(&mut [300; 7]);
    assert_eq!(segments::usage(300, same), Usage::Low);
    let heavy = CategoryUse {
        category: 0,
        weekly_spend: 1000,
        national_lines: 9,
        store_lines: 1,
    };
    assert_eq!(
        segments::segment(&heavy, thresholds),
        Segment::new(BrandLoyalty::National, Usage::High)
    );
    // All nine segments have distinct names that read back.
    for s in Segment::ALL {
        assert_eq!(Segment::parse(&s.name()), Some(s));
    }
}

#[test]
fn segments_come_out_of_the_plan_per_category() {
    let cat = catalogue();
    // Member a: heavy national milk buyer; b and c light, b on store milk.
    let a = member("a", (0..20).map(|w| buy(0, w * 7, 400)).collect());
    let b = member("b", (0..5).map(|w| buy(1, w * 7, 100)).collect());
    let c = member(
        "c",
        (0..6)
            .map(|w| buy(if w % 2 == 0 { 0 } else { 1 }, w * 7, 150))
            .collect(),
    );
    let plan = plan_lists(&cat, &[a, b, c], &[], day(140), &Params::default());
    let milk = plan.population.category_named("MILK").unwrap();
    assert_eq!(
        plan.lists[0].segment_in(milk),
        Some(Segment::new(BrandLoyalty::National, Usage::High))
    );
    assert_eq!(
        plan.lists[1].segment_in(milk).unwrap().loyalty,
        BrandLoyalty::Store
    );
    assert_eq!(
        plan.lists[2].segment_in(milk).unwrap().loyalty,
        BrandLoyalty::Switcher
    );
    assert_eq!(plan.lists[1].segment_in(milk).unwrap().usage, Usage::Low);
}

#[test]
fn eligibility_averages_the_recent_weeks_before_the_cut_off() {
    let params = Params::default(); // 25.00 a week over 8 weeks
    let mut m = member("1", (0..8).map(|w| buy(0, 60 + w * 7, 2_500)).collect());
    let as_of = day(60 + 8 * 7);
    assert_eq!(weekly_spend(&m, as_of, 8), 2_500);
    assert!(eligibility(&m, as_of, &params).eligible);
    // A week's purchase taken away: below the threshold.
    m.purchases.pop();
    assert_eq!(weekly_spend(&m, as_of, 8), 2_187);
    assert!(!eligibility(&m, as_of, &params).eligible);
    // Spending after the cut-off does not count; spending before the window neither.
    m.purchases.push(buy(0, 60 + 8 * 7 + 1, 100_000));
    m.purchases.push(buy(0, 1, 100_000));
    assert!(!eligibility(&m, as_of, &params).eligible);
    assert_eq!(weekly_spend(&m, as_of, 0), 0);
}

#[test]
fn a_regular_recent_product_ranks_above_an_old_one_off() {
    let cat = catalogue();
    let mut purchases: Vec<Purchase> = (0..10).map(|w| buy(0, 30 + w * 7, 300)).collect();
    purchases.push(buy(4, 2, 9_000));
    purchases.push(buy(2, 95, 250));
    let m = member("1", purchases);
    let others: Vec<MemberHistory> = (0..5)
        .map(|i| {
            member(
                &format!("o{i}"),
                (0..8).map(|w| buy(0, w * 9, 300)).collect(),
            )
        })
        .collect();
    let mut all = vec![m];
    all.extend(others);
    let (lists, _) = rank_all(&cat, &all, day(100), &Params::default());
    let order: Vec<u32> = lists[0].iter().map(|i| i.product).collect();
    assert_eq!(order[0], 0, "{:?}", lists[0]);
    let pos = |p| order.iter().position(|&x| x == p).unwrap();
    assert!(pos(2) < pos(4), "{order:?}");
    assert!(
        lists[0][0]
            .reason
            .starts_with("usually every 7 days, last bought"),
        "{}",
        lists[0][0].reason
    );
    assert_eq!(lists[0][pos(4)].reason, "bought once, 98 days ago");
}

#[test]
fn a_product_the_store_does_not_stock_is_never_listed() {
    // Product 0, bought every week, is known only from the history (e.g. fuel the store
    // never priced): neither the member's list nor the best sellers name it.
    let mut cat = catalogue();
    cat[0].stocked = false;
    let weekly = |id: &str| member(id, (0..10).map(|w| buy(0, 30 + w * 7, 300)).collect());
    let mut m = weekly("1");
    m.purchases.push(buy(2, 95, 250));
    let all = vec![m, weekly("2"), weekly("3")];
    let (lists, population) = rank_all(&cat, &all, day(100), &Params::default());
    assert!(lists[0].iter().all(|i| i.product != 0), "{:?}", lists[0]);
    assert!(lists[0].iter().any(|i| i.product == 2), "{:?}", lists[0]);
    assert!(!population.top_sellers.contains(&0));
    assert!(!population.selling_now.contains(&0));
    // Stocked again, it leads the list.
    cat[0].stocked = true;
    let (lists, _) = rank_all(&cat, &all, day(100), &Params::default());
    assert_eq!(lists[0][0].product, 0);
}

/// 0.50 off milk, for everyone, with a budget for a couple of coupons.
fn milk_deal() -> Deal {
    Deal {
        id: "D".into(),
        title: "Milk".into(),
        funding: Funding::Store,
        target: DealTarget::Category("MILK".into()),
        value: OfferValue::AmountOff(50),
        max_discount: None,
        min_spend: 0,
        budget: 120,
        segments: vec![],
        valid_from: day(0),
        valid_until: day(400),
        switch_to_store_brand: false,
    }
}

fn history_strategy() -> impl Strategy<Value = Vec<MemberHistory>> {
    prop::collection::vec(
        prop::collection::vec((0u32..5, 0i64..200, 1i64..5_000), 1..40),
        1..6,
    )
    .prop_map(|members| {
        members
            .into_iter()
            .enumerate()
            .map(|(i, lines)| {
                member(
                    &format!("m{i}"),
                    lines.into_iter().map(|(p, d, a)| buy(p, d, a)).collect(),
                )
            })
            .collect()
    })
}

proptest! {
    /// Lists as of a cut-off are the same whatever anyone bought from then on: the
    /// member's own later purchases and everybody else's change nothing.
    #[test]
    fn purchases_after_the_cut_off_change_nothing(
        histories in history_strategy(),
        later in prop::collection::vec((0usize..6, 0u32..5, 0i64..60, 1i64..9_000), 1..30),
    ) {
        let cat = catalogue();
        let as_of = day(120);
        let params = Params { min_weekly_spend: 0, ..Params::default() };
        let deal = milk_deal();
        let before = plan_lists(&cat, &histories, std::slice::from_ref(&deal), as_of, &params);
        let mut extended = histories.clone();
        for (m, p, d, a) in later {
            let m = m % extended.len();
            extended[m].purchases.push(Purchase { product: p, at: as_of + Duration::days(d), amount: a });
        }
        let after = plan_lists(&cat, &extended, std::slice::from_ref(&deal), as_of, &params);
        prop_assert_eq!(&before.lists, &after.lists);
        prop_assert_eq!(&before.budget_left, &after.budget_left);
        prop_assert_eq!(&before.population, &after.population);
    }

    /// Members read in batches of any size give the population figures of all of them at
    /// once, and (with no neighbours read: the linear ranking) the same lists and deal
    /// candidates, each candidate naming its member's place in the whole.
    #[test]
    fn batches_make_what_one_pass_makes(histories in history_strategy(), batch in 1usize..5) {
        let cat = catalogue();
        let as_of = day(120);
        let params = Params { min_weekly_spend: 0, reranker: None, ..Params::default() };
        let deal = milk_deal();
        let whole = plan_lists(&cat, &histories, std::slice::from_ref(&deal), as_of, &params);
        let (groups, uses, _) = prepare(&cat, &histories, as_of, &params);
        let built = Population::build(&cat, &groups, &uses, params.day_of(as_of), params.period_days);
        prop_assert_eq!(&whole.population, &built);
        let (mut lists, mut candidates, mut firsts) = (Vec::new(), Vec::new(), Vec::new());
        let population = plan_batches(
            &cat,
            &histories.as_slice(),
            std::slice::from_ref(&deal),
            as_of,
            &params,
            batch,
            |b| {
                firsts.push(b.first);
                lists.extend(b.lists);
                candidates.extend(b.candidates);
            },
        );
        prop_assert_eq!(&population, &whole.population);
        prop_assert_eq!(firsts, (0..histories.len()).step_by(batch).collect::<Vec<_>>());
        let unallocated: Vec<MemberList> = whole
            .lists
            .iter()
            .map(|l| MemberList { offers: Vec::new(), ..l.clone() })
            .collect();
        prop_assert_eq!(&lists, &unallocated);
        let mut at_once = Vec::new();
        plan_batches(&cat, &histories.as_slice(), std::slice::from_ref(&deal), as_of, &params, 1_000, |b| {
            at_once.extend(b.candidates);
        });
        let key = |c: &Candidate| (c.member, c.deal, c.product, c.weekly_spend);
        prop_assert_eq!(
            candidates.iter().map(key).collect::<Vec<_>>(),
            at_once.iter().map(key).collect::<Vec<_>>()
        );
        for c in &candidates {
            prop_assert!(whole.lists[c.member].eligibility.eligible);
        }
    }

    /// A median of counted values is the median of the values repeated.
    #[test]
    fn a_counted_median_is_the_median_of_the_values_repeated(
        counted in prop::collection::btree_map(-50i32..400, 1u64..6, 0..12),
    ) {
        let counted: Vec<(i32, u64)> = counted.into_iter().collect();
        let expanded: Vec<i32> = counted
            .iter()
            .flat_map(|&(v, c)| std::iter::repeat_n(v, c as usize))
            .collect();
        prop_assert_eq!(
            population::median_counted(&counted),
            population::median_sorted(&expanded)
        );
    }

    /// Budgets are never overspent, and no member gets one deal twice.
    #[test]
    fn budgets_are_never_overspent(
        deals in prop::collection::vec((1i64..2_000, 0i64..10_000, any::<bool>(), 1u32..10_000, 1i64..3_000), 1..5),
        candidates in prop::collection::vec((0usize..30, 0usize..5, 0usize..9, 0i64..100_000), 0..200),
        max_offers in 0usize..6,
    ) {
        let deals: Vec<Deal> = deals
            .into_iter()
            .enumerate()
            .map(|(i, (amount, budget, percent, bp, cap))| Deal {
                id: format!("D{i}"),
                title: "x".into(),
                funding: Funding::Manufacturer("M1".into()),
                target: DealTarget::Product(0),
                value: if percent { OfferValue::PercentOff(bp) } else { OfferValue::AmountOff(amount) },
                max_discount: if percent { Some(cap) } else { None },
                min_spend: 0,
                budget,
                segments: vec![],
                valid_from: day(0),
                valid_until: day(1),
                switch_to_store_brand: false,
            })
            .collect();
        let n = deals.len();
        let candidates: Vec<Candidate> = candidates
            .into_iter()
            .map(|(member, deal, segment, spend)| Candidate {
                member,
                deal: deal % n,
                segment: Segment::ALL[segment],
                weekly_spend: spend,
                product: Some(0),
                instead_of: None,
            })
            .collect();
        let (granted, left) = allocate(&deals, candidates, 30, max_offers);
        for (d, deal) in deals.iter().enumerate() {
            let reserved: i64 = granted.iter().flatten().filter(|o| o.deal == d).map(|o| o.reserved).sum();
            prop_assert!(reserved <= deal.budget, "deal {} promised {} of {}", d, reserved, deal.budget);
            prop_assert_eq!(left[d], deal.budget - reserved);
            prop_assert!(left[d] >= 0);
        }
        for offers in &granted {
            prop_assert!(offers.len() <= max_offers);
            let mut ids: Vec<usize> = offers.iter().map(|o| o.deal).collect();
            ids.sort_unstable();
            ids.dedup();
            prop_assert_eq!(ids.len(), offers.len());
        }
    }
}

#[test]
fn loyal_heavy_users_get_the_deepest_offer_and_budgets_run_out_in_their_favour() {
    let deal = Deal {
        id: "D".into(),
        title: "x".into(),
        funding: Funding::Store,
        target: DealTarget::Product(0),
        value: OfferValue::AmountOff(100),
        max_discount: None,
        min_spend: 0,
        budget: 150,
        segments: vec![],
        valid_from: day(0),
        valid_until: day(1),
        switch_to_store_brand: false,
    };
    let candidate = |member, segment: Segment| Candidate {
        member,
        deal: 0,
        segment,
        weekly_spend: 0,
        product: Some(0),
        instead_of: None,
    };
    let light = Segment::new(BrandLoyalty::Switcher, Usage::Low);
    let heavy = Segment::new(BrandLoyalty::National, Usage::High);
    let (granted, left) = allocate(
        std::slice::from_ref(&deal),
        vec![
            candidate(0, light),
            candidate(1, heavy),
            candidate(2, light),
        ],
        3,
        8,
    );
    assert_eq!(granted[1][0].value, OfferValue::AmountOff(100));
    assert_eq!(granted[0][0].value, OfferValue::AmountOff(50));
    assert!(granted[2].is_empty(), "the budget was spent");
    assert_eq!(left, vec![0]);
}

#[test]
fn switch_deals_go_to_national_loyal_heavy_users_with_the_store_brand_on_their_list() {
    let cat = catalogue();
    let heavy = member("a", (0..20).map(|w| buy(0, w * 7, 500)).collect());
    let light: Vec<MemberHistory> = (0..6)
        .map(|i| {
            member(
                &format!("b{i}"),
                (0..4).map(|w| buy(0, w * 30, 100)).collect(),
            )
        })
        .collect();
    let mut all = vec![heavy];
    all.extend(light);
    let deal = Deal {
        id: "SW".into(),
        title: "Try our milk".into(),
        funding: Funding::Store,
        target: DealTarget::Product(1),
        value: OfferValue::PercentOff(2_000),
        max_discount: Some(200),
        min_spend: 0,
        budget: 10_000,
        segments: vec![],
        valid_from: day(0),
        valid_until: day(400),
        switch_to_store_brand: true,
    };
    let params = Params {
        min_weekly_spend: 0,
        ..Params::default()
    };
    let plan = plan_lists(&cat, &all, std::slice::from_ref(&deal), day(140), &params);
    assert_eq!(plan.lists[0].offers.len(), 1);
    let offer = &plan.lists[0].offers[0];
    assert_eq!((offer.product, offer.instead_of), (Some(1), Some(0)));
    assert!(
        plan.lists[0]
            .items
            .iter()
            .any(|i| i.product == 1 && i.reason.contains("instead of"))
    );
    assert!(plan.lists[1..].iter().all(|l| l.offers.is_empty()));
}

#[test]
fn signed_lists_carry_the_offers_and_verify() {
    let cat = catalogue();
    let m = member("a", (0..20).map(|w| buy(0, w * 7, 500)).collect());
    let deal = Deal {
        id: "MILK".into(),
        title: "0.50 off milk".into(),
        funding: Funding::Manufacturer("M7".into()),
        target: DealTarget::Category("MILK".into()),
        value: OfferValue::AmountOff(50),
        max_discount: None,
        min_spend: 0,
        budget: 1_000,
        segments: vec![],
        valid_from: day(0),
        valid_until: day(145),
        switch_to_store_brand: false,
    };
    let params = Params {
        min_weekly_spend: 0,
        ..Params::default()
    };
    let plan = plan_lists(&cat, &[m], std::slice::from_ref(&deal), day(140), &params);
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let signed = sign_member_list(&plan.lists[0], &[deal], &cat, &key, 50).unwrap();
    signed.verify(&key.verifying_key()).unwrap();
    let coupon = &signed.list.coupons[0].coupon;
    assert_eq!(
        coupon.valid_until,
        day(145),
        "the deal ends before the period"
    );
    assert_eq!(coupon.funded_by.as_deref(), Some("M7"));
    assert_eq!(coupon.id, coupon_id("a", "MILK", day(140)));
    assert_eq!(signed.list.id, list_id("a", day(140)));
    assert!(signed.list.id.len() <= 20 && coupon.id.len() <= 20);
    assert_ne!(
        coupon_id("a", "MILK", day(140)),
        coupon_id("b", "MILK", day(140))
    );
}

#[test]
fn metrics_count_hits_against_what_was_bought() {
    let ranked = [5, 1, 9, 2];
    let bought = [1, 2, 3, 4];
    let s = measure([(&ranked[..], &bought[..])]);
    assert_eq!(s.members, 1);
    assert!((s.recall_10 - 0.5).abs() < 1e-12);
    assert_eq!(s.hit_rate_10, 1.0);
    let dcg = 1.0 / 3f64.log2() + 1.0 / 5f64.log2();
    let ideal: f64 = (0..4).map(|i| 1.0 / (f64::from(i) + 2.0).log2()).sum();
    assert!((s.ndcg_10 - dcg / ideal).abs() < 1e-12);
    // A member who bought nothing is not measured.
    let none = measure([(&ranked[..], &[][..])]);
    assert_eq!(none.members, 0);
}

#[test]
fn the_frequency_baseline_orders_by_purchase_days_then_recency() {
    let cat = catalogue();
    let m = member(
        "a",
        vec![
            buy(2, 1, 1),
            buy(2, 2, 1),
            buy(0, 3, 1),
            buy(0, 9, 1),
            buy(3, 5, 1),
        ],
    );
    let params = Params::default();
    let (groups, _, population) = prepare(&cat, &[m], day(20), &params);
    assert_eq!(most_frequent(&groups[0], &population, 3), vec![0, 2, 3]);
}

#[test]
fn category_days_and_trips_are_counted_from_the_members_own_history() {
    // Milk 0 on days 0 and 7, milk 1 on days 7 and 10, bread 2 on day 3.
    let m = member(
        "1",
        vec![
            buy(0, 0, 100),
            buy(0, 7, 100),
            buy(1, 7, 90),
            buy(1, 10, 90),
            buy(2, 3, 200),
        ],
    );
    let params = Params::default();
    let g = PurchaseGroups::build(&m, day(12), &params);
    let (category_of, names) = population::category_index(&catalogue());
    let milk = names.iter().position(|n| n == "MILK").unwrap() as u32;
    let bread = names.iter().position(|n| n == "BREAD").unwrap() as u32;
    let categories = CategoryDays::build(&g, &category_of);
    let first_day = params.day_of(day(0));
    // Day 7 holds both milks but counts once.
    assert_eq!(categories.get(milk), Some((first_day + 10, 3)));
    assert_eq!(categories.get(bread), Some((first_day + 3, 1)));
    assert_eq!(categories.get(milk + bread + 1), None);
    let f = features::features(
        g.group(0).unwrap(),
        &g,
        params.day_fraction(day(12)),
        25.0,
        categories.get(milk),
        &params.scoring,
    );
    assert_eq!((f.purchase_days, f.category_days), (2, 3));
    assert_eq!(f.category_days_since_last, 2);
    assert_eq!(f.days_since_first, 12);
    // Shopping days 0, 3, 7, 10: four since its first purchase, one after its last.
    assert_eq!((f.trips_since_first, f.trips_since_last), (4, 1));
}

#[test]
fn of_two_products_bought_alike_the_one_from_a_category_bought_more_often_ranks_first() {
    // Milk 0 and bread 2 on the same days; the member also buys milk 1 in between, so
    // milk is a weekly need and bread a fortnightly one.
    let mut purchases = Vec::new();
    for d in [0, 14, 28, 42] {
        purchases.push(buy(0, d, 100));
        purchases.push(buy(2, d, 100));
        purchases.push(buy(1, d + 7, 90));
    }
    let members = vec![member("1", purchases)];
    let params = Params::default();
    let as_of = day(50);
    let (groups, _, population) = prepare(&catalogue(), &members, as_of, &params);
    let scores: std::collections::HashMap<u32, f64> =
        ranking::score_all(&groups[0], &population, as_of, &params)
            .into_iter()
            .collect();
    assert!(scores[&0] > scores[&2], "{scores:?}");
    let ranked: Vec<u32> = rank(&groups[0], &population, as_of, &params, None)
        .iter()
        .map(|i| i.product)
        .collect();
    let place = |p: u32| ranked.iter().position(|&q| q == p).unwrap();
    assert!(place(0) < place(2), "{ranked:?}");
}

#[test]
fn the_reranker_reorders_the_top_of_the_list_by_its_trees() {
    // Product p is bought every (p + 1) weeks: the weekly one comes first by the linear
    // score.
    let mut purchases = Vec::new();
    for p in 0..5u32 {
        let every = 7 * (i64::from(p) + 1);
        purchases.extend((0..70 / every).map(|k| buy(p, k * every, 100)));
    }
    let members = vec![member("1", purchases)];
    let as_of = day(70);
    let linear = Params {
        list_len: 4,
        reranker: None,
        ..Params::default()
    };
    let (groups, _, population) = prepare(&catalogue(), &members, as_of, &linear);
    let linear_order: Vec<u32> = rank(&groups[0], &population, as_of, &linear, None)
        .iter()
        .map(|i| i.product)
        .collect();
    assert_eq!(linear_order.len(), 4);
    assert_eq!(linear_order[0], 0);

    // Trees taught that the last of the five candidates (by TIFU-KNN's blend) is the one
    // bought.
    let tifu = baselines::TifuKnn {
        group_size: 3,
        within: 0.9,
        across: 0.9,
        neighbours: 0,
        alpha: 1.0,
    };
    let signals = tifu.own_signals(&groups[0]);
    let rows = ranking::candidate_rows(
        &groups[0],
        &population,
        as_of,
        &linear,
        (&tifu, &signals),
        50,
    );
    assert_eq!(rows.len(), 5);
    let last = rows[4].0;
    assert_ne!(last, linear_order[0]);
    let x: Vec<_> = (0..40).flat_map(|_| rows.iter().map(|r| r.1)).collect();
    let y: Vec<f64> = (0..40)
        .flat_map(|_| rows.iter().map(|r| f64::from(u8::from(r.0 == last))))
        .collect();
    let settings = rerank::FitSettings {
        trees: 30,
        depth: 3,
        learning_rate: 0.3,
        min_leaf_weight: 1.0,
    };
    let model =
        rerank::Reranker::fit(&x, &y, &vec![1.0; x.len()], &settings, (50, tifu), as_of).unwrap();
    let params = Params {
        reranker: Some(std::sync::Arc::new(model)),
        ..linear.clone()
    };
    let ranked = rank(&groups[0], &population, as_of, &params, Some(&signals));
    assert_eq!(ranked.len(), 4);
    // Without signals the member's own vector is read, as these are.
    assert_eq!(rank(&groups[0], &population, as_of, &params, None), ranked);
    assert_eq!(ranked[0].product, last, "{ranked:?}");
    assert!(ranked.windows(2).all(|w| w[0].score >= w[1].score));
    // Reasons still come from the member's own history.
    assert!(
        ranked[0].reason.starts_with("usually every "),
        "{}",
        ranked[0].reason
    );
}

#[test]
fn coupon_affinity_is_the_members_spend_on_the_coupons_products() {
    let m = member(
        "1",
        vec![
            buy(0, 1, 250),
            buy(0, 8, 250),
            buy(2, 3, 400),
            buy(4, 200, 9_000),
        ],
    );
    let params = Params::default();
    let groups = PurchaseGroups::build(&m, day(100), &params);
    assert_eq!(offers::coupon_affinity(&groups, &[0, 2]), 900);
    // A product listed twice counts once; one never bought adds nothing, nor does a
    // purchase after the cut-off.
    assert_eq!(offers::coupon_affinity(&groups, &[0, 0, 1]), 500);
    assert_eq!(offers::coupon_affinity(&groups, &[4]), 0);
}
