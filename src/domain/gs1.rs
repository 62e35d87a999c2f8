//! GS1 identifiers: GTIN-8/12/13/14 with check digits, and in-store variable-measure codes.
//!
//! Every GTIN is normalised to GTIN-14 (left-padded with zeros) so one lookup key serves
//! all lengths: a UPC-A scanned as 12 digits and the same item keyed as EAN-13 meet.
//! The mod-10 check digit catches every single-digit error, which is why a code with a
//! wrong check digit is refused before any lookup.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GtinError {
    #[error("empty barcode")]
    Empty,
    #[error("'{code}' has {len} digits; a GTIN has 8, 12, 13 or 14")]
    Length { code: String, len: usize },
    #[error("'{code}' contains '{ch}' at position {position}; a GTIN is digits only")]
    NotDigit {
        code: String,
        ch: char,
        position: usize,
    },
    #[error(
        "'{code}' has check digit {found}, expected {expected}: the barcode is misread or mistyped"
    )]
    CheckDigit {
        code: String,
        expected: u8,
        found: u8,
    },
}

/// A validated Global Trade Item Number, kept as its GTIN-14 value plus the length it came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Gtin {
    value: u64,
    len: u8,
}

/// The GS1 mod-10 check digit of `body` (all digits but the check digit).
///
/// Weights alternate 3, 1, … starting from the rightmost body digit.
pub fn check_digit(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| u32::from(*d) * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

impl Gtin {
    /// Parses and validates a GTIN-8, -12, -13 or -14 string.
    pub fn parse(code: &str) -> Result<Gtin, GtinError> {
        if code.is_empty() {
            return Err(GtinError::Empty);
        }
        let mut digits = [0u8; 14];
        let len = code.len();
        for (position, ch) in code.chars().enumerate() {
            let Some(d) = ch.to_digit(10).filter(|_| ch.is_ascii_digit()) else {
                return Err(GtinError::NotDigit {
                    code: code.to_string(),
                    ch,
                    position: position + 1,
                });
            };
            if position < 14 {
                digits[position] = d as u8;
            }
        }
        if !matches!(len, 8 | 12 | 13 | 14) {
            return Err(GtinError::Length {
                code: code.to_string(),
                len,
            });
        }
        let digits = &digits[..len];
        let expected = check_digit(&digits[..len - 1]);
        let found = digits[len - 1];
        if expected != found {
            return Err(GtinError::CheckDigit {
                code: code.to_string(),
                expected,
                found,
            });
        }
        let value = digits.iter().fold(0u64, |v, d| v * 10 + u64::from(*d));
        Ok(Gtin {
            value,
            len: len as u8,
        })
    }

    /// Builds a GTIN-13 from a 12-digit body by appending its check digit.
    pub fn gtin13_from_body(body: u64) -> Option<Gtin> {
        if body >= 1_000_000_000_000 {
            return None;
        }
        let text = format!("{body:012}");
        let digits: Vec<u8> = text.bytes().map(|b| b - b'0').collect();
        Some(Gtin {
            value: body * 10 + u64::from(check_digit(&digits)),
            len: 13,
        })
    }

    /// Rebuilds a GTIN from its stored GTIN-14 value (as kept in the catalogue).
    pub fn from_gtin14_value(value: u64) -> Option<Gtin> {
        if value >= 100_000_000_000_000 {
            return None;
        }
        let text = format!("{value:014}");
        let digits: Vec<u8> = text.bytes().map(|b| b - b'0').collect();
        if check_digit(&digits[..13]) != digits[13] {
            return None;
        }
        // Shortest conventional length whose padding is all zeros.
        let len = [8u8, 12, 13, 14]
            .into_iter()
            .find(|l| digits[..14 - usize::from(*l)].iter().all(|d| *d == 0))
            .unwrap_or(14);
        Some(Gtin { value, len })
    }

    /// The numeric GTIN-14 value: the catalogue's primary key.
    pub fn value(self) -> u64 {
        self.value
    }

    /// Number of digits the code was scanned or keyed with.
    pub fn original_len(self) -> usize {
        usize::from(self.len)
    }

    pub fn to_gtin14(self) -> String {
        format!("{:014}", self.value)
    }

    /// The code in GTIN-13 form, if it fits (GTIN-14s with a packaging indicator do not).
    pub fn to_gtin13(self) -> Option<String> {
        (self.value < 10_000_000_000_000).then(|| format!("{:013}", self.value))
    }

    /// GS1 restricted-circulation numbers for in-store use (GTIN-13 prefixes 20–29,
    /// and UPC-A number system 2, which is the same prefix 02 in GTIN-13 form).
    pub fn is_restricted_circulation(self) -> bool {
        match self.to_gtin13() {
            Some(code) if self.len == 8 => {
                code.starts_with("00000") && {
                    // GTIN-8 prefix 0 and 2 are restricted; 0 overlaps with RCN-8 "0".
                    matches!(code.as_bytes()[5], b'0' | b'2')
                }
            }
            Some(code) => code.starts_with('2') || code.starts_with("02"),
            None => false,
        }
    }
}

/// A GTIN is written as its digits and read back through the check-digit validation.
impl Serialize for Gtin {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Gtin {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Gtin::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// In OpenAPI documents, a GTIN is its digits (8, 12, 13 or 14, the last a check digit).
impl utoipa::PartialSchema for Gtin {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^([0-9]{8}|[0-9]{12,14})$"))
            .description(Some("GTIN-8, -12, -13 or -14 with its check digit"))
            .into()
    }
}

impl utoipa::ToSchema for Gtin {}

impl fmt::Display for Gtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every answer line shows the GTIN of every basket line: digits by hand, zero-padded
        // to the code's length, written once.
        let mut buf = [b'0'; 14];
        let len = usize::from(self.len).min(buf.len());
        let mut n = self.value;
        for slot in buf[..len].iter_mut().rev() {
            *slot = b'0' + (n % 10) as u8;
            n /= 10;
        }
        f.write_str(std::str::from_utf8(&buf[..len]).unwrap_or(""))
    }
}

