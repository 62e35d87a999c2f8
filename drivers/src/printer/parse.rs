//! A tokenizer for ESC/POS byte streams: splits bytes into text runs and commands with
//! their parameters. Used by the virtual printer (to find job ends, status requests and
//! drawer kicks) and by the receipt renderer. It never panics and never reads past the
//! input: a command cut off at the end is reported as incomplete.

/// One parsed command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command<'a> {
    /// `ESC @`
    Init,
    /// `LF`
    LineFeed,
    /// `CR`
    CarriageReturn,
    /// `ESC d n`: print and feed `n` lines.
    FeedLines(u8),
    /// `ESC J n`: print and feed `n` dots.
    FeedDots(u8),
    /// `ESC a n`
    Justify(u8),
    /// `ESC E n`
    Bold(bool),
    /// `ESC - n`
    Underline(u8),
    /// `ESC ! n`: print mode (bit 3 bold, bit 4 double height, bit 5 double width, bit 7 underline).
    PrintMode(u8),
    /// `GS ! n`: character size (`(w-1) << 4 | (h-1)`).
    Size(u8),
    /// `FS &` / `FS .`
    Kanji(bool),
    /// `GS h n`
    BarcodeHeight(u8),
    /// `GS w n`
    BarcodeWidth(u8),
    /// `GS H n`
    HriPosition(u8),
    /// `GS k m …`: barcode system `m` with its data.
    Barcode {
        /// System (0–6 function A, 65–79 function B).
        system: u8,
        /// Data bytes (terminator / length removed).
        data: &'a [u8],
    },
    /// `GS ( k pL pH cn fn …`: 2D symbol function.
    Symbol2d {
        /// Symbol (49 = QR).
        cn: u8,
        /// Function.
        func: u8,
        /// Parameters after `fn`.
        params: &'a [u8],
    },
    /// `GS v 0 m xL xH yL yH d…`: raster image.
    Raster {
        /// Bytes per row.
        width_bytes: usize,
        /// Rows.
        height: usize,
        /// Packed rows.
        data: &'a [u8],
    },
    /// `GS V m [n]`: cut.
    Cut {
        /// Partial cut.
        partial: bool,
    },
    /// `ESC p m t1 t2`: drawer kick.
    DrawerKick {
        /// Pin selector (0 = pin 2, 1 = pin 5).
        pin: u8,
        /// On time in 2 ms units.
        on: u8,
        /// Off time in 2 ms units.
        off: u8,
    },
    /// `DLE EOT n [a]`: real-time status request.
    StatusRequest(u8),
    /// `DLE DC4 8 …`: clear buffers.
    ClearBuffers,
    /// Any other recognised command, skipped.
    Other(&'a [u8]),
}

/// A token from the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token<'a> {
    /// Printable bytes (single-byte text, or double-byte text in Kanji mode).
    Text(&'a [u8]),
    /// A command.
    Command(Command<'a>),
    /// A control byte or command that is not understood; skip one byte.
    Unknown(u8),
}

/// Result of looking at the front of a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<'a> {
    /// A token and how many bytes it used.
    Token(Token<'a>, usize),
    /// The buffer ends inside a command; wait for more bytes.
    Incomplete,
}

const ESC: u8 = 0x1B;
const GS: u8 = 0x1D;
const FS: u8 = 0x1C;
const DLE: u8 = 0x10;
/// Largest raster accepted (bytes); larger headers are treated as unknown.
const MAX_RASTER: usize = 4 * 1024 * 1024;

fn cmd(c: Command<'_>, len: usize) -> Parsed<'_> {
    Parsed::Token(Token::Command(c), len)
}

fn need(buf: &[u8], n: usize) -> Option<()> {
    (buf.len() >= n).then_some(())
}

/// Parses the token at the front of `buf` (which must not be empty).
pub fn next_token(buf: &[u8]) -> Parsed<'_> {
    let Some(&first) = buf.first() else {
        return Parsed::Incomplete;
    };
    match first {
        0x0A => cmd(Command::LineFeed, 1),
        0x0D => cmd(Command::CarriageReturn, 1),
        ESC => parse_esc(buf).unwrap_or(Parsed::Incomplete),
        GS => parse_gs(buf).unwrap_or(Parsed::Incomplete),
        FS => parse_fs(buf).unwrap_or(Parsed::Incomplete),
        DLE => parse_dle(buf).unwrap_or(Parsed::Incomplete),
        b if b < 0x20 || b == 0x7F => Parsed::Token(Token::Unknown(b), 1),
        _ => {
            let end = buf
                .iter()
                .position(|&b| b < 0x20 || b == 0x7F)
                .unwrap_or(buf.len());
            Parsed::Token(Token::Text(&buf[..end]), end)
        }
    }
}

fn parse_esc(buf: &[u8]) -> Option<Parsed<'_>> {
    need(buf, 2)?;
    let one = |c: fn(u8) -> Command<'static>| -> Option<Parsed<'_>> {
        need(buf, 3)?;
        Some(cmd(c(buf[2]), 3))
    };
    match buf[1] {
        b'@' => Some(cmd(Command::Init, 2)),
        b'd' => one(Command::FeedLines),
        b'J' => one(Command::FeedDots),
        b'a' => one(Command::Justify),
        b'E' => one(|n| Command::Bold(n & 1 == 1)),
        b'-' => one(Command::Underline),
        b'!' => one(Command::PrintMode),
        b'p' => {
            need(buf, 5)?;
            Some(cmd(
                Command::DrawerKick {
                    pin: buf[2] & 1,
                    on: buf[3],
                    off: buf[4],
                },
                5,
            ))
        }
        b'2' | b'<' => Some(cmd(Command::Other(&buf[..2]), 2)),
        b'3' | b'=' | b'G' | b'M' | b't' | b'R' | b'V' | b'{' | b'r' | b'c' | b'U' | b' ' => {
            need(buf, 3)?;
            Some(cmd(Command::Other(&buf[..3]), 3))
        }
        other => Some(Parsed::Token(Token::Unknown(other), 1)),
    }
}

