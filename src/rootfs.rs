//! The scanned system's root filesystem as a chroot would see it.
//!
//! Every path in the report is the scanned system's own path (`/usr/bin/ls`), never the host's
//! (`/mnt/image/usr/bin/ls`). Symbolic links are resolved *inside* the root: an absolute target
//! restarts at the root and `..` never climbs above it, so nothing outside the root is ever read.
//! Files are opened with `O_NOFOLLOW | O_NONBLOCK` and checked to be regular after opening, so a
//! FIFO or device swapped in between walk and read can neither block nor be read.
//!
//! This module does not walk; see [`crate::walk`].

use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component as PathComponent, Path, PathBuf};

/// Symlinks followed in one resolution before it is called a loop (Linux uses 40).
pub const MAX_SYMLINK_HOPS: usize = 40;

/// Files above this size are memory-mapped rather than read.
pub const MMAP_THRESHOLD: u64 = 1 << 20;

/// Why a path could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// More than [`MAX_SYMLINK_HOPS`] links.
    #[error("symlink loop (more than {MAX_SYMLINK_HOPS} links)")]
    Loop,
    /// A component does not exist or cannot be read.
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// A root directory on the host, seen as `/` of the scanned system.
#[derive(Debug, Clone)]
pub struct RootFs {
    host_root: PathBuf,
}

/// File contents: read into memory when small, memory-mapped when large.
pub enum Bytes {
    /// Read into a buffer.
    Owned(Vec<u8>),
    /// Memory-mapped.
    Mapped(memmap2::Mmap),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Owned(v) => v,
            Bytes::Mapped(m) => m,
        }
    }
}

impl RootFs {
    /// A root at `host_root` (made absolute; not resolved further).
    pub fn new(host_root: impl Into<PathBuf>) -> io::Result<Self> {
        let host_root = host_root.into();
        let host_root = if host_root.is_absolute() {
            host_root
        } else {
            std::env::current_dir()?.join(host_root)
        };
        let host_root = host_root.canonicalize()?;
        Ok(RootFs { host_root })
    }

    /// A nested root at system path `system` of this root (a chroot or container layer found
    /// by the walk, which never follows links: the directory is joined lexically, so it stays
    /// below this root). Paths inside it resolve inside it, as a chroot of it would.
    pub fn nested(&self, system: &str) -> RootFs {
        RootFs {
            host_root: self.join(system),
        }
    }

    /// The host directory that is this system's `/`.
    pub fn host_root(&self) -> &Path {
        &self.host_root
    }

    /// True when the root is the host's own `/`.
    pub fn is_host_root(&self) -> bool {
        self.host_root == Path::new("/")
    }

    /// The system path (`/usr/bin/ls`) of a host path under the root, lossily as UTF-8.
    pub fn system_path(&self, host: &Path) -> String {
        let rel = host.strip_prefix(&self.host_root).unwrap_or(host);
        let s = String::from_utf8_lossy(rel.as_os_str().as_bytes());
        let s = s.trim_start_matches('/');
        format!("/{s}")
    }

    /// The host path of a system path, joined lexically (symlinks are not resolved).
    pub fn join(&self, system: &str) -> PathBuf {
        let mut p = self.host_root.clone();
        for c in Path::new(system).components() {
            match c {
                PathComponent::Normal(n) => p.push(n),
                PathComponent::ParentDir if p != self.host_root => {
                    p.pop();
                }
                _ => {}
            }
        }
        p
    }

