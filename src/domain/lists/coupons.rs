//! A member's planned offers as coupons, and their list as a shopping list signed with
//! HQ's key (through the coupon module), so a till verifies both offline and one scan of
//! the list applies every offer on it.
//!
//! Ids are derived from the member, the deal and the period's start, so making the same
//! list again gives the same ids (a coupon cannot be issued twice by running twice), and
//! stay within the coupon module's 20 characters: `C171106-` or `L171106-` and 12 hex
//! digits of a SHA-256.

use chrono::{DateTime, Utc};
use ed25519_dalek::SigningKey;
use sha2::{Digest, Sha256};

use super::ProductInfo;
use super::offers::{Deal, DealTarget};
use super::plan::MemberList;
use crate::domain::coupon::{
    Coupon, CouponError, ListItem, Offer, OfferTarget, ShoppingList, SignedList, sign, sign_list,
};

/// Longest item name kept on a signed list, in bytes (the list's code must stay small).
const ITEM_NAME_MAX: usize = 40;

fn derived_id(prefix: char, parts: &[&str], start: DateTime<Utc>) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part.as_bytes());
        hash.update([0u8]);
    }
    hash.update(start.timestamp().to_be_bytes());
    let digest = hex::encode(hash.finalize());
    format!("{prefix}{}-{}", start.format("%y%m%d"), &digest[..12])
}

/// The id of a member's list for the period starting at `start`.
pub fn list_id(member_id: &str, start: DateTime<Utc>) -> String {
    derived_id('L', &[member_id], start)
}

/// The id of the coupon a deal gives a member for the period starting at `start`.
pub fn coupon_id(member_id: &str, deal_id: &str, start: DateTime<Utc>) -> String {
    derived_id('C', &[member_id, deal_id], start)
}

/// Cuts text to at most `max` bytes on a character boundary.
pub fn clip(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// The coupons of a member's planned offers (unsigned), valid where the deal's validity
/// and the list's period overlap, single use.
pub fn coupons(list: &MemberList, deals: &[Deal], catalogue: &[ProductInfo]) -> Vec<Coupon> {
    list.offers
        .iter()
        .map(|offer| {
            let deal = &deals[offer.deal];
            let target = match (&deal.target, offer.product) {
                (_, Some(p)) => OfferTarget::Product(catalogue[p as usize].gtin),
                (DealTarget::Category(c), None) => OfferTarget::Category(c.clone()),
                (DealTarget::Product(p), None) => OfferTarget::Product(catalogue[*p as usize].gtin),
            };
            Coupon {
                id: coupon_id(&list.member_id, &deal.id, list.period_start),
                member_id: list.member_id.clone(),
                offer: Offer {
                    target,
                    value: offer.value,
                    min_spend: deal.min_spend,
                    max_discount: offer.max_discount,
                },
                valid_from: deal.valid_from.max(list.period_start),
                valid_until: deal.valid_until.min(list.period_end),
                single_use: true,
                funded_by: Some(clip(&deal.funding.funded_by(), 64)),
                title: clip(&deal.title, 200),
            }
        })
        .collect()
}

/// Signs the member's coupons and list with HQ's key. `max_items` keeps the list's code
/// small enough for a QR code when it must be (the printed list shows every item anyway).
pub fn sign_member_list(
    list: &MemberList,
    deals: &[Deal],
    catalogue: &[ProductInfo],
    key: &SigningKey,
    max_items: usize,
) -> Result<SignedList, CouponError> {
    let signed = coupons(list, deals, catalogue)
        .into_iter()
        .map(|c| sign(c, key))
        .collect::<Result<Vec<_>, _>>()?;
    let items = list
        .items
        .iter()
        .take(max_items)
        .map(|item| {
            let product = &catalogue[item.product as usize];
            ListItem {
                gtin: product.gtin,
                name: clip(&product.name, ITEM_NAME_MAX),
                department: product.department.as_deref().map(|d| clip(d, 64)),
                reason: clip(&item.reason, 200),
            }
        })
        .collect();
    sign_list(
        ShoppingList {
            id: list_id(&list.member_id, list.period_start),
            member_id: list.member_id.clone(),
            period_start: list.period_start,
            period_end: list.period_end,
            items,
            coupons: signed,
        },
        key,
    )
}
