//! Renders ESC/POS bytes to an image the way a thermal printer would print them: text in
//! font A with alignment, bold, underline and sizes, GB18030 Chinese in Kanji mode,
//! CODE128 and EAN-13 barcodes with their text, QR codes (through the `qrcode` crate),
//! raster logos and cut marks. Used by the virtual printer so a person can look at the
//! receipt, and by tests that read it back.
//!
//! Unknown or malformed commands are skipped; rendering never fails or panics.

pub mod barcode;
pub mod canvas;

use crate::printer::parse::{Command, Token, tokens};
use crate::printer::profile::{PrinterProfile, char_width};
pub use canvas::Canvas;
use canvas::{CELL_H, CELL_W};

/// Blank margin around the paper area in the image, in dots.
const MARGIN: u32 = 16;
/// Default line spacing in dots (text height 24 + 6).
const LINE_GAP: u32 = 6;

/// A rendered receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedReceipt {
    canvas: Canvas,
}

impl RenderedReceipt {
    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.canvas.width()
    }
    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.canvas.height()
    }
    /// Whether the pixel at (x, y) is black.
    pub fn is_black(&self, x: u32, y: u32) -> bool {
        self.canvas.get(x, y)
    }
    /// The image as a PNG file.
    pub fn to_png(&self) -> Vec<u8> {
        self.canvas.to_png()
    }
}

#[derive(Clone, Copy)]
struct Glyph {
    c: char,
    bold: bool,
    underline: bool,
    sx: u32,
    sy: u32,
}

struct Renderer {
    canvas: Canvas,
    paper: u32,
    y: u32,
    line: Vec<Glyph>,
    line_w: u32,
    justify: u8,
    bold: bool,
    underline: bool,
    sx: u32,
    sy: u32,
    kanji: bool,
    bar_height: u32,
    bar_module: u32,
    hri: u8,
    qr_module: u32,
    qr_level: qrcode::EcLevel,
    qr_data: Vec<u8>,
}

impl Renderer {
    fn new(profile: &PrinterProfile) -> Self {
        let paper = profile.dots();
        let mut canvas = Canvas::new(paper + 2 * MARGIN);
        canvas.grow_to(MARGIN);
        Self {
            canvas,
            paper,
            y: MARGIN,
            line: Vec::new(),
            line_w: 0,
            justify: 0,
            bold: false,
            underline: false,
            sx: 1,
            sy: 1,
            kanji: false,
            bar_height: 162,
            bar_module: 3,
            hri: 0,
            qr_module: 3,
            qr_level: qrcode::EcLevel::M,
            qr_data: Vec::new(),
        }
    }

    fn reset(&mut self) {
        self.justify = 0;
        self.bold = false;
        self.underline = false;
        self.sx = 1;
        self.sy = 1;
        self.kanji = false;
        self.bar_height = 162;
        self.bar_module = 3;
        self.hri = 0;
    }

    fn x_for(&self, width: u32) -> u32 {
        let free = self.paper.saturating_sub(width);
        MARGIN
            + match self.justify {
                1 => free / 2,
                2 => free,
                _ => 0,
            }
    }

    fn push_char(&mut self, c: char) {
        let w = CELL_W * char_width(c) as u32 * self.sx;
        if self.line_w + w > self.paper && !self.line.is_empty() {
            self.print_line(1);
        }
        self.line.push(Glyph {
            c,
            bold: self.bold,
            underline: self.underline,
            sx: self.sx,
            sy: self.sy,
        });
        self.line_w += w;
    }

    fn text(&mut self, bytes: &[u8]) {
        if self.kanji {
            let (text, _) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
            for c in text.chars() {
                self.push_char(c);
            }
        } else {
            for &b in bytes {
                self.push_char(if b < 0x80 { b as char } else { '\u{FFFD}' });
            }
        }
    }

