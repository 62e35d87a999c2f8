//! The cases and their steps in HQ's database, on either backend.
//!
//! A change to a case reads it with its row locked (PostgreSQL: `FOR UPDATE`; SQLite: the
//! write transaction holds the file's lock), checks the step against [`super::next`] and
//! the times, and writes the case and its new step in the same transaction; the case's
//! update also names the step count it read, so a writer that raced another changes
//! nothing. A transaction the database gave up on is run again ([`crate::hq::retry`]).

use chrono::{DateTime, Utc};

use super::{
    Case, CaseWithSteps, Channel, MAX_CLOCK_SKEW, MAX_NAME_CHARS, MAX_TEXT_CHARS, NewComplaint,
    Overdue, Severity, Sla, State, Step, StepRequest, check_step_texts, check_text, next,
};
use crate::hq::db::{Query, Row, Tx, query};
use crate::hq::error::HqError;
use crate::hq::retry::retrying;
use crate::hq::store::HqStore;

/// Why a complaint request changes nothing.
#[derive(Debug, thiserror::Error)]
pub enum ComplaintError {
    /// No such complaint, member or store (or none the asker may see).
    #[error("{0}")]
    NotFound(String),
    /// A value the rules refuse (a text too long, an unknown store…).
    #[error("{0}")]
    Invalid(String),
    /// A step the case's state does not allow.
    #[error("{0}")]
    Illegal(String),
    #[error(transparent)]
    Hq(#[from] HqError),
}

impl From<sqlx::Error> for ComplaintError {
    fn from(e: sqlx::Error) -> Self {
        ComplaintError::Hq(e.into())
    }
}

/// `SELECT` of a case's columns in the order [`case_of`] reads them, then `$rest`.
macro_rules! select_cases {
    ($rest:literal) => {
        concat!(
            "SELECT id, store_id, terminal_id, member_id, category, channel, severity, content,
                    state, handler, outcome, satisfaction, opened_at, first_response_at,
                    resolved_at, closed_at, response_due, resolve_due, last_note, steps,
                    last_step_at
             FROM complaint_cases ",
            $rest
        )
    };
}

fn case_of(r: &Row) -> Result<(Case, DateTime<Utc>), HqError> {
    let bad = |what: &str, v: String| HqError::Invalid(format!("stored case: {what} '{v}'"));
    let channel: String = r.get(5);
    let severity: String = r.get(6);
    let state: String = r.get(8);
    let case = Case {
        id: r.get(0),
        store_id: r.get(1),
        terminal_id: r.get(2),
        member_id: r.get(3),
        category: r.get(4),
        channel: Channel::parse(&channel).ok_or_else(|| bad("channel", channel.clone()))?,
        severity: Severity::parse(&severity).ok_or_else(|| bad("severity", severity.clone()))?,
        content: r.get(7),
        state: State::parse(&state).ok_or_else(|| bad("state", state.clone()))?,
        handler: r.get(9),
        outcome: r.get(10),
        satisfaction: r.get::<Option<i64>>(11).map(|s| s as u8),
        opened_at: r.get(12),
        first_response_at: r.get(13),
        resolved_at: r.get(14),
        closed_at: r.get(15),
        response_due: r.get(16),
        resolve_due: r.get(17),
        last_note: r.get(18),
        steps: r.get::<i64>(19) as u32,
    };
    // Checked right after reading, as it was right before writing.
    debug_assert_eq!(case.check_invariants(), Ok(()));
    Ok((case, r.get(20)))
}

fn step_of(r: &Row) -> Step {
    let from: Option<String> = r.get(1);
    let to: String = r.get(2);
    Step {
        step_no: r.get::<i64>(0) as u32,
        from_state: from.as_deref().and_then(State::parse),
        to_state: State::parse(&to).unwrap_or(State::Open),
        handler: r.get(3),
        note: r.get(4),
        outcome: r.get(5),
        satisfaction: r.get::<Option<i64>>(6).map(|s| s as u8),
        at: r.get(7),
    }
}

/// What `GET /v1/complaints` lists.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListFilter {
    /// Only cases in this state.
    #[serde(default)]
    pub state: Option<State>,
    /// Only cases of this store.
    #[serde(default)]
    pub store: Option<String>,
    /// Only this member's cases.
    #[serde(default)]
    pub member: Option<String>,
    /// Only cases past a deadline they have not met (at `at`).
    #[serde(default)]
    pub overdue: Option<bool>,
    /// The moment deadlines are judged at (RFC 3339); now when absent.
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
    /// At most this many, newest first (default and most: 500).
    #[serde(default)]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// Most cases one list answers.
pub const MAX_LIST: u32 = 500;

/// A listed case and which deadline it has missed, if any.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ListedCase {
    #[serde(flatten)]
    pub case: Case,
    pub overdue: Option<Overdue>,
}

