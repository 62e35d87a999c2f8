//! Helpers for integration tests: real pseudo-terminal pairs standing in for serial devices.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serialport::{SerialPort, TTYPort};

/// A pseudo-terminal: the test holds the master side, the driver opens `path` (the slave).
pub struct Pty {
    pub master: TTYPort,
    pub path: PathBuf,
}

impl Pty {
    pub fn new() -> Self {
        let (master, slave) = TTYPort::pair().expect("create pseudo-terminal pair");
        let path = PathBuf::from(slave.name().expect("slave has a path"));
        // The driver opens the slave by path, like a real /dev/ttyUSB0.
        drop(slave);
        Self { master, path }
    }

    /// Writes bytes as the device would send them.
    pub fn send(&mut self, bytes: &[u8]) {
        self.master.write_all(bytes).expect("write to pty master");
        self.master.flush().ok();
    }

    /// Reads what the driver wrote until `want` bytes arrived or `timeout` passed.
    pub fn recv(&mut self, want: usize, timeout: Duration) -> Vec<u8> {
        let deadline = Instant::now() + timeout;
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        while out.len() < want && Instant::now() < deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            self.master
                .set_timeout(left.max(Duration::from_millis(1)))
                .ok();
            if let Ok(n) = self.master.read(&mut buf) {
                out.extend_from_slice(&buf[..n]);
            }
        }
        out
    }
}

/// Runs a virtual device behind the master side of a pty: bytes the driver writes go to
/// `device`, and whatever `device` answers goes back to the driver.
pub struct Bridge {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Bridge {
    pub fn start(
        mut master: TTYPort,
        mut device: Box<dyn storepos_drivers::transport::Transport>,
    ) -> Self {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            master.set_timeout(Duration::from_millis(5)).ok();
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(n) = master.read(&mut buf)
                    && n > 0
                {
                    device.write_all(&buf[..n]).ok();
                }
                if let Ok(n) = device.read_timeout(&mut buf, Duration::ZERO)
                    && n > 0
                {
                    master.write_all(&buf[..n]).ok();
                }
            }
        });
        Self {
            stop,
            handle: Some(handle),
        }
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            h.join().ok();
        }
    }
}
