//! The printed forms of coupons and shopping lists: the full form for a QR code, the short
//! form for a CODE128 barcode, and reading either back from scanned text.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::error::{CodeKind, CouponError, excerpt};
use super::list::{ShoppingList, SignedList};
use super::signed::{Coupon, SIGNATURE_LEN, SignedCoupon, decode_signature};
use super::validate::validate_id;

/// Prefix of the full (QR) form of a coupon, version 1.
pub const COUPON_FULL_PREFIX: &str = "SPC1.";
/// Prefix of the full (QR) form of a shopping list, version 1.
pub const LIST_FULL_PREFIX: &str = "SPL1.";
/// Prefix of the short (CODE128) form of a coupon.
pub const COUPON_SHORT_PREFIX: &str = "C:";
/// Prefix of the short (CODE128) form of a shopping list.
pub const LIST_SHORT_PREFIX: &str = "L:";
/// Longest short code: a prefix and an id.
pub const SHORT_CODE_MAX: usize = 24;
/// Bytes a QR code holds at most (version 40, byte mode, low error correction). A full list
/// form grows with its items and coupons; callers check its length against this before
/// printing it as a QR code, and print the short code otherwise.
pub const QR_BYTE_CAPACITY: usize = 2953;
/// Longest text accepted as a printed code; anything longer is refused before decoding.
const CODE_TEXT_MAX: usize = 256 * 1024;

/// A scanned coupon code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CouponCode {
    /// The full form: the coupon itself, still to be verified.
    Full(Box<SignedCoupon>),
    /// The short form: a coupon id to look up in the till's cache.
    Short(String),
}

impl CouponCode {
    pub fn id(&self) -> &str {
        match self {
            CouponCode::Full(signed) => &signed.coupon.id,
            CouponCode::Short(id) => id,
        }
    }
}

/// A scanned shopping-list code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListCode {
    /// The full form: the list itself, still to be verified.
    Full(Box<SignedList>),
    /// The short form: a list id to look up in the till's cache.
    Short(String),
}

impl ListCode {
    pub fn id(&self) -> &str {
        match self {
            ListCode::Full(signed) => &signed.list.id,
            ListCode::Short(id) => id,
        }
    }
}

/// Any printed coupon or list code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrintedCode {
    Coupon(CouponCode),
    List(ListCode),
}

impl SignedCoupon {
    /// The full form for a QR code: `SPC1.<payload>.<signature>`.
    pub fn full_code(&self) -> String {
        full_code(
            COUPON_FULL_PREFIX,
            &self.coupon.canonical_bytes(),
            &self.signature,
        )
    }

    /// The short form for a CODE128 barcode: `C:<id>`.
    pub fn short_code(&self) -> String {
        format!("{COUPON_SHORT_PREFIX}{}", self.coupon.id)
    }
}

impl SignedList {
    /// The full form for a QR code: `SPL1.<payload>.<signature>`. Compare its length with
    /// [`QR_BYTE_CAPACITY`] before printing it as a QR code.
    pub fn full_code(&self) -> String {
        full_code(
            LIST_FULL_PREFIX,
            &self.list.canonical_bytes(),
            &self.signature,
        )
    }

    /// The short form for a CODE128 barcode: `L:<id>`.
    pub fn short_code(&self) -> String {
        format!("{LIST_SHORT_PREFIX}{}", self.list.id)
    }
}

