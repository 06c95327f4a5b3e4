//! npm: an installed node_modules compared with `npm ls --all`, and lock files.

use crate::common::{component, fixtures, scan_json};
use serde_json::Value;

fn npm_ids(r: &Value) -> Vec<String> {
    let mut v: Vec<String> = r["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ecosystem"] == "npm")
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

fn edges(r: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = r["relationships"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["from"].as_str().unwrap().to_owned(),
                        e["to"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// `npm ls --all` in `fixtures/npm/installed/app` (npm 10): @sindresorhus/is@4.6.0,
/// debug@4.3.4 → ms@2.1.2, semver@7.6.0 → lru-cache@6.0.0 → yallist@4.0.0.
#[test]
fn installed_tree_matches_npm_ls() {
    let r = scan_json(&["--root", fixtures().join("npm/installed").to_str().unwrap()]);
    assert_eq!(
        npm_ids(&r),
        vec![
            "npm:@sindresorhus/is@4.6.0",
            "npm:debug@4.3.4",
            "npm:lru-cache@6.0.0",
            "npm:ms@2.1.2",
            "npm:semver@7.6.0",
            "npm:yallist@4.0.0"
        ]
    );
    // The lock file next to node_modules adds edges, not a second copy of every package.
    assert_eq!(
        edges(&r),
        vec![
            ("npm:debug@4.3.4".into(), "npm:ms@2.1.2".into()),
            ("npm:lru-cache@6.0.0".into(), "npm:yallist@4.0.0".into()),
            ("npm:semver@7.6.0".into(), "npm:lru-cache@6.0.0".into()),
        ]
    );
    let is = component(&r, "npm:@sindresorhus/is@4.6.0");
    assert_eq!(is["purl"], "pkg:npm/%40sindresorhus/is@4.6.0");
    assert_eq!(
        is["locations"][0],
        "/app/node_modules/@sindresorhus/is/package.json"
    );
    let ev = is["evidence"].as_array().unwrap();
    assert!(ev
        .iter()
        .any(|e| e["kind"] == "npm-scope" && e["value"] == "@sindresorhus"));
    assert!(
        ev.iter()
            .any(|e| e["kind"] == "email" && e["value"] == "sindresorhus@gmail.com"),
        "{ev:?}"
    );
    let debug = component(&r, "npm:debug@4.3.4");
    let ev = debug["evidence"].as_array().unwrap();
    assert!(ev
        .iter()
        .any(|e| e["kind"] == "url" && e["value"] == "git://github.com/debug-js/debug.git"));
    assert!(ev
        .iter()
        .any(|e| e["kind"] == "email" && e["value"] == "josh.junon@protonmail.com"));
}

/// The same project with only its package-lock.json (v3): same packages and edges.
#[test]
fn package_lock_alone() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixtures().join("npm/installed/app/package-lock.json"),
        tmp.path().join("package-lock.json"),
    )
    .unwrap();
    let r = scan_json(&["--root", tmp.path().to_str().unwrap()]);
    let installed = scan_json(&["--root", fixtures().join("npm/installed").to_str().unwrap()]);
    assert_eq!(npm_ids(&r), npm_ids(&installed));
    assert_eq!(edges(&r), edges(&installed));
}

#[test]
fn yarn_lock_v1() {
    let r = scan_json(&["--root", fixtures().join("npm/yarn").to_str().unwrap()]);
    assert_eq!(
        npm_ids(&r),
        vec![
            "npm:@sindresorhus/is@4.6.0",
            "npm:debug@4.4.3",
            "npm:ms@2.1.3",
            "npm:semver@7.8.6"
        ]
    );
    assert_eq!(
        edges(&r),
        vec![("npm:debug@4.4.3".into(), "npm:ms@2.1.3".into())]
    );
}

#[test]
fn pnpm_lock_v9() {
    let r = scan_json(&["--root", fixtures().join("npm/pnpm").to_str().unwrap()]);
    assert_eq!(
        npm_ids(&r),
        vec![
            "npm:@sindresorhus/is@4.6.0",
            "npm:debug@4.4.3",
            "npm:ms@2.1.3",
            "npm:semver@7.8.6"
        ]
    );
    assert_eq!(
        edges(&r),
        vec![("npm:debug@4.4.3".into(), "npm:ms@2.1.3".into())]
    );
}

/// Broken manifests and locks (made here) are errors; the rest is still read.
#[test]
fn damaged_manifests_and_locks() {
    let tmp = tempfile::tempdir().unwrap();
    let nm = tmp.path().join("app/node_modules");
    std::fs::create_dir_all(nm.join("good")).unwrap();
    std::fs::create_dir_all(nm.join("bad")).unwrap();
    std::fs::create_dir_all(nm.join("nover")).unwrap();
    std::fs::write(
        nm.join("good/package.json"),
        r#"{"name":"good","version":"1.0.0"}"#,
    )
    .unwrap();
    std::fs::write(
        nm.join("bad/package.json"),
        "{\"name\": \"bad\", \"version\": ",
    )
    .unwrap();
    std::fs::write(nm.join("nover/package.json"), r#"{"name":"nover"}"#).unwrap();
    std::fs::create_dir_all(tmp.path().join("other")).unwrap();
    std::fs::write(
        tmp.path().join("other/pnpm-lock.yaml"),
        "packages: [unclosed",
    )
    .unwrap();
    let r = scan_json(&["--root", tmp.path().to_str().unwrap()]);
    assert_eq!(npm_ids(&r), vec!["npm:good@1.0.0"]);
    let mut paths: Vec<&str> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        vec![
            "/app/node_modules/bad/package.json",
            "/app/node_modules/nover/package.json",
            "/other/pnpm-lock.yaml"
        ]
    );
}

/// An installed npm package owns its folder: a binary inside it is read as a part of the
/// package (`part_of`, `contains`), and the package, whose metadata names no maker, takes the
/// vendor its signed binaries agree on; an unsigned one gives nothing. The test lays real files
/// out as npm would (a package.json written here, Microsoft's signed DLL and a Debian ELF).
#[test]
fn binaries_inside_an_installed_package_are_its_parts() {
    let tmp = tempfile::tempdir().unwrap();
    let nm = tmp.path().join("app/node_modules");
    for (pkg, file, from) in [
        (
            "vc-runtime",
            "bin/vcruntime140.dll",
            "python/win-wheel/Scripts/vcruntime140.dll",
        ),
        (
            "@acme/tool-linux-x64",
            "bin/tool",
            "dpkg/debian-12/usr/bin/hostname",
        ),
    ] {
        let dir = nm.join(pkg);
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        std::fs::write(
            dir.join("package.json"),
            format!("{{\"name\": \"{pkg}\", \"version\": \"1.0.0\"}}"),
        )
        .unwrap();
        std::fs::copy(fixtures().join(from), dir.join(file)).unwrap();
    }
    let r = scan_json(&["--root", tmp.path().to_str().unwrap()]);
    let dll = component(&r, "pe:/app/node_modules/vc-runtime/bin/vcruntime140.dll");
    assert_eq!(dll["part_of"], "npm:vc-runtime@1.0.0");
    assert_eq!(dll["vendor"]["id"], "microsoft");
    assert_eq!(
        component(&r, "npm:vc-runtime@1.0.0")["vendor"]["id"],
        "microsoft"
    );
    let tool = component(&r, "elf:/app/node_modules/@acme/tool-linux-x64/bin/tool");
    assert_eq!(tool["part_of"], "npm:@acme/tool-linux-x64@1.0.0");
    assert!(component(&r, "npm:@acme/tool-linux-x64@1.0.0")["vendor"].is_null());
    assert!(r["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "contains" && e["from"] == "npm:vc-runtime@1.0.0"));
    assert_eq!(r["summary"]["components"], 2);
}
