//! Card readers: magnetic stripe (serial or keyboard wedge), NFC (PN532 over serial, or a
//! keyboard-wedge reader typing the UID) and a simulator ([`CardReaderSim`]). All yield
//! [`CardData`].
//!
//! The PN532 is asked for cards ([`Pn532Reader`]); every other reader sends a byte stream
//! and is a [`StreamDevice`] with the decoder chosen by [`CardReaderConfig::decoder`].

pub mod msr;
pub mod pn532;
pub mod pn532_frame;
pub mod sim;

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::device::{DeviceCategory, InputDevice};
use crate::error::ErrorKind;
use crate::stream::{FrameDecoder, StreamDevice};
use crate::transport::{Connector, EvdevWedgeConnector, SerialConnector};
pub use msr::{CardField, CardNumberRule, MsrDecoder, TrackChoice};
pub use pn532::Pn532Reader;
pub use sim::CardReaderSim;

/// Where a card number was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardTrack {
    /// Magnetic track 1.
    Track1,
    /// Magnetic track 2.
    Track2,
    /// The UID of a contactless card.
    Uid,
}

/// Which kind of reader produced the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardSource {
    /// A magnetic-stripe reader.
    MagStripe,
    /// An NFC reader.
    Nfc,
}

/// A card presented at the till.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CardData {
    /// The loyalty card number (per the configured rule), or the NFC UID in hex.
    pub card_number: String,
    /// Where on the card it came from.
    pub track: CardTrack,
    /// What read it.
    pub source: CardSource,
}

/// Decodes what a keyboard-wedge card reader types: a magnetic swipe (`%…?` / `;…?`) or an
/// NFC UID (hex or decimal digits, optionally separated by spaces, `:` or `-`), each line
/// ended by Enter.
#[derive(Debug, Clone)]
pub struct WedgeCardDecoder {
    msr: MsrDecoder,
    line: Vec<u8>,
}

impl WedgeCardDecoder {
    /// A decoder applying `rule` to swipes.
    pub fn new(rule: CardNumberRule) -> Self {
        Self {
            msr: MsrDecoder::new(b"\r", false, rule, CardSource::MagStripe),
            line: Vec::new(),
        }
    }
}

/// Normalises a typed NFC UID: strips separators, upper-cases hex. Fails on anything else.
pub fn normalise_uid(text: &str) -> Result<String, ErrorKind> {
    let cleaned: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | ':' | '-'))
        .collect();
    if cleaned.len() < 4 || cleaned.len() > 20 || !cleaned.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ErrorKind::BadFrame(format!(
            "typed card {text:?} is neither a swipe nor a UID"
        )));
    }
    Ok(cleaned.to_ascii_uppercase())
}

impl FrameDecoder for WedgeCardDecoder {
    type Output = CardData;

    fn feed(&mut self, bytes: &[u8], out: &mut Vec<Result<CardData, ErrorKind>>) {
        for &b in bytes {
            if b == b'\n' && self.line.is_empty() {
                continue;
            }
            if b != b'\r' {
                self.line.push(b);
                if self.line.len() > 300 {
                    out.push(Err(ErrorKind::BadFrame("typed card data too long".into())));
                    self.line.clear();
                }
                continue;
            }
            let line = std::mem::take(&mut self.line);
            if line.is_empty() {
                continue;
            }
            let result = if matches!(line[0], b'%' | b';') {
                self.msr.decode_frame(&line)
            } else {
                std::str::from_utf8(&line)
                    .map_err(|_| ErrorKind::BadFrame("typed card data is not text".into()))
                    .and_then(normalise_uid)
                    .map(|uid| CardData {
                        card_number: uid,
                        track: CardTrack::Uid,
                        source: CardSource::Nfc,
                    })
            };
            out.push(result);
        }
    }

    fn idle(&mut self) -> Option<ErrorKind> {
        let partial = !self.line.is_empty();
        self.line.clear();
        partial.then(|| ErrorKind::BadFrame("typed card data ended without Enter".into()))
    }

    fn reset(&mut self) {
        self.line.clear();
    }

    fn has_partial(&self) -> bool {
        !self.line.is_empty()
    }
}

/// Any card decoder, so one stream device type serves every stream-based reader.
pub type CardDecoder = Box<dyn FrameDecoder<Output = CardData>>;

fn default_msr_baud() -> u32 {
    9600
}
fn default_pn532_baud() -> u32 {
    115_200
}
fn default_terminator() -> String {
    "\r".into()
}
fn yes() -> bool {
    true
}

