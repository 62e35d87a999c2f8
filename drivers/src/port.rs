//! A device connection that survives unplugging: it notices a lost transport, reports the
//! device offline, keeps trying to reopen it and reports when it is back.
//!
//! Drivers read and write through a [`Port`]; status changes ([`DeviceStatus::Offline`],
//! [`DeviceStatus::Reconnected`]) are queued for the driver to turn into events, so the
//! cashier sees a clear message and the terminal never needs restarting.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::device::DeviceStatus;
use crate::error::{DeviceError, DeviceResult, ErrorKind, Stage};
use crate::transport::{Connector, Transport};

/// What a read through a [`Port`] produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortRead {
    /// This many bytes were read into the buffer.
    Data(usize),
    /// Nothing arrived in time (or the device is offline; see the queued status).
    Idle,
}

/// A connection to one device with automatic reconnection.
pub struct Port {
    name: String,
    connector: Box<dyn Connector>,
    link: Option<Box<dyn Transport>>,
    retry_every: Duration,
    next_attempt: Option<Instant>,
    statuses: VecDeque<DeviceStatus>,
}

impl Port {
    /// A disconnected port; `name` is used in errors (e.g. `scanner`).
    pub fn new(name: impl Into<String>, connector: Box<dyn Connector>) -> Self {
        Self {
            name: name.into(),
            connector,
            link: None,
            retry_every: Duration::from_millis(500),
            next_attempt: None,
            statuses: VecDeque::new(),
        }
    }

    /// Sets how often an offline device is retried.
    pub fn with_retry_interval(mut self, every: Duration) -> Self {
        self.retry_every = every;
        self
    }

    /// Sets how often an offline device is retried.
    pub fn set_retry_interval(&mut self, every: Duration) {
        self.retry_every = every;
    }

    /// The device name with its transport, for messages.
    pub fn describe(&self) -> String {
        format!("{} ({})", self.name, self.connector.describe())
    }

    fn error(&self, stage: Stage, kind: ErrorKind) -> DeviceError {
        DeviceError::new(self.describe(), stage, kind)
    }

    /// Opens the transport now; the error is returned (used when claiming a device).
    pub fn connect(&mut self) -> DeviceResult<()> {
        let link = self
            .connector
            .connect()
            .map_err(|k| self.error(Stage::Open, k))?;
        self.link = Some(link);
        self.next_attempt = None;
        Ok(())
    }

    /// Closes the transport.
    pub fn disconnect(&mut self) {
        self.link = None;
        self.next_attempt = None;
    }

    /// Whether a transport is open.
    pub fn is_connected(&self) -> bool {
        self.link.is_some()
    }

    /// Whether the open transport can read (status replies); false when offline.
    pub fn can_read(&self) -> bool {
        self.link.as_ref().is_some_and(|l| l.can_read())
    }

    /// The next queued status change, if any.
    pub fn take_status(&mut self) -> Option<DeviceStatus> {
        self.statuses.pop_front()
    }

    fn lose(&mut self, why: &ErrorKind) {
        if self.link.take().is_some() {
            tracing::warn!(device = %self.describe(), error = %why, "device lost");
            self.statuses
                .push_back(DeviceStatus::Offline(why.to_string()));
        }
        self.next_attempt = Some(Instant::now() + self.retry_every);
    }

    /// Tries to reopen an offline device if its retry time has come.
    /// Returns true if the port is connected afterwards.
    pub fn ensure_connected(&mut self) -> bool {
        if self.link.is_some() {
            return true;
        }
        let now = Instant::now();
        if self.next_attempt.is_some_and(|t| now < t) {
            return false;
        }
        match self.connector.connect() {
            Ok(link) => {
                tracing::info!(device = %self.describe(), "device reconnected");
                self.link = Some(link);
                self.next_attempt = None;
                self.statuses.push_back(DeviceStatus::Reconnected);
                true
            }
            Err(_) => {
                self.next_attempt = Some(now + self.retry_every);
                false
            }
        }
    }

