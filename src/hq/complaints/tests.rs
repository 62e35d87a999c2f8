//! The life of a case: the rules on their own, and a reference model (a few lines of
//! in-memory state) checked against HQ's stored cases over random sequences of steps.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use proptest::prelude::*;

use super::*;

fn step(to: Option<State>) -> StepRequest {
    StepRequest {
        handler: "ana".into(),
        note: Some("called the member".into()),
        to_state: to,
        ..StepRequest::default()
    }
}

#[test]
fn a_case_goes_open_in_progress_resolved_closed_and_back() {
    use State::*;
    assert!(next(Open, &step(Some(InProgress))).is_ok());
    let mut resolve = step(Some(Resolved));
    assert!(next(InProgress, &resolve).unwrap_err().contains("outcome"));
    resolve.outcome = Some("refunded".into());
    resolve.satisfaction = Some(4);
    assert!(next(InProgress, &resolve).is_ok());
    assert!(next(Resolved, &step(Some(Closed))).is_ok());
    let reopen = next(Closed, &step(Some(InProgress))).unwrap();
    assert!(reopen.reopens);
    assert!(next(Resolved, &step(Some(InProgress))).unwrap().reopens);
    for s in State::ALL {
        assert_eq!(next(s, &step(None)).unwrap().to, s, "a note keeps {s:?}");
    }
}

#[test]
fn illegal_moves_are_refused_with_what_is_allowed() {
    use State::*;
    for (from, to) in [
        (Open, Resolved),
        (Open, Closed),
        (InProgress, Closed),
        (InProgress, Open),
        (Closed, Resolved),
        (Open, Open),
        (Closed, Closed),
    ] {
        let mut s = step(Some(to));
        s.outcome = (to == Resolved).then(|| "x".into());
        let e = next(from, &s).unwrap_err();
        assert!(e.contains("cannot move"), "{from:?} → {to:?}: {e}");
    }
    let mut s = step(None);
    s.note = Some("  ".into());
    assert!(next(Open, &s).unwrap_err().contains("note"));
    let mut s = step(None);
    s.satisfaction = Some(4);
    assert!(next(Open, &s).unwrap_err().contains("resolved or closed"));
    for bad in [0, 6, 200] {
        let mut s = step(Some(Closed));
        s.satisfaction = Some(bad);
        assert!(next(Resolved, &s).unwrap_err().contains("1 to 5"), "{bad}");
    }
    let mut s = step(Some(InProgress));
    s.outcome = Some("early".into());
    assert!(next(Open, &s).is_err(), "an outcome only when resolving");
}

#[test]
fn deadlines_by_severity_and_their_checks() {
    let sla = Sla::default();
    assert_eq!(sla.check(), Ok(()));
    let at = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
    assert_eq!(
        sla.due(Severity::Critical, at),
        (at + TimeDelta::hours(2), at + TimeDelta::hours(24))
    );
    assert_eq!(
        sla.due(Severity::Low, at),
        (at + TimeDelta::hours(72), at + TimeDelta::days(14))
    );
    let mut bad = sla;
    bad.high.respond_hours = 100;
    assert!(bad.check().unwrap_err().contains("hq.complaints.high"));
    let mut bad = sla;
    bad.low.resolve_hours = 0;
    assert!(bad.check().is_err());
}

#[test]
fn texts_are_checked() {
    assert!(check_text("note", Some("ok\nthen"), true, 10).is_ok());
    assert!(check_text("note", Some("bell\u{7}"), true, 10).is_err());
    assert!(check_text("note", Some("12345678901"), true, 10).is_err());
    assert!(check_text("note", None, true, 10).is_err());
    assert!(check_text("note", None, false, 10).is_ok());
}

/// The reference model: a case's state and what it records, written apart from the
/// module's rules.
#[derive(Debug, Clone, PartialEq)]
struct Model {
    state: State,
    outcome: Option<String>,
    satisfaction: Option<u8>,
    first_response: Option<DateTime<Utc>>,
    resolved: Option<DateTime<Utc>>,
    closed: Option<DateTime<Utc>>,
    steps: u32,
    last_note: Option<String>,
    last_at: DateTime<Utc>,
}

const MOVES: [(State, State); 5] = [
    (State::Open, State::InProgress),
    (State::InProgress, State::Resolved),
    (State::Resolved, State::Closed),
    (State::Resolved, State::InProgress),
    (State::Closed, State::InProgress),
];

