//! The doctor's checks of this machine: the data directory and its free space, HQ's key
//! misplaced on a till, the coupon key, a CJK font, and the till's data (journal, outbox)
//! read through [`crate::store::health`].

use std::path::{Path, PathBuf};

use super::Check;
use crate::config::Config;
use crate::store::health;

/// Below this much free space the data directory is a warning.
pub const WARN_FREE_BYTES: u64 = 1 << 30;
/// Below this much it fails: a sale's commit may not find room.
pub const FAIL_FREE_BYTES: u64 = 100 << 20;

/// An oldest unacknowledged event older than this is a warning…
const OUTBOX_WARN_SECS: i64 = 60 * 60;
/// …and older than this a failure: HQ has not heard from the till for a day.
const OUTBOX_FAIL_SECS: i64 = 24 * 60 * 60;

fn mib(bytes: u64) -> String {
    if bytes >= 1 << 30 {
        format!("{:.1} GiB", bytes as f64 / (1u64 << 30) as f64)
    } else {
        format!("{} MiB", bytes >> 20)
    }
}

/// Bytes free to an unprivileged user on the file system holding `path`.
fn free_bytes(path: &Path) -> std::io::Result<u64> {
    let s = rustix::fs::statvfs(path)?;
    Ok(s.f_bavail.saturating_mul(s.f_frsize))
}

/// Whether a file can be made in `dir` (made and removed at once).
fn writable(dir: &Path) -> std::io::Result<()> {
    tempfile::Builder::new()
        .prefix(".storepos-doctor-")
        .tempfile_in(dir)
        .map(drop)
}

/// The data directory: present, a directory, writable, and its free space.
pub fn data_dir(dir: &Path) -> Check {
    const NAME: &str = "data directory";
    let shown = dir.display();
    if !dir.exists() {
        // The till makes it on first start, if its parent lets it.
        let parent = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        return match writable(parent) {
            Ok(()) => Check::warn(
                NAME,
                format!("{shown} does not exist yet"),
                "run `storepos init` (as the till's user) to make it, or set data_dir",
            ),
            Err(e) => Check::fail(
                NAME,
                format!(
                    "{shown} does not exist, and {} does not let it be made: {e}",
                    parent.display()
                ),
                format!(
                    "make {shown} owned by the till's user (the package's is \
                     /var/lib/storepos), or set data_dir"
                ),
            ),
        };
    }
    if !dir.is_dir() {
        return Check::fail(
            NAME,
            format!("{shown} is not a directory"),
            "point data_dir at a directory",
        );
    }
    if let Err(e) = writable(dir) {
        return Check::fail(
            NAME,
            format!("{shown} is not writable: {e}"),
            format!("give the till's user write access: chown -R storepos:storepos {shown}"),
        );
    }
    match free_bytes(dir) {
        Err(e) => Check::warn(
            NAME,
            format!("{shown} is writable; its free space cannot be read: {e}"),
            "check the free space with `df`",
        ),
        Ok(free) if free < FAIL_FREE_BYTES => Check::fail(
            NAME,
            format!("{shown}: only {} free", mib(free)),
            "free space on its file system now (below 100 MiB a sale may fail to commit)",
        ),
        Ok(free) if free < WARN_FREE_BYTES => Check::warn(
            NAME,
            format!("{shown}: {} free", mib(free)),
            "free space on its file system (less than 1 GiB left)",
        ),
        Ok(free) => Check::ok(NAME, format!("{shown}: writable, {} free", mib(free))),
    }
}

/// Files where HQ's coupon-signing key would be on this machine, that exist: `hq.key_file`
/// (or its default name in the working directory) and the same name in the data directory.
pub fn hq_key_files(config: &Config) -> Option<Check> {
    let named = config.hq.key_file();
    let mut places = vec![named.clone()];
    if let Some(name) = named.file_name() {
        places.push(config.data_dir.join(name));
    }
    places.dedup();
    let found: Vec<PathBuf> = places.into_iter().filter(|p| p.is_file()).collect();
    let file = found.first()?;
    Some(Check::warn(
        "hq signing key",
        format!(
            "HQ's private coupon-signing key is on this machine at {}: a till must not hold \
             it (whoever reads this disk can sign coupons and lists every till accepts)",
            file.display()
        ),
        "if this is a till, move the key to HQ and delete it here; tills need only HQ's \
         public key (loyalty.coupon_key)",
    ))
}

