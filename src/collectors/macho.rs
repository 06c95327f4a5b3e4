//! Mach-O images no package owns, thin and fat (universal), via goblin, plus the embedded code
//! signature that goblin leaves as bytes and this module parses, bounds-checked:
//! `LC_CODE_SIGNATURE` → the super-blob (`0xfade0cc0`) → the CodeDirectory (`0xfade0c02`:
//! identifier, team id, flags: ad hoc or not) and the CMS blob wrapper (`0xfade0b01`), whose
//! certificates ([`super::signature`]) name the signer (`Developer ID Application: Org (TEAMID)`,
//! `O=`, `OU=` team, `C=`). The CodeDirectory's code-page hashes (SHA-1/256/384) are checked
//! against the slice: property `signature-digest` (`verified`, `mismatch`). Layout: Apple's
//! `xnu/osfmk/kern/cs_blobs.h`.
//!
//! A Mach-O inside an application bundle (`X.app/Contents/…`) is linked to the bundle's
//! component (`macos-app:/…/X.app`, see [`super::appbundle`]) by a `contains` relationship.
//!
//! Caps: images over [`MAX_MACHO`] are skipped; at most [`MAX_ARCHES`] slices of a fat file and
//! [`MAX_BLOBS`] blobs of a super-blob are looked at; the super-blob is read up to
//! [`MAX_SIGNATURE`] bytes; page hashes are checked for slices up to [`MAX_HASHED`] bytes.
//! Files over [`crate::rootfs::MMAP_THRESHOLD`] are memory-mapped.

use super::signature;
use super::{Candidate, Collected, Collector, Context};
use crate::model::{
    Component, ComponentKind, EvidenceKind, Relationship, RelationshipKind, ScanError,
};
use goblin::mach::load_command::CommandVariant;
use goblin::mach::MachO;

/// Largest Mach-O parsed.
pub const MAX_MACHO: u64 = 4 << 30;
/// Slices of a fat file looked at.
pub const MAX_ARCHES: usize = 16;
/// Blobs of a code-signature super-blob looked at.
pub const MAX_BLOBS: usize = 64;
/// Largest code signature read.
pub const MAX_SIGNATURE: usize = 4 << 20;

const FAT_MAGIC: u32 = 0xcafe_babe;
const FAT_MAGIC_64: u32 = 0xcafe_babf;
const CSMAGIC_EMBEDDED_SIGNATURE: u32 = 0xfade_0cc0;
const CSMAGIC_CODEDIRECTORY: u32 = 0xfade_0c02;
const CSMAGIC_BLOBWRAPPER: u32 = 0xfade_0b01;
const CSSLOT_CODEDIRECTORY: u32 = 0;
const CSSLOT_SIGNATURESLOT: u32 = 0x10000;
const CS_ADHOC: u32 = 0x2;
const CS_LINKER_SIGNED: u32 = 0x2_0000;

/// The Mach-O collector.
pub struct MachOCollector;

impl Collector for MachOCollector {
    fn id(&self) -> &'static str {
        "macho"
    }
    fn reads(&self) -> &'static str {
        "Mach-O images (thin and universal) no package owns, and those a package owns: code signature: CodeDirectory identifier and team id, ad hoc or Developer ID signer `O=`/`C=` and chain, code-page hashes checked; linked images; `contains` link to the app bundle"
    }
    fn emits(&self) -> &'static [EvidenceKind] {
        &[
            EvidenceKind::AttestationSigner,
            EvidenceKind::BinaryName,
            EvidenceKind::Certificate,
            EvidenceKind::Needed,
            EvidenceKind::SignerSubject,
            EvidenceKind::SigningId,
            EvidenceKind::Soname,
            EvidenceKind::String,
        ]
    }
    fn matches_head(&self, head: &[u8]) -> bool {
        is_macho_head(head)
    }
    fn deep(&self) -> bool {
        true
    }
    fn collect(&self, c: &Candidate<'_>, ctx: &Context<'_>) -> Collected {
        let bytes = match c.load("Mach-O file", MAX_MACHO) {
            Ok(b) => b,
            Err(e) => return e,
        };
        let mut out = parse(&bytes, c.path);
        // Link to the bundle only when it is one (its Info.plist makes the app component).
        out.relationships.retain(|r| {
            let plist = format!(
                "{}/Contents/Info.plist",
                r.from.trim_start_matches("macos-app:")
            );
            ctx.root.is_file(&plist)
        });
        out
    }
}

