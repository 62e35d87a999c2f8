//! Retry delays for talking to HQ: exponential backoff with full jitter.
//!
//! The ceiling starts at a base delay (250 ms by default) and doubles after every failure
//! up to a cap (30 s by default); each delay is drawn uniformly from `[0, ceiling]`, so many
//! terminals coming back online at once do not hit HQ in step. A success resets it.
//!
//! [`Backoff`] is pure: it computes delays and never sleeps or reads a clock, so the
//! caller decides how to wait and tests can check every value it hands out.

use std::time::Duration;

/// Default first ceiling.
pub const DEFAULT_BASE: Duration = Duration::from_millis(250);
/// Default largest ceiling.
pub const DEFAULT_CAP: Duration = Duration::from_secs(30);

/// Exponential backoff with full jitter.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    /// Failures since the last reset.
    failures: u32,
    rng: XorShift,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new(DEFAULT_BASE, DEFAULT_CAP)
    }
}

impl Backoff {
    /// A backoff from `base` doubling to `cap`, with jitter seeded from the operating
    /// system's random source. A cap below the base is raised to the base.
    pub fn new(base: Duration, cap: Duration) -> Backoff {
        // Without OS randomness the jitter is still spread by the clock; the delays stay
        // within bounds either way.
        let seed = getrandom::u64().unwrap_or_else(|_| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0x9E37_79B9_7F4A_7C15)
        });
        Backoff::with_seed(base, cap, seed)
    }

    /// As [`Backoff::new`], with a fixed seed so the sequence of delays is reproducible.
    pub fn with_seed(base: Duration, cap: Duration, seed: u64) -> Backoff {
        Backoff {
            base,
            cap: cap.max(base),
            failures: 0,
            rng: XorShift::new(seed),
        }
    }

    /// The smallest ceiling, used after the first failure.
    pub fn base(&self) -> Duration {
        self.base
    }

    /// The largest ceiling.
    pub fn cap(&self) -> Duration {
        self.cap
    }

    /// Failures counted since the last reset.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The ceiling the next delay is drawn under: `base * 2^failures`, at most the cap.
    pub fn ceiling(&self) -> Duration {
        let factor = 1u32.checked_shl(self.failures.min(31)).unwrap_or(u32::MAX);
        self.base
            .checked_mul(factor)
            .map_or(self.cap, |d| d.min(self.cap))
    }

    /// Counts a failure and returns how long to wait before the next attempt: a random
    /// duration in `[0, ceiling]`.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self.ceiling();
        self.failures = self.failures.saturating_add(1);
        self.draw(Duration::ZERO, ceiling)
    }

    /// Counts a failure that retrying soon cannot fix (such as refused credentials) and
    /// returns a delay in `[cap / 2, cap]`, so the terminal keeps trying, slowly.
    pub fn slow_delay(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        self.draw(self.cap / 2, self.cap)
    }

    /// Forgets past failures, after a success.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// A uniform duration in `[low, high]`, at nanosecond resolution.
    fn draw(&mut self, low: Duration, high: Duration) -> Duration {
        let low_ns = low.as_nanos().min(u128::from(u64::MAX)) as u64;
        let high_ns = high.as_nanos().min(u128::from(u64::MAX)) as u64;
        let span = high_ns.saturating_sub(low_ns);
        let offset = match span.checked_add(1) {
            Some(n) => self.rng.next() % n,
            None => self.rng.next(),
        };
        Duration::from_nanos(low_ns + offset)
    }
}

/// Marsaglia's xorshift64: plenty for spreading retries, not for anything secret.
#[derive(Debug, Clone)]
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> XorShift {
        // Zero is the one state xorshift never leaves.
        XorShift(if seed == 0 {
            0x2545_F491_4F6C_DD1D
        } else {
            seed
        })
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_double_from_the_base_up_to_the_cap() {
        let mut b = Backoff::with_seed(DEFAULT_BASE, DEFAULT_CAP, 7);
        let mut ceilings = Vec::new();
        for _ in 0..12 {
            ceilings.push(b.ceiling().as_millis());
            b.next_delay();
        }
        assert_eq!(
            ceilings,
            vec![
                250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000, 30000
            ]
        );
    }

    #[test]
    fn reset_starts_again_from_the_base() {
        let mut b = Backoff::with_seed(DEFAULT_BASE, DEFAULT_CAP, 7);
        for _ in 0..5 {
            b.next_delay();
        }
        assert_eq!(b.failures(), 5);
        b.reset();
        assert_eq!(b.failures(), 0);
        assert_eq!(b.ceiling(), DEFAULT_BASE);
        assert!(b.next_delay() <= DEFAULT_BASE);
    }

    #[test]
    fn many_failures_neither_overflow_nor_exceed_the_cap() {
        let mut b = Backoff::with_seed(Duration::from_secs(1), Duration::from_secs(60), 1);
        for _ in 0..10_000 {
            assert!(b.next_delay() <= Duration::from_secs(60));
        }
        assert_eq!(b.ceiling(), Duration::from_secs(60));
    }

    #[test]
    fn the_same_seed_gives_the_same_delays_and_jitter_spreads_them() {
        let run = |seed| {
            let mut b = Backoff::with_seed(DEFAULT_BASE, DEFAULT_CAP, seed);
            (0..20).map(|_| b.next_delay()).collect::<Vec<_>>()
        };
        assert_eq!(run(42), run(42));
        assert_ne!(run(42), run(43));
        // Full jitter: at the cap, draws cover both halves of [0, cap].
        let mut b = Backoff::with_seed(DEFAULT_BASE, DEFAULT_CAP, 9);
        let draws: Vec<_> = (0..200).map(|_| b.next_delay()).skip(10).collect();
        assert!(draws.iter().any(|d| *d < DEFAULT_CAP / 2));
        assert!(draws.iter().any(|d| *d > DEFAULT_CAP / 2));
    }

    #[test]
    fn slow_delays_stay_in_the_upper_half_of_the_cap() {
        let mut b = Backoff::with_seed(DEFAULT_BASE, DEFAULT_CAP, 3);
        for _ in 0..1000 {
            let d = b.slow_delay();
            assert!(d >= DEFAULT_CAP / 2 && d <= DEFAULT_CAP, "{d:?}");
        }
    }

    #[test]
    fn a_cap_below_the_base_is_raised_and_a_zero_seed_still_varies() {
        let mut b = Backoff::with_seed(Duration::from_secs(2), Duration::from_secs(1), 0);
        assert_eq!(b.cap(), Duration::from_secs(2));
        let draws: Vec<_> = (0..10).map(|_| b.next_delay()).collect();
        assert!(draws.iter().all(|d| *d <= Duration::from_secs(2)));
        assert!(draws.windows(2).any(|w| w[0] != w[1]));
    }
}