/// `loyalty.coupon_key`: without it the till refuses every coupon and list.
pub fn coupon_key(config: &Config) -> Check {
    const NAME: &str = "coupon key";
    match (&config.loyalty.coupon_key, config.loyalty.coupon_key()) {
        (Some(text), Some(_)) => Check::ok(
            NAME,
            format!(
                "loyalty.coupon_key is set ({}…)",
                &text.trim()[..8.min(text.trim().len())]
            ),
        ),
        _ => Check::warn(
            NAME,
            "loyalty.coupon_key is not set: the till refuses every coupon and shopping list",
            "on HQ run `storepos hq coupon-key` and put what it prints in loyalty.coupon_key",
        ),
    }
}

/// Font files that cover Chinese, by name, under the usual font directories (for when
/// fontconfig's `fc-list` is not installed).
fn cjk_font_files() -> Vec<PathBuf> {
    let mut roots = vec![
        PathBuf::from("/usr/share/fonts"),
        PathBuf::from("/usr/local/share/fonts"),
    ];
    if let Some(home) = std::env::var_os("HOME") {
        roots.push(Path::new(&home).join(".local/share/fonts"));
        roots.push(Path::new(&home).join(".fonts"));
    }
    let looks_cjk = |name: &str| {
        let n = name.to_ascii_lowercase();
        [
            "cjk",
            "wqy",
            "sourcehansans",
            "sourcehanserif",
            "droidsansfallback",
            "notosanssc",
        ]
        .iter()
        .any(|k| n.contains(k))
            && [".ttc", ".otf", ".ttf"].iter().any(|e| n.ends_with(e))
    };
    let mut found = Vec::new();
    let mut stack = roots;
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if looks_cjk(&entry.file_name().to_string_lossy()) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// A font with Chinese glyphs, when the store's language is Chinese: asks fontconfig
/// (`fc-list :lang=zh`, what the touch UI's font lookup uses), else looks for the files.
pub fn cjk_font(config: &Config) -> Check {
    const NAME: &str = "CJK font";
    if config.store.language != crate::domain::org::Language::Zh {
        return Check::ok(NAME, "not needed: store.language is en");
    }
    let listed = std::process::Command::new("fc-list")
        .args([":lang=zh", "family"])
        .stderr(std::process::Stdio::null())
        .output();
    let families = match listed {
        Ok(out) if out.status.success() => Some(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|l| l.split(',').next())
                .map(|f| f.trim().to_string())
                .filter(|f| !f.is_empty())
                .collect::<std::collections::BTreeSet<_>>(),
        ),
        _ => None,
    };
    let remedy = "install a Chinese font: apt install fonts-noto-cjk (a dependency of the \
                  storepos package), then restart the till";
    match families {
        Some(f) if !f.is_empty() => {
            let mut names: Vec<&String> = f.iter().collect();
            let more = names.len().saturating_sub(3);
            names.truncate(3);
            let names: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            Check::ok(NAME, format!("fontconfig has {}{more}", names.join(", ")))
        }
        Some(_) => Check::fail(
            NAME,
            "store.language is zh and fontconfig knows no font for Chinese: the touch UI \
             would draw boxes",
            remedy,
        ),
        None => match cjk_font_files().first() {
            Some(file) => Check::ok(
                NAME,
                format!("{} (fc-list is not installed)", file.display()),
            ),
            None => Check::fail(
                NAME,
                "store.language is zh and no font for Chinese is installed (nor fontconfig's \
                 fc-list): the touch UI would draw boxes",
                remedy,
            ),
        },
    }
}

