//! Keyboard-wedge transport: scanners and card readers that "type" their data, read from a
//! Linux evdev input device.
//!
//! The device node (e.g. `/dev/input/by-id/usb-Scanner-event-kbd`) is opened and grabbed
//! (`EVIOCGRAB`), so its keystrokes reach only this driver and never the focused window or
//! the real keyboard's stream. Key codes are mapped to characters with a US layout by
//! [`KeyDecoder`]; Enter becomes `\r`, which the frame decoders use as the end of a frame.
//! A key with no mapping becomes U+FFFD so the frame it belongs to is rejected as garbled,
//! never half-used.
//!
//! The evdev path needs a real input device and is not exercised by the test suite; the key
//! mapping is.

use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::poll::wait_readable;
use super::{Connector, LinkResult, Transport};
use crate::error::{ErrorKind, classify_io};

/// Linux input key codes used by wedge devices (from `input-event-codes.h`).
pub mod keys {
    #![allow(missing_docs)]
    pub const KEY_ESC: u16 = 1;
    pub const KEY_1: u16 = 2;
    pub const KEY_0: u16 = 11;
    pub const KEY_MINUS: u16 = 12;
    pub const KEY_EQUAL: u16 = 13;
    pub const KEY_BACKSPACE: u16 = 14;
    pub const KEY_TAB: u16 = 15;
    pub const KEY_Q: u16 = 16;
    pub const KEY_LEFTBRACE: u16 = 26;
    pub const KEY_RIGHTBRACE: u16 = 27;
    pub const KEY_ENTER: u16 = 28;
    pub const KEY_LEFTCTRL: u16 = 29;
    pub const KEY_A: u16 = 30;
    pub const KEY_SEMICOLON: u16 = 39;
    pub const KEY_APOSTROPHE: u16 = 40;
    pub const KEY_GRAVE: u16 = 41;
    pub const KEY_LEFTSHIFT: u16 = 42;
    pub const KEY_BACKSLASH: u16 = 43;
    pub const KEY_Z: u16 = 44;
    pub const KEY_COMMA: u16 = 51;
    pub const KEY_DOT: u16 = 52;
    pub const KEY_SLASH: u16 = 53;
    pub const KEY_RIGHTSHIFT: u16 = 54;
    pub const KEY_KPASTERISK: u16 = 55;
    pub const KEY_LEFTALT: u16 = 56;
    pub const KEY_SPACE: u16 = 57;
    pub const KEY_CAPSLOCK: u16 = 58;
    pub const KEY_NUMLOCK: u16 = 69;
    pub const KEY_KP7: u16 = 71;
    pub const KEY_KP8: u16 = 72;
    pub const KEY_KP9: u16 = 73;
    pub const KEY_KPMINUS: u16 = 74;
    pub const KEY_KP4: u16 = 75;
    pub const KEY_KP5: u16 = 76;
    pub const KEY_KP6: u16 = 77;
    pub const KEY_KPPLUS: u16 = 78;
    pub const KEY_KP1: u16 = 79;
    pub const KEY_KP2: u16 = 80;
    pub const KEY_KP3: u16 = 81;
    pub const KEY_KP0: u16 = 82;
    pub const KEY_KPDOT: u16 = 83;
    pub const KEY_KPENTER: u16 = 96;
    pub const KEY_RIGHTCTRL: u16 = 97;
    pub const KEY_KPSLASH: u16 = 98;
    pub const KEY_RIGHTALT: u16 = 100;
}

use keys::*;

const ROW_Q: &[u8; 10] = b"qwertyuiop";
const ROW_A: &[u8; 9] = b"asdfghjkl";
const ROW_Z: &[u8; 7] = b"zxcvbnm";
const DIGITS_SHIFTED: &[u8; 10] = b"!@#$%^&*()";

