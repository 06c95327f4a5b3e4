//! Enumerate the regular files of a root, safely.
//!
//! walkdir with `follow_links(false)`: a symlink is never followed, so a link loop cannot trap
//! the walk and a link to `/etc/passwd` cannot lead outside the root. Links are still checked
//! (inside the root, as a chroot resolves them) so that loops and relative links climbing out
//! of the root are listed in the report's errors. FIFOs, sockets and device files are never
//! opened. `/proc`, `/sys`, `/dev` and `/run` under the root are pruned, as are `--exclude`
//! globs; `--one-file-system` keeps to the filesystem of each starting directory.
//!
//! A memory root (a container image, see [`crate::image`]) is walked over its tree instead, with
//! the same pruning, exclusions and entries; its files carry their sizes.
//!
//! The walk is sequential and cheap (directory reads and `lstat` only) and hands each entry to
//! a visitor ([`walk_each`]), so a caller keeps only what it needs: the scan walks twice (once
//! for roots and package databases, once streaming files to the collectors) and never holds
//! one entry per file.

use crate::image::tree::{MemTree, Node};
use crate::model::ScanError;
use crate::rootfs::{ResolveError, RootFs};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
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
    /// Host path (open with [`RootFs::open_host`]; for a memory root, its path in the tree).
    pub host: PathBuf,
    /// System path.
    pub path: String,
    /// Size, when the walk knows it without a `stat` (files of a memory root).
    pub known_size: Option<u64>,
}

impl Entry {
    /// Size from `lstat`, asked only when a collector needs it (most files a package owns
    /// are never looked at, so the walk does not stat them).
    pub fn size(&self) -> u64 {
        if let Some(n) = self.known_size {
            return n;
        }
        std::fs::symlink_metadata(&self.host)
            .map(|m| m.len())
            .unwrap_or(0)
    }
}

/// One thing the walk met.
#[derive(Debug)]
pub enum Item {
    /// A regular file.
    File(Entry),
    /// A symbolic link (never followed; see [`check_link`]).
    Link(Entry),
    /// A problem: unreadable directory, loop, special file, non-UTF-8 name…
    Error(ScanError),
}

/// Compile `--exclude` globs.
pub fn exclude_set(globs: &[String]) -> crate::Result<GlobSet> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        let pat = if g.contains('/') {
            g.clone()
        } else {
            format!("**/{g}")
        };
        let glob = GlobBuilder::new(&pat)
            .literal_separator(true)
            .build()
            .map_err(|e| crate::Error::Config(format!("--exclude {g}: {e}")))?;
        b.add(glob);
    }
    b.build()
        .map_err(|e| crate::Error::Config(format!("--exclude: {e}")))
}

