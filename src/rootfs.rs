//! The scanned system's root filesystem as a chroot would see it.
//!
//! Every path in the report is the scanned system's own path (`/usr/bin/ls`), never the host's
//! (`/mnt/image/usr/bin/ls`). Symbolic links are resolved *inside* the root: an absolute target
//! restarts at the root and `..` never climbs above it, so nothing outside the root is ever read.
//! Files are opened with `O_NOFOLLOW | O_NONBLOCK` and checked to be regular after opening, so a
//! FIFO or device swapped in between walk and read can neither block nor be read.
//!
//! A root is backed by a host directory or by the in-memory tree of a container image
//! ([`RootFs::memory`], see [`crate::image`]). Both are read through the same methods; for a
//! memory root, "host paths" are paths of the tree (never looked up on the host), so a path
//! from one can never reach a file of the machine running the scan.
//!
//! This module does not walk; see [`crate::walk`].

use crate::image::tree::{MemFile, MemTree, Node};
use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component as PathComponent, Path, PathBuf};
use std::sync::Arc;

/// Symlinks followed in one resolution before it is called a loop (Linux uses 40).
pub const MAX_SYMLINK_HOPS: usize = 40;

/// Files at least this big are read into an anonymous memory map (ELF files sparsely: see
/// [`load`]) rather than into a heap buffer. No file is ever memory-mapped: a mapped file that
/// another process truncates kills the reader with SIGBUS.
pub const MMAP_THRESHOLD: u64 = 1 << 20;

/// How much of a large file is read before its format decides what else is read.
const SPARSE_HEAD: usize = 64 * 1024;
/// Rounds of [`crate::collectors::elfread::wanted`] (each discovers what the last read holds).
const SPARSE_ROUNDS: usize = 4;

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

/// A root directory on the host (or an image's tree in memory), seen as `/` of the scanned
/// system.
#[derive(Clone)]
pub struct RootFs {
    /// The host directory that is `/`; for a memory root, the tree path that is `/` (the tree's
    /// own `/`, or a nested root's directory in it).
    host_root: PathBuf,
    /// The image's tree, for a memory root.
    tree: Option<Arc<MemTree>>,
}

impl std::fmt::Debug for RootFs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RootFs")
            .field("host_root", &self.host_root)
            .field("memory_nodes", &self.tree.as_ref().map(|t| t.len()))
            .finish()
    }
}

/// File contents: read into a buffer when small, into an anonymous map when large, shared when
/// the file lives in an image's tree.
pub enum Bytes {
    /// Read into a buffer.
    Owned(Vec<u8>),
    /// Read into an anonymous, read-only map the length of the file (pages never written take
    /// no memory, so a sparsely read ELF file costs only what was read), with its share of
    /// the memory budget of large files.
    Mapped(memmap2::Mmap, Held),
    /// Held by an in-memory tree.
    Shared(Arc<[u8]>),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Owned(v) => v,
            Bytes::Mapped(m, _) => m,
            Bytes::Shared(a) => a,
        }
    }
}

/// Bytes of part of a file ([`Opened::read_range`]), holding their share of the memory budget
/// of large reads until dropped.
pub struct Part {
    /// The bytes.
    pub bytes: Vec<u8>,
    _held: Held,
}

/// A seekable byte stream ([`Opened::seekable`]).
pub trait ReadSeek: Read + io::Seek + Send {}
impl<T: Read + io::Seek + Send> ReadSeek for T {}

/// What a path is, without following a final link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link, with its target.
    Link(PathBuf),
    /// A FIFO, socket or device.
    Other,
}

/// Why a memory file cannot be read whole.
const NOT_KEPT: &str =
    "contents not kept in memory for this image (no collector reads such a file whole, or it was over a memory cap)";

/// A regular file opened for reading: on the host, or in an image's tree.
pub enum Opened {
    /// A host file and its metadata.
    Disk(File, Metadata),
    /// A file of an image's tree.
    Memory(MemFile),
}

