//! `storepos doctor`: lists the configured devices and what is plugged in (serial ports,
//! USB printers by vendor/product id, evdev input devices), opens each configured device,
//! reports its health, and for a permission error points at the package's udev rules (the
//! `storepos` group, stable names such as `/dev/storepos-scanner0`) or a local rule keyed
//! on the device's USB ids.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::card::CardReaderConfig;
use crate::config::{DeviceConfigs, build_all};
use crate::device::{Device, DeviceCategory, Health, HealthLevel};
use crate::display::DisplayConfig;
use crate::drawer::DrawerConfig;
use crate::error::{DeviceError, ErrorKind};
use crate::printer::PrinterConnection;
use crate::scale::ScaleConfig;
use crate::scanner::ScannerConfig;

/// What a configured device is attached to, for hints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attachment {
    /// A simulator.
    Simulated,
    /// A serial port.
    Serial(PathBuf),
    /// An evdev input device (keyboard wedge).
    Input(PathBuf),
    /// A hidraw node.
    Hidraw(PathBuf),
    /// A USB device by vendor/product id.
    Usb {
        /// Vendor id.
        vendor_id: u16,
        /// Product id.
        product_id: u16,
    },
    /// A printer device file.
    DeviceFile(PathBuf),
    /// A network address.
    Network(String),
    /// Through the receipt printer.
    Printer,
}

/// The check of one configured device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCheck {
    /// Category.
    pub category: DeviceCategory,
    /// Device name with its transport.
    pub name: String,
    /// What it is attached to.
    pub attachment: Attachment,
    /// Health after opening and claiming it (or why that failed).
    pub health: Health,
    /// A suggested fix, e.g. a udev rule for a permission error.
    pub hint: Option<String>,
}

/// A serial port found on the system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectedSerial {
    /// Device path.
    pub path: String,
    /// USB vendor:product and product name, if it is a USB serial device.
    pub usb: Option<String>,
}

/// A USB device with a printer interface (class 7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectedUsbPrinter {
    /// Vendor id.
    pub vendor_id: u16,
    /// Product id.
    pub product_id: u16,
    /// Bus number.
    pub bus: u8,
    /// Address on the bus.
    pub address: u8,
}

/// An evdev input device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectedInput {
    /// Device path.
    pub path: PathBuf,
    /// Name the device reports.
    pub name: String,
    /// Whether it can type (has letter, digit and Enter keys): a keyboard or wedge device.
    pub types_keys: bool,
}

/// The doctor's findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoctorReport {
    /// One entry per configured device.
    pub configured: Vec<DeviceCheck>,
    /// Serial ports present.
    pub serial_ports: Vec<DetectedSerial>,
    /// Why serial ports could not be listed, if so.
    pub serial_error: Option<String>,
    /// USB printers present.
    pub usb_printers: Vec<DetectedUsbPrinter>,
    /// Why USB devices could not be listed, if so.
    pub usb_error: Option<String>,
    /// Input devices present.
    pub inputs: Vec<DetectedInput>,
}

impl DoctorReport {
    /// True if every configured device is healthy (warnings allowed).
    pub fn all_ok(&self) -> bool {
        self.configured
            .iter()
            .all(|c| c.health.level != HealthLevel::Failed)
    }
}

/// The USB vendor and product ids of the device behind a device node (`/dev/ttyACM0`,
/// `/dev/input/event7`, `/dev/hidraw3`, `/dev/usb/lp0`), read from sysfs; `None` when it
/// is not a USB device or sysfs is not there.
fn usb_ids(path: &Path) -> Option<(String, String)> {
    let real = std::fs::canonicalize(path).ok()?;
    let kernel = real.file_name()?.to_str()?.to_string();
    let class = ["tty", "input", "hidraw", "usbmisc"]
        .into_iter()
        .map(|c| Path::new("/sys/class").join(c).join(&kernel))
        .find(|p| p.exists())?;
    let mut dir = std::fs::canonicalize(class.join("device")).ok()?;
    loop {
        let read = |name: &str| {
            std::fs::read_to_string(dir.join(name))
                .ok()
                .map(|s| s.trim().to_string())
        };
        if let (Some(vendor), Some(product)) = (read("idVendor"), read("idProduct")) {
            return Some((vendor, product));
        }
        if !dir.pop() || dir == Path::new("/sys") {
            return None;
        }
    }
}