impl HqStore {
    /// Records a complaint HQ staff took (phone, web, social, …) as a new open case.
    pub async fn record_complaint(
        &self,
        new: &NewComplaint,
        now: DateTime<Utc>,
    ) -> Result<CaseWithSteps, ComplaintError> {
        check_text("content", Some(&new.content), true, MAX_TEXT_CHARS)
            .map_err(ComplaintError::Invalid)?;
        check_text("handler", Some(&new.handler), true, MAX_NAME_CHARS)
            .map_err(ComplaintError::Invalid)?;
        // Optional, but not blank when given.
        for (what, v) in [
            ("category", &new.category),
            ("store_id", &new.store_id),
            ("member_id", &new.member_id),
        ] {
            if let Some(v) = v {
                check_text(what, Some(v), true, MAX_NAME_CHARS).map_err(ComplaintError::Invalid)?;
            }
        }
        let opened = new.opened_at.unwrap_or(now);
        check_time(opened, None, now)?;
        let sla = *self.complaint_sla();
        let id = format!("hq.{}", uuid::Uuid::now_v7().simple());
        let id = &id;
        retrying("recording a complaint", || async move {
            let mut tx = self.pool().begin().await?;
            let home = match &new.member_id {
                Some(m) => match query("SELECT home_store FROM members WHERE id = $1")
                    .bind(m)
                    .fetch_optional(&mut tx)
                    .await?
                {
                    Some(r) => r.get::<Option<String>>(0),
                    None => return Ok(Err(ComplaintError::NotFound(format!("HQ has no member {m}")))),
                },
                None => None,
            };
            let Some(store) = new.store_id.clone().or(home) else {
                return Ok(Err(ComplaintError::Invalid(
                    "say which store the complaint is about (store_id): the member has no home store"
                        .into(),
                )));
            };
            if !store_known(&mut tx, &store).await? {
                return Ok(Err(ComplaintError::NotFound(format!(
                    "HQ knows no store {store} (no terminal registered, no settings)"
                ))));
            }
            let category = new.category.as_deref().unwrap_or("general").trim();
            insert_case(
                &mut tx,
                &Opening {
                    store: &store,
                    id,
                    terminal: None,
                    local_id: None,
                    category,
                    channel: new.channel,
                    severity: new.severity,
                    member: new.member_id.as_deref(),
                    content: &new.content,
                    handler: &new.handler,
                    note: None,
                    satisfaction: None,
                    at: opened,
                },
                &sla,
            )
            .await?;
            tx.commit().await?;
            Ok(Ok(()))
        })
        .await??;
        self.complaint(id, now).await
    }

