//! Property tests of the ledger: random sequences of sales, returns, adjustments, expiry
//! and time passing, run against [`PointsLedger`] and checked after every step against
//! an independent count of what each member should hold.

use super::*;
use chrono::Duration;
use proptest::sample::Index;

#[derive(Debug, Clone)]
enum Op {
    Sale {
        member: usize,
        lines: Vec<EarnLine>,
        redeem_pct: i64,
        tier: usize,
    },
    Return {
        sale: Index,
        cut: Vec<u8>,
    },
    ReturnRest {
        sale: Index,
    },
    Adjust {
        member: usize,
        points: i64,
    },
    Expire {
        member: usize,
    },
    Advance {
        hours: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0usize..2, earn_lines(), 0i64..=100, 0usize..4)
            .prop_map(|(member, lines, redeem_pct, tier)| Op::Sale { member, lines, redeem_pct, tier }),
        2 => (any::<Index>(), proptest::collection::vec(0u8..=100, 8))
            .prop_map(|(sale, cut)| Op::Return { sale, cut }),
        1 => any::<Index>().prop_map(|sale| Op::ReturnRest { sale }),
        1 => (0usize..2, -3_000i64..3_000).prop_map(|(member, points)| Op::Adjust { member, points }),
        1 => (0usize..2).prop_map(|member| Op::Expire { member }),
        2 => (1i64..1_000).prop_map(|hours| Op::Advance { hours }),
    ]
}

const MEMBERS: [&str; 2] = ["m-a", "m-b"];

/// What the test expects each member's points to be, counted independently of the ledger.
#[derive(Debug, Default, Clone, Copy)]
struct Expected {
    earned: i64,
    redeemed: i64,
    taken_back: i64,
    given_back: i64,
    adjusted_in: i64,
    adjusted_out: i64,
    expired: i64,
    clawed: i64,
    uncollected: i64,
}

impl Expected {
    fn balance(&self) -> i64 {
        self.earned - self.redeemed - self.taken_back + self.given_back + self.adjusted_in
            - self.adjusted_out
            - self.expired
            - self.clawed
    }
}

struct SaleState {
    member: usize,
    at: DateTime<Utc>,
    record: SaleLoyalty,
    refunded: Vec<(u32, i64)>,
    reversed: Reversal,
}

struct Sim {
    program: PointsProgram,
    ledger: PointsLedger,
    now: DateTime<Utc>,
    events: u32,
    sales: Vec<SaleState>,
    expected: [Expected; 2],
}

impl Sim {
    fn new(clawback: ClawbackPolicy) -> Sim {
        Sim {
            program: test_program(clawback),
            ledger: PointsLedger::new(clawback),
            now: at(2026, 1, 1),
            events: 0,
            sales: Vec::new(),
            expected: [Expected::default(); 2],
        }
    }

    fn event(&mut self, what: &str) -> String {
        self.events += 1;
        format!("{what}-{}", self.events)
    }

    fn sale(&mut self, member: usize, lines: &[EarnLine], redeem_pct: i64, tier: usize) {
        let m = MEMBERS[member];
        let total: i64 = lines.iter().map(|l| l.net).sum();
        let balance = self.ledger.balance(m);
        let most = self.program.max_redeemable(balance, total);
        let mut points = most * redeem_pct / 100;
        if points < self.program.min_redeem_points {
            points = 0;
        }
        let value = if points > 0 {
            self.program.check_redeem(points, balance, total).unwrap()
        } else {
            0
        };
        let earned = self.program.earn(lines, TIERS[tier], value);
        let event = self.event("sale");
        let ts = sale_transfers(
            m,
            &event,
            self.now,
            points,
            earned.total,
            &self.program.expiry,
        );
        self.ledger.apply_all(&ts).unwrap();
        let e = &mut self.expected[member];
        e.redeemed += points;
        e.earned += earned.total;
        self.sales.push(SaleState {
            member,
            at: self.now,
            record: SaleLoyalty::new(lines, &earned, points),
            refunded: Vec::new(),
            reversed: Reversal::default(),
        });
    }

