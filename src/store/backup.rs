//! Backups of a till's data directory, taken while the till sells, and restoring one.
//!
//! [`take`] copies `terminal.db` and `catalogue.db` with SQLite's online backup API (each
//! copy is one consistent snapshot of its file, whatever the till commits meanwhile), the
//! small files the directory cannot live without (the journal's signing key, HQ's
//! settings, the retired terminal ids) as they are, and writes a [`Manifest`] naming the
//! store and terminal, what the journal held and every file's SHA-256. The journal is
//! verified on the copy before the backup is called good.
//!
//! [`restore`] checks a backup before it touches anything: every file as the manifest says,
//! the journal verifies, and it belongs to this store and terminal. The files it replaces
//! are set aside in the data directory, never deleted.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{CATALOGUE_FILE, Identity, TERMINAL_FILE, lifecycle};
use crate::journal::{self, Sealer};

/// The manifest's file name in a backup.
pub const MANIFEST: &str = "backup.json";

/// Files copied as they are, when the data directory has them.
const SMALL_FILES: &[&str] = &[
    journal::KEY_FILE,
    crate::settings::FILE,
    lifecycle::RETIRED_FILE,
];

/// What a backup holds, written beside its files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub store_id: String,
    pub terminal_id: String,
    pub taken_at: DateTime<Utc>,
    /// Entries of the copied journal (every sale and return durable when the copy was made).
    pub journal_entries: u64,
    pub files: Vec<FileDigest>,
}

/// One file of a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDigest {
    pub name: String,
    pub bytes: u64,
    /// Lowercase hex SHA-256 of the file.
    pub sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("{path}: {source}")]
    Sql {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("the backup's journal does not verify: {0}")]
    Journal(String),
    #[error(
        "the backup in {dir} is of store {store}, terminal {terminal}, not of this till (store {expected_store}, terminal {expected_terminal})"
    )]
    OtherTill {
        dir: PathBuf,
        store: String,
        terminal: String,
        expected_store: String,
        expected_terminal: String,
    },
    #[error("{0}")]
    Refused(String),
}

fn file_error(path: &Path, e: impl std::fmt::Display) -> BackupError {
    BackupError::File {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

fn sql_error(path: &Path) -> impl Fn(rusqlite::Error) -> BackupError + '_ {
    move |source| BackupError::Sql {
        path: path.to_path_buf(),
        source,
    }
}

/// Opens a database file for reading only, refusing a file that is missing.
fn open_read_only(path: &Path) -> Result<Connection, BackupError> {
    if !path.is_file() {
        return Err(file_error(path, "is missing"));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sql_error(path))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(sql_error(path))?;
    Ok(conn)
}

/// Copies `from` into a new file `to` with the online backup API: pages are copied in
/// steps, and a step that finds the source changed by the till starts again from a
/// consistent state, so the copy is one snapshot.
fn copy_database(from: &Path, to: &Path) -> Result<(), BackupError> {
    let source = open_read_only(from)?;
    let mut copy = Connection::open(to).map_err(sql_error(to))?;
    {
        let backup = rusqlite::backup::Backup::new(&source, &mut copy).map_err(sql_error(to))?;
        backup
            .run_to_completion(256, std::time::Duration::from_millis(5), None)
            .map_err(sql_error(from))?;
    }
    // The copy is a plain rollback-journal file: one file, nothing beside it to lose.
    copy.execute_batch("PRAGMA journal_mode = DELETE;")
        .map_err(sql_error(to))?;
    drop(copy);
    sync_file(to)
}

fn sync_file(path: &Path) -> Result<(), BackupError> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| file_error(path, e))
}

fn digest(dir: &Path, name: &str) -> Result<FileDigest, BackupError> {
    let path = dir.join(name);
    let bytes = std::fs::read(&path).map_err(|e| file_error(&path, e))?;
    Ok(FileDigest {
        name: name.to_string(),
        bytes: bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(&bytes)),
    })
}

