//! HQ's objections to a batch, against a stand-in for HQ on a real loopback HTTP socket:
//! refusals (a 422 that is an `IngestReply`) are recorded and acknowledged as HQ holds
//! them; a sequence conflict (a 409 `ConflictAnswer`) stops the uploads for good, across
//! restarts, and says why.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::support::{Hq, Reply, Script, Terminal, contract, eventually};
use serde_json::json;
use storepos_sync::outbox::Origin;
use storepos_sync::wire::{ConflictAnswer, ErrorBody, Refusal, SeqConflict};
use storepos_sync::{UploadError, Uploader, refusals};

/// HQ keeps every event and refuses (parks) those whose sequence is in `refuse`.
fn refusing(refuse: &'static [u64]) -> Script {
    Box::new(move |req, held| {
        let events = req.events();
        held.store(events.clone());
        let mut reply = held.reply();
        reply.refused = events
            .iter()
            .filter(|e| refuse.contains(&e.seq))
            .map(|e| Refusal {
                seq: e.seq,
                id: e.id,
                rule: "points_not_earned".into(),
                message: format!("sale {} claims points the programme does not give", e.seq),
                parked: true,
            })
            .collect();
        if reply.refused.is_empty() {
            return Reply::Status(200, serde_json::to_string(&reply).unwrap());
        }
        let mut body = serde_json::to_value(&reply).unwrap();
        body["error"] = json!({"code": "refused", "message": "some events broke HQ's rules"});
        Reply::Status(422, body.to_string())
    })
}

fn conflict_answer(seq: u64, sent_id: uuid::Uuid) -> String {
    serde_json::to_string(&ConflictAnswer {
        error: ErrorBody {
            code: "seq_conflict".into(),
            message: format!("HQ holds another event under sequence {seq}"),
        },
        conflict: SeqConflict {
            seq,
            held_id: uuid::Uuid::now_v7(),
            sent_id,
            message: format!("HQ holds another event under sequence {seq}"),
        },
    })
    .unwrap()
}

#[test]
fn refusals_are_acknowledged_as_held_and_recorded_once_each() {
    let (terminal, _) = Terminal::with_events(10);
    let hq = Hq::start(refusing(&[3, 7]));
    let mut uploader = terminal.uploader(&hq.url());

    let report = uploader.run_once().unwrap();
    assert_eq!((report.sent, report.acked_seq, report.backlog), (10, 10, 0));
    assert_eq!(
        report.refused.iter().map(|r| r.seq).collect::<Vec<_>>(),
        vec![3, 7]
    );
    assert_eq!(terminal.outbox_state(), (10, 0));
    let recorded = refusals::list(&terminal.conn(), 10).unwrap();
    assert_eq!(recorded.len(), 2);
    assert_eq!(recorded[0].refusal.rule, "points_not_earned");
    assert!(recorded[1].refusal.message.contains("sale 7"));
    assert!(recorded.iter().all(|r| r.refusal.parked));
    assert_eq!(uploader.refusal_count().unwrap(), 2);
    // Nothing is sent again: the refused events are held at HQ.
    assert_eq!(uploader.run_once().unwrap().sent, 0);
    assert_eq!(hq.requests().len(), 1);
}

#[test]
fn a_refusal_answer_acknowledges_no_more_than_was_sent_nor_records_what_was_not() {
    let (terminal, events) = Terminal::with_events(10);
    let stranger = uuid::Uuid::now_v7();
    let known = events[1].id;
    let hq = Hq::start(Box::new(move |req, held| {
        held.store(req.events());
        let body = json!({
            "acked_seq": 1_000_000,
            "missing": [],
            "missing_total": 0,
            "refused": [
                {"seq": 2, "id": known, "rule": "card_taken", "message": "m", "parked": true},
                // Not an event of this batch: HQ's to claim, not the till's to believe.
                {"seq": 2, "id": stranger, "rule": "card_taken", "message": "m", "parked": true},
                {"seq": 99, "id": stranger, "rule": "card_taken", "message": "m", "parked": true},
            ],
            "error": {"code": "refused", "message": "refused"},
        });
        Reply::Status(422, body.to_string())
    }));
    let mut uploader = terminal.uploader(&hq.url()).with_batch_size(4);
    let report = uploader.run_once().unwrap();
    assert_eq!((report.sent, report.acked_seq, report.backlog), (4, 4, 6));
    assert_eq!(report.refused.len(), 1);
    assert_eq!(report.refused[0].id, known);
    assert_eq!(refusals::count(&terminal.conn()).unwrap(), 1);
    assert_eq!(terminal.outbox_state(), (4, 6));
}

#[test]
fn a_422_that_names_no_refusal_is_still_a_rejection() {
    let (terminal, _) = Terminal::with_events(3);
    let mut answers = vec![
        json!({"error": {"code": "bad_event", "message": "event 2 cannot be applied"}}),
        json!({"acked_seq": 3, "missing": [], "refused": []}),
    ];
    let hq = Hq::start(Box::new(move |_, _| {
        Reply::Status(422, answers.remove(0).to_string())
    }));
    let mut uploader = terminal.uploader(&hq.url());
    for _ in 0..2 {
        let err = uploader.run_once().unwrap_err();
        assert!(
            matches!(err, UploadError::Rejected { status: 422, .. }),
            "{err}"
        );
    }
    assert_eq!(terminal.outbox_state(), (0, 3));
    assert_eq!(refusals::count(&terminal.conn()).unwrap(), 0);
}

