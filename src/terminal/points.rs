//! Points at the till: what the member may redeem offline, points as a tender, what a
//! completed sale earns and redeems (with ledger transfers whose ids derive from the
//! receipt), and the proportional reversal of both on returns.

use crate::said;
use chrono::{DateTime, Utc};

use super::{CommandError, Terminal};
use crate::domain::basket::PricedBasket;
use crate::domain::loyalty::{EarnLine, Earned, Reversal, SaleLoyalty, sale_transfers};
use crate::store::loyalty::{self, CouponUse, LoyaltyRecord};
use crate::store::members;
use crate::store::sales::{Tender, TenderLine};

impl Terminal {
    /// A refusal of the points programme, its amounts written as the store's money (the
    /// programme counts in minor units).
    fn loyalty_refusal(&self, e: crate::domain::loyalty::LoyaltyError) -> CommandError {
        use crate::domain::loyalty::LoyaltyError as E;
        let money = |minor: i64| crate::domain::money::Money::from_minor(minor, self.currency());
        CommandError::Invalid(match e {
            E::ExceedsTotal { value, total } => said!(
                "points worth {} exceed the {} due",
                money(value),
                money(total)
            ),
            E::ExceedsShare { value, limit } => said!(
                "points worth {} exceed the {} that points may pay on this sale",
                money(value),
                money(limit)
            ),
            E::NegativeRefund { line, amount } => {
                said!("line {}: refund amount {} is negative", line, money(amount))
            }
            E::OverReturn {
                line,
                sold,
                returned,
            } => said!(
                "line {}: {} refunded in all, but the line sold for {}",
                line,
                money(returned),
                money(sold)
            ),
            E::RedeemNotPositive(points) => {
                said!("redeem a positive number of points (got {})", points)
            }
            E::BelowMinimum { points, min } => said!(
                "at least {} points per redemption (asked for {})",
                min,
                points
            ),
            E::AboveMaximum { points, max } => {
                said!("at most {} points per sale (asked for {})", max, points)
            }
            E::InsufficientBalance { available, wanted } => {
                said!("only {} points available (asked for {})", available, wanted)
            }
            E::NothingToPay => said!("nothing is due, so no points can be redeemed"),
            other => other.to_string().into(),
        })
    }

    /// The points of the member on the sale: to show, and to redeem here and now
    /// (offline-safe); none without a member.
    pub fn member_points(&self) -> Result<Option<loyalty::MemberPoints>, CommandError> {
        let Some(at) = &self.member else {
            return Ok(None);
        };
        Ok(Some(loyalty::points(
            &self.store.terminal,
            &at.member.id,
            self.hq_balance(&at.member),
        )?))
    }

    /// Points as a tender: checked against what the member may redeem and the programme's
    /// limits; returns the tender line.
    pub(super) fn points_tender(&self, points: i64, due: i64) -> Result<TenderLine, CommandError> {
        if self.member.is_none() {
            return Err(CommandError::Invalid(said!(
                "identify the member before paying with points"
            )));
        }
        let (already, _) = points_tendered(&self.tenders);
        let redeemable = self.member_points()?.map_or(0, |p| p.redeemable);
        let available = redeemable - already;
        let value = self
            .config
            .loyalty
            .points
            .check_redeem(points, available, due)
            .map_err(|e| self.loyalty_refusal(e))?;
        Ok(TenderLine {
            kind: Tender::Points,
            amount: value,
            reference: Some(points.to_string()),
        })
    }

    /// What the completed sale does for its member: points earned and redeemed, coupons
    /// redeemed, ledger transfers with ids derived from the receipt.
    pub(super) fn loyalty_for_sale(
        &self,
        lines: &[EarnLine],
        offers: &[CouponUse],
        tenders: &[TenderLine],
        receipt_no: u64,
        at: DateTime<Utc>,
    ) -> Result<Option<LoyaltyRecord>, CommandError> {
        let Some(at_till) = &self.member else {
            return Ok(None);
        };
        let member = &at_till.member;
        let program = &self.config.loyalty.points;
        let (redeemed, paid_with_points) = points_tendered(tenders);
        let tier = self.effective_tier(member, at)?;
        let earned: Earned = program.earn(lines, &tier, paid_with_points);
        let source = self.receipt_key(receipt_no);
        let transfers = sale_transfers(
            &member.id,
            &source,
            at,
            redeemed,
            earned.total,
            &program.expiry,
        );
        let before = self.member_points()?.map_or(0, |p| p.shown);
        Ok(Some(LoyaltyRecord {
            member_id: member.id.clone(),
            card: at_till.card.clone(),
            name: member.name.clone(),
            tier,
            earned: earned.total,
            redeemed,
            balance_before: before,
            balance_after: before - redeemed + earned.total,
            sale: Some(SaleLoyalty::new(lines, &earned, redeemed)),
            reversal: None,
            coupons: offers.to_vec(),
            list_id: self.list_id.clone(),
            transfers,
            uncollected: 0,
        }))
    }

    /// The id a sale's ledger transfers derive from: store, terminal and receipt number,
    /// unique in the chain and the same on every replay.
    pub(super) fn receipt_key(&self, receipt_no: u64) -> String {
        format!(
            "{}/{}/{receipt_no}",
            self.config.store.id, self.config.terminal.id
        )
    }

