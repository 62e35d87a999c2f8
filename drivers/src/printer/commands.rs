//! ESC/POS command bytes that the `escpos` crate does not provide or gets wrong.
//!
//! * **CODE128** — the crate has no CODE128; we send `GS k 73 n {B…` (function B) or
//!   `{C` pairs for even-length digit strings.
//! * **Cash drawer** — the crate sends `ESC p m` without the pulse times `t1 t2`, which
//!   leaves the printer waiting for two more bytes and swallowing the next command; we send
//!   the complete `ESC p m t1 t2`.
//! * **Kanji (Chinese) mode** — `FS &` / `FS .` to print GB18030 double-byte text.
//! * **Raster image** — `GS v 0` from a 1-bit bitmap, without pulling in an image crate.
//! * **Buffer clearing** — `DLE DC4 8` so a receipt cut short by paper-out does not resume
//!   half-printed when paper is loaded.

use super::document::{Bitmap, DrawerKick, DrawerPin};
use crate::error::ErrorKind;

/// `FS &`: select Kanji (double-byte) character mode.
pub const KANJI_ON: [u8; 2] = [0x1C, 0x26];
/// `FS .`: cancel Kanji character mode.
pub const KANJI_OFF: [u8; 2] = [0x1C, 0x2E];
/// `DLE DC4 8 1 3 20 1 6 2 8`: clear the receive and print buffers.
pub const CLEAR_BUFFERS: [u8; 10] = [0x10, 0x14, 0x08, 1, 3, 20, 1, 6, 2, 8];

/// `DLE EOT n`: real-time status request `n` (1 printer, 2 offline cause, 3 error cause,
/// 4 roll paper sensor).
pub fn status_request(n: u8) -> [u8; 3] {
    [0x10, 0x04, n]
}

/// `ESC p m t1 t2`: pulse the drawer pin for `on_ms`, then wait `off_ms` (2 ms units,
/// clamped to 2–510 ms).
pub fn drawer_kick(kick: &DrawerKick) -> [u8; 5] {
    let units = |ms: u16| (ms / 2).clamp(1, 255) as u8;
    let m = match kick.pin {
        DrawerPin::Pin2 => 0,
        DrawerPin::Pin5 => 1,
    };
    [0x1B, 0x70, m, units(kick.on_ms), units(kick.off_ms)]
}

/// The code set a CODE128 payload is sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code128Set {
    /// Code set B: printable ASCII.
    B,
    /// Code set C: pairs of digits.
    C,
}

/// Picks the code set: C for even-length all-digit data (half as wide), else B.
pub fn code128_set(data: &str) -> Code128Set {
    if data.len() >= 4 && data.len().is_multiple_of(2) && data.bytes().all(|b| b.is_ascii_digit()) {
        Code128Set::C
    } else {
        Code128Set::B
    }
}

/// Number of symbol characters (data + start + check) for the module-width estimate.
pub fn code128_symbols(data: &str) -> usize {
    match code128_set(data) {
        Code128Set::C => data.len() / 2 + 2,
        Code128Set::B => data.len() + 2,
    }
}

/// `GS k 73 n d1…dn`: CODE128, function B. Data must be printable ASCII (1–253 bytes once
/// encoded); `{` is escaped as `{{`.
pub fn code128(data: &str) -> Result<Vec<u8>, ErrorKind> {
    if data.is_empty() {
        return Err(ErrorKind::InvalidInput("CODE128 data is empty".into()));
    }
    if let Some(c) = data.chars().find(|c| !(' '..='~').contains(c)) {
        return Err(ErrorKind::InvalidInput(format!(
            "CODE128 cannot encode {c:?}; use printable ASCII"
        )));
    }
    let mut payload = Vec::with_capacity(data.len() + 4);
    match code128_set(data) {
        Code128Set::C => {
            payload.extend_from_slice(b"{C");
            for pair in data.as_bytes().chunks(2) {
                payload.push((pair[0] - b'0') * 10 + (pair[1] - b'0'));
            }
        }
        Code128Set::B => {
            payload.extend_from_slice(b"{B");
            for &b in data.as_bytes() {
                if b == b'{' {
                    payload.push(b'{');
                }
                payload.push(b);
            }
        }
    }
    if payload.len() > 255 {
        return Err(ErrorKind::InvalidInput(format!(
            "CODE128 data too long ({} bytes encoded, max 255)",
            payload.len()
        )));
    }
    let mut cmd = vec![0x1D, 0x6B, 73, payload.len() as u8];
    cmd.extend_from_slice(&payload);
    Ok(cmd)
}

/// `GS v 0 0 xL xH yL yH d…`: print a raster bitmap at normal density.
pub fn raster(bitmap: &Bitmap) -> Result<Vec<u8>, ErrorKind> {
    let x_bytes = bitmap.width().div_ceil(8);
    let y = bitmap.height();
    if x_bytes == 0 || y == 0 || x_bytes > 0xFFFF || y > 0x0FFF {
        return Err(ErrorKind::InvalidInput(format!(
            "logo size {}x{} is out of range",
            bitmap.width(),
            y
        )));
    }
    let mut cmd = Vec::with_capacity(8 + bitmap.packed().len());
    cmd.extend_from_slice(&[
        0x1D,
        0x76,
        0x30,
        0,
        x_bytes as u8,
        (x_bytes >> 8) as u8,
        y as u8,
        (y >> 8) as u8,
    ]);
    cmd.extend_from_slice(bitmap.packed());
    Ok(cmd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawer_kick_has_pulse_times() {
        assert_eq!(
            drawer_kick(&DrawerKick::default()),
            [0x1B, 0x70, 0x00, 50, 100]
        );
        let k = DrawerKick {
            pin: DrawerPin::Pin5,
            on_ms: 0,
            off_ms: 2000,
        };
        assert_eq!(drawer_kick(&k), [0x1B, 0x70, 0x01, 1, 255]);
    }

    #[test]
    fn code128_function_b_and_c() {
        assert_eq!(
            code128("AB{1").unwrap(),
            vec![0x1D, 0x6B, 73, 7, b'{', b'B', b'A', b'B', b'{', b'{', b'1']
        );
        assert_eq!(
            code128("201234").unwrap(),
            vec![0x1D, 0x6B, 73, 5, b'{', b'C', 20, 12, 34]
        );
        assert_eq!(code128("123").unwrap()[4..6], *b"{B");
        assert!(code128("").is_err());
        assert!(code128("价格").is_err());
        assert!(code128(&"A".repeat(300)).is_err());
    }

    #[test]
    fn raster_header() {
        let b = Bitmap::from_fn(10, 3, |_, _| true);
        let cmd = raster(&b).unwrap();
        assert_eq!(&cmd[..8], &[0x1D, 0x76, 0x30, 0, 2, 0, 3, 0]);
        assert_eq!(cmd.len(), 8 + 6);
    }
}
