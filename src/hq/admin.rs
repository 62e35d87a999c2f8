//! HQ administration that runs beside the API: the scheduled expiry of points, coupon
//! issuance with HQ's signing key, and the reconciliation report (coupons redeemed twice
//! by offline tills, redemptions that found the points already spent elsewhere, events HQ
//! refused and parked, and sequence conflicts it answered).

use std::path::Path;

use super::db::{Query, query};
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use ed25519_dalek::SigningKey;

use super::retry::retrying;
use super::store::{HqError, HqStore};
use crate::domain::coupon::{Coupon, SignedCoupon, sign};
use crate::domain::loyalty::{ExpiryPolicy, Transfer, TransferKind, due_expiries, open_lots};

/// HQ's coupon-signing key from `path` (hex), created on first use with owner-only
/// permissions. Terminals hold its public half in `loyalty.coupon_key`.
pub fn signing_key(path: &Path) -> Result<SigningKey> {
    if let Ok(text) = std::fs::read_to_string(path) {
        let bytes: [u8; 32] = hex::decode(text.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .with_context(|| format!("{} is not a 32-byte hex key", path.display()))?;
        return Ok(SigningKey::from_bytes(&bytes));
    }
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    std::io::Write::write_all(
        &mut options
            .open(path)
            .with_context(|| format!("cannot create {}", path.display()))?,
        hex::encode(secret).as_bytes(),
    )?;
    Ok(SigningKey::from_bytes(&secret))
}

impl HqStore {
    /// Signs a coupon and records it as issued; returns its printed (QR) form.
    pub async fn issue_coupon(&self, key: &SigningKey, coupon: Coupon) -> Result<SignedCoupon> {
        let signed = sign(coupon, key).map_err(|e| anyhow::anyhow!("{e}"))?;
        let (id, member, code) = (
            &signed.coupon.id,
            &signed.coupon.member_id,
            &signed.full_code(),
        );
        let held_by = retrying("recording a coupon", || async move {
            let mut tx = self.pool().begin().await?;
            // A coupon id names one coupon of one member: an id issued to another member
            // is refused (coupons are keyed by member, so no key of one shard says so).
            let other = query("SELECT member_id FROM coupons WHERE id = $1 AND member_id <> $2")
                .bind(id)
                .bind(member)
                .fetch_optional(&mut tx)
                .await?;
            if let Some(other) = other {
                return Ok(Some(other.get::<String>(0)));
            }
            query(
                "INSERT INTO coupons (id, member_id, code, issued_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (member_id, id) DO UPDATE SET code = EXCLUDED.code",
            )
            .bind(id)
            .bind(member)
            .bind(code)
            .bind(Utc::now())
            .execute(&mut tx)
            .await?;
            tx.commit().await?;
            Ok::<_, HqError>(None)
        })
        .await?;
        if let Some(other) = held_by {
            anyhow::bail!("coupon {id} was issued to member {other}: give this one another id");
        }
        Ok(signed)
    }

    /// Expires every lot of earned points past its date: an `expire` transfer per lot, with
    /// an id derived from the lot, so running it twice expires nothing twice. Returns the
    /// points expired.
    pub async fn expire_points(
        &self,
        now: DateTime<Utc>,
        policy: &ExpiryPolicy,
    ) -> Result<i64, HqError> {
        if *policy == ExpiryPolicy::None {
            return Ok(0);
        }
        let members: Vec<String> = query(
            "SELECT DISTINCT member_id FROM point_transfers WHERE expires_at IS NOT NULL AND expires_at <= $1",
        )
        .bind(now)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
        let mut expired = 0;
        for member in members {
            expired += retrying("expiring points", || {
                self.expire_member(&member, now, policy)
            })
            .await?;
        }
        Ok(expired)
    }

    /// Expires one member's lots past their date in one transaction; returns the points.
    async fn expire_member(
        &self,
        member: &str,
        now: DateTime<Utc>,
        policy: &ExpiryPolicy,
    ) -> Result<i64, HqError> {
        let mut expired = 0;
        let mut tx = self.pool().begin().await?;
        // The account row is locked first, so no sale moves the balance meanwhile (on
        // SQLite the write transaction holds the file's write lock already).
        Query::dialects(
            "SELECT balance FROM point_accounts WHERE member_id = $1 FOR UPDATE",
            "SELECT balance FROM point_accounts WHERE member_id = $1",
        )
        .bind(member)
        .fetch_optional(&mut tx)
        .await?;
        let rows = query(
            "SELECT id, kind, points, at, source, expires_at FROM point_transfers
             WHERE member_id = $1 ORDER BY at, id",
        )
        .bind(member)
        .fetch_all(&mut tx)
        .await?;
        let transfers: Vec<Transfer> = rows
            .iter()
            .map(|r| {
                let kind: String = r.get(1);
                Ok(Transfer {
                    id: r.get(0),
                    member_id: member.to_string(),
                    kind: TransferKind::parse(&kind).ok_or_else(|| {
                        HqError::Invalid(format!("stored transfer kind '{kind}'"))
                    })?,
                    points: r.get(2),
                    at: r.get(3),
                    source: r.get(4),
                    expires_at: r.get(5),
                })
            })
            .collect::<Result<_, HqError>>()?;
        let lots = open_lots(&transfers);
        for t in due_expiries(member, &lots, now, policy) {
            expired -= t.points;
            super::ledger::post_transfer(&mut tx, &t, None).await?;
        }
        tx.commit().await?;
        Ok(expired)
    }

    /// The reconciliation report: coupons redeemed again after the first redemption won,
    /// with their cost, points redemptions that overdrew a balance, the events HQ refused
    /// and parked (with their rule), and the sequence conflicts it answered.
    pub async fn reconciliation(&self) -> Result<Reconciliation, HqError> {
        let refused_events = self.refused_events(None).await?;
        let seq_conflicts = self.seq_conflicts().await?;
        let conflicts = query(
            "SELECT c.coupon_id, c.store_id, c.terminal_id, c.receipt_no, c.amount, c.at,
                    r.store_id, r.terminal_id, r.receipt_no
             FROM coupon_conflicts c
             JOIN coupon_redemptions r ON r.member_id = c.member_id AND r.coupon_id = c.coupon_id
             ORDER BY c.at",
        )
        .fetch_all(self.pool())
        .await?;
        let overdrafts = query(
            "SELECT o.member_id, o.transfer_id, o.shortfall, o.at FROM point_overdrafts o ORDER BY o.at",
        )
        .fetch_all(self.pool())
        .await?;
        let coupon_conflicts: Vec<CouponConflict> = conflicts
            .iter()
            .map(|r| CouponConflict {
                coupon_id: r.get(0),
                second: Redemption {
                    store_id: r.get(1),
                    terminal_id: r.get(2),
                    receipt_no: r.get(3),
                },
                first: Redemption {
                    store_id: r.get(6),
                    terminal_id: r.get(7),
                    receipt_no: r.get(8),
                },
                cost: r.get(4),
                at: r.get(5),
            })
            .collect();
        Ok(Reconciliation {
            coupon_conflict_cost: coupon_conflicts.iter().map(|c| c.cost).sum(),
            coupon_conflicts,
            point_overdrafts: overdrafts
                .iter()
                .map(|r| PointOverdraft {
                    member_id: r.get(0),
                    transfer_id: r.get(1),
                    shortfall: r.get(2),
                    at: r.get(3),
                })
                .collect(),
            refused_event_count: refused_events.len(),
            refused_events,
            seq_conflict_count: seq_conflicts.len(),
            seq_conflicts,
        })
    }
}

/// What finance reconciles: what offline tills did that HQ could not take back.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Reconciliation {
    /// Coupons redeemed again after the first redemption won.
    pub coupon_conflicts: Vec<CouponConflict>,
    /// What the second redemptions cost, in minor units.
    pub coupon_conflict_cost: i64,
    /// Points redemptions that took more than the balance held.
    pub point_overdrafts: Vec<PointOverdraft>,
    pub refused_event_count: usize,
    /// Events HQ refused and parked, with the rule each broke.
    pub refused_events: Vec<super::parked::ParkedEvent>,
    pub seq_conflict_count: usize,
    /// Sequence conflicts HQ answered (a till that lost part of its data).
    pub seq_conflicts: Vec<super::parked::RecordedConflict>,
}

/// A coupon redeemed twice: the redemption HQ kept first and the one that came second.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CouponConflict {
    pub coupon_id: String,
    pub first: Redemption,
    pub second: Redemption,
    /// The second redemption's discount, in minor units.
    pub cost: i64,
    pub at: DateTime<Utc>,
}

/// Where a coupon was redeemed.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Redemption {
    pub store_id: String,
    pub terminal_id: String,
    pub receipt_no: i64,
}

/// A points redemption that overdrew a member's balance.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PointOverdraft {
    pub member_id: String,
    pub transfer_id: String,
    pub shortfall: i64,
    pub at: DateTime<Utc>,
}
