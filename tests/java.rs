//! Java archives: a real jar, a war built around it, nested bounds and damaged archives.

use crate::common::{component, fixtures, scan_json};
use serde_json::Value;
use std::io::Write;

fn maven_ids(r: &Value) -> Vec<String> {
    let mut v: Vec<String> = r["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ecosystem"] == "maven")
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

fn jar_bytes() -> Vec<u8> {
    std::fs::read(fixtures().join("java/debian/usr/share/java/commons-cli.jar")).unwrap()
}

#[test]
fn jar_pom_properties_and_manifest() {
    let r = scan_json(&["--root", fixtures().join("java/debian").to_str().unwrap()]);
    assert_eq!(maven_ids(&r), vec!["maven:commons-cli:commons-cli@1.5.0"]);
    let c = component(&r, "maven:commons-cli:commons-cli@1.5.0");
    assert_eq!(c["purl"], "pkg:maven/commons-cli/commons-cli@1.5.0");
    let ev = c["evidence"].as_array().unwrap();
    assert!(ev
        .iter()
        .any(|e| e["kind"] == "company-name" && e["value"] == "Apache Software Foundation"));
    assert!(ev
        .iter()
        .any(|e| e["kind"] == "java-group-id" && e["value"] == "commons-cli"));
    assert_eq!(
        c["properties"]["bundle-symbolic-name"],
        "org.apache.commons.cli"
    );
}

/// A zip with the given (name, bytes) entries, stored uncompressed.
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (n, b) in entries {
        w.start_file(*n, opts).unwrap();
        w.write_all(b).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A war (made here) holding the real jar and a manifest-only jar nested two deep.
#[test]
fn nested_archives() {
    let inner = zip_of(&[(
        "META-INF/MANIFEST.MF",
        b"Manifest-Version: 1.0\r\nImplementation-Title: demo-agent\r\nImplementation-Version: 2.1\r\nImplementation-Vendor: Example Corp\r\nImplementation-Vendor-Id: com.example\r\n\r\n",
    )]);
    let lib = zip_of(&[("lib/demo-agent-2.1.jar", &inner)]);
    let war = zip_of(&[
        ("WEB-INF/lib/commons-cli-1.5.0.jar", &jar_bytes()),
        ("WEB-INF/lib/bundle.jar", &lib),
        ("WEB-INF/lib/broken.jar", b"PK\x03\x04 not really"),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("srv")).unwrap();
    std::fs::write(tmp.path().join("srv/app.war"), &war).unwrap();
    let r = scan_json(&["--root", tmp.path().to_str().unwrap()]);
    assert_eq!(
        maven_ids(&r),
        vec![
            "maven:app",
            "maven:bundle",
            "maven:com.example:demo-agent@2.1",
            "maven:commons-cli:commons-cli@1.5.0"
        ]
    );
    let cli = component(&r, "maven:commons-cli:commons-cli@1.5.0");
    assert_eq!(
        cli["locations"][0],
        "/srv/app.war!/WEB-INF/lib/commons-cli-1.5.0.jar"
    );
    let demo = component(&r, "maven:com.example:demo-agent@2.1");
    assert_eq!(demo["purl"], "pkg:maven/com.example/demo-agent@2.1");
    assert!(demo["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "company-name" && e["value"] == "Example Corp"));
    let rels = r["relationships"].as_array().unwrap();
    assert!(rels
        .iter()
        .any(|e| e["from"] == "maven:bundle" && e["to"] == "maven:com.example:demo-agent@2.1"));
    let errs: Vec<&str> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(errs, vec!["/srv/app.war!/WEB-INF/lib/broken.jar"]);
}

/// Archives nested deeper than the limit stop there; a truncated jar is an error.
#[test]
fn depth_bound_and_truncated_jar() {
    let mut a = zip_of(&[(
        "META-INF/MANIFEST.MF",
        b"Implementation-Title: deepest\r\n\r\n",
    )]);
    for i in 0..8 {
        let name = format!("lib/level{i}.jar");
        a = zip_of(&[(name.as_str(), &a)]);
    }
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("deep.jar"), &a).unwrap();
    let jar = jar_bytes();
    std::fs::write(tmp.path().join("cut.jar"), &jar[..jar.len() / 2]).unwrap();
    let r = scan_json(&["--root", tmp.path().to_str().unwrap()]);
    let ids = maven_ids(&r);
    assert_eq!(ids.len(), 5, "{ids:?}"); // deep.jar and four nested levels
    assert!(!ids.iter().any(|i| i.contains("deepest")));
    let errs: Vec<&str> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(errs, vec!["/cut.jar"]);
}
