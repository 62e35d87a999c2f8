//! Serial transport (RS-232, USB-CDC, pseudo-terminals) through the `serialport` crate.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use serialport::SerialPort;

use super::{Connector, LinkResult, Transport};
use crate::error::{ErrorKind, classify_io, classify_serial};

/// Opens a serial port by path at a baud rate (8 data bits, no parity, 1 stop bit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialConnector {
    /// Device path, e.g. `/dev/ttyACM0` or a stable `/dev/serial/by-id/…` link.
    pub path: PathBuf,
    /// Baud rate.
    pub baud: u32,
}

impl SerialConnector {
    /// A connector for `path` at `baud`.
    pub fn new(path: impl Into<PathBuf>, baud: u32) -> Self {
        Self {
            path: path.into(),
            baud,
        }
    }
}

impl Connector for SerialConnector {
    fn connect(&self) -> LinkResult<Box<dyn Transport>> {
        let path = self.path.to_string_lossy().into_owned();
        if !self.path.exists() {
            return Err(ErrorKind::NotFound(format!("{path} does not exist")));
        }
        let port = serialport::new(&path, self.baud)
            .timeout(Duration::from_millis(50))
            .open()
            .map_err(|e| match classify_serial(&e) {
                ErrorKind::NotFound(m) => ErrorKind::NotFound(format!("{path}: {m}")),
                other => other,
            })?;
        Ok(Box::new(SerialTransport {
            port,
            timeout: Duration::from_millis(50),
        }))
    }

    fn describe(&self) -> String {
        format!("serial {} @ {}", self.path.display(), self.baud)
    }
}

/// An open serial port.
pub struct SerialTransport {
    port: Box<dyn SerialPort>,
    timeout: Duration,
}

impl Transport for SerialTransport {
    fn read_timeout(&mut self, buf: &mut [u8], timeout: Duration) -> LinkResult<usize> {
        if timeout != self.timeout {
            self.port
                .set_timeout(timeout)
                .map_err(|e| classify_serial(&e))?;
            self.timeout = timeout;
        }
        match self.port.read(buf) {
            Ok(0) => Err(ErrorKind::Disconnected("serial port closed".into())),
            Ok(n) => Ok(n),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => Ok(0),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(0),
            Err(e) => Err(match classify_io(&e) {
                ErrorKind::Io(m) => ErrorKind::Disconnected(m),
                other => other,
            }),
        }
    }

    fn write_all(&mut self, data: &[u8]) -> LinkResult<()> {
        if self.timeout < Duration::from_secs(2) {
            self.port
                .set_timeout(Duration::from_secs(2))
                .map_err(|e| classify_serial(&e))?;
            self.timeout = Duration::from_secs(2);
        }
        // No `flush()`: on POSIX it is `tcdrain`, which can block on a slow peer; the bytes
        // are already in the kernel's queue once `write_all` returns.
        self.port.write_all(data).map_err(|e| classify_io(&e))
    }
}
