//! `scan --input`: SBOMs from other tools, CSV inventories, and sovscan's own CycloneDX and SPDX
//! loaded back without loss.

use crate::common::{component, fixtures, scan_json, sovscan};
use crate::reports::{hostile_root, rules, scan_out};
use serde_json::Value;
use std::collections::BTreeSet;

fn input(rel: &str) -> String {
    fixtures().join("inputs").join(rel).display().to_string()
}

fn vendor(r: &Value, id: &str) -> Value {
    component(r, id)["vendor"]["id"].clone()
}

#[test]
fn cyclonedx_from_syft_is_attributed() {
    let r = scan_json(&[
        "--input",
        &input("syft-cyclonedx/app-image.cdx.json"),
        "--rules",
        &rules(),
        "--home",
        "DE",
    ]);
    // Only the input was read: no host filesystem.
    assert_eq!(r["scan"]["host"], Value::Null);
    assert_eq!(r["scan"]["roots"].as_array().unwrap().len(), 1);
    assert_eq!(r["summary"]["components"], 6);
    assert_eq!(vendor(&r, "rpm:powershell@7.4.6-1.rh"), "microsoft");
    assert_eq!(
        component(&r, "rpm:powershell@7.4.6-1.rh")["origin"],
        "foreign"
    );
    assert_eq!(vendor(&r, "maven:ojdbc11@23.5.0.24.07"), "oracle");
    assert_eq!(
        vendor(&r, "npm:@huaweicloud/huaweicloud-sdk-core@3.1.120"),
        "huawei"
    );
    assert_eq!(
        component(&r, "npm:@huaweicloud/huaweicloud-sdk-core@3.1.120")["vendor"]["country"],
        "CN"
    );
    assert_eq!(vendor(&r, "pypi:hdbcli@2.22.27"), "sap");
    assert_eq!(component(&r, "pypi:hdbcli@2.22.27")["origin"], "domestic");
    // The Debian maintainer is a packager; the product rule names the maker.
    assert_eq!(vendor(&r, "deb:zlib1g@1:1.2.13.dfsg-1"), "zlib");
    assert_eq!(
        component(&r, "generic:leftpad-vendored@0.0.1")["origin"],
        "unknown"
    );
    // purls kept, syft's location properties become locations.
    let z = component(&r, "deb:zlib1g@1:1.2.13.dfsg-1");
    assert_eq!(
        z["purl"],
        "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&upstream=zlib&distro=debian-12"
    );
    assert_eq!(z["locations"][0], "/var/lib/dpkg/status");
    let ev = component(&r, "rpm:powershell@7.4.6-1.rh")["evidence"]
        .as_array()
        .unwrap()
        .clone();
    assert!(ev
        .iter()
        .any(|e| e["kind"] == "company-name" && e["value"] == "Microsoft Corporation"));
    let rels = r["relationships"].as_array().unwrap();
    assert!(rels.iter().any(
        |x| x["from"] == "npm:@huaweicloud/huaweicloud-sdk-core@3.1.120"
            && x["to"] == "generic:leftpad-vendored@0.0.1"
            && x["kind"] == "depends-on"
    ));
}

#[test]
fn spdx_from_syft_is_attributed() {
    let r = scan_json(&[
        "--input",
        &input("syft-spdx/app-image.spdx.json"),
        "--rules",
        &rules(),
        "--home",
        "DE",
    ]);
    assert_eq!(r["summary"]["components"], 3);
    assert_eq!(vendor(&r, "rpm:powershell@7.4.6-1.rh"), "microsoft");
    assert_eq!(vendor(&r, "pypi:hdbcli@2.22.27"), "sap");
    assert_eq!(vendor(&r, "deb:zlib1g@1:1.2.13.dfsg-1"), "zlib");
    let rels = r["relationships"].as_array().unwrap();
    assert!(rels.iter().any(
        |x| x["from"] == "rpm:powershell@7.4.6-1.rh" && x["to"] == "deb:zlib1g@1:1.2.13.dfsg-1"
    ));
}

