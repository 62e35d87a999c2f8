//! Customer line display: a 2×20 VFD pole display on a serial line, showing the item just
//! scanned with its price and the running total, a welcome line and a thank-you line.
//!
//! Two command sets are common: Epson ESC/POS customer displays (`ESC @`, `FF`, `US $ x y`)
//! and the CD5220 set many Chinese displays use (`ESC Q A …CR` upper line, `ESC Q B …CR`
//! lower line). Text is padded or cut to the display width (Chinese counts double) and
//! encoded as ASCII or GB18030. After the display is unplugged and comes back, it is
//! initialised again and the current lines are redrawn.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::device::{Device, DeviceCategory, DeviceEvent, Health, InputDevice, Lifecycle};
use crate::error::{DeviceError, DeviceResult, ErrorKind, Stage};
use crate::port::Port;
use crate::printer::profile::{char_width, text_width, truncate_to};
use crate::transport::{Connector, LinkResult, SerialConnector, Transport};

/// The display's command set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisplayProtocol {
    /// Epson ESC/POS customer display commands.
    #[default]
    Epson,
    /// CD5220 commands.
    Cd5220,
}

/// Character encoding of the display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisplayEncoding {
    /// ASCII only; other characters show as `?`.
    #[default]
    Ascii,
    /// GB18030 (Chinese displays).
    Gb18030,
}

fn default_baud() -> u32 {
    9600
}
fn default_columns() -> usize {
    20
}

/// Texts shown on the display; configurable per store and language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DisplayTexts {
    /// First line while idle.
    pub welcome: String,
    /// Second line while idle.
    pub welcome_second: String,
    /// Label before the total.
    pub total: String,
    /// Line shown after payment.
    pub thank_you: String,
    /// Label before the change given.
    pub change: String,
}

impl Default for DisplayTexts {
    fn default() -> Self {
        Self {
            welcome: "Welcome!".into(),
            welcome_second: String::new(),
            total: "TOTAL".into(),
            thank_you: "Thank you!".into(),
            change: "CHANGE".into(),
        }
    }
}

/// Line display configuration, tagged by `kind`.
///
/// ```toml
/// [display]
/// kind = "serial"
/// path = "/dev/ttyUSB2"
/// protocol = "cd5220"
/// encoding = "gb18030"
/// texts = { welcome = "欢迎光临", thank_you = "谢谢惠顾" }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DisplayConfig {
    /// A virtual display the UI can show.
    Simulated {
        /// Texts to show.
        #[serde(default)]
        texts: DisplayTexts,
    },
    /// A serial pole display.
    Serial {
        /// Serial device path.
        path: PathBuf,
        /// Baud rate.
        #[serde(default = "default_baud")]
        baud: u32,
        /// Command set.
        #[serde(default)]
        protocol: DisplayProtocol,
        /// Encoding.
        #[serde(default)]
        encoding: DisplayEncoding,
        /// Characters per line.
        #[serde(default = "default_columns")]
        columns: usize,
        /// Texts to show.
        #[serde(default)]
        texts: DisplayTexts,
    },
}

impl Default for DisplayConfig {
    fn default() -> Self {
        DisplayConfig::Simulated {
            texts: DisplayTexts::default(),
        }
    }
}

/// Pads or cuts `text` to exactly `columns` display columns.
fn fit(text: &str, columns: usize, right: bool) -> String {
    let cut = truncate_to(text, columns);
    let pad = " ".repeat(columns - text_width(cut));
    if right {
        format!("{pad}{cut}")
    } else {
        format!("{cut}{pad}")
    }
}

/// Left text and right text on one line of `columns`; the left side is cut if needed.
fn pair(left: &str, right: &str, columns: usize) -> String {
    let right = truncate_to(right, columns);
    let rw = text_width(right);
    let room = columns.saturating_sub(rw + usize::from(rw < columns));
    let left = truncate_to(left, room);
    let gap = columns - text_width(left) - rw;
    format!("{left}{}{right}", " ".repeat(gap))
}

/// A customer line display.
pub struct LineDisplay {
    lifecycle: Lifecycle,
    port: Port,
    protocol: DisplayProtocol,
    encoding: DisplayEncoding,
    columns: usize,
    texts: DisplayTexts,
    lines: [String; 2],
    queue: VecDeque<DeviceEvent<Infallible>>,
}

impl LineDisplay {
    /// A closed display on `connector`.
    pub fn new(
        connector: Box<dyn Connector>,
        protocol: DisplayProtocol,
        encoding: DisplayEncoding,
        columns: usize,
        texts: DisplayTexts,
    ) -> Self {
        let port = Port::new(DeviceCategory::LineDisplay.to_string(), connector);
        let columns = columns.clamp(1, 80);
        Self {
            lifecycle: Lifecycle::new(DeviceCategory::LineDisplay, port.describe()),
            port,
            protocol,
            encoding,
            columns,
            texts,
            lines: [" ".repeat(columns), " ".repeat(columns)],
            queue: VecDeque::new(),
        }
    }

