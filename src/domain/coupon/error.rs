//! Why a coupon or shopping list is refused: the errors of codes and records, the till's
//! redemption refusals, and how untrusted text is shown in their messages.

use std::fmt;

use chrono::{DateTime, Utc};

/// Whether a code or a record is a coupon or a shopping list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    Coupon,
    List,
}

impl fmt::Display for CodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CodeKind::Coupon => "coupon",
            CodeKind::List => "shopping list",
        })
    }
}

/// Why a coupon or list code, or a coupon or list record, was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CouponError {
    #[error(
        "the signature does not match: this was not issued by headquarters, or was altered since"
    )]
    Forged,
    #[error("'{0}' is not a coupon or shopping-list code")]
    NotACode(String),
    #[error("this is a {found} code; a {expected} code is needed here")]
    WrongKind { expected: CodeKind, found: CodeKind },
    #[error("this till reads {kind} codes of version 1, not version {found}; update the till")]
    UnsupportedVersion { kind: CodeKind, found: String },
    #[error("the {kind} code is damaged ({reason}); scan it again or key in the short code")]
    Damaged { kind: CodeKind, reason: String },
    #[error("{kind} id '{id}' must be 1–20 letters, digits or '-'")]
    BadId { kind: CodeKind, id: String },
    #[error("{kind} {id}: {reason}")]
    Invalid {
        kind: CodeKind,
        id: String,
        reason: String,
    },
}

/// Why a till refuses to redeem a coupon now. Each message is meant for the cashier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CouponRefusal {
    #[error("coupon refused: it was not issued by headquarters, or was altered")]
    Forged,
    #[error("coupon refused: {0}")]
    Invalid(String),
    #[error("this coupon is personal: identify the member first (card, phone or QR)")]
    NoMember,
    #[error("this coupon belongs to another member")]
    ForeignMember,
    #[error("this coupon is not valid yet: it starts {}", .from.format("%Y-%m-%d %H:%M UTC"))]
    NotYetValid { from: DateTime<Utc> },
    #[error("this coupon has expired: it ended {}", .until.format("%Y-%m-%d %H:%M UTC"))]
    Expired { until: DateTime<Utc> },
    #[error("this coupon has already been used")]
    AlreadyUsed,
}

/// At most 40 characters of untrusted text, for an error message.
pub(super) fn excerpt(text: &str) -> String {
    const SHOWN: usize = 40;
    if text.chars().count() <= SHOWN {
        text.to_string()
    } else {
        let head: String = text.chars().take(SHOWN).collect();
        format!("{head}…")
    }
}
