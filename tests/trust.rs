//! Trust anchors: Secure Boot variables of a captured efivars tree and of OVMF's variable
//! store, the Debian CA bundle, Java keystores, the summary and `trust-anchors` policies.
//! Expected counts were taken with `openssl` (`grep -c 'BEGIN CERTIFICATE'`, `openssl x509`),
//! efitools' `sig-list-to-certs` and `keytool -list` on the same files.

use crate::common::{fixtures, scan_json, sovscan};
use serde_json::Value;

fn host() -> String {
    fixtures().join("trust/host").display().to_string()
}

fn certs<'a>(r: &'a Value, store: &str) -> Vec<&'a Value> {
    r["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "certificate" && c["properties"]["store"] == store)
        .collect()
}

#[test]
fn captured_host_trust_anchors_match_openssl_efitools_and_keytool() {
    let r = scan_json(&["--root", &host(), "--home", "EU"]);
    assert_eq!(r["errors"], Value::Array(vec![]), "{:#}", r["errors"]);
    // efivars (sig-list-to-certs per variable): PK 1, KEK 1, db 2, MokListRT 1; dbx 3 hashes.
    let names = |store: &str| -> Vec<String> {
        let mut v: Vec<String> = certs(&r, store)
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names("uefi-pk"), ["Debian UEFI Secure Boot (PK/KEK key)"]);
    assert_eq!(names("uefi-kek"), ["Microsoft Corporation KEK CA 2011"]);
    assert_eq!(
        names("uefi-db"),
        [
            "Microsoft Corporation UEFI CA 2011",
            "Microsoft Windows Production PCA 2011"
        ]
    );
    assert_eq!(names("uefi-mok"), ["Debian Secure Boot CA"]);
    let kek = certs(&r, "uefi-kek")[0];
    assert_eq!(kek["vendor"]["id"], "microsoft");
    assert_eq!(kek["properties"]["variable"], "KEK");
    assert_eq!(kek["properties"]["serial"], "610ad188000000000003");
    let store = crate::common::component(&r, "trust-store:uefi:efivars");
    assert_eq!(store["properties"]["dbx-sha256"], "3");
    assert_eq!(store["properties"]["secure-boot"], "1");
    assert_eq!(store["properties"]["setup-mode"], "0");

    // Debian bundle: 148 `BEGIN CERTIFICATE` blocks, 148 distinct fingerprints.
    let system = certs(&r, "system");
    assert_eq!(system.len(), 148);
    assert!(certs(&r, "system-disabled").is_empty());
    // The five source files under /usr/share/ca-certificates are the bundle's certificates.
    let isrg = system.iter().find(|c| c["name"] == "ISRG Root X1").unwrap();
    assert_eq!(
        isrg["locations"],
        serde_json::json!([
            "/etc/ssl/certs/ca-certificates.crt",
            "/usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt"
        ])
    );
    assert_eq!(isrg["vendor"]["id"], "isrg");
    // Every root has an owner country: from the rules (GlobalSign, Entrust and Telia roots
    // name no C=), else the subject's C=.
    let no_country: Vec<&str> = system
        .iter()
        .filter(|c| c["vendor"].is_null() && c["properties"]["subject-country"].is_null())
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(no_country.is_empty(), "{no_country:?}");
    let gs = system
        .iter()
        .find(|c| c["name"] == "GlobalSign" && c["properties"]["subject-country"].is_null())
        .unwrap();
    assert_eq!(
        gs["vendor"]["owner_country"], "JP",
        "owned by GMO Internet Group"
    );

    // keytool -list: 5 trustedCertEntry in each keystore.
    assert_eq!(certs(&r, "java").len(), 10);
    // certutil -L: two of the three certificates are trusted CAs.
    assert_eq!(certs(&r, "nss").len(), 2);

    // Summary: anchors per store and owner country, none in the reliance counts.
    let ta = &r["summary"]["trust_anchors"];
    assert_eq!(ta["uefi-kek"]["US"], 1);
    assert_eq!(ta["uefi-db"]["US"], 2);
    assert_eq!(ta["java"]["CN"], 2);
    let total: u64 = ta["system"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total, 148);
    assert_eq!(r["summary"]["components"], 0);
}

