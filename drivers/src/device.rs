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
//!
//! The state machine is written once, here: a driver keeps a [`Lifecycle`], implements the
//! two accessors of [`Device`], and overrides an `on_*` hook only where a step does real
//! work. The invariants are listed on [`Device`].

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

/// One step of the lifecycle; each moves the state exactly one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Open,
    Claim,
    Enable,
    Disable,
    Release,
    Close,
}

impl Step {
    /// The state the step starts from and the state it leads to.
    const fn endpoints(self) -> (LifecycleState, LifecycleState) {
        use LifecycleState::*;
        match self {
            Step::Open => (Closed, Opened),
            Step::Claim => (Opened, Claimed),
            Step::Enable => (Claimed, Enabled),
            Step::Disable => (Enabled, Claimed),
            Step::Release => (Claimed, Opened),
            Step::Close => (Opened, Closed),
        }
    }

    const fn call(self) -> &'static str {
        match self {
            Step::Open => "open",
            Step::Claim => "claim",
            Step::Enable => "enable",
            Step::Disable => "disable",
            Step::Release => "release",
            Step::Close => "close",
        }
    }
}

/// A device's identity and lifecycle state: the one piece of state every driver keeps and
/// hands to [`Device`] through [`Device::lifecycle`] / [`Device::lifecycle_mut`].
///
/// Only the provided methods of [`Device`] move the state (the steps are private to this
/// module), so the order open → claim → enable → disable → release → close is enforced in
/// one place for every driver. Drivers read the state and use
/// [`Lifecycle::require_claimed`] / [`Lifecycle::require_enabled`] to guard their own calls.
#[derive(Debug, Clone)]
pub struct Lifecycle {
    category: DeviceCategory,
    name: String,
    state: LifecycleState,
}

impl Lifecycle {
    /// A closed lifecycle for a device of `category` named `name` (e.g.
    /// `scanner (serial /dev/ttyACM0 @ 9600)`).
    pub fn new(category: DeviceCategory, name: impl Into<String>) -> Self {
        Self {
            category,
            name: name.into(),
            state: LifecycleState::Closed,
        }
    }

    /// The current state.
    pub fn state(&self) -> LifecycleState {
        self.state
    }

    /// The device's category.
    pub fn category(&self) -> DeviceCategory {
        self.category
    }

