//! `storepos import completejourney DIR`: dunnhumby's The Complete Journey as a store.
//!
//! - products: every product sold in the data, keyed by an in-company GTIN-13
//!   (`04` + the 10-digit product id + check digit), priced at the most frequent shelf
//!   price seen in the transactions (`(sales_value + retail_disc) / quantity`); the
//!   original `product_id` is kept as the external id. Fuel (product type `GASOLINE…`) is
//!   sold by measure: its quantity is in thousandths of a gallon (8725 is 8.725 gallons),
//!   kept as such, and its price is per gallon;
//! - members: one per household, card number `88` + the 8-digit household id, with the
//!   demographics as attributes, opened on the day of its first purchase;
//! - purchase history: every transaction line.
//!
//! The amounts are dollars; they are taken as they are into the store's currency, which
//! must have two decimals. The data set has no VAT: products are sold at 0 %, which must be
//! one of the store's `store.tax_rates`. Like every import it is all or nothing, and running it again
//! replaces what an earlier run loaded.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use flate2::read::MultiGzDecoder;
use rusqlite::Connection;

use super::csvfile::{self, Columns};
use super::{Errors, ImportError, ImportSummary};
use crate::domain::gs1::Gtin;
use crate::domain::member::{CardStatus, Consent, Member, MemberCard};
use crate::domain::money::{Money, div_round_half_away, minor_digits};
use crate::domain::product::{BonusPoints, BrandType, Product};
use crate::domain::tax::TaxRate;
use crate::store::history::{self, HistoryLine};
use crate::store::{Catalogue, StoreError, members};

/// Basket ids of imported history start with this, so a re-import can replace them.
pub const BASKET_PREFIX: &str = "cj:";

/// The in-company GTIN-13 standing for a Complete Journey product id.
pub fn gtin_for_product(product_id: u64) -> Option<Gtin> {
    (product_id < 10_000_000_000).then(|| Gtin::gtin13_from_body(40_000_000_000 + product_id))?
}

/// The member card number standing for a household.
pub fn card_for_household(household_id: u64) -> String {
    format!("88{household_id:08}")
}

/// Parses a dollar amount as the data set writes it (plain decimals, and float noise such
/// as `1.776357e-15`) into cents, rounding half away from zero on the decimal digits.
pub fn parse_cents(text: &str) -> Option<i64> {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], text[i + 1..].parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let digits: String = [int_part, frac_part].concat();
    if digits.len() > 30 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: i128 = digits.parse().ok()?;
    let shift = exponent - frac_part.len() as i32 + 2;
    let cents = if shift >= 0 {
        value.checked_mul(10_i128.checked_pow(shift.try_into().ok()?)?)?
    } else if shift < -36 {
        0
    } else {
        div_round_half_away(value, 10_i128.pow((-shift) as u32))
    };
    let cents = i64::try_from(cents).ok()?;
    Some(if negative { -cents } else { cents })
}

fn gz_reader(dir: &Path, name: &str) -> Result<(PathBuf, csv::Reader<Box<dyn Read>>), ImportError> {
    let path = dir.join(name);
    // The progress line counts the compressed bytes: their total is known up front.
    let file = crate::progress::open_file(&path).map_err(|source| ImportError::Io {
        path: path.clone(),
        source,
    })?;
    let decoder: Box<dyn Read> = Box::new(MultiGzDecoder::new(std::io::BufReader::new(file)));
    Ok((path, csvfile::reader(decoder)))
}

fn number(text: &str, column: &str) -> Result<u64, String> {
    text.parse()
        .map_err(|_| format!("{column}: '{text}' is not a whole number"))
}

#[derive(Default)]
struct Household {
    first_seen: Option<NaiveDateTime>,
    stores: HashMap<String, u32>,
}

