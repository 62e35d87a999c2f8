//! Loyalty points: the programme's rules (earning, redeeming, tiers, expiry, reversal on
//! returns) and the points ledger of immutable transfers.
//!
//! Everything here is pure: amounts are `i64` minor units, points are whole `i64` points,
//! and time comes in as an argument. The rules are free functions and plain values so the
//! terminal's SQLite cache and the HQ database apply exactly the same decisions;
//! [`PointsLedger`] is the in-memory reference store built from them.
//!
//! # Earning rule
//!
//! 1. A line earns only if its net (after every discount) is positive and its category is
//!    not excluded. Lines without a category are eligible.
//! 2. Spend paid with points earns nothing: the value paid with points is spread over the
//!    eligible lines in proportion to their nets (largest remainder) and taken off them.
//! 3. Base points are `floor(eligible spend / earn_per_point)` for the whole sale, spread
//!    over the lines in proportion to what each line contributed (largest remainder), so the
//!    per-line figures add up exactly to the sale's base.
//! 4. The member's tier multiplies the base: `floor(base × multiplier_bp / 10000)` for the
//!    sale, spread over the lines in proportion to their base.
//! 5. Bonuses come last and are never multiplied by the tier: `Extra(n)` adds `n` points per
//!    whole unit sold, scaled down by the share of the line paid with points (rounded down);
//!    `Multiplier(n)` adds `(n − 1) ×` the line's base, so the line earns `n ×` its base on
//!    top of any tier extra. A product bonus and a category bonus on the same line both
//!    apply.
//!
//! # Ledger invariant
//!
//! A member's balance is the sum of their transfers. No transfer takes it below zero, except
//! a `Clawback` transfer under [`ClawbackPolicy::AllowNegative`]; under
//! [`ClawbackPolicy::CapAtZero`] a reversal takes what is there and the shortfall is kept as
//! an [`UncollectedClawback`] record instead.
//!
//! # Layout
//!
//! - `program`: the programme's configuration, its validation and tier lookup;
//! - `earn`: points earned by a sale, and the checks on points used to pay;
//! - `reversal`: what a sale recorded and the points each return of it moves;
//! - `ledger`: transfers, the rules that check and derive them, lots and expiry, and
//!   the in-memory [`PointsLedger`].

mod earn;
mod ledger;
mod program;
mod reversal;

pub use earn::{EarnLine, Earned};
pub use ledger::{
    Applied, LedgerError, Lot, PointsLedger, ReturnPosting, Transfer, TransferKind,
    UncollectedClawback, check_debit, check_replay, check_transfer, due_expiries, open_lots,
    return_posting, sale_transfers, transfer_id,
};
pub use program::{
    CategoryBonus, ClawbackPolicy, ExpiryPolicy, LoyaltyError, PointsProgram, Tier,
    rolling_window_start,
};
pub use reversal::{Reversal, SaleLoyalty};

#[cfg(test)]
mod tests;
