//! The uploader: moves the terminal's outbox to HQ, in sequence order, whenever HQ is
//! reachable, and tells the UI how far it has got.
//!
//! Invariant: **the outbox advances only on HQ's acknowledgement of the highest contiguous
//! sequence.** An event is marked acknowledged only when HQ's answer says it holds every
//! event up to it, and never past the highest sequence the uploader sent in that request,
//! so a wrong or hostile answer cannot make the terminal drop an event HQ never received.
//! Everything else (failures, timeouts, gaps HQ reports) leaves the outbox as it is and the
//! next attempt sends again from the lowest unacknowledged event; HQ applies each event
//! once, so sending one twice is harmless.
//!
//! The uploader keeps no state of its own: where it stands is the outbox's acknowledged
//! flags (and a recorded conflict, see below), all in `terminal.db`, so it resumes
//! correctly after a restart, a crash or a power cut.
//!
//! Refusals and conflicts (see [`crate::wire`]): a 422 that is an [`IngestReply`] names
//! events HQ refused; they are recorded in `terminal.db` ([`crate::refusals`]) and the
//! answer acknowledges as a 200 does (HQ holds a parked event; it applies nothing of it).
//! A 409 [`ConflictAnswer`] means HQ holds other events under this terminal's sequences:
//! the conflict is recorded and the uploader sends nothing more under this terminal's
//! identity, this run or any later one, and says why ([`UploadError::Conflict`]).
//!
//! HTTP contract: `POST {hq_url}/v1/events` with `Authorization: Bearer {token}` and body
//! `{"events": [Envelope, ...]}`; HQ answers as [`crate::wire`] states. Any other answer is
//! a failure. The client is blocking: use it from its own thread ([`Uploader::spawn`]),
//! not from inside an async runtime.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use crate::backoff::{self, Backoff};
use crate::envelope::Envelope;
use crate::outbox::{self, Origin, OutboxError};
use crate::refusals;
use crate::wire::{ConflictAnswer, IngestReply, Refusal, SeqConflict, SeqRange};

/// Events sent in one request unless configured otherwise.
pub const DEFAULT_BATCH_SIZE: usize = 500;
/// How long one request may take, connection included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the background thread idles when everything is acknowledged (unless nudged).
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Longest the background thread goes without noticing it was asked to stop.
const STOP_CHECK: Duration = Duration::from_millis(250);
/// How much of an error body is kept for display.
const BODY_SNIPPET: usize = 300;

/// Why an upload attempt failed. Every failure leaves the outbox untouched.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// HQ refused the terminal's credentials (401 or 403). Retrying cannot help until the
    /// terminal is enrolled again, but the uploader keeps trying, slowly.
    #[error("HQ refused this terminal's credentials (HTTP {status}): {body}")]
    Refused { status: u16, body: String },
    /// HQ answered with another status that is not 200 (a 4xx, or an unexpected 1xx/2xx/3xx).
    #[error("HQ rejected the upload (HTTP {status}): {body}")]
    Rejected { status: u16, body: String },
    /// HQ holds other events under this terminal's sequences (a 409): the terminal's data
    /// directory lost part of its life. Recorded; nothing more is sent under this identity.
    #[error(
        "uploading is stopped: HQ holds another event under sequence {} (HQ's {}, this \
         terminal's {}): this terminal's data directory has lost events. Restore terminal.db \
         from a backup, or re-provision the till with a new terminal id. HQ said: {}",
        .0.seq, .0.held_id, .0.sent_id, .0.message
    )]
    Conflict(SeqConflict),
    /// HQ answered with a 5xx: it is up but cannot take events now.
    #[error("HQ is unavailable (HTTP {status}): {body}")]
    Unavailable { status: u16, body: String },
    /// No answer: connection refused or reset, DNS failure, timeout.
    #[error("HQ is unreachable: {0}")]
    Unreachable(String),
    /// HQ answered 200 but not with an [`IngestReply`].
    #[error("HQ's answer could not be read: {0}")]
    BadAnswer(String),
    /// The terminal's own database failed.
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    /// The uploader was given an unusable setting.
    #[error("sync configuration: {0}")]
    Config(String),
}

impl UploadError {
    /// Whether the failure means HQ could not be reached or could not serve the request
    /// (5xx, connection failures, timeouts).
    pub fn is_offline(&self) -> bool {
        matches!(
            self,
            UploadError::Unavailable { .. } | UploadError::Unreachable(_)
        )
    }

