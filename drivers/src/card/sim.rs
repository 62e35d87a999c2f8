//! The simulated card reader (magnetic swipes and NFC taps), for the demo store and for
//! tests, driven from the UI or from a device script ([`crate::sim`]).
//!
//! It types into the same [`StreamDevice`] and decoder a keyboard-wedge reader uses, so a
//! simulated swipe goes through the same track parsing and card-number rule.

use std::time::Duration;

use super::{CardDecoder, CardReaderConfig};
use crate::device::DeviceCategory;
use crate::stream::StreamDevice;
use crate::transport::SimLink;

/// Drives a simulated card reader (magnetic swipes and NFC taps).
#[derive(Clone)]
pub struct CardReaderSim {
    link: SimLink,
}

impl CardReaderSim {
    /// A simulated card reader (closed) and the handle that drives it.
    pub fn new() -> (StreamDevice<CardDecoder>, CardReaderSim) {
        let link = SimLink::new("simulated card reader");
        let decoder = CardReaderConfig::Simulated
            .decoder()
            .expect("the simulated reader sends a byte stream");
        let device = StreamDevice::new(DeviceCategory::CardReader, link.connector(), decoder)
            // Replugging in the demo should show at once.
            .with_retry_interval(Duration::from_millis(50));
        (device, CardReaderSim { link })
    }

    /// Swipes a card whose stripe holds `tracks`, e.g. `;6012345678901234=2712?`.
    /// Returns false if the simulated reader is unplugged.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::{CardSource, CardTrack};
    use crate::device::{Device, DeviceEvent, DeviceStatus, InputDevice};

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
}