    /// Tries to reopen an offline device right away, ignoring the retry interval (for an
    /// explicit action such as printing). Returns true if connected afterwards.
    pub fn reconnect_now(&mut self) -> bool {
        if self.link.is_none() {
            self.next_attempt = None;
        }
        self.ensure_connected()
    }

    /// Reads bytes, waiting up to `timeout`. A lost device is reported through the status
    /// queue and retried on later reads; while offline this waits out the timeout.
    pub fn read(&mut self, buf: &mut [u8], timeout: Duration) -> PortRead {
        if !self.ensure_connected() {
            std::thread::sleep(timeout.min(self.retry_every));
            return PortRead::Idle;
        }
        let Some(link) = self.link.as_mut() else {
            return PortRead::Idle;
        };
        match link.read_timeout(buf, timeout) {
            Ok(0) => PortRead::Idle,
            Ok(n) => PortRead::Data(n),
            Err(ErrorKind::Timeout(_)) => PortRead::Idle,
            Err(kind) => {
                self.lose(&kind);
                PortRead::Idle
            }
        }
    }

    /// Reads with an error instead of status handling (used for request/response devices).
    pub fn read_strict(&mut self, buf: &mut [u8], timeout: Duration) -> DeviceResult<usize> {
        let Some(link) = self.link.as_mut() else {
            return Err(self.error(Stage::Read, ErrorKind::Offline("not connected".into())));
        };
        match link.read_timeout(buf, timeout) {
            Ok(n) => Ok(n),
            Err(ErrorKind::Timeout(_)) => Ok(0),
            Err(kind) => {
                let err = self.error(Stage::Read, kind.clone());
                if err.is_disconnect() {
                    self.lose(&kind);
                }
                Err(err)
            }
        }
    }

    /// Writes every byte. On a lost connection the device is marked offline (and retried
    /// once right away, in case it was replugged since the last use).
    pub fn write_all(&mut self, data: &[u8]) -> DeviceResult<()> {
        if self.link.is_none() {
            self.next_attempt = None;
            if !self.ensure_connected() {
                return Err(self.error(
                    Stage::Write,
                    ErrorKind::Offline("device is not connected".into()),
                ));
            }
        }
        let Some(link) = self.link.as_mut() else {
            return Err(self.error(Stage::Write, ErrorKind::Offline("not connected".into())));
        };
        match link.write_all(data) {
            Ok(()) => Ok(()),
            Err(kind) => {
                let err = self.error(Stage::Write, kind.clone());
                if err.is_disconnect() {
                    self.lose(&kind);
                }
                Err(err)
            }
        }
    }

    /// Drops bytes already received (stale replies).
    pub fn discard_input(&mut self) {
        if let Some(link) = self.link.as_mut() {
            link.discard_input();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::MemoryConnector;

    #[test]
    fn lost_device_is_reported_and_reconnected() {
        let plug = MemoryConnector::new("scanner");
        let mut device = plug.plug_new();
        let mut port = Port::new("scanner", Box::new(plug.clone()))
            .with_retry_interval(Duration::from_millis(1));
        port.connect().unwrap();
        let mut buf = [0u8; 8];
        crate::transport::Transport::write_all(&mut device, b"ab").unwrap();
        assert_eq!(
            port.read(&mut buf, Duration::from_millis(10)),
            PortRead::Data(2)
        );

        device.hang_up();
        assert_eq!(
            port.read(&mut buf, Duration::from_millis(10)),
            PortRead::Idle
        );
        assert!(matches!(port.take_status(), Some(DeviceStatus::Offline(_))));
        assert!(!port.is_connected());
        assert!(port.write_all(b"x").is_err());

        let mut device = plug.plug_new();
        std::thread::sleep(Duration::from_millis(2));
        crate::transport::Transport::write_all(&mut device, b"c").unwrap();
        assert_eq!(
            port.read(&mut buf, Duration::from_millis(10)),
            PortRead::Data(1)
        );
        assert_eq!(port.take_status(), Some(DeviceStatus::Reconnected));
        assert_eq!(port.take_status(), None);
    }
}