    /// Whether HQ refused the terminal's credentials.
    pub fn is_refused(&self) -> bool {
        matches!(self, UploadError::Refused { .. })
    }

    /// Whether HQ found a sequence conflict: uploads under this identity are stopped.
    pub fn is_conflict(&self) -> bool {
        matches!(self, UploadError::Conflict(_))
    }

    /// Whether the failure is local to the terminal (its database or settings) rather
    /// than anything HQ did.
    pub fn is_local(&self) -> bool {
        matches!(self, UploadError::Outbox(_) | UploadError::Config(_))
    }
}

/// What one [`Uploader::run_once`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadReport {
    /// Events sent in the request; 0 when nothing was pending and no request was made.
    pub sent: usize,
    /// Events that became acknowledged because of this answer.
    pub acknowledged: usize,
    /// The `acked_seq` HQ answered, as it said it; `None` when no request was made.
    pub hq_acked_seq: Option<u64>,
    /// Highest sequence acknowledged in the outbox after this attempt.
    pub acked_seq: u64,
    /// Sequences HQ said it lacks (the lowest ranges; see `missing_total`).
    pub missing: Vec<SeqRange>,
    /// How many sequences HQ lacks in all.
    pub missing_total: u64,
    /// Events of this request HQ refused (a 422), now recorded in `terminal.db`.
    pub refused: Vec<Refusal>,
    /// Events still waiting for acknowledgement.
    pub backlog: u64,
}

#[derive(Serialize)]
struct EventsRequest<'a> {
    events: &'a [Envelope],
}

