//! Field rules shared by coupons and shopping lists: ids, member ids and printed text.

use super::error::{CodeKind, CouponError, excerpt};

/// Longest id of a coupon or list.
pub const ID_MAX: usize = 20;

const MEMBER_ID_MAX: usize = 64;
pub(super) const LABEL_MAX: usize = 64;
pub(super) const TEXT_MAX: usize = 200;

/// Checks a coupon or list id: 1–20 ASCII letters, digits or `-`.
pub fn validate_id(kind: CodeKind, id: &str) -> Result<(), CouponError> {
    let ok = (1..=ID_MAX).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(CouponError::BadId {
            kind,
            id: excerpt(id),
        })
    }
}

/// Checks printed text: `min..=max` bytes and no control characters.
pub(super) fn check_text(field: &str, text: &str, min: usize, max: usize) -> Result<(), String> {
    if text.len() < min || text.len() > max {
        return Err(format!("{field} must be {min}–{max} bytes long"));
    }
    if text.chars().any(char::is_control) {
        return Err(format!("{field} must not contain control characters"));
    }
    Ok(())
}

pub fn check_member_id(member_id: &str) -> Result<(), String> {
    check_text("member id", member_id, 1, MEMBER_ID_MAX)?;
    if member_id.chars().any(char::is_whitespace) {
        return Err("member id must not contain spaces".into());
    }
    Ok(())
}
