//! Member administration at the counter: enrolment with a new card, card replacement
//! (the old card blocked), complaints and feedback, and the member's sheet; each change is
//! an outbox event for HQ, durable before the answer.

use crate::protocol::{self, CardReplacement, Event};
use crate::said;
use chrono::{DateTime, Utc};

use super::member::Enrolment;
use super::{CommandError, Terminal};
use crate::domain::member::{CardStatus, Member, MemberCard, luhn_digit, normalize_phone};
use crate::store::events;
use crate::store::loyalty::{self, Complaint};
use crate::store::members;

/// Random digits in an issued card number: 10^10 possible numbers per till.
pub const CARD_RANDOM_DIGITS: usize = crate::domain::member::ISSUED_CARD_DIGITS;

/// [`CARD_RANDOM_DIGITS`] digits from the operating system's randomness and their Luhn check
/// digit.
fn random_card_digits() -> Result<String, CommandError> {
    let mut digits = String::with_capacity(CARD_RANDOM_DIGITS + 1);
    while digits.len() < CARD_RANDOM_DIGITS {
        let mut byte = [0u8; 1];
        getrandom::fill(&mut byte)
            .map_err(|e| CommandError::Invalid(said!("no randomness for a card number: {}", e)))?;
        // 250 = 25 × 10: taking bytes below it keeps every digit equally likely.
        if byte[0] < 250 {
            digits.push(char::from(b'0' + byte[0] % 10));
        }
    }
    digits.push(luhn_digit(&digits));
    Ok(digits)
}

