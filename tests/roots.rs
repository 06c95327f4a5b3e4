//! Nested roots: a host tree holding a chroot, container-engine layers of several engines and
//! an LXC container, built here from the real fixture roots. Each nested root's packages must
//! be exactly those a scan of that root alone finds (the package manager's own list), own files
//! of that root only, and resolve links inside it.

use crate::common::{fixtures, scan_json};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn copy_tree(src: &Path, dst: &Path) {
    let st = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", src.display()))
        .arg(dst)
        .status()
        .unwrap();
    assert!(st.success());
}

use std::process::Command;

const CHROOT: &str = "/srv/chroot/bookworm";
const DOCKER: &str = "/var/lib/docker/overlay2/4f1c0e7d2b/diff";
const PODMAN: &str = "/var/lib/containers/storage/overlay/9a3e51c0/diff";
const LXC: &str = "/var/lib/lxc/web/rootfs";

/// The host tree: the Debian root at `/`, the same root as a chroot, the distroless root as a
/// docker layer, the Alpine database in a podman layer, the CBL-Mariner rpmdb in an LXC
/// container, and a nested root whose database is garbage.
fn host_tree() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let place = |fixture: &str, at: &str| {
        let dst = t.join(at.trim_start_matches('/'));
        std::fs::create_dir_all(&dst).unwrap();
        copy_tree(&fixtures().join(fixture), &dst);
    };
    place("dpkg/debian-12", "/");
    place("dpkg/debian-12", CHROOT);
    place("dpkg/distroless", DOCKER);
    place("apk/alpine-3.14", PODMAN);
    place("rpm/mariner-2.0", LXC);
    // Kernel and runtime directories of a nested root are pruned as the scanned root's are.
    let dev = t.join(CHROOT.trim_start_matches('/')).join("dev");
    std::fs::create_dir_all(&dev).unwrap();
    std::os::unix::fs::symlink("/proc/self/fd", dev.join("fd")).unwrap();
    let proc_ = t.join(CHROOT.trim_start_matches('/')).join("proc/1");
    std::fs::create_dir_all(&proc_).unwrap();
    std::fs::copy(
        fixtures().join("dpkg/debian-12/usr/bin/hostname"),
        proc_.join("exe"),
    )
    .unwrap();
    let broken = t.join("srv/broken/var/lib/dpkg");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(
        broken.join("status"),
        [0xffu8, 0xfe, 0, 1, 2, 3, b'\n', 0x80],
    )
    .unwrap();
    tmp
}