/// Maps a key code to the character a US keyboard types, or `None` for keys that type
/// nothing (modifiers, lock keys).
pub fn key_to_char(code: u16, shift: bool) -> Option<Result<char, ()>> {
    let pick = |plain: u8, shifted: u8| Some(Ok(if shift { shifted } else { plain } as char));
    let letter = |c: u8| Some(Ok(if shift { c.to_ascii_uppercase() } else { c } as char));
    match code {
        KEY_LEFTSHIFT | KEY_RIGHTSHIFT | KEY_LEFTCTRL | KEY_RIGHTCTRL | KEY_LEFTALT
        | KEY_RIGHTALT | KEY_CAPSLOCK | KEY_NUMLOCK => None,
        KEY_1..=KEY_0 => {
            let i = (code - KEY_1) as usize;
            let plain = if i == 9 { b'0' } else { b'1' + i as u8 };
            pick(plain, DIGITS_SHIFTED[i])
        }
        KEY_MINUS => pick(b'-', b'_'),
        KEY_EQUAL => pick(b'=', b'+'),
        KEY_TAB => Some(Ok('\t')),
        16..=25 => letter(ROW_Q[(code - KEY_Q) as usize]),
        KEY_LEFTBRACE => pick(b'[', b'{'),
        KEY_RIGHTBRACE => pick(b']', b'}'),
        KEY_ENTER | KEY_KPENTER => Some(Ok('\r')),
        30..=38 => letter(ROW_A[(code - KEY_A) as usize]),
        KEY_SEMICOLON => pick(b';', b':'),
        KEY_APOSTROPHE => pick(b'\'', b'"'),
        KEY_GRAVE => pick(b'`', b'~'),
        KEY_BACKSLASH => pick(b'\\', b'|'),
        44..=50 => letter(ROW_Z[(code - KEY_Z) as usize]),
        KEY_COMMA => pick(b',', b'<'),
        KEY_DOT => pick(b'.', b'>'),
        KEY_SLASH => pick(b'/', b'?'),
        KEY_KPASTERISK => Some(Ok('*')),
        KEY_SPACE => Some(Ok(' ')),
        KEY_KP7 => Some(Ok('7')),
        KEY_KP8 => Some(Ok('8')),
        KEY_KP9 => Some(Ok('9')),
        KEY_KPMINUS => Some(Ok('-')),
        KEY_KP4 => Some(Ok('4')),
        KEY_KP5 => Some(Ok('5')),
        KEY_KP6 => Some(Ok('6')),
        KEY_KPPLUS => Some(Ok('+')),
        KEY_KP1 => Some(Ok('1')),
        KEY_KP2 => Some(Ok('2')),
        KEY_KP3 => Some(Ok('3')),
        KEY_KP0 => Some(Ok('0')),
        KEY_KPDOT => Some(Ok('.')),
        KEY_KPSLASH => Some(Ok('/')),
        _ => Some(Err(())),
    }
}

/// Turns key press/release events into the bytes the device typed.
#[derive(Debug, Default, Clone)]
pub struct KeyDecoder {
    left_shift: bool,
    right_shift: bool,
}

impl KeyDecoder {
    /// A decoder with no key held.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one key event (`value`: 1 press, 0 release, 2 auto-repeat) and appends the
    /// typed character, if any, to `out` as UTF-8. Unmapped keys append U+FFFD.
    pub fn feed(&mut self, code: u16, value: i32, out: &mut Vec<u8>) {
        match code {
            KEY_LEFTSHIFT => self.left_shift = value != 0,
            KEY_RIGHTSHIFT => self.right_shift = value != 0,
            _ if value == 1 => {
                let shift = self.left_shift || self.right_shift;
                match key_to_char(code, shift) {
                    Some(Ok(c)) => {
                        let mut tmp = [0u8; 4];
                        out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
                    }
                    Some(Err(())) => out.extend_from_slice("\u{FFFD}".as_bytes()),
                    None => {}
                }
            }
            _ => {}
        }
    }
}

