//! Flattened device trees (devicetree specification v0.4, §5), FIT images (U-Boot
//! `doc/uImage.FIT`, an FDT with `/images`) and legacy U-Boot uImage headers (`image.h`).
//!
//! From a tree only the root's `compatible` and `model` are kept (the board and SoC; the vendor
//! prefix before the comma is the evidence the rules read), plus each FIT image's description,
//! type, architecture, OS and compression; embedded image data is handed back to the walker.
//! The structure walk is iterative, bounded by [`MAX_NODES`] and [`MAX_NEST`].

use super::{rd, FitImage, Walker};

/// Most nodes walked in one tree.
pub const MAX_NODES: usize = 100_000;
/// Deepest node nesting followed.
pub const MAX_NEST: usize = 64;

const FDT_MAGIC: u32 = 0xd00d_feed;

fn cstr(b: &[u8]) -> String {
    String::from_utf8_lossy(b.split(|&c| c == 0).next().unwrap_or(b"")).into_owned()
}

fn strings(b: &[u8]) -> Vec<String> {
    b.split(|&c| c == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .take(32)
        .collect()
}

/// A tree at the start of `b`; returns the bytes it covers (with FIT external data).
pub fn tree(w: &mut Walker<'_>, b: &[u8], depth: usize, at: &str) -> Option<usize> {
    if rd::u32be(b, 0)? != FDT_MAGIC {
        return None;
    }
    let total = rd::u32be(b, 4)? as usize;
    let off_struct = rd::u32be(b, 8)? as usize;
    let off_strings = rd::u32be(b, 12)? as usize;
    let version = rd::u32be(b, 20)?;
    let size_strings = rd::u32be(b, 32)? as usize;
    // Chance matches of the magic fail these.
    if !(16..=17).contains(&version)
        || total < 40
        || off_struct < 40
        || off_strings < 40
        || off_struct >= total
        || off_strings > total
    {
        return None;
    }
    if total > b.len() {
        w.error(
            at,
            format!(
                "device tree claims {total} bytes; only {} are present",
                b.len()
            ),
        );
    }
    let t = &b[..total.min(b.len())];
    let strtab = t
        .get(off_strings..off_strings.saturating_add(size_strings).min(t.len()))
        .unwrap_or(&[]);
    let mut path: Vec<String> = Vec::new();
    let mut o = off_struct;
    let mut nodes = 0usize;
    let mut root_compat = Vec::new();
    let mut root_model = None;
    let mut fit: Vec<FitImage> = Vec::new();
    let mut is_fit = false;
    let mut end = t.len();
    let mut external: Vec<(String, usize, usize)> = Vec::new();
    while let Some(tok) = rd::u32be(t, o) {
        if !crate::work::charge(1) {
            break;
        }
        o += 4;
        match tok {
            1 => {
                let name = cstr(t.get(o..).unwrap_or(&[]));
                o = (o + name.len() + 1).div_ceil(4) * 4;
                nodes += 1;
                if nodes > MAX_NODES || path.len() >= MAX_NEST {
                    w.error(at, "device tree too large or too deep; rest skipped");
                    break;
                }
                if path.len() == 1 && path[0].is_empty() && name == "images" {
                    is_fit = true;
                }
                if path.len() == 2 && path[1] == "images" {
                    fit.push(FitImage {
                        node: name.clone(),
                        ..FitImage::default()
                    });
                }
                path.push(name);
            }
            2 => {
                if path.pop().is_none() {
                    break;
                }
            }
            3 => {
                let (Some(len), Some(nameoff)) = (rd::u32be(t, o), rd::u32be(t, o + 4)) else {
                    break;
                };
                let v0 = o + 8;
                let Some(val) = t.get(v0..v0.saturating_add(len as usize)) else {
                    w.error(
                        at,
                        format!("device tree property at {v0:#x} runs past the tree"),
                    );
                    break;
                };
                o = (v0 + len as usize).div_ceil(4) * 4;
                let pname = cstr(strtab.get(nameoff as usize..).unwrap_or(&[]));
                if path.len() == 1 {
                    match pname.as_str() {
                        "compatible" => root_compat = strings(val),
                        "model" => root_model = Some(cstr(val)),
                        "description" if w.f.fit_description.is_none() => {
                            w.f.fit_description = Some(cstr(val))
                        }
                        _ => {}
                    }
                } else if path.len() == 3 && path[1] == "images" {
                    if let Some(img) = fit.last_mut() {
                        match pname.as_str() {
                            "description" => img.description = Some(cstr(val)),
                            "type" => img.kind = Some(cstr(val)),
                            "arch" => img.arch = Some(cstr(val)),
                            "os" => img.os = Some(cstr(val)),
                            "compression" => img.compression = Some(cstr(val)),
                            "data" => img.data = Some((v0 as u64, val.len() as u64)),
                            "data-offset" | "data-position" | "data-size" => {
                                let n = rd::u32be(val, 0).unwrap_or(0) as usize;
                                external.push((pname.clone(), fit.len() - 1, n));
                            }
                            _ => {}
                        }
                    }
                }
            }
            4 => {}
            9 => break,
            _ => {
                w.error(
                    at,
                    format!("bad device tree token {tok:#x} at {:#x}", o - 4),
                );
                break;
            }
        }
    }
    if !root_compat.is_empty() || root_model.is_some() {
        w.f.trees.push((root_compat, root_model));
    }
    w.format(if is_fit { "fit" } else { "fdt" });
    // External data: `data-offset` counts from the end of the tree (4-aligned),
    // `data-position` from the start of the image.
    let base = total.div_ceil(4) * 4;
    for (i, img) in fit.iter_mut().enumerate() {
        let get = |k: &str| {
            external
                .iter()
                .find(|(n, j, _)| n == k && *j == i)
                .map(|e| e.2)
        };
        if let Some(size) = get("data-size") {
            let start = get("data-position").or_else(|| get("data-offset").map(|x| base + x));
            if let Some(s) = start {
                img.data = Some((s as u64, size as u64));
                end = end.max(s.saturating_add(size).min(b.len()));
            }
        }
    }
    for img in &fit {
        if let Some((s, n)) = img.data {
            let (s, n) = (s as usize, n as usize);
            match b.get(s..s.saturating_add(n)) {
                Some(data) => w.payload(
                    img.compression.as_deref().unwrap_or("none"),
                    data,
                    depth + 1,
                    at,
                ),
                None => w.error(
                    at,
                    format!("FIT image `{}` data runs past the end", img.node),
                ),
            }
        }
    }
    w.f.fit_images.extend(fit);
    Some(end)
}

const OS: &[(u8, &str)] = &[
    (5, "linux"),
    (17, "u-boot"),
    (20, "openrtos"),
    (21, "arm-trusted-firmware"),
    (22, "tee"),
    (23, "opensbi"),
    (24, "efi"),
];
const ARCH: &[(u8, &str)] = &[
    (2, "arm"),
    (3, "x86"),
    (4, "ia64"),
    (5, "mips"),
    (6, "mips64"),
    (7, "ppc"),
    (15, "sh"),
    (19, "blackfin"),
    (21, "avr32"),
    (22, "arm64"),
    (26, "riscv"),
    (27, "xtensa"),
    (28, "x86_64"),
];
const TYPE: &[(u8, &str)] = &[
    (1, "standalone"),
    (2, "kernel"),
    (3, "ramdisk"),
    (4, "multi"),
    (5, "firmware"),
    (6, "script"),
    (7, "filesystem"),
    (8, "flat_dt"),
];
const COMP: &[(u8, &str)] = &[
    (0, "none"),
    (1, "gzip"),
    (2, "bzip2"),
    (3, "lzma"),
    (4, "lzo"),
    (5, "lz4"),
    (6, "zstd"),
];

fn name_of(table: &[(u8, &'static str)], v: u8) -> String {
    table
        .iter()
        .find(|(k, _)| *k == v)
        .map(|(_, n)| (*n).to_owned())
        .unwrap_or_else(|| v.to_string())
}

/// A legacy uImage at the start of `b` (magic `0x27051956`, header CRC checked).
pub fn uimage(w: &mut Walker<'_>, b: &[u8], depth: usize, at: &str) -> Option<usize> {
    if rd::u32be(b, 0)? != 0x2705_1956 {
        return None;
    }
    let hdr = b.get(..64)?;
    let mut zeroed = hdr.to_vec();
    zeroed[4..8].fill(0);
    let mut crc = flate2::Crc::new();
    crc.update(&zeroed);
    if crc.sum() != rd::u32be(hdr, 4)? {
        return None;
    }
    let size = rd::u32be(hdr, 12)? as usize;
    let comp = name_of(COMP, hdr[31]);
    w.format("uimage");
    w.f.uimages.push(vec![
        ("name".into(), cstr(&hdr[32..64])),
        ("os".into(), name_of(OS, hdr[28])),
        ("arch".into(), name_of(ARCH, hdr[29])),
        ("type".into(), name_of(TYPE, hdr[30])),
        ("compression".into(), comp.clone()),
    ]);
    let avail = b.len() - 64;
    if size > avail {
        w.error(
            at,
            format!("uImage claims a {size} byte payload; only {avail} bytes follow"),
        );
    }
    w.payload(&comp, &b[64..64 + size.min(avail)], depth + 1, at);
    Some(64 + size.min(avail))
}
