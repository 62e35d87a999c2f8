//! AIM symbology identifiers (ISO/IEC 15424: `]E0`, `]E4`, `]C1`, `]Q1` …) and the checks
//! that turn a scanner's payload into a trustworthy [`ScanData`].

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ScanData;
use crate::error::ErrorKind;

/// The barcode symbology a label was read from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Symbology {
    /// EAN-13 (also UPC-A sent as 13 digits).
    Ean13,
    /// EAN-8.
    Ean8,
    /// UPC-A sent as 12 digits.
    UpcA,
    /// UPC-E.
    UpcE,
    /// A 2- or 5-digit EAN/UPC add-on sent on its own.
    EanAddOn,
    /// EAN-13 with its add-on in one label.
    Ean13WithAddOn,
    /// Code 128.
    Code128,
    /// GS1-128 (Code 128 with FNC1 first).
    Gs1_128,
    /// Code 39.
    Code39,
    /// Code 93.
    Code93,
    /// Codabar.
    Codabar,
    /// Interleaved 2 of 5.
    Interleaved2of5,
    /// QR Code.
    QrCode,
    /// GS1 QR Code.
    Gs1QrCode,
    /// Data Matrix.
    DataMatrix,
    /// GS1 Data Matrix.
    Gs1DataMatrix,
    /// PDF417 / MicroPDF417.
    Pdf417,
    /// Aztec.
    Aztec,
    /// GS1 DataBar.
    Gs1DataBar,
    /// MaxiCode.
    MaxiCode,
    /// Another symbology, with its AIM identifier (e.g. `]H0`).
    Other(String),
    /// The scanner sent no identifier and the label does not tell.
    Unknown,
}

impl fmt::Display for Symbology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Symbology::Ean13 => "EAN-13",
            Symbology::Ean8 => "EAN-8",
            Symbology::UpcA => "UPC-A",
            Symbology::UpcE => "UPC-E",
            Symbology::EanAddOn => "EAN add-on",
            Symbology::Ean13WithAddOn => "EAN-13 with add-on",
            Symbology::Code128 => "Code 128",
            Symbology::Gs1_128 => "GS1-128",
            Symbology::Code39 => "Code 39",
            Symbology::Code93 => "Code 93",
            Symbology::Codabar => "Codabar",
            Symbology::Interleaved2of5 => "Interleaved 2 of 5",
            Symbology::QrCode => "QR Code",
            Symbology::Gs1QrCode => "GS1 QR Code",
            Symbology::DataMatrix => "Data Matrix",
            Symbology::Gs1DataMatrix => "GS1 Data Matrix",
            Symbology::Pdf417 => "PDF417",
            Symbology::Aztec => "Aztec",
            Symbology::Gs1DataBar => "GS1 DataBar",
            Symbology::MaxiCode => "MaxiCode",
            Symbology::Other(id) => return write!(f, "symbology {id}"),
            Symbology::Unknown => "unknown symbology",
        };
        f.write_str(s)
    }
}

/// Splits an AIM identifier (`]` + code character + modifier) off the front of a payload.
/// Returns `None` when the payload does not start with one.
pub fn split_aim(payload: &[u8]) -> Option<([u8; 3], &[u8])> {
    match payload {
        [b']', code, modifier, rest @ ..]
            if code.is_ascii_alphabetic() && modifier.is_ascii_alphanumeric() =>
        {
            Some(([b']', *code, *modifier], rest))
        }
        _ => None,
    }
}

/// Maps a code character and modifier to a symbology.
pub fn symbology_from_aim(code: u8, modifier: u8) -> Symbology {
    match (code, modifier) {
        (b'E', b'0') => Symbology::Ean13,
        (b'E', b'1') | (b'E', b'2') => Symbology::EanAddOn,
        (b'E', b'3') => Symbology::Ean13WithAddOn,
        (b'E', b'4') => Symbology::Ean8,
        (b'C', b'1') => Symbology::Gs1_128,
        (b'C', _) => Symbology::Code128,
        (b'A', _) => Symbology::Code39,
        (b'G', _) => Symbology::Code93,
        (b'F', _) => Symbology::Codabar,
        (b'I', _) => Symbology::Interleaved2of5,
        (b'Q', b'3') | (b'Q', b'4') => Symbology::Gs1QrCode,
        (b'Q', _) => Symbology::QrCode,
        (b'd', b'2') | (b'd', b'5') => Symbology::Gs1DataMatrix,
        (b'd', _) => Symbology::DataMatrix,
        (b'L', _) => Symbology::Pdf417,
        (b'z', _) => Symbology::Aztec,
        (b'e', _) => Symbology::Gs1DataBar,
        (b'U', _) => Symbology::MaxiCode,
        (c, m) => Symbology::Other(format!("]{}{}", c as char, m as char)),
    }
}