    fn encode_text(&self, text: &str) -> Vec<u8> {
        match self.encoding {
            DisplayEncoding::Ascii => text
                .bytes()
                .map(|b| if b.is_ascii() { b } else { b'?' })
                .collect(),
            DisplayEncoding::Gb18030 => encoding_rs::GB18030.encode(text).0.into_owned(),
        }
    }

    fn init_bytes(&self) -> Vec<u8> {
        vec![0x1B, 0x40, 0x0C]
    }

    fn lines_bytes(&self, lines: &[String; 2]) -> Vec<u8> {
        let mut out = Vec::new();
        for (row, text) in lines.iter().enumerate() {
            match self.protocol {
                DisplayProtocol::Epson => {
                    out.extend_from_slice(&[0x1F, 0x24, 1, row as u8 + 1]);
                    out.extend(self.encode_text(text));
                }
                DisplayProtocol::Cd5220 => {
                    out.extend_from_slice(&[0x1B, 0x51, if row == 0 { b'A' } else { b'B' }]);
                    out.extend(self.encode_text(text));
                    out.push(0x0D);
                }
            }
        }
        out
    }

    fn send(&mut self, bytes: &[u8]) -> DeviceResult<()> {
        let mut out = Vec::with_capacity(bytes.len() + 3);
        if !self.port.is_connected() {
            // Coming back after being unplugged: the display lost its state.
            out.extend(self.init_bytes());
        }
        out.extend_from_slice(bytes);
        let r = self.port.write_all(&out);
        while let Some(s) = self.port.take_status() {
            self.queue.push_back(DeviceEvent::Status(s));
        }
        r
    }

    /// Replaces what the display cannot show; `¥` becomes `￥` on GB18030 displays.
    fn prepare(&self, text: &str) -> String {
        text.chars()
            .map(|c| match (self.encoding, c) {
                (_, c) if c.is_control() => ' ',
                (DisplayEncoding::Gb18030, '¥') => '￥',
                (DisplayEncoding::Ascii, c) if !c.is_ascii() => '?',
                (_, c) => c,
            })
            .collect()
    }

    /// Shows two lines (each padded or cut to the width).
    pub fn show(&mut self, first: &str, second: &str) -> DeviceResult<()> {
        self.lifecycle.require_enabled()?;
        let lines = [
            fit(&self.prepare(first), self.columns, false),
            fit(&self.prepare(second), self.columns, false),
        ];
        let bytes = self.lines_bytes(&lines);
        self.send(&bytes)?;
        self.lines = lines;
        Ok(())
    }

    /// Idle screen.
    pub fn welcome(&mut self) -> DeviceResult<()> {
        let (a, b) = (
            self.texts.welcome.clone(),
            self.texts.welcome_second.clone(),
        );
        self.show(&a, &b)
    }

    /// The item just scanned with its price, and the running total below.
    pub fn show_item(&mut self, name: &str, price: &str, total: &str) -> DeviceResult<()> {
        let first = pair(&self.prepare(name), &self.prepare(price), self.columns);
        let second = pair(
            &self.prepare(&self.texts.total),
            &self.prepare(total),
            self.columns,
        );
        self.show(&first, &second)
    }

    /// The total due.
    pub fn show_total(&mut self, total: &str) -> DeviceResult<()> {
        let first = pair(
            &self.prepare(&self.texts.total),
            &self.prepare(total),
            self.columns,
        );
        self.show(&first, "")
    }

    /// After payment: thank-you line and the change.
    pub fn thank_you(&mut self, change: Option<&str>) -> DeviceResult<()> {
        let first = self.texts.thank_you.clone();
        let second = match change {
            Some(c) => pair(
                &self.prepare(&self.texts.change),
                &self.prepare(c),
                self.columns,
            ),
            None => String::new(),
        };
        self.show(&first, &second)
    }

    /// The two lines currently shown.
    pub fn lines(&self) -> [String; 2] {
        self.lines.clone()
    }

    fn err(&self, kind: ErrorKind) -> DeviceError {
        DeviceError::new(self.port.describe(), Stage::Write, kind)
    }
}

impl Device for LineDisplay {
    fn lifecycle(&self) -> &Lifecycle {
        &self.lifecycle
    }
    fn lifecycle_mut(&mut self) -> &mut Lifecycle {
        &mut self.lifecycle
    }
    fn on_claim(&mut self) -> DeviceResult<()> {
        self.port.connect()?;
        let init = self.init_bytes();
        if let Err(e) = self.port.write_all(&init) {
            self.port.disconnect();
            return Err(e);
        }
        Ok(())
    }
    fn on_release(&mut self) {
        // Blank the display before letting go of it.
        let _ = self.port.write_all(&[0x0C]);
        self.port.disconnect();
    }
    fn on_check_health(&mut self) -> Health {
        // A display has no status channel; rewriting the current lines proves the link.
        let bytes = self.lines_bytes(&self.lines.clone());
        match self.send(&bytes) {
            Ok(()) => Health::ok(format!("{} is connected", self.name())),
            Err(e) => Health::failed(self.err(e.kind).to_string()),
        }
    }
}