/// Thin Mach-O magics (either byte order) or a fat header with a plausible slice count (Java
/// class files share `0xcafebabe` but carry a version ≥ 45 there).
pub fn is_macho_head(head: &[u8]) -> bool {
    match crate::bytes::u32be(head, 0) {
        Some(0xfeed_face | 0xfeed_facf | 0xcefa_edfe | 0xcffa_edfe) => true,
        Some(FAT_MAGIC | FAT_MAGIC_64) => {
            crate::bytes::u32be(head, 4).is_some_and(|n| (1..=MAX_ARCHES as u32).contains(&n))
        }
        _ => false,
    }
}

/// The byte ranges of the slices of a fat file; the whole file when thin.
fn slices(bytes: &[u8]) -> Result<Vec<&[u8]>, String> {
    let magic = crate::bytes::u32be(bytes, 0).ok_or("file is shorter than a Mach-O header")?;
    if magic != FAT_MAGIC && magic != FAT_MAGIC_64 {
        return Ok(vec![bytes]);
    }
    let n = crate::bytes::u32be(bytes, 4).unwrap_or(0) as usize;
    if n == 0 || n > MAX_ARCHES {
        return Err(format!("fat header claims {n} slices"));
    }
    let mut out = Vec::new();
    for i in 0..n {
        let (off, size) = if magic == FAT_MAGIC {
            let at = 8 + i * 20;
            (
                crate::bytes::u32be(bytes, at + 8).map(u64::from),
                crate::bytes::u32be(bytes, at + 12).map(u64::from),
            )
        } else {
            let at = 8 + i * 32;
            (
                crate::bytes::u64be(bytes, at + 8),
                crate::bytes::u64be(bytes, at + 16),
            )
        };
        let (Some(off), Some(size)) = (off, size) else {
            return Err(format!("fat slice {i} header is truncated"));
        };
        let slice = usize::try_from(off)
            .ok()
            .zip(usize::try_from(size).ok())
            .and_then(|(o, s)| bytes.get(o..o.checked_add(s)?))
            .ok_or_else(|| {
                format!("fat slice {i} at {off:#x} of {size} bytes runs past the end of the file")
            })?;
        out.push(slice);
    }
    Ok(out)
}

/// What the code signature of one slice says.
#[derive(Debug, Default)]
pub struct CodeSignature {
    /// CodeDirectory identifier (the bundle id for apps).
    pub identifier: Option<String>,
    /// Team id (CodeDirectory ≥ 0x20200).
    pub team_id: Option<String>,
    /// CodeDirectory flags.
    pub flags: u32,
    /// The CMS signature, when there is a non-empty one.
    pub cms: Option<signature::SignatureInfo>,
    /// The CodeDirectory blob (for the page-hash check).
    pub code_directory: Vec<u8>,
}

