//! PN532 host-interface frames (the NXP NFC controller's serial "HSU" protocol).
//!
//! ```text
//! normal:   00 00 FF LEN LCS TFI PD0 … PDn DCS 00      LEN + LCS ≡ 0, TFI + ΣPD + DCS ≡ 0 (mod 256)
//! extended: 00 00 FF FF FF LENM LENL LCS TFI … DCS 00  LENM + LENL + LCS ≡ 0
//! ACK:      00 00 FF 00 FF 00
//! NACK:     00 00 FF FF 00 00
//! error:    00 00 FF 01 FF 7F 81 00
//! ```
//!
//! [`Pn532Parser`] finds frames in a byte stream and checks both checksums; a frame that
//! fails either is reported and dropped.

use crate::error::ErrorKind;

/// Frame identifier for host → PN532.
pub const TFI_HOST: u8 = 0xD4;
/// Frame identifier for PN532 → host.
pub const TFI_PN532: u8 = 0xD5;
/// The ACK frame.
pub const ACK: [u8; 6] = [0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00];
/// The NACK frame.
pub const NACK: [u8; 6] = [0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00];

/// A frame received from (or sent to) a PN532.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pn532Frame {
    /// Acknowledgement of a command.
    Ack,
    /// Request to resend the last frame.
    Nack,
    /// The PN532 found a syntax error in the last command.
    SyntaxError,
    /// An information frame.
    Data {
        /// Frame identifier (0xD4 or 0xD5).
        tfi: u8,
        /// Command or response code and its parameters.
        payload: Vec<u8>,
    },
}

/// Encodes an information frame with `tfi` and `payload` (normal or extended length).
pub fn encode_frame(tfi: u8, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() + 1;
    let mut out = Vec::with_capacity(len + 10);
    out.extend_from_slice(&[0x00, 0x00, 0xFF]);
    if len < 255 {
        out.push(len as u8);
        out.push((len as u8).wrapping_neg());
    } else {
        let (m, l) = ((len >> 8) as u8, len as u8);
        out.extend_from_slice(&[0xFF, 0xFF, m, l, m.wrapping_add(l).wrapping_neg()]);
    }
    out.push(tfi);
    out.extend_from_slice(payload);
    let sum = payload.iter().fold(tfi, |a, &b| a.wrapping_add(b));
    out.push(sum.wrapping_neg());
    out.push(0x00);
    out
}

/// Encodes a host command (`payload[0]` is the command code).
pub fn command(payload: &[u8]) -> Vec<u8> {
    encode_frame(TFI_HOST, payload)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Hunt,
    GotZero,
    Len,
    ExtLen,
    Body { need: usize },
}

/// Stream parser for PN532 frames.
#[derive(Debug, Clone)]
pub struct Pn532Parser {
    state: State,
    head: Vec<u8>,
    body: Vec<u8>,
}

impl Default for Pn532Parser {
    fn default() -> Self {
        Self::new()
    }
}

/// Longest information frame accepted.
const MAX_BODY: usize = 600;

