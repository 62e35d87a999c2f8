//! The uploader, one attempt at a time, against a stand-in for HQ's reply contract on a
//! real loopback HTTP socket, uploading from a real SQLite terminal database.

use std::time::{Duration, Instant};

use crate::support::{Hq, Reply, Terminal, contract};
use serde_json::json;
use storepos_sync::wire::SeqRange;
use storepos_sync::{Backoff, Envelope, UploadError};

#[test]
fn a_backlog_of_1200_uploads_in_seq_order_batches_and_is_fully_acknowledged() {
    let (terminal, events) = Terminal::with_events(1200);
    let hq = Hq::start(contract());
    let mut uploader = terminal.uploader(&hq.url());

    let mut reports = Vec::new();
    loop {
        let report = uploader.run_once().unwrap();
        if report.sent == 0 {
            break;
        }
        reports.push(report);
    }
    let progress: Vec<_> = reports
        .iter()
        .map(|r| (r.sent, r.acknowledged, r.acked_seq, r.backlog))
        .collect();
    assert_eq!(
        progress,
        vec![
            (500, 500, 500, 700),
            (500, 500, 1000, 200),
            (200, 200, 1200, 0)
        ]
    );
    assert!(reports.iter().all(|r| r.missing.is_empty()));
    assert_eq!(terminal.outbox_state(), (1200, 0));

    let requests = hq.requests();
    assert_eq!(requests.len(), 3, "nothing pending means no request");
    for req in &requests {
        assert_eq!(req.method, "POST");
        assert_eq!(req.path, "/v1/events");
        assert_eq!(req.authorization.as_deref(), Some("Bearer t0ken-S001-T01"));
        assert!(
            req.content_type
                .as_deref()
                .unwrap()
                .starts_with("application/json")
        );
        assert_eq!(req.body.as_object().unwrap().len(), 1, "only `events`");
    }
    let received: Vec<Envelope> = requests.iter().flat_map(|r| r.events()).collect();
    assert_eq!(
        received, events,
        "every envelope arrives intact, in seq order"
    );
    assert_eq!(received[0].store_id, "S001");
    assert_eq!(received[0].terminal_id, "T01");

    // The position survives a restart: it is the outbox's acknowledged flags.
    let mut again = terminal.uploader(&hq.url());
    assert_eq!(again.acked_seq(), 1200);
    assert_eq!(again.run_once().unwrap().sent, 0);
    assert_eq!(hq.requests().len(), 3);
}

#[test]
fn a_gap_at_hq_makes_the_uploader_resend_from_there_and_never_ack_past_hq() {
    let (terminal, events) = Terminal::with_events(25);
    // HQ loses the first copy of event 5 and of event 17.
    let mut lost = vec![5, 17];
    let hq = Hq::start(Box::new(move |req, held| {
        let mut arrived = req.events();
        arrived.retain(|e| match lost.iter().position(|s| *s == e.seq) {
            Some(i) => {
                lost.remove(i);
                false
            }
            None => true,
        });
        held.store(arrived);
        held.answer()
    }));
    let mut uploader = terminal.uploader(&hq.url()).with_batch_size(10);

    let first = uploader.run_once().unwrap();
    assert_eq!(first.sent, 10);
    assert_eq!(first.hq_acked_seq, Some(4));
    assert_eq!((first.acked_seq, first.acknowledged), (4, 4));
    assert_eq!(first.missing, vec![SeqRange { first: 5, last: 5 }]);
    assert_eq!(first.missing_total, 1);
    assert_eq!(first.backlog, 21);
    assert_eq!(terminal.outbox_state(), (4, 21));

    let mut reports = vec![first];
    while terminal.outbox_state().1 > 0 {
        let report = uploader.run_once().unwrap();
        assert!(report.acked_seq <= report.hq_acked_seq.unwrap());
        assert_eq!(terminal.outbox_state().0, report.acked_seq);
        reports.push(report);
        assert!(reports.len() < 10, "the uploader must make progress");
    }
    let sent: Vec<Vec<u64>> = hq.requests().iter().map(|r| r.seqs()).collect();
    assert_eq!(sent[1], (5..=14).collect::<Vec<_>>(), "resent from the gap");
    assert_eq!(sent[1][0], 5);
    for (req, before) in sent.iter().skip(1).zip(&reports) {
        assert_eq!(
            req[0],
            before.acked_seq + 1,
            "each batch starts at the lowest unacked"
        );
    }
    let acked: Vec<(Option<u64>, u64)> = reports
        .iter()
        .map(|r| (r.hq_acked_seq, r.acked_seq))
        .collect();
    assert_eq!(
        acked,
        vec![(Some(4), 4), (Some(14), 14), (Some(16), 16), (Some(25), 25)]
    );
    assert_eq!(sent[3], (17..=25).collect::<Vec<_>>());
    assert_eq!(terminal.outbox_state(), (25, 0));
    let all: Vec<Envelope> = hq.requests().iter().flat_map(|r| r.events()).collect();
    assert!(events.iter().all(|e| all.contains(e)));
}

