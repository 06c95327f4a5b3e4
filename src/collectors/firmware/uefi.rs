//! UEFI (PI specification vol. 3): firmware volumes (`_FVH`), FFS files and their sections
//! (PE32/TE images, user-interface names, version sections, compression and GUID-defined
//! sections with LZMA, nested volume images), capsules (EFI_CAPSULE_HEADER and FMP capsules,
//! UEFI spec §23) and Intel flash descriptors (the region map of a full SPI image).
//!
//! Every offset is bounds-checked; a structure that claims more bytes than exist is reported
//! with what could be read. Tiano/EFI-compressed sections are counted, not unpacked (no
//! maintained pure-Rust decoder). Brotli sections likewise.

use super::{rd, Module, Walker};

/// `EE4E5898-3914-4259-9D6E-DC7BD79403CF`: LZMA custom decompress.
const LZMA_GUID: [u8; 16] = [
    0x98, 0x58, 0x4e, 0xee, 0x14, 0x39, 0x59, 0x42, 0x9d, 0x6e, 0xdc, 0x7b, 0xd7, 0x94, 0x03, 0xcf,
];
/// `D42AE6BD-1352-4BFB-909A-CA72A6EAE889`: LZMA with the x86 branch filter.
const LZMA_F86_GUID: [u8; 16] = [
    0xbd, 0xe6, 0x2a, 0xd4, 0x52, 0x13, 0xfb, 0x4b, 0x90, 0x9a, 0xca, 0x72, 0xa6, 0xea, 0xe8, 0x89,
];
/// `FC1BCDB0-7D31-49AA-936A-A4600D9DD083`: CRC32 guided section (plain sections inside).
const CRC32_GUID: [u8; 16] = [
    0xb0, 0xcd, 0x1b, 0xfc, 0x31, 0x7d, 0xaa, 0x49, 0x93, 0x6a, 0xa4, 0x60, 0x0d, 0x9d, 0xd0, 0x83,
];
/// `6DCBD5ED-E82D-4C44-BDA1-7194199AD92A`: FMP capsule.
pub const FMP_CAPSULE_GUID: [u8; 16] = [
    0xed, 0xd5, 0xcb, 0x6d, 0x2d, 0xe8, 0x44, 0x4c, 0xbd, 0xa1, 0x71, 0x94, 0x19, 0x9a, 0xd9, 0x2a,
];
/// `3B6686BD-0D76-4030-B70E-B5519E2FC5A0`: EFI capsule.
pub const EFI_CAPSULE_GUID: [u8; 16] = [
    0xbd, 0x86, 0x66, 0x3b, 0x76, 0x0d, 0x30, 0x40, 0xb7, 0x0e, 0xb5, 0x51, 0x9e, 0x2f, 0xc5, 0xa0,
];
/// `3B8C8162-188C-46A4-AEC9-BE43F1D65697`: Windows UX capsule.
pub const UX_CAPSULE_GUID: [u8; 16] = [
    0x62, 0x81, 0x8c, 0x3b, 0x8c, 0x18, 0xa4, 0x46, 0xae, 0xc9, 0xbe, 0x43, 0xf1, 0xd6, 0x56, 0x97,
];

/// Scan data that belongs to a UEFI structure.
fn scan_uefi(w: &mut Walker<'_>, b: &[u8], depth: usize, at: &str) {
    let prev = w.in_uefi;
    w.in_uefi = true;
    w.scan(b, depth, at);
    w.in_uefi = prev;
}

/// Format a GUID in registry form.
pub fn guid(b: &[u8]) -> String {
    let (Some(a), Some(b1), Some(c), Some(d)) = (
        rd::u32le(b, 0),
        rd::u16le(b, 4),
        rd::u16le(b, 6),
        b.get(8..16),
    ) else {
        return "invalid-guid".into();
    };
    format!(
        "{a:08x}-{b1:04x}-{c:04x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]
    )
}

/// A volume header that checks out: (declared length, header length).
pub fn fv_header(b: &[u8]) -> Option<(u64, usize)> {
    if b.get(40..44) != Some(b"_FVH") {
        return None;
    }
    let len = rd::u64le(b, 32)?;
    let hlen = rd::u16le(b, 48)? as usize;
    if !(56..=4096).contains(&hlen) || hlen % 2 != 0 || b.len() < hlen {
        return None;
    }
    // The header's 16-bit words sum to zero.
    let sum = b[..hlen].chunks_exact(2).fold(0u16, |s, w| {
        s.wrapping_add(u16::from_le_bytes([w[0], w[1]]))
    });
    (sum == 0 && len >= hlen as u64).then_some((len, hlen))
}

