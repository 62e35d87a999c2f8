//! Reads the catalogue and every member's purchase history out of the store's
//! `catalogue.db` into the engine's plain data.

use std::collections::HashMap;

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::Connection;

use crate::domain::gs1::Gtin;
use crate::domain::lists::{MemberHistory, ProductInfo, Purchase};
use crate::domain::product::BrandType;

/// The engine's input as the store holds it.
#[derive(Debug, Default)]
pub struct Loaded {
    pub catalogue: Vec<ProductInfo>,
    /// Members with purchase history, in member id order.
    pub members: Vec<MemberHistory>,
    by_gtin: HashMap<u64, u32>,
    by_id: HashMap<String, u32>,
}

impl Loaded {
    /// A product by the id the data uses (external id, e.g. Complete Journey's
    /// `product_id`) or by its GTIN.
    pub fn product(&self, id: &str) -> Option<u32> {
        let id = id.trim();
        self.by_id.get(id).copied().or_else(|| {
            Gtin::parse(id)
                .ok()
                .and_then(|g| self.by_gtin.get(&g.value()).copied())
        })
    }

    /// The index of a member by id.
    pub fn member(&self, id: &str) -> Option<usize> {
        self.members
            .binary_search_by(|m| m.member_id.as_str().cmp(id))
            .ok()
    }
}

/// Loads the products and the purchase history (all of it: the engine cuts it at the
/// moment a list is made for). History lines of products missing from the catalogue are
/// kept under a product of their own GTIN, so nothing bought is lost.
pub fn load(conn: &Connection) -> Result<Loaded> {
    let mut out = Loaded::default();
    let mut stmt = conn.prepare(
        "SELECT gtin, name, name_en, department, category, brand_type, external_id FROM products",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let gtin_value: i64 = r.get(0)?;
        let Some(gtin) = Gtin::from_gtin14_value(gtin_value as u64) else {
            continue;
        };
        let name: String = r.get(1)?;
        let name_en: Option<String> = r.get(2)?;
        let external: Option<String> = r.get(6)?;
        let index = out.catalogue.len() as u32;
        let id = external.unwrap_or_else(|| gtin.to_string());
        out.by_gtin.insert(gtin.value(), index);
        out.by_id.insert(id.clone(), index);
        out.catalogue.push(ProductInfo {
            id,
            gtin,
            name: name_en.filter(|n| !n.is_empty()).unwrap_or(name),
            department: r.get(3)?,
            category: r.get(4)?,
            brand: BrandType::parse(&r.get::<_, String>(5)?).unwrap_or_default(),
            stocked: true,
        });
    }
    let mut stmt = conn.prepare("SELECT member_id, gtin, amount, at FROM purchase_history")?;
    let mut rows = stmt.query([])?;
    let mut index: HashMap<String, usize> = HashMap::new();
    while let Some(r) = rows.next()? {
        let member = r.get_ref(0)?.as_str()?;
        let gtin = r.get::<_, i64>(1)? as u64;
        let amount: i64 = r.get(2)?;
        let at_text = r.get_ref(3)?.as_str()?;
        let at = parse_at(at_text)
            .with_context(|| format!("purchase history: '{at_text}' is not an RFC 3339 time"))?;
        let product = match out.by_gtin.get(&gtin) {
            Some(&p) => p,
            // Bought here once, not in the catalogue now: never listed.
            None => out.unknown_product(gtin, false),
        };
        let m = match index.get(member) {
            Some(&m) => m,
            None => {
                index.insert(member.to_string(), out.members.len());
                out.members.push(MemberHistory {
                    member_id: member.to_string(),
                    purchases: Vec::new(),
                });
                out.members.len() - 1
            }
        };
        out.members[m].purchases.push(Purchase {
            product,
            at,
            amount,
        });
    }
    out.members.sort_by(|a, b| a.member_id.cmp(&b.member_id));
    Ok(out)
}

impl Loaded {
    /// The engine's input made elsewhere (HQ builds it from its own tables): the products
    /// with their lookups, and the members' histories put in member id order.
    pub fn from_parts(catalogue: Vec<ProductInfo>, mut members: Vec<MemberHistory>) -> Loaded {
        let mut out = Loaded::default();
        for (index, product) in catalogue.iter().enumerate() {
            out.by_gtin.insert(product.gtin.value(), index as u32);
            out.by_id.insert(product.id.clone(), index as u32);
        }
        out.catalogue = catalogue;
        members.sort_by(|a, b| a.member_id.cmp(&b.member_id));
        out.members = members;
        out
    }

    /// The catalogue index of a GTIN the chain's tills sold, adding a bare product for one
    /// the catalogue lacks so nothing bought is lost; the tills sell it, so it may be listed.
    pub fn product_for_gtin(&mut self, gtin: u64) -> u32 {
        match self.by_gtin.get(&gtin) {
            Some(&p) => p,
            None => self.unknown_product(gtin, true),
        }
    }
}

impl Loaded {
    fn unknown_product(&mut self, gtin: u64, stocked: bool) -> u32 {
        let index = self.catalogue.len() as u32;
        let gtin = Gtin::from_gtin14_value(gtin).unwrap_or_else(|| {
            Gtin::gtin13_from_body(200_000_000_000).expect("a valid restricted GTIN")
        });
        self.by_gtin.insert(gtin.value(), index);
        self.catalogue.push(ProductInfo {
            id: gtin.to_string(),
            gtin,
            name: format!("Product {gtin}"),
            department: None,
            category: None,
            brand: BrandType::Unknown,
            stocked,
        });
        index
    }
}

/// Reads a history time: the importer's `YYYY-MM-DDTHH:MM:SSZ` quickly, anything else
/// RFC 3339 through chrono.
pub fn parse_at(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    if b.len() == 20 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[19] == b'Z' {
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let mut v = 0u32;
            for &c in &b[r] {
                if !c.is_ascii_digit() {
                    return None;
                }
                v = v * 10 + u32::from(c - b'0');
            }
            Some(v)
        };
        let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
        return Some(
            date.and_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)?
                .and_utc(),
        );
    }
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
