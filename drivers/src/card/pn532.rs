//! NFC card reader built on a PN532 controller over a serial line (HSU mode).
//!
//! Claiming wakes the chip and configures it (SAMConfiguration; RFConfiguration so a poll
//! with no card answers at once). While enabled, the reader polls with
//! InListPassiveTarget and reports each newly presented card's UID once; holding the card
//! still does not repeat it. Frames with bad checksums, NACKs and missing answers are
//! reported as errors and never used. A lost serial device is reopened and re-initialised.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::pn532_frame::{
    ACK, Pn532Frame, Pn532Parser, TFI_PN532, command, parse_list_response, uid_hex,
};
use super::{CardData, CardSource, CardTrack};
use crate::device::{
    Device, DeviceCategory, DeviceEvent, DeviceStatus, Health, InputDevice, Lifecycle,
    LifecycleState,
};
use crate::error::{DeviceError, DeviceResult, ErrorKind, Stage};
use crate::port::Port;
use crate::transport::Connector;

const WAKE_UP: [u8; 16] = [0x55, 0x55, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const SAM_CONFIGURATION: [u8; 4] = [0x14, 0x01, 0x14, 0x01];
/// MxRtyATR 0xFF, MxRtyPSL 0x01, MxRtyPassiveActivation 0x02: answer quickly with no card.
const RF_RETRIES: [u8; 5] = [0x32, 0x05, 0xFF, 0x01, 0x02];
const GET_FIRMWARE_VERSION: [u8; 1] = [0x02];
const IN_LIST_PASSIVE_TARGET: [u8; 3] = [0x4A, 0x01, 0x00];

/// A PN532 NFC reader.
pub struct Pn532Reader {
    lifecycle: Lifecycle,
    port: Port,
    parser: Pn532Parser,
    queue: VecDeque<DeviceEvent<CardData>>,
    present: Option<Vec<u8>>,
    needs_init: bool,
    poll_every: Duration,
    reply_timeout: Duration,
    next_poll: Instant,
}

impl Pn532Reader {
    /// A closed reader on `connector` (usually a [`crate::transport::SerialConnector`] at
    /// 115200 baud).
    pub fn new(connector: Box<dyn Connector>) -> Self {
        let port = Port::new(DeviceCategory::CardReader.to_string(), connector);
        Self {
            lifecycle: Lifecycle::new(DeviceCategory::CardReader, port.describe()),
            port,
            parser: Pn532Parser::new(),
            queue: VecDeque::new(),
            present: None,
            needs_init: true,
            poll_every: Duration::from_millis(150),
            reply_timeout: Duration::from_millis(400),
            next_poll: Instant::now(),
        }
    }

    /// Sets how long to wait for an ACK or a response.
    pub fn with_reply_timeout(mut self, t: Duration) -> Self {
        self.reply_timeout = t;
        self
    }

    /// Sets the pause between card polls.
    pub fn with_poll_interval(mut self, t: Duration) -> Self {
        self.poll_every = t;
        self
    }

    /// Sets how often an unplugged reader is retried.
    pub fn with_retry_interval(mut self, t: Duration) -> Self {
        self.port.set_retry_interval(t);
        self
    }

    fn err(&self, stage: Stage, kind: ErrorKind) -> DeviceError {
        DeviceError::new(self.port.describe(), stage, kind)
    }

    /// Sends one command and returns its response payload (after the response code check).
    fn exchange(&mut self, cmd: &[u8]) -> DeviceResult<Vec<u8>> {
        self.port.discard_input();
        self.parser.reset();
        self.port.write_all(&command(cmd))?;
        let deadline = Instant::now() + self.reply_timeout;
        let mut acked = false;
        let mut frames = Vec::new();
        let mut buf = [0u8; 256];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let what = if acked { "response" } else { "ACK" };
                return Err(self.err(
                    Stage::Read,
                    ErrorKind::Timeout(format!(
                        "no {what} from the PN532 to command {:#04x}",
                        cmd[0]
                    )),
                ));
            }
            let n = self.port.read_strict(&mut buf, left)?;
            self.parser.feed(&buf[..n], &mut frames);
            for frame in frames.drain(..) {
                match frame {
                    Ok(Pn532Frame::Ack) => acked = true,
                    Ok(Pn532Frame::Nack) => {
                        return Err(self.err(
                            Stage::Parse,
                            ErrorKind::BadFrame("PN532 asked for the frame again (NACK)".into()),
                        ));
                    }
                    Ok(Pn532Frame::SyntaxError) => {
                        return Err(self.err(
                            Stage::Parse,
                            ErrorKind::BadFrame(format!(
                                "PN532 rejected command {:#04x} as a syntax error",
                                cmd[0]
                            )),
                        ));
                    }
                    Ok(Pn532Frame::Data { tfi, payload })
                        if tfi == TFI_PN532 && payload[0] == cmd[0].wrapping_add(1) =>
                    {
                        return Ok(payload);
                    }
                    Ok(Pn532Frame::Data { payload, .. }) => {
                        return Err(self.err(
                            Stage::Parse,
                            ErrorKind::BadFrame(format!(
                                "unexpected PN532 response {:#04x} to command {:#04x}",
                                payload[0], cmd[0]
                            )),
                        ));
                    }
                    Err(kind) => return Err(self.err(Stage::Parse, kind)),
                }
            }
        }
    }

    fn initialise(&mut self) -> DeviceResult<()> {
        self.port.write_all(&WAKE_UP)?;
        std::thread::sleep(Duration::from_millis(2));
        self.exchange(&SAM_CONFIGURATION)?;
        self.exchange(&RF_RETRIES)?;
        self.needs_init = false;
        Ok(())
    }

    /// Reads the firmware version (IC, version, revision).
    pub fn firmware_version(&mut self) -> DeviceResult<(u8, u8, u8)> {
        let r = self.exchange(&GET_FIRMWARE_VERSION)?;
        match r[..] {
            [0x03, ic, ver, rev, ..] => Ok((ic, ver, rev)),
            _ => Err(self.err(
                Stage::Parse,
                ErrorKind::BadFrame("short GetFirmwareVersion response".into()),
            )),
        }
    }

    fn poll_card(&mut self) {
        if !self.port.ensure_connected() {
            self.drain_status();
            return;
        }
        self.drain_status();
        if self.needs_init
            && let Err(e) = self.initialise()
        {
            self.drain_status();
            self.queue.push_back(DeviceEvent::Error(e));
            return;
        }
        match self
            .exchange(&IN_LIST_PASSIVE_TARGET)
            .and_then(|p| parse_list_response(&p).map_err(|k| self.err(Stage::Parse, k)))
        {
            Ok(None) => self.present = None,
            Ok(Some(target)) => {
                if self.present.as_ref() != Some(&target.uid) {
                    self.queue.push_back(DeviceEvent::Data(CardData {
                        card_number: uid_hex(&target.uid),
                        track: CardTrack::Uid,
                        source: CardSource::Nfc,
                    }));
                    self.present = Some(target.uid);
                }
            }
            Err(e) => {
                if e.is_disconnect() {
                    self.needs_init = true;
                }
                self.queue.push_back(DeviceEvent::Error(e));
            }
        }
        self.drain_status();
    }

    fn drain_status(&mut self) {
        while let Some(s) = self.port.take_status() {
            if matches!(s, DeviceStatus::Offline(_) | DeviceStatus::Reconnected) {
                self.needs_init = true;
                self.present = None;
            }
            self.queue.push_back(DeviceEvent::Status(s));
        }
    }
}