    /// Resolve a system path as a chroot would, following every symlink inside the root.
    /// Returns the host path of the final target (which need not exist when `must_exist` is
    /// false: a missing last component is allowed, as for creating).
    pub fn resolve(&self, system: &str) -> Result<PathBuf, ResolveError> {
        let mut hops = 0usize;
        // Stack of components still to walk, in reverse order.
        let mut pending: Vec<Vec<u8>> = split_rev(system.as_bytes());
        let mut cur: Vec<Vec<u8>> = Vec::new();
        while let Some(comp) = pending.pop() {
            match comp.as_slice() {
                b"" | b"." => continue,
                b".." => {
                    cur.pop();
                    continue;
                }
                _ => {}
            }
            let mut candidate = self.host_root.clone();
            for c in &cur {
                candidate.push(std::ffi::OsStr::from_bytes(c));
            }
            candidate.push(std::ffi::OsStr::from_bytes(&comp));
            let md = match std::fs::symlink_metadata(&candidate) {
                Ok(m) => m,
                Err(e) if e.kind() == io::ErrorKind::NotFound && pending.is_empty() => {
                    cur.push(comp);
                    break;
                }
                Err(e) => return Err(e.into()),
            };
            if md.file_type().is_symlink() {
                hops += 1;
                if hops > MAX_SYMLINK_HOPS {
                    return Err(ResolveError::Loop);
                }
                let target = std::fs::read_link(&candidate)?;
                let t = target.as_os_str().as_bytes();
                if t.starts_with(b"/") {
                    cur.clear();
                }
                pending.extend(split_rev(t));
            } else {
                cur.push(comp);
            }
        }
        let mut out = self.host_root.clone();
        for c in &cur {
            out.push(std::ffi::OsStr::from_bytes(c));
        }
        Ok(out)
    }

    /// True when a relative symlink target climbs above the root from where the link sits
    /// (a chroot clamps it; on the host it would point outside the scanned tree).
    pub fn link_escapes(&self, link_system_path: &str, target: &Path) -> bool {
        let t = target.as_os_str().as_bytes();
        if t.starts_with(b"/") {
            return false;
        }
        let mut depth = link_system_path
            .split('/')
            .filter(|c| !c.is_empty())
            .count() as isize
            - 1;
        for c in t.split(|b| *b == b'/') {
            match c {
                b"" | b"." => {}
                b".." => {
                    depth -= 1;
                    if depth < 0 {
                        return true;
                    }
                }
                _ => depth += 1,
            }
        }
        false
    }

    /// Open a regular file by system path, resolving links inside the root. Refuses anything
    /// that is not a regular file without blocking on it.
    pub fn open(&self, system: &str) -> io::Result<(File, Metadata)> {
        let host = self.resolve(system).map_err(|e| match e {
            ResolveError::Io(e) => e,
            ResolveError::Loop => io::Error::other("symlink loop"),
        })?;
        open_regular(&host)
    }

    /// Read a whole small file (at most `cap` bytes, else an error) by system path.
    pub fn read_capped(&self, system: &str, cap: u64) -> io::Result<Vec<u8>> {
        let (f, md) = self.open(system)?;
        read_file_capped(f, &md, cap)
    }

