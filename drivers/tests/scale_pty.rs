//! The Toledo 8217 scale driver over a real pseudo-terminal: a scale answering each `W`
//! request with the frames a real one sends (stable, moving, zero, negative, overload,
//! garbled), and a scale that is not there.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::Pty;
use serialport::SerialPort;
use storepos_drivers::doctor::{self, Attachment};
use storepos_drivers::scale::{self, ScaleConfig};
use storepos_drivers::{
    Device, DeviceCategory, DeviceConfigs, HealthLevel, Reading, Scale, ScaleError,
};

/// Answers every `W` the driver writes with the next frame of `script` (the last one
/// again once the script is used up); counts the requests.
struct FakeScale {
    requests: Arc<Mutex<Vec<u8>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeScale {
    fn start(mut master: serialport::TTYPort, script: Vec<&'static [u8]>) -> Self {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (seen, flag) = (requests.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            master.set_timeout(Duration::from_millis(10)).unwrap();
            let mut buf = [0u8; 64];
            let mut next = 0;
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                let Ok(n) = master.read(&mut buf) else {
                    continue;
                };
                for &b in &buf[..n] {
                    seen.lock().unwrap().push(b);
                    if b == b'W' {
                        let frame = script[next.min(script.len() - 1)];
                        next += 1;
                        master.write_all(frame).unwrap();
                    }
                }
            }
        });
        Self {
            requests,
            stop,
            thread: Some(thread),
        }
    }

    fn requests(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

impl Drop for FakeScale {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.join().ok();
        }
    }
}

fn serial_scale(path: &std::path::Path) -> storepos_drivers::ToledoScale {
    let config = ScaleConfig::Serial {
        path: path.to_path_buf(),
        baud: 9600,
        stable_within_ms: 1000,
    };
    let (scale, sim) = scale::build(&config).unwrap();
    assert!(sim.is_none());
    scale
}

#[test]
fn toledo_scale_over_pty_waits_for_a_stable_weight() {
    let pty = Pty::new();
    let path = pty.path.clone();
    // Two readings in motion, then 1.234 kg stable.
    let fake = FakeScale::start(pty.master, vec![b"\x02?a\r", b"\x02?a\r", b"\x0201.234\r"]);
    let mut scale = serial_scale(&path);
    scale.start().unwrap();
    assert_eq!(scale.stable_weight(Duration::from_secs(2)), Ok(1234));
    assert_eq!(fake.requests(), 3, "asked again while the weight moved");
    assert_eq!(scale.read().unwrap(), Reading::Stable(1234));
    scale.stop();
}

#[test]
fn toledo_scale_over_pty_refuses_zero_negative_overload_and_motion() {
    for (frame, want) in [
        (&b"\x0200.000\r"[..], ScaleError::Zero),
        (b"\x02?p\r", ScaleError::Zero),
        (b"\x02?d\r", ScaleError::Negative),
        (b"\x02?b\r", ScaleError::Overload),
        (
            b"\x02?a\r",
            ScaleError::Unstable(Duration::from_millis(400)),
        ),
    ] {
        let pty = Pty::new();
        let path = pty.path.clone();
        let _fake = FakeScale::start(pty.master, vec![frame]);
        let mut scale = serial_scale(&path);
        scale.start().unwrap();
        let started = Instant::now();
        let got = scale.stable_weight(Duration::from_millis(400));
        assert_eq!(
            got,
            Err(want.clone()),
            "{:?}",
            String::from_utf8_lossy(frame)
        );
        if matches!(want, ScaleError::Unstable(_)) {
            assert!(started.elapsed() >= Duration::from_millis(400));
        } else {
            assert!(
                started.elapsed() < Duration::from_millis(400),
                "refused at once"
            );
        }
        let message = got.unwrap_err().to_string();
        assert!(
            message.contains("scale") || message.contains("settle"),
            "{message}"
        );
        scale.stop();
    }
}

#[test]
fn toledo_scale_garbled_or_silent_is_a_device_error() {
    let pty = Pty::new();
    let path = pty.path.clone();
    let _fake = FakeScale::start(pty.master, vec![b"\x021,234 kg\r"]);
    let mut scale = serial_scale(&path);
    scale.start().unwrap();
    match scale.stable_weight(Duration::from_secs(1)) {
        Err(ScaleError::Device(e)) => assert!(e.to_string().contains("Toledo"), "{e}"),
        other => panic!("expected a device error, got {other:?}"),
    }
    scale.stop();

    // A pty nobody answers on: the request times out.
    let silent = Pty::new();
    let mut scale = serial_scale(&silent.path);
    scale.start().unwrap();
    let err = scale.read().unwrap_err();
    assert!(err.to_string().contains("no answer"), "{err}");
    assert_eq!(scale.check_health().level, HealthLevel::Failed);
}

#[test]
fn doctor_checks_a_configured_scale() {
    let pty = Pty::new();
    let path = pty.path.clone();
    let _fake = FakeScale::start(pty.master, vec![b"\x0200.000\r"]);
    let configs = DeviceConfigs {
        scale: ScaleConfig::Serial {
            path: path.clone(),
            baud: 9600,
            stable_within_ms: 1000,
        },
        ..Default::default()
    };
    let report = doctor::report(&configs);
    let scale = report
        .configured
        .iter()
        .find(|c| c.category == DeviceCategory::Scale)
        .expect("the scale is checked");
    assert_eq!(scale.attachment, Attachment::Serial(path));
    assert_eq!(scale.health.level, HealthLevel::Ok, "{:?}", scale.health);
    assert!(report.to_string().contains("scale"));

    let missing = DeviceConfigs {
        scale: ScaleConfig::Serial {
            path: "/dev/ttyUSB-storepos-no-scale".into(),
            baud: 9600,
            stable_within_ms: 1000,
        },
        ..Default::default()
    };
    let report = doctor::report(&missing);
    let scale = report.configured.last().unwrap();
    assert_eq!(scale.category, DeviceCategory::Scale);
    assert_eq!(scale.health.level, HealthLevel::Failed);
    assert!(scale.hint.as_deref().unwrap().contains("not plugged in"));
    // No scale configured: nothing to check.
    let none = doctor::report(&DeviceConfigs::default());
    assert!(
        none.configured
            .iter()
            .all(|c| c.category != DeviceCategory::Scale)
    );
}
