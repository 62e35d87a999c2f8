//! Tests of the ledger rules and [`PointsLedger`]: transfer ids, replays and conflicts,
//! debits, all-or-nothing batches, sale and return postings, lots and expiry.

use super::*;
use chrono::Duration;

#[test]
fn transfer_ids_derive_from_the_event() {
    assert_eq!(
        transfer_id("sale-1", TransferKind::Earn, 0),
        "sale-1:earn:0"
    );
    assert_eq!(
        transfer_id("sale-1", TransferKind::Earn, 0),
        transfer_id("sale-1", TransferKind::Earn, 0)
    );
    assert_ne!(
        transfer_id("sale-1", TransferKind::Earn, 0),
        transfer_id("sale-1", TransferKind::Redeem, 0)
    );
    assert_ne!(
        transfer_id("sale-1", TransferKind::Reverse, 0),
        transfer_id("sale-1", TransferKind::Reverse, 1)
    );
}

#[test]
fn replays_are_no_ops_and_conflicts_are_refused() {
    let mut l = PointsLedger::new(ClawbackPolicy::CapAtZero);
    let t = transfer("a", "m1", TransferKind::Earn, 50);
    assert_eq!(l.apply(t.clone()), Ok(Applied::New));
    assert_eq!(l.apply(t.clone()), Ok(Applied::Duplicate));
    assert_eq!(l.balance("m1"), 50);
    let changed = Transfer {
        points: 60,
        ..t.clone()
    };
    assert_eq!(
        l.apply(changed),
        Err(LedgerError::Conflict { id: "a".into() })
    );
    assert_eq!(l.balance("m1"), 50);
    assert_eq!(l.history("m1"), vec![&t]);
    assert!(l.history("m2").is_empty());
}

#[test]
fn debits_never_take_the_balance_below_zero() {
    let mut l = PointsLedger::new(ClawbackPolicy::CapAtZero);
    l.apply(transfer("a", "m1", TransferKind::Earn, 50))
        .unwrap();
    assert_eq!(
        l.apply(transfer("b", "m1", TransferKind::Redeem, -51)),
        Err(LedgerError::InsufficientPoints {
            balance: 50,
            wanted: 51
        })
    );
    assert_eq!(
        l.apply(transfer("c", "m1", TransferKind::Clawback, -60)),
        Err(LedgerError::InsufficientPoints {
            balance: 50,
            wanted: 60
        })
    );
    assert_eq!(l.balance("m1"), 50);
    assert_eq!(
        l.apply(transfer("d", "m1", TransferKind::Redeem, -50)),
        Ok(Applied::New)
    );
    assert_eq!(l.balance("m1"), 0);

    let mut l = PointsLedger::new(ClawbackPolicy::AllowNegative);
    l.apply(transfer("a", "m1", TransferKind::Earn, 50))
        .unwrap();
    assert!(
        l.apply(transfer("b", "m1", TransferKind::Adjust, -51))
            .is_err()
    );
    assert_eq!(
        l.apply(transfer("c", "m1", TransferKind::Clawback, -60)),
        Ok(Applied::New)
    );
    assert_eq!(l.balance("m1"), -10);
    assert_eq!(l.clawback_policy(), ClawbackPolicy::AllowNegative);
}

#[test]
fn malformed_transfers_are_refused() {
    let mut l = PointsLedger::new(ClawbackPolicy::CapAtZero);
    assert!(matches!(
        l.apply(transfer("a", "m1", TransferKind::Earn, 0)),
        Err(LedgerError::ZeroPoints { .. })
    ));
    assert!(matches!(
        l.apply(transfer("a", "m1", TransferKind::Earn, -5)),
        Err(LedgerError::WrongSign { .. })
    ));
    assert!(matches!(
        l.apply(transfer("a", "m1", TransferKind::Redeem, 5)),
        Err(LedgerError::WrongSign { .. })
    ));
    assert!(matches!(
        l.apply(transfer("a", "", TransferKind::Earn, 5)),
        Err(LedgerError::EmptyField {
            field: "member_id",
            ..
        })
    ));
    let expiring_debit = Transfer {
        expires_at: Some(at(2027, 1, 1)),
        ..transfer("a", "m1", TransferKind::Adjust, -5)
    };
    assert!(matches!(
        l.apply(expiring_debit),
        Err(LedgerError::ExpiryOnDebit { .. })
    ));
    assert!(l.history("m1").is_empty());
}

#[test]
fn apply_all_is_all_or_nothing() {
    let mut l = PointsLedger::new(ClawbackPolicy::CapAtZero);
    let batch = [
        transfer("a", "m1", TransferKind::Earn, 30),
        transfer("b", "m1", TransferKind::Redeem, -20),
        transfer("c", "m1", TransferKind::Redeem, -20),
    ];
    assert!(matches!(
        l.apply_all(&batch),
        Err(LedgerError::InsufficientPoints {
            balance: 10,
            wanted: 20
        })
    ));
    assert_eq!(l.balance("m1"), 0);
    assert!(l.get("a").is_none());
    assert_eq!(
        l.apply_all(&batch[..2]),
        Ok(vec![Applied::New, Applied::New])
    );
    assert_eq!(
        l.apply_all(&batch[..2]),
        Ok(vec![Applied::Duplicate, Applied::Duplicate])
    );
    assert_eq!(l.balance("m1"), 10);
}

#[test]
fn sale_records_the_redemption_before_the_earn() {
    let expiry = ExpiryPolicy::AfterMonths(12);
    let ts = sale_transfers("m1", "s1", at(2026, 2, 28), 100, 12, &expiry);
    assert_eq!(ts.len(), 2);
    assert_eq!(
        (ts[0].kind, ts[0].points, ts[0].id.as_str()),
        (TransferKind::Redeem, -100, "s1:redeem:0")
    );
    assert_eq!((ts[1].kind, ts[1].points), (TransferKind::Earn, 12));
    assert_eq!(ts[1].expires_at, Some(at(2027, 2, 28)));
    assert!(sale_transfers("m1", "s2", at(2026, 1, 1), 0, 0, &expiry).is_empty());
}