    /// Returns `cut[i]`% of what is left of each line (every line named when `all`).
    fn return_lines(&mut self, sale: usize, cut: &[u8], all: bool) {
        let s = &self.sales[sale];
        let now: Vec<(u32, i64)> = s
            .record
            .net_per_line
            .iter()
            .enumerate()
            .filter(|&(i, _)| all || cut[i % cut.len()] > 0)
            .map(|(i, &(line, net))| {
                let done: i64 = s.refunded.iter().filter(|r| r.0 == line).map(|r| r.1).sum();
                let left = net.max(0) - done;
                let pct = if all {
                    100
                } else {
                    i64::from(cut[i % cut.len()])
                };
                (line, left * pct / 100)
            })
            .collect();
        let reversal = s.record.reverse(&s.refunded, s.reversed, &now).unwrap();
        let member = s.member;
        let m = MEMBERS[member];
        let given_back_expiry = self.program.expiry.expires_at(s.at);
        let event = self.event("return");
        let balance = self.ledger.balance(m);
        let posting = return_posting(
            m,
            &event,
            self.now,
            reversal,
            balance,
            self.program.clawback,
            given_back_expiry,
        );
        self.ledger.post(&posting).unwrap();

        let e = &mut self.expected[member];
        e.given_back += reversal.redeemed_back;
        let take = reversal.earned_back.min((e.balance()).max(0));
        e.taken_back += take;
        match self.program.clawback {
            ClawbackPolicy::CapAtZero => e.uncollected += reversal.earned_back - take,
            ClawbackPolicy::AllowNegative => e.clawed += reversal.earned_back - take,
        }
        let s = &mut self.sales[sale];
        s.refunded.extend(now);
        s.reversed = s.reversed.plus(reversal);
    }

    fn adjust(&mut self, member: usize, points: i64) {
        if points == 0 {
            return;
        }
        let m = MEMBERS[member];
        let event = self.event("adjust");
        let t = Transfer {
            id: transfer_id(&event, TransferKind::Adjust, 0),
            member_id: m.to_string(),
            kind: TransferKind::Adjust,
            points,
            at: self.now,
            source: event,
            expires_at: None,
        };
        let before = self.ledger.balance(m);
        let history = self.ledger.history(m).len();
        match self.ledger.apply(t) {
            Ok(Applied::New) if points > 0 => self.expected[member].adjusted_in += points,
            Ok(Applied::New) => self.expected[member].adjusted_out -= points,
            Ok(Applied::Duplicate) => panic!("a new adjustment was taken for a replay"),
            Err(LedgerError::InsufficientPoints { balance, wanted }) => {
                assert_eq!((balance, wanted), (before, -points));
                assert!(before + points < 0);
                assert_eq!(self.ledger.balance(m), before);
                assert_eq!(self.ledger.history(m).len(), history);
            }
            Err(e) => panic!("unexpected refusal: {e}"),
        }
    }

    fn expire(&mut self, member: usize) {
        let m = MEMBERS[member];
        let due = self.ledger.expire_due(m, self.now, &self.program.expiry);
        self.ledger.apply_all(&due).unwrap();
        self.expected[member].expired -= due.iter().map(|t| t.points).sum::<i64>();
    }

    fn run(&mut self, op: &Op) {
        match op {
            Op::Sale {
                member,
                lines,
                redeem_pct,
                tier,
            } => self.sale(*member, lines, *redeem_pct, *tier),
            Op::Return { sale, cut } if !self.sales.is_empty() => {
                let i = sale.index(self.sales.len());
                self.return_lines(i, cut, false);
            }
            Op::ReturnRest { sale } if !self.sales.is_empty() => {
                let i = sale.index(self.sales.len());
                self.return_lines(i, &[100], true);
                let s = &self.sales[i];
                assert_eq!(
                    s.reversed,
                    Reversal {
                        earned_back: s.record.earned_total(),
                        redeemed_back: s.record.redeemed_points
                    }
                );
            }
            Op::Return { .. } | Op::ReturnRest { .. } => {}
            Op::Adjust { member, points } => self.adjust(*member, *points),
            Op::Expire { member } => self.expire(*member),
            Op::Advance { hours } => self.now += Duration::hours(*hours),
        }
    }

    /// The invariants that hold after every operation.
    fn check(&self) -> Result<(), TestCaseError> {
        for (i, m) in MEMBERS.iter().enumerate() {
            let e = &self.expected[i];
            let balance = self.ledger.balance(m);
            let history: i64 = self.ledger.history(m).iter().map(|t| t.points).sum();
            prop_assert_eq!(balance, history, "balance is the sum of transfers");
            prop_assert_eq!(
                balance,
                e.balance(),
                "balance matches what was moved: {:?}",
                e
            );
            prop_assert!(
                balance <= e.earned + e.adjusted_in,
                "points from nothing: balance {} > earned {} + adjusted {}",
                balance,
                e.earned,
                e.adjusted_in
            );
            prop_assert!(e.given_back <= e.redeemed);
            prop_assert_eq!(self.ledger.uncollected(m), e.uncollected);
            match self.program.clawback {
                ClawbackPolicy::CapAtZero => {
                    prop_assert!(balance >= 0, "negative balance {}", balance);
                    prop_assert_eq!(e.clawed, 0);
                }
                ClawbackPolicy::AllowNegative => {
                    prop_assert!(balance >= -e.clawed, "below zero beyond clawbacks");
                    prop_assert_eq!(e.uncollected, 0);
                }
            }
            let lots: i64 = self.ledger.lots(m).iter().map(|l| l.remaining).sum();
            if balance >= 0 {
                prop_assert_eq!(lots, balance, "unused lots hold the balance");
            } else {
                prop_assert_eq!(lots, 0);
            }
        }
        for s in &self.sales {
            prop_assert!(s.reversed.earned_back <= s.record.earned_total());
            prop_assert!(s.reversed.redeemed_back <= s.record.redeemed_points);
        }
        Ok(())
    }

