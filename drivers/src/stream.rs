//! A generic input device that reads a byte stream and cuts it into frames.
//!
//! Serial scanners, keyboard-wedge scanners and card readers, HID POS scanners and serial
//! magnetic-stripe readers all work the same way: bytes arrive, a [`FrameDecoder`] turns
//! them into data or into an error for a garbled frame, and an idle line with half a frame
//! means the frame was cut short. [`StreamDevice`] keeps the reconnecting [`Port`] and the
//! event queue once for all of them, and hooks the port into the [`Device`] lifecycle
//! (claim connects, enable drops stale input, release disconnects). Its decoder is chosen
//! from the configuration; a `Box<dyn FrameDecoder>` is itself a [`FrameDecoder`].

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::device::{
    Device, DeviceCategory, DeviceEvent, DeviceStatus, Health, InputDevice, Lifecycle,
    LifecycleState,
};
use crate::error::{DeviceError, DeviceResult, ErrorKind, Stage};
use crate::port::{Port, PortRead};
use crate::transport::Connector;

/// Cuts a byte stream into frames and decodes them.
pub trait FrameDecoder: Send {
    /// What a good frame decodes to.
    type Output: Send + 'static;

    /// Feeds bytes; appends one result per completed frame to `out`. A bad frame yields an
    /// error ([`ErrorKind::BadFrame`]) and none of its content.
    fn feed(&mut self, bytes: &[u8], out: &mut Vec<Result<Self::Output, ErrorKind>>);

    /// Called when the line has been quiet for the inter-frame gap. If half a frame is
    /// buffered, it is dropped and reported.
    fn idle(&mut self) -> Option<ErrorKind>;

    /// Drops any buffered partial frame without reporting it.
    fn reset(&mut self);

    /// Whether part of a frame is buffered.
    fn has_partial(&self) -> bool;
}

/// A boxed decoder is a decoder: a configured scanner or card reader picks its decoder at
/// run time, and this is the one place that dispatches to it.
impl<D: FrameDecoder + ?Sized> FrameDecoder for Box<D> {
    type Output = D::Output;

    fn feed(&mut self, bytes: &[u8], out: &mut Vec<Result<D::Output, ErrorKind>>) {
        (**self).feed(bytes, out)
    }
    fn idle(&mut self) -> Option<ErrorKind> {
        (**self).idle()
    }
    fn reset(&mut self) {
        (**self).reset()
    }
    fn has_partial(&self) -> bool {
        (**self).has_partial()
    }
}

/// An input device made of a connector and a frame decoder.
pub struct StreamDevice<F: FrameDecoder> {
    lifecycle: Lifecycle,
    port: Port,
    decoder: F,
    queue: VecDeque<DeviceEvent<F::Output>>,
    frame_gap: Duration,
    last_byte: Option<Instant>,
    scratch: Vec<Result<F::Output, ErrorKind>>,
}

impl<F: FrameDecoder> StreamDevice<F> {
    /// A closed device of `category` reading through `connector` with `decoder`.
    pub fn new(category: DeviceCategory, connector: Box<dyn Connector>, decoder: F) -> Self {
        let port = Port::new(category.to_string(), connector);
        Self {
            lifecycle: Lifecycle::new(category, port.describe()),
            port,
            decoder,
            queue: VecDeque::new(),
            frame_gap: Duration::from_millis(300),
            last_byte: None,
            scratch: Vec::new(),
        }
    }

    /// Sets the silence after which a half-received frame is reported as cut short.
    pub fn with_frame_gap(mut self, gap: Duration) -> Self {
        self.frame_gap = gap;
        self
    }

    /// Sets how often an unplugged device is retried.
    pub fn with_retry_interval(mut self, every: Duration) -> Self {
        self.port.set_retry_interval(every);
        self
    }

    fn parse_error(&self, kind: ErrorKind) -> DeviceError {
        DeviceError::new(self.port.describe(), Stage::Parse, kind)
    }

    fn pump(&mut self, timeout: Duration) {
        let mut buf = [0u8; 512];
        let read = self.port.read(&mut buf, timeout);
        while let Some(status) = self.port.take_status() {
            if matches!(status, DeviceStatus::Offline(_)) {
                self.decoder.reset();
                self.last_byte = None;
            }
            self.queue.push_back(DeviceEvent::Status(status));
        }
        match read {
            PortRead::Data(n) => {
                self.last_byte = Some(Instant::now());
                if self.lifecycle.state() != LifecycleState::Enabled {
                    // Disabled: input is read and dropped so nothing stale is delivered later.
                    self.decoder.reset();
                    return;
                }
                let mut results = std::mem::take(&mut self.scratch);
                self.decoder.feed(&buf[..n], &mut results);
                for r in results.drain(..) {
                    let event = match r {
                        Ok(data) => DeviceEvent::Data(data),
                        Err(kind) => DeviceEvent::Error(self.parse_error(kind)),
                    };
                    self.queue.push_back(event);
                }
                self.scratch = results;
            }
            PortRead::Idle => {
                let quiet = self.last_byte.is_none_or(|t| t.elapsed() >= self.frame_gap);
                if quiet
                    && self.decoder.has_partial()
                    && let Some(kind) = self.decoder.idle()
                {
                    let e = self.parse_error(kind);
                    self.queue.push_back(DeviceEvent::Error(e));
                }
            }
        }
    }
}

impl<F: FrameDecoder> Device for StreamDevice<F> {
    fn lifecycle(&self) -> &Lifecycle {
        &self.lifecycle
    }

    fn lifecycle_mut(&mut self) -> &mut Lifecycle {
        &mut self.lifecycle
    }

    fn on_claim(&mut self) -> DeviceResult<()> {
        self.port.connect()?;
        self.decoder.reset();
        Ok(())
    }

    fn on_enable(&mut self) -> DeviceResult<()> {
        // Nothing read before enabling is delivered.
        self.port.discard_input();
        self.decoder.reset();
        Ok(())
    }

    fn on_disable(&mut self) {
        self.decoder.reset();
        self.queue
            .retain(|e| !matches!(e, DeviceEvent::Data(_) | DeviceEvent::Error(_)));
    }

    fn on_release(&mut self) {
        self.port.disconnect();
        self.queue.clear();
    }

    fn on_check_health(&mut self) -> Health {
        if self.port.ensure_connected() {
            while let Some(s) = self.port.take_status() {
                self.queue.push_back(DeviceEvent::Status(s));
            }
            Health::ok(format!("{} is connected", self.name()))
        } else {
            Health::failed(format!(
                "{} is not connected; retrying automatically",
                self.name()
            ))
        }
    }
}

impl<F: FrameDecoder> InputDevice for StreamDevice<F> {
    type Data = F::Output;

    fn poll_event(&mut self, timeout: Duration) -> Option<DeviceEvent<F::Output>> {
        if let Some(e) = self.queue.pop_front() {
            return Some(e);
        }
        if self.lifecycle.state() < LifecycleState::Claimed {
            std::thread::sleep(timeout);
            return None;
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            // Wake up in time to report a frame cut short by silence.
            let wait = if self.decoder.has_partial() {
                left.min(self.frame_gap)
            } else {
                left
            };
            self.pump(wait);
            if let Some(e) = self.queue.pop_front() {
                return Some(e);
            }
            if Instant::now() >= deadline {
                return None;
            }
        }
    }
}
