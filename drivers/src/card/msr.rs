//! Magnetic-stripe swipes (ISO/IEC 7813 tracks 1 and 2) and the rule that picks the
//! loyalty card number out of them.
//!
//! A reader sends one swipe as ASCII, e.g. `%B6012345678901234^LI/MING^2712101?;6012345678901234=2712101?\r`.
//! Track 1 runs from `%` to `?`, track 2 from `;` to `?`, each optionally followed by its
//! longitudinal redundancy check (LRC) character. Readers report an unreadable track as
//! `%E?` or `;E?`. A swipe with any garbled track is rejected as a whole, so a half-read
//! card is never used.

use serde::{Deserialize, Serialize};

use super::{CardData, CardSource, CardTrack};
use crate::error::ErrorKind;
use crate::stream::FrameDecoder;

/// Which track the card number is taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackChoice {
    /// Track 1 only.
    Track1,
    /// Track 2 only.
    Track2,
    /// Track 2 if present, else track 1.
    #[default]
    PreferTrack2,
    /// Track 1 if present, else track 2.
    PreferTrack1,
}

/// Which part of the chosen track is the card number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum CardField {
    /// The primary account number: track 2 before `=`, track 1 format B between `B` and `^`.
    #[default]
    Account,
    /// The whole track data between the sentinels.
    Whole,
    /// A fixed slice of the track data (0-based byte offset and length).
    Slice {
        /// Offset in the track data.
        start: usize,
        /// Number of characters.
        len: usize,
    },
}

/// The configurable rule that turns a swipe into a loyalty card number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CardNumberRule {
    /// Which track to read.
    pub track: TrackChoice,
    /// Which field of it.
    pub field: CardField,
    /// Shortest acceptable number.
    pub min_len: usize,
    /// Longest acceptable number.
    pub max_len: usize,
    /// Require digits only.
    pub digits_only: bool,
    /// Require a valid Luhn check digit.
    pub luhn: bool,
}

impl Default for CardNumberRule {
    fn default() -> Self {
        Self {
            track: TrackChoice::PreferTrack2,
            field: CardField::Account,
            min_len: 4,
            max_len: 19,
            digits_only: true,
            luhn: false,
        }
    }
}

/// The tracks read from one swipe (data between the sentinels).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Swipe {
    /// Track 1 data, if present.
    pub track1: Option<String>,
    /// Track 2 data, if present.
    pub track2: Option<String>,
}