/// Reads any printed coupon or list code. `Ok(None)` means the text is not in any of these
/// forms (so it may be a GTIN or a card number); an error means it is one of them but
/// garbled or unsupported. Surrounding ASCII whitespace (a scanner's line end) is ignored.
/// A full form is only decoded here; verify it before use.
pub fn parse_printed(text: &str) -> Result<Option<PrintedCode>, CouponError> {
    let text = text.trim_ascii();
    if let Some(id) = text.strip_prefix(COUPON_SHORT_PREFIX) {
        validate_id(CodeKind::Coupon, id)?;
        return Ok(Some(PrintedCode::Coupon(CouponCode::Short(id.to_string()))));
    }
    if let Some(id) = text.strip_prefix(LIST_SHORT_PREFIX) {
        validate_id(CodeKind::List, id)?;
        return Ok(Some(PrintedCode::List(ListCode::Short(id.to_string()))));
    }
    // Card numbers and GTINs never contain '.', so "SPC"/"SPL" + anything + '.' is ours.
    let family = [("SPC", CodeKind::Coupon), ("SPL", CodeKind::List)]
        .into_iter()
        .find_map(|(prefix, kind)| {
            text.strip_prefix(prefix)
                .filter(|rest| rest.contains('.'))
                .map(|rest| (rest, kind))
        });
    let Some((rest, kind)) = family else {
        return Ok(None);
    };
    let (payload, signature) = split_full(rest, kind, text.len())?;
    Ok(Some(match kind {
        CodeKind::Coupon => {
            let coupon = Coupon::from_canonical_bytes(&payload)?;
            PrintedCode::Coupon(CouponCode::Full(Box::new(SignedCoupon {
                coupon,
                signature,
            })))
        }
        CodeKind::List => {
            let list = ShoppingList::from_canonical_bytes(&payload)?;
            PrintedCode::List(ListCode::Full(Box::new(SignedList { list, signature })))
        }
    }))
}

/// Reads a printed coupon code, full or short. Verify a full one before use.
pub fn parse_code(text: &str) -> Result<CouponCode, CouponError> {
    match parse_printed(text)? {
        Some(PrintedCode::Coupon(code)) => Ok(code),
        Some(PrintedCode::List(_)) => Err(CouponError::WrongKind {
            expected: CodeKind::Coupon,
            found: CodeKind::List,
        }),
        None => Err(CouponError::NotACode(excerpt(text))),
    }
}

/// Reads a printed shopping-list code, full or short. Verify a full one before use.
pub fn parse_list_code(text: &str) -> Result<ListCode, CouponError> {
    match parse_printed(text)? {
        Some(PrintedCode::List(code)) => Ok(code),
        Some(PrintedCode::Coupon(_)) => Err(CouponError::WrongKind {
            expected: CodeKind::List,
            found: CodeKind::Coupon,
        }),
        None => Err(CouponError::NotACode(excerpt(text))),
    }
}

fn full_code(prefix: &str, payload: &[u8], signature: &[u8; SIGNATURE_LEN]) -> String {
    format!(
        "{prefix}{}.{}",
        URL_SAFE_NO_PAD.encode(payload),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

/// Splits `<version>.<payload>.<signature>` (what follows "SPC"/"SPL") and decodes both parts.
fn split_full(
    rest: &str,
    kind: CodeKind,
    total_len: usize,
) -> Result<(Vec<u8>, [u8; SIGNATURE_LEN]), CouponError> {
    let damaged = |reason: &str| CouponError::Damaged {
        kind,
        reason: reason.to_string(),
    };
    if total_len > CODE_TEXT_MAX {
        return Err(damaged("the code is far too long"));
    }
    let (version, body) = rest.split_once('.').unwrap_or((rest, ""));
    if version != "1" {
        if !version.is_empty() && version.len() <= 4 && version.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(CouponError::UnsupportedVersion {
                kind,
                found: version.to_string(),
            });
        }
        return Err(damaged("the code does not start with a version"));
    }
    let mut parts = body.split('.');
    let (Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(damaged(
            "a full code has three parts separated by '.', the ends may be cut off",
        ));
    };
    if payload.is_empty() {
        return Err(damaged("the content part is empty"));
    }
    let payload = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| damaged("the content part is not valid base64url"))?;
    let signature = decode_signature(signature).map_err(|reason| damaged(&reason))?;
    Ok((payload, signature))
}
