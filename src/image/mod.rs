//! Container images given with `--image`: an OCI image layout directory (`oci-layout`,
//! `index.json`, `blobs/sha256/…`), or a `docker save` / `podman save` tar archive
//! (`manifest.json` listing `Config`, `RepoTags` and `Layers`, and, from docker 25 on, an OCI
//! layout in the same tar; an `oci-archive` is a layout in a tar). The image is read as ONE
//! root, without unpacking anything to disk: its layers are applied in order to an in-memory
//! tree ([`layers`], [`tree`]), which [`crate::rootfs::RootFs::memory`] then shows to the walk
//! and to every collector as the image's own `/`.
//!
//! Spec: <https://github.com/opencontainers/image-spec> (image-layout.md, manifest.md,
//! image-index.md, layer.md, config.md); docker's archive format is the `manifest.json` of
//! `docker save`. An index listing several images (one per platform) is scanned for its first
//! runnable image (attestation manifests, platform `unknown/unknown`, are skipped); the others
//! are named in an error entry. Blob digests (sha256) are checked against their descriptors.
//!
//! Only PATH is read: a layout's blobs are opened by their digest name with no link followed,
//! an archive's members by their offsets in the one tar file (`docker save` writes repeated
//! layers as links to the first, which are followed inside the archive only). Memory caps are
//! in [`layers`] ([`layers::MAX_KEPT_BYTES`] in all); small JSON documents are read up to
//! [`MAX_JSON`], and an archive lists at most [`MAX_MEMBERS`] members.

pub mod layers;
pub mod tree;

use crate::model::{ImageInfo, ImageLayer, ScanError};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

pub use layers::Limits;
pub use tree::MemTree;

/// Largest JSON document (index, manifest, config) read.
pub const MAX_JSON: u64 = 16 << 20;
/// Members an image archive may list.
pub const MAX_MEMBERS: usize = 100_000;
/// Nested image indexes followed to reach a manifest.
const MAX_INDEX_DEPTH: usize = 4;

/// An image read into memory.
pub struct Image {
    /// Its filesystem, as the layers leave it.
    pub tree: MemTree,
    /// What the report says about it.
    pub info: ImageInfo,
    /// Problems met (missing or corrupt layers, caps, hostile entries), non-fatal.
    pub errors: Vec<ScanError>,
}

/// Where blobs come from: a layout directory or the members of a tar archive.
enum Source {
    Dir(PathBuf),
    Archive {
        path: PathBuf,
        members: HashMap<String, Member>,
    },
}

#[derive(Debug, Clone)]
enum Member {
    File { offset: u64, size: u64 },
    Link(String),
}

/// `a/./b` and `./a` as `a/b`; `None` when a component climbs with `..` or the name is
/// absolute.
fn clean(name: &str) -> Option<String> {
    if name.starts_with('/') || name.split('/').any(|c| c == "..") {
        return None;
    }
    lexical(name)
}

/// A member link's target, `..` taken lexically inside the archive; `None` when it climbs
/// above the archive's top or is absolute.
fn lexical(name: &str) -> Option<String> {
    if name.starts_with('/') {
        return None;
    }
    let mut out: Vec<&str> = Vec::new();
    for c in name.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            c => out.push(c),
        }
    }
    Some(out.join("/"))
}