#[test]
fn ovmf_variable_store_matches_efitools() {
    // Debian's OVMF_VARS.ms.fd: PK 1, KEK 2, db 2 certificates, one dbx hash.
    let r = scan_json(&[
        "--root",
        &fixtures().join("trust/ovmf").display().to_string(),
    ]);
    assert_eq!(r["errors"], Value::Array(vec![]), "{:#}", r["errors"]);
    assert_eq!(certs(&r, "uefi-pk").len(), 1);
    assert_eq!(certs(&r, "uefi-kek").len(), 2);
    assert_eq!(certs(&r, "uefi-db").len(), 2);
    let kek: Vec<&str> = certs(&r, "uefi-kek")
        .iter()
        .map(|c| c["vendor"]["id"].as_str().unwrap_or(""))
        .collect();
    assert!(
        kek.contains(&"microsoft") && kek.contains(&"debian"),
        "{kek:?}"
    );
    let store = crate::common::component(&r, "trust-store:uefi:/OVMF_VARS.ms.fd@0x0");
    assert_eq!(store["properties"]["dbx-sha256"], "1");
}

/// Violations listed in `check` table output whose line starts with `prefix`.
fn lines(out: &str, prefix: &str) -> usize {
    out.lines().filter(|l| l.starts_with(prefix)).count()
}

#[test]
fn trust_anchor_policy_fails_and_passes_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let out = sovscan()
        .args([
            "scan",
            "--reproducible",
            "-f",
            "json",
            "--root",
            &host(),
            "-o",
        ])
        .arg(&report)
        .output()
        .unwrap();
    assert!(out.status.success());
    let check = |policy: &str| {
        let p = dir.path().join("p.yaml");
        std::fs::write(&p, policy).unwrap();
        let out = sovscan()
            .args(["check", "--today", "2026-12-01", "--policy"])
            .arg(&p)
            .arg("--report")
            .arg(&report)
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    // The example: warnings only, the check passes.
    let (code, out) =
        check("home: EU\nwarn: {trust-anchors: {countries: [US], stores: [uefi-kek, uefi-db]}}\n");
    assert_eq!(code, 0, "{out}");
    assert_eq!(lines(&out, "WARN "), 3, "{out}");
    // Denied: the Microsoft KEK fails the check; nothing else is in uefi-kek.
    let (code, out) =
        check("home: EU\ndeny: {trust-anchors: {owners: [microsoft], stores: [uefi-kek]}}\n");
    assert_eq!(code, 1, "{out}");
    assert_eq!(lines(&out, "DENY "), 1, "{out}");
    assert!(out.contains("Microsoft Corporation KEK CA 2011"), "{out}");
    // A store that holds nothing from that country passes.
    let (code, out) = check("home: EU\ndeny: {trust-anchors: {countries: [CN], stores: [uefi-db, uefi-kek, uefi-pk]}}\n");
    assert_eq!(code, 0, "{out}");
    // Ordinary rules never look at certificates.
    let (code, out) = check("home: EU\ndeny: {origin: [unknown, foreign]}\n");
    assert_eq!(code, 0, "{out}");
    // Ready policies carry their trust-anchor rules.
    let out = sovscan()
        .args([
            "check",
            "--today",
            "2026-12-01",
            "--policy",
            "builtin:eu-sovereignty",
            "--report",
        ])
        .arg(&report)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(lines(&text, "WARN   warn-trust-anchor"), 3, "{text}");
}

#[test]
fn hostile_efivars_are_errors_not_crashes() {
    // Synthesised by the test: the captured tree with each signature list mutated.
    let src = fixtures().join("trust/host/sys/firmware/efi/efivars");
    let dir = tempfile::tempdir().unwrap();
    let dst = dir.path().join("sys/firmware/efi/efivars");
    std::fs::create_dir_all(&dst).unwrap();
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        let mut b = std::fs::read(e.path()).unwrap();
        if b.len() > 40 {
            // SignatureListSize of the first list: far past the variable.
            b[4 + 16..4 + 20].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
        }
        std::fs::write(dst.join(e.file_name()), b).unwrap();
    }
    std::fs::write(
        dst.join("KEK-8be4df61-93ca-11d2-aa0d-00e098032b8c"),
        [7, 0, 0],
    )
    .unwrap();
    let r = scan_json(&["--root", &dir.path().display().to_string()]);
    let errors = r["errors"].as_array().unwrap();
    // PK, db, dbx, MokListRT: one error each; KEK shorter than its attributes: one.
    assert_eq!(errors.len(), 5, "{errors:#?}");
    assert!(certs(&r, "uefi-db").is_empty());
}

