//! Firmware images: UEFI volumes, capsules and SPI flash dumps ([`uefi`]), U-Boot uImage, FIT
//! and device-tree blobs ([`fdt`]), Linux kernel images, and payloads embedded in any of them
//! (gzip, xz, LZMA, zstd, cpio/initramfs, squashfs: [`archive`]), found by signature.
//!
//! Each image becomes a `firmware` component (evidence: the device tree's root `compatible`
//! strings, and the copyright holders named most often inside UEFI volumes — a kernel or a
//! root filesystem names hundreds of contributors, so there they are not read) with child
//! components for the UEFI modules
//! (FFS files with a PE32/TE image or a user-interface name; name, version, GUID), FIT images,
//! Linux kernels (version banner) and `lib/firmware` files found in embedded archives, linked
//! by `contains` relationships.
//!
//! Walking is recursive and bounded per image: at most [`MAX_DEPTH`] levels of nesting,
//! [`MAX_EXPANDED`] bytes decompressed in total, [`MAX_ENTRIES`] structures (volumes, files,
//! sections, archive entries), [`MAX_IMAGE`] bytes of input (memory-mapped). Going past a
//! limit, or a structure claiming bytes that are not there (a volume longer than the file, a
//! squashfs claiming a terabyte, a decompression bomb), is an error entry next to what was
//! found. Squashfs filesystems ([`squashfs`]) and cpio archives are walked: their
//! `lib/firmware` files become components and every file's contents are scanned in turn
//! (package databases inside them are not read yet). Candidates: files whose first bytes carry one of
//! the signatures, and unowned files named like firmware images (`.fd`, `.rom`, `.cap`,
//! `.itb`, `.dtb`, `.bin`, `.img`…) outside `lib/firmware`. bzip2, lz4, jffs2, cramfs, UBI,
//! ext2/3/4, zip, tar, 7z and Android boot images are recognised and recorded, not unpacked.

pub mod archive;
pub mod fdt;
pub mod squashfs;
pub mod uefi;

use super::{Candidate, Collected, Collector, Context};
use crate::model::{
    Component, ComponentKind, EvidenceKind, Relationship, RelationshipKind, ScanError,
};
use aho_corasick::AhoCorasick;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// Largest image read.
pub const MAX_IMAGE: u64 = 2 << 30;
/// Deepest nesting of containers (volume in section in capsule…, gzip in gzip…).
pub const MAX_DEPTH: usize = 8;
/// Bytes decompressed in total for one image.
pub const MAX_EXPANDED: u64 = 256 << 20;
/// Structures visited in one image.
pub const MAX_ENTRIES: usize = 50_000;
/// Failed decompression attempts (chance signature matches) before giving up on payloads.
const MAX_FAILED: usize = 512;
/// Copyright holders kept per image.
const MAX_HOLDERS: usize = 16;

/// Bounds-checked readers.
pub mod rd {
    /// Little-endian u16 at `o`.
    pub fn u16le(b: &[u8], o: usize) -> Option<u16> {
        Some(u16::from_le_bytes(
            b.get(o..o.checked_add(2)?)?.try_into().ok()?,
        ))
    }
    /// Little-endian u32 at `o`.
    pub fn u32le(b: &[u8], o: usize) -> Option<u32> {
        Some(u32::from_le_bytes(
            b.get(o..o.checked_add(4)?)?.try_into().ok()?,
        ))
    }
    /// Little-endian u64 at `o`.
    pub fn u64le(b: &[u8], o: usize) -> Option<u64> {
        Some(u64::from_le_bytes(
            b.get(o..o.checked_add(8)?)?.try_into().ok()?,
        ))
    }
    /// Big-endian u32 at `o`.
    pub fn u32be(b: &[u8], o: usize) -> Option<u32> {
        Some(u32::from_be_bytes(
            b.get(o..o.checked_add(4)?)?.try_into().ok()?,
        ))
    }
}

/// A UEFI FFS file.
#[derive(Debug, Default, Clone)]
pub struct Module {
    /// File name GUID.
    pub guid: String,
    /// FFS file type.
    pub file_type: u8,
    /// User-interface section.
    pub name: Option<String>,
    /// Version section.
    pub version: Option<String>,
    /// Has a PE32 (or PIC) section.
    pub pe32: bool,
    /// Has a TE section.
    pub te: bool,
}

/// An image node of a FIT.
#[derive(Debug, Default, Clone)]
pub struct FitImage {
    /// Node name (`kernel-1`).
    pub node: String,
    /// `description`.
    pub description: Option<String>,
    /// `type`.
    pub kind: Option<String>,
    /// `arch`.
    pub arch: Option<String>,
    /// `os`.
    pub os: Option<String>,
    /// `compression`.
    pub compression: Option<String>,
    /// Data (offset in the tree's buffer, size).
    pub data: Option<(u64, u64)>,
}

