//! Device firmware in firmware trees: `/lib/firmware`, `/usr/lib/firmware`, and a
//! `lib/firmware` directory at any depth (`/staging/firmware-iwlwifi/lib/firmware/`, an
//! unpacked package or image), the part after the last `/lib/firmware/` being the path inside
//! the tree ([`relative`]).
//!
//! Every file there becomes a `firmware` component whose evidence is its path relative to the
//! firmware directory (`rtl_nic/rtl8168h-2.fw`): linux-firmware lays files out by maker
//! (`WHENCE`: `iwlwifi-*` Intel, `rtl_nic/` Realtek, `mediatek/`, `amdgpu/`, `nvidia/`,
//! `qcom/`, `brcm/`…), and the vendor rules' `firmware_paths` decide who that is, not this
//! collector. Firmware is reported even when a package ships it: one firmware package bundles
//! the blobs of dozens of makers.
//!
//! CPU microcode is parsed:
//! - Intel (`intel-ucode/FF-MM-SS`): the 48-byte update headers (header version 1, revision,
//!   BCD date, processor signature), concatenated updates walked by `total_size`;
//!   <https://www.intel.com/content/www/us/en/developer/articles/technical/software-security-guidance/best-practices/microcode-update-guidance.html>;
//! - AMD (`amd-ucode/*.bin`): the `DMA\0` container, its equivalence table and patch sections
//!   (patch id, processor revision id), as read by Linux `arch/x86/kernel/cpu/microcode/amd.c`.
//!
//! A microcode file's format names its CPU vendor (`GenuineIntel`, `AuthenticAMD` evidence).
//! Microcode is read whole (at most [`MAX_MICROCODE`] bytes, [`MAX_UPDATES`] updates).
//! Compressed (`.xz`, `.zst`) microcode is attributed by path and not parsed.
//!
//! Every blob's content is recognised too ([`blob`]: the first and last bytes, bounded), its
//! evidence added beside the path's; the same recogniser makes components of blobs outside
//! firmware trees ([`blob::FirmwareBlob`]). The copyright holders of the package that ships the
//! tree, from its DEP-5 copyright file, are evidence as well ([`dep5`]).

pub mod blob;
pub mod dep5;

use super::{Candidate, Collected, Collector, Context};
use crate::model::{Component, ComponentKind, EvidenceKind};
use std::collections::BTreeSet;

/// Largest microcode file parsed.
pub const MAX_MICROCODE: u64 = 16 << 20;
/// Most updates or patches read from one microcode file.
pub const MAX_UPDATES: usize = 4096;

/// What marks a firmware tree (`/usr/lib/firmware/` ends with it too).
const TREE: &str = "/lib/firmware/";

/// The linux-firmware collector.
pub struct LinuxFirmware;

/// The path relative to the firmware directory, for paths in a firmware tree: the part after
/// the last `/lib/firmware/` (`/staging/x/lib/firmware/iwlwifi-cc-a0-77.ucode` →
/// `iwlwifi-cc-a0-77.ucode`).
pub fn relative(path: &str) -> Option<&str> {
    tree(path).map(|(_, rel)| rel)
}

/// The system that holds a firmware tree and the path inside it: `/staging/x/lib/firmware/a`
/// → (`/staging/x`, `a`); `/usr/lib/firmware/a` → (``, `a`) (`/usr` is part of the system).
pub fn tree(path: &str) -> Option<(&str, &str)> {
    let i = path.rfind(TREE)?;
    let rel = &path[i + TREE.len()..];
    let base = &path[..i];
    let base = base.strip_suffix("/usr").unwrap_or(base);
    (!rel.is_empty()).then_some((base, rel))
}

