//! Firmware images: UEFI volumes, capsules and SPI flash dumps ([`uefi`]), U-Boot uImage, FIT
//! and device-tree blobs ([`fdt`]), Linux kernel images, and payloads embedded in any of them
//! (gzip, xz, LZMA, zstd, cpio/initramfs, squashfs: [`archive`]), found by signature.
//!
//! Each image becomes a `firmware` component (evidence: the device tree's root `compatible`
//! SoC entry — the last — as vendor evidence, its first (board) entry and `model` as `board`
//! evidence, and the copyright holders named most often inside UEFI volumes — a kernel or a
//! root filesystem names hundreds of contributors, so there they are not read) with child
//! components for the UEFI modules
//! (FFS files with a PE32/TE image or a user-interface name; name, version, GUID), FIT images,
//! Linux kernels (version banner) and `lib/firmware` files found in embedded archives, linked
//! by `contains` relationships.
//!
//! Walking is recursive and bounded per image: at most [`MAX_DEPTH`] levels of nesting,
//! [`MAX_EXPANDED`] bytes decompressed in total, [`MAX_ENTRIES`] structures (volumes, files,
//! sections, archive entries), [`MAX_IMAGE`] bytes of input (read whole when its head carries a signature; a file
//! offered by its name alone, with none, is read only when at most [`MAX_UNSIGNED`] bytes, and
//! over [`SNIFF_STREAM`] bytes only as the windows of the structures [`structures`] finds in
//! it). Going past a
//! limit, or a structure claiming bytes that are not there (a volume longer than the file, a
//! squashfs claiming a terabyte, a decompression bomb), is an error entry next to what was
//! found. Squashfs filesystems ([`squashfs`]) and cpio archives are walked: their
//! `lib/firmware` files become components, every file's contents are scanned in turn, and the
//! package databases inside them are read by the database collectors ([`nested`]).
//! Candidates: files whose first bytes carry one of the signatures, and unowned files named like firmware images (`.fd`, `.rom`, `.cap`,
//! `.itb`, `.dtb`, `.bin`, `.img`…) outside `lib/firmware`. bzip2, lz4, jffs2, cramfs, UBI,
//! ext2/3/4, zip, tar, 7z and Android boot images are recognised and recorded, not unpacked.
//! Boot-ROM loaders (eGON, Rockchip idbloader, i.MX IVT…) are left to [`super::bootrom`].

pub mod archive;
pub mod fdt;
pub mod nested;
pub mod signature;
pub mod squashfs;
pub mod text;
pub mod uefi;
pub mod walk;

pub use text::{bzimage, copyright_holder};
pub use walk::{Findings, FitImage, Module, Walker};

use super::{Candidate, Collected, Collector, Context};
use crate::model::{
    Component, ComponentKind, EvidenceKind, Relationship, RelationshipKind, ScanError,
};
use std::collections::BTreeSet;

/// Largest image read.
pub const MAX_IMAGE: u64 = 2 << 30;
/// Largest file offered by its name alone (`.bin`, `.img`…) with no known signature in its
/// first bytes that is still read whole: a bigger one is a disk image or a data file, not a
/// firmware image, and reading it would cost its size in memory.
pub const MAX_UNSIGNED: u64 = 64 << 20;
/// A file offered by its name alone, with no known signature in its head, over this size is
/// first searched in a stream for structures worth unpacking ([`structures`]), so that a
/// build cache or data file named `.bin` does not cost its size in memory.
pub const SNIFF_STREAM: u64 = 4 << 20;
/// Deepest nesting of containers (volume in section in capsule…, gzip in gzip…).
pub const MAX_DEPTH: usize = 8;
/// Bytes decompressed in total for one image.
pub const MAX_EXPANDED: u64 = 256 << 20;
/// Structures visited in one image.
pub const MAX_ENTRIES: usize = 50_000;
/// Failed decompression attempts (chance signature matches) before giving up on payloads.
pub(crate) const MAX_FAILED: usize = 512;
/// Bytes of package-database files kept from one image's embedded filesystems.
pub const MAX_KEPT: u64 = 64 << 20;
/// Copyright holders kept per image.
pub(crate) const MAX_HOLDERS: usize = 16;

/// Bounds-checked readers (the crate's one set, [`crate::bytes`]).
pub use crate::bytes as rd;

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