/// Everything found in one image.
#[derive(Debug, Default)]
pub struct Findings {
    /// Formats seen (`uefi-fv`, `fdt`, `gzip`…).
    pub formats: BTreeSet<String>,
    /// Firmware volumes parsed.
    pub volumes: usize,
    /// UEFI modules.
    pub modules: Vec<Module>,
    /// Tiano-compressed sections not unpacked.
    pub tiano: usize,
    /// GUID-defined sections of unknown kind.
    pub opaque_sections: BTreeSet<String>,
    /// Capsule GUIDs.
    pub capsules: Vec<String>,
    /// FMP payload image type ids.
    pub fmp_images: BTreeSet<String>,
    /// Flash descriptor regions (`bios:0x…-0x…`).
    pub regions: Vec<String>,
    /// Device trees: (root compatible, model).
    pub trees: Vec<(Vec<String>, Option<String>)>,
    /// FIT description.
    pub fit_description: Option<String>,
    /// FIT images.
    pub fit_images: Vec<FitImage>,
    /// uImage headers (field, value).
    pub uimages: Vec<Vec<(String, String)>>,
    /// Linux version banners.
    pub kernels: BTreeSet<String>,
    /// Copyright holders named in UEFI code, with how often.
    pub holders: std::collections::BTreeMap<String, usize>,
    /// Embedded filesystems described.
    pub filesystems: Vec<String>,
    /// `lib/firmware/…` files inside embedded archives (relative path).
    pub firmware_files: BTreeSet<String>,
    /// Problems, with where.
    pub errors: Vec<String>,
}

/// The recursive, bounded walk over one image.
pub struct Walker<'p> {
    /// The image's system path.
    pub path: &'p str,
    /// What was found.
    pub f: Findings,
    left: u64,
    entries: usize,
    failed: usize,
    entries_reported: bool,
    /// Set while scanning data that belongs to a UEFI structure (copyright lines count there).
    pub in_uefi: bool,
}

fn magic() -> &'static Option<AhoCorasick> {
    static AC: OnceLock<Option<AhoCorasick>> = OnceLock::new();
    AC.get_or_init(|| {
        let pats: Vec<&[u8]> = vec![
            b"_FVH",
            &[0x27, 0x05, 0x19, 0x56],
            &[0xd0, 0x0d, 0xfe, 0xed],
            &[0x1f, 0x8b, 0x08],
            b"\xfd7zXZ\x00",
            &[0x28, 0xb5, 0x2f, 0xfd],
            b"hsqs",
            b"070701",
            b"070702",
            b"Linux version ",
            b"Copyright",
            b"C\0o\0p\0y\0r\0i\0g\0h\0t\0",
            &uefi::FMP_CAPSULE_GUID,
            &uefi::EFI_CAPSULE_GUID,
            &uefi::UX_CAPSULE_GUID,
            &[0x5a, 0xa5, 0xf0, 0x0f],
            // Recognised, recorded; only LZMA-alone is unpacked.
            &[0x5d, 0x00, 0x00],
            b"BZh",
            &[0x04, 0x22, 0x4d, 0x18],
            &[0x85, 0x19],
            &[0x45, 0x3d, 0xcd, 0x28],
            b"UBI#",
            b"PK\x03\x04",
            b"ustar",
            b"7z\xbc\xaf\x27\x1c",
            b"ANDROID!",
        ];
        AhoCorasick::new(pats).ok()
    })
}

impl<'p> Walker<'p> {
    /// A walker with a full budget.
    pub fn new(path: &'p str) -> Self {
        Walker {
            path,
            f: Findings::default(),
            left: MAX_EXPANDED,
            entries: 0,
            failed: 0,
            entries_reported: false,
            in_uefi: false,
        }
    }

    /// Record a format.
    pub fn format(&mut self, f: &str) {
        self.f.formats.insert(f.to_owned());
    }

    /// Record a problem.
    pub fn error(&mut self, at: &str, msg: impl AsRef<str>) {
        if self.f.errors.len() < 64 {
            self.f.errors.push(format!("{at}: {}", msg.as_ref()));
        }
    }

    /// Count one structure; false once the entry budget is spent.
    pub fn tick(&mut self) -> bool {
        self.entries += 1;
        if self.entries > MAX_ENTRIES {
            if !self.entries_reported {
                self.entries_reported = true;
                self.error(
                    "image",
                    format!("more than {MAX_ENTRIES} structures; the rest is skipped"),
                );
            }
            return false;
        }
        true
    }

    /// Record a UEFI module.
    pub fn module(&mut self, m: Module) {
        if m.name.is_some() || m.pe32 || m.te {
            self.f.modules.push(m);
        }
    }