impl Collector for LinuxFirmware {
    fn id(&self) -> &'static str {
        "linux-firmware"
    }
    fn reads(&self) -> &'static str {
        "every file in a firmware tree: `/lib/firmware`, `/usr/lib/firmware` and `lib/firmware` at any depth (attributed by the rules' `firmware_paths` on the path inside the tree); Intel `intel-ucode/` and AMD `amd-ucode/` microcode headers; the blob's content as `firmware-blob` reads it; copyright holders from the shipping package's DEP-5 `usr/share/doc/<pkg>/copyright` (`Files:` paragraph covering the blob)"
    }
    fn emits(&self) -> &'static [EvidenceKind] {
        &[
            EvidenceKind::CompanyName,
            EvidenceKind::CopyrightHolder,
            EvidenceKind::CpuVendorId,
            EvidenceKind::FirmwareFormat,
            EvidenceKind::FirmwarePath,
            EvidenceKind::PciVendorId,
        ]
    }
    fn matches_path(&self, path: &str) -> bool {
        relative(path).is_some()
    }
    fn wants_owned(&self) -> bool {
        true
    }
    fn collect(&self, c: &Candidate<'_>, ctx: &Context<'_>) -> Collected {
        let Some((base, rel)) = tree(c.path) else {
            return Collected::default();
        };
        let mut comp = Component::new(ComponentKind::Firmware, Some("linux-firmware"), rel, None);
        comp.id = format!("linux-firmware:{rel}");
        comp.locations.push(c.path.to_owned());
        comp.add_evidence(EvidenceKind::FirmwarePath, rel, c.path);
        let kind = if rel.starts_with("intel-ucode/") && !is_compressed(rel) {
            Some(Microcode::Intel)
        } else if rel.starts_with("amd-ucode/") && !is_compressed(rel) {
            Some(Microcode::Amd)
        } else {
            None
        };
        let mut out = Collected::default();
        if let Some(kind) = kind {
            let bytes = if c.size > MAX_MICROCODE {
                Err(format!(
                    "{} bytes, over the {MAX_MICROCODE} byte limit",
                    c.size
                ))
            } else {
                c.open()
                    .and_then(|f| f.read_capped(MAX_MICROCODE))
                    .map_err(|e| e.to_string())
            };
            let parsed = bytes.and_then(|b| match kind {
                Microcode::Intel => intel(&b),
                Microcode::Amd => amd(&b),
            });
            match parsed {
                Ok(info) => info.apply(&mut comp, c.path),
                Err(e) => out.errors.push(crate::model::ScanError::new(
                    c.path,
                    format!("microcode: {e}"),
                )),
            }
        }
        match c.open().and_then(blob::Sample::read) {
            Ok(s) => blob::apply(&blob::recognise(&s), &mut comp, c.path),
            Err(e) => out.errors.push(crate::model::ScanError::new(
                c.path,
                format!("cannot read firmware: {e}"),
            )),
        }
        match dep5::holders(ctx.root, base, rel, c.owner) {
            Ok(Some(h)) => {
                for holder in &h.holders {
                    comp.add_evidence(EvidenceKind::CopyrightHolder, holder, &h.file);
                }
                comp.set_property("copyright-files", h.pattern);
            }
            Ok(None) => {}
            Err(e) => out.errors.push(crate::model::ScanError::new(c.path, e)),
        }
        out.components.push(comp);
        out
    }
}

fn is_compressed(rel: &str) -> bool {
    rel.ends_with(".xz") || rel.ends_with(".zst") || rel.ends_with(".gz")
}

#[derive(Clone, Copy)]
enum Microcode {
    Intel,
    Amd,
}

/// What a microcode file says.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct MicrocodeInfo {
    /// `GenuineIntel` or `AuthenticAMD`.
    pub cpu_vendor: &'static str,
    /// Highest revision (patch id) in the file.
    pub revision: u32,
    /// Processor signatures (`06-55-07`) or AMD families (`17h`) covered.
    pub targets: BTreeSet<String>,
    /// Update dates (`2023-07-11`) for Intel.
    pub dates: BTreeSet<String>,
    /// Number of updates or patches.
    pub updates: usize,
}

