//! Weighing scale: the weight of a weighed item, in grams, from a checkout scale on a
//! serial line, or from its simulator.
//!
//! [`Scale`] is a small trait in the embedded-hal manner: a driver writes one method,
//! [`Scale::read`] (ask once, say what the scale shows), and gets
//! [`Scale::stable_weight`] (ask until the reading is stable, refuse zero, negative and
//! overload at once, give up after a timeout) for free.
//!
//! # The protocol: Toledo 8217 (as NCR, Datalogic and most POS scales speak it)
//!
//! The host asks, the scale answers; nothing is sent unasked.
//!
//! | host sends | scale answers | meaning |
//! |---|---|---|
//! | `W` (0x57) | `STX` `dd.ddd` `CR` | a stable weight in kilograms, three decimals (`\x0201.234\r` is 1.234 kg) |
//! | `W` | `STX` `?` *status* `CR` | no weight to give; *status* is one byte |
//!
//! The status byte: bit 0 the scale is in motion, bit 1 over capacity, bit 2 under zero
//! (negative), bit 3 outside the zero capture range, bit 4 at centre of zero; bits 5 and 6
//! are always set (so `?a` is "in motion", `?b` "over capacity", `?d` "under zero", `?p`
//! "centre of zero"). A weight of `00.000` is a zero reading. Any other frame is a device
//! error. The port runs at the configured baud, 8 data bits, no parity, 1 stop bit: set
//! the scale's interface to 8N1 (the 8217 default is 7E1).

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::device::{Device, DeviceCategory, Health, Lifecycle};
use crate::error::{DeviceError, DeviceResult, ErrorKind, Stage};
use crate::port::Port;
use crate::transport::{Connector, LinkResult, SerialConnector, Transport};

/// What the scale shows at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// A stable weight, in grams (greater than zero).
    Stable(u32),
    /// The weight is still settling.
    Motion,
    /// Nothing on the platter.
    Zero,
    /// Below zero (the scale needs zeroing, or a tare is too large).
    Negative,
    /// Above the scale's capacity.
    Overload,
}

/// Why no weight was taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScaleError {
    /// The scale shows zero.
    #[error("the scale shows zero: put the item on the scale")]
    Zero,
    /// The scale shows a negative weight.
    #[error("the scale shows a negative weight: clear the platter and zero the scale")]
    Negative,
    /// The weight is above the scale's capacity.
    #[error("the scale is overloaded: the item is heavier than the scale can weigh")]
    Overload,
    /// The weight did not settle in time.
    #[error("the weight did not settle within {0:.1?}: keep the item still and weigh again")]
    Unstable(Duration),
    /// The scale could not be read.
    #[error("the scale could not be read: {0}")]
    Device(DeviceError),
}

/// How often [`Scale::stable_weight`] asks again while the weight settles.
pub const POLL_EVERY: Duration = Duration::from_millis(100);

/// A weighing scale.
pub trait Scale: Send {
    /// Asks the scale once and says what it shows.
    fn read(&mut self) -> Result<Reading, DeviceError>;

    /// A stable weight in grams, asking until it settles for at most `within`. Zero,
    /// negative and overload are refused at once; a weight still moving after `within` is
    /// refused as unstable.
    fn stable_weight(&mut self, within: Duration) -> Result<u32, ScaleError> {
        let deadline = Instant::now() + within;
        loop {
            match self.read().map_err(ScaleError::Device)? {
                Reading::Stable(grams) => return Ok(grams),
                Reading::Zero => return Err(ScaleError::Zero),
                Reading::Negative => return Err(ScaleError::Negative),
                Reading::Overload => return Err(ScaleError::Overload),
                Reading::Motion => {}
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ScaleError::Unstable(within));
            }
            std::thread::sleep(left.min(POLL_EVERY));
        }
    }
}

/// The weight request.
pub const REQUEST: u8 = b'W';
const STX: u8 = 0x02;
const CR: u8 = 0x0D;

