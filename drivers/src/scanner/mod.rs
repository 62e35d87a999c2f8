//! Barcode scanners: serial / USB-CDC with prefix/suffix framing, keyboard wedge (evdev),
//! HID POS (hidraw) and a simulator ([`ScannerSim`]). All yield [`ScanData`] with the
//! symbology decoded from the AIM identifier.
//!
//! Every scanner is a [`StreamDevice`]: a connector chosen by [`build`] and a decoder chosen
//! by [`ScannerConfig::decoder`] — framed text ([`FramedScanDecoder`]) or HID POS reports
//! ([`HidPosDecoder`]).

pub mod aim;
pub mod framing;
pub mod hidpos;
pub mod sim;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::device::{DeviceCategory, InputDevice};
use crate::stream::{FrameDecoder, StreamDevice};
use crate::transport::{Connector, EvdevWedgeConnector, FileConnector, SerialConnector};
pub use aim::Symbology;
pub use framing::FramedScanDecoder;
pub use hidpos::HidPosDecoder;
pub use sim::ScannerSim;

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

/// Any scanner decoder, so one stream device type serves every scanner.
pub type ScanDecoder = Box<dyn FrameDecoder<Output = ScanData>>;

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

impl ScannerConfig {
    /// The decoder for what this scanner sends; the one place a scanner's decoder is chosen.
    pub fn decoder(&self) -> ScanDecoder {
        match self {
            ScannerConfig::Serial { prefix, suffix, .. } => {
                Box::new(FramedScanDecoder::new(prefix.as_bytes(), suffix.as_bytes()))
            }
            // Both type the label followed by Enter.
            ScannerConfig::Simulated | ScannerConfig::Wedge { .. } => {
                Box::new(FramedScanDecoder::new(b"", b"\r"))
            }
            ScannerConfig::HidPos { .. } => Box::new(HidPosDecoder::new()),
        }
    }
}

/// A scanner of any kind.
pub type Scanner = Box<dyn InputDevice<Data = ScanData>>;

/// Builds the configured scanner (closed). For `Simulated`, the simulator handle that
/// drives it is returned too.
pub fn build(config: &ScannerConfig) -> (Scanner, Option<ScannerSim>) {
    let connector: Box<dyn Connector> = match config {
        ScannerConfig::Simulated => {
            let (scanner, sim) = ScannerSim::new();
            return (Box::new(scanner), Some(sim));
        }
        ScannerConfig::Serial { path, baud, .. } => Box::new(SerialConnector::new(path, *baud)),
        ScannerConfig::Wedge { device, grab } => Box::new(EvdevWedgeConnector {
            device: device.clone(),
            grab: *grab,
        }),
        ScannerConfig::HidPos { device } => Box::new(FileConnector::read_only(device)),
    };
    let scanner = StreamDevice::new(DeviceCategory::Scanner, connector, config.decoder());
    (Box::new(scanner), None)
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
