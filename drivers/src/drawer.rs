//! The cash drawer, wired to the receipt printer's drawer-kick connector.
//!
//! Opening sends a complete `ESC p m t1 t2` with explicit pulse times (the `escpos` crate
//! sends only `ESC p m`, see [`crate::printer::commands`]). Whether the drawer is open is
//! read from the printer's real-time status (connector pin 3); which level means "open"
//! depends on the drawer model and is configurable. The drawer shares the printer's link,
//! so it works over any printer transport, and over the virtual printer in the demo store.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::device::{
    Device, DeviceCategory, DeviceEvent, DeviceStatus, Health, InputDevice, Lifecycle,
    LifecycleState,
};
use crate::error::{DeviceError, DeviceResult, ErrorKind, Stage};
use crate::printer::commands::drawer_kick;
use crate::printer::{
    DrawerKick, DrawerPin, PrinterCore, PrinterProfile, ReceiptPrinter, VirtualPrinter,
};

fn yes() -> bool {
    true
}
fn on_ms() -> u16 {
    100
}
fn off_ms() -> u16 {
    200
}

/// Cash drawer configuration, tagged by `kind`.
///
/// ```toml
/// [drawer]
/// kind = "printer"
/// pin = "pin2"
/// on_ms = 100
/// off_ms = 200
/// open_when_high = true
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DrawerConfig {
    /// A simulated drawer of its own (for a store without one, or for tests). With a
    /// simulated printer, prefer `printer`: the drawer then opens on the virtual printer.
    #[default]
    Simulated,
    /// A drawer on the receipt printer's drawer-kick connector.
    Printer {
        /// Connector pin to pulse.
        #[serde(default)]
        pin: DrawerPin,
        /// Pulse on time in milliseconds.
        #[serde(default = "on_ms")]
        on_ms: u16,
        /// Pulse off time in milliseconds.
        #[serde(default = "off_ms")]
        off_ms: u16,
        /// Whether a high level on pin 3 means "open" (drawer-dependent).
        #[serde(default = "yes")]
        open_when_high: bool,
    },
}

/// A cash drawer.
pub struct CashDrawer {
    lifecycle: Lifecycle,
    core: Arc<Mutex<PrinterCore>>,
    kick: DrawerKick,
    open_when_high: bool,
    last_open: Option<bool>,
    queue: VecDeque<DeviceEvent<Infallible>>,
    poll_every: Duration,
    next_poll: Instant,
}

impl CashDrawer {
    /// A closed drawer wired to `printer`.
    pub fn on_printer(printer: &ReceiptPrinter, kick: DrawerKick, open_when_high: bool) -> Self {
        let core = printer.core();
        let name = format!(
            "cash drawer via {}",
            core.lock().unwrap_or_else(|p| p.into_inner()).describe()
        );
        Self {
            lifecycle: Lifecycle::new(DeviceCategory::CashDrawer, name),
            core,
            kick,
            open_when_high,
            last_open: None,
            queue: VecDeque::new(),
            poll_every: Duration::from_millis(500),
            next_poll: Instant::now(),
        }
    }

    /// Sets how often the open/closed state is polled for events.
    pub fn with_poll_interval(mut self, t: Duration) -> Self {
        self.poll_every = t;
        self
    }

    fn core(&self) -> MutexGuard<'_, PrinterCore> {
        self.core.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn err(&self, stage: Stage, kind: ErrorKind) -> DeviceError {
        DeviceError::new(self.lifecycle.name().to_string(), stage, kind)
    }

    /// Pulses the drawer open.
    pub fn open_drawer(&mut self) -> DeviceResult<()> {
        self.lifecycle.require_enabled()?;
        let cmd = drawer_kick(&self.kick);
        let r = self.core().port.write_all(&cmd);
        r.map_err(|e| self.err(Stage::Write, e.kind))
    }

    /// Whether the drawer is open; `Ok(None)` if the printer link cannot report status.
    pub fn is_open(&mut self) -> DeviceResult<Option<bool>> {
        self.lifecycle.require_claimed()?;
        let status = self.core().query_status();
        let open = status
            .map_err(|e| self.err(Stage::Status, e.kind))?
            .map(|s| s.drawer_pin_high == self.open_when_high);
        if let Some(open) = open {
            if self.last_open.is_some_and(|was| was != open) || self.last_open.is_none() && open {
                self.queue.push_back(DeviceEvent::Status(if open {
                    DeviceStatus::DrawerOpen
                } else {
                    DeviceStatus::DrawerClosed
                }));
            }
            self.last_open = Some(open);
        }
        Ok(open)
    }