/// True if `digits` passes the Luhn check.
pub fn luhn_ok(digits: &str) -> bool {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Computes the LRC character of a track including both sentinels.
pub fn lrc(track_with_sentinels: &[u8], offset: u8, mask: u8) -> u8 {
    track_with_sentinels
        .iter()
        .fold(0u8, |acc, &c| acc ^ (c.wrapping_sub(offset) & mask))
        + offset
}

fn track_error(n: u8, what: impl std::fmt::Display) -> ErrorKind {
    ErrorKind::BadFrame(format!("garbled swipe: track {n} {what}"))
}

/// Parses one swipe frame (without its terminator). With `with_lrc`, every track must be
/// followed by a correct LRC character.
pub fn parse_swipe(frame: &[u8], with_lrc: bool) -> Result<Swipe, ErrorKind> {
    let mut swipe = Swipe::default();
    let mut i = 0;
    while i < frame.len() {
        let (n, offset, mask, max, valid): (u8, u8, u8, usize, fn(u8) -> bool) = match frame[i] {
            b'%' => (1, 0x20, 0x3F, 79, |c| (0x20..=0x5F).contains(&c)),
            b';' => (2, 0x30, 0x0F, 40, |c| (0x30..=0x3F).contains(&c)),
            b'\r' | b'\n' | b' ' => {
                i += 1;
                continue;
            }
            other => {
                return Err(ErrorKind::BadFrame(format!(
                    "garbled swipe: unexpected byte 0x{other:02X} outside a track"
                )));
            }
        };
        let Some(rel_end) = frame[i + 1..].iter().position(|&c| c == b'?') else {
            return Err(track_error(n, "has no end sentinel"));
        };
        let end = i + 1 + rel_end;
        let data = &frame[i + 1..end];
        if data == b"E" || data.is_empty() {
            return Err(track_error(n, "could not be read by the reader"));
        }
        if end + 1 - i > max {
            return Err(track_error(n, "is too long"));
        }
        if let Some(&bad) = data.iter().find(|&&c| !valid(c) || c == b'%' || c == b';') {
            return Err(track_error(n, format!("has invalid character 0x{bad:02X}")));
        }
        let mut next = end + 1;
        if with_lrc {
            let Some(&got) = frame.get(end + 1) else {
                return Err(track_error(n, "is missing its LRC"));
            };
            let want = lrc(&frame[i..=end], offset, mask);
            if got != want {
                return Err(track_error(n, "failed its LRC check"));
            }
            next += 1;
        }
        // Track data is ASCII by the checks above.
        let text = String::from_utf8_lossy(data).into_owned();
        let slot = if n == 1 {
            &mut swipe.track1
        } else {
            &mut swipe.track2
        };
        if slot.is_some() {
            return Err(track_error(n, "appears twice"));
        }
        *slot = Some(text);
        i = next;
    }
    if swipe.track1.is_none() && swipe.track2.is_none() {
        return Err(ErrorKind::BadFrame("garbled swipe: no track found".into()));
    }
    Ok(swipe)
}

fn account_of(track: CardTrack, data: &str) -> Result<&str, ErrorKind> {
    match track {
        CardTrack::Track2 => Ok(data.split('=').next().unwrap_or(data)),
        CardTrack::Track1 => {
            let first = data.split('^').next().unwrap_or(data);
            match first.as_bytes().first() {
                Some(c) if c.is_ascii_uppercase() && data.contains('^') => Ok(&first[1..]),
                _ => Ok(first),
            }
        }
        CardTrack::Uid => Ok(data),
    }
}

/// Applies `rule` to a swipe and returns the card number.
pub fn card_number(swipe: &Swipe, rule: &CardNumberRule) -> Result<(String, CardTrack), ErrorKind> {
    let pick = |t: CardTrack| match t {
        CardTrack::Track1 => swipe.track1.as_deref().map(|d| (t, d)),
        CardTrack::Track2 => swipe.track2.as_deref().map(|d| (t, d)),
        CardTrack::Uid => None,
    };
    let chosen = match rule.track {
        TrackChoice::Track1 => pick(CardTrack::Track1),
        TrackChoice::Track2 => pick(CardTrack::Track2),
        TrackChoice::PreferTrack2 => pick(CardTrack::Track2).or_else(|| pick(CardTrack::Track1)),
        TrackChoice::PreferTrack1 => pick(CardTrack::Track1).or_else(|| pick(CardTrack::Track2)),
    };
    let Some((track, data)) = chosen else {
        return Err(ErrorKind::BadFrame(format!(
            "swipe has no {:?} data for the card number",
            rule.track
        )));
    };
    let number = match rule.field {
        CardField::Account => account_of(track, data)?,
        CardField::Whole => data,
        CardField::Slice { start, len } => {
            data.get(start..start.saturating_add(len)).ok_or_else(|| {
                ErrorKind::BadFrame(format!(
                    "track data is {} characters, too short for characters {start}..{}",
                    data.len(),
                    start.saturating_add(len)
                ))
            })?
        }
    };
    validate_number(number, rule)?;
    Ok((number.to_string(), track))
}

/// Checks a card number against the rule's length, character and Luhn requirements.
pub fn validate_number(number: &str, rule: &CardNumberRule) -> Result<(), ErrorKind> {
    let len = number.chars().count();
    if len < rule.min_len || len > rule.max_len {
        return Err(ErrorKind::BadFrame(format!(
            "card number has {len} characters; expected {}–{}",
            rule.min_len, rule.max_len
        )));
    }
    if rule.digits_only && !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ErrorKind::BadFrame("card number is not all digits".into()));
    }
    if rule.luhn && !luhn_ok(number) {
        return Err(ErrorKind::BadFrame(
            "card number fails its Luhn check".into(),
        ));
    }
    Ok(())
}

/// Cuts a byte stream into swipes (ended by `terminator`) and applies the card number rule.
#[derive(Debug, Clone)]
pub struct MsrDecoder {
    terminator: Vec<u8>,
    with_lrc: bool,
    rule: CardNumberRule,
    source: CardSource,
    buf: Vec<u8>,
}

/// Longest swipe frame accepted (two tracks with LRCs and separators fit easily).
const MAX_SWIPE: usize = 256;

impl MsrDecoder {
    /// A decoder for swipes ending in `terminator` (default CR).
    pub fn new(
        terminator: &[u8],
        with_lrc: bool,
        rule: CardNumberRule,
        source: CardSource,
    ) -> Self {
        Self {
            terminator: if terminator.is_empty() {
                b"\r".to_vec()
            } else {
                terminator.to_vec()
            },
            with_lrc,
            rule,
            source,
            buf: Vec::new(),
        }
    }

    /// Decodes one complete swipe frame into card data.
    pub fn decode_frame(&self, frame: &[u8]) -> Result<CardData, ErrorKind> {
        let swipe = parse_swipe(frame, self.with_lrc)?;
        let (card_number, track) = card_number(&swipe, &self.rule)?;
        Ok(CardData {
            card_number,
            track,
            source: self.source,
        })
    }
}

impl FrameDecoder for MsrDecoder {
    type Output = CardData;

