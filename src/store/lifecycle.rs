//! The life of a data directory: new, alive, or alive once and now missing its sales file.
//!
//! Invariant: `terminal.db` is created only in a directory that never held a till's life
//! (no signing key, no catalogue with content, no settings from HQ, no retired terminal id),
//! or by an explicit re-provisioning under a new terminal id. A lost `terminal.db` re-created
//! silently would restart receipt numbers and outbox sequences at 1, and HQ, which holds the
//! old sequence for that terminal id, would take the new events for duplicates of old ones.
//! An empty (0-byte) `terminal.db` or `catalogue.db` is never a fresh start either.

use std::path::{Path, PathBuf};

use super::{CATALOGUE_FILE, StoreError, TERMINAL_FILE};

/// File listing the terminal ids this directory served before a re-provisioning, one a
/// line: none of them may be used again here.
pub const RETIRED_FILE: &str = "retired-terminals";

/// What the remedy for a lost `terminal.db` is, as told in every refusal.
const REMEDY: &str = "restore terminal.db (with terminal.db-wal if it was saved) from a backup, \
or re-provision this till under a new terminal id with \
`storepos init --reprovision --terminal NEW_ID` (HQ holds the old id's sequence)";

/// How a database file of the directory is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileState {
    Missing,
    /// Present with 0 bytes: never a database SQLite made (it writes its header first).
    Empty,
    Present,
}

/// What a data directory holds, as far as its life is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Survey {
    pub terminal: FileState,
    pub catalogue: FileState,
    /// Files that show the directory served a till before (names, for messages).
    pub evidence: Vec<&'static str>,
}

impl Survey {
    /// Whether the directory shows an earlier life.
    pub fn lived(&self) -> bool {
        !self.evidence.is_empty()
    }
}