/// Parse the volume at the start of `b`; returns the bytes it covers.
pub fn volume(w: &mut Walker<'_>, b: &[u8], depth: usize, at: &str) -> Option<usize> {
    let (len, hlen) = fv_header(b)?;
    w.format("uefi-fv");
    w.f.volumes += 1;
    let avail = b.len() as u64;
    if len > avail {
        w.error(
            at,
            format!("firmware volume claims {len} bytes; only {avail} are present"),
        );
    }
    let fv = &b[..len.min(avail) as usize];
    let mut o = hlen;
    if let Some(ext) = rd::u16le(b, 52).filter(|&e| e != 0).map(usize::from) {
        if let Some(size) = rd::u32le(fv, ext + 16) {
            o = o.max(ext.saturating_add(size as usize));
        }
    }
    files(w, fv, o, depth, at);
    Some(fv.len())
}

fn align(x: usize, a: usize) -> usize {
    x.div_ceil(a) * a
}

fn files(w: &mut Walker<'_>, fv: &[u8], mut o: usize, depth: usize, at: &str) {
    loop {
        o = align(o, 8);
        let Some(hdr) = fv.get(o..o + 24) else { return };
        if hdr.iter().all(|&x| x == 0xff) || !w.tick() {
            return;
        }
        let ty = hdr[18];
        let attrs = hdr[19];
        let mut size = u32::from_le_bytes([hdr[20], hdr[21], hdr[22], 0]) as u64;
        let mut hsize = 24usize;
        if attrs & 0x01 != 0 {
            size = rd::u64le(fv, o + 24).unwrap_or(0);
            hsize = 32;
        }
        if size < hsize as u64 || (o as u64).saturating_add(size) > fv.len() as u64 {
            w.error(
                at,
                format!("FFS file at volume offset {o:#x} claims {size} bytes past the volume end"),
            );
            return;
        }
        let body = &fv[o + hsize..o + size as usize];
        if ty != 0xf0 {
            let mut m = Module {
                guid: guid(hdr),
                file_type: ty,
                ..Module::default()
            };
            if ty != 0x01 {
                sections(w, body, depth, &mut m, at);
            }
            w.module(m);
        }
        o += size as usize;
    }
}

fn ucs2(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .take(256)
        .collect();
    String::from_utf16_lossy(&units)
}

/// Walk a section stream.
pub fn sections(w: &mut Walker<'_>, b: &[u8], depth: usize, m: &mut Module, at: &str) {
    let mut o = 0usize;
    loop {
        o = align(o, 4);
        let Some(h) = b.get(o..o + 4) else { return };
        if !w.tick() {
            return;
        }
        let mut size = u32::from_le_bytes([h[0], h[1], h[2], 0]) as usize;
        let ty = h[3];
        let mut hs = 4usize;
        if size == 0xff_ffff {
            size = rd::u32le(b, o + 4).unwrap_or(0) as usize;
            hs = 8;
        }
        if size < hs || o.saturating_add(size) > b.len() {
            if size != 0 {
                w.error(
                    at,
                    format!(
                        "section {ty:#04x} of {} claims {size} bytes past its file",
                        m.guid
                    ),
                );
            }
            return;
        }
        let body = &b[o + hs..o + size];
        match ty {
            0x01 => match body.get(4) {
                Some(0) => sections(w, body.get(5..).unwrap_or(&[]), depth, m, at),
                Some(_) => w.f.tiano += 1,
                None => {}
            },
            0x02 => guided(w, body, &b[o..o + size], depth, m, at),
            0x10 | 0x11 => m.pe32 = true,
            0x12 => m.te = true,
            0x14 => {
                let build = rd::u16le(body, 0).unwrap_or(0);
                let s = ucs2(body.get(2..).unwrap_or(&[]));
                m.version = Some(if s.is_empty() { build.to_string() } else { s });
            }
            0x15 => m.name = Some(ucs2(body)).filter(|s| !s.is_empty()),
            0x17 => {
                if depth + 1 > super::MAX_DEPTH {
                    w.error(at, "volumes nested deeper than the limit");
                } else if volume(w, body, depth + 1, at).is_none() {
                    scan_uefi(w, body, depth + 1, at);
                }
            }
            _ => {}
        }
        o += size;
    }
}

