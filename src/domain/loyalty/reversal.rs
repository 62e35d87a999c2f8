//! Reversal on returns: what a sale recorded for loyalty ([`SaleLoyalty`]) and the points
//! each return of it takes back and gives back ([`Reversal`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::earn::{EarnLine, Earned, saturate};
use super::program::LoyaltyError;

/// What a completed sale recorded for loyalty, kept so returns can be reversed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SaleLoyalty {
    /// Points earned per line (`line_no`, points).
    pub earned_per_line: Vec<(u32, i64)>,
    /// Points redeemed on the sale.
    pub redeemed_points: i64,
    /// Net sold per line (`line_no`, minor units after discounts).
    pub net_per_line: Vec<(u32, i64)>,
}

/// Points moved by one return: `earned_back` is taken from the member, `redeemed_back` is
/// given back to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Reversal {
    pub earned_back: i64,
    pub redeemed_back: i64,
}

impl Reversal {
    /// The two reversals together, for keeping a running total per sale.
    pub fn plus(self, other: Reversal) -> Reversal {
        Reversal {
            earned_back: self.earned_back + other.earned_back,
            redeemed_back: self.redeemed_back + other.redeemed_back,
        }
    }
}

impl SaleLoyalty {
    /// Builds the record of a sale from its lines, what it earned and what it redeemed.
    pub fn new(lines: &[EarnLine], earned: &Earned, redeemed_points: i64) -> SaleLoyalty {
        SaleLoyalty {
            earned_per_line: earned.lines.clone(),
            redeemed_points,
            net_per_line: lines.iter().map(|l| (l.line_no, l.net)).collect(),
        }
    }

    /// Total points the sale earned.
    pub fn earned_total(&self) -> i64 {
        self.earned_per_line.iter().map(|l| l.1).sum()
    }

    /// Points to move for a return of `now` (per line, net refunded), after earlier
    /// returns of this sale that refunded `earlier` and already moved `already`.
    ///
    /// Rule: after any sequence of returns, the points taken back on a line are
    /// `floor(earned × refunded / sold)` and the points given back on the sale are
    /// `floor(redeemed × refunded / sold)`, both computed on the cumulative refund; each
    /// return moves the difference from what was already moved. Once everything is
    /// refunded the totals equal exactly what the sale earned and redeemed. A line that
    /// sold for nothing counts as fully returned as soon as any return names it.
    pub fn reverse(
        &self,
        earlier: &[(u32, i64)],
        already: Reversal,
        now: &[(u32, i64)],
    ) -> Result<Reversal, LoyaltyError> {
        let net = self.lines_by_no()?;
        let before = refunds_by_line(&net, earlier, &BTreeMap::new())?;
        let after = refunds_by_line(&net, now, &before)?;

        let mut earned_total: i128 = 0;
        let mut earned_cum: i128 = 0;
        let mut sold: i128 = 0;
        let mut refunded: i128 = 0;
        for (&line, &(sold_net, earned)) in &net {
            earned_total += i128::from(earned);
            let returned = after.get(&line).copied();
            sold += i128::from(sold_net.max(0));
            refunded += i128::from(returned.unwrap_or(0));
            earned_cum += cumulative_share(earned, returned, sold_net);
        }
        let redeemed = i128::from(self.redeemed_points);
        let redeemed_cum = if after.is_empty() {
            0
        } else if sold == 0 || refunded >= sold {
            redeemed
        } else {
            redeemed * refunded / sold
        };
        let step = |cum: i128, total: i128, done: i64| {
            let done = i128::from(done);
            saturate((cum - done).clamp(0, (total - done).max(0)))
        };
        Ok(Reversal {
            earned_back: step(earned_cum, earned_total, already.earned_back),
            redeemed_back: step(redeemed_cum, redeemed, already.redeemed_back),
        })
    }

    /// Per line: (net sold, points earned). Refuses duplicate or negative records.
    fn lines_by_no(&self) -> Result<BTreeMap<u32, (i64, i64)>, LoyaltyError> {
        if self.redeemed_points < 0 {
            return Err(LoyaltyError::InvalidSale(format!(
                "negative redeemed points {}",
                self.redeemed_points
            )));
        }
        let mut lines = BTreeMap::new();
        for &(line, net) in &self.net_per_line {
            if lines.insert(line, (net, 0)).is_some() {
                return Err(LoyaltyError::InvalidSale(format!(
                    "line {line} listed twice"
                )));
            }
        }
        let mut seen = Vec::with_capacity(self.earned_per_line.len());
        for &(line, points) in &self.earned_per_line {
            if points < 0 {
                return Err(LoyaltyError::InvalidSale(format!(
                    "line {line} earned {points} points"
                )));
            }
            if seen.contains(&line) {
                return Err(LoyaltyError::InvalidSale(format!(
                    "line {line} earned twice"
                )));
            }
            seen.push(line);
            match lines.get_mut(&line) {
                Some(entry) => entry.1 = points,
                None => {
                    return Err(LoyaltyError::InvalidSale(format!(
                        "line {line} earned points but has no net amount"
                    )));
                }
            }
        }
        Ok(lines)
    }
}

/// Adds `refunds` to `base`, refusing unknown lines, negative amounts and refunds beyond
/// what a line sold for.
fn refunds_by_line(
    net: &BTreeMap<u32, (i64, i64)>,
    refunds: &[(u32, i64)],
    base: &BTreeMap<u32, i64>,
) -> Result<BTreeMap<u32, i64>, LoyaltyError> {
    let mut total = base.clone();
    for &(line, amount) in refunds {
        let &(sold, _) = net.get(&line).ok_or(LoyaltyError::UnknownLine(line))?;
        if amount < 0 {
            return Err(LoyaltyError::NegativeRefund { line, amount });
        }
        let entry = total.entry(line).or_insert(0);
        *entry = entry.saturating_add(amount);
        if *entry > sold.max(0) {
            return Err(LoyaltyError::OverReturn {
                line,
                sold,
                returned: *entry,
            });
        }
    }
    Ok(total)
}

/// Points of `earned` taken back once `returned` of a line that sold for `sold` is refunded.
fn cumulative_share(earned: i64, returned: Option<i64>, sold: i64) -> i128 {
    match returned {
        None => 0,
        Some(_) if sold <= 0 => i128::from(earned),
        Some(r) if r >= sold => i128::from(earned),
        Some(r) => i128::from(earned) * i128::from(r) / i128::from(sold),
    }
}