impl InputDevice for LineDisplay {
    /// A display produces no data, only connection status events.
    type Data = Infallible;

    fn poll_event(&mut self, timeout: Duration) -> Option<DeviceEvent<Infallible>> {
        if self.queue.is_empty() {
            std::thread::sleep(timeout);
        }
        self.queue.pop_front()
    }
}

/// A virtual display that understands both command sets and keeps the two lines, for the
/// demo store's UI and for tests.
#[derive(Clone)]
pub struct VirtualDisplay {
    state: Arc<Mutex<VdState>>,
}

struct VdState {
    encoding: DisplayEncoding,
    columns: usize,
    rows: [Vec<u8>; 2],
    cursor: (usize, usize),
    pending: Vec<u8>,
    plugged: bool,
}

impl VirtualDisplay {
    /// A blank display.
    pub fn new(encoding: DisplayEncoding, columns: usize) -> Self {
        Self {
            state: Arc::new(Mutex::new(VdState {
                encoding,
                columns,
                rows: [vec![b' '; columns * 4], vec![b' '; columns * 4]],
                cursor: (0, 0),
                pending: Vec::new(),
                plugged: true,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, VdState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The two lines as shown (trailing spaces removed).
    pub fn lines(&self) -> [String; 2] {
        let s = self.lock();
        let decode = |b: &[u8]| -> String {
            let text = match s.encoding {
                DisplayEncoding::Gb18030 => encoding_rs::GB18030
                    .decode_without_bom_handling(b)
                    .0
                    .into_owned(),
                DisplayEncoding::Ascii => String::from_utf8_lossy(b).into_owned(),
            };
            let mut used = 0;
            let kept: String = text
                .chars()
                .take_while(|&c| {
                    used += char_width(c);
                    used <= s.columns
                })
                .collect();
            kept.trim_end().to_string()
        };
        [decode(&s.rows[0]), decode(&s.rows[1])]
    }

    /// Unplugs or replugs the display.
    pub fn set_plugged(&self, plugged: bool) {
        self.lock().plugged = plugged;
    }
}

impl VdState {
    fn clear(&mut self) {
        for r in &mut self.rows {
            r.fill(b' ');
        }
        self.cursor = (0, 0);
    }

    fn put(&mut self, b: u8) {
        let (x, y) = self.cursor;
        if let Some(slot) = self.rows[y.min(1)].get_mut(x) {
            *slot = b;
        }
        self.cursor.0 += 1;
    }

    /// Interprets bytes; returns how many were consumed (an incomplete command waits).
    fn interpret(&mut self, buf: &[u8]) -> usize {
        let mut i = 0;
        while i < buf.len() {
            match buf[i] {
                0x1B => match buf.get(i + 1) {
                    None => return i,
                    Some(b'@') => {
                        self.clear();
                        i += 2;
                    }
                    Some(b'Q') => {
                        // ESC Q <A|B> text CR
                        let (Some(&which), Some(end)) = (
                            buf.get(i + 2),
                            buf.get(i + 3..)
                                .and_then(|t| t.iter().position(|&b| b == 0x0D)),
                        ) else {
                            return i;
                        };
                        let row = usize::from(which == b'B');
                        self.rows[row].fill(b' ');
                        self.cursor = (0, row);
                        for &b in &buf[i + 3..i + 3 + end] {
                            self.put(b);
                        }
                        i += 4 + end;
                    }
                    Some(_) => i += 2,
                },
                0x1F => match (buf.get(i + 1), buf.get(i + 2), buf.get(i + 3)) {
                    (Some(0x24), Some(&x), Some(&y)) => {
                        self.cursor = (usize::from(x.max(1)) - 1, usize::from(y.max(1) - 1).min(1));
                        i += 4;
                    }
                    (Some(0x24), _, _) | (None, _, _) => return i,
                    _ => i += 2,
                },
                0x0C => {
                    self.clear();
                    i += 1;
                }
                0x0D => {
                    self.cursor.0 = 0;
                    i += 1;
                }
                0x0A => {
                    self.cursor.1 = (self.cursor.1 + 1).min(1);
                    i += 1;
                }
                0x0B => {
                    self.cursor = (0, 0);
                    i += 1;
                }
                b if b < 0x20 => i += 1,
                b => {
                    self.put(b);
                    i += 1;
                }
            }
        }
        i
    }
}

impl Connector for VirtualDisplay {
    fn connect(&self) -> LinkResult<Box<dyn Transport>> {
        if !self.lock().plugged {
            return Err(ErrorKind::NotFound("virtual display is unplugged".into()));
        }
        Ok(Box::new(VirtualDisplayLink(self.clone())))
    }
    fn describe(&self) -> String {
        "virtual display".into()
    }
}

struct VirtualDisplayLink(VirtualDisplay);

impl Transport for VirtualDisplayLink {
    fn read_timeout(&mut self, _buf: &mut [u8], timeout: Duration) -> LinkResult<usize> {
        std::thread::sleep(timeout.min(Duration::from_millis(20)));
        Ok(0)
    }

    fn write_all(&mut self, data: &[u8]) -> LinkResult<()> {
        let mut s = self.0.lock();
        if !s.plugged {
            return Err(ErrorKind::Disconnected("virtual display unplugged".into()));
        }
        s.pending.extend_from_slice(data);
        let pending = std::mem::take(&mut s.pending);
        let used = s.interpret(&pending);
        s.pending = pending[used..].to_vec();
        Ok(())
    }
}

/// Builds the configured display (closed); for `Simulated`, the virtual display too.
pub fn build(config: &DisplayConfig) -> (LineDisplay, Option<VirtualDisplay>) {
    match config {
        DisplayConfig::Simulated { texts } => {
            let vd = VirtualDisplay::new(DisplayEncoding::Gb18030, 20);
            (
                LineDisplay::new(
                    Box::new(vd.clone()),
                    DisplayProtocol::Epson,
                    DisplayEncoding::Gb18030,
                    20,
                    texts.clone(),
                ),
                Some(vd),
            )
        }
        DisplayConfig::Serial {
            path,
            baud,
            protocol,
            encoding,
            columns,
            texts,
        } => (
            LineDisplay::new(
                Box::new(SerialConnector::new(path, *baud)),
                *protocol,
                *encoding,
                *columns,
                texts.clone(),
            ),
            None,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::DeviceStatus;

    #[test]
    fn layout_helpers() {
        assert_eq!(fit("abc", 5, false), "abc  ");
        assert_eq!(fit("abcdef", 5, false), "abcde");
        assert_eq!(fit("牛奶", 5, true), " 牛奶");
        assert_eq!(pair("Milk 1L", "3.50", 20), "Milk 1L         3.50");
        assert_eq!(
            pair("A very long product name", "12.00", 20),
            "A very long pr 12.00"
        );
        assert_eq!(
            text_width(&pair("有机牛奶一升装特价商品", "￥3.50", 20)),
            20
        );
    }

    #[test]
    fn simulated_display_shows_item_total_and_thanks() {
        let texts = DisplayTexts {
            welcome: "欢迎光临".into(),
            thank_you: "谢谢惠顾".into(),
            total: "合计".into(),
            ..Default::default()
        };
        let (mut d, vd) = build(&DisplayConfig::Simulated { texts });
        let vd = vd.unwrap();
        assert!(d.welcome().is_err(), "must be enabled");
        d.start().unwrap();
        d.welcome().unwrap();
        assert_eq!(vd.lines(), ["欢迎光临".to_string(), String::new()]);
        d.show_item("牛奶 Milk", "¥3.50", "¥12.00").unwrap();
        assert_eq!(
            vd.lines(),
            [
                format!("牛奶 Milk{}￥3.50", " ".repeat(5)),
                format!("合计{}￥12.00", " ".repeat(9))
            ]
        );
        d.thank_you(Some("¥8.00")).unwrap();
        assert_eq!(vd.lines()[0], "谢谢惠顾");
        assert!(vd.lines()[1].ends_with("￥8.00"));
        assert_eq!(d.check_health().level, crate::HealthLevel::Ok);
    }

    #[test]
    fn replugged_display_is_redrawn() {
        let vd = VirtualDisplay::new(DisplayEncoding::Ascii, 20);
        let mut d = LineDisplay::new(
            Box::new(vd.clone()),
            DisplayProtocol::Cd5220,
            DisplayEncoding::Ascii,
            20,
            DisplayTexts::default(),
        );
        d.start().unwrap();
        d.show("first", "second").unwrap();
        vd.set_plugged(false);
        assert!(d.show("x", "y").is_err());
        assert!(matches!(
            d.poll_event(Duration::ZERO),
            Some(DeviceEvent::Status(DeviceStatus::Offline(_)))
        ));
        vd.set_plugged(true);
        d.show_total("9.99").unwrap();
        assert_eq!(
            d.poll_event(Duration::ZERO),
            Some(DeviceEvent::Status(DeviceStatus::Reconnected))
        );
        assert_eq!(
            vd.lines(),
            [format!("TOTAL{}9.99", " ".repeat(11)), String::new()]
        );
    }
}
