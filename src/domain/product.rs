//! Products as the till sees them: identity, names, price, tax and the flags that drive
//! pricing and loyalty (member price, bonus points, weighed, restricted).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::gs1::Gtin;
use super::money::Money;
use super::tax::TaxRate;

/// Whether a product is a national (manufacturer) brand or the store's own brand. The
/// shopping-list engine segments members by this per category.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum BrandType {
    National,
    Store,
    #[default]
    Unknown,
}

impl BrandType {
    /// Accepts the spellings found in retailer feeds: `national`, `store`, `private`, `own`.
    pub fn parse(input: &str) -> Option<BrandType> {
        match input.trim().to_ascii_lowercase().as_str() {
            "" | "unknown" => Some(BrandType::Unknown),
            "national" | "n" => Some(BrandType::National),
            "store" | "private" | "own" | "s" | "p" => Some(BrandType::Store),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BrandType::National => "national",
            BrandType::Store => "store",
            BrandType::Unknown => "unknown",
        }
    }
}

/// Extra loyalty points a product earns, on top of the programme's base rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BonusPoints {
    #[default]
    None,
    /// `+N` points per unit sold.
    Extra(u32),
    /// `xN` the base points of the line.
    Multiplier(u32),
}

impl BonusPoints {
    /// Parses `50` or `+50` (extra points) and `x2` or `×2` (multiplier); empty is none.
    pub fn parse(input: &str) -> Option<BonusPoints> {
        let text = input.trim();
        if text.is_empty() || text == "0" {
            return Some(BonusPoints::None);
        }
        let number = |s: &str| {
            s.parse::<u32>()
                .ok()
                .filter(|_| s.bytes().all(|b| b.is_ascii_digit()))
        };
        if let Some(rest) = text
            .strip_prefix('x')
            .or_else(|| text.strip_prefix('X'))
            .or_else(|| text.strip_prefix('×'))
        {
            return number(rest)
                .filter(|n| *n >= 1)
                .map(BonusPoints::Multiplier);
        }
        number(text.strip_prefix('+').unwrap_or(text)).map(BonusPoints::Extra)
    }
}

impl fmt::Display for BonusPoints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BonusPoints::None => Ok(()),
            BonusPoints::Extra(n) => write!(f, "+{n}"),
            BonusPoints::Multiplier(n) => write!(f, "x{n}"),
        }
    }
}

/// One catalogue item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Product {
    pub gtin: Gtin,
    /// Name printed on receipts in the store's language (Chinese in a Chinese store).
    pub name: String,
    pub name_en: Option<String>,
    /// Shelf price; per kilogram for weighed items.
    pub price: Money,
    pub tax_rate: TaxRate,
    pub department: Option<String>,
    pub category: Option<String>,
    pub brand_type: BrandType,
    pub manufacturer: Option<String>,
    pub member_price: Option<Money>,
    pub bonus_points: BonusPoints,
    /// Sold by weight: the price is per kilogram and the quantity comes from a scale or label.
    pub weighed: bool,
    /// Price look-up code for keyed and in-store labelled items (4011 for bananas).
    pub plu: Option<u32>,
    /// Age- or licence-restricted (tobacco, alcohol): the till asks for a check.
    pub restricted: bool,
    /// The id of this product in the system it was imported from, if any.
    pub external_id: Option<String>,
}
