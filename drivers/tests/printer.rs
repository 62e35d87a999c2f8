//! Receipt printer: golden ESC/POS bytes, printing over a pty, USB fakes with partial
//! writes and timeouts, TCP, paper-out in the middle of a receipt, and a printed receipt
//! rendered to an image whose QR code is read back with an independent decoder (rqrr).

use std::time::Duration;

use crate::common::{Bridge, Pty};
use storepos_drivers::printer::{
    self, Bitmap, DrawerKick, PaperState, PaperWidth, PrinterConnection, PrinterProfile,
    VirtualPrinter, encode,
};
use storepos_drivers::transport::usb::{FakeBulkPipe, FakeStep};
use storepos_drivers::transport::{ChunkedBulkWriter, Connector, LinkResult, Transport};
use storepos_drivers::{
    Device, DeviceEvent, DeviceStatus, Document, ErrorKind, InputDevice, PrinterConfig,
    ReceiptPrinter, Stage, TextStyle,
};

fn sample_receipt(lines: usize) -> Document {
    let logo = Bitmap::from_fn(96, 48, |x, y| {
        let (dx, dy) = (x as i32 - 48, y as i32 - 24);
        dx * dx / 4 + dy * dy < 22 * 22 && (x / 6 + y / 6) % 2 == 0
    });
    let mut doc = Document::new()
        .logo(logo)
        .styled(
            "好又多超市 StorePOS",
            TextStyle::new().center().bold().double(),
        )
        .styled("Store 12 · Till 3", TextStyle::new().center())
        .rule();
    for i in 0..lines {
        doc = doc.pair(
            format!("商品 Item {i:02}"),
            format!("¥{}.{:02}", 3 + i, i * 7 % 100),
        );
    }
    doc.rule()
        .pair_styled("合计 TOTAL", "¥128.50", TextStyle::new().bold())
        .line("Member: 6012 **** 1234  Points +12")
        .code128("R-000123-20261122")
        .ean13("400638133393")
        .qr("https://storepos.example/r/000123?t=20261122")
        .styled("谢谢惠顾 Thank you!", TextStyle::new().center())
        .kick(DrawerKick::default())
        .cut()
}

fn started(config: &PrinterConfig) -> (ReceiptPrinter, Option<VirtualPrinter>) {
    let (mut p, vp) = printer::build(config);
    p.start().unwrap();
    (p, vp)
}

#[test]
fn golden_bytes_for_a_small_receipt() {
    let doc = Document::new()
        .styled("店铺", TextStyle::new().center().bold().double())
        .pair("Milk", "¥3.50")
        .code128("AB12")
        .ean13("400638133393")
        .qr("M1")
        .kick(DrawerKick::default())
        .cut();
    let enc = encode(&doc, &PrinterProfile::mm58()).unwrap();
    let mut want: Vec<u8> = vec![0x1B, 0x40, 0x1C, 0x26];
    // Centred, bold, double size, GB18030 text, print and feed one line.
    want.extend([0x1B, 0x61, 1, 0x1B, 0x45, 1, 0x1D, 0x21, 0x11]);
    want.extend([0xB5, 0xEA, 0xC6, 0xCC, 0x1B, 0x64, 1]);
    // Plain left, two columns on 32: ¥ printed as the full-width ￥ (A3 A4).
    want.extend([0x1B, 0x61, 0, 0x1B, 0x45, 0, 0x1D, 0x21, 0x00]);
    want.extend(b"Milk");
    want.extend(std::iter::repeat_n(b' ', 22));
    want.extend([0xA3, 0xA4]);
    want.extend(b"3.50");
    want.extend([0x1B, 0x64, 1]);
    // CODE128 function B: centred, module 3, height 102, HRI below.
    want.extend([
        0x1B, 0x61, 1, 0x1D, 0x77, 3, 0x1D, 0x68, 102, 0x1D, 0x66, 0, 0x1D, 0x48, 2,
    ]);
    want.extend([
        0x1D, 0x6B, 73, 6, b'{', b'B', b'A', b'B', b'1', b'2', 0x1B, 0x64, 1,
    ]);
    // EAN-13 through the escpos crate (function A, NUL terminated).
    want.extend([
        0x1D, 0x77, 3, 0x1D, 0x68, 102, 0x1D, 0x66, 0, 0x1D, 0x48, 2, 0x1D, 0x6B, 2,
    ]);
    want.extend(b"400638133393\0");
    want.extend([0x1B, 0x64, 1]);
    // QR: model 2, module 6, level M, store, print.
    want.extend([0x1D, 0x28, 0x6B, 4, 0, 49, 65, 50, 0]);
    want.extend([0x1D, 0x28, 0x6B, 3, 0, 49, 67, 6]);
    want.extend([0x1D, 0x28, 0x6B, 3, 0, 49, 69, 49]);
    want.extend([0x1D, 0x28, 0x6B, 5, 0, 49, 80, 48, b'M', b'1']);
    want.extend([0x1D, 0x28, 0x6B, 3, 0, 49, 81, 48, 0x1B, 0x64, 1]);
    // Complete drawer kick: pin 2, 100 ms on, 200 ms off. Full cut.
    want.extend([0x1B, 0x70, 0, 50, 100, 0x1D, 0x56, 0x41, 0]);
    assert_eq!(enc.bytes, want);
    assert_eq!(enc.block_ends.len(), 7);
    assert_eq!(*enc.block_ends.last().unwrap(), want.len());
}

