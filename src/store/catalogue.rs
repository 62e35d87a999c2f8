//! The product catalogue repository: lookups the till makes on every scan.
//!
//! Products are keyed by their GTIN-14 value as SQLite's integer rowid, so a lookup is one
//! B-tree descent through a cached prepared statement.

use iso_currency::Currency;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::domain::gs1::Gtin;
use crate::domain::money::Money;
use crate::domain::product::{BonusPoints, BrandType, Product};
use crate::domain::tax::{TaxRate, TaxRates};

use super::StoreError;

macro_rules! product_columns {
    () => {
        "gtin, name, name_en, price, tax_bp, department, category, brand_type, \
         manufacturer, member_price, bonus_points, weighed, plu, restricted, external_id"
    };
}
const BY_GTIN_SQL: &str = concat!(
    "SELECT ",
    product_columns!(),
    " FROM products WHERE gtin = ?1"
);
const BY_PLU_SQL: &str = concat!(
    "SELECT ",
    product_columns!(),
    " FROM products WHERE plu = ?1"
);

pub struct Catalogue {
    conn: Connection,
    currency: Currency,
    /// The VAT rates products may have here (`store.tax_rates`); the importers check them.
    tax_rates: TaxRates,
}

impl Catalogue {
    /// A catalogue allowing the default VAT rates until [`Catalogue::set_tax_rates`] says
    /// which the store uses.
    pub fn new(conn: Connection, currency: Currency) -> Self {
        Catalogue {
            conn,
            currency,
            tax_rates: TaxRates::default(),
        }
    }

    /// The VAT rates the store uses (`store.tax_rates`).
    pub fn tax_rates(&self) -> &TaxRates {
        &self.tax_rates
    }

    pub fn set_tax_rates(&mut self, rates: TaxRates) {
        self.tax_rates = rates;
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn product_by_gtin(&self, gtin: Gtin) -> Result<Option<Product>, StoreError> {
        let mut stmt = self.conn.prepare_cached(BY_GTIN_SQL)?;
        let row = stmt
            .query_row([gtin.value() as i64], |r| {
                Ok(read_product(r, self.currency))
            })
            .optional()?;
        row.transpose()
    }

    pub fn product_by_plu(&self, plu: u32) -> Result<Option<Product>, StoreError> {
        let mut stmt = self.conn.prepare_cached(BY_PLU_SQL)?;
        let row = stmt
            .query_row([plu], |r| Ok(read_product(r, self.currency)))
            .optional()?;
        row.transpose()
    }

    /// Up to `limit` products keyed by PLU (weighed produce), lowest PLU first: the till's
    /// quick keys.
    pub fn plu_products(&self, limit: usize) -> Result<Vec<Product>, StoreError> {
        let sql = concat!(
            "SELECT ",
            product_columns!(),
            " FROM products WHERE plu IS NOT NULL ORDER BY plu LIMIT ?1"
        );
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt
            .query_map([limit as i64], |r| Ok(read_product(r, self.currency)))?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().collect()
    }

    pub fn product_count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM products", [], |r| r.get(0))?;
        Ok(n as u64)
    }

    /// Inserts a product or updates the one with the same GTIN (see [`ProductWriter`]).
    /// Replaces the catalogue with `products` in one transaction: each is written, and
    /// every product not among them is removed.
    pub fn replace_products(&mut self, products: &[Product]) -> Result<(), StoreError> {
        let tx = self.conn_mut().transaction()?;
        tx.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS listed (gtin INTEGER PRIMARY KEY); DELETE FROM listed;",
        )?;
        for p in products {
            Catalogue::upsert(&tx, p)?;
            tx.execute(
                "INSERT OR IGNORE INTO listed (gtin) VALUES (?1)",
                [p.gtin.value() as i64],
            )?;
        }
        tx.execute(
            "DELETE FROM products WHERE gtin NOT IN (SELECT gtin FROM listed)",
            [],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub fn upsert(conn: &Connection, p: &Product) -> Result<(), StoreError> {
        ProductWriter::new(conn)?.write(p)
    }
}

/// Writes products through one prepared statement, for bulk loads inside a transaction.
/// A PLU or external id already used by another product is a constraint error, never a
/// silent delete of that product.
pub struct ProductWriter<'c> {
    stmt: rusqlite::CachedStatement<'c>,
}

