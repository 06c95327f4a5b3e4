//! The collector frame: what every collector is given and returns. A [`Collector`] is offered
//! [`Candidate`] files (by path, or by their first [`HEAD_LEN`] bytes) with a [`Context`] (the
//! root they lie in, its os-release, the scan options) and returns [`Collected`]: components,
//! the problems met, the files its packages own ([`OwnedPaths`]) and edges between components.
//! Capped reads of a candidate ([`Candidate::load`], [`Candidate::text`]) live here once, so
//! no collector re-implements them; the scan ([`crate::scan`]) runs collectors, isolates
//! their panics, sets `found_by` and places what they found in its root.
//!
//! This module holds no format knowledge: parsers live in the collectors.

use crate::model::{Component, ScanError};
use crate::ownership::OwnedPaths;
use crate::rootfs::RootFs;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// How many leading bytes of each unowned file the classifier reads.
pub const HEAD_LEN: usize = 4096;

/// When a collector runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Once per scan, before the walk, on well-known places of the root (hardware under
    /// `/sys` and `/proc`, a Windows registry hive…): [`Collector::collect_system`].
    System,
    /// Package databases: run first, report owned files.
    Database,
    /// Individual files: run on whatever the databases do not own.
    File,
}

/// One regular file offered to a collector.
pub struct Candidate<'a> {
    /// The path in the scanned system (`/usr/bin/ls`).
    pub path: &'a str,
    /// The path on the host (for an image, in its tree). Read it with [`Candidate::open`] or
    /// the capped reads, never by following.
    pub host: &'a Path,
    /// The root it lies in, which reads it.
    pub fs: &'a RootFs,
    /// Size in bytes (from `lstat`).
    pub size: u64,
    /// The first bytes (up to [`HEAD_LEN`]); empty for files matched by path alone.
    pub head: &'a [u8],
    /// The package that owns the file, when a package database of its root lists it.
    pub owner: Option<&'a Owner>,
    /// The file's bytes once one collector has loaded them: the collectors that read the same
    /// executable (ELF, PE, Mach-O, Go, cargo-auditable) share one read or map of it.
    pub loaded: Loaded,
}

/// The whole bytes of a candidate, loaded at most once (see [`Candidate::load`]).
#[derive(Default)]
pub struct Loaded(std::sync::OnceLock<Result<Arc<crate::rootfs::Bytes>, String>>);

/// The package that owns a file, as its database collector reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// Component id of the owning package.
    pub id: String,
    /// Its ecosystem (`deb`, `pypi`…).
    pub ecosystem: String,
    /// Its name (`firmware-iwlwifi`).
    pub name: String,
}

impl Owner {
    /// The owner record of a package component.
    pub fn of(c: &Component) -> Arc<Owner> {
        Arc::new(Owner {
            id: c.id.clone(),
            ecosystem: c.ecosystem.clone().unwrap_or_default(),
            name: c.name.clone(),
        })
    }

    /// True for an operating-system package manager (dpkg, rpm, apk), whose files are opened
    /// only when they may carry a signature; a language package's binaries are always read.
    pub fn is_os_package(&self) -> bool {
        matches!(self.ecosystem.as_str(), "deb" | "rpm" | "apk")
    }
}

impl Candidate<'_> {
    /// The whole file as text (lossily UTF-8), or a result holding one report error when it is
    /// over `cap` bytes or cannot be read. `what` names the format ("apk database").
    pub fn text(&self, what: &str, cap: u64) -> Result<String, Collected> {
        self.bytes(what, cap).map(|b| match String::from_utf8(b) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }

    /// The whole file read into memory, or a result holding one report error when it is over
    /// `cap` bytes or cannot be read. For metadata files; binaries use [`Candidate::load`].
    pub fn bytes(&self, what: &str, cap: u64) -> Result<Vec<u8>, Collected> {
        self.open()
            .and_then(|f| f.read_capped(cap))
            .map_err(|e| Collected::error(self.path, format!("cannot read {what}: {e}")))
    }

    /// Open the file (a regular file only; a final link is not followed).
    pub fn open(&self) -> std::io::Result<crate::rootfs::Opened> {
        self.fs.open_host(self.host)
    }

    /// The whole file (read when small, memory-mapped when large), or a result holding one
    /// report error when it is over `cap` bytes or cannot be read. `what` names the format in
    /// the message ("ELF file", "rpm database").
    ///
    /// The bytes are loaded once per file and shared by every collector offered it.
    pub fn load(&self, what: &str, cap: u64) -> Result<Arc<crate::rootfs::Bytes>, Collected> {
        if self.size > cap {
            return Err(Collected::error(
                self.path,
                format!("{what} of {} bytes is over the {cap} byte limit", self.size),
            ));
        }
        self.loaded
            .0
            .get_or_init(|| {
                self.open()
                    .and_then(crate::rootfs::Opened::load)
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            })
            .clone()
            .map_err(|e| Collected::error(self.path, format!("cannot read {what}: {e}")))
    }
}

