//! Value-added tax: rates, inclusive and exclusive pricing, and the per-rate breakdown.
//!
//! Invariant (tested by property): for any set of lines, the per-rate net plus tax equals
//! the per-rate gross, the rates add up to the ticket, and the ticket total equals the sum
//! of line amounts (inclusive mode) or the sum of line amounts plus tax (exclusive mode),
//! to the minor unit. Tax is computed once per rate on the rate's total, then spread over
//! the lines by largest remainder, so line taxes always add up to the rate's tax.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::money::{MoneyError, allocate_minor, div_round_half_away, format_scaled, parse_scaled};

/// A VAT rate in basis points: 1300 is 13%.
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
pub struct TaxRate(u32);

impl TaxRate {
    /// The Chinese VAT rates most goods and services use.
    pub const CN_STANDARD: TaxRate = TaxRate(1300);
    pub const CN_REDUCED: TaxRate = TaxRate(900);
    pub const CN_SERVICES: TaxRate = TaxRate(600);
    pub const ZERO: TaxRate = TaxRate(0);

    /// Rates above 100% are refused: no VAT system uses them and they hint at a typo.
    pub fn from_basis_points(bp: u32) -> Result<Self, TaxRateError> {
        if bp > 10_000 {
            return Err(TaxRateError::OutOfRange(format_scaled(i64::from(bp), 2)));
        }
        Ok(TaxRate(bp))
    }

    pub fn basis_points(self) -> u32 {
        self.0
    }

    /// Parses a percentage: `13`, `13%`, `9.5` or `9.5%`.
    pub fn parse_percent(input: &str) -> Result<Self, TaxRateError> {
        let text = input.trim();
        let digits = text.strip_suffix('%').unwrap_or(text);
        let bp = parse_scaled(digits, 2).map_err(|e| TaxRateError::Malformed(input.into(), e))?;
        if bp < 0 {
            return Err(TaxRateError::OutOfRange(input.to_string()));
        }
        u32::try_from(bp)
            .map_err(|_| TaxRateError::OutOfRange(input.to_string()))
            .and_then(TaxRate::from_basis_points)
    }
}

impl fmt::Display for TaxRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = format_scaled(i64::from(self.0), 2);
        let text = text.trim_end_matches('0').trim_end_matches('.');
        write!(f, "{text}%")
    }
}

