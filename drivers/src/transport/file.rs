//! Device-file transport, e.g. `/dev/usb/lp0` (kernel `usblp` driver) or `/dev/hidraw0`.
//!
//! The file is opened non-blocking; reads wait with `poll` so a timeout is honoured.
//! When the file cannot be read (write-only printer ports, regular files used as a spool),
//! the transport says so through [`Transport::can_read`] and status queries are skipped.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind as IoKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::poll::wait_readable;
use super::{Connector, LinkResult, Transport};
use crate::error::{ErrorKind, classify_io};

/// Opens a device file for reading and writing, or writing only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileConnector {
    /// Path of the device file.
    pub path: PathBuf,
    /// Whether to open for reading too (status replies, HID reports).
    pub read: bool,
    /// Whether to open for writing (printers).
    pub write: bool,
}

impl FileConnector {
    /// A read-write connector (printer device file with status back-channel).
    pub fn read_write(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            read: true,
            write: true,
        }
    }

    /// A read-only connector (hidraw scanner).
    pub fn read_only(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            read: true,
            write: false,
        }
    }
}

impl Connector for FileConnector {
    fn connect(&self) -> LinkResult<Box<dyn Transport>> {
        let open = |read: bool| {
            OpenOptions::new()
                .read(read)
                .write(self.write)
                .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
                .open(&self.path)
        };
        let (file, readable) = match open(self.read) {
            Ok(f) => (f, self.read),
            // Some printer nodes refuse read access; fall back to write-only.
            Err(e) if self.read && self.write && e.kind() == IoKind::PermissionDenied => {
                (open(false).map_err(|e| classify_io(&e))?, false)
            }
            Err(e) => {
                return Err(match classify_io(&e) {
                    ErrorKind::NotFound(_) => {
                        ErrorKind::NotFound(format!("{} does not exist", self.path.display()))
                    }
                    other => other,
                });
            }
        };
        Ok(Box::new(FileTransport {
            file,
            readable,
            is_regular: std::fs::metadata(&self.path)
                .map(|m| m.is_file())
                .unwrap_or(false),
        }))
    }

    fn describe(&self) -> String {
        format!("file {}", self.path.display())
    }
}

/// An open device file.
pub struct FileTransport {
    file: File,
    readable: bool,
    is_regular: bool,
}

impl Transport for FileTransport {
    fn read_timeout(&mut self, buf: &mut [u8], timeout: Duration) -> LinkResult<usize> {
        if !self.readable || self.is_regular {
            std::thread::sleep(timeout.min(Duration::from_millis(50)));
            return Ok(0);
        }
        if !wait_readable(self.file.as_raw_fd(), timeout).map_err(|e| classify_io(&e))? {
            return Ok(0);
        }
        match self.file.read(buf) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == IoKind::WouldBlock => Ok(0),
            Err(e) => Err(match classify_io(&e) {
                ErrorKind::Io(m) => ErrorKind::Disconnected(m),
                other => other,
            }),
        }
    }

    fn write_all(&mut self, mut data: &[u8]) -> LinkResult<()> {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !data.is_empty() {
            match self.file.write(data) {
                Ok(0) => return Err(ErrorKind::Disconnected("device accepted no bytes".into())),
                Ok(n) => data = &data[n..],
                Err(e) if e.kind() == IoKind::WouldBlock => {
                    if Instant::now() >= deadline {
                        return Err(ErrorKind::Timeout(format!(
                            "device stopped accepting data with {} bytes left",
                            data.len()
                        )));
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) if e.kind() == IoKind::Interrupted => {}
                Err(e) => return Err(classify_io(&e)),
            }
        }
        Ok(())
    }

    fn can_read(&self) -> bool {
        self.readable && !self.is_regular
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_to_a_spool_file_and_reports_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lp0");
        std::fs::write(&path, b"").unwrap();
        let mut t = FileConnector::read_write(&path).connect().unwrap();
        t.write_all(b"\x1b@hello").unwrap();
        assert!(!t.can_read(), "a regular file has no status channel");
        assert_eq!(std::fs::read(&path).unwrap(), b"\x1b@hello");
        let missing = FileConnector::read_write(dir.path().join("nope")).connect();
        assert!(matches!(missing, Err(ErrorKind::NotFound(_))));
    }
}
