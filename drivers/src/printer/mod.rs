//! Receipt printers: ESC/POS over USB, serial, TCP port 9100 or a device file, with 58 mm
//! and 80 mm profiles, GB18030 Chinese text, barcodes, QR codes, logos, real-time status and
//! clean handling of paper-out in the middle of a receipt.
//!
//! [`ReceiptPrinter::print`] encodes a [`Document`], checks the printer is ready, sends the
//! job in pieces and checks status between them. If the paper runs out (or the cover is
//! opened) part-way, it stops sending, clears the printer's buffer so the half receipt does
//! not resume on its own, reports [`ErrorKind::PaperOut`] and keeps the document:
//! [`ReceiptPrinter::reprint_last`] prints it again once paper is loaded. The sale itself
//! is already complete before printing starts; a printer fault never undoes it.

pub mod commands;
pub mod document;
pub mod encode;
pub mod parse;
pub mod profile;
pub mod status;
pub mod virtual_printer;

use std::collections::VecDeque;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::device::{
    Device, DeviceCategory, DeviceEvent, DeviceStatus, Health, InputDevice, Lifecycle,
    LifecycleState,
};
use crate::error::{DeviceError, DeviceResult, ErrorKind, Stage};
use crate::port::Port;
use crate::transport::{Connector, FileConnector, SerialConnector, TcpConnector, UsbConnector};
pub use document::{
    Align, BarcodeKind, Bitmap, Block, Document, DrawerKick, DrawerPin, QrLevel, TextSize,
    TextStyle,
};
pub use encode::{Encoded, encode};
pub use profile::{CodePage, PaperWidth, PrinterProfile};
pub use status::{PaperState, PrinterStatus};
pub use virtual_printer::{PrintedJob, VirtualPrinter};

/// State shared by the printer and the cash drawer that is wired to it.
pub(crate) struct PrinterCore {
    pub(crate) port: Port,
    pub(crate) profile: PrinterProfile,
    pub(crate) status: Option<PrinterStatus>,
    events: VecDeque<DeviceStatus>,
    holders: u32,
    reply_timeout: Duration,
    segment: usize,
}

impl PrinterCore {
    pub(crate) fn describe(&self) -> String {
        self.port.describe()
    }

    pub(crate) fn err(&self, stage: Stage, kind: ErrorKind) -> DeviceError {
        DeviceError::new(self.describe(), stage, kind)
    }

    /// Connects the link for one more holder (printer or drawer).
    ///
    /// Invariant: `holders` counts the claimed devices on this link. The lifecycle calls
    /// `hold` on a successful claim and `unhold` on release, once each, so it never
    /// exceeds the two devices that can share a link and never goes below zero.
    pub(crate) fn hold(&mut self) -> DeviceResult<()> {
        if self.holders == 0 || !self.port.is_connected() {
            self.port.connect()?;
        }
        self.holders += 1;
        debug_assert!(
            self.holders <= 2,
            "printer link held {} times",
            self.holders
        );
        Ok(())
    }

    /// Lets go for one holder; disconnects when nobody holds the link.
    pub(crate) fn unhold(&mut self) {
        debug_assert!(self.holders > 0, "printer link let go more often than held");
        self.holders = self.holders.saturating_sub(1);
        if self.holders == 0 {
            self.port.disconnect();
            self.status = None;
        }
    }

    fn take_port_status(&mut self) {
        while let Some(s) = self.port.take_status() {
            if matches!(s, DeviceStatus::Offline(_)) {
                self.status = None;
            }
            self.events.push_back(s);
        }
    }