impl TaxRate {
    /// The percentage without its sign, as a configuration writes it: `13`, `7.25`.
    pub fn percent_text(self) -> String {
        let text = format_scaled(i64::from(self.0), 2);
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The VAT rates a store uses (`store.tax_rates`), in the order configured. Every rate a
/// product file gives is checked against them, so a rate off by a factor of 100 (`0.13`
/// meant as 13 %) or a typo is refused instead of being sold at a wrong VAT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxRates(Vec<TaxRate>);

impl Default for TaxRates {
    /// China's rates: 13 % (most goods), 9 %, 6 %, 0 % and 3 % (small-scale taxpayers).
    fn default() -> Self {
        TaxRates(vec![
            TaxRate::CN_STANDARD,
            TaxRate::CN_REDUCED,
            TaxRate::CN_SERVICES,
            TaxRate::ZERO,
            TaxRate(300),
        ])
    }
}

impl TaxRates {
    /// Checks a configured list: not empty, no rate twice, and never a rate together with
    /// a hundred times it (`0.13` would then be ambiguous between them).
    pub fn new(rates: Vec<TaxRate>) -> Result<TaxRates, String> {
        if rates.is_empty() {
            return Err("must name at least one VAT rate, e.g. [\"13\", \"9\"]".into());
        }
        for (i, r) in rates.iter().enumerate() {
            if rates[..i].contains(r) {
                return Err(format!("{r} is listed twice"));
            }
        }
        for r in &rates {
            if r.0 > 0 && r.0 < 100 && rates.contains(&TaxRate(r.0 * 100)) {
                return Err(format!(
                    "{r} and {} cannot both be rates: a fraction such as {} in a product file \
                     would be ambiguous",
                    TaxRate(r.0 * 100),
                    format_scaled(i64::from(r.0), 4)
                        .trim_end_matches('0')
                        .trim_end_matches('.')
                ));
            }
        }
        Ok(TaxRates(rates))
    }

    /// Parses configured percentages (`"13"`, `"9%"`, `"7.25"`) and checks them as [`TaxRates::new`].
    pub fn parse<S: AsRef<str>>(texts: &[S]) -> Result<TaxRates, String> {
        let rates = texts
            .iter()
            .map(|t| TaxRate::parse_percent(t.as_ref()).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        TaxRates::new(rates)
    }

    pub fn rates(&self) -> &[TaxRate] {
        &self.0
    }

    pub fn contains(&self, rate: TaxRate) -> bool {
        self.0.contains(&rate)
    }

    /// Reads a product file's rate: a percentage that is one of these rates (`13`, `9%`),
    /// or a fraction below 1 without `%` whose percentage is (`0.13` is 13 %). Anything
    /// else is refused, naming the rates allowed.
    pub fn read(&self, input: &str) -> Result<TaxRate, String> {
        let text = input.trim();
        let literal = TaxRate::parse_percent(text);
        if let Ok(rate) = literal
            && self.contains(rate)
        {
            return Ok(rate);
        }
        // `0.13` meant as 13 %: a fraction, never when the file wrote `%` itself.
        let fraction = (!text.ends_with('%'))
            .then(|| parse_scaled(text, 4).ok())
            .flatten()
            .filter(|bp| (1..10_000).contains(bp))
            .map(|bp| TaxRate(bp as u32));
        if let Some(rate) = fraction
            && self.contains(rate)
        {
            return Ok(rate);
        }
        match (literal, fraction) {
            (Err(e), None) => Err(e.to_string()),
            (Ok(rate), None) => Err(format!(
                "{rate} is not one of this store's VAT rates ({self}; key `store.tax_rates`)"
            )),
            (_, Some(as_fraction)) => Err(format!(
                "'{text}' is not one of this store's VAT rates ({self}; key `store.tax_rates`), \
                 neither as a percentage nor as the fraction {as_fraction}"
            )),
        }
    }
}

impl fmt::Display for TaxRates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, rate) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{rate}")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaxRateError {
    #[error("'{0}' is not a tax rate in percent (e.g. 13 or 9%): {1}")]
    Malformed(String, MoneyError),
    #[error("tax rate {0}% is outside 0..100%")]
    OutOfRange(String),
}

/// Whether shelf prices include VAT (China, EU retail) or have it added at the till (US).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxMode {
    #[default]
    Inclusive,
    Exclusive,
}

/// One rate's share of a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RateTotal {
    pub rate: TaxRate,
    pub net: i64,
    pub tax: i64,
    pub gross: i64,
}

/// The tax of a whole ticket, rate by rate, plus each line's share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaxBreakdown {
    /// Rates in ascending order.
    pub rates: Vec<RateTotal>,
    /// Tax carried by each input line, in input order.
    pub line_tax: Vec<i64>,
    pub net: i64,
    pub tax: i64,
    pub gross: i64,
}

