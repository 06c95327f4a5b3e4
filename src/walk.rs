//! Enumerate the regular files of a root, safely.
//!
//! walkdir with `follow_links(false)`: a symlink is never followed, so a link loop cannot trap
//! the walk and a link to `/etc/passwd` cannot lead outside the root. Links are still checked
//! (inside the root, as a chroot resolves them) so that loops and relative links climbing out
//! of the root are listed in the report's errors. FIFOs, sockets and device files are never
//! opened. `/proc`, `/sys`, `/dev` and `/run` under the root are pruned, as are `--exclude`
//! globs; `--one-file-system` keeps to the filesystem of each starting directory.
//!
//! The walk is sequential and cheap (directory reads and `lstat` only); the per-file work that
//! follows runs on rayon. Memory is one small entry per regular file.

use crate::model::ScanError;
use crate::rootfs::{ResolveError, RootFs};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use std::os::unix::fs::FileTypeExt;
use std::path::PathBuf;

/// Top-level directories never walked: kernel and runtime state, not installed software.
pub const PRUNED: &[&str] = &["/proc", "/sys", "/dev", "/run"];

/// What to walk.
#[derive(Debug, Clone, Default)]
pub struct WalkConfig {
    /// System paths to walk (`/` for everything).
    pub paths: Vec<String>,
    /// Exclusion globs on system paths; a glob without `/` matches a file or directory name.
    pub exclude: Vec<String>,
    /// Stay on the filesystem of each starting directory.
    pub one_file_system: bool,
}

/// A regular file found by the walk.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Host path (open with [`crate::rootfs::open_regular`]).
    pub host: PathBuf,
    /// System path.
    pub path: String,
    /// Size from `lstat`.
    pub size: u64,
}

/// Files found and problems met.
#[derive(Debug, Default)]
pub struct Walked {
    /// Regular files, in walk order (sorted by name within each directory).
    pub files: Vec<Entry>,
    /// Unreadable directories, loops, special files, non-UTF-8 names…
    pub errors: Vec<ScanError>,
}

/// Compile `--exclude` globs.
pub fn exclude_set(globs: &[String]) -> crate::Result<GlobSet> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        let pat = if g.contains('/') { g.clone() } else { format!("**/{g}") };
        let glob = GlobBuilder::new(&pat)
            .literal_separator(true)
            .build()
            .map_err(|e| crate::Error::Config(format!("--exclude {g}: {e}")))?;
        b.add(glob);
    }
    b.build().map_err(|e| crate::Error::Config(format!("--exclude: {e}")))
}

/// Walk the configured paths of `root`. Never fails: problems become error entries.
pub fn walk(root: &RootFs, cfg: &WalkConfig, exclude: &GlobSet) -> Walked {
    let mut out = Walked::default();
    let paths = if cfg.paths.is_empty() { vec!["/".to_owned()] } else { cfg.paths.clone() };
    for start in &paths {
        let host_start = match root.resolve(start) {
            Ok(p) if p.exists() => p,
            Ok(_) => {
                out.errors.push(ScanError::new(start, "path does not exist in the scanned root"));
                continue;
            }
            Err(e) => {
                out.errors.push(ScanError::new(start, format!("cannot resolve: {e}")));
                continue;
            }
        };
        let it = walkdir::WalkDir::new(&host_start)
            .follow_links(false)
            .same_file_system(cfg.one_file_system)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                let sys = root.system_path(e.path());
                !(e.file_type().is_dir() && PRUNED.contains(&sys.as_str())) && !exclude.is_match(&sys)
            });
        for item in it {
            let entry = match item {
                Ok(e) => e,
                Err(e) => {
                    let path = e.path().map(|p| root.system_path(p)).unwrap_or_else(|| start.clone());
                    let msg = match e.io_error() {
                        Some(io) => format!("cannot read: {io}"),
                        None => format!("{e}"),
                    };
                    out.errors.push(ScanError::new(path, msg));
                    continue;
                }
            };
            let sys = root.system_path(entry.path());
            if entry.file_name().to_str().is_none() {
                out.errors.push(ScanError::new(&sys, "file name is not valid UTF-8; reported with replacement characters"));
            }
            let ft = entry.file_type();
            if ft.is_file() {
                let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
                out.files.push(Entry { host: entry.into_path(), path: sys, size });
            } else if ft.is_symlink() {
                check_link(root, &sys, entry.path(), &mut out.errors);
            } else if ft.is_fifo() {
                out.errors.push(ScanError::new(&sys, "FIFO: not a regular file, not opened"));
            } else if ft.is_socket() {
                out.errors.push(ScanError::new(&sys, "socket: not a regular file, not opened"));
            } else if ft.is_block_device() || ft.is_char_device() {
                out.errors.push(ScanError::new(&sys, "device file: not a regular file, not opened"));
            }
        }
    }
    out
}

/// Report a symlink that loops or whose relative target climbs out of the root. Never follows.
fn check_link(root: &RootFs, sys: &str, host: &std::path::Path, errors: &mut Vec<ScanError>) {
    let Ok(target) = std::fs::read_link(host) else { return };
    if root.link_escapes(sys, &target) {
        errors.push(ScanError::new(
            sys,
            format!("symlink to {} climbs out of the root: not followed (a chroot would clamp it)", target.display()),
        ));
        return;
    }
    if let Err(ResolveError::Loop) = root.resolve(sys) {
        errors.push(ScanError::new(sys, "symlink loop: not followed"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excludes_by_name_and_path() {
        let set = exclude_set(&["*.log".to_owned(), "/home/**".to_owned()]).unwrap();
        assert!(set.is_match("/var/log/x.log"));
        assert!(set.is_match("/home/a/b"));
        assert!(!set.is_match("/usr/bin/ls"));
        assert!(exclude_set(&["[".to_owned()]).is_err());
    }
}
