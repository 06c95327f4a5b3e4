//! PE/COFF images no package owns (EXE, DLL, SYS, EFI): headers and section table via goblin
//! (its import, export and TLS parsers are not run: nothing here needs them), plus two things
//! this module parses itself, bounds-checked, so that a damaged one costs only itself:
//!
//! - the version resource (`RT_VERSION` → `VS_VERSIONINFO` → `StringFileInfo`): CompanyName
//!   becomes [`EvidenceKind::CompanyName`], LegalCopyright [`EvidenceKind::CopyrightHolder`],
//!   OriginalFilename [`EvidenceKind::BinaryName`]; ProductName, FileDescription, FileVersion
//!   and InternalName are kept as properties, ProductVersion (else the fixed file info) is the
//!   version. Format: <https://learn.microsoft.com/en-us/windows/win32/menurc/vs-versioninfo>.
//! - the Authenticode signature: the certificate table (`WIN_CERTIFICATE` entries, a file
//!   offset, not an RVA) holds PKCS#7 `SignedData`, decoded by [`super::signature`]; the
//!   `SpcIndirectDataContent` digest is checked against the file's Authenticode hash
//!   (SHA-1/256/384/512), reported as the `signature-digest` property (`verified`, `mismatch`).
//!   Format: <https://learn.microsoft.com/en-us/windows/win32/debug/pe-format#the-attribute-certificate-table-image-only>.
//!
//! Caps: images over [`MAX_PE`] are skipped with an error; the version resource is read up to
//! [`MAX_VERSION_INFO`] bytes and [`MAX_DEPTH`] levels; at most [`MAX_DIR_ENTRIES`] entries of
//! one resource directory and [`MAX_CERTS`] certificate entries are looked at; the digest is
//! only computed for images up to [`MAX_HASHED`] bytes. Files over
//! [`crate::rootfs::MMAP_THRESHOLD`] are memory-mapped. A broken resource directory or
//! certificate table is a report error next to whatever else was read.

use super::signature::{self, SignatureInfo};
use super::{Candidate, Collected, Collector, Context};
use crate::model::{Component, ComponentKind, EvidenceKind, ScanError};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Any, Decode, Sequence};
use goblin::pe::header::Header;
use goblin::pe::optional_header::MAGIC_64;
use goblin::pe::section_table::SectionTable;
use sha2::Digest;
use x509_cert::spki::AlgorithmIdentifierOwned;

/// Largest PE parsed.
pub const MAX_PE: u64 = 4 << 30;
/// Largest version resource read.
pub const MAX_VERSION_INFO: usize = 64 * 1024;
/// Deepest nesting of version-info blocks followed.
pub const MAX_DEPTH: usize = 4;
/// Entries of one resource directory looked at.
pub const MAX_DIR_ENTRIES: usize = 4096;
/// Certificate-table entries looked at.
pub const MAX_CERTS: usize = 8;
/// Largest image whose Authenticode digest is computed.
pub const MAX_HASHED: usize = 512 << 20;

/// `RT_VERSION`.
const RT_VERSION: u32 = 16;
/// `WIN_CERT_TYPE_PKCS_SIGNED_DATA`.
const WIN_CERT_TYPE_PKCS_SIGNED_DATA: u16 = 2;

/// Version-resource strings worth keeping: (key, property).
const VERSION_KEYS: &[(&str, &str)] = &[
    ("ProductName", "product-name"),
    ("FileDescription", "file-description"),
    ("FileVersion", "file-version"),
    ("InternalName", "internal-name"),
    ("OriginalFilename", "original-filename"),
    ("CompanyName", "company-name"),
    ("LegalCopyright", "legal-copyright"),
];

/// The PE collector.
pub struct Pe;

impl Collector for Pe {
    fn id(&self) -> &'static str {
        "pe"
    }
    fn reads(&self) -> &'static str {
        "PE images (EXE, DLL, SYS, EFI) no package owns, and those a package owns: version resource (CompanyName, ProductName, FileDescription, ProductVersion, LegalCopyright, OriginalFilename); Authenticode signer `O=`/`CN=`/`C=`, issuer and chain, digest checked against the file"
    }
    fn emits(&self) -> &'static [EvidenceKind] {
        &[
            EvidenceKind::AttestationSigner,
            EvidenceKind::BinaryName,
            EvidenceKind::Certificate,
            EvidenceKind::CompanyName,
            EvidenceKind::CopyrightHolder,
            EvidenceKind::SignerSubject,
            EvidenceKind::String,
        ]
    }
    fn matches_head(&self, head: &[u8]) -> bool {
        is_pe_head(head)
    }
    fn deep(&self) -> bool {
        true
    }
    fn collect(&self, c: &Candidate<'_>, _ctx: &Context<'_>) -> Collected {
        let bytes = match c.load("PE file", MAX_PE) {
            Ok(b) => b,
            Err(e) => return e,
        };
        parse(&bytes, c.path)
    }
}