/// What the embedded value of a variable-measure code means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasureKind {
    /// The price of the labelled item, in minor units scaled by `decimals`.
    Price,
    /// The weight in kilograms, scaled by `decimals` (3 means grams).
    Weight,
}

/// One in-store layout: a GTIN-13 that starts with `prefix` carries an item code of
/// `item_digits` and then a value of `value_digits`; the last digit is the check digit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableMeasureRule {
    pub prefix: String,
    pub item_digits: u8,
    pub value_digits: u8,
    pub kind: MeasureKind,
    pub decimals: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct LayoutError {
    pub field: &'static str,
    pub message: String,
}

impl VariableMeasureRule {
    /// Checks that the parts fill a GTIN-13 exactly.
    pub fn validate(&self) -> Result<(), LayoutError> {
        let prefix_ok = !self.prefix.is_empty()
            && self.prefix.len() <= 3
            && self.prefix.bytes().all(|b| b.is_ascii_digit())
            && (self.prefix.starts_with('2') || self.prefix.starts_with("02"));
        if !prefix_ok {
            return Err(LayoutError {
                field: "prefix",
                message: format!(
                    "'{}' must be 1–3 digits in the restricted range 20–29 (or 02 for UPC)",
                    self.prefix
                ),
            });
        }
        let used =
            self.prefix.len() + usize::from(self.item_digits) + usize::from(self.value_digits);
        if used != 12 || self.item_digits == 0 || self.value_digits == 0 {
            return Err(LayoutError {
                field: "item_digits",
                message: format!(
                    "prefix ({}) + item_digits ({}) + value_digits ({}) must be 12, leaving the 13th digit for the check digit",
                    self.prefix.len(),
                    self.item_digits,
                    self.value_digits
                ),
            });
        }
        if self.decimals > self.value_digits || self.decimals > 3 {
            return Err(LayoutError {
                field: "decimals",
                message: format!(
                    "{} decimals do not fit {} value digits (at most 3)",
                    self.decimals, self.value_digits
                ),
            });
        }
        Ok(())
    }
}

