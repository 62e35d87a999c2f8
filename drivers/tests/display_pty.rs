//! Customer line display over real pseudo-terminals, in both command sets.

use std::time::Duration;

use crate::common::{Bridge, Pty};
use storepos_drivers::Device;
use storepos_drivers::display::{
    self, DisplayConfig, DisplayEncoding, DisplayProtocol, DisplayTexts, VirtualDisplay,
};
use storepos_drivers::transport::Connector;

fn serial(
    path: &std::path::Path,
    protocol: DisplayProtocol,
    encoding: DisplayEncoding,
) -> DisplayConfig {
    DisplayConfig::Serial {
        path: path.to_path_buf(),
        baud: 9600,
        protocol,
        encoding,
        columns: 20,
        texts: DisplayTexts {
            welcome: "欢迎光临".into(),
            thank_you: "谢谢惠顾".into(),
            ..Default::default()
        },
    }
}

#[test]
fn epson_display_bytes_on_the_wire() {
    let mut pty = Pty::new();
    let (mut d, _) = display::build(&serial(
        &pty.path,
        DisplayProtocol::Epson,
        DisplayEncoding::Ascii,
    ));
    d.start().unwrap();
    assert_eq!(pty.recv(3, Duration::from_secs(1)), [0x1B, 0x40, 0x0C]);
    d.show_total("12.00").unwrap();
    let mut want = vec![0x1F, 0x24, 1, 1];
    want.extend(format!("TOTAL{}12.00", " ".repeat(10)).bytes());
    want.extend([0x1F, 0x24, 1, 2]);
    want.extend(std::iter::repeat_n(b' ', 20));
    assert_eq!(pty.recv(want.len(), Duration::from_secs(1)), want);
    d.stop();
}

#[test]
fn cd5220_chinese_display_over_pty() {
    let pty = Pty::new();
    let vd = VirtualDisplay::new(DisplayEncoding::Gb18030, 20);
    let _bridge = Bridge::start(pty.master, vd.connect().unwrap());
    let (mut d, _) = display::build(&serial(
        &pty.path,
        DisplayProtocol::Cd5220,
        DisplayEncoding::Gb18030,
    ));
    d.start().unwrap();
    d.welcome().unwrap();
    d.show_item("有机牛奶", "¥3.50", "¥3.50").unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while vd.lines()[1].is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(vd.lines()[0], format!("有机牛奶{}￥3.50", " ".repeat(6)));
    assert_eq!(vd.lines()[1], format!("TOTAL{}￥3.50", " ".repeat(9)));
    d.thank_you(None).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while vd.lines()[0] != "谢谢惠顾" && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(vd.lines(), ["谢谢惠顾".to_string(), String::new()]);
    d.stop();
}