    /// Decompress `data` with `kind` inside the remaining budget.
    pub fn unpack(&mut self, kind: &str, data: &[u8], at: &str) -> Option<Vec<u8>> {
        if self.failed >= MAX_FAILED || self.left == 0 {
            return None;
        }
        let r = match kind {
            "gzip" => archive::gzip(data, self.left),
            "xz" => archive::xz(data, self.left),
            "lzma" => archive::lzma(data, self.left),
            "zstd" => archive::zstd(data, self.left),
            _ => return None,
        };
        match r {
            Ok(out) => {
                self.left = self.left.saturating_sub(out.len() as u64);
                self.format(kind);
                Some(out)
            }
            Err(archive::UnpackError::Bomb(_)) => {
                self.error(at, format!("{kind} payload expands past the {MAX_EXPANDED} byte budget (decompression bomb?); not unpacked"));
                self.left = 0;
                None
            }
            Err(archive::UnpackError::Invalid(_)) => {
                self.failed += 1;
                None
            }
        }
    }

    /// A payload of a uImage or FIT image: decompress when needed, then scan.
    pub fn payload(&mut self, compression: &str, data: &[u8], depth: usize, at: &str) {
        match compression {
            "none" => self.scan(data, depth, at),
            "gzip" | "lzma" | "xz" | "zstd" => {
                if let Some(out) = self.unpack(compression, data, at) {
                    self.scan(&out, depth, at);
                }
            }
            _ => {}
        }
    }

    /// Find and parse every known structure in `b`.
    pub fn scan(&mut self, b: &[u8], depth: usize, at: &str) {
        if depth > MAX_DEPTH {
            self.error(
                at,
                format!("containers nested deeper than {MAX_DEPTH} levels; not followed"),
            );
            return;
        }
        let Some(ac) = magic() else { return };
        let mut skip_until = 0usize;
        // Copyright lines count only inside UEFI structures (in a kernel or a root filesystem
        // they name hundreds of contributors, not the maker): kept until the ranges are known.
        let mut texts: Vec<(usize, bool)> = Vec::new();
        let mut uefi_ranges: Vec<(usize, usize)> = Vec::new();
        let mut once: BTreeSet<usize> = BTreeSet::new();
        if b.get(1080..1082) == Some(&[0x53, 0xef][..])
            && rd::u32le(b, 1024 + 24).is_some_and(|l| l <= 6)
        {
            let blocks = rd::u32le(b, 1024 + 4).unwrap_or(0) as u64;
            let bs = 1024u64 << rd::u32le(b, 1024 + 24).unwrap_or(0);
            self.detected(
                "ext",
                &format!(
                    "ext2/3/4 filesystem ({} bytes) at {at}@0x0 (not unpacked)",
                    blocks * bs
                ),
            );
        }
        for m in ac.find_iter(b) {
            let pos = m.start();
            let pat = m.pattern().as_usize();
            // Text is read everywhere, even inside structures already parsed.
            match pat {
                9 => {
                    self.banner(&b[pos..]);
                    continue;
                }
                10 | 11 => {
                    if texts.len() < 4096 {
                        texts.push((pos, pat == 11));
                    }
                    continue;
                }
                _ => {}
            }
            let start = match pat {
                0 => pos.checked_sub(40),
                15 => pos.checked_sub(16),
                23 => pos.checked_sub(257),
                _ => Some(pos),
            };
            let Some(start) = start.filter(|&s| s >= skip_until) else {
                continue;
            };
            if self.entries > MAX_ENTRIES {
                break;
            }
            let here = format!("{at}@{start:#x}");
            let s = &b[start..];
            let used = match pat {
                0 => uefi::volume(self, s, depth, &here),
                1 => fdt::uimage(self, s, depth, &here),
                2 => fdt::tree(self, s, depth, &here),
                3..=5 | 16 => {
                    let kind = match pat {
                        3 => "gzip",
                        4 => "xz",
                        5 => "zstd",
                        _ => "lzma",
                    };
                    if pat == 16 && !lzma_header(s) {
                        continue;
                    }
                    let out = self.unpack(kind, s, &here);
                    if out.is_none() && pat == 16 {
                        // lzma-rs refuses a stream of unknown size followed by other data.
                        self.detected("lzma", &format!("lzma stream at {here} (not unpacked)"));
                    }
                    out.map(|out| {
                        self.scan(&out, depth + 1, &format!("{here}/{kind}"));
                        // The stream's own length is not known from the output; skip its magic.
                        4
                    })
                }
                6 => self.squashfs(s, depth, &here),
                7 | 8 => self.cpio(s, depth, &here),
                12..=14 => uefi::capsule(self, s, depth, &here),
                15 => uefi::flash_descriptor(self, s, depth, &here),
                17..=25 => {
                    if let Some(what) = recognise(pat, s) {
                        let kind = what.split_whitespace().next().unwrap_or("");
                        // Formats made of many records (file-system nodes, archive members) are
                        // recorded once per blob.
                        if !matches!(pat, 19 | 21 | 22 | 23) || once.insert(pat) {
                            self.detected(kind, &format!("{what} at {here} (not unpacked)"));
                        }
                    }
                    None
                }
                _ => None,
            };
            if let Some(n) = used {
                if matches!(pat, 0 | 12..=15) {
                    uefi_ranges.push((start, start.saturating_add(n)));
                }
                skip_until = start.saturating_add(n.max(1));
            }
        }
        for (pos, utf16) in texts {
            if self.in_uefi || uefi_ranges.iter().any(|(a, z)| (*a..*z).contains(&pos)) {
                self.copyright(&b[pos..], utf16);
            }
        }
    }

