//! Effects: what the devices must do after a command (print a receipt, open the drawer),
//! and the [`Counter`] that carries them out on the configured devices.
//!
//! The terminal core only queues effects; it never waits on hardware. A sale is already
//! durable when its `PrintReceipt` is queued, so a printer fault (paper out, unplugged)
//! becomes a warning on the answer and a reprint later, never a lost or half-done sale.
//!
//! The customer line display (2 rows of `devices.display.columns`, 20 by default) shows
//! the item and its price with the running total on every scan, the total when paying,
//! the change after the sale and a greeting when the till is idle (sign-in, sign-out, a
//! voided sale). Text is cut or padded by display width (a Chinese character takes two
//! columns) and encoded as the display is configured (ASCII or GB18030). A display fault
//! is logged and warned about, and never blocks or fails a sale.

use super::Said;
use crate::said;
use storepos_drivers::{Device, DeviceConfigs, Devices};

use crate::receipt::{self, Row};

/// Something for the devices to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Pulse the cash drawer open (cash tendered or paid out, or an audited no-sale).
    OpenDrawer,
    /// Print a committed sale's receipt.
    PrintReceipt { receipt_no: u64, rows: Vec<Row> },
    /// Print a document that is not a sale's receipt (a member's shopping list).
    PrintDocument {
        what: String,
        document: storepos_drivers::Document,
    },
    /// Show something on the customer line display.
    Display(Show),
}

/// What the customer line display shows (amounts as the till formats them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Show {
    /// The item just scanned or keyed with its amount, and the sale's total below.
    Item {
        name: String,
        price: String,
        total: String,
    },
    /// The total to pay.
    Total(String),
    /// After the sale: the thank-you line and the change given, if any.
    Change(Option<String>),
    /// The idle greeting.
    Greeting,
}

/// The counter's devices: the receipt printer and the cash drawer.
pub struct Counter {
    devices: Devices,
}

impl Counter {
    /// Builds and starts the configured printer and drawer (simulators unless configured).
    /// A device that does not start is reported by the first effect that needs it.
    pub fn start(configs: &DeviceConfigs) -> Counter {
        let mut devices = storepos_drivers::build_all(configs);
        if let Err(e) = devices.printer.start() {
            tracing::warn!("receipt printer did not start: {e}");
        }
        if let Err(e) = devices.drawer.start() {
            tracing::warn!("cash drawer did not start: {e}");
        }
        match devices.display.start() {
            Ok(()) => {
                if let Err(e) = devices.display.welcome() {
                    tracing::warn!("customer display: {e}");
                }
            }
            Err(e) => tracing::warn!("customer display did not start: {e}"),
        }
        Counter { devices }
    }

    /// The devices, e.g. to reach the simulators.
    pub fn devices(&mut self) -> &mut Devices {
        &mut self.devices
    }

    /// Carries out effects in order and returns a warning per device fault.
    pub fn carry_out(&mut self, effects: Vec<Effect>) -> Vec<Said> {
        let mut warnings = Vec::new();
        for effect in effects {
            match effect {
                Effect::OpenDrawer => {
                    if let Err(e) = self.devices.drawer.open_drawer() {
                        warnings.push(said!("cash drawer: {}; open it with the key", e));
                    }
                }
                Effect::PrintReceipt { receipt_no, rows } => {
                    let document = receipt::to_document(&rows);
                    if let Err(e) = self.devices.printer.print(&document) {
                        warnings.push(said!(
                            "receipt printer: {}; sale {} is complete, reprint its receipt when the printer is ready",
                            e,
                            receipt_no
                        ));
                    }
                }
                Effect::PrintDocument { what, document } => {
                    if let Err(e) = self.devices.printer.print(&document) {
                        warnings.push(said!("receipt printer: {}; print {} again", e, what));
                    }
                }
                Effect::Display(show) => {
                    if let Err(e) = self.show(&show) {
                        tracing::warn!("customer display: {e}");
                        warnings.push(said!(
                            "customer display: {}; the sale goes on without it",
                            e
                        ));
                    }
                }
            }
        }
        warnings
    }

    fn show(&mut self, show: &Show) -> storepos_drivers::DeviceResult<()> {
        let display = &mut self.devices.display;
        if display.state() != storepos_drivers::LifecycleState::Enabled {
            // It did not start (unplugged at start-up): try again now.
            display.stop();
            display.start()?;
        }
        match show {
            Show::Item { name, price, total } => display.show_item(name, price, total),
            Show::Total(total) => display.show_total(total),
            Show::Change(change) => display.thank_you(change.as_deref()),
            Show::Greeting => display.welcome(),
        }
    }

    /// Prints the last receipt again (after loading paper, or for a customer who asks).
    pub fn reprint(&mut self) -> Result<(), Said> {
        self.devices
            .printer
            .reprint_last()
            .map_err(|e| said!("receipt printer: {}", e))
    }
}