impl Device for Pn532Reader {
    fn lifecycle(&self) -> &Lifecycle {
        &self.lifecycle
    }

    fn lifecycle_mut(&mut self) -> &mut Lifecycle {
        &mut self.lifecycle
    }

    fn on_claim(&mut self) -> DeviceResult<()> {
        self.port.connect()?;
        if let Err(e) = self.initialise() {
            self.port.disconnect();
            return Err(e);
        }
        Ok(())
    }

    fn on_enable(&mut self) -> DeviceResult<()> {
        self.present = None;
        self.next_poll = Instant::now();
        Ok(())
    }

    fn on_disable(&mut self) {
        self.queue.retain(|e| matches!(e, DeviceEvent::Status(_)));
    }

    fn on_release(&mut self) {
        self.port.disconnect();
        self.queue.clear();
        self.needs_init = true;
    }

    fn on_check_health(&mut self) -> Health {
        if !self.port.ensure_connected() {
            self.drain_status();
            return Health::failed(format!("{} is not connected", self.name()));
        }
        if self.needs_init
            && let Err(e) = self.initialise()
        {
            return Health::failed(e.to_string());
        }
        match self.firmware_version() {
            Ok((ic, ver, rev)) => {
                Health::ok(format!("{}: PN5{ic:02X} firmware {ver}.{rev}", self.name()))
            }
            Err(e) => Health::failed(e.to_string()),
        }
    }
}

impl InputDevice for Pn532Reader {
    type Data = CardData;