/// Reads one answer frame (`STX … CR`, without them) as a reading.
pub fn parse_frame(frame: &[u8]) -> Result<Reading, String> {
    match frame {
        [b'?', status] => {
            let s = *status;
            Ok(if s & 0b10 != 0 {
                Reading::Overload
            } else if s & 0b100 != 0 {
                Reading::Negative
            } else if s & 0b1 != 0 {
                Reading::Motion
            } else {
                Reading::Zero
            })
        }
        [a, b, b'.', c, d, e] if [a, b, c, d, e].iter().all(|x| x.is_ascii_digit()) => {
            let digits = [a, b, c, d, e].map(|x| u32::from(x - b'0'));
            let grams = digits.iter().fold(0, |n, d| n * 10 + d);
            Ok(if grams == 0 {
                Reading::Zero
            } else {
                Reading::Stable(grams)
            })
        }
        other => Err(format!(
            "not a Toledo 8217 answer: {:?}",
            String::from_utf8_lossy(other)
        )),
    }
}

/// One answer frame for a reading (what a scale sends), for simulators and tests.
pub fn frame_for(reading: Reading) -> Vec<u8> {
    let body = match reading {
        Reading::Stable(grams) => format!("{:02}.{:03}", grams / 1000, grams % 1000),
        Reading::Zero => "?p".into(),
        Reading::Motion => "?a".into(),
        Reading::Overload => "?b".into(),
        Reading::Negative => "?d".into(),
    };
    let mut out = vec![STX];
    out.extend(body.bytes());
    out.push(CR);
    out
}

fn default_baud() -> u32 {
    9600
}
fn default_within_ms() -> u64 {
    3000
}

/// Scale configuration, tagged by `kind`; none by default.
///
/// ```toml
/// [devices.scale]
/// kind = "serial"
/// path = "/dev/ttyUSB3"
/// baud = 9600
/// stable_within_ms = 3000
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ScaleConfig {
    /// No scale: weighed items need their weight keyed.
    #[default]
    None,
    /// The simulated scale (the demo store's).
    #[serde(alias = "simulator")]
    Simulated {
        /// How long to wait for a stable weight.
        #[serde(default = "default_within_ms")]
        stable_within_ms: u64,
    },
    /// A Toledo 8217 scale on a serial port.
    Serial {
        /// Serial device path.
        path: std::path::PathBuf,
        /// Baud rate.
        #[serde(default = "default_baud")]
        baud: u32,
        /// How long to wait for a stable weight.
        #[serde(default = "default_within_ms")]
        stable_within_ms: u64,
    },
}

impl ScaleConfig {
    /// How long to wait for a stable weight (zero without a scale).
    pub fn stable_within(&self) -> Duration {
        match self {
            ScaleConfig::None => Duration::ZERO,
            ScaleConfig::Simulated { stable_within_ms }
            | ScaleConfig::Serial {
                stable_within_ms, ..
            } => Duration::from_millis(*stable_within_ms),
        }
    }
}

/// How long the driver waits for the answer to one request.
const ANSWER_WITHIN: Duration = Duration::from_millis(500);

/// A Toledo 8217 scale on a byte link (serial port, or the simulator's).
pub struct ToledoScale {
    lifecycle: Lifecycle,
    port: Port,
}

impl ToledoScale {
    /// A closed scale on `connector`.
    pub fn new(connector: Box<dyn Connector>) -> Self {
        let port = Port::new(DeviceCategory::Scale.to_string(), connector);
        Self {
            lifecycle: Lifecycle::new(DeviceCategory::Scale, port.describe()),
            port,
        }
    }

    fn error(&self, stage: Stage, kind: ErrorKind) -> DeviceError {
        DeviceError::new(self.port.describe(), stage, kind)
    }
}

impl Scale for ToledoScale {
    fn read(&mut self) -> Result<Reading, DeviceError> {
        self.port.discard_input();
        self.port.write_all(&[REQUEST])?;
        let deadline = Instant::now() + ANSWER_WITHIN;
        let mut got = Vec::new();
        let mut buf = [0u8; 64];
        loop {
            if let Some(start) = got.iter().position(|&b| b == STX)
                && let Some(end) = got[start..].iter().position(|&b| b == CR)
            {
                let frame = &got[start + 1..start + end];
                return parse_frame(frame)
                    .map_err(|m| self.error(Stage::Parse, ErrorKind::BadFrame(m)));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(self.error(
                    Stage::Read,
                    ErrorKind::Timeout(format!("no answer within {ANSWER_WITHIN:?}")),
                ));
            }
            let n = self.port.read_strict(&mut buf, left)?;
            got.extend_from_slice(&buf[..n]);
            if got.len() > 256 {
                return Err(self.error(
                    Stage::Parse,
                    ErrorKind::BadFrame("no frame in 256 bytes".into()),
                ));
            }
        }
    }
}

