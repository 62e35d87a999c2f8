//! Complaint handling at HQ: every complaint a till recorded at its counter, or HQ staff
//! took by phone, web, social media, e-mail or app, is a *case* with a life, each step of
//! it kept with its handler, note and time.
//!
//! - [`State`] and [`next`]: the life of a case, `open → in_progress → resolved → closed`,
//!   reopened from `resolved` or `closed` back to `in_progress`; a note is a step that
//!   keeps the state, allowed in every state; resolving needs an outcome; satisfaction
//!   (1–5) is the member's word once the case is resolved or closed. Anything else is
//!   refused with a message and changes nothing;
//! - [`Sla`]: the deadlines by [`Severity`] (`[hq.complaints]`): a case must get its first
//!   response (any step after it was opened) and be resolved by them; a case past either
//!   while not met is *overdue*;
//! - [`store`]: the cases and steps in HQ's database: recording, reading, listing and
//!   stepping them;
//! - [`till`]: what tills do: a till's complaint becomes the case
//!   `{store}.{terminal}.{local_id}` in the transaction that ingests its event; a member's
//!   cases for a till, and the notes tills send;
//! - [`report`]: volume by category, store, channel and severity, time to first response
//!   and to close (median and p90), satisfaction.
//!
//! Invariants of a stored case (checked after every change, and by the database's
//! constraints): `resolved_at` is set exactly in `resolved` and `closed`, `closed_at`
//! exactly in `closed`; a resolved case has an outcome; `steps` is the number of its last
//! step, and steps are numbered from 1 without gaps; step times never go backwards.

pub mod report;
pub mod store;
pub mod till;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// Longest text of a complaint, a note or an outcome (characters).
pub const MAX_TEXT_CHARS: usize = 2_000;
/// Longest category or handler name (characters).
pub const MAX_NAME_CHARS: usize = 64;
/// How far ahead of HQ's clock a step's stated time may be (clocks of staff machines
/// drift a little).
pub const MAX_CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);

/// Where a case is in its life.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Open,
    InProgress,
    Resolved,
    Closed,
}

impl State {
    pub const ALL: [State; 4] = [
        State::Open,
        State::InProgress,
        State::Resolved,
        State::Closed,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            State::Open => "open",
            State::InProgress => "in_progress",
            State::Resolved => "resolved",
            State::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether the case still waits for its resolution.
    pub const fn is_pending(self) -> bool {
        matches!(self, State::Open | State::InProgress)
    }
}

/// How the complaint reached the chain.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Counter,
    Phone,
    Web,
    Social,
    Email,
    App,
}

impl Channel {
    pub const ALL: [Channel; 6] = [
        Channel::Counter,
        Channel::Phone,
        Channel::Web,
        Channel::Social,
        Channel::Email,
        Channel::App,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::Counter => "counter",
            Channel::Phone => "phone",
            Channel::Web => "web",
            Channel::Social => "social",
            Channel::Email => "email",
            Channel::App => "app",
        }
    }

    pub fn parse(text: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// How urgent the complaint is; it sets the deadlines.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    #[default]
    Normal,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Low,
        Severity::Normal,
        Severity::High,
        Severity::Critical,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Normal => "normal",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Hours to the first response and to the resolution of a case of one severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadlines {
    pub respond_hours: u32,
    pub resolve_hours: u32,
}

/// `[hq.complaints]`: the deadlines by severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sla {
    pub critical: Deadlines,
    pub high: Deadlines,
    pub normal: Deadlines,
    pub low: Deadlines,
}

impl Default for Sla {
    fn default() -> Self {
        let d = |respond_hours, resolve_hours| Deadlines {
            respond_hours,
            resolve_hours,
        };
        Sla {
            critical: d(2, 24),
            high: d(8, 72),
            normal: d(24, 7 * 24),
            low: d(72, 14 * 24),
        }
    }
}

/// Longest deadline a configuration may set: a year.
pub const MAX_SLA_HOURS: u32 = 366 * 24;