    fn detected(&mut self, kind: &str, what: &str) {
        self.format(kind);
        if self.f.filesystems.len() < 64 {
            self.f.filesystems.push(what.to_owned());
        }
    }

    /// Read only text (version banners, copyright lines) from `b`: for UEFI data whose
    /// structure another parser walks (decompressed sections).
    pub fn text(&mut self, b: &[u8]) {
        let Some(ac) = magic() else { return };
        for m in ac.find_iter(b) {
            match m.pattern().as_usize() {
                9 => self.banner(&b[m.start()..]),
                p @ (10 | 11) => self.copyright(&b[m.start()..], p == 11),
                _ => {}
            }
        }
    }

    fn banner(&mut self, b: &[u8]) {
        let line: Vec<u8> = b
            .iter()
            .take(300)
            .take_while(|&&c| c != 0 && c != b'\n')
            .copied()
            .collect();
        let text = String::from_utf8_lossy(&line);
        let Some(ver) = text
            .strip_prefix("Linux version ")
            .and_then(|r| r.split_whitespace().next())
        else {
            return;
        };
        if ver.starts_with(|c: char| c.is_ascii_digit()) && self.f.kernels.len() < 8 {
            self.format("linux-kernel");
            self.f.kernels.insert(crate::text::sanitize(ver));
        }
    }

    fn copyright(&mut self, b: &[u8], utf16: bool) {
        if self.f.holders.len() >= MAX_HOLDERS * 4 {
            return;
        }
        let text: String = if utf16 {
            b.chunks_exact(2)
                .take(120)
                .take_while(|c| c[1] == 0 && (0x20..0x7f).contains(&c[0]))
                .map(|c| c[0] as char)
                .collect()
        } else {
            b.iter()
                .take(120)
                .take_while(|&&c| (0x20..0x7f).contains(&c))
                .map(|&c| c as char)
                .collect()
        };
        if let Some(h) = copyright_holder(&text) {
            *self.f.holders.entry(h).or_default() += 1;
        }
    }

    fn squashfs(&mut self, b: &[u8], depth: usize, at: &str) -> Option<usize> {
        match archive::squashfs(b)? {
            Ok(sb) => {
                self.format("squashfs");
                self.f.filesystems.push(format!(
                    "squashfs {}.{} {} ({} inodes, {} bytes) at {at}",
                    sb.version.0,
                    sb.version.1,
                    sb.compressor(),
                    sb.inodes,
                    sb.bytes_used
                ));
                let used = sb.bytes_used as usize;
                self.squashfs_files(b, sb, depth, at);
                Some(used)
            }
            Err(e) => {
                self.format("squashfs");
                self.error(at, e);
                Some(b.len())
            }
        }
    }

    /// Walk the files of a squashfs: firmware paths are noted, contents are scanned.
    fn squashfs_files(&mut self, b: &[u8], sb: archive::Squashfs, depth: usize, at: &str) {
        if depth + 1 > MAX_DEPTH {
            self.error(
                at,
                format!("containers nested deeper than {MAX_DEPTH} levels; not followed"),
            );
            return;
        }
        let mut fs = match squashfs::Reader::new(b, sb) {
            Ok(r) => r,
            Err(e) => return self.error(at, format!("squashfs: {e}")),
        };
        let (files, err) = fs.files(MAX_ENTRIES.saturating_sub(self.entries));
        self.entries += files.len();
        if let Some(e) = err {
            self.error(at, format!("squashfs: {e}"));
        }
        for f in &files {
            self.note_file(&f.path);
            if self.left == 0 {
                self.error(
                    at,
                    format!(
                        "expansion budget of {MAX_EXPANDED} bytes spent; remaining files not read"
                    ),
                );
                break;
            }
            match fs.read(f, self.left) {
                Ok(data) => {
                    self.left = self.left.saturating_sub(data.len() as u64);
                    if !data.is_empty() {
                        self.scan(&data, depth + 1, &format!("{at}/{}", f.path));
                    }
                }
                Err(e) => self.error(at, format!("squashfs file {}: {e}", f.path)),
            }
        }
    }

    fn note_file(&mut self, name: &str) {
        let name = name.trim_start_matches("./").trim_start_matches('/');
        for pre in ["lib/firmware/", "usr/lib/firmware/"] {
            if let Some(rel) = name.strip_prefix(pre).filter(|r| !r.is_empty()) {
                self.f.firmware_files.insert(rel.to_owned());
            }
        }
    }

