//! Personalised shopping lists: the items suggested to a member for a period, the coupons
//! the list carries, signing the list, and what a verified list offers at the till.

use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::domain::gs1::Gtin;

use super::error::{CodeKind, CouponError};
use super::signed::{SIGNATURE_LEN, SignedCoupon, signature_text};
use super::validate::{LABEL_MAX, TEXT_MAX, check_member_id, check_text, validate_id};

/// Most items on one shopping list.
pub const LIST_ITEMS_MAX: usize = 200;
/// Most coupons on one shopping list.
pub const LIST_COUPONS_MAX: usize = 100;

/// One suggested item on a shopping list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListItem {
    pub gtin: Gtin,
    pub name: String,
    pub department: Option<String>,
    /// Why it is suggested, as printed (e.g. "you usually buy this every two weeks").
    pub reason: String,
}

/// A member's personalised shopping list for a period, with the coupons it carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShoppingList {
    /// Made by HQ; 1–20 ASCII letters, digits or `-`.
    pub id: String,
    pub member_id: String,
    pub period_start: DateTime<Utc>,
    /// Exclusive end of the period.
    pub period_end: DateTime<Utc>,
    pub items: Vec<ListItem>,
    /// Coupons of the same member, each signed by HQ on its own.
    pub coupons: Vec<SignedCoupon>,
}

/// A shopping list and HQ's Ed25519 signature over its canonical encoding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedList {
    pub list: ShoppingList,
    /// Written as base64url without padding.
    #[serde(with = "signature_text")]
    pub signature: [u8; SIGNATURE_LEN],
}

impl ShoppingList {
    /// Checks everything HQ must get right before signing (the coupons' own signatures are
    /// checked by [`sign_list`] and [`SignedList::verify`]).
    pub fn validate(&self) -> Result<(), CouponError> {
        validate_id(CodeKind::List, &self.id)?;
        let invalid = |reason: String| CouponError::Invalid {
            kind: CodeKind::List,
            id: self.id.clone(),
            reason,
        };
        check_member_id(&self.member_id).map_err(invalid)?;
        if self.period_end <= self.period_start {
            return Err(invalid("the period must end after it starts".into()));
        }
        if self.items.len() > LIST_ITEMS_MAX {
            return Err(invalid(format!("more than {LIST_ITEMS_MAX} items")));
        }
        if self.coupons.len() > LIST_COUPONS_MAX {
            return Err(invalid(format!("more than {LIST_COUPONS_MAX} coupons")));
        }
        for (n, item) in self.items.iter().enumerate() {
            let at = |reason: String| invalid(format!("item {}: {reason}", n + 1));
            check_text("name", &item.name, 1, TEXT_MAX).map_err(at)?;
            if let Some(department) = &item.department {
                check_text("department", department, 1, LABEL_MAX).map_err(at)?;
            }
            check_text("reason", &item.reason, 0, TEXT_MAX).map_err(at)?;
        }
        for (n, signed) in self.coupons.iter().enumerate() {
            let coupon = &signed.coupon;
            coupon.validate()?;
            if coupon.member_id != self.member_id {
                return Err(invalid(format!(
                    "coupon {} is for another member",
                    coupon.id
                )));
            }
            if self.coupons[..n].iter().any(|c| c.coupon.id == coupon.id) {
                return Err(invalid(format!("coupon {} appears twice", coupon.id)));
            }
        }
        Ok(())
    }

    /// Whether `now` is inside `[period_start, period_end)`.
    pub fn is_current(&self, now: DateTime<Utc>) -> bool {
        self.period_start <= now && now < self.period_end
    }
}

/// Signs a valid list with HQ's key. Every coupon on it must be signed with the same key;
/// otherwise, or if the list is invalid, nothing is signed.
pub fn sign_list(list: ShoppingList, key: &SigningKey) -> Result<SignedList, CouponError> {
    list.validate()?;
    let public = key.verifying_key();
    for signed in &list.coupons {
        signed.verify(&public).map_err(|_| CouponError::Invalid {
            kind: CodeKind::List,
            id: list.id.clone(),
            reason: format!("coupon {} is not signed with this key", signed.coupon.id),
        })?;
    }
    let signature = key.sign(&list.canonical_bytes()).to_bytes();
    Ok(SignedList { list, signature })
}

impl SignedList {
    pub fn id(&self) -> &str {
        &self.list.id
    }

    /// Checks the list's signature and each coupon's own signature against HQ's public key,
    /// then the content. Any change gives [`CouponError::Forged`].
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), CouponError> {
        key.verify_strict(
            &self.list.canonical_bytes(),
            &Signature::from_bytes(&self.signature),
        )
        .map_err(|_| CouponError::Forged)?;
        for signed in &self.list.coupons {
            signed.verify(key)?;
        }
        self.list.validate()
    }

    /// The coupons on this (verified) list that `member_id` may use at `now`: all of them
    /// inside their window when the member is the list's, none otherwise. Whether a
    /// single-use coupon was used already is for the caller to check.
    pub fn offers_for(&self, member_id: &str, now: DateTime<Utc>) -> Vec<&SignedCoupon> {
        if member_id != self.list.member_id {
            return Vec::new();
        }
        self.list
            .coupons
            .iter()
            .filter(|c| c.coupon.member_id == member_id && c.coupon.is_valid_at(now))
            .collect()
    }
}