    fn all_transfers(&self) -> Vec<Transfer> {
        MEMBERS
            .iter()
            .flat_map(|m| self.ledger.history(m).into_iter().cloned())
            .collect()
    }
}

fn policy() -> impl Strategy<Value = ClawbackPolicy> {
    prop_oneof![
        Just(ClawbackPolicy::CapAtZero),
        Just(ClawbackPolicy::AllowNegative)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn no_sequence_goes_negative_or_makes_points_from_nothing(
        clawback in policy(),
        ops in proptest::collection::vec(op(), 0..40),
    ) {
        let mut sim = Sim::new(clawback);
        for op in &ops {
            sim.run(op);
            sim.check()?;
        }
    }

    #[test]
    fn a_full_return_restores_the_balance(
        clawback in policy(),
        history in proptest::collection::vec(op(), 0..25),
        lines in earn_lines(),
        redeem_pct in 0i64..=100,
        tier in 0usize..4,
        cuts in proptest::collection::vec(proptest::collection::vec(0u8..=100, 8), 0..4),
    ) {
        let mut sim = Sim::new(clawback);
        for op in &history {
            sim.run(op);
        }
        let before = sim.ledger.balance(MEMBERS[0]);
        let other = sim.ledger.balance(MEMBERS[1]);
        let uncollected = sim.ledger.uncollected(MEMBERS[0]);
        sim.sale(0, &lines, redeem_pct, tier);
        let sale = sim.sales.len() - 1;
        for cut in &cuts {
            sim.return_lines(sale, cut, false);
            sim.check()?;
        }
        sim.return_lines(sale, &[100], true);
        sim.check()?;
        prop_assert_eq!(sim.ledger.balance(MEMBERS[0]), before);
        prop_assert_eq!(sim.ledger.balance(MEMBERS[1]), other);
        prop_assert_eq!(sim.ledger.uncollected(MEMBERS[0]), uncollected);
    }

    #[test]
    fn replaying_transfers_changes_nothing(
        clawback in policy(),
        ops in proptest::collection::vec(op(), 0..30),
    ) {
        let mut sim = Sim::new(clawback);
        for op in &ops {
            sim.run(op);
        }
        let transfers = sim.all_transfers();
        let balances: Vec<i64> = MEMBERS.iter().map(|m| sim.ledger.balance(m)).collect();
        for t in transfers.iter().rev() {
            prop_assert_eq!(sim.ledger.apply(t.clone()), Ok(Applied::Duplicate));
        }
        let replayed = sim.ledger.apply_all(&transfers).unwrap();
        prop_assert!(replayed.iter().all(|a| *a == Applied::Duplicate));
        prop_assert_eq!(MEMBERS.iter().map(|m| sim.ledger.balance(m)).collect::<Vec<_>>(), balances);
        prop_assert_eq!(sim.all_transfers(), transfers);
        sim.check()?;
    }

    #[test]
    fn running_expiry_twice_changes_nothing(
        clawback in policy(),
        ops in proptest::collection::vec(op(), 0..30),
        later in 0i64..5_000,
    ) {
        let mut sim = Sim::new(clawback);
        for op in &ops {
            sim.run(op);
        }
        sim.now += Duration::hours(later);
        let now = sim.now;
        for m in MEMBERS {
            let first = sim.ledger.expire_due(m, now, &sim.program.expiry);
            let second = sim.ledger.expire_due(m, now, &sim.program.expiry);
            prop_assert_eq!(&first, &second);
            let much_later = sim.ledger.expire_due(m, now + Duration::days(400), &sim.program.expiry);
            for t in &first {
                prop_assert!(much_later.contains(t), "expiry at a later time differs: {:?}", t);
            }
            sim.ledger.apply_all(&first).unwrap();
            let after = sim.ledger.balance(m);
            prop_assert!(sim.ledger.expire_due(m, now, &sim.program.expiry).is_empty());
            let replayed = sim.ledger.apply_all(&second).unwrap();
            prop_assert!(replayed.iter().all(|a| *a == Applied::Duplicate));
            prop_assert_eq!(sim.ledger.balance(m), after);
            for lot in sim.ledger.lots(m) {
                prop_assert!(lot.expires_at.is_none_or(|e| e > now), "unexpired lot {:?}", lot);
            }
        }
    }
}