    fn cpio(&mut self, b: &[u8], depth: usize, at: &str) -> Option<usize> {
        let room = MAX_ENTRIES.saturating_sub(self.entries);
        let (entries, used, err) = archive::cpio(b, room);
        if entries.is_empty() && err.is_some() {
            return None;
        }
        self.format("cpio");
        self.entries += entries.len();
        if let Some(e) = err {
            self.error(at, e);
        }
        for e in entries.iter().filter(|e| e.regular) {
            self.note_file(&e.name);
            let name = e.name.trim_start_matches("./").trim_start_matches('/');
            if !e.data.is_empty() {
                self.scan(e.data, depth + 1, &format!("{at}/{name}"));
            }
        }
        Some(used)
    }
}

/// An LZMA-alone header that looks real: properties 0x5d, a power-of-two dictionary of 64 KiB
/// to 64 MiB, and an unpacked size that is unknown or under 4 GiB.
fn lzma_header(s: &[u8]) -> bool {
    let dict = rd::u32le(s, 1).unwrap_or(0);
    let size = rd::u64le(s, 5).unwrap_or(0);
    dict.is_power_of_two()
        && (1 << 16..=1 << 26).contains(&dict)
        && (size == u64::MAX || (1..1 << 32).contains(&size))
}

/// Formats recognised but not unpacked; `None` for a chance match.
fn recognise(pat: usize, s: &[u8]) -> Option<String> {
    match pat {
        17 => (s.get(3).is_some_and(|c| (b'1'..=b'9').contains(c))
            && s.get(4..10) == Some(b"1AY&SY"))
        .then(|| "bzip2 stream".into()),
        18 => s
            .get(4)
            .is_some_and(|f| f & 0xc0 == 0x40)
            .then(|| "lz4 frame".into()),
        19 => {
            // Two consecutive jffs2 nodes of known types.
            let node = |o: usize| {
                let ty = rd::u16le(s, o + 2)?;
                let len = rd::u32le(s, o + 4)? as usize;
                (s.get(o..o + 2) == Some(&[0x85, 0x19][..])
                    && matches!(
                        ty,
                        0xe001 | 0xe002 | 0x2003 | 0x2004 | 0x2006 | 0xe008 | 0xe009
                    )
                    && (12..1 << 20).contains(&len))
                .then_some(len)
            };
            let first = node(0)?;
            node(first.div_ceil(4) * 4).map(|_| "jffs2 filesystem".into())
        }
        20 => (s.get(16..32) == Some(b"Compressed ROMFS"))
            .then(|| format!("cramfs filesystem ({} bytes)", rd::u32le(s, 4).unwrap_or(0))),
        21 => (s.get(4) == Some(&1)).then(|| "ubi image".into()),
        22 => (rd::u16le(s, 26).is_some_and(|n| (1..=1024).contains(&n)))
            .then(|| "zip archive".into()),
        23 => matches!(s.get(257..263), Some(b"ustar\0") | Some(b"ustar "))
            .then(|| "tar archive".into()),
        24 => Some("7z archive".into()),
        25 => rd::u32le(s, 8)
            .filter(|&n| n > 0)
            .map(|n| format!("android boot image (kernel {n} bytes)")),
        _ => None,
    }
}

/// An x86 boot image (bzImage): the setup header (`HdrS` at 0x202, boot protocol 2.00+)
/// points at the kernel version string (`kernel_version` at 0x20e), so the version is read
/// without unpacking the kernel.
pub fn bzimage(w: &mut Walker<'_>, b: &[u8]) {
    if b.get(0x202..0x206) != Some(b"HdrS") || rd::u16le(b, 0x206).map_or(true, |v| v < 0x200) {
        return;
    }
    let Some(ptr) = rd::u16le(b, 0x20e).filter(|&p| p != 0) else {
        return;
    };
    let s = b.get(0x200 + ptr as usize..).unwrap_or(&[]);
    let text: String = s
        .iter()
        .take(256)
        .take_while(|&&c| (0x20..0x7f).contains(&c))
        .map(|&c| c as char)
        .collect();
    if let Some(v) = text
        .split_whitespace()
        .next()
        .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))
    {
        w.format("linux-bzimage");
        w.f.kernels.insert(crate::text::sanitize(v));
    }
}

/// The holder in a copyright line: `Copyright (c) 2006 - 2019, Intel Corporation. All rights
/// reserved.` → `Intel Corporation`.
pub fn copyright_holder(line: &str) -> Option<String> {
    let mut s = line.trim().strip_prefix("Copyright")?.trim_start();
    loop {
        let t = s
            .trim_start_matches(|c: char| {
                c.is_ascii_digit() || c == '-' || c == ',' || c == ' ' || c == ':' || c == '©'
            })
            .trim_start_matches("(c)")
            .trim_start_matches("(C)")
            .trim_start_matches("by ");
        if t.len() == s.len() {
            break;
        }
        s = t;
    }
    let lower = s.to_ascii_lowercase();
    if let Some(i) = lower.find("all rights reserved") {
        s = &s[..i];
    }
    let h = s.trim().trim_end_matches(['.', ',', ' ', ';']).trim();
    let letters = h.chars().filter(|c| c.is_alphabetic()).count();
    (letters >= 3 && !h.starts_with('%') && !h.contains("notice")).then(|| crate::text::sanitize(h))
}