    /// A case with its steps.
    pub async fn complaint(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<CaseWithSteps, ComplaintError> {
        let mut tx = self.pool().begin_read().await?;
        let found = read_case(&mut tx, id, false).await?;
        let Some((case, _)) = found else {
            return Err(ComplaintError::NotFound(format!(
                "HQ has no complaint {id}"
            )));
        };
        let steps = read_steps(&mut tx, &case).await?;
        tx.commit().await?;
        Ok(CaseWithSteps {
            overdue: case.overdue(now),
            case,
            step_list: steps,
        })
    }

    /// Cases by the filter, newest first.
    pub async fn complaints(
        &self,
        filter: &ListFilter,
        now: DateTime<Utc>,
    ) -> Result<Vec<ListedCase>, ComplaintError> {
        let at = filter.at.unwrap_or(now);
        let limit = i64::from(filter.limit.unwrap_or(MAX_LIST).clamp(1, MAX_LIST));
        let overdue_only = filter.overdue.unwrap_or(false);
        // Overdue: pending, and past the response deadline without a response or past
        // the resolution deadline.
        let sql = select_cases!(
            "WHERE ($1 IS NULL OR state = $1) AND ($2 IS NULL OR store_id = $2)
               AND ($3 IS NULL OR member_id = $3)
               AND (NOT $4 OR (state IN ('open', 'in_progress')
                    AND ((first_response_at IS NULL AND response_due < $5) OR resolve_due < $5)))
             ORDER BY opened_at DESC, id LIMIT $6"
        );
        let pg = select_cases!(
            "WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR store_id = $2)
               AND ($3::text IS NULL OR member_id = $3)
               AND (NOT $4 OR (state IN ('open', 'in_progress')
                    AND ((first_response_at IS NULL AND response_due < $5) OR resolve_due < $5)))
             ORDER BY opened_at DESC, id LIMIT $6"
        );
        let rows = Query::dialects(pg, sql)
            .bind(filter.state.map(State::as_str))
            .bind(filter.store.as_deref())
            .bind(filter.member.as_deref())
            .bind(overdue_only)
            .bind(at)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let (case, _) = case_of(r)?;
            let overdue = case.overdue(at);
            debug_assert!(!overdue_only || overdue.is_some(), "{}", case.id);
            out.push(ListedCase { case, overdue });
        }
        Ok(out)
    }

    /// Takes a step on a case (HQ staff): a transition or a note.
    pub async fn complaint_step(
        &self,
        id: &str,
        step: &StepRequest,
        now: DateTime<Utc>,
    ) -> Result<CaseWithSteps, ComplaintError> {
        check_step_texts(step).map_err(ComplaintError::Invalid)?;
        let sla = *self.complaint_sla();
        retrying("a complaint's step", || async move {
            let mut tx = self.pool().begin().await?;
            let Some((case, last_at)) = read_case(&mut tx, id, true).await? else {
                return Ok(Err(ComplaintError::NotFound(format!(
                    "HQ has no complaint {id}"
                ))));
            };
            if let Err(e) = take_step(&mut tx, &case, last_at, step, None, now, &sla).await? {
                return Ok(Err(e));
            }
            tx.commit().await?;
            Ok(Ok(()))
        })
        .await??;
        self.complaint(id, now).await
    }
}

/// Whether HQ knows `store`: a terminal of it is registered, or HQ holds its settings or
/// time zone.
async fn store_known(tx: &mut Tx, store: &str) -> Result<bool, HqError> {
    Ok(query(
        "SELECT 1 FROM terminals WHERE store_id = $1
         UNION ALL SELECT 1 FROM store_settings WHERE store_id = $1
         UNION ALL SELECT 1 FROM stores WHERE store_id = $1",
    )
    .bind(store)
    .fetch_optional(&mut *tx)
    .await?
    .is_some())
}

/// Refuses a step time before the case's last step or ahead of HQ's clock.
fn check_time(
    at: DateTime<Utc>,
    last: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), ComplaintError> {
    if at > now + MAX_CLOCK_SKEW {
        return Err(ComplaintError::Invalid(format!(
            "{at} is in the future (HQ's clock says {now})"
        )));
    }
    if !crate::hq::rules::sane_time(at) {
        return Err(ComplaintError::Invalid(format!(
            "{at} is outside the years 1970–9999"
        )));
    }
    if let Some(last) = last
        && at < last
    {
        return Err(ComplaintError::Invalid(format!(
            "{at} is before the case's last step ({last})"
        )));
    }
    Ok(())
}

