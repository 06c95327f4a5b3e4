//! `sovscan scan` on the Debian fixture root.

use crate::common::{component, fixtures, scan_json, sovscan};

fn debian_root() -> String {
    fixtures().join("dpkg/debian-12").display().to_string()
}

#[test]
fn lists_installed_packages_with_purls() {
    let r = scan_json(&["--root", &debian_root()]);
    assert_eq!(r["schema"], "sovscan-report/1");
    let ids: Vec<&str> = r["components"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    for id in [
        "deb:base-files@12.4+deb12u11",
        "deb:debianutils@5.7-0.5~deb12u1",
        "deb:hostname@3.23+nmu1",
        "deb:libacl1@2.3.1-3",
        "deb:libattr1@1:2.5.1-4",
        "deb:zlib1g@1:1.2.13.dfsg-1",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    let z = component(&r, "deb:zlib1g@1:1.2.13.dfsg-1");
    assert_eq!(z["purl"], "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12&upstream=zlib");
    assert_eq!(z["locations"][0], "/var/lib/dpkg/status");
    assert_eq!(r["scan"]["host"], "build-07");
}

#[test]
fn owned_binaries_are_not_reported_again_and_paths_are_root_relative() {
    let r = scan_json(&["--root", &debian_root()]);
    let binaries: Vec<&str> = r["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "binary")
        .map(|c| c["locations"][0].as_str().unwrap())
        .collect();
    // /bin/hostname is listed by dpkg; /bin is a symlink to usr/bin: still owned.
    assert_eq!(binaries, vec!["/opt/acme/bin/acme-agent", "/opt/acme/lib/libcap.so.2.66"]);
    let lib = component(&r, "elf:/opt/acme/lib/libcap.so.2.66");
    let ev = lib["evidence"].as_array().unwrap();
    assert!(ev.iter().any(|e| e["kind"] == "soname" && e["value"] == "libcap.so.2"));
    assert!(ev.iter().any(|e| e["kind"] == "build-id"));
    let text = serde_json::to_string(&r).unwrap();
    assert!(!text.contains(&debian_root()), "host paths leaked into the report");
}

#[test]
fn same_input_gives_identical_bytes() {
    let run = || sovscan().args(["scan", "--reproducible", "-f", "json", "--root", &debian_root()]).output().unwrap().stdout;
    let (a, b) = (run(), run());
    assert!(!a.is_empty());
    assert_eq!(a, b);
    let c = sovscan().args(["scan", "--reproducible", "-f", "json", "-j", "1", "--root", &debian_root()]).output().unwrap().stdout;
    assert_eq!(a, c, "thread count changed the report");
}

#[test]
fn path_arguments_limit_the_walk_but_keep_ownership() {
    let r = scan_json(&["--root", &debian_root(), "/usr/bin", "/opt"]);
    let comps = r["components"].as_array().unwrap();
    assert!(comps.iter().all(|c| c["kind"] == "binary"), "packages reported outside the walked paths");
    assert_eq!(comps.len(), 2, "owned /usr/bin files must not become binaries");
}

#[test]
fn bad_usage_exits_2() {
    sovscan().args(["scan", "--root", "/nonexistent-root-for-test"]).assert().code(2);
    sovscan().args(["scan", "--home", "XX", "--root", &debian_root()]).assert().code(2);
    sovscan().args(["scan", "--bogus"]).assert().code(2);
}
