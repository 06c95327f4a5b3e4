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

/// syft's `php/test-fixtures/composer.lock`: two packages and two dev packages; an installed
/// Composer 2 `installed.json` next to a lock (made here) wins over the lock.
#[test]
fn composer_lock_and_installed_json() {
    let r = scan_json(&["--root", fixtures().join("composer/app").to_str().unwrap()]);
    let mut ids: Vec<&str> = r["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        vec![
            "composer:adoy/fastcgi-client@1.0.2",
            "composer:alcaeus/mongo-php-adapter@1.1.11",
            "composer:behat/gherkin@v4.6.2",
            "composer:codeception/codeception@4.1.6"
        ]
    );
    let c = component(&r, "composer:adoy/fastcgi-client@1.0.2");
    assert_eq!(c["purl"], "pkg:composer/adoy/fastcgi-client@1.0.2");
    assert!(c["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "email" && e["value"] == "pierrick@adoy.net"));

    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixtures().join("composer/app/srv/app/composer.lock"),
        tmp.path().join("composer.lock"),
    )
    .unwrap();
    std::fs::create_dir_all(tmp.path().join("vendor/composer")).unwrap();
    std::fs::write(
        tmp.path().join("vendor/composer/installed.json"),
        r#"{"packages":[{"name":"adoy/fastcgi-client","version":"1.0.2"},{"name":"x/broken"}],"dev":true,"dev-package-names":[]}"#,
    )
    .unwrap();
    let r = scan_json(&["--root", tmp.path().to_str().unwrap()]);
    let ids: Vec<&str> = r["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["composer:adoy/fastcgi-client@1.0.2"]);
    assert_eq!(r["errors"].as_array().unwrap().len(), 1);
}

/// syft's NuGet cache fixture `newtonsoft.json/13.0.1/newtonsoft.json.nuspec`, and the same
/// nuspec packed into a `.nupkg` (made here).
#[test]
fn nuspec_and_nupkg() {
    let r = scan_json(&[
        "--root",
        fixtures().join("dotnet/nuget-cache").to_str().unwrap(),
    ]);
    let c = component(&r, "nuget:Newtonsoft.Json@13.0.1");
    assert_eq!(c["purl"], "pkg:nuget/Newtonsoft.Json@13.0.1");
    let ev = c["evidence"].as_array().unwrap();
    assert!(ev
        .iter()
        .any(|e| e["kind"] == "company-name" && e["value"] == "James Newton-King"));
    assert!(ev
        .iter()
        .any(|e| e["kind"] == "url" && e["value"] == "https://github.com/JamesNK/Newtonsoft.Json"));
    assert_eq!(c["properties"]["license"], "MIT");

    let spec = std::fs::read(fixtures().join(
        "dotnet/nuget-cache/root/.nuget/packages/newtonsoft.json/13.0.1/newtonsoft.json.nuspec",
    ))
    .unwrap();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file(
        "Newtonsoft.Json.nuspec",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    std::io::Write::write_all(&mut w, &spec).unwrap();
    let nupkg = w.finish().unwrap().into_inner();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("newtonsoft.json.13.0.1.nupkg"), &nupkg).unwrap();
    std::fs::write(tmp.path().join("broken.nupkg"), &nupkg[..nupkg.len() / 2]).unwrap();
    let r = scan_json(&["--root", tmp.path().to_str().unwrap()]);
    let ids: Vec<&str> = r["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["nuget:Newtonsoft.Json@13.0.1"]);
    let errs: Vec<&str> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(errs, vec!["/broken.nupkg"]);
}

/// snapd's test snap `test-snapd-tools` mounted as revision x1 (`version: 1.0` stays `1.0`).
#[test]
fn snap_yaml() {
    let r = scan_json(&["--root", fixtures().join("snap/host").to_str().unwrap()]);
    let c = component(&r, "snap:test-snapd-tools@1.0");
    assert_eq!(c["properties"]["revision"], "x1");
    assert_eq!(
        c["locations"][0],
        "/snap/test-snapd-tools/x1/meta/snap.yaml"
    );
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("meta")).unwrap();
    std::fs::write(tmp.path().join("meta/snap.yaml"), "summary: nameless\n").unwrap();
    let r = scan_json(&["--root", tmp.path().to_str().unwrap()]);
    assert!(r["components"].as_array().unwrap().is_empty());
    assert_eq!(r["errors"].as_array().unwrap().len(), 1);
}
