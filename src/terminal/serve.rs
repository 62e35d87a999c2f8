//! The headless loop behind `storepos terminal --headless`: JSON Lines in, one answer line
//! per input line out, in input order, with sales committed in the background.
//!
//! A tender that completes a sale hands it to the committer and the loop goes on with the
//! next lines; the answers from then on are held back until the sale is durable, so the
//! output is exactly what a strictly sequential terminal would write. Up to
//! [`MAX_IN_FLIGHT`] sales may be on their way to the disk. Everything is settled (every
//! sale durable and every answer written) before any command other than basket commands
//! and tenders runs, whenever the input has no complete line waiting (so an interactive
//! driver always gets its answer), and at the end of the input.
//!
//! Input is read in bounded pieces: a line longer than [`MAX_LINE_BYTES`] is answered with
//! `bad_request` without ever being held in memory whole (the rest of it is skipped up to the
//! next newline), and a line that is not UTF-8 is answered the same way; neither ends the
//! session or touches the open basket.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};

use super::effects::Counter;
use super::headless::{Command, Outcome, parse, refusal, respond, run};
use super::{CommandError, Terminal};
use crate::domain::basket::Basket;

/// Sales that may wait for their commit at once.
pub const MAX_IN_FLIGHT: usize = 16;

/// The longest input line taken, in bytes (without its newline): far above any command.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// What one bounded read found.
#[derive(Debug, PartialEq, Eq)]
enum Piece {
    /// The end of the input, nothing read.
    End,
    /// A whole line is in the buffer (without its newline).
    Line,
    /// A line of this many bytes, over the limit; only its start is in the buffer.
    TooLong(usize),
}

/// Reads up to the next newline (or the end), keeping at most `max` bytes in `buf`.
fn read_bounded(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Piece> {
    buf.clear();
    let mut seen = 0usize;
    let mut any = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(match (any, seen > max) {
                (false, _) => Piece::End,
                (true, false) => Piece::Line,
                (true, true) => Piece::TooLong(seen),
            });
        }
        any = true;
        let (chunk, used, ended) = match available.iter().position(|&b| b == b'\n') {
            Some(at) => (&available[..at], at + 1, true),
            None => (available, available.len(), false),
        };
        seen = seen.saturating_add(chunk.len());
        let room = max.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        reader.consume(used);
        if ended {
            return Ok(if seen > max {
                Piece::TooLong(seen)
            } else {
                Piece::Line
            });
        }
    }
}

/// A sale in flight: its tender line, and the lines after it with their held answers (no
/// line for one refused as it was read: too long or not UTF-8).
struct Slot {
    tender: String,
    after: Vec<(Option<String>, String)>,
}

struct Loop<'a, W: Write> {
    terminal: &'a mut Terminal,
    output: W,
    counter: Option<&'a mut Counter>,
    slots: VecDeque<Slot>,
}

/// Reads JSON Lines from `input` and writes one answer line per non-empty input line.
pub fn serve(
    terminal: &mut Terminal,
    input: impl Read,
    output: impl Write,
    counter: Option<&mut Counter>,
) -> std::io::Result<()> {
    let mut reader = BufReader::with_capacity(64 * 1024, input);
    terminal.set_pipelined(true);
    let mut state = Loop {
        terminal,
        output,
        counter,
        slots: VecDeque::new(),
    };
    let mut line = Vec::new();
    let result = (|| {
        loop {
            if !reader.buffer().contains(&b'\n') {
                // Nothing more to read right now: every answer goes out before waiting.
                state.settle_all()?;
            }
            match read_bounded(&mut reader, &mut line, MAX_LINE_BYTES)? {
                Piece::End => break,
                Piece::TooLong(bytes) => {
                    let message = format!(
                        "a line of {bytes} bytes is longer than the {MAX_LINE_BYTES} bytes a command may have"
                    );
                    state.emit(None, refusal("bad_request", &message))?;
                }
                Piece::Line => match std::str::from_utf8(&line) {
                    Ok(text) => {
                        let text = text.trim_end_matches('\r');
                        if !text.trim().is_empty() {
                            state.handle(text.to_string())?;
                        }
                    }
                    Err(e) => {
                        let message = format!(
                            "the line is not UTF-8 text (invalid byte at offset {})",
                            e.valid_up_to()
                        );
                        state.emit(None, refusal("bad_request", &message))?;
                    }
                },
            }
        }
        state.settle_all()
    })();
    state.terminal.set_pipelined(false);
    result
}