fn parse_gs(buf: &[u8]) -> Option<Parsed<'_>> {
    need(buf, 2)?;
    let one = |c: fn(u8) -> Command<'static>| -> Option<Parsed<'_>> {
        need(buf, 3)?;
        Some(cmd(c(buf[2]), 3))
    };
    match buf[1] {
        b'!' => one(Command::Size),
        b'h' => one(Command::BarcodeHeight),
        b'w' => one(Command::BarcodeWidth),
        b'H' => one(Command::HriPosition),
        b'B' | b'b' | b'f' | b'a' | b'I' | b'r' => {
            need(buf, 3)?;
            Some(cmd(Command::Other(&buf[..3]), 3))
        }
        b'P' | b'L' | b'W' => {
            need(buf, 4)?;
            Some(cmd(Command::Other(&buf[..4]), 4))
        }
        b'V' => {
            need(buf, 3)?;
            let m = buf[2];
            let partial = matches!(m, 1 | 49 | 66);
            if matches!(m, 65 | 66) {
                need(buf, 4)?;
                Some(cmd(Command::Cut { partial }, 4))
            } else {
                Some(cmd(Command::Cut { partial }, 3))
            }
        }
        b'k' => {
            need(buf, 3)?;
            let m = buf[2];
            if m <= 6 {
                let end = buf[3..].iter().position(|&b| b == 0)?;
                Some(cmd(
                    Command::Barcode {
                        system: m,
                        data: &buf[3..3 + end],
                    },
                    3 + end + 1,
                ))
            } else if (65..=79).contains(&m) {
                need(buf, 4)?;
                let n = buf[3] as usize;
                need(buf, 4 + n)?;
                Some(cmd(
                    Command::Barcode {
                        system: m,
                        data: &buf[4..4 + n],
                    },
                    4 + n,
                ))
            } else {
                Some(Parsed::Token(Token::Unknown(GS), 1))
            }
        }
        b'(' => {
            need(buf, 5)?;
            let len = usize::from(buf[3]) | usize::from(buf[4]) << 8;
            need(buf, 5 + len)?;
            let body = &buf[5..5 + len];
            if buf[2] == b'k' && len >= 2 {
                Some(cmd(
                    Command::Symbol2d {
                        cn: body[0],
                        func: body[1],
                        params: &body[2..],
                    },
                    5 + len,
                ))
            } else {
                Some(cmd(Command::Other(&buf[..5 + len]), 5 + len))
            }
        }
        b'v' => {
            need(buf, 8)?;
            if buf[2] != b'0' {
                return Some(Parsed::Token(Token::Unknown(GS), 1));
            }
            let width_bytes = usize::from(buf[4]) | usize::from(buf[5]) << 8;
            let height = usize::from(buf[6]) | usize::from(buf[7]) << 8;
            let size = width_bytes * height;
            if size > MAX_RASTER {
                return Some(Parsed::Token(Token::Unknown(GS), 1));
            }
            need(buf, 8 + size)?;
            Some(cmd(
                Command::Raster {
                    width_bytes,
                    height,
                    data: &buf[8..8 + size],
                },
                8 + size,
            ))
        }
        other => Some(Parsed::Token(Token::Unknown(other), 1)),
    }
}

