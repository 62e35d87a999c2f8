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

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};

use super::effects::Counter;
use super::headless::{Command, Outcome, parse, refusal, respond, run};
use super::{CommandError, Terminal};
use crate::domain::basket::Basket;

/// Sales that may wait for their commit at once.
pub const MAX_IN_FLIGHT: usize = 16;

/// A sale in flight: its tender line, and the lines after it with their held answers.
struct Slot {
    tender: String,
    after: Vec<(String, String)>,
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
    let mut line = String::new();
    let result = (|| {
        loop {
            if !reader.buffer().contains(&b'\n') {
                // Nothing more to read right now: every answer goes out before waiting.
                state.settle_all()?;
            }
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                break;
            }
            let text = line.trim_end_matches(['\n', '\r']);
            if !text.trim().is_empty() {
                state.handle(text.to_string())?;
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
            Err(message) => return self.emit(line, refusal("bad_request", &message)),
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
                Err(message) => return self.emit(line, refusal("bad_request", &message)),
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
        self.emit(line, answer)
    }

    /// Writes an answer now, or holds it behind the newest sale in flight.
    fn emit(&mut self, line: String, answer: String) -> std::io::Result<()> {
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
                let later: Vec<String> = slot
                    .after
                    .into_iter()
                    .map(|(line, _)| line)
                    .chain(self.slots.drain(..).flat_map(|s| {
                        std::iter::once(s.tender).chain(s.after.into_iter().map(|(l, _)| l))
                    }))
                    .collect();
                for line in later {
                    self.handle(line)?;
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
