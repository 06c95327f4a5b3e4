//! Apply an image's tar layers, in order, to a [`MemTree`], as a container runtime would
//! unpack them, without writing anything anywhere.
//!
//! Layer streams are tar, gzip-compressed tar or zstd-compressed tar, recognised by their first
//! bytes (the media type is advisory: docker's `layer.tar` and OCI's `+gzip` say the same
//! thing differently). OCI whiteouts are honoured: `.wh.<name>` removes `<name>` of the lower
//! layers and `.wh..wh..opq` empties its directory of what lower layers put there. Hard links
//! share the contents of their target; symbolic links are stored as links, resolved later
//! inside the image like a chroot ([`crate::rootfs`]).
//!
//! Hostile entries are reported and skipped, never written: absolute names, names climbing out
//! with `..`, and entries whose parent is a symbolic link or a file (a link then a file
//! "through" it would land outside the directory it names). Since the tree is only a map of
//! normalised paths, nothing can escape it in any case.
//!
//! Memory is bounded by [`Limits`]: the whole contents of a file are kept only when a collector
//! may read it ([`Want`]), each up to [`MAX_KEPT_FILE`], all of them (and every file's head)
//! within [`MAX_KEPT_BYTES`], of which binaries found by their first bytes may use at most
//! [`MAX_KEPT_BINARY_BYTES`] so that package databases in later layers still fit. The expanded
//! bytes of all layers ([`MAX_EXPANDED`]), their entries ([`MAX_ENTRIES`]) and the tree's nodes
//! ([`MAX_NODES`]) are capped too. Anything over a cap is an error entry and the rest of the
//! image is still applied (a file over a cap keeps its head and size).

use super::tree::{join, parent, MemFile, MemTree, Node};
use crate::collectors::HEAD_LEN;
use crate::model::ScanError;
use std::collections::HashSet;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;

/// Bytes kept in memory for one image: whole files a collector reads, and every file's head.
pub const MAX_KEPT_BYTES: u64 = 1 << 30;
/// Of [`MAX_KEPT_BYTES`], what binaries found by their first bytes (ELF, PE…) may use.
pub const MAX_KEPT_BINARY_BYTES: u64 = 768 << 20;
/// The largest file kept whole (larger ones keep their head; collectors report them).
pub const MAX_KEPT_FILE: u64 = 256 << 20;
/// Expanded (uncompressed) bytes read from all layers of one image.
pub const MAX_EXPANDED: u64 = 64 << 30;
/// Tar entries read from all layers of one image.
pub const MAX_ENTRIES: u64 = 2_000_000;
/// Nodes (files, directories, links) the tree may hold.
pub const MAX_NODES: usize = 1_000_000;

/// The caps applied while reading an image (defaults: the constants above; tests lower them).
#[derive(Debug, Clone)]
pub struct Limits {
    /// See [`MAX_KEPT_BYTES`].
    pub kept_bytes: u64,
    /// See [`MAX_KEPT_BINARY_BYTES`].
    pub kept_binary_bytes: u64,
    /// See [`MAX_KEPT_FILE`].
    pub kept_file: u64,
    /// See [`MAX_EXPANDED`].
    pub expanded: u64,
    /// See [`MAX_ENTRIES`].
    pub entries: u64,
    /// See [`MAX_NODES`].
    pub nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            kept_bytes: MAX_KEPT_BYTES,
            kept_binary_bytes: MAX_KEPT_BINARY_BYTES,
            kept_file: MAX_KEPT_FILE,
            expanded: MAX_EXPANDED,
            entries: MAX_ENTRIES,
            nodes: MAX_NODES,
        }
    }
}

/// Which files are kept whole.
pub struct Want {
    /// By path: package databases, manifests and the files beside them a collector reads.
    pub path: fn(&str) -> bool,
    /// By first bytes: binaries a collector recognises.
    pub head: fn(&[u8]) -> bool,
}