fn parse_fs(buf: &[u8]) -> Option<Parsed<'_>> {
    need(buf, 2)?;
    match buf[1] {
        b'&' => Some(cmd(Command::Kanji(true), 2)),
        b'.' => Some(cmd(Command::Kanji(false), 2)),
        b'!' | b'-' | b'C' | b'W' => {
            need(buf, 3)?;
            Some(cmd(Command::Other(&buf[..3]), 3))
        }
        other => Some(Parsed::Token(Token::Unknown(other), 1)),
    }
}

fn parse_dle(buf: &[u8]) -> Option<Parsed<'_>> {
    need(buf, 3)?;
    match buf[1] {
        0x04 => {
            let n = buf[2];
            if matches!(n, 7 | 8 | 18) {
                need(buf, 4)?;
                Some(cmd(Command::StatusRequest(n), 4))
            } else {
                Some(cmd(Command::StatusRequest(n), 3))
            }
        }
        0x05 => Some(cmd(Command::Other(&buf[..3]), 3)),
        0x14 => {
            if buf[2] == 8 {
                need(buf, 10)?;
                Some(cmd(Command::ClearBuffers, 10))
            } else {
                need(buf, 5)?;
                Some(cmd(Command::Other(&buf[..5]), 5))
            }
        }
        _ => Some(Parsed::Token(Token::Unknown(DLE), 1)),
    }
}

/// Iterates over the complete tokens in `buf`, stopping before an incomplete command.
pub fn tokens(buf: &[u8]) -> Tokens<'_> {
    Tokens { buf, pos: 0 }
}

/// Iterator returned by [`tokens`].
pub struct Tokens<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Tokens<'a> {
    /// Bytes consumed so far (the start of any incomplete tail).
    pub fn consumed(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        if self.pos >= self.buf.len() {
            return None;
        }
        match next_token(&self.buf[self.pos..]) {
            Parsed::Token(t, len) => {
                self.pos += len.max(1);
                Some(t)
            }
            Parsed::Incomplete => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizes_a_small_job() {
        let bytes = b"\x1b@\x1c&\x1ba\x01Hi\x1bd\x01\x1dk\x02400638133393\x00\x1dk\x49\x04{B12\x1dVA\x00\x1bp\x00\x32\x64\x10\x04\x01";
        let t: Vec<Token> = tokens(bytes).collect();
        assert_eq!(
            t,
            vec![
                Token::Command(Command::Init),
                Token::Command(Command::Kanji(true)),
                Token::Command(Command::Justify(1)),
                Token::Text(b"Hi"),
                Token::Command(Command::FeedLines(1)),
                Token::Command(Command::Barcode {
                    system: 2,
                    data: b"400638133393"
                }),
                Token::Command(Command::Barcode {
                    system: 73,
                    data: b"{B12"
                }),
                Token::Command(Command::Cut { partial: false }),
                Token::Command(Command::DrawerKick {
                    pin: 0,
                    on: 50,
                    off: 100
                }),
                Token::Command(Command::StatusRequest(1)),
            ]
        );
    }

    #[test]
    fn incomplete_commands_wait() {
        for cut in [
            b"\x1b".as_slice(),
            b"\x1dk\x49\x05{B1",
            b"\x1dv0\x00\x02\x00\x02\x00\xff",
            b"\x1d(k\x03\x00\x31",
        ] {
            assert_eq!(next_token(cut), Parsed::Incomplete, "{cut:?}");
            let mut it = tokens(cut);
            assert!(it.next().is_none());
            assert_eq!(it.consumed(), 0);
        }
    }

    #[test]
    fn qr_and_raster() {
        let qr = b"\x1d(k\x06\x00\x31\x50\x30abc";
        assert_eq!(
            next_token(qr),
            Parsed::Token(
                Token::Command(Command::Symbol2d {
                    cn: 49,
                    func: 80,
                    params: b"0abc"
                }),
                qr.len()
            )
        );
        let raster = b"\x1dv0\x00\x01\x00\x02\x00\xf0\x0f";
        assert!(matches!(
            next_token(raster),
            Parsed::Token(
                Token::Command(Command::Raster {
                    width_bytes: 1,
                    height: 2,
                    ..
                }),
                10
            )
        ));
    }
}
