//! Encodes a [`Document`] to ESC/POS bytes for a [`PrinterProfile`].
//!
//! Styles, text, EAN-13, QR codes, feeds and cuts go through the `escpos` crate (with a GB18030
//! text encoder for Chinese); CODE128, the complete drawer kick, Kanji mode and raster
//! logos use our own commands from [`super::commands`]. The whole document is checked
//! first: a bad barcode, an oversized logo or text the code page cannot carry is an error
//! and nothing is produced.

use std::cell::RefCell;
use std::rc::Rc;

use escpos::driver::Driver;
use escpos::errors::PrinterError;
use escpos::printer::Printer;
use escpos::utils::{
    BarcodeFont, BarcodeHeight, BarcodeOption, BarcodePosition, BarcodeWidth, Encoder, JustifyMode,
    Protocol, QRCodeCorrectionLevel, QRCodeModel, QRCodeOption, UnderlineMode,
};

use super::commands::{KANJI_ON, code128, code128_symbols, drawer_kick, raster};
use super::document::{Align, BarcodeKind, Block, Document, QrLevel, TextStyle};
use super::profile::{CodePage, PrinterProfile, text_width};
use crate::error::ErrorKind;
use crate::scanner::aim::gs1_check_ok;

/// Barcode bar height in dots (the `escpos` crate's "S" height).
pub const BARCODE_HEIGHT: u8 = 102;
/// Longest QR payload accepted (bytes).
pub const QR_MAX: usize = 1200;

/// ESC/POS bytes for one document, with the offsets where blocks end (for sending the job
/// in pieces and checking status between them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Offsets just after each block (ascending; the last is `bytes.len()`).
    pub block_ends: Vec<usize>,
}

/// An `escpos` driver that keeps what it is given.
#[derive(Default)]
struct Sink {
    buf: Rc<RefCell<Vec<u8>>>,
}

impl Driver for Sink {
    fn name(&self) -> String {
        "memory".into()
    }
    fn write(&self, data: &[u8]) -> escpos::errors::Result<()> {
        self.buf.borrow_mut().extend_from_slice(data);
        Ok(())
    }
    fn read(&self, _buf: &mut [u8]) -> escpos::errors::Result<usize> {
        Ok(0)
    }
    fn flush(&self) -> escpos::errors::Result<()> {
        Ok(())
    }
}

fn crate_error(e: PrinterError) -> ErrorKind {
    ErrorKind::InvalidInput(e.to_string())
}

/// Replaces what the code page cannot print: `¥` becomes the full-width `￥` that GB
/// printers have in their font; for ASCII, anything else becomes `?`.
pub fn printable_text(text: &str, code_page: CodePage) -> String {
    text.chars()
        .map(|c| match (code_page, c) {
            (_, '\t') => ' ',
            (_, c) if c.is_control() => ' ',
            (CodePage::Gb18030, '¥') => '￥',
            (CodePage::Ascii, c) if !c.is_ascii() => '?',
            (_, c) => c,
        })
        .collect()
}

fn qr_level(level: QrLevel) -> (QRCodeCorrectionLevel, qrcode::EcLevel) {
    match level {
        QrLevel::L => (QRCodeCorrectionLevel::L, qrcode::EcLevel::L),
        QrLevel::M => (QRCodeCorrectionLevel::M, qrcode::EcLevel::M),
        QrLevel::Q => (QRCodeCorrectionLevel::Q, qrcode::EcLevel::Q),
        QrLevel::H => (QRCodeCorrectionLevel::H, qrcode::EcLevel::H),
    }
}

/// Module width (dots per narrow bar) for a CODE128 symbol that fits the paper.
fn code128_module(data: &str, dots: u32) -> Result<u8, ErrorKind> {
    // 11 modules per symbol character, 13 for the stop, 10-module quiet zone each side.
    let modules = 11 * code128_symbols(data) as u32 + 13 + 20;
    for width in [3u8, 2, 1] {
        if modules * u32::from(width) <= dots {
            return Ok(width);
        }
    }
    Err(ErrorKind::InvalidInput(format!(
        "CODE128 {data:?} is too long for {dots}-dot paper"
    )))
}

