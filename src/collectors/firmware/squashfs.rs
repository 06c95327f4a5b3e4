//! A bounded, read-only squashfs 4.0 reader (little-endian; gzip/zlib, xz, LZMA and zstd
//! compression), enough to walk an embedded root filesystem: directories, regular files and
//! their data (blocks and fragments). Format: <https://dr-emann.github.io/squashfs/>.
//!
//! Everything is read from the image slice with bounds checks; each metadata block inflates to
//! at most 8 KiB and each data block to at most the block size, and file data counts against
//! the walker's expansion budget. Symlinks, devices and extended attributes are skipped; lz4
//! and lzo filesystems are reported as not readable.

use super::archive::{Squashfs, UnpackError};
use super::rd;
use std::collections::HashMap;
use std::io::Read;

const META: usize = 8192;
/// Deepest directory nesting followed.
pub const MAX_DIR_DEPTH: usize = 64;

/// A regular file found in the filesystem.
pub struct File {
    /// Path inside the filesystem (no leading `/`).
    pub path: String,
    /// Inode reference of the file.
    inode: Inode,
}

#[derive(Clone)]
struct Inode {
    blocks_start: u64,
    size: u64,
    fragment: u32,
    frag_offset: u32,
    sizes: Vec<u32>,
}

/// An open filesystem.
pub struct Reader<'a> {
    b: &'a [u8],
    sb: Squashfs,
    inode_table: u64,
    dir_table: u64,
    frag_table: u64,
    cache: HashMap<u64, (Vec<u8>, u64)>,
}

fn decompress(kind: u16, data: &[u8], cap: usize) -> Result<Vec<u8>, String> {
    let r = match kind {
        1 => {
            let mut out = Vec::new();
            return match flate2::read::ZlibDecoder::new(data)
                .take(cap as u64 + 1)
                .read_to_end(&mut out)
            {
                Ok(_) if out.len() <= cap => Ok(out),
                Ok(_) => Err("block inflates past its size".into()),
                Err(e) => Err(e.to_string()),
            };
        }
        2 => super::archive::lzma(data, cap as u64),
        4 => super::archive::xz(data, cap as u64),
        6 => super::archive::zstd(data, cap as u64),
        k => return Err(format!("compressor {k} is not supported")),
    };
    r.map_err(|e| match e {
        UnpackError::Bomb(_) => "block inflates past its size".to_owned(),
        UnpackError::Invalid(s) => s,
    })
}

impl<'a> Reader<'a> {
    /// Open the filesystem at the start of `b` (superblock already checked).
    pub fn new(b: &'a [u8], sb: Squashfs) -> Result<Self, String> {
        if !matches!(sb.compression, 1 | 2 | 4 | 6) {
            return Err(format!("{} compression is not supported", sb.compressor()));
        }
        let g = |o| rd::u64le(b, o).ok_or_else(|| "superblock truncated".to_owned());
        let b = &b[..(sb.bytes_used as usize).min(b.len())];
        Ok(Reader {
            inode_table: g(64)?,
            dir_table: g(72)?,
            frag_table: g(80)?,
            b,
            sb,
            cache: HashMap::new(),
        })
    }

    /// One metadata block at absolute offset `at`: (data, offset of the next block).
    fn meta_block(&mut self, at: u64) -> Result<(Vec<u8>, u64), String> {
        if let Some(v) = self.cache.get(&at) {
            return Ok(v.clone());
        }
        let o = usize::try_from(at).map_err(|_| "offset overflow")?;
        let h = rd::u16le(self.b, o).ok_or("metadata block past the end")?;
        let len = (h & 0x7fff) as usize;
        let raw = self
            .b
            .get(o + 2..o + 2 + len)
            .ok_or("metadata block past the end")?;
        let data = if h & 0x8000 != 0 {
            raw.to_vec()
        } else {
            decompress(self.sb.compression, raw, META)?
        };
        let v = (data, at + 2 + len as u64);
        if self.cache.len() < 4096 {
            self.cache.insert(at, v.clone());
        }
        Ok(v)
    }

    /// `len` bytes of a metadata table starting `offset` bytes into the block at `start`.
    fn meta(&mut self, start: u64, offset: usize, len: usize) -> Result<Vec<u8>, String> {
        if len > 16 << 20 {
            return Err(format!("metadata read of {len} bytes refused"));
        }
        let mut out = Vec::new();
        let mut at = start;
        let mut skip = offset;
        while out.len() < len {
            if !crate::work::charge(1) {
                return Err("work budget spent".into());
            }
            let (data, next) = self.meta_block(at)?;
            if data.is_empty() {
                return Err("empty metadata block".into());
            }
            let from = skip.min(data.len());
            skip -= from;
            out.extend_from_slice(&data[from..]);
            at = next;
        }
        out.truncate(len);
        Ok(out)
    }