    fn poll_event(&mut self, timeout: Duration) -> Option<DeviceEvent<CardData>> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(e) = self.queue.pop_front() {
                return Some(e);
            }
            if self.lifecycle.state() != LifecycleState::Enabled {
                std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
                return None;
            }
            let now = Instant::now();
            if now >= self.next_poll {
                self.poll_card();
                self.next_poll = Instant::now() + self.poll_every;
                continue;
            }
            if now >= deadline {
                return None;
            }
            std::thread::sleep(self.next_poll.min(deadline) - now);
        }
    }
}

/// A scripted PN532 for tests and simulators: answers the commands this driver sends.
///
/// Feed it what the host wrote; it returns the bytes the chip would answer.
#[derive(Debug, Default)]
pub struct Pn532Emulator {
    parser: Pn532Parser,
    /// UID of the card in the field, if any.
    pub card: Option<Vec<u8>>,
    /// Corrupt the checksum of the next response (to test error handling).
    pub corrupt_next: bool,
}

impl Pn532Emulator {
    /// An emulator with no card in the field.
    pub fn new() -> Self {
        Self::default()
    }

    /// Processes bytes written by the host and returns the chip's reply bytes.
    pub fn handle(&mut self, host_bytes: &[u8]) -> Vec<u8> {
        let mut frames = Vec::new();
        self.parser.feed(host_bytes, &mut frames);
        let mut out = Vec::new();
        for f in frames {
            let Ok(Pn532Frame::Data { payload, .. }) = f else {
                continue;
            };
            out.extend_from_slice(&ACK);
            let reply: Vec<u8> = match payload[0] {
                0x02 => vec![0x03, 0x32, 0x01, 0x06, 0x07],
                0x14 => vec![0x15],
                0x32 => vec![0x33],
                0x4A => match &self.card {
                    None => vec![0x4B, 0x00],
                    Some(uid) => {
                        let mut r = vec![0x4B, 0x01, 0x01, 0x00, 0x44, 0x00, uid.len() as u8];
                        r.extend_from_slice(uid);
                        r
                    }
                },
                other => vec![other.wrapping_add(1)],
            };
            let mut frame = super::pn532_frame::encode_frame(TFI_PN532, &reply);
            if std::mem::take(&mut self.corrupt_next) {
                let n = frame.len();
                frame[n - 2] ^= 0x55;
            }
            out.extend(frame);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::{MemoryConnector, Transport};
    use std::sync::{Arc, Mutex};

    /// Runs an emulator on the device side of an in-memory link.
    fn spawn_chip(
        mut end: crate::transport::MemoryEnd,
        chip: Arc<Mutex<Pn532Emulator>>,
    ) -> std::thread::JoinHandle<()> {
        std::thread::spawn(move || {
            let mut buf = [0u8; 256];
            while let Ok(n) = end.read_timeout(&mut buf, Duration::from_millis(20)) {
                if n > 0 {
                    let reply = chip.lock().unwrap().handle(&buf[..n]);
                    if end.write_all(&reply).is_err() {
                        break;
                    }
                }
            }
        })
    }

    #[test]
    fn reports_each_card_once_and_bad_frames_as_errors() {
        let plug = MemoryConnector::new("pn532");
        let chip = Arc::new(Mutex::new(Pn532Emulator::new()));
        let t = spawn_chip(plug.plug_new(), Arc::clone(&chip));
        let mut r = Pn532Reader::new(Box::new(plug))
            .with_poll_interval(Duration::from_millis(5))
            .with_reply_timeout(Duration::from_millis(200));
        r.start().unwrap();
        assert_eq!(r.poll_event(Duration::from_millis(50)), None);
        chip.lock().unwrap().card = Some(vec![0x04, 0xA1, 0xB2, 0xC3]);
        let e = r.poll_event(Duration::from_secs(1)).unwrap();
        assert_eq!(
            e,
            DeviceEvent::Data(CardData {
                card_number: "04A1B2C3".into(),
                track: CardTrack::Uid,
                source: CardSource::Nfc
            })
        );
        assert_eq!(
            r.poll_event(Duration::from_millis(60)),
            None,
            "held card not repeated"
        );
        chip.lock().unwrap().corrupt_next = true;
        let e = r.poll_event(Duration::from_secs(1)).unwrap();
        assert!(
            matches!(e, DeviceEvent::Error(ref err) if err.kind.to_string().contains("checksum"))
        );
        assert!(r.check_health().detail.contains("PN532"));
        r.stop();
        drop(r);
        t.join().unwrap();
    }
}
