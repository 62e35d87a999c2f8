//! The virtual receipt printer used by the demo store and the tests.
//!
//! It is a [`Connector`] like any real printer link, so the real [`super::ReceiptPrinter`]
//! drives it. It keeps each job as the ESC/POS bytes it received (a job ends at a cut),
//! answers real-time status requests, opens its virtual cash drawer on a kick, can run out
//! of paper part-way through a receipt or have its cover opened, and renders any job to a
//! PNG so a person can look at the receipt.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::parse::{Command, Token, tokens};
use super::profile::PrinterProfile;
use super::status::{PaperState, PrinterStatus};
use crate::error::ErrorKind;
use crate::render::{RenderedReceipt, render_receipt};
use crate::transport::{Connector, LinkResult, Transport};

/// One job the virtual printer received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintedJob {
    /// The ESC/POS bytes printed for this job.
    pub bytes: Vec<u8>,
    /// False if the job was cut short (paper out, buffers cleared) before its cut.
    pub complete: bool,
}

/// A drawer kick the virtual printer received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KickRecord {
    /// 0 = pin 2, 1 = pin 5.
    pub pin: u8,
    /// On time in ms.
    pub on_ms: u16,
    /// Off time in ms.
    pub off_ms: u16,
}

struct State {
    profile: PrinterProfile,
    status: PrinterStatus,
    drawer_open: bool,
    paper_left: Option<usize>,
    pending: Vec<u8>,
    job: Vec<u8>,
    job_truncated: bool,
    jobs: Vec<PrintedJob>,
    replies: VecDeque<u8>,
    kicks: Vec<KickRecord>,
    output_dir: Option<PathBuf>,
    plugged: bool,
    generation: u64,
}

/// A virtual receipt printer; cheap to clone (all clones share one printer).
#[derive(Clone)]
pub struct VirtualPrinter {
    state: Arc<Mutex<State>>,
}

impl VirtualPrinter {
    /// A ready printer with paper for the given profile.
    pub fn new(profile: PrinterProfile) -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                profile,
                status: PrinterStatus::ready(),
                drawer_open: false,
                paper_left: None,
                pending: Vec::new(),
                job: Vec::new(),
                job_truncated: false,
                jobs: Vec::new(),
                replies: VecDeque::new(),
                kicks: Vec::new(),
                output_dir: None,
                plugged: true,
                generation: 0,
            })),
        }
    }

    /// Writes every completed job as `receipt-NNNN.png` (and the raw `.bin`) into `dir`.
    pub fn with_output_dir(self, dir: impl Into<PathBuf>) -> Self {
        self.lock().output_dir = Some(dir.into());
        self
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// All jobs received so far.
    pub fn jobs(&self) -> Vec<PrintedJob> {
        self.lock().jobs.clone()
    }

    /// The most recent job.
    pub fn last_job(&self) -> Option<PrintedJob> {
        self.lock().jobs.last().cloned()
    }

    /// Renders job `index` to an image.
    pub fn render_job(&self, index: usize) -> Result<RenderedReceipt, ErrorKind> {
        let (bytes, profile) = {
            let s = self.lock();
            let job = s.jobs.get(index).ok_or_else(|| {
                ErrorKind::InvalidInput(format!("no job {index}; {} printed", s.jobs.len()))
            })?;
            (job.bytes.clone(), s.profile)
        };
        Ok(render_receipt(&bytes, &profile))
    }

    /// Drawer kicks received.
    pub fn kicks(&self) -> Vec<KickRecord> {
        self.lock().kicks.clone()
    }

    /// Whether the virtual drawer is open.
    pub fn drawer_open(&self) -> bool {
        self.lock().drawer_open
    }

    /// The cashier pushes the drawer shut.
    pub fn close_drawer(&self) {
        let mut s = self.lock();
        s.drawer_open = false;
        s.status.drawer_pin_high = false;
    }

    /// Sets the paper supply (e.g. `Ok` after loading a roll).
    pub fn set_paper(&self, paper: PaperState) {
        let mut s = self.lock();
        s.status.paper = paper;
        s.paper_left = None;
        s.status.online = paper != PaperState::Out && !s.status.cover_open;
    }

    /// Runs out of paper after `bytes` more bytes of print data.
    pub fn run_out_after(&self, bytes: usize) {
        self.lock().paper_left = Some(bytes);
    }

    /// Opens or closes the cover.
    pub fn set_cover_open(&self, open: bool) {
        let mut s = self.lock();
        s.status.cover_open = open;
        s.status.online = !open && s.status.paper != PaperState::Out;
    }

    /// Unplugs the printer (links fail) or plugs it back in.
    pub fn set_plugged(&self, plugged: bool) {
        let mut s = self.lock();
        s.plugged = plugged;
        if !plugged {
            s.generation += 1;
        }
    }

    /// The current status as the printer would report it.
    pub fn status(&self) -> PrinterStatus {
        self.lock().status
    }
}

impl State {
    fn finish_job(&mut self, complete: bool) {
        if self.job.is_empty() {
            return;
        }
        let job = PrintedJob {
            bytes: std::mem::take(&mut self.job),
            complete: complete && !self.job_truncated,
        };
        self.job_truncated = false;
        if let Some(dir) = &self.output_dir {
            let n = self.jobs.len() + 1;
            let stem = dir.join(format!("receipt-{n:04}"));
            let png = render_receipt(&job.bytes, &self.profile).to_png();
            if let Err(e) = std::fs::create_dir_all(dir)
                .and_then(|_| std::fs::write(stem.with_extension("png"), png))
                .and_then(|_| std::fs::write(stem.with_extension("bin"), &job.bytes))
            {
                tracing::warn!(error = %e, dir = %dir.display(), "could not save virtual receipt");
            }
        }
        self.jobs.push(job);
    }