/// Computes the tax of a ticket whose lines are `(rate, amount in minor units)`.
///
/// In inclusive mode the amounts are gross and tax is extracted; in exclusive mode they are
/// net and tax is added. Negative amounts (returns) mirror positive ones exactly.
pub fn split(mode: TaxMode, lines: &[(TaxRate, i64)]) -> TaxBreakdown {
    let mut rates: Vec<TaxRate> = lines.iter().map(|(r, _)| *r).collect();
    rates.sort_unstable();
    rates.dedup();
    let mut line_tax = vec![0; lines.len()];
    let mut totals = Vec::with_capacity(rates.len());
    for rate in rates {
        let members: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].0 == rate).collect();
        let amounts: Vec<i64> = members.iter().map(|&i| lines[i].1).collect();
        let base: i64 = amounts.iter().sum();
        let bp = i128::from(rate.basis_points());
        let tax = match mode {
            TaxMode::Inclusive => div_round_half_away(i128::from(base) * bp, 10_000 + bp),
            TaxMode::Exclusive => div_round_half_away(i128::from(base) * bp, 10_000),
        } as i64;
        for (slot, share) in members.iter().zip(allocate_minor(tax, &amounts)) {
            line_tax[*slot] = share;
        }
        let (net, gross) = match mode {
            TaxMode::Inclusive => (base - tax, base),
            TaxMode::Exclusive => (base, base + tax),
        };
        totals.push(RateTotal {
            rate,
            net,
            tax,
            gross,
        });
    }
    TaxBreakdown {
        net: totals.iter().map(|t| t.net).sum(),
        tax: totals.iter().map(|t| t.tax).sum(),
        gross: totals.iter().map(|t| t.gross).sum(),
        rates: totals,
        line_tax,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_percentages() {
        assert_eq!(TaxRate::parse_percent("13").unwrap(), TaxRate::CN_STANDARD);
        assert_eq!(TaxRate::parse_percent("9%").unwrap(), TaxRate::CN_REDUCED);
        assert_eq!(
            TaxRate::parse_percent("6.00").unwrap(),
            TaxRate::CN_SERVICES
        );
        assert_eq!(TaxRate::parse_percent("0").unwrap(), TaxRate::ZERO);
        assert_eq!(TaxRate::parse_percent("7.25").unwrap().basis_points(), 725);
        assert_eq!(TaxRate::CN_STANDARD.to_string(), "13%");
        assert_eq!(TaxRate(725).to_string(), "7.25%");
        for bad in ["", "abc", "-5", "101", "13.555", "13%%"] {
            assert!(TaxRate::parse_percent(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn a_store_reads_fractions_of_its_rates_and_refuses_other_rates() {
        let china = TaxRates::default();
        assert_eq!(china.to_string(), "13%, 9%, 6%, 0%, 3%");
        assert_eq!(china.read("13").unwrap(), TaxRate::CN_STANDARD);
        assert_eq!(china.read(" 9% ").unwrap(), TaxRate::CN_REDUCED);
        assert_eq!(china.read("0").unwrap(), TaxRate::ZERO);
        assert_eq!(china.read("0.00").unwrap(), TaxRate::ZERO);
        // Fractions of a configured rate.
        assert_eq!(china.read("0.13").unwrap(), TaxRate::CN_STANDARD);
        assert_eq!(china.read("0.09").unwrap(), TaxRate::CN_REDUCED);
        assert_eq!(china.read("0.03").unwrap(), TaxRate(300));
        // Not a configured rate, whichever way it is read.
        let err = china.read("0.07").unwrap_err();
        assert!(err.contains("13%, 9%, 6%, 0%, 3%"), "{err}");
        assert!(err.contains("store.tax_rates"), "{err}");
        for bad in ["7", "0.5", "1", "0.13%", "20%"] {
            let err = china.read(bad).unwrap_err();
            assert!(err.contains("13%, 9%, 6%, 0%, 3%"), "{bad}: {err}");
        }
        assert!(china.read("130").unwrap_err().contains("outside"));
        assert!(china.read("abc").is_err());
        assert!(china.read("").is_err());
        assert!(china.read("-0.13").is_err());
        // A store with 7 % and 6.5 %.
        let other = TaxRates::parse(&["7", "6.5", "0"]).unwrap();
        assert_eq!(other.read("7").unwrap().basis_points(), 700);
        assert_eq!(other.read("0.07").unwrap().basis_points(), 700);
        assert_eq!(other.read("0.065").unwrap().basis_points(), 650);
        assert!(other.read("13").is_err());
    }

    #[test]
    fn configured_rates_are_checked() {
        assert!(TaxRates::parse::<&str>(&[]).is_err());
        assert!(
            TaxRates::parse(&["13", "13%"])
                .unwrap_err()
                .contains("twice")
        );
        assert!(
            TaxRates::parse(&["13", "0.13"])
                .unwrap_err()
                .contains("ambiguous")
        );
        assert!(TaxRates::parse(&["101"]).is_err());
        assert!(TaxRates::parse(&["x"]).is_err());
        assert_eq!(
            TaxRates::parse(&["13", "9", "6", "0", "3"]).unwrap(),
            TaxRates::default()
        );
        assert_eq!(TaxRate(725).percent_text(), "7.25");
        assert_eq!(TaxRate::ZERO.percent_text(), "0");
        assert_eq!(TaxRate::CN_STANDARD.percent_text(), "13");
    }

    #[test]
    fn inclusive_extracts_tax_per_rate() {
        // 113.00 at 13% holds 13.00 tax; 109.00 at 9% holds 9.00.
        let b = split(
            TaxMode::Inclusive,
            &[
                (TaxRate::CN_STANDARD, 11_300),
                (TaxRate::CN_REDUCED, 10_900),
            ],
        );
        assert_eq!(b.rates[0].rate, TaxRate::CN_REDUCED);
        assert_eq!((b.rates[0].net, b.rates[0].tax), (10_000, 900));
        assert_eq!((b.rates[1].net, b.rates[1].tax), (10_000, 1_300));
        assert_eq!(b.gross, 22_200);
        assert_eq!(b.line_tax, vec![1_300, 900]);
    }

    #[test]
    fn exclusive_adds_tax_per_rate() {
        let b = split(
            TaxMode::Exclusive,
            &[(TaxRate(800), 999), (TaxRate(800), 1), (TaxRate::ZERO, 500)],
        );
        assert_eq!(b.tax, 80);
        assert_eq!(b.gross, 1_580);
        assert_eq!(b.line_tax, vec![80, 0, 0]);
    }

    #[test]
    fn a_refund_mirrors_its_sale() {
        let sale = split(TaxMode::Inclusive, &[(TaxRate::CN_STANDARD, 1_999)]);
        let refund = split(TaxMode::Inclusive, &[(TaxRate::CN_STANDARD, -1_999)]);
        assert_eq!(refund.tax, -sale.tax);
        assert_eq!(refund.net, -sale.net);
    }

    fn rate() -> impl Strategy<Value = TaxRate> {
        prop_oneof![
            Just(TaxRate::CN_STANDARD),
            Just(TaxRate::CN_REDUCED),
            Just(TaxRate::CN_SERVICES),
            Just(TaxRate::ZERO),
            (0u32..=10_000).prop_map(TaxRate),
        ]
    }

    fn mode() -> impl Strategy<Value = TaxMode> {
        prop_oneof![Just(TaxMode::Inclusive), Just(TaxMode::Exclusive)]
    }

    proptest! {
        #[test]
        fn lines_and_tax_add_up_to_the_total(
            mode in mode(),
            lines in proptest::collection::vec((rate(), -1_000_000i64..10_000_000), 0..40),
        ) {
            let b = split(mode, &lines);
            let line_sum: i64 = lines.iter().map(|(_, a)| a).sum();
            match mode {
                TaxMode::Inclusive => prop_assert_eq!(b.gross, line_sum),
                TaxMode::Exclusive => prop_assert_eq!(b.gross, line_sum + b.tax),
            }
            prop_assert_eq!(b.net + b.tax, b.gross);
            prop_assert_eq!(b.line_tax.iter().sum::<i64>(), b.tax);
            for r in &b.rates {
                prop_assert_eq!(r.net + r.tax, r.gross);
                let carried: i64 = lines.iter().zip(&b.line_tax)
                    .filter(|((lr, _), _)| *lr == r.rate).map(|(_, t)| *t).sum();
                prop_assert_eq!(carried, r.tax);
            }
            prop_assert_eq!(b.rates.iter().map(|r| r.gross).sum::<i64>(), b.gross);
        }

        #[test]
        fn inclusive_tax_is_the_nearest_unit(base in 0i64..100_000_000, bp in 0u32..=10_000) {
            let b = split(TaxMode::Inclusive, &[(TaxRate(bp), base)]);
            // tax / net must be within half a unit of the rate.
            let exact_num = i128::from(base) * i128::from(bp);
            let den = 10_000 + i128::from(bp);
            prop_assert!((i128::from(b.tax) * den - exact_num).abs() * 2 <= den);
        }
    }
}
