//! The signatures looked for in images (one Aho-Corasick automaton, built once), and the
//! checks that tell a real header from a chance match for the formats only recognised.

use super::{rd, uefi};
use aho_corasick::AhoCorasick;
use std::sync::OnceLock;

/// The automaton; pattern indices are what [`super::Walker::scan`] dispatches on.
pub fn magic() -> &'static Option<AhoCorasick> {
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

/// An LZMA-alone header that looks real: properties 0x5d, a power-of-two dictionary of 64 KiB
/// to 64 MiB, and an unpacked size that is unknown or under 4 GiB.
pub fn lzma_header(s: &[u8]) -> bool {
    let dict = rd::u32le(s, 1).unwrap_or(0);
    let size = rd::u64le(s, 5).unwrap_or(0);
    dict.is_power_of_two()
        && (1 << 16..=1 << 26).contains(&dict)
        && (size == u64::MAX || (1..1 << 32).contains(&size))
}

/// Formats recognised but not unpacked; `None` for a chance match.
pub fn recognise(pat: usize, s: &[u8]) -> Option<String> {
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
