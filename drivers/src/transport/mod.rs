//! Byte transports between the terminal and its devices, behind two small traits.
//!
//! A [`Transport`] moves bytes (read with a timeout, write all); a [`Connector`] makes a new
//! transport, so a driver can reopen a device that disappeared and came back. Drivers only
//! see these traits, so every driver runs over a real serial port, a pseudo-terminal in
//! tests, a TCP socket, a device file, a USB bulk pipe, a keyboard-wedge input device or an
//! in-memory fake.

pub mod file;
pub mod memory;
pub mod poll;
pub mod serial;
pub mod tcp;
pub mod usb;
pub mod wedge;

use std::time::Duration;

use crate::error::ErrorKind;

/// Result of a transport operation; the device adds where it happened.
pub type LinkResult<T> = Result<T, ErrorKind>;

/// A connected byte stream to one device.
pub trait Transport: Send {
    /// Reads the bytes available, waiting at most `timeout` for the first one.
    /// `Ok(0)` means nothing arrived in time; a lost connection is an error.
    fn read_timeout(&mut self, buf: &mut [u8], timeout: Duration) -> LinkResult<usize>;

    /// Writes every byte or fails; a partial write is an error, never silently dropped.
    fn write_all(&mut self, data: &[u8]) -> LinkResult<()>;

    /// False for write-only links (e.g. a printer device file), where no status can be read.
    fn can_read(&self) -> bool {
        true
    }

    /// Discards bytes already received but not yet read.
    fn discard_input(&mut self) {
        let mut buf = [0u8; 256];
        while let Ok(n) = self.read_timeout(&mut buf, Duration::ZERO) {
            if n == 0 {
                break;
            }
        }
    }
}

/// Opens a transport to one configured device; called again to reconnect.
pub trait Connector: Send {
    /// Opens the device.
    fn connect(&self) -> LinkResult<Box<dyn Transport>>;
    /// Describes the device for messages, e.g. `serial /dev/ttyACM0 @ 9600`.
    fn describe(&self) -> String;
}

impl<C: Connector + ?Sized> Connector for Box<C> {
    fn connect(&self) -> LinkResult<Box<dyn Transport>> {
        (**self).connect()
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
}

pub use file::FileConnector;
pub(crate) use memory::SimLink;
pub use memory::{MemoryConnector, MemoryEnd, memory_pair};
pub use serial::SerialConnector;
pub use tcp::TcpConnector;
pub use usb::{BulkPipe, ChunkedBulkWriter, UsbConnector};
pub use wedge::{EvdevWedgeConnector, KeyDecoder};