    fn inode_bytes(&mut self, r: u64, len: usize) -> Result<Vec<u8>, String> {
        self.meta(
            self.inode_table.saturating_add(r >> 16),
            (r & 0xffff) as usize,
            len,
        )
    }

    /// Walk the tree; at most `max` files.
    pub fn files(&mut self, max: usize) -> (Vec<File>, Option<String>) {
        let root = rd::u64le(self.b, 32).unwrap_or(0);
        let mut out = Vec::new();
        let mut stack = vec![(root, String::new(), 0usize)];
        let mut err = None;
        let mut visited = 0usize;
        while let Some((r, path, depth)) = stack.pop() {
            visited += 1;
            if !crate::work::charge(1) {
                break;
            }
            if out.len() >= max || visited > max {
                err = Some(format!("more than {max} entries; the rest is skipped"));
                break;
            }
            match self.entries(r) {
                Ok(entries) => {
                    for (name, ty, child) in entries {
                        let p = if path.is_empty() {
                            name
                        } else {
                            format!("{path}/{name}")
                        };
                        match ty {
                            1 | 8 if depth < MAX_DIR_DEPTH => stack.push((child, p, depth + 1)),
                            2 | 9 => match self.file_inode(child) {
                                Ok(inode) => out.push(File { path: p, inode }),
                                Err(e) => err = Some(format!("{p}: {e}")),
                            },
                            _ => {}
                        }
                    }
                }
                Err(e) => {
                    err = Some(format!("directory /{path}: {e}"));
                }
            }
        }
        (out, err)
    }

    /// Entries of the directory whose inode reference is `r`: (name, type, inode reference).
    fn entries(&mut self, r: u64) -> Result<Vec<(String, u16, u64)>, String> {
        let h = self.inode_bytes(r, 16)?;
        let ty = rd::u16le(&h, 0).ok_or("inode truncated")?;
        let (start, size, offset) = match ty {
            1 => {
                let d = self.inode_bytes(r, 32)?;
                (
                    rd::u32le(&d, 16).unwrap_or(0),
                    rd::u16le(&d, 24).unwrap_or(0) as u32,
                    rd::u16le(&d, 26).unwrap_or(0),
                )
            }
            8 => {
                let d = self.inode_bytes(r, 40)?;
                (
                    rd::u32le(&d, 24).unwrap_or(0),
                    rd::u32le(&d, 20).unwrap_or(0),
                    rd::u16le(&d, 34).unwrap_or(0),
                )
            }
            t => return Err(format!("inode type {t} is not a directory")),
        };
        // The listing is `file_size - 3` bytes (3 for the implied `.` and `..`).
        let len = (size as usize).saturating_sub(3);
        let data = self.meta(
            self.dir_table.saturating_add(start as u64),
            offset as usize,
            len,
        )?;
        let mut out = Vec::new();
        let mut o = 0usize;
        while o + 12 <= data.len() {
            let count = rd::u32le(&data, o).unwrap_or(0) as usize + 1;
            let block = rd::u32le(&data, o + 4).unwrap_or(0) as u64;
            o += 12;
            for _ in 0..count.min(256) {
                let (Some(off), Some(ty), Some(ns)) = (
                    rd::u16le(&data, o),
                    rd::u16le(&data, o + 4),
                    rd::u16le(&data, o + 6),
                ) else {
                    return Err("directory entry truncated".into());
                };
                let name = data
                    .get(o + 8..o + 8 + ns as usize + 1)
                    .ok_or("directory name truncated")?;
                let name = String::from_utf8_lossy(name).replace('/', "_");
                o += 8 + ns as usize + 1;
                if name != "." && name != ".." && !name.is_empty() {
                    out.push((name, ty, (block << 16) | off as u64));
                }
            }
        }
        Ok(out)
    }