/// Facts about the scanned system that collectors share.
#[derive(Debug, Clone, Default)]
pub struct OsRelease {
    /// os-release `ID` (`debian`).
    pub id: Option<String>,
    /// os-release `VERSION_ID` (`12`).
    pub version_id: Option<String>,
    /// os-release `NAME` (`Debian GNU/Linux`).
    pub name: Option<String>,
    /// os-release `PRETTY_NAME`.
    pub pretty_name: Option<String>,
}

impl OsRelease {
    /// Read `/etc/os-release` (or `/usr/lib/os-release`) inside the root.
    pub fn read(root: &RootFs) -> Self {
        for p in ["/etc/os-release", "/usr/lib/os-release"] {
            if let Ok(text) = root.read_string_capped(p, 64 * 1024) {
                return Self::parse(&text);
            }
        }
        OsRelease::default()
    }

    /// Parse os-release text (shell-style `KEY=value` lines, optionally quoted).
    pub fn parse(text: &str) -> Self {
        let mut os = OsRelease::default();
        for line in text.lines() {
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            let v = v.trim().trim_matches('"').trim_matches('\'').trim();
            if v.is_empty() {
                continue;
            }
            let v = Some(crate::text::sanitize(v));
            match k.trim() {
                "ID" => os.id = v,
                "VERSION_ID" => os.version_id = v,
                "NAME" => os.name = v,
                "PRETTY_NAME" => os.pretty_name = v,
                _ => {}
            }
        }
        os
    }

    /// purl `distro` qualifier: `debian-12`.
    pub fn distro(&self) -> Option<String> {
        match (&self.id, &self.version_id) {
            (Some(id), Some(v)) => Some(format!("{id}-{v}")),
            (Some(id), None) => Some(id.clone()),
            _ => None,
        }
    }
}

/// What a collector may look at besides its candidate.
pub struct Context<'a> {
    /// The scanned system's root.
    pub root: &'a RootFs,
    /// The scanned system's os-release.
    pub os: &'a OsRelease,
    /// Scan options (deep scan, hardware inventory…).
    pub options: &'a crate::model::ScanOptions,
    /// The vendor-string automaton, with `--deep` (binary collectors run it over their bytes).
    pub deep: Option<&'a crate::deep::DeepScan>,
}

/// What one collector run produced. Partial results and errors travel together.
#[derive(Debug, Default)]
pub struct Collected {
    /// Components found.
    pub components: Vec<Component>,
    /// Problems met (the rest of the input was still used).
    pub errors: Vec<ScanError>,
    /// Files owned by the components (database collectors only), by canonical system path.
    pub owned: OwnedPaths,
    /// Directories whose files a component owns when no file list names them (an installed npm
    /// package's folder, a gem's folder): the deepest such directory of a file owns it.
    pub owned_dirs: OwnedPaths,
    /// Edges between components (by component id).
    pub relationships: Vec<crate::model::Relationship>,
}

impl Collected {
    /// Append another result.
    pub fn extend(&mut self, other: Collected) {
        self.components.extend(other.components);
        self.errors.extend(other.errors);
        self.owned.extend(other.owned);
        self.owned_dirs.extend(other.owned_dirs);
        self.relationships.extend(other.relationships);
    }

    /// Record that `owner` owns the file at system path `path`.
    pub fn own(&mut self, path: impl AsRef<str>, owner: &Arc<Owner>) {
        self.owned.push(path.as_ref(), owner);
    }

    /// Record that `owner` owns every file below directory `dir` (a system path) that no file
    /// list names and no deeper owned directory holds.
    pub fn own_dir(&mut self, dir: impl AsRef<str>, owner: &Arc<Owner>) {
        self.owned_dirs.push(dir.as_ref(), owner);
    }

    /// A result with a single error.
    pub fn error(path: &str, message: impl AsRef<str>) -> Self {
        Collected {
            errors: vec![ScanError::new(path, message)],
            ..Collected::default()
        }
    }
}