#[test]
fn messy_csv_inventory_keeps_good_rows_and_reports_bad_ones() {
    let path = input("inventory/cmdb-export.csv");
    let r = scan_json(&["--input", &path, "--rules", &rules(), "--home", "DE"]);
    let comps = r["components"].as_array().unwrap();
    assert_eq!(comps.len(), 7, "{comps:#?}");
    assert!(comps.iter().all(|c| c["kind"] == "inventory"));
    let db1 = component(&r, "inventory:Oracle Database@19c?host=db-prod-01");
    assert_eq!(db1["vendor"]["id"], "oracle");
    assert_eq!(db1["product"]["id"], "oracle-database");
    assert_eq!(db1["properties"]["inventory-cost"], "47.500,00");
    assert_eq!(db1["locations"][0], format!("{path}:3"));
    assert_eq!(
        component(&r, "inventory:Oracle Database@19c?host=db-prod-02")["vendor"]["id"],
        "oracle"
    );
    let dell = component(&r, "inventory:PowerEdge R750?serial=7XK2P93");
    assert_eq!(dell["vendor"]["id"], "dell");
    assert_eq!(dell["count"], 4);
    let win = component(
        &r,
        "inventory:Windows Server@2022 Datacenter?host=win-ad-01",
    );
    assert_eq!(win["count"], 12);
    assert_eq!(win["product"]["category"], "operating-system");
    assert_eq!(
        component(&r, "inventory:CloudEngine 6881@V200R022?host=core-sw-1")["vendor"]["country"],
        "CN"
    );
    assert_eq!(
        component(&r, "inventory:SAP S/4HANA@2023 FPS02?host=erp-01")["origin"],
        "domestic"
    );
    let errors: BTreeSet<String> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["path"].as_str().unwrap(),
                e["error"].as_str().unwrap()
            )
        })
        .collect();
    let lines: BTreeSet<String> = errors
        .iter()
        .map(|e| {
            e.split(' ')
                .next()
                .unwrap()
                .rsplit(':')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        lines,
        ["9", "10", "11", "13"]
            .into_iter()
            .map(String::from)
            .collect(),
        "{errors:#?}"
    );
    assert!(
        errors.iter().any(|e| e.contains(":9 count `two`")),
        "{errors:#?}"
    );
}

#[test]
fn inventory_with_comma_and_plain_headers() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("assets.csv");
    // Synthesised: a plain comma export with quoted cells, CRLF line ends and a broken quote.
    std::fs::write(
        &p,
        "hostname,VENDOR,product,version,quantity\r\nweb-1,\"Huawei Technologies Co., Ltd.\",FusionServer,2288H V6,2\r\n\r\nweb-2,Microsoft,Windows Server,2019,1\r\n",
    )
    .unwrap();
    let r = scan_json(&[
        "--input",
        &p.display().to_string(),
        "--rules",
        &rules(),
        "--home",
        "CN",
    ]);
    assert_eq!(r["summary"]["components"], 2);
    let c = component(&r, "inventory:FusionServer@2288H V6?host=web-1");
    assert_eq!(c["origin"], "domestic");
    assert_eq!(c["count"], 2);
    assert_eq!(
        component(&r, "inventory:Windows Server@2019?host=web-2")["origin"],
        "foreign"
    );
}

#[test]
fn unreadable_and_unrecognised_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    let junk = tmp.path().join("junk.json");
    std::fs::write(&junk, "{\"hello\": 1}").unwrap();
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, "{\"bomFormat\": \"CycloneDX\", \"components\": [").unwrap();
    let r = scan_json(&[
        "--input",
        &junk.display().to_string(),
        "--input",
        &bad.display().to_string(),
        "--rules",
        &rules(),
    ]);
    assert_eq!(r["summary"]["components"], 0);
    assert_eq!(
        r["errors"].as_array().unwrap().len(),
        2,
        "{:#?}",
        r["errors"]
    );
    sovscan()
        .args(["scan", "--input", "/nonexistent/x.json"])
        .assert()
        .code(2);
}

/// (id, purl, vendor, origin, locations) of every component.
fn identity(r: &Value) -> BTreeSet<String> {
    r["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {} {} {} {}",
                c["id"], c["purl"], c["vendor"]["id"], c["origin"], c["locations"]
            )
        })
        .collect()
}

#[test]
fn own_cyclonedx_and_spdx_load_back_without_loss() {
    let tmp = tempfile::tempdir().unwrap();
    hostile_root(&tmp.path().join("hostile"));
    let roots = [
        fixtures().join("dpkg/debian-12").display().to_string(),
        tmp.path().join("hostile").display().to_string(),
    ];
    for root in &roots {
        let base = ["--root", root.as_str(), "--rules", &rules(), "--home", "DE"];
        let original = scan_json(&base);
        assert!(original["summary"]["components"].as_u64().unwrap() >= 2);
        for (fmt, ver, file) in [
            ("cyclonedx", "1.6", "x.cdx.json"),
            ("cyclonedx", "1.5", "y.cdx.json"),
            ("spdx", "1.6", "z.spdx.json"),
        ] {
            let text = scan_out(&[&base[..], &["-f", fmt, "--cyclonedx-version", ver]].concat());
            let p = tmp.path().join(file);
            std::fs::write(&p, text).unwrap();
            let back = scan_json(&[
                "--input",
                &p.display().to_string(),
                "--rules",
                &rules(),
                "--home",
                "DE",
            ]);
            assert_eq!(
                identity(&original),
                identity(&back),
                "{fmt} {ver} from {root}"
            );
            assert_eq!(
                original["summary"]["by_origin"],
                back["summary"]["by_origin"]
            );
            assert_eq!(original["relationships"], back["relationships"]);
            for c in original["components"].as_array().unwrap() {
                let b = component(&back, c["id"].as_str().unwrap());
                assert_eq!(c["kind"], b["kind"]);
                assert_eq!(c["supplier"]["id"], b["supplier"]["id"]);
                assert_eq!(c["properties"], b["properties"]);
            }
        }
    }
}
