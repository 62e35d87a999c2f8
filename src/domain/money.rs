//! Money and quantities as integers.
//!
//! Invariant: every amount is an `i64` count of the currency's minor unit (fen, cents).
//! No float ever touches a money path; decimal strings are parsed digit by digit and
//! products of money and quantity are rounded once, half away from zero, in `i128`.

use std::fmt;

pub use iso_currency::Currency;
use serde::{Deserialize, Serialize};

/// Why a decimal string or an operation on money was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("empty amount")]
    Empty,
    #[error("'{0}' is not a decimal amount (expected digits with an optional '.', e.g. 12.30)")]
    Malformed(String),
    #[error("'{input}' has more than {max} decimal places")]
    TooPrecise { input: String, max: u32 },
    #[error("'{0}' is too large")]
    Overflow(String),
    #[error("'{0}' is not an ISO 4217 currency code")]
    UnknownCurrency(String),
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(&'static str, &'static str),
}

/// Number of decimal places of a currency's minor unit (2 for CNY and USD, 0 for JPY).
pub fn minor_digits(currency: Currency) -> u32 {
    currency.exponent().map(u32::from).unwrap_or(0)
}

/// Parses an ISO 4217 code such as `CNY`.
pub fn parse_currency(code: &str) -> Result<Currency, MoneyError> {
    Currency::from_code(code.trim()).ok_or_else(|| MoneyError::UnknownCurrency(code.to_string()))
}

/// Parses a decimal string into an integer scaled by `10^scale`.
///
/// Accepts an optional leading `-`, digits, and at most `scale` decimals after a `.`.
/// Rejects exponents, signs in the middle, spaces, thousands separators and empty parts,
/// because a till must never guess what an amount means.
pub fn parse_scaled(input: &str, scale: u32) -> Result<i64, MoneyError> {
    if input.is_empty() {
        return Err(MoneyError::Empty);
    }
    let malformed = || MoneyError::Malformed(input.to_string());
    let (negative, body) = match input.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, input),
    };
    let (int_part, frac_part) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    if int_part.is_empty() || !int_part.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed());
    }
    let frac = frac_part.unwrap_or("");
    if frac_part.is_some() && frac.is_empty() {
        return Err(malformed());
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed());
    }
    if frac.len() as u32 > scale {
        return Err(MoneyError::TooPrecise {
            input: input.to_string(),
            max: scale,
        });
    }
    let overflow = || MoneyError::Overflow(input.to_string());
    let mut value: i64 = 0;
    for b in int_part.bytes().chain(frac.bytes()) {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(b - b'0')))
            .ok_or_else(overflow)?;
    }
    let pad = 10_i64
        .checked_pow(scale - frac.len() as u32)
        .ok_or_else(overflow)?;
    value = value.checked_mul(pad).ok_or_else(overflow)?;
    Ok(if negative { -value } else { value })
}

/// Formats an integer scaled by `10^scale` as a decimal string (`-12.30`).
pub fn format_scaled(value: i64, scale: u32) -> String {
    Scaled(value, scale).to_string()
}

/// Writes an integer scaled by `10^scale` as a decimal without allocating; amounts are
/// formatted for every line of every answer, so this sits on the scan path.
struct Scaled(i64, u32);

impl fmt::Display for Scaled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 32];
        f.write_str(write_scaled(&mut buf, self.0, self.1))
    }
}

