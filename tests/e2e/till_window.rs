//! `storepos terminal` as a store runs it: without a display it says so and exits 2; on a
//! bare X server (Xvfb, no window manager) it opens the touch UI on the store's own data
//! (its imported catalogue, members and operators, no demo strip), full screen, and a
//! wedge scanner's keystrokes reach it from the start. Needs Debian's `xvfb`, `x11-apps`
//! (xwd) and `xdotool`, which CI installs.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common;

fn storepos(dir: &Path) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("storepos"));
    cmd.current_dir(dir)
        .env_remove("STOREPOS_CONFIG")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY");
    cmd
}

#[test]
fn without_a_display_the_touch_ui_says_so_and_exits_2() {
    let work = tempfile::tempdir().unwrap();
    common::seed(work.path());
    let out = storepos(work.path())
        .args(["--data-dir", "store", "terminal"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("no display"), "{said}");
    assert!(said.contains("--headless"), "{said}");
}

/// An X server on a free display number, stopped when dropped.
struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    fn start(width: u32, height: u32) -> Xvfb {
        for n in 90..140 {
            // Another test may be starting a server on the same number at this moment: its
            // lock file may be there before its socket, and whichever server loses exits.
            if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                || Path::new(&format!("/tmp/.X{n}-lock")).exists()
            {
                continue;
            }
            let display = format!(":{n}");
            let mut child = Command::new("Xvfb")
                .args([&display, "-screen", "0", &format!("{width}x{height}x24")])
                .args(["-nolisten", "tcp"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("Xvfb (Debian package xvfb) is needed for this test");
            let started = Instant::now();
            let mut lost = false;
            while !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
                if child.try_wait().ok().flatten().is_some() {
                    lost = true;
                    break;
                }
                assert!(
                    started.elapsed() < Duration::from_secs(10),
                    "Xvfb did not start"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
            // The socket may be the other server's: ours must still be running to be used.
            std::thread::sleep(Duration::from_millis(200));
            if lost || child.try_wait().ok().flatten().is_some() {
                continue;
            }
            return Xvfb { child, display };
        }
        panic!("no free X display number");
    }

    fn run(&self, program: &str, args: &[&str]) -> std::process::Output {
        Command::new(program)
            .args(args)
            .env("DISPLAY", &self.display)
            .output()
            .unwrap_or_else(|e| panic!("{program}: {e}"))
    }

    /// The screen as (width, height, RGB pixels), from `xwd` (X11 dump, 32-bit ZPixmap).
    fn screenshot(&self) -> (usize, usize, Vec<[u8; 3]>) {
        let out = self.run("xwd", &["-root", "-silent"]);
        assert!(out.status.success(), "{out:?}");
        let xwd = out.stdout;
        let word = |i: usize| u32::from_be_bytes(xwd[i * 4..i * 4 + 4].try_into().unwrap());
        let (header, width, height) = (word(0) as usize, word(4) as usize, word(5) as usize);
        let (bpp, line) = (word(11) as usize, word(12) as usize);
        assert_eq!(bpp, 32, "a 24-bit screen dumps 32 bits a pixel");
        let colours = word(19) as usize;
        let data = &xwd[header + colours * 12..];
        let little = word(7) == 0; // byte order
        let pixels = (0..height)
            .flat_map(|y| (0..width).map(move |x| (x, y)))
            .map(|(x, y)| {
                let p = &data[y * line + x * 4..y * line + x * 4 + 4];
                if little {
                    [p[2], p[1], p[0]]
                } else {
                    [p[1], p[2], p[3]]
                }
            })
            .collect();
        (width, height, pixels)
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Till(Child);

impl Drop for Till {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Share of the screen still the bare X server's black background.
fn black_share(pixels: &[[u8; 3]]) -> f64 {
    pixels.iter().filter(|p| **p == [0, 0, 0]).count() as f64 / pixels.len() as f64
}

#[test]
fn on_a_bare_x_server_the_stores_own_till_fills_the_screen_and_takes_the_keys() {
    let work = tempfile::tempdir().unwrap();
    common::seed(work.path());
    let x = Xvfb::start(1280, 800);
    let mut till = Till(
        storepos(work.path())
            .args(["--data-dir", "store", "terminal", "--fullscreen"])
            .env("DISPLAY", &x.display)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // The window appears and covers the whole screen (no window manager to do it).
    let started = Instant::now();
    let (width, height, pixels) = loop {
        if let Some(status) = till.0.try_wait().unwrap() {
            let mut err = String::new();
            use std::io::Read;
            till.0
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            panic!("the till exited: {status}: {err}");
        }
        let shot = x.screenshot();
        if black_share(&shot.2) < 0.01 {
            break shot;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the till never filled the screen ({:.0}% black)",
            black_share(&shot.2) * 100.0
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!((width, height), (1280, 800));
    // Not the demo: the simulated devices' strip (a pale blue band under the status bar)
    // is not there.
    let strip_blue = pixels[(80 * width)..(100 * width)]
        .iter()
        .filter(|p| p[2] > 200 && p[0] < 240 && p[2] as i32 - p[0] as i32 > 10)
        .count();
    assert!(
        strip_blue < width / 4,
        "a demo strip is shown on the store's till ({strip_blue} pale blue pixels)"
    );
    // A keyboard-wedge scanner types into the till with nobody clicking first: the
    // operator id typed at the sign-in screen lands in its field, so the screen changes.
    let before = pixels.clone();
    let typed = x.run("xdotool", &["type", "--delay", "30", "1001"]);
    assert!(typed.status.success(), "{typed:?}");
    let changed = (0..20).any(|_| {
        std::thread::sleep(Duration::from_millis(150));
        x.screenshot().2 != before
    });
    assert!(changed, "the keys typed did not reach the till");
    assert!(
        till.0.try_wait().unwrap().is_none(),
        "the till is still running"
    );
    // SIGTERM (how systemd stops the till) closes it through its normal path: exit 0.
    let pid = till.0.id().to_string();
    let term = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(term.success());
    let asked = Instant::now();
    let status = loop {
        if let Some(status) = till.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            asked.elapsed() < Duration::from_secs(15),
            "the till did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut err = String::new();
    use std::io::Read;
    till.0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "{status}: {err}");
}

/// A pseudo-terminal standing in for a serial device: the till opens `path`; the test
/// holds the master side.
struct Pty {
    master: serialport::TTYPort,
    path: String,
}

impl Pty {
    fn new() -> Pty {
        use serialport::SerialPort;
        let (master, slave) = serialport::TTYPort::pair().expect("a pseudo-terminal pair");
        let path = slave.name().expect("the slave's path");
        drop(slave);
        Pty { master, path }
    }
}

/// Collects whatever the till writes to a pty, on a thread, until the test ends.
fn record(mut pty: Pty) -> (String, std::sync::Arc<std::sync::Mutex<Vec<u8>>>) {
    use serialport::SerialPort;
    use std::io::Read;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let into = seen.clone();
    pty.master.set_timeout(Duration::from_millis(50)).unwrap();
    let path = pty.path.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1024];
        loop {
            match pty.master.read(&mut buf) {
                Ok(0) => std::thread::sleep(Duration::from_millis(20)),
                Ok(n) => into.lock().unwrap().extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    });
    (path, seen)
}

/// A Toledo 8217 scale with `kg` on its platter, answering every `W` on a pty.
fn scale_with(mut pty: Pty, kg: &'static str) -> String {
    use serialport::SerialPort;
    use std::io::{Read, Write};
    pty.master.set_timeout(Duration::from_millis(50)).unwrap();
    let path = pty.path.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 64];
        loop {
            if let Ok(n) = pty.master.read(&mut buf)
                && buf[..n].contains(&b'W')
            {
                let _ = pty.master.write_all(format!("\x02{kg}\r").as_bytes());
            }
        }
    });
    path
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Waits up to ten seconds for `done`.
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(10), "{what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A new store's first sale, as its README tells it: its own CSVs imported, its own
/// configuration naming the counter's serial devices (here pseudo-terminals: scanner,
/// scale, card reader, line display) and a receipt printer on a device file, then
/// `storepos terminal` full screen. The cashier works the keyboard only: signs in, opens
/// the shift; the scanner scans, a PLU is weighed on the scale, the member swipes their
/// card, F12 goes to payment, Enter pays the amount due in cash. The line display showed
/// the item and the change, the receipt was printed, and the sale is in the store.
#[test]
fn a_new_store_sells_on_its_own_till_with_its_own_devices() {
    use std::io::Write;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    for (what, text) in [
        (
            "products",
            "gtin,name,price,tax_rate,name_en,department,category,brand_type,manufacturer,member_price,bonus_points,weighed,plu,restricted\n\
             6901234567892,Corner mineral water,3.50,13,Corner mineral water,Grocery,Beverages,private,,,,0,,0\n\
             6920000000463,Gala apples (per kg),12.00,9,Gala apples (per kg),Fresh,Fruit,unknown,,,,1,4132,0\n",
        ),
        (
            "members",
            "card,name,phone,tier,points,home_store,email\n6200555500001111,Wang Fang,13700137000,standard,0,C01,\n",
        ),
        (
            "operators",
            "id,name,role,pin\n3001,Liu Yang,cashier,2468\n",
        ),
    ] {
        std::fs::write(dir.join(format!("{what}.csv")), text).unwrap();
    }
    let scanner = Pty::new();
    let mut card = Pty::new();
    let (display_path, display) = record(Pty::new());
    let scale_path = scale_with(Pty::new(), "01.250");
    let printer = dir.join("receipts.bin");
    std::fs::write(&printer, b"").unwrap();
    std::fs::write(
        dir.join("storepos.toml"),
        format!(
            r#"[store]
id = "C01"
name = "Corner Grocer"
language = "en"

[terminal]
id = "T1"

[devices.scanner]
kind = "serial"
path = "{scanner}"

[devices.card_reader]
kind = "mag_stripe"
path = "{card}"

[devices.display]
kind = "serial"
path = "{display_path}"
encoding = "ascii"

[devices.scale]
kind = "serial"
path = "{scale_path}"

[devices.printer.connection]
kind = "file"
path = "{printer}"
"#,
            scanner = scanner.path,
            card = card.path,
            printer = printer.display(),
        ),
    )
    .unwrap();
    for what in ["products", "members", "operators"] {
        let out = storepos(dir)
            .args([
                "--config",
                "storepos.toml",
                "--data-dir",
                "store",
                "import",
                what,
            ])
            .arg(format!("{what}.csv"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }

    let x = Xvfb::start(1024, 768);
    let till = Till(
        storepos(dir)
            .args(["--config", "storepos.toml", "--data-dir", "store"])
            .args(["terminal", "--fullscreen"])
            .env("DISPLAY", &x.display)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    eventually("the till fills the screen", || {
        black_share(&x.screenshot().2) < 0.01
    });
    let keys = |args: &[&str]| {
        let out = x.run("xdotool", args);
        assert!(out.status.success(), "{out:?}");
        std::thread::sleep(Duration::from_millis(300));
    };
    let sale_db = dir.join("store").join("terminal.db");
    let shift_open = || {
        rusqlite::Connection::open(&sale_db)
            .and_then(|c| c.query_row("SELECT count(*) FROM shifts", [], |r| r.get::<_, i64>(0)))
            .unwrap_or(0)
            > 0
    };
    // Sign in and count the opening float, on the keyboard.
    keys(&["type", "--delay", "30", "3001"]);
    keys(&["key", "Return"]);
    keys(&["type", "--delay", "30", "2468"]);
    keys(&["key", "Return"]);
    keys(&["type", "--delay", "30", "200"]);
    keys(&["key", "Return"]);
    eventually("the shift opens", shift_open);

    // The scanner reads the water; the line display shows it.
    let mut scanner = scanner;
    scanner.master.write_all(b"6901234567892\r").unwrap();
    eventually("the display shows the scanned item", || {
        contains(&display.lock().unwrap(), "Corner mineral")
    });
    // The apples' PLU typed in the scan field: weighed on the scale, 1.250 kg.
    keys(&["type", "--delay", "30", "4132"]);
    keys(&["key", "Return"]);
    eventually("the display shows the weighed apples", || {
        contains(&display.lock().unwrap(), "15.00")
    });
    // The member swipes their card.
    card.master
        .write_all(b"%B6200555500001111^WANG/FANG^2712101?;6200555500001111=2712101?\r")
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    // The total key, then Enter pays what is due in cash.
    keys(&["key", "F12"]);
    keys(&["key", "Return"]);
    let sale = || {
        rusqlite::Connection::open(&sale_db).ok().and_then(|c| {
            c.query_row(
                "SELECT member_id, total FROM sales WHERE kind = 'sale'",
                [],
                |r| Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)?)),
            )
            .ok()
        })
    };
    eventually("the sale is kept", || sale().is_some());
    let (member, total) = sale().unwrap();
    assert_eq!(
        total,
        350 + 1500,
        "3.50 water and 1.250 kg of apples at 12.00"
    );
    assert!(member.is_some(), "the swiped member is on the sale");
    eventually("the receipt is printed", || {
        let printed = std::fs::read(&printer).unwrap();
        contains(&printed, "Corner Grocer") && contains(&printed, "18.50")
    });
    eventually("the display thanks the customer", || {
        contains(&display.lock().unwrap(), "Thank you")
    });
    // The sale-complete panel shows the printed receipt; the screen is kept for a look.
    let (width, height, pixels) = x.screenshot();
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("ui-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let file = std::fs::File::create(shots.join("new-store-first-sale.png")).unwrap();
    let mut png = png::Encoder::new(file, width as u32, height as u32);
    png.set_color(png::ColorType::Rgb);
    let mut writer = png.write_header().unwrap();
    writer.write_image_data(&pixels.concat()).unwrap();
    drop(till);
}
