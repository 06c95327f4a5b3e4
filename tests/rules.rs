//! `sovscan rules`: every bad rule fixture gives its diagnostic at the right file:line:column
//! (snapshot-tested), a good user rule directory lints clean and attributes, and the built-in
//! database lints clean.

use crate::common::{fixtures, sovscan};

fn lint(dir: &std::path::Path) -> (i32, String) {
    let out = sovscan()
        .args(["rules", "lint", "--rules"])
        .arg(dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let prefix = dir.display().to_string();
    // Only the fixture's own diagnostics: the built-in database must be clean anyway.
    let lines: Vec<String> = stderr
        .lines()
        .filter(|l| l.starts_with(&prefix))
        .map(|l| l.replace(&prefix, "<DIR>"))
        .collect();
    (out.status.code().unwrap_or(-1), lines.join("\n"))
}

#[test]
fn bad_rule_files_are_reported_with_positions() {
    let root = fixtures().join("rules");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("bad-"))
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 12);
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let (code, text) = lint(&dir);
        assert_eq!(code, 1, "{name} should fail lint:\n{text}");
        assert!(!text.is_empty(), "{name} produced no diagnostic of its own");
        // Every code printed is documented.
        for line in text.lines() {
            let c = line
                .split("[")
                .nth(1)
                .and_then(|r| r.split(']').next())
                .unwrap();
            assert!(sovscan::diag::explain(c).is_some(), "undocumented code {c}");
        }
        insta::assert_snapshot!(name, text);
    }
}

#[test]
fn builtin_database_lints_clean() {
    let out = sovscan().args(["rules", "lint"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("error["), "{stderr}");
    let test = sovscan().args(["rules", "test"]).output().unwrap();
    assert!(
        test.status.success(),
        "{}",
        String::from_utf8_lossy(&test.stdout)
    );
}

#[test]
fn own_supplier_directory_attributes() {
    let dir = fixtures().join("rules/good-own-supplier");
    let (code, text) = lint(&dir);
    assert_eq!(code, 0, "{text}");
    let out = sovscan()
        .args(["rules", "show", "acme-widgets", "-f", "json", "--rules"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["country"], "GB");
    let list = sovscan()
        .args(["rules", "list", "--country", "GB", "-f", "json", "--rules"])
        .arg(&dir)
        .output()
        .unwrap();
    let l: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert!(l
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["id"] == "acme-widgets"));
}

#[test]
fn explain_knows_every_code() {
    for (code, _) in sovscan::diag::CODES {
        sovscan()
            .args(["rules", "explain", code])
            .assert()
            .success();
    }
    sovscan()
        .args(["rules", "explain", "no-such-code"])
        .assert()
        .code(2);
}

/// The database must not silently shrink below what issue #3 set out.
#[test]
fn database_sizes_do_not_shrink() {
    let (db, _) = sovscan::rules::load(&[]).unwrap();
    assert!(db.vendors.len() >= 1000, "{} vendors", db.vendors.len());
    assert!(db.products.len() >= 150, "{} products", db.products.len());
    assert!(db.vendors.values().all(|v| !v.raw.sources.is_empty()));
    for list in [
        "us-fcc-covered",
        "us-ndaa-889",
        "cn-mofcom-unreliable-entity",
    ] {
        assert!(db.lists.contains_key(list), "entity list {list} missing");
    }
    for region in ["EU", "EEA", "FIVE-EYES"] {
        assert!(db.regions.contains_key(region), "region {region} missing");
    }
    // Ownership chains the issue names.
    for (child, owner) in [
        ("hisilicon", "huawei"),
        ("red-hat", "ibm"),
        ("vmware", "broadcom"),
        ("mellanox", "nvidia"),
        ("xilinx", "amd"),
        ("arm", "softbank"),
    ] {
        let got = db.ultimate_owner(child).map(|v| v.raw.id.as_str());
        assert_eq!(got, Some(owner), "{child}");
    }
}