/// The store and terminal a `terminal.db` was made for.
fn identity_of(conn: &Connection, path: &Path) -> Result<(String, String), BackupError> {
    let get = |key: &str| -> Result<String, BackupError> {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .map_err(sql_error(path))
    };
    Ok((get("store_id")?, get("terminal_id")?))
}

/// Verifies the journal of the `terminal.db` in `dir` with the key beside it; the number
/// of entries.
fn verify_journal(dir: &Path) -> Result<u64, BackupError> {
    let path = dir.join(TERMINAL_FILE);
    let conn = open_read_only(&path)?;
    let entries: i64 = conn
        .query_row("SELECT COUNT(*) FROM journal", [], |r| r.get(0))
        .map_err(sql_error(&path))?;
    if entries == 0 {
        return Ok(0);
    }
    let key = Sealer::load(dir)
        .map_err(|e| BackupError::Journal(e.to_string()))?
        .verifying_key();
    let verification =
        journal::verify(&conn, &key).map_err(|e| BackupError::Journal(e.to_string()))?;
    if let Some(bad) = verification.first_bad {
        return Err(BackupError::Journal(format!(
            "entry {}: {}",
            bad.receipt_no, bad.reason
        )));
    }
    Ok(verification.entries)
}

/// Backs the data directory `dir` up into `dest`, a new or empty directory.
pub fn take(dir: &Path, dest: &Path) -> Result<Manifest, BackupError> {
    if !dir.join(TERMINAL_FILE).is_file() {
        return Err(file_error(
            &dir.join(TERMINAL_FILE),
            "is missing: this is not a till's data directory",
        ));
    }
    if dest.exists() {
        let mut entries = std::fs::read_dir(dest).map_err(|e| file_error(dest, e))?;
        if entries.next().is_some() {
            return Err(BackupError::Refused(format!(
                "{} is not empty: a backup goes into a new or empty directory",
                dest.display()
            )));
        }
    }
    std::fs::create_dir_all(dest).map_err(|e| file_error(dest, e))?;
    // The signing key is in it: only the till's own user reads a backup.
    restrict(dest)?;
    let mut files = Vec::new();
    for name in [TERMINAL_FILE, CATALOGUE_FILE] {
        copy_database(&dir.join(name), &dest.join(name))?;
        files.push(digest(dest, name)?);
    }
    for name in SMALL_FILES {
        let from = dir.join(name);
        if from.is_file() {
            std::fs::copy(&from, dest.join(name)).map_err(|e| file_error(&from, e))?;
            sync_file(&dest.join(name))?;
            files.push(digest(dest, name)?);
        }
    }
    let journal_entries = verify_journal(dest)?;
    let terminal = dest.join(TERMINAL_FILE);
    let (store_id, terminal_id) = identity_of(&open_read_only(&terminal)?, &terminal)?;
    let manifest = Manifest {
        store_id,
        terminal_id,
        taken_at: Utc::now(),
        journal_entries,
        files,
    };
    write_manifest(dest, &manifest)?;
    Ok(manifest)
}

#[cfg(unix)]
fn restrict(dir: &Path) -> Result<(), BackupError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| file_error(dir, e))
}

#[cfg(not(unix))]
fn restrict(_dir: &Path) -> Result<(), BackupError> {
    Ok(())
}

fn write_manifest(dest: &Path, manifest: &Manifest) -> Result<(), BackupError> {
    let path = dest.join(MANIFEST);
    let text = serde_json::to_string_pretty(manifest).map_err(|e| file_error(&path, e))?;
    let mut file = std::fs::File::create(&path).map_err(|e| file_error(&path, e))?;
    file.write_all(text.as_bytes())
        .and_then(|_| file.sync_all())
        .map_err(|e| file_error(&path, e))
}