#[test]
fn signing_chains_name_their_issuers_and_anchor_country() {
    // A Microsoft-signed DLL (Authenticode): its chain's issuers and the root's country.
    let r = scan_json(&[
        "--root",
        &fixtures().join("pe/windows").display().to_string(),
    ]);
    let dll = crate::common::component(&r, "pe:/Program Files/Python311/msvcp140_codecvt_ids.dll");
    assert_eq!(dll["properties"]["chain-issuers"], "Microsoft Corporation");
    assert_eq!(
        dll["properties"]["anchor-organisation"],
        "Microsoft Corporation"
    );
    assert_eq!(dll["properties"]["anchor-country"], "US");
    assert_eq!(r["summary"]["signing_anchors"]["US"], 1);
}

#[test]
fn rhel_layout_and_debian_deselected_certificates() {
    // Synthesised by the test from the fixture's real roots: a RHEL tree (extracted bundle,
    // a local anchor, a blocklisted root) and a Debian tree whose bundle leaves one source out.
    let m = fixtures().join("trust/host/usr/share/ca-certificates/mozilla");
    let read = |n: &str| std::fs::read_to_string(m.join(n)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let rhel = dir.path().join("rhel");
    let put = |root: &std::path::Path, p: &str, text: &str| {
        let f = root.join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, text).unwrap();
    };
    put(
        &rhel,
        "etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
        &(read("ISRG_Root_X1.crt") + &read("DigiCert_Global_Root_G2.crt")),
    );
    // RHEL's compatibility link to the same bundle: read once.
    std::fs::create_dir_all(rhel.join("etc/pki/tls/certs")).unwrap();
    std::os::unix::fs::symlink(
        "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
        rhel.join("etc/pki/tls/certs/ca-bundle.crt"),
    )
    .unwrap();
    put(
        &rhel,
        "etc/pki/ca-trust/source/anchors/corp.pem",
        &read("Certum_Trusted_Network_CA.crt"),
    );
    put(
        &rhel,
        "etc/pki/ca-trust/source/blocklist/gdca.pem",
        &read("GDCA_TrustAUTH_R5_ROOT.crt"),
    );
    let r = scan_json(&["--root", &rhel.display().to_string()]);
    assert_eq!(r["errors"], Value::Array(vec![]), "{:#}", r["errors"]);
    assert_eq!(certs(&r, "system").len(), 3);
    let isrg = certs(&r, "system")
        .into_iter()
        .find(|c| c["name"] == "ISRG Root X1")
        .unwrap();
    assert_eq!(
        isrg["locations"],
        serde_json::json!(["/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"])
    );
    let bad = certs(&r, "system-distrust");
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0]["properties"]["trust"], "distrusted");

    let deb = dir.path().join("deb");
    put(
        &deb,
        "etc/ssl/certs/ca-certificates.crt",
        &read("ISRG_Root_X1.crt"),
    );
    put(
        &deb,
        "usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt",
        &read("ISRG_Root_X1.crt"),
    );
    put(
        &deb,
        "usr/share/ca-certificates/mozilla/GDCA.crt",
        &read("GDCA_TrustAUTH_R5_ROOT.crt"),
    );
    put(
        &deb,
        "usr/share/ca-certificates/mozilla/broken.crt",
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    );
    let r = scan_json(&["--root", &deb.display().to_string()]);
    assert_eq!(certs(&r, "system").len(), 1);
    let off = certs(&r, "system-disabled");
    assert_eq!(off.len(), 1);
    assert_eq!(off[0]["name"], "GDCA TrustAUTH R5 ROOT");
    // The broken source file is one error; the rest is read.
    assert_eq!(
        r["errors"].as_array().unwrap().len(),
        1,
        "{:#}",
        r["errors"]
    );
}
