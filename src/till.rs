//! A running till: [`RunningTill::open`] opens the store in a data directory and starts
//! everything a counter runs beside it (the configured devices, the outbox uploader and the
//! data-set refresher, both only with HQ credentials), then opens the terminal core on the
//! store. `storepos terminal` (touch UI or headless), the windowed demo and the UI
//! benchmark all start their till through it, so they run the same till.
//! [`TillServices::finish`] gives the uploader a few seconds to send what the session left.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};

use crate::config::Config;
use crate::store::Store;
use crate::terminal::Terminal;
use crate::terminal::effects::Counter;

/// A till ready to sell: its terminal core, its counter's devices and what runs beside it.
pub struct RunningTill {
    pub terminal: Terminal,
    pub counter: Counter,
    pub services: TillServices,
}

/// What runs beside a till's terminal core: the uploader, while the till has HQ
/// credentials.
pub struct TillServices {
    uploader: Option<Uploading>,
    dir: PathBuf,
}

impl RunningTill {
    /// Opens the store in `dir` and starts the till on it.
    pub fn open(config: &Config, dir: &Path) -> Result<RunningTill> {
        let store = crate::store::Store::open_configured(config, dir)?;
        RunningTill::start(config, store)
    }

    /// Starts the till on an opened store: devices, uploader and refresher (with
    /// `hq.token`), then the terminal core.
    pub fn start(config: &Config, store: Store) -> Result<RunningTill> {
        let dir = store.dir().to_path_buf();
        let counter = Counter::start(&config.devices);
        let uploader = Uploading::start(config, &dir)?;
        let refresher = crate::terminal::datasets::Refresher::start(config);
        let mut terminal = Terminal::open(store, config.clone())?;
        if let Some(u) = &uploader {
            terminal.set_sync(u.status.clone());
        }
        if let Some(r) = refresher {
            terminal.set_refresher(r);
        }
        Ok(RunningTill {
            terminal,
            counter,
            services: TillServices { uploader, dir },
        })
    }
}

impl TillServices {
    /// Gives the uploader a few seconds to send what the session left, then stops it; what
    /// it could not send stays in the outbox for next time.
    pub fn finish(self) {
        if let Some(u) = self.uploader {
            u.finish(&self.dir);
        }
    }
}

/// The outbox uploader running on its thread.
struct Uploading {
    stop: Arc<AtomicBool>,
    status: Arc<storepos_sync::SyncStatus>,
    thread: std::thread::JoinHandle<()>,
}

impl Uploading {
    /// Starts the uploader when the terminal has HQ credentials (`hq.token`).
    fn start(config: &Config, dir: &Path) -> Result<Option<Uploading>> {
        let Some(uploader) = open_uploader(config, dir)? else {
            return Ok(None);
        };
        let stop = Arc::new(AtomicBool::new(false));
        let (thread, status) = uploader.spawn(stop.clone());
        Ok(Some(Uploading {
            stop,
            status,
            thread,
        }))
    }

    fn finish(self, dir: &Path) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
        self.status.nudge();
        let conn = rusqlite::Connection::open(dir.join(crate::store::TERMINAL_FILE)).ok();
        let backlog = || {
            conn.as_ref()
                .and_then(|c| storepos_sync::outbox::backlog(c).ok())
                .unwrap_or(0)
        };
        while backlog() > 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        self.stop.store(true, Ordering::Relaxed);
        self.status.nudge();
        let _ = self.thread.join();
    }
}

/// The uploader of the terminal whose data directory is `dir`, trusting HQ's certificate
/// authority when `hq.ca_file` names one; none without HQ credentials (`hq.token`).
pub(crate) fn open_uploader(
    config: &Config,
    dir: &Path,
) -> Result<Option<storepos_sync::Uploader>> {
    let Some(token) = &config.hq.token else {
        return Ok(None);
    };
    let origin = storepos_sync::outbox::Origin {
        store_id: config.store.id.clone(),
        terminal_id: config.terminal.id.clone(),
    };
    let uploader = storepos_sync::Uploader::open(
        dir.join(crate::store::TERMINAL_FILE),
        origin,
        config.hq.url.as_str(),
        token,
    )
    .map_err(|e| anyhow::anyhow!("uploader: {e}"))?;
    let Some(path) = &config.hq.ca_file else {
        return Ok(Some(uploader));
    };
    let pem = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    uploader
        .with_root_certificate(&pem)
        .map(Some)
        .map_err(|e| anyhow::anyhow!("{e}"))
}
