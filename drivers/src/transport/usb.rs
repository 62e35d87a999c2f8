//! USB bulk transport for receipt printers, through `rusb` (libusb, vendored).
//!
//! The `escpos` crate's own USB driver hands the whole job to one `write_bulk` call and
//! ignores the byte count it returns, so a partial transfer silently loses the end of a
//! receipt. [`ChunkedBulkWriter`] replaces it: it writes in chunks, checks every count,
//! resumes after a short transfer and gives up with a clear timeout error (saying how many
//! bytes went out) when the printer stops taking data.
//!
//! The pipe is a small trait ([`BulkPipe`]) so the writer is tested against an in-memory
//! fake ([`FakeBulkPipe`]); the real [`RusbPipe`] needs hardware and is not exercised by the
//! test suite.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::{Connector, LinkResult, Transport};
use crate::error::ErrorKind;

/// A fault reported by one bulk transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsbFault {
    /// The transfer timed out with nothing transferred.
    Timeout,
    /// The device is gone.
    Disconnected(String),
    /// Anything else (stall, overflow, pipe error).
    Other(String),
}

/// One USB bulk OUT (and optionally IN) endpoint pair.
pub trait BulkPipe: Send {
    /// One bulk OUT transfer. Returns how many bytes the device took, which may be fewer
    /// than `data.len()`.
    fn bulk_out(&mut self, data: &[u8], timeout: Duration) -> Result<usize, UsbFault>;
    /// One bulk IN transfer into `buf`.
    fn bulk_in(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, UsbFault>;
    /// Whether the interface has a bulk IN endpoint (status replies).
    fn has_in(&self) -> bool;
}

/// Writes data over a [`BulkPipe`] in chunks, checking every byte count.
pub struct ChunkedBulkWriter<P> {
    pipe: P,
    chunk: usize,
    timeout: Duration,
    max_stalls: u32,
}

impl<P: BulkPipe> ChunkedBulkWriter<P> {
    /// A writer sending at most `chunk` bytes per transfer with `timeout` per transfer.
    pub fn new(pipe: P, chunk: usize, timeout: Duration) -> Self {
        Self {
            pipe,
            chunk: chunk.max(1),
            timeout,
            max_stalls: 3,
        }
    }

    /// The underlying pipe.
    pub fn pipe(&self) -> &P {
        &self.pipe
    }

    /// Sends every byte, resuming after short transfers.
    ///
    /// Fails with [`ErrorKind::Timeout`] when a transfer times out and with
    /// [`ErrorKind::IncompleteWrite`] when the device keeps accepting zero bytes; both say
    /// how many bytes were sent so the caller knows the job is incomplete.
    pub fn write_all(&mut self, data: &[u8]) -> LinkResult<()> {
        let mut sent = 0usize;
        let mut stalls = 0u32;
        while sent < data.len() {
            let end = (sent + self.chunk).min(data.len());
            match self.pipe.bulk_out(&data[sent..end], self.timeout) {
                Ok(0) => {
                    stalls += 1;
                    if stalls >= self.max_stalls {
                        return Err(ErrorKind::IncompleteWrite {
                            written: sent,
                            expected: data.len(),
                        });
                    }
                }
                Ok(n) => {
                    // A device can never take more than offered; treat it as a fault.
                    if n > end - sent {
                        return Err(ErrorKind::Io(format!(
                            "USB transfer reported {n} bytes for a {} byte chunk",
                            end - sent
                        )));
                    }
                    sent += n;
                    stalls = 0;
                }
                Err(UsbFault::Timeout) => {
                    return Err(ErrorKind::Timeout(format!(
                        "USB write timed out after {sent} of {} bytes",
                        data.len()
                    )));
                }
                Err(UsbFault::Disconnected(m)) => return Err(ErrorKind::Disconnected(m)),
                Err(UsbFault::Other(m)) => {
                    return Err(ErrorKind::Io(format!(
                        "USB write failed after {sent} of {} bytes: {m}",
                        data.len()
                    )));
                }
            }
        }
        Ok(())
    }
}

impl<P: BulkPipe> Transport for ChunkedBulkWriter<P> {
    fn read_timeout(&mut self, buf: &mut [u8], timeout: Duration) -> LinkResult<usize> {
        if !self.pipe.has_in() {
            std::thread::sleep(timeout.min(Duration::from_millis(50)));
            return Ok(0);
        }
        let t = timeout.max(Duration::from_millis(1));
        match self.pipe.bulk_in(buf, t) {
            Ok(n) => Ok(n),
            Err(UsbFault::Timeout) => Ok(0),
            Err(UsbFault::Disconnected(m)) => Err(ErrorKind::Disconnected(m)),
            Err(UsbFault::Other(m)) => Err(ErrorKind::Io(m)),
        }
    }

