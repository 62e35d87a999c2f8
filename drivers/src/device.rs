//! The device model shared by every driver, borrowed from UnifiedPOS.
//!
//! Each device goes through the lifecycle open → claim → enable → disable → release → close,
//! reports [`DeviceEvent`]s (data, errors with where they happened, status changes such as
//! paper-out or drawer-open) and answers [`Device::check_health`].
//!
//! * **open** checks the configuration and prepares the driver; no hardware is touched.
//! * **claim** takes exclusive access to the hardware (opens the port, grabs the input device).
//! * **enable** starts delivering data events; input arriving while disabled is discarded.
//! * **disable**, **release**, **close** undo the steps above in reverse order.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::{DeviceError, DeviceResult, ErrorKind, Stage};

/// The device categories of the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceCategory {
    /// Barcode scanner.
    Scanner,
    /// Magnetic-stripe or NFC card reader.
    CardReader,
    /// Receipt printer.
    ReceiptPrinter,
    /// Cash drawer (kicked through the printer).
    CashDrawer,
    /// Customer-facing line display.
    LineDisplay,
    /// Weighing scale.
    Scale,
}

impl fmt::Display for DeviceCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            DeviceCategory::Scanner => "scanner",
            DeviceCategory::CardReader => "card reader",
            DeviceCategory::ReceiptPrinter => "receipt printer",
            DeviceCategory::CashDrawer => "cash drawer",
            DeviceCategory::LineDisplay => "line display",
            DeviceCategory::Scale => "scale",
        })
    }
}

/// Where a device is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LifecycleState {
    /// Not opened (initial and final state).
    Closed,
    /// Opened: configuration checked, hardware not held.
    Opened,
    /// Claimed: hardware held exclusively, events not delivered.
    Claimed,
    /// Enabled: events delivered.
    Enabled,
}

/// Tracks a device's lifecycle state and rejects out-of-order calls.
#[derive(Debug, Clone)]
pub struct Lifecycle {
    name: String,
    state: LifecycleState,
}

impl Lifecycle {
    /// A closed lifecycle for the named device.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            state: LifecycleState::Closed,
        }
    }

    /// The current state.
    pub fn state(&self) -> LifecycleState {
        self.state
    }

    /// The device name used in errors.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn step(&mut self, from: LifecycleState, to: LifecycleState, call: &str) -> DeviceResult<()> {
        if self.state != from {
            return Err(DeviceError::new(
                self.name.clone(),
                Stage::Lifecycle,
                ErrorKind::WrongState(format!(
                    "{call} needs state {from:?} but the device is {:?}",
                    self.state
                )),
            ));
        }
        self.state = to;
        Ok(())
    }

    /// Closed → Opened.
    pub fn open(&mut self) -> DeviceResult<()> {
        self.step(LifecycleState::Closed, LifecycleState::Opened, "open")
    }
    /// Opened → Claimed.
    pub fn claim(&mut self) -> DeviceResult<()> {
        self.step(LifecycleState::Opened, LifecycleState::Claimed, "claim")
    }
    /// Claimed → Enabled.
    pub fn enable(&mut self) -> DeviceResult<()> {
        self.step(LifecycleState::Claimed, LifecycleState::Enabled, "enable")
    }
    /// Enabled → Claimed.
    pub fn disable(&mut self) -> DeviceResult<()> {
        self.step(LifecycleState::Enabled, LifecycleState::Claimed, "disable")
    }
    /// Claimed → Opened.
    pub fn release(&mut self) -> DeviceResult<()> {
        self.step(LifecycleState::Claimed, LifecycleState::Opened, "release")
    }
    /// Opened → Closed.
    pub fn close(&mut self) -> DeviceResult<()> {
        self.step(LifecycleState::Opened, LifecycleState::Closed, "close")
    }

    /// Fails unless the device is at least claimed.
    pub fn require_claimed(&self) -> DeviceResult<()> {
        if self.state >= LifecycleState::Claimed {
            Ok(())
        } else {
            Err(DeviceError::new(
                self.name.clone(),
                Stage::Lifecycle,
                ErrorKind::WrongState(format!("device must be claimed; it is {:?}", self.state)),
            ))
        }
    }

    /// Fails unless the device is enabled.
    pub fn require_enabled(&self) -> DeviceResult<()> {
        if self.state == LifecycleState::Enabled {
            Ok(())
        } else {
            Err(DeviceError::new(
                self.name.clone(),
                Stage::Lifecycle,
                ErrorKind::WrongState(format!("device must be enabled; it is {:?}", self.state)),
            ))
        }
    }
}