#[test]
fn a_return_of_spent_points_caps_at_zero_and_records_the_shortfall() {
    let mut l = PointsLedger::new(ClawbackPolicy::CapAtZero);
    l.apply(transfer("e", "m1", TransferKind::Earn, 40))
        .unwrap();
    l.apply(transfer("r", "m1", TransferKind::Redeem, -30))
        .unwrap();
    let reversal = Reversal {
        earned_back: 40,
        redeemed_back: 0,
    };
    let posting = return_posting(
        "m1",
        "ret1",
        at(2026, 2, 1),
        reversal,
        l.balance("m1"),
        ClawbackPolicy::CapAtZero,
        None,
    );
    assert_eq!(posting.transfers.len(), 1);
    assert_eq!(posting.transfers[0].points, -10);
    assert_eq!(posting.uncollected.as_ref().map(|u| u.points), Some(30));
    l.post(&posting).unwrap();
    l.post(&posting).unwrap();
    assert_eq!(l.balance("m1"), 0);
    assert_eq!(l.uncollected("m1"), 30);
}

#[test]
fn a_return_under_allow_negative_claws_back_below_zero_and_later_earnings_repay_it() {
    let mut l = PointsLedger::new(ClawbackPolicy::AllowNegative);
    let expiry = ExpiryPolicy::AfterMonths(6);
    l.apply(earn_at("e", 40, at(2026, 1, 1), &expiry)).unwrap();
    l.apply(transfer("r", "m1", TransferKind::Redeem, -30))
        .unwrap();
    // The return gives 5 redeemed points back and takes 40 earned points.
    let reversal = Reversal {
        earned_back: 40,
        redeemed_back: 5,
    };
    let posting = return_posting(
        "m1",
        "ret1",
        at(2026, 2, 1),
        reversal,
        10,
        ClawbackPolicy::AllowNegative,
        None,
    );
    let kinds: Vec<_> = posting
        .transfers
        .iter()
        .map(|t| (t.kind, t.points))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (TransferKind::Reverse, 5),
            (TransferKind::Reverse, -15),
            (TransferKind::Clawback, -25)
        ]
    );
    assert!(posting.uncollected.is_none());
    l.post(&posting).unwrap();
    assert_eq!(l.balance("m1"), -25);
    assert!(l.lots("m1").is_empty());
    // The next 30 points first repay the 25, leaving a lot of 5.
    l.apply(earn_at("e2", 30, at(2026, 3, 1), &expiry)).unwrap();
    let lots = l.lots("m1");
    assert_eq!(lots.len(), 1);
    assert_eq!((lots[0].transfer_id.as_str(), lots[0].remaining), ("e2", 5));
}

#[test]
fn redemptions_consume_the_oldest_lots_and_only_unused_points_expire() {
    let expiry = ExpiryPolicy::AfterMonths(6);
    let mut l = PointsLedger::new(ClawbackPolicy::CapAtZero);
    l.apply(earn_at("jan", 100, at(2026, 1, 10), &expiry))
        .unwrap();
    l.apply(earn_at("mar", 50, at(2026, 3, 10), &expiry))
        .unwrap();
    l.apply(Transfer {
        at: at(2026, 4, 1),
        ..transfer("apr", "m1", TransferKind::Redeem, -120)
    })
    .unwrap();
    // January's lot was used up by the redemption; March's has 30 left.
    assert!(l.expire_due("m1", at(2026, 8, 1), &expiry).is_empty());
    let due = l.expire_due("m1", at(2026, 10, 1), &expiry);
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].points, -30);
    assert_eq!(due[0].source, "mar");
    assert_eq!(due[0].at, at(2026, 9, 10), "dated at the lot's expiry");
    assert_eq!(due, l.expire_due("m1", at(2027, 5, 5), &expiry));
    l.apply_all(&due).unwrap();
    assert_eq!(l.balance("m1"), 0);
    assert!(l.expire_due("m1", at(2027, 5, 5), &expiry).is_empty());
}

#[test]
fn expiry_happens_at_the_expiry_instant_and_not_without_a_policy() {
    let expiry = ExpiryPolicy::AfterMonths(1);
    let mut l = PointsLedger::new(ClawbackPolicy::CapAtZero);
    l.apply(earn_at("e", 70, at(2026, 1, 31), &expiry)).unwrap();
    let expires = at(2026, 2, 28);
    assert!(
        l.expire_due("m1", expires - Duration::seconds(1), &expiry)
            .is_empty()
    );
    assert_eq!(l.expire_due("m1", expires, &expiry).len(), 1);
    assert!(
        l.expire_due("m1", at(2030, 1, 1), &ExpiryPolicy::None)
            .is_empty()
    );
    assert_eq!(ExpiryPolicy::None.expires_at(expires), None);
}

#[test]
fn an_expire_transfer_consumes_the_lot_it_names() {
    let expiry = ExpiryPolicy::AfterMonths(3);
    let lots = open_lots(&[
        earn_at("old", 10, at(2026, 1, 1), &ExpiryPolicy::None),
        earn_at("new", 20, at(2026, 2, 1), &expiry),
        Transfer {
            source: "new".into(),
            ..transfer("x", "m1", TransferKind::Expire, -20)
        },
    ]);
    assert_eq!(lots.len(), 1);
    assert_eq!(
        (lots[0].transfer_id.as_str(), lots[0].remaining),
        ("old", 10)
    );
}
