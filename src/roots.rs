//! Nested roots: the chroots, container-engine layers and machine images that a scanned tree
//! holds below its own `/`.
//!
//! A directory is a nested root when it holds a package database at its own well-known path
//! (`var/lib/dpkg/status` or `status.d/`, rpm's `var/lib/rpm` and `usr/lib/sysimage/rpm`,
//! `lib/apk/db/installed`) or when a container engine lays it out as a filesystem (docker
//! `overlay2/<id>/diff`, containers-storage `overlay/<id>/diff`, containerd snapshots, LXC/LXD
//! `rootfs`, `/var/lib/machines/<name>`). Every file belongs to the deepest root that holds it;
//! its packages own files of that root only, and its links resolve inside it, as a chroot of it
//! would. Collectors see a nested root as `/` (paths inside it); [`rebase`] then turns what
//! they found into paths of the scanned tree and qualifies component ids with the root.
//!
//! Discovery needs no I/O: it reads the walked paths only.

use crate::collectors::Collected;
use crate::model::{RootInfo, RootKind};
use std::collections::HashMap;

/// Package-database paths that make the directory above them a root (longest first, so
/// `/usr/lib/apk/db/installed` is not taken for `/lib/apk/db/installed` under `/usr`).
const ANCHORS: &[&str] = &[
    "/usr/lib/sysimage/rpm/rpmdb.sqlite",
    "/usr/lib/sysimage/rpm/Packages.db",
    "/usr/lib/sysimage/rpm/Packages",
    "/usr/lib/apk/db/installed",
    "/var/lib/rpm/rpmdb.sqlite",
    "/var/lib/rpm/Packages.db",
    "/var/lib/rpm/Packages",
    "/var/lib/dpkg/status",
    "/lib/apk/db/installed",
];

/// Directory of distroless per-package status files.
const STATUS_D: &str = "/var/lib/dpkg/status.d/";

/// The roots of one scan: the scanned root (index 0, `/`) and the nested roots, sorted by path.
#[derive(Debug, Clone)]
pub struct Roots {
    /// Root descriptions, index 0 the scanned root.
    pub list: Vec<RootInfo>,
    index: HashMap<String, usize>,
}

impl Roots {
    /// Discover the nested roots among walked system paths.
    pub fn discover<'a>(paths: impl Iterator<Item = &'a str>) -> Self {
        let mut d = Discovery::default();
        for p in paths {
            d.add(p);
        }
        d.finish()
    }

    /// True for a path under the kernel or runtime directories of a nested root (`/proc`,
    /// `/sys`, `/dev`, `/run` inside it), which the scan leaves out as the walk prunes those of
    /// the scanned root.
    pub fn pruned(&self, p: &str) -> bool {
        if self.list.len() == 1 {
            return false;
        }
        let r = self.root_of(p);
        r != 0
            && crate::walk::PRUNED.iter().any(|d| {
                self.inner(r, p)
                    .strip_prefix(d)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
    }
}

/// Roots being discovered from walked paths, one path at a time (see [`Roots::discover`]):
/// only the roots and database paths found are kept.
#[derive(Debug, Default)]
pub struct Discovery {
    found: HashMap<String, (RootKind, Option<String>)>,
    databases: HashMap<String, Vec<String>>,
}

impl Discovery {
    /// Look at one walked file path.
    pub fn add(&mut self, p: &str) {
        for (root, kind, id) in layout_roots(p) {
            self.found.entry(root.to_owned()).or_insert((kind, id));
        }
        if let Some(root) = anchor_root(p) {
            if root != "/" {
                let kind = layout_kind(root);
                self.found.entry(root.to_owned()).or_insert(kind);
            }
            self.databases
                .entry(root.to_owned())
                .or_default()
                .push(p.to_owned());
        }
    }

    /// The roots found, the scanned root first.
    pub fn finish(self) -> Roots {
        let Discovery {
            found,
            mut databases,
        } = self;
        let mut list: Vec<RootInfo> = found
            .into_iter()
            .map(|(path, (kind, id))| RootInfo::new(path, kind, id))
            .collect();
        list.sort_by(|a, b| a.path.cmp(&b.path));
        list.insert(0, RootInfo::new("/".to_owned(), RootKind::Scanned, None));
        for r in &mut list {
            if let Some(mut d) = databases.remove(&r.path) {
                d.sort();
                d.dedup();
                r.databases = d;
            }
        }
        let index = list
            .iter()
            .enumerate()
            .map(|(i, r)| (r.path.clone(), i))
            .collect();
        Roots { list, index }
    }
}

impl Roots {
    /// Index of the deepest root holding system path `path` (0: the scanned root).
    pub fn root_of(&self, path: &str) -> usize {
        if self.list.len() == 1 {
            return 0;
        }
        let mut end = path.len();
        while let Some(i) = path[..end].rfind('/') {
            if i == 0 {
                break;
            }
            if let Some(&r) = self.index.get(&path[..i]) {
                return r;
            }
            end = i;
        }
        0
    }

    /// `path` (in the scanned tree) as seen inside root `r`.
    pub fn inner<'p>(&self, r: usize, path: &'p str) -> &'p str {
        if r == 0 {
            return path;
        }
        let prefix = &self.list[r].path;
        path.strip_prefix(prefix.as_str())
            .filter(|rest| rest.starts_with('/'))
            .unwrap_or(path)
    }
}