impl Sla {
    pub fn deadlines(&self, severity: Severity) -> Deadlines {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Normal => self.normal,
            Severity::Low => self.low,
        }
    }

    /// When a case of `severity` opened (or reopened) at `at` must be answered and
    /// resolved.
    pub fn due(&self, severity: Severity, at: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let d = self.deadlines(severity);
        let due = (
            at + TimeDelta::hours(i64::from(d.respond_hours)),
            at + TimeDelta::hours(i64::from(d.resolve_hours)),
        );
        debug_assert!(due.0 <= due.1, "checked by Sla::check");
        due
    }

    /// Refuses deadlines that cannot be met in order: each at least an hour, a response
    /// no later than the resolution, none beyond a year.
    pub fn check(&self) -> Result<(), String> {
        for s in Severity::ALL {
            let d = self.deadlines(s);
            if d.respond_hours == 0 || d.resolve_hours == 0 {
                return Err(format!(
                    "hq.complaints.{}: deadlines are at least 1 hour",
                    s.as_str()
                ));
            }
            if d.respond_hours > d.resolve_hours {
                return Err(format!(
                    "hq.complaints.{}: respond_hours ({}) is after resolve_hours ({})",
                    s.as_str(),
                    d.respond_hours,
                    d.resolve_hours
                ));
            }
            if d.resolve_hours > MAX_SLA_HOURS {
                return Err(format!(
                    "hq.complaints.{}: resolve_hours is at most {MAX_SLA_HOURS}",
                    s.as_str()
                ));
            }
        }
        Ok(())
    }
}

/// A step asked for: a transition (`to_state`) or, without one, a note.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepRequest {
    /// Who takes the step (a staff member's or operator's id or name).
    pub handler: String,
    /// What was done or said; required for a note (a step without `to_state`).
    #[serde(default)]
    pub note: Option<String>,
    /// The state the case moves to; none for a note.
    #[serde(default)]
    pub to_state: Option<State>,
    /// How the complaint was settled: required to resolve.
    #[serde(default)]
    pub outcome: Option<String>,
    /// The member's satisfaction, 1 (very unhappy) to 5 (very happy): on a case being
    /// resolved or closed, or already so.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 5)]
    pub satisfaction: Option<u8>,
    /// When the step was taken (RFC 3339), for a call logged afterwards; now when absent.
    /// Never before the case's last step, nor ahead of HQ's clock.
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
}

/// What a step does to a case in `from`, once [`next`] allowed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub from: State,
    pub to: State,
    /// The case comes back from `resolved` or `closed`.
    pub reopens: bool,
}

/// Whether a case in `from` may take `step`, and where it goes; the message says why not.
/// Pure: the texts' lengths and the times are checked by [`check_text`] and the store.
pub fn next(from: State, step: &StepRequest) -> Result<Transition, String> {
    let to = step.to_state.unwrap_or(from);
    let note = step.note.as_deref().is_some_and(|n| !n.trim().is_empty());
    if step.to_state.is_none() && !note && step.satisfaction.is_none() {
        return Err("a note needs its text (or give to_state to move the case)".into());
    }
    let allowed = match (from, to) {
        (a, b) if a == b => step.to_state.is_none(),
        (State::Open, State::InProgress) => true,
        (State::InProgress, State::Resolved) => true,
        (State::Resolved, State::Closed) => true,
        (State::Resolved | State::Closed, State::InProgress) => true,
        _ => false,
    };
    if !allowed {
        let hint = match from {
            State::Open => "an open case moves to in_progress",
            State::InProgress => "a case in progress moves to resolved (with an outcome)",
            State::Resolved => "a resolved case moves to closed, or back to in_progress",
            State::Closed => "a closed case can only be reopened (to in_progress)",
        };
        return Err(format!(
            "a case {} cannot move to {}: {hint}",
            from.as_str(),
            to.as_str()
        ));
    }
    let resolving = to == State::Resolved && from != State::Resolved;
    if resolving && step.outcome.as_deref().is_none_or(|o| o.trim().is_empty()) {
        return Err("resolving a case needs its outcome".into());
    }
    if step.outcome.is_some() && !resolving {
        return Err("an outcome is given when the case is resolved (to_state resolved)".into());
    }
    if let Some(s) = step.satisfaction {
        if !(1..=5).contains(&s) {
            return Err(format!("satisfaction is 1 to 5, not {s}"));
        }
        if to.is_pending() {
            return Err("satisfaction is the member's word on a resolved or closed case".into());
        }
    }
    Ok(Transition {
        from,
        to,
        reopens: matches!(from, State::Resolved | State::Closed) && to == State::InProgress,
    })
}

/// Checks a free text: not blank when `required`, at most `max` characters, no control
/// characters but newlines and tabs. `what` names it in the message.
pub fn check_text(
    what: &str,
    text: Option<&str>,
    required: bool,
    max: usize,
) -> Result<(), String> {
    match text {
        None if required => Err(format!("{what} is required")),
        None => Ok(()),
        Some(t) if required && t.trim().is_empty() => Err(format!("{what} is empty")),
        Some(t) if t.chars().count() > max => {
            Err(format!("{what} is longer than {max} characters"))
        }
        Some(t) if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') => {
            Err(format!("{what} holds a control character"))
        }
        Some(_) => Ok(()),
    }
}

