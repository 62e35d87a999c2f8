//! The receipt document model: what the terminal asks a printer to print, independent of
//! ESC/POS. Lines of text with alignment, bold, underline and double size; two-column
//! lines (item and price); rules; barcodes (CODE128, EAN-13); QR codes; a raster logo;
//! cut; drawer kick.

use serde::{Deserialize, Serialize};

use crate::error::ErrorKind;

/// Horizontal alignment of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Align {
    /// Left (default).
    #[default]
    Left,
    /// Centred.
    Center,
    /// Right.
    Right,
}

/// Character size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextSize {
    /// Normal size.
    #[default]
    Normal,
    /// Twice as tall.
    DoubleHeight,
    /// Twice as wide.
    DoubleWidth,
    /// Twice as tall and wide.
    Double,
}

impl TextSize {
    /// Width and height multipliers.
    pub fn factors(self) -> (u8, u8) {
        match self {
            TextSize::Normal => (1, 1),
            TextSize::DoubleHeight => (1, 2),
            TextSize::DoubleWidth => (2, 1),
            TextSize::Double => (2, 2),
        }
    }
}

/// How a line of text looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, Serialize, Deserialize)]
pub struct TextStyle {
    /// Alignment.
    pub align: Align,
    /// Bold (emphasised).
    pub bold: bool,
    /// Underlined.
    pub underline: bool,
    /// Size.
    pub size: TextSize,
}

impl TextStyle {
    /// Plain, left-aligned text.
    pub fn new() -> Self {
        Self::default()
    }
    /// Centred.
    pub fn center(mut self) -> Self {
        self.align = Align::Center;
        self
    }
    /// Right-aligned.
    pub fn right(mut self) -> Self {
        self.align = Align::Right;
        self
    }
    /// Bold.
    pub fn bold(mut self) -> Self {
        self.bold = true;
        self
    }
    /// Underlined.
    pub fn underline(mut self) -> Self {
        self.underline = true;
        self
    }
    /// Double width and height.
    pub fn double(mut self) -> Self {
        self.size = TextSize::Double;
        self
    }
    /// Given size.
    pub fn size(mut self, size: TextSize) -> Self {
        self.size = size;
        self
    }
}

/// One-dimensional barcode symbologies the printer can draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BarcodeKind {
    /// CODE128 (printable ASCII; digit-only data of even length uses code set C).
    Code128,
    /// EAN-13 (12 digits, or 13 with a correct check digit).
    Ean13,
}

/// QR code error-correction level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QrLevel {
    /// ~7 %.
    L,
    /// ~15 % (default).
    #[default]
    M,
    /// ~25 %.
    Q,
    /// ~30 %.
    H,
}

/// A 1-bit image (e.g. the store logo); `true` pixels print black.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Bitmap {
    width: u32,
    height: u32,
    /// Rows of packed bits, most significant bit first, each row `ceil(width / 8)` bytes.
    bits: Vec<u8>,
}

impl Bitmap {
    /// Builds a bitmap from a function of (x, y) → black.
    pub fn from_fn(width: u32, height: u32, f: impl Fn(u32, u32) -> bool) -> Self {
        let stride = width.div_ceil(8) as usize;
        let mut bits = vec![0u8; stride * height as usize];
        for y in 0..height {
            for x in 0..width {
                if f(x, y) {
                    bits[y as usize * stride + (x / 8) as usize] |= 0x80 >> (x % 8);
                }
            }
        }
        Self {
            width,
            height,
            bits,
        }
    }

    /// Builds a bitmap from packed rows (`ceil(width / 8)` bytes per row, MSB first).
    pub fn from_packed(width: u32, height: u32, bits: Vec<u8>) -> Result<Self, ErrorKind> {
        let want = width.div_ceil(8) as usize * height as usize;
        if bits.len() != want {
            return Err(ErrorKind::InvalidInput(format!(
                "bitmap {width}x{height} needs {want} bytes, got {}",
                bits.len()
            )));
        }
        Ok(Self {
            width,
            height,
            bits,
        })
    }