#[test]
fn ascii_profile_and_80mm_columns() {
    let profile = PrinterProfile {
        paper: PaperWidth::Mm80,
        code_page: printer::CodePage::Ascii,
    };
    let enc = encode(&Document::new().pair("牛奶", "¥3"), &profile).unwrap();
    let text_start = enc.bytes.len() - 3 - 48;
    assert_eq!(&enc.bytes[..2], &[0x1B, 0x40], "no FS & in ASCII mode");
    assert_eq!(&enc.bytes[text_start..text_start + 2], b"??");
    assert_eq!(&enc.bytes[enc.bytes.len() - 5..enc.bytes.len() - 3], b"?3");
}

#[test]
fn bad_documents_are_refused_before_anything_is_sent() {
    let (mut p, vp) = started(&PrinterConfig::default());
    let vp = vp.unwrap();
    for doc in [
        Document::new().line("x").ean13("4006381333932"),
        Document::new().ean13("12345"),
        Document::new().code128("价格"),
        Document::new().code128("X".repeat(60)),
        Document::new().logo(Bitmap::from_fn(700, 10, |_, _| true)),
        Document::new().qr(""),
    ] {
        let err = p.print(&doc).unwrap_err();
        assert_eq!(err.locus.stage, Stage::Encode, "{err}");
        assert!(matches!(err.kind, ErrorKind::InvalidInput(_)));
    }
    assert!(vp.jobs().is_empty());
    assert!(
        p.last_document().is_none(),
        "a refused document is not kept for reprint"
    );
}

#[test]
fn printed_receipt_renders_and_its_qr_decodes_with_rqrr() {
    let dir = tempfile::tempdir().unwrap();
    let config = PrinterConfig {
        connection: PrinterConnection::Simulated {
            output_dir: Some(dir.path().to_path_buf()),
        },
        paper: PaperWidth::Mm80,
        ..Default::default()
    };
    let (mut p, vp) = started(&config);
    let vp = vp.unwrap();
    let doc = sample_receipt(12);
    p.print(&doc).unwrap();
    let jobs = vp.jobs();
    assert_eq!(jobs.len(), 1);
    assert!(jobs[0].complete);
    assert_eq!(jobs[0].bytes, encode(&doc, &p.profile()).unwrap().bytes);
    assert_eq!(vp.kicks().len(), 1);
    assert!(vp.drawer_open());

    let image = vp.render_job(0).unwrap();
    let png_path = dir.path().join("receipt-0001.png");
    assert!(png_path.exists(), "the virtual printer saved the receipt");
    if let Ok(out) = std::env::var("STOREPOS_RECEIPT_PNG") {
        std::fs::copy(&png_path, out).unwrap();
    }
    let (w, h) = (image.width() as usize, image.height() as usize);
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        if image.is_black(x as u32, y as u32) {
            0
        } else {
            255
        }
    });
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "exactly one QR code on the receipt");
    let (_, content) = grids[0].decode().unwrap();
    assert_eq!(content, "https://storepos.example/r/000123?t=20261122");

    // The PNG on disk is the same picture.
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&png_path).unwrap(),
    ));
    let reader = decoder.read_info().unwrap();
    assert_eq!(reader.info().width as usize, w);
    assert_eq!(reader.info().height as usize, h);
}

