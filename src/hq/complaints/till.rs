//! What tills do with complaint cases: a till's complaint opens its case at ingest, a
//! till reads a member's cases (as much as a cashier needs) and adds notes, by its
//! `complaint.noted` events or `POST /v1/complaints/{id}/notes`. A till never moves a case.

use chrono::{DateTime, Utc};
use storepos_sync::Envelope;

use super::store::{ComplaintError, Opening, insert_case, read_case, take_step};
use super::{
    Case, Channel, MAX_TEXT_CHARS, MemberCase, Severity, Sla, State, StepRequest, TillNote,
    check_step_texts, check_text,
};
use crate::domain::sale::Complaint;
use crate::hq::db::{Tx, query};
use crate::hq::error::HqError;
use crate::hq::retry::retrying;
use crate::hq::sender::TerminalId;
use crate::hq::store::HqStore;
use crate::protocol::ComplaintNoteEvent;

impl HqStore {
    /// A member's cases in every store, newest first, as a till shows them. A member HQ
    /// does not hold is not found.
    pub async fn member_complaints(&self, member: &str) -> Result<Vec<MemberCase>, ComplaintError> {
        let mut tx = self.pool().begin_read().await?;
        if query("SELECT 1 FROM members WHERE id = $1")
            .bind(member)
            .fetch_optional(&mut tx)
            .await?
            .is_none()
        {
            return Err(ComplaintError::NotFound(format!(
                "HQ has no member {member}"
            )));
        }
        let rows = query(
            "SELECT id, state, category, opened_at, last_note FROM complaint_cases
             WHERE member_id = $1 ORDER BY opened_at DESC, id LIMIT 100",
        )
        .bind(member)
        .fetch_all(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(rows
            .iter()
            .map(|r| MemberCase {
                id: r.get(0),
                state: State::parse(&r.get::<String>(1)).unwrap_or(State::Open),
                category: r.get(2),
                opened_at: r.get(3),
                last_note: r.get(4),
            })
            .collect())
    }

    /// A note from a till (`POST /v1/complaints/{id}/notes`): on a case of the till's
    /// store, or on the case of the member at its counter (named in the note). Any other
    /// case is answered as not found. Sent again under the same `note_id`, it adds
    /// nothing. Returns the case as the till sees it.
    pub async fn till_note(
        &self,
        from: &TerminalId,
        id: &str,
        note: &TillNote,
        now: DateTime<Utc>,
    ) -> Result<MemberCase, ComplaintError> {
        let step = StepRequest {
            handler: note.operator_id.clone(),
            note: Some(note.note.clone()),
            ..StepRequest::default()
        };
        check_step_texts(&step).map_err(ComplaintError::Invalid)?;
        check_text("note", Some(&note.note), true, MAX_TEXT_CHARS)
            .map_err(ComplaintError::Invalid)?;
        let sla = *self.complaint_sla();
        let step = &step;
        retrying("a till's note on a complaint", || async move {
            let mut tx = self.pool().begin().await?;
            let found = read_case(&mut tx, id, true).await?;
            let Some((case, last_at)) =
                found.filter(|(c, _)| till_may_note(&from.store_id, note.member_id.as_deref(), c))
            else {
                return Ok(Err(ComplaintError::NotFound(format!(
                    "no complaint {id} of this store or of the member named"
                ))));
            };
            if let Err(e) =
                take_step(&mut tx, &case, last_at, step, Some(note.note_id), now, &sla).await?
            {
                return Ok(Err(e));
            }
            tx.commit().await?;
            Ok(Ok(()))
        })
        .await??;
        let c = self.complaint(id, now).await?.case;
        Ok(MemberCase {
            id: c.id,
            state: c.state,
            category: c.category,
            opened_at: c.opened_at,
            last_note: c.last_note,
        })
    }
}

/// The case id of a till's complaint: `{store}.{terminal}.{local_id}`. The till computes
/// the same id for the complaints it recorded itself.
pub fn till_case_id(store: &str, terminal: &str, local_id: i64) -> String {
    format!("{store}.{terminal}.{local_id}")
}

/// Whether a till of `store` may add a note to `case`: a case of its own store, or the
/// case of the member it serves (`member`, as it identified them at the counter).
pub fn till_may_note(store: &str, member: Option<&str>, case: &Case) -> bool {
    case.store_id == store || (member.is_some() && case.member_id.as_deref() == member)
}

/// Opens the case of a till's complaint (`complaint.recorded`, its rules passed) in the
/// transaction that stores its event; exactly once, by its key.
pub(in crate::hq) async fn open_from_till(
    tx: &mut Tx,
    e: &Envelope,
    c: &Complaint,
    sla: &Sla,
) -> Result<(), HqError> {
    let id = till_case_id(&e.store_id, &e.terminal_id, c.id);
    let handler = if c.operator_id.trim().is_empty() {
        e.terminal_id.as_str()
    } else {
        c.operator_id.as_str()
    };
    let mut note = c.handling.clone().filter(|h| !h.trim().is_empty());
    if let Some(outcome) = c.outcome.as_ref().filter(|o| !o.trim().is_empty()) {
        note = Some(match note {
            Some(h) => format!("{h}\n{outcome}"),
            None => outcome.clone(),
        });
    }
    insert_case(
        tx,
        &Opening {
            store: &e.store_id,
            id: &id,
            terminal: Some(&e.terminal_id),
            local_id: Some(c.id),
            category: "general",
            channel: Channel::parse(&c.channel).unwrap_or(Channel::Counter),
            severity: Severity::Normal,
            member: c.member_id.as_deref(),
            content: &c.content,
            handler,
            note: note.as_deref(),
            satisfaction: c.satisfaction.filter(|s| (1..=5).contains(s)),
            at: e.at,
        },
        sla,
    )
    .await?;
    Ok(())
}

/// Adds a till's note (`complaint.noted`, its rules passed: the case exists and the till
/// may note it) in the transaction that stores its event, keyed by the event's id.
pub(in crate::hq) async fn note_from_till(
    tx: &mut Tx,
    e: &Envelope,
    n: &ComplaintNoteEvent,
    sla: &Sla,
) -> Result<(), HqError> {
    let Some((case, last_at)) = read_case(tx, &n.case_id, true).await? else {
        return Err(HqError::Invalid(format!(
            "complaint {} vanished during its note",
            n.case_id
        )));
    };
    // The note's time is the till's, kept between the case's last step and HQ's clock (a
    // till's clock may be behind HQ's, or ahead).
    let now = chrono::Utc::now().max(last_at);
    let step = StepRequest {
        handler: n.operator_id.clone(),
        note: Some(n.note.clone()),
        at: Some(e.at.clamp(last_at, now)),
        ..StepRequest::default()
    };
    match take_step(tx, &case, last_at, &step, Some(e.id), now, sla).await? {
        Ok(()) => Ok(()),
        Err(refused) => Err(HqError::Invalid(format!(
            "note on complaint {}: {refused}",
            n.case_id
        ))),
    }
}
