//! apk installed database.

use crate::common::{component, fixtures, scan_json};

#[test]
fn alpine_installed_database() {
    let r = scan_json(&[
        "--root",
        fixtures().join("apk/alpine-3.14").to_str().unwrap(),
    ]);
    let mut ids: Vec<&str> = r["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ecosystem"] == "apk")
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        vec![
            "apk:apk-tools@2.12.6-r0",
            "apk:libc-utils@0.7.2-r3",
            "apk:libcrypto1.1@1.1.1k-r0",
            "apk:libgcc@10.3.1_git20210424-r2",
            "apk:libretls@3.3.3-r2",
            "apk:libssl1.1@1.1.1k-r0",
            "apk:musl@1.2.2-r3",
            "apk:scanelf@1.3.2-r0",
            "apk:zlib@1.2.11-r3",
        ]
    );
    let c = component(&r, "apk:libssl1.1@1.1.1k-r0");
    assert_eq!(c["purl"], "pkg:apk/alpine/libssl1.1@1.1.1k-r0?arch=armv7");
    assert_eq!(c["properties"]["origin"], "openssl");
    let ev = c["evidence"].as_array().unwrap();
    let has = |k: &str, v: &str| ev.iter().any(|e| e["kind"] == k && e["value"] == v);
    assert!(has("package-name", "apk:openssl"));
    assert!(has("url", "https://www.openssl.org/"));
    assert!(has("email", "timo.teras@iki.fi"));
}

/// A damaged database (made here): readable stanzas are kept, the broken one is reported.
#[test]
fn damaged_installed_database() {
    let text =
        std::fs::read_to_string(fixtures().join("apk/alpine-3.14/lib/apk/db/installed")).unwrap();
    let damaged = text.replacen("P:zlib\n", "", 1) + "\x00\x01garbage\n";
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("lib/apk/db");
    std::fs::create_dir_all(&db).unwrap();
    std::fs::write(db.join("installed"), damaged).unwrap();
    // An owned file is not reported as a binary; an unowned one is.
    std::fs::create_dir_all(tmp.path().join("lib")).unwrap();
    std::fs::write(tmp.path().join("lib/libssl.so.1.1"), b"\x7fELF broken").unwrap();
    let r = scan_json(&["--root", tmp.path().to_str().unwrap()]);
    let n = r["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ecosystem"] == "apk")
        .count();
    assert_eq!(n, 8);
    let errs: Vec<String> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.to_string())
        .collect();
    // The stanza that lost its name, and the trailing garbage.
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(errs.iter().all(|e| e.contains("without P:")), "{errs:?}");
}