    /// Waits until the drawer is closed or `timeout` passes; returns whether it closed.
    pub fn wait_closed(&mut self, timeout: Duration) -> DeviceResult<bool> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.is_open()? {
                None => {
                    return Err(self.err(
                        Stage::Status,
                        ErrorKind::InvalidInput(
                            "this printer link cannot report the drawer".into(),
                        ),
                    ));
                }
                Some(false) => return Ok(true),
                Some(true) if Instant::now() >= deadline => return Ok(false),
                Some(true) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
}

impl Device for CashDrawer {
    fn lifecycle(&self) -> &Lifecycle {
        &self.lifecycle
    }
    fn lifecycle_mut(&mut self) -> &mut Lifecycle {
        &mut self.lifecycle
    }
    fn on_open(&mut self) -> DeviceResult<()> {
        if self.kick.on_ms == 0 {
            return Err(self.err(
                Stage::Open,
                ErrorKind::InvalidInput("drawer pulse needs an on time".into()),
            ));
        }
        Ok(())
    }
    /// The drawer shares the printer's link: claiming holds it, so it stays connected
    /// until both the printer and the drawer are released.
    fn on_claim(&mut self) -> DeviceResult<()> {
        self.core().hold()
    }
    fn on_release(&mut self) {
        self.core().unhold();
        self.last_open = None;
    }
    fn on_check_health(&mut self) -> Health {
        match self.is_open() {
            Ok(Some(true)) => Health::warning(format!("{}: drawer is open", self.name())),
            Ok(Some(false)) => Health::ok(format!("{}: drawer is closed", self.name())),
            Ok(None) => Health::ok(format!(
                "{}: connected (no drawer sensor on this link)",
                self.name()
            )),
            Err(e) => Health::failed(e.to_string()),
        }
    }
}

impl InputDevice for CashDrawer {
    /// A drawer produces no data, only open/closed status events.
    type Data = Infallible;

    fn poll_event(&mut self, timeout: Duration) -> Option<DeviceEvent<Infallible>> {
        if let Some(e) = self.queue.pop_front() {
            return Some(e);
        }
        let deadline = Instant::now() + timeout;
        if self.lifecycle.state() == LifecycleState::Enabled {
            loop {
                if Instant::now() >= self.next_poll {
                    self.next_poll = Instant::now() + self.poll_every;
                    if let Err(e) = self.is_open() {
                        return Some(DeviceEvent::Error(e));
                    }
                    if let Some(e) = self.queue.pop_front() {
                        return Some(e);
                    }
                }
                let now = Instant::now();
                if now >= deadline {
                    return None;
                }
                std::thread::sleep(self.next_poll.min(deadline) - now);
            }
        }
        std::thread::sleep(timeout);
        None
    }
}

/// Builds the configured drawer for `printer` (closed). `Simulated` gets a virtual printer
/// of its own, returned so the UI can close the drawer.
pub fn build(
    config: &DrawerConfig,
    printer: &ReceiptPrinter,
) -> (CashDrawer, Option<VirtualPrinter>) {
    match config {
        DrawerConfig::Simulated => {
            let vp = VirtualPrinter::new(PrinterProfile::default());
            let host = ReceiptPrinter::new(Box::new(vp.clone()), PrinterProfile::default());
            (
                CashDrawer::on_printer(&host, DrawerKick::default(), true),
                Some(vp),
            )
        }
        DrawerConfig::Printer {
            pin,
            on_ms,
            off_ms,
            open_when_high,
        } => (
            CashDrawer::on_printer(
                printer,
                DrawerKick {
                    pin: *pin,
                    on_ms: *on_ms,
                    off_ms: *off_ms,
                },
                *open_when_high,
            ),
            None,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printer::{self, PrinterConfig};

    #[test]
    fn kicks_with_pulse_times_and_reports_open_and_closed() {
        let (mut printer, vp) = printer::build(&PrinterConfig::default());
        let vp = vp.unwrap();
        let cfg: DrawerConfig =
            toml::from_str("kind = \"printer\"\npin = \"pin5\"\non_ms = 60\noff_ms = 120").unwrap();
        let (mut drawer, own) = build(&cfg, &printer);
        assert!(own.is_none());
        drawer.start().unwrap();
        assert_eq!(drawer.is_open().unwrap(), Some(false));
        drawer.open_drawer().unwrap();
        let kicks = vp.kicks();
        assert_eq!(kicks.len(), 1);
        assert_eq!(
            (kicks[0].pin, kicks[0].on_ms, kicks[0].off_ms),
            (1, 60, 120)
        );
        let mut drawer = drawer.with_poll_interval(Duration::from_millis(5));
        assert_eq!(
            drawer.poll_event(Duration::from_millis(200)),
            Some(DeviceEvent::Status(DeviceStatus::DrawerOpen))
        );
        assert_eq!(drawer.check_health().level, crate::HealthLevel::Warning);
        assert!(!drawer.wait_closed(Duration::from_millis(60)).unwrap());
        vp.close_drawer();
        assert!(drawer.wait_closed(Duration::from_millis(500)).unwrap());
        assert_eq!(
            drawer.poll_event(Duration::from_millis(200)),
            Some(DeviceEvent::Status(DeviceStatus::DrawerClosed))
        );
        // The printer keeps working on the shared link while the drawer holds it.
        printer.start().unwrap();
        printer
            .print(&crate::Document::new().line("ok").cut())
            .unwrap();
        drawer.stop();
        printer
            .print(&crate::Document::new().line("still ok").cut())
            .unwrap();
        assert_eq!(vp.jobs().len(), 2);
    }

    #[test]
    fn simulated_drawer_stands_alone() {
        let (printer, _) = printer::build(&PrinterConfig::default());
        let (mut drawer, vp) = build(&DrawerConfig::default(), &printer);
        let vp = vp.unwrap();
        assert!(drawer.open_drawer().is_err(), "must be enabled first");
        drawer.start().unwrap();
        drawer.open_drawer().unwrap();
        assert!(vp.drawer_open());
        assert_eq!(drawer.is_open().unwrap(), Some(true));
    }
}