/// The stable name the package's udev rules give a device of this kind, and the udev
/// subsystem of its node.
fn stable_name(category: DeviceCategory, attachment: &Attachment) -> (&'static str, &'static str) {
    let subsystem = match attachment {
        Attachment::Input(_) => "input",
        Attachment::Hidraw(_) => "hidraw",
        Attachment::DeviceFile(_) => "usbmisc",
        Attachment::Usb { .. } => "usb",
        _ => "tty",
    };
    let name = match (category, attachment) {
        (DeviceCategory::Scanner, Attachment::Input(_)) => "storepos-scanner-kbd0",
        (DeviceCategory::Scanner, Attachment::Hidraw(_)) => "storepos-scanner-hidpos0",
        (DeviceCategory::Scanner, _) => "storepos-scanner0",
        (DeviceCategory::CardReader, Attachment::Input(_)) => "storepos-card-kbd0",
        (DeviceCategory::CardReader, _) => "storepos-card0",
        (DeviceCategory::ReceiptPrinter | DeviceCategory::CashDrawer, _) => "storepos-printer0",
        (DeviceCategory::LineDisplay, _) => "storepos-display0",
        (DeviceCategory::Scale, _) => "storepos-scale0",
    };
    (name, subsystem)
}

/// What to do about a device the till's user may not open: the package's udev rules
/// (`/lib/udev/rules.d/60-storepos.rules`) give known POS devices group `storepos` and a
/// stable name such as `/dev/storepos-scanner0`; a device they do not know gets a local
/// rule keyed on its USB ids (never on a kernel name such as `ttyACM0`, which changes when
/// it is replugged).
pub fn udev_hint(category: DeviceCategory, attachment: &Attachment) -> Option<String> {
    let (ids, path) = match attachment {
        Attachment::Serial(p)
        | Attachment::Input(p)
        | Attachment::Hidraw(p)
        | Attachment::DeviceFile(p) => (usb_ids(p), Some(p.as_path())),
        Attachment::Usb {
            vendor_id,
            product_id,
        } => (
            Some((format!("{vendor_id:04x}"), format!("{product_id:04x}"))),
            None,
        ),
        Attachment::Simulated | Attachment::Network(_) | Attachment::Printer => return None,
    };
    let (name, subsystem) = stable_name(category, attachment);
    let (vendor, product) = ids.unwrap_or_else(|| ("VVVV".into(), "PPPP".into()));
    let (attr, symlink) = if subsystem == "usb" {
        ("ATTR", String::new())
    } else {
        ("ATTRS", format!(", SYMLINK+=\"{name}\""))
    };
    let kernel = if subsystem == "input" {
        "KERNEL==\"event*\", "
    } else {
        ""
    };
    let rule = format!(
        "SUBSYSTEM==\"{subsystem}\", {kernel}{attr}{{idVendor}}==\"{vendor}\", \
         {attr}{{idProduct}}==\"{product}\"{symlink}, GROUP=\"storepos\", MODE=\"0660\""
    );
    let configure = match (subsystem, path) {
        ("usb", _) => String::new(),
        (_, Some(p)) if !p.to_string_lossy().contains("storepos-") => format!(
            " and configure /dev/{name} rather than {} (kernel names change when a device \
             is replugged)",
            p.display()
        ),
        _ => String::new(),
    };
    let ids_from = match path {
        Some(p) => format!(" (`udevadm info {}` shows its ids)", p.display()),
        None => String::new(),
    };
    Some(format!(
        "permission denied: the till's user must be in group storepos (usermod -aG storepos \
         storepos, then log in again) and the device must be one the package's udev rules \
         (/lib/udev/rules.d/60-storepos.rules) give to that group{configure}. A device those \
         rules do not know: add this line to /etc/udev/rules.d/61-storepos-local.rules{ids_from}\n    \
         {rule}\n  then run `udevadm control --reload && udevadm trigger`"
    ))
}