/// `MZ` and, when the head reaches that far, `PE\0\0` at `e_lfanew` (a file shorter than
/// the DOS header reads as zero-filled, as the Windows loader maps it).
pub fn is_pe_head(head: &[u8]) -> bool {
    if !head.starts_with(b"MZ") {
        return false;
    }
    if head.len() < 0x40 {
        let mut padded = [0u8; 0x40];
        padded[..head.len()].copy_from_slice(head);
        return is_pe_head(&padded);
    }
    match crate::bytes::u32le(head, 0x3c).map(|o| o as usize) {
        Some(o) if o.saturating_add(4) <= head.len() => head.get(o..o + 4) == Some(b"PE\0\0"),
        Some(_) => true,
        None => false,
    }
}

/// Smallest image the headers are read from: the Windows loader maps at least the first page,
/// zero-filled past the end of the file, so a tiny image's headers may run past its end.
const HEADER_PAGE: usize = 0x1000;

/// The headers when goblin's DOS-stub check refuses them: `e_lfanew` below 0x40 (the header
/// overlapping the DOS header, as the Windows loader allows), read field by field.
fn header_overlapping_dos(bytes: &[u8]) -> Option<Header<'_>> {
    use scroll::Pread;
    let pe = crate::bytes::u32le(bytes, 0x3c)?;
    if crate::bytes::slice(bytes, pe as usize, 4)? != b"PE\0\0" {
        return None;
    }
    let mut off = (pe as usize).checked_add(4)?;
    let coff_header = goblin::pe::header::CoffHeader::parse(bytes, &mut off).ok()?;
    // An optional header goblin cannot read (a loader-tolerated oddity) leaves the image
    // without data directories: no version resource or signature is looked for.
    let optional_header = (coff_header.size_of_optional_header > 0)
        .then(|| {
            bytes
                .pread::<goblin::pe::optional_header::OptionalHeader>(off)
                .ok()
        })
        .flatten();
    let dos_header = goblin::pe::header::DosHeader {
        signature: goblin::pe::header::DOS_MAGIC,
        pe_pointer: pe,
        ..Default::default()
    };
    Some(Header {
        dos_header,
        dos_stub: Default::default(),
        rich_header: None,
        signature: goblin::pe::header::PE_MAGIC,
        coff_header,
        optional_header,
    })
}

/// What this module reads of a PE image: its headers and section table.
pub struct Image<'a> {
    header: Header<'a>,
    sections: Vec<SectionTable>,
    is_64: bool,
    is_lib: bool,
}