/// A status change reported by a device.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DeviceStatus {
    /// The device is connected and answering.
    Online,
    /// The device stopped answering or was unplugged; the driver keeps trying to reconnect.
    Offline(String),
    /// The device came back after being offline.
    Reconnected,
    /// The paper roll is nearly used up.
    PaperNearEnd,
    /// There is no paper.
    PaperOut,
    /// Paper is present again after a paper-out or near-end.
    PaperOk,
    /// The printer cover is open.
    CoverOpen,
    /// The printer cover was closed again.
    CoverClosed,
    /// The cash drawer is open.
    DrawerOpen,
    /// The cash drawer is closed.
    DrawerClosed,
}

impl DeviceStatus {
    /// A short sentence for the cashier.
    pub fn message(&self, category: DeviceCategory) -> String {
        match self {
            DeviceStatus::Online => format!("The {category} is ready."),
            DeviceStatus::Offline(why) => format!(
                "The {category} is not responding ({why}). Check its cable and power; \
                 the terminal reconnects automatically."
            ),
            DeviceStatus::Reconnected => format!("The {category} is connected again."),
            DeviceStatus::PaperNearEnd => "Receipt paper is running low.".to_string(),
            DeviceStatus::PaperOut => {
                "The printer is out of paper. Load a new roll, then reprint the receipt."
                    .to_string()
            }
            DeviceStatus::PaperOk => "Receipt paper loaded.".to_string(),
            DeviceStatus::CoverOpen => "The printer cover is open. Close it to print.".to_string(),
            DeviceStatus::CoverClosed => "The printer cover is closed.".to_string(),
            DeviceStatus::DrawerOpen => "The cash drawer is open.".to_string(),
            DeviceStatus::DrawerClosed => "The cash drawer is closed.".to_string(),
        }
    }
}

/// An event from an input or output device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceEvent<D> {
    /// Data read from the device (a scanned barcode, a card).
    Data(D),
    /// Something went wrong; the error says where. Any partial data was dropped.
    Error(DeviceError),
    /// The device's status changed.
    Status(DeviceStatus),
}

/// Overall health of a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HealthLevel {
    /// Working.
    Ok,
    /// Working with a warning (paper near end, drawer left open, not claimed).
    Warning,
    /// Not usable.
    Failed,
}

impl fmt::Display for HealthLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            HealthLevel::Ok => "OK",
            HealthLevel::Warning => "WARNING",
            HealthLevel::Failed => "FAILED",
        })
    }
}

/// The answer to [`Device::check_health`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// Overall level.
    pub level: HealthLevel,
    /// What was checked and what was found.
    pub detail: String,
}

impl Health {
    /// A healthy result.
    pub fn ok(detail: impl Into<String>) -> Self {
        Self {
            level: HealthLevel::Ok,
            detail: detail.into(),
        }
    }
    /// A warning.
    pub fn warning(detail: impl Into<String>) -> Self {
        Self {
            level: HealthLevel::Warning,
            detail: detail.into(),
        }
    }
    /// A failure.
    pub fn failed(detail: impl Into<String>) -> Self {
        Self {
            level: HealthLevel::Failed,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.level, self.detail)
    }
}

/// Lifecycle and health, common to every device.
pub trait Device: Send {
    /// The device's category.
    fn category(&self) -> DeviceCategory;
    /// A name for messages, including its transport (e.g. `scanner (serial /dev/ttyACM0)`).
    fn name(&self) -> String;
    /// The current lifecycle state.
    fn state(&self) -> LifecycleState;
    /// Closed → Opened: checks configuration.
    fn open(&mut self) -> DeviceResult<()>;
    /// Opened → Claimed: takes the hardware.
    fn claim(&mut self) -> DeviceResult<()>;
    /// Claimed → Enabled: starts delivering events.
    fn enable(&mut self) -> DeviceResult<()>;
    /// Enabled → Claimed: stops delivering events.
    fn disable(&mut self) -> DeviceResult<()>;
    /// Claimed → Opened: lets go of the hardware.
    fn release(&mut self) -> DeviceResult<()>;
    /// Opened → Closed.
    fn close(&mut self) -> DeviceResult<()>;
    /// Checks the device and says how it is.
    fn check_health(&mut self) -> Health;