/// Loads the data set from `dir` (the folder with `products.csv.gz`, `transactions.csv.gz`
/// and `demographics.csv.gz`) into the catalogue database.
pub fn import(catalogue: &mut Catalogue, dir: &Path) -> Result<ImportSummary, ImportError> {
    let currency = catalogue.currency();
    if minor_digits(currency) != 2 {
        return Err(ImportError::Format {
            path: dir.to_path_buf(),
            message: format!(
                "the Complete Journey is priced in dollars and cents; this store's currency {} does not have two decimals (key `store.currency`)",
                currency.code()
            ),
        });
    }
    // The data set carries no VAT: its products are sold at 0 %, which the store must use.
    if !catalogue.tax_rates().contains(TaxRate::ZERO) {
        return Err(ImportError::Format {
            path: dir.to_path_buf(),
            message: format!(
                "the Complete Journey has no VAT rates and its products are imported at 0%, which is not one of this store's VAT rates ({}; key `store.tax_rates`)",
                catalogue.tax_rates()
            ),
        });
    }
    let tx = catalogue
        .conn_mut()
        .transaction()
        .map_err(StoreError::from)?;
    tx.execute(
        "DELETE FROM purchase_history WHERE basket_id >= ?1 AND basket_id < ?2",
        ["cj:", "cj;"],
    )
    .map_err(StoreError::from)?;

    let fuel = fuel_products(dir)?;
    // Transactions first: history goes straight in, prices and households are gathered.
    let (path, mut reader) = gz_reader(dir, "transactions.csv.gz")?;
    let header = csvfile::header(&path, &mut reader)?;
    let cols = Columns::resolve(
        &path,
        &header,
        &[
            "household_id",
            "store_id",
            "basket_id",
            "product_id",
            "quantity",
            "sales_value",
            "retail_disc",
            "coupon_disc",
            "transaction_timestamp",
        ],
        &["coupon_match_disc", "week"],
    )?;
    let mut errors = Errors::default();
    let mut prices: HashMap<u64, HashMap<i64, u32>> = HashMap::new();
    let mut households: HashMap<u64, Household> = HashMap::new();
    let lines = csvfile::each_row(&path, &mut reader, &mut errors, |line, row, errors| {
        match transaction_row(&cols, row) {
            Err(message) => errors.push(line, format!("transactions.csv.gz: {message}")),
            Ok(mut t) => {
                let by_measure = fuel.contains(&t.product);
                if by_measure {
                    // Already thousandths (of a gallon), as the store keeps measured goods.
                    t.line.quantity /= 1000;
                }
                let household = households.entry(t.household).or_default();
                if household.first_seen.is_none_or(|f| t.at < f) {
                    household.first_seen = Some(t.at);
                }
                *household.stores.entry(t.line.store_id.clone()).or_default() += 1;
                let shelf = t.line.amount + t.line.retail_disc;
                let unit_price = if by_measure {
                    // Per gallon: thousandths of a gallon, at least a tenth of one.
                    (t.line.quantity >= 100).then(|| {
                        div_round_half_away(i128::from(shelf) * 1000, i128::from(t.line.quantity))
                    })
                } else {
                    let units = t.line.quantity / 1000;
                    (1..=1000)
                        .contains(&units)
                        .then(|| div_round_half_away(i128::from(shelf), i128::from(units)))
                };
                if let Some(unit_price) = unit_price.filter(|&p| p > 0) {
                    *prices
                        .entry(t.product)
                        .or_default()
                        .entry(unit_price as i64)
                        .or_default() += 1;
                }
                if errors.is_empty() {
                    history::insert(&tx, &t.line)?;
                }
            }
        }
        Ok(())
    })?;
    errors.take_result(&path)?;

    // Products that were sold, at their most frequent shelf price.
    let (path, mut reader) = gz_reader(dir, "products.csv.gz")?;
    let header = csvfile::header(&path, &mut reader)?;
    let cols = Columns::resolve(
        &path,
        &header,
        &["product_id", "department", "brand", "product_category"],
        &["manufacturer_id", "product_type", "package_size"],
    )?;
    let mut products = 0u64;
    let mut unsold = 0u64;
    csvfile::each_row(&path, &mut reader, &mut errors, |line, row, errors| {
        let id = match number(cols.get(row, "product_id"), "product_id") {
            Ok(id) => id,
            Err(message) => {
                errors.push(line, message);
                return Ok(());
            }
        };
        let Some(price) = prices.get(&id).and_then(|counts| {
            counts
                .iter()
                .max_by_key(|(price, count)| (**count, std::cmp::Reverse(**price)))
                .map(|(price, _)| *price)
        }) else {
            unsold += 1;
            return Ok(());
        };
        let Some(gtin) = gtin_for_product(id) else {
            errors.push(line, format!("product_id: {id} has more than 10 digits"));
            return Ok(());
        };
        let mut product = product_row(&cols, row, gtin, id, Money::from_minor(price, currency));
        product.weighed = fuel.contains(&id);
        if errors.is_empty() {
            Catalogue::upsert(&tx, &product)?;
        }
        products += 1;
        Ok(())
    })?;
    errors.take_result(&path)?;

    // Households as members, with demographics where the data has them.
    let demographics = read_demographics(dir)?;
    for (id, household) in &households {
        let home_store = household
            .stores
            .iter()
            .max_by_key(|(store, n)| (**n, std::cmp::Reverse((*store).clone())))
            .map(|(store, _)| store.clone());
        let card = card_for_household(*id);
        let member = Member {
            id: id.to_string(),
            name: format!("Household {id}"),
            phone: None,
            email: None,
            address: None,
            customer_type: None,
            cards: vec![MemberCard {
                number: card,
                status: CardStatus::Active,
            }],
            card_opened: household.first_seen.map(|t| t.date()),
            tier: "standard".into(),
            home_store,
            // The households of the study received targeted mailings, so the demo store
            // treats them as having agreed to personalised offers.
            consent: Consent {
                marketing: true,
                profiling: true,
            },
            points_balance: 0,
        };
        members::upsert(&tx, &member, demographics.get(id).map(String::as_str))?;
    }
    tx.commit().map_err(StoreError::from)?;
    Ok(ImportSummary {
        rows: lines,
        detail: format!(
            "{products} products ({unsold} never sold were skipped), {} households as members, {lines} purchase lines",
            households.len()
        ),
    })
}

