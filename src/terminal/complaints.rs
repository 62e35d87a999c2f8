//! A member's complaints at the till, and the notes a cashier adds to them.
//!
//! The till asks HQ for the member's cases in every store (waiting at most the lookup's
//! time limit); when HQ does not answer, it shows the complaints it recorded itself, under
//! the case ids HQ gives them (`{store}.{terminal}.{local_id}`). A note is written to the
//! outbox as a `complaint.noted` event in one durable transaction, so a note taken while
//! HQ is away reaches it once when the till syncs; HQ takes it on a case of this store, or
//! on a case of the member named (the member at the counter), and never moves a case for a
//! till.

use serde::{Deserialize, Serialize};

use super::{CommandError, Terminal};
use crate::hq::complaints::till::till_case_id;
use crate::protocol::{ComplaintNoteEvent, Event};
use crate::said;
use crate::store::loyalty;

/// Longest note a cashier may add (characters), as HQ takes it.
pub const MAX_NOTE_CHARS: usize = crate::hq::complaints::MAX_TEXT_CHARS;

/// One of the member's cases as the till shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TillCase {
    pub id: String,
    /// `open`, `in_progress`, `resolved` or `closed` (a complaint only this till knows:
    /// `open`, or `closed` when the counter settled it).
    pub state: String,
    pub category: String,
    /// RFC 3339.
    pub opened_at: String,
    pub last_note: Option<String>,
    /// What the member said: only for the complaints this till recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

/// The member's cases, and where they came from: `hq`, or `till` when HQ did not answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MemberComplaints {
    pub member: String,
    pub source: String,
    pub complaints: Vec<TillCase>,
}

/// A note taken: its case, and that it waits in the outbox for HQ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteTaken {
    pub id: String,
    pub queued: bool,
}

impl Terminal {
    /// The member's id: `member`, or the member on the sale.
    fn complaint_member(&self, member: Option<&str>) -> Result<String, CommandError> {
        match member {
            Some(m) => {
                Terminal::plain("the member", m)?;
                Ok(m.trim().to_string())
            }
            None => self
                .member
                .as_ref()
                .map(|m| m.member.id.clone())
                .ok_or_else(|| CommandError::Invalid(said!("no member is on this sale"))),
        }
    }

    /// The member's complaint cases, newest first: HQ's when it answers in time, else
    /// those this till recorded.
    pub fn member_complaints(
        &self,
        member: Option<&str>,
    ) -> Result<MemberComplaints, CommandError> {
        self.signed_in()?;
        let id = self.complaint_member(member)?;
        if let Some(hq) = &self.hq {
            match hq.member_complaints(&id) {
                Ok(Some(cases)) => {
                    return Ok(MemberComplaints {
                        member: id,
                        source: "hq".into(),
                        complaints: cases
                            .into_iter()
                            .map(|c| TillCase {
                                id: c.id,
                                state: c.state.as_str().into(),
                                category: c.category,
                                opened_at: c.opened_at.to_rfc3339(),
                                last_note: c.last_note,
                                content: None,
                            })
                            .collect(),
                    });
                }
                // A member enrolled here whose enrolment HQ has not yet applied.
                Ok(None) => {}
                Err(e) => tracing::info!("complaints of {id} from this till's own: {e}"),
            }
        }
        if crate::store::members::by_id(self.catalogue(), &id)?.is_none() {
            return Err(CommandError::UnknownMember(id));
        }
        Ok(MemberComplaints {
            complaints: self.own_complaints(&id)?,
            member: id,
            source: "till".into(),
        })
    }

    /// The complaints this till recorded about `member`, as cases, newest first.
    pub fn own_complaints(&self, member: &str) -> Result<Vec<TillCase>, CommandError> {
        let (store, terminal) = (&self.config.store.id, &self.config.terminal.id);
        Ok(loyalty::complaints(&self.store.terminal, member)?
            .into_iter()
            .map(|c| TillCase {
                id: till_case_id(store, terminal, c.id),
                state: c.status,
                category: "general".into(),
                opened_at: c.at,
                last_note: c.handling,
                content: Some(c.content),
            })
            .collect())
    }

    /// Adds the cashier's note to a case of the member (`member`, or the member on the
    /// sale): written to the outbox for HQ, durable when this returns.
    pub fn complaint_note(
        &mut self,
        member: Option<&str>,
        case_id: &str,
        note: &str,
    ) -> Result<NoteTaken, CommandError> {
        let operator = self.signed_in()?.id.clone();
        let member = self.complaint_member(member)?;
        Terminal::plain("the complaint", case_id)?;
        Terminal::plain("the note", note)?;
        let case_id = case_id.trim();
        if case_id.is_empty() || case_id.chars().count() > 160 {
            return Err(CommandError::Invalid(said!(
                "'{}' is not a complaint id",
                case_id.chars().take(40).collect::<String>()
            )));
        }
        let note = note.trim();
        if note.is_empty() {
            return Err(CommandError::Invalid(said!("say what the note is")));
        }
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err(CommandError::Invalid(said!(
                "a note is at most {} characters",
                MAX_NOTE_CHARS
            )));
        }
        let event = Event::ComplaintNoted(ComplaintNoteEvent {
            case_id: case_id.to_string(),
            member_id: Some(member),
            operator_id: operator,
            note: note.to_string(),
        });
        let at = self.now();
        crate::store::events::record(&mut self.store.terminal, &event, at)?;
        self.nudge_sync();
        Ok(NoteTaken {
            id: case_id.to_string(),
            queued: true,
        })
    }
}