impl<'c> ProductWriter<'c> {
    pub fn new(conn: &'c Connection) -> Result<Self, StoreError> {
        Ok(ProductWriter {
            stmt: conn.prepare_cached(UPSERT_SQL)?,
        })
    }

    pub fn write(&mut self, p: &Product) -> Result<(), StoreError> {
        let bonus = match p.bonus_points {
            BonusPoints::None => None,
            other => Some(other.to_string()),
        };
        self.stmt.execute(params![
            p.gtin.value() as i64,
            p.name,
            p.name_en,
            p.price.minor(),
            p.tax_rate.basis_points(),
            p.department,
            p.category,
            p.brand_type.as_str(),
            p.manufacturer,
            p.member_price.map(Money::minor),
            bonus,
            p.weighed,
            p.plu,
            p.restricted,
            p.external_id,
        ])?;
        Ok(())
    }
}

const UPSERT_SQL: &str = concat!(
    "INSERT INTO products (",
    product_columns!(),
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
     ON CONFLICT (gtin) DO UPDATE SET
        name = excluded.name, name_en = excluded.name_en, price = excluded.price,
        tax_bp = excluded.tax_bp, department = excluded.department,
        category = excluded.category, brand_type = excluded.brand_type,
        manufacturer = excluded.manufacturer, member_price = excluded.member_price,
        bonus_points = excluded.bonus_points, weighed = excluded.weighed,
        plu = excluded.plu, restricted = excluded.restricted,
        external_id = excluded.external_id"
);

fn read_product(r: &Row<'_>, currency: Currency) -> Result<Product, StoreError> {
    let gtin_value: i64 = r.get(0)?;
    let gtin = Gtin::from_gtin14_value(gtin_value as u64)
        .ok_or_else(|| StoreError::Corrupt(format!("product key {gtin_value} is not a GTIN")))?;
    let tax_bp: u32 = r.get(4)?;
    let brand: String = r.get(7)?;
    let bonus: Option<String> = r.get(10)?;
    Ok(Product {
        gtin,
        name: r.get(1)?,
        name_en: r.get(2)?,
        price: Money::from_minor(r.get(3)?, currency),
        tax_rate: TaxRate::from_basis_points(tax_bp)
            .map_err(|e| StoreError::Corrupt(format!("product {gtin}: {e}")))?,
        department: r.get(5)?,
        category: r.get(6)?,
        brand_type: BrandType::parse(&brand).unwrap_or_default(),
        manufacturer: r.get(8)?,
        member_price: r
            .get::<_, Option<i64>>(9)?
            .map(|m| Money::from_minor(m, currency)),
        bonus_points: bonus
            .as_deref()
            .and_then(BonusPoints::parse)
            .unwrap_or_default(),
        weighed: r.get(11)?,
        plu: r.get(12)?,
        restricted: r.get(13)?,
        external_id: r.get(14)?,
    })
}

/// Why a scanned code did not become an item.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("barcode not accepted: {0}")]
    Barcode(#[from] crate::domain::gs1::GtinError),
    #[error("unknown item {0}: not in the catalogue")]
    UnknownItem(String),
    #[error("in-store label {code} names item code {item_code}, which no product has as its PLU")]
    UnknownPlu { code: String, item_code: u32 },
    #[error(transparent)]
    Pricing(#[from] crate::domain::scan::PricingError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Catalogue {
    /// Resolves scanner data to a priced item: validates the check digit, decodes in-store
    /// labels with the store's layout, then looks the product up.
    pub fn resolve_scan(
        &self,
        code: &str,
        layout: &crate::domain::gs1::VariableMeasureLayout,
    ) -> Result<crate::domain::scan::PricedItem, ScanError> {
        use crate::domain::gs1::ScannedItem;
        let gtin = Gtin::parse(code)?;
        let (product, label) = match layout.classify(gtin) {
            ScannedItem::Trade(gtin) => (
                self.product_by_gtin(gtin)?
                    .ok_or_else(|| ScanError::UnknownItem(code.to_string()))?,
                None,
            ),
            ScannedItem::VariableMeasure(label) => (
                self.product_by_plu(label.item_code)?
                    .ok_or_else(|| ScanError::UnknownPlu {
                        code: code.to_string(),
                        item_code: label.item_code,
                    })?,
                Some(label),
            ),
        };
        Ok(crate::domain::scan::price_item(product, label.as_ref())?)
    }
}