/// Parse one Mach-O image (thin or fat) into a component and the errors met.
pub fn parse(bytes: &[u8], path: &str) -> Collected {
    let mut out = Collected::default();
    let slices = match slices(bytes) {
        Ok(s) => s,
        Err(e) => return Collected::error(path, format!("malformed Mach-O: {e}")),
    };
    let file_name = path.rsplit('/').next().unwrap_or(path);
    let mut comp = Component::new(ComponentKind::Binary, Some("macho"), file_name, None);
    comp.id = format!("macho:{path}");
    comp.locations.push(path.to_owned());
    comp.add_evidence(EvidenceKind::BinaryName, file_name, path);
    let mut arches = Vec::new();
    let mut parsed = 0usize;
    let mut sig_kind: Option<&str> = None;
    let mut digest_state: Option<&'static str> = None;
    for (i, slice) in slices.iter().enumerate() {
        let macho = match MachO::parse(slice, 0) {
            Ok(m) => m,
            Err(e) => {
                out.errors.push(ScanError::new(
                    path,
                    format!("malformed Mach-O slice {i}: {e}"),
                ));
                continue;
            }
        };
        parsed += 1;
        let arch = goblin::mach::constants::cputype::get_arch_name_from_types(
            macho.header.cputype,
            // The high byte holds capability bits (CPU_SUBTYPE_LIB64…), not the subtype.
            macho.header.cpusubtype & 0x00ff_ffff,
        )
        .unwrap_or("unknown");
        arches.push(arch.to_owned());
        if let Some(name) = macho.name {
            comp.add_evidence(EvidenceKind::Soname, name, path);
        }
        for lib in macho.libs.iter().filter(|l| **l != "self").take(64) {
            comp.add_evidence(EvidenceKind::Needed, lib, path);
        }
        match code_signature(slice, &macho) {
            Ok(None) => {}
            Ok(Some(cs)) => {
                let at = format!("{path}#codesign");
                if let Some(id) = &cs.identifier {
                    comp.add_evidence(EvidenceKind::SigningId, id, &at);
                    comp.set_property("signing-id", id);
                }
                if let Some(t) = &cs.team_id {
                    comp.set_property("team-id", t);
                }
                let digest = page_hashes(slice, &cs.code_directory);
                // One mismatching slice makes the file's digest a mismatch.
                if digest_state != Some("mismatch") {
                    digest_state = Some(digest);
                }
                let kind = match &cs.cms {
                    Some(info) => {
                        signature::add_to(&mut comp, info, "apple-code-signature", &at);
                        "apple-code-signature"
                    }
                    None if cs.flags & CS_LINKER_SIGNED != 0 => "apple-linker-signed",
                    None if cs.flags & CS_ADHOC != 0 => "apple-ad-hoc",
                    None => "apple-unsigned-code-directory",
                };
                // The strongest kind seen across slices is the file's.
                if sig_kind.is_none() || kind == "apple-code-signature" {
                    sig_kind = Some(kind);
                }
            }
            Err(e) => out.errors.push(ScanError::new(
                path,
                format!("Mach-O code signature (slice {i}): {e}"),
            )),
        }
    }
    if parsed == 0 {
        return out;
    }
    comp.set_property("signature", sig_kind.unwrap_or("none"));
    if let Some(d) = digest_state {
        comp.set_property("signature-digest", d);
    }
    comp.set_property("machine", arches.join(","));
    if slices.len() > 1 {
        comp.set_property("universal", "true");
    }
    if let Some(bundle) = bundle_of(path) {
        out.relationships.push(Relationship {
            from: format!("macos-app:{bundle}"),
            to: comp.id.clone(),
            kind: RelationshipKind::Contains,
        });
    }
    out.components.push(comp);
    out
}

/// `/Applications/X.app` for `/Applications/X.app/Contents/MacOS/X` (the innermost bundle).
pub fn bundle_of(path: &str) -> Option<&str> {
    let i = path.rfind(".app/Contents/")?;
    Some(&path[..i + 4])
}

/// Find and parse `LC_CODE_SIGNATURE`. `Ok(None)` when the image has none.
pub fn code_signature(slice: &[u8], macho: &MachO<'_>) -> Result<Option<CodeSignature>, String> {
    let Some(cmd) = macho.load_commands.iter().find_map(|lc| match &lc.command {
        CommandVariant::CodeSignature(c) => Some(*c),
        _ => None,
    }) else {
        return Ok(None);
    };
    let off = cmd.dataoff as usize;
    let size = (cmd.datasize as usize).min(MAX_SIGNATURE);
    let blob = off
        .checked_add(size)
        .and_then(|end| slice.get(off..end))
        .ok_or_else(|| {
            format!("signature at {off:#x} of {size} bytes runs past the end of the image")
        })?;
    parse_superblob(blob).map(Some)
}