/// Gaps as a reader wants them: `5, 9–12 (7 in all)`; empty when nothing is missing.
pub fn describe_missing(missing: &[SeqRange], total: u64) -> String {
    let mut text = missing
        .iter()
        .map(|r| {
            if r.first == r.last {
                r.first.to_string()
            } else {
                format!("{}–{}", r.first, r.last)
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    let listed: u64 = missing.iter().map(SeqRange::count).sum();
    if total > listed {
        text.push_str(&format!(" ({total} in all)"));
    }
    text
}

/// Moves outbox events to HQ. Owns its own connection to the terminal database.
pub struct Uploader {
    conn: Connection,
    origin: Origin,
    endpoint: String,
    token: String,
    batch_size: usize,
    /// Events asked for in the next request: the batch size, or less after HQ answered
    /// 413 (payload too large), growing back after each success.
    limit: usize,
    timeout: Duration,
    poll_interval: Duration,
    backoff_base: Duration,
    backoff_cap: Duration,
    client: reqwest::blocking::Client,
    /// Highest acknowledged sequence in the outbox; only this uploader moves it.
    acked_seq: u64,
    /// The conflict that stopped uploads under this identity, as recorded.
    conflict: Option<SeqConflict>,
}

impl std::fmt::Debug for Uploader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token stays out of logs.
        f.debug_struct("Uploader")
            .field("origin", &self.origin)
            .field("endpoint", &self.endpoint)
            .field("batch_size", &self.batch_size)
            .field("timeout", &self.timeout)
            .field("acked_seq", &self.acked_seq)
            .finish_non_exhaustive()
    }
}

impl Uploader {
    /// Opens the terminal database at `db_path` (which must already exist, with its
    /// outbox table) and prepares to send its events to the HQ at `hq_url`
    /// (e.g. `https://hq.example.com`) with the terminal's bearer `token`.
    pub fn open(
        db_path: impl AsRef<Path>,
        origin: Origin,
        hq_url: &str,
        token: &str,
    ) -> Result<Uploader, UploadError> {
        let endpoint = endpoint(hq_url)?;
        let conn = Connection::open_with_flags(
            db_path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(OutboxError::from)?;
        conn.busy_timeout(Duration::from_millis(5000))
            .map_err(OutboxError::from)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(OutboxError::from)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(UploadError::Config(format!(
                "the terminal database cannot use WAL (journal mode is {mode})"
            )));
        }
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(OutboxError::from)?;
        // Also proves the outbox and refusal tables are there.
        let acked_seq = outbox::acknowledged_up_to(&conn)?;
        refusals::count(&conn)?;
        let conflict = refusals::conflict(&conn, &origin)?;
        let client = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("storepos-sync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| UploadError::Config(format!("HTTP client: {}", describe(&e))))?;
        Ok(Uploader {
            conn,
            origin,
            endpoint,
            token: token.to_string(),
            batch_size: DEFAULT_BATCH_SIZE,
            limit: DEFAULT_BATCH_SIZE,
            timeout: DEFAULT_TIMEOUT,
            poll_interval: DEFAULT_POLL_INTERVAL,
            backoff_base: backoff::DEFAULT_BASE,
            backoff_cap: backoff::DEFAULT_CAP,
            client,
            acked_seq,
            conflict,
        })
    }

    /// Events per request (at least 1).
    pub fn with_batch_size(mut self, batch_size: usize) -> Uploader {
        self.batch_size = batch_size.max(1);
        self.limit = self.batch_size;
        self
    }

    /// Longest time one request may take.
    pub fn with_timeout(mut self, timeout: Duration) -> Uploader {
        self.timeout = timeout;
        self
    }

    /// How long the background thread idles once everything is acknowledged.
    pub fn with_poll_interval(mut self, poll_interval: Duration) -> Uploader {
        self.poll_interval = poll_interval;
        self
    }

    /// Retry delays of the background thread: from `base` doubling to `cap`.
    pub fn with_backoff(mut self, base: Duration, cap: Duration) -> Uploader {
        self.backoff_base = base;
        self.backoff_cap = cap;
        self
    }

    /// Trusts HQ's certificate authority (PEM) besides the system's, for an HQ served over
    /// TLS with the chain's own certificates.
    pub fn with_root_certificate(mut self, pem: &[u8]) -> Result<Uploader, UploadError> {
        let certificate = reqwest::Certificate::from_pem(pem)
            .map_err(|e| UploadError::Config(format!("HQ certificate: {}", describe(&e))))?;
        self.client = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("storepos-sync/", env!("CARGO_PKG_VERSION")))
            .add_root_certificate(certificate)
            .build()
            .map_err(|e| UploadError::Config(format!("HTTP client: {}", describe(&e))))?;
        Ok(self)
    }

    /// The URL events are posted to.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Highest sequence acknowledged in the outbox.
    pub fn acked_seq(&self) -> u64 {
        self.acked_seq
    }

    /// Events not yet acknowledged.
    pub fn backlog(&self) -> Result<u64, UploadError> {
        Ok(outbox::backlog(&self.conn)?)
    }

    /// The conflict that stopped uploads under this terminal's identity, if any.
    pub fn conflict(&self) -> Option<&SeqConflict> {
        self.conflict.as_ref()
    }

    /// How many refusals of HQ's the terminal has recorded in all.
    pub fn refusal_count(&self) -> Result<u64, UploadError> {
        Ok(refusals::count(&self.conn)?)
    }

    /// The refusals recorded, lowest sequence first, at most `limit`.
    pub fn refusals(&self, limit: usize) -> Result<Vec<refusals::RecordedRefusal>, UploadError> {
        Ok(refusals::list(&self.conn, limit)?)
    }

    /// One attempt: sends up to a batch of pending events, lowest sequence first, and
    /// acknowledges locally what HQ's answer acknowledges, capped at the highest sequence
    /// sent, recording the refusals it names in the same transaction. With nothing pending
    /// it makes no request; after a conflict it makes none either. A 413 (payload too
    /// large) halves the next batch; successes grow it back to the configured size.
    pub fn run_once(&mut self) -> Result<UploadReport, UploadError> {
        if let Some(conflict) = &self.conflict {
            return Err(UploadError::Conflict(conflict.clone()));
        }
        let batch = outbox::pending(&self.conn, &self.origin, self.limit)?;
        let (Some(first), Some(last)) = (batch.first(), batch.last()) else {
            return Ok(UploadReport {
                sent: 0,
                acknowledged: 0,
                hq_acked_seq: None,
                acked_seq: self.acked_seq,
                missing: Vec::new(),
                missing_total: 0,
                refused: Vec::new(),
                backlog: 0,
            });
        };
        // Acknowledgements cover a prefix of the outbox, so everything before the first
        // pending event is acknowledged.
        self.acked_seq = self.acked_seq.max(first.seq.saturating_sub(1));
        let highest_sent = last.seq;
        let answer = match self.post(&batch) {
            Ok(answer) => answer,
            Err(UploadError::Conflict(conflict)) => {
                refusals::record_conflict(&self.conn, &self.origin, &conflict, Utc::now())?;
                self.conflict = Some(conflict.clone());
                return Err(UploadError::Conflict(conflict));
            }
            Err(e) => {
                if matches!(e, UploadError::Rejected { status: 413, .. }) {
                    // Too big for HQ: smaller batches until it fits.
                    self.limit = (batch.len() / 2).max(1);
                }
                return Err(e);
            }
        };
        self.limit = self.limit.saturating_mul(2).min(self.batch_size);
        // Only refusals of events this request sent are HQ's to make.
        let refused: Vec<Refusal> = answer
            .refused
            .into_iter()
            .filter(|r| batch.iter().any(|e| e.seq == r.seq && e.id == r.id))
            .collect();
        // HQ may hold more than this batch (an earlier answer was lost), but only what was
        // sent in this request is known to be the events HQ holds.
        let upto = answer.acked_seq.min(highest_sent);
        // Immediate: the write lock is taken (waiting out the till's commits) before
        // anything is read, so the transaction never has to upgrade a stale snapshot.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(OutboxError::from)?;
        refusals::record(&tx, &refused, Utc::now())?;
        let acknowledged = if upto > self.acked_seq {
            outbox::acknowledge(&tx, upto)?
        } else {
            0
        };
        tx.commit().map_err(OutboxError::from)?;
        if upto > self.acked_seq {
            self.acked_seq = upto;
        }
        debug_assert!(self.acked_seq <= highest_sent || acknowledged == 0);
        Ok(UploadReport {
            sent: batch.len(),
            acknowledged,
            hq_acked_seq: Some(answer.acked_seq),
            acked_seq: self.acked_seq,
            missing: answer.missing,
            missing_total: answer.missing_total,
            refused,
            backlog: outbox::backlog(&self.conn)?,
        })
    }

    fn post(&self, batch: &[Envelope]) -> Result<IngestReply, UploadError> {
        // What is left once this batch is in: HQ shows it as the till's backlog.
        let left = outbox::backlog(&self.conn)?.saturating_sub(batch.len() as u64);
        let response = self
            .client
            .post(&self.endpoint)
            .bearer_auth(&self.token)
            .header(crate::wire::BACKLOG_HEADER, left)
            .timeout(self.timeout)
            .json(&EventsRequest { events: batch })
            .send()
            .map_err(|e| UploadError::Unreachable(describe(&e)))?;
        let status = response.status();
        // An answer cut off half-way is as good as none.
        let body = response
            .text()
            .map_err(|e| UploadError::Unreachable(describe(&e)))?;
        if status == StatusCode::OK {
            return serde_json::from_str(&body)
                .map_err(|e| UploadError::BadAnswer(format!("{e}; body: {}", snippet(&body))));
        }
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            // Refusals: HQ holds (or dropped) the events it names and answers how far it
            // holds the rest. Any other 422 is a rejection of the whole request.
            if let Ok(reply) = serde_json::from_str::<IngestReply>(&body)
                && !reply.refused.is_empty()
            {
                return Ok(reply);
            }
        }
        if status == StatusCode::CONFLICT
            && let Ok(answer) = serde_json::from_str::<ConflictAnswer>(&body)
        {
            return Err(UploadError::Conflict(answer.conflict));
        }
        let (code, body) = (status.as_u16(), snippet(&body));
        Err(match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                UploadError::Refused { status: code, body }
            }
            s if s.is_server_error() => UploadError::Unavailable { status: code, body },
            _ => UploadError::Rejected { status: code, body },
        })
    }

    /// Runs the uploader on a background thread until `stop` is set, and returns the
    /// thread and the status it keeps up to date.
    ///
    /// After a successful request that leaves a backlog it sends the next batch at once;
    /// with everything acknowledged it waits the poll interval or until
    /// [`SyncStatus::nudge`]; after a failure it waits a backoff delay (slowly, near the
    /// cap, when credentials are refused). To stop promptly, set `stop` and nudge; else the
    /// thread notices within a quarter of a second, plus any request in flight.
    ///
    /// After a conflict (recorded now or by an earlier run) the thread records why in the
    /// status and ends: it sends nothing more.
    pub fn spawn(mut self, stop: Arc<AtomicBool>) -> (JoinHandle<()>, Arc<SyncStatus>) {
        let status = Arc::new(SyncStatus::new());
        {
            let mut s = status.state();
            s.acked_seq = self.acked_seq;
            s.backlog = self.backlog().unwrap_or(0);
            s.refused = self.refusal_count().unwrap_or(0);
            // Known before the thread's first turn, so no reader sees a halted uploader
            // as merely idle.
            if let Some(conflict) = &self.conflict {
                let why = UploadError::Conflict(conflict.clone()).to_string();
                s.last_error = Some(why.clone());
                s.halted = Some(why);
            }
        }
        let shared = Arc::clone(&status);
        let handle = std::thread::Builder::new()
            .name("storepos-sync-upload".into())
            .spawn(move || self.work(&shared, &stop))
            .expect("the operating system refused to start the sync thread");
        (handle, status)
    }

    fn work(&mut self, status: &SyncStatus, stop: &AtomicBool) {
        let mut backoff = Backoff::new(self.backoff_base, self.backoff_cap);
        while !stop.load(Ordering::SeqCst) {
            // Cleared before reading the outbox: a nudge for an event appended after the
            // read stays set and brings the thread straight back.
            status.take_nudge();
            match self.run_once() {
                Ok(report) if report.sent == 0 => {
                    status.record_idle(&report);
                    backoff.reset();
                    status.wait(self.poll_interval, true, stop);
                }
                Ok(report) => {
                    let refused = self.refusal_count().ok();
                    status.record_answer(&report, refused);
                    if report.backlog == 0 {
                        backoff.reset();
                        status.wait(self.poll_interval, true, stop);
                    } else if report.acknowledged > 0 {
                        backoff.reset();
                    } else {
                        // HQ answered but took nothing new: don't resend in a tight loop.
                        status.wait(backoff.next_delay(), false, stop);
                    }
                }
                Err(e) if e.is_conflict() => {
                    status.record_halt(&e, self.backlog().ok());
                    return;
                }
                Err(e) => {
                    let backlog = self.backlog().ok();
                    status.record_failure(&e, backlog);
                    let delay = if e.is_refused() {
                        backoff.slow_delay()
                    } else {
                        backoff.next_delay()
                    };
                    status.wait(delay, false, stop);
                }
            }
        }
    }
}