fn state(path: &Path) -> Result<FileState, StoreError> {
    match std::fs::metadata(path) {
        Ok(m) if m.len() == 0 => Ok(FileState::Empty),
        Ok(_) => Ok(FileState::Present),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(FileState::Missing),
        Err(source) => Err(StoreError::DataDir {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Looks at the directory without changing anything.
pub fn survey(dir: &Path) -> Result<Survey, StoreError> {
    let terminal = state(&dir.join(TERMINAL_FILE))?;
    let catalogue = state(&dir.join(CATALOGUE_FILE))?;
    let mut evidence = Vec::new();
    if catalogue == FileState::Present {
        evidence.push(CATALOGUE_FILE);
    }
    for name in [
        crate::journal::KEY_FILE,
        crate::settings::FILE,
        RETIRED_FILE,
        "terminal.db-wal",
    ] {
        if state(&dir.join(name))? != FileState::Missing {
            evidence.push(name);
        }
    }
    Ok(Survey {
        terminal,
        catalogue,
        evidence,
    })
}

/// Refuses a directory whose sales file is lost or empty, or whose catalogue is empty.
pub fn check(dir: &Path) -> Result<(), StoreError> {
    check_terminal(dir)?;
    check_catalogue(dir)
}

/// Refuses a directory whose sales file is lost (it served a till before) or empty.
pub fn check_terminal(dir: &Path) -> Result<(), StoreError> {
    let survey = survey(dir)?;
    let lost = |what: String| StoreError::Lost {
        dir: dir.to_path_buf(),
        what,
        remedy: REMEDY,
    };
    match survey.terminal {
        FileState::Empty => Err(lost(format!(
            "{TERMINAL_FILE} is empty (0 bytes): its sales, journal and outbox are gone"
        ))),
        FileState::Missing if survey.lived() => Err(lost(format!(
            "{TERMINAL_FILE} is missing, but the directory served a till before ({} present)",
            survey.evidence.join(", ")
        ))),
        FileState::Missing | FileState::Present => Ok(()),
    }
}

/// Refuses an empty (0-byte) catalogue: a missing one is fetched again, an empty one is a
/// fault to explain.
pub fn check_catalogue(dir: &Path) -> Result<(), StoreError> {
    if state(&dir.join(CATALOGUE_FILE))? == FileState::Empty {
        return Err(StoreError::Lost {
            dir: dir.to_path_buf(),
            what: format!(
                "{CATALOGUE_FILE} is empty (0 bytes): its products, members and operators are gone"
            ),
            remedy: "remove it and load the catalogue again from HQ (`storepos sync`) or with \
                     `storepos import`",
        });
    }
    Ok(())
}

/// The terminal ids this directory served before (see [`RETIRED_FILE`]).
pub fn retired(dir: &Path) -> Result<Vec<String>, StoreError> {
    let path = dir.join(RETIRED_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(StoreError::DataDir { path, source }),
    }
}

/// Whether `terminal.db` opens as a SQLite database with tables (read only).
fn terminal_readable(dir: &Path) -> bool {
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY;
    rusqlite::Connection::open_with_flags(dir.join(TERMINAL_FILE), flags)
        .and_then(|c| {
            c.query_row("SELECT COUNT(*) FROM sqlite_master", [], |r| {
                r.get::<_, i64>(0)
            })
        })
        .is_ok_and(|n| n > 0)
}

/// Prepares a directory whose `terminal.db` is lost (missing, empty or unreadable) for a new
/// life under `new_terminal`: the old sales file, its WAL and the old signing key (and an
/// empty catalogue) are moved into a new `set-aside-…` folder, and `lost_terminal` is
/// recorded as retired. Returns that folder. The caller then creates the new store.
pub fn set_aside(
    dir: &Path,
    lost_terminal: &str,
    new_terminal: &str,
) -> Result<PathBuf, StoreError> {
    let survey = survey(dir)?;
    let refuse = |why: String| StoreError::Reprovision(why);
    if survey.terminal == FileState::Present && terminal_readable(dir) {
        return Err(refuse(format!(
            "{} holds a readable {TERMINAL_FILE}: there is nothing to re-provision",
            dir.display()
        )));
    }
    if survey.terminal == FileState::Missing && !survey.lived() {
        return Err(refuse(format!(
            "{} never served a till: `storepos init` creates its databases",
            dir.display()
        )));
    }
    let mut used = retired(dir)?;
    used.push(lost_terminal.to_string());
    if used.iter().any(|id| id == new_terminal) {
        return Err(refuse(format!(
            "terminal id '{new_terminal}' already served this directory (used: {}); HQ holds \
             its sequence, so the new life needs an id of its own",
            used.join(", ")
        )));
    }
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let aside = dir.join(format!("set-aside-{stamp}-{lost_terminal}"));
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| StoreError::DataDir { path, source }
    };
    std::fs::create_dir(&aside).map_err(io(&aside))?;
    let mut names: Vec<&str> = vec![
        TERMINAL_FILE,
        "terminal.db-wal",
        "terminal.db-shm",
        crate::journal::KEY_FILE,
    ];
    if survey.catalogue == FileState::Empty {
        names.extend([CATALOGUE_FILE, "catalogue.db-wal", "catalogue.db-shm"]);
    }
    for name in names {
        let from = dir.join(name);
        if from.exists() {
            std::fs::rename(&from, aside.join(name)).map_err(io(&from))?;
        }
    }
    let mut text = used.join("\n");
    text.push('\n');
    let path = dir.join(RETIRED_FILE);
    std::fs::write(&path, text).map_err(io(&path))?;
    Ok(aside)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_directory_is_not_refused_and_a_lived_one_without_its_sales_file_is() {
        let dir = tempfile::tempdir().unwrap();
        check(dir.path()).unwrap();
        std::fs::write(dir.path().join(crate::journal::KEY_FILE), "00").unwrap();
        let err = check(dir.path()).unwrap_err().to_string();
        assert!(err.contains("terminal.db is missing"), "{err}");
        assert!(err.contains("terminal.key"), "{err}");
        assert!(err.contains("--reprovision"), "{err}");
    }

    #[test]
    fn empty_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(TERMINAL_FILE), "").unwrap();
        let err = check(dir.path()).unwrap_err().to_string();
        assert!(err.contains("0 bytes"), "{err}");
        std::fs::remove_file(dir.path().join(TERMINAL_FILE)).unwrap();
        std::fs::write(dir.path().join(CATALOGUE_FILE), "").unwrap();
        let err = check(dir.path()).unwrap_err().to_string();
        assert!(err.contains("catalogue.db is empty"), "{err}");
    }

    #[test]
    fn setting_aside_needs_a_new_id_and_records_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(crate::journal::KEY_FILE), "00").unwrap();
        std::fs::write(dir.path().join(TERMINAL_FILE), "").unwrap();
        let err = set_aside(dir.path(), "T01", "T01").unwrap_err().to_string();
        assert!(err.contains("already served"), "{err}");
        let aside = set_aside(dir.path(), "T01", "T02").unwrap();
        assert!(aside.join(TERMINAL_FILE).exists());
        assert!(aside.join(crate::journal::KEY_FILE).exists());
        assert!(!dir.path().join(TERMINAL_FILE).exists());
        assert_eq!(retired(dir.path()).unwrap(), ["T01"]);
        // The retired id stays refused.
        let err = set_aside(dir.path(), "T02", "T01").unwrap_err().to_string();
        assert!(err.contains("already served"), "{err}");
    }
}