/// Applies layers one after the other, sharing the caps.
pub struct Applier<'a> {
    /// The tree being built.
    pub tree: MemTree,
    /// Problems met (entries skipped, caps reached, unreadable layers).
    pub errors: Vec<ScanError>,
    limits: &'a Limits,
    want: &'a Want,
    kept: u64,
    kept_binary: u64,
    expanded: u64,
    entries: u64,
    /// Caps already reported (each once per image).
    told: HashSet<&'static str>,
    /// Set when the entry or node cap stopped the image.
    stopped: bool,
}

/// Counts the bytes read through it and fails past a cap.
struct Counted<'c, R> {
    inner: R,
    left: &'c mut u64,
    over: bool,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if *self.left == 0 {
            self.over = true;
            return Err(io::Error::other("expanded size cap reached"));
        }
        let n = buf
            .len()
            .min(usize::try_from(*self.left).unwrap_or(usize::MAX));
        let got = self.inner.read(&mut buf[..n])?;
        *self.left -= got as u64;
        Ok(got)
    }
}

/// The decompressed stream of a layer blob, recognised by its first bytes.
pub fn decompress<'r>(r: impl Read + 'r) -> io::Result<Box<dyn Read + 'r>> {
    let mut r = BufReader::new(r);
    let magic = r.fill_buf()?;
    if magic.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(flate2::read::MultiGzDecoder::new(r)))
    } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let d = ruzstd::decoding::StreamingDecoder::new(r)
            .map_err(|e| io::Error::other(format!("zstd: {e}")))?;
        Ok(Box::new(d))
    } else {
        Ok(Box::new(r))
    }
}