/// Parse an embedded-signature super-blob.
pub fn parse_superblob(blob: &[u8]) -> Result<CodeSignature, String> {
    if crate::bytes::u32be(blob, 0) != Some(CSMAGIC_EMBEDDED_SIGNATURE) {
        return Err("not an embedded-signature super-blob".into());
    }
    let len = (crate::bytes::u32be(blob, 4).unwrap_or(0) as usize).min(blob.len());
    let blob = &blob[..len];
    let count = crate::bytes::u32be(blob, 8).ok_or("super-blob header is truncated")? as usize;
    let mut cs = CodeSignature::default();
    let mut seen_cd = false;
    for i in 0..count.min(MAX_BLOBS) {
        let (Some(kind), Some(off)) = (
            crate::bytes::u32be(blob, 12 + i * 8),
            crate::bytes::u32be(blob, 16 + i * 8),
        ) else {
            return Err(format!("super-blob index entry {i} is outside the blob"));
        };
        let off = off as usize;
        let sub_len = crate::bytes::u32be(blob, off + 4)
            .ok_or_else(|| format!("blob {i} at {off:#x} is outside the super-blob"))?
            as usize;
        let sub = off
            .checked_add(sub_len)
            .and_then(|end| blob.get(off..end))
            .filter(|s| s.len() >= 8)
            .ok_or_else(|| {
                format!("blob {i} at {off:#x} of {sub_len} bytes overruns the super-blob")
            })?;
        match (kind, crate::bytes::u32be(sub, 0)) {
            (CSSLOT_CODEDIRECTORY, Some(CSMAGIC_CODEDIRECTORY)) if !seen_cd => {
                seen_cd = true;
                code_directory(sub, &mut cs)?;
                cs.code_directory = sub.to_vec();
            }
            (CSSLOT_SIGNATURESLOT, Some(CSMAGIC_BLOBWRAPPER)) if sub.len() > 8 => {
                cs.cms = Some(signature::parse(&sub[8..], true)?);
            }
            _ => {}
        }
    }
    Ok(cs)
}

fn code_directory(cd: &[u8], cs: &mut CodeSignature) -> Result<(), String> {
    let version = crate::bytes::u32be(cd, 8).ok_or("CodeDirectory is truncated")?;
    cs.flags = crate::bytes::u32be(cd, 12).ok_or("CodeDirectory is truncated")?;
    let ident = crate::bytes::u32be(cd, 20).ok_or("CodeDirectory is truncated")? as usize;
    cs.identifier = cstr(cd, ident);
    if version >= 0x20200 {
        if let Some(team) = crate::bytes::u32be(cd, 48).filter(|t| *t != 0) {
            cs.team_id = cstr(cd, team as usize);
        }
    }
    Ok(())
}

/// Largest slice whose page hashes are checked.
pub const MAX_HASHED: usize = 512 << 20;

