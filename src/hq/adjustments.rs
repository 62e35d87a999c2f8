//! Manual points adjustments by HQ staff: an `adjust` transfer on the member's ledger,
//! with the reason in its source (`{staff}: {reason}`), written with its audit entry in one
//! transaction. A debit that would take the balance below zero is refused (only the
//! stated clawback policy may do that), as is an adjustment without a reason.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::db::{Query, query};
use super::error::HqError;
use super::retry::retrying;
use super::staff::Principal;
use super::staff::audit::Change;
use super::store::HqStore;
use crate::domain::loyalty::{Transfer, TransferKind, transfer_id};

/// Largest adjustment, either way.
pub const MAX_ADJUST_POINTS: i64 = 1_000_000;
/// Longest reason.
pub const MAX_REASON_CHARS: usize = 200;

/// An adjustment asked for.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustRequest {
    /// Points to add (positive) or take (negative); never zero.
    pub points: i64,
    /// Why (required; kept on the ledger and in the audit log).
    pub reason: String,
}

/// An adjustment made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Adjusted {
    /// The transfer's id.
    pub transfer: String,
    pub member_id: String,
    pub points: i64,
    pub balance_before: i64,
    pub balance_after: i64,
    pub at: DateTime<Utc>,
}

impl AdjustRequest {
    /// What is wrong with the request, if anything.
    pub fn check(&self) -> Result<(), String> {
        if self.points == 0 {
            return Err("an adjustment of 0 points changes nothing".into());
        }
        if !(-MAX_ADJUST_POINTS..=MAX_ADJUST_POINTS).contains(&self.points) {
            return Err(format!(
                "an adjustment is at most {MAX_ADJUST_POINTS} points either way"
            ));
        }
        check_reason(&self.reason)?;
        Ok(())
    }
}

/// A reason staff give for a change (a points adjustment, a card blocked or replaced):
/// one line, 1–[`MAX_REASON_CHARS`] characters, trimmed.
pub fn check_reason(reason: &str) -> Result<&str, String> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err("give the reason".into());
    }
    if reason.chars().count() > MAX_REASON_CHARS || reason.chars().any(char::is_control) {
        return Err(format!(
            "a reason is one line of at most {MAX_REASON_CHARS} characters"
        ));
    }
    Ok(reason)
}

impl HqStore {
    /// Adjusts a member's points (see the module's doc); `None` if HQ has no such member.
    pub async fn adjust_points(
        &self,
        member_id: &str,
        ask: &AdjustRequest,
        by: &Principal,
    ) -> Result<Option<Adjusted>, HqError> {
        ask.check().map_err(HqError::Invalid)?;
        let reason = ask.reason.trim();
        let event = uuid::Uuid::now_v7();
        let at = Utc::now();
        let transfer = &Transfer {
            id: transfer_id(&format!("staff/{event}"), TransferKind::Adjust, 0),
            member_id: member_id.to_string(),
            kind: TransferKind::Adjust,
            points: ask.points,
            at,
            source: format!("{}: {reason}", by.login),
            expires_at: None,
        };
        retrying("adjusting points", || async move {
            let mut tx = self.pool().begin().await?;
            if query("SELECT 1 FROM members WHERE id = $1")
                .bind(member_id)
                .fetch_optional(&mut tx)
                .await?
                .is_none()
            {
                return Ok(None);
            }
            let before = Query::dialects(
                "SELECT balance FROM point_accounts WHERE member_id = $1 FOR UPDATE",
                "SELECT balance FROM point_accounts WHERE member_id = $1",
            )
            .bind(member_id)
            .fetch_optional(&mut tx)
            .await?
            .map_or(0, |r| r.get::<i64>(0));
            let after = before.checked_add(ask.points).ok_or_else(|| {
                HqError::Invalid(format!(
                    "member {member_id}'s balance cannot take {} more",
                    ask.points
                ))
            })?;
            if after < 0 {
                return Err(HqError::Invalid(format!(
                    "member {member_id} has {before} points: taking {} would leave {after}",
                    -ask.points
                )));
            }
            super::ledger::post_transfer(&mut tx, transfer, None).await?;
            let adjusted = Adjusted {
                transfer: transfer.id.clone(),
                member_id: member_id.to_string(),
                points: ask.points,
                balance_before: before,
                balance_after: after,
                at,
            };
            Change {
                by,
                action: "points.adjust",
                target: member_id,
                before: Some(serde_json::json!({ "balance": before })),
                after: Some(serde_json::json!({
                    "balance": after,
                    "points": ask.points,
                    "reason": reason,
                    "transfer": transfer.id,
                })),
            }
            .record(&mut tx, at)
            .await?;
            tx.commit().await?;
            Ok(Some(adjusted))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjustments_need_points_within_bounds_and_a_reason() {
        let ask = |points, reason: &str| AdjustRequest {
            points,
            reason: reason.into(),
        };
        assert!(ask(50, "goodwill").check().is_ok());
        assert!(ask(-50, "correction").check().is_ok());
        assert!(ask(0, "nothing").check().is_err());
        assert!(ask(i64::MIN, "overflow").check().is_err());
        assert!(ask(i64::MAX, "overflow").check().is_err());
        assert!(ask(10, "  ").check().is_err());
        assert!(ask(10, "two\nlines").check().is_err());
    }
}