    /// Prints the buffered line and feeds `lines` lines (at least the line's own height
    /// when it holds text).
    fn print_line(&mut self, lines: u32) {
        let height = self.line.iter().map(|g| g.sy).max().unwrap_or(1) * CELL_H;
        if !self.line.is_empty() {
            let mut x = self.x_for(self.line_w);
            let glyphs = std::mem::take(&mut self.line);
            for g in glyphs {
                let w = CELL_W * char_width(g.c) as u32 * g.sx;
                // Characters share a baseline: shorter ones sit at the bottom.
                let top = self.y + height - CELL_H * g.sy;
                self.canvas.draw_char(g.c, x, top, g.sx, g.sy, g.bold);
                if g.underline {
                    self.canvas.fill(x, self.y + height - 2, w, 2);
                }
                x += w;
            }
            self.line_w = 0;
            self.y += height + LINE_GAP;
            self.y += lines.saturating_sub(1) * (CELL_H + LINE_GAP);
        } else {
            self.y += lines * (CELL_H + LINE_GAP);
        }
        self.canvas.grow_to(self.y);
    }

    fn flush_pending_line(&mut self) {
        if !self.line.is_empty() {
            self.print_line(1);
        }
    }

    fn draw_modules(&mut self, modules: &[bool], text: &str) {
        self.flush_pending_line();
        let w = self.bar_module.max(1);
        let total = modules.len() as u32 * w;
        let x0 = self.x_for(total);
        let hri_line = |r: &mut Self| {
            let tw = text
                .chars()
                .map(|c| char_width(c) as u32 * CELL_W)
                .sum::<u32>();
            let mut x = r.x_for(tw);
            for c in text.chars() {
                r.canvas.draw_char(c, x, r.y, 1, 1, false);
                x += char_width(c) as u32 * CELL_W;
            }
            r.y += CELL_H + 2;
        };
        if self.hri == 1 || self.hri == 3 {
            hri_line(self);
        }
        for (i, &bar) in modules.iter().enumerate() {
            if bar {
                self.canvas
                    .fill(x0 + i as u32 * w, self.y, w, self.bar_height);
            }
        }
        self.y += self.bar_height + 4;
        if self.hri == 2 || self.hri == 3 {
            hri_line(self);
        }
        self.canvas.grow_to(self.y);
    }

    fn barcode(&mut self, system: u8, data: &[u8]) {
        let drawn = match system {
            2 | 67 => barcode::ean13_modules(data),
            73 => barcode::code128_modules(data),
            _ => None,
        };
        match drawn {
            Some((modules, text)) => self.draw_modules(&modules, &text),
            None => {
                // The printer would print nothing for invalid data; show that it was refused.
                self.flush_pending_line();
                self.canvas
                    .fill(self.x_for(CELL_W * 8), self.y, CELL_W * 8, 2);
                self.y += 8;
            }
        }
    }

    fn qr(&mut self, cn: u8, func: u8, params: &[u8]) {
        if cn != 49 {
            return;
        }
        match (func, params) {
            (67, [n, ..]) => self.qr_module = u32::from(*n).clamp(1, 16),
            (69, [n, ..]) => {
                self.qr_level = match n {
                    48 => qrcode::EcLevel::L,
                    50 => qrcode::EcLevel::Q,
                    51 => qrcode::EcLevel::H,
                    _ => qrcode::EcLevel::M,
                }
            }
            (80, [_, data @ ..]) => self.qr_data = data.to_vec(),
            (81, _) => self.print_qr(),
            _ => {}
        }
    }

    fn print_qr(&mut self) {
        self.flush_pending_line();
        let Ok(code) = qrcode::QrCode::with_error_correction_level(&self.qr_data, self.qr_level)
        else {
            return;
        };
        let n = code.width() as u32;
        let m = self.qr_module;
        let x0 = self.x_for(n * m);
        let colors = code.to_colors();
        for (i, c) in colors.iter().enumerate() {
            if *c == qrcode::Color::Dark {
                let (cx, cy) = (i as u32 % n, i as u32 / n);
                self.canvas.fill(x0 + cx * m, self.y + cy * m, m, m);
            }
        }
        self.y += n * m + 4;
        self.canvas.grow_to(self.y);
    }

