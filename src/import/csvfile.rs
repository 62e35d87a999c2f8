//! Shared CSV handling: header checks (required, optional, unknown columns) and field
//! access by name.

use std::path::Path;

use super::ImportError;

/// Column positions resolved from a header row.
///
/// A header has a dozen columns at most, so a linear scan beats hashing the name on
/// every field of every row.
pub struct Columns {
    index: Vec<(String, usize)>,
}

impl Columns {
    /// Checks the header: every required column present, no unknown or repeated column.
    pub fn resolve(
        path: &Path,
        header: &csv::StringRecord,
        required: &[&str],
        optional: &[&str],
    ) -> Result<Columns, ImportError> {
        let format = |message: String| ImportError::Format {
            path: path.to_path_buf(),
            message: format!("line 1: {message}"),
        };
        let mut index: Vec<(String, usize)> = Vec::new();
        for (i, name) in header.iter().enumerate() {
            let name = name
                .trim()
                .trim_start_matches('\u{feff}')
                .to_ascii_lowercase();
            if !required.contains(&name.as_str()) && !optional.contains(&name.as_str()) {
                return Err(format(format!(
                    "unknown column '{name}' (required: {}; optional: {})",
                    required.join(","),
                    optional.join(",")
                )));
            }
            if index.iter().any(|(n, _)| *n == name) {
                return Err(format(format!("column '{name}' appears twice")));
            }
            index.push((name, i));
        }
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|c| !index.iter().any(|(n, _)| n == *c))
            .collect();
        if !missing.is_empty() {
            return Err(format(format!(
                "missing required column{} {}",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", ")
            )));
        }
        Ok(Columns { index })
    }

    /// The trimmed field, or "" when the column is absent or the row is short.
    pub fn get<'r>(&self, record: &'r csv::StringRecord, name: &str) -> &'r str {
        self.index
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, i)| record.get(*i))
            .map(str::trim)
            .unwrap_or("")
    }

    /// The field if present and not empty.
    pub fn opt<'r>(&self, record: &'r csv::StringRecord, name: &str) -> Option<&'r str> {
        Some(self.get(record, name)).filter(|s| !s.is_empty())
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}

/// Opens a CSV file with a header row; rows may not have a different number of fields.
/// On a terminal, a progress line shows how much of the file is read.
pub fn open(path: &Path) -> Result<csv::Reader<impl std::io::Read + use<>>, ImportError> {
    let file = crate::progress::open_file(path).map_err(|source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(reader(file))
}

/// A CSV reader with a header row over any byte source.
pub fn reader<R: std::io::Read>(source: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .buffer_capacity(1 << 20)
        .from_reader(source)
}

/// Reads the header row.
pub fn header<R: std::io::Read>(
    path: &Path,
    reader: &mut csv::Reader<R>,
) -> Result<csv::StringRecord, ImportError> {
    reader.headers().cloned().map_err(|e| csv_error(path, e))
}

/// A CSV-level error (bad UTF-8, wrong field count) as an import error with its line.
pub fn csv_error(path: &Path, e: csv::Error) -> ImportError {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("line {line}: {len} fields, the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => format!("line {line}: not valid UTF-8"),
        csv::ErrorKind::Io(io) => format!("read error: {io}"),
        _ => format!("line {line}: {e}"),
    };
    ImportError::Format {
        path: path.to_path_buf(),
        message,
    }
}

/// Parses a yes/no flag as spreadsheets write them.
pub fn parse_flag(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "" | "0" | "false" | "no" | "n" | "f" => Some(false),
        "1" | "true" | "yes" | "y" | "t" => Some(true),
        _ => None,
    }
}

/// Feeds every data row to `handle` with its line number. Rows the CSV reader itself
/// rejects (wrong field count, bad UTF-8) become row errors; read failures abort.
/// Returns the number of data rows seen.
pub(crate) fn each_row<R, F>(
    path: &Path,
    reader: &mut csv::Reader<R>,
    errors: &mut super::Errors,
    mut handle: F,
) -> Result<u64, ImportError>
where
    R: std::io::Read,
    F: FnMut(u64, &csv::StringRecord, &mut super::Errors) -> Result<(), ImportError>,
{
    let mut record = csv::StringRecord::new();
    let mut rows = 0;
    loop {
        let line_before = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(rows),
            Ok(true) => {}
            Err(e) if e.is_io_error() => return Err(csv_error(path, e)),
            Err(e) => {
                rows += 1;
                let line = e.position().map(|p| p.line()).unwrap_or(line_before);
                errors.push(line, csv_error(path, e).to_string());
                continue;
            }
        }
        rows += 1;
        let line = record.position().map(|p| p.line()).unwrap_or(line_before);
        handle(line, &record, errors)?;
    }
}