/// Checks a backup: its manifest, every file's digest, and its journal.
pub fn check(backup: &Path) -> Result<Manifest, BackupError> {
    let path = backup.join(MANIFEST);
    let text = std::fs::read_to_string(&path).map_err(|e| file_error(&path, e))?;
    let manifest: Manifest = serde_json::from_str(&text)
        .map_err(|e| file_error(&path, format!("is not a backup manifest: {e}")))?;
    for name in [TERMINAL_FILE, CATALOGUE_FILE] {
        if !manifest.files.iter().any(|f| f.name == name) {
            return Err(file_error(&path, format!("names no {name}")));
        }
    }
    for file in &manifest.files {
        let known = [TERMINAL_FILE, CATALOGUE_FILE].contains(&file.name.as_str())
            || SMALL_FILES.contains(&file.name.as_str());
        if !known {
            return Err(file_error(&path, format!("names a file {:?}", file.name)));
        }
        let found = digest(backup, &file.name)?;
        if found != *file {
            return Err(file_error(
                &backup.join(&file.name),
                "differs from what the backup's manifest recorded (damaged or altered)",
            ));
        }
    }
    let entries = verify_journal(backup)?;
    if entries != manifest.journal_entries {
        return Err(BackupError::Journal(format!(
            "it holds {entries} entries, the manifest {}",
            manifest.journal_entries
        )));
    }
    let terminal = backup.join(TERMINAL_FILE);
    let (store, term) = identity_of(&open_read_only(&terminal)?, &terminal)?;
    if (store.as_str(), term.as_str())
        != (manifest.store_id.as_str(), manifest.terminal_id.as_str())
    {
        return Err(file_error(&path, "names another till than its terminal.db"));
    }
    Ok(manifest)
}

/// Where a restore set the files it replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub manifest: Manifest,
    /// The folder holding the files the restore replaced, if there were any.
    pub aside: Option<PathBuf>,
}

/// Restores `backup` into the data directory `dir` of the till `identity`, after
/// [`check`]ing it and that it is this till's. The till must not be running.
pub fn restore(backup: &Path, dir: &Path, identity: &Identity) -> Result<Restored, BackupError> {
    let manifest = check(backup)?;
    if manifest.store_id != identity.store_id || manifest.terminal_id != identity.terminal_id {
        return Err(BackupError::OtherTill {
            dir: backup.to_path_buf(),
            store: manifest.store_id,
            terminal: manifest.terminal_id,
            expected_store: identity.store_id.clone(),
            expected_terminal: identity.terminal_id.clone(),
        });
    }
    std::fs::create_dir_all(dir).map_err(|e| file_error(dir, e))?;
    // Every file is copied in beside its place first, so a disk that fails or fills during
    // the copies leaves the data directory as it was (only `*.restoring` files to remove).
    let partial = |name: &str| dir.join(format!("{name}.restoring"));
    for file in &manifest.files {
        let to = partial(&file.name);
        std::fs::copy(backup.join(&file.name), &to).map_err(|e| file_error(&to, e))?;
        sync_file(&to)?;
    }
    // What is there now is set aside whole, with SQLite's -wal and -shm beside it.
    let present: Vec<String> = [TERMINAL_FILE, CATALOGUE_FILE]
        .iter()
        .flat_map(|db| [db.to_string(), format!("{db}-wal"), format!("{db}-shm")])
        .chain(SMALL_FILES.iter().map(|s| s.to_string()))
        .filter(|name| dir.join(name).exists())
        .collect();
    let aside = if present.is_empty() {
        None
    } else {
        let folder = dir.join(format!(
            "before-restore-{}",
            Utc::now().format("%Y%m%dT%H%M%S%.3fZ")
        ));
        std::fs::create_dir(&folder).map_err(|e| file_error(&folder, e))?;
        for name in &present {
            std::fs::rename(dir.join(name), folder.join(name))
                .map_err(|e| file_error(&dir.join(name), e))?;
        }
        Some(folder)
    };
    for file in &manifest.files {
        let to = dir.join(&file.name);
        std::fs::rename(partial(&file.name), &to).map_err(|e| file_error(&to, e))?;
    }
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| file_error(dir, e))?;
    Ok(Restored { manifest, aside })
}
