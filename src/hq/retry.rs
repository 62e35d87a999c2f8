//! Running a transaction again when the database gave up on it for a reason that may not
//! recur: a serialization failure (40001, usual on distributed engines), a deadlock (40P01)
//! or, on SQLite, a file still busy after its timeout (see [`retryable_db`]).
//! Between attempts HQ waits an exponentially growing, jittered delay, so writers that
//! collided do not collide again in lockstep; after a bounded number of attempts the last
//! error is returned.

use std::future::Future;
use std::time::Duration;

use super::error::HqError;

/// How a failed transaction is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The delay before the second attempt, before jitter; each later one doubles it.
    pub first: Duration,
    /// The longest delay between two attempts.
    pub cap: Duration,
    /// Attempts in all, the first included.
    pub attempts: u32,
}

/// HQ's writes: 2 ms doubling to 200 ms, twelve attempts (about 1.5 s of waiting at most).
pub const WRITES: Backoff = Backoff {
    first: Duration::from_millis(2),
    cap: Duration::from_millis(200),
    attempts: 12,
};

impl Backoff {
    /// The delay after failed attempt `attempt` (1-based): half the doubled base plus a
    /// random part up to the other half ("equal jitter"), so a delay is never shorter than
    /// the one before it and never longer than the cap.
    pub fn delay(&self, attempt: u32, jitter: u32) -> Duration {
        let base = self
            .first
            .saturating_mul(
                1u32.checked_shl(attempt.saturating_sub(1))
                    .unwrap_or(u32::MAX),
            )
            .min(self.cap);
        let half = base / 2;
        let spread = u64::try_from((base - half).as_nanos()).unwrap_or(u64::MAX);
        let extra = if spread == 0 {
            0
        } else {
            u64::from(jitter) % (spread + 1)
        };
        half + Duration::from_nanos(extra)
    }
}

/// Runs `op` (one whole transaction) until it succeeds, fails for a reason that is not
/// worth another attempt, or has failed [`WRITES`]`.attempts` times.
pub async fn retrying<T, F, Fut>(what: &str, op: F) -> Result<T, HqError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, HqError>>,
{
    retrying_if(&WRITES, what, retryable, op).await
}

/// [`retrying`] with its own bound and its own test of which errors are worth another
/// attempt (an ingest also retries a unique key another batch took meanwhile).
pub async fn retrying_if<T, F, Fut>(
    backoff: &Backoff,
    what: &str,
    retry_if: impl Fn(&HqError) -> bool,
    mut op: F,
) -> Result<T, HqError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, HqError>>,
{
    let mut attempt = 1;
    loop {
        match op().await {
            Err(e) if attempt < backoff.attempts && retry_if(&e) => {
                let delay = backoff.delay(attempt, jitter());
                tracing::debug!("{what}: attempt {attempt} failed ({e}); again in {delay:?}");
                tokio::time::sleep(delay).await;
                attempt += 1;
            }
            Err(e) => {
                if attempt > 1 {
                    tracing::warn!("{what}: failed after {attempt} attempts: {e}");
                }
                return Err(e);
            }
            ok => return ok,
        }
    }
}

/// Whether an error is a serialization failure, a deadlock or a busy SQLite file.
pub fn retryable(e: &HqError) -> bool {
    matches!(e, HqError::Db(d) if retryable_db(d))
}

/// Random bits for the jitter; without the system's randomness, the clock's nanoseconds
/// still keep colliding writers apart.
fn jitter() -> u32 {
    getrandom::u32().unwrap_or_else(|_| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    })
}

