//! The basket of a sale in progress and its pricing.
//!
//! A [`Basket`] holds numbered [`Line`]s (1-based, never renumbered). Every operation either
//! succeeds or returns a [`BasketError`] and leaves the basket exactly as it was.
//! [`Basket::price`] is a pure function of the basket and a [`PricingContext`]: it applies
//! promotions, manual line discounts and the ticket discount in the order fixed by the
//! stacking rule of [`super::promotion`], then the tax of each line's net amount.
//!
//! Invariant (property-tested): the total equals the sum of the line nets, and every line's
//! net equals its gross minus all its discounts, to the minor unit; in exclusive tax mode the
//! total is the sum of the nets plus the tax. No line's net is ever negative. A line of an
//! item sold by the unit holds a whole number of units; only weighed items take fractions.

use super::coupon::OfferLine;
use super::money::{Currency, Money, Quantity, div_round_half_away};
use super::product::Product;
use super::promotion::{AttachedOffer, OfferApplied, PricingContext, PromotionSaving};
use super::promotion_engine::{EngineLine, assign};
use super::scan::PricedItem;
use super::tax::{self, TaxBreakdown, TaxMode, TaxRate};

/// The largest amount a single line may carry, in minor units; keeps every sum exact.
pub const MAX_LINE_AMOUNT: i64 = 1_000_000_000_000;

/// The most lines one basket holds (voided ones included), far above any real sale.
pub const MAX_LINES: usize = 10_000;

// Every sum over a basket's lines, and over a hundred such baskets, fits in `i64`.
const _: () = assert!((MAX_LINES as i64) * MAX_LINE_AMOUNT < i64::MAX / 100);

/// Why a basket operation was refused. A refused operation changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BasketError {
    #[error("there is no line {0}")]
    UnknownLine(u32),
    #[error("line {0} is voided")]
    VoidedLine(u32),
    #[error("line {line}: {name} is sold by weight; its quantity comes from the scale or label")]
    WeighedItem { line: u32, name: String },
    #[error("quantity must be above zero, got {0}")]
    NonPositiveQuantity(Quantity),
    #[error("{name} is sold by the unit: the quantity must be a whole number, got {quantity}")]
    FractionalUnits { name: String, quantity: Quantity },
    #[error("{what} must not be negative, got {amount}")]
    NegativeAmount { what: &'static str, amount: Money },
    #[error("line {line}: discount {discount} is above the line amount {amount}")]
    DiscountAboveLine {
        line: u32,
        discount: Money,
        amount: Money,
    },
    #[error("ticket discount {discount} is above the subtotal {subtotal}")]
    DiscountAboveSubtotal { discount: Money, subtotal: Money },
    #[error("a percentage must be within 0..=100% (0..=10000 basis points), got {0}")]
    PercentOutOfRange(u32),
    #[error("a reason is required")]
    MissingReason,
    #[error("an operator id is required")]
    MissingOperator,
    #[error("amount in {found} but the basket is in {expected}")]
    CurrencyMismatch {
        expected: &'static str,
        found: &'static str,
    },
    #[error("amount is too large for one line")]
    TooLarge,
    #[error("a basket holds at most {MAX_LINES} lines: finish this sale and start another")]
    TooManyLines,
}

/// A manual discount: a share in basis points (1000 = 10%) or a fixed amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Discount {
    Percent(u32),
    Amount(Money),
}

/// A manual discount with the reason the operator gave.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ManualDiscount {
    pub discount: Discount,
    pub reason: String,
}

/// An operator's replacement of a line's unit price (per kg for weighed items).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PriceOverride {
    pub unit_price: Money,
    /// The line amount at the new price: `unit_price x quantity`, rounded once.
    pub amount: Money,
    pub reason: String,
    pub operator_id: String,
}

/// One line of the basket.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Line {
    /// 1-based, stable: voiding a line does not renumber the others.
    pub line_no: u32,
    pub product: Product,
    pub quantity: Quantity,
    /// Shelf price per unit, or per kilogram for weighed items.
    pub unit_price: Money,
    /// Line amount at the shelf price before any discount; a label's amount as printed.
    pub amount: Money,
    pub price_override: Option<PriceOverride>,
    pub discount: Option<ManualDiscount>,
    /// Voided lines stay visible but count for nothing.
    pub voided: bool,
}

impl Line {
    /// The amount discounts start from: the overridden amount if any, else `amount`.
    pub fn gross(&self) -> Money {
        self.price_override
            .as_ref()
            .map_or(self.amount, |o| o.amount)
    }
}