impl Terminal {
    /// Enrols a new member at the till with a new card, attaches them to the sale and tells
    /// HQ (the event is durable before the answer).
    pub fn enroll(&mut self, e: Enrolment) -> Result<String, CommandError> {
        self.selling()?;
        Terminal::plain("the name", &e.name)?;
        for (field, text) in [("the phone", &e.phone), ("the e-mail", &e.email)] {
            if let Some(text) = text {
                Terminal::plain(field, text)?;
            }
        }
        let name = e.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 64 {
            return Err(CommandError::Invalid(said!(
                "a name of 1–64 characters is needed"
            )));
        }
        let phone = e
            .phone
            .as_deref()
            .filter(|p| !p.trim().is_empty())
            .map(normalize_phone)
            .transpose()
            .map_err(|e| CommandError::Invalid(e.into()))?;
        if let Some(p) = &phone
            && let Some(existing) = members::by_phone(self.catalogue(), p)?.first()
        {
            return Err(CommandError::Invalid(said!(
                "phone {} already belongs to member {} ({}); look them up instead",
                p,
                existing.id,
                existing.name
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
            customer_type: None,
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
        let event = Event::MemberEnrolled(protocol::Enrolment {
            member: member.clone(),
        });
        self.record_event(&event, at)?;
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
        Terminal::plain("the member", member_id)?;
        Terminal::plain("the card", old_card)?;
        let mut member = members::by_id(self.catalogue(), member_id)?
            .ok_or_else(|| CommandError::UnknownMember(member_id.to_string()))?;
        let Some(old) = member.cards.iter_mut().find(|c| c.number == old_card) else {
            return Err(CommandError::Invalid(said!(
                "card {} is not one of {}'s cards",
                old_card,
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
        let event = Event::CardReplaced(CardReplacement {
            member_id: member.id.clone(),
            blocked: old_card.to_string(),
            new_card: card.clone(),
        });
        self.record_event(&event, at)?;
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
        Terminal::plain("the complaint", &c.content)?;
        Terminal::plain("the channel", &c.channel)?;
        for (field, text) in [
            ("the member", &c.member_id),
            ("the handling", &c.handling),
            ("the outcome", &c.outcome),
        ] {
            if let Some(text) = text {
                Terminal::plain(field, text)?;
            }
        }
        if c.content.trim().is_empty() {
            return Err(CommandError::Invalid(said!(
                "say what the complaint is about"
            )));
        }
        if c.satisfaction.is_some_and(|s| !(1..=5).contains(&s)) {
            return Err(CommandError::Invalid(said!(
                "satisfaction is 1 (very unhappy) to 5"
            )));
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
        let id = events::record_complaint(&mut self.store.terminal, &mut c, at)?;
        self.nudge_sync();
        Ok(id)
    }

    /// Writes one event to the outbox in its own durable transaction.
    fn record_event(&mut self, event: &Event, at: DateTime<Utc>) -> Result<(), CommandError> {
        events::record(&mut self.store.terminal, event, at)?;
        self.nudge_sync();
        Ok(())
    }

    /// A new card number: store and terminal (so two tills never issue the same number),
    /// then [`CARD_RANDOM_DIGITS`] random digits and a Luhn check digit, so a card number
    /// cannot be guessed from the one issued before it. A number already on file here is
    /// drawn again.
    fn next_card_number(&mut self) -> Result<String, CommandError> {
        let prefix: String = format!("{}{}", self.config.store.id, self.config.terminal.id)
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        for _ in 0..8 {
            let card = format!("{prefix}{}", random_card_digits()?);
            if members::by_card(self.catalogue(), &card)?.is_none() {
                return Ok(card);
            }
        }
        Err(CommandError::Invalid(said!(
            "could not draw an unused card number; try again"
        )))
    }

    /// HQ's chain-wide view of a member, asked with the card they presented (or one of
    /// theirs on file) within the counter's time limit; why not, when HQ is not configured,
    /// cannot be reached in time or refuses.
    fn hq_member_view(
        &self,
        member: &crate::domain::member::Member,
    ) -> Result<crate::hq::member_view::MemberView, String> {
        let Some(hq) = &self.hq else {
            return Err("this till has no HQ token (hq.token)".into());
        };
        let presented = self
            .member
            .as_ref()
            .filter(|m| m.member.id == member.id)
            .and_then(|m| m.card.clone());
        let card = presented
            .or_else(|| {
                member
                    .cards
                    .iter()
                    .find(|c| c.status == crate::domain::member::CardStatus::Active)
                    .map(|c| c.number.clone())
            })
            .ok_or_else(|| format!("member {} has no active card on file", member.id))?;
        hq.member_view(
            &member.id,
            &card,
            crate::store::member_view::RECENT_BASKETS as u32,
        )
        .map_err(|e| {
            tracing::warn!("member view at HQ: {e}");
            e.to_string()
        })
    }

    /// The member's sheet at the till (as Metro's per-member view): HQ's chain-wide view
    /// when HQ answers within the counter's time limit (`source: "hq"`, the view under
    /// `hq`), and always the till's own: purchases and spend from its history, points and
    /// their movements here, coupons and lists kept for them, complaints (`source:
    /// "till"` when only these are there, with `hq_unavailable` saying why). `None` means
    /// the member on the sale.
    pub fn member_view(&self, id: Option<&str>) -> Result<serde_json::Value, CommandError> {
        self.signed_in()?;
        let id = match id {
            Some(id) => id.to_string(),
            None => self
                .member
                .as_ref()
                .map(|m| m.member.id.clone())
                .ok_or_else(|| CommandError::Invalid(said!("no member is on this sale")))?,
        };
        let now = self.now();
        let sheet = crate::store::member_view::sheet(self.catalogue(), &id, now, self.currency())?
            .ok_or_else(|| CommandError::UnknownMember(id.clone()))?;
        let terminal = &self.store.terminal;
        let hq = sheet.member.points_balance;
        let here = loyalty::points(terminal, &id, hq)?;
        let points = serde_json::json!({
            "hq_balance": hq,
            "balance": here.shown,
            "redeemable": here.redeemable,
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
        let from_hq = self.hq_member_view(&sheet.member);
        let mut view = serde_json::to_value(&sheet)
            .map_err(|e| CommandError::Invalid(said!("member sheet: {}", e)))?;
        if let Some(map) = view.as_object_mut() {
            match from_hq {
                Ok(hq) => {
                    map.insert("source".into(), "hq".into());
                    map.insert("hq".into(), serde_json::to_value(hq).unwrap_or_default());
                }
                Err(why) => {
                    map.insert("source".into(), "till".into());
                    map.insert("hq_unavailable".into(), why.into());
                }
            }
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
            // HQ's cases when it answers in time, else this till's own.
            let cases = match self.member_complaints(Some(&id)) {
                Ok(cases) => cases,
                Err(_) => super::complaints::MemberComplaints {
                    complaints: self.own_complaints(&id)?,
                    member: id.clone(),
                    source: "till".into(),
                },
            };
            map.insert(
                "complaints".into(),
                serde_json::to_value(cases).unwrap_or_default(),
            );
        }
        Ok(view)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_check_digit_is_luhn() {
        // 7992739871 has the classic check digit 3.
        assert_eq!(luhn_digit("7992739871"), '3');
        let digits = random_card_digits().unwrap();
        assert_eq!(digits.len(), CARD_RANDOM_DIGITS + 1);
        let (body, check) = digits.split_at(CARD_RANDOM_DIGITS);
        assert_eq!(luhn_digit(body).to_string(), check);
    }

    #[test]
    fn card_numbers_in_a_row_are_not_a_sequence() {
        let drawn: Vec<u64> = (0..50)
            .map(|_| {
                random_card_digits().unwrap()[..CARD_RANDOM_DIGITS]
                    .parse()
                    .unwrap()
            })
            .collect();
        let steps: std::collections::HashSet<i128> = drawn
            .windows(2)
            .map(|w| i128::from(w[1]) - i128::from(w[0]))
            .collect();
        assert!(steps.len() > 40, "{drawn:?}");
    }
}