/// Walk the configured paths of `root`, handing each file, link and problem to `visit` in walk
/// order (sorted by name within each directory). Never fails.
pub fn walk_each(root: &RootFs, cfg: &WalkConfig, exclude: &GlobSet, visit: &mut dyn FnMut(Item)) {
    if let Some(tree) = root.memory_tree() {
        return walk_memory(root, tree, cfg, exclude, visit);
    }
    for start in &start_paths(cfg) {
        let mut errors = Vec::new();
        let host_start = resolve_start(root, start, |p| p.exists(), &mut errors);
        errors.into_iter().for_each(|e| visit(Item::Error(e)));
        let Some(host_start) = host_start else {
            continue;
        };
        // The filesystem boundary is checked here rather than with walkdir's own
        // `same_file_system`: combined with `filter_entry`, pruning a directory walkdir did not
        // descend into (another filesystem) skips the parent instead, ending the walk early.
        let start_dev = std::fs::symlink_metadata(&host_start).map(|m| m.dev()).ok();
        let it = walkdir::WalkDir::new(&host_start)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                let sys = root.system_path(e.path());
                let is_dir = e.file_type().is_dir();
                let pruned = is_dir && PRUNED.contains(&sys.as_str());
                let other_fs = cfg.one_file_system
                    && is_dir
                    && e.depth() > 0
                    && e.metadata().ok().map(|m| m.dev()) != start_dev;
                !pruned && !other_fs && !exclude.is_match(&sys)
            });
        for item in it {
            let entry = match item {
                Ok(e) => e,
                Err(e) => {
                    let path = e
                        .path()
                        .map(|p| root.system_path(p))
                        .unwrap_or_else(|| start.clone());
                    let msg = match e.io_error() {
                        Some(io) => format!("cannot read: {io}"),
                        None => format!("{e}"),
                    };
                    visit(Item::Error(ScanError::new(path, msg)));
                    continue;
                }
            };
            let sys = root.system_path(entry.path());
            if entry.file_name().to_str().is_none() {
                visit(Item::Error(ScanError::new(
                    &sys,
                    "file name is not valid UTF-8; reported with replacement characters",
                )));
            }
            let ft = entry.file_type();
            if ft.is_file() {
                visit(Item::File(Entry {
                    host: entry.into_path(),
                    path: sys,
                    known_size: None,
                }));
            } else if ft.is_symlink() {
                visit(Item::Link(Entry {
                    host: entry.into_path(),
                    path: sys,
                    known_size: None,
                }));
            } else if ft.is_fifo() {
                visit(Item::Error(ScanError::new(
                    &sys,
                    "FIFO: not a regular file, not opened",
                )));
            } else if ft.is_socket() {
                visit(Item::Error(ScanError::new(
                    &sys,
                    "socket: not a regular file, not opened",
                )));
            } else if ft.is_block_device() || ft.is_char_device() {
                visit(Item::Error(ScanError::new(
                    &sys,
                    "device file: not a regular file, not opened",
                )));
            }
        }
    }
}

/// Walk a memory root's tree: the same pruning and exclusions as on disk; links are listed,
/// never followed; special files are errors.
fn walk_memory(
    root: &RootFs,
    tree: &MemTree,
    cfg: &WalkConfig,
    exclude: &GlobSet,
    visit: &mut dyn FnMut(Item),
) {
    for start in &start_paths(cfg) {
        let exists = |p: &std::path::Path| tree.get(&p.to_string_lossy()).is_some();
        let mut errors = Vec::new();
        let top = resolve_start(root, start, exists, &mut errors);
        errors.into_iter().for_each(|e| visit(Item::Error(e)));
        let Some(top) = top else {
            continue;
        };
        let top = top.to_string_lossy().into_owned();
        let under = if top == "/" {
            "/".to_owned()
        } else {
            format!("{top}/")
        };
        // Directories pruned or excluded, as `dir/` prefixes (few: checked linearly).
        let mut skipped: Vec<String> = Vec::new();
        for (key, node) in tree.iter() {
            if key != top && !key.starts_with(&under) {
                continue;
            }
            if skipped.iter().any(|p| key.starts_with(p.as_str())) {
                continue;
            }
            let host = std::path::Path::new(key);
            let sys = root.system_path(host);
            let is_dir = matches!(node, Node::Dir);
            if (is_dir && PRUNED.contains(&sys.as_str())) || exclude.is_match(&sys) {
                if is_dir {
                    skipped.push(format!("{key}/"));
                }
                continue;
            }
            let entry = |size| Entry {
                host: host.to_path_buf(),
                path: sys.clone(),
                known_size: size,
            };
            match node {
                Node::Dir => {}
                Node::File(f) => visit(Item::File(entry(Some(f.size)))),
                Node::Link(_) => visit(Item::Link(entry(None))),
                Node::Special(what) => visit(Item::Error(ScanError::new(
                    &sys,
                    format!("{what}: not a regular file, not opened"),
                ))),
            }
        }
    }
}