    /// Runs open, claim and enable in order.
    fn start(&mut self) -> DeviceResult<()> {
        self.open()?;
        self.claim()?;
        self.enable()
    }

    /// Runs disable, release and close from whatever state the device is in.
    fn stop(&mut self) {
        if self.state() == LifecycleState::Enabled {
            let _ = self.disable();
        }
        if self.state() == LifecycleState::Claimed {
            let _ = self.release();
        }
        if self.state() == LifecycleState::Opened {
            let _ = self.close();
        }
    }
}

/// A device that produces data events (scanner, card reader).
pub trait InputDevice: Device {
    /// The data it produces.
    type Data: Send + 'static;

    /// Waits up to `timeout` for the next event. `None` means nothing happened.
    ///
    /// While the device is claimed but not enabled, incoming data is read and discarded so
    /// that nothing stale is delivered after enabling; status events are still reported.
    fn poll_event(&mut self, timeout: Duration) -> Option<DeviceEvent<Self::Data>>;
}

impl<T: Device + ?Sized> Device for Box<T> {
    fn category(&self) -> DeviceCategory {
        (**self).category()
    }
    fn name(&self) -> String {
        (**self).name()
    }
    fn state(&self) -> LifecycleState {
        (**self).state()
    }
    fn open(&mut self) -> DeviceResult<()> {
        (**self).open()
    }
    fn claim(&mut self) -> DeviceResult<()> {
        (**self).claim()
    }
    fn enable(&mut self) -> DeviceResult<()> {
        (**self).enable()
    }
    fn disable(&mut self) -> DeviceResult<()> {
        (**self).disable()
    }
    fn release(&mut self) -> DeviceResult<()> {
        (**self).release()
    }
    fn close(&mut self) -> DeviceResult<()> {
        (**self).close()
    }
    fn check_health(&mut self) -> Health {
        (**self).check_health()
    }
}

impl<T: InputDevice + ?Sized> InputDevice for Box<T> {
    type Data = T::Data;
    fn poll_event(&mut self, timeout: Duration) -> Option<DeviceEvent<T::Data>> {
        (**self).poll_event(timeout)
    }
}

/// A background reader forwarding an input device's events to a channel.
pub struct ReaderThread {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl ReaderThread {
    /// Moves `device` to a thread that polls it and sends every event to `tx`
    /// (tagged with `tag`, e.g. to tell the scanner from the card reader).
    ///
    /// The thread ends when [`ReaderThread::stop`] is called, when it is dropped,
    /// or when the receiver is gone; the device is then stopped.
    pub fn spawn<D, T, F>(mut device: D, tx: Sender<T>, wrap: F) -> Self
    where
        D: InputDevice + 'static,
        T: Send + 'static,
        F: Fn(DeviceEvent<D::Data>) -> T + Send + 'static,
    {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let handle = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                if let Some(event) = device.poll_event(Duration::from_millis(100))
                    && tx.send(wrap(event)).is_err()
                {
                    break;
                }
            }
            device.stop();
        });
        Self {
            stop,
            handle: Some(handle),
        }
    }

    /// Stops the thread and waits for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

impl Drop for ReaderThread {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_enforces_order() {
        let mut l = Lifecycle::new("scanner");
        assert!(l.claim().is_err());
        assert_eq!(l.state(), LifecycleState::Closed);
        l.open().unwrap();
        assert!(l.enable().is_err());
        l.claim().unwrap();
        l.enable().unwrap();
        assert!(l.require_enabled().is_ok());
        assert!(l.release().is_err(), "release while enabled must fail");
        l.disable().unwrap();
        l.release().unwrap();
        assert!(l.require_claimed().is_err());
        l.close().unwrap();
        assert_eq!(l.state(), LifecycleState::Closed);
        let err = l.close().unwrap_err();
        assert_eq!(err.locus.stage, Stage::Lifecycle);
    }

    #[test]
    fn status_messages_are_sentences() {
        let m = DeviceStatus::Offline("unplugged".into()).message(DeviceCategory::Scanner);
        assert!(m.contains("scanner") && m.contains("unplugged"));
        assert!(
            DeviceStatus::PaperOut
                .message(DeviceCategory::ReceiptPrinter)
                .contains("reprint")
        );
    }
}
