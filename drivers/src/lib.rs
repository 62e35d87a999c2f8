//! Device drivers for the StorePOS terminal: barcode scanners, card readers, receipt
//! printers, the cash drawer and the customer line display and the scale — everything between the
//! terminal and its hardware, testable without hardware.
//!
//! The model follows UnifiedPOS: every device has a lifecycle
//! (open → claim → enable → disable → release → close, see [`device::Device`]), reports
//! [`device::DeviceEvent`]s (data, errors saying where they happened, status changes) and
//! answers `check_health()`. Devices talk through small transport traits
//! ([`transport::Transport`], [`transport::Connector`]) so each runs on a serial port, USB,
//! TCP, a device file, a keyboard-wedge input device, a pseudo-terminal or an in-memory
//! fake. Every device also has a simulator so the demo store runs with no hardware.

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

pub use card::{CardData, CardReader, CardReaderConfig, CardSource, CardTrack};
pub use config::{DeviceConfigs, Devices, Simulators, build_all};
pub use device::{
    Device, DeviceCategory, DeviceEvent, DeviceStatus, Health, HealthLevel, InputDevice,
    LifecycleState, ReaderThread,
};
pub use doctor::{DoctorReport, report as doctor_report};
pub use error::{DeviceError, DeviceResult, ErrorKind, ErrorLocus, Stage};
pub use printer::{
    Document, PrinterConfig, PrinterProfile, ReceiptPrinter, TextStyle, VirtualPrinter,
};
pub use scale::{Reading, Scale, ScaleConfig, ScaleError, ScaleSim, ToledoScale};
pub use scanner::{ScanData, Scanner, ScannerConfig, Symbology};
pub use sim::{CardReaderSim, ScannerSim};
