//! Text read from images: Linux version banners, the kernel version of x86 bzImages, and
//! copyright lines (counted only in UEFI data; see [`super::Walker::scan`]).

use super::signature::magic;
use super::{rd, Walker, MAX_HOLDERS};

impl Walker<'_> {
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

    pub(super) fn banner(&mut self, b: &[u8]) {
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

    pub(super) fn copyright(&mut self, b: &[u8], utf16: bool) {
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
}

/// An x86 boot image (bzImage): the setup header (`HdrS` at 0x202, boot protocol 2.00+)
/// points at the kernel version string (`kernel_version` at 0x20e), so the version is read
/// without unpacking the kernel.
pub fn bzimage(w: &mut Walker<'_>, b: &[u8]) {
    if b.get(0x202..0x206) != Some(b"HdrS") || rd::u16le(b, 0x206).is_none_or(|v| v < 0x200) {
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
