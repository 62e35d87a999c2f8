//! Errors raised by devices and transports, each saying where it happened.
//!
//! Every failure a driver reports carries an [`ErrorLocus`] (the device and the stage:
//! opening, reading, parsing a frame, printing …) so the terminal can show the cashier a
//! clear message and log something an engineer can act on.

use std::fmt;
use std::io;

/// The stage of a device's work at which an error happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// Opening or claiming the transport (port, socket, USB interface, input device).
    Open,
    /// Reading bytes or events from the device.
    Read,
    /// Writing bytes to the device.
    Write,
    /// Decoding a frame (barcode, swipe, NFC frame, status byte).
    Parse,
    /// Building output for the device (receipt document, display text).
    Encode,
    /// Querying device status.
    Status,
    /// A lifecycle call made in the wrong state (e.g. enable before claim).
    Lifecycle,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Open => "open",
            Stage::Read => "read",
            Stage::Write => "write",
            Stage::Parse => "parse",
            Stage::Encode => "encode",
            Stage::Status => "status",
            Stage::Lifecycle => "lifecycle",
        })
    }
}

/// Where an error happened: which device and at which stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorLocus {
    /// Human-readable device name (e.g. `scanner (serial /dev/ttyUSB0)`).
    pub device: String,
    /// The stage of work.
    pub stage: Stage,
}

impl fmt::Display for ErrorLocus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [{}]", self.device, self.stage)
    }
}

/// What went wrong, independent of where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// The device node, port or host does not exist or is not connected.
    #[error("device not found: {0}")]
    NotFound(String),
    /// The operating system refused access (see `storepos doctor` for a udev rule).
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// Another process holds the device.
    #[error("device busy: {0}")]
    Busy(String),
    /// The device stopped answering within the allowed time.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The connection to the device was lost.
    #[error("disconnected: {0}")]
    Disconnected(String),
    /// Other I/O failure.
    #[error("I/O error: {0}")]
    Io(String),
    /// A frame from the device was garbled, incomplete or failed its checksum; it was dropped.
    #[error("bad frame: {0}")]
    BadFrame(String),
    /// Input given to the driver (document, text, configuration) cannot be used.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The lifecycle call is not allowed in the device's current state.
    #[error("wrong state: {0}")]
    WrongState(String),
    /// The printer has no paper; nothing more was sent.
    #[error("paper out")]
    PaperOut,
    /// The printer cover is open; nothing more was sent.
    #[error("cover open")]
    CoverOpen,
    /// The device reports itself offline or in error.
    #[error("device offline: {0}")]
    Offline(String),
    /// A bulk write transferred fewer bytes than asked.
    #[error("incomplete write: {written} of {expected} bytes sent")]
    IncompleteWrite {
        /// Bytes the device accepted.
        written: usize,
        /// Bytes that should have been sent.
        expected: usize,
    },
}

/// An error from a device, with where it happened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{locus}: {kind}")]
pub struct DeviceError {
    /// Where it happened.
    pub locus: ErrorLocus,
    /// What happened.
    pub kind: ErrorKind,
}

impl DeviceError {
    /// Builds an error for `device` at `stage`.
    pub fn new(device: impl Into<String>, stage: Stage, kind: ErrorKind) -> Self {
        Self {
            locus: ErrorLocus {
                device: device.into(),
                stage,
            },
            kind,
        }
    }

    /// Builds an error from an I/O error, classifying it (not found, permission, timeout …).
    pub fn io(device: impl Into<String>, stage: Stage, err: &io::Error) -> Self {
        Self::new(device, stage, classify_io(err))
    }

    /// True if the error means the connection is gone and a reconnect is worth trying.
    pub fn is_disconnect(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Disconnected(_) | ErrorKind::NotFound(_) | ErrorKind::Io(_)
        )
    }
}

/// Maps an [`io::Error`] to an [`ErrorKind`].
pub fn classify_io(err: &io::Error) -> ErrorKind {
    let text = err.to_string();
    match err.kind() {
        io::ErrorKind::NotFound => ErrorKind::NotFound(text),
        io::ErrorKind::PermissionDenied => ErrorKind::PermissionDenied(text),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => ErrorKind::Timeout(text),
        io::ErrorKind::BrokenPipe
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::NotConnected
        | io::ErrorKind::UnexpectedEof => ErrorKind::Disconnected(text),
        io::ErrorKind::ResourceBusy => ErrorKind::Busy(text),
        _ => match err.raw_os_error() {
            Some(libc::ENODEV) | Some(libc::ENXIO) | Some(libc::EIO) => {
                ErrorKind::Disconnected(text)
            }
            Some(libc::EBUSY) => ErrorKind::Busy(text),
            Some(libc::EACCES) | Some(libc::EPERM) => ErrorKind::PermissionDenied(text),
            _ => ErrorKind::Io(text),
        },
    }
}

/// Maps a [`serialport::Error`] to an [`ErrorKind`].
pub fn classify_serial(err: &serialport::Error) -> ErrorKind {
    match err.kind() {
        serialport::ErrorKind::NoDevice => ErrorKind::NotFound(err.to_string()),
        serialport::ErrorKind::InvalidInput => ErrorKind::InvalidInput(err.to_string()),
        serialport::ErrorKind::Io(kind) => classify_io(&io::Error::new(kind, err.to_string())),
        serialport::ErrorKind::Unknown => ErrorKind::Io(err.to_string()),
    }
}

/// Result alias for device operations.
pub type DeviceResult<T> = Result<T, DeviceError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_are_classified() {
        let e = io::Error::from(io::ErrorKind::PermissionDenied);
        assert!(matches!(classify_io(&e), ErrorKind::PermissionDenied(_)));
        let e = io::Error::from_raw_os_error(libc::EIO);
        assert!(matches!(classify_io(&e), ErrorKind::Disconnected(_)));
        let e = io::Error::from(io::ErrorKind::NotFound);
        let err = DeviceError::io("scanner", Stage::Open, &e);
        assert!(err.is_disconnect());
        assert!(
            err.to_string()
                .starts_with("scanner [open]: device not found")
        );
    }
}