/// `{hq_url}/v1/events`, checked to be an http(s) URL.
fn endpoint(hq_url: &str) -> Result<String, UploadError> {
    let url = format!("{}/v1/events", hq_url.trim().trim_end_matches('/'));
    let parsed = reqwest::Url::parse(&url)
        .map_err(|e| UploadError::Config(format!("HQ URL {hq_url:?}: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(UploadError::Config(format!(
            "HQ URL {hq_url:?} must start with http:// or https://"
        )));
    }
    Ok(url)
}

/// An error with its causes, e.g. "error sending request: ...: Connection refused".
fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn snippet(body: &str) -> String {
    let body = body.trim();
    match body.char_indices().nth(BODY_SNIPPET) {
        Some((cut, _)) => format!("{}…", &body[..cut]),
        None => body.to_string(),
    }
}

/// What the UI shows about sync, as of one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncSnapshot {
    /// The last request HQ answered with 200. Stays as it was while nothing is pending
    /// (no request is made then) and after a local database failure.
    pub online: bool,
    /// Events not yet acknowledged by HQ.
    pub backlog: u64,
    /// Highest sequence acknowledged by HQ.
    pub acked_seq: u64,
    /// Why the last attempt failed, or what was wrong with HQ's last answer; `None`
    /// after a clean success.
    pub last_error: Option<String>,
    /// When HQ last answered with 200.
    pub last_success: Option<DateTime<Utc>>,
    /// Refusals of HQ's the terminal has recorded in all (events HQ keeps but did not apply).
    pub refused: u64,
    /// Why uploading is stopped for good (a sequence conflict at HQ); `None` while it runs.
    pub halted: Option<String>,
}

