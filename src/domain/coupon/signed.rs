//! Coupons and their signatures: what HQ makes for a member, signing it, and the till's
//! checks of a signed coupon (authenticity, member, validity window, single use).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::error::{CodeKind, CouponError, CouponRefusal};
use super::offer::Offer;
use super::validate::{LABEL_MAX, TEXT_MAX, check_member_id, check_text, validate_id};

/// Bytes of an Ed25519 signature.
pub(super) const SIGNATURE_LEN: usize = 64;

/// A personalised coupon as HQ makes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coupon {
    /// Made by HQ; 1–20 ASCII letters, digits or `-`.
    pub id: String,
    /// The only member who may redeem it.
    pub member_id: String,
    pub offer: Offer,
    /// First instant it may be redeemed.
    pub valid_from: DateTime<Utc>,
    /// First instant it may no longer be redeemed (exclusive end).
    pub valid_until: DateTime<Utc>,
    /// Redeemable once; otherwise on every visit inside its window.
    pub single_use: bool,
    /// Who pays for the discount: a manufacturer, or `store`.
    pub funded_by: Option<String>,
    /// Text printed on the coupon and next to the saving on the receipt.
    pub title: String,
}

/// A coupon and HQ's Ed25519 signature over its canonical encoding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedCoupon {
    pub coupon: Coupon,
    /// Written as base64url without padding.
    #[serde(with = "signature_text")]
    pub signature: [u8; SIGNATURE_LEN],
}

impl Coupon {
    /// Checks everything HQ must get right before signing; [`sign`] refuses otherwise.
    pub fn validate(&self) -> Result<(), CouponError> {
        validate_id(CodeKind::Coupon, &self.id)?;
        let invalid = |reason: String| CouponError::Invalid {
            kind: CodeKind::Coupon,
            id: self.id.clone(),
            reason,
        };
        check_member_id(&self.member_id).map_err(invalid)?;
        self.offer.validate().map_err(invalid)?;
        if self.valid_until <= self.valid_from {
            return Err(invalid("the validity must end after it starts".into()));
        }
        if let Some(funder) = &self.funded_by {
            check_text("funded by", funder, 1, LABEL_MAX).map_err(invalid)?;
        }
        check_text("title", &self.title, 1, TEXT_MAX).map_err(invalid)
    }

    /// Whether `now` is inside `[valid_from, valid_until)`.
    pub fn is_valid_at(&self, now: DateTime<Utc>) -> bool {
        self.valid_from <= now && now < self.valid_until
    }
}

/// Signs a valid coupon with HQ's key; an invalid coupon is refused and nothing is signed.
pub fn sign(coupon: Coupon, key: &SigningKey) -> Result<SignedCoupon, CouponError> {
    coupon.validate()?;
    let signature = key.sign(&coupon.canonical_bytes()).to_bytes();
    Ok(SignedCoupon { coupon, signature })
}

impl SignedCoupon {
    pub fn id(&self) -> &str {
        &self.coupon.id
    }

    /// Checks the signature against HQ's public key, then the coupon's content.
    /// Any change to any field or to the signature gives [`CouponError::Forged`].
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), CouponError> {
        key.verify_strict(
            &self.coupon.canonical_bytes(),
            &Signature::from_bytes(&self.signature),
        )
        .map_err(|_| CouponError::Forged)?;
        self.coupon.validate()
    }

    /// Whether the coupon may be redeemed now, for the identified member (if any).
    ///
    /// Checks, in this order: signature and content, member identified, same member,
    /// window started, window not over, not used (only for single-use coupons; a
    /// multi-use coupon ignores `already_used`).
    pub fn check_redeemable(
        &self,
        key: &VerifyingKey,
        member_id: Option<&str>,
        now: DateTime<Utc>,
        already_used: bool,
    ) -> Result<(), CouponRefusal> {
        self.verify(key).map_err(|e| match e {
            CouponError::Forged => CouponRefusal::Forged,
            other => CouponRefusal::Invalid(other.to_string()),
        })?;
        let coupon = &self.coupon;
        match member_id {
            None => return Err(CouponRefusal::NoMember),
            Some(member) if member != coupon.member_id => {
                return Err(CouponRefusal::ForeignMember);
            }
            Some(_) => {}
        }
        if now < coupon.valid_from {
            return Err(CouponRefusal::NotYetValid {
                from: coupon.valid_from,
            });
        }
        if now >= coupon.valid_until {
            return Err(CouponRefusal::Expired {
                until: coupon.valid_until,
            });
        }
        if coupon.single_use && already_used {
            return Err(CouponRefusal::AlreadyUsed);
        }
        Ok(())
    }
}

pub(super) fn decode_signature(text: &str) -> Result<[u8; SIGNATURE_LEN], String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| "the signature part is not valid base64url".to_string())?;
    let len = bytes.len();
    bytes
        .try_into()
        .map_err(|_| format!("the signature has {len} bytes, expected {SIGNATURE_LEN}"))
}

/// Serde for a 64-byte signature as base64url text without padding.
pub(super) mod signature_text {
    use super::{SIGNATURE_LEN, URL_SAFE_NO_PAD, decode_signature};
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(sig: &[u8; SIGNATURE_LEN], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&URL_SAFE_NO_PAD.encode(sig))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; SIGNATURE_LEN], D::Error> {
        let text = String::deserialize(d)?;
        decode_signature(&text).map_err(serde::de::Error::custom)
    }
}
