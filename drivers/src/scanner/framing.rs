//! Prefix/suffix framing for serial and keyboard-wedge scanners.
//!
//! A scanner sends `prefix + payload + suffix` for every read (commonly no prefix and a CR
//! suffix, or STX … ETX). [`FramedScanDecoder`] finds frames in the byte stream and hands
//! complete payloads to [`decode_payload`]. Anything that is not a whole frame — bytes
//! before a prefix, a new prefix before the suffix, an overlong frame, a frame cut short
//! by silence — is reported as a bad frame and never used.

use super::ScanData;
use super::aim::decode_payload;
use crate::error::ErrorKind;
use crate::stream::FrameDecoder;

/// Longest payload accepted (2D codes can be long; anything longer is line noise).
pub const MAX_FRAME: usize = 8192;

/// Finds prefix/suffix frames and decodes each payload as a scan.
#[derive(Debug, Clone)]
pub struct FramedScanDecoder {
    prefix: Vec<u8>,
    suffix: Vec<u8>,
    buf: Vec<u8>,
    in_frame: bool,
    garbage: usize,
    overflow: bool,
}

impl FramedScanDecoder {
    /// A decoder for `prefix` (may be empty) and `suffix` (must not be empty; `\r` if so).
    pub fn new(prefix: &[u8], suffix: &[u8]) -> Self {
        let suffix = if suffix.is_empty() {
            b"\r".to_vec()
        } else {
            suffix.to_vec()
        };
        Self {
            prefix: prefix.to_vec(),
            suffix,
            buf: Vec::new(),
            in_frame: prefix.is_empty(),
            garbage: 0,
            overflow: false,
        }
    }

    fn start_state(&self) -> bool {
        self.prefix.is_empty()
    }

    fn push_garbage(&mut self, out: &mut Vec<Result<ScanData, ErrorKind>>) {
        if self.garbage > 0 {
            out.push(Err(ErrorKind::BadFrame(format!(
                "{} byte(s) outside a frame were dropped",
                self.garbage
            ))));
            self.garbage = 0;
        }
    }
}

impl FrameDecoder for FramedScanDecoder {
    type Output = ScanData;

    fn feed(&mut self, bytes: &[u8], out: &mut Vec<Result<ScanData, ErrorKind>>) {
        for &b in bytes {
            if !self.in_frame {
                // Hunting for the prefix; keep only a possible partial prefix.
                self.buf.push(b);
                if self.buf.ends_with(&self.prefix) {
                    self.garbage += self.buf.len() - self.prefix.len();
                    self.push_garbage(out);
                    self.buf.clear();
                    self.in_frame = true;
                } else if self.buf.len() >= self.prefix.len() {
                    let drop = self.buf.len() + 1 - self.prefix.len();
                    self.garbage += drop;
                    self.buf.drain(..drop);
                }
                continue;
            }
            if self.buf.is_empty()
                && self.prefix.is_empty()
                && (b == b'\n' || b == b'\r')
                && self.suffix[0] != b
            {
                // Line-ending left over from a scanner sending CR LF when CR is configured.
                continue;
            }
            self.buf.push(b);
            if self.buf.ends_with(&self.suffix) {
                let end = self.buf.len() - self.suffix.len();
                if self.overflow {
                    out.push(Err(ErrorKind::BadFrame(format!(
                        "frame longer than {MAX_FRAME} bytes was dropped"
                    ))));
                } else {
                    let payload = &self.buf[..end];
                    // A lone suffix (e.g. CR LF split as two frames) carries nothing.
                    if !(payload.is_empty() && self.prefix.is_empty()) {
                        out.push(decode_payload(payload));
                    }
                }
                self.buf.clear();
                self.overflow = false;
                self.in_frame = self.start_state();
                continue;
            }
            if !self.prefix.is_empty() && self.buf.ends_with(&self.prefix) {
                // A new frame started before the old one ended: the old one is cut short.
                out.push(Err(ErrorKind::BadFrame(
                    "frame cut short by the start of the next one".into(),
                )));
                self.buf.clear();
                self.overflow = false;
                continue;
            }
            if self.buf.len() > MAX_FRAME + self.suffix.len() {
                self.overflow = true;
                let keep = self.suffix.len();
                let cut = self.buf.len() - keep;
                self.buf.drain(..cut);
            }
        }
    }

