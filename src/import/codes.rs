//! `storepos import codes FILE`: personalised coupons and shopping lists as HQ signs them,
//! one full printed code (`SPC1.…` or `SPL1.…`) per line, kept in `terminal.db` so their
//! short codes (`C:…`, `L:…`, fit for CODE128) can be redeemed offline. Every code is
//! verified against the configured HQ key first; one bad line imports nothing.

use std::path::Path;

use ed25519_dalek::VerifyingKey;

use super::{Errors, ImportError, ImportSummary};
use crate::domain::coupon::{CouponCode, ListCode, PrintedCode, parse_printed};
use crate::store::loyalty;

/// Imports signed codes, replacing those with the same kind and id.
pub fn import(
    conn: &mut rusqlite::Connection,
    key: Option<VerifyingKey>,
    path: &Path,
) -> Result<ImportSummary, ImportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let key = key.ok_or_else(|| ImportError::Format {
        path: path.to_path_buf(),
        message: "no HQ coupon key is configured (loyalty.coupon_key): codes cannot be checked"
            .into(),
    })?;
    let mut errors = Errors::default();
    let mut kept: Vec<(&str, String, String, String)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i as u64 + 1;
        let code = line.trim();
        if code.is_empty() {
            continue;
        }
        let checked = match parse_printed(code) {
            Ok(Some(PrintedCode::Coupon(CouponCode::Full(c)))) => c
                .verify(&key)
                .map(|()| ("coupon", c.coupon.id.clone(), c.coupon.member_id.clone())),
            Ok(Some(PrintedCode::List(ListCode::Full(l)))) => l
                .verify(&key)
                .map(|()| ("list", l.list.id.clone(), l.list.member_id.clone())),
            Ok(Some(_)) => {
                errors.push(
                    line_no,
                    "a short code carries no signature; give the full code",
                );
                continue;
            }
            Ok(None) => {
                errors.push(line_no, "not a coupon or shopping-list code");
                continue;
            }
            Err(e) => Err(e),
        };
        match checked {
            Ok((kind, id, member)) => kept.push((kind, id, member, code.to_string())),
            Err(e) => errors.push(line_no, e.to_string()),
        }
    }
    errors.take_result(path)?;
    let tx = conn.transaction().map_err(crate::store::StoreError::from)?;
    for (kind, id, member, code) in &kept {
        loyalty::keep_code(&tx, kind, id, member, code)?;
    }
    tx.commit().map_err(crate::store::StoreError::from)?;
    Ok(ImportSummary {
        rows: kept.len() as u64,
        detail: format!("{} coupons and shopping lists", kept.len()),
    })
}
