//! Effects: what the devices must do after a command (print a receipt, open the drawer),
//! and the [`Counter`] that carries them out on the configured devices.
//!
//! The terminal core only queues effects; it never waits on hardware. A sale is already
//! durable when its `PrintReceipt` is queued, so a printer fault (paper out, unplugged)
//! becomes a warning on the answer and a reprint later, never a lost or half-done sale.

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
        Counter { devices }
    }

    /// The devices, e.g. to reach the simulators.
    pub fn devices(&mut self) -> &mut Devices {
        &mut self.devices
    }

    /// Carries out effects in order and returns a warning per device fault.
    pub fn carry_out(&mut self, effects: Vec<Effect>) -> Vec<String> {
        let mut warnings = Vec::new();
        for effect in effects {
            match effect {
                Effect::OpenDrawer => {
                    if let Err(e) = self.devices.drawer.open_drawer() {
                        warnings.push(format!("cash drawer: {e}; open it with the key"));
                    }
                }
                Effect::PrintReceipt { receipt_no, rows } => {
                    let document = receipt::to_document(&rows);
                    if let Err(e) = self.devices.printer.print(&document) {
                        warnings.push(format!(
                            "receipt printer: {e}; sale {receipt_no} is complete, reprint its receipt when the printer is ready"
                        ));
                    }
                }
                Effect::PrintDocument { what, document } => {
                    if let Err(e) = self.devices.printer.print(&document) {
                        warnings.push(format!("receipt printer: {e}; print {what} again"));
                    }
                }
            }
        }
        warnings
    }

    /// Prints the last receipt again (after loading paper, or for a customer who asks).
    pub fn reprint(&mut self) -> Result<(), String> {
        self.devices
            .printer
            .reprint_last()
            .map_err(|e| format!("receipt printer: {e}"))
    }
}