/// The lines of a sale in progress plus its ticket discount.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Basket {
    currency: Currency,
    lines: Vec<Line>,
    ticket_discount: Option<ManualDiscount>,
}

/// One line after pricing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLine {
    pub line_no: u32,
    pub voided: bool,
    pub quantity: Quantity,
    pub tax_rate: TaxRate,
    /// The line's amount as shown (before override); shown even when voided.
    pub list_amount: Money,
    /// What the line counts for before discounts: zero when voided.
    pub gross: Money,
    /// Each promotion's saving on this line, for the receipt.
    pub promotions: Vec<PromotionSaving>,
    /// The manual line discount as applied.
    pub line_discount: Money,
    /// Each personal offer's saving on this line, for the receipt.
    pub offers: Vec<OfferApplied>,
    /// This line's share of the ticket discount.
    pub ticket_discount: Money,
    /// `gross - promotions - line_discount - ticket_discount`; never negative.
    pub net: Money,
    /// Tax carried by `net` (included in it in inclusive mode, added to it in exclusive).
    pub tax: Money,
}

impl PricedLine {
    pub fn promotion_discount(&self) -> Money {
        let minor = self.promotions.iter().map(|p| p.amount.minor()).sum();
        Money::from_minor(minor, self.gross.currency())
    }

    pub fn offer_discount(&self) -> Money {
        let minor = self.offers.iter().map(|o| o.amount.minor()).sum();
        Money::from_minor(minor, self.gross.currency())
    }

    /// All discounts on this line.
    pub fn total_discount(&self) -> Money {
        let minor = self.promotion_discount().minor()
            + self.line_discount.minor()
            + self.offer_discount().minor()
            + self.ticket_discount.minor();
        Money::from_minor(minor, self.gross.currency())
    }
}

/// A basket after pricing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedBasket {
    pub mode: TaxMode,
    pub lines: Vec<PricedLine>,
    /// Sum of the gross amounts of the lines that count.
    pub subtotal: Money,
    pub promotion_discount: Money,
    /// Manual line discounts plus the ticket discount.
    pub manual_discount: Money,
    /// Personal offers (coupons and shopping-list offers).
    pub offer_discount: Money,
    pub total_discount: Money,
    /// What the customer owes: the sum of the nets, plus the tax in exclusive mode.
    pub total: Money,
    /// Per-rate tax of the net amounts; `tax.line_tax` is in the order of the lines that
    /// count (voided lines are left out).
    pub tax: TaxBreakdown,
}