impl Opened {
    /// Size in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Opened::Disk(_, md) => md.len(),
            Opened::Memory(m) => m.size,
        }
    }

    /// True for an empty file.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The first `n` bytes (fewer if the file is shorter; for a memory file, what was kept of
    /// its head).
    pub fn head(&mut self, n: usize) -> io::Result<Vec<u8>> {
        match self {
            Opened::Disk(f, _) => read_head(f, n),
            Opened::Memory(m) => Ok(m.data[..m.data.len().min(n)].to_vec()),
        }
    }

    /// The whole file, refusing files larger than `cap`.
    pub fn read_capped(self, cap: u64) -> io::Result<Vec<u8>> {
        match self {
            Opened::Disk(f, md) => read_file_capped(f, &md, cap),
            Opened::Memory(m) => {
                if m.size > cap {
                    return Err(io::Error::other(format!(
                        "file is {} bytes, over the {} byte limit",
                        m.size, cap
                    )));
                }
                Ok(whole(&m)?.to_vec())
            }
        }
    }

    /// The whole file (read, memory-mapped or shared).
    pub fn load(self) -> io::Result<Bytes> {
        match self {
            Opened::Disk(f, md) => load(&f, &md),
            Opened::Memory(m) => Ok(Bytes::Shared(Arc::clone(whole(&m)?))),
        }
    }

    /// The file as a seekable stream, for formats read by their index (zip archives): only
    /// what the reader seeks to is read, and a file truncated under it gives a read error,
    /// never a signal.
    pub fn seekable(self) -> io::Result<Box<dyn ReadSeek>> {
        match self {
            Opened::Disk(f, _) => Ok(Box::new(io::BufReader::with_capacity(64 * 1024, f))),
            Opened::Memory(m) => Ok(Box::new(io::Cursor::new(Arc::clone(whole(&m)?)))),
        }
    }

    /// What [`unchanged`] needs to tell, after the file was streamed, whether it changed while
    /// it was read (a host file; a memory file cannot change).
    pub fn change_check(&self) -> Option<(File, Metadata)> {
        match self {
            Opened::Disk(f, md) => f.try_clone().ok().map(|f| (f, md.clone())),
            Opened::Memory(_) => None,
        }
    }

    /// `len` bytes from offset `off` (fewer where the file ends first), read (never mapped),
    /// waiting for their share of [`LOAD_BUDGET`] when large, with a host file checked for
    /// change afterwards.
    pub fn read_range(&self, off: u64, len: u64) -> io::Result<Part> {
        let len = len.min(self.len().saturating_sub(off));
        let n = usize::try_from(len).map_err(|_| io::Error::other("range too large"))?;
        let held = Held::acquire(if len < MMAP_THRESHOLD { 0 } else { len });
        let mut buf = vec![0u8; n];
        match self {
            Opened::Disk(f, md) => {
                read_exact_at(f, &mut buf, off)?;
                unchanged(f, md)?;
            }
            Opened::Memory(m) => {
                let all = whole(m)?;
                let at = usize::try_from(off).map_err(|_| io::Error::other("range too large"))?;
                let part = all
                    .get(at..at.saturating_add(n))
                    .ok_or_else(|| io::Error::other("range past the end of the file"))?;
                buf.copy_from_slice(part);
            }
        }
        Ok(Part {
            bytes: buf,
            _held: held,
        })
    }

    /// A stream of the whole file.
    pub fn reader(self) -> io::Result<Box<dyn Read + Send>> {
        match self {
            Opened::Disk(f, _) => Ok(Box::new(f)),
            Opened::Memory(m) => Ok(Box::new(io::Cursor::new(Arc::clone(whole(&m)?)))),
        }
    }
}

fn whole(m: &MemFile) -> io::Result<&Arc<[u8]>> {
    if m.complete {
        Ok(&m.data)
    } else {
        Err(io::Error::other(NOT_KEPT))
    }
}