/// Writes `value / 10^scale` as a decimal into the end of `buf` and returns the text: one
/// pass over the digits, no formatting machinery (this runs for every amount of every
/// answer). `scale` is at most 4 (ISO 4217 minor units, thousandths of a unit).
pub fn write_scaled(buf: &mut [u8; 32], value: i64, scale: u32) -> &str {
    let mut n = value.unsigned_abs();
    let mut at = buf.len();
    let mut put = |b: u8| {
        at -= 1;
        buf[at] = b;
    };
    for _ in 0..scale {
        put(b'0' + (n % 10) as u8);
        n /= 10;
    }
    if scale > 0 {
        put(b'.');
    }
    loop {
        put(b'0' + (n % 10) as u8);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if value < 0 {
        put(b'-');
    }
    // Only ASCII digits, '.' and '-' were written.
    std::str::from_utf8(&buf[at..]).unwrap_or("")
}

/// `numerator / denominator` rounded half away from zero (commercial rounding).
///
/// Symmetric for negative values, so a full refund mirrors its sale to the minor unit.
pub fn div_round_half_away(numerator: i128, denominator: i128) -> i128 {
    assert!(denominator > 0, "denominator must be positive");
    let q = numerator / denominator;
    let r = numerator % denominator;
    if 2 * r.abs() >= denominator {
        q + numerator.signum()
    } else {
        q
    }
}

/// An amount of money: integer minor units in one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    pub fn from_minor(minor: i64, currency: Currency) -> Self {
        Money { minor, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Money::from_minor(0, currency)
    }

    /// Parses a decimal string like `12.30` in the given currency.
    pub fn parse(input: &str, currency: Currency) -> Result<Self, MoneyError> {
        Ok(Money::from_minor(
            parse_scaled(input, minor_digits(currency))?,
            currency,
        ))
    }

    pub fn minor(self) -> i64 {
        self.minor
    }

    pub fn currency(self) -> Currency {
        self.currency
    }

    pub fn is_zero(self) -> bool {
        self.minor == 0
    }

    pub fn is_negative(self) -> bool {
        self.minor < 0
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(
                self.currency.code(),
                other.currency.code(),
            ))
        }
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.minor
            .checked_add(other.minor)
            .map(|m| Money::from_minor(m, self.currency))
            .ok_or_else(|| MoneyError::Overflow(format!("{self} + {other}")))
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.checked_add(-other)
    }

    /// Price times quantity, rounded once to the minor unit.
    pub fn times(self, quantity: Quantity) -> Result<Money, MoneyError> {
        let exact = i128::from(self.minor) * i128::from(quantity.milli());
        let rounded = div_round_half_away(exact, i128::from(Quantity::SCALE));
        i64::try_from(rounded)
            .map(|m| Money::from_minor(m, self.currency))
            .map_err(|_| MoneyError::Overflow(format!("{self} x {quantity}")))
    }

    /// A share of this amount given in basis points (1000 = 10%), rounded half away from zero.
    pub fn basis_points(self, bp: i64) -> Money {
        let share = div_round_half_away(i128::from(self.minor) * i128::from(bp), 10_000);
        // |share| <= |minor| * |bp| / 10_000; callers pass bp <= 10_000 in practice, and the
        // clamp keeps the type total without silently wrapping.
        Money::from_minor(
            share.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64,
            self.currency,
        )
    }

    /// Splits this amount in proportion to `weights` so that the parts add up exactly
    /// (largest-remainder method). Used to spread a ticket discount or a tax over lines.
    pub fn allocate(self, weights: &[i64]) -> Vec<Money> {
        allocate_minor(self.minor, weights)
            .into_iter()
            .map(|m| Money::from_minor(m, self.currency))
            .collect()
    }

    /// Decimal string without a currency sign, e.g. `12.30`.
    pub fn to_decimal_string(self) -> String {
        format_scaled(self.minor, minor_digits(self.currency))
    }
}