    /// Decodes a PNG (any colour type) and thresholds it: dark, opaque pixels print.
    pub fn from_png(bytes: &[u8]) -> Result<Self, ErrorKind> {
        let bad = |e: png::DecodingError| ErrorKind::InvalidInput(format!("logo PNG: {e}"));
        let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let mut reader = decoder.read_info().map_err(bad)?;
        let size = reader
            .output_buffer_size()
            .ok_or_else(|| ErrorKind::InvalidInput("logo PNG is too large".into()))?;
        if size > 16 * 1024 * 1024 {
            return Err(ErrorKind::InvalidInput("logo PNG is too large".into()));
        }
        let mut buf = vec![0u8; size];
        let info = reader.next_frame(&mut buf).map_err(bad)?;
        let channels = info.color_type.samples();
        let (w, h) = (info.width, info.height);
        let line = info.line_size;
        Ok(Self::from_fn(w, h, |x, y| {
            let p = &buf[y as usize * line + x as usize * channels..][..channels];
            let (lum, alpha) = match channels {
                1 => (u32::from(p[0]), 255),
                2 => (u32::from(p[0]), u32::from(p[1])),
                3 => (
                    (u32::from(p[0]) * 3 + u32::from(p[1]) * 6 + u32::from(p[2])) / 10,
                    255,
                ),
                _ => (
                    (u32::from(p[0]) * 3 + u32::from(p[1]) * 6 + u32::from(p[2])) / 10,
                    u32::from(p[3]),
                ),
            };
            alpha >= 128 && lum < 128
        }))
    }

    /// Width in dots.
    pub fn width(&self) -> u32 {
        self.width
    }
    /// Height in dots.
    pub fn height(&self) -> u32 {
        self.height
    }
    /// Packed rows.
    pub fn packed(&self) -> &[u8] {
        &self.bits
    }
    /// Whether the pixel at (x, y) is black.
    pub fn get(&self, x: u32, y: u32) -> bool {
        if x >= self.width || y >= self.height {
            return false;
        }
        let stride = self.width.div_ceil(8) as usize;
        self.bits[y as usize * stride + (x / 8) as usize] & (0x80 >> (x % 8)) != 0
    }
}

/// Which drawer connector pin to pulse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DrawerPin {
    /// Pin 2 (drawer 1, the usual one).
    #[default]
    Pin2,
    /// Pin 5 (drawer 2).
    Pin5,
}

/// A drawer-kick pulse with explicit on and off times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DrawerKick {
    /// Connector pin.
    pub pin: DrawerPin,
    /// Pulse on time in milliseconds (2–510; sent in 2 ms units).
    pub on_ms: u16,
    /// Pulse off time in milliseconds (2–510).
    pub off_ms: u16,
}

impl Default for DrawerKick {
    fn default() -> Self {
        Self {
            pin: DrawerPin::Pin2,
            on_ms: 100,
            off_ms: 200,
        }
    }
}

/// One element of a receipt.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    /// A line of text (wrapped by the printer if too long).
    Text {
        /// The text (UTF-8; Chinese is printed through GB18030).
        text: String,
        /// Its style.
        style: TextStyle,
    },
    /// Left text and right text on one line, e.g. an item and its price.
    Pair {
        /// Left column.
        left: String,
        /// Right column.
        right: String,
        /// Style of the whole line (alignment is ignored).
        style: TextStyle,
    },
    /// A full-width rule of `-`.
    Rule,
    /// Blank lines.
    Feed {
        /// Number of lines.
        lines: u8,
    },
    /// A one-dimensional barcode with its human-readable text below.
    Barcode {
        /// Symbology.
        kind: BarcodeKind,
        /// Data.
        data: String,
    },
    /// A QR code.
    Qr {
        /// Data (UTF-8).
        data: String,
        /// Module size in dots (1–16).
        module: u8,
        /// Error correction.
        level: QrLevel,
    },
    /// A raster image, centred.
    Logo(Bitmap),
    /// Feed to the cutter and cut.
    Cut {
        /// Leave a small uncut bridge.
        partial: bool,
    },
    /// Open the cash drawer.
    DrawerKick(DrawerKick),
}