/// Check the CodeDirectory's code-page hashes against the slice: `verified`, `mismatch`,
/// `unsupported-digest` or `not-checked`.
pub fn page_hashes(slice: &[u8], cd: &[u8]) -> &'static str {
    use sha2::Digest;
    let (Some(hash_off), Some(n), Some(limit32)) = (
        crate::bytes::u32be(cd, 16),
        crate::bytes::u32be(cd, 28),
        crate::bytes::u32be(cd, 32),
    ) else {
        return "not-checked";
    };
    let (Some(&hash_size), Some(&hash_type), Some(&page_log)) =
        (cd.get(36), cd.get(37), cd.get(39))
    else {
        return "not-checked";
    };
    let version = crate::bytes::u32be(cd, 8).unwrap_or(0);
    let limit = match crate::bytes::u64be(cd, 56).filter(|l| version >= 0x20300 && *l != 0) {
        Some(l64) => usize::try_from(l64).unwrap_or(usize::MAX),
        None => limit32 as usize,
    };
    if limit > slice.len() || limit > MAX_HASHED || page_log >= 32 {
        return if limit > slice.len() {
            "mismatch"
        } else {
            "not-checked"
        };
    }
    let page = if page_log == 0 {
        limit.max(1)
    } else {
        1usize << page_log
    };
    let (n, hash_off, hash_size) = (n as usize, hash_off as usize, hash_size as usize);
    if n != limit.div_ceil(page) {
        return "mismatch";
    }
    let digest = |data: &[u8]| -> Option<Vec<u8>> {
        match hash_type {
            1 => Some(sha1::Sha1::digest(data).to_vec()),
            2 | 3 => Some(sha2::Sha256::digest(data).to_vec()),
            4 => Some(sha2::Sha384::digest(data).to_vec()),
            _ => None,
        }
    };
    for i in 0..n {
        let start = i * page;
        let Some(data) = slice.get(start..(start + page).min(limit)) else {
            return "mismatch";
        };
        let Some(want) = hash_off
            .checked_add(i * hash_size)
            .and_then(|a| cd.get(a..a + hash_size))
        else {
            return "mismatch";
        };
        let Some(got) = digest(data) else {
            return "unsupported-digest";
        };
        if got.get(..hash_size) != Some(want) {
            return "mismatch";
        }
    }
    "verified"
}

