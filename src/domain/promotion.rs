//! Promotions: what they are, when they run, and what each one saves on the units it takes.
//!
//! A [`Promotion`] has an id, a name printed on the receipt, a time window (`start`
//! inclusive, `end` exclusive, optionally limited to days of the week and hours of the day
//! in the store's local time), a member-only flag and a [`PromotionKind`]:
//! member price, percent off, amount off per unit, buy X get Y, mix-and-match (any N from a
//! group for a fixed price) and bundle price (one each of a set of products for a fixed
//! price). Amounts are minor units of the basket's currency.
//!
//! # Stacking rule
//!
//! The basket is priced in this order, and each step only sees what the previous left:
//!
//! 1. **Overrides exclude.** A line whose price was overridden by an operator, and any voided
//!    line, takes no promotion.
//! 2. **One promotion per unit.** Every unit of a line (or the whole line, for weighed and
//!    fractional quantities) takes at most one promotion. Member price, percent off and
//!    amount off act on single units; buy X get Y, mix-and-match and bundles act on groups
//!    of whole units of non-weighed lines.
//! 3. **Largest saving wins.** Among the promotions that are active (inside their window,
//!    and for member-only ones or member prices, with a member identified) the engine picks
//!    the assignment of units to promotions that gives the customer the largest total saving.
//!    The search is exact (see `promotion_engine`): the first remaining unit either takes its
//!    best single-unit promotion or joins a group that contains it, memoised on the remaining
//!    unit counts per line. Baskets too large for the exact search (a fixed work budget) fall
//!    back to a greedy that repeatedly applies the group with the largest extra saving over
//!    the single-unit promotions of its units; it never saves less than single-unit
//!    promotions alone.
//! 4. **Manual line discounts** apply after promotions, on what the promotions left.
//! 5. **Personal offers** (the member's signed coupons, alone or from a shopping list) apply
//!    next, in the order they were attached, each on what is left; they never touch a line
//!    whose price was overridden.
//! 6. **The ticket discount** applies last, spread over lines by largest remainder.
//!
//! Promotions never make a line negative: a unit's saving is at most its price, and a group's
//! saving is spread over its units in proportion to their prices.

use chrono::{DateTime, Datelike, Duration, Timelike, Utc, Weekday};
use serde::{Deserialize, Serialize};

use super::gs1::Gtin;
use super::money::{Money, Quantity, allocate_minor, div_round_half_away};
use super::product::Product;
use super::tax::TaxMode;

/// Which products a promotion applies to: `"any"`, `{"gtins": ["…"]}` or
/// `{"category": "…"}` in a promotions file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// Every product.
    Any,
    /// The products with these GTINs.
    Gtins(Vec<Gtin>),
    /// The products of this category (exact match).
    Category(String),
}

impl Target {
    pub fn matches(&self, product: &Product) -> bool {
        match self {
            Target::Any => true,
            Target::Gtins(gtins) => gtins.contains(&product.gtin),
            Target::Category(c) => product.category.as_deref() == Some(c.as_str()),
        }
    }
}

/// What a promotion does; in a promotions file, e.g.
/// `{"buy_x_get_y": {"target": "any", "buy": 2, "get": 1, "basis_points": 10000}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PromotionKind {
    /// The product's `member_price` instead of its shelf price, when a member is identified.
    MemberPrice { target: Target },
    /// A share off each unit, in basis points (1000 = 10%).
    PercentOff { target: Target, basis_points: u32 },
    /// A fixed amount off each unit (per kilogram for weighed items), at most the unit price.
    AmountOff { target: Target, per_unit: i64 },
    /// Buy `buy` units and the cheapest `get` more of the group are `basis_points` off
    /// (10000 = free).
    BuyXGetY {
        target: Target,
        buy: u32,
        get: u32,
        basis_points: u32,
    },
    /// Any `count` units of the target for `price` together.
    MixAndMatch {
        target: Target,
        count: u32,
        price: i64,
    },
    /// One unit of each of these distinct products together for `price`.
    Bundle { gtins: Vec<Gtin>, price: i64 },
}

