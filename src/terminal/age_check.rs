//! Age checks: a product flagged `restricted` (alcohol, tobacco) is added to the basket as
//! a line waiting for an age check, and the sale cannot be tendered until the cashier
//! confirms the customer's age. A confirmation (its operator and time) covers the sale's
//! later restricted items and goes into the sale's record, and so its journal entry; a
//! refusal voids the waiting restricted lines and nothing else. Voiding, suspending or
//! completing the sale ends its check.

use serde::Serialize;

use super::*;
use crate::store::sales::AgeCheck;

/// What the headless answer says of the sale's age check, while it has one to speak of.
#[derive(Debug, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AgeCheckView<'a> {
    /// Restricted lines wait for a confirmation: `code` is `age_check_required`.
    Required {
        code: &'static str,
        lines: Vec<u32>,
        message: String,
    },
    Confirmed {
        operator_id: &'a str,
        at: DateTime<Utc>,
    },
}

impl Terminal {
    /// The basket's lines of age-restricted products that no age check covers yet.
    pub fn age_check_pending(&self) -> Vec<&crate::domain::basket::Line> {
        if self.age_check.is_some() {
            return Vec::new();
        }
        self.basket
            .lines()
            .iter()
            .filter(|l| !l.voided && l.product.restricted)
            .collect()
    }

    /// The age check confirmed for the sale in progress, if any.
    pub fn age_check(&self) -> Option<&AgeCheck> {
        self.age_check.as_ref()
    }

    /// Refuses to take payment while a restricted line waits for its age check.
    pub(super) fn require_age_check(&self) -> Result<(), CommandError> {
        let pending = self.age_check_pending();
        if pending.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = pending.iter().map(|l| l.product.name.as_str()).collect();
        Err(CommandError::AgeCheckRequired(names.join(", ")))
    }

    /// The cashier's answer to the age check: `true` confirms the customer's age for this
    /// sale (recording the signed-in operator and the time); `false` voids the restricted
    /// lines waiting for it. Refused when no line waits.
    pub fn confirm_age(&mut self, confirmed: bool) -> Result<(), CommandError> {
        self.selling()?;
        let pending: Vec<u32> = self.age_check_pending().iter().map(|l| l.line_no).collect();
        if pending.is_empty() {
            return Err(CommandError::NothingToCheck);
        }
        if confirmed {
            let operator_id = self.signed_in()?.id.clone();
            self.age_check = Some(AgeCheck {
                operator_id,
                at: self.now(),
            });
        } else {
            // Voided on a copy, so the basket changes whole or not at all.
            let mut basket = self.basket.clone();
            for line in pending {
                basket.void_line(line)?;
            }
            self.basket = basket;
        }
        debug_assert!(self.age_check_pending().is_empty());
        Ok(())
    }

    /// What the answer shows of the age check: the lines waiting for it, or who confirmed
    /// it; `None` for a sale without restricted goods or a confirmation.
    pub fn age_check_view(&self) -> Option<AgeCheckView<'_>> {
        if let Some(check) = &self.age_check {
            return Some(AgeCheckView::Confirmed {
                operator_id: &check.operator_id,
                at: check.at,
            });
        }
        let pending = self.age_check_pending();
        if pending.is_empty() {
            return None;
        }
        let error = self
            .require_age_check()
            .expect_err("restricted lines are waiting");
        Some(AgeCheckView::Required {
            code: error.code(),
            lines: pending.iter().map(|l| l.line_no).collect(),
            message: error.to_string(),
        })
    }
}