    fn consume(&mut self, bytes: &[u8]) {
        if self.status.paper == PaperState::Out {
            self.job_truncated = true;
            return;
        }
        match self.paper_left {
            Some(left) if bytes.len() >= left => {
                self.job.extend_from_slice(&bytes[..left]);
                self.paper_left = None;
                self.status.paper = PaperState::Out;
                self.status.online = false;
                self.job_truncated = true;
            }
            Some(left) => {
                self.job.extend_from_slice(bytes);
                self.paper_left = Some(left - bytes.len());
            }
            None => self.job.extend_from_slice(bytes),
        }
    }

    fn receive(&mut self, data: &[u8]) {
        self.pending.extend_from_slice(data);
        let pending = std::mem::take(&mut self.pending);
        let mut it = tokens(&pending);
        let mut pos = 0;
        while let Some(token) = it.next() {
            let end = it.consumed();
            let raw = &pending[pos..end];
            pos = end;
            match token {
                Token::Command(Command::StatusRequest(n)) => {
                    let r = self.status.to_replies();
                    let byte = match n {
                        1 => Some(r[0]),
                        2 => Some(r[1]),
                        3 => Some(0x12),
                        4 => Some(r[2]),
                        _ => None,
                    };
                    self.replies.extend(byte);
                }
                Token::Command(Command::ClearBuffers) => self.finish_job(false),
                Token::Command(Command::DrawerKick { pin, on, off }) => {
                    self.kicks.push(KickRecord {
                        pin,
                        on_ms: u16::from(on) * 2,
                        off_ms: u16::from(off) * 2,
                    });
                    self.drawer_open = true;
                    self.status.drawer_pin_high = true;
                    self.consume(raw);
                }
                Token::Command(Command::Cut { .. }) => {
                    let was_out = self.status.paper == PaperState::Out;
                    self.consume(raw);
                    if !was_out {
                        self.finish_job(true);
                    }
                }
                _ => self.consume(raw),
            }
        }
        self.pending = pending[pos..].to_vec();
    }
}

impl Connector for VirtualPrinter {
    fn connect(&self) -> LinkResult<Box<dyn Transport>> {
        let s = self.lock();
        if !s.plugged {
            return Err(ErrorKind::NotFound("virtual printer is unplugged".into()));
        }
        Ok(Box::new(VirtualLink {
            printer: self.clone(),
            generation: s.generation,
        }))
    }

    fn describe(&self) -> String {
        "virtual printer".into()
    }
}

struct VirtualLink {
    printer: VirtualPrinter,
    generation: u64,
}

impl VirtualLink {
    fn check(&self, s: &State) -> LinkResult<()> {
        if !s.plugged || s.generation != self.generation {
            return Err(ErrorKind::Disconnected("virtual printer unplugged".into()));
        }
        Ok(())
    }
}

impl Transport for VirtualLink {
    fn read_timeout(&mut self, buf: &mut [u8], timeout: Duration) -> LinkResult<usize> {
        let deadline = Instant::now() + timeout;
        loop {
            {
                let mut s = self.printer.lock();
                self.check(&s)?;
                if !s.replies.is_empty() {
                    let n = buf.len().min(s.replies.len());
                    for slot in buf.iter_mut().take(n) {
                        *slot = s.replies.pop_front().unwrap_or(0);
                    }
                    return Ok(n);
                }
            }
            if Instant::now() >= deadline {
                return Ok(0);
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn write_all(&mut self, data: &[u8]) -> LinkResult<()> {
        let mut s = self.printer.lock();
        self.check(&s)?;
        s.receive(data);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_end_at_cuts_and_status_is_answered() {
        let vp = VirtualPrinter::new(PrinterProfile::mm58());
        let mut link = vp.connect().unwrap();
        link.write_all(b"\x1b@Hello\n\x1dV").unwrap();
        assert!(vp.jobs().is_empty(), "cut command not complete yet");
        link.write_all(b"A\x00\x10\x04\x04").unwrap();
        let jobs = vp.jobs();
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].bytes, b"\x1b@Hello\n\x1dVA\x00");
        assert!(jobs[0].complete);
        let mut buf = [0u8; 4];
        assert_eq!(
            link.read_timeout(&mut buf, Duration::from_millis(10)),
            Ok(1)
        );
        assert_eq!(buf[0], 0x12);
    }

    #[test]
    fn paper_runs_out_mid_job() {
        let vp = VirtualPrinter::new(PrinterProfile::mm58());
        vp.run_out_after(5);
        let mut link = vp.connect().unwrap();
        link.write_all(b"\x1b@Hello world\n").unwrap();
        assert_eq!(vp.status().paper, PaperState::Out);
        link.write_all(b"more\n\x1dVA\x00").unwrap();
        assert!(vp.jobs().is_empty(), "no cut happened without paper");
        link.write_all(&super::super::commands::CLEAR_BUFFERS)
            .unwrap();
        let jobs = vp.jobs();
        assert_eq!(jobs.len(), 1);
        assert!(!jobs[0].complete);
        assert_eq!(jobs[0].bytes, b"\x1b@Hel");
    }

    #[test]
    fn unplugged_links_fail() {
        let vp = VirtualPrinter::new(PrinterProfile::mm80());
        let mut link = vp.connect().unwrap();
        vp.set_plugged(false);
        assert!(link.write_all(b"x").is_err());
        assert!(vp.connect().is_err());
        vp.set_plugged(true);
        assert!(vp.connect().unwrap().write_all(b"x").is_ok());
    }
}