/// A NUL-terminated string at `at`, at most 1 KiB.
fn cstr(b: &[u8], at: usize) -> Option<String> {
    let rest = b.get(at..)?;
    let rest = &rest[..rest.len().min(1024)];
    let end = rest.iter().position(|c| *c == 0)?;
    let s = String::from_utf8_lossy(&rest[..end]).trim().to_owned();
    (!s.is_empty()).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    const THIN: &[u8] =
        include_bytes!("../../fixtures/macho/wheels/markupsafe/_speedups.cpython-311-darwin.so");
    const FAT: &[u8] = include_bytes!(
        "../../fixtures/macho/universal2/markupsafe/_speedups.cpython-311-darwin.so"
    );

    fn prop<'a>(c: &'a Collected, k: &str) -> Option<&'a str> {
        c.components.first()?.properties.get(k).map(String::as_str)
    }

    #[test]
    fn thin_ad_hoc_signed() {
        let c = parse(THIN, "/x/_speedups.so");
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        assert_eq!(prop(&c, "machine"), Some("arm64"));
        assert!(prop(&c, "signature")
            .is_some_and(|s| s == "apple-ad-hoc" || s == "apple-linker-signed"));
        assert!(prop(&c, "signing-id").is_some());
        assert_eq!(prop(&c, "signature-digest"), Some("verified"));
        // One changed byte of code: the page hash no longer matches.
        let mut b = THIN.to_vec();
        b[0x1000] ^= 0xff;
        assert_eq!(
            prop(&parse(&b, "/x.so"), "signature-digest"),
            Some("mismatch")
        );
    }

    #[test]
    fn universal_has_both_slices() {
        let c = parse(FAT, "/x/_speedups.so");
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        assert_eq!(prop(&c, "machine"), Some("x86_64,arm64"));
        assert_eq!(prop(&c, "universal"), Some("true"));
        assert_eq!(prop(&c, "signature-digest"), Some("verified"));
    }

    #[test]
    fn developer_id_signature() {
        // The LC_CODE_SIGNATURE data of a Developer ID-signed binary (CMake's ctest, arm64).
        let blob = include_bytes!("../../fixtures/macho/codesign/cmake-4.4.4-ctest-arm64.codesign");
        let cs = parse_superblob(blob).unwrap();
        assert_eq!(cs.identifier.as_deref(), Some("ctest"));
        assert_eq!(cs.team_id.as_deref(), Some("W38PE5Y733"));
        assert_eq!(cs.flags & CS_ADHOC, 0);
        let info = cs.cms.unwrap();
        let signer = info.signer.unwrap();
        assert_eq!(signer.organisation.as_deref(), Some("Kitware Inc."));
        assert_eq!(signer.country.as_deref(), Some("US"));
        assert_eq!(
            signer.common_name.as_deref(),
            Some("Developer ID Application: Kitware Inc. (W38PE5Y733)")
        );
        assert!(signer
            .issuer
            .contains("Developer ID Certification Authority"));
        assert_eq!(
            info.chain.last().and_then(|c| c.common_name.as_deref()),
            Some("Apple Root CA")
        );
        // Cut short anywhere: an error or a partial result, never a panic.
        for n in (0..blob.len()).step_by(97) {
            let _ = parse_superblob(&blob[..n]);
        }
    }

    #[test]
    fn heads() {
        assert!(is_macho_head(&FAT[..64]));
        assert!(is_macho_head(&THIN[..64]));
        // A Java class file: 0xcafebabe then version 0.52.
        assert!(!is_macho_head(&[0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52]));
    }

    #[test]
    fn bundle_paths() {
        assert_eq!(
            bundle_of("/Applications/A.app/Contents/MacOS/A"),
            Some("/Applications/A.app")
        );
        assert_eq!(
            bundle_of("/Applications/A.app/Contents/Frameworks/B.app/Contents/MacOS/B"),
            Some("/Applications/A.app/Contents/Frameworks/B.app")
        );
        assert_eq!(bundle_of("/usr/lib/x.dylib"), None);
    }

    #[test]
    fn corrupt_signature_is_an_error_not_a_panic() {
        // Synthesised: the super-blob's first index entry points past its end.
        let m = MachO::parse(THIN, 0).unwrap();
        let cmd = m
            .load_commands
            .iter()
            .find_map(|lc| match &lc.command {
                CommandVariant::CodeSignature(c) => Some(*c),
                _ => None,
            })
            .unwrap();
        let mut b = THIN.to_vec();
        let at = cmd.dataoff as usize + 16;
        b[at..at + 4].copy_from_slice(&0x7fff_0000u32.to_be_bytes());
        let c = parse(&b, "/x.so");
        assert_eq!(c.components.len(), 1);
        assert!(
            c.errors.iter().any(|e| e.error.contains("code signature")),
            "{:?}",
            c.errors
        );
        // A fat header whose slice runs past the end.
        let mut b = FAT.to_vec();
        b[16..20].copy_from_slice(&0x7fff_0000u32.to_be_bytes());
        let c = parse(&b, "/x.so");
        assert!(c.components.is_empty());
        assert!(
            c.errors.iter().any(|e| e.error.contains("past the end")),
            "{:?}",
            c.errors
        );
    }

    /// Deterministic mutation fuzzing of real images: no panic, bounded time.
    #[test]
    fn mutated_images_never_panic() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let started = std::time::Instant::now();
        for base in [THIN, FAT] {
            for round in 0..crate::collectors::signature::fuzz_rounds(600) {
                let mut b = base.to_vec();
                for _ in 0..1 + (next() % 16) as usize {
                    // Half the rounds aim at the headers, the others at the signature at the end.
                    let at = if round % 2 == 0 {
                        (next() as usize) % b.len().min(4096)
                    } else {
                        b.len() - 1 - (next() as usize) % b.len().min(8192)
                    };
                    b[at] = next() as u8;
                }
                if round % 7 == 0 {
                    b.truncate((next() as usize) % base.len());
                }
                let t = std::time::Instant::now();
                let _ = parse(&b, "/fuzz.so");
                assert!(
                    t.elapsed() < std::time::Duration::from_secs(2),
                    "round {round}"
                );
            }
        }
        let long_run = std::env::var_os("SOVSCAN_FUZZ_ROUNDS").is_some();
        assert!(long_run || started.elapsed() < std::time::Duration::from_secs(60));
    }
}