    /// Read a whole small text file by system path, lossily as UTF-8.
    pub fn read_string_capped(&self, system: &str, cap: u64) -> io::Result<String> {
        let b = self.read_capped(system, cap)?;
        Ok(match String::from_utf8(b) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }

    /// True when a system path exists (after resolution) as a regular file.
    pub fn is_file(&self, system: &str) -> bool {
        self.resolve(system).map(|p| p.is_file()).unwrap_or(false)
    }

    /// Names in a directory (system path), sorted; empty when it does not exist.
    pub fn list_dir(&self, system: &str) -> io::Result<Vec<std::ffi::OsString>> {
        let host = self.resolve(system).map_err(|e| match e {
            ResolveError::Io(e) => e,
            ResolveError::Loop => io::Error::other("symlink loop"),
        })?;
        let mut names = Vec::new();
        for entry in std::fs::read_dir(host)? {
            names.push(entry?.file_name());
        }
        names.sort();
        Ok(names)
    }
}

fn split_rev(p: &[u8]) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = p
        .split(|b| *b == b'/')
        .filter(|c| !c.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    v.reverse();
    v
}

/// Open a host path that must be a regular file: no following a final symlink, no blocking on
/// a FIFO, and a type check on the opened descriptor.
pub fn open_regular(host: &Path) -> io::Result<(File, Metadata)> {
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(host)?;
    let md = f.metadata()?;
    if !md.file_type().is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    Ok((f, md))
}

/// Read a whole file, refusing files larger than `cap`.
pub fn read_file_capped(f: File, md: &Metadata, cap: u64) -> io::Result<Vec<u8>> {
    if md.len() > cap {
        return Err(io::Error::other(format!(
            "file is {} bytes, over the {} byte limit",
            md.len(),
            cap
        )));
    }
    let mut buf = Vec::with_capacity(md.len() as usize);
    f.take(cap + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > cap {
        return Err(io::Error::other(format!(
            "file grew past the {cap} byte limit"
        )));
    }
    Ok(buf)
}

/// The first `n` bytes of an open file (fewer if it is shorter).
pub fn read_head(f: &mut File, n: usize) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(n);
    f.take(n as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Whole-file bytes: read when small, memory-mapped when large.
#[allow(unsafe_code)]
pub fn load(f: &File, md: &Metadata) -> io::Result<Bytes> {
    if md.len() < MMAP_THRESHOLD {
        let mut buf = Vec::with_capacity(md.len() as usize);
        f.take(MMAP_THRESHOLD).read_to_end(&mut buf)?;
        return Ok(Bytes::Owned(buf));
    }
    // SAFETY: the map is read-only and private. If another process truncates the file while it
    // is mapped, reads past the new end raise SIGBUS; sovscan scans systems at rest (images,
    // snapshots, hosts) and accepts that risk as every mmap-based scanner does, for the large
    // saving in memory and copies on big binaries.
    let m = unsafe { memmap2::MmapOptions::new().map(f)? };
    Ok(Bytes::Mapped(m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn resolves_links_inside_root() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        std::fs::create_dir_all(root.join("usr/lib")).unwrap();
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(root.join("usr/lib/os-release"), "ID=test\n").unwrap();
        symlink("../usr/lib/os-release", root.join("etc/os-release")).unwrap();
        symlink("/usr/lib", root.join("lib")).unwrap();
        symlink("../../../../../../etc/passwd", root.join("etc/escape")).unwrap();
        symlink("loop2", root.join("loop1")).unwrap();
        symlink("loop1", root.join("loop2")).unwrap();
        let fs = RootFs::new(root).unwrap();
        assert_eq!(
            fs.read_string_capped("/etc/os-release", 100).unwrap(),
            "ID=test\n"
        );
        assert_eq!(
            fs.read_string_capped("/lib/os-release", 100).unwrap(),
            "ID=test\n"
        );
        // Clamped at the root: resolves to ROOT/etc/passwd, which does not exist here.
        assert!(fs.read_string_capped("/etc/escape", 100).is_err());
        assert_eq!(
            fs.resolve("/etc/escape").unwrap(),
            fs.host_root().join("etc/passwd")
        );
        assert!(matches!(fs.resolve("/loop1"), Err(ResolveError::Loop)));
        assert!(fs.link_escapes("/etc/escape", Path::new("../../../../../../etc/passwd")));
        assert!(!fs.link_escapes("/etc/os-release", Path::new("../usr/lib/os-release")));
        assert_eq!(
            fs.system_path(&fs.host_root().join("usr/lib/os-release")),
            "/usr/lib/os-release"
        );
    }

    #[test]
    fn refuses_fifo_without_blocking() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("fifo");
        let c = std::ffi::CString::new(fifo.as_os_str().as_bytes()).unwrap();
        // SAFETY: test-only mkfifo on a fresh temp path.
        #[allow(unsafe_code)]
        let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o644) };
        assert_eq!(rc, 0);
        let fs = RootFs::new(d.path()).unwrap();
        assert!(fs.open("/fifo").is_err());
    }
}