#[test]
fn outages_leave_the_outbox_untouched_and_it_catches_up_when_hq_returns() {
    let (terminal, _) = Terminal::with_events(30);

    // HQ up but failing: 500s.
    let mut failures = 2;
    let hq = Hq::start(Box::new(move |req, held| {
        if failures > 0 {
            failures -= 1;
            return Reply::Status(500, "{\"error\":\"database down\"}".into());
        }
        held.store(req.events());
        held.answer()
    }));
    let mut uploader = terminal.uploader(&hq.url());
    for _ in 0..2 {
        let err = uploader.run_once().unwrap_err();
        assert!(
            matches!(err, UploadError::Unavailable { status: 500, .. }),
            "{err}"
        );
        assert!(err.is_offline() && !err.is_refused());
        assert_eq!(terminal.outbox_state(), (0, 30));
    }
    let addr = hq.shut_down();

    // Port closed: connection refused.
    let err = uploader.run_once().unwrap_err();
    assert!(matches!(err, UploadError::Unreachable(_)), "{err}");
    assert!(err.is_offline());
    assert_eq!(terminal.outbox_state(), (0, 30));

    // A server that accepts but never answers: a timeout.
    let silent = Hq::start(Box::new(|_, _| Reply::Silence(Duration::from_secs(2))));
    let mut impatient = terminal
        .uploader(&silent.url())
        .with_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let err = impatient.run_once().unwrap_err();
    assert!(matches!(err, UploadError::Unreachable(_)), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(terminal.outbox_state(), (0, 30));

    // HQ comes back on the same address: the same uploader catches up.
    let hq = Hq::start_on(addr, contract());
    let report = uploader.run_once().unwrap();
    assert_eq!((report.sent, report.acked_seq, report.backlog), (30, 30, 0));
    assert_eq!(terminal.outbox_state(), (30, 0));
    assert_eq!(hq.requests()[0].seqs(), (1..=30).collect::<Vec<_>>());
}

#[test]
fn an_answer_claiming_more_than_was_sent_never_acknowledges_unsent_events() {
    let (terminal, _) = Terminal::with_events(1200);
    // First answer: far beyond anything that exists; second: beyond the batch but within
    // what the terminal holds; then honest answers.
    let mut claims = vec![1_000_000u64, 800];
    let hq = Hq::start(Box::new(move |req, held| {
        held.store(req.events());
        if claims.is_empty() {
            return held.answer();
        }
        let claim = claims.remove(0);
        Reply::Status(
            200,
            json!({ "acked_seq": claim, "missing": [] }).to_string(),
        )
    }));
    let mut uploader = terminal.uploader(&hq.url()).with_batch_size(300);

    let first = uploader.run_once().unwrap();
    assert_eq!(first.hq_acked_seq, Some(1_000_000));
    assert_eq!(
        (first.sent, first.acked_seq, first.backlog),
        (300, 300, 900)
    );
    assert_eq!(terminal.outbox_state(), (300, 900));

    let second = uploader.run_once().unwrap();
    assert_eq!(second.hq_acked_seq, Some(800));
    assert_eq!((second.acked_seq, second.backlog), (600, 600));
    assert_eq!(terminal.outbox_state(), (600, 600));

    // Events appended later are not covered by the earlier wild claim either.
    terminal.append(5);
    while uploader.run_once().unwrap().sent > 0 {}
    assert_eq!(terminal.outbox_state(), (1205, 0));
    let firsts: Vec<u64> = hq.requests().iter().map(|r| r.seqs()[0]).collect();
    assert_eq!(firsts, vec![1, 301, 601, 901, 1201]);
}

#[test]
fn an_unreadable_answer_changes_nothing() {
    let (terminal, _) = Terminal::with_events(3);
    let hq = Hq::start(Box::new(|_, _| {
        Reply::Status(200, "{\"acked\": \"all of them\"}".into())
    }));
    let err = terminal.uploader(&hq.url()).run_once().unwrap_err();
    assert!(matches!(err, UploadError::BadAnswer(_)), "{err}");
    assert_eq!(terminal.outbox_state(), (0, 3));
}

#[test]
fn refused_credentials_and_other_rejections_are_reported_as_such() {
    let (terminal, _) = Terminal::with_events(3);
    let mut answers = vec![
        (401, "{\"error\":\"unknown terminal token\"}"),
        (403, "{\"error\":\"terminal disabled\"}"),
        (422, "{\"error\":\"event 2 cannot be applied\"}"),
    ];
    let hq = Hq::start(Box::new(move |_, _| {
        let (code, body) = answers.remove(0);
        Reply::Status(code, body.into())
    }));
    let mut uploader = terminal.uploader(&hq.url());

    let err = uploader.run_once().unwrap_err();
    assert!(
        matches!(&err, UploadError::Refused { status: 401, body } if body.contains("unknown terminal token")),
        "{err}"
    );
    assert!(err.is_refused() && !err.is_offline());
    assert!(err.to_string().contains("credentials"));

    let err = uploader.run_once().unwrap_err();
    assert!(matches!(err, UploadError::Refused { status: 403, .. }));

    let err = uploader.run_once().unwrap_err();
    assert!(matches!(err, UploadError::Rejected { status: 422, .. }));
    assert!(!err.is_refused() && !err.is_offline());
    assert_eq!(terminal.outbox_state(), (0, 3));
}

#[test]
fn a_batch_too_large_for_hq_is_halved_until_it_fits_then_grows_back() {
    let (terminal, events) = Terminal::with_events(300);
    // HQ takes at most 100 events per request.
    let hq = Hq::start(Box::new(|req, held| {
        if req.events().len() > 100 {
            return Reply::Status(413, "{\"error\":\"payload too large\"}".into());
        }
        held.store(req.events());
        held.answer()
    }));
    let mut uploader = terminal.uploader(&hq.url()).with_batch_size(400);
    let mut outcomes = Vec::new();
    while terminal.outbox_state().1 > 0 {
        outcomes.push(match uploader.run_once() {
            Ok(report) => (report.sent, report.acked_seq),
            Err(e) => {
                assert!(
                    matches!(e, UploadError::Rejected { status: 413, .. }),
                    "{e}"
                );
                (0, terminal.outbox_state().0)
            }
        });
        assert!(outcomes.len() < 20, "the uploader must make progress");
    }
    let sizes: Vec<usize> = hq.requests().iter().map(|r| r.events().len()).collect();
    // 300 pending: 300 and 150 are refused, 75 fits; then 150 is refused again, 75...
    assert_eq!(sizes[..4], [300, 150, 75, 150]);
    assert!(sizes.iter().all(|n| *n <= 300));
    assert_eq!(terminal.outbox_state(), (300, 0));
    let held: Vec<Envelope> = hq
        .requests()
        .iter()
        .filter(|r| r.events().len() <= 100)
        .flat_map(|r| r.events())
        .collect();
    assert_eq!(held, events);
    assert_eq!(outcomes[2], (75, 75));
}

#[test]
fn backoff_delays_stay_within_bounds_grow_and_reset() {
    let base = Duration::from_millis(250);
    let cap = Duration::from_secs(30);
    let mut backoff = Backoff::new(base, cap);
    let mut expected_ceiling = base;
    for _ in 0..50 {
        assert_eq!(backoff.ceiling(), expected_ceiling);
        let delay = backoff.next_delay();
        assert!(
            delay <= expected_ceiling,
            "{delay:?} > {expected_ceiling:?}"
        );
        expected_ceiling = (expected_ceiling * 2).min(cap);
    }
    assert_eq!(backoff.ceiling(), cap);
    let spread: Vec<Duration> = (0..100).map(|_| backoff.next_delay()).collect();
    assert!(spread.iter().all(|d| *d <= cap));
    assert!(
        spread.iter().any(|d| *d < cap / 2),
        "full jitter reaches low"
    );
    backoff.reset();
    assert_eq!(backoff.ceiling(), base);
    assert!(backoff.next_delay() <= base);
}