    /// Asks for real-time status. `Ok(None)` if the link cannot carry replies.
    pub(crate) fn query_status(&mut self) -> DeviceResult<Option<PrinterStatus>> {
        if !self.port.reconnect_now() {
            self.take_port_status();
            return Err(self.err(Stage::Status, ErrorKind::Offline("not connected".into())));
        }
        self.take_port_status();
        if !self.port.can_read() {
            return Ok(None);
        }
        self.port.discard_input();
        let sent = self.port.write_all(&status::STATUS_QUERY);
        self.take_port_status();
        sent?;
        let mut replies = [0u8; 3];
        let mut got = 0;
        let deadline = Instant::now() + self.reply_timeout;
        while got < 3 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(self.err(
                    Stage::Status,
                    ErrorKind::Timeout(format!("printer answered {got} of 3 status requests")),
                ));
            }
            let r = self.port.read_strict(&mut replies[got..], left);
            self.take_port_status();
            got += r?;
        }
        let status = PrinterStatus::parse(replies).map_err(|k| self.err(Stage::Status, k))?;
        let changes = status.changes_from(self.status.as_ref());
        self.events.extend(changes);
        self.status = Some(status);
        Ok(Some(status))
    }

    fn refuse_if_not_ready(&mut self, status: Option<PrinterStatus>) -> DeviceResult<()> {
        let Some(s) = status else { return Ok(()) };
        let kind = if s.paper == PaperState::Out {
            ErrorKind::PaperOut
        } else if s.cover_open {
            ErrorKind::CoverOpen
        } else if s.error || !s.online {
            ErrorKind::Offline("printer reports an error".into())
        } else {
            return Ok(());
        };
        Err(self.err(Stage::Write, kind))
    }

    /// Sends a job in pieces, checking status before and between them.
    fn send(&mut self, job: &Encoded) -> DeviceResult<()> {
        let before = self.query_status()?;
        self.refuse_if_not_ready(before)?;
        let mut start = 0;
        let mut ends = job.block_ends.iter().copied().peekable();
        while start < job.bytes.len() {
            // Extend this piece block by block up to the segment size.
            let mut end = start;
            while let Some(&e) = ends.peek() {
                if end > start && e - start > self.segment {
                    break;
                }
                end = e;
                ends.next();
            }
            if end <= start {
                end = job.bytes.len();
            }
            let sent = self.port.write_all(&job.bytes[start..end]);
            self.take_port_status();
            sent?;
            start = end;
            let status = self.query_status()?;
            if let Err(e) = self.refuse_if_not_ready(status) {
                // Stop cleanly: drop what the printer still holds of this receipt.
                let _ = self.port.write_all(&commands::CLEAR_BUFFERS);
                tracing::warn!(sent = start, total = job.bytes.len(), error = %e, "receipt interrupted");
                return Err(e);
            }
        }
        Ok(())
    }
}

/// A receipt printer.
pub struct ReceiptPrinter {
    lifecycle: Lifecycle,
    core: Arc<Mutex<PrinterCore>>,
    last_job: Option<Document>,
    queue: VecDeque<DeviceEvent<Infallible>>,
    poll_every: Duration,
    next_poll: Instant,
}

impl ReceiptPrinter {
    /// A closed printer on `connector` with `profile`.
    pub fn new(connector: Box<dyn Connector>, profile: PrinterProfile) -> Self {
        let category = DeviceCategory::ReceiptPrinter;
        let port = Port::new(category.to_string(), connector);
        Self {
            lifecycle: Lifecycle::new(category, port.describe()),
            core: Arc::new(Mutex::new(PrinterCore {
                port,
                profile,
                status: None,
                events: VecDeque::new(),
                holders: 0,
                reply_timeout: Duration::from_millis(1000),
                segment: 1024,
            })),
            last_job: None,
            queue: VecDeque::new(),
            poll_every: Duration::from_secs(2),
            next_poll: Instant::now(),
        }
    }

    /// Sets how many bytes are sent between status checks.
    pub fn with_segment_bytes(self, bytes: usize) -> Self {
        self.core_lock().segment = bytes.max(1);
        self
    }

    /// Sets how long to wait for status replies.
    pub fn with_reply_timeout(self, t: Duration) -> Self {
        self.core_lock().reply_timeout = t;
        self
    }

    /// Sets how often status is polled while idle (for paper/cover events).
    pub fn with_status_interval(mut self, t: Duration) -> Self {
        self.poll_every = t;
        self
    }

    pub(crate) fn core(&self) -> Arc<Mutex<PrinterCore>> {
        Arc::clone(&self.core)
    }