fn guided(w: &mut Walker<'_>, body: &[u8], whole: &[u8], depth: usize, m: &mut Module, at: &str) {
    let (Some(g), Some(off)) = (body.get(..16), rd::u16le(body, 16)) else {
        return;
    };
    let data = whole.get(off as usize..).unwrap_or(&[]);
    if g == LZMA_GUID || g == LZMA_F86_GUID {
        w.format("lzma");
        if depth + 1 > super::MAX_DEPTH {
            w.error(at, "compressed sections nested deeper than the limit");
            return;
        }
        if let Some(out) = w.unpack("lzma", data, at) {
            w.text(&out);
            sections(w, &out, depth + 1, m, at);
        }
    } else if g == CRC32_GUID || rd::u16le(body, 18).is_some_and(|a| a & 0x01 == 0) {
        sections(w, data, depth, m, at);
    } else {
        w.f.opaque_sections.insert(guid(g));
    }
}

/// A capsule at the start of `b` (one of the known capsule GUIDs): returns the bytes covered.
pub fn capsule(w: &mut Walker<'_>, b: &[u8], depth: usize, at: &str) -> Option<usize> {
    let g = b.get(..16)?;
    if g != FMP_CAPSULE_GUID && g != EFI_CAPSULE_GUID && g != UX_CAPSULE_GUID {
        return None;
    }
    let hsize = rd::u32le(b, 16)? as usize;
    let size = rd::u32le(b, 24)? as usize;
    if hsize < 28 || hsize > size {
        return None;
    }
    w.format("uefi-capsule");
    w.f.capsules.push(guid(g));
    if size > b.len() {
        w.error(
            at,
            format!("capsule claims {size} bytes; only {} are present", b.len()),
        );
    }
    let cap = &b[..size.min(b.len())];
    let body = cap.get(hsize..).unwrap_or(&[]);
    if g == FMP_CAPSULE_GUID {
        fmp(w, body, depth, at);
    } else {
        scan_uefi(w, body, depth + 1, at);
    }
    Some(cap.len())
}

fn fmp(w: &mut Walker<'_>, b: &[u8], depth: usize, at: &str) {
    let (Some(_ver), Some(drivers), Some(payloads)) =
        (rd::u32le(b, 0), rd::u16le(b, 4), rd::u16le(b, 6))
    else {
        w.error(at, "FMP capsule header truncated");
        return;
    };
    let n = drivers as usize + payloads as usize;
    for i in 0..n.min(64) {
        let Some(off) = rd::u64le(b, 8 + 8 * i).and_then(|o| usize::try_from(o).ok()) else {
            w.error(at, "FMP item offset list truncated");
            return;
        };
        let Some(item) = b.get(off..) else {
            w.error(at, format!("FMP item {i} at offset {off} is past the end"));
            continue;
        };
        if i < drivers as usize {
            scan_uefi(w, item, depth + 1, at);
            continue;
        }
        let (Some(v), Some(tid), Some(size)) =
            (rd::u32le(item, 0), item.get(4..20), rd::u32le(item, 24))
        else {
            continue;
        };
        let hs: usize = match v {
            1 => 32,
            2 => 40,
            _ => 48,
        };
        w.f.fmp_images.insert(guid(tid));
        match item.get(hs..hs.saturating_add(size as usize)) {
            Some(img) => scan_uefi(w, img, depth + 1, at),
            None => w.error(
                at,
                format!("FMP payload {} claims {size} bytes past the end", guid(tid)),
            ),
        }
    }
}

const REGIONS: &[&str] = &[
    "descriptor",
    "bios",
    "me",
    "gbe",
    "pdr",
    "devexp",
    "bios2",
    "region7",
    "ec",
    "region9",
];

/// An Intel flash descriptor at the start of `b` (signature `0x0FF0A55A` at offset 16).
pub fn flash_descriptor(w: &mut Walker<'_>, b: &[u8], depth: usize, at: &str) -> Option<usize> {
    if rd::u32le(b, 16)? != 0x0ff0_a55a {
        return None;
    }
    let flmap0 = rd::u32le(b, 20)?;
    let frba = (((flmap0 >> 16) & 0xff) << 4) as usize;
    if frba == 0 || frba >= 0x1000 {
        return None;
    }
    w.format("intel-flash-descriptor");
    for (i, name) in REGIONS.iter().enumerate() {
        let Some(r) = rd::u32le(b, frba + 4 * i) else {
            break;
        };
        let base = ((r & 0x7fff) as usize) << 12;
        let limit = ((((r >> 16) & 0x7fff) as usize) << 12) | 0xfff;
        if limit <= base {
            continue;
        }
        w.f.regions.push(format!("{name}:{base:#x}-{limit:#x}"));
        if *name == "bios" || *name == "bios2" {
            match b.get(base..=limit) {
                Some(region) => scan_uefi(w, region, depth + 1, at),
                None => w.error(
                    at,
                    format!("{name} region {base:#x}-{limit:#x} is past the end of the image"),
                ),
            }
        }
    }
    Some(b.len())
}
