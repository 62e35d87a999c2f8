//! The member at the till: identifying them (card swipe or tap, scanned card or app code,
//! phone, name, id), their personal offers (signed coupons and shopping lists, verified
//! offline), points as a tender, enrolment, card replacement and complaints.
//!
//! The rules live in the domain core (`domain::loyalty`, `domain::coupon`); this module
//! only fetches what they need from the stores and keeps the sale's member state.

use crate::said;
use storepos_drivers::CardSource;
use storepos_drivers::card::{CardNumberRule, MsrDecoder};

use super::{CommandError, Terminal};
use crate::domain::coupon::{self, CouponCode, ListCode, PrintedCode, SignedCoupon, SignedList};
use crate::domain::member::{CardStatus, Consent, Member, normalize_phone};
use crate::domain::promotion::AttachedOffer;
use crate::store::loyalty::{self};
use crate::store::members;

/// The member identified for the sale in progress.
#[derive(Debug, Clone)]
pub struct AtTill {
    pub member: Member,
    /// The card presented, if they were identified by one.
    pub card: Option<String>,
}

/// What a member lookup found.
#[derive(Debug, Clone)]
pub enum Identified {
    /// One member, now attached to the sale.
    Member,
    /// Several could match: none is attached; the cashier picks one by id.
    Candidates(Vec<Member>),
}

/// A new member's details, as taken at the counter.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub consent: Consent,
}

impl Terminal {
    /// The member attached to the sale in progress.
    pub fn member(&self) -> Option<&AtTill> {
        self.member.as_ref()
    }

    /// The offers attached to the sale in progress.
    pub fn offers(&self) -> &[AttachedOffer] {
        &self.offers
    }

    /// The shopping list scanned for the sale in progress.
    pub fn list_id(&self) -> Option<&str> {
        self.list_id.as_deref()
    }

    pub(super) fn catalogue(&self) -> &rusqlite::Connection {
        self.store.catalogue.conn()
    }

    /// HQ's last balance for the member, as cached.
    pub(super) fn hq_balance(&self, member: &Member) -> i64 {
        member.points_balance
    }

    /// Finds a member by any field (card, phone, id, name) and attaches them when exactly
    /// one matches.
    pub fn identify(&mut self, query: &str) -> Result<Identified, CommandError> {
        self.selling()?;
        let query = query.trim();
        if query.is_empty() {
            return Err(CommandError::Invalid(said!(
                "give a card, phone, id or name"
            )));
        }
        if let Some(member) = members::by_card(self.catalogue(), query)? {
            return self.attach_card(member, query).map(|()| Identified::Member);
        }
        if let Some(member) = members::by_id(self.catalogue(), query)? {
            self.attach(member, None);
            return Ok(Identified::Member);
        }
        let mut found = match normalize_phone(query) {
            Ok(phone) => members::by_phone(self.catalogue(), &phone)?,
            Err(_) => Vec::new(),
        };
        if found.is_empty() {
            found = members::find(self.catalogue(), query, 10)?
                .into_iter()
                .map(|m| m.member)
                .collect();
        }
        if found.is_empty()
            && let Some(member) = self.member_by_card(query)?
        {
            // A card from another store, known to HQ.
            return self.attach_card(member, query).map(|()| Identified::Member);
        }
        match found.len() {
            0 => Err(CommandError::UnknownMember(query.to_string())),
            1 => {
                let member = found.remove(0);
                self.attach(member, None);
                Ok(Identified::Member)
            }
            _ => Ok(Identified::Candidates(found)),
        }
    }

    /// Identifies the member from raw card-reader data (a magnetic swipe such as
    /// `;6200123412341234=4912?`).
    pub fn swipe(&mut self, raw: &str) -> Result<(), CommandError> {
        self.selling()?;
        let decoder = MsrDecoder::new(
            b"\r",
            false,
            CardNumberRule::default(),
            CardSource::MagStripe,
        );
        let card = decoder.decode_frame(raw.trim().as_bytes()).map_err(|e| {
            CommandError::BadCard(said!("the swipe could not be read ({}); swipe again", e))
        })?;
        self.card_presented(&card.card_number)
    }

