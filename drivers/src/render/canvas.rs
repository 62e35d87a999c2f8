//! A 1-bit drawing surface for rendered receipts, with PNG output.
//!
//! Text uses GNU Unifont bitmaps (8×16 half-width, 16×16 full-width, covering Chinese),
//! scaled by 1.5 to the printer's 12×24 font-A cell (24×24 for Chinese). A character the
//! font lacks is drawn as a box of the right width so the layout stays faithful.

/// Width of one font-A cell in dots.
pub const CELL_W: u32 = 12;
/// Height of one font-A cell in dots.
pub const CELL_H: u32 = 24;

/// A white image that grows downwards as it is drawn on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canvas {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

impl Canvas {
    /// A blank canvas `width` dots wide.
    pub fn new(width: u32) -> Self {
        Self {
            width,
            height: 0,
            pixels: Vec::new(),
        }
    }

    /// Width in dots.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in dots.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Makes sure rows up to `height` exist.
    pub fn grow_to(&mut self, height: u32) {
        if height > self.height {
            self.pixels.resize(self.width as usize * height as usize, 0);
            self.height = height;
        }
    }

    /// Sets a pixel black; outside the width it is clipped.
    pub fn set(&mut self, x: u32, y: u32) {
        if x >= self.width {
            return;
        }
        self.grow_to(y + 1);
        self.pixels[y as usize * self.width as usize + x as usize] = 1;
    }

    /// Whether a pixel is black.
    pub fn get(&self, x: u32, y: u32) -> bool {
        x < self.width
            && y < self.height
            && self.pixels[y as usize * self.width as usize + x as usize] != 0
    }

    /// Fills a rectangle.
    pub fn fill(&mut self, x: u32, y: u32, w: u32, h: u32) {
        let x_end = (x + w).min(self.width);
        if x >= x_end || h == 0 {
            return;
        }
        self.grow_to(y + h);
        for yy in y..y + h {
            let row = yy as usize * self.width as usize;
            self.pixels[row + x as usize..row + x_end as usize].fill(1);
        }
    }

    /// Draws one character into its cell at (x, y), scaled by (sx, sy).
    pub fn draw_char(&mut self, c: char, x: u32, y: u32, sx: u32, sy: u32, bold: bool) {
        let cols = super::super::printer::profile::char_width(c) as u32;
        let cell_w = CELL_W * cols * sx;
        let cell_h = CELL_H * sy;
        match unifont::get_glyph(c) {
            Some(g) => {
                let gw = g.get_width() as u32;
                for dy in 0..cell_h {
                    let src_y = (dy * 16 / cell_h) as usize;
                    for dx in 0..cell_w {
                        if g.get_pixel((dx * gw / cell_w) as usize, src_y) {
                            self.fill(x + dx, y + dy, 1 + u32::from(bold), 1);
                        }
                    }
                }
            }
            None => {
                // Placeholder box for glyphs the bitmap font does not have.
                let (bx, by, bw, bh) = (x + sx, y + 3 * sy, cell_w - 2 * sx, cell_h - 6 * sy);
                let t = if bold { 2 } else { 1 };
                self.fill(bx, by, bw, t);
                self.fill(bx, by + bh - t, bw, t);
                self.fill(bx, by, t, bh);
                self.fill(bx + bw - t, by, t, bh);
            }
        }
    }

    /// Encodes the image as a 1-bit grayscale PNG (black on white).
    pub fn to_png(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let (w, h) = (self.width.max(1), self.height.max(1));
        let stride = w.div_ceil(8) as usize;
        let mut packed = vec![0xFFu8; stride * h as usize];
        for y in 0..self.height {
            for x in 0..self.width {
                if self.get(x, y) {
                    packed[y as usize * stride + (x / 8) as usize] &= !(0x80 >> (x % 8));
                }
            }
        }
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::One);
        // Writing to a Vec cannot fail and the sizes match by construction.
        if let Ok(mut writer) = enc.write_header() {
            let _ = writer.write_image_data(&packed);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_glyphs_and_boxes() {
        let mut c = Canvas::new(64);
        c.draw_char('A', 0, 0, 1, 1, false);
        let black: usize = (0..24)
            .flat_map(|y| (0..12).map(move |x| (x, y)))
            .filter(|&(x, y)| c.get(x, y))
            .count();
        assert!(black > 20, "A has ink");
        c.draw_char('中', 24, 0, 1, 1, false);
        let ink = |c: &Canvas, x0: u32, x1: u32| {
            (x0..x1)
                .flat_map(|x| (0..24).map(move |y| (x, y)))
                .filter(|&(x, y)| c.get(x, y))
                .count()
        };
        assert!(
            ink(&c, 24, 36) > 10 && ink(&c, 36, 48) > 10,
            "中 spans a 24-dot cell"
        );
        // A private-use character has no glyph: a box is drawn instead.
        c.draw_char('\u{E000}', 48, 0, 1, 1, false);
        assert!(c.get(49, 3) && c.get(58, 3) && c.get(49, 20));
    }

    #[test]
    fn png_round_trip() {
        let mut c = Canvas::new(10);
        c.fill(2, 1, 3, 2);
        let png_bytes = c.to_png();
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (10, 3));
        assert_eq!(buf[0], 0xFF);
        assert_eq!(buf[info.line_size], 0b1100_0111);
    }
}