/// The root a package-database path implies, if it is one.
fn anchor_root(p: &str) -> Option<&str> {
    let root = ANCHORS.iter().find_map(|a| p.strip_suffix(a)).or_else(|| {
        let i = p.find(STATUS_D)?;
        let name = &p[i + STATUS_D.len()..];
        (!name.is_empty() && !name.contains('/')).then(|| &p[..i])
    })?;
    Some(if root.is_empty() { "/" } else { root })
}

/// The kind of a root found by its package database: a container layout when its path is one,
/// else a chroot.
fn layout_kind(root: &str) -> (RootKind, Option<String>) {
    let probe = format!("{root}/x");
    layout_roots(&probe)
        .into_iter()
        .rfind(|(r, _, _)| *r == root)
        .map(|(_, k, id)| (k, id))
        .unwrap_or((RootKind::Chroot, None))
}

/// Container-engine filesystem roots that hold `path` (outermost first), with the engine's
/// id for the layer or container.
fn layout_roots(path: &str) -> Vec<(&str, RootKind, Option<String>)> {
    let segs: Vec<(usize, &str)> = segments(path);
    let mut out = Vec::new();
    // The last segment is the file itself: a root must hold something.
    let dirs = segs.len().saturating_sub(1);
    let name = |i: usize| segs.get(i).map(|s| s.1).unwrap_or("");
    let end = |i: usize| segs[i].0 + segs[i].1.len();
    for i in 0..dirs {
        let s = segs[i].1;
        let found = match s {
            // docker: <data-root>/overlay2/<id>/{diff,merged}
            "overlay2" if i + 2 < dirs && matches!(name(i + 2), "diff" | "merged") => {
                Some((i + 2, RootKind::DockerOverlay2, name(i + 1)))
            }
            // containers-storage (podman, CRI-O, buildah): storage/overlay/<id>/{diff,merged}
            "overlay"
                if i >= 1
                    && name(i - 1) == "storage"
                    && i + 2 < dirs
                    && matches!(name(i + 2), "diff" | "merged") =>
            {
                Some((i + 2, RootKind::ContainersStorage, name(i + 1)))
            }
            // docker's vfs and btrfs drivers: docker/vfs/dir/<id>, docker/btrfs/subvolumes/<id>
            "vfs" if i >= 1 && name(i - 1) == "docker" && name(i + 1) == "dir" && i + 2 < dirs => {
                Some((i + 2, RootKind::DockerOverlay2, name(i + 2)))
            }
            "btrfs"
                if i >= 1
                    && name(i - 1) == "docker"
                    && name(i + 1) == "subvolumes"
                    && i + 2 < dirs =>
            {
                Some((i + 2, RootKind::DockerOverlay2, name(i + 2)))
            }
            // containerd: io.containerd.snapshotter.v1.overlayfs/snapshots/<n>/fs
            "io.containerd.snapshotter.v1.overlayfs"
                if name(i + 1) == "snapshots" && i + 3 < dirs && name(i + 3) == "fs" =>
            {
                Some((i + 3, RootKind::Containerd, name(i + 2)))
            }
            // LXC: lxc/<name>/rootfs; LXD: containers/<name>/rootfs under an lxd tree.
            "lxc" if i + 2 < dirs && name(i + 2) == "rootfs" => {
                Some((i + 2, RootKind::Lxc, name(i + 1)))
            }
            "containers"
                if i + 2 < dirs
                    && name(i + 2) == "rootfs"
                    && segs[..i].iter().any(|(_, s)| s.contains("lxd")) =>
            {
                Some((i + 2, RootKind::Lxd, name(i + 1)))
            }
            // systemd-nspawn / machinectl: /var/lib/machines/<name>
            "machines" if i == 2 && name(0) == "var" && name(1) == "lib" && i + 1 < dirs => {
                Some((i + 1, RootKind::Nspawn, name(i + 1)))
            }
            _ => None,
        };
        if let Some((last, kind, id)) = found {
            out.push((&path[..end(last)], kind, Some(id.to_owned())));
        }
    }
    out
}