/// Sync state shared between the upload thread and the rest of the terminal. Reading it
/// takes a lock that is never held across I/O, so a UI thread can poll it freely.
#[derive(Debug, Default)]
pub struct SyncStatus {
    state: Mutex<SyncSnapshot>,
    nudged: Mutex<bool>,
    wake: Condvar,
}

impl SyncStatus {
    /// A status for a terminal whose uploader has not run yet: offline, nothing known.
    pub fn new() -> SyncStatus {
        SyncStatus::default()
    }

    /// Wakes the upload thread if it is idle (e.g. right after a sale is committed), and
    /// lets it see a stop request at once. It does not cut a backoff delay short.
    pub fn nudge(&self) {
        *lock(&self.nudged) = true;
        self.wake.notify_all();
    }

    /// Everything at once, consistent.
    pub fn snapshot(&self) -> SyncSnapshot {
        self.state().clone()
    }

    pub fn is_online(&self) -> bool {
        self.state().online
    }

    pub fn backlog(&self) -> u64 {
        self.state().backlog
    }

    pub fn acked_seq(&self) -> u64 {
        self.state().acked_seq
    }

    pub fn last_error(&self) -> Option<String> {
        self.state().last_error.clone()
    }

    pub fn last_success(&self) -> Option<DateTime<Utc>> {
        self.state().last_success
    }

