//! Scanner, magnetic-stripe reader and PN532 NFC reader over real pseudo-terminals,
//! including a device that disappears and comes back.

use std::time::Duration;

use crate::common::Pty;
use storepos_drivers::card::msr::with_lrcs;
use storepos_drivers::card::pn532::Pn532Emulator;
use storepos_drivers::card::{self, CardNumberRule, CardReaderConfig, CardSource, CardTrack};
use storepos_drivers::scanner::{self, ScannerConfig, Symbology};
use storepos_drivers::{
    Device, DeviceEvent, DeviceStatus, ErrorKind, InputDevice, LifecycleState, Stage,
};

const WAIT: Duration = Duration::from_secs(2);

fn serial_scanner(path: &std::path::Path, prefix: &str, suffix: &str) -> scanner::Scanner {
    scanner::build(&ScannerConfig::Serial {
        path: path.to_path_buf(),
        baud: 9600,
        prefix: prefix.into(),
        suffix: suffix.into(),
    })
    .0
}

#[test]
fn serial_scanner_decodes_frames_and_reports_garbled_ones() {
    let mut pty = Pty::new();
    let mut scanner = serial_scanner(&pty.path, "\u{2}", "\u{3}");
    scanner.open().unwrap();
    scanner.claim().unwrap();
    // Claimed but not enabled: input is dropped, not queued for later.
    pty.send(b"\x02]E04006381333931\x03");
    assert_eq!(scanner.poll_event(Duration::from_millis(150)), None);
    scanner.enable().unwrap();
    assert_eq!(scanner.state(), LifecycleState::Enabled);

    // A frame split across writes.
    pty.send(b"\x02]E0400638");
    std::thread::sleep(Duration::from_millis(20));
    pty.send(b"1333931\x03");
    match scanner.poll_event(WAIT) {
        Some(DeviceEvent::Data(d)) => {
            assert_eq!(d.symbology, Symbology::Ean13);
            assert_eq!(d.label, "4006381333931");
            assert_eq!(d.raw, b"]E04006381333931");
        }
        other => panic!("expected scan, got {other:?}"),
    }

    // QR code with UTF-8 text, then a garbled EAN (bad check digit), then a good EAN-8.
    let mut bytes = b"\x02]Q1".to_vec();
    bytes.extend_from_slice("会员 M-0042".as_bytes());
    bytes.extend_from_slice(b"\x03\x02]E04006381333932\x03\x02]E496385074\x03");
    pty.send(&bytes);
    let qr = scanner.poll_event(WAIT);
    assert!(
        matches!(&qr, Some(DeviceEvent::Data(d)) if d.symbology == Symbology::QrCode && d.label == "会员 M-0042"),
        "{qr:?}"
    );
    match scanner.poll_event(WAIT) {
        Some(DeviceEvent::Error(e)) => {
            assert_eq!(e.locus.stage, Stage::Parse);
            assert!(e.locus.device.contains(&pty.path.display().to_string()));
            assert!(matches!(e.kind, ErrorKind::BadFrame(_)));
        }
        other => panic!("expected an error, got {other:?}"),
    }
    assert!(
        matches!(scanner.poll_event(WAIT), Some(DeviceEvent::Data(d)) if d.symbology == Symbology::Ean8)
    );

    // Half a frame, then silence: reported, and never delivered as data.
    pty.send(b"\x02]E0400638");
    match scanner.poll_event(WAIT) {
        Some(DeviceEvent::Error(e)) => assert!(e.to_string().contains("incomplete")),
        other => panic!("expected incomplete-frame error, got {other:?}"),
    }
    assert_eq!(scanner.poll_event(Duration::from_millis(100)), None);
    assert!(scanner.check_health().level == storepos_drivers::HealthLevel::Ok);
    scanner.stop();
    assert_eq!(scanner.state(), LifecycleState::Closed);
}