    /// An NFC tap: the card's UID as the reader gives it (hex, with or without `:`, `-` or
    /// spaces), which is the card number of contactless member cards.
    pub fn tap(&mut self, uid: &str) -> Result<(), CommandError> {
        self.selling()?;
        let hex: String = uid
            .chars()
            .filter(|c| !matches!(c, ':' | '-' | ' '))
            .collect::<String>()
            .to_ascii_uppercase();
        if hex.len() < 8 || hex.len() > 20 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(CommandError::BadCard(said!(
                "'{}' is not a card UID (8–20 hex digits); tap again",
                uid
            )));
        }
        self.card_presented(&hex)
    }

    /// A card number read from a card or a member code: attaches its member.
    pub fn card_presented(&mut self, card: &str) -> Result<(), CommandError> {
        let member = self
            .member_by_card(card)?
            .ok_or_else(|| CommandError::UnknownMember(format!("card {card}")))?;
        self.attach_card(member, card)
    }

    /// The member holding a card: from this till's cache, else from HQ when it can be
    /// reached (the member is then kept in the cache). Offline, an unknown card is just
    /// unknown.
    fn member_by_card(&self, card: &str) -> Result<Option<Member>, CommandError> {
        if let Some(member) = members::by_card(self.catalogue(), card)? {
            return Ok(Some(member));
        }
        if crate::domain::member::validate_card_number(card).is_err() {
            return Ok(None);
        }
        let Some(hq) = &self.hq else { return Ok(None) };
        match hq.member_by_card(card) {
            Ok(Some(member)) => {
                members::upsert(self.catalogue(), &member, None)?;
                Ok(Some(member))
            }
            Ok(None) => Ok(None),
            Err(e) => {
                tracing::warn!("member lookup at HQ: {e}");
                Ok(None)
            }
        }
    }

    fn attach_card(&mut self, member: Member, card: &str) -> Result<(), CommandError> {
        let blocked = member
            .cards
            .iter()
            .any(|c| c.number == card && c.status == CardStatus::Blocked);
        if blocked {
            return Err(CommandError::BadCard(said!(
                "card {} was reported lost or replaced; ask for the member's new card or look them up by phone",
                card
            )));
        }
        self.attach(member, Some(card.to_string()));
        Ok(())
    }

    pub(super) fn attach(&mut self, member: Member, card: Option<String>) {
        if self
            .member
            .as_ref()
            .is_some_and(|m| m.member.id != member.id)
        {
            // Another member's offers never stay on the sale.
            self.offers.clear();
            self.list_id = None;
        }
        self.member = Some(AtTill { member, card });
    }

    /// Takes the member (and their offers) off the sale in progress.
    pub fn clear_member(&mut self) -> Result<(), CommandError> {
        self.selling()?;
        if self
            .tenders
            .iter()
            .any(|t| t.kind == crate::domain::sale::Tender::Points)
        {
            return Err(CommandError::Invalid(said!(
                "points were already tendered: void the sale to change the member"
            )));
        }
        self.member = None;
        self.offers.clear();
        self.list_id = None;
        Ok(())
    }

    /// Handles scanned text that is not a product: member codes, coupons, shopping lists.
    /// Returns `Ok(false)` when the text is none of them.
    pub(super) fn scan_other(&mut self, code: &str) -> Result<bool, CommandError> {
        let code = code.trim();
        if let Some(card) = code.strip_prefix("M:") {
            self.card_presented(card)?;
            return Ok(true);
        }
        match coupon::parse_printed(code).map_err(|e| CommandError::Coupon(e.to_string().into()))? {
            Some(PrintedCode::Coupon(c)) => self.attach_coupon(c).map(|()| true),
            Some(PrintedCode::List(l)) => self.attach_list(l).map(|()| true),
            None => Ok(false),
        }
    }

    pub(super) fn coupon_key(&self) -> Result<ed25519_dalek::VerifyingKey, CommandError> {
        self.config.loyalty.coupon_key().ok_or_else(|| {
            CommandError::Coupon(said!(
                "this till has no HQ coupon key (loyalty.coupon_key): coupons cannot be checked"
            ))
        })
    }

    fn kept_code(&self, kind: &str, id: &str) -> Result<String, CommandError> {
        loyalty::code_for(&self.store.terminal, kind, id)?.ok_or_else(|| {
            CommandError::Coupon(if kind == "list" {
                said!(
                    "shopping list {} is not known at this till yet; scan its QR code instead",
                    id
                )
            } else {
                said!(
                    "coupon {} is not known at this till yet; scan its QR code instead",
                    id
                )
            })
        })
    }

    fn attach_coupon(&mut self, code: CouponCode) -> Result<(), CommandError> {
        let signed: SignedCoupon = match code {
            CouponCode::Full(c) => *c,
            CouponCode::Short(id) => match coupon::parse_code(&self.kept_code("coupon", &id)?)
                .map_err(|e| CommandError::Coupon(e.to_string().into()))?
            {
                CouponCode::Full(c) => *c,
                CouponCode::Short(_) => {
                    return Err(CommandError::Coupon(said!(
                        "coupon {} is stored damaged",
                        id
                    )));
                }
            },
        };
        let key = self.coupon_key()?;
        signed
            .verify(&key)
            .map_err(|e| CommandError::Coupon(e.to_string().into()))?;
        if self.member.is_none() {
            // A personalised coupon identifies its member, as a shopping list does.
            let member = members::by_id(self.catalogue(), &signed.coupon.member_id)?
                .ok_or_else(|| CommandError::UnknownMember(signed.coupon.member_id.clone()))?;
            self.attach(member, None);
        }
        self.add_offer(&signed, &key)
    }

    fn add_offer(
        &mut self,
        signed: &SignedCoupon,
        key: &ed25519_dalek::VerifyingKey,
    ) -> Result<(), CommandError> {
        let id = signed.coupon.id.clone();
        if self.offers.iter().any(|o| o.coupon_id == id) {
            return Err(CommandError::Coupon(said!(
                "coupon {} is already on this sale",
                id
            )));
        }
        let used = loyalty::coupon_redeemed(&self.store.terminal, &id)?;
        let member = self.member.as_ref().map(|m| m.member.id.as_str());
        signed
            .check_redeemable(key, member, self.now(), used)
            .map_err(|e| CommandError::Coupon(e.to_string().into()))?;
        self.offers.push(AttachedOffer {
            coupon_id: id,
            title: signed.coupon.title.clone(),
            offer: signed.coupon.offer.clone(),
        });
        Ok(())
    }

    fn attach_list(&mut self, code: ListCode) -> Result<(), CommandError> {
        let signed: SignedList = match code {
            ListCode::Full(l) => *l,
            ListCode::Short(id) => match coupon::parse_list_code(&self.kept_code("list", &id)?)
                .map_err(|e| CommandError::Coupon(e.to_string().into()))?
            {
                ListCode::Full(l) => *l,
                ListCode::Short(_) => {
                    return Err(CommandError::Coupon(said!("list {} is stored damaged", id)));
                }
            },
        };
        let key = self.coupon_key()?;
        signed
            .verify(&key)
            .map_err(|e| CommandError::Coupon(e.to_string().into()))?;
        let member_id = signed.list.member_id.clone();
        if let Some(at) = &self.member
            && at.member.id != member_id
        {
            return Err(CommandError::Coupon(said!(
                "this shopping list belongs to another member, not {}",
                at.member.name
            )));
        }
        if self.member.is_none() {
            let member = members::by_id(self.catalogue(), &member_id)?
                .ok_or_else(|| CommandError::UnknownMember(member_id.clone()))?;
            self.attach(member, None);
        }
        let now = self.now();
        for c in signed.offers_for(&member_id, now) {
            let id = &c.coupon.id;
            if self.offers.iter().any(|o| &o.coupon_id == id)
                || loyalty::coupon_redeemed(&self.store.terminal, id)?
            {
                continue; // one list code redeems what is still open on it
            }
            self.offers.push(AttachedOffer {
                coupon_id: id.clone(),
                title: c.coupon.title.clone(),
                offer: c.coupon.offer.clone(),
            });
        }
        self.list_id = Some(signed.list.id.clone());
        Ok(())
    }
}
