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
//! malformed becomes a [`crate::model::ScanError`] in [`Collected::errors`], next to whatever could be read.

pub use frame::{
    find_ci, is_executable_head, Candidate, Collected, Collector, Context, DirCache, OsRelease,
    Owner, Phase, HEAD_LEN,
};

pub mod apk;
pub mod appbundle;
pub mod auditable;
pub mod bootrom;
pub mod cargo;
pub mod composer;
pub mod dotnet;
pub mod dpkg;
pub mod elf;
pub mod elfread;
pub mod firmware;
pub mod frame;
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
pub mod trust;
pub mod windows;
pub mod zipdir;

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
    &bootrom::BootRom,
    &pe::Pe,
    &macho::MachOCollector,
    &appbundle::AppBundle,
    &windows::WindowsSoftware,
    &trust::efi::Efivars,
    &trust::efi::VarStore,
    &trust::castore::CaStore,
    &trust::keystore::Keystore,
];

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

    /// The README's collector table is the collectors' own declarations: a collector added,
    /// renamed or changed in what it reads or emits fails here until the README says so.
    #[test]
    fn readme_collector_table_matches_declarations() {
        let readme = include_str!("../../README.md");
        let start = readme
            .find("| Source | Collector | Reads | Evidence |")
            .expect("README has the collector table");
        let rows: Vec<Vec<&str>> = readme[start..]
            .lines()
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .map(|l| l.trim_matches('|').split(" | ").map(str::trim).collect())
            .collect();
        for c in ALL {
            let id = format!("`{}`", c.id());
            let row = rows
                .iter()
                .find(|r| r.get(1) == Some(&id.as_str()))
                .unwrap_or_else(|| panic!("README has no row for collector {id}"));
            assert_eq!(row.get(2).copied(), Some(c.reads()), "Reads of {id}");
            let kinds: Vec<String> = c
                .emits()
                .iter()
                .map(|k| format!("`{}`", k.as_str()))
                .collect();
            assert_eq!(
                row.get(3).copied(),
                Some(kinds.join(", ").as_str()),
                "Evidence of {id}"
            );
        }
    }

    #[test]
    fn os_release_parses_quotes() {
        let os = OsRelease::parse("NAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n");
        assert_eq!(os.id.as_deref(), Some("debian"));
        assert_eq!(os.distro().as_deref(), Some("debian-12"));
        assert_eq!(os.name.as_deref(), Some("Debian GNU/Linux"));
    }
}
