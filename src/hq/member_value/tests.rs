//! RFM scoring, the Pareto table and slipping away against small reference models that
//! compute the same definitions another way (pairwise comparisons, sorting by hand,
//! walking the calendar).

use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;

/// Quintile score by its definition, with pairwise comparisons: a fifth passed for each
/// threshold k/5 that the share of members worse (plus half those equal) reaches.
fn reference_score(values: &[i64], i: usize, higher_is_better: bool) -> u8 {
    let better = |a: i64, b: i64| if higher_is_better { a > b } else { a < b };
    let worse = values.iter().filter(|&&v| better(values[i], v)).count();
    let equal = values.iter().filter(|&&v| v == values[i]).count();
    let twice_rank = 2 * worse + equal;
    let n = values.len();
    1 + (1..=4).filter(|k| twice_rank * 5 >= k * 2 * n).count() as u8
}

#[test]
fn distinct_values_split_into_fifths() {
    let values: Vec<i64> = (1..=10).collect();
    assert_eq!(
        quintile_scores(&values, true),
        [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    );
    assert_eq!(
        quintile_scores(&values, false),
        [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    );
    // Ties score alike; one member alone is in the middle.
    assert_eq!(quintile_scores(&[7, 7, 7], true), [3, 3, 3]);
    assert_eq!(quintile_scores(&[42], true), [3]);
    assert!(quintile_scores(&[], true).is_empty());
}

#[test]
fn segments_follow_the_rules_in_order() {
    assert_eq!(Segment::classify(5, 5, 5, 20), Segment::Champions);
    assert_eq!(Segment::classify(5, 1, 5, 1), Segment::New);
    assert_eq!(Segment::classify(4, 2, 3, 2), Segment::Potential);
    assert_eq!(Segment::classify(3, 4, 3, 6), Segment::Loyal);
    assert_eq!(Segment::classify(3, 1, 2, 2), Segment::NeedsAttention);
    assert_eq!(Segment::classify(1, 5, 4, 9), Segment::CantLose);
    assert_eq!(Segment::classify(2, 5, 5, 9), Segment::AtRisk);
    assert_eq!(Segment::classify(1, 3, 3, 4), Segment::AtRisk);
    assert_eq!(Segment::classify(2, 2, 1, 2), Segment::Hibernating);
    assert_eq!(Segment::classify(1, 1, 2, 1), Segment::Lost);
    for s in Segment::ALL {
        assert_eq!(Segment::parse(s.name()), Some(s));
        assert_eq!(
            serde_json::to_value(s).unwrap(),
            serde_json::json!(s.name())
        );
    }
    assert_eq!(Segment::parse("vip"), None);
}

#[test]
fn members_who_bought_only_before_the_window_are_lost() {
    let figures = |id: &str, r, f, m| Figures {
        member_id: id.into(),
        recency_days: r,
        frequency: f,
        monetary: m,
    };
    let scored = score(vec![
        figures("A", 1, 30, 90_000),
        figures("B", 200, 2, 1_000),
        figures("C", 400, 0, 0),
    ]);
    let by = |id: &str| scored.iter().find(|s| s.figures.member_id == id).unwrap();
    assert_eq!((by("A").r, by("A").f, by("A").m), (4, 4, 4));
    assert_eq!(by("A").segment, Segment::Champions);
    assert_eq!((by("B").r, by("B").f, by("B").m), (2, 2, 2));
    assert_eq!(by("B").segment, Segment::Hibernating);
    assert_eq!((by("C").r, by("C").f, by("C").m), (1, 1, 1));
    assert_eq!(by("C").segment, Segment::Lost);
}

#[test]
fn the_pareto_table_on_a_hundred_members() {
    // Member i spent i·100: the top member 10,000 of 505,000.
    let monetary: Vec<i64> = (1..=100).map(|i| i * 100).collect();
    let p = pareto(&monetary, 1_010_000);
    assert_eq!(p.members, 100);
    assert_eq!(p.member_net, 505_000);
    assert!((p.member_share_of_sales - 0.5).abs() < 1e-12);
    let rows: Vec<(u32, i64, i64)> = p
        .top
        .iter()
        .map(|r| (r.top_percent, r.members, r.net))
        .collect();
    // Top 5: 100+99+98+97+96 = 490 (×100); top 20: sum 81..=100 = 1810 (×100).
    assert_eq!(rows, [(1, 1, 10_000), (5, 5, 49_000), (20, 20, 181_000)]);
    // Nothing sold: zeros, not errors.
    let empty = pareto(&[], 0);
    assert_eq!((empty.members, empty.member_net), (0, 0));
    assert!(
        empty
            .top
            .iter()
            .all(|r| r.members == 0 && r.share_of_member_net == 0.0)
    );
    assert_eq!(empty.member_share_of_sales, 0.0);
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[test]
fn slipping_away_against_the_members_own_cycle() {
    let weekly = [day("2026-01-01"), day("2026-01-08"), day("2026-01-15")];
    // Median gap 7: 14 days since is not past 2×7, 15 is.
    assert_eq!(slipping(&weekly, day("2026-01-29"), 2.0, 3), None);
    let c = slipping(&weekly, day("2026-01-30"), 2.0, 3).unwrap();
    assert_eq!((c.days_since, c.median_gap_days), (15, 7.0));
    assert_eq!(c.last_purchase, day("2026-01-15"));
    // Two purchase days are not a cycle.
    assert_eq!(slipping(&weekly[..2], day("2026-06-01"), 2.0, 3), None);
    // An even count of gaps takes the mean of the middle two: gaps 1, 3, 5, 100 → 4.
    let days = [
        day("2026-01-01"),
        day("2026-01-02"),
        day("2026-01-05"),
        day("2026-01-10"),
        day("2026-04-20"),
    ];
    assert_eq!(slipping(&days, day("2026-04-28"), 2.0, 3), None);
    let c = slipping(&days, day("2026-04-29"), 2.0, 3).unwrap();
    assert_eq!(c.median_gap_days, 4.0);
}

proptest! {
    #[test]
    fn quintile_scores_match_the_pairwise_definition(
        values in prop::collection::vec(-50i64..50, 1..60),
        higher in any::<bool>(),
    ) {
        let scores = quintile_scores(&values, higher);
        for (i, score) in scores.iter().enumerate() {
            prop_assert_eq!(*score, reference_score(&values, i, higher), "{:?} at {}", values, i);
        }
        // Better values never score lower.
        for i in 0..values.len() {
            for j in 0..values.len() {
                let better = if higher { values[i] > values[j] } else { values[i] < values[j] };
                if better {
                    prop_assert!(scores[i] >= scores[j]);
                }
            }
        }
    }

    #[test]
    fn pareto_shares_match_a_sort_by_hand(values in prop::collection::vec(0i64..100_000, 0..300)) {
        let p = pareto(&values, values.iter().sum::<i64>() * 2);
        let total: i64 = values.iter().sum();
        for row in &p.top {
            let k = ((values.len() as f64) * row.top_percent as f64 / 100.0).ceil() as usize;
            // The k largest by repeated selection of the maximum.
            let mut left = values.clone();
            let mut net = 0;
            for _ in 0..k {
                let (i, v) = left.iter().enumerate().max_by_key(|(_, v)| **v).map(|(i, v)| (i, *v)).unwrap();
                net += v;
                left.swap_remove(i);
            }
            prop_assert_eq!(row.members as usize, k);
            prop_assert_eq!(row.net, net);
            if total > 0 {
                prop_assert!((row.share_of_member_net - net as f64 / total as f64).abs() < 1e-12);
            }
        }
        // Shares grow with the share of members and never pass the whole.
        prop_assert!(p.top.windows(2).all(|w| w[0].net <= w[1].net));
        prop_assert!(p.top.iter().all(|r| r.share_of_member_net <= 1.0 + 1e-12));
    }

    #[test]
    fn slipping_matches_a_walk_over_the_calendar(
        offsets in prop::collection::btree_set(0i64..200, 0..12),
        after in 0i64..120,
        factor in 1.0f64..4.0,
    ) {
        let base = day("2025-01-01");
        let days: Vec<NaiveDate> = offsets.iter().map(|o| base + chrono::Duration::days(*o)).collect();
        let as_of = days.last().copied().unwrap_or(base) + chrono::Duration::days(after);
        let got = slipping(&days, as_of, factor, 3);
        // Reference: gaps by walking day by day between purchase days; the median by
        // counting, for each gap, how many are below and above it.
        let mut gaps = Vec::new();
        let mut walked = 0;
        let mut cursor = days.first().copied();
        for d in days.iter().skip(1) {
            let mut c = cursor.unwrap();
            while c < *d {
                c = c.succ_opt().unwrap();
                walked += 1;
            }
            gaps.push(walked);
            walked = 0;
            cursor = Some(*d);
        }
        if days.len() < 3 {
            prop_assert!(got.is_none());
        } else {
            let n = gaps.len();
            let mut sorted = gaps.clone();
            sorted.sort();
            let median = if n % 2 == 1 { sorted[n / 2] as f64 } else { (sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0 };
            let since = (as_of - *days.last().unwrap()).num_days();
            prop_assert_eq!(got.is_some(), since as f64 > factor * median);
            if let Some(c) = got {
                prop_assert_eq!(c.median_gap_days, median);
                prop_assert_eq!(c.days_since, after);
            }
        }
    }
}