impl MicrocodeInfo {
    fn apply(&self, comp: &mut Component, path: &str) {
        comp.version = Some(format!("{:#x}", self.revision));
        comp.id = format!("{}@{:#x}", comp.id, self.revision);
        comp.add_evidence(EvidenceKind::CpuVendorId, self.cpu_vendor, path);
        comp.set_property(
            "microcode",
            if self.cpu_vendor == "AuthenticAMD" {
                "amd"
            } else {
                "intel"
            },
        );
        comp.set_property(
            "microcode-targets",
            self.targets.iter().cloned().collect::<Vec<_>>().join(" "),
        );
        comp.set_property("microcode-updates", self.updates.to_string());
        if let Some(d) = self.dates.iter().next_back() {
            comp.set_property("microcode-date", d);
        }
    }
}

fn u32_at(b: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(o..o.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn u16_at(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(o..o.checked_add(2)?)?.try_into().ok()?,
    ))
}

/// Family, model and stepping of an x86 CPUID signature.
pub fn fms(sig: u32) -> (u32, u32, u32) {
    let base_family = (sig >> 8) & 0xf;
    let family = if base_family == 0xf {
        base_family + ((sig >> 20) & 0xff)
    } else {
        base_family
    };
    let model = ((sig >> 4) & 0xf) | (((sig >> 16) & 0xf) << 4);
    (family, model, sig & 0xf)
}

/// Parse concatenated Intel microcode updates.
pub fn intel(b: &[u8]) -> Result<MicrocodeInfo, String> {
    let mut info = MicrocodeInfo {
        cpu_vendor: "GenuineIntel",
        ..MicrocodeInfo::default()
    };
    let mut o = 0usize;
    while o < b.len() && info.updates < MAX_UPDATES {
        let hv = u32_at(b, o).ok_or("truncated header")?;
        let loader = u32_at(b, o + 20).ok_or("truncated header")?;
        if hv != 1 || loader != 1 {
            return Err(format!(
                "not an Intel microcode update at offset {o} (header version {hv})"
            ));
        }
        let rev = u32_at(b, o + 4).ok_or("truncated header")?;
        let date = u32_at(b, o + 8).ok_or("truncated header")?;
        let sig = u32_at(b, o + 12).ok_or("truncated header")?;
        let data_size = u32_at(b, o + 28).ok_or("truncated header")?;
        let total = match u32_at(b, o + 32).ok_or("truncated header")? {
            _ if data_size == 0 => 2048,
            t => t as usize,
        };
        if total < 48 || total % 1024 != 0 || o.checked_add(total).is_none_or(|e| e > b.len()) {
            return Err(format!(
                "update at offset {o} claims {total} bytes; file has {}",
                b.len()
            ));
        }
        let (f, m, s) = fms(sig);
        info.targets.insert(format!("{f:02x}-{m:02x}-{s:02x}"));
        let d = format!("{date:08x}");
        if d.bytes().all(|c| c.is_ascii_digit()) {
            info.dates
                .insert(format!("{}-{}-{}", &d[4..8], &d[0..2], &d[2..4]));
        }
        info.revision = info.revision.max(rev);
        info.updates += 1;
        o += total;
    }
    if info.updates == 0 {
        return Err("empty file".into());
    }
    Ok(info)
}