    fn raster(&mut self, width_bytes: usize, height: usize, data: &[u8]) {
        self.flush_pending_line();
        let w = width_bytes as u32 * 8;
        let x0 = self.x_for(w);
        for row in 0..height {
            for xb in 0..width_bytes {
                let byte = data[row * width_bytes + xb];
                for bit in 0..8 {
                    if byte & (0x80 >> bit) != 0 {
                        self.canvas
                            .set(x0 + xb as u32 * 8 + bit, self.y + row as u32);
                    }
                }
            }
        }
        self.y += height as u32;
        self.canvas.grow_to(self.y);
    }

    fn cut(&mut self) {
        self.flush_pending_line();
        self.y += 24;
        let mut x = 0;
        while x < self.canvas.width() {
            self.canvas.fill(x, self.y, 8, 2);
            x += 16;
        }
        self.y += 26;
        self.canvas.grow_to(self.y);
    }

    fn apply(&mut self, token: Token<'_>) {
        match token {
            Token::Text(bytes) => self.text(bytes),
            Token::Unknown(_) => {}
            Token::Command(c) => match c {
                Command::Init => {
                    self.flush_pending_line();
                    self.reset();
                }
                Command::LineFeed => self.print_line(1),
                Command::CarriageReturn => {}
                Command::FeedLines(n) => self.print_line(u32::from(n)),
                Command::FeedDots(n) => {
                    self.flush_pending_line();
                    self.y += u32::from(n);
                    self.canvas.grow_to(self.y);
                }
                Command::Justify(n) => self.justify = n % 48 % 3,
                Command::Bold(b) => self.bold = b,
                Command::Underline(n) => self.underline = n % 48 != 0,
                Command::PrintMode(n) => {
                    self.bold = n & 0x08 != 0;
                    self.sy = if n & 0x10 != 0 { 2 } else { 1 };
                    self.sx = if n & 0x20 != 0 { 2 } else { 1 };
                    self.underline = n & 0x80 != 0;
                }
                Command::Size(n) => {
                    self.sx = u32::from((n >> 4) & 7) + 1;
                    self.sy = u32::from(n & 7) + 1;
                }
                Command::Kanji(on) => self.kanji = on,
                Command::BarcodeHeight(n) => self.bar_height = u32::from(n.max(1)),
                Command::BarcodeWidth(n) => self.bar_module = u32::from(n.clamp(1, 6)),
                Command::HriPosition(n) => self.hri = n % 48 % 4,
                Command::Barcode { system, data } => self.barcode(system, data),
                Command::Symbol2d { cn, func, params } => self.qr(cn, func, params),
                Command::Raster {
                    width_bytes,
                    height,
                    data,
                } => self.raster(width_bytes, height, data),
                Command::Cut { .. } => self.cut(),
                Command::DrawerKick { .. }
                | Command::StatusRequest(_)
                | Command::ClearBuffers
                | Command::Other(_) => {}
            },
        }
    }
}

/// Renders ESC/POS bytes for a printer with `profile`.
pub fn render_receipt(bytes: &[u8], profile: &PrinterProfile) -> RenderedReceipt {
    let mut r = Renderer::new(profile);
    for token in tokens(bytes) {
        r.apply(token);
    }
    r.flush_pending_line();
    r.y += MARGIN;
    r.canvas.grow_to(r.y);
    RenderedReceipt { canvas: r.canvas }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centred_text_is_centred() {
        let p = PrinterProfile::mm58();
        let r = render_receipt(b"\x1ba\x01II\n", &p);
        let ink: Vec<u32> = (0..r.width())
            .filter(|&x| (0..r.height()).any(|y| r.is_black(x, y)))
            .collect();
        let (min, max) = (ink[0], ink[ink.len() - 1]);
        let centre = (min + max) / 2;
        let paper_centre = MARGIN + p.dots() / 2;
        assert!(centre.abs_diff(paper_centre) <= 3, "{min}..{max}");
    }

    #[test]
    fn garbage_renders_without_panicking() {
        let p = PrinterProfile::mm80();
        let r = render_receipt(
            b"\x1d(k\x03\x00\x31\x51\x30\x1dk\x49\x02{X\x1dv0\x00\xff\xff\xff\xff",
            &p,
        );
        assert!(r.height() >= 2 * MARGIN);
    }
}