/// Checks one block against the profile without producing anything.
fn validate(block: &Block, profile: &PrinterProfile) -> Result<(), ErrorKind> {
    match block {
        Block::Barcode {
            kind: BarcodeKind::Ean13,
            data,
        } => {
            let ok_len = data.len() == 12 || data.len() == 13;
            if !ok_len || !data.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ErrorKind::InvalidInput(format!(
                    "EAN-13 needs 12 or 13 digits, got {data:?}"
                )));
            }
            if data.len() == 13 && !gs1_check_ok(data.as_bytes()) {
                return Err(ErrorKind::InvalidInput(format!(
                    "EAN-13 {data:?} has a wrong check digit"
                )));
            }
            Ok(())
        }
        Block::Barcode {
            kind: BarcodeKind::Code128,
            data,
        } => {
            code128(data)?;
            code128_module(data, profile.dots()).map(|_| ())
        }
        Block::Qr {
            data,
            module,
            level,
        } => {
            if data.is_empty() || data.len() > QR_MAX {
                return Err(ErrorKind::InvalidInput(format!(
                    "QR data must be 1–{QR_MAX} bytes, got {}",
                    data.len()
                )));
            }
            if !(1..=15).contains(module) {
                return Err(ErrorKind::InvalidInput(format!(
                    "QR module size must be 1–15 dots, got {module}"
                )));
            }
            // Only the symbol size is needed: pick the version without drawing the code.
            let bits = qrcode::bits::encode_auto(data.as_bytes(), qr_level(*level).1)
                .map_err(|e| ErrorKind::InvalidInput(format!("QR data: {e}")))?;
            let modules = u32::try_from(bits.version().width()).unwrap_or(u32::MAX);
            let width = modules.saturating_mul(u32::from(*module));
            if width > profile.dots() {
                return Err(ErrorKind::InvalidInput(format!(
                    "QR code is {width} dots wide; the paper has {}",
                    profile.dots()
                )));
            }
            Ok(())
        }
        Block::Logo(bitmap) => {
            if bitmap.width() > profile.dots() || bitmap.width() == 0 || bitmap.height() == 0 {
                return Err(ErrorKind::InvalidInput(format!(
                    "logo is {} dots wide; the paper has {}",
                    bitmap.width(),
                    profile.dots()
                )));
            }
            raster(bitmap).map(|_| ())
        }
        Block::DrawerKick(k) => {
            if k.on_ms == 0 {
                return Err(ErrorKind::InvalidInput(
                    "drawer pulse needs an on time".into(),
                ));
            }
            Ok(())
        }
        Block::Text { .. }
        | Block::Pair { .. }
        | Block::Rule
        | Block::Feed { .. }
        | Block::Cut { .. } => Ok(()),
    }
}

struct StyleState {
    align: Align,
    bold: bool,
    underline: bool,
    size: (u8, u8),
}

fn apply_style<D: Driver>(
    p: &mut Printer<D>,
    cur: &mut StyleState,
    style: &TextStyle,
    align: Align,
) -> escpos::errors::Result<()> {
    if cur.align != align {
        p.justify(match align {
            Align::Left => JustifyMode::LEFT,
            Align::Center => JustifyMode::CENTER,
            Align::Right => JustifyMode::RIGHT,
        })?;
        cur.align = align;
    }
    if cur.bold != style.bold {
        p.bold(style.bold)?;
        cur.bold = style.bold;
    }
    if cur.underline != style.underline {
        p.underline(if style.underline {
            UnderlineMode::Single
        } else {
            UnderlineMode::None
        })?;
        cur.underline = style.underline;
    }
    let size = style.size.factors();
    if cur.size != size {
        p.size(size.0, size.1)?;
        cur.size = size;
    }
    Ok(())
}

/// Lays out a two-column line: `left` padded so `right` ends at the right margin; if both
/// do not fit, `left` gets its own line and `right` is right-aligned below it.
pub fn pair_lines(left: &str, right: &str, columns: usize) -> Vec<String> {
    let (lw, rw) = (text_width(left), text_width(right));
    if lw + 1 + rw <= columns {
        return vec![format!("{left}{}{right}", " ".repeat(columns - lw - rw))];
    }
    let pad = columns.saturating_sub(rw);
    vec![left.to_string(), format!("{}{right}", " ".repeat(pad))]
}