/// Most structures [`structures`] reports in one file (the rest are not read).
pub const MAX_WINDOWS: usize = 256;
/// Bytes read after a structure whose length its header does not give (a gzip, xz, zstd or
/// LZMA stream, a cpio archive, a flash image).
pub const STREAM_WINDOW: u64 = 8 << 20;

/// A part of a file to read and walk: where a structure starts, and how far it reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Offset in the file.
    pub start: u64,
    /// Bytes from there (may reach past the end of the file, which the read clips).
    pub len: u64,
}

/// The structures of a stream the walk would act on, each as the window of the file it
/// takes: from where it starts, as long as its header says ([`extent`]; at most
/// [`MAX_UNSIGNED`] bytes), or [`STREAM_WINDOW`] bytes for a stream of unknown length (cut
/// short where a structure of known length that reaches past it starts). Structures inside an
/// earlier window are that window's. Every hit of [`signature::magic`] is checked as its
/// parser would check it ([`plausible`]: a volume's header checksum, a uImage header CRC, a
/// device tree's version, a squashfs superblock, a gzip stream that inflates…), because the
/// bare magics occur by chance in any large file, and in every build cache of a program that
/// names them. Read in 1 MiB chunks that overlap, so memory stays constant whatever the file's
/// size. With the windows, whether they are all there are (false when more than
/// [`MAX_WINDOWS`] were found and the rest left out); `Err` when the stream cannot be read.
pub fn structures(mut r: impl std::io::Read) -> std::io::Result<(Vec<Window>, bool)> {
    const CHUNK: usize = 1 << 20;
    /// Bytes after a hit its check may read.
    const AHEAD: usize = 64 << 10;
    /// Bytes before a hit where its structure starts (a tar header's `ustar` is at 257).
    const BEHIND: usize = 512;
    let Some(ac) = signature::magic() else {
        return Ok((Vec::new(), true));
    };
    let mut all = true;
    // (start, length if its header gives it)
    let mut hits: Vec<(u64, Option<u64>)> = Vec::new();
    let mut buf = vec![0u8; CHUNK + AHEAD + BEHIND];
    // `base`: the stream offset of `buf[0]`.
    let (mut have, mut from, mut base) = (0usize, 0usize, 0u64);
    'read: loop {
        let n = match r.read(&mut buf[have..]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        have += n;
        let eof = n == 0;
        if !eof && have < buf.len() {
            continue;
        }
        let b = &buf[..have];
        // A hit in the last bytes is looked at again, with what follows it, in the next chunk.
        let limit = if eof { have } else { have - AHEAD };
        for m in ac.find_iter(b) {
            let pos = m.start();
            if pos >= limit {
                break;
            }
            let pat = m.pattern().as_usize();
            if pos < from || !plausible(pat, b, pos) {
                continue;
            }
            let Some(st) = pos.checked_sub(match pat {
                0 => 40,
                15 => 16,
                23 => 257,
                _ => 0,
            }) else {
                continue;
            };
            let start = base + st as u64;
            if hits.last().is_some_and(|&(s, _)| s >= start) {
                continue;
            }
            hits.push((start, extent(pat, &b[st..])));
            if hits.len() >= MAX_WINDOWS * 4 {
                all = false;
                break 'read;
            }
        }
        if eof {
            break;
        }
        let keep = AHEAD + BEHIND;
        buf.copy_within(have - keep..have, 0);
        base += (have - keep) as u64;
        have = keep;
        from = BEHIND;
    }
    let mut out: Vec<Window> = Vec::new();
    let mut covered = 0u64;
    for (i, &(start, len)) in hits.iter().enumerate() {
        if start < covered {
            continue;
        }
        let mut end = start.saturating_add(len.unwrap_or(STREAM_WINDOW).clamp(1, MAX_UNSIGNED));
        if len.is_none() {
            if let Some(&(next, _)) = hits[i + 1..]
                .iter()
                .take_while(|h| h.0 < end)
                .find(|h| h.1.is_some_and(|l| h.0.saturating_add(l) > end))
            {
                end = next;
            }
        }
        out.push(Window {
            start,
            len: end - start,
        });
        covered = end;
        if out.len() == MAX_WINDOWS {
            all &= hits[i + 1..].iter().all(|h| h.0 < covered);
            break;
        }
    }
    Ok((out, all))
}