/// Why a promotion definition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromotionError {
    #[error("promotion {0}: the window must end after it starts")]
    EmptyWindow(String),
    #[error("promotion {0}: hours must be two different hours in 0..=24")]
    BadHours(String),
    #[error("promotion {0}: percent must be in 0..=100% (0..=10000 basis points)")]
    BadPercent(String),
    #[error("promotion {0}: amounts and prices must not be negative")]
    NegativeAmount(String),
    #[error("promotion {0}: buy and get must both be at least 1")]
    BadBuyGet(String),
    #[error("promotion {0}: a mix-and-match needs at least 2 units")]
    BadCount(String),
    #[error("promotion {0}: a bundle needs at least 2 distinct products")]
    BadBundle(String),
}

/// A promotion as loaded from the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Promotion {
    pub id: String,
    /// Printed on the receipt next to the saving.
    pub name: String,
    /// First instant the promotion runs.
    pub start: DateTime<Utc>,
    /// First instant it no longer runs.
    pub end: DateTime<Utc>,
    /// Days of the week (store local time) it runs; empty means every day.
    #[serde(default)]
    #[schema(value_type = Vec<String>, example = json!(["Sat", "Sun"]))]
    pub days: Vec<Weekday>,
    /// Hours `[from, to)` of the day (store local time) it runs; `from > to` wraps past
    /// midnight. `None` means all day.
    #[serde(default)]
    #[schema(value_type = Option<Vec<u32>>, min_items = 2, max_items = 2)]
    pub hours: Option<(u32, u32)>,
    /// Offset of the store's local time from UTC, for `days` and `hours`; the terminal sets
    /// it from the store's configuration when it loads the promotion.
    #[serde(default)]
    pub utc_offset_minutes: i32,
    /// Only for identified members.
    #[serde(default)]
    pub member_only: bool,
    pub kind: PromotionKind,
}

impl Promotion {
    /// A promotion running every day and hour of `[start, end)`, for everyone.
    pub fn new(
        id: &str,
        name: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        kind: PromotionKind,
    ) -> Promotion {
        Promotion {
            id: id.to_string(),
            name: name.to_string(),
            start,
            end,
            days: Vec::new(),
            hours: None,
            utc_offset_minutes: 0,
            member_only: false,
            kind,
        }
    }

    /// Checks the definition; the engine ignores promotions that fail this.
    pub fn validate(&self) -> Result<(), PromotionError> {
        let id = || self.id.clone();
        if self.end <= self.start {
            return Err(PromotionError::EmptyWindow(id()));
        }
        if let Some((from, to)) = self.hours
            && (from > 24 || to > 24 || from == to)
        {
            return Err(PromotionError::BadHours(id()));
        }
        let percent_ok = |bp: u32| bp <= 10_000;
        match &self.kind {
            PromotionKind::MemberPrice { .. } => {}
            PromotionKind::PercentOff { basis_points, .. } => {
                if !percent_ok(*basis_points) {
                    return Err(PromotionError::BadPercent(id()));
                }
            }
            PromotionKind::AmountOff { per_unit, .. } => {
                if *per_unit < 0 {
                    return Err(PromotionError::NegativeAmount(id()));
                }
            }
            PromotionKind::BuyXGetY {
                buy,
                get,
                basis_points,
                ..
            } => {
                if *buy < 1 || *get < 1 || buy.saturating_add(*get) > 100 {
                    return Err(PromotionError::BadBuyGet(id()));
                }
                if !percent_ok(*basis_points) {
                    return Err(PromotionError::BadPercent(id()));
                }
            }
            PromotionKind::MixAndMatch { count, price, .. } => {
                if *count < 2 || *count > 100 {
                    return Err(PromotionError::BadCount(id()));
                }
                if *price < 0 {
                    return Err(PromotionError::NegativeAmount(id()));
                }
            }
            PromotionKind::Bundle { gtins, price } => {
                if distinct(gtins).len() < 2 || gtins.len() > 100 {
                    return Err(PromotionError::BadBundle(id()));
                }
                if *price < 0 {
                    return Err(PromotionError::NegativeAmount(id()));
                }
            }
        }
        Ok(())
    }

