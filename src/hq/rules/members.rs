//! The rules of member events (stated in [`super`]): an enrolment only creates a new
//! member with new cards of the sending store; only the member's home store blocks and
//! replaces their card; a complaint names a member HQ holds.

use super::known::{CardFacts, MemberFacts};
use super::{CardReplacement, Known, Refused, refuse};
use crate::domain::member::{CardStatus, Member, validate_card_number};
use crate::domain::sale::Complaint;

/// A `member.enrolled` event.
pub(super) fn enrolment(known: &mut Known, m: &Member) -> Result<(), Refused> {
    if m.id.trim().is_empty() || m.name.trim().is_empty() {
        return refuse("bad_payload", "an enrolment needs a member id and a name");
    }
    if m.cards.is_empty() {
        return refuse("bad_payload", "an enrolment issues a card");
    }
    if known.members.contains_key(&m.id) {
        return refuse(
            "member_exists",
            format!("member {} exists; an enrolment only creates a member", m.id),
        );
    }
    let store = &known.from.store_id;
    if m.home_store.as_deref() != Some(store.as_str()) {
        return refuse(
            "not_home_store",
            format!(
                "a terminal of {store} enrols members of {store}, not of {:?}",
                m.home_store
            ),
        );
    }
    for (i, c) in m.cards.iter().enumerate() {
        validate_card_number(&c.number).map_err(|message| Refused {
            rule: "bad_card",
            message,
        })?;
        if known.cards.contains_key(&c.number) || m.cards[..i].iter().any(|o| o.number == c.number)
        {
            return refuse("card_taken", format!("card {} is already issued", c.number));
        }
        if c.status == CardStatus::Blocked {
            return refuse(
                "blocked_card",
                format!("card {} is blocked at enrolment", c.number),
            );
        }
    }
    known.members.insert(
        m.id.clone(),
        MemberFacts {
            home_store: m.home_store.clone(),
        },
    );
    for c in &m.cards {
        known.cards.insert(
            c.number.clone(),
            CardFacts {
                member_id: m.id.clone(),
                blocked: false,
            },
        );
    }
    Ok(())
}

/// A `card.replaced` event.
pub(super) fn card_replaced(known: &mut Known, r: &CardReplacement) -> Result<(), Refused> {
    let Some(member) = known.members.get(&r.member_id) else {
        return refuse(
            "unknown_member",
            format!("HQ holds no member {}", r.member_id),
        );
    };
    let store = &known.from.store_id;
    if member.home_store.as_deref() != Some(store.as_str()) {
        return refuse(
            "not_home_store",
            format!(
                "member {} belongs to {:?}: only their home store replaces their card",
                r.member_id, member.home_store
            ),
        );
    }
    replacement(
        r,
        known.cards.get(&r.blocked),
        known.cards.contains_key(&r.new_card),
    )?;
    if let Some(c) = known.cards.get_mut(&r.blocked) {
        c.blocked = true;
    }
    known.cards.insert(
        r.new_card.clone(),
        CardFacts {
            member_id: r.member_id.clone(),
            blocked: false,
        },
    );
    Ok(())
}

/// What any card replacement must be, a till's or HQ staff's: the card replaced is one of
/// the member's (`old`: what HQ holds of it), the new number has a card's format and is
/// not issued (`new_taken`).
pub(crate) fn replacement(
    r: &CardReplacement,
    old: Option<&CardFacts>,
    new_taken: bool,
) -> Result<(), Refused> {
    if old.is_none_or(|c| c.member_id != r.member_id) {
        return refuse(
            "card_not_members",
            format!("card {} is not one of {}'s cards", r.blocked, r.member_id),
        );
    }
    validate_card_number(&r.new_card).map_err(|message| Refused {
        rule: "bad_card",
        message,
    })?;
    if new_taken {
        return refuse(
            "card_taken",
            format!("card {} is already issued", r.new_card),
        );
    }
    Ok(())
}

/// A `complaint.recorded` event.
pub(super) fn complaint(known: &mut Known, c: &Complaint) -> Result<(), Refused> {
    if c.id < 1 {
        return refuse(
            "bad_payload",
            format!("complaint id {} is not positive", c.id),
        );
    }
    if let Some(m) = &c.member_id
        && !known.members.contains_key(m)
    {
        return refuse("unknown_member", format!("HQ holds no member {m}"));
    }
    // Its case exists once it is applied: a note later in the batch may name it.
    known.cases.insert(
        crate::hq::complaints::till::till_case_id(
            &known.from.store_id,
            &known.from.terminal_id,
            c.id,
        ),
        super::known::CaseFacts {
            store_id: known.from.store_id.clone(),
            member_id: c.member_id.clone(),
        },
    );
    Ok(())
}

/// A `complaint.noted` event: a plain note on a case this till's store may note (its own
/// store's, or the case of the member it names).
pub(super) fn complaint_note(
    known: &mut Known,
    n: &crate::protocol::ComplaintNoteEvent,
) -> Result<(), Refused> {
    use crate::hq::complaints::{MAX_NAME_CHARS, MAX_TEXT_CHARS, check_text};
    check_text("note", Some(&n.note), true, MAX_TEXT_CHARS)
        .and_then(|()| check_text("operator_id", Some(&n.operator_id), true, MAX_NAME_CHARS))
        .or_else(|m| refuse("bad_payload", m))?;
    let allowed = known.cases.get(&n.case_id).is_some_and(|c| {
        c.store_id == known.from.store_id || (n.member_id.is_some() && c.member_id == n.member_id)
    });
    if !allowed {
        return refuse(
            "unknown_complaint",
            format!(
                "HQ has no complaint {} of store {} or of the member named",
                n.case_id, known.from.store_id
            ),
        );
    }
    Ok(())
}
