//! The committer: a thread of its own that makes sealed sales durable through
//! [`crate::store::sales::commit_sealed`] on its own connection to `terminal.db`. The
//! signing key never reaches it: sales arrive numbered, chained and signed.
//!
//! Why a thread: the fsync that ends every sale waits on the disk, not the processor. With
//! the commit off the counter's thread, the terminal can take the next customer's scans
//! while the previous sales reach the disk, as a cashier does while the receipt prints.
//! Nothing about durability changes: a sale's answer, receipt and drawer kick still wait
//! for its commit (see `Terminal::settle`).
//!
//! Invariants:
//! - the committer is the only writer of sales, journal entries and sale events, and it
//!   commits one sale at a time in submission order, so receipt numbers stay gap-free and
//!   in the order the sales were completed;
//! - after a failed commit it commits nothing more until [`Committer::reset`]: the sales
//!   queued behind the failed one were completed on the assumption that it succeeded, so
//!   they come back refused and the terminal redoes them from the basket it goes back to.

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::store::sales::{self, Committed, Sealed};
use crate::store::{Durability, StoreError, TERMINAL_FILE, open_connection};

enum Message {
    Commit {
        sealed: Box<Sealed>,
        at: DateTime<Utc>,
    },
    /// The terminal has gone back to before the failed sale: commit again from here.
    Reset,
}

/// Why a queued sale was not committed.
pub const CANCELLED: &str = "not committed because an earlier sale failed to commit";

/// Handle to the committer thread; dropping it lets the thread finish its queue and exit.
pub struct Committer {
    jobs: Option<mpsc::Sender<Message>>,
    results: mpsc::Receiver<Result<Committed, String>>,
    /// Submitted and not yet collected.
    in_flight: usize,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Committer {
    /// Starts the thread with its own connection to the data directory's `terminal.db`.
    pub fn start(dir: &Path) -> Result<Committer, StoreError> {
        let mut conn = open_connection(&dir.join(TERMINAL_FILE), Durability::Full)?;
        let (jobs, job_rx) = mpsc::channel::<Message>();
        let (result_tx, results) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("committer".into())
            .spawn(move || {
                let mut failed = false;
                while let Some(message) = next_soon(&job_rx) {
                    let result = match message {
                        Message::Reset => {
                            failed = false;
                            continue;
                        }
                        Message::Commit { .. } if failed => Err(CANCELLED.to_string()),
                        Message::Commit { sealed, at } => {
                            sales::commit_sealed(&mut conn, &sealed, at).map_err(|e| {
                                failed = true;
                                e.to_string()
                            })
                        }
                    };
                    if result_tx.send(result).is_err() {
                        break;
                    }
                }
            })
            .map_err(|e| StoreError::Corrupt(format!("cannot start the committer: {e}")))?;
        Ok(Committer {
            jobs: Some(jobs),
            results,
            in_flight: 0,
            thread: Some(thread),
        })
    }

    fn send(&self, message: Message) -> Result<(), String> {
        let jobs = self.jobs.as_ref().ok_or("the committer has stopped")?;
        jobs.send(message)
            .map_err(|_| "the committer has stopped".to_string())
    }

    /// Hands a sale to the committer; [`Committer::wait`] gives the outcomes in order.
    pub fn submit(&mut self, sealed: Sealed, at: DateTime<Utc>) -> Result<(), String> {
        self.send(Message::Commit {
            sealed: Box::new(sealed),
            at,
        })?;
        self.in_flight += 1;
        Ok(())
    }

    /// The outcome of the oldest submitted sale, waiting for its commit.
    pub fn wait(&mut self) -> Result<Committed, String> {
        if self.in_flight == 0 {
            return Err("no sale is being committed".into());
        }
        self.in_flight -= 1;
        next_soon(&self.results)
            .ok_or_else(|| "the committer stopped before the sale was durable".to_string())?
    }

    /// After a failure: collects the refusals of the sales queued behind it and lets the
    /// committer commit again.
    pub fn reset(&mut self) -> Result<(), String> {
        while self.in_flight > 0 {
            let _ = self.wait();
        }
        self.send(Message::Reset)
    }

    /// Commits a sale and waits for it.
    pub fn commit(&mut self, sealed: Sealed, at: DateTime<Utc>) -> Result<Committed, String> {
        self.submit(sealed, at)?;
        self.wait()
    }
}

/// How long a side polls before it sleeps on the channel. A thread put to sleep takes tens
/// of microseconds to wake on a virtual machine, a large share of a sale that takes a few
/// hundred; polling briefly keeps the hand-over between the two threads at memory speed.
const POLL: Duration = Duration::from_millis(2);

/// The next message: polled for [`POLL`], then waited for. `None` once the sender is gone.
fn next_soon<T>(rx: &mpsc::Receiver<T>) -> Option<T> {
    let started = Instant::now();
    loop {
        match rx.try_recv() {
            Ok(message) => return Some(message),
            Err(mpsc::TryRecvError::Disconnected) => return None,
            Err(mpsc::TryRecvError::Empty) if started.elapsed() < POLL => std::hint::spin_loop(),
            Err(mpsc::TryRecvError::Empty) => return rx.recv().ok(),
        }
    }
}

impl Drop for Committer {
    fn drop(&mut self) {
        // Closing the channel ends the thread's loop after the sales already queued.
        self.jobs.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