/// Splits `total` in proportion to `weights`; the parts always sum to `total`.
///
/// Each part gets the truncated share, and the leftover units go one by one to the parts
/// with the largest remainders (ties to the earlier part), so the split is deterministic.
pub fn allocate_minor(total: i64, weights: &[i64]) -> Vec<i64> {
    let weight_sum: i128 = weights.iter().map(|w| i128::from(w.unsigned_abs())).sum();
    if weights.is_empty() {
        return Vec::new();
    }
    if weight_sum == 0 {
        let mut parts = vec![0; weights.len()];
        parts[0] = total;
        return parts;
    }
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    let mut assigned: i128 = 0;
    for (index, w) in weights.iter().enumerate() {
        let exact = i128::from(total) * i128::from(w.unsigned_abs());
        let part = exact / weight_sum;
        parts.push(part as i64);
        remainders.push(((exact % weight_sum).abs(), index));
        assigned += part;
    }
    let mut leftover = i128::from(total) - assigned;
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let step = leftover.signum() as i64;
    for (_, index) in remainders.iter().cycle() {
        if leftover == 0 {
            break;
        }
        parts[*index] += step;
        leftover -= i128::from(step);
    }
    parts
}

/// Money is written as `{"minor": 1230, "currency": "CNY"}`: exact, and self-describing.
impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Money", 2)?;
        st.serialize_field("minor", &self.minor)?;
        st.serialize_field("currency", self.currency.code())?;
        st.end()
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            minor: i64,
            currency: String,
        }
        let raw = Raw::deserialize(d)?;
        let currency = parse_currency(&raw.currency).map_err(serde::de::Error::custom)?;
        Ok(Money::from_minor(raw.minor, currency))
    }
}

/// In OpenAPI documents, money is `{"minor", "currency"}` as [`Money`]'s serde writes it.
impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .property(
                "minor",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                        utoipa::openapi::KnownFormat::Int64,
                    )))
                    .description(Some(
                        "The amount in the currency's minor units (fen, cents)",
                    )),
            )
            .required("minor")
            .property(
                "currency",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some("ISO 4217 code, e.g. CNY")),
            )
            .required("currency")
            .into()
    }
}

impl utoipa::ToSchema for Money {}

impl std::ops::Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money::from_minor(-self.minor, self.currency)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Scaled(self.minor, minor_digits(self.currency)).fmt(f)
    }
}

/// A quantity in thousandths: 1 item is 1000, 1.250 kg is 1250.
///
/// Three decimals cover scales (grams) and fractional units without floats.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(transparent)]
pub struct Quantity(i64);

impl Quantity {
    pub const SCALE: i64 = 1000;
    pub const ONE: Quantity = Quantity(1000);

    pub fn from_milli(milli: i64) -> Self {
        Quantity(milli)
    }

    pub fn units(units: i64) -> Self {
        Quantity(units * Self::SCALE)
    }

    pub fn milli(self) -> i64 {
        self.0
    }

    pub fn parse(input: &str) -> Result<Self, MoneyError> {
        parse_scaled(input, 3).map(Quantity)
    }