    /// The loyalty record of the sale being completed, from its priced lines.
    pub(super) fn sale_loyalty(
        &self,
        priced: &PricedBasket,
        receipt_no: u64,
        at: DateTime<Utc>,
    ) -> Result<Option<LoyaltyRecord>, CommandError> {
        if self.member.is_none() {
            return Ok(None);
        }
        let mut lines = Vec::new();
        let mut coupons: Vec<CouponUse> = Vec::new();
        for (line, p) in self.basket.lines().iter().zip(&priced.lines) {
            if p.voided {
                continue;
            }
            lines.push(EarnLine {
                line_no: line.line_no,
                category: line.product.category.clone(),
                net: p.net.minor(),
                quantity_milli: line.quantity.milli(),
                bonus: line.product.bonus_points,
            });
            for o in &p.offers {
                match coupons.iter_mut().find(|c| c.coupon_id == o.coupon_id) {
                    Some(c) => c.amount += o.amount.minor(),
                    None => coupons.push(CouponUse {
                        coupon_id: o.coupon_id.clone(),
                        title: o.title.clone(),
                        amount: o.amount.minor(),
                    }),
                }
            }
        }
        self.loyalty_for_sale(&lines, &coupons, &self.tenders, receipt_no, at)
    }

    /// Points on a return: earned points taken back and redeemed points given back in
    /// proportion to what is refunded (cumulatively, so a sale returned in parts moves
    /// exactly what it earned and redeemed). The points given back replace that much of
    /// the money refund.
    pub(super) fn return_loyalty(
        &self,
        record: &mut crate::store::sales::SaleRecord,
        original_receipt: u64,
        at: DateTime<Utc>,
    ) -> Result<(), CommandError> {
        let terminal = &self.store.terminal;
        let Some((sold, returns)) = loyalty::for_receipt(terminal, original_receipt)? else {
            return Ok(());
        };
        let Some(sale) = &sold.sale else {
            return Ok(());
        };
        let earlier = crate::store::sales::refunded_by_line(terminal, original_receipt)?;
        let already = returns
            .iter()
            .filter_map(|r| r.reversal)
            .fold(Reversal::default(), Reversal::plus);
        let now: Vec<(u32, i64)> = record
            .lines
            .iter()
            .map(|l| {
                (
                    l.original_line.unwrap_or(l.line_no),
                    -(l.amount - l.discount),
                )
            })
            .collect();
        let reversal = sale
            .reverse(&earlier, already, &now)
            .map_err(|e| self.loyalty_refusal(e))?;
        let program = &self.config.loyalty.points;
        // Points given back pay that share of the refund; the money refund shrinks by it.
        let refund = -(record.total + record.rounding);
        let value = program
            .redeem_value(reversal.redeemed_back)
            .min(refund.max(0));
        let mut left = value;
        for t in record.tenders.iter_mut().rev() {
            let take = left.min(-t.amount);
            t.amount += take;
            left -= take;
        }
        record.tenders.retain(|t| t.amount != 0);
        if reversal.redeemed_back > 0 {
            record.tenders.push(TenderLine {
                kind: Tender::Points,
                amount: -value,
                reference: Some((-reversal.redeemed_back).to_string()),
            });
        }
        let member = members::by_id(self.catalogue(), &sold.member_id)?;
        let hq = member.as_ref().map_or(0, |m| m.points_balance);
        let before = loyalty::points(terminal, &sold.member_id, hq)?.shown;
        let source = self.receipt_key(self.head.receipt_no + 1);
        let posting = crate::domain::loyalty::return_posting(
            &sold.member_id,
            &source,
            at,
            reversal,
            before,
            program.clawback,
            None,
        );
        let moved: i64 = posting.transfers.iter().map(|t| t.points).sum();
        record.loyalty = Some(LoyaltyRecord {
            member_id: sold.member_id.clone(),
            card: sold.card.clone(),
            name: member.map_or(sold.name.clone(), |m| m.name),
            tier: sold.tier.clone(),
            earned: -reversal.earned_back,
            redeemed: -reversal.redeemed_back,
            balance_before: before,
            balance_after: before + moved,
            sale: None,
            reversal: Some(reversal),
            coupons: Vec::new(),
            list_id: None,
            uncollected: posting.uncollected.map_or(0, |u| u.points),
            transfers: posting.transfers,
        });
        Ok(())
    }

    /// The tier a sale earns at: the member's recorded tier, or the one their rolling
    /// 12-month spend in the purchase history here reaches, whichever multiplies more (HQ
    /// recomputes tiers chain-wide; a till never lowers one).
    fn effective_tier(
        &self,
        member: &crate::domain::member::Member,
        at: DateTime<Utc>,
    ) -> Result<String, CommandError> {
        let program = &self.config.loyalty.points;
        let since = crate::domain::loyalty::rolling_window_start(at);
        let spend = crate::store::history::spend_since(self.catalogue(), &member.id, since)?;
        let by_spend = program.tier_for_spend(spend);
        let recorded = program.tier(&member.tier);
        Ok(match (recorded, by_spend) {
            (Some(r), Some(s)) if s.multiplier_bp > r.multiplier_bp => s.code.clone(),
            (None, Some(s)) => s.code.clone(),
            _ => member.tier.clone(),
        })
    }
}

/// Points tendered on a sale: (points, the value they paid in minor units). A points
/// tender carries its points in the reference.
fn points_tendered(tenders: &[TenderLine]) -> (i64, i64) {
    tenders
        .iter()
        .filter(|t| t.kind == Tender::Points)
        .fold((0, 0), |(points, value), t| {
            let n = t
                .reference
                .as_deref()
                .and_then(|r| r.parse::<i64>().ok())
                .unwrap_or(0);
            (points + n, value + t.amount)
        })
}