/// Parse AMD microcode containers (one or more, concatenated).
pub fn amd(b: &[u8]) -> Result<MicrocodeInfo, String> {
    let mut info = MicrocodeInfo {
        cpu_vendor: "AuthenticAMD",
        ..MicrocodeInfo::default()
    };
    let mut o = 0usize;
    while o < b.len() && info.updates < MAX_UPDATES {
        if b.get(o..o + 4) != Some(b"DMA\0") {
            if info.updates == 0 {
                return Err(format!("no AMD container magic at offset {o}"));
            }
            break;
        }
        let (ty, size) = (
            u32_at(b, o + 4).ok_or("truncated")?,
            u32_at(b, o + 8).ok_or("truncated")? as usize,
        );
        if ty != 0 {
            return Err(format!(
                "container at offset {o} does not start with an equivalence table"
            ));
        }
        let table = b
            .get(o + 12..)
            .and_then(|t| t.get(..size))
            .ok_or("equivalence table runs past the end")?;
        for e in table.chunks_exact(16) {
            let sig = u32_at(e, 0).unwrap_or(0);
            if sig == 0 {
                break;
            }
            info.targets.insert(format!("{:02x}h", fms(sig).0));
        }
        o += 12 + size;
        // Patch sections until the next container or the end.
        while o + 8 <= b.len() && b.get(o..o + 4) != Some(b"DMA\0") && info.updates < MAX_UPDATES {
            let ty = u32_at(b, o).ok_or("truncated")?;
            let size = u32_at(b, o + 4).ok_or("truncated")? as usize;
            if ty != 1 {
                return Err(format!("unknown section type {ty} at offset {o}"));
            }
            let patch = b
                .get(o + 8..)
                .and_then(|p| p.get(..size))
                .ok_or("patch runs past the end")?;
            let id = u32_at(patch, 4).ok_or("patch header truncated")?;
            let _rev_id = u16_at(patch, 24).ok_or("patch header truncated")?;
            info.revision = info.revision.max(id);
            info.updates += 1;
            o += 8 + size;
        }
        if o + 8 > b.len() {
            break;
        }
    }
    if info.updates == 0 {
        return Err("container without patches".into());
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_microcode_headers() {
        let i = intel(include_bytes!(
            "../../../fixtures/linux-firmware/debian-12/lib/firmware/intel-ucode/06-55-07"
        ))
        .unwrap();
        assert!(i.targets.contains("06-55-07"), "{:?}", i.targets);
        assert!(i.revision > 0x5000000, "{:#x}", i.revision);
        let a = amd(include_bytes!("../../../fixtures/linux-firmware/debian-12/lib/firmware/amd-ucode/microcode_amd_fam16h.bin")).unwrap();
        assert_eq!(a.targets.iter().collect::<Vec<_>>(), vec!["16h"]);
        assert!(a.updates >= 1 && a.revision >= 0x7000000, "{a:?}");
    }

    #[test]
    fn firmware_trees_at_any_depth() {
        assert_eq!(relative("/lib/firmware/rtl_nic/a.fw"), Some("rtl_nic/a.fw"));
        assert_eq!(relative("/usr/lib/firmware/a.bin"), Some("a.bin"));
        assert_eq!(
            relative("/staging/firmware-iwlwifi/lib/firmware/iwlwifi-cc-a0-77.ucode"),
            Some("iwlwifi-cc-a0-77.ucode")
        );
        // The last `/lib/firmware/` wins; a bare directory or a look-alike is no tree.
        assert_eq!(
            tree("/img/lib/firmware/x/lib/firmware/b.bin"),
            Some(("/img/lib/firmware/x", "b.bin"))
        );
        assert_eq!(tree("/x/usr/lib/firmware/a/b"), Some(("/x", "a/b")));
        assert_eq!(tree("/usr/lib/firmware/a"), Some(("", "a")));
        assert_eq!(relative("/lib/firmware/"), None);
        assert_eq!(relative("/opt/mylib/firmware/a.bin"), None);
        assert_eq!(relative("/lib/firmware2/a.bin"), None);
    }

    #[test]
    fn hostile_microcode_is_an_error() {
        let mut h = vec![0u8; 48];
        h[0] = 1;
        h[20] = 1;
        h[28] = 1; // data_size != 0
        h[32..36].copy_from_slice(&0xffff_fc00u32.to_le_bytes()); // claims ~4 GiB
        assert!(intel(&h).unwrap_err().contains("claims"));
        assert!(intel(b"").is_err());
        assert!(amd(b"DMA\0\0\0\0\0\xff\xff\xff\x7f").is_err());
        assert!(amd(b"MZ").is_err());
        assert_eq!(fms(0x50657), (6, 0x55, 7));
        assert_eq!(fms(0x00830f10).0, 0x17);
    }
}