/// Opens an evdev keyboard-wedge device and grabs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvdevWedgeConnector {
    /// The input device, e.g. `/dev/input/by-id/usb-…-event-kbd`.
    pub device: PathBuf,
    /// Grab the device so its keys do not reach other programs (normally true).
    pub grab: bool,
}

impl Connector for EvdevWedgeConnector {
    fn connect(&self) -> LinkResult<Box<dyn Transport>> {
        if !self.device.exists() {
            return Err(ErrorKind::NotFound(format!(
                "{} does not exist",
                self.device.display()
            )));
        }
        let mut dev = evdev::Device::open(&self.device).map_err(|e| classify_io(&e))?;
        if self.grab {
            dev.grab().map_err(|e| classify_io(&e))?;
        }
        dev.set_nonblocking(true).map_err(|e| classify_io(&e))?;
        Ok(Box::new(EvdevTransport {
            dev,
            keys: KeyDecoder::new(),
            pending: Vec::new(),
        }))
    }

    fn describe(&self) -> String {
        format!("keyboard wedge {}", self.device.display())
    }
}

/// A grabbed evdev device producing typed bytes.
pub struct EvdevTransport {
    dev: evdev::Device,
    keys: KeyDecoder,
    pending: Vec<u8>,
}

impl Transport for EvdevTransport {
    fn read_timeout(&mut self, buf: &mut [u8], timeout: Duration) -> LinkResult<usize> {
        let deadline = Instant::now() + timeout;
        while self.pending.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            if !wait_readable(self.dev.as_raw_fd(), left).map_err(|e| classify_io(&e))? {
                return Ok(0);
            }
            match self.dev.fetch_events() {
                Ok(events) => {
                    for ev in events {
                        if ev.event_type() == evdev::EventType::KEY {
                            self.keys.feed(ev.code(), ev.value(), &mut self.pending);
                        }
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => {
                    return Err(match classify_io(&e) {
                        ErrorKind::Io(m) => ErrorKind::Disconnected(m),
                        other => other,
                    });
                }
            }
            if Instant::now() >= deadline && self.pending.is_empty() {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }

    fn write_all(&mut self, _data: &[u8]) -> LinkResult<()> {
        Err(ErrorKind::InvalidInput(
            "a keyboard-wedge device cannot be written to".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(events: &[(u16, i32)]) -> String {
        let mut d = KeyDecoder::new();
        let mut out = Vec::new();
        for &(c, v) in events {
            d.feed(c, v, &mut out);
        }
        String::from_utf8(out).unwrap()
    }

    fn tap(code: u16) -> [(u16, i32); 2] {
        [(code, 1), (code, 0)]
    }

    #[test]
    fn digits_letters_shift_and_enter() {
        let mut ev = Vec::new();
        ev.extend(tap(KEY_1));
        ev.extend(tap(KEY_0));
        ev.push((KEY_LEFTSHIFT, 1));
        ev.extend(tap(KEY_RIGHTBRACE)); // '}'
        ev.extend(tap(30)); // 'A'
        ev.extend(tap(KEY_5)); // '%'
        ev.push((KEY_LEFTSHIFT, 0));
        ev.extend(tap(30)); // 'a'
        ev.extend(tap(KEY_RIGHTBRACE)); // ']'
        ev.extend(tap(KEY_KP3));
        ev.extend(tap(KEY_ENTER));
        assert_eq!(typed(&ev), "10}A%a]3\r");
    }

    #[test]
    fn auto_repeat_and_releases_type_nothing() {
        assert_eq!(typed(&[(KEY_1, 1), (KEY_1, 2), (KEY_1, 0)]), "1");
    }

    #[test]
    fn unmapped_key_marks_the_frame() {
        assert_eq!(typed(&[(KEY_ESC, 1), (KEY_1, 1)]), "\u{FFFD}1");
    }

    const KEY_5: u16 = 6;
}
