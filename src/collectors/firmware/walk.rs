//! The recursive, bounded walk over one image: signatures found with one Aho-Corasick pass
//! ([`super::signature`]), each handed to its parser, decompressed payloads and archive members
//! scanned in turn, within the image's budget (depth, expanded bytes, structures).

use super::signature::{lzma_header, magic, recognise};
use super::{archive, fdt, rd, squashfs, uefi, MAX_DEPTH, MAX_ENTRIES, MAX_EXPANDED, MAX_FAILED};
use std::collections::BTreeSet;

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
    /// Files of embedded filesystems kept for the package-database collectors:
    /// (filesystem location, path inside it, contents).
    pub kept: Vec<(String, String, Vec<u8>)>,
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
    /// Which files of an embedded filesystem to keep for the package-database collectors
    /// (by their path in that filesystem, `/var/lib/dpkg/status`).
    pub keep: Option<&'p (dyn Fn(&str) -> bool + Sync)>,
    kept_bytes: u64,
    /// Where in the file the bytes given to a top-level [`Walker::scan`] start (a window of a
    /// large file), so that reported offsets are the file's.
    pub origin: u64,
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
            keep: None,
            kept_bytes: 0,
            origin: 0,
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
        if !crate::work::charge(1) {
            return false;
        }
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
                crate::work::charge_bytes(out.len());
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
                    self.scan(&out, depth, &format!("{at}/{compression}"));
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
        if !crate::work::charge_bytes(b.len()) {
            return;
        }
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
            if self.entries > MAX_ENTRIES || !crate::work::charge(1) {
                break;
            }
            let here = if at.is_empty() {
                format!("@{:#x}", self.origin.saturating_add(start as u64))
            } else {
                format!("{at}@{start:#x}")
            };
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

    pub(super) fn detected(&mut self, kind: &str, what: &str) {
        self.format(kind);
        if self.f.filesystems.len() < 64 {
            self.f.filesystems.push(what.to_owned());
        }
    }

    /// Parse a squashfs filesystem at the start of `b` and walk its files; the bytes used.
    pub fn squashfs(&mut self, b: &[u8], depth: usize, at: &str) -> Option<usize> {
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
                    self.keep_file(at, &f.path, &data);
                    if !data.is_empty() {
                        self.scan(&data, depth + 1, &format!("{at}/{}", f.path));
                    }
                }
                Err(e) => self.error(at, format!("squashfs file {}: {e}", f.path)),
            }
        }
    }

    /// Keep a file of the embedded filesystem at `fs` when the package-database collectors
    /// want it (at most [`super::MAX_KEPT`] bytes in all).
    fn keep_file(&mut self, fs: &str, name: &str, data: &[u8]) {
        let path = format!("/{}", name.trim_start_matches("./").trim_start_matches('/'));
        if !self.keep.is_some_and(|k| k(&path)) {
            return;
        }
        if self.kept_bytes + data.len() as u64 > super::MAX_KEPT {
            self.error(
                fs,
                format!(
                    "{path}: over the {} byte limit for package databases",
                    super::MAX_KEPT
                ),
            );
            return;
        }
        self.kept_bytes += data.len() as u64;
        self.f.kept.push((fs.to_owned(), path, data.to_vec()));
    }

    fn note_file(&mut self, name: &str) {
        let name = name.trim_start_matches("./").trim_start_matches('/');
        for pre in ["lib/firmware/", "usr/lib/firmware/"] {
            if let Some(rel) = name.strip_prefix(pre).filter(|r| !r.is_empty()) {
                self.f.firmware_files.insert(rel.to_owned());
            }
        }
    }

    /// Parse a cpio archive at the start of `b` and walk its files; the bytes used.
    pub fn cpio(&mut self, b: &[u8], depth: usize, at: &str) -> Option<usize> {
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
            self.keep_file(at, &e.name, e.data);
            let name = e.name.trim_start_matches("./").trim_start_matches('/');
            if !e.data.is_empty() {
                self.scan(e.data, depth + 1, &format!("{at}/{name}"));
            }
        }
        Some(used)
    }
}
