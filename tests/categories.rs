//! Issue 15: categories on every component, shares over their stated denominators, the plan by
//! category with sourced alternatives, signers in policy, `max_unknown_share` and
//! `plan --policy`. Every figure is recounted here from the report's components.

use crate::common::{fixtures, scan_json, sovscan};
use serde_json::Value;
use std::collections::BTreeMap;

fn p(rel: &str) -> String {
    fixtures().join(rel).display().to_string()
}

/// Counted components (binaries read inside a package count through it).
fn counted(r: &Value) -> Vec<&Value> {
    r["components"]
        .as_array()
        .unwrap()
        .iter()
        // As the summary counts: not the binaries read inside a package, not trust anchors
        // and stores (counted apart in `summary.trust_anchors`).
        .filter(|c| {
            c.get("part_of").is_none() && c["kind"] != "certificate" && c["kind"] != "trust-store"
        })
        .collect()
}

fn plan_json(report: &std::path::Path, args: &[&str]) -> Value {
    let out = sovscan()
        .arg("plan")
        .arg(report)
        .args(["-f", "json"])
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

/// Regression for issue 15 (`issues show 15`).
#[test]
fn regression_15_firmware_gets_categories_and_the_plan_agrees_with_a_recount() {
    let tmp = tempfile::tempdir().unwrap();
    let r = scan_json(&[&p("linux-firmware/debian-12"), "--home", "CN"]);
    let cs = counted(&r);
    assert!(!cs.is_empty());
    // Every firmware file of the fixture is of a known category, decided from its path.
    for c in &cs {
        assert!(c["category"].is_string(), "no category: {c:#}");
        assert!(c["category_from"].is_string(), "{c:#}");
    }
    // The summary's per-category counts are a recount of the components.
    let mut by: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for c in &cs {
        *by.entry(c["category"].as_str().unwrap().to_owned())
            .or_default()
            .entry(c["origin"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert_eq!(
        r["summary"]["by_category"],
        serde_json::to_value(&by).unwrap()
    );
    let n = |o: &str| cs.iter().filter(|c| c["origin"] == o).count() as u64;
    let known = cs.len() as u64 - n("unknown");
    assert_eq!(r["summary"]["known_origin"], known);
    let path = tmp.path().join("r.json");
    std::fs::write(&path, serde_json::to_vec(&r).unwrap()).unwrap();
    let plan = plan_json(&path, &[]);
    assert_eq!(plan["schema"], "sovscan-plan/2");
    assert_eq!(plan["known"], known);
    assert_eq!(plan["foreign"], n("foreign"));
    assert_eq!(plan["unknown"], n("unknown"));
    for cat in plan["categories"].as_array().unwrap() {
        let id = cat["category"].as_str().unwrap();
        let mine: Vec<&&Value> = cs.iter().filter(|c| c["category"] == id).collect();
        let foreign = mine.iter().filter(|c| c["origin"] == "foreign").count() as u64;
        let unknown = mine.iter().filter(|c| c["origin"] == "unknown").count() as u64;
        assert_eq!(cat["components"], mine.len() as u64, "{id}");
        assert_eq!(cat["foreign"], foreign, "{id}");
        assert_eq!(cat["unknown"], unknown, "{id}");
        assert_eq!(cat["known"], mine.len() as u64 - unknown, "{id}");
        if foreign > 0 {
            let share = cat["foreign_share"].as_f64().unwrap();
            assert!((share - foreign as f64 / (mine.len() as u64 - unknown) as f64).abs() < 1e-12);
            // Every foreign firmware category has a sourced domestic alternative for CN.
            let alts = cat["alternatives"].as_array().unwrap();
            assert!(!alts.is_empty(), "{id}: no alternative");
            assert!(alts.iter().all(|a| a["url"].is_string()), "{id}");
            assert_eq!(alts[0]["tier"], "domestic", "{id}: {alts:?}");
        }
    }
    for it in plan["items"].as_array().unwrap() {
        let name = it["name"].as_str().unwrap();
        assert!(!name.contains("unrecognised"), "{name}");
        assert_ne!(it["category"], "uncategorised", "{name}");
    }
    assert_eq!(plan["foreign_with_alternative"], plan["foreign"]);
    // The table states the denominators.
    let out = sovscan().arg("plan").arg(&path).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("of {known} components of known origin")),
        "{text}"
    );
}

/// Regression for issue 15 (`issues show 15`).
#[test]
fn regression_15_eu_alternatives_rank_domestic_then_alliance_never_the_own_vendor() {
    let tmp = tempfile::tempdir().unwrap();
    let r = scan_json(&[&p("linux-firmware/debian-12"), "--home", "EU"]);
    let path = tmp.path().join("r.json");
    std::fs::write(&path, serde_json::to_vec(&r).unwrap()).unwrap();
    let plan = plan_json(&path, &[]);
    for it in plan["items"].as_array().unwrap() {
        let alts = it["alternatives"].as_array().unwrap();
        let tiers: Vec<&str> = alts.iter().map(|a| a["tier"].as_str().unwrap()).collect();
        let mut sorted = tiers.clone();
        sorted.sort_by_key(|t| {
            ["domestic", "region", "international"]
                .iter()
                .position(|x| x == t)
        });
        assert_eq!(tiers, sorted, "{}", it["name"]);
        assert!(
            alts.iter().all(|a| a["vendor"] != it["vendor"]),
            "{}",
            it["name"]
        );
        for a in alts.iter().filter(|a| a["tier"] == "region") {
            // For the EU, NATO and the EEA rank; the G20 (a forum) never does.
            assert!(
                ["NATO", "EEA", "SCHENGEN", "EFTA"].contains(&a["region"].as_str().unwrap()),
                "{a}"
            );
        }
    }
}

fn check_signers(policy: &str) -> (i32, String) {
    let tmp = tempfile::tempdir().unwrap();
    let pol = tmp.path().join("p.yaml");
    std::fs::write(&pol, policy).unwrap();
    let out = sovscan()
        .args(["check", "--policy"])
        .arg(&pol)
        .arg(p("pe/efi"))
        .args(["--today", "2026-12-01"])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// Regression for issue 15 (`issues show 15`).
#[test]
fn regression_15_a_us_signer_deny_fails_on_the_microsoft_signed_shim() {
    let r = scan_json(&[&p("pe/efi"), "--home", "CN"]);
    let shim = &counted(&r)[0];
    assert_eq!(shim["category"], "bootloader");
    assert!(
        shim.get("vendor").is_none(),
        "the shim's maker is not its signer"
    );
    assert_eq!(r["summary"]["by_signer_country"]["US"], 1);
    // A policy denying US vendors passes it: it has no vendor.
    let (code, out) = check_signers("home: CN\ndeny: {countries: [US]}\n");
    assert_eq!(code, 0, "{out}");
    let (code, out) = check_signers("home: CN\ndeny:\n  signers: {countries: [US]}\n");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("deny-signer") && out.contains("signed by Microsoft Corporation"),
        "{out}"
    );
    // By vendor, through the chain's issuers, and not for another country.
    let (code, _) =
        check_signers("home: CN\ndeny:\n  signers: {vendors: [microsoft], chain: true}\n");
    assert_eq!(code, 1);
    let (code, out) = check_signers("home: CN\ndeny:\n  signers: {countries: [DE]}\n");
    assert_eq!(code, 0, "{out}");
    // A typo in a signer rule is reported at its line and column.
    let (code, out) = check_signers("home: CN\ndeny:\n  signers: {countrys: [US]}\n");
    assert_eq!(code, 2);
    assert!(
        out.contains("p.yaml:3:") && out.contains("unknown field `countrys`"),
        "{out}"
    );
}

/// Regression for issue 15 (`issues show 15`).
#[test]
fn regression_15_unknown_never_dilutes_a_foreign_share_and_has_its_own_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let r = scan_json(&[&p("linux-firmware/debian-12"), &p("pe/efi"), "--home", "CN"]);
    let cs = counted(&r);
    let n = |o: &str| cs.iter().filter(|c| c["origin"] == o).count();
    let (foreign, unknown, all) = (n("foreign"), n("unknown"), cs.len());
    assert!(unknown > 0 && foreign > 0);
    let path = tmp.path().join("r.json");
    std::fs::write(&path, serde_json::to_vec(&r).unwrap()).unwrap();
    let pol = tmp.path().join("p.yaml");
    // The limit sits between the share over all components and the share over known origin:
    // only the honest denominator fails it.
    let honest = foreign as f64 / (all - unknown) as f64;
    let diluted = foreign as f64 / all as f64;
    assert!(diluted < honest);
    let limit = (honest + diluted) / 2.0;
    std::fs::write(
        &pol,
        format!("home: CN\nthresholds:\n  - {{max_foreign_share: {limit}}}\n  - {{max_unknown_share: 0.0, level: warn}}\n"),
    )
    .unwrap();
    let out = sovscan()
        .args(["check", "--policy"])
        .arg(&pol)
        .arg("--report")
        .arg(&path)
        .args(["-f", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let o: Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = &o["thresholds"][0];
    assert_eq!(t["counted"], foreign as f64);
    assert_eq!(t["total"], (all - unknown) as f64);
    assert_eq!(t["denominator"], "known-origin");
    assert_eq!(t["unknown"], unknown as f64);
    assert!(!t["holds"].as_bool().unwrap());
    let u = &o["thresholds"][1];
    assert_eq!(
        (u["counted"].clone(), u["total"].clone()),
        (Value::from(unknown as f64), Value::from(all as f64))
    );
    // plan --policy says what it takes: replace ⌈foreign − limit × known⌉ components.
    let plan = plan_json(
        &path,
        &["--policy", pol.to_str().unwrap(), "--today", "2026-12-01"],
    );
    let need = (foreign as f64 - limit * (all - unknown) as f64).ceil();
    assert_eq!(plan["policy"]["thresholds"][0]["replace"], need);
    assert_eq!(plan["policy"]["passed"], false);
    // A lone-standing max_unknown_share mixed with a foreign limit is refused, with its place.
    std::fs::write(
        &pol,
        "home: CN\nthresholds:\n  - {max_unknown_share: 0.2, max_foreign: 3}\n",
    )
    .unwrap();
    let out = sovscan()
        .args(["check", "--policy"])
        .arg(&pol)
        .arg("--report")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("p.yaml:3:") && err.contains("bad-threshold"),
        "{err}"
    );
}

/// Regression for issue 15 (`issues show 15`): the workbook opens in an independent reader
/// (calamine), and its figures are the report's.
#[test]
fn regression_15_xlsx_reads_back_with_summary_plan_components_and_category_sheets() {
    use calamine::{open_workbook, Data, Reader, Xlsx};
    let tmp = tempfile::tempdir().unwrap();
    let book = tmp.path().join("r.xlsx");
    let fw = p("linux-firmware/debian-12");
    let out = sovscan()
        .args([
            "scan",
            "--reproducible",
            &fw,
            "--home",
            "CN",
            "-f",
            "xlsx",
            "-o",
        ])
        .arg(&book)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = scan_json(&[&fw, "--home", "CN"]);
    let cs = counted(&r);
    let mut wb: Xlsx<_> = open_workbook(&book).expect("calamine opens the workbook");
    let names = wb.sheet_names();
    assert_eq!(names[..3], ["Summary", "Plan", "Components"]);
    let mut cats: Vec<String> = cs
        .iter()
        .map(|c| c["category"].as_str().unwrap().to_owned())
        .collect();
    cats.sort();
    cats.dedup();
    assert_eq!(names[3..], cats[..]);
    let comp = wb.worksheet_range("Components").unwrap();
    assert_eq!(
        comp.height(),
        cs.len() + 1,
        "a header and one row per component"
    );
    assert_eq!(comp.get((0, 4)), Some(&Data::String("category".into())));
    // The summary's foreign row: count, denominator and what it counts.
    let sum = wb.worksheet_range("Summary").unwrap();
    let foreign = sum
        .rows()
        .find(|row| row.first() == Some(&Data::String("foreign".into())))
        .expect("a foreign row")
        .to_vec();
    let n = cs.iter().filter(|c| c["origin"] == "foreign").count() as f64;
    assert_eq!(foreign[1], Data::Float(n));
    assert_eq!(
        foreign[2],
        Data::Float(r["summary"]["known_origin"].as_f64().unwrap())
    );
    assert_eq!(
        foreign[3],
        Data::String("components of known origin".into())
    );
    for cat in &cats {
        let sheet = wb.worksheet_range(cat).unwrap();
        let want = cs.iter().filter(|c| c["category"] == cat.as_str()).count();
        assert_eq!(sheet.height(), want + 1, "{cat}");
    }
    let plan = wb.worksheet_range("Plan").unwrap();
    assert!(plan
        .rows()
        .any(|row| row.first() == Some(&Data::String("gpu".into()))));
}