/// The firmware-image collector.
pub struct Firmware;

const EXTENSIONS: &[&str] = &[
    ".fd", ".rom", ".cap", ".scap", ".itb", ".fit", ".dtb", ".dtbo", ".uimage", ".bin", ".img",
];

/// Whether the first bytes carry a signature this collector parses.
pub fn sniff(head: &[u8]) -> bool {
    let at = |o: usize, m: &[u8]| head.get(o..o + m.len()) == Some(m);
    at(40, b"_FVH")
        || at(0, &[0x27, 0x05, 0x19, 0x56])
        || at(0, &[0xd0, 0x0d, 0xfe, 0xed])
        || at(0, &uefi::FMP_CAPSULE_GUID)
        || at(0, &uefi::EFI_CAPSULE_GUID)
        || at(0, &uefi::UX_CAPSULE_GUID)
        || at(16, &[0x5a, 0xa5, 0xf0, 0x0f])
        || at(0, b"hsqs")
        || at(0x202, b"HdrS")
        || at(0x24, &[0x18, 0x28, 0x6f, 0x01])
}

impl Collector for Firmware {
    fn id(&self) -> &'static str {
        "firmware"
    }
    fn matches_path(&self, path: &str) -> bool {
        let lower = path.to_ascii_lowercase();
        super::linux_firmware::relative(path).is_none()
            && EXTENSIONS.iter().any(|e| lower.ends_with(e))
    }
    fn matches_head(&self, head: &[u8]) -> bool {
        sniff(head)
    }
    fn collect(&self, c: &Candidate<'_>, _ctx: &Context<'_>) -> Collected {
        if c.size > MAX_IMAGE {
            return Collected::error(
                c.path,
                format!(
                    "image of {} bytes is over the {MAX_IMAGE} byte limit",
                    c.size
                ),
            );
        }
        let bytes = match crate::rootfs::open_regular(c.host)
            .and_then(|(f, md)| crate::rootfs::load(&f, &md))
        {
            Ok(b) => b,
            Err(e) => return Collected::error(c.path, format!("cannot read: {e}")),
        };
        let mut w = Walker::new(c.path);
        bzimage(&mut w, &bytes);
        w.scan(&bytes, 0, "");
        // A file offered by name alone that holds nothing recognisable is not firmware.
        if w.f.formats.is_empty()
            && w.f.errors.is_empty()
            && !sniff(&bytes[..bytes.len().min(super::HEAD_LEN)])
        {
            return Collected::default();
        }
        components(c.path, w.f)
    }
}