fn loop_err(e: ResolveError) -> io::Error {
    match e {
        ResolveError::Io(e) => e,
        ResolveError::Loop => io::Error::other("symlink loop"),
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
        Ok(RootFs {
            host_root,
            tree: None,
        })
    }

    /// A root backed by an image's in-memory tree (see [`crate::image`]).
    pub fn memory(tree: MemTree) -> Self {
        RootFs {
            host_root: PathBuf::from("/"),
            tree: Some(Arc::new(tree)),
        }
    }

    /// True for a root backed by an in-memory tree: its paths are not host paths, so nothing
    /// may run on them outside these methods (no external tool, no `std::fs`).
    pub fn is_memory(&self) -> bool {
        self.tree.is_some()
    }

    /// The tree of a memory root.
    pub fn memory_tree(&self) -> Option<&MemTree> {
        self.tree.as_deref()
    }

    fn node(&self, host: &Path) -> Option<&Node> {
        let tree = self.tree.as_deref()?;
        tree.get(host.to_str()?)
    }

    /// What a host path (as returned by [`RootFs::resolve`] or [`RootFs::join`], or found by
    /// the walk) is, without following a final link.
    pub fn kind_host(&self, host: &Path) -> io::Result<Kind> {
        if self.tree.is_some() {
            return match self.node(host) {
                Some(Node::Dir) => Ok(Kind::Dir),
                Some(Node::File(_)) => Ok(Kind::File),
                Some(Node::Link(t)) => Ok(Kind::Link(PathBuf::from(t))),
                Some(Node::Special(_)) => Ok(Kind::Other),
                None => Err(io::Error::new(io::ErrorKind::NotFound, "not in the image")),
            };
        }
        let md = std::fs::symlink_metadata(host)?;
        let ft = md.file_type();
        Ok(if ft.is_symlink() {
            Kind::Link(std::fs::read_link(host)?)
        } else if ft.is_dir() {
            Kind::Dir
        } else if ft.is_file() {
            Kind::File
        } else {
            Kind::Other
        })
    }

    /// The target of the symbolic link at a host path.
    pub fn read_link_host(&self, host: &Path) -> io::Result<PathBuf> {
        match self.kind_host(host)? {
            Kind::Link(t) => Ok(t),
            _ => Err(io::Error::other("not a symbolic link")),
        }
    }

    /// Open the regular file at a host path (a final link is not followed; FIFOs and devices
    /// are refused without blocking).
    pub fn open_host(&self, host: &Path) -> io::Result<Opened> {
        if self.tree.is_some() {
            return match self.node(host) {
                Some(Node::File(f)) => Ok(Opened::Memory(f.clone())),
                Some(_) => Err(io::Error::other("not a regular file")),
                None => Err(io::Error::new(io::ErrorKind::NotFound, "not in the image")),
            };
        }
        open_regular(host).map(|(f, md)| Opened::Disk(f, md))
    }

    /// A nested root at system path `system` of this root (a chroot or container layer found
    /// by the walk, which never follows links: the directory is joined lexically, so it stays
    /// below this root). Paths inside it resolve inside it, as a chroot of it would.
    pub fn nested(&self, system: &str) -> RootFs {
        RootFs {
            host_root: self.join(system),
            tree: self.tree.clone(),
        }
    }

    /// The host directory that is this system's `/`.
    pub fn host_root(&self) -> &Path {
        &self.host_root
    }

    /// True when the root is the host's own `/`.
    pub fn is_host_root(&self) -> bool {
        self.tree.is_none() && self.host_root == Path::new("/")
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
            let kind = match self.kind_host(&candidate) {
                Ok(k) => k,
                Err(e) if e.kind() == io::ErrorKind::NotFound && pending.is_empty() => {
                    cur.push(comp);
                    break;
                }
                Err(e) => return Err(e.into()),
            };
            if let Kind::Link(target) = kind {
                hops += 1;
                if hops > MAX_SYMLINK_HOPS {
                    return Err(ResolveError::Loop);
                }
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
    pub fn open(&self, system: &str) -> io::Result<Opened> {
        let host = self.resolve(system).map_err(loop_err)?;
        self.open_host(&host)
    }

    /// Read a whole small file (at most `cap` bytes, else an error) by system path.
    pub fn read_capped(&self, system: &str, cap: u64) -> io::Result<Vec<u8>> {
        self.open(system)?.read_capped(cap)
    }

    /// The whole file at a system path (read, mapped or shared), refusing one over `cap`.
    pub fn load(&self, system: &str, cap: u64) -> io::Result<Bytes> {
        let f = self.open(system)?;
        if f.len() > cap {
            return Err(io::Error::other(format!(
                "{} bytes, over the {cap} byte limit",
                f.len()
            )));
        }
        f.load()
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
        self.resolve(system).is_ok_and(|p| match self.tree {
            Some(_) => matches!(self.node(&p), Some(Node::File(_))),
            None => p.is_file(),
        })
    }

    /// Names in a directory (system path), sorted; empty when it does not exist.
    pub fn list_dir(&self, system: &str) -> io::Result<Vec<std::ffi::OsString>> {
        let host = self.resolve(system).map_err(loop_err)?;
        if let Some(tree) = self.tree.as_deref() {
            let key = host.to_str().unwrap_or("");
            return match tree.get(key) {
                Some(Node::Dir) => Ok(tree.children(key).into_iter().map(Into::into).collect()),
                Some(_) => Err(io::Error::other("not a directory")),
                None => Err(io::Error::new(io::ErrorKind::NotFound, "not in the image")),
            };
        }
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
    (&f).take(cap + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > cap {
        return Err(io::Error::other(format!(
            "file grew past the {cap} byte limit"
        )));
    }
    unchanged(&f, md)?;
    Ok(buf)
}

/// The first `n` bytes of an open file (fewer if it is shorter).
pub fn read_head(f: &mut File, n: usize) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(n);
    f.take(n as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Whole-file bytes, read (never memory-mapped), with the file checked for change afterwards.
///
/// A file under [`MMAP_THRESHOLD`] is read into a buffer. A larger one is read into an
/// anonymous map of its length: whole, unless it is an ELF file, of which only the ranges the
/// ELF-reading collectors look at are read ([`crate::collectors::elfread::wanted`]: header
/// tables, dynamic section and strings, notes, `.comment`, `.go.buildinfo`, `.dep-v0`); the
/// rest stays zero and takes no memory. A file that ends early, or whose size or modification
/// time differ after the read from what `fstat` said at open, is an error "changed during the
/// scan" rather than a report built from half a file.
pub fn load(f: &File, md: &Metadata) -> io::Result<Bytes> {
    let n = usize::try_from(md.len()).map_err(|_| io::Error::other("file too large"))?;
    let bytes = if md.len() < MMAP_THRESHOLD {
        let mut buf = vec![0u8; n];
        read_exact_at(f, &mut buf, 0)?;
        Bytes::Owned(buf)
    } else {
        let mut head_bytes = vec![0u8; n.min(SPARSE_HEAD)];
        read_exact_at(f, &mut head_bytes, 0)?;
        let elf = head_bytes.starts_with(b"\x7fELF");
        // A whole read waits for its share of the budget; a sparse ELF read is small.
        let held = Held::acquire(if elf { 0 } else { md.len() });
        let mut m = memmap2::MmapMut::map_anon(n)?;
        let head = head_bytes.len();
        m[..head].copy_from_slice(&head_bytes);
        drop(head_bytes);
        if elf {
            let mut done: Vec<(usize, usize)> = vec![(0, head)];
            for _ in 0..SPARSE_ROUNDS {
                let mut new = false;
                for (off, len) in crate::collectors::elfread::wanted(&m) {
                    let Ok(off) = usize::try_from(off) else {
                        continue;
                    };
                    let end = off
                        .saturating_add(usize::try_from(len).unwrap_or(usize::MAX))
                        .min(n);
                    if off >= end || done.iter().any(|&(a, z)| a <= off && end <= z) {
                        continue;
                    }
                    read_exact_at(f, &mut m[off..end], off as u64)?;
                    done.push((off, end));
                    new = true;
                }
                if !new {
                    break;
                }
            }
        } else {
            read_exact_at(f, &mut m[head..], head as u64)?;
        }
        Bytes::Mapped(m.make_read_only()?, held)
    };
    unchanged(f, md)?;
    Ok(bytes)
}

/// Bytes of large files read whole that the scan's threads hold at once (16 MiB). A load that would go
/// over waits until others are done (one file larger than the budget is read alone), so the
/// memory of a scan does not grow with the number of threads that meet big files together.
pub const LOAD_BUDGET: u64 = 16 << 20;

static LOADED: std::sync::Mutex<u64> = std::sync::Mutex::new(0);
static FREED: std::sync::Condvar = std::sync::Condvar::new();

/// A share of [`LOAD_BUDGET`], given back when dropped.
#[derive(Debug)]
pub struct Held(u64);

impl Held {
    /// Wait for `n` bytes of the budget (at most the whole budget).
    fn acquire(n: u64) -> Held {
        let n = n.min(LOAD_BUDGET);
        if n == 0 {
            return Held(0);
        }
        let mut held = LOADED.lock().unwrap_or_else(|e| e.into_inner());
        while *held + n > LOAD_BUDGET {
            held = FREED.wait(held).unwrap_or_else(|e| e.into_inner());
        }
        *held += n;
        Held(n)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if self.0 > 0 {
            let mut held = LOADED.lock().unwrap_or_else(|e| e.into_inner());
            *held = held.saturating_sub(self.0);
            FREED.notify_all();
        }
    }
}

/// Fill `buf` from offset `at`; a file that ends first has changed under the scan.
fn read_exact_at(f: &File, buf: &mut [u8], at: u64) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    f.read_exact_at(buf, at).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            io::Error::other("changed during the scan: the file ended before its size (truncated while it was read)")
        } else {
            e
        }
    })
}

/// An error when the open file's size or modification time is no longer what `md` says.
pub fn unchanged(f: &File, md: &Metadata) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let now = f.metadata()?;
    if now.len() != md.len() {
        return Err(io::Error::other(format!(
            "changed during the scan: size went from {} to {} bytes while it was read",
            md.len(),
            now.len()
        )));
    }
    if (now.mtime(), now.mtime_nsec()) != (md.mtime(), md.mtime_nsec()) {
        return Err(io::Error::other(
            "changed during the scan: modified while it was read",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A large ELF file is read sparsely (only its headers, dynamic section, notes and
    /// strings) and parses as the whole file does; a file that grows after open is an error.
    #[test]
    fn large_elf_reads_sparsely_and_changes_are_errors() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let lib = std::fs::read("fixtures/dpkg/debian-12/usr/lib/x86_64-linux-gnu/libz.so.1.2.13")
            .unwrap();
        let p = dir.path().join("big.so");
        let mut whole = lib.clone();
        whole.resize(3 << 20, 0x5a);
        std::fs::write(&p, &whole).unwrap();
        let f = File::open(&p).unwrap();
        let md = f.metadata().unwrap();
        let b = load(&f, &md).unwrap();
        assert!(matches!(b, Bytes::Mapped(..)));
        assert_eq!(b.len(), whole.len());
        // The padding was never read.
        assert!(b[2 << 20..].iter().all(|&x| x == 0));
        let (a, z) = (
            crate::collectors::elf::parse(&whole, "/big.so")
                .unwrap()
                .unwrap(),
            crate::collectors::elf::parse(&b, "/big.so")
                .unwrap()
                .unwrap(),
        );
        assert_eq!(a.evidence, z.evidence);
        // A non-ELF large file is read whole.
        let q = dir.path().join("big.bin");
        std::fs::write(&q, &whole[1..]).unwrap();
        let g = File::open(&q).unwrap();
        let gmd = g.metadata().unwrap();
        assert_eq!(&load(&g, &gmd).unwrap()[..], &whole[1..]);
        // Grown after open: changed during the scan.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&q)
            .unwrap()
            .write_all(b"more")
            .unwrap();
        let e = load(&g, &gmd).err().unwrap().to_string();
        assert!(e.contains("changed during the scan"), "{e}");
        // Truncated after open: the read ends early.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&q)
            .unwrap()
            .set_len(10)
            .unwrap();
        let e = load(&g, &gmd).err().unwrap().to_string();
        assert!(e.contains("changed during the scan"), "{e}");
    }
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
    fn memory_root_resolves_and_reads_inside_its_tree() {
        use crate::image::tree::{MemFile, MemTree, Node};
        let file = |b: &[u8], complete: bool| {
            Node::File(MemFile {
                size: 10,
                data: Arc::from(b),
                complete,
            })
        };
        let mut t = MemTree::default();
        for d in [
            "/usr",
            "/usr/lib",
            "/etc",
            "/srv",
            "/srv/c",
            "/srv/c/etc",
            "/srv/c/usr",
            "/srv/c/usr/lib",
        ] {
            t.insert(d.into(), Node::Dir);
        }
        t.insert("/usr/lib/os-release".into(), file(b"ID=memory\n", true));
        t.insert(
            "/etc/os-release".into(),
            Node::Link("../usr/lib/os-release".into()),
        );
        t.insert("/etc/passwd-link".into(), Node::Link("/etc/passwd".into()));
        t.insert("/usr/lib/big".into(), file(b"\x7fELF", false));
        t.insert(
            "/srv/c/etc/up".into(),
            Node::Link("../../../usr/lib/os-release".into()),
        );
        t.insert("/loop".into(), Node::Link("loop".into()));
        let fs = RootFs::memory(t);
        assert!(fs.is_memory() && !fs.is_host_root());
        assert_eq!(
            fs.read_string_capped("/etc/os-release", 100).unwrap(),
            "ID=memory\n"
        );
        assert!(fs.read_capped("/etc/os-release", 5).is_err(), "cap applies");
        // A link to a host file names the image's own (missing) file.
        let e = fs.read_capped("/etc/passwd-link", 100).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        // Only the head of a file not kept whole can be read.
        let mut f = fs.open("/usr/lib/big").unwrap();
        assert_eq!((f.len(), f.head(4096).unwrap()), (10, b"\x7fELF".to_vec()));
        assert!(fs.open("/usr/lib/big").unwrap().load().is_err());
        assert!(fs.is_file("/etc/os-release") && !fs.is_file("/etc"));
        assert_eq!(fs.list_dir("/etc").unwrap().len(), 2);
        assert!(matches!(fs.resolve("/loop"), Err(ResolveError::Loop)));
        // A nested root clamps `..` at its own `/`.
        let nested = fs.nested("/srv/c");
        assert_eq!(
            nested.resolve("/etc/up").unwrap(),
            Path::new("/srv/c/usr/lib/os-release")
        );
        assert!(nested.read_capped("/etc/up", 100).is_err());
        assert_eq!(nested.system_path(Path::new("/srv/c/etc/up")), "/etc/up");
        assert_eq!(
            fs.read_link_host(Path::new("/etc/os-release")).unwrap(),
            Path::new("../usr/lib/os-release")
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
        assert_eq!(fs.kind_host(&fifo).unwrap(), Kind::Other);
    }
}