impl Source {
    fn open(path: &Path) -> crate::Result<Source> {
        let io_err = |source| crate::Error::Io {
            path: path.to_owned(),
            source,
        };
        let md = std::fs::metadata(path).map_err(io_err)?;
        if md.is_dir() {
            return Ok(Source::Dir(path.to_owned()));
        }
        let f = File::open(path).map_err(io_err)?;
        let mut magic = [0u8; 4];
        let n = (&f).read(&mut magic).map_err(io_err)?;
        if n >= 2 && (magic[..2] == [0x1f, 0x8b] || magic == [0x28, 0xb5, 0x2f, 0xfd]) {
            return Err(crate::Error::Config(format!(
                "--image {}: a compressed archive; decompress it first (`docker save` writes \
                 an uncompressed tar)",
                path.display()
            )));
        }
        (&f).seek(SeekFrom::Start(0)).map_err(io_err)?;
        let mut ar = tar::Archive::new(f);
        let mut members = HashMap::new();
        let entries = ar.entries_with_seek().map_err(io_err)?;
        for e in entries {
            let e = e.map_err(|e| {
                crate::Error::Config(format!(
                    "--image {}: not a readable image archive: {e}",
                    path.display()
                ))
            })?;
            if members.len() >= MAX_MEMBERS {
                return Err(crate::Error::Config(format!(
                    "--image {}: more than {MAX_MEMBERS} archive members",
                    path.display()
                )));
            }
            let Some(name) = clean(&String::from_utf8_lossy(&e.path_bytes())) else {
                continue;
            };
            let m = match e.header().entry_type() {
                tar::EntryType::Regular | tar::EntryType::Continuous => Member::File {
                    offset: e.raw_file_position(),
                    size: e.size(),
                },
                tar::EntryType::Symlink | tar::EntryType::Link => {
                    let t = String::from_utf8_lossy(&e.link_name_bytes().unwrap_or_default())
                        .into_owned();
                    if e.header().entry_type() == tar::EntryType::Symlink {
                        let dir = name.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
                        Member::Link(format!("{dir}/{t}"))
                    } else {
                        Member::Link(t)
                    }
                }
                _ => continue,
            };
            members.insert(name, m);
        }
        Ok(Source::Archive {
            path: path.to_owned(),
            members,
        })
    }

    fn format(&self) -> &'static str {
        match self {
            Source::Dir(_) => "oci-layout",
            Source::Archive { members, .. } if members.contains_key("manifest.json") => {
                "docker-archive"
            }
            Source::Archive { .. } => "oci-archive",
        }
    }

    fn exists(&self, name: &str) -> bool {
        match self {
            Source::Dir(d) => clean(name).is_some_and(|n| d.join(n).is_file()),
            Source::Archive { .. } => self.member(name).is_ok(),
        }
    }

    fn member(&self, name: &str) -> io::Result<(u64, u64)> {
        let Source::Archive { members, .. } = self else {
            return Err(io::Error::other("not an archive"));
        };
        let mut name = clean(name).ok_or_else(|| io::Error::other("unsafe member name"))?;
        for _ in 0..8 {
            match members.get(&name) {
                Some(Member::File { offset, size }) => return Ok((*offset, *size)),
                Some(Member::Link(t)) => {
                    name = lexical(t).ok_or_else(|| io::Error::other("link leaves the archive"))?
                }
                None => {
                    return Err(io::Error::new(
                        io::ErrorKind::NotFound,
                        "not in the archive",
                    ))
                }
            }
        }
        Err(io::Error::other("too many links"))
    }

    /// A blob or document by its name in the layout (`blobs/sha256/<hex>`, `index.json`).
    fn reader(&self, name: &str) -> io::Result<(Box<dyn Read + Send>, u64)> {
        match self {
            Source::Dir(d) => {
                let rel = clean(name).ok_or_else(|| io::Error::other("unsafe blob name"))?;
                // No link is followed on the way: blobs are plain files of the layout.
                let mut p = d.clone();
                for c in rel.split('/') {
                    p.push(c);
                    if std::fs::symlink_metadata(&p)?.file_type().is_symlink() {
                        return Err(io::Error::other(
                            "a symbolic link in the layout: not followed",
                        ));
                    }
                }
                let (f, md) = crate::rootfs::open_regular(&p)?;
                Ok((Box::new(f), md.len()))
            }
            Source::Archive { path, .. } => {
                let (offset, size) = self.member(name)?;
                let mut f = File::open(path)?;
                f.seek(SeekFrom::Start(offset))?;
                Ok((Box::new(f.take(size)), size))
            }
        }
    }

    fn read_small(&self, name: &str) -> io::Result<Vec<u8>> {
        let (r, size) = self.reader(name)?;
        if size > MAX_JSON {
            return Err(io::Error::other(format!(
                "{size} bytes, over the {MAX_JSON} byte limit"
            )));
        }
        let mut buf = Vec::new();
        r.take(MAX_JSON).read_to_end(&mut buf)?;
        Ok(buf)
    }
}

#[derive(Debug, Deserialize)]
struct Descriptor {
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    digest: String,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    #[serde(default)]
    platform: Option<Platform>,
}

#[derive(Debug, Deserialize)]
struct Platform {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
}

#[derive(Debug, Deserialize)]
struct IndexOrManifest {
    #[serde(default)]
    manifests: Vec<Descriptor>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Vec<Descriptor>,
}

