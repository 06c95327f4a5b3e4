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
    let partial = at("/c/Cargo.lock");
    assert!(
        partial > n / 3 && partial < n,
        "{partial} of {n} read from a half lock"
    );
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

/// A binary built with `cargo auditable build` lists the crates compiled into it.
#[test]
fn auditable_binary() {
    let root = crate::common::fixtures().join("cargo-auditable/bin");
    let r = scan_json(&["--root", root.to_str().unwrap()]);
    assert_eq!(
        cargo_ids(&r),
        vec!["cargo:hello-auditable@0.1.0", "cargo:itoa@1.0.11"]
    );
    let itoa = component(&r, "cargo:itoa@1.0.11");
    assert_eq!(itoa["purl"], "pkg:cargo/itoa@1.0.11");
    assert_eq!(itoa["locations"][0], "/usr/local/bin/hello-auditable");
    let rels = r["relationships"].as_array().unwrap();
    assert!(rels
        .iter()
        .any(|e| e["from"] == "cargo:hello-auditable@0.1.0" && e["to"] == "cargo:itoa@1.0.11"));
    assert!(rels
        .iter()
        .any(|e| e["from"] == "elf:/usr/local/bin/hello-auditable" && e["kind"] == "contains"));

    // The same binary with its compressed section damaged (made here): an error, no crash.
    let mut bytes = std::fs::read(root.join("usr/local/bin/hello-auditable")).unwrap();
    let marker = b".dep-v0";
    assert!(bytes.windows(marker.len()).any(|w| w == marker));
    let tmp = tempfile::tempdir().unwrap();
    // Find the zlib header (0x78) of the section by parsing with goblin.
    let elf = goblin::elf::Elf::parse(&bytes).unwrap();
    let sh = elf
        .section_headers
        .iter()
        .find(|s| elf.shdr_strtab.get_at(s.sh_name) == Some(".dep-v0"))
        .unwrap();
    let (off, len) = (sh.sh_offset as usize, sh.sh_size as usize);
    for b in &mut bytes[off + 2..off + len] {
        *b ^= 0xa5;
    }
    std::fs::write(tmp.path().join("damaged"), &bytes).unwrap();
    let r = scan_json(&["--root", tmp.path().to_str().unwrap()]);
    assert!(cargo_ids(&r).is_empty());
    assert!(r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["error"].as_str().unwrap().contains("cargo-auditable")));
}