    /// The device name used in messages and errors.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn wrong_state(&self, message: String) -> DeviceError {
        DeviceError::new(
            self.name.clone(),
            Stage::Lifecycle,
            ErrorKind::WrongState(message),
        )
    }

    /// Fails, changing nothing, unless `step` can be taken from the current state.
    fn check(&self, step: Step) -> DeviceResult<()> {
        let (from, _) = step.endpoints();
        if self.state == from {
            Ok(())
        } else {
            Err(self.wrong_state(format!(
                "{} needs state {from:?} but the device is {:?}",
                step.call(),
                self.state
            )))
        }
    }

    /// Takes `step`. Callers have checked it; a wrong step here is a bug in this module.
    fn take(&mut self, step: Step) {
        let (from, to) = step.endpoints();
        debug_assert_eq!(
            self.state,
            from,
            "{} taken from the wrong state",
            step.call()
        );
        // Invariant: the state only ever moves to a neighbouring state.
        debug_assert_eq!((from as u8).abs_diff(to as u8), 1);
        self.state = to;
    }

    /// Fails unless the device is at least claimed.
    pub fn require_claimed(&self) -> DeviceResult<()> {
        if self.state >= LifecycleState::Claimed {
            Ok(())
        } else {
            Err(self.wrong_state(format!("device must be claimed; it is {:?}", self.state)))
        }
    }

    /// Fails unless the device is enabled.
    pub fn require_enabled(&self) -> DeviceResult<()> {
        if self.state == LifecycleState::Enabled {
            Ok(())
        } else {
            Err(self.wrong_state(format!("device must be enabled; it is {:?}", self.state)))
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
///
/// In the embedded-hal manner a driver writes the minimum: it keeps a [`Lifecycle`] and
/// hands it out through [`Device::lifecycle`] and [`Device::lifecycle_mut`]; the steps
/// ([`Device::open`] … [`Device::close`]), [`Device::start`], [`Device::stop`],
/// [`Device::state`], [`Device::name`], [`Device::category`] and [`Device::check_health`]
/// are provided. A driver whose steps touch hardware overrides the matching `on_*` hook;
/// the hooks default to doing nothing.
///
/// Invariants, kept by the provided steps and checked with `debug_assert!`:
///
/// * the state moves only through the provided steps, one neighbouring state at a time;
/// * a step asked for in the wrong state is refused and calls no hook;
/// * a forward hook (`on_open`, `on_claim`, `on_enable`) that fails leaves the state as it
///   was, so a failed claim holds no hardware;
/// * hooks never move the state themselves;
/// * backward hooks (`on_disable`, `on_release`, `on_close`) cannot fail, so [`Device::stop`]
///   always ends closed;
/// * `on_release` runs exactly once for each successful `on_claim`;
/// * [`Device::on_check_health`] runs only while the device is claimed.
pub trait Device: Send {
    /// The device's lifecycle (read-only).
    fn lifecycle(&self) -> &Lifecycle;

    /// The device's lifecycle, for the provided steps to move.
    fn lifecycle_mut(&mut self) -> &mut Lifecycle;

    // The hooks below are called by the provided steps, never directly: the steps check
    // the order and keep the state.

    /// Checks the configuration before the device is opened.
    fn on_open(&mut self) -> DeviceResult<()> {
        Ok(())
    }
    /// Takes the hardware (opens the port, initialises the chip). On failure it must leave
    /// nothing held.
    fn on_claim(&mut self) -> DeviceResult<()> {
        Ok(())
    }
    /// Prepares to deliver events (e.g. drops input that arrived while disabled).
    fn on_enable(&mut self) -> DeviceResult<()> {
        Ok(())
    }
    /// Stops delivering events.
    fn on_disable(&mut self) {}
    /// Lets go of the hardware taken by [`Device::on_claim`].
    fn on_release(&mut self) {}
    /// Last words before closing.
    fn on_close(&mut self) {}
    /// Asks the hardware how it is; called only while the device is claimed.
    fn on_check_health(&mut self) -> Health {
        Health::ok(format!("{} is claimed", self.name()))
    }

    /// The device's category.
    fn category(&self) -> DeviceCategory {
        self.lifecycle().category()
    }
    /// A name for messages, including its transport (e.g. `scanner (serial /dev/ttyACM0)`).
    fn name(&self) -> String {
        self.lifecycle().name().to_string()
    }
    /// The current lifecycle state.
    fn state(&self) -> LifecycleState {
        self.lifecycle().state()
    }

    /// Closed → Opened: checks configuration.
    fn open(&mut self) -> DeviceResult<()> {
        forward(self, Step::Open, Self::on_open)
    }
    /// Opened → Claimed: takes the hardware.
    fn claim(&mut self) -> DeviceResult<()> {
        forward(self, Step::Claim, Self::on_claim)
    }
    /// Claimed → Enabled: starts delivering events.
    fn enable(&mut self) -> DeviceResult<()> {
        forward(self, Step::Enable, Self::on_enable)
    }
    /// Enabled → Claimed: stops delivering events.
    fn disable(&mut self) -> DeviceResult<()> {
        backward(self, Step::Disable, Self::on_disable)
    }
    /// Claimed → Opened: lets go of the hardware.
    fn release(&mut self) -> DeviceResult<()> {
        backward(self, Step::Release, Self::on_release)
    }
    /// Opened → Closed.
    fn close(&mut self) -> DeviceResult<()> {
        backward(self, Step::Close, Self::on_close)
    }

    /// Checks the device and says how it is. An unclaimed device is a warning; a claimed
    /// one is asked through [`Device::on_check_health`].
    fn check_health(&mut self) -> Health {
        if self.state() < LifecycleState::Claimed {
            return Health::warning(format!("{} is not claimed", self.name()));
        }
        let before = self.state();
        let health = self.on_check_health();
        debug_assert_eq!(self.state(), before, "a health check moved the lifecycle");
        health
    }

    /// Runs open, claim and enable in order.
    fn start(&mut self) -> DeviceResult<()> {
        self.open()?;
        self.claim()?;
        self.enable()?;
        debug_assert_eq!(self.state(), LifecycleState::Enabled);
        Ok(())
    }

    /// Runs disable, release and close from whatever state the device is in.
    fn stop(&mut self) {
        // Backward steps taken in their own state cannot fail, so this always ends closed.
        if self.state() == LifecycleState::Enabled {
            let done = self.disable();
            debug_assert!(done.is_ok(), "stop: {done:?}");
        }
        if self.state() == LifecycleState::Claimed {
            let done = self.release();
            debug_assert!(done.is_ok(), "stop: {done:?}");
        }
        if self.state() == LifecycleState::Opened {
            let done = self.close();
            debug_assert!(done.is_ok(), "stop: {done:?}");
        }
        debug_assert_eq!(self.state(), LifecycleState::Closed);
    }
}

/// Open, claim or enable: refuse a wrong-order call before touching anything, run the
/// hook, and move the state only if the hook succeeded.
fn forward<D: Device + ?Sized>(
    device: &mut D,
    step: Step,
    hook: fn(&mut D) -> DeviceResult<()>,
) -> DeviceResult<()> {
    device.lifecycle().check(step)?;
    let before = device.state();
    let done = hook(device);
    debug_assert_eq!(
        device.state(),
        before,
        "the {} hook moved the lifecycle",
        step.call()
    );
    done?;
    device.lifecycle_mut().take(step);
    Ok(())
}

/// Disable, release or close: refuse a wrong-order call, otherwise run the hook (which
/// cannot fail) and move the state.
fn backward<D: Device + ?Sized>(device: &mut D, step: Step, hook: fn(&mut D)) -> DeviceResult<()> {
    device.lifecycle().check(step)?;
    let before = device.state();
    hook(device);
    debug_assert_eq!(
        device.state(),
        before,
        "the {} hook moved the lifecycle",
        step.call()
    );
    device.lifecycle_mut().take(step);
    Ok(())
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

/// A boxed device is a device (configured scanners and card readers are boxed). It forwards
/// what a driver supplies — the accessors, the hooks, the name — so the steps run here on
/// the inner device's lifecycle with the inner device's hooks.
impl<T: Device + ?Sized> Device for Box<T> {
    fn lifecycle(&self) -> &Lifecycle {
        (**self).lifecycle()
    }
    fn lifecycle_mut(&mut self) -> &mut Lifecycle {
        (**self).lifecycle_mut()
    }
    fn on_open(&mut self) -> DeviceResult<()> {
        (**self).on_open()
    }
    fn on_claim(&mut self) -> DeviceResult<()> {
        (**self).on_claim()
    }
    fn on_enable(&mut self) -> DeviceResult<()> {
        (**self).on_enable()
    }
    fn on_disable(&mut self) {
        (**self).on_disable()
    }
    fn on_release(&mut self) {
        (**self).on_release()
    }
    fn on_close(&mut self) {
        (**self).on_close()
    }
    fn on_check_health(&mut self) -> Health {
        (**self).on_check_health()
    }
    fn category(&self) -> DeviceCategory {
        (**self).category()
    }
    fn name(&self) -> String {
        (**self).name()
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

    /// The least a driver can write: its lifecycle and the two accessors.
    struct Minimal {
        lifecycle: Lifecycle,
    }

    impl Device for Minimal {
        fn lifecycle(&self) -> &Lifecycle {
            &self.lifecycle
        }
        fn lifecycle_mut(&mut self) -> &mut Lifecycle {
            &mut self.lifecycle
        }
    }

    fn minimal() -> Minimal {
        Minimal {
            lifecycle: Lifecycle::new(DeviceCategory::Scanner, "scanner (test)"),
        }
    }

    fn refused(r: DeviceResult<()>) -> bool {
        matches!(r, Err(e) if e.locus.stage == Stage::Lifecycle
            && matches!(e.kind, ErrorKind::WrongState(_)))
    }

    #[test]
    fn a_minimal_driver_goes_through_the_whole_lifecycle() {
        let mut d = minimal();
        assert_eq!(d.category(), DeviceCategory::Scanner);
        assert_eq!(d.name(), "scanner (test)");
        assert_eq!(d.state(), LifecycleState::Closed);
        assert_eq!(d.check_health().level, HealthLevel::Warning);
        d.open().unwrap();
        assert_eq!(d.state(), LifecycleState::Opened);
        d.claim().unwrap();
        assert_eq!(d.check_health().level, HealthLevel::Ok);
        d.enable().unwrap();
        assert_eq!(d.state(), LifecycleState::Enabled);
        assert!(d.lifecycle().require_enabled().is_ok());
        d.disable().unwrap();
        d.release().unwrap();
        assert!(d.lifecycle().require_claimed().is_err());
        d.close().unwrap();
        assert_eq!(d.state(), LifecycleState::Closed);
        d.start().unwrap();
        assert_eq!(d.state(), LifecycleState::Enabled);
        d.stop();
        assert_eq!(d.state(), LifecycleState::Closed);
    }

    #[test]
    fn wrong_order_steps_are_refused_and_change_nothing() {
        let mut d = minimal();
        assert!(refused(d.claim()));
        assert!(refused(d.enable()));
        assert!(refused(d.disable()));
        assert!(refused(d.release()));
        assert!(refused(d.close()));
        assert_eq!(d.state(), LifecycleState::Closed);
        d.open().unwrap();
        assert!(refused(d.open()));
        assert!(refused(d.enable()), "enabling an unclaimed device");
        d.claim().unwrap();
        assert!(refused(d.claim()));
        assert!(refused(d.close()), "closing a claimed device");
        d.enable().unwrap();
        assert!(refused(d.release()), "releasing an enabled device");
        assert_eq!(d.state(), LifecycleState::Enabled);
        d.stop();
        let err = d.enable().unwrap_err();
        assert!(
            err.to_string().contains("enable needs state Claimed"),
            "{err}"
        );
    }

    /// A driver with hardware: counts what its hooks did and can be told to fail a claim.
    struct Held {
        lifecycle: Lifecycle,
        fail_claim: bool,
        holding: u32,
        calls: Vec<&'static str>,
    }

    impl Device for Held {
        fn lifecycle(&self) -> &Lifecycle {
            &self.lifecycle
        }
        fn lifecycle_mut(&mut self) -> &mut Lifecycle {
            &mut self.lifecycle
        }
        fn on_claim(&mut self) -> DeviceResult<()> {
            self.calls.push("claim");
            if self.fail_claim {
                return Err(DeviceError::new(
                    self.name(),
                    Stage::Open,
                    ErrorKind::Offline("unplugged".into()),
                ));
            }
            self.holding += 1;
            Ok(())
        }
        fn on_enable(&mut self) -> DeviceResult<()> {
            self.calls.push("enable");
            Ok(())
        }
        fn on_disable(&mut self) {
            self.calls.push("disable");
        }
        fn on_release(&mut self) {
            self.calls.push("release");
            self.holding -= 1;
        }
        fn on_check_health(&mut self) -> Health {
            Health::failed("asked the hardware")
        }
    }

    #[test]
    fn hooks_run_once_per_step_and_a_failed_claim_holds_nothing() {
        let mut d = Held {
            lifecycle: Lifecycle::new(DeviceCategory::ReceiptPrinter, "printer (test)"),
            fail_claim: true,
            holding: 0,
            calls: Vec::new(),
        };
        d.open().unwrap();
        assert!(matches!(d.claim(), Err(e) if matches!(e.kind, ErrorKind::Offline(_))));
        assert_eq!((d.state(), d.holding), (LifecycleState::Opened, 0));
        assert_eq!(
            d.check_health().level,
            HealthLevel::Warning,
            "not asked unclaimed"
        );
        d.fail_claim = false;
        d.calls.clear();
        d.claim().unwrap();
        assert!(
            refused(d.claim()),
            "a second claim is refused before the hook"
        );
        assert_eq!(d.check_health().detail, "asked the hardware");
        d.enable().unwrap();
        d.stop();
        assert_eq!(d.calls, ["claim", "enable", "disable", "release"]);
        assert_eq!((d.state(), d.holding), (LifecycleState::Closed, 0));
    }

    #[test]
    fn boxed_devices_use_their_own_hooks() {
        let held = |fail_claim| -> Box<dyn Device> {
            Box::new(Held {
                lifecycle: Lifecycle::new(DeviceCategory::ReceiptPrinter, "printer (test)"),
                fail_claim,
                holding: 0,
                calls: Vec::new(),
            })
        };
        let mut d = held(true);
        assert!(d.start().is_err());
        assert_eq!(d.state(), LifecycleState::Opened);
        d.stop();
        assert_eq!(d.state(), LifecycleState::Closed);
        let mut d = held(false);
        d.start().unwrap();
        assert_eq!(d.category(), DeviceCategory::ReceiptPrinter);
        assert_eq!(d.check_health().detail, "asked the hardware");
        d.stop();
        assert_eq!(d.state(), LifecycleState::Closed);
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