impl Pn532Parser {
    /// A parser waiting for a start code.
    pub fn new() -> Self {
        Self {
            state: State::Hunt,
            head: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Drops any partial frame.
    pub fn reset(&mut self) {
        self.state = State::Hunt;
        self.head.clear();
        self.body.clear();
    }

    /// Whether a frame is partly received.
    pub fn has_partial(&self) -> bool {
        !matches!(self.state, State::Hunt | State::GotZero)
    }

    /// Feeds bytes and appends every completed frame (or checksum error) to `out`.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<Result<Pn532Frame, ErrorKind>>) {
        for &b in bytes {
            match self.state {
                State::Hunt => {
                    if b == 0x00 {
                        self.state = State::GotZero;
                    }
                }
                State::GotZero => {
                    self.state = match b {
                        0xFF => {
                            self.head.clear();
                            State::Len
                        }
                        0x00 => State::GotZero,
                        _ => State::Hunt,
                    }
                }
                State::Len => {
                    self.head.push(b);
                    if self.head.len() < 2 {
                        continue;
                    }
                    let (len, lcs) = (self.head[0], self.head[1]);
                    match (len, lcs) {
                        (0x00, 0xFF) => {
                            out.push(Ok(Pn532Frame::Ack));
                            self.reset();
                        }
                        (0xFF, 0x00) => {
                            out.push(Ok(Pn532Frame::Nack));
                            self.reset();
                        }
                        (0xFF, 0xFF) => {
                            self.head.clear();
                            self.state = State::ExtLen;
                        }
                        _ if len.wrapping_add(lcs) != 0 => {
                            out.push(Err(ErrorKind::BadFrame(format!(
                                "PN532 length checksum failed (LEN {len:#04x}, LCS {lcs:#04x})"
                            ))));
                            self.reset();
                        }
                        _ => {
                            self.body.clear();
                            // TFI + data + DCS
                            self.state = State::Body {
                                need: len as usize + 1,
                            };
                        }
                    }
                }
                State::ExtLen => {
                    self.head.push(b);
                    if self.head.len() < 3 {
                        continue;
                    }
                    let (m, l, cs) = (self.head[0], self.head[1], self.head[2]);
                    let len = (usize::from(m) << 8) | usize::from(l);
                    if m.wrapping_add(l).wrapping_add(cs) != 0 {
                        out.push(Err(ErrorKind::BadFrame(
                            "PN532 extended length checksum failed".into(),
                        )));
                        self.reset();
                    } else if len == 0 || len > MAX_BODY {
                        out.push(Err(ErrorKind::BadFrame(format!(
                            "PN532 frame length {len} out of range"
                        ))));
                        self.reset();
                    } else {
                        self.body.clear();
                        self.state = State::Body { need: len + 1 };
                    }
                }
                State::Body { need } => {
                    self.body.push(b);
                    if self.body.len() == need {
                        out.push(self.finish());
                        self.reset();
                    }
                }
            }
        }
    }

    fn finish(&self) -> Result<Pn532Frame, ErrorKind> {
        let sum = self.body.iter().fold(0u8, |a, &b| a.wrapping_add(b));
        if sum != 0 {
            return Err(ErrorKind::BadFrame("PN532 data checksum failed".into()));
        }
        let tfi = self.body[0];
        let payload = &self.body[1..self.body.len() - 1];
        if tfi == 0x7F && payload.is_empty() {
            return Ok(Pn532Frame::SyntaxError);
        }
        if tfi != TFI_HOST && tfi != TFI_PN532 {
            return Err(ErrorKind::BadFrame(format!(
                "PN532 frame has unknown TFI {tfi:#04x}"
            )));
        }
        if payload.is_empty() {
            return Err(ErrorKind::BadFrame(
                "PN532 frame has no command code".into(),
            ));
        }
        Ok(Pn532Frame::Data {
            tfi,
            payload: payload.to_vec(),
        })
    }
}

/// A target found by InListPassiveTarget (ISO 14443 type A, 106 kbps).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassiveTarget {
    /// The card's UID (NFCID1), 4, 7 or 10 bytes.
    pub uid: Vec<u8>,
}

/// Parses an InListPassiveTarget response payload (`4B NbTg [Tg SENS_RES SEL_RES len UID…]`).
/// `Ok(None)` means no card in the field.
pub fn parse_list_response(payload: &[u8]) -> Result<Option<PassiveTarget>, ErrorKind> {
    let bad = |m: &str| ErrorKind::BadFrame(format!("InListPassiveTarget response {m}"));
    match payload {
        [0x4B, 0, ..] => Ok(None),
        [0x4B, _nb, _tg, _s1, _s2, _sel, len, rest @ ..] => {
            let len = *len as usize;
            if !matches!(len, 4 | 7 | 10) {
                return Err(bad(&format!("has UID length {len}")));
            }
            if rest.len() < len {
                return Err(bad("is truncated"));
            }
            Ok(Some(PassiveTarget {
                uid: rest[..len].to_vec(),
            }))
        }
        [0x4B, ..] => Err(bad("is truncated")),
        _ => Err(bad("has the wrong response code")),
    }
}

