//! The configuration of all the terminal's devices, for embedding in the application's
//! TOML file, and a builder that turns it into devices (plus simulators where configured).
//!
//! Every device defaults to its simulator, so an empty `[devices]` table gives a working
//! demo store with no hardware.

use serde::{Deserialize, Serialize};

use crate::card::{self, CardReader, CardReaderConfig, CardReaderSim};
use crate::display::{self, DisplayConfig, LineDisplay, VirtualDisplay};
use crate::drawer::{self, CashDrawer, DrawerConfig};
use crate::printer::{self, PrinterConfig, ReceiptPrinter, VirtualPrinter};
use crate::scale::ScaleConfig;
use crate::scanner::{self, Scanner, ScannerConfig, ScannerSim};

/// Configuration of every device of one terminal.
///
/// ```toml
/// [devices.scanner]
/// kind = "serial"
/// path = "/dev/ttyACM0"
///
/// [devices.printer]
/// paper = "58mm"
/// [devices.printer.connection]
/// kind = "tcp"
/// host = "192.0.2.10"
///
/// [devices.drawer]
/// kind = "printer"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeviceConfigs {
    /// Barcode scanner.
    pub scanner: ScannerConfig,
    /// Card reader.
    pub card_reader: CardReaderConfig,
    /// Receipt printer.
    pub printer: PrinterConfig,
    /// Cash drawer.
    pub drawer: DrawerConfig,
    /// Customer display.
    pub display: DisplayConfig,
    /// Weighing scale (none unless configured; the terminal reads it for weighed items).
    pub scale: ScaleConfig,
}

/// Handles to the simulators behind simulated devices (for the UI and scripts).
#[derive(Clone, Default)]
pub struct Simulators {
    /// Drives the simulated scanner.
    pub scanner: Option<ScannerSim>,
    /// Drives the simulated card reader.
    pub card_reader: Option<CardReaderSim>,
    /// The virtual receipt printer (its receipts, paper, cover, drawer).
    pub printer: Option<VirtualPrinter>,
    /// The stand-alone virtual drawer, when the drawer is simulated on its own.
    pub drawer: Option<VirtualPrinter>,
    /// The virtual customer display.
    pub display: Option<VirtualDisplay>,
}

/// All devices of a terminal, built but not yet opened.
pub struct Devices {
    /// Barcode scanner.
    pub scanner: Scanner,
    /// Card reader.
    pub card_reader: CardReader,
    /// Receipt printer.
    pub printer: ReceiptPrinter,
    /// Cash drawer (shares the printer's link when wired to it).
    pub drawer: CashDrawer,
    /// Customer display.
    pub display: LineDisplay,
    /// Simulators for the simulated ones.
    pub simulators: Simulators,
}

/// Builds every configured device.
pub fn build_all(configs: &DeviceConfigs) -> Devices {
    let (scanner, scanner_sim) = scanner::build(&configs.scanner);
    let (card_reader, card_sim) = card::build(&configs.card_reader);
    let (printer, printer_sim) = printer::build(&configs.printer);
    let (drawer, drawer_sim) = drawer::build(&configs.drawer, &printer);
    let (display, display_sim) = display::build(&configs.display);
    Devices {
        scanner,
        card_reader,
        printer,
        drawer,
        display,
        simulators: Simulators {
            scanner: scanner_sim,
            card_reader: card_sim,
            printer: printer_sim,
            drawer: drawer_sim,
            display: display_sim,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::Device;

    #[test]
    fn empty_config_is_all_simulated_and_works() {
        let cfg: DeviceConfigs = toml::from_str("").unwrap();
        assert_eq!(cfg, DeviceConfigs::default());
        let mut d = build_all(&cfg);
        assert!(d.simulators.scanner.is_some() && d.simulators.printer.is_some());
        d.scanner.start().unwrap();
        d.card_reader.start().unwrap();
        d.printer.start().unwrap();
        d.drawer.start().unwrap();
        d.display.start().unwrap();
        d.printer
            .print(&crate::Document::new().line("demo").cut())
            .unwrap();
        assert_eq!(d.simulators.printer.unwrap().jobs().len(), 1);
    }

    #[test]
    fn full_config_parses_and_rejects_typos() {
        let text = r#"
            [scanner]
            kind = "hid_pos"
            device = "/dev/hidraw0"
            [card_reader]
            kind = "pn532"
            path = "/dev/ttyUSB1"
            [printer]
            paper = "58mm"
            code_page = "gb18030"
            [printer.connection]
            kind = "usb"
            vendor_id = 0x0416
            product_id = 0x5011
            [drawer]
            kind = "printer"
            open_when_high = false
            [display]
            kind = "serial"
            path = "/dev/ttyUSB2"
            protocol = "cd5220"
            texts = { welcome = "欢迎光临" }
            [scale]
            kind = "serial"
            path = "/dev/ttyUSB3"
        "#;
        let cfg: DeviceConfigs = toml::from_str(text).unwrap();
        assert!(matches!(
            cfg.printer.connection,
            crate::printer::PrinterConnection::Usb {
                vendor_id: 0x0416,
                timeout_ms: 5000,
                ..
            }
        ));
        assert_eq!(
            cfg.scale.stable_within(),
            std::time::Duration::from_millis(3000)
        );
        let sim: DeviceConfigs = toml::from_str("[scale]\nkind = \"simulator\"").unwrap();
        assert!(matches!(sim.scale, ScaleConfig::Simulated { .. }));
        assert_eq!(DeviceConfigs::default().scale, ScaleConfig::None);
        let again: DeviceConfigs = toml::from_str(&toml::to_string(&cfg).unwrap()).unwrap();
        assert_eq!(again, cfg);
        assert!(toml::from_str::<DeviceConfigs>("[printer]\npaper = \"76mm\"").is_err());
        assert!(toml::from_str::<DeviceConfigs>("[printer]\npapr = \"58mm\"").is_err());
        assert!(toml::from_str::<DeviceConfigs>("[scaner]\nkind = \"simulated\"").is_err());
    }
}
