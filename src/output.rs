//! Writing results: `-o FILE` goes to a temporary file beside FILE that is renamed over it only
//! once complete, so a failed or interrupted run never leaves a truncated report where a
//! pipeline expects one; and the interrupt handler that makes Ctrl-C (or SIGTERM) remove that
//! temporary file and exit with 130.

use anyhow::{Context as _, Result};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The temporary file being written, removed by the interrupt handler.
static PENDING: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Exit code after an interrupt (128 + SIGINT), as shells report it.
pub const INTERRUPTED: i32 = 130;

/// Install the Ctrl-C/SIGTERM handler: remove the pending temporary file, exit 130. A scan in
/// progress holds nothing else that must be cleaned up (it never writes to what it scans).
pub fn on_interrupt() {
    let _ = ctrlc::set_handler(|| {
        if let Ok(mut p) = PENDING.lock() {
            if let Some(path) = p.take() {
                let _ = std::fs::remove_file(path);
            }
        }
        let _ = writeln!(std::io::stderr(), "interrupted");
        std::process::exit(INTERRUPTED);
    });
}

/// The temporary name for `path`: hidden, beside it (same filesystem, so the rename is
/// atomic), unique per process.
fn temp_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    path.with_file_name(format!(".{name}.{}.partial", std::process::id()))
}

/// Write `path` atomically: to a temporary file beside it, flushed to disk, then renamed.
/// On any error the temporary file is removed and `path` is left as it was.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<()> {
    let tmp = temp_name(path);
    if let Ok(mut p) = PENDING.lock() {
        *p = Some(tmp.clone());
    }
    let result = (|| -> std::io::Result<()> {
        let f = std::fs::File::create(&tmp)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 16, f);
        write(&mut w)?;
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Ok(mut p) = PENDING.lock() {
        *p = None;
    }
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("report.json");
        std::fs::write(&out, "old").unwrap();
        let err = write_atomic(&out, |w| {
            w.write_all(b"half")?;
            Err(std::io::Error::other("disk full"))
        });
        assert!(err.is_err());
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        write_atomic(&out, |w| w.write_all(b"new")).unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