/// Reads a case by id, its row locked when `lock` (on PostgreSQL; SQLite's write
/// transaction holds the file).
pub(super) async fn read_case(
    tx: &mut Tx,
    id: &str,
    lock: bool,
) -> Result<Option<(Case, DateTime<Utc>)>, HqError> {
    const PLAIN: &str = select_cases!("WHERE id = $1");
    // Locked within its store (a case is keyed by store and id): the row of one shard on a
    // distributed database, which locks no other.
    const LOCKED: &str = select_cases!("WHERE store_id = $2 AND id = $1 FOR UPDATE");
    let Some(r) = query(PLAIN).bind(id).fetch_optional(&mut *tx).await? else {
        return Ok(None);
    };
    let found = case_of(&r)?;
    if !lock || tx.is_sqlite() {
        return Ok(Some(found));
    }
    match query(LOCKED)
        .bind(id)
        .bind(&found.0.store_id)
        .fetch_optional(&mut *tx)
        .await?
    {
        Some(r) => Ok(Some(case_of(&r)?)),
        None => Ok(None),
    }
}

async fn read_steps(tx: &mut Tx, case: &Case) -> Result<Vec<Step>, HqError> {
    let steps: Vec<Step> = query(
        "SELECT step_no, from_state, to_state, handler, note, outcome, satisfaction, at
         FROM complaint_steps WHERE store_id = $1 AND case_id = $2 ORDER BY step_no",
    )
    .bind(&case.store_id)
    .bind(&case.id)
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(step_of)
    .collect();
    debug_assert!(
        steps
            .iter()
            .enumerate()
            .all(|(i, s)| s.step_no as usize == i + 1),
        "steps of {} are numbered from 1 without gaps",
        case.id
    );
    debug_assert_eq!(steps.len(), case.steps as usize, "{}", case.id);
    debug_assert!(steps.windows(2).all(|w| w[0].at <= w[1].at), "{}", case.id);
    Ok(steps)
}

/// What a new case starts with.
pub(super) struct Opening<'a> {
    pub(super) store: &'a str,
    pub(super) id: &'a str,
    pub(super) terminal: Option<&'a str>,
    pub(super) local_id: Option<i64>,
    pub(super) category: &'a str,
    pub(super) channel: Channel,
    pub(super) severity: Severity,
    pub(super) member: Option<&'a str>,
    pub(super) content: &'a str,
    pub(super) handler: &'a str,
    pub(super) note: Option<&'a str>,
    pub(super) satisfaction: Option<u8>,
    pub(super) at: DateTime<Utc>,
}

/// Inserts a new open case and its opening step; false (and nothing written) when a case
/// of that key exists.
pub(super) async fn insert_case(tx: &mut Tx, o: &Opening<'_>, sla: &Sla) -> Result<bool, HqError> {
    let (response_due, resolve_due) = sla.due(o.severity, o.at);
    let inserted = query(
        "INSERT INTO complaint_cases (store_id, id, terminal_id, local_id, category, channel,
             severity, member_id, content, state, handler, satisfaction, opened_at,
             response_due, resolve_due, steps, last_note, last_step_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $11, $12, $13, $14, 1, $15, $12)
         ON CONFLICT DO NOTHING",
    )
    .bind(o.store)
    .bind(o.id)
    .bind(o.terminal)
    .bind(o.local_id)
    .bind(o.category)
    .bind(o.channel.as_str())
    .bind(o.severity.as_str())
    .bind(o.member)
    .bind(o.content)
    .bind(o.handler)
    .bind(o.satisfaction.map(i64::from))
    .bind(o.at)
    .bind(response_due)
    .bind(resolve_due)
    .bind(o.note)
    .execute(&mut *tx)
    .await?;
    if inserted == 0 {
        return Ok(false);
    }
    query(
        "INSERT INTO complaint_steps (store_id, case_id, step_no, from_state, to_state, handler,
                                      note, at)
         VALUES ($1, $2, 1, NULL, 'open', $3, $4, $5)",
    )
    .bind(o.store)
    .bind(o.id)
    .bind(o.handler)
    .bind(o.note)
    .bind(o.at)
    .execute(&mut *tx)
    .await?;
    Ok(true)
}