impl Basket {
    pub fn new(currency: Currency) -> Basket {
        Basket {
            currency,
            lines: Vec::new(),
            ticket_discount: None,
        }
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// Every line, voided ones included, in line-number order.
    pub fn lines(&self) -> &[Line] {
        &self.lines
    }

    pub fn line(&self, line_no: u32) -> Option<&Line> {
        self.lines.iter().find(|l| l.line_no == line_no)
    }

    pub fn ticket_discount(&self) -> Option<&ManualDiscount> {
        self.ticket_discount.as_ref()
    }

    /// Whether no line counts (empty, or all voided).
    pub fn is_empty(&self) -> bool {
        self.lines.iter().all(|l| l.voided)
    }

    /// Adds a priced item as a new line and returns its number.
    ///
    /// The line amount is the item's amount as priced (for in-store labels, the label's
    /// amount). For whole quantities of unit items the unit price is the amount per unit, so a
    /// later quantity change keeps a label's price; otherwise it is the shelf price.
    pub fn add_item(&mut self, item: PricedItem) -> Result<u32, BasketError> {
        self.check_currency(item.amount)?;
        self.check_currency(item.product.price)?;
        if item.quantity.milli() <= 0 {
            return Err(BasketError::NonPositiveQuantity(item.quantity));
        }
        check_units(&item.product, item.quantity)?;
        self.check_amount("line amount", item.amount)?;
        if self.lines.len() >= MAX_LINES {
            return Err(BasketError::TooManyLines);
        }
        let unit_price = match item.quantity.whole_units() {
            Some(n) if !item.product.weighed && item.amount.minor() % n == 0 => {
                Money::from_minor(item.amount.minor() / n, self.currency)
            }
            _ => item.product.price,
        };
        let line_no = self.lines.last().map_or(1, |l| l.line_no + 1);
        self.lines.push(Line {
            line_no,
            product: item.product,
            quantity: item.quantity,
            unit_price,
            amount: item.amount,
            price_override: None,
            discount: None,
            voided: false,
        });
        Ok(line_no)
    }

    /// Changes the quantity of a unit item. Weighed items are refused: their quantity comes
    /// from the scale or the label.
    pub fn set_quantity(&mut self, line_no: u32, quantity: Quantity) -> Result<(), BasketError> {
        let line = self.active_line(line_no)?;
        if line.product.weighed {
            return Err(BasketError::WeighedItem {
                line: line_no,
                name: line.product.name.clone(),
            });
        }
        if quantity.milli() <= 0 {
            return Err(BasketError::NonPositiveQuantity(quantity));
        }
        check_units(&line.product, quantity)?;
        let amount = times(line.unit_price, quantity)?;
        let overridden = match &line.price_override {
            Some(o) => Some(times(o.unit_price, quantity)?),
            None => None,
        };
        let gross = overridden.unwrap_or(amount);
        check_line_discount(line_no, line.discount.as_ref(), gross)?;
        let line = self.line_mut(line_no);
        line.quantity = quantity;
        line.amount = amount;
        if let (Some(o), Some(a)) = (line.price_override.as_mut(), overridden) {
            o.amount = a;
        }
        Ok(())
    }

    /// Voids a line: it stays on the basket, shown as voided, and counts for nothing.
    pub fn void_line(&mut self, line_no: u32) -> Result<(), BasketError> {
        self.active_line(line_no)?;
        self.line_mut(line_no).voided = true;
        Ok(())
    }

    /// Replaces a line's unit price (per kg for weighed items). The line then takes no
    /// promotion.
    pub fn override_price(
        &mut self,
        line_no: u32,
        unit_price: Money,
        reason: &str,
        operator_id: &str,
    ) -> Result<(), BasketError> {
        self.check_currency(unit_price)?;
        let line = self.active_line(line_no)?;
        if unit_price.is_negative() {
            return Err(BasketError::NegativeAmount {
                what: "price",
                amount: unit_price,
            });
        }
        let reason = required(reason, BasketError::MissingReason)?;
        let operator_id = required(operator_id, BasketError::MissingOperator)?;
        let amount = times(unit_price, line.quantity)?;
        check_line_discount(line_no, line.discount.as_ref(), amount)?;
        self.line_mut(line_no).price_override = Some(PriceOverride {
            unit_price,
            amount,
            reason,
            operator_id,
        });
        Ok(())
    }

    /// Sets (or replaces) a line's manual discount. It applies after promotions; an amount
    /// larger than what the promotions leave is capped at that.
    pub fn discount_line(
        &mut self,
        line_no: u32,
        discount: Discount,
        reason: &str,
    ) -> Result<(), BasketError> {
        let line = self.active_line(line_no)?;
        let gross = line.gross();
        let manual = self.manual(discount, reason)?;
        check_line_discount(line_no, Some(&manual), gross)?;
        self.line_mut(line_no).discount = Some(manual);
        Ok(())
    }

    /// Sets (or replaces) the ticket discount. It applies last, over what the lines owe,
    /// spread over the lines by largest remainder; an amount larger than that is capped.
    pub fn discount_ticket(&mut self, discount: Discount, reason: &str) -> Result<(), BasketError> {
        let manual = self.manual(discount, reason)?;
        if let Discount::Amount(amount) = discount {
            let subtotal: i64 = self.counted().map(|l| l.gross().minor()).sum();
            if amount.minor() > subtotal {
                return Err(BasketError::DiscountAboveSubtotal {
                    discount: amount,
                    subtotal: Money::from_minor(subtotal, self.currency),
                });
            }
        }
        self.ticket_discount = Some(manual);
        Ok(())
    }

    /// Applies personal offers in order, each on what the lines cost after promotions,
    /// manual line discounts and the offers before it. Voided and price-overridden lines
    /// take no offer; an offer that matches nothing (or misses its minimum spend) saves
    /// nothing and is left out.
    fn apply_offers(&self, offers: &[AttachedOffer], priced: &mut [PricedLine]) {
        for attached in offers {
            let lines: Vec<OfferLine> = self
                .lines
                .iter()
                .zip(priced.iter())
                .filter(|(l, p)| !p.voided && l.price_override.is_none())
                .map(|(l, p)| OfferLine {
                    line_no: l.line_no,
                    gtin: l.product.gtin,
                    category: l.product.category.clone(),
                    net: p.net.minor(),
                    quantity_milli: l.quantity.milli(),
                })
                .collect();
            let Some(saving) = attached.offer.saving(&lines) else {
                continue;
            };
            for (line_no, part) in saving.per_line {
                if let Some(p) = priced.iter_mut().find(|p| p.line_no == line_no) {
                    let currency = p.net.currency();
                    p.net = Money::from_minor(p.net.minor() - part, currency);
                    p.offers.push(OfferApplied {
                        coupon_id: attached.coupon_id.clone(),
                        title: attached.title.clone(),
                        amount: Money::from_minor(part, currency),
                    });
                }
            }
        }
    }

    /// Prices the basket: promotions, manual line discounts, personal offers, ticket
    /// discount, then tax.
    pub fn price(&self, ctx: &PricingContext<'_>) -> PricedBasket {
        let c = self.currency;
        let money = |minor: i64| Money::from_minor(minor, c);
        let engine_lines: Vec<EngineLine<'_>> = self
            .lines
            .iter()
            .map(|l| EngineLine {
                product: &l.product,
                quantity: l.quantity,
                gross: if l.voided { 0 } else { l.gross().minor() },
                eligible: !l.voided && l.price_override.is_none(),
            })
            .collect();
        let savings = assign(&engine_lines, ctx.promotions, ctx.now, ctx.member);

        let mut priced = Vec::with_capacity(self.lines.len());
        for (line, saved) in self.lines.iter().zip(savings) {
            let gross = if line.voided { 0 } else { line.gross().minor() };
            let promotions: Vec<PromotionSaving> = saved
                .into_iter()
                .map(|(p, qty, amount)| PromotionSaving {
                    promotion_id: ctx.promotions[p].id.clone(),
                    name: ctx.promotions[p].name.clone(),
                    quantity: Quantity::from_milli(qty),
                    amount: money(amount),
                })
                .collect();
            let after_promotions = gross - promotions.iter().map(|p| p.amount.minor()).sum::<i64>();
            let line_discount = match line.discount.as_ref().filter(|_| !line.voided) {
                Some(d) => apply(d.discount, after_promotions),
                None => 0,
            };
            priced.push(PricedLine {
                line_no: line.line_no,
                voided: line.voided,
                quantity: line.quantity,
                tax_rate: line.product.tax_rate,
                list_amount: line.amount,
                gross: money(gross),
                promotions,
                line_discount: money(line_discount),
                offers: Vec::new(),
                ticket_discount: money(0),
                net: money(after_promotions - line_discount),
                tax: money(0),
            });
        }

        self.apply_offers(ctx.offers, &mut priced);
        let counted: Vec<usize> = (0..priced.len()).filter(|&i| !priced[i].voided).collect();
        let weights: Vec<i64> = counted.iter().map(|&i| priced[i].net.minor()).collect();
        let owed: i64 = weights.iter().sum();
        if let Some(ticket) = &self.ticket_discount {
            let amount = apply(ticket.discount, owed);
            for (&i, share) in counted.iter().zip(money(amount).allocate(&weights)) {
                priced[i].ticket_discount = share;
                priced[i].net = money(priced[i].net.minor() - share.minor());
            }
        }

        let tax_lines: Vec<(TaxRate, i64)> = counted
            .iter()
            .map(|&i| (priced[i].tax_rate, priced[i].net.minor()))
            .collect();
        let breakdown = tax::split(ctx.mode, &tax_lines);
        for (&i, t) in counted.iter().zip(&breakdown.line_tax) {
            priced[i].tax = money(*t);
        }
        let sum = |f: &dyn Fn(&PricedLine) -> i64| priced.iter().map(f).sum::<i64>();
        let subtotal = sum(&|l| l.gross.minor());
        let promotion_discount = sum(&|l| l.promotion_discount().minor());
        let manual_discount = sum(&|l| l.line_discount.minor() + l.ticket_discount.minor());
        let offer_discount = sum(&|l| l.offer_discount().minor());
        let nets = sum(&|l| l.net.minor());
        let total = match ctx.mode {
            TaxMode::Inclusive => nets,
            TaxMode::Exclusive => nets + breakdown.tax,
        };
        PricedBasket {
            mode: ctx.mode,
            subtotal: money(subtotal),
            promotion_discount: money(promotion_discount),
            manual_discount: money(manual_discount),
            offer_discount: money(offer_discount),
            total_discount: money(promotion_discount + manual_discount + offer_discount),
            total: money(total),
            tax: breakdown,
            lines: priced,
        }
    }

    /// Whether the manual discounts of this basket as `priced` (line and ticket discounts
    /// together) exceed `limit_bp` of what its lines cost after promotions. Each discount is
    /// rounded once and may exceed its exact share by half a minor unit, which is allowed.
    pub fn manual_discount_exceeds(&self, priced: &PricedBasket, limit_bp: u32) -> bool {
        let base = i128::from(priced.subtotal.minor() - priced.promotion_discount.minor());
        let manual = i128::from(priced.manual_discount.minor());
        let discounts = self.counted().filter(|l| l.discount.is_some()).count()
            + usize::from(self.ticket_discount.is_some());
        manual * 10_000 > base * i128::from(limit_bp) + 5_000 * discounts as i128
    }

    fn counted(&self) -> impl Iterator<Item = &Line> {
        self.lines.iter().filter(|l| !l.voided)
    }

    fn active_line(&self, line_no: u32) -> Result<&Line, BasketError> {
        let line = self
            .line(line_no)
            .ok_or(BasketError::UnknownLine(line_no))?;
        if line.voided {
            return Err(BasketError::VoidedLine(line_no));
        }
        Ok(line)
    }

    fn line_mut(&mut self, line_no: u32) -> &mut Line {
        self.lines
            .iter_mut()
            .find(|l| l.line_no == line_no)
            .expect("line checked by active_line")
    }

    fn check_currency(&self, amount: Money) -> Result<(), BasketError> {
        if amount.currency() == self.currency {
            Ok(())
        } else {
            Err(BasketError::CurrencyMismatch {
                expected: self.currency.code(),
                found: amount.currency().code(),
            })
        }
    }

    fn check_amount(&self, what: &'static str, amount: Money) -> Result<(), BasketError> {
        if amount.is_negative() {
            return Err(BasketError::NegativeAmount { what, amount });
        }
        if amount.minor() > MAX_LINE_AMOUNT {
            return Err(BasketError::TooLarge);
        }
        Ok(())
    }

    fn manual(&self, discount: Discount, reason: &str) -> Result<ManualDiscount, BasketError> {
        match discount {
            Discount::Percent(bp) if bp > 10_000 => {
                return Err(BasketError::PercentOutOfRange(bp));
            }
            Discount::Percent(_) => {}
            Discount::Amount(amount) => {
                self.check_currency(amount)?;
                self.check_amount("discount", amount)?;
            }
        }
        Ok(ManualDiscount {
            discount,
            reason: required(reason, BasketError::MissingReason)?,
        })
    }
}

/// `price x quantity` for a line, refusing overflow and amounts above [`MAX_LINE_AMOUNT`].
fn times(price: Money, quantity: Quantity) -> Result<Money, BasketError> {
    let amount = price.times(quantity).map_err(|_| BasketError::TooLarge)?;
    if amount.minor() > MAX_LINE_AMOUNT {
        return Err(BasketError::TooLarge);
    }
    Ok(amount)
}

/// Refuses a fraction of an item sold by the unit (half a shampoo); weighed items take any
/// positive weight.
pub fn check_units(product: &Product, quantity: Quantity) -> Result<(), BasketError> {
    if !product.weighed && quantity.whole_units().is_none() {
        return Err(BasketError::FractionalUnits {
            name: product.name.clone(),
            quantity,
        });
    }
    Ok(())
}

fn required(text: &str, error: BasketError) -> Result<String, BasketError> {
    let text = text.trim();
    if text.is_empty() {
        Err(error)
    } else {
        Ok(text.to_string())
    }
}

/// Refuses a fixed line discount larger than the line's gross amount.
fn check_line_discount(
    line: u32,
    discount: Option<&ManualDiscount>,
    gross: Money,
) -> Result<(), BasketError> {
    if let Some(ManualDiscount {
        discount: Discount::Amount(amount),
        ..
    }) = discount
        && amount.minor() > gross.minor()
    {
        return Err(BasketError::DiscountAboveLine {
            line,
            discount: *amount,
            amount: gross,
        });
    }
    Ok(())
}

/// The discount on `base` minor units: a rounded share, or a fixed amount capped at `base`.
fn apply(discount: Discount, base: i64) -> i64 {
    let base = base.max(0);
    match discount {
        Discount::Percent(bp) => {
            (div_round_half_away(i128::from(base) * i128::from(bp), 10_000) as i64).clamp(0, base)
        }
        Discount::Amount(amount) => amount.minor().clamp(0, base),
    }
}

#[cfg(test)]
#[path = "basket_tests.rs"]
mod tests;
