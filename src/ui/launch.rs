//! Starting the touch UI: the demo store in a window (or full screen) when a display is
//! there; callers fall back to the scripted headless demo when it is not.
//!
//! The windowed demo runs its till as a store would: a local HQ beside it (the scripted
//! demo's, on an embedded SQLite file in the demo directory), the uploader sending the
//! till's events there and the background refresher bringing HQ's data sets back. When
//! HQ cannot start, the till sells offline and says so.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use slint::ComponentHandle;

use super::{AppWindow, Controller, Pos};
use crate::config::Config;
use crate::terminal::Terminal;
use crate::terminal::effects::Counter;

/// Whether a graphical session is there to open a window on (X11 or Wayland).
pub fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// Builds the till's window on `terminal` with the configured devices (simulators unless
/// configured otherwise); `demo` shows the simulated devices' strip.
pub fn build(
    config: &Config,
    terminal: Terminal,
    demo: bool,
) -> Result<(AppWindow, std::rc::Rc<std::cell::RefCell<Controller>>)> {
    let app = AppWindow::new().context("cannot create the till's window")?;
    let pos = app.global::<Pos>();
    pos.set_store_name(format!("{} · {}", config.store.name, config.terminal.id).into());
    pos.set_demo_devices(demo);
    let counter = Counter::start(&config.devices);
    let controller = Controller::attach(&app, terminal, counter);
    Ok((app, controller))
}

/// What runs beside the windowed demo's till: the demo HQ and the uploader, while HQ is up.
pub struct DemoServices {
    /// The till's configuration: the demo HQ's key, URL and token when HQ runs.
    pub config: Config,
    /// Why the till is offline (HQ could not start); none while HQ runs.
    pub offline: Option<String>,
    hq: Option<crate::demo_hq::RunningHq>,
    uploader: Option<crate::cli::RunningUploader>,
    dir: PathBuf,
}

impl DemoServices {
    /// The demo HQ's address, while it runs.
    pub fn hq_url(&self) -> Option<String> {
        self.hq.as_ref().map(|hq| format!("http://{}/", hq.addr))
    }

    /// Gives the uploader a few seconds to send what is left, then stops it and HQ.
    pub fn finish(self) {
        if let Some((stop, status, thread)) = self.uploader {
            crate::cli::finish_upload(&stop, &status, thread, &self.dir);
        }
        drop(self.hq);
    }
}

/// Prepares the windowed demo's till on the demo store in `dir` (seeded if empty, with
/// the demo members' purchase history for their shopping lists): starts the demo HQ,
/// points the till at it with the uploader and the data-set refresher running. If HQ does
/// not start, the till is prepared offline and [`DemoServices::offline`] says why.
pub fn prepare_demo(config: &Config, dir: &Path) -> Result<(Terminal, DemoServices)> {
    let mut store = crate::cli::open_store_at(config, dir)?;
    crate::demo::seed(&mut store)?;
    crate::demo::seed_history(&store, chrono::Utc::now())?;
    let mut config = crate::demo::with_demo_coupon_key(config);
    let (hq, offline) = match crate::demo_hq::start_beside(&config, dir, &store) {
        Ok(hq) => {
            config.hq.url = url::Url::parse(&format!("http://{}/", hq.addr))
                .context("the demo HQ's address")?;
            config.hq.token = Some(hq.token.clone());
            (Some(hq), None)
        }
        Err(e) => {
            // Offline, the till prints the lists HQ sent it last.
            crate::demo::keep_demo_lists(&store, &config, chrono::Utc::now())?;
            (None, Some(format!("{e:#}")))
        }
    };
    let uploader = match &hq {
        Some(_) => crate::cli::start_uploader(&config, dir)?,
        None => None,
    };
    let refresher = hq
        .as_ref()
        .and_then(|_| crate::terminal::datasets::Refresher::start(&config));
    let mut terminal = Terminal::open(store, config.clone())?;
    if let Some((_, status, _)) = &uploader {
        terminal.set_sync(status.clone());
    }
    if let Some(r) = refresher {
        terminal.set_refresher(r);
    }
    let services = DemoServices {
        config,
        offline,
        hq,
        uploader,
        dir: dir.to_path_buf(),
    };
    Ok((terminal, services))
}

/// Runs the demo store in `dir` (seeded if empty) in a window, or full screen.
pub fn run_demo(config: &Config, dir: &Path, fullscreen: bool) -> Result<()> {
    let (terminal, services) = prepare_demo(config, dir)?;
    let config = services.config.clone();
    let (app, controller) = build(&config, terminal, true)?;
    Controller::start_timers(
        &controller,
        Duration::from_millis(20),
        Duration::from_secs(2),
    );
    if fullscreen {
        app.window().set_fullscreen(true);
    }
    println!(
        "{} — touch UI, data in {}. Sign in as 1001 with PIN 1234 (supervisor 2001/2222, manager 9001/9999).",
        config.store.name,
        dir.display()
    );
    match (&services.offline, services.hq_url()) {
        (None, Some(url)) => println!("HQ listening on {url}; the till sends its events there."),
        (reason, _) => {
            let reason = reason.as_deref().unwrap_or("unknown");
            println!("HQ not started ({reason}); the till stays offline and keeps its events.");
            controller.borrow().say_offline(reason);
        }
    }
    app.run().context("the till's window")?;
    drop(controller);
    drop(app);
    services.finish();
    Ok(())
}

/// Runs the demo store in the touch UI, in `dir` or a fresh temporary directory.
pub fn run_demo_in(config: &Config, dir: Option<&Path>, fullscreen: bool) -> Result<()> {
    match dir {
        Some(dir) => run_demo(config, dir, fullscreen),
        None => {
            let temp = tempfile::tempdir().context("cannot create a temporary demo directory")?;
            run_demo(config, temp.path(), fullscreen)
        }
    }
}
