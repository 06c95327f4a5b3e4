//! `sovscan merge`: host reports into one fleet report, then `plan` and `diff` on it.

use crate::common::{component, fixtures, sovscan};
use crate::reports::{hostile_root, rules};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

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

fn merge(files: &[PathBuf]) -> Value {
    let out = sovscan().arg("merge").args(files).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn merges_hosts_with_counts_and_summaries() {
    let tmp = tempfile::tempdir().unwrap();
    // Host 1: the Debian fixture (build-07). Host 2: a root with foreign packages and no
    // hostname (named after its report file). Host 3: build-07 again (a duplicate).
    let h1 = tmp.path().join("build-07.json");
    scan_to(&fixtures().join("dpkg/debian-12"), &h1);
    hostile_root(&tmp.path().join("edge"));
    let h2 = tmp.path().join("edge-01.json");
    scan_to(&tmp.path().join("edge"), &h2);
    let dup = tmp.path().join("again.json");
    std::fs::copy(&h1, &dup).unwrap();
    let m = merge(&[h1.clone(), h2.clone(), dup]);
    assert_eq!(m["schema"], "sovscan-report/1");
    assert_eq!(m["scan"]["home"], "DE");
    let hosts: Vec<&str> = m["fleet"]["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["host"].as_str().unwrap())
        .collect();
    assert_eq!(hosts, ["build-07", "edge-01"]);
    assert_eq!(m["fleet"]["hosts"][0]["components"], 8);
    assert_eq!(m["fleet"]["hosts"][1]["by_origin"], json!({"foreign": 2}));
    assert_eq!(m["summary"]["components"], 10);
    let z = component(&m, "deb:zlib1g@1:1.2.13.dfsg-1");
    assert_eq!(z["properties"]["fleet-hosts"], "1");
    assert_eq!(z["properties"]["fleet-host-list"], "build-07");
    let errs = m["errors"].as_array().unwrap();
    assert!(
        errs.iter().any(|e| e["error"]
            .as_str()
            .unwrap()
            .contains("host `build-07` was already merged")),
        "{errs:#?}"
    );

    // The fleet report is a report: plan and diff read it.
    let fleet = tmp.path().join("fleet.json");
    std::fs::write(&fleet, serde_json::to_string(&m).unwrap()).unwrap();
    let out = sovscan()
        .arg("plan")
        .arg(&fleet)
        .args(["--rules", &rules(), "-f", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["items"][0]["vendor"], "huawei");
    assert_eq!(plan["items"][0]["hosts"], json!(["edge-01"]));
    sovscan()
        .arg("diff")
        .arg(&fleet)
        .arg(&fleet)
        .args(["--fail-on", "any"])
        .assert()
        .code(0);
}

#[test]
fn merges_two_thousand_reports_with_exact_host_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let base: Value = {
        let p = tmp.path().join("base.json");
        scan_to(&fixtures().join("dpkg/debian-12"), &p);
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
    };
    // Synthesised: 2,000 host reports, each with the fixture's 8 components plus one of 50
    // host-specific packages; host i also lacks zlib1g when i is a multiple of 4.
    let mut files = Vec::new();
    for i in 0..2000 {
        let mut r = base.clone();
        r["scan"]["host"] = json!(format!("node-{i:04}"));
        let comps = r["components"].as_array_mut().unwrap();
        if i % 4 == 0 {
            comps.retain(|c| c["name"] != "zlib1g");
        }
        let mut extra = comps[0].clone();
        extra["id"] = json!(format!("deb:tool-{}@1.0", i % 50));
        extra["name"] = json!(format!("tool-{}", i % 50));
        comps.push(extra);
        let p = tmp.path().join(format!("node-{i:04}.json"));
        std::fs::write(&p, serde_json::to_vec(&r).unwrap()).unwrap();
        files.push(p);
    }
    let out = tmp.path().join("fleet.json");
    sovscan()
        .arg("merge")
        .args(&files)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let m: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(m["fleet"]["hosts"].as_array().unwrap().len(), 2000);
    assert_eq!(m["summary"]["components"], 8 + 50);
    assert_eq!(
        component(&m, "deb:zlib1g@1:1.2.13.dfsg-1")["properties"]["fleet-hosts"],
        "1500"
    );
    assert_eq!(
        component(&m, "deb:base-files@12.4+deb12u11")["properties"]["fleet-hosts"],
        "2000"
    );
    assert_eq!(
        component(&m, "deb:tool-7@1.0")["properties"]["fleet-hosts"],
        "40"
    );
    let list = component(&m, "deb:base-files@12.4+deb12u11")["properties"]["fleet-host-list"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(list.split(',').count(), 100);
}

#[test]
fn refuses_reports_with_different_homes() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a.json");
    scan_to(&fixtures().join("dpkg/debian-12"), &a);
    let mut r: Value = serde_json::from_str(&std::fs::read_to_string(&a).unwrap()).unwrap();
    r["scan"]["home"] = json!("CN");
    r["scan"]["host"] = json!("other");
    let b = tmp.path().join("b.json");
    std::fs::write(&b, serde_json::to_string(&r).unwrap()).unwrap();
    sovscan()
        .arg("merge")
        .arg(&a)
        .arg(&b)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("different homes"));
}
