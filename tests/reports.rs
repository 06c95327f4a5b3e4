//! Report formats: CycloneDX and SPDX validated against the official JSON schemas (vendored in
//! fixtures/schemas/, resolved locally), CSV, Markdown, and HTML escaping with hostile names.

use crate::common::{fixtures, sovscan};
use serde_json::Value;
use std::path::Path;

/// The test rule database (vendors in US, CN, DE/LU; products with alternatives).
pub fn rules() -> String {
    fixtures().join("reports/rules").display().to_string()
}

/// Run `sovscan scan --reproducible ARGS` and return stdout.
pub fn scan_out(args: &[&str]) -> String {
    let out = sovscan()
        .arg("scan")
        .arg("--reproducible")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "scan failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn schema(name: &str) -> Value {
    let p = fixtures().join("schemas").join(name);
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

/// Validate a document against a vendored schema; the CycloneDX schemas' `$ref`s to
/// `spdx.schema.json` and `jsf-0.82.schema.json` are served from the fixtures, never fetched.
pub fn validate(doc: &Value, schema_file: &str) {
    let mut opts = jsonschema::options().should_validate_formats(true);
    for (uri, file) in [
        (
            "http://cyclonedx.org/schema/spdx.schema.json",
            "spdx.schema.json",
        ),
        (
            "http://cyclonedx.org/schema/jsf-0.82.schema.json",
            "jsf-0.82.schema.json",
        ),
    ] {
        opts = opts.with_resource(
            uri,
            jsonschema::Resource::from_contents(schema(file)).unwrap(),
        );
    }
    let v = opts.build(&schema(schema_file)).unwrap();
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{schema_file}: {} errors, first: {:#?}",
        errors.len(),
        &errors[..errors.len().min(5)]
    );
}

/// A root with a hostile package name and a foreign (CN) vendor, built by the test.
pub fn hostile_root(dir: &Path) {
    std::fs::create_dir_all(dir.join("var/lib/dpkg")).unwrap();
    std::fs::create_dir_all(dir.join("etc")).unwrap();
    std::fs::write(dir.join("etc/os-release"), "ID=debian\nVERSION_ID=\"12\"\n").unwrap();
    std::fs::write(
        dir.join("var/lib/dpkg/status"),
        "Package: <script>alert(1)</script>\nStatus: install ok installed\nVersion: 1.0\"><img src=x onerror=alert(2)>\n\
Maintainer: Evil \"Quote\" <x@huawei.com>\nHomepage: https://www.huawei.com/en/\nDescription: hostile\n\n\
Package: =cmd|' /C calc'!A0\nStatus: install ok installed\nVersion: 2.1\n\
Maintainer: Huawei Technologies Co., Ltd. <support@huawei.com>\nHomepage: https://www.huawei.com/\nDescription: agent\n",
    )
    .unwrap();
}

fn debian() -> String {
    fixtures().join("dpkg/debian-12").display().to_string()
}

#[test]
fn cyclonedx_1_6_and_1_5_are_valid_and_carry_the_attribution() {
    let tmp = tempfile::tempdir().unwrap();
    hostile_root(tmp.path());
    for root in [debian(), tmp.path().display().to_string()] {
        for (ver, schema_file) in [
            ("1.6", "bom-1.6.schema.json"),
            ("1.5", "bom-1.5.schema.json"),
        ] {
            let text = scan_out(&[
                "--root",
                &root,
                "--rules",
                &rules(),
                "--home",
                "DE",
                "-f",
                "cyclonedx",
                "--cyclonedx-version",
                ver,
            ]);
            let bom: Value = serde_json::from_str(&text).unwrap();
            validate(&bom, schema_file);
            assert_eq!(bom["specVersion"], ver);
            // Same input, same bytes (serial number derived from content).
            let again = scan_out(&[
                "--root",
                &root,
                "--rules",
                &rules(),
                "--home",
                "DE",
                "-f",
                "cyclonedx",
                "--cyclonedx-version",
                ver,
            ]);
            assert_eq!(text, again);
            assert!(bom["serialNumber"]
                .as_str()
                .unwrap()
                .starts_with("urn:uuid:"));
            let props = bom["metadata"]["properties"].as_array().unwrap();
            assert!(props
                .iter()
                .any(|p| p["name"] == "sovscan:home" && p["value"] == "DE"));
            assert!(props.iter().any(|p| p["name"] == "sovscan:rules-digest"
                && p["value"].as_str().unwrap().starts_with("sha256:")));
        }
    }
    let bom: Value = serde_json::from_str(&scan_out(&[
        "--root",
        &tmp.path().display().to_string(),
        "--rules",
        &rules(),
        "--home",
        "DE",
        "-f",
        "cyclonedx",
    ]))
    .unwrap();
    let c = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "<script>alert(1)</script>")
        .unwrap();
    assert_eq!(c["manufacturer"]["name"], "Huawei Technologies Co., Ltd.");
    assert_eq!(c["manufacturer"]["address"]["country"], "CN");
    assert_eq!(c["supplier"]["name"], "Debian Project");
    let prop = |n: &str| {
        c["properties"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == n)
            .map(|p| p["value"].clone())
    };
    assert_eq!(prop("sovscan:origin"), Some("foreign".into()));
    assert_eq!(prop("sovscan:vendor"), Some("huawei".into()));
    assert_eq!(prop("sovscan:ultimate-owner"), Some("huawei".into()));
    assert!(prop("sovscan:rule")
        .unwrap()
        .as_str()
        .unwrap()
        .contains("cn.yaml:huawei"));
    assert_eq!(c["evidence"]["identity"][0]["field"], "purl");
    assert_eq!(
        c["evidence"]["occurrences"][0]["location"],
        "/var/lib/dpkg/status"
    );
}

