//! HQ's data sets reaching a running terminal: while the terminal has HQ credentials, a
//! background thread fetches every data set (catalogue, promotions, operators, settings,
//! coupons, members) every `hq.refresh_every` seconds, and the terminal applies the latest
//! fetch between sales, never during one.
//!
//! Fetching (the network) happens off the selling thread; applying happens on it, at the
//! start of a command when no sale is in progress (empty basket, no tender, no member, no
//! sale waiting for its commit), so the prices, promotions and points a sale started with
//! stay the ones it finishes with. Each data set is applied in one transaction, as
//! `storepos sync` applies them; `sync` fetches with [`fetch_until`], which asks again
//! while HQ is away, within the command's time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use storepos_sync::checkpoint::Checkpoint;

use super::hq_client::{self, HqClient, HqUnavailable};
use crate::config::{Config, HqConfig};
use crate::domain::member::Member;
use crate::domain::org::Operator;
use crate::domain::product::Product;
use crate::domain::promotion::Promotion;
use crate::protocol::SignedCode;
use crate::settings::StoreSettings;
use crate::store::{Store, StoreError};

/// Every data set HQ holds for this store, as fetched together.
pub struct DataSets {
    pub catalogue: Checkpoint<Product>,
    pub promotions: Checkpoint<Promotion>,
    pub operators: Checkpoint<Operator>,
    pub settings: Checkpoint<StoreSettings>,
    pub coupons: Checkpoint<SignedCode>,
    pub members: Checkpoint<Member>,
}

/// Fetches every data set (each checked against its checksum).
pub fn fetch(client: &HqClient) -> Result<DataSets, HqUnavailable> {
    Ok(DataSets {
        catalogue: client.checkpoint("catalogue")?,
        promotions: client.checkpoint("promotions")?,
        operators: client.checkpoint("operators")?,
        settings: client.checkpoint("settings")?,
        coupons: client.checkpoint("coupons")?,
        members: client.checkpoint("members")?,
    })
}

/// Longest wait between two attempts of [`fetch_until`].
const RETRY_CAP: Duration = Duration::from_secs(2);

/// Fetches every data set, asking again with growing delays while HQ cannot be reached or
/// cannot serve (a 5xx, a damaged transfer), until `deadline`; no request runs past it.
/// Another refusal (a 4xx) is returned at once; when time runs out, the last failure.
pub fn fetch_until(hq: &HqConfig, deadline: Instant) -> Result<DataSets, HqUnavailable> {
    let mut backoff = storepos_sync::Backoff::new(Duration::from_millis(100), RETRY_CAP);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let client = HqClient::for_sync_within(hq, left).ok_or_else(|| HqUnavailable::Refused {
            status: 401,
            message: "this terminal has no HQ token (`hq.token`)".into(),
        })?;
        match fetch(&client) {
            Ok(sets) => return Ok(sets),
            Err(e) if !e.is_transient() => return Err(e),
            Err(e) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(e);
                }
                tracing::warn!("data sets not fetched, trying again: {e}");
                std::thread::sleep(backoff.next_delay().min(left));
            }
        }
    }
}

/// What applying the data sets did.
#[derive(Debug)]
pub struct Applied {
    pub products: usize,
    pub promotions: usize,
    pub operators: usize,
    /// HQ sent settings: whether they were kept (settings that do not fit this till are
    /// refused by [`crate::settings::keep`] and change nothing).
    pub settings: Option<Result<(), String>>,
    pub codes: usize,
    pub members: usize,
}

/// Applies every data set, each in one transaction; HQ's settings are kept for the till
/// (see [`crate::settings::keep`]). A catalogue with a product at a VAT rate the store
/// does not use (`store.tax_rates`) is refused, and nothing after it is applied.
pub fn apply(store: &mut Store, config: &Config, sets: &DataSets) -> Result<Applied, StoreError> {
    Ok(Applied {
        products: hq_client::apply_catalogue(store, &sets.catalogue, &config.store.tax_rates)?,
        promotions: hq_client::apply_promotions(store, &sets.promotions)?,
        operators: hq_client::apply_operators(store, &sets.operators)?,
        settings: sets
            .settings
            .items
            .first()
            .map(|s| crate::settings::keep(config, store.dir(), s).map_err(|e| e.to_string())),
        codes: hq_client::apply_codes(store, &sets.coupons)?,
        members: hq_client::apply_members(store, &sets.members)?,
    })
}

/// The background fetcher; told to stop when dropped (it is not waited for: a fetch in
/// progress may take up to its timeout, and nothing it holds needs finishing).
pub struct Refresher {
    fetched: mpsc::Receiver<DataSets>,
    stop: Arc<AtomicBool>,
    /// When the latest fetch ended and whether HQ answered it.
    last_fetch: Arc<std::sync::Mutex<Option<LastFetch>>>,
}

/// When a fetch ended and whether HQ answered it.
type LastFetch = (chrono::DateTime<chrono::Utc>, bool);

/// How often the fetcher looks at its stop flag while it waits.
const POLL: Duration = Duration::from_millis(100);

impl Refresher {
    /// Starts fetching every `every` (the first fetch at once); none without `hq.token`.
    pub fn start(config: &Config) -> Option<Refresher> {
        let client = HqClient::for_sync(&config.hq)?;
        let every = Duration::from_secs(config.hq.refresh_every);
        let (send, fetched) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let last_fetch = Arc::new(std::sync::Mutex::new(None));
        let record = last_fetch.clone();
        let note = move |ok: bool| {
            if let Ok(mut last) = record.lock() {
                *last = Some((chrono::Utc::now(), ok));
            }
        };
        std::thread::Builder::new()
            .name("hq-datasets".into())
            .spawn(move || {
                while !stopped.load(Ordering::Relaxed) {
                    match fetch(&client) {
                        Ok(sets) => {
                            note(true);
                            if send.send(sets).is_err() {
                                return;
                            }
                        }
                        // Offline is normal: the till sells on what it has.
                        Err(e) => {
                            note(!e.is_transient());
                            tracing::debug!("data sets not fetched: {e}");
                        }
                    }
                    let next = Instant::now() + every;
                    while Instant::now() < next && !stopped.load(Ordering::Relaxed) {
                        std::thread::sleep(POLL.min(every));
                    }
                }
            })
            .ok()?;
        Some(Refresher {
            fetched,
            stop,
            last_fetch,
        })
    }

    /// When the latest fetch ended and whether HQ answered it (a refusal is an answer).
    pub fn last_fetch(&self) -> Option<LastFetch> {
        self.last_fetch.lock().ok().and_then(|last| *last)
    }

    /// The newest fetch not yet taken (older ones are superseded by it).
    pub fn latest(&self) -> Option<DataSets> {
        self.fetched.try_iter().last()
    }
}

impl Drop for Refresher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
