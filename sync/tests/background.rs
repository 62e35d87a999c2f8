//! The uploader's background thread: it drains the outbox, wakes when nudged, reports
//! offline and refused credentials through `SyncStatus`, and stops when asked.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::support::{Hq, Reply, Terminal, closed_port, contract, eventually};

#[test]
fn the_background_thread_drains_the_outbox_and_wakes_when_nudged() {
    let (terminal, _) = Terminal::with_events(700);
    let hq = Hq::start(contract());
    let stop = Arc::new(AtomicBool::new(false));
    let (thread, status) = terminal
        .uploader(&hq.url())
        // Long enough that only a nudge explains a prompt upload.
        .with_poll_interval(Duration::from_secs(60))
        .spawn(Arc::clone(&stop));

    eventually("the backlog drains", Duration::from_secs(10), || {
        status.backlog() == 0 && status.acked_seq() == 700
    });
    let snap = status.snapshot();
    assert!(snap.online);
    assert!(snap.last_success.is_some());
    assert_eq!(snap.last_error, None);
    assert_eq!(hq.requests().len(), 2, "two batches, back to back");

    // A sale is committed; the terminal nudges the uploader.
    terminal.append(3);
    status.nudge();
    eventually("the nudge uploads the sale", Duration::from_secs(5), || {
        status.acked_seq() == 703
    });
    assert_eq!(terminal.outbox_state(), (703, 0));

    let asked = Instant::now();
    stop.store(true, Ordering::SeqCst);
    status.nudge();
    thread.join().unwrap();
    assert!(asked.elapsed() < Duration::from_secs(2));
}

#[test]
fn the_background_thread_reports_offline_and_refusal_then_recovers() {
    let (terminal, _) = Terminal::with_events(40);
    let addr = closed_port();
    let stop = Arc::new(AtomicBool::new(false));
    let (thread, status) = terminal
        .uploader(&format!("http://{addr}"))
        .with_poll_interval(Duration::from_millis(50))
        .with_backoff(Duration::from_millis(5), Duration::from_millis(40))
        .spawn(Arc::clone(&stop));

    eventually("an offline report", Duration::from_secs(5), || {
        status.last_error().is_some()
    });
    let snap = status.snapshot();
    assert!(!snap.online);
    assert_eq!((snap.backlog, snap.acked_seq), (40, 0));
    assert!(snap.last_error.unwrap().contains("unreachable"));
    assert_eq!(terminal.outbox_state(), (0, 40));

    // HQ appears but refuses the token until the terminal is enrolled again.
    let enrolled = Arc::new(AtomicBool::new(false));
    let enrolled_at_hq = Arc::clone(&enrolled);
    let hq = Hq::start_on(
        addr,
        Box::new(move |req, held| {
            if !enrolled_at_hq.load(Ordering::SeqCst) {
                return Reply::Status(401, "{\"error\":\"bad token\"}".into());
            }
            held.store(req.events());
            held.answer()
        }),
    );
    eventually("a refusal report", Duration::from_secs(5), || {
        status
            .last_error()
            .is_some_and(|e| e.contains("credentials"))
    });
    assert!(!status.is_online());
    assert_eq!(terminal.outbox_state(), (0, 40));
    enrolled.store(true, Ordering::SeqCst);
    eventually("recovery", Duration::from_secs(10), || {
        status.is_online() && status.backlog() == 0
    });
    assert_eq!(status.acked_seq(), 40);
    assert_eq!(status.last_error(), None);
    assert_eq!(terminal.outbox_state(), (40, 0));
    assert!(hq.requests().len() >= 2);

    stop.store(true, Ordering::SeqCst);
    status.nudge();
    thread.join().unwrap();
}
