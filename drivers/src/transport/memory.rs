//! In-memory duplex transport: two connected ends, for fakes, simulators and tests.
//!
//! Either end can be "unplugged" ([`MemoryEnd::hang_up`]); the other then gets
//! [`ErrorKind::Disconnected`] exactly like a serial device that vanished. `SimLink` is
//! the device side the scanner and card-reader simulators write into.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{Connector, LinkResult, Transport};
use crate::error::ErrorKind;

#[derive(Default)]
struct Pipe {
    bytes: VecDeque<u8>,
    closed: bool,
}

#[derive(Default)]
struct Shared {
    pipe: Mutex<Pipe>,
    ready: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pipe> {
        self.pipe.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One end of an in-memory duplex link.
pub struct MemoryEnd {
    incoming: Arc<Shared>,
    outgoing: Arc<Shared>,
}

/// Creates two connected ends: bytes written to one are read from the other.
pub fn memory_pair() -> (MemoryEnd, MemoryEnd) {
    let a = Arc::new(Shared::default());
    let b = Arc::new(Shared::default());
    (
        MemoryEnd {
            incoming: Arc::clone(&a),
            outgoing: Arc::clone(&b),
        },
        MemoryEnd {
            incoming: b,
            outgoing: a,
        },
    )
}

impl MemoryEnd {
    /// Closes both directions; the peer's next read or write fails as disconnected.
    pub fn hang_up(&self) {
        for side in [&self.incoming, &self.outgoing] {
            side.lock().closed = true;
            side.ready.notify_all();
        }
    }

    /// Everything received so far, without waiting.
    pub fn take_received(&self) -> Vec<u8> {
        self.incoming.lock().bytes.drain(..).collect()
    }
}

impl Drop for MemoryEnd {
    fn drop(&mut self) {
        self.hang_up();
    }
}

impl Transport for MemoryEnd {
    fn read_timeout(&mut self, buf: &mut [u8], timeout: Duration) -> LinkResult<usize> {
        let deadline = Instant::now() + timeout;
        let mut pipe = self.incoming.lock();
        loop {
            if !pipe.bytes.is_empty() {
                let n = buf.len().min(pipe.bytes.len());
                for (slot, byte) in buf.iter_mut().zip(pipe.bytes.drain(..n)) {
                    *slot = byte;
                }
                return Ok(n);
            }
            if pipe.closed {
                return Err(ErrorKind::Disconnected("peer hung up".into()));
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(0);
            }
            pipe = self
                .incoming
                .ready
                .wait_timeout(pipe, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    fn write_all(&mut self, data: &[u8]) -> LinkResult<()> {
        let mut pipe = self.outgoing.lock();
        if pipe.closed {
            return Err(ErrorKind::Disconnected("peer hung up".into()));
        }
        pipe.bytes.extend(data);
        self.outgoing.ready.notify_all();
        Ok(())
    }
}

/// A connector handing out in-memory ends that a test or simulator puts in its slot.
///
/// An empty slot connects as "not found", so a test can unplug a device (hang up and leave
/// the slot empty) and plug it back (put a new end in the slot).
#[derive(Clone, Default)]
pub struct MemoryConnector {
    slot: Arc<Mutex<Option<MemoryEnd>>>,
    name: String,
}

impl MemoryConnector {
    /// An empty connector with a name for messages.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            slot: Arc::default(),
            name: name.into(),
        }
    }

    /// Puts a device end in the slot; the next connect takes it.
    pub fn plug(&self, end: MemoryEnd) {
        *self.slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(end);
    }

    /// Creates a pair, plugs one end and returns the other (the "device" side).
    pub fn plug_new(&self) -> MemoryEnd {
        let (driver_side, device_side) = memory_pair();
        self.plug(driver_side);
        device_side
    }
}

impl Connector for MemoryConnector {
    fn connect(&self) -> LinkResult<Box<dyn Transport>> {
        match self.slot.lock().unwrap_or_else(|p| p.into_inner()).take() {
            Some(end) => Ok(Box::new(end)),
            None => Err(ErrorKind::NotFound(format!(
                "{} is not plugged in",
                self.name
            ))),
        }
    }

    fn describe(&self) -> String {
        format!("memory {}", self.name)
    }
}

/// The device side of a simulated serial-like device: what a simulator writes arrives at
/// the driver through [`SimLink::connector`], and unplugging hangs the link up as a vanished
/// serial device would. Clones share the link.
#[derive(Clone)]
pub(crate) struct SimLink {
    connector: MemoryConnector,
    end: Arc<Mutex<MemoryEnd>>,
}

impl SimLink {
    pub(crate) fn new(name: &str) -> Self {
        let connector = MemoryConnector::new(name);
        let end = connector.plug_new();
        Self {
            connector,
            end: Arc::new(Mutex::new(end)),
        }
    }

    /// The connector the driver opens.
    pub(crate) fn connector(&self) -> Box<dyn Connector> {
        Box::new(self.connector.clone())
    }

    fn lock(&self) -> MutexGuard<'_, MemoryEnd> {
        self.end.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends bytes to the driver; false while unplugged.
    pub(crate) fn send(&self, bytes: &[u8]) -> bool {
        self.lock().write_all(bytes).is_ok()
    }

    pub(crate) fn unplug(&self) {
        self.lock().hang_up();
    }

    pub(crate) fn replug(&self) {
        let fresh = self.connector.plug_new();
        *self.lock() = fresh;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_cross_and_hang_up_is_seen() {
        let (mut a, mut b) = memory_pair();
        a.write_all(b"hello").unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(b.read_timeout(&mut buf, Duration::from_millis(10)), Ok(5));
        assert_eq!(&buf[..5], b"hello");
        assert_eq!(b.read_timeout(&mut buf, Duration::from_millis(5)), Ok(0));
        a.hang_up();
        assert!(matches!(
            b.read_timeout(&mut buf, Duration::from_millis(5)),
            Err(ErrorKind::Disconnected(_))
        ));
        assert!(b.write_all(b"x").is_err());
    }

    #[test]
    fn connector_slot_models_plugging() {
        let c = MemoryConnector::new("scanner");
        assert!(matches!(c.connect(), Err(ErrorKind::NotFound(_))));
        let _device = c.plug_new();
        assert!(c.connect().is_ok());
        assert!(c.connect().is_err(), "an end is handed out once");
    }
}