#[test]
fn spdx_2_3_is_valid_with_suppliers_purls_and_annotations() {
    let tmp = tempfile::tempdir().unwrap();
    hostile_root(tmp.path());
    for root in [debian(), tmp.path().display().to_string()] {
        let text = scan_out(&[
            "--root",
            &root,
            "--rules",
            &rules(),
            "--home",
            "DE",
            "-f",
            "spdx",
        ]);
        let doc: Value = serde_json::from_str(&text).unwrap();
        validate(&doc, "spdx-2.3.schema.json");
        assert_eq!(
            text,
            scan_out(&[
                "--root",
                &root,
                "--rules",
                &rules(),
                "--home",
                "DE",
                "-f",
                "spdx"
            ])
        );
    }
    let doc: Value = serde_json::from_str(&scan_out(&[
        "--root",
        &debian(),
        "--rules",
        &rules(),
        "--home",
        "DE",
        "-f",
        "spdx",
    ]))
    .unwrap();
    let z = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "zlib1g")
        .unwrap();
    assert_eq!(
        z["originator"],
        "Organization: zlib project Jean-loup Gailly and Mark Adler"
    );
    assert_eq!(z["supplier"], "Organization: Debian Project");
    assert_eq!(z["externalRefs"][0]["referenceType"], "purl");
    assert!(z["externalRefs"][0]["referenceLocator"]
        .as_str()
        .unwrap()
        .starts_with("pkg:deb/debian/zlib1g@"));
    let notes: Vec<&str> = z["annotations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["comment"].as_str().unwrap())
        .collect();
    assert!(notes.contains(&"sovscan:origin=international"), "{notes:?}");
    assert!(notes.contains(&"sovscan:product=zlib"), "{notes:?}");
    assert!(doc["documentNamespace"]
        .as_str()
        .unwrap()
        .starts_with("https://spdx.org/spdxdocs/sovscan-"));
}

#[test]
fn csv_is_rfc4180_and_formula_safe() {
    let tmp = tempfile::tempdir().unwrap();
    hostile_root(tmp.path());
    let text = scan_out(&[
        "--root",
        &tmp.path().display().to_string(),
        "--rules",
        &rules(),
        "--home",
        "DE",
        "-f",
        "csv",
    ]);
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    assert_eq!(&headers[0], "id");
    assert!(headers.iter().any(|h| h == "owner_country"));
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 2);
    let names: Vec<&str> = rows.iter().map(|r| &r[1]).collect();
    assert!(names.contains(&"'=cmd|' /C calc'!A0"), "{names:?}");
    assert!(rows
        .iter()
        .all(|r| !r.iter().any(|cell| cell.starts_with('='))));
    let origin = headers.iter().position(|h| h == "origin").unwrap();
    assert!(rows.iter().all(|r| &r[origin] == "foreign"));
}

#[test]
fn markdown_summarises_and_escapes() {
    let tmp = tempfile::tempdir().unwrap();
    hostile_root(tmp.path());
    let md = scan_out(&[
        "--root",
        &tmp.path().display().to_string(),
        "--rules",
        &rules(),
        "--home",
        "DE",
        "-f",
        "markdown",
    ]);
    assert!(md.contains("## Top foreign vendors"));
    assert!(
        md.contains("| Huawei Technologies Co., Ltd. | CN | 2 |"),
        "{md}"
    );
    assert!(!md.contains("<script>"));
    assert!(md.contains("&lt;script&gt;alert\\(1\\)&lt;/script&gt;"));
}

#[test]
fn html_is_self_contained_and_escapes_hostile_names() {
    let tmp = tempfile::tempdir().unwrap();
    hostile_root(tmp.path());
    let html = scan_out(&[
        "--root",
        &tmp.path().display().to_string(),
        "--rules",
        &rules(),
        "--home",
        "DE",
        "-f",
        "html",
    ]);
    assert!(html.starts_with("<!DOCTYPE html>"));
    // Exactly one script element: ours. The hostile name appears escaped only.
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<img"));
    assert!(html.contains("1.0&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
    // No external resources of any kind.
    for needle in ["src=\"http", "href=\"http", "@import", "url(", "<link"] {
        assert!(!html.contains(needle), "{needle} in page");
    }
    assert!(html.contains("Content-Security-Policy"));
    assert!(html.contains("<svg"));
    assert!(html.contains("Top foreign vendors"));
    assert!(html.contains("id=\"components\""));
}

/// Trust anchors and trust stores (issue 16) render as schema-valid CycloneDX `data`
/// components and SPDX `OTHER` packages.
#[test]
fn trust_anchors_are_valid_cyclonedx_and_spdx() {
    let root = fixtures().join("trust/host").display().to_string();
    for (ver, schema_file) in [
        ("1.6", "bom-1.6.schema.json"),
        ("1.5", "bom-1.5.schema.json"),
    ] {
        let text = scan_out(&[
            "--root",
            &root,
            "-f",
            "cyclonedx",
            "--cyclonedx-version",
            ver,
        ]);
        let bom: Value = serde_json::from_str(&text).unwrap();
        validate(&bom, schema_file);
        let data = bom["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["type"] == "data")
            .count();
        assert!(data > 160, "{data}");
    }
    let doc: Value = serde_json::from_str(&scan_out(&["--root", &root, "-f", "spdx"])).unwrap();
    validate(&doc, "spdx-2.3.schema.json");
}