#[derive(Debug, Deserialize)]
struct DockerEntry {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    layers: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Config {
    #[serde(default)]
    os: Option<String>,
    #[serde(default)]
    architecture: Option<String>,
    #[serde(default)]
    variant: Option<String>,
}

/// `sha256:<hex>` as the layout's blob name, when it is one.
fn blob_name(digest: &str) -> Option<String> {
    let (alg, hex) = digest.split_once(':')?;
    let ok = matches!(alg, "sha256" | "sha512")
        && !hex.is_empty()
        && hex
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    ok.then(|| format!("blobs/{alg}/{hex}"))
}

fn sha256_hex(data: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(data))
}

fn parse<T: for<'de> Deserialize<'de>>(src: &Source, name: &str) -> crate::Result<(T, Vec<u8>)> {
    let bytes = src
        .read_small(name)
        .map_err(|e| crate::Error::Config(format!("image: cannot read {name}: {e}")))?;
    let v = serde_json::from_slice(&bytes)
        .map_err(|e| crate::Error::Config(format!("image: {name} is not valid: {e}")))?;
    Ok((v, bytes))
}

/// What was decided to scan: the layer blobs in order, and the facts for the report.
struct Plan {
    info: ImageInfo,
    layers: Vec<(String, Option<String>)>,
    errors: Vec<ScanError>,
}

/// Read the image at `path` (a layout directory or an archive) into memory.
pub fn open(path: &Path, limits: &Limits) -> crate::Result<Image> {
    let src = Source::open(path)?;
    let mut plan = if src.exists("index.json") {
        oci_plan(&src)?
    } else if src.exists("manifest.json") {
        docker_plan(&src)?
    } else {
        return Err(crate::Error::Config(format!(
            "--image {}: neither an OCI image layout (index.json) nor a docker archive \
             (manifest.json)",
            path.display()
        )));
    };
    if src.exists("index.json") && src.exists("manifest.json") {
        // docker 25+ writes both: the tags are in manifest.json.
        if let Ok((entries, _)) = parse::<Vec<DockerEntry>>(&src, "manifest.json") {
            for e in entries {
                plan.info.tags.extend(e.repo_tags.unwrap_or_default());
            }
        }
    }
    plan.info.source = crate::text::sanitize(&path.display().to_string());
    plan.info.format = src.format().to_owned();
    let tags: BTreeSet<String> = plan
        .info
        .tags
        .iter()
        .map(|t| crate::text::sanitize(t))
        .collect();
    plan.info.tags = tags.into_iter().collect();

    let want = layers::Want {
        path: wanted_path,
        head: wanted_head,
    };
    let mut applier = layers::Applier::new(limits, &want);
    for (name, digest) in &plan.layers {
        let shown = digest.clone().unwrap_or_else(|| name.clone());
        let mut layer = ImageLayer {
            digest: digest.clone(),
            size: None,
        };
        match src.reader(name) {
            Ok((r, size)) => {
                layer.size = Some(size);
                let actual = hash_then_apply(&mut applier, &shown, r);
                match (digest, actual) {
                    (Some(want), Ok(got)) if want.starts_with("sha256:") && *want != got => {
                        plan.errors.push(ScanError::new(
                            &shown,
                            format!("layer digest mismatch: the blob hashes to {got}"),
                        ))
                    }
                    (None, Ok(got)) => layer.digest = Some(got),
                    (_, Err(e)) => plan
                        .errors
                        .push(ScanError::new(&shown, format!("layer not read: {e}"))),
                    _ => {}
                }
            }
            Err(e) => plan.errors.push(ScanError::new(
                &shown,
                format!("layer blob {name} not read: {e}; the other layers are scanned"),
            )),
        }
        plan.info.layers.push(layer);
    }
    let mut errors = plan.errors;
    errors.append(&mut applier.errors);
    Ok(Image {
        tree: applier.tree,
        info: plan.info,
        errors,
    })
}

/// Apply a layer while hashing the blob as it streams by (the rest past the tar's end is
/// hashed too), so each layer is read once.
fn hash_then_apply(
    applier: &mut layers::Applier<'_>,
    name: &str,
    r: Box<dyn Read + Send>,
) -> io::Result<String> {
    struct Hashing<R> {
        inner: R,
        hash: Sha256,
    }
    impl<R: Read> Read for Hashing<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.hash.update(&buf[..n]);
            Ok(n)
        }
    }
    let mut h = Hashing {
        inner: r,
        hash: Sha256::new(),
    };
    applier.apply(name, &mut h);
    io::copy(&mut h, &mut io::sink())?;
    Ok(format!("sha256:{:x}", h.hash.finalize()))
}

