//! Ruby gems and .NET deps.json.

use crate::common::{component, fixtures, scan_json};

#[test]
fn debian_gemspec() {
    let r = scan_json(&["--root", fixtures().join("gem/debian").to_str().unwrap()]);
    let c = component(&r, "gem:rainbow@3.1.1");
    assert_eq!(c["purl"], "pkg:gem/rainbow@3.1.1");
    let ev = c["evidence"].as_array().unwrap();
    assert!(ev
        .iter()
        .any(|e| e["kind"] == "email" && e["value"] == "m@ku1ik.com"));
    assert!(ev
        .iter()
        .any(|e| e["kind"] == "url" && e["value"] == "https://github.com/sickill/rainbow"));
    assert_eq!(c["properties"]["license"], "MIT");
}

/// syft's `dir-example-1/TestLibrary.deps.json`: 12 NuGet packages and 2 projects.
#[test]
fn deps_json() {
    let r = scan_json(&["--root", fixtures().join("dotnet/app").to_str().unwrap()]);
    let comps = r["components"].as_array().unwrap();
    let packages = comps
        .iter()
        .filter(|c| c["properties"]["library-type"] == "package")
        .count();
    let projects = comps
        .iter()
        .filter(|c| c["properties"]["library-type"] == "project")
        .count();
    assert_eq!((packages, projects), (12, 2));
    let nj = component(&r, "nuget:Newtonsoft.Json@13.0.1");
    assert_eq!(nj["purl"], "pkg:nuget/Newtonsoft.Json@13.0.1");
    let rels = r["relationships"].as_array().unwrap();
    assert_eq!(rels.len(), 19);
    assert!(rels
        .iter()
        .any(|e| e["from"] == "nuget:TestCommon@1.0.0" && e["to"] == "nuget:AWSSDK.Core@3.7.10.6"));
}

/// Damaged manifests (made here) are errors, not aborts.
#[test]
fn damaged_gemspec_and_deps_json() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("gems/specifications");
    std::fs::create_dir_all(&spec).unwrap();
    std::fs::write(
        spec.join("x-1.gemspec"),
        "Gem::Specification.new do |s|\n  s.summary = \"no name\"\nend\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("a.deps.json"),
        "{\"libraries\": {\"NoVersion\": {}}, ",
    )
    .unwrap();
    let r = scan_json(&["--root", tmp.path().to_str().unwrap()]);
    assert!(r["components"].as_array().unwrap().is_empty());
    let mut errs: Vec<&str> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    errs.sort();
    assert_eq!(
        errs,
        vec!["/a.deps.json", "/gems/specifications/x-1.gemspec"]
    );
}
