//! Device drivers for the StorePOS terminal: barcode scanners, card readers, receipt
//! printers, the cash drawer, the customer line display and the scale — everything between
//! the terminal and its hardware, testable without hardware.
//!
//! # How the pieces meet
//!
//! * **Bytes.** A [`transport::Connector`] opens a [`transport::Transport`] (serial port,
//!   USB bulk pipe, TCP, device file, keyboard-wedge input device, pseudo-terminal or an
//!   in-memory fake). A [`port::Port`] wraps a connector so a driver survives unplugging: it
//!   reports the device offline, reopens it and reports it back.
//! * **Lifecycle.** Every driver implements [`Device`] (after UnifiedPOS: open → claim →
//!   enable → disable → release → close). A driver keeps a [`device::Lifecycle`] and hands
//!   it to the trait; the steps, `start`/`stop` and `check_health` are provided, and a
//!   driver overrides only the `on_*` hooks whose steps touch hardware.
//! * **Events.** Input devices also implement [`InputDevice`] and report
//!   [`DeviceEvent`]s: data, errors saying where they happened ([`DeviceError`]) and
//!   status changes ([`DeviceStatus`]). A [`ReaderThread`] forwards them to a channel.
//! * **Scanners and card readers** that send a byte stream are one type,
//!   [`stream::StreamDevice`]: a port plus a [`stream::FrameDecoder`] picked from the
//!   configuration ([`ScannerConfig::decoder`], [`CardReaderConfig::decoder`]). The PN532
//!   NFC reader ([`card::Pn532Reader`]) is asked for cards instead.
//! * **Printing.** A [`Document`] is encoded to ESC/POS for a [`PrinterProfile`] and sent by
//!   the [`ReceiptPrinter`], which checks status between pieces and keeps the document for
//!   a reprint after paper-out. The [`drawer::CashDrawer`] shares the printer's link; the
//!   [`display::LineDisplay`] has a link of its own. The [`Scale`] trait gives a stable
//!   weight from one required `read`, as [`ToledoScale`] does.
//! * **Simulators.** Each device has one that runs through the real decoder or protocol:
//!   [`ScannerSim`], [`CardReaderSim`], [`VirtualPrinter`] (which also renders receipts,
//!   see [`render`]), [`display::VirtualDisplay`] and [`ScaleSim`]; [`sim`] runs scripts
//!   against them.
//! * **Configuration.** [`DeviceConfigs`] (the `[devices]` TOML table, simulators by
//!   default) goes through [`build_all`] to [`Devices`] plus their [`Simulators`];
//!   [`doctor_report`] opens each configured device and says what is wrong.

pub mod card;
pub mod config;
pub mod device;
pub mod display;
pub mod doctor;
pub mod drawer;
pub mod error;
pub mod port;
pub mod printer;
pub mod render;
pub mod scale;
pub mod scanner;
pub mod sim;
pub mod stream;
pub mod transport;

pub use card::{CardData, CardReader, CardReaderConfig, CardReaderSim, CardSource, CardTrack};
pub use config::{DeviceConfigs, Devices, Simulators, build_all};
pub use device::{
    Device, DeviceCategory, DeviceEvent, DeviceStatus, Health, HealthLevel, InputDevice, Lifecycle,
    LifecycleState, ReaderThread,
};
pub use doctor::{DoctorReport, report as doctor_report};
pub use error::{DeviceError, DeviceResult, ErrorKind, ErrorLocus, Stage};
pub use printer::{
    Document, PrinterConfig, PrinterProfile, ReceiptPrinter, TextStyle, VirtualPrinter,
};
pub use scale::{Reading, Scale, ScaleConfig, ScaleError, ScaleSim, ToledoScale};
pub use scanner::{ScanData, Scanner, ScannerConfig, ScannerSim, Symbology};
