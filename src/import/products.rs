//! `storepos import products FILE.csv`.
//!
//! Required columns `gtin,name,price,tax_rate`; optional
//! `name_en,department,category,brand_type,manufacturer,member_price,bonus_points,weighed,plu,restricted`.
//! Rows replace products with the same GTIN; anything wrong anywhere imports nothing.

use rustc_hash::FxHashMap;
use std::path::Path;

use iso_currency::Currency;

use super::csvfile::{self, Columns, parse_flag};
use super::{Errors, ImportError, ImportSummary};
use crate::domain::gs1::Gtin;
use crate::domain::money::Money;
use crate::domain::product::{BonusPoints, BrandType, Product};
use crate::domain::tax::TaxRate;
use crate::store::catalogue::ProductWriter;
use crate::store::{Catalogue, StoreError};

pub const REQUIRED: &[&str] = &["gtin", "name", "price", "tax_rate"];
pub const OPTIONAL: &[&str] = &[
    "name_en",
    "department",
    "category",
    "brand_type",
    "manufacturer",
    "member_price",
    "bonus_points",
    "weighed",
    "plu",
    "restricted",
];

/// Parses one row into a product, or says what is wrong with it.
pub fn parse_row(
    cols: &Columns,
    row: &csv::StringRecord,
    currency: Currency,
) -> Result<Product, String> {
    let gtin = Gtin::parse(cols.get(row, "gtin")).map_err(|e| format!("gtin: {e}"))?;
    let name = cols.get(row, "name");
    if name.is_empty() {
        return Err("name: must not be empty".into());
    }
    let price = parse_price(cols.get(row, "price"), currency).map_err(|e| format!("price: {e}"))?;
    let tax_rate =
        TaxRate::parse_percent(cols.get(row, "tax_rate")).map_err(|e| format!("tax_rate: {e}"))?;
    let member_price = cols
        .opt(row, "member_price")
        .map(|t| parse_price(t, currency))
        .transpose()
        .map_err(|e| format!("member_price: {e}"))?;
    if let Some(mp) = member_price
        && mp.minor() > price.minor()
    {
        return Err(format!(
            "member_price: {mp} is above the price {price}; a member price is a discount"
        ));
    }
    let brand_type = BrandType::parse(cols.get(row, "brand_type")).ok_or_else(|| {
        format!(
            "brand_type: '{}' is not national, store or unknown",
            cols.get(row, "brand_type")
        )
    })?;
    let bonus_points = BonusPoints::parse(cols.get(row, "bonus_points")).ok_or_else(|| {
        format!(
            "bonus_points: '{}' is neither +N (extra points) nor xN (multiplier)",
            cols.get(row, "bonus_points")
        )
    })?;
    let flag = |column: &str| {
        parse_flag(cols.get(row, column)).ok_or_else(|| {
            format!(
                "{column}: '{}' is not a yes/no value (1/0, true/false, yes/no)",
                cols.get(row, column)
            )
        })
    };
    let weighed = flag("weighed")?;
    let restricted = flag("restricted")?;
    let plu = cols
        .opt(row, "plu")
        .map(|t| {
            t.parse::<u32>()
                .ok()
                .filter(|n| (1..=999_999).contains(n) && t.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| format!("plu: '{t}' is not a 1–6 digit code"))
        })
        .transpose()?;
    let text = |column: &str| cols.opt(row, column).map(str::to_string);
    Ok(Product {
        gtin,
        name: name.to_string(),
        name_en: text("name_en"),
        price,
        tax_rate,
        department: text("department"),
        category: text("category"),
        brand_type,
        manufacturer: text("manufacturer"),
        member_price,
        bonus_points,
        weighed,
        plu,
        restricted,
        external_id: None,
    })
}

fn parse_price(text: &str, currency: Currency) -> Result<Money, String> {
    let price = Money::parse(text, currency).map_err(|e| e.to_string())?;
    if price.is_negative() {
        return Err(format!("'{text}' is negative"));
    }
    Ok(price)
}

/// Imports a products CSV into the catalogue, all or nothing.
pub fn import(catalogue: &mut Catalogue, path: &Path) -> Result<ImportSummary, ImportError> {
    import_from(catalogue, path, csvfile::open(path)?)
}