    /// Whole units, if this quantity has no fractional part.
    pub fn whole_units(self) -> Option<i64> {
        (self.0 % Self::SCALE == 0).then_some(self.0 / Self::SCALE)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.whole_units() {
            Some(units) => Scaled(units, 0).fmt(f),
            None => Scaled(self.0, 3).fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn hand_written_decimals_match_the_standard_formatter(value in any::<i64>(), scale in 0u32..=4) {
            let divisor = 10_u64.pow(scale);
            let abs = value.unsigned_abs();
            let sign = if value < 0 { "-" } else { "" };
            let expected = if scale == 0 {
                value.to_string()
            } else {
                format!("{sign}{}.{:0w$}", abs / divisor, abs % divisor, w = scale as usize)
            };
            prop_assert_eq!(format_scaled(value, scale), expected);
        }
    }

    const CNY: Currency = Currency::CNY;

    #[test]
    fn parses_and_formats_decimal_strings() {
        assert_eq!(Money::parse("12.30", CNY).unwrap().minor(), 1230);
        assert_eq!(Money::parse("12.3", CNY).unwrap().minor(), 1230);
        assert_eq!(Money::parse("12", CNY).unwrap().minor(), 1200);
        assert_eq!(Money::parse("-0.05", CNY).unwrap().minor(), -5);
        assert_eq!(Money::parse("0.05", CNY).unwrap().to_string(), "0.05");
        assert_eq!(Money::from_minor(-1230, CNY).to_string(), "-12.30");
        assert_eq!(Money::parse("1500", Currency::JPY).unwrap().minor(), 1500);
    }

    #[test]
    fn refuses_what_is_not_an_amount() {
        for bad in [
            "", "12.", ".5", "1,000", "1e3", "+1", " 1", "1 ", "--1", "1.2.3", "abc", "12.a",
        ] {
            assert!(Money::parse(bad, CNY).is_err(), "accepted {bad:?}");
        }
        assert!(matches!(
            Money::parse("1.234", CNY),
            Err(MoneyError::TooPrecise { max: 2, .. })
        ));
        assert!(matches!(
            Money::parse("1.5", Currency::JPY),
            Err(MoneyError::TooPrecise { max: 0, .. })
        ));
        assert!(matches!(
            Money::parse("99999999999999999999", CNY),
            Err(MoneyError::Overflow(_))
        ));
    }

    #[test]
    fn arithmetic_refuses_mixed_currencies() {
        let a = Money::from_minor(100, CNY);
        let b = Money::from_minor(100, Currency::USD);
        assert!(matches!(
            a.checked_add(b),
            Err(MoneyError::CurrencyMismatch("CNY", "USD"))
        ));
        assert_eq!(a.checked_sub(a).unwrap(), Money::zero(CNY));
    }

    #[test]
    fn price_times_weight_rounds_half_away_from_zero() {
        // 12.98/kg x 1.250 kg = 16.225 -> 16.23
        let price = Money::parse("12.98", CNY).unwrap();
        let qty = Quantity::parse("1.250").unwrap();
        assert_eq!(price.times(qty).unwrap().minor(), 1623);
        assert_eq!((-price).times(qty).unwrap().minor(), -1623);
        assert_eq!(Quantity::parse("3").unwrap().to_string(), "3");
        assert_eq!(Quantity::parse("0.5").unwrap().to_string(), "0.500");
    }

    #[test]
    fn rounding_is_symmetric() {
        assert_eq!(div_round_half_away(5, 10), 1);
        assert_eq!(div_round_half_away(-5, 10), -1);
        assert_eq!(div_round_half_away(4, 10), 0);
        assert_eq!(div_round_half_away(-14, 10), -1);
        assert_eq!(div_round_half_away(15, 10), 2);
    }

    #[test]
    fn allocation_keeps_every_unit() {
        assert_eq!(allocate_minor(100, &[1, 1, 1]), vec![34, 33, 33]);
        assert_eq!(allocate_minor(-100, &[1, 1, 1]), vec![-34, -33, -33]);
        assert_eq!(allocate_minor(7, &[0, 0]), vec![7, 0]);
        assert!(allocate_minor(7, &[]).is_empty());
    }

    proptest! {
        #[test]
        fn parse_format_round_trip(minor in -1_000_000_000_000i64..1_000_000_000_000) {
            let m = Money::from_minor(minor, CNY);
            prop_assert_eq!(Money::parse(&m.to_string(), CNY).unwrap(), m);
        }

        #[test]
        fn allocation_sums_to_total(
            total in -10_000_000i64..10_000_000,
            weights in proptest::collection::vec(0i64..1_000_000, 1..20),
        ) {
            let parts = allocate_minor(total, &weights);
            prop_assert_eq!(parts.iter().sum::<i64>(), total);
            prop_assert_eq!(parts.len(), weights.len());
        }

        #[test]
        fn addition_is_exact(a in -1_000_000_000i64..1_000_000_000, b in -1_000_000_000i64..1_000_000_000) {
            let sum = Money::from_minor(a, CNY).checked_add(Money::from_minor(b, CNY)).unwrap();
            prop_assert_eq!(sum.minor(), a + b);
        }

        #[test]
        fn parser_never_panics(s in "\\PC*") {
            let _ = Money::parse(&s, CNY);
            let _ = Quantity::parse(&s);
        }
    }
}