/// Computes the GS1 mod-10 check digit for the digits before it.
pub fn gs1_check_digit(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| u32::from(d - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    ((10 - sum % 10) % 10) as u8 + b'0'
}

/// True if `label` is all digits and its last digit is the right GS1 check digit.
pub fn gs1_check_ok(label: &[u8]) -> bool {
    label.len() >= 2
        && label.iter().all(u8::is_ascii_digit)
        && gs1_check_digit(&label[..label.len() - 1]) == label[label.len() - 1]
}

fn check_gs1(label: &str, what: &str, lengths: &[usize]) -> Result<(), ErrorKind> {
    let b = label.as_bytes();
    if !lengths.contains(&b.len()) || !b.iter().all(u8::is_ascii_digit) {
        return Err(ErrorKind::BadFrame(format!(
            "{what} label {label:?} must be {lengths:?} digits"
        )));
    }
    if !gs1_check_ok(b) {
        return Err(ErrorKind::BadFrame(format!(
            "{what} label {label:?} fails its check digit (garbled transmission)"
        )));
    }
    Ok(())
}

/// Characters allowed in a label besides printable text: GS1 separators and EOT.
fn allowed_control(c: char) -> bool {
    matches!(c, '\u{1C}' | '\u{1D}' | '\u{1E}' | '\u{04}')
}

/// Decodes one complete frame payload (prefix and suffix already removed) into
/// [`ScanData`]. The AIM identifier, if present, gives the symbology; otherwise digit-only
/// labels with a valid check digit are recognised as EAN-13/EAN-8/UPC-A.
///
/// Fails (and nothing is used) if the payload is empty, not UTF-8 text, contains control
/// characters or keys that could not be mapped, or an EAN/UPC label fails its check digit.
pub fn decode_payload(payload: &[u8]) -> Result<ScanData, ErrorKind> {
    let (symbology, body) = match split_aim(payload) {
        Some((id, rest)) => (Some(symbology_from_aim(id[1], id[2])), rest),
        None => (None, payload),
    };
    if body.is_empty() {
        return Err(ErrorKind::BadFrame("empty label".into()));
    }
    let label = std::str::from_utf8(body)
        .map_err(|_| ErrorKind::BadFrame("label is not valid text".into()))?;
    if let Some(c) = label
        .chars()
        .find(|&c| c == '\u{FFFD}' || (c.is_control() && !allowed_control(c)))
    {
        return Err(ErrorKind::BadFrame(format!(
            "label contains an unexpected character U+{:04X}",
            c as u32
        )));
    }
    let symbology = match symbology {
        Some(Symbology::Ean13) => match label.len() {
            12 => {
                check_gs1(label, "UPC-A", &[12])?;
                Symbology::UpcA
            }
            8 => {
                check_gs1(label, "UPC-E", &[8])?;
                Symbology::UpcE
            }
            _ => {
                check_gs1(label, "EAN-13", &[13])?;
                Symbology::Ean13
            }
        },
        Some(Symbology::Ean8) => {
            check_gs1(label, "EAN-8", &[8])?;
            Symbology::Ean8
        }
        Some(Symbology::EanAddOn) => {
            if !(label.len() == 2 || label.len() == 5) || !label.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(ErrorKind::BadFrame(format!(
                    "add-on label {label:?} must be 2 or 5 digits"
                )));
            }
            Symbology::EanAddOn
        }
        Some(Symbology::Ean13WithAddOn) => {
            let n = label.len();
            if !(n == 15 || n == 18) {
                return Err(ErrorKind::BadFrame(format!(
                    "EAN-13 with add-on {label:?} must be 15 or 18 digits"
                )));
            }
            check_gs1(&label[..13], "EAN-13", &[13])?;
            if !label.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ErrorKind::BadFrame(format!(
                    "add-on of {label:?} is not digits"
                )));
            }
            Symbology::Ean13WithAddOn
        }
        Some(other) => other,
        None => infer(label),
    };
    Ok(ScanData {
        symbology,
        label: label.to_string(),
        raw: payload.to_vec(),
    })
}

fn infer(label: &str) -> Symbology {
    let b = label.as_bytes();
    if !gs1_check_ok(b) {
        return Symbology::Unknown;
    }
    match b.len() {
        13 => Symbology::Ean13,
        12 => Symbology::UpcA,
        8 => Symbology::Ean8,
        _ => Symbology::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_common_identifiers() {
        let d = decode_payload(b"]E04006381333931").unwrap();
        assert_eq!(d.symbology, Symbology::Ean13);
        assert_eq!(d.label, "4006381333931");
        assert_eq!(d.raw, b"]E04006381333931");

        assert_eq!(
            decode_payload(b"]E496385074").unwrap().symbology,
            Symbology::Ean8
        );
        let d = decode_payload(b"]C1\x1d0104012345123456").unwrap();
        assert_eq!(d.symbology, Symbology::Gs1_128);
        assert_eq!(d.label, "\u{1d}0104012345123456");
        assert_eq!(
            decode_payload(b"]C0ABC-123").unwrap().symbology,
            Symbology::Code128
        );
        let d = decode_payload("]Q1会员:M-0042".as_bytes()).unwrap();
        assert_eq!(d.symbology, Symbology::QrCode);
        assert_eq!(d.label, "会员:M-0042");
        assert_eq!(
            decode_payload(b"]H0123").unwrap().symbology,
            Symbology::Other("]H0".into())
        );
    }

    #[test]
    fn ean_check_digit_is_enforced() {
        let e = decode_payload(b"]E04006381333932").unwrap_err();
        assert!(matches!(e, ErrorKind::BadFrame(m) if m.contains("check digit")));
        assert!(decode_payload(b"]E4963850").is_err());
        assert!(decode_payload(b"]E0ABCDEFGHIJKLM").is_err());
    }

    #[test]
    fn infers_ean_without_identifier() {
        assert_eq!(
            decode_payload(b"4006381333931").unwrap().symbology,
            Symbology::Ean13
        );
        assert_eq!(
            decode_payload(b"036000291452").unwrap().symbology,
            Symbology::UpcA
        );
        assert_eq!(
            decode_payload(b"4006381333932").unwrap().symbology,
            Symbology::Unknown
        );
    }

    #[test]
    fn rejects_garbage() {
        assert!(decode_payload(b"").is_err());
        assert!(decode_payload(b"]E0").is_err());
        assert!(decode_payload(b"\xff\xfe").is_err());
        assert!(decode_payload(b"12\x0734").is_err());
        assert!(decode_payload("12\u{FFFD}3".as_bytes()).is_err());
    }
}
