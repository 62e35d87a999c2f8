//! Barcode scanners: serial / USB-CDC with prefix/suffix framing, keyboard wedge (evdev),
//! HID POS (hidraw) and a simulator. All yield [`ScanData`] with the symbology decoded from
//! the AIM identifier.

pub mod aim;
pub mod framing;
pub mod hidpos;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::device::{DeviceCategory, InputDevice};
use crate::error::ErrorKind;
use crate::sim::ScannerSim;
use crate::stream::{FrameDecoder, StreamDevice};
use crate::transport::{EvdevWedgeConnector, FileConnector, SerialConnector};
pub use aim::Symbology;
pub use framing::FramedScanDecoder;
pub use hidpos::HidPosDecoder;

/// One barcode read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ScanData {
    /// The symbology, from the AIM identifier (or inferred for EAN/UPC).
    pub symbology: Symbology,
    /// The decoded label, without the AIM identifier.
    pub label: String,
    /// The frame payload as received (AIM identifier included, framing removed).
    pub raw: Vec<u8>,
}

/// Either scanner decoder, so one stream device type serves every scanner.
#[derive(Debug, Clone)]
pub enum ScanDecoder {
    /// Prefix/suffix framed text (serial, USB-CDC, keyboard wedge, simulator).
    Framed(FramedScanDecoder),
    /// HID POS reports.
    HidPos(HidPosDecoder),
}

impl FrameDecoder for ScanDecoder {
    type Output = ScanData;

    fn feed(&mut self, bytes: &[u8], out: &mut Vec<Result<ScanData, ErrorKind>>) {
        match self {
            ScanDecoder::Framed(d) => d.feed(bytes, out),
            ScanDecoder::HidPos(d) => d.feed(bytes, out),
        }
    }
    fn idle(&mut self) -> Option<ErrorKind> {
        match self {
            ScanDecoder::Framed(d) => d.idle(),
            ScanDecoder::HidPos(d) => d.idle(),
        }
    }
    fn reset(&mut self) {
        match self {
            ScanDecoder::Framed(d) => d.reset(),
            ScanDecoder::HidPos(d) => d.reset(),
        }
    }
    fn has_partial(&self) -> bool {
        match self {
            ScanDecoder::Framed(d) => d.has_partial(),
            ScanDecoder::HidPos(d) => d.has_partial(),
        }
    }
}

fn default_baud() -> u32 {
    9600
}
fn default_suffix() -> String {
    "\r".into()
}
fn yes() -> bool {
    true
}

/// Configuration of the barcode scanner, tagged by `kind`.
///
/// ```toml
/// [scanner]
/// kind = "serial"
/// path = "/dev/serial/by-id/usb-Honeywell-if00"
/// baud = 9600
/// prefix = "\u0002"
/// suffix = "\r\n"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ScannerConfig {
    /// A simulated scanner driven from the UI or a script.
    #[default]
    Simulated,
    /// A serial or USB-CDC scanner.
    Serial {
        /// Serial device path.
        path: PathBuf,
        /// Baud rate (ignored by USB-CDC).
        #[serde(default = "default_baud")]
        baud: u32,
        /// Bytes the scanner sends before each label (often empty or STX).
        #[serde(default)]
        prefix: String,
        /// Bytes the scanner sends after each label (CR by default).
        #[serde(default = "default_suffix")]
        suffix: String,
    },
    /// A keyboard-wedge scanner read from its own evdev node.
    Wedge {
        /// Input device path (use the stable `/dev/input/by-id/…-event-kbd` link).
        device: PathBuf,
        /// Grab the device so its keystrokes reach no other program.
        #[serde(default = "yes")]
        grab: bool,
    },
    /// A HID POS scanner (usage page 0x8C) read from hidraw.
    HidPos {
        /// The hidraw node, e.g. `/dev/hidraw0`.
        device: PathBuf,
    },
}

/// A scanner of any kind.
pub type Scanner = Box<dyn InputDevice<Data = ScanData>>;

/// Builds the configured scanner (closed). For `Simulated`, the simulator handle that
/// drives it is returned too.
pub fn build(config: &ScannerConfig) -> (Scanner, Option<ScannerSim>) {
    let category = DeviceCategory::Scanner;
    match config {
        ScannerConfig::Simulated => {
            let (scanner, sim) = ScannerSim::new();
            (Box::new(scanner), Some(sim))
        }
        ScannerConfig::Serial {
            path,
            baud,
            prefix,
            suffix,
        } => (
            Box::new(StreamDevice::new(
                category,
                Box::new(SerialConnector::new(path, *baud)),
                ScanDecoder::Framed(FramedScanDecoder::new(prefix.as_bytes(), suffix.as_bytes())),
            )),
            None,
        ),
        ScannerConfig::Wedge { device, grab } => (
            Box::new(StreamDevice::new(
                category,
                Box::new(EvdevWedgeConnector {
                    device: device.clone(),
                    grab: *grab,
                }),
                ScanDecoder::Framed(FramedScanDecoder::new(b"", b"\r")),
            )),
            None,
        ),
        ScannerConfig::HidPos { device } => (
            Box::new(StreamDevice::new(
                category,
                Box::new(FileConnector::read_only(device)),
                ScanDecoder::HidPos(HidPosDecoder::new()),
            )),
            None,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wedge_keystrokes_become_a_scan() {
        use crate::transport::KeyDecoder;
        use crate::transport::wedge::keys::*;
        // "]E0" needs shift for nothing but ']' is unshifted; then digits and Enter.
        let mut keys = vec![(KEY_RIGHTBRACE, 1), (KEY_RIGHTBRACE, 0)];
        keys.extend([(KEY_LEFTSHIFT, 1), (18, 1), (18, 0), (KEY_LEFTSHIFT, 0)]); // 'E'
        for d in "04006381333931".bytes() {
            let code = if d == b'0' {
                KEY_0
            } else {
                KEY_1 + u16::from(d - b'1')
            };
            keys.extend([(code, 1), (code, 0)]);
        }
        keys.push((KEY_ENTER, 1));
        let mut typed = Vec::new();
        let mut kd = KeyDecoder::new();
        for (c, v) in keys {
            kd.feed(c, v, &mut typed);
        }
        let mut dec = FramedScanDecoder::new(b"", b"\r");
        let mut out = Vec::new();
        dec.feed(&typed, &mut out);
        let scan = out.pop().unwrap().unwrap();
        assert_eq!(scan.symbology, Symbology::Ean13);
        assert_eq!(scan.label, "4006381333931");
    }

    #[test]
    fn config_from_toml() {
        let cfg: ScannerConfig = toml::from_str(
            "kind = \"serial\"\npath = \"/dev/ttyACM0\"\nprefix = \"\\u0002\"\nsuffix = \"\\r\\n\"",
        )
        .unwrap();
        assert_eq!(
            cfg,
            ScannerConfig::Serial {
                path: "/dev/ttyACM0".into(),
                baud: 9600,
                prefix: "\u{2}".into(),
                suffix: "\r\n".into()
            }
        );
        let wedge: ScannerConfig =
            toml::from_str("kind = \"wedge\"\ndevice = \"/dev/input/event3\"").unwrap();
        assert!(matches!(wedge, ScannerConfig::Wedge { grab: true, .. }));
        assert!(
            toml::from_str::<ScannerConfig>("kind = \"serial\"\npath = \"/x\"\nbaud_rate = 1")
                .is_err()
        );
        assert!(toml::from_str::<ScannerConfig>("kind = \"laser\"").is_err());
        assert_eq!(ScannerConfig::default(), ScannerConfig::Simulated);
    }
}
