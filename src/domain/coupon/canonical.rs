//! The canonical byte encoding that HQ signs, for coupons and shopping lists, and its
//! strict decoding. The layout is in the [module documentation](super).

use chrono::{DateTime, Utc};

use crate::domain::gs1::Gtin;

use super::error::{CodeKind, CouponError};
use super::list::{LIST_COUPONS_MAX, LIST_ITEMS_MAX, ListItem, ShoppingList};
use super::offer::{Offer, OfferTarget, OfferValue};
use super::signed::{Coupon, SIGNATURE_LEN, SignedCoupon};

const COUPON_TAG: &[u8; 4] = b"SPC1";
const LIST_TAG: &[u8; 4] = b"SPL1";

impl Coupon {
    /// The canonical encoding that HQ signs (see the [module documentation](super)).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128 + self.title.len());
        out.extend_from_slice(COUPON_TAG);
        put_str(&mut out, &self.id);
        put_str(&mut out, &self.member_id);
        match &self.offer.target {
            OfferTarget::Product(gtin) => {
                out.push(1);
                put_str(&mut out, &gtin.to_string());
            }
            OfferTarget::Category(category) => {
                out.push(2);
                put_str(&mut out, category);
            }
            OfferTarget::Basket => out.push(3),
        }
        match self.offer.value {
            OfferValue::AmountOff(amount) => {
                out.push(1);
                out.extend_from_slice(&amount.to_be_bytes());
            }
            OfferValue::PercentOff(bp) => {
                out.push(2);
                out.extend_from_slice(&bp.to_be_bytes());
            }
        }
        out.extend_from_slice(&self.offer.min_spend.to_be_bytes());
        match self.offer.max_discount {
            None => out.push(0),
            Some(cap) => {
                out.push(1);
                out.extend_from_slice(&cap.to_be_bytes());
            }
        }
        put_time(&mut out, self.valid_from);
        put_time(&mut out, self.valid_until);
        out.push(u8::from(self.single_use));
        match &self.funded_by {
            None => out.push(0),
            Some(funder) => {
                out.push(1);
                put_str(&mut out, funder);
            }
        }
        put_str(&mut out, &self.title);
        out
    }

    /// Decodes a canonical encoding; refuses anything else, including an invalid coupon.
    pub fn from_canonical_bytes(bytes: &[u8]) -> Result<Coupon, CouponError> {
        let damaged = |reason: String| CouponError::Damaged {
            kind: CodeKind::Coupon,
            reason,
        };
        let coupon = decode_coupon(&mut Reader::new(bytes)).map_err(damaged)?;
        if coupon.canonical_bytes() != bytes {
            return Err(damaged("the content is not in canonical form".into()));
        }
        coupon.validate()?;
        Ok(coupon)
    }
}

impl ShoppingList {
    /// The canonical encoding that HQ signs (see the [module documentation](super)).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + 64 * self.items.len() + 256 * self.coupons.len());
        out.extend_from_slice(LIST_TAG);
        put_str(&mut out, &self.id);
        put_str(&mut out, &self.member_id);
        put_time(&mut out, self.period_start);
        put_time(&mut out, self.period_end);
        put_len(&mut out, self.items.len());
        for item in &self.items {
            put_str(&mut out, &item.gtin.to_string());
            put_str(&mut out, &item.name);
            match &item.department {
                None => out.push(0),
                Some(department) => {
                    out.push(1);
                    put_str(&mut out, department);
                }
            }
            put_str(&mut out, &item.reason);
        }
        put_len(&mut out, self.coupons.len());
        for signed in &self.coupons {
            let coupon = signed.coupon.canonical_bytes();
            put_len(&mut out, coupon.len());
            out.extend_from_slice(&coupon);
            out.extend_from_slice(&signed.signature);
        }
        out
    }

    /// Decodes a canonical encoding; refuses anything else, including an invalid list.
    pub fn from_canonical_bytes(bytes: &[u8]) -> Result<ShoppingList, CouponError> {
        let damaged = |reason: String| CouponError::Damaged {
            kind: CodeKind::List,
            reason,
        };
        let list = decode_list(&mut Reader::new(bytes)).map_err(damaged)?;
        if list.canonical_bytes() != bytes {
            return Err(damaged("the content is not in canonical form".into()));
        }
        list.validate()?;
        Ok(list)
    }
}

fn put_len(out: &mut Vec<u8>, len: usize) {
    // Lengths above u32 cannot come from a valid record; saturating keeps encoding total.
    out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes());
}

fn put_str(out: &mut Vec<u8>, text: &str) {
    put_len(out, text.len());
    out.extend_from_slice(text.as_bytes());
}

fn put_time(out: &mut Vec<u8>, at: DateTime<Utc>) {
    out.extend_from_slice(&at.timestamp().to_be_bytes());
    out.extend_from_slice(&at.timestamp_subsec_nanos().to_be_bytes());
}