/// Checks a step's texts and the range of its satisfaction.
pub fn check_step_texts(step: &StepRequest) -> Result<(), String> {
    if let Some(s) = step.satisfaction
        && !(1..=5).contains(&s)
    {
        return Err(format!("satisfaction is 1 to 5, not {s}"));
    }
    check_text("handler", Some(&step.handler), true, MAX_NAME_CHARS)?;
    check_text("note", step.note.as_deref(), false, MAX_TEXT_CHARS)?;
    check_text("outcome", step.outcome.as_deref(), false, MAX_TEXT_CHARS)
}

/// A complaint HQ staff record (`POST /v1/complaints`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComplaint {
    /// The store it is about; the member's home store when absent.
    #[serde(default)]
    pub store_id: Option<String>,
    /// The member complaining, if a member.
    #[serde(default)]
    pub member_id: Option<String>,
    /// What it is about, in the chain's own words (`service`, `product`, `price`, …);
    /// `general` when absent.
    #[serde(default)]
    pub category: Option<String>,
    pub channel: Channel,
    #[serde(default)]
    pub severity: Severity,
    /// What the member said.
    pub content: String,
    /// Who took it.
    pub handler: String,
    /// When it was received (RFC 3339); now when absent.
    #[serde(default)]
    pub opened_at: Option<DateTime<Utc>>,
}

/// A case as HQ staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Case {
    pub id: String,
    pub store_id: String,
    /// The till that recorded it (none: HQ staff did).
    pub terminal_id: Option<String>,
    pub member_id: Option<String>,
    pub category: String,
    pub channel: Channel,
    pub severity: Severity,
    pub content: String,
    pub state: State,
    /// Who took the last step.
    pub handler: Option<String>,
    pub outcome: Option<String>,
    pub satisfaction: Option<u8>,
    pub opened_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub response_due: DateTime<Utc>,
    pub resolve_due: DateTime<Utc>,
    /// The last note given.
    pub last_note: Option<String>,
    /// How many steps the case has.
    pub steps: u32,
}

impl Case {
    /// Which deadline the case has missed at `now`, if any: `response` (no step since it
    /// was opened) or `resolution` (still open or in progress).
    pub fn overdue(&self, now: DateTime<Utc>) -> Option<Overdue> {
        if !self.state.is_pending() {
            return None;
        }
        if self.first_response_at.is_none() && self.response_due < now {
            return Some(Overdue::Response);
        }
        (self.resolve_due < now).then_some(Overdue::Resolution)
    }

    /// The invariants every stored case keeps (see the module's doc).
    pub fn check_invariants(&self) -> Result<(), String> {
        let resolved = matches!(self.state, State::Resolved | State::Closed);
        if resolved != self.resolved_at.is_some() {
            return Err(format!(
                "{}: resolved_at in state {:?}",
                self.id, self.state
            ));
        }
        if (self.state == State::Closed) != self.closed_at.is_some() {
            return Err(format!("{}: closed_at in state {:?}", self.id, self.state));
        }
        if self.state == State::Resolved && self.outcome.is_none() {
            return Err(format!("{}: resolved without an outcome", self.id));
        }
        if self.steps < 1 {
            return Err(format!("{}: no opening step", self.id));
        }
        if self.satisfaction.is_some_and(|s| !(1..=5).contains(&s)) {
            return Err(format!("{}: satisfaction out of 1–5", self.id));
        }
        if self.response_due > self.resolve_due {
            return Err(format!("{}: response due after resolution", self.id));
        }
        Ok(())
    }
}

/// Which deadline an overdue case missed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Overdue {
    Response,
    Resolution,
}

/// One step of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Step {
    pub step_no: u32,
    /// None for the opening step.
    pub from_state: Option<State>,
    pub to_state: State,
    pub handler: String,
    pub note: Option<String>,
    pub outcome: Option<String>,
    pub satisfaction: Option<u8>,
    pub at: DateTime<Utc>,
}

/// A case with its steps, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CaseWithSteps {
    #[serde(flatten)]
    pub case: Case,
    /// Which deadline it has missed now, if any.
    pub overdue: Option<Overdue>,
    pub step_list: Vec<Step>,
}

/// A member's case as a till's cashier sees it: nothing of other members, nothing of how
/// HQ staff handle it but its state and last note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MemberCase {
    pub id: String,
    pub state: State,
    pub category: String,
    pub opened_at: DateTime<Utc>,
    pub last_note: Option<String>,
}

/// A note a till adds to a member's case (`POST /v1/complaints/{id}/notes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TillNote {
    /// The note's own id (a UUID the till makes): sent again, it adds nothing.
    pub note_id: uuid::Uuid,
    /// The member at the counter: a case of another store is noted only for its member.
    #[serde(default)]
    pub member_id: Option<String>,
    /// The till's operator.
    pub operator_id: String,
    pub note: String,
}

#[cfg(test)]
mod tests;