    fn write_all(&mut self, data: &[u8]) -> LinkResult<()> {
        ChunkedBulkWriter::write_all(self, data)
    }

    fn can_read(&self) -> bool {
        self.pipe.has_in()
    }
}

/// A USB printer opened by vendor and product id with `rusb`.
pub struct RusbPipe {
    handle: rusb::DeviceHandle<rusb::Context>,
    interface: u8,
    out_ep: u8,
    in_ep: Option<u8>,
    reattach: bool,
}

fn usb_fault(e: rusb::Error) -> UsbFault {
    match e {
        rusb::Error::Timeout => UsbFault::Timeout,
        rusb::Error::NoDevice | rusb::Error::NotFound => UsbFault::Disconnected(e.to_string()),
        other => UsbFault::Other(other.to_string()),
    }
}

fn usb_error(e: rusb::Error) -> ErrorKind {
    match e {
        rusb::Error::Access => ErrorKind::PermissionDenied(e.to_string()),
        rusb::Error::Busy => ErrorKind::Busy(e.to_string()),
        rusb::Error::NoDevice | rusb::Error::NotFound => ErrorKind::NotFound(e.to_string()),
        rusb::Error::Timeout => ErrorKind::Timeout(e.to_string()),
        other => ErrorKind::Io(other.to_string()),
    }
}

impl RusbPipe {
    /// Opens the first device with `vendor_id:product_id`, detaches the kernel's `usblp`
    /// driver from its printer interface if bound, claims the interface and finds its bulk
    /// endpoints.
    pub fn open(vendor_id: u16, product_id: u16) -> LinkResult<Self> {
        use rusb::UsbContext;
        let context = rusb::Context::new().map_err(usb_error)?;
        let devices = context.devices().map_err(usb_error)?;
        let device = devices
            .iter()
            .find(|d| {
                d.device_descriptor()
                    .map(|desc| desc.vendor_id() == vendor_id && desc.product_id() == product_id)
                    .unwrap_or(false)
            })
            .ok_or_else(|| {
                ErrorKind::NotFound(format!("no USB device {vendor_id:04x}:{product_id:04x}"))
            })?;
        let config = device.active_config_descriptor().map_err(usb_error)?;
        let mut chosen = None;
        for interface in config.interfaces() {
            for alt in interface.descriptors() {
                let mut out_ep = None;
                let mut in_ep = None;
                for ep in alt.endpoint_descriptors() {
                    if ep.transfer_type() == rusb::TransferType::Bulk {
                        match ep.direction() {
                            rusb::Direction::Out => out_ep = out_ep.or(Some(ep.address())),
                            rusb::Direction::In => in_ep = in_ep.or(Some(ep.address())),
                        }
                    }
                }
                if let Some(out) = out_ep {
                    let is_printer = alt.class_code() == 7;
                    if chosen.is_none() || is_printer {
                        chosen = Some((alt.interface_number(), out, in_ep));
                    }
                }
            }
        }
        let (interface, out_ep, in_ep) = chosen.ok_or_else(|| {
            ErrorKind::InvalidInput(format!(
                "USB device {vendor_id:04x}:{product_id:04x} has no bulk OUT endpoint"
            ))
        })?;
        let handle = device.open().map_err(usb_error)?;
        let reattach = match handle.kernel_driver_active(interface) {
            Ok(true) => {
                handle.detach_kernel_driver(interface).map_err(usb_error)?;
                true
            }
            _ => false,
        };
        handle.claim_interface(interface).map_err(usb_error)?;
        Ok(Self {
            handle,
            interface,
            out_ep,
            in_ep,
            reattach,
        })
    }
}

impl Drop for RusbPipe {
    fn drop(&mut self) {
        let _ = self.handle.release_interface(self.interface);
        if self.reattach {
            let _ = self.handle.attach_kernel_driver(self.interface);
        }
    }
}

impl BulkPipe for RusbPipe {
    fn bulk_out(&mut self, data: &[u8], timeout: Duration) -> Result<usize, UsbFault> {
        // rusb returns Ok(n) with n < len when a transfer times out part-way.
        self.handle
            .write_bulk(self.out_ep, data, timeout)
            .map_err(usb_fault)
    }