/// Report a symlink that loops, whose relative target climbs out of the root, or whose
/// absolute target does not exist inside the root (on the host it would name a file outside the
/// scanned tree). Never follows it.
///
/// `sys` is the link's path inside `root`; errors name `shown`, its path in the scanned tree.
pub fn check_link(
    root: &RootFs,
    sys: &str,
    shown: &str,
    host: &std::path::Path,
    errors: &mut Vec<ScanError>,
) {
    let Ok(target) = root.read_link_host(host) else {
        return;
    };
    if root.link_escapes(sys, &target) {
        errors.push(ScanError::new(
            shown,
            format!(
                "symlink to {} climbs out of the root: not followed (a chroot would clamp it)",
                target.display()
            ),
        ));
        return;
    }
    let dangling = match root.resolve(sys) {
        Err(ResolveError::Loop) => {
            errors.push(ScanError::new(shown, "symlink loop: not followed"));
            return;
        }
        Err(ResolveError::Io(_)) => true,
        Ok(p) => root.kind_host(&p).is_err(),
    };
    if dangling && target.is_absolute() {
        errors.push(ScanError::new(
            shown,
            format!(
                "symlink to {} does not resolve inside the root: not followed",
                target.display()
            ),
        ));
    }
}

/// The system paths a walk starts from (`/` when none was given).
fn start_paths(cfg: &WalkConfig) -> Vec<String> {
    if cfg.paths.is_empty() {
        vec!["/".to_owned()]
    } else {
        cfg.paths.clone()
    }
}

/// Resolve a starting path inside the root; a missing or unresolvable one is an error entry.
fn resolve_start(
    root: &RootFs,
    start: &str,
    exists: impl Fn(&std::path::Path) -> bool,
    errors: &mut Vec<ScanError>,
) -> Option<PathBuf> {
    match root.resolve(start) {
        Ok(p) if exists(&p) => Some(p),
        Ok(_) => {
            errors.push(ScanError::new(
                start,
                "path does not exist in the scanned root",
            ));
            None
        }
        Err(e) => {
            errors.push(ScanError::new(start, format!("cannot resolve: {e}")));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a walk met, collected.
    #[derive(Default)]
    struct Walked {
        files: Vec<Entry>,
    }

    fn walk(root: &RootFs, cfg: &WalkConfig, exclude: &GlobSet) -> Walked {
        let mut out = Walked::default();
        walk_each(root, cfg, exclude, &mut |item| {
            if let Item::File(e) = item {
                out.files.push(e);
            }
        });
        out
    }

    #[test]
    fn excludes_by_name_and_path() {
        let set = exclude_set(&["*.log".to_owned(), "/home/**".to_owned()]).unwrap();
        assert!(set.is_match("/var/log/x.log"));
        assert!(set.is_match("/home/a/b"));
        assert!(!set.is_match("/usr/bin/ls"));
        assert!(exclude_set(&["[".to_owned()]).is_err());
    }

    /// Pruning a directory on another filesystem (`/dev`) must not end the walk of `/`.
    #[test]
    fn regression_one_file_system_keeps_walking_after_a_pruned_mount() {
        let root = RootFs::new("/").unwrap();
        let cfg = WalkConfig {
            paths: vec!["/etc".to_owned()],
            exclude: vec![],
            one_file_system: true,
        };
        let w = walk(&root, &cfg, &exclude_set(&[]).unwrap());
        assert!(
            w.files.iter().any(|f| f.path.starts_with("/etc/")),
            "nothing found under /etc"
        );
        let cfg = WalkConfig {
            paths: vec![],
            exclude: vec![
                "/usr".into(),
                "/work".into(),
                "/var".into(),
                "/home".into(),
                "/root".into(),
                "/opt".into(),
                "/tmp".into(),
                "/snap".into(),
                "/nix".into(),
                "/srv".into(),
            ],
            one_file_system: true,
        };
        let w = walk(&root, &cfg, &exclude_set(&cfg.exclude).unwrap());
        assert!(
            w.files.iter().any(|f| f.path.starts_with("/etc/")),
            "walk of / ended at the first pruned mount"
        );
    }
}