fn hint_for(
    error: &DeviceError,
    category: DeviceCategory,
    attachment: &Attachment,
) -> Option<String> {
    match &error.kind {
        ErrorKind::PermissionDenied(_) => udev_hint(category, attachment),
        ErrorKind::NotFound(_) => Some(match attachment {
            Attachment::Usb { .. } => {
                "not plugged in, or wrong vendor/product id (see the USB printers found below)"
                    .to_string()
            }
            Attachment::Network(_) => "check the address and that the printer is on".to_string(),
            _ => "not plugged in, or wrong path (see the devices found below)".to_string(),
        }),
        ErrorKind::Busy(_) => {
            Some("another program holds the device (is a second terminal running?)".to_string())
        }
        _ => None,
    }
}

fn check<D: Device + ?Sized>(device: &mut D, attachment: Attachment) -> DeviceCheck {
    let category = device.category();
    let name = device.name();
    let outcome = device.open().and_then(|_| device.claim());
    let (health, hint) = match outcome {
        Ok(()) => (device.check_health(), None),
        Err(e) => {
            let hint = hint_for(&e, category, &attachment);
            (Health::failed(e.to_string()), hint)
        }
    };
    device.stop();
    DeviceCheck {
        category,
        name,
        attachment,
        health,
        hint,
    }
}

fn scanner_attachment(c: &ScannerConfig) -> Attachment {
    match c {
        ScannerConfig::Simulated => Attachment::Simulated,
        ScannerConfig::Serial { path, .. } => Attachment::Serial(path.clone()),
        ScannerConfig::Wedge { device, .. } => Attachment::Input(device.clone()),
        ScannerConfig::HidPos { device } => Attachment::Hidraw(device.clone()),
    }
}

fn card_attachment(c: &CardReaderConfig) -> Attachment {
    match c {
        CardReaderConfig::Simulated => Attachment::Simulated,
        CardReaderConfig::MagStripe { path, .. } | CardReaderConfig::Pn532 { path, .. } => {
            Attachment::Serial(path.clone())
        }
        CardReaderConfig::Wedge { device, .. } => Attachment::Input(device.clone()),
    }
}

fn printer_attachment(c: &PrinterConnection) -> Attachment {
    match c {
        PrinterConnection::Simulated { .. } => Attachment::Simulated,
        PrinterConnection::Usb {
            vendor_id,
            product_id,
            ..
        } => Attachment::Usb {
            vendor_id: *vendor_id,
            product_id: *product_id,
        },
        PrinterConnection::Serial { path, .. } => Attachment::Serial(path.clone()),
        PrinterConnection::Tcp { host, port } => Attachment::Network(format!("{host}:{port}")),
        PrinterConnection::File { path } => Attachment::DeviceFile(path.clone()),
    }
}

/// Lists serial ports (from `/sys/class/tty`).
pub fn detect_serial() -> Result<Vec<DetectedSerial>, String> {
    if !Path::new("/sys/class/tty").is_dir() {
        return Err("/sys/class/tty is not available".into());
    }
    let ports = serialport::available_ports().map_err(|e| e.to_string())?;
    Ok(ports
        .into_iter()
        .map(|p| DetectedSerial {
            path: p.port_name,
            usb: match p.port_type {
                serialport::SerialPortType::UsbPort(u) => Some(format!(
                    "{:04x}:{:04x} {}",
                    u.vid,
                    u.pid,
                    u.product.unwrap_or_default()
                )),
                _ => None,
            },
        })
        .collect())
}