#[test]
fn paper_out_mid_receipt_stops_cleanly_and_reprints() {
    let (p, vp) = printer::build(&PrinterConfig::default());
    let vp = vp.unwrap();
    let mut p = p.with_segment_bytes(200);
    p.start().unwrap();
    let doc = sample_receipt(30);
    let total = encode(&doc, &p.profile()).unwrap().bytes.len();
    vp.run_out_after(total / 2);
    let err = p.print(&doc).unwrap_err();
    assert_eq!(err.kind, ErrorKind::PaperOut);
    let mut events = Vec::new();
    while let Some(e) = p.poll_event(Duration::from_millis(10)) {
        events.push(e);
    }
    assert!(
        events.contains(&DeviceEvent::Status(DeviceStatus::PaperOut)),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, DeviceEvent::Error(e) if e.kind == ErrorKind::PaperOut))
    );
    let jobs = vp.jobs();
    assert_eq!(
        jobs.len(),
        1,
        "the half receipt was flushed from the printer"
    );
    assert!(!jobs[0].complete);
    assert!(jobs[0].bytes.len() < total);

    // Still out of paper: reprint is refused up front, nothing is sent.
    assert_eq!(p.reprint_last().unwrap_err().kind, ErrorKind::PaperOut);
    assert_eq!(vp.jobs().len(), 1);

    vp.set_paper(PaperState::Ok);
    p.reprint_last().unwrap();
    let jobs = vp.jobs();
    assert_eq!(jobs.len(), 2);
    assert!(jobs[1].complete);
    assert_eq!(jobs[1].bytes.len(), total);
    assert!(
        std::iter::from_fn(|| p.poll_event(Duration::from_millis(10)))
            .any(|e| e == DeviceEvent::Status(DeviceStatus::PaperOk))
    );
}

#[test]
fn cover_open_refuses_and_near_end_warns() {
    let (mut p, vp) = started(&PrinterConfig::default());
    let vp = vp.unwrap();
    vp.set_cover_open(true);
    let err = p.print(&Document::new().line("x").cut()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::CoverOpen);
    assert!(vp.jobs().is_empty());
    assert_eq!(
        p.check_health().level,
        storepos_drivers::HealthLevel::Failed
    );
    vp.set_cover_open(false);
    vp.set_paper(PaperState::NearEnd);
    p.print(&Document::new().line("x").cut()).unwrap();
    assert_eq!(vp.jobs().len(), 1);
    assert_eq!(
        p.check_health().level,
        storepos_drivers::HealthLevel::Warning
    );
}

#[test]
fn serial_printer_over_pty() {
    let pty = Pty::new();
    let vp = VirtualPrinter::new(PrinterProfile::mm58());
    let _bridge = Bridge::start(pty.master, vp.connect().unwrap());
    let config = PrinterConfig {
        connection: PrinterConnection::Serial {
            path: pty.path.clone(),
            baud: 115_200,
        },
        paper: PaperWidth::Mm58,
        ..Default::default()
    };
    let (mut p, none) = started(&config);
    assert!(none.is_none());
    assert!(p.check_health().detail.ends_with("ready"));
    let doc = sample_receipt(5);
    p.print(&doc).unwrap();
    let jobs = vp.jobs();
    assert_eq!(jobs.len(), 1);
    assert_eq!(
        jobs[0].bytes,
        encode(&doc, &PrinterProfile::mm58()).unwrap().bytes
    );
    vp.set_paper(PaperState::Out);
    assert_eq!(p.print(&doc).unwrap_err().kind, ErrorKind::PaperOut);
    p.stop();
}

