//! Package databases inside embedded filesystems: the files of a squashfs or cpio archive that
//! a [`Phase::Database`] collector wants (`/var/lib/dpkg/status`…) and the filesystem's
//! os-release are written under a private temporary directory at their own paths, and those
//! collectors run on it as on any root. Their components are renamed into the image
//! (`firmware:/fw.bin!deb:busybox@1.35.0-4`, locations `/fw.bin@0x40!/var/lib/dpkg/status`) and
//! linked to it by `contains`.
//!
//! Nothing scanned is written to: only the temporary directory, removed afterwards. At most
//! [`super::MAX_KEPT`] bytes are kept per image (checked by the walker).

use crate::collectors::{Candidate, Collected, Context, OsRelease, Phase, ALL};
use crate::model::{Relationship, RelationshipKind, ScanError, ScanOptions};
use crate::rootfs::RootFs;
use std::collections::BTreeMap;
use std::path::{Component as PathComponent, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

const OS_RELEASE: &[&str] = &["/etc/os-release", "/usr/lib/os-release"];

/// Whether a file of an embedded filesystem is wanted.
pub fn wanted(path: &str) -> bool {
    OS_RELEASE.contains(&path)
        || ALL
            .iter()
            .any(|c| c.phase() == Phase::Database && c.matches_path(path))
}

/// A private temporary directory, removed on drop.
struct TempTree(PathBuf);

impl TempTree {
    fn new() -> std::io::Result<Self> {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("sovscan-nested-{}-{n}", std::process::id()));
        // `create_dir`, not `create_dir_all`: fails if something is already there.
        std::fs::create_dir(&dir)?;
        Ok(TempTree(dir))
    }
}

impl Drop for TempTree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Write `data` at system path `path` under `dir` (plain components only).
fn place(dir: &Path, path: &str, data: &[u8]) -> std::io::Result<()> {
    let rel = Path::new(path.trim_start_matches('/'));
    if !rel
        .components()
        .all(|c| matches!(c, PathComponent::Normal(_)))
    {
        return Err(std::io::Error::other("unsafe path"));
    }
    let host = dir.join(rel);
    if let Some(parent) = host.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(host, data)
}

/// Run the database collectors on the kept files of each embedded filesystem of `image`.
pub fn collect(
    image: &str,
    kept: Vec<(String, String, Vec<u8>)>,
    options: &ScanOptions,
) -> Collected {
    let mut out = Collected::default();
    let mut by_fs: BTreeMap<String, Vec<(String, Vec<u8>)>> = BTreeMap::new();
    for (fs, path, data) in kept {
        by_fs.entry(fs).or_default().push((path, data));
    }
    let top = format!("firmware:{image}");
    for (fs, files) in by_fs {
        let prefix = format!("{image}{fs}!");
        let tree = match TempTree::new() {
            Ok(t) => t,
            Err(e) => {
                out.errors.push(ScanError::new(
                    image,
                    format!("cannot make a temporary directory: {e}"),
                ));
                continue;
            }
        };
        for (p, data) in &files {
            if let Err(e) = place(&tree.0, p, data) {
                out.errors.push(ScanError::new(
                    format!("{prefix}{p}"),
                    format!("not read: {e}"),
                ));
            }
        }
        let Ok(root) = RootFs::new(&tree.0) else {
            continue;
        };
        let os = OsRelease::read(&root);
        let ctx = Context {
            root: &root,
            os: &os,
            options,
            deep: None,
        };
        let mut got = Collected::default();
        for (p, data) in &files {
            let host = root.join(p);
            for c in ALL
                .iter()
                .filter(|c| c.phase() == Phase::Database && c.matches_path(p))
            {
                let mut found = c.collect(
                    &Candidate {
                        path: p,
                        host: &host,
                        fs: &root,
                        size: data.len() as u64,
                        head: &[],
                        owner: None,
                        loaded: Default::default(),
                    },
                    &ctx,
                );
                for comp in &mut found.components {
                    comp.found_by = Some(c.id().to_owned());
                }
                got.extend(found);
            }
        }
        let rename = |id: &str| format!("{top}!{id}");
        for mut comp in got.components {
            comp.id = rename(&comp.id);
            for l in &mut comp.locations {
                *l = format!("{prefix}{l}");
            }
            for e in &mut comp.evidence {
                e.at = format!("{prefix}{}", e.at);
            }
            out.relationships.push(Relationship {
                from: top.clone(),
                to: comp.id.clone(),
                kind: RelationshipKind::Contains,
            });
            out.components.push(comp);
        }
        for r in got.relationships {
            out.relationships.push(Relationship {
                from: rename(&r.from),
                to: rename(&r.to),
                kind: r.kind,
            });
        }
        for e in got.errors {
            out.errors
                .push(ScanError::new(format!("{prefix}{}", e.path), e.error));
        }
    }
    out
}
