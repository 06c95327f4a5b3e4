//! ELF executables and shared objects that no package owns.
//!
//! Each becomes a `binary` component named after its `SONAME` (or file name), with descriptive
//! evidence: SONAME, `DT_NEEDED`, GNU build-id, `.comment` compiler strings, the program
//! interpreter, and the systemd `.note.package` JSON (<https://systemd.io/ELF_PACKAGE_METADATA/>)
//! whose `name`/`version` name the component when present.
//!
//! The file is read by the bounded reader [`super::elfread`]: only headers, the dynamic
//! section and its strings, notes and `.comment` are looked at (and, for a large file, only
//! those are read from disk); symbol tables are never walked. Malformed or truncated files
//! become a report error.

use super::elfread::{ElfFile, ET_DYN, ET_EXEC};
use super::{Candidate, Collected, Collector, Context};
use crate::model::{Component, ComponentKind, EvidenceKind};
use goblin::elf::header;

/// Largest ELF parsed (bigger files are reported and skipped).
/// Most ELF notes read per file (a real file has a handful).
const MAX_NOTES: usize = 256;
const MAX_ELF: u64 = 4 << 30;
/// At most this many `.comment` strings are kept.
const MAX_COMMENTS: usize = 8;

/// The ELF collector.
pub struct Elf;

impl Collector for Elf {
    fn id(&self) -> &'static str {
        "elf"
    }
    fn reads(&self) -> &'static str {
        "SONAME, `DT_NEEDED`, build-id, `.comment`, interpreter, systemd `.note.package` of ELF files no package owns"
    }
    fn emits(&self) -> &'static [EvidenceKind] {
        &[
            EvidenceKind::BinaryName,
            EvidenceKind::BuildId,
            EvidenceKind::Compiler,
            EvidenceKind::Interpreter,
            EvidenceKind::Needed,
            EvidenceKind::PackageNote,
            EvidenceKind::Soname,
            EvidenceKind::String,
        ]
    }
    fn matches_head(&self, head: &[u8]) -> bool {
        head.starts_with(b"\x7fELF")
    }
    fn deep(&self) -> bool {
        true
    }
    fn collect(&self, c: &Candidate<'_>, _ctx: &Context<'_>) -> Collected {
        let bytes = match c.load("ELF file", MAX_ELF) {
            Ok(b) => b,
            Err(e) => return e,
        };
        match parse(&bytes, c.path) {
            Ok(comp) => {
                let components: Vec<_> = comp.into_iter().collect();
                Collected {
                    components,
                    ..Collected::default()
                }
            }
            Err(e) => Collected::error(c.path, format!("malformed ELF: {e}")),
        }
    }
}

/// Parse one ELF image into a component. `path` is its system path. Relocatable objects and
/// core dumps are not software anyone runs: they give `None`.
pub fn parse(bytes: &[u8], path: &str) -> Result<Option<Component>, String> {
    let elf = ElfFile::parse(bytes)?;
    if !matches!(elf.kind, ET_EXEC | ET_DYN) {
        return Ok(None);
    }
    let file_name = path.rsplit('/').next().unwrap_or(path);
    let note = package_note(&elf, bytes);
    let (soname, needed) = elf.dynamic_names(bytes);
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let soname = soname.map(text);
    let (name, version) = match &note {
        Some(n) if n.name.is_some() => (n.name.clone().unwrap_or_default(), n.version.clone()),
        _ => (soname.clone().unwrap_or_else(|| file_name.to_owned()), None),
    };
    let mut comp = Component::new(
        ComponentKind::Binary,
        Some("elf"),
        &name,
        version.as_deref(),
    );
    // Identity of an unowned binary is where it is: two copies are two components.
    comp.id = format!("elf:{path}");
    comp.locations.push(path.to_owned());
    comp.add_evidence(EvidenceKind::BinaryName, file_name, path);
    if let Some(s) = &soname {
        comp.add_evidence(EvidenceKind::Soname, s, path);
    }
    for n in needed.into_iter().take(64) {
        comp.add_evidence(EvidenceKind::Needed, text(n), path);
    }
    if let Some(i) = elf.interpreter(bytes) {
        comp.add_evidence(EvidenceKind::Interpreter, text(i), path);
    }
    if let Some(id) = build_id(&elf, bytes) {
        comp.add_evidence(EvidenceKind::BuildId, &id, path);
        comp.set_property("build-id", id);
    }
    for c in comments(&elf, bytes) {
        comp.add_evidence(EvidenceKind::Compiler, c, path);
    }
    comp.set_property("elf-type", header::et_to_str(elf.kind));
    comp.set_property("machine", header::machine_to_str(elf.machine));
    if let Some(n) = note {
        comp.add_evidence(EvidenceKind::PackageNote, &n.raw, path);
        if let (Some(t), Some(name)) = (&n.kind, &n.name) {
            comp.purl = note_purl(t, n.os.as_deref(), name, n.version.as_deref());
        }
        if let Some(cpe) = n.os_cpe {
            comp.set_property("os-cpe", cpe);
        }
    }
    Ok(Some(comp))
}