    fn bulk_in(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, UsbFault> {
        match self.in_ep {
            Some(ep) => self.handle.read_bulk(ep, buf, timeout).map_err(usb_fault),
            None => Ok(0),
        }
    }

    fn has_in(&self) -> bool {
        self.in_ep.is_some()
    }
}

/// Opens a USB printer by vendor/product id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsbConnector {
    /// USB vendor id (e.g. 0x04b8 for Epson).
    pub vendor_id: u16,
    /// USB product id.
    pub product_id: u16,
    /// Timeout for each bulk transfer.
    pub timeout: Duration,
    /// Bytes per bulk transfer.
    pub chunk: usize,
}

impl Connector for UsbConnector {
    fn connect(&self) -> LinkResult<Box<dyn Transport>> {
        let pipe = RusbPipe::open(self.vendor_id, self.product_id)?;
        Ok(Box::new(ChunkedBulkWriter::new(
            pipe,
            self.chunk,
            self.timeout,
        )))
    }

    fn describe(&self) -> String {
        format!("usb {:04x}:{:04x}", self.vendor_id, self.product_id)
    }
}

/// What the fake device does with the next bulk OUT transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FakeStep {
    /// Take at most this many bytes.
    Accept(usize),
    /// Time out with nothing transferred.
    Timeout,
    /// Vanish.
    Disconnect,
}

/// Shared state of a [`FakeBulkPipe`], inspected by tests.
#[derive(Debug, Default)]
pub struct FakeUsbState {
    /// Every byte the device accepted, in order.
    pub received: Vec<u8>,
    /// Sizes of the transfers attempted.
    pub transfers: Vec<usize>,
    /// Largest transfer the device takes when no step is planned (`None`: all).
    pub max_per_transfer: Option<usize>,
    /// Planned behaviour for the next transfers.
    pub plan: VecDeque<FakeStep>,
    /// Bytes the device sends back on bulk IN.
    pub replies: VecDeque<u8>,
    /// If set, answer each `DLE EOT n` (n = 1, 2, 4) in accepted data with byte 0, 1 or 2.
    pub status_replies: Option<[u8; 3]>,
    scanned: usize,
}

/// An in-memory USB printer for tests: partial transfers, timeouts, disconnects.
#[derive(Clone, Default)]
pub struct FakeBulkPipe {
    state: Arc<Mutex<FakeUsbState>>,
}

impl FakeBulkPipe {
    /// A fake that accepts everything.
    pub fn new() -> Self {
        Self::default()
    }

    /// Locks the shared state.
    pub fn state(&self) -> MutexGuard<'_, FakeUsbState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl BulkPipe for FakeBulkPipe {
    fn bulk_out(&mut self, data: &[u8], _timeout: Duration) -> Result<usize, UsbFault> {
        let mut s = self.state();
        s.transfers.push(data.len());
        let limit = match s.plan.pop_front() {
            Some(FakeStep::Accept(n)) => n,
            Some(FakeStep::Timeout) => return Err(UsbFault::Timeout),
            Some(FakeStep::Disconnect) => {
                return Err(UsbFault::Disconnected("device unplugged".into()));
            }
            None => s.max_per_transfer.unwrap_or(usize::MAX),
        };
        let n = data.len().min(limit);
        s.received.extend_from_slice(&data[..n]);
        if let Some(r) = s.status_replies {
            // Scan everything received so far, so requests split across transfers count.
            while s.scanned + 3 <= s.received.len() {
                let at = s.scanned;
                if s.received[at] == 0x10 && s.received[at + 1] == 0x04 {
                    match s.received[at + 2] {
                        1 => s.replies.push_back(r[0]),
                        2 => s.replies.push_back(r[1]),
                        4 => s.replies.push_back(r[2]),
                        _ => {}
                    }
                }
                s.scanned += 1;
            }
        }
        Ok(n)
    }