/// The till's own data: whose it is, the journal, the outbox. Without a `terminal.db`
/// there is nothing to read (the data directory's check says what to do).
pub fn till_data(config: &Config) -> Vec<Check> {
    let dir = &config.data_dir;
    let file = dir.join(crate::store::TERMINAL_FILE);
    if !file.is_file() {
        let detail = format!("not checked: no {}", file.display());
        let remedy = "run `storepos init` (or start the till) to make it";
        return vec![
            Check::warn("journal", detail.clone(), remedy),
            Check::warn("outbox", detail, remedy),
        ];
    }
    let conn = match health::open_read_only(dir) {
        Ok(c) => c,
        Err(e) => {
            let remedy = "check the file's owner and mode; if it is damaged, restore a backup \
                          (`storepos restore DIR`)";
            return vec![
                Check::fail("journal", e.to_string(), remedy),
                Check::fail("outbox", e.to_string(), remedy),
            ];
        }
    };
    let mut checks = Vec::new();
    match health::identity(&conn) {
        Ok((store, terminal))
            if store.as_deref().is_some_and(|s| s != config.store.id)
                || terminal.as_deref().is_some_and(|t| t != config.terminal.id) =>
        {
            checks.push(Check::fail(
                "till identity",
                format!(
                    "{} belongs to store {} terminal {}, but the configuration says store {} \
                     terminal {}",
                    file.display(),
                    store.unwrap_or_default(),
                    terminal.unwrap_or_default(),
                    config.store.id,
                    config.terminal.id
                ),
                "correct store.id / terminal.id, or data_dir",
            ))
        }
        _ => {}
    }
    checks.push(journal(&conn, dir));
    checks.push(outbox(&conn, config));
    checks
}

fn journal(conn: &rusqlite::Connection, dir: &Path) -> Check {
    const NAME: &str = "journal";
    let remedy = "stop selling on this till and keep its data as it is; restore the last good \
                  backup (`storepos restore DIR`) and compare with `storepos journal verify \
                  --against-hq`";
    match health::journal(conn, dir) {
        Err(e) => Check::fail(NAME, format!("cannot be verified: {e}"), remedy),
        Ok(j) => match j.first_bad {
            Some(bad) => Check::fail(
                NAME,
                format!(
                    "entry {} is bad: {} ({} entries read)",
                    bad.receipt_no, bad.reason, j.entries
                ),
                remedy,
            ),
            None if j.entries == 0 => Check::ok(NAME, "empty (nothing sold yet)"),
            None => Check::ok(
                NAME,
                format!(
                    "{} entries verified (chain and signatures), {} sales match their entries",
                    j.entries, j.sales
                ),
            ),
        },
    }
}

fn outbox(conn: &rusqlite::Connection, config: &Config) -> Check {
    const NAME: &str = "outbox";
    let origin = storepos_sync::outbox::Origin {
        store_id: config.store.id.clone(),
        terminal_id: config.terminal.id.clone(),
    };
    let state = match health::outbox(conn, &origin) {
        Ok(s) => s,
        Err(e) => {
            return Check::fail(
                NAME,
                format!("cannot be read: {e}"),
                "restore the last good backup (`storepos restore DIR`)",
            );
        }
    };
    if let Some(conflict) = state.conflict {
        return Check::fail(
            NAME,
            format!(
                "uploads are stopped: {conflict}; {} events wait",
                state.backlog
            ),
            "this data directory and HQ disagree on the till's past: restore this till's \
             last backup, or re-provision it (`storepos init --reprovision --terminal NEW_ID`)",
        );
    }
    let refused = if state.refused > 0 {
        format!("; HQ refused {} events in all", state.refused)
    } else {
        String::new()
    };
    let Some(oldest) = state.oldest else {
        return Check::ok(NAME, format!("empty: HQ has every event{refused}"));
    };
    let age = (chrono::Utc::now() - oldest).num_seconds().max(0);
    let detail = format!(
        "{} events wait for HQ, the oldest from {} ({} ago){refused}",
        state.backlog,
        oldest.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ago(age)
    );
    if config.hq.token.is_none() {
        return Check::warn(
            NAME,
            detail,
            "this till has no hq.token, so nothing is sent: register it (`storepos hq \
             register`) and set hq.token",
        );
    }
    let remedy = "see the hq check above; once HQ is reachable `storepos sync` sends them now \
                  (the running till sends them by itself)";
    if age > OUTBOX_FAIL_SECS {
        Check::fail(NAME, detail, remedy)
    } else if age > OUTBOX_WARN_SECS {
        Check::warn(NAME, detail, remedy)
    } else {
        Check::ok(NAME, detail)
    }
}

/// A duration in seconds as a person says it.
pub fn ago(secs: i64) -> String {
    match secs {
        s if s < 120 => format!("{s} s"),
        s if s < 2 * 3600 => format!("{} min", s / 60),
        s if s < 2 * 86400 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86400),
    }
}
