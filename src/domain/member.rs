//! Members of the loyalty programme: one member, any number of cards, one record across
//! every store of the chain.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// What the member agreed to. Marketing (personalised lists, offers) needs explicit consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Consent {
    pub marketing: bool,
    pub profiling: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CardStatus {
    Active,
    /// Reported lost or replaced: refused at every till once the block reaches it.
    Blocked,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MemberCard {
    pub number: String,
    pub status: CardStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Member {
    pub id: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    /// Metro's customer type; absent in records from before it was kept.
    #[serde(default)]
    pub customer_type: Option<CustomerType>,
    pub cards: Vec<MemberCard>,
    pub card_opened: Option<NaiveDate>,
    /// Tier code (e.g. `standard`, `silver`, `gold`); the loyalty programme defines them.
    pub tier: String,
    pub home_store: Option<String>,
    pub consent: Consent,
    /// Points balance as last reported by headquarters; the ledger lives there.
    pub points_balance: i64,
}

/// Who the member buys for (Metro's customer type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustomerType {
    Household,
    Business,
    Staff,
}

impl CustomerType {
    pub fn as_str(self) -> &'static str {
        match self {
            CustomerType::Household => "household",
            CustomerType::Business => "business",
            CustomerType::Staff => "staff",
        }
    }

    /// The type a stored or typed word names (`household`, `business`, `staff`).
    pub fn parse(text: &str) -> Option<CustomerType> {
        match text.trim().to_ascii_lowercase().as_str() {
            "household" => Some(CustomerType::Household),
            "business" => Some(CustomerType::Business),
            "staff" => Some(CustomerType::Staff),
            _ => None,
        }
    }
}

/// Checks a card number: 4–32 ASCII letters or digits (magstripe and QR payloads vary).
pub fn validate_card_number(card: &str) -> Result<(), String> {
    if !(4..=32).contains(&card.len()) || !card.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(format!(
            "card number '{card}' must be 4–32 letters or digits"
        ));
    }
    Ok(())
}

/// Digits before the check digit that ends every card a till issues (its random part).
pub const ISSUED_CARD_DIGITS: usize = 10;

/// The Luhn check digit of a string of ASCII digits.
pub fn luhn_digit(digits: &str) -> char {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    char::from(b'0' + ((10 - sum % 10) % 10) as u8)
}

/// Checks a card number typed for a card being issued (HQ staff replacing a lost card):
/// the format every card has, and the check digit every till-issued card ends with (the
/// Luhn digit of the [`ISSUED_CARD_DIGITS`] digits before it), so a mistyped number is
/// refused rather than issued.
pub fn check_issued_card(card: &str) -> Result<(), String> {
    validate_card_number(card)?;
    let n = ISSUED_CARD_DIGITS + 1;
    let tail = card.len().checked_sub(n).map(|i| &card[i..]);
    let Some(tail) = tail.filter(|t| t.bytes().all(|b| b.is_ascii_digit())) else {
        return Err(format!(
            "card number '{card}' must end with {n} digits, the last a check digit"
        ));
    };
    let (body, check) = tail.split_at(ISSUED_CARD_DIGITS);
    let expected = luhn_digit(body);
    if check != expected.to_string() {
        return Err(format!(
            "card number '{card}' has a wrong check digit: {check}, not {expected}"
        ));
    }
    Ok(())
}

/// Normalises a phone number to digits with an optional leading `+`; spaces and dashes
/// are dropped because cashiers and members type them either way.
pub fn normalize_phone(phone: &str) -> Result<String, String> {
    let trimmed = phone.trim();
    let (plus, rest) = match trimmed.strip_prefix('+') {
        Some(r) => ("+", r),
        None => ("", trimmed),
    };
    let mut digits = String::with_capacity(rest.len() + 1);
    digits.push_str(plus);
    for ch in rest.chars() {
        match ch {
            '0'..='9' => digits.push(ch),
            ' ' | '-' | '(' | ')' => {}
            _ => return Err(format!("phone '{phone}' contains '{ch}'")),
        }
    }
    let count = digits.len() - plus.len();
    if !(5..=15).contains(&count) {
        return Err(format!("phone '{phone}' must have 5–15 digits"));
    }
    Ok(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_normalised_or_refused() {
        assert_eq!(normalize_phone("138 0013-8000").unwrap(), "13800138000");
        assert_eq!(
            normalize_phone("+86 138 0013 8000").unwrap(),
            "+8613800138000"
        );
        assert!(normalize_phone("1380013800a").is_err());
        assert!(normalize_phone("123").is_err());
    }

    #[test]
    fn card_numbers_are_checked() {
        assert!(validate_card_number("6200123412341234").is_ok());
        assert!(validate_card_number("62-00").is_err());
        assert!(validate_card_number("123").is_err());
        // 7992739871 has the classic check digit 3.
        assert!(check_issued_card("S001T0179927398713").is_ok());
        assert!(check_issued_card("S001T0179927398714").is_err());
        assert!(check_issued_card("79927398713").is_ok());
        assert!(check_issued_card("9927398713").is_err());
        assert!(check_issued_card("S001T01A9927398713").is_err());
    }
}
