//! The deals feed: one JSON object per line (blank lines and lines starting with `#` are
//! skipped), all or nothing like every import. Fields:
//!
//! | field | meaning |
//! |---|---|
//! | `id`, `title` | the deal, and the text printed on its coupons |
//! | `funding` | `"store"` or `{"manufacturer":"NAME"}` |
//! | `target` | `{"product":"ID"}` (the data's product id or a GTIN) or `{"category":"NAME"}` |
//! | `discount` | `{"amount":"0.50"}` off, or `{"percent":"20"}` (needs `max_discount`) |
//! | `max_discount` | largest discount of one coupon, e.g. `"2.00"` (optional for amounts) |
//! | `min_spend` | least spend on the target for the coupon to apply (default `"0"`) |
//! | `budget` | most all its coupons may promise together, e.g. `"500.00"` |
//! | `segments` | e.g. `["national/high","store/mid"]`; omitted or empty: all nine |
//! | `valid_from`, `valid_until` | RFC 3339 or a date; `valid_until` is exclusive |
//! | `switch_to_store_brand` | `true`: offer this store-brand product to national-brand loyal heavy users of its category |
//!
//! Amounts are decimals in the store's currency and become integer minor units.

use std::path::Path;

use anyhow::{Result, bail};
use serde::Deserialize;

use super::load::Loaded;
use super::parse_moment;
use crate::domain::coupon::OfferValue;
use crate::domain::lists::{Deal, DealTarget, Funding, Segment};
use crate::domain::money::{Currency, Money, parse_scaled};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    id: String,
    title: String,
    funding: FundingLine,
    target: TargetLine,
    discount: DiscountLine,
    max_discount: Option<String>,
    #[serde(default)]
    min_spend: Option<String>,
    budget: String,
    #[serde(default)]
    segments: Vec<String>,
    valid_from: String,
    valid_until: String,
    #[serde(default)]
    switch_to_store_brand: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum FundingLine {
    Store,
    Manufacturer(String),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum TargetLine {
    Product(String),
    Category(String),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum DiscountLine {
    Amount(String),
    Percent(String),
}

/// Reads and checks a deals feed; every bad line is listed with its number and nothing is
/// returned if any is bad.
pub fn read(path: &Path, loaded: &Loaded, currency: Currency) -> Result<Vec<Deal>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    parse(&text, loaded, currency).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Parses the text of a deals feed (see the module doc).
pub fn parse(text: &str, loaded: &Loaded, currency: Currency) -> Result<Vec<Deal>> {
    let mut deals = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match deal(line, loaded, currency) {
            Ok(d) if deals.iter().any(|o: &Deal| o.id == d.id) => {
                errors.push(format!("line {}: deal {} appears twice", i + 1, d.id));
            }
            Ok(d) => deals.push(d),
            Err(e) => errors.push(format!("line {}: {e}", i + 1)),
        }
    }
    if !errors.is_empty() {
        bail!("bad deals, nothing used:\n  {}", errors.join("\n  "));
    }
    Ok(deals)
}

fn deal(text: &str, loaded: &Loaded, currency: Currency) -> Result<Deal> {
    let line: Line = serde_json::from_str(text)?;
    let money = |t: &str| -> Result<i64> { Ok(Money::parse(t, currency)?.minor()) };
    let value = match &line.discount {
        DiscountLine::Amount(a) => OfferValue::AmountOff(money(a)?),
        DiscountLine::Percent(p) => OfferValue::PercentOff(
            u32::try_from(parse_scaled(p, 2)?)
                .map_err(|_| anyhow::anyhow!("percent '{p}' is out of range"))?,
        ),
    };
    let target = match &line.target {
        TargetLine::Product(id) => DealTarget::Product(
            loaded
                .product(id)
                .ok_or_else(|| anyhow::anyhow!("no product '{id}' in the catalogue"))?,
        ),
        TargetLine::Category(c) => DealTarget::Category(c.clone()),
    };
    let segments = line
        .segments
        .iter()
        .map(|s| {
            Segment::parse(s).ok_or_else(|| {
                anyhow::anyhow!("'{s}' is not a segment (national|store|switcher / low|mid|high)")
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let deal = Deal {
        id: line.id,
        title: line.title,
        funding: match line.funding {
            FundingLine::Store => Funding::Store,
            FundingLine::Manufacturer(m) => Funding::Manufacturer(m),
        },
        target,
        value,
        max_discount: line.max_discount.as_deref().map(money).transpose()?,
        min_spend: line
            .min_spend
            .as_deref()
            .map(money)
            .transpose()?
            .unwrap_or(0),
        budget: money(&line.budget)?,
        segments,
        valid_from: parse_moment(&line.valid_from)?,
        valid_until: parse_moment(&line.valid_until)?,
        switch_to_store_brand: line.switch_to_store_brand,
    };
    deal.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
    if let (true, DealTarget::Product(p)) = (deal.switch_to_store_brand, &deal.target)
        && loaded.catalogue[*p as usize].brand != crate::domain::product::BrandType::Store
    {
        bail!("a switch to store brand must target a store-brand product");
    }
    Ok(deal)
}