    fn core_lock(&self) -> MutexGuard<'_, PrinterCore> {
        self.core.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The printer's profile.
    pub fn profile(&self) -> PrinterProfile {
        self.core_lock().profile
    }

    fn collect_events(&mut self) {
        let mut core = self.core_lock();
        let events: Vec<DeviceStatus> = core.events.drain(..).collect();
        drop(core);
        self.queue
            .extend(events.into_iter().map(DeviceEvent::Status));
    }

    /// Prints a document. A document that cannot be encoded is refused before anything is
    /// sent. The document is kept for [`ReceiptPrinter::reprint_last`] whatever happens.
    pub fn print(&mut self, doc: &Document) -> DeviceResult<()> {
        self.lifecycle.require_enabled()?;
        let profile = self.profile();
        let job = encode(doc, &profile)
            .map_err(|k| DeviceError::new(self.lifecycle.name().to_string(), Stage::Encode, k))?;
        self.last_job = Some(doc.clone());
        let result = self.core_lock().send(&job);
        self.collect_events();
        if let Err(e) = &result {
            self.queue.push_back(DeviceEvent::Error(e.clone()));
        }
        result
    }

    /// Prints the last document again (e.g. after loading paper).
    pub fn reprint_last(&mut self) -> DeviceResult<()> {
        let Some(doc) = self.last_job.clone() else {
            return Err(DeviceError::new(
                self.lifecycle.name().to_string(),
                Stage::Write,
                ErrorKind::InvalidInput("nothing has been printed yet".into()),
            ));
        };
        self.print(&doc)
    }

    /// The last document given to [`ReceiptPrinter::print`].
    pub fn last_document(&self) -> Option<&Document> {
        self.last_job.as_ref()
    }

    /// Queries the printer's real-time status now. `Ok(None)` if the link has no back
    /// channel (e.g. a write-only device file).
    pub fn status(&mut self) -> DeviceResult<Option<PrinterStatus>> {
        self.lifecycle.require_claimed()?;
        let r = self.core_lock().query_status();
        self.collect_events();
        r
    }
}

impl Device for ReceiptPrinter {
    fn lifecycle(&self) -> &Lifecycle {
        &self.lifecycle
    }
    fn lifecycle_mut(&mut self) -> &mut Lifecycle {
        &mut self.lifecycle
    }
    fn on_claim(&mut self) -> DeviceResult<()> {
        self.core_lock().hold()
    }
    fn on_release(&mut self) {
        self.core_lock().unhold();
    }
    fn on_check_health(&mut self) -> Health {
        let r = self.core_lock().query_status();
        self.collect_events();
        let name = self.name();
        match r {
            Ok(None) => Health::ok(format!(
                "{name}: connected (no status channel on this link)"
            )),
            Ok(Some(s)) if s.paper == PaperState::Out => {
                Health::failed(format!("{name}: out of paper"))
            }
            Ok(Some(s)) if s.cover_open => Health::failed(format!("{name}: cover open")),
            Ok(Some(s)) if s.error || !s.online => {
                Health::failed(format!("{name}: reports an error"))
            }
            Ok(Some(s)) if s.paper == PaperState::NearEnd => {
                Health::warning(format!("{name}: paper near end"))
            }
            Ok(Some(_)) => Health::ok(format!("{name}: ready")),
            Err(e) => Health::failed(e.to_string()),
        }
    }
}

impl InputDevice for ReceiptPrinter {
    /// A printer produces no data, only status and error events.
    type Data = Infallible;

    fn poll_event(&mut self, timeout: Duration) -> Option<DeviceEvent<Infallible>> {
        if let Some(e) = self.queue.pop_front() {
            return Some(e);
        }
        if self.lifecycle.state() == LifecycleState::Enabled && Instant::now() >= self.next_poll {
            self.next_poll = Instant::now() + self.poll_every;
            let r = self.core_lock().query_status();
            self.collect_events();
            if let Err(e) = r
                && !matches!(e.kind, ErrorKind::Offline(_))
            {
                self.queue.push_back(DeviceEvent::Error(e));
            }
            if let Some(e) = self.queue.pop_front() {
                return Some(e);
            }
        }
        std::thread::sleep(timeout.min(self.next_poll.saturating_duration_since(Instant::now())));
        self.queue.pop_front()
    }
}

