//! The cashier's shift and the drawer around it: opening with a float, cash in and out,
//! no-sale openings, parking and resuming baskets, and the X and Z reports.

use super::{Ceiling, CommandError, Effect, Pending, Terminal};
use crate::domain::basket::Basket;
use crate::said;
use crate::store::{shifts, suspended};

impl Terminal {
    pub fn open_shift(&mut self, float: &str) -> Result<(), CommandError> {
        self.signed_in()?;
        let float = self.amount(float, Ceiling::Cash)?;
        if float.is_negative() {
            return Err(CommandError::Invalid(said!("the float cannot be negative")));
        }
        if self.shift.is_some() {
            return Err(CommandError::Invalid(said!("a shift is already open")));
        }
        let operator = self.signed_in()?.id.clone();
        let at = self.now().to_rfc3339();
        self.shift = Some(shifts::open(
            &self.store.terminal,
            &operator,
            float.minor(),
            &at,
        )?);
        Ok(())
    }

    fn open_shift_id(&self) -> Result<i64, CommandError> {
        self.signed_in()?;
        self.shift.ok_or(CommandError::NoShift)
    }

    /// Cash put into (`in`) or taken out of (`out`) the drawer, or a no-sale opening; each
    /// is recorded with its reason, operator and approver, and opens the drawer. Taking cash
    /// out and opening the drawer without a sale need a supervisor when a cashier asks.
    pub fn cash_movement(
        &mut self,
        kind: &str,
        amount: &str,
        reason: &str,
    ) -> Result<(), CommandError> {
        self.open_shift_id()?;
        Terminal::plain("the reason", reason)?;
        if reason.trim().is_empty() {
            return Err(CommandError::Invalid(said!("a reason is required")));
        }
        let amount = match kind {
            "no_sale" => 0,
            _ => {
                let m = self.amount(amount, Ceiling::Cash)?;
                if m.minor() <= 0 {
                    return Err(CommandError::Invalid(said!("the amount must be positive")));
                }
                if kind == "out" { -m.minor() } else { m.minor() }
            }
        };
        let (what, restricted) = match kind {
            "out" => ("taking cash out of the drawer", true),
            "no_sale" => ("opening the drawer without a sale", true),
            _ => ("cash in", false),
        };
        let action = Pending::CashMovement {
            kind: kind.to_string(),
            amount,
            reason: reason.to_string(),
        };
        self.run_or_hold(action, what, restricted)
    }

    /// Writes an approved (or unrestricted) cash movement and opens the drawer.
    pub(super) fn record_movement(
        &mut self,
        kind: &str,
        amount: i64,
        reason: &str,
        approver: &str,
    ) -> Result<(), CommandError> {
        let shift = self.open_shift_id()?;
        let operator = self.signed_in()?.id.clone();
        let approved_by = (approver != operator).then_some(approver);
        let at = self.now().to_rfc3339();
        shifts::movement(
            &self.store.terminal,
            &shifts::Movement {
                shift_id: shift,
                kind,
                amount,
                reason,
                operator_id: &operator,
                approved_by,
                at: &at,
            },
        )?;
        self.effects.push(Effect::OpenDrawer);
        Ok(())
    }

    /// Parks the current basket; returns the id to resume it with.
    pub fn suspend(&mut self) -> Result<i64, CommandError> {
        self.selling()?;
        if self.basket.lines().iter().all(|l| l.voided) {
            return Err(CommandError::EmptyBasket);
        }
        if !self.tenders.is_empty() {
            return Err(CommandError::Invalid(said!(
                "a tender was already taken: finish or void the sale"
            )));
        }
        let json = serde_json::to_string(&self.basket)
            .map_err(|e| CommandError::Invalid(said!("cannot park the basket: {}", e)))?;
        let operator = self.signed_in()?.id.clone();
        let id = suspended::park(
            &self.store.terminal,
            &self.now().to_rfc3339(),
            &operator,
            &json,
        )?;
        self.basket = Basket::new(self.config.store.currency);
        self.pending = None;
        // The member and their offers stay with the counter, not the parked basket: they
        // are identified again when it is resumed.
        self.member = None;
        self.offers.clear();
        self.list_id = None;
        // The customer's age is checked again when the basket is resumed.
        self.age_check = None;
        Ok(id)
    }

    /// Brings a parked basket back; the current basket must be empty.
    pub fn resume(&mut self, id: &str) -> Result<(), CommandError> {
        self.selling()?;
        if self.basket.lines().iter().any(|l| !l.voided) {
            return Err(CommandError::Invalid(said!(
                "finish or suspend the current sale first"
            )));
        }
        let number: i64 = id
            .trim()
            .parse()
            .map_err(|_| CommandError::Invalid(said!("'{}' is not a suspended basket id", id)))?;
        let json = suspended::take(&mut self.store.terminal, number)?
            .ok_or_else(|| CommandError::Invalid(said!("no suspended basket {}", id)))?;
        let basket: Basket = serde_json::from_str(&json).map_err(|e| {
            CommandError::Invalid(said!("suspended basket {} is unreadable: {}", id, e))
        })?;
        self.basket = basket;
        // A check confirmed on the voided sale before does not cover this customer.
        self.age_check = None;
        Ok(())
    }

    /// The X report of the open shift.
    pub fn x_report(&self) -> Result<shifts::ShiftReport, CommandError> {
        Ok(shifts::report(&self.store.terminal, self.open_shift_id()?)?)
    }

    /// Closes the shift with the counted cash and returns its Z report.
    pub fn close_shift(&mut self, counted: &str) -> Result<shifts::ShiftReport, CommandError> {
        let shift = self.open_shift_id()?;
        if self.basket.lines().iter().any(|l| !l.voided) {
            return Err(CommandError::Invalid(said!(
                "finish or void the open sale first"
            )));
        }
        let counted = self.amount(counted, Ceiling::Cash)?;
        if counted.is_negative() {
            return Err(CommandError::Invalid(said!(
                "the counted cash cannot be negative"
            )));
        }
        let at = self.now().to_rfc3339();
        // The shift closes only with its Z report: a report that cannot be made leaves the
        // shift open, as the transaction is dropped uncommitted.
        let report = shifts::close_with_report(&self.store.terminal, shift, counted.minor(), &at)?;
        self.shift = None;
        Ok(report)
    }
}
