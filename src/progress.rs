//! Progress of long jobs (imports of large files, making and judging shopping lists) on a
//! terminal: drawn on standard error when it is one, silent otherwise, so logs, pipes and
//! systemd's journal get only the jobs' own lines.
//!
//! [`reading`] counts the bytes a reader gives (a file's size is known before it is read,
//! compressed or not); [`Working`] is a spinner with the elapsed time for a job whose length
//! is not known in advance; [`Counting`] counts the steps of a job of known length. Each
//! clears its line when it is dropped.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};

fn bar(bar: ProgressBar, style: ProgressStyle, what: &str) -> ProgressBar {
    // stderr: drawn only when it is a terminal.
    bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(10));
    bar.with_style(style)
        .with_message(what.to_string())
        .with_finish(ProgressFinish::AndClear)
}

/// `source`, `total` bytes of `what`, counting on a progress line what it gives.
pub fn reading<R: Read>(what: &str, total: u64, source: R) -> impl Read + use<R> {
    let style = ProgressStyle::with_template(
        "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar(ProgressBar::new(total), style, what).wrap_read(source)
}

/// Opens the file at `path` with a progress line of its size.
pub fn open_file(path: &Path) -> std::io::Result<impl Read + use<>> {
    let file = std::fs::File::open(path)?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(reading(&name, size, file))
}

/// A job of `total` steps (members stored, lists made), counted on a progress line.
pub struct Counting(ProgressBar);

impl Counting {
    pub fn new(what: &str, total: u64) -> Counting {
        let style =
            ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({per_sec}, {eta} left)")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
        Counting(bar(ProgressBar::new(total), style, what))
    }

    /// One more step done.
    pub fn step(&self) {
        self.0.inc(1);
    }
}

impl Drop for Counting {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// A job of unknown length under way: a spinner with its elapsed time.
pub struct Working(ProgressBar);

impl Working {
    pub fn new(what: &str) -> Working {
        let style = ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let spinner = bar(ProgressBar::new_spinner(), style, what);
        spinner.enable_steady_tick(Duration::from_millis(120));
        Working(spinner)
    }

    /// Says what the job does now.
    pub fn now(&self, what: &str) {
        self.0.set_message(what.to_string());
    }
}

impl Drop for Working {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_through_a_progress_line_gives_every_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rows.csv");
        let text = "a,b\n".repeat(100_000);
        std::fs::write(&path, &text).unwrap();
        let mut read = String::new();
        open_file(&path).unwrap().read_to_string(&mut read).unwrap();
        assert_eq!(read, text);
        assert!(open_file(&dir.path().join("missing.csv")).is_err());
    }
}