/// The set of in-store layouts a store uses (configurable; the defaults follow common
/// practice: 20–24 price-embedded, 25–29 weight-embedded in grams, 5-digit item codes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VariableMeasureLayout(pub Vec<VariableMeasureRule>);

impl Default for VariableMeasureLayout {
    fn default() -> Self {
        let rule = |prefix: u8, kind, decimals| VariableMeasureRule {
            prefix: prefix.to_string(),
            item_digits: 5,
            value_digits: 5,
            kind,
            decimals,
        };
        VariableMeasureLayout(
            (20..=24)
                .map(|p| rule(p, MeasureKind::Price, 2))
                .chain((25..=29).map(|p| rule(p, MeasureKind::Weight, 3)))
                .collect(),
        )
    }
}

/// A decoded variable-measure label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VariableMeasure {
    /// The in-store item code (matched against a product's PLU).
    pub item_code: u32,
    pub kind: MeasureKind,
    /// The embedded value scaled by `decimals`.
    pub value: i64,
    pub decimals: u8,
}

/// What a scanned GTIN turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScannedItem {
    /// An ordinary trade item: look it up by GTIN.
    Trade(Gtin),
    /// An in-store label with a price or weight inside.
    VariableMeasure(VariableMeasure),
}

impl VariableMeasureLayout {
    pub fn validate(&self) -> Result<(), (usize, LayoutError)> {
        self.0
            .iter()
            .enumerate()
            .try_for_each(|(i, r)| r.validate().map_err(|e| (i, e)))
    }

