//! Collectors turn files into components and evidence. One module per source, registered in
//! [`ALL`]. A collector never decides a vendor: it reports what the artifact says and the rules
//! engine ([`crate::attribute`]) decides.
//!
//! Two phases run in order:
//! 1. [`Phase::Database`] collectors read package databases (dpkg, rpm, apk…). They report the
//!    files their packages own, so that those files are not reported again.
//! 2. [`Phase::File`] collectors see every other regular file: by path (no I/O) and, for files no
//!    package owns, by their first [`HEAD_LEN`] bytes.
//!
//! Collectors are pure functions of their input and never panic: anything unreadable or
//! malformed becomes a [`ScanError`] in [`Collected::errors`], next to whatever could be read.

use crate::model::{Component, ScanError};
use crate::rootfs::RootFs;
use std::path::Path;
use std::sync::Arc;

pub mod apk;
pub mod appbundle;
pub mod auditable;
pub mod cargo;
pub mod composer;
pub mod dotnet;
pub mod dpkg;
pub mod elf;
pub mod firmware;
pub mod gem;
pub mod golang;
pub mod hardware;
pub mod java;
pub mod linux_firmware;
pub mod macho;
pub mod meta;
pub mod npm;
pub mod pe;
pub mod python;
pub mod regf;
pub mod rpm;
pub mod sections;
pub mod signature;
pub mod snap;
pub mod windows;

/// How many leading bytes of each unowned file the classifier reads.
pub const HEAD_LEN: usize = 4096;

/// Every collector, in a fixed order. Adding a collector is one line here.
pub static ALL: &[&dyn Collector] = &[
    &dpkg::Dpkg, //
    &elf::Elf,
    &rpm::Rpm,
    &apk::Apk,
    &python::Python,
    &npm::Npm,
    &cargo::Cargo,
    &auditable::Auditable,
    &golang::Golang,
    &java::Java,
    &gem::Gem,
    &dotnet::Dotnet,
    &composer::Composer,
    &snap::Snap,
    &hardware::Hardware,
    &linux_firmware::LinuxFirmware,
    &linux_firmware::blob::FirmwareBlob,
    &firmware::Firmware,
    &pe::Pe,
    &macho::MachOCollector,
    &appbundle::AppBundle,
    &windows::WindowsSoftware,
];

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
    /// The path on the host. Open it with [`crate::rootfs::open_regular`], never by following.
    pub host: &'a Path,
    /// Size in bytes (from `lstat`).
    pub size: u64,
    /// The first bytes (up to [`HEAD_LEN`]); empty for files matched by path alone.
    pub head: &'a [u8],
    /// The package that owns the file, when a package database of its root lists it.
    pub owner: Option<&'a Owner>,
}

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

/// A file a package owns: its system path (canonical inside the root) and the package.
#[derive(Debug, Clone)]
pub struct Owned {
    /// System path.
    pub path: String,
    /// The owning package.
    pub owner: Arc<Owner>,
}

impl Candidate<'_> {
    /// The whole file (read when small, memory-mapped when large), or a result holding one
    /// report error when it is over `cap` bytes or cannot be read. `what` names the format in
    /// the message ("ELF file", "rpm database").
    pub fn load(&self, what: &str, cap: u64) -> Result<crate::rootfs::Bytes, Collected> {
        if self.size > cap {
            return Err(Collected::error(
                self.path,
                format!("{what} of {} bytes is over the {cap} byte limit", self.size),
            ));
        }
        crate::rootfs::open_regular(self.host)
            .and_then(|(f, md)| crate::rootfs::load(&f, &md))
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
    /// Files owned by the components (database collectors only).
    pub owned: Vec<Owned>,
    /// Edges between components (by component id).
    pub relationships: Vec<crate::model::Relationship>,
}

impl Collected {
    /// Append another result.
    pub fn extend(&mut self, other: Collected) {
        self.components.extend(other.components);
        self.errors.extend(other.errors);
        self.owned.extend(other.owned);
        self.relationships.extend(other.relationships);
    }

    /// Record that `owner` owns the file at system path `path`.
    pub fn own(&mut self, path: String, owner: &Arc<Owner>) {
        self.owned.push(Owned {
            path,
            owner: Arc::clone(owner),
        });
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
    /// Test on the first bytes of a file no package owns.
    fn matches_head(&self, _head: &[u8]) -> bool {
        false
    }
    /// Whether path matches should also be offered files that a package database owns
    /// (manifest collectors: a pip `METADATA` shipped in a deb still describes a package).
    fn wants_owned(&self) -> bool {
        false
    }
    /// Turn the candidate into components and evidence. Never panics.
    fn collect(&self, c: &Candidate<'_>, ctx: &Context<'_>) -> Collected;
    /// [`Phase::System`] collectors: inspect the root once per scan. Never panics.
    fn collect_system(&self, _ctx: &Context<'_>) -> Collected {
        Collected::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_kebab() {
        let mut ids: Vec<&str> = ALL.iter().map(|c| c.id()).collect();
        for id in &ids {
            assert!(
                id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{id}"
            );
        }
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }

    #[test]
    fn os_release_parses_quotes() {
        let os = OsRelease::parse("NAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n");
        assert_eq!(os.id.as_deref(), Some("debian"));
        assert_eq!(os.distro().as_deref(), Some("debian-12"));
        assert_eq!(os.name.as_deref(), Some("Debian GNU/Linux"));
    }
}
