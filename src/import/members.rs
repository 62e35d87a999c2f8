//! `storepos import members FILE.csv`.
//!
//! Required columns `card,name,phone` (phone may be empty); optional
//! `tier,points,home_store,email,address,customer_type` (`household`, `business` or
//! `staff`). The card number is the member's id; `points` is the
//! balance headquarters last reported, which the till treats as the redeemable ceiling.

use rustc_hash::FxHashMap;
use std::path::Path;

use super::csvfile::{self, Columns};
use super::{Errors, ImportError, ImportSummary};
use crate::domain::member::{
    CardStatus, Consent, CustomerType, Member, MemberCard, normalize_phone, validate_card_number,
};
use crate::store::{StoreError, members};

pub const REQUIRED: &[&str] = &["card", "name", "phone"];
pub const OPTIONAL: &[&str] = &[
    "tier",
    "points",
    "home_store",
    "email",
    "address",
    "customer_type",
];

pub fn parse_row(cols: &Columns, row: &csv::StringRecord) -> Result<Member, String> {
    let card = cols.get(row, "card");
    validate_card_number(card).map_err(|e| format!("card: {e}"))?;
    let name = cols.get(row, "name");
    if name.is_empty() {
        return Err("name: must not be empty".into());
    }
    let phone = cols
        .opt(row, "phone")
        .map(normalize_phone)
        .transpose()
        .map_err(|e| format!("phone: {e}"))?;
    let tier = cols.opt(row, "tier").unwrap_or("standard");
    if tier.len() > 16 || !tier.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(format!("tier: '{tier}' must be a short code such as gold"));
    }
    let points = match cols.opt(row, "points") {
        None => 0,
        Some(t) => t
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0 && t.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| format!("points: '{t}' is not a whole number of points ≥ 0"))?,
    };
    let email = cols.opt(row, "email");
    if let Some(e) = email {
        let valid = e.split_once('@').is_some_and(|(user, domain)| {
            !user.is_empty() && domain.contains('.') && !domain.contains('@')
        }) && !e.contains(char::is_whitespace);
        if !valid {
            return Err(format!("email: '{e}' is not an e-mail address"));
        }
    }
    let customer_type = cols
        .opt(row, "customer_type")
        .map(|t| {
            CustomerType::parse(t)
                .ok_or_else(|| format!("customer_type: '{t}' is not household, business or staff"))
        })
        .transpose()?;
    Ok(Member {
        id: card.to_string(),
        name: name.to_string(),
        phone,
        email: email.map(str::to_string),
        address: cols.opt(row, "address").map(str::to_string),
        customer_type,
        cards: vec![MemberCard {
            number: card.to_string(),
            status: CardStatus::Active,
        }],
        card_opened: None,
        tier: tier.to_ascii_lowercase(),
        home_store: cols.opt(row, "home_store").map(str::to_string),
        consent: Consent::default(),
        points_balance: points,
    })
}

/// Reads and checks a members CSV without storing it (for HQ's own database), all or
/// nothing: any bad row fails the whole file with every bad row listed.
pub fn read_all(path: &Path) -> Result<Vec<Member>, ImportError> {
    read_all_reader(path, csvfile::open(path)?)
}

/// [`read_all`] over text already in memory; `path` names the source in messages.
pub fn read_all_from(path: &Path, text: &[u8]) -> Result<Vec<Member>, ImportError> {
    read_all_reader(path, csvfile::reader(text))
}

fn read_all_reader<R: std::io::Read>(
    path: &Path,
    mut reader: csv::Reader<R>,
) -> Result<Vec<Member>, ImportError> {
    let header = csvfile::header(path, &mut reader)?;
    let cols = Columns::resolve(path, &header, REQUIRED, OPTIONAL)?;
    let mut errors = Errors::default();
    let mut seen: FxHashMap<String, u64> = FxHashMap::default();
    let mut out = Vec::new();
    csvfile::each_row(path, &mut reader, &mut errors, |line, record, errors| {
        match parse_row(&cols, record) {
            Err(message) => errors.push(line, message),
            Ok(member) => {
                if let Some(first) = seen.insert(member.id.clone(), line) {
                    errors.push(
                        line,
                        format!("card: {} already appears on line {first}", member.id),
                    );
                } else {
                    out.push(member);
                }
            }
        }
        Ok(())
    })?;
    errors.take_result(path)?;
    Ok(out)
}

/// Imports a members CSV, all or nothing.
pub fn import(conn: &mut rusqlite::Connection, path: &Path) -> Result<ImportSummary, ImportError> {
    import_from(conn, path, csvfile::open(path)?)
}

/// Imports from any reader; `path` names the source in messages.
pub fn import_from<R: std::io::Read>(
    conn: &mut rusqlite::Connection,
    path: &Path,
    mut reader: csv::Reader<R>,
) -> Result<ImportSummary, ImportError> {
    let header = csvfile::header(path, &mut reader)?;
    let cols = Columns::resolve(path, &header, REQUIRED, OPTIONAL)?;
    let tx = conn.transaction().map_err(StoreError::from)?;
    let mut errors = Errors::default();
    let mut seen: FxHashMap<String, u64> = FxHashMap::default();
    let rows = csvfile::each_row(path, &mut reader, &mut errors, |line, record, errors| {
        match parse_row(&cols, record) {
            Err(message) => errors.push(line, message),
            Ok(member) => {
                if let Some(first) = seen.insert(member.id.clone(), line) {
                    errors.push(
                        line,
                        format!("card: {} already appears on line {first}", member.id),
                    );
                } else if errors.is_empty() {
                    members::upsert(&tx, &member, None)?;
                }
            }
        }
        Ok(())
    })?;
    errors.take_result(path)?;
    tx.commit().map_err(StoreError::from)?;
    Ok(ImportSummary {
        rows,
        detail: format!("{rows} members imported"),
    })
}
