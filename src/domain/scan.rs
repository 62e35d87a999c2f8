//! Turning a scanned or keyed item into a priced quantity: trade items, weighed items and
//! in-store labels with an embedded price or weight. Pure: the catalogue lookup is done
//! by the caller.

use super::gs1::{MeasureKind, VariableMeasure};
use super::money::{Money, Quantity, div_round_half_away, minor_digits};
use super::product::Product;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    #[error("{0} is sold by weight: put it on the scale or scan its label")]
    NeedsWeight(String),
    #[error("the amount on this label is too large")]
    Overflow,
}

/// A priced quantity of one product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedItem {
    pub product: Product,
    pub quantity: Quantity,
    /// The line amount before promotions, at the shelf price.
    pub amount: Money,
}

/// Prices one unit of a product, or the quantity an in-store label carries.
pub fn price_item(
    product: Product,
    label: Option<&VariableMeasure>,
) -> Result<PricedItem, PricingError> {
    let price = product.price;
    match label {
        None if product.weighed => Err(PricingError::NeedsWeight(product.name.clone())),
        None => Ok(PricedItem {
            amount: price,
            quantity: Quantity::ONE,
            product,
        }),
        Some(label) => match label.kind {
            MeasureKind::Weight => {
                let milli = rescale(label.value, label.decimals.into(), 3);
                let quantity = Quantity::from_milli(milli);
                let amount = price.times(quantity).map_err(|_| PricingError::Overflow)?;
                Ok(PricedItem {
                    product,
                    quantity,
                    amount,
                })
            }
            MeasureKind::Price => {
                let digits = minor_digits(price.currency());
                let amount = Money::from_minor(
                    rescale(label.value, label.decimals.into(), digits),
                    price.currency(),
                );
                // A weighed item's label price implies its weight; a unit item is one unit.
                let quantity = if product.weighed && price.minor() > 0 {
                    Quantity::from_milli(div_round_half_away(
                        i128::from(amount.minor()) * 1000,
                        i128::from(price.minor()),
                    ) as i64)
                } else {
                    Quantity::ONE
                };
                Ok(PricedItem {
                    product,
                    quantity,
                    amount,
                })
            }
        },
    }
}

/// Changes the scale of a fixed-point value, rounding half away from zero.
fn rescale(value: i64, from: u32, to: u32) -> i64 {
    if to >= from {
        value * 10_i64.pow(to - from)
    } else {
        div_round_half_away(i128::from(value), 10_i128.pow(from - to)) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::gs1::Gtin;
    use crate::domain::money::Currency;
    use crate::domain::product::{BonusPoints, BrandType};
    use crate::domain::tax::TaxRate;

    fn bananas() -> Product {
        Product {
            gtin: Gtin::parse("6920000000463").unwrap(),
            name: "香蕉".into(),
            name_en: Some("Bananas".into()),
            price: Money::from_minor(698, Currency::CNY),
            tax_rate: TaxRate::CN_REDUCED,
            department: None,
            category: None,
            brand_type: BrandType::Unknown,
            manufacturer: None,
            member_price: None,
            bonus_points: BonusPoints::None,
            weighed: true,
            plu: Some(4011),
            restricted: false,
            external_id: None,
        }
    }

    #[test]
    fn weight_labels_price_by_the_kilogram() {
        let label = VariableMeasure {
            item_code: 4011,
            kind: MeasureKind::Weight,
            value: 1235,
            decimals: 3,
        };
        let item = price_item(bananas(), Some(&label)).unwrap();
        assert_eq!(item.quantity.milli(), 1235);
        assert_eq!(item.amount.minor(), 862); // 6.98 x 1.235 = 8.6203
    }

    #[test]
    fn price_labels_carry_the_amount_and_imply_the_weight() {
        let label = VariableMeasure {
            item_code: 4011,
            kind: MeasureKind::Price,
            value: 350,
            decimals: 2,
        };
        let item = price_item(bananas(), Some(&label)).unwrap();
        assert_eq!(item.amount.minor(), 350);
        assert_eq!(item.quantity.milli(), 501); // 3.50 / 6.98 kg
    }

    #[test]
    fn a_weighed_item_without_weight_is_refused() {
        assert!(matches!(
            price_item(bananas(), None),
            Err(PricingError::NeedsWeight(_))
        ));
        let mut water = bananas();
        water.weighed = false;
        assert_eq!(price_item(water, None).unwrap().quantity, Quantity::ONE);
    }
}
