//! A bounded reader of zip archives that keeps only the entries a collector asks for.
//!
//! The `zip` crate indexes every entry of the central directory before the first can be read:
//! a few hundred bytes per entry, so a fat jar of 60,000 classes costs 15 MiB, two at once 30,
//! for the three or four entries (the manifest, a `pom.properties`, nested jars) a collector
//! reads. This reader streams the central directory through a small buffer, hands each name to
//! a filter, and remembers only the entries kept. Each kept entry is then read through its local
//! header, stored or deflated, capped at the size the caller allows. ZIP64 sizes, offsets and
//! counts are honoured, as is data prepended to the archive (a launcher script before a jar).

use crate::bytes::{u16le, u32le, u64le};
use std::io::{self, BufReader, Read, Seek, SeekFrom};

/// One kept entry of the central directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipEntry {
    /// Name as stored (lossily UTF-8).
    pub name: String,
    /// Compression method (0 stored, 8 deflated).
    pub method: u16,
    /// Compressed size.
    pub compressed: u64,
    /// Uncompressed size, as declared.
    pub size: u64,
    /// Offset of the local header (archive-relative, before the prepended-data shift).
    offset: u64,
    /// Encrypted (flag bit 0).
    pub encrypted: bool,
    /// A directory (name ends in `/`).
    pub dir: bool,
}

/// The central directory's summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Directory {
    /// Entries it lists.
    pub entries: u64,
    /// Where it starts in the file.
    start: u64,
    /// Its size.
    size: u64,
    /// Bytes prepended to the archive (its offsets are shifted by this).
    shift: u64,
}

const EOCD: u32 = 0x0605_4b50;
const EOCD64_LOCATOR: u32 = 0x0706_4b50;
const EOCD64: u32 = 0x0606_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const LOCAL: u32 = 0x0403_4b50;

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// Find the central directory of the archive in `r` (`len` bytes long).
pub fn directory<R: Read + Seek>(r: &mut R, len: u64) -> io::Result<Directory> {
    // The end record is 22 bytes plus a comment of at most 65,535.
    let tail_len = len.min(22 + 65_535);
    let tail_at = len - tail_len;
    r.seek(SeekFrom::Start(tail_at))?;
    let mut tail = vec![0u8; tail_len as usize];
    r.read_exact(&mut tail)?;
    let pos = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| {
            u32le(&tail, i) == Some(EOCD)
                && u16le(&tail, i + 20).is_some_and(|c| i + 22 + c as usize <= tail.len())
        })
        .ok_or_else(|| bad("no end of central directory record"))?;
    let field = |o| u32le(&tail, pos + o).map(u64::from).unwrap_or(0);
    let (mut entries, mut size, mut start) = (
        u16le(&tail, pos + 10).map(u64::from).unwrap_or(0),
        field(12),
        field(16),
    );
    let eocd_at = tail_at + pos as u64;
    let mut end = eocd_at;
    // ZIP64: a locator just before the end record points at the 64-bit end record.
    if pos >= 20 && u32le(&tail, pos - 20) == Some(EOCD64_LOCATOR) {
        let at = u64le(&tail, pos - 20 + 8).unwrap_or(u64::MAX);
        let loc_at = eocd_at - 20;
        // The 64-bit record lies before the locator; with prepended data its recorded offset
        // is short by the shift, so look for it right before the locator first.
        let mut rec = [0u8; 56];
        let mut found = None;
        for cand in [loc_at.checked_sub(56), Some(at)].into_iter().flatten() {
            if cand + 56 > loc_at {
                continue;
            }
            r.seek(SeekFrom::Start(cand))?;
            if r.read_exact(&mut rec).is_ok() && u32le(&rec, 0) == Some(EOCD64) {
                found = Some(cand);
                break;
            }
        }
        let at = found.ok_or_else(|| bad("ZIP64 end record not found"))?;
        entries = u64le(&rec, 32).unwrap_or(0);
        size = u64le(&rec, 40).unwrap_or(0);
        start = u64le(&rec, 48).unwrap_or(0);
        end = at;
    }
    let real_start = end
        .checked_sub(size)
        .ok_or_else(|| bad("central directory is larger than the archive"))?;
    let shift = real_start
        .checked_sub(start)
        .ok_or_else(|| bad("central directory offset lies past its end"))?;
    Ok(Directory {
        entries,
        start: real_start,
        size,
        shift,
    })
}