/// Whether an error is worth running the transaction again for: on PostgreSQL a
/// serialization failure (40001, usual on distributed engines) or a deadlock (40P01: two
/// ingests moving the same members' accounts in different orders; one is rolled back), on
/// SQLite a file still busy after its timeout. Either way nothing of the transaction stayed.
pub fn retryable_db(e: &sqlx::Error) -> bool {
    let sqlx::Error::Database(d) = e else {
        return false;
    };
    // SQLITE_BUSY (5) and its extended codes: BUSY_RECOVERY (261), BUSY_SNAPSHOT (517),
    // BUSY_TIMEOUT (773); SQLITE_LOCKED (6).
    matches!(
        d.code().as_deref(),
        Some("40001" | "40P01" | "5" | "261" | "517" | "773" | "6")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::time::Instant;

    /// An error the database reports for a serialization failure, built as sqlx builds it.
    fn serialization_failure() -> HqError {
        #[derive(Debug)]
        struct Failure;
        impl std::fmt::Display for Failure {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("could not serialize access due to concurrent update")
            }
        }
        impl std::error::Error for Failure {}
        impl sqlx::error::DatabaseError for Failure {
            fn message(&self) -> &str {
                "could not serialize access due to concurrent update"
            }
            fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
                Some("40001".into())
            }
            fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
                self
            }
            fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
                self
            }
            fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
                self
            }
            fn kind(&self) -> sqlx::error::ErrorKind {
                sqlx::error::ErrorKind::Other
            }
        }
        HqError::Db(sqlx::Error::Database(Box::new(Failure)))
    }

    #[test]
    fn delays_double_from_the_first_up_to_the_cap_with_jitter_inside_each() {
        for jitter in [0, 1, 12_345, u32::MAX / 2, u32::MAX] {
            let delays: Vec<Duration> = (1..=12).map(|a| WRITES.delay(a, jitter)).collect();
            for (i, d) in delays.iter().enumerate() {
                let base = (Duration::from_millis(2) * (1 << i)).min(WRITES.cap);
                assert!(*d >= base / 2 && *d <= base, "attempt {}: {d:?}", i + 1);
            }
            assert!(delays.windows(2).all(|w| w[0] <= w[1]), "{delays:?}");
            assert!(delays[11] >= Duration::from_millis(100), "{delays:?}");
        }
        // The jitter spreads colliding writers apart.
        assert_ne!(WRITES.delay(5, 0), WRITES.delay(5, 7_777_777));
        // Far past the last attempt the arithmetic neither overflows nor passes the cap.
        assert!(WRITES.delay(u32::MAX, u32::MAX) <= WRITES.cap);
    }

    #[tokio::test]
    async fn a_retryable_failure_is_tried_again_after_growing_delays() {
        let calls = Mutex::new(Vec::new());
        let answer = retrying("test write", || async {
            let mut calls = calls.lock().unwrap();
            calls.push(Instant::now());
            if calls.len() < 6 {
                Err(serialization_failure())
            } else {
                Ok(calls.len())
            }
        })
        .await
        .unwrap();
        assert_eq!(answer, 6);
        let calls = calls.into_inner().unwrap();
        let gaps: Vec<Duration> = calls.windows(2).map(|w| w[1] - w[0]).collect();
        for (i, gap) in gaps.iter().enumerate() {
            // Never sooner than half the base delay of that attempt: 1, 2, 4, 8, 16 ms.
            assert!(
                *gap >= Duration::from_millis(1 << i),
                "gap {}: {gap:?}",
                i + 1
            );
        }
        assert!(gaps[4] > gaps[0], "{gaps:?}");
    }

    #[tokio::test]
    async fn it_gives_up_after_the_bound_with_the_last_error() {
        let mut calls = 0;
        let started = Instant::now();
        let e = retrying("test write", || {
            calls += 1;
            async { Err::<(), _>(serialization_failure()) }
        })
        .await
        .unwrap_err();
        assert_eq!(calls, WRITES.attempts);
        assert!(retryable(&e), "{e}");
        // It waited between the attempts: at least half of each base delay.
        let least: Duration = (1..WRITES.attempts).map(|a| WRITES.delay(a, 0)).sum();
        assert!(started.elapsed() >= least, "{:?}", started.elapsed());
    }

    #[tokio::test]
    async fn other_errors_are_returned_at_once() {
        let errors: [fn() -> HqError; 2] = [
            || HqError::Invalid("no such store".into()),
            || HqError::Db(sqlx::Error::RowNotFound),
        ];
        for error in errors {
            let mut calls = 0;
            let e = retrying("test write", || {
                calls += 1;
                async move { Err::<(), _>(error()) }
            })
            .await
            .unwrap_err();
            assert_eq!(calls, 1, "{e}");
        }
    }

    #[tokio::test]
    async fn a_caller_chooses_what_else_is_worth_another_attempt() {
        let mut calls = 0;
        let short = Backoff {
            attempts: 3,
            ..WRITES
        };
        let e = retrying_if(
            &short,
            "test ingest",
            |e| matches!(e, HqError::Invalid(m) if m == "taken"),
            || {
                calls += 1;
                async { Err::<(), _>(HqError::Invalid("taken".into())) }
            },
        )
        .await
        .unwrap_err();
        assert_eq!((calls, e.to_string()), (3, "taken".to_string()));
    }
}