struct TransactionRow {
    household: u64,
    product: u64,
    at: NaiveDateTime,
    line: HistoryLine,
}

fn transaction_row(cols: &Columns, row: &csv::StringRecord) -> Result<TransactionRow, String> {
    let household = number(cols.get(row, "household_id"), "household_id")?;
    let product = number(cols.get(row, "product_id"), "product_id")?;
    let gtin = gtin_for_product(product)
        .ok_or_else(|| format!("product_id: {product} has more than 10 digits"))?;
    let quantity = number(cols.get(row, "quantity"), "quantity")?;
    let money = |column: &str| {
        let text = cols.get(row, column);
        parse_cents(text).ok_or_else(|| format!("{column}: '{text}' is not an amount"))
    };
    let ts_text = cols.get(row, "transaction_timestamp");
    let at = NaiveDateTime::parse_from_str(ts_text, "%Y-%m-%dT%H:%M:%S")
        .map_err(|e| format!("transaction_timestamp: '{ts_text}': {e}"))?;
    let basket = cols.get(row, "basket_id");
    if basket.is_empty() {
        return Err("basket_id: must not be empty".into());
    }
    Ok(TransactionRow {
        household,
        product,
        at,
        line: HistoryLine {
            member_id: household.to_string(),
            store_id: cols.get(row, "store_id").to_string(),
            basket_id: format!("{BASKET_PREFIX}{basket}"),
            gtin: gtin.value(),
            quantity: i64::try_from(quantity)
                .ok()
                .and_then(|q| q.checked_mul(1000))
                .ok_or_else(|| format!("quantity: {quantity} is too large"))?,
            amount: money("sales_value")?,
            retail_disc: money("retail_disc")?,
            coupon_disc: money("coupon_disc")?,
            at: format!("{}Z", at.format("%Y-%m-%dT%H:%M:%S")),
        },
    })
}

fn product_row(
    cols: &Columns,
    row: &csv::StringRecord,
    gtin: Gtin,
    id: u64,
    price: Money,
) -> Product {
    let name = [
        cols.get(row, "product_type"),
        cols.get(row, "product_category"),
        cols.get(row, "department"),
    ]
    .into_iter()
    .find(|s| !s.is_empty())
    .unwrap_or("ITEM");
    let name = match cols.opt(row, "package_size") {
        Some(size) => format!("{name} {size}"),
        None => name.to_string(),
    };
    let brand_type = match cols.get(row, "brand") {
        "National" => BrandType::National,
        "Private" => BrandType::Store,
        _ => BrandType::Unknown,
    };
    Product {
        gtin,
        name: name.clone(),
        name_en: Some(name),
        price,
        tax_rate: TaxRate::ZERO,
        department: cols.opt(row, "department").map(str::to_string),
        category: cols.opt(row, "product_category").map(str::to_string),
        brand_type,
        manufacturer: cols.opt(row, "manufacturer_id").map(|m| format!("M{m}")),
        member_price: None,
        bonus_points: BonusPoints::None,
        weighed: false,
        plu: None,
        restricted: false,
        external_id: Some(id.to_string()),
    }
}