/// The length of the structure of magic `pat` that starts at `s`, where its header gives it:
/// a volume's `FvLength`, a uImage's header and data, a device tree's `totalsize`, a
/// squashfs's `bytes_used`, a capsule's image size; a text or a recognised header is small.
fn extent(pat: usize, s: &[u8]) -> Option<u64> {
    match pat {
        0 => rd::u64le(s, 32),
        1 => rd::u32be(s, 12).map(|n| 64 + u64::from(n)),
        2 => rd::u32be(s, 4).map(u64::from),
        6 => rd::u64le(s, 40),
        12..=14 => rd::u32le(s, 24).map(u64::from),
        // A flash image: the rest of the file.
        15 => Some(u64::MAX),
        3..=5 | 7 | 8 | 16 => None,
        _ => Some(4096),
    }
}

/// Whether the hit of magic `pat` at `pos` of `b` starts a structure its parser would take.
fn plausible(pat: usize, b: &[u8], pos: usize) -> bool {
    let s = &b[pos..];
    let be32 = |o: usize| rd::u32be(s, o).unwrap_or(0);
    match pat {
        0 => {
            // The volume header, from 40 bytes before its signature, sums to zero.
            let Some(fv) = pos.checked_sub(40).map(|st| &b[st..]) else {
                return false;
            };
            let len = rd::u16le(fv, 48).unwrap_or(0) as usize;
            (56..=4096).contains(&len)
                && len % 2 == 0
                && fv.get(..len).is_some_and(|h| {
                    h.chunks_exact(2).fold(0u16, |a, w| {
                        a.wrapping_add(u16::from_le_bytes([w[0], w[1]]))
                    }) == 0
                })
        }
        1 => s.get(..64).is_some_and(|h| {
            let mut h = h.to_vec();
            h[4..8].fill(0);
            let mut crc = flate2::Crc::new();
            crc.update(&h);
            crc.sum() == be32(4)
        }),
        2 => {
            let total = be32(4);
            (40..1 << 30).contains(&total)
                && be32(8) < total
                && be32(12) <= total
                && (16..=17).contains(&be32(20))
                && be32(24) <= 17
        }
        3 => {
            use std::io::Read;
            if s.len() < 10 || s[3] & 0xe0 != 0 || !matches!(s[8], 0 | 2 | 4) {
                return false;
            }
            let mut out = [0u8; 256];
            let mut d = flate2::read::GzDecoder::new(&s[..s.len().min(64 << 10)]);
            let mut got = 0;
            while got < out.len() {
                match d.read(&mut out[got..]) {
                    Ok(0) => return got > 0,
                    Ok(n) => got += n,
                    Err(_) => return false,
                }
            }
            true
        }
        4 => s.get(6..12).is_some_and(|f| {
            let mut crc = flate2::Crc::new();
            crc.update(&f[..2]);
            f[0] == 0 && f[1] <= 0x0f && crc.sum() == u32::from_le_bytes([f[2], f[3], f[4], f[5]])
        }),
        // zstd frame header: the reserved bit is clear.
        5 => s.get(4).is_some_and(|d| d & 0x08 == 0),
        6 => {
            let bs = rd::u32le(s, 12).unwrap_or(0);
            rd::u16le(s, 28) == Some(4)
                && bs.is_power_of_two()
                && (4096..=1 << 20).contains(&bs)
                && rd::u16le(s, 22) == Some(bs.trailing_zeros() as u16)
        }
        7 | 8 => s
            .get(6..110)
            .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)),
        9 => s.get(14).is_some_and(u8::is_ascii_digit),
        10 | 11 => false,
        12..=14 => {
            let (hdr, img) = (rd::u32le(s, 16).unwrap_or(0), rd::u32le(s, 24).unwrap_or(0));
            (28..=4096).contains(&hdr) && img >= hdr
        }
        15 => pos >= 16 && (pos - 16) % 4096 == 0,
        16 => signature::lzma_header(s),
        23 => pos
            .checked_sub(257)
            .is_some_and(|st| signature::recognise(pat, &b[st..]).is_some()),
        _ => signature::recognise(pat, s).is_some(),
    }
}

