//! Personalised coupons and shopping lists signed by headquarters, verified offline at the
//! till.
//!
//! HQ makes a [`Coupon`] for one member (an [`Offer`], a validity window, whether it can be
//! used once, who funds it) and signs it with its Ed25519 key ([`sign`]). It sends each store
//! the signed coupons of its members, and prints them for the member, alone or on a
//! personalised [`ShoppingList`] that carries its own coupons and is signed the same way
//! ([`sign_list`]). A till holding HQ's public key verifies both without asking HQ.
//!
//! # Canonical encoding (what is signed)
//!
//! The signature covers a version-tagged byte encoding with a fixed field order, independent
//! of any serde representation. Integers are big-endian; `str` is a `u32` byte length then
//! UTF-8; `opt<x>` is a byte `0` (absent) or `1` followed by `x`; `bool` is a byte `0` or `1`;
//! a time is the `i64` Unix seconds then the `u32` nanoseconds.
//!
//! ```text
//! coupon  = "SPC1" id:str member_id:str target value min_spend:i64 max_discount:opt<i64>
//!           valid_from:time valid_until:time single_use:bool funded_by:opt<str> title:str
//! target  = 0x01 gtin:str (digits as printed) | 0x02 category:str | 0x03
//! value   = 0x01 amount_off:i64 | 0x02 percent_off_basis_points:u32
//! list    = "SPL1" id:str member_id:str period_start:time period_end:time
//!           item_count:u32 item* coupon_count:u32 (coupon_len:u32 coupon signature:[u8;64])*
//! item    = gtin:str name:str department:opt<str> reason:str
//! ```
//!
//! The leading tag names both the kind and the version, so a list can never pass for a
//! coupon, and a future layout gets a new tag instead of a silent reinterpretation. Decoding
//! is strict: it accepts exactly the bytes that encoding the decoded value gives back.
//!
//! # Printed forms
//!
//! - **Full** (QR code): `SPC1.` + base64url (no padding) of the coupon encoding + `.` +
//!   base64url of the 64-byte signature; lists use `SPL1.`. A till that has never seen the
//!   coupon verifies it from the code alone.
//! - **Short** (CODE128, at most 24 ASCII characters): `C:` + coupon id, or `L:` + list id.
//!   The till resolves it through its cache of signed coupons and lists. The colon keeps short
//!   codes apart from GTINs and from member card numbers, which are letters and digits only.
//!
//! Invariants: ids are 1–20 ASCII letters, digits or `-` (so short codes stay short); nothing
//! is signed that fails validation; parsing never panics and refuses anything garbled with a
//! [`CouponError`] a cashier can act on; a saving is never more than the matching lines' net
//! amount, and its per-line parts add up to it exactly.

mod canonical;
mod code;
mod error;
mod list;
mod offer;
mod signed;
mod validate;

pub use code::{
    COUPON_FULL_PREFIX, COUPON_SHORT_PREFIX, CouponCode, LIST_FULL_PREFIX, LIST_SHORT_PREFIX,
    ListCode, PrintedCode, QR_BYTE_CAPACITY, SHORT_CODE_MAX, parse_code, parse_list_code,
    parse_printed,
};
pub use error::{CodeKind, CouponError, CouponRefusal};
pub use list::{LIST_COUPONS_MAX, LIST_ITEMS_MAX, ListItem, ShoppingList, SignedList, sign_list};
pub use offer::{Offer, OfferLine, OfferSaving, OfferTarget, OfferValue};
pub use signed::{Coupon, SignedCoupon, sign};
pub use validate::{ID_MAX, check_member_id, validate_id};

#[cfg(test)]
mod tests;
