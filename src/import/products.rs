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
use crate::domain::tax::TaxRates;
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

/// Parses one row into a product, or says what is wrong with it. Its `tax_rate` must be
/// one of the store's `rates` (a fraction such as `0.13` is read as 13 % when 13 is one).
pub fn parse_row(
    cols: &Columns,
    row: &csv::StringRecord,
    currency: Currency,
    rates: &TaxRates,
) -> Result<Product, String> {
    let gtin = Gtin::parse(cols.get(row, "gtin")).map_err(|e| format!("gtin: {e}"))?;
    let name = cols.get(row, "name");
    if name.is_empty() {
        return Err("name: must not be empty".into());
    }
    let price = parse_price(cols.get(row, "price"), currency).map_err(|e| format!("price: {e}"))?;
    let tax_rate = rates
        .read(cols.get(row, "tax_rate"))
        .map_err(|e| format!("tax_rate: {e}"))?;
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

/// Imports a products CSV into the catalogue, all or nothing; every `tax_rate` must be one
/// of the catalogue's [`Catalogue::tax_rates`].
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
    let rates = catalogue.tax_rates().clone();
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
        let parser = scope.spawn(move || parse_all(path, reader, &cols, currency, &rates, sender));
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
    rates: &TaxRates,
    sender: std::sync::mpsc::SyncSender<Vec<(u64, Product)>>,
) -> Result<(u64, Errors), ImportError> {
    let mut errors = Errors::default();
    let mut seen_gtin: FxHashMap<u64, u64> = FxHashMap::default();
    let mut seen_plu: FxHashMap<u32, u64> = FxHashMap::default();
    let mut batch = Vec::with_capacity(BATCH);
    let rows = csvfile::each_row(path, &mut reader, &mut errors, |line, record, errors| {
        let product = match parse_row(cols, record, currency, rates) {
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
    use crate::domain::tax::TaxRate;

    fn row(header: &str, line: &str) -> Result<Product, String> {
        let h = csv::StringRecord::from(header.split(',').collect::<Vec<_>>());
        let cols = Columns::resolve(Path::new("t.csv"), &h, REQUIRED, OPTIONAL).unwrap();
        let r = csv::StringRecord::from(line.split(',').collect::<Vec<_>>());
        parse_row(&cols, &r, Currency::CNY, &TaxRates::default())
    }

    fn open_store(rates: TaxRates) -> (tempfile::TempDir, crate::store::Store) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = crate::store::Store::open(
            dir.path(),
            crate::store::Identity {
                store_id: "S001".into(),
                terminal_id: "T01".into(),
                currency: Currency::CNY,
            },
        )
        .unwrap();
        store.catalogue.set_tax_rates(rates);
        (dir, store)
    }

    fn import_text(catalogue: &mut Catalogue, text: &str) -> Result<ImportSummary, ImportError> {
        let reader = csvfile::reader(text.as_bytes());
        import_from(catalogue, Path::new("p.csv"), reader)
    }

    fn count(catalogue: &Catalogue) -> i64 {
        catalogue
            .conn()
            .query_row("SELECT COUNT(*) FROM products", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn a_fraction_of_a_configured_rate_is_read_as_that_rate() {
        let h = "gtin,name,price,tax_rate";
        let p = row(h, "6901234567892,A,1.00,0.13").unwrap();
        assert_eq!(p.tax_rate, TaxRate::CN_STANDARD);
        let p = row(h, "6901234567892,A,1.00,0.09").unwrap();
        assert_eq!(p.tax_rate, TaxRate::CN_REDUCED);
        let p = row(h, "6901234567892,A,1.00,13%").unwrap();
        assert_eq!(p.tax_rate, TaxRate::CN_STANDARD);
    }

    #[test]
    fn a_rate_the_store_does_not_use_is_refused_with_the_rates_allowed() {
        let h = "gtin,name,price,tax_rate";
        for rate in ["0.07", "7", "0.13%", "19"] {
            let err = row(h, &format!("6901234567892,A,1.00,{rate}")).unwrap_err();
            assert!(err.starts_with("tax_rate: "), "{rate}: {err}");
            assert!(err.contains("13%, 9%, 6%, 0%, 3%"), "{rate}: {err}");
        }
    }

    #[test]
    fn an_import_reads_rates_against_the_store_and_is_all_or_nothing() {
        // 0.13 is stored as 13 %, not 0.13 %.
        let (_dir, mut store) = open_store(TaxRates::default());
        let cat = &mut store.catalogue;
        import_text(
            cat,
            "gtin,name,price,tax_rate\n6901234567892,A,1.13,0.13\n6920000000463,B,1.09,9\n",
        )
        .unwrap();
        let a = cat
            .product_by_gtin(Gtin::parse("6901234567892").unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(a.tax_rate.basis_points(), 1300);
        // One bad line (0.07 in a store without 7 %) imports nothing, naming it and the rates.
        let (_dir, mut store) = open_store(TaxRates::default());
        let cat = &mut store.catalogue;
        let err = import_text(
            cat,
            "gtin,name,price,tax_rate\n6901234567892,A,1.00,13\n6920000000463,B,1.00,0.07\n",
        )
        .unwrap_err();
        assert_eq!(err.row_errors().len(), 1, "{err}");
        assert_eq!(err.row_errors()[0].line, 3);
        let message = err.to_string();
        assert!(message.contains("line 3: tax_rate"), "{message}");
        assert!(message.contains("13%, 9%, 6%, 0%, 3%"), "{message}");
        assert_eq!(count(cat), 0);
        // A store configured with 7 % takes it, as 7 or as 0.07.
        let (_dir, mut store) = open_store(TaxRates::parse(&["19", "7", "0"]).unwrap());
        let cat = &mut store.catalogue;
        import_text(
            cat,
            "gtin,name,price,tax_rate\n6901234567892,A,1.00,7\n6920000000463,B,1.00,0.07\n",
        )
        .unwrap();
        assert_eq!(count(cat), 2);
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