/// Imports from any reader; `path` names the source in messages.
///
/// Two stages run side by side: one thread reads, parses and validates rows while the
/// caller's thread writes the valid ones into the open transaction. Once any row is bad
/// nothing more is written, validation carries on to report every bad row, and the
/// transaction is rolled back.
pub fn import_from<R: std::io::Read + Send>(
    catalogue: &mut Catalogue,
    path: &Path,
    mut reader: csv::Reader<R>,
) -> Result<ImportSummary, ImportError> {
    let currency = catalogue.currency();
    let header = csvfile::header(path, &mut reader)?;
    let cols = Columns::resolve(path, &header, REQUIRED, OPTIONAL)?;
    // A large page cache keeps the load in memory until the commit writes it out in one
    // pass, instead of spilling half-built B-tree pages as it goes.
    catalogue
        .conn()
        .execute_batch("PRAGMA cache_size = -262144")
        .map_err(StoreError::from)?;
    let tx = catalogue
        .conn_mut()
        .transaction()
        .map_err(StoreError::from)?;
    let mut writer = ProductWriter::new(&tx)?;
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<(u64, Product)>>(16);
    let (parsed, mut write_errors) = std::thread::scope(|scope| {
        let parser = scope.spawn(move || parse_all(path, reader, &cols, currency, sender));
        let mut write_errors = Errors::default();
        for batch in receiver {
            for (line, product) in batch {
                if !write_errors.is_empty() {
                    break;
                }
                if let Err(e) = writer.write(&product) {
                    write_errors.push(line, write_error(&product, e));
                }
            }
        }
        let parsed = parser
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (parsed, write_errors)
    });
    let (rows, mut errors) = parsed?;
    errors.append(&mut write_errors);
    errors.take_result(path)?;
    drop(writer);
    tx.commit().map_err(StoreError::from)?;
    Ok(ImportSummary {
        rows,
        detail: format!("{rows} products imported"),
    })
}

const BATCH: usize = 1024;

/// The parsing stage: sends valid products in batches until the first bad row, then only
/// validates. Returns the row count and the bad rows.
fn parse_all<R: std::io::Read>(
    path: &Path,
    mut reader: csv::Reader<R>,
    cols: &Columns,
    currency: Currency,
    sender: std::sync::mpsc::SyncSender<Vec<(u64, Product)>>,
) -> Result<(u64, Errors), ImportError> {
    let mut errors = Errors::default();
    let mut seen_gtin: FxHashMap<u64, u64> = FxHashMap::default();
    let mut seen_plu: FxHashMap<u32, u64> = FxHashMap::default();
    let mut batch = Vec::with_capacity(BATCH);
    let rows = csvfile::each_row(path, &mut reader, &mut errors, |line, record, errors| {
        let product = match parse_row(cols, record, currency) {
            Ok(p) => p,
            Err(message) => {
                errors.push(line, message);
                return Ok(());
            }
        };
        if let Some(first) = seen_gtin.insert(product.gtin.value(), line) {
            errors.push(
                line,
                format!("gtin: {} already appears on line {first}", product.gtin),
            );
            return Ok(());
        }
        if let Some(plu) = product.plu
            && let Some(first) = seen_plu.insert(plu, line)
        {
            errors.push(line, format!("plu: {plu} already appears on line {first}"));
            return Ok(());
        }
        if errors.is_empty() {
            batch.push((line, product));
            if batch.len() == BATCH {
                // The writer only stops listening after a write error; the rows it would
                // have written are then moot.
                let _ = sender.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
            }
        }
        Ok(())
    })?;
    if errors.is_empty() && !batch.is_empty() {
        let _ = sender.send(batch);
    }
    Ok((rows, errors))
}

fn write_error(product: &Product, e: StoreError) -> String {
    match &e {
        StoreError::Sql(rusqlite::Error::SqliteFailure(f, _))
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            format!(
                "plu: {} is already used by another product in the catalogue",
                product.plu.unwrap_or(0)
            )
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(header: &str, line: &str) -> Result<Product, String> {
        let h = csv::StringRecord::from(header.split(',').collect::<Vec<_>>());
        let cols = Columns::resolve(Path::new("t.csv"), &h, REQUIRED, OPTIONAL).unwrap();
        let r = csv::StringRecord::from(line.split(',').collect::<Vec<_>>());
        parse_row(&cols, &r, Currency::CNY)
    }

    #[test]
    fn parses_a_full_row() {
        let p = row(
            "gtin,name,price,tax_rate,name_en,department,category,brand_type,manufacturer,member_price,bonus_points,weighed,plu,restricted",
            "6901234567892,香蕉,6.98,9,Bananas,Produce,Fruit,store,Dole,5.98,x2,yes,4011,0",
        )
        .unwrap();
        assert_eq!(p.price.minor(), 698);
        assert_eq!(p.member_price.unwrap().minor(), 598);
        assert_eq!(p.tax_rate, TaxRate::CN_REDUCED);
        assert_eq!(p.bonus_points, BonusPoints::Multiplier(2));
        assert_eq!(p.brand_type, BrandType::Store);
        assert!(p.weighed && !p.restricted);
        assert_eq!(p.plu, Some(4011));
    }

    #[test]
    fn names_the_field_at_fault() {
        let h = "gtin,name,price,tax_rate,member_price,plu,weighed";
        let cases = [
            ("6901234567893,A,1.00,13,,,", "gtin"),
            ("6901234567892,,1.00,13,,,", "name"),
            ("6901234567892,A,1.005,13,,,", "price"),
            ("6901234567892,A,-1.00,13,,,", "price"),
            ("6901234567892,A,abc,13,,,", "price"),
            ("6901234567892,A,1.00,130,,,", "tax_rate"),
            ("6901234567892,A,1.00,13,2.00,,", "member_price"),
            ("6901234567892,A,1.00,13,,40x1,", "plu"),
            ("6901234567892,A,1.00,13,,,maybe", "weighed"),
        ];
        for (line, field) in cases {
            let err = row(h, line).unwrap_err();
            assert!(err.starts_with(field), "{line}: {err}");
        }
    }
}
