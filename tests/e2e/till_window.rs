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
            if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
                continue;
            }
            let display = format!(":{n}");
            let child = Command::new("Xvfb")
                .args([&display, "-screen", "0", &format!("{width}x{height}x24")])
                .args(["-nolisten", "tcp"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("Xvfb (Debian package xvfb) is needed for this test");
            let started = Instant::now();
            while !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
                assert!(
                    started.elapsed() < Duration::from_secs(10),
                    "Xvfb did not start"
                );
                std::thread::sleep(Duration::from_millis(50));
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
}