/// The products sold by measure: fuel, whose product type is a gasoline.
fn fuel_products(dir: &Path) -> Result<std::collections::HashSet<u64>, ImportError> {
    let (path, mut reader) = gz_reader(dir, "products.csv.gz")?;
    let header = csvfile::header(&path, &mut reader)?;
    let cols = Columns::resolve(
        &path,
        &header,
        &["product_id"],
        &[
            "product_type",
            "department",
            "brand",
            "product_category",
            "manufacturer_id",
            "package_size",
        ],
    )?;
    let mut fuel = std::collections::HashSet::new();
    let mut errors = Errors::default();
    csvfile::each_row(&path, &mut reader, &mut errors, |_, row, _| {
        if cols
            .opt(row, "product_type")
            .is_some_and(|t| t.starts_with("GASOLINE"))
            && let Ok(id) = number(cols.get(row, "product_id"), "product_id")
        {
            fuel.insert(id);
        }
        Ok(())
    })?;
    Ok(fuel)
}

/// Demographics per household as a JSON object of its columns.
fn read_demographics(dir: &Path) -> Result<HashMap<u64, String>, ImportError> {
    let (path, mut reader) = gz_reader(dir, "demographics.csv.gz")?;
    let header = csvfile::header(&path, &mut reader)?;
    let names: Vec<String> = header.iter().map(str::to_string).collect();
    let mut out = HashMap::new();
    let mut errors = Errors::default();
    csvfile::each_row(&path, &mut reader, &mut errors, |line, row, errors| {
        let mut object = serde_json::Map::new();
        let mut household = None;
        for (name, value) in names.iter().zip(row.iter()) {
            if name == "household_id" {
                household = value.parse::<u64>().ok();
            } else {
                object.insert(name.clone(), serde_json::Value::String(value.to_string()));
            }
        }
        match household {
            Some(id) => {
                out.insert(id, serde_json::Value::Object(object).to_string());
            }
            None => errors.push(line, "household_id: not a whole number"),
        }
        Ok(())
    })?;
    errors.take_result(&path)?;
    Ok(out)
}

/// Counts of what is loaded, for tests and the CLI.
pub fn loaded_counts(conn: &Connection) -> Result<(u64, u64, u64), StoreError> {
    Ok((
        conn.query_row(
            "SELECT COUNT(*) FROM products WHERE external_id IS NOT NULL",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64,
        members::count(conn)?,
        history::count(conn)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_data_sets_amounts() {
        assert_eq!(parse_cents("0.5"), Some(50));
        assert_eq!(parse_cents("2.99"), Some(299));
        assert_eq!(parse_cents("1.0"), Some(100));
        assert_eq!(parse_cents("-0.3"), Some(-30));
        assert_eq!(parse_cents("1.776357e-15"), Some(0));
        assert_eq!(parse_cents("2.995"), Some(300));
        assert_eq!(parse_cents("1.5e2"), Some(15_000));
        assert_eq!(parse_cents("abc"), None);
        assert_eq!(parse_cents(""), None);
        assert_eq!(parse_cents("1e"), None);
    }

    #[test]
    fn ids_map_to_valid_codes() {
        let gtin = gtin_for_product(1_095_275).unwrap();
        assert_eq!(
            gtin.to_string(),
            Gtin::parse(&gtin.to_string()).unwrap().to_string()
        );
        assert!(gtin.to_string().starts_with("04"));
        assert_eq!(card_for_household(900), "8800000900");
    }

    #[test]
    fn a_store_without_a_zero_rate_refuses_the_data_set() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = crate::store::Store::open(
            &dir.path().join("store"),
            crate::store::Identity {
                store_id: "S001".into(),
                terminal_id: "T01".into(),
                currency: iso_currency::Currency::USD,
            },
        )
        .unwrap();
        store
            .catalogue
            .set_tax_rates(crate::domain::tax::TaxRates::parse(&["13", "9"]).unwrap());
        let err = import(&mut store.catalogue, dir.path()).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("0%") && message.contains("store.tax_rates"),
            "{message}"
        );
    }
}
