//! Starting the touch UI: the demo store in a window (or full screen) when a display is
//! there; callers fall back to the scripted headless demo when it is not.
//!
//! The windowed demo runs its till as a store would: a local HQ beside it (the scripted
//! demo's, on an embedded SQLite file in the demo directory), the uploader sending the
//! till's events there and the background refresher bringing HQ's data sets back. When
//! HQ cannot start, the till sells offline and says so.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use slint::ComponentHandle;

use super::{AppWindow, Controller, Session, Status};
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
    build_with(config, terminal, Counter::start(&config.devices), demo)
}

/// Builds the till's window on `terminal` with the counter's devices already started.
pub fn build_with(
    config: &Config,
    terminal: Terminal,
    counter: Counter,
    demo: bool,
) -> Result<(AppWindow, std::rc::Rc<std::cell::RefCell<Controller>>)> {
    let app = AppWindow::new().context("cannot create the till's window")?;
    let session = app.global::<Session>();
    session.set_store_name(format!("{} · {}", config.store.name, config.terminal.id).into());
    app.global::<Status>().set_demo_devices(demo);
    // The screens start in the store's language (`store.language`, or HQ's settings).
    let language = terminal.store_language().ui_translation();
    let controller = Controller::attach(&app, terminal, counter);
    session.invoke_set_language(language.into());
    Ok((app, controller))
}

/// Shows the window full screen, or as a window, and runs it until it is closed.
fn show_and_run(
    app: &AppWindow,
    controller: &std::rc::Rc<std::cell::RefCell<Controller>>,
    fullscreen: bool,
) -> Result<()> {
    Controller::start_timers(
        controller,
        Duration::from_millis(20),
        Duration::from_secs(2),
    );
    // The window system's window appears once the event loop runs: place it then (looked
    // for every 20 ms, for at most two seconds).
    let placing = std::rc::Rc::new(slint::Timer::default());
    if fullscreen {
        let weak = app.as_weak();
        let timer = std::rc::Rc::downgrade(&placing);
        let tries = std::cell::Cell::new(0u32);
        placing.start(
            slint::TimerMode::Repeated,
            Duration::from_millis(20),
            move || {
                tries.set(tries.get() + 1);
                let Some(app) = weak.upgrade() else { return };
                let placed = fill_the_screen(&app);
                if !placed && tries.get() < 100 {
                    return;
                }
                if !placed {
                    tracing::warn!(
                        "the screen's size is unknown; full screen is up to the window system"
                    );
                    app.window().set_fullscreen(true);
                }
                if let Some(timer) = timer.upgrade() {
                    timer.stop();
                }
            },
        );
    }
    let run = app.run().context("the till's window");
    drop(placing);
    run
}

/// Ends the window's event loop on SIGTERM (how systemd, a container runtime or `kill`
/// ask a program to stop), so the till ends as when its window closes: the sales queued to
/// the committer are written, the uploader gets its seconds, and the process exits 0.
fn quit_on_sigterm() {
    let watcher = std::thread::Builder::new()
        .name("sigterm".into())
        .spawn(|| {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(e) => return tracing::warn!("cannot watch for SIGTERM: {e}"),
            };
            runtime.block_on(async {
                use tokio::signal::unix::{SignalKind, signal};
                match signal(SignalKind::terminate()) {
                    Ok(mut terminate) => {
                        terminate.recv().await;
                        tracing::info!("SIGTERM: the till closes");
                        if let Err(e) = slint::quit_event_loop() {
                            tracing::warn!("cannot end the window's event loop: {e}");
                        }
                    }
                    Err(e) => tracing::warn!("cannot watch for SIGTERM: {e}"),
                }
            });
        });
    if let Err(e) = watcher {
        tracing::warn!("cannot watch for SIGTERM: {e}");
    }
}

/// Full screen on any display: asks the window manager (Wayland compositors and X window
/// managers honour it), and also places the window over the whole monitor itself, since a
/// bare X server (a kiosk with no window manager) honours no such request. Then takes the
/// keyboard focus, so a keyboard-wedge scanner types into the till from the first second.
fn fill_the_screen(app: &AppWindow) -> bool {
    use slint::winit_030::WinitWindowAccessor as _;
    let placed = app.window().with_winit_window(|w| {
        let Some(monitor) = w.current_monitor().or_else(|| w.primary_monitor()) else {
            return false;
        };
        w.set_outer_position(monitor.position());
        let _ = w.request_inner_size(monitor.size());
        w.focus_window();
        true
    });
    if placed == Some(true) {
        app.window().set_fullscreen(true);
    }
    placed == Some(true)
}

/// Runs the configured store's till in the touch UI: its own catalogue, members and
/// operators, its configured devices and HQ (uploader and data-set refresher when it has
/// `hq.token`), windowed or full screen. No demo strip, no demo HQ.
pub fn run_till(config: &Config, fullscreen: bool) -> Result<()> {
    let till = crate::till::RunningTill::open(config, &config.data_dir)?;
    let (app, controller) = build_with(config, till.terminal, till.counter, false)?;
    quit_on_sigterm();
    let run = show_and_run(&app, &controller, fullscreen);
    drop(controller);
    drop(app);
    till.services.finish();
    run
}

/// What runs beside the windowed demo's till: the demo HQ and the till's uploader.
pub struct DemoServices {
    /// The till's configuration: the demo HQ's key, URL and token when HQ runs.
    pub config: Config,
    /// Why the till is offline (HQ could not start); none while HQ runs.
    pub offline: Option<String>,
    hq: Option<crate::demo_hq::RunningHq>,
    till: crate::till::TillServices,
}

impl DemoServices {
    /// The demo HQ's address, while it runs.
    pub fn hq_url(&self) -> Option<String> {
        self.hq.as_ref().map(|hq| format!("http://{}/", hq.addr))
    }

    /// Gives the uploader a few seconds to send what is left, then stops it and HQ.
    pub fn finish(self) {
        self.till.finish();
        drop(self.hq);
    }
}

/// Prepares the windowed demo's till on the demo store in `dir` (seeded if empty, with
/// the demo members' purchase history for their shopping lists): starts the demo HQ,
/// points the till at it with the uploader and the data-set refresher running. If HQ does
/// not start, the till is prepared offline and [`DemoServices::offline`] says why.
pub fn prepare_demo(config: &Config, dir: &Path) -> Result<(Terminal, Counter, DemoServices)> {
    let mut store = crate::store::Store::open_configured(config, dir)?;
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
    let till = crate::till::RunningTill::start(&config, store)?;
    let services = DemoServices {
        config,
        offline,
        hq,
        till: till.services,
    };
    Ok((till.terminal, till.counter, services))
}

/// Runs the demo store in `dir` (seeded if empty) in a window, or full screen.
pub fn run_demo(config: &Config, dir: &Path, fullscreen: bool) -> Result<()> {
    let (terminal, counter, services) = prepare_demo(config, dir)?;
    let config = services.config.clone();
    let (app, controller) = build_with(&config, terminal, counter, true)?;
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
    let run = show_and_run(&app, &controller, fullscreen);
    drop(controller);
    drop(app);
    services.finish();
    run
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
