//! Simulated scanner and card reader for the demo store and for tests, driven from the UI
//! or from a script.
//!
//! The simulators feed bytes into the same decoders real devices use (over an in-memory
//! link), so a simulated scan or swipe goes through the same framing, AIM decoding, check
//! digit and card-number rules — and a garbled one fails the same way.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::card::{CardDecoder, memory_reader};
use crate::device::DeviceCategory;
use crate::scanner::{FramedScanDecoder, ScanDecoder};
use crate::stream::StreamDevice;
use crate::transport::{MemoryConnector, MemoryEnd, Transport};

/// Shared device side of a simulated serial-like device.
#[derive(Clone)]
struct SimLink {
    connector: MemoryConnector,
    end: Arc<Mutex<MemoryEnd>>,
}

impl SimLink {
    fn new(name: &str) -> Self {
        let connector = MemoryConnector::new(name);
        let end = connector.plug_new();
        Self {
            connector,
            end: Arc::new(Mutex::new(end)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, MemoryEnd> {
        self.end.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn send(&self, bytes: &[u8]) -> bool {
        self.lock().write_all(bytes).is_ok()
    }

    fn unplug(&self) {
        self.lock().hang_up();
    }

    fn replug(&self) {
        let fresh = self.connector.plug_new();
        *self.lock() = fresh;
    }
}

/// Drives a simulated scanner.
#[derive(Clone)]
pub struct ScannerSim {
    link: SimLink,
}

impl ScannerSim {
    /// A simulated scanner (closed) and the handle that drives it.
    pub fn new() -> (StreamDevice<ScanDecoder>, ScannerSim) {
        let link = SimLink::new("simulated scanner");
        let device = StreamDevice::new(
            DeviceCategory::Scanner,
            Box::new(link.connector.clone()),
            ScanDecoder::Framed(FramedScanDecoder::new(b"", b"\r")),
        )
        .with_retry_interval(Duration::from_millis(50));
        (device, ScannerSim { link })
    }

    /// Scans `payload`: a label, optionally starting with an AIM identifier
    /// (e.g. `]E04006381333931`). Returns false if the simulated scanner is unplugged.
    pub fn scan(&self, payload: &str) -> bool {
        let mut bytes = payload.as_bytes().to_vec();
        bytes.push(b'\r');
        self.link.send(&bytes)
    }

    /// Sends raw bytes, e.g. half a frame, to exercise error handling.
    pub fn send_raw(&self, bytes: &[u8]) -> bool {
        self.link.send(bytes)
    }

    /// Unplugs the simulated scanner.
    pub fn unplug(&self) {
        self.link.unplug();
    }

    /// Plugs it back in.
    pub fn replug(&self) {
        self.link.replug();
    }
}

/// Drives a simulated card reader (magnetic swipes and NFC taps).
#[derive(Clone)]
pub struct CardReaderSim {
    link: SimLink,
}

impl CardReaderSim {
    /// A simulated card reader (closed) and the handle that drives it.
    pub fn new() -> (StreamDevice<CardDecoder>, CardReaderSim) {
        let link = SimLink::new("simulated card reader");
        let device =
            memory_reader(link.connector.clone()).with_retry_interval(Duration::from_millis(50));
        (device, CardReaderSim { link })
    }

    /// Swipes a card whose stripe holds `tracks`, e.g. `;6012345678901234=2712?`.
    pub fn swipe(&self, tracks: &str) -> bool {
        let mut bytes = tracks.as_bytes().to_vec();
        bytes.push(b'\r');
        self.link.send(&bytes)
    }

    /// Taps an NFC card with UID `uid_hex`.
    pub fn tap(&self, uid_hex: &str) -> bool {
        self.swipe(uid_hex)
    }

    /// Unplugs the simulated reader.
    pub fn unplug(&self) {
        self.link.unplug();
    }

    /// Plugs it back in.
    pub fn replug(&self) {
        self.link.replug();
    }
}

/// One step of a device script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptStep {
    /// `scan <payload>`
    Scan(String),
    /// `swipe <tracks>`
    Swipe(String),
    /// `tap <uid>`
    Tap(String),
    /// `wait <milliseconds>`
    Wait(u64),
}

/// A script line that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("device script line {line}: {message}")]
pub struct ScriptError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Parses a device script. Each non-empty line that is not a `#` comment is one of
/// `scan <payload>`, `swipe <tracks>`, `tap <uid>`, `wait <ms>`. The whole script is
/// checked before anything runs, so a bad script changes nothing.
pub fn parse_script(text: &str) -> Result<Vec<ScriptStep>, ScriptError> {
    let mut steps = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |message: String| ScriptError {
            line: i + 1,
            message,
        };
        let (verb, arg) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let arg = arg.trim();
        if arg.is_empty() {
            return Err(err(format!("`{verb}` needs an argument")));
        }
        steps.push(match verb {
            "scan" => ScriptStep::Scan(arg.to_string()),
            "swipe" => ScriptStep::Swipe(arg.to_string()),
            "tap" => ScriptStep::Tap(arg.to_string()),
            "wait" => ScriptStep::Wait(
                arg.parse()
                    .map_err(|_| err(format!("`wait` needs milliseconds, got {arg:?}")))?,
            ),
            other => return Err(err(format!("unknown command `{other}`"))),
        });
    }
    Ok(steps)
}

/// Runs a parsed script against the simulators. Steps for a missing simulator fail.
pub fn run_script(
    steps: &[ScriptStep],
    scanner: Option<&ScannerSim>,
    cards: Option<&CardReaderSim>,
) -> Result<(), ScriptError> {
    for (i, step) in steps.iter().enumerate() {
        let missing = |what: &str| ScriptError {
            line: i + 1,
            message: format!("no simulated {what} is configured"),
        };
        match step {
            ScriptStep::Scan(p) => {
                scanner.ok_or_else(|| missing("scanner"))?.scan(p);
            }
            ScriptStep::Swipe(t) => {
                cards.ok_or_else(|| missing("card reader"))?.swipe(t);
            }
            ScriptStep::Tap(u) => {
                cards.ok_or_else(|| missing("card reader"))?.tap(u);
            }
            ScriptStep::Wait(ms) => std::thread::sleep(Duration::from_millis(*ms)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::{CardSource, CardTrack};
    use crate::device::{Device, DeviceEvent, DeviceStatus, InputDevice};
    use crate::scanner::Symbology;

    #[test]
    fn simulated_scanner_goes_through_real_decoding() {
        let (mut dev, sim) = ScannerSim::new();
        dev.start().unwrap();
        let steps =
            parse_script("# demo\nscan ]E04006381333931\n\nscan ]E04006381333932\n").unwrap();
        run_script(&steps, Some(&sim), None).unwrap();
        match dev.poll_event(Duration::from_secs(1)) {
            Some(DeviceEvent::Data(d)) => {
                assert_eq!(d.symbology, Symbology::Ean13);
                assert_eq!(d.label, "4006381333931");
            }
            other => panic!("expected a scan, got {other:?}"),
        }
        assert!(matches!(
            dev.poll_event(Duration::from_secs(1)),
            Some(DeviceEvent::Error(_))
        ));
    }

    #[test]
    fn simulated_reader_unplug_and_replug() {
        let (mut dev, sim) = CardReaderSim::new();
        dev.start().unwrap();
        sim.tap("04A1B2C3");
        match dev.poll_event(Duration::from_secs(1)) {
            Some(DeviceEvent::Data(c)) => {
                assert_eq!(c.card_number, "04A1B2C3");
                assert_eq!((c.track, c.source), (CardTrack::Uid, CardSource::Nfc));
            }
            other => panic!("expected a card, got {other:?}"),
        }
        sim.unplug();
        assert!(matches!(
            dev.poll_event(Duration::from_secs(1)),
            Some(DeviceEvent::Status(DeviceStatus::Offline(_)))
        ));
        sim.replug();
        assert_eq!(
            dev.poll_event(Duration::from_secs(1)),
            Some(DeviceEvent::Status(DeviceStatus::Reconnected))
        );
        sim.swipe(";6012345678901234=2712?");
        assert!(matches!(
            dev.poll_event(Duration::from_secs(1)),
            Some(DeviceEvent::Data(c)) if c.track == CardTrack::Track2
        ));
    }

    #[test]
    fn reader_thread_forwards_events() {
        let (mut dev, sim) = ScannerSim::new();
        dev.start().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = crate::device::ReaderThread::spawn(dev, tx, |e| ("scanner", e));
        sim.scan("96385074");
        let (tag, event) = rx.recv_timeout(Duration::from_secs(2)).unwrap();
        assert_eq!(tag, "scanner");
        assert!(matches!(event, DeviceEvent::Data(d) if d.symbology == Symbology::Ean8));
        reader.stop();
        assert!(!sim.scan("96385074") || rx.recv_timeout(Duration::from_millis(200)).is_err());
    }

    #[test]
    fn bad_scripts_are_rejected_before_running() {
        let e = parse_script("scan 123\nbeep 1\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(parse_script("wait soon").is_err());
        assert!(parse_script("tap").is_err());
        let steps = parse_script("swipe ;1234?").unwrap();
        assert!(run_script(&steps, None, None).is_err());
    }
}
