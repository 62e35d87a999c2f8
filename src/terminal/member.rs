//! The member at the till: identifying them (card swipe or tap, scanned card or app code,
//! phone, name, id), their personal offers (signed coupons and shopping lists, verified
//! offline), points as a tender, enrolment, card replacement and complaints.
//!
//! The rules live in the domain core (`domain::loyalty`, `domain::coupon`); this module
//! only fetches what they need from the stores and keeps the sale's member state.

use chrono::{DateTime, Utc};
use storepos_drivers::CardSource;
use storepos_drivers::card::{CardNumberRule, MsrDecoder};
use storepos_sync::outbox::{self, Origin};

use super::{CommandError, Terminal};
use crate::domain::basket::PricedBasket;
use crate::domain::coupon::{self, CouponCode, ListCode, PrintedCode, SignedCoupon, SignedList};
use crate::domain::loyalty::{EarnLine, Earned, Reversal, SaleLoyalty, sale_transfers};
use crate::domain::member::{CardStatus, Consent, Member, MemberCard, normalize_phone};
use crate::domain::promotion::AttachedOffer;
use crate::store::loyalty::{self, Complaint, CouponUse, LoyaltyRecord};
use crate::store::members;
use crate::store::sales::TenderLine;

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

    fn catalogue(&self) -> &rusqlite::Connection {
        self.store.catalogue.conn()
    }

    /// HQ's last balance for the member, as cached.
    fn hq_balance(&self, member: &Member) -> i64 {
        member.points_balance
    }

    /// Points the member may pay with here and now (offline-safe).
    pub fn redeemable_points(&self) -> Result<i64, CommandError> {
        let Some(at) = &self.member else { return Ok(0) };
        Ok(loyalty::redeemable(
            &self.store.terminal,
            &at.member.id,
            self.hq_balance(&at.member),
        )?)
    }

    /// The balance to show the member: HQ's last figure plus this till's movements since.
    pub fn shown_points(&self) -> Result<i64, CommandError> {
        let Some(at) = &self.member else { return Ok(0) };
        Ok(loyalty::shown_balance(
            &self.store.terminal,
            &at.member.id,
            self.hq_balance(&at.member),
        )?)
    }

    /// Finds a member by any field (card, phone, id, name) and attaches them when exactly
    /// one matches.
    pub fn identify(&mut self, query: &str) -> Result<Identified, CommandError> {
        self.selling()?;
        let query = query.trim();
        if query.is_empty() {
            return Err(CommandError::Invalid(
                "give a card, phone, id or name".into(),
            ));
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
            CommandError::BadCard(format!("the swipe could not be read ({e}); swipe again"))
        })?;
        self.card_presented(&card.card_number)
    }

    /// A card number read from a card or a member code: attaches its member.
    pub fn card_presented(&mut self, card: &str) -> Result<(), CommandError> {
        let member = members::by_card(self.catalogue(), card)?
            .ok_or_else(|| CommandError::UnknownMember(format!("card {card}")))?;
        self.attach_card(member, card)
    }

    fn attach_card(&mut self, member: Member, card: &str) -> Result<(), CommandError> {
        let blocked = member
            .cards
            .iter()
            .any(|c| c.number == card && c.status == CardStatus::Blocked);
        if blocked {
            return Err(CommandError::BadCard(format!(
                "card {card} was reported lost or replaced; ask for the member's new card or look them up by phone"
            )));
        }
        self.attach(member, Some(card.to_string()));
        Ok(())
    }

    fn attach(&mut self, member: Member, card: Option<String>) {
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
        if self.tenders.iter().any(|t| t.kind == "points") {
            return Err(CommandError::Invalid(
                "points were already tendered: void the sale to change the member".into(),
            ));
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
        match coupon::parse_printed(code).map_err(|e| CommandError::Coupon(e.to_string()))? {
            Some(PrintedCode::Coupon(c)) => self.attach_coupon(c).map(|()| true),
            Some(PrintedCode::List(l)) => self.attach_list(l).map(|()| true),
            None => Ok(false),
        }
    }

    fn coupon_key(&self) -> Result<ed25519_dalek::VerifyingKey, CommandError> {
        self.config.loyalty.coupon_key().ok_or_else(|| {
            CommandError::Coupon(
                "this till has no HQ coupon key (loyalty.coupon_key): coupons cannot be checked"
                    .into(),
            )
        })
    }

    fn kept_code(&self, kind: &str, id: &str) -> Result<String, CommandError> {
        loyalty::code_for(&self.store.terminal, kind, id)?.ok_or_else(|| {
            CommandError::Coupon(format!(
                "{kind} {id} is not known at this till yet; scan its QR code instead"
            ))
        })
    }

    fn attach_coupon(&mut self, code: CouponCode) -> Result<(), CommandError> {
        let signed: SignedCoupon = match code {
            CouponCode::Full(c) => *c,
            CouponCode::Short(id) => match coupon::parse_code(&self.kept_code("coupon", &id)?)
                .map_err(|e| CommandError::Coupon(e.to_string()))?
            {
                CouponCode::Full(c) => *c,
                CouponCode::Short(_) => {
                    return Err(CommandError::Coupon(format!(
                        "coupon {id} is stored damaged"
                    )));
                }
            },
        };
        let key = self.coupon_key()?;
        signed
            .verify(&key)
            .map_err(|e| CommandError::Coupon(e.to_string()))?;
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
            return Err(CommandError::Coupon(format!(
                "coupon {id} is already on this sale"
            )));
        }
        let used = loyalty::coupon_redeemed(&self.store.terminal, &id)?;
        let member = self.member.as_ref().map(|m| m.member.id.as_str());
        signed
            .check_redeemable(key, member, self.now(), used)
            .map_err(|e| CommandError::Coupon(e.to_string()))?;
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
                .map_err(|e| CommandError::Coupon(e.to_string()))?
            {
                ListCode::Full(l) => *l,
                ListCode::Short(_) => {
                    return Err(CommandError::Coupon(format!("list {id} is stored damaged")));
                }
            },
        };
        let key = self.coupon_key()?;
        signed
            .verify(&key)
            .map_err(|e| CommandError::Coupon(e.to_string()))?;
        let member_id = signed.list.member_id.clone();
        if let Some(at) = &self.member
            && at.member.id != member_id
        {
            return Err(CommandError::Coupon(format!(
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

    /// Points as a tender: checked against what the member may redeem and the programme's
    /// limits; returns the tender line.
    pub(super) fn points_tender(&self, points: i64, due: i64) -> Result<TenderLine, CommandError> {
        if self.member.is_none() {
            return Err(CommandError::Invalid(
                "identify the member before paying with points".into(),
            ));
        }
        let already: i64 = self
            .tenders
            .iter()
            .filter(|t| t.kind == "points")
            .filter_map(|t| t.reference.as_deref()?.parse::<i64>().ok())
            .sum();
        let available = self.redeemable_points()? - already;
        let value = self
            .config
            .loyalty
            .points
            .check_redeem(points, available, due)
            .map_err(|e| CommandError::Invalid(e.to_string()))?;
        Ok(TenderLine {
            kind: "points".into(),
            amount: value,
            reference: Some(points.to_string()),
        })
    }

    /// What the completed sale does for its member: points earned and redeemed, coupons
    /// redeemed, ledger transfers with ids derived from the receipt.
    pub(super) fn loyalty_for_sale(
        &self,
        lines: &[EarnLine],
        offers: &[CouponUse],
        tenders: &[TenderLine],
        receipt_no: u64,
        at: DateTime<Utc>,
    ) -> Result<Option<LoyaltyRecord>, CommandError> {
        let Some(at_till) = &self.member else {
            return Ok(None);
        };
        let member = &at_till.member;
        let program = &self.config.loyalty.points;
        let redeemed: i64 = tenders
            .iter()
            .filter(|t| t.kind == "points")
            .filter_map(|t| t.reference.as_deref()?.parse::<i64>().ok())
            .sum();
        let paid_with_points: i64 = tenders
            .iter()
            .filter(|t| t.kind == "points")
            .map(|t| t.amount)
            .sum();
        let earned: Earned = program.earn(lines, &member.tier, paid_with_points);
        let source = self.receipt_key(receipt_no);
        let transfers = sale_transfers(
            &member.id,
            &source,
            at,
            redeemed,
            earned.total,
            &program.expiry,
        );
        let before = self.shown_points()?;
        Ok(Some(LoyaltyRecord {
            member_id: member.id.clone(),
            card: at_till.card.clone(),
            name: member.name.clone(),
            tier: member.tier.clone(),
            earned: earned.total,
            redeemed,
            balance_before: before,
            balance_after: before - redeemed + earned.total,
            sale: Some(SaleLoyalty::new(lines, &earned, redeemed)),
            reversal: None,
            coupons: offers.to_vec(),
            list_id: self.list_id.clone(),
            transfers,
        }))
    }

    /// The id a sale's ledger transfers derive from: store, terminal and receipt number,
    /// unique in the chain and the same on every replay.
    pub(super) fn receipt_key(&self, receipt_no: u64) -> String {
        format!(
            "{}/{}/{receipt_no}",
            self.config.store.id, self.config.terminal.id
        )
    }

    fn origin(&self) -> Origin {
        Origin {
            store_id: self.config.store.id.clone(),
            terminal_id: self.config.terminal.id.clone(),
        }
    }

    /// Enrols a new member at the till with a new card, attaches them to the sale and tells
    /// HQ (the event is durable before the answer).
    pub fn enroll(&mut self, e: Enrolment) -> Result<String, CommandError> {
        self.selling()?;
        let name = e.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 64 {
            return Err(CommandError::Invalid(
                "a name of 1–64 characters is needed".into(),
            ));
        }
        let phone = e
            .phone
            .as_deref()
            .filter(|p| !p.trim().is_empty())
            .map(normalize_phone)
            .transpose()
            .map_err(CommandError::Invalid)?;
        if let Some(p) = &phone
            && let Some(existing) = members::by_phone(self.catalogue(), p)?.first()
        {
            return Err(CommandError::Invalid(format!(
                "phone {p} already belongs to member {} ({}); look them up instead",
                existing.id, existing.name
            )));
        }
        let at = self.now();
        let card = self.next_card_number()?;
        let member = Member {
            id: card.clone(),
            name,
            phone,
            email: e.email.filter(|m| !m.trim().is_empty()),
            address: None,
            cards: vec![MemberCard {
                number: card.clone(),
                status: CardStatus::Active,
            }],
            card_opened: Some(at.with_timezone(&self.config.store.offset()).date_naive()),
            tier: self
                .config
                .loyalty
                .points
                .tiers
                .first()
                .map_or_else(|| "standard".to_string(), |t| t.code.clone()),
            home_store: Some(self.config.store.id.clone()),
            consent: e.consent,
            points_balance: 0,
        };
        let payload = serde_json::json!({ "member": member });
        self.record_event("member.enrolled", payload, at)?;
        members::upsert(self.catalogue(), &member, None)?;
        self.attach(member, Some(card.clone()));
        Ok(card)
    }

    /// Issues a new card to a member and blocks the old one (here at once, everywhere once
    /// HQ has the event).
    pub fn replace_card(
        &mut self,
        member_id: &str,
        old_card: &str,
    ) -> Result<String, CommandError> {
        self.selling()?;
        let mut member = members::by_id(self.catalogue(), member_id)?
            .ok_or_else(|| CommandError::UnknownMember(member_id.to_string()))?;
        let Some(old) = member.cards.iter_mut().find(|c| c.number == old_card) else {
            return Err(CommandError::Invalid(format!(
                "card {old_card} is not one of {}'s cards",
                member.name
            )));
        };
        old.status = CardStatus::Blocked;
        let card = self.next_card_number()?;
        member.cards.push(MemberCard {
            number: card.clone(),
            status: CardStatus::Active,
        });
        let at = self.now();
        let payload = serde_json::json!({
            "member_id": member.id, "blocked": old_card, "new_card": card,
        });
        self.record_event("card.replaced", payload, at)?;
        members::upsert(self.catalogue(), &member, None)?;
        if self
            .member
            .as_ref()
            .is_some_and(|m| m.member.id == member.id)
        {
            self.attach(member, Some(card.clone()));
        }
        Ok(card)
    }

    /// Records a complaint or piece of feedback and its event for HQ, in one transaction.
    pub fn complaint(&mut self, mut c: Complaint) -> Result<i64, CommandError> {
        let operator = self.signed_in()?.id.clone();
        if c.content.trim().is_empty() {
            return Err(CommandError::Invalid(
                "say what the complaint is about".into(),
            ));
        }
        if c.satisfaction.is_some_and(|s| !(1..=5).contains(&s)) {
            return Err(CommandError::Invalid(
                "satisfaction is 1 (very unhappy) to 5".into(),
            ));
        }
        if c.member_id.is_none() {
            c.member_id = self.member.as_ref().map(|m| m.member.id.clone());
        }
        if let Some(id) = &c.member_id
            && members::by_id(self.catalogue(), id)?.is_none()
        {
            return Err(CommandError::UnknownMember(id.clone()));
        }
        let at = self.now();
        c.operator_id = operator;
        c.at = at.to_rfc3339();
        c.status = if c.outcome.as_deref().is_some_and(|o| !o.trim().is_empty()) {
            "closed".into()
        } else {
            "open".into()
        };
        let origin = self.origin();
        let tx = self
            .store
            .terminal
            .transaction()
            .map_err(crate::store::StoreError::from)?;
        let id = loyalty::add_complaint(&tx, &c)?;
        c.id = id;
        outbox::append(
            &tx,
            &origin,
            "complaint.recorded",
            serde_json::json!({ "complaint": c }),
            at,
        )
        .map_err(|e| CommandError::Commit(e.to_string()))?;
        tx.commit().map_err(crate::store::StoreError::from)?;
        Ok(id)
    }

    /// Writes one event to the outbox in its own durable transaction.
    fn record_event(
        &mut self,
        kind: &str,
        payload: serde_json::Value,
        at: DateTime<Utc>,
    ) -> Result<(), CommandError> {
        let origin = self.origin();
        let tx = self
            .store
            .terminal
            .transaction()
            .map_err(crate::store::StoreError::from)?;
        outbox::append(&tx, &origin, kind, payload, at)
            .map_err(|e| CommandError::Commit(e.to_string()))?;
        tx.commit().map_err(crate::store::StoreError::from)?;
        Ok(())
    }

    /// A new card number: store, terminal and a sequence kept in `terminal.db`, so two
    /// tills never issue the same number.
    fn next_card_number(&mut self) -> Result<String, CommandError> {
        let conn = &self.store.terminal;
        let next: i64 = conn
            .query_row(
                "SELECT COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'next_card'), 1)",
                [],
                |r| r.get(0),
            )
            .map_err(crate::store::StoreError::from)?;
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('next_card', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [(next + 1).to_string()],
        )
        .map_err(crate::store::StoreError::from)?;
        let prefix: String = format!("{}{}", self.config.store.id, self.config.terminal.id)
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        Ok(format!("{prefix}{next:06}"))
    }

    /// The loyalty record of the sale being completed, from its priced lines.
    pub(super) fn sale_loyalty(
        &self,
        priced: &PricedBasket,
        receipt_no: u64,
        at: DateTime<Utc>,
    ) -> Result<Option<LoyaltyRecord>, CommandError> {
        if self.member.is_none() {
            return Ok(None);
        }
        let mut lines = Vec::new();
        let mut coupons: Vec<CouponUse> = Vec::new();
        for (line, p) in self.basket.lines().iter().zip(&priced.lines) {
            if p.voided {
                continue;
            }
            lines.push(EarnLine {
                line_no: line.line_no,
                category: line.product.category.clone(),
                net: p.net.minor(),
                quantity_milli: line.quantity.milli(),
                bonus: line.product.bonus_points,
            });
            for o in &p.offers {
                match coupons.iter_mut().find(|c| c.coupon_id == o.coupon_id) {
                    Some(c) => c.amount += o.amount.minor(),
                    None => coupons.push(CouponUse {
                        coupon_id: o.coupon_id.clone(),
                        title: o.title.clone(),
                        amount: o.amount.minor(),
                    }),
                }
            }
        }
        self.loyalty_for_sale(&lines, &coupons, &self.tenders, receipt_no, at)
    }

    /// The member's sheet at the till (as Metro's per-member view): purchases and spend
    /// from history, points and their movements here, coupons and lists kept for them,
    /// complaints. `None` means the member on the sale.
    pub fn member_view(&self, id: Option<&str>) -> Result<serde_json::Value, CommandError> {
        self.signed_in()?;
        let id = match id {
            Some(id) => id.to_string(),
            None => self
                .member
                .as_ref()
                .map(|m| m.member.id.clone())
                .ok_or_else(|| CommandError::Invalid("no member is on this sale".into()))?,
        };
        let now = self.now();
        let sheet = crate::store::member_view::sheet(self.catalogue(), &id, now, self.currency())?
            .ok_or_else(|| CommandError::UnknownMember(id.clone()))?;
        let terminal = &self.store.terminal;
        let hq = sheet.member.points_balance;
        let points = serde_json::json!({
            "hq_balance": hq,
            "balance": loyalty::shown_balance(terminal, &id, hq)?,
            "redeemable": loyalty::redeemable(terminal, &id, hq)?,
            "history": loyalty::history(terminal, &id, 20)?,
        });
        let codes: Vec<serde_json::Value> = loyalty::codes_for_member(terminal, &id)?
            .into_iter()
            .map(|(kind, code_id, _)| {
                let used = kind == "coupon"
                    && loyalty::coupon_redeemed(terminal, &code_id).unwrap_or(false);
                serde_json::json!({ "kind": kind, "id": code_id, "redeemed": used })
            })
            .collect();
        let complaints = loyalty::complaints(terminal, &id)?;
        let mut view = serde_json::to_value(&sheet)
            .map_err(|e| CommandError::Invalid(format!("member sheet: {e}")))?;
        if let Some(map) = view.as_object_mut() {
            map.insert("points".into(), points);
            map.insert("coupons_and_lists".into(), codes.into());
            map.insert(
                "open_complaints".into(),
                serde_json::to_value(
                    complaints
                        .iter()
                        .filter(|c| c.status == "open")
                        .collect::<Vec<_>>(),
                )
                .unwrap_or_default(),
            );
        }
        Ok(view)
    }

    /// Points on a return: earned points taken back and redeemed points given back in
    /// proportion to what is refunded (cumulatively, so a sale returned in parts moves
    /// exactly what it earned and redeemed). The points given back replace that much of
    /// the money refund.
    pub(super) fn return_loyalty(
        &self,
        record: &mut crate::store::sales::SaleRecord,
        original_receipt: u64,
        at: DateTime<Utc>,
    ) -> Result<(), CommandError> {
        let terminal = &self.store.terminal;
        let Some((sold, returns)) = loyalty::for_receipt(terminal, original_receipt)? else {
            return Ok(());
        };
        let Some(sale) = &sold.sale else {
            return Ok(());
        };
        let mut earlier_stmt = terminal
            .prepare_cached(
                "SELECT l.original_line, -SUM(l.amount - l.discount) FROM sale_lines l
                 JOIN sales s ON s.receipt_no = l.receipt_no
                 WHERE s.original_receipt = ?1 GROUP BY l.original_line",
            )
            .map_err(crate::store::StoreError::from)?;
        let earlier: Vec<(u32, i64)> = earlier_stmt
            .query_map([original_receipt as i64], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect())
            .map_err(crate::store::StoreError::from)?;
        let already = returns
            .iter()
            .filter_map(|r| r.reversal)
            .fold(Reversal::default(), Reversal::plus);
        let now: Vec<(u32, i64)> = record
            .lines
            .iter()
            .map(|l| {
                (
                    l.original_line.unwrap_or(l.line_no),
                    -(l.amount - l.discount),
                )
            })
            .collect();
        let reversal = sale
            .reverse(&earlier, already, &now)
            .map_err(|e| CommandError::Invalid(e.to_string()))?;
        let program = &self.config.loyalty.points;
        // Points given back pay that share of the refund; the money refund shrinks by it.
        let refund = -(record.total + record.rounding);
        let value = program
            .redeem_value(reversal.redeemed_back)
            .min(refund.max(0));
        let mut left = value;
        for t in record.tenders.iter_mut().rev() {
            let take = left.min(-t.amount);
            t.amount += take;
            left -= take;
        }
        record.tenders.retain(|t| t.amount != 0);
        if reversal.redeemed_back > 0 {
            record.tenders.push(TenderLine {
                kind: "points".into(),
                amount: -value,
                reference: Some((-reversal.redeemed_back).to_string()),
            });
        }
        let member = members::by_id(self.catalogue(), &sold.member_id)?;
        let hq = member.as_ref().map_or(0, |m| m.points_balance);
        let before = loyalty::shown_balance(terminal, &sold.member_id, hq)?;
        let source = self.receipt_key(self.head.receipt_no + 1);
        let posting = crate::domain::loyalty::return_posting(
            &sold.member_id,
            &source,
            at,
            reversal,
            before,
            program.clawback,
            None,
        );
        let moved: i64 = posting.transfers.iter().map(|t| t.points).sum();
        record.loyalty = Some(LoyaltyRecord {
            member_id: sold.member_id.clone(),
            card: sold.card.clone(),
            name: member.map_or(sold.name.clone(), |m| m.name),
            tier: sold.tier.clone(),
            earned: -reversal.earned_back,
            redeemed: -reversal.redeemed_back,
            balance_before: before,
            balance_after: before + moved,
            sale: None,
            reversal: Some(reversal),
            coupons: Vec::new(),
            list_id: None,
            transfers: posting.transfers,
        });
        Ok(())
    }
}