    pub fn refused(&self) -> u64 {
        self.state().refused
    }

    pub fn halted(&self) -> Option<String> {
        self.state().halted.clone()
    }

    fn state(&self) -> MutexGuard<'_, SyncSnapshot> {
        lock(&self.state)
    }

    fn take_nudge(&self) -> bool {
        std::mem::take(&mut *lock(&self.nudged))
    }

    fn record_idle(&self, report: &UploadReport) {
        let mut s = self.state();
        s.backlog = report.backlog;
        s.acked_seq = report.acked_seq;
    }

    fn record_answer(&self, report: &UploadReport, refused_in_all: Option<u64>) {
        let hq = report.hq_acked_seq.unwrap_or(0);
        let missing = describe_missing(&report.missing, report.missing_total);
        let remark = if let Some(first) = report.refused.first() {
            Some(format!(
                "HQ refused {} event(s), first seq {} ({}): {}",
                report.refused.len(),
                first.seq,
                first.rule,
                first.message
            ))
        } else if hq < report.acked_seq {
            Some(format!(
                "HQ says it holds events only up to {hq}, but acknowledged up to {} before; \
                 missing {missing}",
                report.acked_seq
            ))
        } else if report.acknowledged == 0 && report.backlog > 0 {
            Some(format!(
                "HQ acknowledged nothing new (holds up to {hq}, missing {missing})"
            ))
        } else {
            None
        };
        let mut s = self.state();
        s.online = true;
        s.backlog = report.backlog;
        s.acked_seq = report.acked_seq;
        s.last_error = remark;
        s.last_success = Some(Utc::now());
        if let Some(n) = refused_in_all {
            s.refused = n;
        }
    }

    fn record_halt(&self, error: &UploadError, backlog: Option<u64>) {
        let mut s = self.state();
        if let Some(backlog) = backlog {
            s.backlog = backlog;
        }
        s.last_error = Some(error.to_string());
        s.halted = Some(error.to_string());
    }

    fn record_failure(&self, error: &UploadError, backlog: Option<u64>) {
        let mut s = self.state();
        if !error.is_local() {
            s.online = false;
        }
        if let Some(backlog) = backlog {
            s.backlog = backlog;
        }
        s.last_error = Some(error.to_string());
    }

    /// Waits up to `timeout`, returning early when `stop` is set or, if `nudge_wakes`,
    /// when nudged.
    fn wait(&self, timeout: Duration, nudge_wakes: bool, stop: &AtomicBool) {
        let deadline = Instant::now() + timeout;
        let mut nudged = lock(&self.nudged);
        loop {
            if stop.load(Ordering::SeqCst) || (nudge_wakes && *nudged) {
                return;
            }
            let now = Instant::now();
            if now >= deadline {
                return;
            }
            let slice = (deadline - now).min(STOP_CHECK);
            nudged = self
                .wake
                .wait_timeout(nudged, slice)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// Locks, carrying on past a panic elsewhere: the data is plain values, always whole.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_joins_the_path_and_checks_the_scheme() {
        assert_eq!(
            endpoint("https://hq.example.com/").unwrap(),
            "https://hq.example.com/v1/events"
        );
        assert_eq!(
            endpoint("http://10.0.0.5:8080/api").unwrap(),
            "http://10.0.0.5:8080/api/v1/events"
        );
        assert!(matches!(
            endpoint("ftp://hq.example.com"),
            Err(UploadError::Config(_))
        ));
        assert!(matches!(endpoint("not a url"), Err(UploadError::Config(_))));
    }

    #[test]
    fn long_bodies_are_cut_on_a_character_boundary() {
        let body = "错".repeat(BODY_SNIPPET + 10);
        let cut = snippet(&body);
        assert_eq!(cut.chars().count(), BODY_SNIPPET + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(snippet("  short \n"), "short");
    }

    #[test]
    fn errors_are_classified() {
        let refused = UploadError::Refused {
            status: 401,
            body: String::new(),
        };
        let down = UploadError::Unavailable {
            status: 503,
            body: String::new(),
        };
        assert!(refused.is_refused() && !refused.is_offline());
        assert!(down.is_offline() && !down.is_refused());
        assert!(UploadError::Unreachable("timeout".into()).is_offline());
        assert!(UploadError::Config("x".into()).is_local());
    }
}