/// Stream the central directory of `dir`, keeping the entries `want` accepts (at most
/// `max_kept`). Stops at the first malformed header, with the entries kept so far and the
/// problem. Every entry seen is charged to the file's work budget.
pub fn entries<R: Read + Seek>(
    r: &mut R,
    dir: &Directory,
    mut want: impl FnMut(&str) -> bool,
    max_kept: usize,
) -> (Vec<ZipEntry>, Option<String>) {
    let mut kept = Vec::new();
    if let Err(e) = r.seek(SeekFrom::Start(dir.start)) {
        return (
            kept,
            Some(format!("cannot read the central directory: {e}")),
        );
    }
    let mut cd = BufReader::with_capacity(64 << 10, Read::take(&mut *r, dir.size));
    let mut hdr = [0u8; 46];
    let mut var = Vec::new();
    let mut seen = 0u64;
    loop {
        match cd.read_exact(&mut hdr) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
            Err(e) => return (kept, Some(format!("central directory: {e}"))),
        }
        if u32le(&hdr, 0) != Some(CENTRAL) {
            return (
                kept,
                Some(format!(
                    "central directory entry {seen} has a bad signature"
                )),
            );
        }
        seen += 1;
        if !crate::work::charge(1) {
            return (kept, Some("work budget spent".into()));
        }
        let g16 = |o| u16le(&hdr, o).unwrap_or(0);
        let g32 = |o| u32le(&hdr, o).unwrap_or(0);
        let (n, x, c) = (g16(28) as usize, g16(30) as usize, g16(32) as usize);
        var.resize(n + x + c, 0);
        if let Err(e) = cd.read_exact(&mut var) {
            return (kept, Some(format!("central directory entry {seen}: {e}")));
        }
        let name = String::from_utf8_lossy(&var[..n]);
        if kept.len() >= max_kept || !want(&name) {
            continue;
        }
        let mut e = ZipEntry {
            name: name.into_owned(),
            method: g16(10),
            compressed: g32(20).into(),
            size: g32(24).into(),
            offset: g32(42).into(),
            encrypted: g16(8) & 1 != 0,
            dir: false,
        };
        e.dir = e.name.ends_with('/');
        zip64_extra(&var[n..n + x], &mut e);
        kept.push(e);
    }
    (kept, None)
}

/// Apply the ZIP64 extended-information extra field: each field saturated in the header is
/// given there, in order.
fn zip64_extra(mut extra: &[u8], e: &mut ZipEntry) {
    while extra.len() >= 4 {
        let id = u16le(extra, 0).unwrap_or(0);
        let len = u16le(extra, 2).unwrap_or(0) as usize;
        let Some(body) = extra.get(4..4 + len) else {
            return;
        };
        if id == 1 {
            let mut o = 0;
            for field in [&mut e.size, &mut e.compressed, &mut e.offset] {
                if *field == u64::from(u32::MAX) {
                    match u64le(body, o) {
                        Some(v) => *field = v,
                        None => return,
                    }
                    o += 8;
                }
            }
            return;
        }
        extra = &extra[4 + len..];
    }
}