    fn file_inode(&mut self, r: u64) -> Result<Inode, String> {
        let h = self.inode_bytes(r, 16)?;
        let (hdr, blocks_start, size, fragment, frag_offset) = match rd::u16le(&h, 0) {
            Some(2) => {
                let d = self.inode_bytes(r, 32)?;
                (
                    32,
                    rd::u32le(&d, 16).unwrap_or(0) as u64,
                    rd::u32le(&d, 28).unwrap_or(0) as u64,
                    rd::u32le(&d, 20).unwrap_or(0),
                    rd::u32le(&d, 24).unwrap_or(0),
                )
            }
            Some(9) => {
                let d = self.inode_bytes(r, 56)?;
                (
                    56,
                    rd::u64le(&d, 16).unwrap_or(0),
                    rd::u64le(&d, 24).unwrap_or(0),
                    rd::u32le(&d, 44).unwrap_or(0),
                    rd::u32le(&d, 48).unwrap_or(0),
                )
            }
            _ => return Err("not a regular file inode".into()),
        };
        // Files compress well (and may be sparse), so only an absurd size is refused here; reads
        // are bounded by the expansion budget.
        if size > 1 << 44 {
            return Err(format!("file claims {size} bytes"));
        }
        let bs = self.sb.block_size as u64;
        let n = if fragment == u32::MAX {
            size.div_ceil(bs)
        } else {
            size / bs
        } as usize;
        let d = self.inode_bytes(r, hdr + 4 * n)?;
        let sizes = d[hdr..]
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Ok(Inode {
            blocks_start,
            size,
            fragment,
            frag_offset,
            sizes,
        })
    }

    /// A file's contents, at most `cap` bytes (an error past that).
    pub fn read(&mut self, f: &File, cap: u64) -> Result<Vec<u8>, String> {
        let i = f.inode.clone();
        if i.size > cap {
            return Err(format!("{} bytes, over the remaining budget", i.size));
        }
        let bs = self.sb.block_size as usize;
        let mut out = Vec::with_capacity(i.size as usize);
        let mut at = usize::try_from(i.blocks_start).map_err(|_| "data offset overflow")?;
        for w in &i.sizes {
            let len = (w & 0x00ff_ffff) as usize;
            if len == 0 {
                out.resize(out.len() + bs, 0);
                continue;
            }
            let raw = self
                .b
                .get(at..at.saturating_add(len))
                .ok_or("data block past the end")?;
            at = at.saturating_add(len);
            if w & (1 << 24) != 0 {
                out.extend_from_slice(raw);
            } else {
                out.extend(decompress(self.sb.compression, raw, bs)?);
            }
        }
        if i.fragment != u32::MAX {
            let idx = i.fragment as usize;
            let ptr = rd::u64le(
                self.b,
                (self.frag_table as usize).saturating_add(8 * (idx / 512)),
            )
            .ok_or("fragment table past the end")?;
            let e = self.meta(ptr, (idx % 512) * 16, 16)?;
            let (start, w) = (
                rd::u64le(&e, 0).unwrap_or(0) as usize,
                rd::u32le(&e, 8).unwrap_or(0),
            );
            let raw = self
                .b
                .get(start..start.saturating_add((w & 0x00ff_ffff) as usize))
                .ok_or("fragment past the end")?;
            let block = if w & (1 << 24) != 0 {
                raw.to_vec()
            } else {
                decompress(self.sb.compression, raw, bs)?
            };
            let tail = (i.size as usize).saturating_sub(out.len());
            let from = i.frag_offset as usize;
            out.extend_from_slice(
                block
                    .get(from..from.saturating_add(tail))
                    .ok_or("fragment shorter than the file")?,
            );
        }
        out.truncate(i.size as usize);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Walker;

    #[test]
    fn mutated_squashfs_never_panics() {
        // Needs Debian's squashfs-tools (mksquashfs).
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("src/lib/firmware");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(src.join("a.fw"), vec![7u8; 200_000]).unwrap();
        std::fs::write(src.join("b.fw"), b"Linux version 1.2.3 (x@y)").unwrap();
        let img = d.path().join("fs.img");
        let ok = std::process::Command::new("mksquashfs")
            .arg(d.path().join("src"))
            .arg(&img)
            .args(["-noappend", "-quiet", "-comp", "xz"])
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            // .ci/run installs squashfs-tools: in CI this is a failure, never a skip.
            assert!(
                std::env::var("CI").map_or(true, |v| v != "true"),
                "CI=true and mksquashfs failed or is missing"
            );
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                b"SKIPPED: mutated_squashfs_never_panics: mksquashfs is not installed\n",
            );
            return;
        }
        let b = std::fs::read(&img).unwrap();
        let mut w = Walker::new("/fs.img");
        w.scan(&b, 0, "");
        assert_eq!(w.f.firmware_files.len(), 2, "{:?}", w.f.errors);
        assert!(w.f.kernels.contains("1.2.3"));
        for i in (0..b.len()).step_by(31) {
            let mut m = b.clone();
            m[i] ^= 0x5a;
            Walker::new("/m").scan(&m, 0, "");
            Walker::new("/t").scan(&b[..i], 0, "");
        }
    }
}