/// A cursor over untrusted bytes; every read checks what is left.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        let left = self.bytes.len() - self.pos;
        if n > left {
            return Err(format!("the content is cut off in the {what}"));
        }
        let slice = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], String> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    fn byte(&mut self, what: &str) -> Result<u8, String> {
        Ok(self.array::<1>(what)?[0])
    }

    fn flag(&mut self, what: &str) -> Result<bool, String> {
        match self.byte(what)? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(format!("the {what} has marker {other}, expected 0 or 1")),
        }
    }

    fn u32(&mut self, what: &str) -> Result<u32, String> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    fn i64(&mut self, what: &str) -> Result<i64, String> {
        Ok(i64::from_be_bytes(self.array(what)?))
    }

    fn str(&mut self, what: &str) -> Result<String, String> {
        let len = self.u32(what)? as usize;
        let bytes = self.take(len, what)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| format!("the {what} is not UTF-8 text"))
    }

    fn opt_str(&mut self, what: &str) -> Result<Option<String>, String> {
        if self.flag(what)? {
            self.str(what).map(Some)
        } else {
            Ok(None)
        }
    }

    fn time(&mut self, what: &str) -> Result<DateTime<Utc>, String> {
        let secs = self.i64(what)?;
        let nanos = self.u32(what)?;
        DateTime::from_timestamp(secs, nanos).ok_or_else(|| format!("the {what} is out of range"))
    }

    fn gtin(&mut self, what: &str) -> Result<Gtin, String> {
        let text = self.str(what)?;
        Gtin::parse(&text).map_err(|e| format!("the {what}: {e}"))
    }

    fn tag(&mut self, tag: &[u8; 4], kind: CodeKind) -> Result<(), String> {
        if &self.array::<4>("header")? == tag {
            Ok(())
        } else {
            Err(format!("the content is not a version 1 {kind}"))
        }
    }

    fn finish(&self) -> Result<(), String> {
        if self.pos == self.bytes.len() {
            Ok(())
        } else {
            Err(format!(
                "{} unexpected bytes after the content",
                self.bytes.len() - self.pos
            ))
        }
    }
}

/// Decodes a coupon that takes up all of the reader's bytes.
fn decode_coupon(r: &mut Reader<'_>) -> Result<Coupon, String> {
    r.tag(COUPON_TAG, CodeKind::Coupon)?;
    let id = r.str("coupon id")?;
    let member_id = r.str("member id")?;
    let target = match r.byte("offer target")? {
        1 => OfferTarget::Product(r.gtin("product GTIN")?),
        2 => OfferTarget::Category(r.str("category")?),
        3 => OfferTarget::Basket,
        other => return Err(format!("unknown offer target {other}")),
    };
    let value = match r.byte("offer value")? {
        1 => OfferValue::AmountOff(r.i64("amount off")?),
        2 => OfferValue::PercentOff(r.u32("percent off")?),
        other => return Err(format!("unknown offer value {other}")),
    };
    let min_spend = r.i64("minimum spend")?;
    let max_discount = if r.flag("discount cap")? {
        Some(r.i64("discount cap")?)
    } else {
        None
    };
    let valid_from = r.time("start of validity")?;
    let valid_until = r.time("end of validity")?;
    let single_use = r.flag("single-use flag")?;
    let funded_by = r.opt_str("funder")?;
    let title = r.str("title")?;
    r.finish()?;
    Ok(Coupon {
        id,
        member_id,
        offer: Offer {
            target,
            value,
            min_spend,
            max_discount,
        },
        valid_from,
        valid_until,
        single_use,
        funded_by,
        title,
    })
}

fn decode_list(r: &mut Reader<'_>) -> Result<ShoppingList, String> {
    r.tag(LIST_TAG, CodeKind::List)?;
    let id = r.str("list id")?;
    let member_id = r.str("member id")?;
    let period_start = r.time("start of the period")?;
    let period_end = r.time("end of the period")?;
    let item_count = r.u32("item count")? as usize;
    if item_count > LIST_ITEMS_MAX {
        return Err(format!("{item_count} items, at most {LIST_ITEMS_MAX}"));
    }
    let mut items = Vec::with_capacity(item_count);
    for _ in 0..item_count {
        items.push(ListItem {
            gtin: r.gtin("item GTIN")?,
            name: r.str("item name")?,
            department: r.opt_str("department")?,
            reason: r.str("item reason")?,
        });
    }
    let coupon_count = r.u32("coupon count")? as usize;
    if coupon_count > LIST_COUPONS_MAX {
        return Err(format!(
            "{coupon_count} coupons, at most {LIST_COUPONS_MAX}"
        ));
    }
    let mut coupons = Vec::with_capacity(coupon_count);
    for _ in 0..coupon_count {
        let len = r.u32("coupon length")? as usize;
        let coupon = decode_coupon(&mut Reader::new(r.take(len, "coupon")?))?;
        let signature = r.array::<SIGNATURE_LEN>("coupon signature")?;
        coupons.push(SignedCoupon { coupon, signature });
    }
    r.finish()?;
    Ok(ShoppingList {
        id,
        member_id,
        period_start,
        period_end,
        items,
        coupons,
    })
}