#[test]
fn magstripe_reader_over_pty_with_lrc() {
    let mut pty = Pty::new();
    let (mut reader, sim) = card::build(&CardReaderConfig::MagStripe {
        path: pty.path.clone(),
        baud: 9600,
        terminator: "\r".into(),
        lrc: true,
        rule: CardNumberRule::default(),
    });
    assert!(sim.is_none());
    reader.start().unwrap();
    let mut swipe = with_lrcs("%B6012345678901234^LI/MING^2712101?;6012345678901234=2712101?");
    swipe.push(b'\r');
    pty.send(&swipe);
    assert_eq!(
        reader.poll_event(WAIT),
        Some(DeviceEvent::Data(storepos_drivers::CardData {
            card_number: "6012345678901234".into(),
            track: CardTrack::Track2,
            source: CardSource::MagStripe,
        }))
    );
    // Corrupt one digit: the LRC no longer matches, the swipe is rejected whole.
    let mut bad = swipe.clone();
    bad[40] = b'9';
    pty.send(&bad);
    match reader.poll_event(WAIT) {
        Some(DeviceEvent::Error(e)) => assert!(e.to_string().contains("garbled swipe")),
        other => panic!("expected garbled swipe, got {other:?}"),
    }
    pty.send(b";E?\r");
    assert!(matches!(
        reader.poll_event(WAIT),
        Some(DeviceEvent::Error(_))
    ));
    reader.stop();
}

#[test]
fn pn532_reader_over_pty() {
    let pty = Pty::new();
    let path = pty.path.clone();
    let mut master = pty.master;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let chip = std::sync::Arc::new(std::sync::Mutex::new(Pn532Emulator::new()));
    let emulator = {
        let stop = stop.clone();
        let chip = chip.clone();
        std::thread::spawn(move || {
            use serialport::SerialPort;
            use std::io::{Read, Write};
            let mut buf = [0u8; 512];
            master.set_timeout(Duration::from_millis(20)).unwrap();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(n) = master.read(&mut buf)
                    && n > 0
                {
                    let reply = chip.lock().unwrap().handle(&buf[..n]);
                    master.write_all(&reply).unwrap();
                }
            }
        })
    };
    let (mut reader, _) = card::build(&CardReaderConfig::Pn532 {
        path,
        baud: 115_200,
    });
    reader.start().unwrap();
    assert!(reader.check_health().detail.contains("PN532 firmware 1.6"));
    assert_eq!(reader.poll_event(Duration::from_millis(300)), None);
    chip.lock().unwrap().card = Some(vec![0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66]);
    match reader.poll_event(WAIT) {
        Some(DeviceEvent::Data(c)) => {
            assert_eq!(c.card_number, "04112233445566");
            assert_eq!(c.source, CardSource::Nfc);
        }
        other => panic!("expected a tap, got {other:?}"),
    }
    chip.lock().unwrap().card = None;
    assert_eq!(reader.poll_event(Duration::from_millis(400)), None);
    chip.lock().unwrap().card = Some(vec![0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66]);
    assert!(
        matches!(reader.poll_event(WAIT), Some(DeviceEvent::Data(_))),
        "the same card presented again is a new tap"
    );
    reader.stop();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    emulator.join().unwrap();
}

#[test]
fn scanner_unplugged_and_replugged_is_reopened() {
    let dir = tempfile::tempdir().unwrap();
    // Like /dev/serial/by-id/…: a stable name pointing at whatever node the device got.
    let link = dir.path().join("usb-Scanner-if00");
    let mut pty = Pty::new();
    std::os::unix::fs::symlink(&pty.path, &link).unwrap();
    let mut scanner = serial_scanner(&link, "", "\r");
    scanner.start().unwrap();
    pty.send(b"]E04006381333931\r");
    assert!(matches!(
        scanner.poll_event(WAIT),
        Some(DeviceEvent::Data(_))
    ));

    // Unplug: the pty master goes away and so does the node.
    drop(pty);
    std::fs::remove_file(&link).unwrap();
    let event = scanner.poll_event(WAIT);
    let Some(DeviceEvent::Status(status @ DeviceStatus::Offline(_))) = event else {
        panic!("expected offline status, got {event:?}");
    };
    let message = status.message(storepos_drivers::DeviceCategory::Scanner);
    assert!(message.contains("scanner is not responding"), "{message}");
    assert_eq!(scanner.poll_event(Duration::from_millis(300)), None);
    assert_eq!(
        scanner.check_health().level,
        storepos_drivers::HealthLevel::Failed
    );

    // Plug back in: a new node behind the same name.
    let mut pty = Pty::new();
    std::os::unix::fs::symlink(&pty.path, &link).unwrap();
    assert_eq!(
        scanner.poll_event(Duration::from_secs(3)),
        Some(DeviceEvent::Status(DeviceStatus::Reconnected))
    );
    pty.send(b"]E496385074\r");
    assert!(
        matches!(scanner.poll_event(WAIT), Some(DeviceEvent::Data(d)) if d.label == "96385074")
    );
    scanner.stop();
}
