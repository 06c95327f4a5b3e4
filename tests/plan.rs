//! `sovscan plan`: foreign products ordered by criticality × use, with alternatives ranked for
//! the home: domestic, then a union or alliance shared with it, then international.

use crate::common::{fixtures, sovscan};
use crate::reports::{rules, scan_out};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A report of the CSV inventory and the syft SBOM, with home DE.
fn report(dir: &Path, home: Option<&str>) -> PathBuf {
    let inv = fixtures()
        .join("inputs/inventory/cmdb-export.csv")
        .display()
        .to_string();
    let sbom = fixtures()
        .join("inputs/syft-cyclonedx/app-image.cdx.json")
        .display()
        .to_string();
    let r = rules();
    let mut a: Vec<&str> = vec![
        "--input", &inv, "--input", &sbom, "--rules", &r, "-f", "json",
    ];
    if let Some(h) = home {
        a.extend(["--home", h]);
    }
    let p = dir.join(format!("report-{}.json", home.unwrap_or("none")));
    std::fs::write(&p, scan_out(&a)).unwrap();
    p
}

fn plan(report: &Path, args: &[&str]) -> Value {
    let out = sovscan()
        .arg("plan")
        .arg(report)
        .args(["--rules", &rules(), "-f", "json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn item<'a>(p: &'a Value, product: &str) -> &'a Value {
    p["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["product"] == product)
        .unwrap_or_else(|| panic!("no {product} in {p:#}"))
}

fn alt_ids(i: &Value) -> Vec<&str> {
    i["alternatives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["product"].as_str().unwrap())
        .collect()
}

#[test]
fn plan_orders_by_criticality_and_use_with_domestic_alternatives() {
    let tmp = tempfile::tempdir().unwrap();
    let r = report(tmp.path(), Some("DE"));
    let p = plan(&r, &[]);
    assert_eq!(p["home"], "DE");
    let items = p["items"].as_array().unwrap();
    // Windows Server: critical (4) × 12 installs = 48, first.
    assert_eq!(items[0]["product"], "windows-server");
    assert_eq!(items[0]["score"], 48);
    assert_eq!(items[0]["hosts"], serde_json::json!(["win-ad-01"]));
    // None is domestic to DE: SUSE (LU) shares the EU with it and ranks first, then Debian
    // (international); Kylin (CN) is no alternative for DE.
    assert_eq!(alt_ids(&items[0]), ["suse-linux-enterprise", "debian-os"]);
    assert_eq!(items[0]["alternatives"][0]["tier"], "region");
    assert_eq!(items[0]["alternatives"][0]["region"], "EU");
    assert_eq!(items[0]["alternatives"][1]["tier"], "international");
    assert_eq!(items[0]["category"], "operating-system");
    let scores: Vec<u64> = items.iter().map(|i| i["score"].as_u64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    let db = item(&p, "oracle-database");
    assert_eq!(db["score"], 8);
    assert_eq!(db["host_count"], 2);
    assert_eq!(db["hosts"], serde_json::json!(["db-prod-01", "db-prod-02"]));
    assert_eq!(db["components"].as_array().unwrap().len(), 2);
    assert_eq!(alt_ids(db), ["sap-hana"]);
    assert_eq!(db["alternatives"][0]["source"], "listed");
    // Domestic (SAP) and international (zlib) products are not in the plan.
    assert!(items
        .iter()
        .all(|i| i["vendor"] != "sap" && i["class"] == "foreign"));
    assert_eq!(p["unknown"], 1);
}

#[test]
fn plan_home_override_international_and_category_suggestions() {
    let tmp = tempfile::tempdir().unwrap();
    let r = report(tmp.path(), Some("DE"));
    let eu = plan(&r, &["--home", "EU"]);
    assert_eq!(
        alt_ids(item(&eu, "windows-server")),
        ["suse-linux-enterprise", "debian-os"]
    );
    assert_eq!(
        item(&eu, "windows-server")["alternatives"][0]["tier"],
        "domestic"
    );
    let intl = plan(&r, &["--home", "EU", "--include-international"]);
    assert_eq!(
        alt_ids(item(&intl, "windows-server")),
        ["suse-linux-enterprise", "debian-os"]
    );
    assert_eq!(item(&intl, "zlib")["class"], "international");
    let cn = plan(&r, &["--home", "CN"]);
    assert_eq!(
        alt_ids(item(&cn, "windows-server")),
        ["kylin-os", "debian-os"]
    );
    // SAP HANA is foreign to CN: DM8 is suggested from the same category.
    let db = item(&cn, "oracle-database");
    // The built-in database adds its own CN databases to the test rules' DM8.
    assert!(alt_ids(db).contains(&"dm8"), "{:?}", alt_ids(db));
    assert!(db["alternatives"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["source"] == "category"));
    assert!(cn["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["vendor"] != "kylin-software" && i["vendor"] != "huawei"));
    for f in ["table", "markdown", "html"] {
        let out = sovscan()
            .arg("plan")
            .arg(&r)
            .args(["--rules", &rules(), "--home", "CN", "-f", f])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("Kylin OS"), "{f}: {text}");
    }
}

#[test]
fn plan_needs_a_home() {
    let tmp = tempfile::tempdir().unwrap();
    let r = report(tmp.path(), None);
    sovscan()
        .arg("plan")
        .arg(&r)
        .args(["--rules", &rules()])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--home"));
    assert!(
        plan(&r, &["--home", "DE"])["items"]
            .as_array()
            .unwrap()
            .len()
            > 3
    );
}