/// Turn findings into the image component, its children and their relationships.
pub fn components(path: &str, f: Findings) -> Collected {
    let mut out = Collected::default();
    let file = path.rsplit('/').next().unwrap_or(path);
    let mut top = Component::new(ComponentKind::Firmware, Some("firmware"), file, None);
    top.id = format!("firmware:{path}");
    top.locations.push(path.to_owned());
    top.set_property(
        "formats",
        f.formats.iter().cloned().collect::<Vec<_>>().join(" "),
    );
    if f.volumes > 0 {
        top.set_property("uefi-volumes", f.volumes.to_string());
        top.set_property("uefi-modules", f.modules.len().to_string());
    }
    if f.tiano > 0 {
        top.set_property("uefi-tiano-sections", f.tiano.to_string());
    }
    top.set_property("capsules", f.capsules.join(" "));
    top.set_property(
        "fmp-image-types",
        f.fmp_images.iter().cloned().collect::<Vec<_>>().join(" "),
    );
    top.set_property("flash-regions", f.regions.join(" "));
    top.set_property("filesystems", f.filesystems.join("; "));
    top.set_property(
        "fit-description",
        f.fit_description.as_deref().unwrap_or(""),
    );
    if let Some(u) = f.uimages.first() {
        for (k, v) in u {
            top.set_property(&format!("uimage-{k}"), v);
        }
    }
    let mut seen = BTreeSet::new();
    for (compat, model) in &f.trees {
        for s in compat {
            if seen.insert(s.clone()) && seen.len() <= 16 {
                top.add_evidence(EvidenceKind::DtCompatible, s, path);
            }
        }
        if let Some(m) = model {
            top.properties
                .entry("dt-model".into())
                .or_insert_with(|| crate::text::sanitize(m));
        }
    }
    // The holders named most often (at least a quarter as often as the first): a vendor BIOS
    // names its maker in many modules, the reference code it builds on in a few.
    let most = f.holders.values().copied().max().unwrap_or(0);
    let mut holders: Vec<(&String, &usize)> =
        f.holders.iter().filter(|(_, &n)| n * 4 >= most).collect();
    holders.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    for (h, _) in holders.iter().take(MAX_HOLDERS) {
        top.add_evidence(EvidenceKind::CopyrightHolder, h, path);
    }
    top.set_property(
        "copyright-holders",
        holders
            .iter()
            .take(MAX_HOLDERS)
            .map(|(h, n)| format!("{h} ({n})"))
            .collect::<Vec<_>>()
            .join("; "),
    );
    let child = |c: Component, out: &mut Collected| {
        out.relationships.push(Relationship {
            from: top.id.clone(),
            to: c.id.clone(),
            kind: RelationshipKind::Contains,
        });
        out.components.push(c);
    };
    for m in &f.modules {
        let name = m.name.clone().unwrap_or_else(|| m.guid.clone());
        let mut c = Component::new(
            ComponentKind::Firmware,
            Some("uefi"),
            &name,
            m.version.as_deref(),
        );
        c.id = format!("firmware:{path}!uefi/{}", m.guid);
        c.locations.push(path.to_owned());
        c.set_property("guid", &m.guid);
        c.set_property("ffs-type", format!("{:#04x}", m.file_type));
        c.set_property(
            "image",
            if m.te {
                "te"
            } else if m.pe32 {
                "pe32"
            } else {
                ""
            },
        );
        child(c, &mut out);
    }
    for i in &f.fit_images {
        let name = i.description.clone().unwrap_or_else(|| i.node.clone());
        let mut c = Component::new(ComponentKind::Firmware, Some("fit"), &name, None);
        c.id = format!("firmware:{path}!fit/{}", i.node);
        c.locations.push(path.to_owned());
        for (k, v) in [
            ("type", &i.kind),
            ("arch", &i.arch),
            ("os", &i.os),
            ("compression", &i.compression),
        ] {
            c.set_property(k, v.as_deref().unwrap_or(""));
        }
        child(c, &mut out);
    }
    for k in &f.kernels {
        let mut c = Component::new(
            ComponentKind::Firmware,
            Some("linux-kernel"),
            "linux",
            Some(k),
        );
        c.id = format!("firmware:{path}!linux@{k}");
        c.locations.push(path.to_owned());
        child(c, &mut out);
    }
    for rel in &f.firmware_files {
        let mut c = Component::new(ComponentKind::Firmware, Some("linux-firmware"), rel, None);
        c.id = format!("firmware:{path}!lib/firmware/{rel}");
        c.locations.push(path.to_owned());
        c.add_evidence(EvidenceKind::FirmwarePath, rel, path);
        child(c, &mut out);
    }
    out.errors
        .extend(f.errors.iter().map(|e| ScanError::new(path, e)));
    out.components.push(top);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(ty: u8, body: &[u8]) -> Vec<u8> {
        let n = body.len() + 4;
        let mut v = vec![n as u8, (n >> 8) as u8, (n >> 16) as u8, ty];
        v.extend_from_slice(body);
        while v.len() % 4 != 0 {
            v.push(0);
        }
        v
    }

    /// A volume with one driver whose sections sit in an LZMA GUID-defined section.
    fn lzma_volume() -> Vec<u8> {
        let mut inner = section(
            0x15,
            &"LzmaDxe\0"
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect::<Vec<_>>(),
        );
        inner.extend(section(0x10, b"MZ\x90\0 not a real PE body"));
        let mut packed = Vec::new();
        lzma_rs::lzma_compress(&mut std::io::Cursor::new(&inner), &mut packed).unwrap();
        let mut guided = [
            0x98, 0x58, 0x4e, 0xee, 0x14, 0x39, 0x59, 0x42, 0x9d, 0x6e, 0xdc, 0x7b, 0xd7, 0x94,
            0x03, 0xcf,
        ]
        .to_vec();
        guided.extend_from_slice(&24u16.to_le_bytes());
        guided.extend_from_slice(&1u16.to_le_bytes());
        guided.extend_from_slice(&packed);
        let sections = section(0x02, &guided);
        let size = 24 + sections.len();
        let mut file = vec![0xaa; 16];
        file.extend_from_slice(&[
            0,
            0,
            0x07,
            0,
            size as u8,
            (size >> 8) as u8,
            (size >> 16) as u8,
            0xf8,
        ]);
        file.extend_from_slice(&sections);
        let total = (72 + file.len()).div_ceil(8) * 8;
        let mut fv = vec![0u8; 72];
        fv[16..32].copy_from_slice(&[
            0x78, 0xe5, 0x8c, 0x8c, 0x3d, 0x8a, 0x1c, 0x4f, 0x99, 0x35, 0x89, 0x61, 0x85, 0xc3,
            0x2d, 0xd3,
        ]);
        fv[32..40].copy_from_slice(&(total as u64).to_le_bytes());
        fv[40..44].copy_from_slice(b"_FVH");
        fv[48..50].copy_from_slice(&72u16.to_le_bytes());
        fv[55] = 2;
        let sum = fv.chunks_exact(2).fold(0u16, |s, w| {
            s.wrapping_add(u16::from_le_bytes([w[0], w[1]]))
        });
        fv[50..52].copy_from_slice(&0u16.wrapping_sub(sum).to_le_bytes());
        fv.extend_from_slice(&file);
        fv.resize(total, 0xff);
        fv
    }

    #[test]
    fn lzma_sections_are_unpacked() {
        let fv = lzma_volume();
        let mut w = Walker::new("/x.fd");
        w.scan(&fv, 0, "");
        assert_eq!(w.f.errors, Vec::<String>::new());
        assert_eq!(w.f.modules.len(), 1);
        assert_eq!(w.f.modules[0].name.as_deref(), Some("LzmaDxe"));
        assert!(w.f.modules[0].pe32);
        assert_eq!(w.f.modules[0].guid, "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa");
        assert!(w.f.formats.contains("lzma"));
        // Every truncation of the volume is survived (errors, never a panic).
        for cut in (0..fv.len()).step_by(7) {
            let mut w = Walker::new("/x.fd");
            w.scan(&fv[..cut], 0, "");
        }
    }

    #[test]
    fn mutated_device_tree_and_volume_never_panic() {
        let dtb = include_bytes!(
            "../../fixtures/firmware/debian-12/usr/lib/u-boot/rock64-rk3328/rk3328-rock64.dtb"
        );
        let mut w = Walker::new("/a.dtb");
        w.scan(dtb, 0, "");
        assert_eq!(
            w.f.trees[0].0,
            vec!["pine64,rock64".to_owned(), "rockchip,rk3328".to_owned()]
        );
        let fv = lzma_volume();
        for (input, step) in [(&dtb[..], 61usize), (&fv[..], 3)] {
            for i in (0..input.len()).step_by(step) {
                let mut m = input.to_vec();
                m[i] ^= 0xff;
                if let Some(b) = m.get_mut(i + 1) {
                    *b = b.wrapping_add(0x80);
                }
                let mut w = Walker::new("/m");
                w.scan(&m, 0, "");
                let mut w = Walker::new("/t");
                w.scan(&m[..i], 0, "");
            }
        }
    }

    #[test]
    fn bzimage_version_from_the_setup_header() {
        let mut b = vec![0u8; 0x1000];
        b[0x202..0x206].copy_from_slice(b"HdrS");
        b[0x206..0x208].copy_from_slice(&0x020fu16.to_le_bytes());
        b[0x20e..0x210].copy_from_slice(&0x0300u16.to_le_bytes());
        b[0x500..0x51e].copy_from_slice(b"6.1.0-27-amd64 (debian-kernel@");
        let mut w = Walker::new("/vmlinuz");
        bzimage(&mut w, &b);
        assert!(w.f.kernels.contains("6.1.0-27-amd64"));
        b[0x20e] = 0xff;
        b[0x20f] = 0xff;
        bzimage(&mut Walker::new("/v"), &b);
    }

    #[test]
    fn recognised_formats_and_copyright_only_in_uefi() {
        let mut blob = vec![0u8; 512];
        blob[257..263].copy_from_slice(b"ustar\0");
        blob.extend_from_slice(b"BZh91AY&SY and then some bzip2 bits");
        let mut zip = b"PK\x03\x04".to_vec();
        zip.resize(30, 0);
        zip[26] = 6;
        blob.extend_from_slice(&zip);
        blob.extend_from_slice(b"Copyright (c) 2024 Kernel Contributor Corp. All rights reserved.");
        let mut w = Walker::new("/b");
        w.scan(&blob, 0, "");
        assert!(
            ["tar", "bzip2", "zip"]
                .iter()
                .all(|f| w.f.formats.contains(*f)),
            "{:?}",
            w.f.formats
        );
        assert!(
            w.f.holders.is_empty(),
            "copyright outside UEFI must not count"
        );
        // The same line inside a volume counts.
        let mut fv = lzma_volume();
        // Grow the volume by free space (0xff) that holds the line, then fix the checksum.
        let mut tail = vec![0xffu8; 128];
        let line = b"Copyright (C) 2019 American Megatrends, Inc.";
        tail[64..64 + line.len()].copy_from_slice(line);
        fv.extend_from_slice(&tail);
        let len = fv.len() as u64;
        fv[32..40].copy_from_slice(&len.to_le_bytes());
        fv[50..52].fill(0);
        let sum = fv[..72].chunks_exact(2).fold(0u16, |s, w| {
            s.wrapping_add(u16::from_le_bytes([w[0], w[1]]))
        });
        fv[50..52].copy_from_slice(&0u16.wrapping_sub(sum).to_le_bytes());
        let mut w = Walker::new("/fv");
        w.scan(&fv, 0, "");
        assert_eq!(w.f.holders.get("American Megatrends, Inc"), Some(&1));
    }

    #[test]
    fn copyright_holders() {
        assert_eq!(
            copyright_holder("Copyright (c) 2006 - 2019, Intel Corporation. All rights reserved.")
                .as_deref(),
            Some("Intel Corporation")
        );
        assert_eq!(
            copyright_holder("Copyright (C) 1985-2019, American Megatrends, Inc.").as_deref(),
            Some("American Megatrends, Inc")
        );
        assert_eq!(copyright_holder("Copyright 2020").as_deref(), None);
        assert_eq!(copyright_holder("Copyright %s").as_deref(), None);
    }
}
