//! Bulk loaders: products, members and operators from CSV, and the Complete Journey data
//! set as a realistic store.
//!
//! Invariant: an import is all or nothing. Every row is validated inside one transaction;
//! if any row is bad the transaction is rolled back and the errors are reported with
//! their line numbers, so a half-loaded catalogue never reaches a till.

pub mod codes;
pub mod completejourney;
mod csvfile;
pub mod members;
pub mod operators;
pub mod products;
pub mod promotions;

use std::fmt;
use std::path::PathBuf;

pub use csvfile::{Columns, reader as csvfile_reader};

/// At most this many bad rows are listed; the rest are counted.
pub const MAX_REPORTED: usize = 20;

/// One bad row: its 1-based line number in the file and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub message: String,
}

/// Why an import changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {}", RowList(.errors, *.total))]
    Rows {
        path: PathBuf,
        errors: Vec<RowError>,
        total: usize,
    },
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl ImportError {
    /// The bad rows, for callers and tests that want to inspect them.
    pub fn row_errors(&self) -> &[RowError] {
        match self {
            ImportError::Rows { errors, .. } => errors,
            _ => &[],
        }
    }
}

struct RowList<'a>(&'a [RowError], usize);

impl fmt::Display for RowList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} bad row{}; nothing was imported",
            self.1,
            if self.1 == 1 { "" } else { "s" }
        )?;
        for e in self.0 {
            write!(f, "\n  line {}: {}", e.line, e.message)?;
        }
        if self.1 > self.0.len() {
            write!(f, "\n  … and {} more", self.1 - self.0.len())?;
        }
        Ok(())
    }
}

/// Collects row errors while an import runs.
#[derive(Default)]
pub(crate) struct Errors {
    listed: Vec<RowError>,
    total: usize,
}

impl Errors {
    pub fn push(&mut self, line: u64, message: impl Into<String>) {
        self.total += 1;
        if self.listed.len() < MAX_REPORTED {
            self.listed.push(RowError {
                line,
                message: message.into(),
            });
        }
    }

    /// Moves the errors of `other` into this collector.
    pub fn append(&mut self, other: &mut Errors) {
        let taken = std::mem::take(other);
        self.total += taken.total;
        let room = MAX_REPORTED.saturating_sub(self.listed.len());
        self.listed.extend(taken.listed.into_iter().take(room));
        self.listed.sort_by_key(|e| e.line);
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Turns collected errors into the import's failure, leaving the collector empty.
    pub fn take_result(&mut self, path: &std::path::Path) -> Result<(), ImportError> {
        if self.total == 0 {
            return Ok(());
        }
        let taken = std::mem::take(self);
        Err(ImportError::Rows {
            path: path.to_path_buf(),
            errors: taken.listed,
            total: taken.total,
        })
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    pub rows: u64,
    pub detail: String,
}
