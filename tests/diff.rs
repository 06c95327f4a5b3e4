//! `sovscan diff`: two scans of a Debian root before and after installing, removing and
//! upgrading packages list exactly those changes.

use crate::common::{fixtures, sovscan};
use crate::reports::rules;
use serde_json::Value;
use std::path::Path;

/// Copy a fixture tree, keeping symlinks as symlinks.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let (src, dst) = (e.path(), to.join(e.file_name()));
        let ft = e.file_type().unwrap();
        if ft.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src).unwrap(), &dst).unwrap();
        } else if ft.is_dir() {
            copy_tree(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

fn stanzas(status: &str) -> Vec<String> {
    status
        .split("\n\n")
        .map(|s| s.trim_matches('\n').to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Scan a root to a JSON report file.
fn scan_to(root: &Path, out: &Path) {
    let o = sovscan()
        .args([
            "scan",
            "--reproducible",
            "-f",
            "json",
            "--home",
            "DE",
            "--rules",
            &rules(),
            "--root",
        ])
        .arg(root)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Before: the Debian fixture. After: `hostname` removed (stanza, file list and files),
/// `zlib1g` upgraded, `huawei-agent` installed. Both scanned, then diffed.
fn before_after(tmp: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (a, b) = (tmp.join("before"), tmp.join("after"));
    copy_tree(&fixtures().join("dpkg/debian-12"), &a);
    copy_tree(&fixtures().join("dpkg/debian-12"), &b);
    let status_path = b.join("var/lib/dpkg/status");
    let status = std::fs::read_to_string(&status_path).unwrap();
    let mut out: Vec<String> = Vec::new();
    for st in stanzas(&status) {
        if st.starts_with("Package: hostname\n") {
            continue;
        }
        if st.starts_with("Package: zlib1g\n") {
            out.push(st.replace("Version: 1:1.2.13.dfsg-1", "Version: 1:1.3.dfsg-3.1"));
            continue;
        }
        out.push(st);
    }
    out.push(
        "Package: huawei-agent\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0\n\
Maintainer: Huawei Technologies Co., Ltd. <support@huawei.com>\nHomepage: https://www.huawei.com/\nDescription: monitoring agent"
            .to_owned(),
    );
    std::fs::write(&status_path, out.join("\n\n") + "\n").unwrap();
    // dpkg --remove deletes the package's files and its list.
    let list = std::fs::read_to_string(b.join("var/lib/dpkg/info/hostname.list")).unwrap();
    for f in list.lines() {
        let p = b.join(f.trim_start_matches('/'));
        // Directories (and the merged-/usr directory symlinks) are shared: only files go.
        if std::fs::metadata(&p).is_ok_and(|m| m.is_file()) {
            std::fs::remove_file(&p).unwrap();
        }
    }
    std::fs::remove_file(b.join("var/lib/dpkg/info/hostname.list")).unwrap();
    let (ra, rb) = (tmp.join("q3.json"), tmp.join("q4.json"));
    scan_to(&a, &ra);
    scan_to(&b, &rb);
    (ra, rb)
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn diff_of_install_remove_upgrade_lists_exactly_those() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = before_after(tmp.path());
    let out = sovscan()
        .arg("diff")
        .arg(&a)
        .arg(&b)
        .args(["-f", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ids(&d["added"]), ["deb:huawei-agent@1.0"]);
    assert_eq!(ids(&d["removed"]), ["deb:hostname@3.23+nmu1"]);
    let changed = d["changed"].as_array().unwrap();
    assert_eq!(changed.len(), 1, "{changed:#?}");
    assert_eq!(changed[0]["before"]["id"], "deb:zlib1g@1:1.2.13.dfsg-1");
    assert_eq!(changed[0]["after"]["id"], "deb:zlib1g@1:1.3.dfsg-3.1");
    assert_eq!(changed[0]["fields"], serde_json::json!(["version"]));
    let s = &d["summary"];
    assert_eq!(
        s["newly_foreign"],
        serde_json::json!(["deb:huawei-agent@1.0"])
    );
    assert_eq!(s["newly_unknown"], serde_json::json!([]));
    assert_eq!(
        (
            s["components_before"].as_u64(),
            s["components_after"].as_u64()
        ),
        (Some(8), Some(8))
    );
    let foreign = s["by_origin"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["key"] == "foreign")
        .unwrap();
    assert_eq!(
        (
            foreign["before"].as_u64(),
            foreign["after"].as_u64(),
            foreign["delta"].as_i64()
        ),
        (Some(0), Some(1), Some(1))
    );
    assert_eq!(foreign["share_after"], 0.125);
    let cn = s["by_country"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["key"] == "CN")
        .unwrap();
    assert_eq!(cn["delta"], 1);

    // Exit codes with --fail-on.
    sovscan()
        .arg("diff")
        .arg(&a)
        .arg(&b)
        .args(["--fail-on", "new-foreign"])
        .assert()
        .code(1);
    sovscan()
        .arg("diff")
        .arg(&a)
        .arg(&b)
        .args(["--fail-on", "new-unknown"])
        .assert()
        .code(0);
    sovscan()
        .arg("diff")
        .arg(&a)
        .arg(&a)
        .args(["--fail-on", "any"])
        .assert()
        .code(0);
    sovscan()
        .arg("diff")
        .arg(&b)
        .arg(&a)
        .args(["--fail-on", "any"])
        .assert()
        .code(1);

    // The other formats say the same.
    for f in ["table", "markdown", "html"] {
        let out = sovscan()
            .arg("diff")
            .arg(&a)
            .arg(&b)
            .args(["-f", f])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("1 added, 1 removed, 1 changed; 1 newly foreign"),
            "{f}: {text}"
        );
        assert!(text.contains("huawei-agent"), "{f}");
        assert!(
            text.contains("1:1.2.13.dfsg-1 → 1:1.3.dfsg-3.1"),
            "{f}: {text}"
        );
    }
}

#[test]
fn diff_is_order_tolerant_and_refuses_other_schemas() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, _) = before_after(tmp.path());
    let mut r: Value = serde_json::from_str(&std::fs::read_to_string(&a).unwrap()).unwrap();
    r["components"].as_array_mut().unwrap().reverse();
    let shuffled = tmp.path().join("shuffled.json");
    std::fs::write(&shuffled, serde_json::to_string(&r).unwrap()).unwrap();
    sovscan()
        .arg("diff")
        .arg(&a)
        .arg(&shuffled)
        .args(["--fail-on", "any"])
        .assert()
        .code(0);
    r["schema"] = "sovscan-report/9".into();
    let other = tmp.path().join("other.json");
    std::fs::write(&other, serde_json::to_string(&r).unwrap()).unwrap();
    sovscan()
        .arg("diff")
        .arg(&a)
        .arg(&other)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "schema `sovscan-report/9` is not supported",
        ));
}
