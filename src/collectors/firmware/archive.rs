//! Compressed payloads and embedded filesystems found inside firmware images: gzip (flate2),
//! xz and LZMA-alone (lzma-rs), zstd (ruzstd), newc cpio archives (initramfs) and squashfs
//! superblocks. Every decompression writes into a [`Capped`] buffer, so a stream that expands
//! past the caller's remaining budget stops with [`Bomb`] instead of exhausting memory.
//!
//! This module only unpacks; [`super::Walker`] decides what to look for in the result.

use std::io::{self, Read, Write};

/// The output of one decompression would pass the remaining budget.
#[derive(Debug)]
pub struct Bomb(pub u64);

/// A `Vec` that refuses to grow past `cap` bytes.
pub struct Capped {
    /// Bytes written so far.
    pub buf: Vec<u8>,
    cap: u64,
    /// Set when a write was refused.
    pub overflowed: bool,
}

impl Capped {
    /// An empty buffer that holds at most `cap` bytes.
    pub fn new(cap: u64) -> Self {
        Capped {
            buf: Vec::new(),
            cap,
            overflowed: false,
        }
    }
}

impl Write for Capped {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.len() as u64 + data.len() as u64 > self.cap {
            self.overflowed = true;
            return Err(io::Error::other("output over the expansion budget"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Outcome of one decompression attempt.
pub type Unpacked = Result<Vec<u8>, UnpackError>;

/// Why a payload could not be unpacked.
#[derive(Debug)]
pub enum UnpackError {
    /// Not a valid stream (often a false signature match).
    Invalid(String),
    /// Expanded past the budget.
    Bomb(Bomb),
}

fn finish(out: Capped, r: Result<(), String>) -> Unpacked {
    if out.overflowed {
        return Err(UnpackError::Bomb(Bomb(out.cap)));
    }
    match r {
        Ok(()) if !out.buf.is_empty() => Ok(out.buf),
        Ok(()) => Err(UnpackError::Invalid("empty stream".into())),
        // A truncated stream still yields what it decoded.
        Err(_) if out.buf.len() >= 64 => Ok(out.buf),
        Err(e) => Err(UnpackError::Invalid(e)),
    }
}

/// Inflate a gzip member.
pub fn gzip(data: &[u8], cap: u64) -> Unpacked {
    let mut out = Capped::new(cap);
    let mut dec = flate2::read::GzDecoder::new(data);
    let r = io::copy(&mut (&mut dec).take(cap.saturating_add(1)), &mut out)
        .map(|_| ())
        .map_err(|e| e.to_string());
    finish(out, r)
}

/// Decode an xz stream.
pub fn xz(data: &[u8], cap: u64) -> Unpacked {
    let mut out = Capped::new(cap);
    let r =
        lzma_rs::xz_decompress(&mut io::BufReader::new(data), &mut out).map_err(|e| e.to_string());
    finish(out, r)
}

/// Decode an LZMA-alone stream (13-byte header: properties, dictionary size, unpacked size), as
/// UEFI's LZMA GUID-defined sections hold. A declared size over the budget is refused up front.
pub fn lzma(data: &[u8], cap: u64) -> Unpacked {
    let declared = data
        .get(5..13)
        .and_then(|s| s.try_into().ok())
        .map(u64::from_le_bytes);
    if let Some(n) = declared.filter(|&n| n != u64::MAX && n > cap) {
        return Err(UnpackError::Bomb(Bomb(n)));
    }
    let mut out = Capped::new(cap);
    let opts = lzma_rs::decompress::Options {
        memlimit: Some(cap as usize),
        ..Default::default()
    };
    let r = lzma_rs::lzma_decompress_with_options(&mut io::BufReader::new(data), &mut out, &opts)
        .map_err(|e| e.to_string());
    finish(out, r)
}

/// Decode a zstd frame.
pub fn zstd(data: &[u8], cap: u64) -> Unpacked {
    let mut out = Capped::new(cap);
    let r = match ruzstd::decoding::StreamingDecoder::new(data) {
        Ok(mut dec) => io::copy(&mut (&mut dec).take(cap.saturating_add(1)), &mut out)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    finish(out, r)
}

/// One entry of a newc cpio archive.
pub struct CpioEntry<'a> {
    /// Path inside the archive.
    pub name: String,
    /// Regular-file data (empty for directories and links).
    pub data: &'a [u8],
    /// Whether it is a regular file.
    pub regular: bool,
}

fn hex8(b: &[u8], o: usize) -> Option<u64> {
    let s = std::str::from_utf8(b.get(o..o + 8)?).ok()?;
    u64::from_str_radix(s, 16).ok()
}

/// Walk a newc (`070701`/`070702`) cpio archive; returns entries, bytes consumed, and an error
/// if it stopped before the trailer. At most `max` entries.
pub fn cpio(b: &[u8], max: usize) -> (Vec<CpioEntry<'_>>, usize, Option<String>) {
    let mut out = Vec::new();
    let mut o = 0usize;
    let pad4 = |x: usize| (x + 3) & !3;
    while out.len() < max {
        let magic = b.get(o..o + 6);
        if magic != Some(b"070701") && magic != Some(b"070702") {
            return (out, o, Some(format!("cpio header expected at offset {o}")));
        }
        let (Some(mode), Some(size), Some(namesize)) =
            (hex8(b, o + 14), hex8(b, o + 54), hex8(b, o + 94))
        else {
            return (out, o, Some("truncated cpio header".into()));
        };
        let name_start = o + 110;
        let Some(name) = b.get(name_start..name_start + (namesize as usize).min(4096)) else {
            return (out, o, Some("cpio name runs past the end".into()));
        };
        let name =
            String::from_utf8_lossy(name.split(|&c| c == 0).next().unwrap_or(b"")).into_owned();
        let data_start = pad4(name_start + namesize as usize);
        let Some(data) = b.get(data_start..data_start.saturating_add(size as usize)) else {
            return (
                out,
                o,
                Some(format!(
                    "cpio entry `{name}` claims {size} bytes past the end"
                )),
            );
        };
        o = pad4(data_start + size as usize);
        if name == "TRAILER!!!" {
            return (out, o, None);
        }
        let regular = mode & 0o170000 == 0o100000;
        out.push(CpioEntry {
            name,
            data: if regular { data } else { &[] },
            regular,
        });
    }
    (out, o, Some(format!("more than {max} cpio entries")))
}

/// A squashfs 4.0 superblock.
#[derive(Debug, PartialEq, Eq)]
pub struct Squashfs {
    /// Inodes.
    pub inodes: u32,
    /// Block size.
    pub block_size: u32,
    /// Compressor id (1 gzip, 2 lzma, 3 lzo, 4 xz, 5 lz4, 6 zstd).
    pub compression: u16,
    /// Bytes the filesystem says it uses.
    pub bytes_used: u64,
    /// Major.minor version.
    pub version: (u16, u16),
}

impl Squashfs {
    /// Name of the compressor.
    pub fn compressor(&self) -> &'static str {
        match self.compression {
            1 => "gzip",
            2 => "lzma",
            3 => "lzo",
            4 => "xz",
            5 => "lz4",
            6 => "zstd",
            _ => "unknown",
        }
    }
}

/// Parse a little-endian squashfs superblock at the start of `b`. `None` when it is not one
/// (a chance `hsqs`); `Some(Err)` when it is one that lies about its size.
pub fn squashfs(b: &[u8]) -> Option<Result<Squashfs, String>> {
    let u16_at = |o: usize| {
        b.get(o..o + 2)
            .and_then(|s| s.try_into().ok())
            .map(u16::from_le_bytes)
    };
    let u32_at = |o: usize| {
        b.get(o..o + 4)
            .and_then(|s| s.try_into().ok())
            .map(u32::from_le_bytes)
    };
    let u64_at = |o: usize| {
        b.get(o..o + 8)
            .and_then(|s| s.try_into().ok())
            .map(u64::from_le_bytes)
    };
    if b.get(..4) != Some(b"hsqs") {
        return None;
    }
    let sb = Squashfs {
        inodes: u32_at(4)?,
        block_size: u32_at(12)?,
        compression: u16_at(20)?,
        bytes_used: u64_at(40)?,
        version: (u16_at(28)?, u16_at(30)?),
    };
    let block_log = u16_at(22)?;
    // A real superblock's block size is a power of two matching its log, 4 KiB to 1 MiB.
    if !(12..=20).contains(&block_log) || sb.block_size != 1 << block_log || sb.version.0 != 4 {
        return None;
    }
    if sb.bytes_used > b.len() as u64 {
        return Some(Err(format!(
            "squashfs claims {} bytes; only {} are present",
            sb.bytes_used,
            b.len()
        )));
    }
    Some(Ok(sb))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_bomb_is_stopped() {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&vec![0u8; 8 << 20]).unwrap();
        let gz = enc.finish().unwrap();
        assert!(gz.len() < 64 * 1024);
        assert!(matches!(gzip(&gz, 1 << 20), Err(UnpackError::Bomb(_))));
        assert_eq!(gzip(&gz, 16 << 20).unwrap().len(), 8 << 20);
        assert!(matches!(
            gzip(b"\x1f\x8b\x08garbage", 1 << 20),
            Err(UnpackError::Invalid(_))
        ));
    }

    #[test]
    fn lzma_declared_size_over_budget_is_refused() {
        let mut hdr = vec![0x5d, 0, 0, 0x80, 0];
        hdr.extend_from_slice(&(1u64 << 40).to_le_bytes());
        hdr.extend_from_slice(&[0; 32]);
        assert!(matches!(lzma(&hdr, 1 << 20), Err(UnpackError::Bomb(_))));
    }

    #[test]
    fn squashfs_lies_are_caught() {
        let mut sb = vec![0u8; 96];
        sb[..4].copy_from_slice(b"hsqs");
        sb[12..16].copy_from_slice(&131072u32.to_le_bytes());
        sb[20..22].copy_from_slice(&1u16.to_le_bytes());
        sb[22..24].copy_from_slice(&17u16.to_le_bytes());
        sb[28..30].copy_from_slice(&4u16.to_le_bytes());
        sb[40..48].copy_from_slice(&(1u64 << 40).to_le_bytes());
        assert!(squashfs(&sb)
            .unwrap()
            .unwrap_err()
            .contains("1099511627776"));
        sb[22] = 3; // wrong block log: not a superblock at all
        assert!(squashfs(&sb).is_none());
    }
}
