//! Encoding a 50-line receipt with a QR code and a CODE128 barcode to ESC/POS bytes.
//! Target: well under 1 ms. Run with `cargo bench -p storepos-drivers --bench receipt`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use storepos_drivers::printer::{DrawerKick, PrinterProfile, encode};
use storepos_drivers::{Document, TextStyle};

fn receipt() -> Document {
    let mut doc = Document::new()
        .styled(
            "好又多超市 StorePOS",
            TextStyle::new().center().bold().double(),
        )
        .styled(
            "Store 12 · Till 3 · 2026-11-22 10:31",
            TextStyle::new().center(),
        )
        .rule();
    for i in 0..50 {
        doc = doc.pair(
            format!("商品 Item {i:02} x{}", 1 + i % 3),
            format!("¥{}.{:02}", 3 + i, i * 7 % 100),
        );
    }
    doc.rule()
        .pair_styled("合计 TOTAL", "¥1,128.50", TextStyle::new().bold())
        .line("Member 6012 **** 1234  Points +112")
        .code128("R-000123-20261122")
        .qr("https://storepos.example/r/000123?t=20261122&s=12&m=6012000000001234")
        .styled("谢谢惠顾 Thank you!", TextStyle::new().center())
        .kick(DrawerKick::default())
        .cut()
}

fn bench(c: &mut Criterion) {
    let doc = receipt();
    for (name, profile) in [
        ("80mm", PrinterProfile::mm80()),
        ("58mm", PrinterProfile::mm58()),
    ] {
        let bytes = encode(&doc, &profile).expect("receipt encodes").bytes.len();
        println!("50-line receipt, {name}: {bytes} bytes of ESC/POS");
        c.bench_function(&format!("encode_50_line_receipt_{name}"), |b| {
            b.iter(|| encode(black_box(&doc), black_box(&profile)).expect("receipt encodes"))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