fn default_printer_baud() -> u32 {
    19_200
}
fn default_port() -> u16 {
    9100
}
fn default_usb_timeout() -> u64 {
    5000
}
fn default_chunk() -> usize {
    1024
}

/// How the printer is connected, tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PrinterConnection {
    /// The virtual printer; with `output_dir`, every receipt is also saved there as
    /// `receipt-NNNN.png` (and the raw bytes as `.bin`).
    Simulated {
        /// Where to save rendered receipts.
        #[serde(default)]
        output_dir: Option<PathBuf>,
    },
    /// USB printer class device, by vendor and product id (the `usblp` kernel driver is
    /// detached while the terminal holds it).
    Usb {
        /// Vendor id, e.g. `0x04b8`.
        vendor_id: u16,
        /// Product id.
        product_id: u16,
        /// Timeout per bulk transfer in milliseconds.
        #[serde(default = "default_usb_timeout")]
        timeout_ms: u64,
        /// Bytes per bulk transfer.
        #[serde(default = "default_chunk")]
        chunk_bytes: usize,
    },
    /// Serial printer.
    Serial {
        /// Serial device path.
        path: PathBuf,
        /// Baud rate.
        #[serde(default = "default_printer_baud")]
        baud: u32,
    },
    /// Network printer (raw TCP, usually port 9100).
    Tcp {
        /// Host name or address.
        host: String,
        /// TCP port.
        #[serde(default = "default_port")]
        port: u16,
    },
    /// A device file such as `/dev/usb/lp0`.
    File {
        /// Path of the device file.
        path: PathBuf,
    },
}

impl Default for PrinterConnection {
    fn default() -> Self {
        PrinterConnection::Simulated { output_dir: None }
    }
}

/// Printer configuration: connection plus profile.
///
/// ```toml
/// [printer]
/// paper = "80mm"
/// code_page = "gb18030"
/// [printer.connection]
/// kind = "usb"
/// vendor_id = 0x0416
/// product_id = 0x5011
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrinterConfig {
    /// How the printer is connected.
    pub connection: PrinterConnection,
    /// Paper width.
    pub paper: PaperWidth,
    /// Code page for text.
    pub code_page: CodePage,
}

impl PrinterConfig {
    /// The profile this configuration describes.
    pub fn profile(&self) -> PrinterProfile {
        PrinterProfile {
            paper: self.paper,
            code_page: self.code_page,
        }
    }
}

/// Builds the configured printer (closed). For simulated printers, the virtual printer is
/// returned too so the UI can show receipts and simulate paper-out or the drawer.
pub fn build(config: &PrinterConfig) -> (ReceiptPrinter, Option<VirtualPrinter>) {
    let profile = config.profile();
    let connector: Box<dyn Connector> = match &config.connection {
        PrinterConnection::Simulated { output_dir } => {
            let mut vp = VirtualPrinter::new(profile);
            if let Some(dir) = output_dir {
                vp = vp.with_output_dir(dir);
            }
            return (ReceiptPrinter::new(Box::new(vp.clone()), profile), Some(vp));
        }
        PrinterConnection::Usb {
            vendor_id,
            product_id,
            timeout_ms,
            chunk_bytes,
        } => Box::new(UsbConnector {
            vendor_id: *vendor_id,
            product_id: *product_id,
            timeout: Duration::from_millis(*timeout_ms),
            chunk: *chunk_bytes,
        }),
        PrinterConnection::Serial { path, baud } => Box::new(SerialConnector::new(path, *baud)),
        PrinterConnection::Tcp { host, port } => Box::new(TcpConnector::new(host.clone(), *port)),
        PrinterConnection::File { path } => Box::new(FileConnector::read_write(path)),
    };
    (ReceiptPrinter::new(connector, profile), None)
}