    fn bulk_in(&mut self, buf: &mut [u8], _timeout: Duration) -> Result<usize, UsbFault> {
        let mut s = self.state();
        let n = buf.len().min(s.replies.len());
        if n == 0 {
            return Err(UsbFault::Timeout);
        }
        for slot in buf.iter_mut().take(n) {
            *slot = s.replies.pop_front().unwrap_or(0);
        }
        Ok(n)
    }

    fn has_in(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn chunks_and_checks_counts() {
        let fake = FakeBulkPipe::new();
        let mut w = ChunkedBulkWriter::new(fake.clone(), 64, Duration::from_millis(10));
        w.write_all(&data(200)).unwrap();
        let s = fake.state();
        assert_eq!(s.received, data(200));
        assert_eq!(s.transfers, vec![64, 64, 64, 8]);
    }

    #[test]
    fn resumes_after_partial_transfers() {
        let fake = FakeBulkPipe::new();
        fake.state().max_per_transfer = Some(10);
        fake.state()
            .plan
            .extend([FakeStep::Accept(3), FakeStep::Accept(0)]);
        let mut w = ChunkedBulkWriter::new(fake.clone(), 64, Duration::from_millis(10));
        w.write_all(&data(100)).unwrap();
        let s = fake.state();
        assert_eq!(s.received, data(100), "no byte lost or repeated");
        // 3 bytes, then nothing, then 10 at a time for the remaining 97.
        assert_eq!(s.transfers.len(), 2 + 10);
        assert_eq!(s.transfers.last(), Some(&7));
    }

    #[test]
    fn timeout_reports_how_far_it_got() {
        let fake = FakeBulkPipe::new();
        fake.state().plan.extend([
            FakeStep::Accept(64),
            FakeStep::Accept(20),
            FakeStep::Timeout,
        ]);
        let mut w = ChunkedBulkWriter::new(fake.clone(), 64, Duration::from_millis(10));
        let err = w.write_all(&data(300)).unwrap_err();
        assert_eq!(
            err,
            ErrorKind::Timeout("USB write timed out after 84 of 300 bytes".into())
        );
        assert_eq!(fake.state().received.len(), 84);
    }

    #[test]
    fn endless_zero_byte_transfers_end_in_error() {
        let fake = FakeBulkPipe::new();
        fake.state().max_per_transfer = Some(0);
        let mut w = ChunkedBulkWriter::new(fake.clone(), 64, Duration::from_millis(10));
        assert_eq!(
            w.write_all(&data(10)),
            Err(ErrorKind::IncompleteWrite {
                written: 0,
                expected: 10
            })
        );
        assert_eq!(fake.state().transfers.len(), 3);
    }

    #[test]
    fn disconnect_and_status_read() {
        let fake = FakeBulkPipe::new();
        fake.state().replies.push_back(0x12);
        let mut w = ChunkedBulkWriter::new(fake.clone(), 64, Duration::from_millis(10));
        let mut buf = [0u8; 4];
        assert_eq!(w.read_timeout(&mut buf, Duration::from_millis(5)), Ok(1));
        assert_eq!(buf[0], 0x12);
        assert_eq!(w.read_timeout(&mut buf, Duration::from_millis(5)), Ok(0));
        fake.state().plan.push_back(FakeStep::Disconnect);
        assert!(matches!(
            w.write_all(b"abc"),
            Err(ErrorKind::Disconnected(_))
        ));
    }
}