#[test]
fn tcp_printer_on_localhost() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let vp = VirtualPrinter::new(PrinterProfile::mm80());
    let mut link = vp.connect().unwrap();
    let server = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_millis(5))).unwrap();
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => link.write_all(&buf[..n]).unwrap(),
                Err(_) => {}
            }
            if let Ok(n) = link.read_timeout(&mut buf, Duration::ZERO)
                && n > 0
            {
                s.write_all(&buf[..n]).unwrap();
            }
        }
    });
    let config = PrinterConfig {
        connection: PrinterConnection::Tcp {
            host: "127.0.0.1".into(),
            port,
        },
        ..Default::default()
    };
    let (mut p, _) = started(&config);
    p.print(&sample_receipt(3)).unwrap();
    p.stop();
    drop(p);
    server.join().unwrap();
    assert_eq!(vp.jobs().len(), 1);
}

struct FakeUsb(FakeBulkPipe);

impl Connector for FakeUsb {
    fn connect(&self) -> LinkResult<Box<dyn Transport>> {
        Ok(Box::new(ChunkedBulkWriter::new(
            self.0.clone(),
            64,
            Duration::from_millis(20),
        )))
    }
    fn describe(&self) -> String {
        "usb fake".into()
    }
}

#[test]
fn usb_printer_with_partial_writes_gets_every_byte() {
    let fake = FakeBulkPipe::new();
    fake.state().max_per_transfer = Some(7);
    fake.state().status_replies = Some([0x12, 0x12, 0x12]);
    let mut p = ReceiptPrinter::new(Box::new(FakeUsb(fake.clone())), PrinterProfile::mm80());
    p.start().unwrap();
    let doc = sample_receipt(10);
    p.print(&doc).unwrap();
    let expected = encode(&doc, &PrinterProfile::mm80()).unwrap().bytes;
    let received: Vec<u8> = fake.state().received.clone();
    let printed: Vec<u8> = strip_status_queries(&received);
    assert_eq!(printed, expected);
    assert!(fake.state().transfers.iter().all(|&n| n <= 64));
}

#[test]
fn usb_printer_timeout_is_reported_not_swallowed() {
    let fake = FakeBulkPipe::new();
    fake.state().status_replies = Some([0x12, 0x12, 0x12]);
    let mut p = ReceiptPrinter::new(Box::new(FakeUsb(fake.clone())), PrinterProfile::mm80())
        .with_segment_bytes(100_000);
    p.start().unwrap();
    // The status query goes through, then the printer stalls after 3 transfers.
    fake.state().plan.extend([
        FakeStep::Accept(9),
        FakeStep::Accept(64),
        FakeStep::Accept(30),
        FakeStep::Timeout,
    ]);
    let err = p.print(&sample_receipt(10)).unwrap_err();
    assert_eq!(err.locus.stage, Stage::Write);
    match &err.kind {
        ErrorKind::Timeout(m) => assert!(m.contains("after 94 of"), "{m}"),
        other => panic!("expected timeout, got {other:?}"),
    }
}

/// Removes the `DLE EOT n` status requests the driver interleaves with the job.
fn strip_status_queries(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(&[0x10, 0x04, 1, 0x10, 0x04, 2, 0x10, 0x04, 4]) {
            i += 9;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

#[test]
fn unplugged_printer_fails_clearly_and_comes_back() {
    let (mut p, vp) = started(&PrinterConfig::default());
    let vp = vp.unwrap();
    vp.set_plugged(false);
    let err = p.print(&Document::new().line("x").cut()).unwrap_err();
    assert!(
        matches!(err.kind, ErrorKind::Offline(_) | ErrorKind::Disconnected(_)),
        "{err}"
    );
    let events: Vec<_> = std::iter::from_fn(|| p.poll_event(Duration::from_millis(5))).collect();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, DeviceEvent::Status(DeviceStatus::Offline(_)))),
        "{events:?}"
    );
    vp.set_plugged(true);
    p.reprint_last().unwrap();
    assert_eq!(vp.jobs().len(), 1);
    assert!(
        std::iter::from_fn(|| p.poll_event(Duration::from_millis(5)))
            .any(|e| e == DeviceEvent::Status(DeviceStatus::Reconnected))
    );
}