/// A source of components.
pub trait Collector: Send + Sync {
    /// Stable kebab-case id (`dpkg`).
    fn id(&self) -> &'static str;
    /// What it reads, in one line (the README's collector table shows it; a test keeps the two
    /// equal).
    fn reads(&self) -> &'static str;
    /// Every kind of evidence it can emit (a test checks what the fixtures' scans emit against
    /// it).
    fn emits(&self) -> &'static [crate::model::EvidenceKind];
    /// When it runs.
    fn phase(&self) -> Phase {
        Phase::File
    }
    /// Well-known system paths of the database (read for file ownership even when the walk is
    /// limited to other subtrees).
    fn database_paths(&self) -> &'static [&'static str] {
        &[]
    }
    /// Cheap test on the system path alone, no I/O.
    fn matches_path(&self, _path: &str) -> bool {
        false
    }
    /// Files it reads through the root beside its candidates (dpkg's `info/*.list`, a wheel's
    /// `RECORD`), by system path, no I/O: an image scan keeps them in memory.
    fn reads_beside(&self, _path: &str) -> bool {
        false
    }
    /// Test on the first bytes of a file no package owns.
    fn matches_head(&self, _head: &[u8]) -> bool {
        false
    }
    /// Whether path matches should also be offered files that a package database owns
    /// (manifest collectors: a pip `METADATA` shipped in a deb still describes a package).
    fn wants_owned(&self) -> bool {
        false
    }
    /// Whether the deep byte scan (`--deep`) searches the files it recognises: the frame then
    /// streams the file through [`crate::deep::DeepScan`] and adds the hits to the component
    /// located at the file.
    fn deep(&self) -> bool {
        false
    }
    /// Turn the candidate into components and evidence. Never panics.
    fn collect(&self, c: &Candidate<'_>, ctx: &Context<'_>) -> Collected;
    /// [`Phase::System`] collectors: inspect the root once per scan. Never panics.
    fn collect_system(&self, _ctx: &Context<'_>) -> Collected {
        Collected::default()
    }
}

/// Canonical directory per raw directory, shared by all packages of one database. Each
/// directory is resolved from its parent's canonical form, so a new directory costs one `lstat`
/// (a full resolution only when it is itself a symlink, as `/bin` is in a merged-/usr system).
#[derive(Default)]
pub struct DirCache(Mutex<HashMap<String, String>>);

impl DirCache {
    /// The canonical system path of `path` (its directory resolved inside the root).
    pub fn canonical(&self, root: &RootFs, path: &str) -> String {
        let (dir, base) = match path.rfind('/') {
            Some(i) => (&path[..i], &path[i + 1..]),
            None => return path.to_owned(),
        };
        join(&self.dir(root, dir, 0), base)
    }

    fn dir(&self, root: &RootFs, dir: &str, depth: usize) -> String {
        if dir.is_empty() || dir == "/" || depth > 64 {
            return "/".to_owned();
        }
        if let Some(d) = self.0.lock().ok().and_then(|m| m.get(dir).cloned()) {
            return d;
        }
        let (parent, name) = dir.rsplit_once('/').unwrap_or(("", dir));
        let candidate = join(&self.dir(root, parent, depth + 1), name);
        let is_link = matches!(
            root.kind_host(&root.join(&candidate)),
            Ok(crate::rootfs::Kind::Link(_))
        );
        let resolved = if is_link {
            root.resolve(&candidate)
                .map(|h| root.system_path(&h))
                .unwrap_or(candidate)
        } else {
            candidate
        };
        if let Ok(mut m) = self.0.lock() {
            m.insert(dir.to_owned(), resolved.clone());
        }
        resolved
    }
}

/// `<base>/a/b/c` as spelled on disk (names compared case-insensitively, as NTFS does), when
/// every component exists: how the Windows collectors find `Windows/System32/config/SOFTWARE`.
pub fn find_ci(root: &RootFs, base: &str, parts: &[&str]) -> Option<String> {
    let mut sys = base.to_owned();
    for want in parts {
        let name = root
            .list_dir(if sys.is_empty() { "/" } else { &sys })
            .ok()?
            .into_iter()
            .map(|n| n.to_string_lossy().into_owned())
            .filter(|n| n.eq_ignore_ascii_case(want))
            .min()?;
        sys = format!("{sys}/{name}");
    }
    Some(sys)
}

fn join(dir: &str, base: &str) -> String {
    if dir == "/" {
        format!("/{base}")
    } else {
        format!("{dir}/{base}")
    }
}

/// True when `head` starts like an executable that can carry embedded build metadata: ELF, PE
/// (`MZ`) or Mach-O (thin, either byte order, 32 or 64 bit).
pub fn is_executable_head(head: &[u8]) -> bool {
    head.starts_with(b"\x7fELF")
        || head.starts_with(b"MZ")
        || [
            [0xfe, 0xed, 0xfa, 0xce],
            [0xfe, 0xed, 0xfa, 0xcf],
            [0xce, 0xfa, 0xed, 0xfe],
            [0xcf, 0xfa, 0xed, 0xfe],
        ]
        .iter()
        .any(|m| head.starts_with(m))
}
