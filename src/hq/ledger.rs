//! HQ's points ledger: a transfer is stored once under its id (derived from the event that
//! made it) and only then moves its member's account, with the account row locked; a debit
//! that takes the balance below zero (points spent at another till while this one was
//! offline) is applied, because the till sold in good faith, and recorded as an overdraft
//! with its shortfall for the report. Used by the ingest (row by row, and by
//! [`super::ingest_pg`] for runs of sales on PostgreSQL) and by the expiry and adjustments.

use super::db::{Query, Tx, query};
use super::error::HqError;
use storepos_sync::Envelope;

/// Applies one ledger transfer once: stored under its id, then the member's account moves
/// with its row locked. A debit that takes the balance below zero (the points were spent
/// elsewhere while this till was offline) is kept and recorded as an overdraft.
pub(crate) async fn post_transfer(
    tx: &mut Tx,
    t: &crate::domain::loyalty::Transfer,
    event: Option<uuid::Uuid>,
) -> Result<(), HqError> {
    let transfer_row = |q: Query| {
        q.bind(&t.id)
            .bind(&t.member_id)
            .bind(t.kind.as_str())
            .bind(t.points)
            .bind(t.at)
            .bind(&t.source)
            .bind(t.expires_at)
            .bind(event)
    };
    let balance: Option<i64> = if !tx.is_sqlite() {
        // PostgreSQL, one statement: the transfer is stored under its id and, only if it is
        // new, the account row is created or moved (locked) and its new balance read.
        transfer_row(query(
            "WITH t AS (
                 INSERT INTO point_transfers (id, member_id, kind, points, at, source, expires_at, event_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (member_id, id) DO NOTHING
                 RETURNING member_id, points)
             INSERT INTO point_accounts (member_id, balance) SELECT member_id, points FROM t
             ON CONFLICT (member_id) DO UPDATE SET balance = point_accounts.balance + EXCLUDED.balance
             RETURNING balance",
        ))
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.get(0))
    } else {
        // SQLite (no data-modifying CTEs): the same two steps in turn, under the write lock.
        let new = transfer_row(query(
            "INSERT INTO point_transfers (id, member_id, kind, points, at, source, expires_at, event_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (member_id, id) DO NOTHING",
        ))
        .execute(&mut *tx)
        .await?;
        if new == 0 {
            None
        } else {
            let row = query(
                "INSERT INTO point_accounts (member_id, balance) VALUES ($1, $2)
                 ON CONFLICT (member_id) DO UPDATE SET balance = point_accounts.balance + EXCLUDED.balance
                 RETURNING balance",
            )
            .bind(&t.member_id)
            .bind(t.points)
            .fetch_one(&mut *tx)
            .await?;
            Some(row.get(0))
        }
    };
    let Some(balance) = balance else {
        return Ok(());
    };
    record_overdraft(tx, t, balance).await
}

/// Records a debit that took its account (now at `balance_after`) below zero.
pub(super) async fn record_overdraft(
    tx: &mut Tx,
    t: &crate::domain::loyalty::Transfer,
    balance_after: i64,
) -> Result<(), HqError> {
    if let Some(shortfall) = overdraft(balance_after, t.points) {
        query(
            "INSERT INTO point_overdrafts (transfer_id, member_id, shortfall, at)
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(&t.id)
        .bind(&t.member_id)
        .bind(shortfall)
        .bind(t.at)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// The shortfall a debit leaves when it takes the balance below zero: at most the debit
/// itself (the rest was owed before it).
fn overdraft(balance_after: i64, points: i64) -> Option<i64> {
    (balance_after < 0 && points < 0).then(|| (-balance_after).min(-points))
}

/// A new sale's coupon redemptions: the first redemption of a single-use coupon wins; a
/// later one is recorded as a conflict with its cost.
pub(super) async fn redeem_coupons(
    tx: &mut Tx,
    e: &Envelope,
    receipt_no: u64,
    loyalty: &crate::domain::sale::LoyaltyRecord,
) -> Result<(), HqError> {
    for c in &loyalty.coupons {
        let first = query(
            "INSERT INTO coupon_redemptions (coupon_id, member_id, store_id, terminal_id, receipt_no, amount, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (member_id, coupon_id) DO NOTHING",
        )
        .bind(&c.coupon_id)
        .bind(&loyalty.member_id)
        .bind(&e.store_id)
        .bind(&e.terminal_id)
        .bind(receipt_no as i64)
        .bind(c.amount)
        .bind(e.at)
        .execute(&mut *tx)
        .await?;
        if first == 0 {
            query(
                "INSERT INTO coupon_conflicts (coupon_id, store_id, terminal_id, receipt_no, amount, at,
                                               member_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            )
            .bind(&c.coupon_id)
            .bind(&e.store_id)
            .bind(&e.terminal_id)
            .bind(receipt_no as i64)
            .bind(c.amount)
            .bind(e.at)
            .bind(&loyalty.member_id)
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::overdraft;

    #[test]
    fn an_overdraft_is_what_a_debit_takes_below_zero_and_never_more_than_the_debit() {
        assert_eq!(overdraft(5, -10), None, "still covered");
        assert_eq!(overdraft(0, -10), None, "exactly spent");
        assert_eq!(overdraft(-4, -10), Some(4), "4 of the 10 were not there");
        assert_eq!(
            overdraft(-30, -10),
            Some(10),
            "already 20 short: this debit adds 10"
        );
        assert_eq!(overdraft(-3, 7), None, "a credit is never an overdraft");
    }
}