    fn feed(&mut self, bytes: &[u8], out: &mut Vec<Result<CardData, ErrorKind>>) {
        for &b in bytes {
            if self.buf.is_empty() && (b == b'\n' || b == b'\r') && self.terminator[0] != b {
                continue;
            }
            self.buf.push(b);
            if self.buf.ends_with(&self.terminator) {
                let end = self.buf.len() - self.terminator.len();
                if end > 0 {
                    out.push(if end > MAX_SWIPE {
                        Err(ErrorKind::BadFrame("swipe frame too long".into()))
                    } else {
                        self.decode_frame(&self.buf[..end])
                    });
                }
                self.buf.clear();
            } else if self.buf.len() > MAX_SWIPE + self.terminator.len() {
                out.push(Err(ErrorKind::BadFrame("swipe frame too long".into())));
                self.buf.clear();
            }
        }
    }

    fn idle(&mut self) -> Option<ErrorKind> {
        let partial = !self.buf.is_empty();
        self.buf.clear();
        partial.then(|| ErrorKind::BadFrame("incomplete swipe (no terminator)".into()))
    }

    fn reset(&mut self) {
        self.buf.clear();
    }

    fn has_partial(&self) -> bool {
        !self.buf.is_empty()
    }
}

/// Appends the LRC character after each track's end sentinel (for simulators and tests).
pub fn with_lrcs(swipe: &str) -> Vec<u8> {
    let b = swipe.as_bytes();
    let mut out = Vec::with_capacity(b.len() + 2);
    let mut start = None;
    for (i, &c) in b.iter().enumerate() {
        out.push(c);
        match c {
            b'%' | b';' if start.is_none() => start = Some(i),
            b'?' => {
                if let Some(s) = start.take() {
                    let (offset, mask) = if b[s] == b'%' {
                        (0x20, 0x3F)
                    } else {
                        (0x30, 0x0F)
                    };
                    out.push(lrc(&b[s..=i], offset, mask));
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: &str = "%B6012345678901234^LI/MING^2712101000000?;6012345678901234=27121010000?";

    #[test]
    fn parses_both_tracks() {
        let s = parse_swipe(BOTH.as_bytes(), false).unwrap();
        assert_eq!(
            s.track1.as_deref(),
            Some("B6012345678901234^LI/MING^2712101000000")
        );
        assert_eq!(s.track2.as_deref(), Some("6012345678901234=27121010000"));
        let (n, t) = card_number(&s, &CardNumberRule::default()).unwrap();
        assert_eq!((n.as_str(), t), ("6012345678901234", CardTrack::Track2));
        let rule = CardNumberRule {
            track: TrackChoice::Track1,
            ..Default::default()
        };
        assert_eq!(card_number(&s, &rule).unwrap().0, "6012345678901234");
    }

    #[test]
    fn slice_rule_and_luhn() {
        let s = parse_swipe(b";0000123456789=99?", false).unwrap();
        let rule = CardNumberRule {
            field: CardField::Slice { start: 4, len: 9 },
            ..Default::default()
        };
        assert_eq!(card_number(&s, &rule).unwrap().0, "123456789");
        let luhn = CardNumberRule {
            luhn: true,
            ..Default::default()
        };
        assert!(card_number(&s, &luhn).is_err());
        let good = parse_swipe(b";4539578763621486?", false).unwrap();
        assert_eq!(card_number(&good, &luhn).unwrap().0, "4539578763621486");
    }

    #[test]
    fn lrc_is_checked() {
        let framed = with_lrcs(BOTH);
        assert_eq!(framed.len(), BOTH.len() + 2);
        assert!(parse_swipe(&framed, true).is_ok());
        let mut bad = framed.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0x01;
        assert!(
            matches!(parse_swipe(&bad, true), Err(ErrorKind::BadFrame(m)) if m.contains("LRC"))
        );
        assert!(parse_swipe(BOTH.as_bytes(), true).is_err(), "missing LRC");
    }

    #[test]
    fn garbled_swipes_are_rejected_whole() {
        for bad in [
            "%E?;6012345678901234=2712?",
            ";E?",
            ";60123A5678?",
            ";6012345678",
            "%B6012^NAME^2712?;?",
            "x;1234?",
            ";1234?;5678?",
        ] {
            assert!(parse_swipe(bad.as_bytes(), false).is_err(), "{bad}");
        }
    }

    #[test]
    fn decoder_frames_swipes() {
        let mut d = MsrDecoder::new(
            b"\r",
            false,
            CardNumberRule::default(),
            CardSource::MagStripe,
        );
        let mut out = Vec::new();
        d.feed(b";6012345678901234=2712?\r;E?\r;1234", &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].as_ref().unwrap().card_number, "6012345678901234");
        assert!(out[1].is_err());
        assert!(d.has_partial());
        assert!(d.idle().is_some());
    }
}
