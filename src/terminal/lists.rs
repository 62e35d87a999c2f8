//! Printing a member's shopping list at the till (`{"print_list":{"member":"…"}}`): the
//! list HQ made and signed for the period the terminal's clock falls in, as the coupons
//! data set brought it, verified with HQ's public key (`loyalty.coupon_key`) and printed
//! exactly as signed. A member with no list this period (they did not qualify for the
//! fortnight's run) gets one made by HQ on the spot (`POST /v1/lists/{member}`), which
//! the till verifies and keeps like the others; offline, the till says so and prints
//! nothing. The till never signs: it holds no HQ private key ([`Config::check_till`]).
//!
//! `{"list_batch":{}}` names the members a batch run prints for: those with a current,
//! verified list from HQ.
//!
//! [`Config::check_till`]: crate::config::Config::check_till

use crate::said;
use chrono::{DateTime, Utc};
use ed25519_dalek::VerifyingKey;

use super::effects::Effect;
use super::hq_client::{HqClient, HqUnavailable};
use super::{CommandError, Terminal};
use crate::domain::coupon::{ListCode, SignedList, parse_list_code};
use crate::lists::print::{self, PrintContext, Tips};
use crate::store::{loyalty, members};

/// Longest a manager waits for HQ to make a list on demand.
const LIST_ASK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Why a kept list is not printed.
#[derive(Debug, thiserror::Error)]
enum Refused {
    #[error("{0}")]
    Unreadable(String),
    #[error("list {0} does not verify with HQ's key (loyalty.coupon_key)")]
    Forged(String),
    #[error("list {0} is another member's")]
    OtherMember(String),
    #[error("the list is not for the current period")]
    NotCurrent,
}

/// A kept list's full code read and checked: signed by HQ, for `member`, current at `now`.
fn verified(
    code: &str,
    member: &str,
    key: &VerifyingKey,
    now: DateTime<Utc>,
) -> Result<SignedList, Refused> {
    let signed = match parse_list_code(code).map_err(|e| Refused::Unreadable(e.to_string()))? {
        ListCode::Full(signed) => *signed,
        ListCode::Short(id) => {
            return Err(Refused::Unreadable(format!(
                "list {id} came without its full code"
            )));
        }
    };
    if signed.verify(key).is_err() {
        return Err(Refused::Forged(signed.id().to_string()));
    }
    if signed.list.member_id != member {
        return Err(Refused::OtherMember(signed.id().to_string()));
    }
    if !signed.list.is_current(now) {
        return Err(Refused::NotCurrent);
    }
    Ok(signed)
}

/// The current lists HQ sent this till (of one member when `only` names one) that
/// verify, one per member (the newest id), in member id order. Lists that do not verify
/// are logged and left out.
pub fn current_lists(
    conn: &rusqlite::Connection,
    key: &VerifyingKey,
    now: DateTime<Utc>,
    only: Option<&str>,
) -> Result<Vec<SignedList>, crate::store::StoreError> {
    let mut out: Vec<SignedList> = Vec::new();
    for (member, code) in loyalty::kept_lists(conn, only)? {
        match verified(&code, &member, key, now) {
            Ok(signed) => match out.last_mut() {
                Some(last) if last.list.member_id == member => *last = signed,
                _ => out.push(signed),
            },
            Err(Refused::NotCurrent) => {}
            Err(e) => tracing::warn!("kept list of member {member} refused: {e}"),
        }
    }
    Ok(out)
}

/// Asks HQ to make the member's list of the current period; keeps it once it verifies.
pub fn ask_hq_for_list(
    config: &crate::config::Config,
    conn: &rusqlite::Connection,
    member_id: &str,
    key: &VerifyingKey,
    now: DateTime<Utc>,
) -> Result<SignedList, CommandError> {
    let client = HqClient::for_sync_within(&config.hq, LIST_ASK_TIMEOUT).ok_or_else(|| {
        CommandError::Coupon(said!(
            "HQ sent no list for member {} this period, and this till has no HQ link \
             (hq.token) to ask for one: nothing printed",
            member_id
        ))
    })?;
    let code = client.list_for(member_id).map_err(|e| match e {
        HqUnavailable::Offline(why) => CommandError::Coupon(said!(
            "HQ cannot be reached ({}), so no list can be made for member {} now: \
             nothing printed; ask again when HQ is back",
            why,
            member_id
        )),
        HqUnavailable::Refused { status, message } => CommandError::Coupon(said!(
            "HQ made no list for member {} ({}): {}",
            member_id,
            status,
            message
        )),
    })?;
    let signed = verified(&code.code, member_id, key, now)
        .map_err(|e| CommandError::Coupon(said!("HQ's answer refused: {}", e)))?;
    loyalty::keep_code(conn, "list", signed.id(), member_id, &code.code)?;
    Ok(signed)
}

impl Terminal {
    /// Whether lists can be printed here: HQ's public key (`loyalty.coupon_key`) is set, so
    /// the lists HQ sends can be verified. The error says what is missing.
    pub fn lists_ready(&self) -> Result<(), CommandError> {
        self.coupon_key().map(|_| ())
    }

    fn verified_lists(&self, only: Option<&str>) -> Result<Vec<SignedList>, CommandError> {
        let key = self.coupon_key()?;
        Ok(current_lists(&self.store.terminal, &key, self.now(), only)?)
    }

    /// The members (by id, in id order) HQ sent a current list for: the ones a batch run
    /// prints.
    pub fn list_batch(&mut self) -> Result<Vec<String>, CommandError> {
        self.signed_in()?;
        Ok(self
            .verified_lists(None)?
            .into_iter()
            .map(|l| l.list.member_id)
            .collect())
    }

    /// Prints the list of a member (by id or card number) and returns what was printed.
    pub fn print_list(&mut self, member: &str) -> Result<serde_json::Value, CommandError> {
        self.signed_in()?;
        let found = members::by_id_or_card(self.catalogue(), member)?
            .ok_or_else(|| CommandError::UnknownMember(member.to_string()))?;
        let (signed, source) = match self.verified_lists(Some(&found.id))?.pop() {
            Some(signed) => (signed, "hq"),
            None => {
                let key = self.coupon_key()?;
                let now = self.now();
                let signed =
                    ask_hq_for_list(&self.config, &self.store.terminal, &found.id, &key, now)?;
                (signed, "on_demand")
            }
        };
        let tips = Tips::parse(print::DEFAULT_TIPS)
            .map_err(|e| CommandError::Invalid(format!("{e:#}").into()))?;
        let cx = PrintContext {
            store_name: &self.config.store.name,
            member_name: &found.name,
            currency: self.currency(),
            tips: &tips,
        };
        let rows = print::layout(&signed, &cx);
        self.effects.push(Effect::PrintDocument {
            what: format!("the shopping list of {}", found.name),
            document: print::to_document(&rows),
        });
        let list = &signed.list;
        Ok(serde_json::json!({
            "id": signed.id(),
            "member": found.id,
            "source": source,
            "period_start": list.period_start.to_rfc3339(),
            "period_end": list.period_end.to_rfc3339(),
            "items": list.items.len(),
            "offers": list.coupons.len(),
            "code": signed.short_code(),
            "full_code": signed.full_code(),
            "text": print::to_text(&rows, 42),
        }))
    }
}
