//! The simulated scanner, for the demo store and for tests, driven from the UI or from a
//! device script ([`crate::sim`]).
//!
//! It feeds bytes over an in-memory link into the same [`StreamDevice`] and decoder a
//! keyboard-wedge scanner uses, so a simulated scan goes through the same framing, AIM
//! decoding and check digit, and a garbled one fails the same way.

use std::time::Duration;

use super::{ScanDecoder, ScannerConfig};
use crate::device::DeviceCategory;
use crate::stream::StreamDevice;
use crate::transport::SimLink;

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
            link.connector(),
            ScannerConfig::Simulated.decoder(),
        )
        // Replugging in the demo should show at once.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{Device, DeviceEvent, InputDevice, ReaderThread};
    use crate::scanner::Symbology;

    #[test]
    fn simulated_scan_goes_through_real_decoding() {
        let (mut dev, sim) = ScannerSim::new();
        dev.start().unwrap();
        assert!(sim.scan("]E04006381333931"));
        match dev.poll_event(Duration::from_secs(1)) {
            Some(DeviceEvent::Data(d)) => {
                assert_eq!(d.symbology, Symbology::Ean13);
                assert_eq!(d.label, "4006381333931");
            }
            other => panic!("expected a scan, got {other:?}"),
        }
        sim.scan("]E04006381333932");
        assert!(matches!(
            dev.poll_event(Duration::from_secs(1)),
            Some(DeviceEvent::Error(_))
        ));
    }

    #[test]
    fn reader_thread_forwards_events() {
        let (mut dev, sim) = ScannerSim::new();
        dev.start().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = ReaderThread::spawn(dev, tx, |e| ("scanner", e));
        sim.scan("96385074");
        let (tag, event) = rx.recv_timeout(Duration::from_secs(2)).unwrap();
        assert_eq!(tag, "scanner");
        assert!(matches!(event, DeviceEvent::Data(d) if d.symbology == Symbology::Ean8));
        reader.stop();
        assert!(!sim.scan("96385074") || rx.recv_timeout(Duration::from_millis(200)).is_err());
    }

    #[test]
    fn a_configured_simulated_scanner_runs_on_a_reader_thread() {
        let (mut scanner, sim) = crate::scanner::build(&ScannerConfig::Simulated);
        let sim = sim.expect("a simulated scanner comes with its handle");
        scanner.start().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let _reader = ReaderThread::spawn(scanner, tx, |e| e);
        sim.scan("96385074");
        assert!(matches!(
            rx.recv_timeout(Duration::from_secs(2)),
            Ok(DeviceEvent::Data(d)) if d.label == "96385074"
        ));
    }
}