impl Device for ToledoScale {
    fn lifecycle(&self) -> &Lifecycle {
        &self.lifecycle
    }
    fn lifecycle_mut(&mut self) -> &mut Lifecycle {
        &mut self.lifecycle
    }
    fn on_claim(&mut self) -> DeviceResult<()> {
        self.port.connect()
    }
    fn on_release(&mut self) {
        self.port.disconnect();
    }
    fn on_check_health(&mut self) -> Health {
        match self.read() {
            Ok(r) => Health::ok(format!("{} answers: {r:?}", self.name())),
            Err(e) => Health::failed(e.to_string()),
        }
    }
}

/// The simulated scale: what is on its platter, answered in the Toledo 8217 protocol.
#[derive(Clone)]
pub struct ScaleSim {
    state: Arc<Mutex<SimState>>,
}

struct SimState {
    /// Grams on the platter (negative below zero).
    grams: i64,
    /// Until when the weight is still moving (`None`: for ever).
    settles_at: Option<Instant>,
    capacity: i64,
    answers: Vec<u8>,
    plugged: bool,
}

/// How long a weight placed on the simulated scale takes to settle.
pub const SIM_SETTLE: Duration = Duration::from_millis(300);

impl ScaleSim {
    /// An empty simulated scale of 15 kg capacity, and its driver (closed).
    pub fn new() -> (ToledoScale, ScaleSim) {
        let sim = ScaleSim {
            state: Arc::new(Mutex::new(SimState {
                grams: 0,
                settles_at: Some(Instant::now()),
                capacity: 15_000,
                answers: Vec::new(),
                plugged: true,
            })),
        };
        (ToledoScale::new(Box::new(sim.clone())), sim)
    }

    fn lock(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Puts `grams` on the platter (negative: below zero); it settles after [`SIM_SETTLE`].
    pub fn place(&self, grams: i64) {
        let mut s = self.lock();
        s.grams = grams;
        s.settles_at = Some(Instant::now() + SIM_SETTLE);
    }

    /// Puts `grams` on the platter, settled at once.
    pub fn place_settled(&self, grams: i64) {
        let mut s = self.lock();
        s.grams = grams;
        s.settles_at = Some(Instant::now());
    }

    /// Keeps the weight moving until the next `place`.
    pub fn keep_moving(&self) {
        self.lock().settles_at = None;
    }

    /// Unplugs or replugs the scale.
    pub fn set_plugged(&self, plugged: bool) {
        self.lock().plugged = plugged;
    }

    /// What the scale shows now.
    pub fn reading(&self) -> Reading {
        let s = self.lock();
        if s.grams > s.capacity {
            Reading::Overload
        } else if s.grams < 0 {
            Reading::Negative
        } else if s.settles_at.is_none_or(|t| Instant::now() < t) {
            Reading::Motion
        } else if s.grams == 0 {
            Reading::Zero
        } else {
            Reading::Stable(u32::try_from(s.grams).unwrap_or(u32::MAX))
        }
    }
}

impl Connector for ScaleSim {
    fn connect(&self) -> LinkResult<Box<dyn Transport>> {
        if !self.lock().plugged {
            return Err(ErrorKind::NotFound("simulated scale is unplugged".into()));
        }
        Ok(Box::new(ScaleSimLink(self.clone())))
    }
    fn describe(&self) -> String {
        "simulated scale".into()
    }
}

struct ScaleSimLink(ScaleSim);

impl Transport for ScaleSimLink {
    fn read_timeout(&mut self, buf: &mut [u8], timeout: Duration) -> LinkResult<usize> {
        let mut s = self.0.lock();
        if !s.plugged {
            return Err(ErrorKind::Disconnected("simulated scale unplugged".into()));
        }
        if s.answers.is_empty() {
            drop(s);
            std::thread::sleep(timeout.min(Duration::from_millis(5)));
            return Ok(0);
        }
        let n = s.answers.len().min(buf.len());
        buf[..n].copy_from_slice(&s.answers[..n]);
        s.answers.drain(..n);
        Ok(n)
    }