fn oci_plan(src: &Source) -> crate::Result<Plan> {
    let (mut doc, _) = parse::<IndexOrManifest>(src, "index.json")?;
    let mut errors = Vec::new();
    let mut tags = Vec::new();
    for depth in 0..=MAX_INDEX_DEPTH {
        let runnable: Vec<&Descriptor> = doc
            .manifests
            .iter()
            .filter(|d| {
                d.platform
                    .as_ref()
                    .is_none_or(|p| p.os != "unknown" && p.architecture != "unknown")
            })
            .collect();
        let Some(pick) = runnable.first() else {
            return Err(crate::Error::Config(
                "image: the index lists no image manifest".to_owned(),
            ));
        };
        if runnable.len() > 1 {
            let others: Vec<String> = runnable[1..]
                .iter()
                .map(|d| match &d.platform {
                    Some(p) => format!("{} ({}/{})", d.digest, p.os, p.architecture),
                    None => d.digest.clone(),
                })
                .collect();
            errors.push(ScanError::new(
                "index.json",
                format!(
                    "the index lists {} images; only the first ({}) is scanned, not: {}",
                    runnable.len(),
                    pick.digest,
                    others.join(", ")
                ),
            ));
        }
        for key in [
            "org.opencontainers.image.ref.name",
            "io.containerd.image.name",
        ] {
            if let Some(t) = pick.annotations.get(key) {
                tags.push(t.clone());
            }
        }
        let digest = pick.digest.clone();
        let name = blob_name(&digest).ok_or_else(|| {
            crate::Error::Config(format!("image: not a blob digest: {}", pick.digest))
        })?;
        let is_index = pick
            .media_type
            .as_deref()
            .is_some_and(|m| m.contains("index") || m.contains("manifest.list"));
        let (next, bytes) = parse::<IndexOrManifest>(src, &name)?;
        check_digest(&digest, &bytes, &name, &mut errors);
        if is_index || (next.config.is_none() && !next.manifests.is_empty()) {
            if depth == MAX_INDEX_DEPTH {
                break;
            }
            doc = next;
            continue;
        }
        return manifest_plan(src, digest, next, tags, errors);
    }
    Err(crate::Error::Config(format!(
        "image: more than {MAX_INDEX_DEPTH} nested image indexes"
    )))
}

fn check_digest(digest: &str, bytes: &[u8], name: &str, errors: &mut Vec<ScanError>) {
    if digest.starts_with("sha256:") && sha256_hex(bytes) != digest {
        errors.push(ScanError::new(
            name,
            format!("digest mismatch: the blob hashes to {}", sha256_hex(bytes)),
        ));
    }
}

fn manifest_plan(
    src: &Source,
    digest: String,
    m: IndexOrManifest,
    tags: Vec<String>,
    mut errors: Vec<ScanError>,
) -> crate::Result<Plan> {
    let config_desc = m
        .config
        .ok_or_else(|| crate::Error::Config("image: the manifest has no config".to_owned()))?;
    let cfg = read_config(src, blob_name(&config_desc.digest), &mut errors);
    let mut layers = Vec::new();
    for l in &m.layers {
        match blob_name(&l.digest) {
            Some(n) => layers.push((n, Some(l.digest.clone()))),
            None => errors.push(ScanError::new(
                crate::text::sanitize(&l.digest),
                "not a blob digest: layer skipped",
            )),
        }
    }
    Ok(Plan {
        info: ImageInfo {
            digest: Some(digest),
            config: Some(config_desc.digest),
            tags,
            os: cfg.os,
            architecture: cfg.architecture,
            variant: cfg.variant,
            ..ImageInfo::default()
        },
        layers,
        errors,
    })
}

fn read_config(src: &Source, name: Option<String>, errors: &mut Vec<ScanError>) -> Config {
    let Some(name) = name else {
        return Config::default();
    };
    match parse::<Config>(src, &name) {
        Ok((c, _)) => c,
        Err(e) => {
            errors.push(ScanError::new(&name, format!("image config not read: {e}")));
            Config::default()
        }
    }
}