/// A receipt (or any printout): a list of blocks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Document {
    /// The blocks, top to bottom.
    pub blocks: Vec<Block>,
}

impl Document {
    /// An empty document.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a block.
    pub fn push(mut self, block: Block) -> Self {
        self.blocks.push(block);
        self
    }

    /// Adds a plain line.
    pub fn line(self, text: impl Into<String>) -> Self {
        self.styled(text, TextStyle::new())
    }

    /// Adds a styled line.
    pub fn styled(self, text: impl Into<String>, style: TextStyle) -> Self {
        self.push(Block::Text {
            text: text.into(),
            style,
        })
    }

    /// Adds a two-column line (left text, right text).
    pub fn pair(self, left: impl Into<String>, right: impl Into<String>) -> Self {
        self.pair_styled(left, right, TextStyle::new())
    }

    /// Adds a styled two-column line.
    pub fn pair_styled(
        self,
        left: impl Into<String>,
        right: impl Into<String>,
        style: TextStyle,
    ) -> Self {
        self.push(Block::Pair {
            left: left.into(),
            right: right.into(),
            style,
        })
    }

    /// Adds a rule.
    pub fn rule(self) -> Self {
        self.push(Block::Rule)
    }

    /// Adds blank lines.
    pub fn feed(self, lines: u8) -> Self {
        self.push(Block::Feed { lines })
    }

    /// Adds a CODE128 barcode.
    pub fn code128(self, data: impl Into<String>) -> Self {
        self.push(Block::Barcode {
            kind: BarcodeKind::Code128,
            data: data.into(),
        })
    }

    /// Adds an EAN-13 barcode.
    pub fn ean13(self, data: impl Into<String>) -> Self {
        self.push(Block::Barcode {
            kind: BarcodeKind::Ean13,
            data: data.into(),
        })
    }

    /// Adds a QR code (module size 6, level M).
    pub fn qr(self, data: impl Into<String>) -> Self {
        self.push(Block::Qr {
            data: data.into(),
            module: 6,
            level: QrLevel::M,
        })
    }

    /// Adds a logo.
    pub fn logo(self, bitmap: Bitmap) -> Self {
        self.push(Block::Logo(bitmap))
    }

    /// Adds a full cut.
    pub fn cut(self) -> Self {
        self.push(Block::Cut { partial: false })
    }

    /// Adds a drawer kick.
    pub fn kick(self, kick: DrawerKick) -> Self {
        self.push(Block::DrawerKick(kick))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmap_packing() {
        let b = Bitmap::from_fn(10, 2, |x, y| x == y || x == 9);
        assert_eq!(b.packed(), &[0x80, 0x40, 0x40, 0x40]);
        assert!(b.get(9, 1) && b.get(1, 1) && !b.get(2, 1) && !b.get(50, 50));
        assert!(Bitmap::from_packed(10, 2, vec![0; 3]).is_err());
    }

    #[test]
    fn png_logo_is_thresholded() {
        let mut png_bytes = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut png_bytes, 4, 2);
            enc.set_color(png::ColorType::Rgba);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc.write_header().unwrap();
            #[rustfmt::skip]
            let data = [
                0, 0, 0, 255,   255, 255, 255, 255,   0, 0, 0, 0,   200, 10, 10, 255,
                10, 10, 10, 255, 100, 100, 100, 255,  250, 250, 250, 255, 0, 0, 0, 255,
            ];
            w.write_image_data(&data).unwrap();
        }
        let b = Bitmap::from_png(&png_bytes).unwrap();
        assert_eq!((b.width(), b.height()), (4, 2));
        let row0: Vec<bool> = (0..4).map(|x| b.get(x, 0)).collect();
        let row1: Vec<bool> = (0..4).map(|x| b.get(x, 1)).collect();
        assert_eq!(
            row0,
            [true, false, false, true],
            "dark red prints, transparent does not"
        );
        assert_eq!(row1, [true, true, false, true]);
        assert!(Bitmap::from_png(b"not a png").is_err());
    }
}
