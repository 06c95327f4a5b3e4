//! Rust binaries built with cargo-auditable: the `.dep-v0` section (ELF, PE; `__dep_v0` or
//! `.dep-v0` in Mach-O) holds the zlib-compressed JSON list of the crates compiled in
//! (<https://github.com/rust-secure-code/cargo-auditable/blob/master/PARAMETERS.md>, format
//! `auditable-serde`).
//!
//! Each crate becomes a `cargo:<name>@<version>` component located at the binary, with
//! `depends-on` edges from the dependency indexes, and for ELF an edge `contains` from the
//! binary's `elf:<path>` component to the root crate. Does not report the binary itself (the
//! ELF collector does). Caps: binaries up to 4 GiB (memory-mapped), the section up to 8 MiB
//! compressed and 64 MiB decompressed.

use super::{Candidate, Collected, Collector, Context};
use crate::model::EvidenceKind;
use crate::model::{Relationship, RelationshipKind, ScanError};
use std::io::Read;

const MAX_BIN: u64 = 4 << 30;
const MAX_SECTION: usize = 8 << 20;
const MAX_JSON: u64 = 64 << 20;

/// The cargo-auditable collector.
pub struct Auditable;

impl Collector for Auditable {
    fn id(&self) -> &'static str {
        "cargo-auditable"
    }
    fn reads(&self) -> &'static str {
        "the zlib-compressed `.dep-v0` section of ELF, PE and Mach-O executables"
    }
    fn emits(&self) -> &'static [EvidenceKind] {
        &[EvidenceKind::PackageName]
    }
    fn matches_head(&self, head: &[u8]) -> bool {
        super::is_executable_head(head)
    }
    fn collect(&self, c: &Candidate<'_>, _ctx: &Context<'_>) -> Collected {
        if c.size > MAX_BIN {
            return Collected::default();
        }
        // Oversized files were skipped above; other collectors report unreadable ones.
        let bytes = match c.load("executable", u64::MAX) {
            Ok(b) => b,
            Err(e) => return e,
        };
        // Other collectors report malformed executables; here only a found section matters.
        let Some(section) = find_section(&bytes) else {
            return Collected::default();
        };
        let is_elf = bytes.starts_with(b"\x7fELF");
        match decode(section) {
            Ok(json) => packages(&json, c.path, is_elf),
            Err(e) => Collected::error(c.path, format!("cargo-auditable data: {e}")),
        }
    }
}

/// The raw `.dep-v0` bytes of an executable, if it has them.
pub fn find_section(bytes: &[u8]) -> Option<&[u8]> {
    let range = if bytes.starts_with(b"\x7fELF") {
        super::sections::elf_section(bytes, ".dep-v0")
    } else {
        super::sections::Layout::read(bytes)?.section(&[".dep-v0", "__dep_v0"])
    }?;
    let (off, len) = range;
    if len > MAX_SECTION {
        return None;
    }
    bytes.get(off..off.checked_add(len)?)
}

/// Inflate the zlib stream (bounded) and parse it as JSON.
pub fn decode(section: &[u8]) -> Result<serde_json::Value, String> {
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(section)
        .take(MAX_JSON)
        .read_to_end(&mut json)
        .map_err(|e| format!("zlib: {e}"))?;
    serde_json::from_slice(&json).map_err(|e| format!("JSON: {e}"))
}

fn packages(v: &serde_json::Value, at: &str, is_elf: bool) -> Collected {
    let mut out = Collected::default();
    let Some(list) = v["packages"].as_array() else {
        return Collected::error(at, "cargo-auditable data: no package list");
    };
    let ids: Vec<Option<String>> = list
        .iter()
        .map(|p| {
            Some(format!(
                "cargo:{}@{}",
                p["name"].as_str()?,
                p["version"].as_str()?
            ))
        })
        .collect();
    for (i, p) in list.iter().enumerate() {
        let (Some(name), Some(ver)) = (p["name"].as_str(), p["version"].as_str()) else {
            out.errors.push(ScanError::new(
                at,
                format!("cargo-auditable package {i} without a name or version"),
            ));
            continue;
        };
        let mut comp = super::meta::crate_component(name, ver, p["source"].as_str(), at);
        comp.set_property("cargo-source", "cargo-auditable");
        if let Some(k) = p["kind"].as_str() {
            comp.set_property("dependency-kind", k);
        }
        let from = comp.id.clone();
        for d in p["dependencies"].as_array().into_iter().flatten() {
            if let Some(Some(to)) = d.as_u64().and_then(|j| ids.get(j as usize)) {
                out.relationships.push(Relationship {
                    from: from.clone(),
                    to: to.clone(),
                    kind: RelationshipKind::DependsOn,
                });
            }
        }
        if is_elf && p["root"].as_bool() == Some(true) {
            out.relationships.push(Relationship {
                from: format!("elf:{at}"),
                to: from,
                kind: RelationshipKind::Contains,
            });
        }
        out.components.push(comp);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_sections() {
        assert!(decode(b"not zlib").is_err());
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(
            &mut z,
            br#"{"packages":[{"name":"a","version":"1.0.0","dependencies":[7]},{"version":"2"}]}"#,
        )
        .unwrap();
        let v = decode(&z.finish().unwrap()).unwrap();
        let c = packages(&v, "/bin/x", true);
        assert_eq!(c.components.len(), 1);
        assert_eq!(c.errors.len(), 1);
        assert!(c.relationships.is_empty());
    }
}