    fn write_all(&mut self, data: &[u8]) -> LinkResult<()> {
        if !self.0.lock().plugged {
            return Err(ErrorKind::Disconnected("simulated scale unplugged".into()));
        }
        for &b in data {
            if b == REQUEST {
                let frame = frame_for(self.0.reading());
                self.0.lock().answers.extend(frame);
            }
        }
        Ok(())
    }
}

/// Builds the configured scale (closed), with the simulator behind a simulated one; none
/// when no scale is configured.
pub fn build(config: &ScaleConfig) -> Option<(ToledoScale, Option<ScaleSim>)> {
    match config {
        ScaleConfig::None => None,
        ScaleConfig::Simulated { .. } => {
            let (scale, sim) = ScaleSim::new();
            Some((scale, Some(sim)))
        }
        ScaleConfig::Serial { path, baud, .. } => Some((
            ToledoScale::new(Box::new(SerialConnector::new(path, *baud))),
            None,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_parse_every_state() {
        assert_eq!(parse_frame(b"01.234"), Ok(Reading::Stable(1234)));
        assert_eq!(parse_frame(b"12.000"), Ok(Reading::Stable(12_000)));
        assert_eq!(parse_frame(b"00.000"), Ok(Reading::Zero));
        assert_eq!(parse_frame(b"?a"), Ok(Reading::Motion));
        assert_eq!(parse_frame(b"?b"), Ok(Reading::Overload));
        assert_eq!(parse_frame(b"?d"), Ok(Reading::Negative));
        assert_eq!(
            parse_frame(b"?e"),
            Ok(Reading::Negative),
            "under zero and moving"
        );
        assert_eq!(parse_frame(b"?p"), Ok(Reading::Zero));
        assert!(parse_frame(b"1.234").is_err());
        assert!(parse_frame(b"01,234").is_err());
        assert!(parse_frame(b"").is_err());
        for r in [
            Reading::Stable(5),
            Reading::Stable(14_999),
            Reading::Zero,
            Reading::Motion,
            Reading::Overload,
            Reading::Negative,
        ] {
            let f = frame_for(r);
            assert_eq!(parse_frame(&f[1..f.len() - 1]), Ok(r));
        }
    }

    #[test]
    fn simulated_scale_settles_and_refuses() {
        let (mut scale, sim) = ScaleSim::new();
        scale.start().unwrap();
        assert_eq!(
            scale.stable_weight(Duration::from_millis(200)),
            Err(ScaleError::Zero)
        );
        sim.place(1250);
        assert_eq!(scale.read().unwrap(), Reading::Motion);
        assert_eq!(scale.stable_weight(Duration::from_secs(2)), Ok(1250));
        sim.place(-20);
        assert_eq!(
            scale.stable_weight(Duration::from_secs(1)),
            Err(ScaleError::Negative)
        );
        sim.place(20_000);
        assert_eq!(
            scale.stable_weight(Duration::from_secs(1)),
            Err(ScaleError::Overload)
        );
        sim.place(800);
        sim.keep_moving();
        let started = Instant::now();
        assert_eq!(
            scale.stable_weight(Duration::from_millis(250)),
            Err(ScaleError::Unstable(Duration::from_millis(250)))
        );
        assert!(started.elapsed() >= Duration::from_millis(250));
        sim.set_plugged(false);
        assert!(matches!(
            scale.stable_weight(Duration::from_millis(100)),
            Err(ScaleError::Device(_))
        ));
        assert_eq!(
            scale.check_health().level,
            crate::device::HealthLevel::Failed
        );
        sim.set_plugged(true);
        sim.place_settled(400);
        assert_eq!(scale.stable_weight(Duration::ZERO), Ok(400));
        assert_eq!(scale.check_health().level, crate::device::HealthLevel::Ok);
    }
}