/// Byte offset and text of each `/`-separated segment.
fn segments(path: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in path.bytes().enumerate() {
        if b == b'/' {
            if i > start {
                out.push((start, &path[start..i]));
            }
            start = i + 1;
        }
    }
    if start < path.len() {
        out.push((start, &path[start..]));
    }
    out
}

/// Turn what collectors found inside root `root` into the scanned tree's terms: paths gain the
/// root's prefix, component ids and edges are qualified with the root (`root:/srv/x!deb:…`), and
/// every component records its root.
pub fn rebase(out: &mut Collected, root: &RootInfo) {
    let nested = root.path != "/";
    let prefix = root.path.as_str();
    let path = |p: &mut String| {
        if nested && p.starts_with('/') {
            p.insert_str(0, prefix);
        }
    };
    for c in &mut out.components {
        c.root = Some(root.path.clone());
        if !nested {
            continue;
        }
        c.id = qualify(prefix, &c.id);
        c.locations.iter_mut().for_each(path);
        for e in &mut c.evidence {
            path(&mut e.at);
        }
    }
    if nested {
        for e in &mut out.errors {
            path(&mut e.path);
        }
        for r in &mut out.relationships {
            r.from = qualify(prefix, &r.from);
            r.to = qualify(prefix, &r.to);
        }
    }
}

/// A component id qualified with its nested root.
pub fn qualify(root: &str, id: &str) -> String {
    if root == "/" {
        id.to_owned()
    } else {
        format!("root:{root}!{id}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_roots_by_database_and_layout() {
        let paths = [
            "/var/lib/dpkg/status",
            "/srv/chroot/bookworm/var/lib/dpkg/status",
            "/srv/chroot/bookworm/usr/bin/ls",
            "/var/lib/docker/overlay2/abc123/diff/var/lib/dpkg/status",
            "/var/lib/docker/overlay2/def456/diff/app/main",
            "/var/lib/containers/storage/overlay/99/diff/lib/apk/db/installed",
            "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/7/fs/etc/x",
            "/var/lib/lxc/web/rootfs/usr/lib/sysimage/rpm/rpmdb.sqlite",
            "/var/lib/machines/m1/etc/os-release",
            "/opt/distroless/var/lib/dpkg/status.d/netbase",
            "/usr/lib/apk/db/installed",
        ];
        let r = Roots::discover(paths.iter().copied());
        let got: Vec<(&str, RootKind)> = r.list.iter().map(|r| (r.path.as_str(), r.kind)).collect();
        assert_eq!(
            got,
            vec![
                ("/", RootKind::Scanned),
                ("/opt/distroless", RootKind::Chroot),
                ("/srv/chroot/bookworm", RootKind::Chroot),
                (
                    "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/7/fs",
                    RootKind::Containerd
                ),
                (
                    "/var/lib/containers/storage/overlay/99/diff",
                    RootKind::ContainersStorage
                ),
                (
                    "/var/lib/docker/overlay2/abc123/diff",
                    RootKind::DockerOverlay2
                ),
                (
                    "/var/lib/docker/overlay2/def456/diff",
                    RootKind::DockerOverlay2
                ),
                ("/var/lib/lxc/web/rootfs", RootKind::Lxc),
                ("/var/lib/machines/m1", RootKind::Nspawn),
            ]
        );
        assert_eq!(r.list[0].databases.len(), 2);
        let chroot = r.root_of("/srv/chroot/bookworm/usr/bin/ls");
        assert_eq!(r.list[chroot].path, "/srv/chroot/bookworm");
        assert_eq!(
            r.inner(chroot, "/srv/chroot/bookworm/usr/bin/ls"),
            "/usr/bin/ls"
        );
        assert_eq!(r.root_of("/usr/bin/ls"), 0);
        assert_eq!(r.root_of("/srv/chroot/bookwormx/a"), 0);
        assert_eq!(r.list[5].id.as_deref(), Some("abc123"));
    }
}
