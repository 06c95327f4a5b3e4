//! `sovscan scan` on the Debian fixture root.

use crate::common::{component, fixtures, scan_json, sovscan};

fn debian_root() -> String {
    fixtures().join("dpkg/debian-12").display().to_string()
}

#[test]
fn lists_installed_packages_with_purls() {
    let r = scan_json(&["--root", &debian_root()]);
    assert_eq!(r["schema"], "sovscan-report/1");
    let ids: Vec<&str> = r["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
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
    assert_eq!(
        z["purl"],
        "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12&upstream=zlib"
    );
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
    assert_eq!(
        binaries,
        vec!["/opt/acme/bin/acme-agent", "/opt/acme/lib/libcap.so.2.66"]
    );
    let lib = component(&r, "elf:/opt/acme/lib/libcap.so.2.66");
    let ev = lib["evidence"].as_array().unwrap();
    assert!(ev
        .iter()
        .any(|e| e["kind"] == "soname" && e["value"] == "libcap.so.2"));
    assert!(ev.iter().any(|e| e["kind"] == "build-id"));
    let text = serde_json::to_string(&r).unwrap();
    assert!(
        !text.contains(&debian_root()),
        "host paths leaked into the report"
    );
}

#[test]
fn same_input_gives_identical_bytes() {
    let run = || {
        sovscan()
            .args([
                "scan",
                "--reproducible",
                "-f",
                "json",
                "--root",
                &debian_root(),
            ])
            .output()
            .unwrap()
            .stdout
    };
    let (a, b) = (run(), run());
    assert!(!a.is_empty());
    assert_eq!(a, b);
    let c = sovscan()
        .args([
            "scan",
            "--reproducible",
            "-f",
            "json",
            "-j",
            "1",
            "--root",
            &debian_root(),
        ])
        .output()
        .unwrap()
        .stdout;
    assert_eq!(a, c, "thread count changed the report");
}

#[test]
fn path_arguments_limit_the_walk_but_keep_ownership() {
    let r = scan_json(&["--root", &debian_root(), "/usr/bin", "/opt"]);
    let comps = r["components"].as_array().unwrap();
    assert!(
        comps.iter().all(|c| c["kind"] == "binary"),
        "packages reported outside the walked paths"
    );
    assert_eq!(
        comps.len(),
        2,
        "owned /usr/bin files must not become binaries"
    );
}

#[test]
fn bad_usage_exits_2() {
    sovscan()
        .args(["scan", "--root", "/nonexistent-root-for-test"])
        .assert()
        .code(2);
    sovscan()
        .args(["scan", "--home", "XX", "--root", &debian_root()])
        .assert()
        .code(2);
    sovscan().args(["scan", "--bogus"]).assert().code(2);
}

#[test]
fn distroless_status_d_packages_own_their_files() {
    let root = fixtures().join("dpkg/distroless").display().to_string();
    let r = scan_json(&["--root", &root]);
    let ids: Vec<&str> = r["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec!["deb:hostname@3.23+nmu1", "deb:netbase@6.4"],
        "{ids:?}"
    );
    let h = component(&r, "deb:hostname@3.23+nmu1");
    assert_eq!(h["locations"][0], "/var/lib/dpkg/status.d/hostname");
    assert_eq!(
        h["purl"],
        "pkg:deb/debian/hostname@3.23%2Bnmu1?arch=amd64&distro=debian-12"
    );
}

#[test]
fn attributes_with_the_builtin_rules_and_home() {
    let r = scan_json(&["--root", &debian_root(), "--home", "CN"]);
    let z = component(&r, "deb:zlib1g@1:1.2.13.dfsg-1");
    assert_eq!(z["vendor"]["id"], "zlib", "{z:#}");
    assert_eq!(z["origin"], "international");
    assert_eq!(z["supplier"]["id"], "debian");
    assert!(z["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["rule"].as_str().is_some_and(|r| r.contains(":zlib"))));
    assert_eq!(r["summary"]["components"], 8);
    let unknown = r["summary"]["by_origin"]["unknown"].as_u64().unwrap_or(0);
    // debianutils and hostname (Debian's own, but not provably so from their metadata) and the
    // unowned acme-agent stay unknown rather than guessed.
    assert!(unknown <= 4, "too many unknown: {}", r["summary"]);
}

/// Every component names the collector that found it, and every evidence kind a collector
/// emits on the fixture roots is one it declares (the README's collector table shows the
/// declarations).
#[test]
fn found_by_names_a_collector_whose_declaration_covers_its_evidence() {
    use std::collections::BTreeMap;
    let declared: BTreeMap<&str, Vec<&str>> = sovscan::collectors::ALL
        .iter()
        .map(|c| (c.id(), c.emits().iter().map(|k| k.as_str()).collect()))
        .collect();
    let mut checked = 0;
    for root in [
        "dpkg/debian-12",
        "dpkg/distroless",
        "rpm/mariner-2.0",
        "rpm/sle-15",
        "apk/alpine-3.14",
        "python/venv",
        "python/win-wheel",
        "npm/installed",
        "java/debian",
        "gem/debian",
        "dotnet/app",
        "composer/app",
        "snap/host",
        "cargo-auditable/bin",
        "pe",
        "macho",
        "windows",
        "linux-firmware",
        "bootrom",
        "firmware",
        "firmware-blobs",
        "hardware/desktop-z690",
    ] {
        let path = fixtures().join(root);
        if !path.exists() {
            panic!("fixture root {root} is missing");
        }
        let r = scan_json(&["--root", path.to_str().unwrap(), "--hardware", "--deep"]);
        let all = r["components"].as_array().unwrap();
        // Evidence a package took over from the binaries read inside it was emitted there.
        let from_part = |c: &serde_json::Value, at: &str| {
            all.iter().any(|p| {
                p["part_of"] == c["id"]
                    && p["locations"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|l| at.starts_with(l.as_str().unwrap()))
            })
        };
        for c in all {
            let by = c["found_by"]
                .as_str()
                .unwrap_or_else(|| panic!("{} has no found_by", c["id"]));
            let kinds = declared
                .get(by)
                .unwrap_or_else(|| panic!("found_by {by} is not a collector"));
            for e in c["evidence"].as_array().unwrap() {
                let k = e["kind"].as_str().unwrap();
                let at = e["at"].as_str().unwrap();
                assert!(
                    kinds.contains(&k) || from_part(c, at),
                    "{by} emitted {k} on {}",
                    c["id"]
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "only {checked} evidence entries checked");
}