/// Configuration of the card reader, tagged by `kind`.
///
/// ```toml
/// [card_reader]
/// kind = "mag_stripe"
/// path = "/dev/ttyUSB1"
/// lrc = false
/// rule = { track = "prefer_track2", field = "account", min_len = 8 }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum CardReaderConfig {
    /// A simulated reader driven from the UI or a script.
    #[default]
    Simulated,
    /// A serial magnetic-stripe reader.
    MagStripe {
        /// Serial device path.
        path: PathBuf,
        /// Baud rate.
        #[serde(default = "default_msr_baud")]
        baud: u32,
        /// Bytes ending a swipe.
        #[serde(default = "default_terminator")]
        terminator: String,
        /// Whether each track is followed by an LRC character.
        #[serde(default)]
        lrc: bool,
        /// Which field is the card number.
        #[serde(default)]
        rule: CardNumberRule,
    },
    /// A PN532 NFC reader on a serial line.
    Pn532 {
        /// Serial device path.
        path: PathBuf,
        /// Baud rate.
        #[serde(default = "default_pn532_baud")]
        baud: u32,
    },
    /// A keyboard-wedge reader (magnetic or NFC) read from evdev.
    Wedge {
        /// Input device path.
        device: PathBuf,
        /// Grab the device so its keys reach no other program.
        #[serde(default = "yes")]
        grab: bool,
        /// Which field of a swipe is the card number.
        #[serde(default)]
        rule: CardNumberRule,
    },
}

impl CardReaderConfig {
    /// The decoder for what this reader sends; the one place a reader's decoder is chosen.
    /// `None` for the PN532, which answers commands rather than sending a stream.
    pub fn decoder(&self) -> Option<CardDecoder> {
        match self {
            // The simulator types like a keyboard-wedge reader.
            CardReaderConfig::Simulated => {
                Some(Box::new(WedgeCardDecoder::new(CardNumberRule::default())))
            }
            CardReaderConfig::MagStripe {
                terminator,
                lrc,
                rule,
                ..
            } => Some(Box::new(MsrDecoder::new(
                terminator.as_bytes(),
                *lrc,
                rule.clone(),
                CardSource::MagStripe,
            ))),
            CardReaderConfig::Wedge { rule, .. } => {
                Some(Box::new(WedgeCardDecoder::new(rule.clone())))
            }
            CardReaderConfig::Pn532 { .. } => None,
        }
    }
}

/// A card reader of any kind.
pub type CardReader = Box<dyn InputDevice<Data = CardData>>;

/// Builds the configured card reader (closed). For `Simulated`, the simulator handle that
/// drives it is returned too.
pub fn build(config: &CardReaderConfig) -> (CardReader, Option<CardReaderSim>) {
    let (connector, frame_gap): (Box<dyn Connector>, Option<Duration>) = match config {
        CardReaderConfig::Simulated => {
            let (reader, sim) = CardReaderSim::new();
            return (Box::new(reader), Some(sim));
        }
        CardReaderConfig::Pn532 { path, baud } => {
            let connector = Box::new(SerialConnector::new(path, *baud));
            return (Box::new(Pn532Reader::new(connector)), None);
        }
        CardReaderConfig::MagStripe { path, baud, .. } => {
            (Box::new(SerialConnector::new(path, *baud)), None)
        }
        CardReaderConfig::Wedge { device, grab, .. } => (
            Box::new(EvdevWedgeConnector {
                device: device.clone(),
                grab: *grab,
            }),
            // Keys arrive one event at a time; allow longer pauses inside a line.
            Some(Duration::from_millis(500)),
        ),
    };
    let Some(decoder) = config.decoder() else {
        unreachable!("only the PN532 has no decoder, and it was built above");
    };
    let mut reader = StreamDevice::new(DeviceCategory::CardReader, connector, decoder);
    if let Some(gap) = frame_gap {
        reader = reader.with_frame_gap(gap);
    }
    (Box::new(reader), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wedge_decoder_handles_swipes_and_uids() {
        let mut d = WedgeCardDecoder::new(CardNumberRule::default());
        let mut out = Vec::new();
        d.feed(b";6012345678901234=2712?\r04:a1:b2:c3\rhello\r", &mut out);
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].as_ref().unwrap().track, CardTrack::Track2);
        assert_eq!(out[1].as_ref().unwrap().card_number, "04A1B2C3");
        assert!(out[2].is_err());
    }

    #[test]
    fn config_round_trips_through_toml() {
        let cfg: CardReaderConfig = toml::from_str(
            r#"
            kind = "mag_stripe"
            path = "/dev/ttyUSB1"
            lrc = true
            rule = { track = "track1", field = { slice = { start = 1, len = 8 } }, min_len = 8 }
            "#,
        )
        .unwrap();
        let CardReaderConfig::MagStripe {
            lrc, rule, baud, ..
        } = &cfg
        else {
            panic!("wrong kind: {cfg:?}");
        };
        assert!(*lrc);
        assert_eq!(*baud, 9600);
        assert_eq!(rule.track, TrackChoice::Track1);
        assert_eq!(rule.field, CardField::Slice { start: 1, len: 8 });
        let back: CardReaderConfig = toml::from_str(&toml::to_string(&cfg).unwrap()).unwrap();
        assert_eq!(back, cfg);
        assert!(
            toml::from_str::<CardReaderConfig>("kind = \"pn532\"\npath = \"/x\"\nspeed = 1")
                .is_err()
        );
        assert_eq!(CardReaderConfig::default(), CardReaderConfig::Simulated);
    }
}