fn build_id(elf: &ElfFile, bytes: &[u8]) -> Option<String> {
    elf.notes(bytes)
        .into_iter()
        .take(MAX_NOTES)
        .find(|n| n.kind == goblin::elf::note::NT_GNU_BUILD_ID && n.name == b"GNU")
        .map(|n| n.desc.iter().map(|b| format!("{b:02x}")).collect())
}

fn comments(elf: &ElfFile, bytes: &[u8]) -> Vec<String> {
    let Some(data) = elf
        .section(bytes, ".comment")
        .and_then(|s| elf.section_bytes(bytes, &s))
    else {
        return Vec::new();
    };
    let data = &data[..data.len().min(64 * 1024)];
    let mut v: Vec<String> = data
        .split(|b| *b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect();
    v.sort();
    v.dedup();
    v.truncate(MAX_COMMENTS);
    v
}

/// The systemd package note.
#[derive(Debug, Default)]
struct PackageNote {
    raw: String,
    kind: Option<String>,
    os: Option<String>,
    name: Option<String>,
    version: Option<String>,
    os_cpe: Option<String>,
}

/// `.note.package`: owner "FDO", type 0xcafe1a7e, JSON payload.
fn package_note(elf: &ElfFile, bytes: &[u8]) -> Option<PackageNote> {
    const NT_FDO_PACKAGING_METADATA: u32 = 0xcafe_1a7e;
    for n in elf
        .section_notes(bytes, ".note.package")
        .into_iter()
        .take(MAX_NOTES)
    {
        if n.kind != NT_FDO_PACKAGING_METADATA || n.name != b"FDO" {
            continue;
        }
        let text = String::from_utf8_lossy(n.desc)
            .trim_end_matches('\0')
            .to_owned();
        let json: serde_json::Value = serde_json::from_str(&text).ok()?;
        let s = |k: &str| json.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        return Some(PackageNote {
            raw: text.clone(),
            kind: s("type"),
            os: s("os"),
            name: s("name"),
            version: s("version"),
            os_cpe: s("osCpe"),
        });
    }
    None
}

fn note_purl(kind: &str, os: Option<&str>, name: &str, version: Option<&str>) -> Option<String> {
    let mut p = packageurl::PackageUrl::new(kind.to_owned(), name.to_owned()).ok()?;
    if let Some(os) = os {
        p.with_namespace(os.to_owned());
    }
    if let Some(v) = version {
        p.with_version(v.to_owned());
    }
    Some(p.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_elf_is_an_error_not_a_panic() {
        let mut b = b"\x7fELF\x02\x01\x01\0".to_vec();
        b.resize(40, 0);
        assert!(parse(&b, "/x").is_err());
        assert!(parse(b"\x7fELF", "/x").is_err());
    }

    /// A malformed note (sizes past the end of the note segment) once made the note walk spin
    /// forever on goblin's repeated error, as it did on the real Qualcomm `wlanmdsp.mbn` of
    /// linux-firmware. Every such mutation of a real library must parse within seconds.
    #[test]
    fn regression_13_malformed_notes_end_the_walk() {
        let real =
            include_bytes!("../../fixtures/dpkg/debian-12/usr/lib/x86_64-linux-gnu/libz.so.1.2.13");
        // The build-id note of this file: PT_NOTE at 0x238, 0x24 bytes.
        for (at, value) in [
            (0x238, u32::MAX),
            (0x238, 0x7fff_ffff),
            (0x23c, u32::MAX),
            (0x23c, 0x1000),
            (0x238, 0),
        ] {
            let mut b = real.to_vec();
            b[at..at + 4].copy_from_slice(&value.to_le_bytes());
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let _ = parse(&b, "/x");
                let _ = tx.send(());
            });
            assert!(
                rx.recv_timeout(std::time::Duration::from_secs(20)).is_ok(),
                "note walk did not end with {value:#x} at {at:#x}"
            );
        }
    }
}
