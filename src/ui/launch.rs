//! Starting the touch UI: the demo store in a window (or full screen) when a display is
//! there; callers fall back to the scripted headless demo when it is not.

use std::path::Path;
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
    lists: Option<Box<dyn super::ListPrinter>>,
) -> Result<(AppWindow, std::rc::Rc<std::cell::RefCell<Controller>>)> {
    let app = AppWindow::new().context("cannot create the till's window")?;
    let pos = app.global::<Pos>();
    pos.set_store_name(format!("{} · {}", config.store.name, config.terminal.id).into());
    pos.set_demo_devices(demo);
    let counter = Counter::start(&config.devices);
    let controller = Controller::attach(&app, terminal, counter, lists);
    Ok((app, controller))
}

/// Runs the demo store in `dir` (seeded if empty) in a window, or full screen.
pub fn run_demo(config: &Config, dir: &Path, fullscreen: bool) -> Result<()> {
    let mut store = crate::cli::open_store_at(config, dir)?;
    crate::demo::seed(&mut store)?;
    let config = crate::demo::with_demo_coupon_key(config);
    let terminal = Terminal::open(store, config.clone())?;
    let (app, controller) = build(&config, terminal, true, None)?;
    Controller::start_timers(
        &controller,
        Duration::from_millis(20),
        Duration::from_secs(2),
    );
    if fullscreen {
        app.window().set_fullscreen(true);
    }
    println!(
        "{} — touch UI, data in {}. Sign in as 1001 with PIN 1234 (supervisor 2001/2222).",
        config.store.name,
        dir.display()
    );
    app.run().context("the till's window")?;
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