impl<'a> Image<'a> {
    /// Parse the DOS, COFF and optional headers and the section table. goblin's full parse
    /// (imports, exports, TLS, debug, exception tables) is deliberately not run: nothing here
    /// needs it, and each of those parsers is more attack surface on hostile input (goblin
    /// 0.9's TLS parser panics on some mutated images).
    pub fn parse(bytes: &'a [u8]) -> Result<Image<'a>, String> {
        let header = match Header::parse(bytes) {
            Ok(h) => h,
            Err(e) => header_overlapping_dos(bytes).ok_or_else(|| format!("malformed PE: {e}"))?,
        };
        let mut offset = (header.dos_header.pe_pointer as usize)
            .saturating_add(goblin::pe::header::SIZEOF_PE_MAGIC)
            .saturating_add(goblin::pe::header::SIZEOF_COFF_HEADER)
            .saturating_add(header.coff_header.size_of_optional_header as usize);
        // A table declaring more sections than the file holds (the loader reads what is
        // there): the sections that fit.
        let sections = match header.coff_header.sections(bytes, &mut offset) {
            Ok(s) => s,
            Err(_) => {
                let mut v = Vec::new();
                let n = usize::from(header.coff_header.number_of_sections);
                let strings = (header.coff_header.pointer_to_symbol_table as usize).saturating_add(
                    (header.coff_header.number_of_symbol_table as usize).saturating_mul(18),
                );
                while v.len() < n {
                    match SectionTable::parse(bytes, &mut offset, strings) {
                        Ok(s) => v.push(s),
                        Err(_) => break,
                    }
                }
                v
            }
        };
        let is_64 = header
            .optional_header
            .is_some_and(|o| o.standard_fields.magic == MAGIC_64);
        let is_lib = goblin::pe::characteristic::is_dll(header.coff_header.characteristics);
        Ok(Image {
            header,
            sections,
            is_64,
            is_lib,
        })
    }
}

/// Parse one PE image into a component and the errors met. `path` is its system path.
pub fn parse(bytes: &[u8], path: &str) -> Collected {
    // A tiny image whose headers run past its end is read zero-filled to a page, as the loader
    // maps it; only when it does not parse as it is (a padded copy would change a digest).
    let padded;
    let bytes = if bytes.len() < HEADER_PAGE && Image::parse(bytes).is_err() {
        padded = [bytes, &[0u8; HEADER_PAGE][..HEADER_PAGE - bytes.len()]].concat();
        &padded[..]
    } else {
        bytes
    };
    let mut out = Collected::default();
    let pe = match Image::parse(bytes) {
        Ok(img) => img,
        Err(e) => return Collected::error(path, e),
    };
    let file_name = path.rsplit('/').next().unwrap_or(path);
    let info = match version_info(bytes, &pe) {
        Ok(v) => v,
        Err(e) => {
            out.errors
                .push(ScanError::new(path, format!("PE version resource: {e}")));
            None
        }
    };
    let version = info.as_ref().and_then(|i| {
        i.get("ProductVersion")
            .map(str::to_owned)
            .or_else(|| i.fixed_version.clone())
    });
    let mut comp = Component::new(
        ComponentKind::Binary,
        Some("pe"),
        file_name,
        version.as_deref(),
    );
    // Identity of an unowned binary is where it is: two copies are two components.
    comp.id = format!("pe:{path}");
    comp.locations.push(path.to_owned());
    comp.add_evidence(EvidenceKind::BinaryName, file_name, path);
    comp.set_property(
        "machine",
        goblin::pe::header::machine_to_str(pe.header.coff_header.machine),
    );
    comp.set_property("pe-type", pe_type(&pe));
    comp.set_property("efi-subsystem", efi_subsystem(&pe).unwrap_or(""));
    if let Some(info) = &info {
        for (key, prop) in VERSION_KEYS {
            if let Some(v) = info.get(key) {
                comp.set_property(prop, v);
            }
        }
        if let Some(v) = info.get("CompanyName") {
            comp.add_evidence(EvidenceKind::CompanyName, v, format!("{path}#CompanyName"));
        }
        if let Some(v) = info.get("LegalCopyright") {
            comp.add_evidence(
                EvidenceKind::CopyrightHolder,
                v,
                format!("{path}#LegalCopyright"),
            );
        }
        if let Some(v) = info.get("OriginalFilename") {
            if v != file_name {
                comp.add_evidence(
                    EvidenceKind::BinaryName,
                    v,
                    format!("{path}#OriginalFilename"),
                );
            }
        }
    }
    match authenticode(bytes, &pe) {
        Ok(None) => comp.set_property("signature", "none"),
        Ok(Some((sig, digest))) => {
            signature::add_to(
                &mut comp,
                &sig,
                "authenticode",
                &format!("{path}#authenticode"),
            );
            comp.set_property("signature-digest", digest);
        }
        Err(e) => {
            comp.set_property("signature", "unreadable");
            out.errors
                .push(ScanError::new(path, format!("PE certificate table: {e}")));
        }
    }
    out.components.push(comp);
    out
}

fn pe_type(pe: &Image<'_>) -> &'static str {
    use goblin::pe::subsystem::*;
    let sub = pe
        .header
        .optional_header
        .map(|o| o.windows_fields.subsystem)
        .unwrap_or(0);
    match sub {
        IMAGE_SUBSYSTEM_EFI_APPLICATION
        | IMAGE_SUBSYSTEM_EFI_BOOT_SERVICE_DRIVER
        | IMAGE_SUBSYSTEM_EFI_RUNTIME_DRIVER
        | IMAGE_SUBSYSTEM_EFI_ROM => "efi",
        IMAGE_SUBSYSTEM_NATIVE => "driver",
        _ if pe.is_lib => "dll",
        _ => "exe",
    }
}

/// The kind of EFI image (`application`, `boot-service-driver`, `runtime-driver`, `rom`), for
/// an image of an EFI subsystem.
fn efi_subsystem(pe: &Image<'_>) -> Option<&'static str> {
    use goblin::pe::subsystem::*;
    match pe.header.optional_header?.windows_fields.subsystem {
        IMAGE_SUBSYSTEM_EFI_APPLICATION => Some("application"),
        IMAGE_SUBSYSTEM_EFI_BOOT_SERVICE_DRIVER => Some("boot-service-driver"),
        IMAGE_SUBSYSTEM_EFI_RUNTIME_DRIVER => Some("runtime-driver"),
        IMAGE_SUBSYSTEM_EFI_ROM => Some("rom"),
        _ => None,
    }
}

/// File offset of an RVA, through the section table.
fn rva_to_offset(sections: &[SectionTable], rva: u32) -> Option<usize> {
    sections.iter().find_map(|s| {
        let span = s.virtual_size.max(s.size_of_raw_data);
        let off = rva.checked_sub(s.virtual_address)?;
        (off < span && off < s.size_of_raw_data)
            .then(|| s.pointer_to_raw_data as usize + off as usize)
    })
}

/// The `StringFileInfo` strings of a version resource (first string table that has a key wins).
#[derive(Debug, Default)]
pub struct VersionInfo {
    /// Key → value, in the order found.
    pub strings: Vec<(String, String)>,
    /// `VS_FIXEDFILEINFO` product version `a.b.c.d`.
    pub fixed_version: Option<String>,
}

impl VersionInfo {
    /// The first non-empty value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.strings
            .iter()
            .find(|(k, v)| k == key && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
    }
}

/// Find and parse the version resource. `Ok(None)` when the image has none.
pub fn version_info(bytes: &[u8], pe: &Image<'_>) -> Result<Option<VersionInfo>, String> {
    let Some(dd) = pe
        .header
        .optional_header
        .and_then(|o| o.data_directories.get_resource_table().copied())
    else {
        return Ok(None);
    };
    if dd.virtual_address == 0 || dd.size == 0 {
        return Ok(None);
    }
    let start = rva_to_offset(&pe.sections, dd.virtual_address).ok_or_else(|| {
        format!(
            "resource directory RVA {:#x} is in no section",
            dd.virtual_address
        )
    })?;
    let rsrc = bytes
        .get(start..)
        .filter(|r| !r.is_empty())
        .ok_or("resource directory starts past the end of the file")?;
    let rsrc = &rsrc[..rsrc.len().min(dd.size as usize).max(16.min(rsrc.len()))];
    // Type → name → language: the first entry of each level below RT_VERSION.
    let Some(types) = dir_entry(rsrc, 0, Some(RT_VERSION))? else {
        return Ok(None);
    };
    let names = subdir(types)?;
    let Some(name) = dir_entry(rsrc, names, None)? else {
        return Ok(None);
    };
    let langs = subdir(name)?;
    let Some(lang) = dir_entry(rsrc, langs, None)? else {
        return Ok(None);
    };
    if lang & 0x8000_0000 != 0 {
        return Err("version resource nests deeper than three levels".into());
    }
    let entry = lang as usize;
    let (rva, size) = match (
        crate::bytes::u32le(rsrc, entry),
        crate::bytes::u32le(rsrc, entry + 4),
    ) {
        (Some(r), Some(s)) => (r, s as usize),
        _ => {
            return Err(format!(
                "resource data entry at {entry:#x} is outside the resource directory"
            ))
        }
    };
    let off = rva_to_offset(&pe.sections, rva)
        .ok_or_else(|| format!("version data RVA {rva:#x} is in no section"))?;
    let end = off
        .checked_add(size.min(MAX_VERSION_INFO))
        .ok_or("version data size overflows")?;
    let data = bytes
        .get(off..end)
        .ok_or_else(|| format!("version data at {off:#x} ({size} bytes) runs past the end"))?;
    parse_version_info(data).map(Some)
}

fn subdir(entry: u32) -> Result<usize, String> {
    if entry & 0x8000_0000 == 0 {
        return Err("version resource entry is data where a directory was expected".into());
    }
    Ok((entry & 0x7fff_ffff) as usize)
}

/// In the resource directory at `dir`, the `OffsetToData` of the entry with id `want` (or of
/// the first entry when `want` is `None`).
fn dir_entry(rsrc: &[u8], dir: usize, want: Option<u32>) -> Result<Option<u32>, String> {
    let (named, ids) = match (
        crate::bytes::u16le(rsrc, dir + 12),
        crate::bytes::u16le(rsrc, dir + 14),
    ) {
        (Some(n), Some(i)) => (n as usize, i as usize),
        _ => {
            return Err(format!(
                "resource directory at {dir:#x} is outside the resource section"
            ))
        }
    };
    let count = (named + ids).min(MAX_DIR_ENTRIES);
    for i in 0..count {
        let at = dir + 16 + i * 8;
        let (name, data) = match (
            crate::bytes::u32le(rsrc, at),
            crate::bytes::u32le(rsrc, at + 4),
        ) {
            (Some(n), Some(d)) => (n, d),
            _ => {
                return Err(format!(
                    "resource directory entry at {at:#x} is outside the resource section"
                ))
            }
        };
        match want {
            None => return Ok(Some(data)),
            Some(id) if name & 0x8000_0000 == 0 && name == id => return Ok(Some(data)),
            _ => {}
        }
    }
    Ok(None)
}

/// One `VS_VERSIONINFO`-style block: `wLength, wValueLength, wType, szKey, pad, Value, pad,
/// Children`.
struct Block {
    key: String,
    value_start: usize,
    value_len: usize,
    children: std::ops::Range<usize>,
    end: usize,
}

fn align4(x: usize) -> usize {
    x.saturating_add(3) & !3
}

/// The block that starts at `pos` of `data` and ends at or before `limit`.
fn block(data: &[u8], pos: usize, limit: usize) -> Result<Block, String> {
    let len = crate::bytes::u16le(data, pos).ok_or("version block header is truncated")? as usize;
    let value_len =
        crate::bytes::u16le(data, pos + 2).ok_or("version block header is truncated")? as usize;
    let is_text =
        crate::bytes::u16le(data, pos + 4).ok_or("version block header is truncated")? == 1;
    if len < 6 {
        return Err(format!("version block at {pos:#x} has a length of {len}"));
    }
    let end = pos + len;
    if end > limit {
        return Err(format!(
            "version block at {pos:#x} of {len} bytes overruns its parent"
        ));
    }
    let (key, after_key) = utf16z(data, pos + 6, end);
    let value_start = align4(after_key).min(end);
    // Text values count UTF-16 units; some linkers count bytes: never trust it past the block.
    let value_bytes = if is_text {
        value_len.saturating_mul(2)
    } else {
        value_len
    };
    let value_len = value_bytes.min(end - value_start);
    let children = align4(value_start + value_len).min(end)..end;
    Ok(Block {
        key,
        value_start,
        value_len,
        children,
        end,
    })
}

/// A NUL-terminated UTF-16LE string at `pos`, stopping at `end`; returns it and the position
/// after its terminator.
fn utf16z(data: &[u8], pos: usize, end: usize) -> (String, usize) {
    let mut units = Vec::new();
    let mut p = pos;
    while p + 2 <= end {
        let Some(u) = crate::bytes::u16le(data, p) else {
            break;
        };
        p += 2;
        if u == 0 {
            break;
        }
        units.push(u);
    }
    (String::from_utf16_lossy(&units), p)
}

/// Parse `VS_VERSIONINFO`.
pub fn parse_version_info(data: &[u8]) -> Result<VersionInfo, String> {
    let root = block(data, 0, data.len())?;
    if root.key != "VS_VERSION_INFO" {
        return Err(format!(
            "version resource key is {:?}, not VS_VERSION_INFO",
            root.key
        ));
    }
    let mut info = VersionInfo::default();
    if root.value_len >= 52 && crate::bytes::u32le(data, root.value_start) == Some(0xFEEF_04BD) {
        let ms = crate::bytes::u32le(data, root.value_start + 16).unwrap_or(0);
        let ls = crate::bytes::u32le(data, root.value_start + 20).unwrap_or(0);
        info.fixed_version = Some(format!(
            "{}.{}.{}.{}",
            ms >> 16,
            ms & 0xffff,
            ls >> 16,
            ls & 0xffff
        ));
    }
    walk_children(data, &root, 1, &mut info)?;
    Ok(info)
}

fn walk_children(
    data: &[u8],
    parent: &Block,
    depth: usize,
    info: &mut VersionInfo,
) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err("version resource nests too deep".into());
    }
    let mut pos = parent.children.start;
    while pos + 6 <= parent.end {
        if !crate::work::charge(1) {
            return Err("work budget spent".into());
        }
        let b = block(data, pos, parent.end)?;
        match depth {
            // StringFileInfo (VarFileInfo holds only translations).
            1 if b.key == "StringFileInfo" => walk_children(data, &b, 2, info)?,
            // A string table per language and code page.
            2 => walk_children(data, &b, 3, info)?,
            3 => {
                let (value, _) = utf16z(data, b.value_start, b.value_start + b.value_len);
                if VERSION_KEYS.iter().any(|(k, _)| *k == b.key) || b.key == "ProductVersion" {
                    info.strings.push((b.key, value));
                }
            }
            _ => {}
        }
        pos = align4(b.end);
    }
    Ok(())
}

/// `SpcIndirectDataContent` (Authenticode): what was signed, and the image digest.
#[derive(Sequence)]
struct SpcIndirectDataContent {
    data: Any,
    message_digest: DigestInfo,
}

#[derive(Sequence)]
struct DigestInfo {
    digest_algorithm: AlgorithmIdentifierOwned,
    digest: OctetString,
}

/// The signature and the digest check (`verified`, `mismatch`, `unsupported-digest`,
/// `not-checked`); `Ok(None)` when the image is not signed.
pub fn authenticode(
    bytes: &[u8],
    pe: &Image<'_>,
) -> Result<Option<(SignatureInfo, &'static str)>, String> {
    let Some(dd) = pe
        .header
        .optional_header
        .and_then(|o| o.data_directories.get_certificate_table().copied())
    else {
        return Ok(None);
    };
    if dd.virtual_address == 0 && dd.size == 0 {
        return Ok(None);
    }
    // For this one directory the "virtual address" is a file offset.
    let start = dd.virtual_address as usize;
    let size = dd.size as usize;
    let table = start
        .checked_add(size)
        .and_then(|end| bytes.get(start..end))
        .ok_or_else(|| format!("certificate table at {start:#x} of {size} bytes runs past the end of the file ({} bytes)", bytes.len()))?;
    let mut pos = 0usize;
    let mut first: Option<SignatureInfo> = None;
    let mut n = 0usize;
    while pos + 8 <= table.len() && n < MAX_CERTS {
        n += 1;
        let len = crate::bytes::u32le(table, pos).unwrap_or(0) as usize;
        let kind = crate::bytes::u16le(table, pos + 6).unwrap_or(0);
        if len < 8 || pos.saturating_add(len) > table.len() {
            return Err(format!(
                "certificate entry at {:#x} claims {len} bytes, the table has {}",
                start + pos,
                table.len() - pos
            ));
        }
        if kind == WIN_CERT_TYPE_PKCS_SIGNED_DATA && first.is_none() {
            first = Some(signature::parse(&table[pos + 8..pos + len], false)?);
        }
        pos = align8(pos + len);
    }
    let Some(sig) = first else {
        return Err("certificate table holds no PKCS#7 signature".into());
    };
    let check = digest_check(bytes, pe, &sig, start);
    Ok(Some((sig, check)))
}

fn align8(x: usize) -> usize {
    x.saturating_add(7) & !7
}

/// Compare the signed image digest with the file's Authenticode hash: everything up to the
/// certificate table except the checksum and the certificate-table directory entry.
fn digest_check(
    bytes: &[u8],
    pe: &Image<'_>,
    sig: &SignatureInfo,
    cert_table: usize,
) -> &'static str {
    let Some(content) = &sig.content else {
        return "not-checked";
    };
    let Ok(spc) = SpcIndirectDataContent::from_der(content) else {
        return "not-checked";
    };
    if cert_table > MAX_HASHED {
        return "not-checked";
    }
    let opt = pe.header.dos_header.pe_pointer as usize + 4 + 20;
    let checksum = opt + 64;
    let dirs = opt + if pe.is_64 { 112 } else { 96 };
    let cert_dir = dirs + 4 * 8;
    let ranges = [
        0..checksum,
        checksum + 4..cert_dir,
        cert_dir + 8..cert_table,
    ];
    if ranges
        .iter()
        .any(|r| r.start > r.end || r.end > bytes.len())
    {
        return "mismatch";
    }
    let want = spc.message_digest.digest.as_bytes();
    let alg = spc.message_digest.digest_algorithm.oid;
    let got = match hash(alg, bytes, &ranges) {
        Some(g) => g,
        None => return "unsupported-digest",
    };
    if got == want {
        "verified"
    } else {
        "mismatch"
    }
}