    /// Classifies a validated GTIN: the longest matching prefix wins.
    pub fn classify(&self, gtin: Gtin) -> ScannedItem {
        let Some(code) = gtin.to_gtin13() else {
            return ScannedItem::Trade(gtin);
        };
        if gtin.original_len() == 8 {
            return ScannedItem::Trade(gtin);
        }
        let rule = self
            .0
            .iter()
            .filter(|r| code.starts_with(&r.prefix))
            .max_by_key(|r| r.prefix.len());
        let Some(rule) = rule else {
            return ScannedItem::Trade(gtin);
        };
        let item_start = rule.prefix.len();
        let value_start = item_start + usize::from(rule.item_digits);
        let value_end = value_start + usize::from(rule.value_digits);
        // Both slices are digits of a validated GTIN, so the parses cannot fail; the
        // layout was validated to fit 12 digits.
        let item_code = code[item_start..value_start].parse().unwrap_or(0);
        let value = code[value_start..value_end].parse().unwrap_or(0);
        ScannedItem::VariableMeasure(VariableMeasure {
            item_code,
            kind: rule.kind,
            value,
            decimals: rule.decimals,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_every_length() {
        for code in [
            "96385074",
            "036000291452",
            "6901234567892",
            "10614141000415",
        ] {
            let gtin = Gtin::parse(code).unwrap();
            assert_eq!(gtin.to_string(), code);
            assert_eq!(gtin.to_gtin14().len(), 14);
        }
        // UPC-A and its EAN-13 form are one item.
        assert_eq!(
            Gtin::parse("036000291452").unwrap().value(),
            Gtin::parse("0036000291452").unwrap().value()
        );
    }

    #[test]
    fn explains_what_is_wrong() {
        assert_eq!(Gtin::parse(""), Err(GtinError::Empty));
        assert!(matches!(
            Gtin::parse("6901234567893"),
            Err(GtinError::CheckDigit {
                expected: 2,
                found: 3,
                ..
            })
        ));
        assert!(matches!(
            Gtin::parse("69012345678"),
            Err(GtinError::Length { len: 11, .. })
        ));
        assert!(matches!(
            Gtin::parse("69012345678X2"),
            Err(GtinError::NotDigit {
                ch: 'X',
                position: 12,
                ..
            })
        ));
        assert!(matches!(
            Gtin::parse("６901234567892"),
            Err(GtinError::NotDigit { position: 1, .. })
        ));
    }

    #[test]
    fn round_trips_stored_values() {
        for code in [
            "96385074",
            "036000291452",
            "6901234567892",
            "10614141000415",
        ] {
            let gtin = Gtin::parse(code).unwrap();
            assert_eq!(Gtin::from_gtin14_value(gtin.value()), Some(gtin));
        }
        assert_eq!(Gtin::from_gtin14_value(6_901_234_567_893), None);
    }

    #[test]
    fn decodes_price_and_weight_labels() {
        let layout = VariableMeasureLayout::default();
        // prefix 21, item 04011, price 012.50, check digit
        let price = Gtin::gtin13_from_body(210_401_101_250).unwrap();
        assert_eq!(
            layout.classify(price),
            ScannedItem::VariableMeasure(VariableMeasure {
                item_code: 4011,
                kind: MeasureKind::Price,
                value: 1250,
                decimals: 2
            })
        );
        // prefix 25, item 00123, weight 01.235 kg
        let weight = Gtin::gtin13_from_body(250_012_301_235).unwrap();
        assert_eq!(
            layout.classify(weight),
            ScannedItem::VariableMeasure(VariableMeasure {
                item_code: 123,
                kind: MeasureKind::Weight,
                value: 1235,
                decimals: 3
            })
        );
        assert!(price.is_restricted_circulation());
        let trade = Gtin::parse("6901234567892").unwrap();
        assert_eq!(layout.classify(trade), ScannedItem::Trade(trade));
        assert!(!trade.is_restricted_circulation());
    }

    #[test]
    fn custom_layouts_are_validated_and_longest_prefix_wins() {
        let mut layout = VariableMeasureLayout::default();
        layout.0.push(VariableMeasureRule {
            prefix: "211".into(),
            item_digits: 4,
            value_digits: 5,
            kind: MeasureKind::Weight,
            decimals: 3,
        });
        layout.validate().unwrap();
        let g = Gtin::gtin13_from_body(211_123_400_500).unwrap();
        assert!(matches!(
            layout.classify(g),
            ScannedItem::VariableMeasure(VariableMeasure {
                item_code: 1234,
                kind: MeasureKind::Weight,
                value: 500,
                ..
            })
        ));
        let bad = VariableMeasureRule {
            prefix: "21".into(),
            item_digits: 6,
            value_digits: 5,
            kind: MeasureKind::Price,
            decimals: 2,
        };
        assert_eq!(bad.validate().unwrap_err().field, "item_digits");
        let foreign = VariableMeasureRule {
            prefix: "69".into(),
            ..bad
        };
        assert_eq!(foreign.validate().unwrap_err().field, "prefix");
    }

    fn valid_code() -> impl Strategy<Value = String> {
        prop_oneof![Just(7usize), Just(11), Just(12), Just(13)].prop_flat_map(|n| {
            proptest::collection::vec(0u8..10, n).prop_map(|body| {
                let check = check_digit(&body);
                body.iter()
                    .chain(std::iter::once(&check))
                    .map(|d| char::from(b'0' + d))
                    .collect()
            })
        })
    }

    proptest! {
        #[test]
        fn every_single_digit_error_is_caught(code in valid_code(), pos in 0usize..14, delta in 1u8..10) {
            prop_assume!(pos < code.len());
            prop_assert!(Gtin::parse(&code).is_ok());
            let mut bytes = code.into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let mutated = String::from_utf8(bytes).unwrap();
            let caught = matches!(Gtin::parse(&mutated), Err(GtinError::CheckDigit { .. }));
            prop_assert!(caught, "{} was accepted", mutated);
        }

        #[test]
        fn parser_never_panics(s in "\\PC{0,20}") {
            let _ = Gtin::parse(&s);
        }
    }
}
