//! Member cards changed by HQ staff: a lost card blocked (a reason required), or replaced
//! by a new number. A replacement passes the rule a till's `card.replaced` event passes
//! ([`super::rules::members::replacement`]) and, being typed by a person, the check digit
//! every issued card ends with ([`check_issued_card`]). Each change is written with its
//! audit entry (the member's cards before and after) in one transaction. Tills learn a
//! blocked card from their store's members data set, and HQ's lookup by card refuses it.

use serde::{Deserialize, Serialize};

use super::adjustments::check_reason;
use super::db::query;
use super::error::HqError;
use super::retry::retrying;
use super::rules::known::CardFacts;
use super::rules::members::replacement;
use super::staff::Principal;
use super::staff::audit::Change;
use super::store::HqStore;
use crate::domain::member::check_issued_card;
use crate::protocol::CardReplacement;

/// A card to block, and why.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlockCard {
    /// Why (required: lost, stolen…; kept in the audit log).
    pub reason: String,
}

/// A card to replace: the new card's number, and why.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplaceCard {
    /// The new card: 4–32 letters or digits ending with 11 digits, the last the Luhn
    /// check digit of the 10 before it.
    pub new_card: String,
    /// Why (required; kept in the audit log).
    pub reason: String,
}

/// One card of a member as a change leaves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CardState {
    pub number: String,
    /// `active` or `blocked`.
    pub status: String,
}

/// A member's cards after a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CardsChanged {
    pub member_id: String,
    pub cards: Vec<CardState>,
}

async fn cards_tx(tx: &mut super::db::Tx, member: &str) -> Result<Vec<CardState>, HqError> {
    Ok(
        query("SELECT card, status FROM member_cards WHERE member_id = $1 ORDER BY card")
            .bind(member)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| CardState {
                number: r.get(0),
                status: r.get(1),
            })
            .collect(),
    )
}

/// What a change to one card does, checked against the member's cards before it.
enum CardChange<'a> {
    Block,
    Replace(&'a str),
}

impl HqStore {
    /// Blocks one of a member's active cards; `None` if HQ has no such member.
    pub async fn block_card(
        &self,
        member: &str,
        card: &str,
        ask: &BlockCard,
        by: &Principal,
    ) -> Result<Option<CardsChanged>, HqError> {
        let reason = check_reason(&ask.reason).map_err(HqError::Invalid)?;
        self.change_card(member, card, CardChange::Block, reason, by)
            .await
    }

    /// Blocks one of a member's cards and issues them `new_card`; `None` if HQ has no such
    /// member.
    pub async fn replace_card(
        &self,
        member: &str,
        card: &str,
        ask: &ReplaceCard,
        by: &Principal,
    ) -> Result<Option<CardsChanged>, HqError> {
        let reason = check_reason(&ask.reason).map_err(HqError::Invalid)?;
        let new_card = ask.new_card.trim();
        check_issued_card(new_card).map_err(HqError::Invalid)?;
        self.change_card(member, card, CardChange::Replace(new_card), reason, by)
            .await
    }

    async fn change_card(
        &self,
        member: &str,
        card: &str,
        change: CardChange<'_>,
        reason: &str,
        by: &Principal,
    ) -> Result<Option<CardsChanged>, HqError> {
        let change = &change;
        retrying("changing a member's card", || async move {
            let mut tx = self.pool().begin().await?;
            if query("SELECT 1 FROM members WHERE id = $1")
                .bind(member)
                .fetch_optional(&mut tx)
                .await?
                .is_none()
            {
                return Ok(None);
            }
            let before = cards_tx(&mut tx, member).await?;
            let held = before.iter().find(|c| c.number == card);
            let action = match change {
                CardChange::Block => {
                    match held {
                        None => {
                            return Err(HqError::Invalid(format!(
                                "card {card} is not one of {member}'s cards"
                            )));
                        }
                        Some(c) if c.status == "blocked" => {
                            return Err(HqError::Invalid(format!("card {card} is already blocked")));
                        }
                        Some(_) => {}
                    }
                    "card.block"
                }
                CardChange::Replace(new_card) => {
                    let taken = query("SELECT 1 FROM member_cards WHERE card = $1")
                        .bind(*new_card)
                        .fetch_optional(&mut tx)
                        .await?
                        .is_some();
                    let r = CardReplacement {
                        member_id: member.to_string(),
                        blocked: card.to_string(),
                        new_card: new_card.to_string(),
                    };
                    let old = held.map(|c| CardFacts {
                        member_id: member.to_string(),
                        blocked: c.status == "blocked",
                    });
                    replacement(&r, old.as_ref(), taken)
                        .map_err(|refused| HqError::Invalid(refused.message))?;
                    query("INSERT INTO member_cards (card, member_id, status) VALUES ($1, $2, 'active')")
                        .bind(*new_card)
                        .bind(member)
                        .execute(&mut tx)
                        .await?;
                    "card.replace"
                }
            };
            query("UPDATE member_cards SET status = 'blocked' WHERE card = $1 AND member_id = $2")
                .bind(card)
                .bind(member)
                .execute(&mut tx)
                .await?;
            let after = cards_tx(&mut tx, member).await?;
            Change {
                by,
                action,
                target: member,
                before: Some(serde_json::json!({ "cards": before })),
                after: Some(serde_json::json!({ "cards": after, "card": card, "reason": reason })),
            }
            .record(&mut tx, chrono::Utc::now())
            .await?;
            tx.commit().await?;
            Ok(Some(CardsChanged {
                member_id: member.to_string(),
                cards: after,
            }))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_one_short_line() {
        assert_eq!(check_reason("  lost  "), Ok("lost"));
        assert!(check_reason("   ").is_err());
        assert!(check_reason("a\nb").is_err());
        assert!(check_reason(&"x".repeat(201)).is_err());
    }
}