    /// Whether the promotion applies at `now` for this customer.
    pub fn is_active(&self, now: DateTime<Utc>, member: bool) -> bool {
        if self.validate().is_err() || now < self.start || now >= self.end {
            return false;
        }
        let needs_member =
            self.member_only || matches!(self.kind, PromotionKind::MemberPrice { .. });
        if needs_member && !member {
            return false;
        }
        let local = now + Duration::minutes(i64::from(self.utc_offset_minutes));
        if !self.days.is_empty() && !self.days.contains(&local.weekday()) {
            return false;
        }
        match self.hours {
            None => true,
            Some((from, to)) if from < to => (from..to).contains(&local.hour()),
            Some((from, to)) => local.hour() >= from || local.hour() < to,
        }
    }

    /// Whether this promotion acts on groups of units rather than single units.
    pub fn is_group(&self) -> bool {
        matches!(
            self.kind,
            PromotionKind::BuyXGetY { .. }
                | PromotionKind::MixAndMatch { .. }
                | PromotionKind::Bundle { .. }
        )
    }

    /// Whether a unit of `product` may take part in this promotion.
    pub fn applies_to(&self, product: &Product) -> bool {
        match &self.kind {
            PromotionKind::MemberPrice { target } => {
                target.matches(product) && product.member_price.is_some()
            }
            PromotionKind::PercentOff { target, .. }
            | PromotionKind::AmountOff { target, .. }
            | PromotionKind::BuyXGetY { target, .. }
            | PromotionKind::MixAndMatch { target, .. } => target.matches(product),
            PromotionKind::Bundle { gtins, .. } => gtins.contains(&product.gtin),
        }
    }

    /// Number of units in one group of a group promotion.
    pub fn group_size(&self) -> usize {
        match &self.kind {
            PromotionKind::BuyXGetY { buy, get, .. } => (*buy + *get) as usize,
            PromotionKind::MixAndMatch { count, .. } => *count as usize,
            PromotionKind::Bundle { gtins, .. } => distinct(gtins).len(),
            _ => 1,
        }
    }

    /// The saving of a single-unit promotion on one unit worth `value`, or on a whole
    /// weighed or fractional line worth `value` when `whole_line` holds its quantity.
    /// Always in `0..=value`; zero for group promotions and products it does not apply to.
    pub fn unit_saving(&self, product: &Product, value: i64, whole_line: Option<Quantity>) -> i64 {
        if !self.applies_to(product) || value <= 0 {
            return 0;
        }
        let saving = match &self.kind {
            PromotionKind::MemberPrice { .. } => {
                let Some(member) = product.member_price else {
                    return 0;
                };
                let member_amount = match whole_line {
                    Some(q) => member.times(q).map(|m| m.minor()).unwrap_or(value),
                    None => member.minor(),
                };
                value - member_amount
            }
            PromotionKind::PercentOff { basis_points, .. } => {
                div_round_half_away(i128::from(value) * i128::from(*basis_points), 10_000) as i64
            }
            PromotionKind::AmountOff { per_unit, .. } => match whole_line {
                Some(q) => Money::from_minor(*per_unit, product.price.currency())
                    .times(q)
                    .map(|m| m.minor())
                    .unwrap_or(value),
                None => *per_unit,
            },
            _ => 0,
        };
        saving.clamp(0, value)
    }

    /// The saving of a group promotion on one group of units worth `values`, unit by unit
    /// in the same order, or `None` when the group does not fit or saves nothing.
    /// Each unit's share is in `0..=its value`.
    pub fn group_savings(&self, values: &[i64]) -> Option<Vec<i64>> {
        if values.len() != self.group_size() || values.iter().any(|v| *v < 0) {
            return None;
        }
        let savings = match &self.kind {
            PromotionKind::BuyXGetY {
                get, basis_points, ..
            } => {
                let mut order: Vec<usize> = (0..values.len()).collect();
                order.sort_by_key(|&i| (values[i], i));
                let mut savings = vec![0; values.len()];
                for &i in order.iter().take(*get as usize) {
                    savings[i] = div_round_half_away(
                        i128::from(values[i]) * i128::from(*basis_points),
                        10_000,
                    ) as i64;
                }
                savings
            }
            PromotionKind::MixAndMatch { price, .. } | PromotionKind::Bundle { price, .. } => {
                let saving = values.iter().sum::<i64>() - price;
                if saving <= 0 {
                    return None;
                }
                allocate_minor(saving, values)
            }
            _ => return None,
        };
        (savings.iter().sum::<i64>() > 0).then_some(savings)
    }
}