impl Model {
    fn open(at: DateTime<Utc>) -> Model {
        Model {
            state: State::Open,
            outcome: None,
            satisfaction: None,
            first_response: None,
            resolved: None,
            closed: None,
            steps: 1,
            last_note: None,
            last_at: at,
        }
    }

    /// Whether the step is taken (and takes it).
    fn take(&mut self, s: &StepRequest, at: DateTime<Utc>) -> bool {
        let has_note = s.note.as_deref().is_some_and(|n| !n.trim().is_empty());
        let to = match s.to_state {
            None if !has_note && s.satisfaction.is_none() => return false,
            None => self.state,
            Some(to) if MOVES.contains(&(self.state, to)) => to,
            Some(_) => return false,
        };
        let resolving = to == State::Resolved && self.state != State::Resolved;
        if resolving != s.outcome.is_some() || (resolving && s.outcome.as_deref() == Some("")) {
            return false;
        }
        if let Some(v) = s.satisfaction
            && (!(1..=5).contains(&v) || matches!(to, State::Open | State::InProgress))
        {
            return false;
        }
        if at < self.last_at {
            return false;
        }
        if self.state != to && to == State::InProgress && self.resolved.is_some() {
            self.resolved = None;
            self.closed = None;
            self.outcome = None;
            self.satisfaction = None;
        }
        if resolving {
            self.resolved = Some(at);
            self.outcome = s.outcome.clone();
        }
        if to == State::Closed && self.state != State::Closed {
            self.closed = Some(at);
        }
        if s.satisfaction.is_some() {
            self.satisfaction = s.satisfaction;
        }
        self.first_response.get_or_insert(at);
        if has_note {
            self.last_note = s.note.clone();
        }
        self.state = to;
        self.steps += 1;
        self.last_at = at;
        true
    }
}

fn any_step() -> impl Strategy<Value = (StepRequest, i64)> {
    (
        prop::option::of(prop::sample::select(State::ALL.to_vec())),
        prop::option::of(prop::sample::select(vec!["", "called", "sent a voucher"])),
        prop::option::of(prop::sample::select(vec!["", "refunded"])),
        prop::option::of(0u8..7),
        -30i64..600,
    )
        .prop_map(|(to_state, note, outcome, satisfaction, minutes)| {
            (
                StepRequest {
                    handler: "staff".into(),
                    note: note.map(str::to_string),
                    to_state,
                    outcome: outcome.map(str::to_string),
                    satisfaction,
                    at: None,
                },
                minutes,
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn stored_cases_follow_the_reference_model(steps in prop::collection::vec(any_step(), 1..14)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("hq.db").display());
            let store = crate::hq::HqStore::open(&url).await.unwrap();
            store.register_terminal("S001", "T01").await.unwrap();
            let opened = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
            let now = opened + TimeDelta::days(365);
            let case = store
                .record_complaint(
                    &NewComplaint {
                        store_id: Some("S001".into()),
                        member_id: None,
                        category: Some("service".into()),
                        channel: Channel::Phone,
                        severity: Severity::High,
                        content: "queue too long".into(),
                        handler: "staff".into(),
                        opened_at: Some(opened),
                    },
                    now,
                )
                .await
                .unwrap();
            let id = case.case.id.clone();
            let mut model = Model::open(opened);
            let mut clock = opened;
            for (mut s, minutes) in steps {
                clock += TimeDelta::minutes(minutes);
                s.at = Some(clock);
                let before = store.complaint(&id, now).await.unwrap();
                let expected = model.clone().take(&s, clock);
                let got = store.complaint_step(&id, &s, now).await;
                prop_assert_eq!(got.is_ok(), expected, "{:?} on {:?}: {:?}", s, model.state, got.err());
                let after = store.complaint(&id, now).await.unwrap();
                if expected {
                    model.take(&s, clock);
                } else {
                    prop_assert_eq!(&before, &after, "a refused step changes nothing");
                }
                let c = &after.case;
                prop_assert_eq!(c.state, model.state);
                prop_assert_eq!(&c.outcome, &model.outcome);
                prop_assert_eq!(c.satisfaction, model.satisfaction);
                prop_assert_eq!(c.first_response_at, model.first_response);
                prop_assert_eq!(c.resolved_at, model.resolved);
                prop_assert_eq!(c.closed_at, model.closed);
                prop_assert_eq!(c.steps, model.steps);
                prop_assert_eq!(&c.last_note, &model.last_note);
                prop_assert_eq!(after.step_list.len() as u32, model.steps);
                prop_assert_eq!(c.check_invariants(), Ok(()));
            }
            store.pool().close().await;
            Ok(())
        })?;
    }
}