fn packages(r: &Value, root: &str) -> BTreeSet<String> {
    r["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "package" && c["root"] == root)
        .map(|c| format!("{}:{}@{}", c["ecosystem"], c["name"], c["version"]))
        .collect()
}

#[test]
fn nested_roots_list_their_own_packages() {
    let tree = host_tree();
    let r = scan_json(&["--root", tree.path().to_str().unwrap()]);
    let roots: Vec<(String, String)> = r["roots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["path"].as_str().unwrap().to_owned(),
                x["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = [
        ("/", "scanned"),
        (CHROOT, "chroot"),
        ("/srv/broken", "chroot"),
        (PODMAN, "containers-storage"),
        (DOCKER, "docker-overlay2"),
        (LXC, "lxc"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    let mut want_sorted = want.clone();
    want_sorted[1..].sort();
    assert_eq!(roots, want_sorted);

    // Each nested root lists exactly what a scan of that root alone lists.
    for (fixture, root) in [
        ("dpkg/debian-12", CHROOT),
        ("dpkg/distroless", DOCKER),
        ("apk/alpine-3.14", PODMAN),
        ("rpm/mariner-2.0", LXC),
    ] {
        let alone = scan_json(&["--root", fixtures().join(fixture).to_str().unwrap()]);
        let want = packages(&alone, "/");
        assert!(!want.is_empty(), "{fixture} lists packages");
        assert_eq!(packages(&r, root), want, "packages of {root}");
        let count = r["roots"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["path"] == root)
            .unwrap()["components"]
            .as_u64()
            .unwrap();
        assert_eq!(count, alone["summary"]["components"].as_u64().unwrap());
    }
    assert_eq!(
        packages(&r, "/"),
        packages(
            &scan_json(&[
                "--root",
                fixtures().join("dpkg/debian-12").to_str().unwrap()
            ]),
            "/"
        )
    );

    // Ids are qualified by their root, locations are paths of the scanned tree.
    let ids: Vec<&str> = r["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len());
    let chroot_zlib = format!("root:{CHROOT}!deb:zlib1g@1:1.2.13.dfsg-1");
    let z = crate::common::component(&r, &chroot_zlib);
    assert_eq!(
        z["locations"][0],
        format!("{CHROOT}/var/lib/dpkg/status").as_str()
    );
    assert_eq!(z["root"], CHROOT);
    assert_eq!(z["found_by"], "dpkg");
    assert_eq!(r["summary"]["by_root"][CHROOT], z_count(&r, CHROOT));

    // Files a nested root's packages own are not reported again; its unowned files are, in it.
    let binaries: BTreeSet<&str> = r["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "binary")
        .map(|c| c["locations"][0].as_str().unwrap())
        .collect();
    assert!(!binaries.contains(format!("{CHROOT}/usr/bin/hostname").as_str()));
    assert!(!binaries.contains(format!("{DOCKER}/usr/bin/hostname").as_str()));
    assert!(binaries.contains(format!("{CHROOT}/opt/acme/bin/acme-agent").as_str()));
    assert!(binaries.contains("/opt/acme/bin/acme-agent"));

    // The broken database is one error, and nothing else of the tree is lost.
    let errors: Vec<&str> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert!(
        errors.contains(&"/srv/broken/var/lib/dpkg/status"),
        "{errors:?}"
    );
    let pruned = format!("{CHROOT}/dev/");
    assert!(!errors.iter().any(|e| e.starts_with(&pruned)), "{errors:?}");
    assert!(!binaries
        .iter()
        .any(|b| b.starts_with(&format!("{CHROOT}/proc/"))));
}

fn z_count(r: &Value, root: &str) -> u64 {
    r["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["root"] == root && c["part_of"].is_null())
        .count() as u64
}

/// An absolute link inside a chroot means the chroot's own file, never the outer root's.
#[test]
fn links_resolve_inside_their_nested_root() {
    let tree = host_tree();
    let t = tree.path();
    let chroot = t.join(CHROOT.trim_start_matches('/'));
    // The chroot's os-release becomes an absolute link; the outer root loses its own, so the
    // chroot's os can only come from the chroot.
    std::fs::remove_file(chroot.join("etc/os-release")).unwrap();
    std::os::unix::fs::symlink("/usr/lib/os-release", chroot.join("etc/os-release")).unwrap();
    std::fs::remove_file(t.join("usr/lib/os-release")).unwrap();
    // A link to a file only the outer root has does not resolve inside the chroot.
    std::fs::write(t.join("etc/outer-only"), "x").unwrap();
    std::os::unix::fs::symlink("/etc/outer-only", chroot.join("etc/dangling")).unwrap();
    let r = scan_json(&["--root", t.to_str().unwrap()]);
    let root = |p: &str| {
        r["roots"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["path"] == p)
            .cloned()
            .unwrap()
    };
    assert_eq!(root(CHROOT)["os"], "Debian GNU/Linux 12 (bookworm)");
    assert!(root("/")["os"].is_null());
    let z = crate::common::component(&r, &format!("root:{CHROOT}!deb:zlib1g@1:1.2.13.dfsg-1"));
    assert!(z["purl"].as_str().unwrap().contains("distro=debian-12"));
    let errors: Vec<(&str, &str)> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["path"].as_str().unwrap(), e["error"].as_str().unwrap()))
        .collect();
    let dangling = format!("{CHROOT}/etc/dangling");
    assert!(
        errors
            .iter()
            .any(|(p, e)| *p == dangling && e.contains("does not resolve inside the root")),
        "{errors:?}"
    );
    assert!(!errors.iter().any(|(p, _)| p.ends_with("etc/os-release")));
}

#[test]
fn nested_roots_give_identical_bytes() {
    let tree = host_tree();
    let run = || {
        crate::common::sovscan()
            .args(["scan", "--reproducible", "-f", "json", "--root"])
            .arg(tree.path())
            .output()
            .unwrap()
            .stdout
    };
    let a = run();
    assert!(!a.is_empty());
    assert_eq!(a, run());
}

/// The root of every component reaches the other formats: a CSV column and a CycloneDX
/// property, which `--input` reads back.
#[test]
fn roots_in_csv_and_cyclonedx() {
    let tree = host_tree();
    let out = |fmt: &str| {
        let o = crate::common::sovscan()
            .args(["scan", "--reproducible", "-f", fmt, "--root"])
            .arg(tree.path())
            .output()
            .unwrap();
        assert!(o.status.success());
        String::from_utf8(o.stdout).unwrap()
    };
    for fmt in ["table", "markdown", "html"] {
        let text = out(fmt);
        assert!(text.contains(CHROOT), "{fmt} names the nested root");
        assert!(
            text.contains("docker-overlay2") || fmt == "html",
            "{fmt} names the root kinds"
        );
    }
    let csv = out("csv");
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "root").unwrap();
    assert!(csv.lines().skip(1).any(|l| {
        l.starts_with(&format!("root:{CHROOT}!deb:zlib1g")) && l.split(',').nth(col) == Some(CHROOT)
    }));
    let cdx: Value = serde_json::from_str(&out("cyclonedx")).unwrap();
    let z = cdx["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["bom-ref"]
                .as_str()
                .unwrap_or("")
                .contains(&format!("{CHROOT}!deb:zlib1g"))
        })
        .expect("chroot zlib in the SBOM");
    assert!(z["properties"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "sovscan:root" && p["value"] == CHROOT));
    let sbom = tree.path().join("sbom.cdx.json");
    std::fs::write(&sbom, out("cyclonedx")).unwrap();
    let back = scan_json(&["--input", sbom.to_str().unwrap()]);
    let z = back["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["root"] == CHROOT)
        .expect("the root loads back");
    assert_eq!(z["root"], CHROOT);
}
