//! Driving the HQ console in headless Chromium (chromedriver) or Firefox (geckodriver): a
//! browser at a window size, staff accounts made through the CLI, logging in, waiting for
//! what a page shows, and screenshots under `target/ui-screenshots/console/`.

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use super::hq::{free_port, storepos};

/// chromedriver (or geckodriver) on a free port, stopped with the test.
pub struct Driver {
    child: Child,
    pub url: String,
    firefox: bool,
}

/// geckodriver: `$GECKODRIVER`, else on the `PATH` or in cargo's bin directory (`.ci/run`
/// installs it with `cargo install geckodriver`).
fn geckodriver() -> std::path::PathBuf {
    if let Some(path) = std::env::var_os("GECKODRIVER") {
        return path.into();
    }
    let home = std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cargo/bin"));
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(home)
        .map(|dir| dir.join("geckodriver"))
        .find(|path| path.exists())
        .expect("geckodriver is missing: `cargo install geckodriver` and Debian's firefox-esr (.ci/run does)")
}

impl Driver {
    pub fn start() -> Driver {
        let binary = "/usr/bin/chromedriver";
        assert!(
            std::path::Path::new(binary).exists(),
            "{binary} is missing: install Debian's chromium and chromium-driver (.ci/run does)"
        );
        Driver::run(binary.into(), false)
    }

    /// geckodriver, driving Debian's Firefox ESR.
    pub fn firefox() -> Driver {
        assert!(
            std::path::Path::new(FIREFOX).exists(),
            "{FIREFOX} is missing: install Debian's firefox-esr (.ci/run does)"
        );
        Driver::run(geckodriver(), true)
    }

    fn run(binary: std::path::PathBuf, firefox: bool) -> Driver {
        let port = free_port();
        let child = Command::new(&binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{} did not start",
                binary.display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Driver {
            child,
            url,
            firefox,
        }
    }
}

const FIREFOX: &str = "/usr/bin/firefox-esr";

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn browser(driver: &Driver, width: u32, height: u32) -> Client {
    let mut caps = serde_json::Map::new();
    if driver.firefox {
        caps.insert(
            "moz:firefoxOptions".into(),
            json!({
                "binary": FIREFOX,
                "args": ["-headless", "-width", width.to_string(), "-height", height.to_string()],
                "prefs": {"intl.accept_languages": "en-US"}
            }),
        );
    } else {
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         format!("--window-size={width},{height}"), "--lang=en-US"]
            }),
        );
    }
    // Two rustls providers are linked (as in HQ itself): name the one to use.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    ClientBuilder::rustls()
        .expect("rustls")
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("the browser's driver answers")
}

/// Adds a staff account through the CLI, the password on standard input.
pub fn add_staff(dir: &std::path::Path, args: &[&str], password: &str) {
    let mut child = storepos(dir)
        .args(["hq", "staff", "add"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub struct Shots {
    pub dir: std::path::PathBuf,
    pub backend: &'static str,
}

impl Shots {
    pub async fn take(&self, c: &Client, name: &str, lang: &str) {
        let png = c.screenshot().await.unwrap();
        let path = self.dir.join(format!("{}-{name}-{lang}.png", self.backend));
        std::fs::write(&path, png).unwrap();
    }
}

/// The text of the element `css` finds, once the page shows it (a page a click leads to
/// may still be loading: its element is found again until it answers).
pub async fn text(c: &Client, css: &str) -> String {
    let started = Instant::now();
    loop {
        if let Ok(e) = c.find(Locator::Css(css)).await
            && let Ok(t) = e.text().await
        {
            return t;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "no {css}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the browser's address holds `part` (a click's page has loaded).
pub async fn arrives(c: &Client, part: &str) -> url::Url {
    let started = Instant::now();
    loop {
        let url = c.current_url().await.unwrap();
        if url.as_str().contains(part) {
            return url;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "at {url}, not {part}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the element `css` finds reads `want` (after a form's answer has loaded).
pub async fn shows(c: &Client, css: &str, want: &str) {
    let started = Instant::now();
    loop {
        let now = text(c, css).await;
        if now == want {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{css} shows {now}, not {want}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn login(c: &Client, base: &str, login: &str, password: &str) {
    c.goto(&format!("{base}console/login")).await.unwrap();
    c.find(Locator::Css("input[name=login]"))
        .await
        .unwrap()
        .send_keys(login)
        .await
        .unwrap();
    c.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    c.find(Locator::Css("main.login button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The first page of the role replaces the login page.
    let started = Instant::now();
    while c.current_url().await.unwrap().path() == "/console/login" {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{login} was not logged in"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A URL-encoded form body.
pub fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

pub async fn session_cookie(c: &Client) -> String {
    let cookie = c.get_named_cookie("storepos_session").await.unwrap();
    format!("storepos_session={}", cookie.value())
}
