//! Who and where: stores, terminals and the operators who sign in to them.

use std::fmt;
use std::str::FromStr;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use serde::{Deserialize, Serialize};

use super::tax::TaxMode;
use iso_currency::Currency;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    pub id: String,
    pub name: String,
    pub address: Option<String>,
    pub currency: Currency,
    pub tax_mode: TaxMode,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terminal {
    pub id: String,
    pub store_id: String,
}

/// Operator roles, ordered by authority: a manager may do all a supervisor may, and so on.
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
#[serde(rename_all = "snake_case")]
pub enum Role {
    Cashier,
    Supervisor,
    Manager,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Cashier => "cashier",
            Role::Supervisor => "supervisor",
            Role::Manager => "manager",
        }
    }

    /// Whether this role may approve an action that needs `needed`.
    pub fn can_approve(self, needed: Role) -> bool {
        self >= needed
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cashier" => Ok(Role::Cashier),
            "supervisor" => Ok(Role::Supervisor),
            "manager" => Ok(Role::Manager),
            other => Err(format!(
                "role '{other}' is not one of cashier, supervisor, manager"
            )),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A person who signs in at a till. The PIN is only ever held as a salted hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Operator {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub pin_hash: String,
}

/// PINs are 4–8 digits: short enough for a busy counter, long enough not to be guessed
/// by a glance at the keypad.
pub fn validate_pin(pin: &str) -> Result<(), String> {
    if !(4..=8).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err("PIN must be 4–8 digits".to_string());
    }
    Ok(())
}

/// The language of a store's receipts and its tills' screens (`store.language`): `zh` (Simplified Chinese, the
/// default) or `en`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    #[default]
    Zh,
    En,
}

impl Language {
    /// The touch UI's bundled translation for this language (`zh_CN` or `en`).
    pub fn ui_translation(self) -> &'static str {
        match self {
            Language::Zh => "zh_CN",
            Language::En => "en",
        }
    }
}

/// Hashes a PIN with a fresh random salt.
pub fn hash_pin(pin: &str) -> String {
    Argon2::default()
        .hash_password(pin.as_bytes())
        .expect("argon2 with default parameters cannot fail on a short PIN")
        .to_string()
}

/// Whether `pin` matches the stored hash. A malformed hash never matches.
pub fn verify_pin(pin: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(pin.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_by_authority() {
        assert!(Role::Manager.can_approve(Role::Supervisor));
        assert!(Role::Supervisor.can_approve(Role::Supervisor));
        assert!(!Role::Cashier.can_approve(Role::Supervisor));
        assert_eq!("Manager".parse::<Role>().unwrap(), Role::Manager);
        assert!("boss".parse::<Role>().is_err());
    }

    #[test]
    fn pins_are_digits() {
        assert!(validate_pin("1234").is_ok());
        assert!(validate_pin("12a4").is_err());
        assert!(validate_pin("123").is_err());
        assert!(validate_pin("123456789").is_err());
    }
}