#[test]
fn a_conflict_stops_the_uploads_across_restarts_and_says_why() {
    let (terminal, events) = Terminal::with_events(5);
    let sent_id = events[2].id;
    let hq = Hq::start(Box::new(move |_, _| {
        Reply::Status(409, conflict_answer(3, sent_id))
    }));
    let mut uploader = terminal.uploader(&hq.url());

    let err = uploader.run_once().unwrap_err();
    assert!(err.is_conflict() && !err.is_offline() && !err.is_local());
    let UploadError::Conflict(conflict) = &err else {
        panic!("{err}")
    };
    assert_eq!((conflict.seq, conflict.sent_id), (3, sent_id));
    let text = err.to_string();
    for says in [
        "sequence 3",
        "lost events",
        "backup",
        "new terminal id",
        "stopped",
    ] {
        assert!(text.contains(says), "{says:?} missing from: {text}");
    }
    assert_eq!(terminal.outbox_state(), (0, 5), "nothing acknowledged");

    // Neither this uploader nor a new one (a restarted till) sends anything more.
    assert!(uploader.run_once().unwrap_err().is_conflict());
    let mut restarted = terminal.uploader(&hq.url());
    assert_eq!(restarted.conflict().map(|c| c.seq), Some(3));
    assert!(restarted.run_once().unwrap_err().is_conflict());
    assert_eq!(hq.requests().len(), 1);

    // Re-provisioned under a new terminal id, the data directory uploads again.
    let other = Hq::start(contract());
    let origin = Origin {
        store_id: "S001".into(),
        terminal_id: "T09".into(),
    };
    let mut reprovisioned = Uploader::open(&terminal.path, origin, &other.url(), "t").unwrap();
    assert_eq!(reprovisioned.run_once().unwrap().acked_seq, 5);
}

#[test]
fn a_409_that_is_not_a_conflict_answer_stops_nothing() {
    let (terminal, _) = Terminal::with_events(2);
    let mut first = true;
    let hq = Hq::start(Box::new(move |req, held| {
        if std::mem::take(&mut first) {
            return Reply::Status(409, "{\"error\":\"busy\"}".into());
        }
        held.store(req.events());
        held.answer()
    }));
    let mut uploader = terminal.uploader(&hq.url());
    let err = uploader.run_once().unwrap_err();
    assert!(
        matches!(err, UploadError::Rejected { status: 409, .. }),
        "{err}"
    );
    assert_eq!(uploader.run_once().unwrap().acked_seq, 2);
}

#[test]
fn the_background_thread_reports_refusals_and_ends_on_a_conflict() {
    let (terminal, events) = Terminal::with_events(6);
    // First the refusals of 2 and 5; once more events arrive, a conflict on 7.
    let conflicted = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&conflicted);
    let mut refuse = refusing(&[2, 5]);
    let hq = Hq::start(Box::new(move |req, held| {
        if req.seqs().contains(&7) {
            flag.store(true, Ordering::SeqCst);
            return Reply::Status(409, conflict_answer(7, req.events()[0].id));
        }
        refuse(req, held)
    }));
    let stop = Arc::new(AtomicBool::new(false));
    let (thread, status) = terminal
        .uploader(&hq.url())
        .with_poll_interval(Duration::from_millis(50))
        .with_backoff(Duration::from_millis(5), Duration::from_millis(40))
        .spawn(Arc::clone(&stop));
    eventually("the refusals reported", Duration::from_secs(5), || {
        status.refused() == 2 && status.backlog() == 0
    });
    let snap = status.snapshot();
    assert!(snap.online);
    assert_eq!(snap.acked_seq, 6);
    assert_eq!(snap.halted, None);
    assert!(
        snap.last_error
            .as_deref()
            .is_some_and(|e| e.contains("refused 2")),
        "{:?}",
        snap.last_error
    );
    assert_eq!(events.len(), 6);

    terminal.append(3);
    status.nudge();
    eventually("the conflict reported", Duration::from_secs(5), || {
        status.halted().is_some()
    });
    assert!(conflicted.load(Ordering::SeqCst));
    assert!(status.halted().unwrap().contains("sequence 7"));
    // The thread ends by itself, and nothing more is sent, however it is nudged.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !thread.is_finished() {
        assert!(Instant::now() < deadline, "the upload thread kept running");
        std::thread::sleep(Duration::from_millis(10));
    }
    let requests = hq.requests().len();
    status.nudge();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(hq.requests().len(), requests);
    assert_eq!(terminal.outbox_state(), (6, 3));
    stop.store(true, Ordering::SeqCst);
    thread.join().unwrap();

    // A restarted till's thread says why at once and sends nothing.
    let (thread, status) = terminal
        .uploader(&hq.url())
        .spawn(Arc::new(AtomicBool::new(false)));
    thread.join().unwrap();
    assert!(status.halted().unwrap().contains("sequence 7"));
    assert_eq!(status.refused(), 2);
    assert_eq!(hq.requests().len(), requests);
}
