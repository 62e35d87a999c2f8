//! `storepos doctor`: checks the whole till and says, for each thing that is wrong, what to
//! do about it. The configuration; the data directory (present, writable, free space); HQ
//! (reachable, the terminal's token accepted) and the clock against HQ's; the coupon key;
//! a CJK font when the store speaks Chinese; the outbox's backlog and its oldest event;
//! the journal; and every configured device (from `storepos-drivers`).
//!
//! Every check is one [`Check`]: a name, ok / warn / fail, what was found and, when it is
//! not ok, the remedy. [`Report`] prints them as lines, or as one JSON array for
//! monitoring. Nothing here writes to the till's data.

mod hq;
mod local;

use std::fmt;

use serde::Serialize;

use crate::config::{Config, ConfigError, Source};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
        })
    }
}

/// One line of the doctor's report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked, e.g. `data directory`, `hq`, `device: scanner`.
    pub name: String,
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// What to do about it (none when it is ok).
    pub remedy: Option<String>,
}

impl Check {
    pub fn ok(name: &str, detail: impl Into<String>) -> Check {
        Check {
            name: name.to_string(),
            status: Status::Ok,
            detail: detail.into(),
            remedy: None,
        }
    }

    pub fn warn(name: &str, detail: impl Into<String>, remedy: impl Into<String>) -> Check {
        Check {
            name: name.to_string(),
            status: Status::Warn,
            detail: detail.into(),
            remedy: Some(remedy.into()),
        }
    }

    pub fn fail(name: &str, detail: impl Into<String>, remedy: impl Into<String>) -> Check {
        Check {
            name: name.to_string(),
            status: Status::Fail,
            detail: detail.into(),
            remedy: Some(remedy.into()),
        }
    }
}

/// Every check, in the order they ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Report {
    pub checks: Vec<Check>,
}

impl Report {
    /// Whether any check failed (the command's exit status is then non-zero).
    pub fn failed(&self) -> bool {
        self.checks.iter().any(|c| c.status == Status::Fail)
    }

    /// The report as one JSON document: an array of `{name, status, detail, remedy}`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report serialises")
    }

    /// The report of a configuration that could not be loaded: nothing else can be
    /// checked without it.
    pub fn unloadable(error: &ConfigError) -> Report {
        Report {
            checks: vec![Check::fail(
                "config",
                error.to_string(),
                "correct the key (or the environment variable) the error names; \
                 `storepos config default` prints every key with its default",
            )],
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .checks
            .iter()
            .map(|c| c.name.chars().count())
            .max()
            .unwrap_or(0);
        for c in &self.checks {
            writeln!(f, "{:<4}  {:<width$}  {}", c.status, c.name, c.detail)?;
            if let Some(remedy) = c.remedy.as_deref().filter(|_| c.status != Status::Ok) {
                for (i, line) in remedy.lines().enumerate() {
                    let lead = if i == 0 { "to do:" } else { "" };
                    writeln!(f, "{:<4}  {:<width$}  {lead:<6} {line}", "", "")?;
                }
            }
        }
        let count = |s: Status| self.checks.iter().filter(|c| c.status == s).count();
        write!(
            f,
            "{} checks: {} ok, {} warnings, {} failed",
            self.checks.len(),
            count(Status::Ok),
            count(Status::Warn),
            count(Status::Fail)
        )
    }
}

/// Runs every check of the till `config` describes (loaded from `source`).
pub fn run(config: &Config, source: &Source) -> Report {
    let mut checks = vec![config_check(config, source)];
    checks.extend(local::hq_key_files(config));
    checks.push(local::data_dir(&config.data_dir));
    let hq = hq::probe(&config.hq);
    checks.push(hq.check());
    checks.push(hq.clock());
    checks.push(local::coupon_key(config));
    checks.push(local::cjk_font(config));
    checks.extend(local::till_data(config));
    checks.extend(devices(config));
    Report { checks }
}

fn config_check(config: &Config, source: &Source) -> Check {
    let from = match source {
        Source::File(path) => format!("{}: valid", path.display()),
        Source::Defaults => "no configuration file: the built-in defaults".to_string(),
    };
    let vars: Vec<String> = crate::config::env::overrides(std::env::vars_os())
        .unwrap_or_default()
        .into_iter()
        .map(|o| o.var)
        .collect();
    let detail = if vars.is_empty() {
        from
    } else {
        format!("{from}, with {}", vars.join(", "))
    };
    match config.check_till() {
        Ok(()) => Check::ok("config", detail),
        Err(e) => Check::fail(
            "config",
            format!("{detail}; {e}"),
            "remove hq.key_file from the till's configuration",
        ),
    }
}

/// One check per configured device, and one line of what is plugged in.
fn devices(config: &Config) -> Vec<Check> {
    use storepos_drivers::HealthLevel;
    let report = storepos_drivers::doctor_report(&config.devices);
    let mut checks: Vec<Check> = report
        .configured
        .iter()
        .map(|c| {
            let name = format!("device: {}", c.category);
            // The health's detail starts with the device's name, most of the time.
            let said = c
                .health
                .detail
                .strip_prefix(c.name.as_str())
                .map(|d| d.trim_start_matches([':', ' ']))
                .unwrap_or(&c.health.detail);
            let detail = format!("{}: {said}", c.name);
            let remedy = c.hint.clone().unwrap_or_else(|| {
                "check the device's cable and power, and its [devices] entry in the \
                 configuration"
                    .into()
            });
            match c.health.level {
                HealthLevel::Ok => Check::ok(&name, detail),
                HealthLevel::Warning => Check::warn(&name, detail, remedy),
                HealthLevel::Failed => Check::fail(&name, detail, remedy),
            }
        })
        .collect();
    let serial = match &report.serial_error {
        Some(e) => format!("serial ports: cannot list ({e})"),
        None if report.serial_ports.is_empty() => "serial ports: none".into(),
        None => format!(
            "serial ports: {}",
            report
                .serial_ports
                .iter()
                .map(|p| match &p.usb {
                    Some(u) => format!("{} (USB {})", p.path, u.trim()),
                    None => p.path.clone(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let usb = match &report.usb_error {
        Some(e) => format!("USB printers: cannot list ({e})"),
        None if report.usb_printers.is_empty() => "USB printers: none".into(),
        None => format!(
            "USB printers: {}",
            report
                .usb_printers
                .iter()
                .map(|p| format!("{:04x}:{:04x}", p.vendor_id, p.product_id))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let named: Vec<String> = ["scanner0", "printer0", "card0"]
        .iter()
        .map(|n| format!("/dev/storepos-{n}"))
        .filter(|p| std::path::Path::new(p).exists())
        .collect();
    let named = if named.is_empty() {
        "no /dev/storepos-* names (the package's udev rules name known devices)".to_string()
    } else {
        named.join(", ")
    };
    checks.push(Check::ok(
        "devices found",
        format!(
            "{serial}; {usb}; input devices: {}; {named}",
            report.inputs.len()
        ),
    ));
    checks
}