impl<W: Write> Loop<'_, W> {
    fn handle(&mut self, line: String) -> std::io::Result<()> {
        let command = match parse(&line) {
            Ok(c) => c,
            Err(message) => return self.emit(Some(line), refusal("bad_request", &message)),
        };
        match &command {
            Command::Tender(_) if self.terminal.in_flight() >= MAX_IN_FLIGHT => {
                self.settle_one()?
            }
            c if c.is_basket_only() || matches!(c, Command::Tender(_)) => {}
            _ => self.settle_all()?,
        }
        let before = self.terminal.in_flight();
        let mut result = run(self.terminal, command);
        if matches!(result, Err(CommandError::SettleFirst)) {
            self.settle_all()?;
            result = match parse(&line) {
                Ok(c) => run(self.terminal, c),
                Err(message) => return self.emit(Some(line), refusal("bad_request", &message)),
            };
        }
        if self.terminal.in_flight() > before {
            self.slots.push_back(Slot {
                tender: line,
                after: Vec::new(),
            });
            return Ok(());
        }
        let answer = respond(self.terminal, result, self.counter.as_deref_mut(), None);
        self.emit(Some(line), answer)
    }

    /// Writes an answer now, or holds it behind the newest sale in flight.
    fn emit(&mut self, line: Option<String>, answer: String) -> std::io::Result<()> {
        match self.slots.back_mut() {
            Some(slot) => slot.after.push((line, answer)),
            None => {
                write_line(&mut self.output, &answer)?;
                self.output.flush()?;
            }
        }
        Ok(())
    }

    fn settle_all(&mut self) -> std::io::Result<()> {
        while self.terminal.has_in_flight() {
            self.settle_one()?;
        }
        Ok(())
    }

    /// Waits for the oldest sale and writes its answer and the answers held behind it. If
    /// its commit failed, the tender's answer is the error and every later line runs again
    /// on the basket the terminal went back to.
    fn settle_one(&mut self) -> std::io::Result<()> {
        let Some(result) = self.terminal.settle() else {
            return Ok(());
        };
        let slot = self
            .slots
            .pop_front()
            .expect("every sale in flight has its slot");
        match result {
            Ok(done) => {
                let empty = Basket::new(self.terminal.currency());
                let text = respond(
                    self.terminal,
                    Ok(Outcome::Sale(Box::new(done))),
                    self.counter.as_deref_mut(),
                    Some(&empty),
                );
                write_line(&mut self.output, &text)?;
                for (_, answer) in slot.after {
                    write_line(&mut self.output, &answer)?;
                }
                self.output.flush()
            }
            Err(e) => {
                write_line(&mut self.output, &refusal(e.code(), &e.to_string()))?;
                let later: Vec<(Option<String>, String)> = slot
                    .after
                    .into_iter()
                    .chain(self.slots.drain(..).flat_map(|s| {
                        std::iter::once((Some(s.tender), String::new())).chain(s.after)
                    }))
                    .collect();
                for (line, answer) in later {
                    match line {
                        Some(line) => self.handle(line)?,
                        None => self.emit(None, answer)?,
                    }
                }
                self.output.flush()
            }
        }
    }
}

fn write_line(output: &mut impl Write, text: &str) -> std::io::Result<()> {
    output.write_all(text.as_bytes())?;
    output.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(input: &[u8], max: usize) -> Vec<(Piece, Vec<u8>)> {
        let mut reader = BufReader::with_capacity(4, input);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        loop {
            let piece = read_bounded(&mut reader, &mut buf, max).unwrap();
            if piece == Piece::End {
                return out;
            }
            out.push((piece, buf.clone()));
        }
    }

    #[test]
    fn long_lines_are_cut_to_the_limit_and_skipped_to_their_newline() {
        let got = pieces(b"ab\n0123456789\n\ncd", 5);
        assert_eq!(
            got,
            [
                (Piece::Line, b"ab".to_vec()),
                (Piece::TooLong(10), b"01234".to_vec()),
                (Piece::Line, Vec::new()),
                (Piece::Line, b"cd".to_vec()),
            ]
        );
        assert_eq!(
            pieces(b"0123456789", 5),
            [(Piece::TooLong(10), b"01234".to_vec())]
        );
        assert_eq!(pieces(b"01234\n", 5), [(Piece::Line, b"01234".to_vec())]);
    }
}
