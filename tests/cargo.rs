//! Cargo: this repository's own workspace compared with `cargo metadata`, the Cargo.lock
//! fallback, and a damaged lock.

use crate::common::{component, scan_json};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn cargo_ids(r: &Value) -> Vec<String> {
    let mut v: Vec<String> = r["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ecosystem"] == "cargo")
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every package `cargo metadata` lists, with the same versions (when cargo can run offline
/// here); otherwise every `[[package]]` of the lock, and the report says why.
#[test]
fn workspace_matches_cargo_metadata() {
    let r = scan_json(&["--root", repo().to_str().unwrap(), "/Cargo.lock"]);
    let ids = cargo_ids(&r);
    let md = Command::new("cargo")
        .args(["metadata", "--format-version", "1", "--offline", "--locked"])
        .current_dir(repo())
        .output()
        .ok()
        .filter(|o| o.status.success());
    match md {
        Some(o) => {
            let m: Value = serde_json::from_slice(&o.stdout).unwrap();
            let mut expected: Vec<String> = m["packages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    format!(
                        "cargo:{}@{}",
                        p["name"].as_str().unwrap(),
                        p["version"].as_str().unwrap()
                    )
                })
                .collect();
            expected.sort();
            assert_eq!(ids, expected);
            let me = component(&r, &format!("cargo:sovscan@{}", env!("CARGO_PKG_VERSION")));
            assert_eq!(me["properties"]["cargo-source"], "cargo metadata");
        }
        None => {
            let lock = std::fs::read_to_string(repo().join("Cargo.lock")).unwrap();
            assert_eq!(ids.len(), lock.matches("[[package]]").count());
            assert!(r["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["path"] == "/Cargo.toml"));
        }
    }
    let sqlite = r["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "rusqlite")
        .unwrap();
    assert_eq!(
        sqlite["purl"],
        format!("pkg:cargo/rusqlite@{}", sqlite["version"].as_str().unwrap())
    );
    let rels = r["relationships"].as_array().unwrap();
    assert!(rels.iter().any(|e| e["from"] == sqlite["id"]
        && e["to"]
            .as_str()
            .unwrap()
            .starts_with("cargo:libsqlite3-sys@")));
}

/// A lock file without a manifest, and a lock next to a manifest cargo cannot read (made
/// here): the lock is used and the fallback is reported.
#[test]
fn lock_fallback_and_damaged_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let lock = std::fs::read_to_string(repo().join("Cargo.lock")).unwrap();
    let n = lock.matches("[[package]]").count();
    std::fs::create_dir_all(tmp.path().join("a")).unwrap();
    std::fs::write(tmp.path().join("a/Cargo.lock"), &lock).unwrap();
    std::fs::create_dir_all(tmp.path().join("b")).unwrap();
    std::fs::write(
        tmp.path().join("b/Cargo.lock"),
        "[[package]]\nname = \"x\"\nversion = \"1.0.0\"\n",
    )
    .unwrap();
    std::fs::write(tmp.path().join("b/Cargo.toml"), "[package]\nname = ").unwrap();
    std::fs::create_dir_all(tmp.path().join("c")).unwrap();
    std::fs::write(tmp.path().join("c/Cargo.lock"), &lock[..lock.len() / 2]).unwrap();
    let r = scan_json(&["--root", tmp.path().to_str().unwrap()]);
    let at = |p: &str| {
        r["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["locations"][0] == p)
            .count()
    };
    assert_eq!(at("/a/Cargo.lock"), n);
    assert_eq!(at("/b/Cargo.lock"), 1);
    assert_eq!(at("/c/Cargo.lock"), 0);
    let x = component(&r, "cargo:x@1.0.0");
    assert_eq!(x["properties"]["cargo-source"], "Cargo.lock");
    let mut errs: Vec<&str> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    errs.sort();
    assert_eq!(errs, vec!["/b/Cargo.toml", "/c/Cargo.lock"]);
}