fn hash(alg: ObjectIdentifier, bytes: &[u8], ranges: &[std::ops::Range<usize>]) -> Option<Vec<u8>> {
    fn run<D: Digest>(bytes: &[u8], ranges: &[std::ops::Range<usize>]) -> Vec<u8> {
        let mut d = D::new();
        for r in ranges {
            d.update(&bytes[r.clone()]);
        }
        d.finalize().to_vec()
    }
    match alg.to_string().as_str() {
        "1.3.14.3.2.26" => Some(run::<sha1::Sha1>(bytes, ranges)),
        "2.16.840.1.101.3.4.2.1" => Some(run::<sha2::Sha256>(bytes, ranges)),
        "2.16.840.1.101.3.4.2.2" => Some(run::<sha2::Sha384>(bytes, ranges)),
        "2.16.840.1.101.3.4.2.3" => Some(run::<sha2::Sha512>(bytes, ranges)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use goblin::pe::PE;

    #[test]
    fn pe_head_needs_the_pe_signature() {
        let mut h = vec![0u8; 0x80];
        h[0] = b'M';
        h[1] = b'Z';
        h[0x3c] = 0x40;
        assert!(!is_pe_head(&h));
        h[0x40..0x44].copy_from_slice(b"PE\0\0");
        assert!(is_pe_head(&h));
        assert!(!is_pe_head(b"MZ"));
    }

    const SIGNED_DLL: &[u8] = include_bytes!(
        "../../fixtures/pe/windows/Program Files/Python311/msvcp140_codecvt_ids.dll"
    );
    const UNSIGNED_PYD: &[u8] = include_bytes!(
        "../../fixtures/pe/windows/Program Files/Python311/Lib/site-packages/markupsafe/_speedups.cp311-win_amd64.pyd"
    );

    fn prop<'a>(c: &'a Collected, k: &str) -> Option<&'a str> {
        c.components.first()?.properties.get(k).map(String::as_str)
    }

    /// File offsets of the resource directory and of the certificate-table directory entry.
    fn offsets(b: &[u8]) -> (usize, usize) {
        let pe = PE::parse(b).unwrap();
        let oh = pe.header.optional_header.unwrap();
        let rva = oh
            .data_directories
            .get_resource_table()
            .unwrap()
            .virtual_address;
        let rsrc = rva_to_offset(&pe.sections, rva).unwrap();
        let opt = pe.header.dos_header.pe_pointer as usize + 24;
        (rsrc, opt + if pe.is_64 { 112 } else { 96 } + 32)
    }

    fn put_u32(b: &mut [u8], at: usize, v: u32) {
        b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }

    #[test]
    fn signed_dll_has_version_info_and_a_verified_signature() {
        let c = parse(SIGNED_DLL, "/x/msvcp140_codecvt_ids.dll");
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        let comp = &c.components[0];
        assert_eq!(comp.version.as_deref(), Some("14.44.35211.0"));
        assert_eq!(prop(&c, "signature-digest"), Some("verified"));
        assert_eq!(prop(&c, "signer-country"), Some("US"));
        let has =
            |k: EvidenceKind, v: &str| comp.evidence.iter().any(|e| e.kind == k && e.value == v);
        assert!(has(EvidenceKind::CompanyName, "Microsoft Corporation"));
        // Signed through Microsoft's software-compatibility programme: an attestation.
        assert!(has(
            EvidenceKind::AttestationSigner,
            "Microsoft Corporation"
        ));
        assert_eq!(prop(&c, "signer-role"), Some("attestation"));
    }

    #[test]
    fn unsigned_pe_says_so() {
        let c = parse(UNSIGNED_PYD, "/x/_speedups.pyd");
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        assert_eq!(prop(&c, "signature"), Some("none"));
        assert!(!c.components[0]
            .evidence
            .iter()
            .any(|e| e.kind == EvidenceKind::SignerSubject));
    }

    #[test]
    fn a_changed_byte_breaks_the_digest_not_the_parse() {
        let mut b = SIGNED_DLL.to_vec();
        let pe = PE::parse(SIGNED_DLL).unwrap();
        let text = pe
            .sections
            .iter()
            .find(|s| s.name().ok() == Some(".text"))
            .unwrap();
        b[text.pointer_to_raw_data as usize + 16] ^= 0xff;
        let c = parse(&b, "/x.dll");
        assert_eq!(prop(&c, "signature-digest"), Some("mismatch"));
        assert_eq!(prop(&c, "signer-country"), Some("US"));
    }

    #[test]
    fn corrupt_resource_directory_is_an_error_and_keeps_the_signature() {
        // Synthesised: the first entry of the root resource directory points far outside.
        let (rsrc, _) = offsets(SIGNED_DLL);
        let mut b = SIGNED_DLL.to_vec();
        let ids = u16::from_le_bytes([b[rsrc + 14], b[rsrc + 14 + 1]]) as usize;
        let named = u16::from_le_bytes([b[rsrc + 12], b[rsrc + 12 + 1]]) as usize;
        for i in 0..named + ids {
            put_u32(&mut b, rsrc + 16 + i * 8 + 4, 0x8fff_fff0);
        }
        let c = parse(&b, "/x.dll");
        assert_eq!(c.errors.len(), 1, "{:?}", c.errors);
        assert!(
            c.errors[0].error.contains("version resource"),
            "{}",
            c.errors[0].error
        );
        assert_eq!(prop(&c, "signature"), Some("authenticode"));
        // A resource directory whose count runs past the section.
        let mut b = SIGNED_DLL.to_vec();
        b[rsrc + 14..rsrc + 16].copy_from_slice(&0xffffu16.to_le_bytes());
        b[rsrc + 12..rsrc + 14].copy_from_slice(&0xffffu16.to_le_bytes());
        let c = parse(&b, "/x.dll");
        assert!(c.components.len() == 1);
    }

    #[test]
    fn malformed_import_directory_still_gives_version_and_signer() {
        // Synthesised: the import directory (data directory 1) points where nothing maps.
        let (_, cert_dir) = offsets(SIGNED_DLL);
        let import_dir = cert_dir - 3 * 8;
        let mut b = SIGNED_DLL.to_vec();
        put_u32(&mut b, import_dir, 0x00ff_fff0);
        put_u32(&mut b, import_dir + 4, 0x7fff_0000);
        assert!(
            PE::parse(&b).is_err(),
            "goblin's full parse refuses this import directory"
        );
        let c = parse(&b, "/x.dll");
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        assert_eq!(c.components[0].version.as_deref(), Some("14.44.35211.0"));
        assert_eq!(prop(&c, "signer-country"), Some("US"));
        // The digest excludes only the checksum and the certificate entry: changing the import
        // directory entry is detected.
        assert_eq!(prop(&c, "signature-digest"), Some("mismatch"));
    }

    #[test]
    fn truncated_certificate_table_is_an_error_and_keeps_the_version() {
        // Synthesised: the file cut in the middle of its certificate table.
        let (_, cert_dir) = offsets(SIGNED_DLL);
        let start =
            u32::from_le_bytes(SIGNED_DLL[cert_dir..cert_dir + 4].try_into().unwrap()) as usize;
        let c = parse(&SIGNED_DLL[..start + 100], "/x.dll");
        assert_eq!(c.errors.len(), 1, "{:?}", c.errors);
        assert!(
            c.errors[0].error.contains("certificate table"),
            "{}",
            c.errors[0].error
        );
        assert_eq!(c.components[0].version.as_deref(), Some("14.44.35211.0"));
        assert_eq!(prop(&c, "signature"), Some("unreadable"));
    }

    #[test]
    fn certificate_table_past_the_end_is_an_error() {
        // Synthesised: the directory entry points past the end of the file.
        let (_, cert_dir) = offsets(SIGNED_DLL);
        let mut b = SIGNED_DLL.to_vec();
        let len = b.len() as u32;
        put_u32(&mut b, cert_dir, len + 4096);
        let c = parse(&b, "/x.dll");
        assert!(
            c.errors.iter().any(|e| e.error.contains("past the end")),
            "{:?}",
            c.errors
        );
        // An entry claiming more bytes than the table has.
        let mut b = SIGNED_DLL.to_vec();
        let start = u32::from_le_bytes(b[cert_dir..cert_dir + 4].try_into().unwrap()) as usize;
        put_u32(&mut b, start, 0x7fff_ffff);
        let c = parse(&b, "/x.dll");
        assert!(
            c.errors.iter().any(|e| e.error.contains("claims")),
            "{:?}",
            c.errors
        );
        // Garbage where the PKCS#7 blob should be.
        let mut b = SIGNED_DLL.to_vec();
        b[start + 8..start + 64].fill(0x41);
        let c = parse(&b, "/x.dll");
        assert_eq!(c.components.len(), 1);
        assert!(
            c.errors.iter().any(|e| e.error.contains("PKCS#7")),
            "{:?}",
            c.errors
        );
    }

    /// Deterministic mutation fuzzing: thousands of damaged copies of real images never panic
    /// and each parses in bounded time.
    #[test]
    fn mutated_images_never_panic() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let started = std::time::Instant::now();
        for base in [SIGNED_DLL, UNSIGNED_PYD] {
            for round in 0..crate::collectors::signature::fuzz_rounds(600) {
                let mut b = base.to_vec();
                let flips = 1 + (next() % 16) as usize;
                for _ in 0..flips {
                    // Headers and tables are where parsers get hurt: aim there half the time.
                    let span = if round % 2 == 0 {
                        b.len().min(1024)
                    } else {
                        b.len()
                    };
                    let at = (next() as usize) % span;
                    b[at] = next() as u8;
                }
                if round % 7 == 0 {
                    b.truncate((next() as usize) % base.len());
                }
                let t = std::time::Instant::now();
                let _ = parse(&b, "/fuzz.dll");
                assert!(
                    t.elapsed() < std::time::Duration::from_secs(2),
                    "round {round} took {:?}",
                    t.elapsed()
                );
            }
        }
        let long_run = std::env::var_os("SOVSCAN_FUZZ_ROUNDS").is_some();
        assert!(long_run || started.elapsed() < std::time::Duration::from_secs(60));
    }

    #[test]
    fn version_blocks_are_bounds_checked() {
        assert!(parse_version_info(&[]).is_err());
        assert!(parse_version_info(&[0xff, 0xff, 0, 0, 0, 0, b'V', 0]).is_err());
        assert!(parse_version_info(&[2, 0, 0, 0, 0, 0]).is_err());
    }
}