/// A reader of the entry's uncompressed bytes, at most `cap` of them.
pub fn open<'r, R: Read + Seek>(
    r: &'r mut R,
    dir: &Directory,
    e: &ZipEntry,
    cap: u64,
) -> io::Result<Box<dyn Read + 'r>> {
    if e.encrypted {
        return Err(bad("encrypted entry"));
    }
    let at = e
        .offset
        .checked_add(dir.shift)
        .ok_or_else(|| bad("entry offset overflows"))?;
    r.seek(SeekFrom::Start(at))?;
    let mut local = [0u8; 30];
    r.read_exact(&mut local)?;
    if u32le(&local, 0) != Some(LOCAL) {
        return Err(bad("local header has a bad signature"));
    }
    let skip =
        u64::from(u16le(&local, 26).unwrap_or(0)) + u64::from(u16le(&local, 28).unwrap_or(0));
    r.seek(SeekFrom::Current(skip as i64))?;
    let raw = Read::take(r, e.compressed);
    match e.method {
        0 => Ok(Box::new(raw.take(cap))),
        8 => Ok(Box::new(flate2::read::DeflateDecoder::new(raw).take(cap))),
        m => Err(bad(format!("compression method {m} is not supported"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    fn make(files: &[(&str, &[u8], bool)], prefix: &[u8]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data, deflate) in files {
            let m = if *deflate {
                zip::CompressionMethod::Deflated
            } else {
                zip::CompressionMethod::Stored
            };
            w.start_file(
                *name,
                zip::write::SimpleFileOptions::default().compression_method(m),
            )
            .unwrap();
            w.write_all(data).unwrap();
        }
        let body = w.finish().unwrap().into_inner();
        [prefix, &body].concat()
    }

    fn read_all(bytes: &[u8], want: &str) -> Vec<u8> {
        let mut c = Cursor::new(bytes);
        let d = directory(&mut c, bytes.len() as u64).unwrap();
        let (kept, err) = entries(&mut c, &d, |n| n == want, 16);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(kept.len(), 1);
        let mut out = Vec::new();
        open(&mut c, &d, &kept[0], 1 << 20)
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn keeps_only_wanted_entries_and_reads_them() {
        let text = b"Manifest-Version: 1.0\r\nImplementation-Vendor: X\r\n".repeat(20);
        let z = make(
            &[
                ("a.class", b"\xca\xfe\xba\xbe", false),
                ("META-INF/MANIFEST.MF", &text, true),
                ("lib/inner.jar", b"stored bytes", false),
            ],
            b"",
        );
        let mut c = Cursor::new(&z[..]);
        let d = directory(&mut c, z.len() as u64).unwrap();
        assert_eq!(d.entries, 3);
        let (kept, err) = entries(&mut c, &d, |n| !n.ends_with(".class"), 16);
        assert!(err.is_none());
        let names: Vec<&str> = kept.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["META-INF/MANIFEST.MF", "lib/inner.jar"]);
        assert_eq!(read_all(&z, "META-INF/MANIFEST.MF"), text);
        assert_eq!(read_all(&z, "lib/inner.jar"), b"stored bytes");
    }

    #[test]
    fn prepended_data_is_skipped() {
        let z = make(
            &[("x.txt", b"hello", true)],
            b"#!/bin/sh\nexec java -jar \"$0\"\n",
        );
        assert_eq!(read_all(&z, "x.txt"), b"hello");
    }

    #[test]
    fn the_cap_bounds_what_is_inflated() {
        let z = make(&[("big", &vec![0u8; 1 << 20], true)], b"");
        let mut c = Cursor::new(&z[..]);
        let d = directory(&mut c, z.len() as u64).unwrap();
        let (kept, _) = entries(&mut c, &d, |_| true, 16);
        let mut out = Vec::new();
        open(&mut c, &d, &kept[0], 1000)
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out.len(), 1000);
    }

    #[test]
    fn zip64_extra_fields_replace_saturated_ones() {
        let mut e = ZipEntry {
            name: "x".into(),
            method: 0,
            compressed: u32::MAX.into(),
            size: u32::MAX.into(),
            offset: 7,
            encrypted: false,
            dir: false,
        };
        let mut extra = vec![1, 0, 16, 0];
        extra.extend_from_slice(&(5u64 << 32).to_le_bytes());
        extra.extend_from_slice(&(3u64 << 32).to_le_bytes());
        zip64_extra(&extra, &mut e);
        assert_eq!((e.size, e.compressed, e.offset), (5 << 32, 3 << 32, 7));
    }

    #[test]
    fn cut_and_flipped_archives_never_panic() {
        let z = make(
            &[
                ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n", true),
                ("a/b/c.jar", b"PK\x03\x04 not really", false),
            ],
            b"",
        );
        let mut next = 0x9e37_79b9_u32;
        for cut in 0..z.len() {
            let mut m = z[..cut].to_vec();
            if !m.is_empty() {
                next = next.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let i = next as usize % m.len();
                m[i] ^= (next >> 24) as u8 | 1;
            }
            let mut c = Cursor::new(&m[..]);
            if let Ok(d) = directory(&mut c, m.len() as u64) {
                let (kept, _) = entries(&mut c, &d, |_| true, 16);
                for e in &kept {
                    if let Ok(mut rd) = open(&mut c, &d, e, 1 << 16) {
                        let _ = rd.read_to_end(&mut Vec::new());
                    }
                }
            }
        }
    }

    #[test]
    fn not_a_zip_is_an_error() {
        let b = b"just some text, no end record".to_vec();
        assert!(directory(&mut Cursor::new(&b[..]), b.len() as u64).is_err());
    }
}
