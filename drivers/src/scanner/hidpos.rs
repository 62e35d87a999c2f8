//! HID POS barcode scanners (USB HID usage page 0x8C, "Bar Code Scanner"), read from a
//! Linux `hidraw` node.
//!
//! Each input report of the Scanned Data usage is 64 bytes:
//!
//! | byte   | meaning                                              |
//! |--------|------------------------------------------------------|
//! | 0      | report id (0x02)                                     |
//! | 1      | number of data bytes in this report (0–56)           |
//! | 2–4    | AIM symbology identifier (`]`, code, modifier) or 0  |
//! | 5–60   | decoded data                                         |
//! | 61–62  | vendor symbology bytes                               |
//! | 63     | bit 0: more data follows in the next report          |
//!
//! Long labels span several reports; they are joined and decoded only once complete.
//! `hidraw` delivers whole reports per read, so the decoder counts bytes in 64-byte steps.
//! Reading a real `hidraw` node needs hardware and is not exercised by the test suite; the
//! report decoding is.

use super::ScanData;
use super::aim::decode_payload;
use crate::error::ErrorKind;
use crate::stream::FrameDecoder;

/// Size of one HID POS scanned-data report.
pub const REPORT_LEN: usize = 64;
/// Report id of the scanned-data report.
pub const SCANNED_DATA_REPORT: u8 = 0x02;
const DATA_MAX: usize = 56;
const MAX_LABEL: usize = 8192;

/// Joins HID POS reports into labels.
#[derive(Debug, Clone, Default)]
pub struct HidPosDecoder {
    report: Vec<u8>,
    aim: Option<[u8; 3]>,
    label: Vec<u8>,
    continuing: bool,
    failed: bool,
}

impl HidPosDecoder {
    /// A decoder with nothing buffered.
    pub fn new() -> Self {
        Self::default()
    }

    fn take_report(&mut self, report: &[u8]) -> Option<Result<ScanData, ErrorKind>> {
        if report[0] != SCANNED_DATA_REPORT {
            // Other reports (status, settings) are not scans; ignore them.
            return None;
        }
        let count = report[1] as usize;
        if count > DATA_MAX {
            self.reset();
            return Some(Err(ErrorKind::BadFrame(format!(
                "HID POS report claims {count} data bytes (max {DATA_MAX})"
            ))));
        }
        let aim = [report[2], report[3], report[4]];
        let more = report[63] & 0x01 != 0;
        if !self.continuing {
            self.aim = (aim[0] == b']').then_some(aim);
        } else if aim[0] == b']' && Some(aim) != self.aim {
            self.reset();
            return Some(Err(ErrorKind::BadFrame(
                "HID POS continuation report changed symbology".into(),
            )));
        }
        self.label.extend_from_slice(&report[5..5 + count]);
        if self.label.len() > MAX_LABEL {
            self.failed = true;
        }
        if more {
            self.continuing = true;
            return None;
        }
        let result = if self.failed {
            Err(ErrorKind::BadFrame(format!(
                "HID POS label longer than {MAX_LABEL} bytes"
            )))
        } else {
            let mut payload = Vec::with_capacity(self.label.len() + 3);
            if let Some(id) = self.aim {
                payload.extend_from_slice(&id);
            }
            payload.extend_from_slice(&self.label);
            decode_payload(&payload)
        };
        self.label.clear();
        self.aim = None;
        self.continuing = false;
        self.failed = false;
        Some(result)
    }
}

impl FrameDecoder for HidPosDecoder {
    type Output = ScanData;

    fn feed(&mut self, bytes: &[u8], out: &mut Vec<Result<ScanData, ErrorKind>>) {
        for &b in bytes {
            self.report.push(b);
            if self.report.len() == REPORT_LEN {
                let report = std::mem::take(&mut self.report);
                if let Some(r) = self.take_report(&report) {
                    out.push(r);
                }
                self.report = report;
                self.report.clear();
            }
        }
    }

    fn idle(&mut self) -> Option<ErrorKind> {
        let partial = self.has_partial();
        self.reset();
        partial.then(|| ErrorKind::BadFrame("HID POS label ended without its last report".into()))
    }

    fn reset(&mut self) {
        self.report.clear();
        self.label.clear();
        self.aim = None;
        self.continuing = false;
        self.failed = false;
    }

    fn has_partial(&self) -> bool {
        !self.report.is_empty() || self.continuing
    }
}

/// Builds the reports a HID POS scanner sends for `aim` + `data` (used by tests and the
/// scanner simulator).
pub fn encode_reports(aim: Option<&[u8; 3]>, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let chunks: Vec<&[u8]> = if data.is_empty() {
        vec![&[]]
    } else {
        data.chunks(DATA_MAX).collect()
    };
    let last = chunks.len() - 1;
    for (i, chunk) in chunks.iter().enumerate() {
        let mut r = [0u8; REPORT_LEN];
        r[0] = SCANNED_DATA_REPORT;
        r[1] = chunk.len() as u8;
        if let Some(id) = aim {
            r[2..5].copy_from_slice(id);
        }
        r[5..5 + chunk.len()].copy_from_slice(chunk);
        r[63] = u8::from(i != last);
        out.extend_from_slice(&r);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scanner::Symbology;

    fn run(bytes: &[u8]) -> Vec<Result<ScanData, ErrorKind>> {
        let mut d = HidPosDecoder::new();
        let mut out = Vec::new();
        d.feed(bytes, &mut out);
        out
    }

    #[test]
    fn single_report() {
        let out = run(&encode_reports(Some(b"]E0"), b"4006381333931"));
        assert_eq!(out.len(), 1);
        let d = out[0].as_ref().unwrap();
        assert_eq!(d.symbology, Symbology::Ean13);
        assert_eq!(d.label, "4006381333931");
    }

    #[test]
    fn long_label_spans_reports() {
        let data: Vec<u8> = (0..150).map(|i| b'A' + (i % 26) as u8).collect();
        let bytes = encode_reports(Some(b"]Q1"), &data);
        assert_eq!(bytes.len(), 3 * REPORT_LEN);
        let mut d = HidPosDecoder::new();
        let mut out = Vec::new();
        d.feed(&bytes[..100], &mut out);
        assert!(out.is_empty() && d.has_partial());
        d.feed(&bytes[100..], &mut out);
        assert_eq!(out.len(), 1);
        let s = out[0].as_ref().unwrap();
        assert_eq!(s.symbology, Symbology::QrCode);
        assert_eq!(s.label.as_bytes(), &data[..]);
    }

    #[test]
    fn bad_reports_are_rejected() {
        let mut bytes = encode_reports(Some(b"]E0"), b"4006381333931");
        bytes[1] = 60;
        assert!(run(&bytes)[0].is_err());
        let bytes = encode_reports(Some(b"]E0"), b"4006381333932");
        assert!(run(&bytes)[0].is_err(), "bad check digit");
        let mut d = HidPosDecoder::new();
        let mut out = Vec::new();
        let two = encode_reports(Some(b"]Q1"), &[b'x'; 100]);
        d.feed(&two[..REPORT_LEN], &mut out);
        assert!(d.idle().is_some(), "missing continuation is reported");
        assert!(!d.has_partial());
    }

    #[test]
    fn other_reports_are_ignored() {
        let mut r = [0u8; REPORT_LEN];
        r[0] = 0x04;
        assert!(run(&r).is_empty());
    }
}
