//! Go: build info of a real Go executable and a go.mod.

use crate::common::{component, fixtures, scan_json};
use serde_json::Value;
use std::io::Read;

fn go_ids(r: &Value) -> Vec<String> {
    let mut v: Vec<String> = r["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ecosystem"] == "golang")
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

fn unpacked_binary() -> (tempfile::TempDir, Vec<u8>) {
    let gz = std::fs::read(fixtures().join("golang/binary/hello.gz")).unwrap();
    let mut bin = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut bin)
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("usr/local/bin")).unwrap();
    std::fs::write(tmp.path().join("usr/local/bin/hello"), &bin).unwrap();
    (tmp, bin)
}

/// `go version -m hello`: go1.19.8, mod example.org/hello (devel), dep
/// github.com/google/uuid v1.3.0 (Go ≥ 1.18 inline build info).
#[test]
fn go_binary_build_info() {
    let (tmp, _) = unpacked_binary();
    let r = scan_json(&["--root", tmp.path().to_str().unwrap()]);
    assert_eq!(
        go_ids(&r),
        vec![
            "golang:example.org/hello",
            "golang:github.com/google/uuid@v1.3.0"
        ]
    );
    let uuid = component(&r, "golang:github.com/google/uuid@v1.3.0");
    assert_eq!(uuid["purl"], "pkg:golang/github.com/google/uuid@v1.3.0");
    assert!(uuid["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "go-module" && e["value"] == "github.com/google/uuid"));
    let main = component(&r, "golang:example.org/hello");
    assert_eq!(main["properties"]["go-version"], "go1.19.8");
    let rels = r["relationships"].as_array().unwrap();
    assert!(rels.iter().any(|e| e["from"] == "golang:example.org/hello"
        && e["to"] == "golang:github.com/google/uuid@v1.3.0"));
    assert!(rels
        .iter()
        .any(|e| e["from"] == "elf:/usr/local/bin/hello" && e["kind"] == "contains"));
}

/// No toolchain overclaim: the Go executable is not attributed to the maker of a module it was
/// built from (github.com/google/uuid is Google's, the binary is not), even with `--deep`; its
/// modules are parts of it, linked by `contains`, and the summary counts the binary once.
#[test]
fn regression_11_modules_are_parts_of_the_binary_never_its_vendor() {
    let (tmp, _) = unpacked_binary();
    let r = scan_json(&[
        "--root",
        tmp.path().to_str().unwrap(),
        "--deep",
        "--home",
        "CN",
    ]);
    let bin = component(&r, "elf:/usr/local/bin/hello");
    assert!(
        bin["vendor"].is_null(),
        "binary attributed: {}",
        bin["vendor"]
    );
    assert_eq!(bin["origin"], "unknown");
    let uuid = component(&r, "golang:github.com/google/uuid@v1.3.0");
    assert_eq!(uuid["vendor"]["id"], "google");
    assert_eq!(uuid["part_of"], "elf:/usr/local/bin/hello");
    assert_eq!(
        component(&r, "golang:example.org/hello")["part_of"],
        "elf:/usr/local/bin/hello"
    );
    assert_eq!(r["summary"]["components"], 1);
    assert_eq!(r["summary"]["by_origin"]["unknown"], 1);
    assert!(r["summary"]["by_origin"].get("foreign").is_none());
}

/// The executable with its build-info strings cut short (made here): an error, no crash.
#[test]
fn damaged_build_info() {
    let (tmp, mut bin) = unpacked_binary();
    let magic = b"\xff Go buildinf:";
    let at = bin.windows(magic.len()).position(|w| w == magic).unwrap();
    // Claim a 1 GiB version string.
    bin[at + 32..at + 37].copy_from_slice(&[0x80, 0x80, 0x80, 0x80, 0x04]);
    std::fs::write(tmp.path().join("usr/local/bin/hello"), &bin).unwrap();
    let r = scan_json(&["--root", tmp.path().to_str().unwrap()]);
    assert!(go_ids(&r).is_empty());
    assert!(r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["error"].as_str().unwrap().starts_with("Go build info")));
}

#[test]
fn go_mod() {
    let r = scan_json(&["--root", fixtures().join("golang/module").to_str().unwrap()]);
    assert_eq!(
        go_ids(&r),
        vec![
            "golang:example.org/hello",
            "golang:github.com/google/uuid@v1.3.0"
        ]
    );
    assert_eq!(r["relationships"].as_array().unwrap().len(), 1);
}
