//! Python distributions: dist-info, egg-info, RECORD ownership, and a real virtualenv compared
//! with `pip list`.

use crate::common::{component, fixtures, scan_json};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn pypi(r: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = r["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ecosystem"] == "pypi")
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_lowercase(),
                c["version"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn wheel_metadata_and_evidence() {
    let r = scan_json(&["--root", fixtures().join("python/venv").to_str().unwrap()]);
    assert_eq!(
        pypi(&r),
        vec![
            ("idna".into(), "3.7".into()),
            ("six".into(), "1.16.0".into())
        ]
    );
    let six = component(&r, "pypi:six@1.16.0");
    assert_eq!(six["purl"], "pkg:pypi/six@1.16.0");
    let ev = six["evidence"].as_array().unwrap();
    let has = |k: &str, v: &str| ev.iter().any(|e| e["kind"] == k && e["value"] == v);
    assert!(has("email", "benjamin@python.org"), "{ev:?}");
    assert!(has("url", "https://github.com/benjaminp/six"), "{ev:?}");
    let idna = component(&r, "pypi:idna@3.7");
    assert!(idna["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["value"] == "kim+pypi@gumleaf.org"));
    assert!(idna["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["value"] == "https://github.com/kjd/idna"));
    assert!(
        r["errors"].as_array().unwrap().is_empty(),
        "{}",
        r["errors"]
    );
}

#[test]
fn egg_info_pkg_info() {
    let r = scan_json(&[
        "--root",
        fixtures().join("python/egg-info").to_str().unwrap(),
    ]);
    assert_eq!(pypi(&r), vec![("six".into(), "1.16.0".into())]);
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), to).unwrap();
        }
    }
}

/// Files a wheel's RECORD lists are owned (a binary among them is still read for its own
/// evidence, so a broken one is an error of its own); damaged metadata (made here) is an error.
#[test]
fn record_ownership_and_damaged_metadata() {
    let tmp = tempfile::tempdir().unwrap();
    let sp = tmp.path().join("lib/python3.11/site-packages");
    copy_dir(
        &fixtures().join("python/venv/lib/python3.11/site-packages"),
        &sp,
    );
    let record = sp.join("six-1.16.0.dist-info/RECORD");
    let mut text = std::fs::read_to_string(&record).unwrap();
    text.push_str("_six_speedups.so,,\n");
    std::fs::write(&record, text).unwrap();
    std::fs::write(sp.join("_six_speedups.so"), b"\x7fELF broken").unwrap();
    std::fs::write(sp.join("stray.so"), b"\x7fELF broken").unwrap();
    std::fs::write(
        sp.join("idna-3.7.dist-info/METADATA"),
        b"Metadata-Version: 2.1\nSummary: no name\n",
    )
    .unwrap();
    let r = scan_json(&["--root", tmp.path().to_str().unwrap()]);
    assert_eq!(pypi(&r), vec![("six".into(), "1.16.0".into())]);
    let errs: Vec<&str> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        errs,
        vec![
            "/lib/python3.11/site-packages/_six_speedups.so",
            "/lib/python3.11/site-packages/idna-3.7.dist-info/METADATA",
            "/lib/python3.11/site-packages/stray.so"
        ]
    );
}

/// A real virtualenv (made offline with `python3 -m venv`, which installs pip from the
/// interpreter's bundled wheels) plus the fixture distributions: every distribution `pip list`
/// shows is found with the same version.
#[test]
fn virtualenv_matches_pip_list() {
    let tmp = tempfile::tempdir().unwrap();
    let venv = tmp.path().join("venv");
    let Ok(st) = Command::new("python3")
        .arg("-m")
        .arg("venv")
        .arg(&venv)
        .status()
    else {
        return; // no Python on this machine
    };
    if !st.success() {
        return; // venv/ensurepip not installed
    }
    let sp = std::fs::read_dir(venv.join("lib"))
        .unwrap()
        .map(|e| e.unwrap().path().join("site-packages"))
        .find(|p| p.is_dir())
        .unwrap();
    copy_dir(
        &fixtures().join("python/venv/lib/python3.11/site-packages"),
        &sp,
    );
    let out = Command::new(venv.join("bin/python"))
        .args([
            "-m",
            "pip",
            "list",
            "--format",
            "json",
            "--disable-pip-version-check",
            "--no-index",
        ])
        .output()
        .unwrap();
    let listed: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut expected: Vec<(String, String)> = listed
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_lowercase(),
                p["version"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    expected.sort();
    assert!(expected.len() >= 3, "{expected:?}");
    let r = scan_json(&["--root", tmp.path().to_str().unwrap()]);
    assert_eq!(pypi(&r), expected);
}

/// A wheel that ships Microsoft's signed runtime DLLs (the real `msvc-runtime` wheel, installed
/// as pip lays it out on Windows): each DLL its RECORD owns is read for its own evidence and
/// listed as a part of the package, and the package, whose metadata names no maker, is
/// attributed from the DLLs, which agree. The summary counts the package once.
#[test]
fn binaries_inside_a_wheel_are_read_and_attribute_it() {
    let r = scan_json(&[
        "--root",
        fixtures().join("python/win-wheel").to_str().unwrap(),
        "--home",
        "CN",
    ]);
    let pkg = component(&r, "pypi:msvc-runtime@14.44.35112");
    assert_eq!(pkg["vendor"]["id"], "microsoft");
    assert_eq!(pkg["origin"], "foreign");
    assert!(
        pkg["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "company-name"
                && e["at"].as_str().unwrap().starts_with("/Scripts/"))
    );
    let parts: Vec<&Value> = r["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["part_of"] == "pypi:msvc-runtime@14.44.35112")
        .collect();
    assert_eq!(parts.len(), 6, "five DLLs and the extension module");
    let dlls: Vec<&&Value> = parts
        .iter()
        .filter(|c| c["name"].as_str().unwrap().ends_with(".dll"))
        .collect();
    assert_eq!(dlls.len(), 5);
    for d in &dlls {
        assert_eq!(d["vendor"]["id"], "microsoft", "{}", d["id"]);
        assert_eq!(d["found_by"], "pe");
        assert_eq!(d["properties"]["signature-digest"], "verified");
    }
    let contains = r["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "contains" && e["from"] == "pypi:msvc-runtime@14.44.35112")
        .count();
    assert_eq!(contains, 6);
    assert_eq!(r["summary"]["components"], 1);
    assert_eq!(r["summary"]["by_origin"]["foreign"], 1);
}