impl Collector for Firmware {
    fn id(&self) -> &'static str {
        "firmware"
    }
    fn reads(&self) -> &'static str {
        "files starting with a known signature, and unowned `.fd .rom .cap .itb .dtb .bin .img…`: UEFI volumes, FFS modules (name, version, GUID), capsules, Intel flash descriptor regions, uImage/FIT/FDT (root `compatible`), Linux kernel versions (bzImage setup header, version banners), and gzip/xz/zstd/LZMA payloads, cpio archives and squashfs filesystems (gzip, xz, LZMA, zstd) inside them, whose files are walked in turn and whose package databases (dpkg…) are read as a nested root (depth 8, 256 MiB expanded, 50,000 structures per image); bzip2, lz4, jffs2, cramfs, UBI, ext2/3/4, zip, tar, 7z and Android boot images are recognised, not unpacked"
    }
    fn emits(&self) -> &'static [EvidenceKind] {
        &[
            EvidenceKind::Board,
            EvidenceKind::CopyrightHolder,
            EvidenceKind::DtCompatible,
            EvidenceKind::FirmwarePath,
        ]
    }
    fn matches_path(&self, path: &str) -> bool {
        let lower = path.to_ascii_lowercase();
        super::linux_firmware::relative(path).is_none()
            && EXTENSIONS.iter().any(|e| lower.ends_with(e))
    }
    fn matches_head(&self, head: &[u8]) -> bool {
        sniff(head)
    }
    fn collect(&self, c: &Candidate<'_>, ctx: &Context<'_>) -> Collected {
        let mut w = Walker::new(c.path);
        w.keep = Some(&nested::wanted);
        if c.size > SNIFF_STREAM {
            let head = if c.head.is_empty() {
                c.open()
                    .and_then(|mut f| f.head(super::HEAD_LEN))
                    .unwrap_or_default()
            } else {
                c.head.to_vec()
            };
            if !sniff(&head) && !super::bootrom::sniff(&head) {
                // Offered by its name alone: only the structures a stream search finds are
                // read, each at its own extent, so a large file costs its structures in
                // memory, not its size.
                if c.size > MAX_UNSIGNED {
                    return Collected::default();
                }
                // The first open's handle tells at the end whether the file changed while
                // it was searched and its windows read.
                let mut check = None;
                let found = c.open().and_then(|f| {
                    check = f.change_check();
                    structures(f.reader()?)
                });
                let (windows, all) = match found {
                    Ok((w, _)) if w.is_empty() => return Collected::default(),
                    Ok(found) => found,
                    Err(e) => return Collected::error(c.path, format!("cannot read image: {e}")),
                };
                if !all {
                    w.error(
                        "image",
                        format!("more than {MAX_WINDOWS} structures found by signature; the rest is not read"),
                    );
                }
                // One handle for every window; a window that cannot be read is an error and
                // the others are still read.
                match c.open() {
                    Ok(file) => {
                        for win in windows {
                            match file.read_range(win.start, win.len) {
                                Ok(part) => {
                                    w.origin = win.start;
                                    w.scan(&part.bytes, 0, "");
                                }
                                Err(e) => {
                                    let at = format!("@{:#x}", win.start);
                                    w.error(&at, format!("cannot read: {e}"));
                                }
                            }
                        }
                    }
                    Err(e) => w.error("image", format!("cannot read: {e}")),
                }
                w.origin = 0;
                if let Some(Err(e)) = check.map(|(f, md)| crate::rootfs::unchanged(&f, &md)) {
                    w.error("image", e.to_string());
                }
                return finish(c, ctx, w, false);
            }
        }
        let bytes = match c.load("image", MAX_IMAGE) {
            Ok(b) => b,
            Err(e) => return e,
        };
        // A boot-ROM loader (idbloader.img, sunxi-spl.bin…) is the boot-ROM collector's: it
        // walks the same bytes and reports one component with the boot format as well.
        let name = c.path.rsplit('/').next().unwrap_or(c.path);
        if super::bootrom::identify(&bytes, name).is_some() {
            return Collected::default();
        }
        bzimage(&mut w, &bytes);
        w.scan(&bytes, 0, "");
        let signed = sniff(&bytes[..bytes.len().min(super::HEAD_LEN)]);
        drop(bytes);
        finish(c, ctx, w, signed)
    }
}