fn docker_plan(src: &Source) -> crate::Result<Plan> {
    let (entries, _) = parse::<Vec<DockerEntry>>(src, "manifest.json")?;
    let mut errors = Vec::new();
    let Some(first) = entries.first() else {
        return Err(crate::Error::Config(
            "image: manifest.json lists no image".to_owned(),
        ));
    };
    if entries.len() > 1 {
        errors.push(ScanError::new(
            "manifest.json",
            format!(
                "the archive holds {} images; only the first ({}) is scanned",
                entries.len(),
                crate::text::sanitize(&first.config)
            ),
        ));
    }
    let cfg_bytes = src.read_small(&first.config).ok();
    let cfg = read_config(src, clean(&first.config), &mut errors);
    let config = cfg_bytes.as_deref().map(sha256_hex);
    Ok(Plan {
        info: ImageInfo {
            digest: None,
            config,
            tags: first.repo_tags.clone().unwrap_or_default(),
            os: cfg.os,
            architecture: cfg.architecture,
            variant: cfg.variant,
            ..ImageInfo::default()
        },
        layers: first
            .layers
            .iter()
            .map(|l| {
                let digest = l
                    .strip_prefix("blobs/sha256/")
                    .map(|h| format!("sha256:{h}"));
                (l.clone(), digest)
            })
            .collect(),
        errors,
    })
}

/// Files kept whole by path: what a collector matches by path or reads beside its candidates,
/// at the image's `/` or below a nested root in it (any suffix of the path that starts at a
/// `/`), and os-release and hostname.
pub fn wanted_path(path: &str) -> bool {
    const SYSTEM: &[&str] = &["/etc/os-release", "/usr/lib/os-release", "/etc/hostname"];
    let mut rest = path;
    loop {
        if SYSTEM.contains(&rest)
            || crate::collectors::ALL
                .iter()
                .any(|c| c.matches_path(rest) || c.reads_beside(rest))
        {
            return true;
        }
        match rest[1..].find('/') {
            Some(i) => rest = &rest[i + 1..],
            None => return false,
        }
    }
}

/// Files kept whole by their first bytes: what a file collector recognises.
pub fn wanted_head(head: &[u8]) -> bool {
    crate::collectors::ALL
        .iter()
        .any(|c| c.phase() == crate::collectors::Phase::File && c.matches_head(head))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_digests() {
        assert_eq!(
            clean("./blobs//sha256/ab").as_deref(),
            Some("blobs/sha256/ab")
        );
        assert_eq!(clean("../x"), None);
        assert_eq!(lexical("id/../a.tar").as_deref(), Some("a.tar"));
        assert_eq!(lexical("id/../../a.tar"), None);
        assert_eq!(clean("/etc/passwd"), None);
        assert_eq!(
            blob_name("sha256:00ff").as_deref(),
            Some("blobs/sha256/00ff")
        );
        assert_eq!(blob_name("sha256:../../x"), None);
        assert_eq!(blob_name("md5:00"), None);
        assert!(wanted_path("/var/lib/dpkg/status"));
        assert!(wanted_path("/srv/chroot/var/lib/dpkg/status"));
        assert!(wanted_path("/var/lib/dpkg/info/zlib1g:amd64.list"));
        assert!(wanted_path("/etc/os-release"));
        assert!(!wanted_path("/usr/share/zoneinfo/UTC"));
        assert!(wanted_head(b"\x7fELF\x02\x01\x01"));
        assert!(!wanted_head(b"#!/bin/sh\n"));
    }

    /// `docker save` before 25 stores a repeated layer as a link to the first copy.
    #[test]
    fn archive_member_links_resolve_inside_the_archive() {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(5);
        h.set_mode(0o644);
        b.append_data(&mut h, "a.tar", &b"layer"[..]).unwrap();
        for (name, target) in [("id/layer.tar", "../a.tar"), ("evil/layer.tar", "../../x")] {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(tar::EntryType::Symlink);
            h.set_size(0);
            b.append_link(&mut h, name, target).unwrap();
        }
        let tmp = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(tmp.path(), b.into_inner().unwrap()).unwrap();
        let src = Source::open(tmp.path()).unwrap();
        assert_eq!(src.read_small("id/layer.tar").unwrap(), b"layer");
        assert_eq!(src.read_small("./a.tar").unwrap(), b"layer");
        assert!(src.read_small("evil/layer.tar").is_err());
        assert!(src.read_small("missing").is_err());
    }
}
