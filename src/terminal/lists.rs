//! Printing a member's shopping list at the till (`{"print_list":{"member":"…"}}`): the
//! list for the period starting at the terminal's clock, from the purchase history in the
//! till's store, signed with HQ's key (`hq.key_file`) and printed on the receipt printer.
//! `{"list_batch":{}}` names the members a batch run prints for: those whose recent
//! weekly spend qualifies them for a list, as the list engine decides.

use std::path::Path;

use super::effects::Effect;
use super::{CommandError, Terminal};
use crate::domain::lists::Params;
use crate::domain::lists::eligibility::eligibility;
use crate::lists::print::{self, PrintContext, Tips};
use crate::lists::{command::hq_key, deals, generate, load::load};
use crate::store::members;

impl Terminal {
    /// Whether lists can be signed here: HQ's key (`hq.key_file`) is present and matches
    /// the key the tills check. The error says what is missing.
    pub fn lists_ready(&self) -> Result<(), CommandError> {
        hq_key(&self.config)
            .map(|_| ())
            .map_err(|e| CommandError::Coupon(format!("{e:#}")))
    }

    /// The members (by id, in id order) whose average weekly spend over the engine's
    /// window before the terminal's clock reaches the list threshold: the ones a batch run
    /// prints lists for.
    pub fn list_batch(&mut self) -> Result<Vec<String>, CommandError> {
        self.signed_in()?;
        self.lists_ready()?;
        let loaded = load(self.catalogue()).map_err(|e| CommandError::Invalid(format!("{e:#}")))?;
        let params = self.list_params();
        let now = self.now();
        Ok(loaded
            .members
            .iter()
            .filter(|m| eligibility(m, now, &params).eligible)
            .map(|m| m.member_id.clone())
            .collect())
    }

    /// The engine's settings at this store: the defaults, days cut at local midnight.
    fn list_params(&self) -> Params {
        Params {
            day_offset_seconds: i64::from(self.config.store.offset().local_minus_utc()),
            ..Params::default()
        }
    }

    /// Prints the list of a member (by id or card number) and returns what was printed.
    pub fn print_list(
        &mut self,
        member: &str,
        deals_file: Option<&str>,
    ) -> Result<serde_json::Value, CommandError> {
        self.signed_in()?;
        let invalid = |e: anyhow::Error| CommandError::Invalid(format!("{e:#}"));
        let found = match members::by_id(self.catalogue(), member)? {
            Some(m) => Some(m),
            None => members::by_card(self.catalogue(), member)?,
        };
        let found = found.ok_or_else(|| CommandError::UnknownMember(member.to_string()))?;
        let key = hq_key(&self.config).map_err(|e| CommandError::Coupon(format!("{e:#}")))?;
        let loaded = load(self.catalogue()).map_err(invalid)?;
        if loaded.member(&found.id).is_none() {
            return Err(CommandError::Invalid(format!(
                "{} has no purchase history here: no list to print",
                found.name
            )));
        }
        let currency = self.currency();
        let deals = match deals_file {
            Some(path) => deals::read(Path::new(path), &loaded, currency).map_err(invalid)?,
            None => Vec::new(),
        };
        let params = Params {
            // Asked for by name: printed whatever the member spent lately.
            min_weekly_spend: i64::MIN,
            ..self.list_params()
        };
        let plan = generate::plan(&loaded, &deals, self.now(), &params);
        let list = plan
            .lists
            .iter()
            .find(|l| l.member_id == found.id)
            .expect("every member with history has a list");
        let tips = Tips::parse(print::DEFAULT_TIPS).map_err(invalid)?;
        let cx = PrintContext {
            store_name: &self.config.store.name,
            member_name: &found.name,
            currency,
            deals: &deals,
            loaded: &loaded,
            tips: &tips,
        };
        let (signed, rows) =
            print::sign_and_lay_out(list, &key, &self.store.terminal, &cx).map_err(invalid)?;
        self.effects.push(Effect::PrintDocument {
            what: format!("the shopping list of {}", found.name),
            document: print::to_document(&rows),
        });
        Ok(serde_json::json!({
            "id": signed.id(),
            "member": found.id,
            "period_start": list.period_start.to_rfc3339(),
            "period_end": list.period_end.to_rfc3339(),
            "items": list.items.len(),
            "offers": list.offers.len(),
            "code": signed.short_code(),
            "text": print::to_text(&rows, 42),
        }))
    }
}