/// Checks and writes one step on a case read with its row locked. `Ok(Err(_))`: refused,
/// nothing written. A till's note already taken under `note_id` is taken again as nothing.
pub(super) async fn take_step(
    tx: &mut Tx,
    case: &Case,
    last_at: DateTime<Utc>,
    step: &StepRequest,
    note_id: Option<uuid::Uuid>,
    now: DateTime<Utc>,
    sla: &Sla,
) -> Result<Result<(), ComplaintError>, HqError> {
    if let Some(note_id) = note_id
        && query(
            "SELECT 1 FROM complaint_steps WHERE store_id = $1 AND case_id = $2 AND note_id = $3",
        )
        .bind(&case.store_id)
        .bind(&case.id)
        .bind(note_id)
        .fetch_optional(&mut *tx)
        .await?
        .is_some()
    {
        return Ok(Ok(()));
    }
    let t = match next(case.state, step) {
        Ok(t) => t,
        Err(e) => return Ok(Err(ComplaintError::Illegal(format!("{}: {e}", case.id)))),
    };
    // Without a stated time the step is taken now, and never before the last one.
    let at = step.at.unwrap_or(now.max(last_at));
    if let Err(e) = check_time(at, Some(last_at), now) {
        return Ok(Err(e));
    }
    let after = after_step(case, &t, step, at, sla);
    debug_assert_eq!(after.check_invariants(), Ok(()));
    let changed = query(
        "UPDATE complaint_cases SET state = $3, handler = $4, outcome = $5, satisfaction = $6,
             first_response_at = $7, resolved_at = $8, closed_at = $9, resolve_due = $10,
             last_note = $11, steps = $12, last_step_at = $13
         WHERE store_id = $1 AND id = $2 AND steps = $14",
    )
    .bind(&case.store_id)
    .bind(&case.id)
    .bind(after.state.as_str())
    .bind(&after.handler)
    .bind(&after.outcome)
    .bind(after.satisfaction.map(i64::from))
    .bind(after.first_response_at)
    .bind(after.resolved_at)
    .bind(after.closed_at)
    .bind(after.resolve_due)
    .bind(&after.last_note)
    .bind(i64::from(after.steps))
    .bind(at)
    .bind(i64::from(case.steps))
    .execute(&mut *tx)
    .await?;
    // The row was read locked: nobody else moved it.
    debug_assert_eq!(changed, 1, "{}", case.id);
    if changed != 1 {
        return Err(HqError::Invalid(format!(
            "complaint {} changed while its step was written",
            case.id
        )));
    }
    query(
        "INSERT INTO complaint_steps (store_id, case_id, step_no, from_state, to_state, handler,
                                      note, outcome, satisfaction, note_id, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&case.store_id)
    .bind(&case.id)
    .bind(i64::from(after.steps))
    .bind(t.from.as_str())
    .bind(t.to.as_str())
    .bind(&step.handler)
    .bind(&step.note)
    .bind(&step.outcome)
    .bind(step.satisfaction.map(i64::from))
    .bind(note_id)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    Ok(Ok(()))
}

/// The case after a step [`next`] allowed, taken at `at` (pure; the reference model in
/// the tests applies the same rules its own way).
pub fn after_step(
    case: &Case,
    t: &super::Transition,
    step: &StepRequest,
    at: DateTime<Utc>,
    sla: &Sla,
) -> Case {
    let mut c = case.clone();
    c.state = t.to;
    c.handler = Some(step.handler.clone());
    c.steps += 1;
    if let Some(note) = step.note.as_ref().filter(|n| !n.trim().is_empty()) {
        c.last_note = Some(note.clone());
    }
    if c.first_response_at.is_none() {
        c.first_response_at = Some(at);
    }
    if t.reopens {
        c.resolved_at = None;
        c.closed_at = None;
        c.outcome = None;
        c.satisfaction = None;
        c.resolve_due = sla.due(c.severity, at).1.max(c.response_due);
    }
    if t.to == State::Resolved && t.from != State::Resolved {
        c.resolved_at = Some(at);
        c.outcome = step.outcome.clone();
    }
    if t.to == State::Closed && t.from != State::Closed {
        c.closed_at = Some(at);
    }
    if step.satisfaction.is_some() {
        c.satisfaction = step.satisfaction;
    }
    c
}