/// Encodes `doc` for `profile`.
pub fn encode(doc: &Document, profile: &PrinterProfile) -> Result<Encoded, ErrorKind> {
    for block in &doc.blocks {
        validate(block, profile)?;
    }
    encode_checked(doc, profile).map_err(crate_error)
}

fn encode_checked(doc: &Document, profile: &PrinterProfile) -> escpos::errors::Result<Encoded> {
    let protocol = match profile.code_page {
        CodePage::Gb18030 => Protocol::new(Encoder::new(encoding_rs::GB18030)),
        CodePage::Ascii => Protocol::default(),
    };
    let sink = Sink::default();
    let out = Rc::clone(&sink.buf);
    let mut p = Printer::new(sink, protocol, None);
    p.init()?;
    if profile.code_page == CodePage::Gb18030 {
        p.custom(&KANJI_ON)?;
    }
    p.print()?;
    let mut block_ends = Vec::with_capacity(doc.blocks.len());
    let mut cur = StyleState {
        align: Align::Left,
        bold: false,
        underline: false,
        size: (1, 1),
    };
    let plain = TextStyle::default();
    let barcode_option = |width: BarcodeWidth| {
        BarcodeOption::new(
            width,
            BarcodeHeight::S,
            BarcodeFont::A,
            BarcodePosition::Below,
        )
    };
    for block in &doc.blocks {
        match block {
            Block::Text { text, style } => {
                apply_style(&mut p, &mut cur, style, style.align)?;
                p.writeln(&printable_text(text, profile.code_page))?;
            }
            Block::Pair { left, right, style } => {
                apply_style(&mut p, &mut cur, style, Align::Left)?;
                let columns = profile.columns() / usize::from(style.size.factors().0);
                let left = printable_text(left, profile.code_page);
                let right = printable_text(right, profile.code_page);
                for line in pair_lines(&left, &right, columns) {
                    p.writeln(&line)?;
                }
            }
            Block::Rule => {
                apply_style(&mut p, &mut cur, &plain, Align::Left)?;
                p.writeln(&"-".repeat(profile.columns()))?;
            }
            Block::Feed { lines } => {
                p.feeds(*lines)?;
            }
            Block::Barcode { kind, data } => {
                apply_style(&mut p, &mut cur, &plain, Align::Center)?;
                match kind {
                    BarcodeKind::Ean13 => {
                        p.ean13_option(data, barcode_option(BarcodeWidth::M))?;
                    }
                    BarcodeKind::Code128 => {
                        let module = code128_module(data, profile.dots())
                            .map_err(|e| PrinterError::Input(e.to_string()))?;
                        // Same settings the crate sends for its own barcodes.
                        p.custom(&[0x1D, 0x77, module])?
                            .custom(&[0x1D, 0x68, BARCODE_HEIGHT])?
                            .custom(&[0x1D, 0x66, 0])?
                            .custom(&[0x1D, 0x48, 2])?
                            .custom(
                                &code128(data).map_err(|e| PrinterError::Input(e.to_string()))?,
                            )?;
                    }
                }
                p.feed()?;
            }
            Block::Qr {
                data,
                module,
                level,
            } => {
                apply_style(&mut p, &mut cur, &plain, Align::Center)?;
                p.qrcode_option(
                    data,
                    QRCodeOption::new(QRCodeModel::Model2, *module, qr_level(*level).0),
                )?;
                p.feed()?;
            }
            Block::Logo(bitmap) => {
                apply_style(&mut p, &mut cur, &plain, Align::Center)?;
                p.custom(&raster(bitmap).map_err(|e| PrinterError::Input(e.to_string()))?)?;
            }
            Block::Cut { partial } => {
                if *partial {
                    p.partial_cut()?;
                } else {
                    p.cut()?;
                }
            }
            Block::DrawerKick(kick) => {
                p.custom(&drawer_kick(kick))?;
            }
        }
        p.print()?;
        block_ends.push(out.borrow().len());
    }
    drop(p);
    let bytes = std::mem::take(&mut *out.borrow_mut());
    if block_ends.is_empty() {
        block_ends.push(bytes.len());
    }
    Ok(Encoded { bytes, block_ends })
}
