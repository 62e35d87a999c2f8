//! Cash rounding of a ticket total.
//!
//! Where the smallest coin in circulation is larger than the currency's minor unit, a cash
//! payment is rounded to a configurable step (10 for 0.10, 5 for 0.05, in minor units),
//! half up away from zero: with a step of 10, 12.35 becomes 12.40 and -12.35 becomes -12.40,
//! while 12.34 becomes 12.30. The difference (rounded minus exact) is returned so the sale can
//! record it as its own line in the journal and reports.
//!
//! Card and other electronic payments are never rounded: they settle to the minor unit, so
//! [`amount_due`] returns the exact total with a zero difference for them.

use super::money::{Money, div_round_half_away};

/// Why a rounding step was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoundingError {
    #[error("cash rounding step must be at least 1 minor unit, got {0}")]
    InvalidStep(i64),
}

/// A total after cash rounding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CashRounded {
    /// The amount the customer pays.
    pub amount: Money,
    /// `amount - exact total`: positive when the customer pays a little more.
    pub difference: Money,
}

/// How the customer pays, as far as rounding is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentKind {
    /// Notes and coins: rounded to the store's step.
    Cash,
    /// Card, mobile wallet or any electronic tender: exact to the minor unit.
    Card,
}

/// Rounds `total` to a multiple of `step` minor units, half away from zero.
///
/// A step of 1 leaves the total unchanged.
pub fn round_cash(total: Money, step: i64) -> Result<CashRounded, RoundingError> {
    if step < 1 {
        return Err(RoundingError::InvalidStep(step));
    }
    let steps = div_round_half_away(i128::from(total.minor()), i128::from(step));
    let rounded = (steps * i128::from(step)) as i64;
    Ok(CashRounded {
        amount: Money::from_minor(rounded, total.currency()),
        difference: Money::from_minor(rounded - total.minor(), total.currency()),
    })
}

/// The amount due for a payment kind: cash is rounded to `step`, card is exact.
pub fn amount_due(
    total: Money,
    kind: PaymentKind,
    step: i64,
) -> Result<CashRounded, RoundingError> {
    match kind {
        PaymentKind::Cash => round_cash(total, step),
        PaymentKind::Card => {
            if step < 1 {
                return Err(RoundingError::InvalidStep(step));
            }
            Ok(CashRounded {
                amount: total,
                difference: Money::zero(total.currency()),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Currency;
    use proptest::prelude::*;

    fn cny(minor: i64) -> Money {
        Money::from_minor(minor, Currency::CNY)
    }

    #[test]
    fn rounds_to_ten_fen_half_up() {
        let r = round_cash(cny(1235), 10).unwrap();
        assert_eq!((r.amount.minor(), r.difference.minor()), (1240, 5));
        let r = round_cash(cny(1234), 10).unwrap();
        assert_eq!((r.amount.minor(), r.difference.minor()), (1230, -4));
        let r = round_cash(cny(1230), 10).unwrap();
        assert_eq!((r.amount.minor(), r.difference.minor()), (1230, 0));
    }

    #[test]
    fn rounds_to_five_cents() {
        assert_eq!(round_cash(cny(1232), 5).unwrap().amount.minor(), 1230);
        assert_eq!(round_cash(cny(1233), 5).unwrap().amount.minor(), 1235);
        assert_eq!(round_cash(cny(1237), 5).unwrap().amount.minor(), 1235);
        assert_eq!(round_cash(cny(1238), 5).unwrap().amount.minor(), 1240);
    }

    #[test]
    fn negative_totals_round_away_from_zero() {
        let r = round_cash(cny(-1235), 10).unwrap();
        assert_eq!((r.amount.minor(), r.difference.minor()), (-1240, -5));
    }

    #[test]
    fn cards_are_not_rounded_and_bad_steps_are_refused() {
        let r = amount_due(cny(1235), PaymentKind::Card, 10).unwrap();
        assert_eq!((r.amount.minor(), r.difference.minor()), (1235, 0));
        let r = amount_due(cny(1235), PaymentKind::Cash, 10).unwrap();
        assert_eq!(r.amount.minor(), 1240);
        assert_eq!(round_cash(cny(1), 0), Err(RoundingError::InvalidStep(0)));
        assert!(amount_due(cny(1), PaymentKind::Card, -5).is_err());
    }

    proptest! {
        #[test]
        fn rounding_is_a_nearest_multiple(total in -10_000_000i64..10_000_000, step in 1i64..1000) {
            let r = round_cash(cny(total), step).unwrap();
            prop_assert_eq!(r.amount.minor() % step, 0);
            prop_assert_eq!(r.amount.minor() - total, r.difference.minor());
            prop_assert!(2 * r.difference.minor().abs() <= step);
        }
    }
}