    fn idle(&mut self) -> Option<ErrorKind> {
        let had = self.has_partial();
        let garbage = self.garbage + if self.in_frame { 0 } else { self.buf.len() };
        let in_frame = self.in_frame && !self.buf.is_empty();
        self.reset();
        if !had {
            return None;
        }
        Some(if in_frame {
            ErrorKind::BadFrame("incomplete frame (no suffix before the line went quiet)".into())
        } else {
            ErrorKind::BadFrame(format!("{garbage} byte(s) outside a frame were dropped"))
        })
    }

    fn reset(&mut self) {
        self.buf.clear();
        self.in_frame = self.start_state();
        self.garbage = 0;
        self.overflow = false;
    }

    fn has_partial(&self) -> bool {
        !self.buf.is_empty() || self.garbage > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scanner::Symbology;

    fn run(d: &mut FramedScanDecoder, bytes: &[u8]) -> Vec<Result<ScanData, ErrorKind>> {
        let mut out = Vec::new();
        d.feed(bytes, &mut out);
        out
    }

    #[test]
    fn suffix_only_frames_split_across_reads() {
        let mut d = FramedScanDecoder::new(b"", b"\r\n");
        assert!(run(&mut d, b"]E04006381").is_empty());
        assert!(d.has_partial());
        let out = run(&mut d, b"333931\r\n]E496385074\r\n");
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].as_ref().unwrap().label, "4006381333931");
        assert_eq!(out[1].as_ref().unwrap().symbology, Symbology::Ean8);
        assert!(!d.has_partial());
    }

    #[test]
    fn prefix_framing_reports_noise_and_cut_frames() {
        let mut d = FramedScanDecoder::new(b"\x02", b"\x03");
        let out = run(&mut d, b"xx\x02]C0AB\x02]C0CD\x03");
        assert_eq!(out.len(), 3, "{out:?}");
        assert!(matches!(&out[0], Err(ErrorKind::BadFrame(m)) if m.contains("2 byte")));
        assert!(matches!(&out[1], Err(ErrorKind::BadFrame(m)) if m.contains("cut short")));
        assert_eq!(out[2].as_ref().unwrap().label, "CD");
    }

    #[test]
    fn multi_byte_prefix_split_across_reads() {
        let mut d = FramedScanDecoder::new(b"@@", b"\r");
        assert!(run(&mut d, b"@").is_empty());
        let out = run(&mut d, b"@12345670\r");
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].as_ref().unwrap().label, "12345670");
    }

    #[test]
    fn stray_line_feed_after_cr_is_ignored() {
        let mut d = FramedScanDecoder::new(b"", b"\r");
        let out = run(&mut d, b"4006381333931\r\n96385074\r\n");
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(out[1].as_ref().unwrap().symbology, Symbology::Ean8);
    }

    #[test]
    fn idle_drops_partial_frame() {
        let mut d = FramedScanDecoder::new(b"", b"\r");
        assert!(run(&mut d, b"400638").is_empty());
        assert!(matches!(d.idle(), Some(ErrorKind::BadFrame(m)) if m.contains("incomplete")));
        assert!(d.idle().is_none());
        // The next complete frame is unaffected.
        let out = run(&mut d, b"4006381333931\r");
        assert_eq!(out[0].as_ref().unwrap().label, "4006381333931");
    }

    #[test]
    fn overlong_frame_is_dropped() {
        let mut d = FramedScanDecoder::new(b"", b"\r");
        let mut long = vec![b'A'; MAX_FRAME + 10];
        long.push(b'\r');
        long.extend_from_slice(b"OK\r");
        let out = run(&mut d, &long);
        assert_eq!(out.len(), 2);
        assert!(out[0].is_err());
        assert_eq!(out[1].as_ref().unwrap().label, "OK");
    }
}