/// The report of a walk: nothing for a file offered by name alone (not `signed` by its head)
/// that holds nothing recognisable (it is not firmware), else the image's components and the
/// package databases found inside it.
fn finish(c: &Candidate<'_>, ctx: &Context<'_>, mut w: Walker<'_>, signed: bool) -> Collected {
    if w.f.formats.is_empty() && w.f.errors.is_empty() && !signed {
        return Collected::default();
    }
    let kept = std::mem::take(&mut w.f.kept);
    let mut out = components(c.path, w.f);
    out.extend(nested::collect(c.path, kept, ctx.options));
    out
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
    // A root `compatible` lists the board first and the SoC last (devicetree specification
    // §2.3.1, "most specific first"): the SoC's maker is the vendor evidence, the board's
    // maker and the `model` only name the `board` party.
    let mut seen = BTreeSet::new();
    for (compat, model) in &f.trees {
        if let Some(soc) = compat.last() {
            if seen.insert(soc.clone()) && seen.len() <= 16 {
                top.add_evidence(EvidenceKind::DtCompatible, soc, path);
            }
        }
        if let (Some(board), true) = (compat.first(), compat.len() > 1) {
            if seen.insert(board.clone()) && seen.len() <= 16 {
                top.add_evidence(EvidenceKind::Board, board, path);
            }
        }
        if let Some(m) = model {
            if seen.insert(m.clone()) && seen.len() <= 16 {
                top.add_evidence(EvidenceKind::Board, m, path);
            }
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
    /// Data with no signature at all: bytes from a small linear congruential generator, with
    /// every byte that could start a magic replaced.
    fn noise(n: usize) -> Vec<u8> {
        let mut x = 0x2545_f491_u32;
        (0..n)
            .map(|_| {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                match (x >> 24) as u8 {
                    0x5f | 0x27 | 0xd0 | 0x1f | 0xfd | 0x28 | b'h' | b'0' | b'L' | b'C' | 0x5a
                    | 0x5d | b'B' | 0x04 | 0x85 | 0x45 | b'U' | b'P' | b'u' | b'7' | b'A' => 0,
                    b => b,
                }
            })
            .collect()
    }

    /// Whether the stream search finds anything to read.
    fn worth_reading(r: impl std::io::Read) -> bool {
        structures(r).is_ok_and(|(w, _)| !w.is_empty())
    }

    #[test]
    fn stream_sniff_finds_a_signature_anywhere_and_nothing_in_noise() {
        let n = 3 << 20;
        let plain = noise(n);
        assert!(!worth_reading(&plain[..]));
        // An xz stream header (magic, flags, their CRC) straddling the first chunk boundary,
        // in the middle, and at the very end; the bare magic is chance.
        let mut xz = b"\xfd7zXZ\x00\x00\x04".to_vec();
        let mut crc = flate2::Crc::new();
        crc.update(&xz[6..8]);
        xz.extend_from_slice(&crc.sum().to_le_bytes());
        for at in [(1 << 20) - 3, (2 << 20) + 10, n - 12] {
            let mut b = plain.clone();
            b[at..at + 12].copy_from_slice(&xz);
            assert!(worth_reading(&b[..]), "xz header at {at:#x}");
            b[at + 8] ^= 1;
            assert!(!worth_reading(&b[..]), "xz magic with a bad CRC at {at:#x}");
        }
        // A gzip magic with reserved flag bits set is chance, and so is a header followed by
        // bytes that do not inflate; a real stream is not.
        let mut b = plain.clone();
        b[5000..5010].copy_from_slice(&[0x1f, 0x8b, 0x08, 0xe0, 0, 0, 0, 0, 9, 3]);
        assert!(!worth_reading(&b[..]));
        b[5000..5010].copy_from_slice(&[0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 3]);
        assert!(!worth_reading(&b[..]));
        let gz = {
            use std::io::Write;
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(&[7u8; 4096]).unwrap();
            e.finish().unwrap()
        };
        b[5000..5000 + gz.len()].copy_from_slice(&gz);
        assert!(worth_reading(&b[..]));
        // The magics as a program's constants hold them (a build cache of a scanner), each
        // followed by unrelated bytes, are not structures.
        let mut b = plain.clone();
        let mut at = 100_000;
        for m in [
            &b"_FVH"[..],
            &[0x27, 0x05, 0x19, 0x56],
            &[0xd0, 0x0d, 0xfe, 0xed],
            b"hsqs",
            b"070701",
            b"Linux version ",
            b"PK\x03\x04",
            b"ustar",
            b"UBI#",
            b"BZh",
        ] {
            b[at..at + m.len()].copy_from_slice(m);
            at += 70_000;
        }
        assert!(!worth_reading(&b[..]));
        // The two-byte jffs2 magic alone is not enough.
        let mut b = plain;
        b[7000..7002].copy_from_slice(&[0x85, 0x19]);
        assert!(!worth_reading(&b[..]));
    }

    #[test]
    fn structures_are_windows_at_their_own_extent() {
        use std::io::Write;
        let n = 12 << 20;
        let mut b = noise(n);
        let gz = {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(&[7u8; 4096]).unwrap();
            e.finish().unwrap()
        };
        // A device tree header (totalsize 0x20000, version 17) a little after the gzip
        // stream, reaching past the stream's window; a second gzip stream inside it.
        let mut dt = vec![0u8; 40];
        dt[..4].copy_from_slice(&[0xd0, 0x0d, 0xfe, 0xed]);
        dt[4..8].copy_from_slice(&0x20000u32.to_be_bytes());
        dt[8..12].copy_from_slice(&0x38u32.to_be_bytes());
        dt[12..16].copy_from_slice(&0x100u32.to_be_bytes());
        dt[20..24].copy_from_slice(&17u32.to_be_bytes());
        dt[24..28].copy_from_slice(&16u32.to_be_bytes());
        let (g, d) = (3 << 20, (3 << 20) + (8 << 20) - 0x1000);
        b[g..g + gz.len()].copy_from_slice(&gz);
        b[d..d + 40].copy_from_slice(&dt);
        b[d + 0x1000..d + 0x1000 + gz.len()].copy_from_slice(&gz);
        let (w, all) = structures(&b[..]).unwrap();
        assert!(all);
        assert_eq!(
            w,
            vec![
                Window {
                    start: g as u64,
                    len: (d - g) as u64
                },
                Window {
                    start: d as u64,
                    len: 0x20000
                },
            ]
        );
        // More structures than the windows kept: the first ones, and a flag.
        let mut many = noise(2 << 20);
        dt[4..8].copy_from_slice(&0x100u32.to_be_bytes());
        for i in 0..300 {
            many[i * 4096..i * 4096 + 40].copy_from_slice(&dt);
        }
        let (w, all) = structures(&many[..]).unwrap();
        assert!(!all);
        assert_eq!(w.len(), MAX_WINDOWS);
        assert_eq!(
            w[255],
            Window {
                start: 255 * 4096,
                len: 0x100
            }
        );
        // Nothing in noise; a read error is an error.
        assert!(structures(&noise(3 << 20)[..]).unwrap().0.is_empty());
        struct Broken;
        impl std::io::Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("device gone"))
            }
        }
        assert!(structures(Broken).is_err());
    }

    #[test]
    fn big_unsigned_file_is_read_only_when_it_holds_something() {
        use flate2::{write::GzEncoder, Compression};
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let mut data = noise(SNIFF_STREAM as usize + (1 << 20));
        std::fs::write(dir.path().join("cache.bin"), &data).unwrap();
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(b"Linux version 6.1.0-test (builder@host) #1 SMP\n")
            .unwrap();
        let gz = gz.finish().unwrap();
        let at = data.len() - (1 << 19);
        data[at..at + gz.len()].copy_from_slice(&gz);
        std::fs::write(dir.path().join("update.bin"), &data).unwrap();
        let root = crate::rootfs::RootFs::new(dir.path()).unwrap();
        let os = crate::collectors::OsRelease::default();
        let options = crate::model::ScanOptions::default();
        let ctx = Context {
            root: &root,
            os: &os,
            options: &options,
            deep: None,
        };
        let run = |name: &str| {
            let host = dir.path().join(name);
            let path = format!("/{name}");
            Firmware.collect(
                &Candidate {
                    path: &path,
                    host: &host,
                    fs: &root,
                    size: data.len() as u64,
                    head: &[],
                    owner: None,
                    loaded: Default::default(),
                },
                &ctx,
            )
        };
        let cache = run("cache.bin");
        assert!(cache.components.is_empty() && cache.errors.is_empty());
        let update = run("update.bin");
        let top = update
            .components
            .iter()
            .find(|c| c.id == "firmware:/update.bin")
            .expect("the image component");
        let formats = top.properties.get("formats").cloned();
        assert!(formats.is_some_and(|f| f.contains("gzip")));
        // The kernel found in the window is reported, under the file's own offsets.
        assert!(
            update
                .components
                .iter()
                .any(|c| c.version.as_deref() == Some("6.1.0-test")),
            "{:?}",
            update.components
        );
    }
}