/// Lists USB devices that have a printer-class interface.
pub fn detect_usb_printers() -> Result<Vec<DetectedUsbPrinter>, String> {
    use rusb::UsbContext;
    // A context of our own: rusb's global one panics where libusb cannot start
    // (e.g. a container without /dev/bus/usb).
    let context = rusb::Context::new().map_err(|e| format!("libusb: {e}"))?;
    let devices = context.devices().map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for d in devices.iter() {
        let Ok(desc) = d.device_descriptor() else {
            continue;
        };
        let is_printer = d.active_config_descriptor().is_ok_and(|c| {
            c.interfaces()
                .any(|i| i.descriptors().any(|a| a.class_code() == 7))
        });
        if is_printer {
            out.push(DetectedUsbPrinter {
                vendor_id: desc.vendor_id(),
                product_id: desc.product_id(),
                bus: d.bus_number(),
                address: d.address(),
            });
        }
    }
    Ok(out)
}

/// Lists evdev input devices.
pub fn detect_inputs() -> Vec<DetectedInput> {
    let mut out: Vec<DetectedInput> = evdev::enumerate()
        .map(|(path, dev)| {
            let types_keys = dev.supported_keys().is_some_and(|k| {
                k.contains(evdev::KeyCode::KEY_ENTER)
                    && k.contains(evdev::KeyCode::KEY_1)
                    && k.contains(evdev::KeyCode::KEY_A)
            });
            DetectedInput {
                path,
                name: dev.name().unwrap_or("(no name)").to_string(),
                types_keys,
            }
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Checks every configured device and lists what is plugged in.
pub fn report(configs: &DeviceConfigs) -> DoctorReport {
    let mut devices = build_all(configs);
    let drawer_attachment = match &configs.drawer {
        DrawerConfig::Simulated => Attachment::Simulated,
        DrawerConfig::Printer { .. } => Attachment::Printer,
    };
    let display_attachment = match &configs.display {
        DisplayConfig::Simulated { .. } => Attachment::Simulated,
        DisplayConfig::Serial { path, .. } => Attachment::Serial(path.clone()),
    };
    let configured = vec![
        check(&mut devices.scanner, scanner_attachment(&configs.scanner)),
        check(
            &mut devices.card_reader,
            card_attachment(&configs.card_reader),
        ),
        check(
            &mut devices.printer,
            printer_attachment(&configs.printer.connection),
        ),
        check(&mut devices.drawer, drawer_attachment),
        check(&mut devices.display, display_attachment),
    ];
    let mut configured = configured;
    if let Some((mut scale, _)) = crate::scale::build(&configs.scale) {
        let attachment = match &configs.scale {
            ScaleConfig::Serial { path, .. } => Attachment::Serial(path.clone()),
            _ => Attachment::Simulated,
        };
        configured.push(check(&mut scale, attachment));
    }
    let (serial_ports, serial_error) = match detect_serial() {
        Ok(p) => (p, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    let (usb_printers, usb_error) = match detect_usb_printers() {
        Ok(p) => (p, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    DoctorReport {
        configured,
        serial_ports,
        serial_error,
        usb_printers,
        usb_error,
        inputs: detect_inputs(),
    }
}

impl fmt::Display for DoctorReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Configured devices:")?;
        for c in &self.configured {
            writeln!(f, "  [{:<7}] {:<15} {}", c.health.level, c.category, c.name)?;
            let detail = c
                .health
                .detail
                .strip_prefix(c.name.as_str())
                .map(|d| d.trim_start_matches([':', ' ']))
                .unwrap_or(&c.health.detail);
            writeln!(f, "            {detail}")?;
            if let Some(h) = &c.hint {
                writeln!(f, "            hint: {h}")?;
            }
        }
        writeln!(f, "Serial ports found:")?;
        match &self.serial_error {
            Some(e) => writeln!(f, "  (could not list: {e})")?,
            None if self.serial_ports.is_empty() => writeln!(f, "  none")?,
            None => {
                for p in &self.serial_ports {
                    match &p.usb {
                        Some(u) => writeln!(f, "  {}  USB {u}", p.path)?,
                        None => writeln!(f, "  {}", p.path)?,
                    }
                }
            }
        }
        writeln!(f, "USB printers found:")?;
        match &self.usb_error {
            Some(e) => writeln!(f, "  (could not list: {e})")?,
            None if self.usb_printers.is_empty() => writeln!(f, "  none")?,
            None => {
                for p in &self.usb_printers {
                    writeln!(
                        f,
                        "  {:04x}:{:04x}  bus {} address {}  (vendor_id = 0x{:04x}, product_id = 0x{:04x})",
                        p.vendor_id, p.product_id, p.bus, p.address, p.vendor_id, p.product_id
                    )?;
                }
            }
        }
        writeln!(f, "Input devices found:")?;
        if self.inputs.is_empty() {
            writeln!(f, "  none")?;
        }
        for i in &self.inputs {
            let kind = if i.types_keys {
                "  (types keys: keyboard or wedge scanner/reader)"
            } else {
                ""
            };
            writeln!(f, "  {}  \"{}\"{kind}", i.path.display(), i.name)?;
        }
        write!(
            f,
            "{}",
            if self.all_ok() {
                "All configured devices are working."
            } else {
                "Some configured devices need attention (see above)."
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn udev_hints_point_at_the_packaged_rules_not_kernel_names() {
        let h = udev_hint(
            DeviceCategory::ReceiptPrinter,
            &Attachment::Usb {
                vendor_id: 0x04b8,
                product_id: 0x0202,
            },
        )
        .unwrap();
        assert!(
            h.contains("ATTR{idVendor}==\"04b8\", ATTR{idProduct}==\"0202\""),
            "{h}"
        );
        assert!(h.contains("usermod -aG storepos") && h.contains("60-storepos.rules"));
        let h = udev_hint(
            DeviceCategory::Scanner,
            &Attachment::Serial("/dev/ttyUSB0".into()),
        )
        .unwrap();
        assert!(!h.contains("KERNEL==\"ttyUSB0\""), "{h}");
        assert!(h.contains("SYMLINK+=\"storepos-scanner0\""), "{h}");
        assert!(h.contains("configure /dev/storepos-scanner0 rather than /dev/ttyUSB0"));
        assert!(h.contains("GROUP=\"storepos\", MODE=\"0660\""));
        let h = udev_hint(
            DeviceCategory::CardReader,
            &Attachment::Input("/dev/input/event7".into()),
        )
        .unwrap();
        assert!(
            h.contains("SUBSYSTEM==\"input\", KERNEL==\"event*\""),
            "{h}"
        );
        assert!(h.contains("storepos-card-kbd0") && !h.contains("event7\""));
        let h = udev_hint(
            DeviceCategory::Scanner,
            &Attachment::Serial("/dev/storepos-scanner0".into()),
        )
        .unwrap();
        assert!(!h.contains("rather than"), "{h}");
        assert!(udev_hint(DeviceCategory::Scanner, &Attachment::Simulated).is_none());
    }

    #[test]
    fn permission_errors_get_a_udev_hint_and_missing_devices_a_plain_one() {
        let denied = DeviceError::new(
            "scanner",
            crate::Stage::Open,
            ErrorKind::PermissionDenied("EACCES".into()),
        );
        let at = Attachment::Hidraw("/dev/hidraw3".into());
        let hint = hint_for(&denied, DeviceCategory::Scanner, &at).unwrap();
        assert!(
            hint.contains("SUBSYSTEM==\"hidraw\", ATTRS{idVendor}")
                && hint.contains("storepos-scanner-hidpos0"),
            "{hint}"
        );
        let missing = DeviceError::new(
            "scanner",
            crate::Stage::Open,
            ErrorKind::NotFound("x".into()),
        );
        assert!(
            hint_for(&missing, DeviceCategory::Scanner, &at)
                .unwrap()
                .contains("not plugged in")
        );
    }
}