/// Formats a UID as upper-case hex, the card number used for NFC cards.
pub fn uid_hex(uid: &[u8]) -> String {
    uid.iter().map(|b| format!("{b:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> Vec<Result<Pn532Frame, ErrorKind>> {
        let mut p = Pn532Parser::new();
        let mut out = Vec::new();
        p.feed(bytes, &mut out);
        out
    }

    #[test]
    fn encodes_known_frames() {
        // GetFirmwareVersion, as in the PN532 user manual.
        assert_eq!(
            command(&[0x02]),
            vec![0x00, 0x00, 0xFF, 0x02, 0xFE, 0xD4, 0x02, 0x2A, 0x00]
        );
        // SAMConfiguration normal mode.
        assert_eq!(
            command(&[0x14, 0x01, 0x14, 0x01]),
            vec![
                0x00, 0x00, 0xFF, 0x05, 0xFB, 0xD4, 0x14, 0x01, 0x14, 0x01, 0x02, 0x00
            ]
        );
    }

    #[test]
    fn parses_ack_data_and_errors() {
        let mut bytes = ACK.to_vec();
        bytes.extend(encode_frame(TFI_PN532, &[0x03, 0x32, 0x01, 0x06, 0x07]));
        bytes.extend([0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00]);
        bytes.extend(NACK);
        let out = parse(&bytes);
        assert_eq!(
            out,
            vec![
                Ok(Pn532Frame::Ack),
                Ok(Pn532Frame::Data {
                    tfi: TFI_PN532,
                    payload: vec![0x03, 0x32, 0x01, 0x06, 0x07]
                }),
                Ok(Pn532Frame::SyntaxError),
                Ok(Pn532Frame::Nack),
            ]
        );
    }

    #[test]
    fn checksum_failures_are_reported() {
        let mut f = encode_frame(TFI_PN532, &[0x4B, 0x00]);
        let n = f.len();
        f[n - 2] ^= 0xFF;
        assert!(matches!(&parse(&f)[..], [Err(ErrorKind::BadFrame(m))] if m.contains("data")));
        let mut f = encode_frame(TFI_PN532, &[0x4B, 0x00]);
        f[4] ^= 0x01;
        assert!(matches!(&parse(&f)[..], [Err(ErrorKind::BadFrame(m))] if m.contains("length")));
    }

    #[test]
    fn extended_frames_round_trip() {
        let payload: Vec<u8> = (0..300).map(|i| i as u8).collect();
        let f = encode_frame(TFI_PN532, &payload);
        assert_eq!(
            parse(&f),
            vec![Ok(Pn532Frame::Data {
                tfi: TFI_PN532,
                payload
            })]
        );
    }

    #[test]
    fn frames_split_across_reads() {
        let f = encode_frame(TFI_PN532, &[0x4B, 0x00]);
        let mut p = Pn532Parser::new();
        let mut out = Vec::new();
        for b in &f {
            p.feed(&[*b], &mut out);
        }
        assert_eq!(out.len(), 1);
        assert!(!p.has_partial());
    }

    #[test]
    fn list_response() {
        let r = [
            0x4B, 1, 1, 0x00, 0x44, 0x00, 7, 4, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0x80,
        ];
        let t = parse_list_response(&r).unwrap().unwrap();
        assert_eq!(uid_hex(&t.uid), "04A1B2C3D4E580");
        assert_eq!(parse_list_response(&[0x4B, 0]), Ok(None));
        assert!(parse_list_response(&[0x4B, 1, 1, 0, 0x44, 0, 7, 1, 2]).is_err());
        assert!(parse_list_response(&[0x4B, 1, 1, 0, 0x44, 0, 5, 1, 2, 3, 4, 5]).is_err());
        assert!(parse_list_response(&[0x4C]).is_err());
    }
}