/// The distinct GTINs of a list, in first-seen order.
pub(crate) fn distinct(gtins: &[Gtin]) -> Vec<Gtin> {
    let mut out: Vec<Gtin> = Vec::with_capacity(gtins.len());
    for g in gtins {
        if !out.contains(g) {
            out.push(*g);
        }
    }
    out
}

/// Everything pricing needs besides the basket: the time, whether a member is identified,
/// the promotions on offer and the store's tax mode.
#[derive(Debug, Clone, Copy)]
pub struct PricingContext<'a> {
    pub now: DateTime<Utc>,
    pub member: bool,
    pub promotions: &'a [Promotion],
    /// The member's personal offers (coupons, shopping-list offers) attached to the sale,
    /// applied in this order after promotions and manual line discounts.
    pub offers: &'a [AttachedOffer],
    pub mode: TaxMode,
}

/// A personal offer attached to a sale: a verified coupon, scanned on its own or as part
/// of a shopping list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachedOffer {
    pub coupon_id: String,
    /// Printed on the receipt beside the saving.
    pub title: String,
    pub offer: super::coupon::Offer,
}

/// One personal offer's saving on one line (positive), for the receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferApplied {
    pub coupon_id: String,
    pub title: String,
    pub amount: Money,
}

/// One promotion's saving on one line, for the receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromotionSaving {
    pub promotion_id: String,
    pub name: String,
    /// Units of the line that took part in the promotion.
    pub quantity: Quantity,
    /// The saving on this line (positive).
    pub amount: Money,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Currency;
    use crate::domain::product::{BonusPoints, BrandType};
    use crate::domain::tax::TaxRate;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    fn product(member_price: Option<i64>) -> Product {
        Product {
            gtin: Gtin::parse("6901234567892").unwrap(),
            name: "Tea".into(),
            name_en: None,
            price: Money::from_minor(1000, Currency::CNY),
            tax_rate: TaxRate::CN_STANDARD,
            department: None,
            category: Some("drinks".into()),
            brand_type: BrandType::Unknown,
            manufacturer: None,
            member_price: member_price.map(|m| Money::from_minor(m, Currency::CNY)),
            bonus_points: BonusPoints::None,
            weighed: false,
            plu: None,
            restricted: false,
            external_id: None,
        }
    }

    fn promo(kind: PromotionKind) -> Promotion {
        Promotion::new("P1", "Promo", at(2026, 1, 1, 0), at(2026, 2, 1, 0), kind)
    }

    #[test]
    fn windows_days_and_hours() {
        let mut p = promo(PromotionKind::PercentOff {
            target: Target::Any,
            basis_points: 1000,
        });
        assert!(p.is_active(at(2026, 1, 1, 0), false));
        assert!(!p.is_active(at(2026, 2, 1, 0), false), "end is exclusive");
        assert!(!p.is_active(at(2025, 12, 31, 23), false));
        // 2026-01-05 is a Monday.
        p.days = vec![Weekday::Mon];
        assert!(p.is_active(at(2026, 1, 5, 10), false));
        assert!(!p.is_active(at(2026, 1, 6, 10), false));
        // Monday 17:00-19:00 in UTC+8 is 09:00-11:00 UTC.
        p.hours = Some((17, 19));
        p.utc_offset_minutes = 480;
        assert!(p.is_active(at(2026, 1, 5, 9), false));
        assert!(!p.is_active(at(2026, 1, 5, 11), false));
        p.days.clear();
        p.hours = Some((22, 2));
        p.utc_offset_minutes = 0;
        assert!(p.is_active(at(2026, 1, 5, 23), false));
        assert!(p.is_active(at(2026, 1, 5, 1), false));
        assert!(!p.is_active(at(2026, 1, 5, 12), false));
    }

    #[test]
    fn member_only_and_member_price_need_a_member() {
        let mut p = promo(PromotionKind::PercentOff {
            target: Target::Any,
            basis_points: 2000,
        });
        p.member_only = true;
        assert!(!p.is_active(at(2026, 1, 2, 0), false));
        assert!(p.is_active(at(2026, 1, 2, 0), true));
        let mp = promo(PromotionKind::MemberPrice {
            target: Target::Any,
        });
        assert!(!mp.is_active(at(2026, 1, 2, 0), false));
        assert!(mp.is_active(at(2026, 1, 2, 0), true));
        assert_eq!(mp.unit_saving(&product(Some(850)), 1000, None), 150);
        assert_eq!(mp.unit_saving(&product(None), 1000, None), 0);
        assert_eq!(mp.unit_saving(&product(Some(1200)), 1000, None), 0);
    }

    #[test]
    fn unit_savings_of_percent_and_amount_off() {
        let p = promo(PromotionKind::PercentOff {
            target: Target::Category("drinks".into()),
            basis_points: 1250,
        });
        assert_eq!(p.unit_saving(&product(None), 999, None), 125); // 124.875
        let a = promo(PromotionKind::AmountOff {
            target: Target::Any,
            per_unit: 300,
        });
        assert_eq!(a.unit_saving(&product(None), 1000, None), 300);
        assert_eq!(a.unit_saving(&product(None), 200, None), 200, "capped");
        // 3.00/kg off 1.250 kg = 3.75
        assert_eq!(
            a.unit_saving(&product(None), 1623, Some(Quantity::from_milli(1250))),
            375
        );
        let other = promo(PromotionKind::PercentOff {
            target: Target::Category("food".into()),
            basis_points: 1250,
        });
        assert_eq!(other.unit_saving(&product(None), 999, None), 0);
    }

    #[test]
    fn group_savings_of_each_kind() {
        let b = promo(PromotionKind::BuyXGetY {
            target: Target::Any,
            buy: 2,
            get: 1,
            basis_points: 10_000,
        });
        assert_eq!(b.group_savings(&[500, 300, 400]), Some(vec![0, 300, 0]));
        assert_eq!(b.group_savings(&[500, 300]), None);
        let half = promo(PromotionKind::BuyXGetY {
            target: Target::Any,
            buy: 1,
            get: 1,
            basis_points: 5_000,
        });
        assert_eq!(half.group_savings(&[801, 1000]), Some(vec![401, 0]));
        let m = promo(PromotionKind::MixAndMatch {
            target: Target::Any,
            count: 3,
            price: 1000,
        });
        assert_eq!(m.group_savings(&[400, 400, 400]), Some(vec![67, 67, 66]));
        assert_eq!(m.group_savings(&[300, 300, 400]), None, "no saving");
        let g1 = Gtin::parse("6901234567892").unwrap();
        let g2 = Gtin::parse("4006381333931").unwrap();
        let bundle = promo(PromotionKind::Bundle {
            gtins: vec![g1, g2, g1],
            price: 1500,
        });
        assert_eq!(bundle.group_size(), 2);
        assert_eq!(bundle.group_savings(&[1000, 1000]), Some(vec![250, 250]));
    }

    #[test]
    fn bad_definitions_are_refused_and_inactive() {
        let mut p = promo(PromotionKind::PercentOff {
            target: Target::Any,
            basis_points: 10_001,
        });
        assert!(matches!(p.validate(), Err(PromotionError::BadPercent(_))));
        assert!(!p.is_active(at(2026, 1, 2, 0), true));
        p.kind = PromotionKind::MixAndMatch {
            target: Target::Any,
            count: 1,
            price: 100,
        };
        assert!(matches!(p.validate(), Err(PromotionError::BadCount(_))));
        p.kind = PromotionKind::BuyXGetY {
            target: Target::Any,
            buy: 0,
            get: 1,
            basis_points: 10_000,
        };
        assert!(matches!(p.validate(), Err(PromotionError::BadBuyGet(_))));
        p.kind = PromotionKind::AmountOff {
            target: Target::Any,
            per_unit: -1,
        };
        assert!(matches!(
            p.validate(),
            Err(PromotionError::NegativeAmount(_))
        ));
        p.kind = PromotionKind::Bundle {
            gtins: vec![Gtin::parse("6901234567892").unwrap(); 2],
            price: 1,
        };
        assert!(matches!(p.validate(), Err(PromotionError::BadBundle(_))));
        p.end = p.start;
        assert!(matches!(p.validate(), Err(PromotionError::EmptyWindow(_))));
    }
}