/// A tar entry name as a normalised absolute path, or why it is refused.
pub fn normalise(raw: &[u8]) -> Result<String, &'static str> {
    if raw.starts_with(b"/") {
        return Err("absolute name in a layer: skipped, not written");
    }
    let mut out = String::new();
    for c in raw.split(|b| *b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => return Err("name climbs out of the image with `..`: skipped, not written"),
            _ => {
                out.push('/');
                out.push_str(&String::from_utf8_lossy(c));
            }
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

impl<'a> Applier<'a> {
    /// An empty tree under these caps.
    pub fn new(limits: &'a Limits, want: &'a Want) -> Self {
        Applier {
            tree: MemTree::default(),
            errors: Vec::new(),
            limits,
            want,
            kept: 0,
            kept_binary: 0,
            expanded: 0,
            entries: 0,
            told: HashSet::new(),
            stopped: false,
        }
    }

    /// Whether a cap stopped the image (later layers are not applied).
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// Bytes of file contents and heads held now.
    pub fn kept(&self) -> u64 {
        self.kept
    }

    fn tell(&mut self, key: &'static str, path: &str, msg: String) {
        if self.told.insert(key) {
            self.errors.push(ScanError::new(path, msg));
        }
    }

    /// Apply one layer stream (compressed or not). `name` names the layer in errors
    /// (`blobs/sha256/…`). Never fails: problems are error entries.
    pub fn apply(&mut self, name: &str, blob: impl Read) {
        if self.stopped {
            return;
        }
        let stream = match decompress(blob) {
            Ok(s) => s,
            Err(e) => {
                self.errors
                    .push(ScanError::new(name, format!("layer not read: {e}")));
                return;
            }
        };
        let mut left = self.limits.expanded.saturating_sub(self.expanded);
        let before = left;
        let mut counted = Counted {
            inner: stream,
            left: &mut left,
            over: false,
        };
        let result = self.apply_tar(name, &mut counted);
        let over = counted.over;
        self.expanded += before - left;
        if let Err(e) = result {
            let msg = if over {
                self.stopped = true;
                format!(
                    "layer stopped: the image expands past {} bytes; later entries and layers \
                     are not applied",
                    self.limits.expanded
                )
            } else {
                format!("layer unreadable, applied up to the error: {e}")
            };
            self.errors.push(ScanError::new(name, msg));
        }
    }

    fn apply_tar(&mut self, name: &str, r: &mut dyn Read) -> io::Result<()> {
        let mut ar = tar::Archive::new(r);
        let mut this_layer: HashSet<String> = HashSet::new();
        let mut it = ar.entries()?;
        loop {
            // Stop on the first error: a corrupt stream may yield the same error forever.
            let entry = match it.next() {
                None => return Ok(()),
                Some(Err(e)) => return Err(e),
                Some(Ok(e)) => e,
            };
            self.entries += 1;
            if self.entries > self.limits.entries {
                self.stopped = true;
                self.errors.push(ScanError::new(
                    name,
                    format!(
                        "the image has more than {} entries; later entries and layers are not \
                         applied",
                        self.limits.entries
                    ),
                ));
                return Ok(());
            }
            if self.tree.len() >= self.limits.nodes {
                self.stopped = true;
                self.errors.push(ScanError::new(
                    name,
                    format!(
                        "the image tree reached {} nodes; later entries and layers are not \
                         applied",
                        self.limits.nodes
                    ),
                ));
                return Ok(());
            }
            self.entry(name, entry, &mut this_layer)?;
        }
    }

    fn entry<R: Read>(
        &mut self,
        layer: &str,
        mut e: tar::Entry<'_, R>,
        this_layer: &mut HashSet<String>,
    ) -> io::Result<()> {
        let raw = e.path_bytes().into_owned();
        let shown = || format!("{layer}!{}", String::from_utf8_lossy(&raw));
        let path = match normalise(&raw) {
            Ok(p) => p,
            Err(why) => {
                self.errors.push(ScanError::new(shown(), why));
                return Ok(());
            }
        };
        let base = path.rsplit('/').next().unwrap_or("");
        if let Some(hidden) = base.strip_prefix(".wh.") {
            let dir = parent(&path).to_owned();
            if let Err(why) = self.parents(&path, this_layer) {
                self.errors.push(ScanError::new(shown(), why));
                return Ok(());
            }
            let gone = if hidden == ".wh..opq" {
                self.tree.remove_below(&dir, |k| this_layer.contains(k))
            } else {
                let target = join(&dir, hidden);
                if this_layer.contains(&target) {
                    Vec::new()
                } else {
                    self.tree.remove(&target)
                }
            };
            self.release(gone);
            return Ok(());
        }
        if path == "/" {
            return Ok(());
        }
        if let Err(why) = self.parents(&path, this_layer) {
            self.errors.push(ScanError::new(shown(), why));
            return Ok(());
        }
        use tar::EntryType as T;
        let node = match e.header().entry_type() {
            T::Directory => Node::Dir,
            T::Regular | T::Continuous | T::GNUSparse => {
                match self.file(&path, e.size(), &mut e)? {
                    Ok(f) => Node::File(f),
                    Err(why) => {
                        self.errors.push(ScanError::new(&path, why));
                        return Ok(());
                    }
                }
            }
            T::Symlink => {
                let target = e.link_name_bytes().unwrap_or_default();
                Node::Link(String::from_utf8_lossy(&target).into_owned())
            }
            T::Link => {
                let target = e.link_name_bytes().unwrap_or_default();
                match normalise(&target).map(|t| self.tree.get(&t).cloned()) {
                    Ok(Some(Node::File(f))) => Node::File(f),
                    _ => {
                        self.errors.push(ScanError::new(
                            shown(),
                            format!(
                                "hard link to {}, which is not a file of the image: skipped",
                                String::from_utf8_lossy(&target)
                            ),
                        ));
                        return Ok(());
                    }
                }
            }
            T::Char | T::Block => Node::Special("device file"),
            T::Fifo => Node::Special("FIFO"),
            _ => return Ok(()),
        };
        this_layer.insert(path.clone());
        let gone = self.tree.insert(path, node);
        self.release(gone);
        Ok(())
    }

    /// Make the directories above `path` exist, refusing to go through a link or a file.
    fn parents(&mut self, path: &str, this_layer: &mut HashSet<String>) -> Result<(), String> {
        let mut dir = String::new();
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        for s in segs.iter().take(segs.len().saturating_sub(1)) {
            dir.push('/');
            dir.push_str(s);
            match self.tree.get(&dir) {
                // Recorded as this layer's, so that an opaque marker met later keeps it.
                Some(Node::Dir) => {
                    if !this_layer.contains(&dir) {
                        this_layer.insert(dir.clone());
                    }
                }
                Some(Node::Link(t)) => {
                    return Err(format!(
                        "{dir} is a symbolic link (to {t}): not written through it, skipped"
                    ))
                }
                Some(_) => return Err(format!("{dir} is not a directory: skipped")),
                None => {
                    this_layer.insert(dir.clone());
                    self.tree.insert(dir.clone(), Node::Dir);
                }
            }
        }
        Ok(())
    }

    /// Read a regular file's head, and its whole contents when it is wanted and fits.
    /// The outer error is the stream's (the layer stops); the inner one the file's.
    fn file(
        &mut self,
        path: &str,
        size: u64,
        r: &mut impl Read,
    ) -> io::Result<Result<MemFile, String>> {
        let head_len = size.min(HEAD_LEN as u64) as usize;
        let mut head = vec![0u8; head_len];
        r.read_exact(&mut head)?;
        let by_path = (self.want.path)(path);
        let by_head = !by_path && size > 0 && (self.want.head)(&head);
        let mut keep = by_path || by_head;
        if keep && size > self.limits.kept_file {
            keep = false;
            self.errors.push(ScanError::new(
                path,
                format!(
                    "{size} bytes, over the {} byte limit of a file kept in memory: only its \
                     first bytes are read",
                    self.limits.kept_file
                ),
            ));
        }
        if keep && by_head && self.kept_binary + size > self.limits.kept_binary_bytes {
            keep = false;
            self.tell(
                "binary-budget",
                path,
                format!(
                    "binaries found so far fill the {} byte budget for binaries kept in \
                     memory: this and later binaries are read by their first bytes only",
                    self.limits.kept_binary_bytes
                ),
            );
        }
        if keep && self.kept + size > self.limits.kept_bytes {
            keep = false;
            self.tell(
                "budget",
                path,
                format!(
                    "the image's files fill the {} byte budget kept in memory: this and later \
                     files are read by their first bytes only",
                    self.limits.kept_bytes
                ),
            );
        }
        if !keep {
            if self.kept + head.len() as u64 > self.limits.kept_bytes {
                self.tell(
                    "heads",
                    path,
                    format!(
                        "the {} byte budget kept in memory is full: later files are listed by \
                         size only",
                        self.limits.kept_bytes
                    ),
                );
                head.clear();
            }
            self.kept += head.len() as u64;
            return Ok(Ok(MemFile {
                size,
                data: Arc::from(head),
                complete: false,
            }));
        }
        let mut data = head;
        data.reserve_exact((size as usize).saturating_sub(data.len()));
        r.take(size - data.len() as u64).read_to_end(&mut data)?;
        if (data.len() as u64) < size {
            return Ok(Err(format!(
                "truncated in its layer: {} of {size} bytes",
                data.len()
            )));
        }
        self.kept += size;
        if by_head {
            self.kept_binary += size;
        }
        Ok(Ok(MemFile {
            size,
            data: Arc::from(data),
            complete: true,
        }))
    }

    /// Give back the budget of removed files no other link still holds.
    fn release(&mut self, gone: Vec<Node>) {
        for n in gone {
            if let Node::File(f) = n {
                if Arc::strong_count(&f.data) == 1 {
                    self.kept = self.kept.saturating_sub(f.data.len() as u64);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn want_all() -> Want {
        Want {
            path: |p| p.ends_with("status"),
            head: |h| h.starts_with(b"\x7fELF"),
        }
    }

    /// A tar stream with raw names (so hostile names can be written).
    pub(crate) fn tar_of(entries: &[(&str, tar::EntryType, &[u8], &str)]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, kind, data, link) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(*kind);
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            let raw = &mut h.as_old_mut().name;
            raw[..name.len()].copy_from_slice(name.as_bytes());
            if !link.is_empty() {
                h.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
            }
            h.set_cksum();
            b.append(&h, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    use tar::EntryType as T;

    fn file_data(t: &MemTree, p: &str) -> Option<Vec<u8>> {
        match t.get(p) {
            Some(Node::File(f)) => Some(f.data.to_vec()),
            _ => None,
        }
    }

    #[test]
    fn whiteouts_links_and_hostile_names() {
        let limits = Limits::default();
        let want = want_all();
        let mut a = Applier::new(&limits, &want);
        let lower = tar_of(&[
            ("./etc/", T::Directory, b"", ""),
            ("etc/status", T::Regular, b"db", ""),
            ("etc/old", T::Regular, b"old", ""),
            ("opt/keep/x", T::Regular, b"x", ""),
            ("opt/keep/y", T::Regular, b"y", ""),
            ("usr/bin/ls", T::Regular, b"\x7fELF-ls", ""),
            ("bin", T::Symlink, b"", "usr/bin"),
            ("srv/data/deep/a", T::Regular, b"a", ""),
        ]);
        a.apply("l1", &lower[..]);
        let upper = tar_of(&[
            ("etc/.wh.old", T::Regular, b"", ""),
            ("srv/.wh.data", T::Regular, b"", ""),
            ("opt/keep/new", T::Regular, b"n", ""),
            ("opt/keep/.wh..wh..opq", T::Regular, b"", ""),
            ("usr/bin/dir", T::Link, b"", "usr/bin/ls"),
            ("../escape", T::Regular, b"e", ""),
            ("/abs", T::Regular, b"a", ""),
            ("bin/through", T::Regular, b"t", ""),
        ]);
        a.apply("l2", &upper[..]);
        let t = &a.tree;
        assert!(t.get("/etc/old").is_none(), "whiteout removes");
        assert!(t.get("/srv/data").is_none() && t.get("/srv/data/deep/a").is_none());
        assert!(matches!(t.get("/srv"), Some(Node::Dir)));
        assert_eq!(file_data(t, "/etc/status").as_deref(), Some(&b"db"[..]));
        assert!(
            t.get("/opt/keep/x").is_none(),
            "opaque directory hides lower"
        );
        assert_eq!(file_data(t, "/opt/keep/new").as_deref(), Some(&b"n"[..]));
        assert_eq!(
            file_data(t, "/usr/bin/dir").as_deref(),
            Some(&b"\x7fELF-ls"[..])
        );
        assert!(matches!(t.get("/bin"), Some(Node::Link(l)) if l == "usr/bin"));
        assert!(t.get("/escape").is_none() && t.get("/abs").is_none());
        assert!(t.get("/usr/bin/through").is_none() && t.get("/bin/through").is_none());
        let msgs: Vec<String> = a
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.path, e.error))
            .collect();
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        assert!(msgs
            .iter()
            .any(|m| m.contains("l2!../escape") && m.contains("..")));
        assert!(msgs
            .iter()
            .any(|m| m.contains("l2!/abs") && m.contains("absolute")));
        assert!(msgs.iter().any(|m| m.contains("symbolic link")));
    }

    #[test]
    fn keeps_only_wanted_contents() {
        let limits = Limits::default();
        let want = want_all();
        let mut a = Applier::new(&limits, &want);
        let big = vec![b'z'; HEAD_LEN * 3];
        a.apply(
            "l",
            &tar_of(&[
                ("data/big", T::Regular, &big, ""),
                ("var/status", T::Regular, &big, ""),
            ])[..],
        );
        let Some(Node::File(f)) = a.tree.get("/data/big") else {
            panic!()
        };
        assert!(!f.complete);
        assert_eq!((f.size, f.data.len()), (big.len() as u64, HEAD_LEN));
        let Some(Node::File(f)) = a.tree.get("/var/status") else {
            panic!()
        };
        assert!(f.complete && f.data.len() == big.len());
        assert_eq!(a.kept(), (HEAD_LEN + big.len()) as u64);
    }

    #[test]
    fn bombs_are_bounded_and_reported() {
        let want = want_all();
        // Too many entries.
        let limits = Limits {
            entries: 100,
            ..Limits::default()
        };
        let names: Vec<String> = (0..500).map(|i| format!("f{i}")).collect();
        let entries: Vec<(&str, T, &[u8], &str)> = names
            .iter()
            .map(|n| (n.as_str(), T::Regular, &b""[..], ""))
            .collect();
        let layer = tar_of(&entries);
        let mut a = Applier::new(&limits, &want);
        a.apply("l1", &layer[..]);
        a.apply("l2", &tar_of(&[("later", T::Regular, b"x", "")])[..]);
        assert!(a.stopped());
        assert!(a.tree.len() <= 101);
        assert!(a.tree.get("/later").is_none());
        assert_eq!(a.errors.len(), 1);
        assert!(a.errors[0].error.contains("more than 100 entries"));
        // Expanding past the cap: a gzip of 64 MiB of zeros in one file.
        let limits = Limits {
            expanded: 1 << 20,
            ..Limits::default()
        };
        let zeros = vec![0u8; 64 << 20];
        let tar = tar_of(&[("zero", T::Regular, &zeros, "")]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &tar).unwrap();
        let gz = gz.finish().unwrap();
        let mut a = Applier::new(&limits, &want);
        a.apply("bomb", &gz[..]);
        assert!(a.stopped());
        assert!(
            a.errors[0].error.contains("expands past 1048576"),
            "{:?}",
            a.errors
        );
        // Budget: only one wanted file of two fits.
        let limits = Limits {
            kept_bytes: 10_000,
            ..Limits::default()
        };
        let mut a = Applier::new(&limits, &want);
        let body = vec![b'a'; 6_000];
        a.apply(
            "l",
            &tar_of(&[
                ("a/status", T::Regular, &body, ""),
                ("b/status", T::Regular, &body, ""),
            ])[..],
        );
        assert!(matches!(a.tree.get("/a/status"), Some(Node::File(f)) if f.complete));
        assert!(matches!(a.tree.get("/b/status"), Some(Node::File(f)) if !f.complete));
        assert!(a.kept() <= 10_000);
        assert!(a.errors.iter().any(|e| e.error.contains("budget")));
    }

    /// A zstd frame of raw (stored) blocks: what a zstd encoder writes for incompressible data.
    fn zstd_stored(data: &[u8]) -> Vec<u8> {
        let mut out = vec![0x28, 0xb5, 0x2f, 0xfd];
        // Frame header: single segment, 4-byte content size, no checksum, no dictionary.
        out.push(0xa0);
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        let blocks: Vec<&[u8]> = data.chunks(128 << 10).collect();
        for (i, b) in blocks.iter().enumerate() {
            let last = u32::from(i + 1 == blocks.len());
            let h = last | ((b.len() as u32) << 3);
            out.extend_from_slice(&h.to_le_bytes()[..3]);
            out.extend_from_slice(b);
        }
        out
    }

    #[test]
    fn zstd_and_plain_layers() {
        let limits = Limits::default();
        let want = want_all();
        let mut a = Applier::new(&limits, &want);
        let body = vec![b'q'; 300_000];
        let layer = tar_of(&[("var/status", T::Regular, &body, "")]);
        a.apply("zst", &zstd_stored(&layer)[..]);
        assert!(a.errors.is_empty(), "{:?}", a.errors);
        assert_eq!(file_data(&a.tree, "/var/status"), Some(body));
        a.apply(
            "plain",
            &tar_of(&[("var/status", T::Regular, b"new", "")])[..],
        );
        assert_eq!(
            file_data(&a.tree, "/var/status").as_deref(),
            Some(&b"new"[..])
        );
        // The replaced file's bytes are given back to the budget.
        assert_eq!(a.kept(), 3);
    }

    #[test]
    fn corrupt_and_truncated_layers_are_errors() {
        let limits = Limits::default();
        let want = want_all();
        let mut a = Applier::new(&limits, &want);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &tar_of(&[("x", T::Regular, b"x", "")])).unwrap();
        let mut gz = gz.finish().unwrap();
        let n = gz.len();
        gz[n / 2..].iter_mut().for_each(|b| *b ^= 0x5a);
        a.apply("bad", &gz[..]);
        assert_eq!(a.errors.len(), 1);
        assert!(a.errors[0].error.contains("unreadable"), "{:?}", a.errors);
        assert!(!a.stopped());
        assert_eq!(normalise(b"./a//b/./c").unwrap(), "/a/b/c");
        assert_eq!(normalise(b"./").unwrap(), "/");
    }
}
