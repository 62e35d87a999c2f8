//! `storepos lists generate`: every qualifying member's list for the period as CSV, one
//! row per member per listed product, with the offer on that product (or its category)
//! when there is one; optionally the signed lists' codes for the tills.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use ed25519_dalek::SigningKey;

use super::load::Loaded;
use crate::domain::coupon::{LIST_ITEMS_MAX, OfferValue};
use crate::domain::lists::coupons::{coupon_id, sign_member_list};
use crate::domain::lists::plan::Plan;
use crate::domain::lists::{Deal, DealTarget, MemberList, Params, PlannedOffer, plan_lists};
use crate::domain::money::{Currency, Money};

/// The CSV header `generate` writes.
pub const HEADER: &str = "member_id,product_id,rank,score,reason,offer_coupon,offer_title,offer_value,offer_funded_by,offer_segment";

/// Makes the lists of every member in the store as of `as_of`.
pub fn plan(loaded: &Loaded, deals: &[Deal], as_of: DateTime<Utc>, params: &Params) -> Plan {
    plan_lists(&loaded.catalogue, &loaded.members, deals, as_of, params)
}

/// An offer's value as printed: `0.50 off`, `20% off (up to 2.00)`.
pub fn value_text(offer: &PlannedOffer, currency: Currency) -> String {
    offer_value_text(offer.value, offer.max_discount, currency)
}

/// An offer's value as printed: "5.00 off", "20% off (up to 8.00)".
pub fn offer_value_text(
    value: OfferValue,
    max_discount: Option<i64>,
    currency: Currency,
) -> String {
    let money = |m: i64| Money::from_minor(m, currency).to_string();
    match value {
        OfferValue::AmountOff(a) => format!("{} off", money(a)),
        OfferValue::PercentOff(bp) => {
            let pct = crate::domain::money::format_scaled(i64::from(bp), 2);
            let pct = pct.trim_end_matches('0').trim_end_matches('.');
            match max_discount {
                Some(cap) => format!("{pct}% off (up to {})", money(cap)),
                None => format!("{pct}% off"),
            }
        }
    }
}

/// Which item of the list each offer is shown beside: its product, else the first item of
/// its category.
pub fn offer_rows(list: &MemberList, deals: &[Deal], loaded: &Loaded) -> Vec<Option<usize>> {
    list.offers
        .iter()
        .map(|offer| {
            let deal = &deals[offer.deal];
            list.items
                .iter()
                .position(|item| match (offer.product, &deal.target) {
                    (Some(p), _) => item.product == p,
                    (None, DealTarget::Category(c)) => {
                        loaded.catalogue[item.product as usize].category.as_deref() == Some(c)
                    }
                    (None, DealTarget::Product(p)) => item.product == *p,
                })
        })
        .collect()
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Writes the plan's lists as CSV; returns (members listed, rows).
pub fn write_csv(
    out: &mut impl Write,
    plan: &Plan,
    deals: &[Deal],
    loaded: &Loaded,
    currency: Currency,
) -> Result<(usize, usize)> {
    writeln!(out, "{HEADER}")?;
    let (mut members, mut rows) = (0, 0);
    for list in plan.lists.iter().filter(|l| !l.items.is_empty()) {
        members += 1;
        let at_row = offer_rows(list, deals, loaded);
        for (rank, item) in list.items.iter().enumerate() {
            let product = &loaded.catalogue[item.product as usize];
            let offer = list
                .offers
                .iter()
                .zip(&at_row)
                .find(|(_, row)| **row == Some(rank))
                .map(|(o, _)| o);
            let offer_cols = match offer {
                Some(o) => {
                    let deal = &deals[o.deal];
                    [
                        coupon_id(&list.member_id, &deal.id, list.period_start),
                        csv_field(&deal.title),
                        csv_field(&value_text(o, currency)),
                        csv_field(&deal.funding.funded_by()),
                        o.segment.name(),
                    ]
                    .join(",")
                }
                None => ",,,,".to_string(),
            };
            writeln!(
                out,
                "{},{},{},{:.4},{},{offer_cols}",
                csv_field(&list.member_id),
                csv_field(&product.id),
                rank + 1,
                item.score,
                csv_field(&item.reason),
            )?;
            rows += 1;
        }
    }
    Ok((members, rows))
}

/// Signs every list that has items and writes their full codes, one per line (what
/// `storepos import codes` reads at the tills).
pub fn write_codes(
    path: &Path,
    plan: &Plan,
    deals: &[Deal],
    loaded: &Loaded,
    key: &SigningKey,
) -> Result<usize> {
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
    );
    let mut n = 0;
    for list in plan.lists.iter().filter(|l| !l.items.is_empty()) {
        let signed = sign_member_list(list, deals, &loaded.catalogue, key, LIST_ITEMS_MAX)
            .with_context(|| format!("signing the list of member {}", list.member_id))?;
        writeln!(out, "{}", signed.full_code())?;
        n += 1;
    }
    out.flush()?;
    Ok(n)
}
