//! PE, Mach-O, application bundles, installed-software databases and the deep scan on fixture
//! roots, attributed with the small rule set in `fixtures/binaries-rules`.

use crate::common::{component, fixtures, scan_json};

fn root(rel: &str) -> String {
    fixtures().join(rel).display().to_string()
}

fn rules() -> String {
    root("binaries-rules")
}

fn prop<'a>(c: &'a serde_json::Value, k: &str) -> &'a serde_json::Value {
    &c["properties"][k]
}

#[test]
fn signed_windows_dll_is_attributed_from_its_signer() {
    let r = scan_json(&[
        "--root",
        &root("pe/windows"),
        "--rules",
        &rules(),
        "--home",
        "DE",
    ]);
    let c = component(&r, "pe:/Program Files/Python311/msvcp140_codecvt_ids.dll");
    assert_eq!(c["version"], "14.44.35211.0");
    assert_eq!(c["vendor"]["id"], "microsoft");
    assert_eq!(c["vendor"]["country"], "US");
    assert_eq!(c["origin"], "foreign");
    assert_eq!(prop(c, "signature"), "authenticode");
    assert_eq!(prop(c, "signature-digest"), "verified");
    assert_eq!(prop(c, "signer-country"), "US");
    assert_eq!(prop(c, "product-name"), "Microsoft® Visual Studio®");
    let ev = c["evidence"].as_array().unwrap();
    // Signed by "Microsoft Windows Software Compatibility Publisher": an attestation signature.
    assert_eq!(prop(c, "signer-role"), "attestation");
    let signer = ev
        .iter()
        .find(|e| e["kind"] == "attestation-signer")
        .unwrap();
    assert_eq!(signer["value"], "Microsoft Corporation");
    assert_eq!(
        signer["rule"],
        format!("{}/vendors/us.yaml:microsoft", rules())
    );
    assert!(ev
        .iter()
        .any(|e| e["kind"] == "company-name" && e["value"] == "Microsoft Corporation"));
    assert!(
        ev.iter().filter(|e| e["kind"] == "certificate").count() >= 2,
        "chain: {ev:?}"
    );
    assert!(
        r["errors"].as_array().unwrap().is_empty(),
        "{}",
        r["errors"]
    );
}

#[test]
fn unsigned_pe_has_no_vendor() {
    let r = scan_json(&["--root", &root("pe/windows"), "--rules", &rules()]);
    let c = component(
        &r,
        "pe:/Program Files/Python311/Lib/site-packages/markupsafe/_speedups.cp311-win_amd64.pyd",
    );
    assert_eq!(prop(c, "signature"), "none");
    assert!(c["vendor"].is_null());
}

#[test]
fn microsoft_signed_efi_binary() {
    let r = scan_json(&["--root", &root("pe/efi"), "--rules", &rules()]);
    let c = component(&r, "pe:/usr/lib/shim/shimx64.efi.signed");
    assert_eq!(prop(c, "pe-type"), "efi");
    assert_eq!(
        prop(c, "signer-name"),
        "Microsoft Windows UEFI Driver Publisher"
    );
    assert_eq!(prop(c, "signature-digest"), "verified");
    assert!(prop(c, "signer-issuer")
        .as_str()
        .unwrap()
        .contains("Microsoft Corporation UEFI CA 2011"));
    // shim is not made by Microsoft: Microsoft's UEFI CA signs it on the maker's behalf.
    assert!(c["vendor"].is_null(), "{}", c["vendor"]);
    assert_eq!(c["signer"]["id"], "microsoft");
    assert_eq!(c["signer"]["country"], "US");
}

#[test]
fn app_bundle_is_one_application_that_contains_its_binary() {
    let r = scan_json(&["--root", &root("macho/applications"), "--rules", &rules()]);
    let app = component(&r, "macos-app:/Applications/terminal-notifier.app");
    assert_eq!(app["kind"], "application");
    assert_eq!(app["name"], "terminal-notifier");
    assert_eq!(app["version"], "1.7.2");
    assert_eq!(
        prop(app, "bundle-id"),
        "nl.superalloy.oss.terminal-notifier"
    );
    let ev = app["evidence"].as_array().unwrap();
    assert!(ev
        .iter()
        .any(|e| e["kind"] == "url" && e["value"] == "superalloy.nl"));
    assert!(ev.iter().any(|e| e["kind"] == "copyright-holder"));
    let exe = "macho:/Applications/terminal-notifier.app/Contents/MacOS/terminal-notifier";
    let bin = component(&r, exe);
    assert_eq!(prop(bin, "machine"), "x86_64");
    assert_eq!(prop(bin, "signature"), "none");
    let rel = r["relationships"].as_array().unwrap();
    assert!(
        rel.iter()
            .any(|x| x["from"] == app["id"] && x["to"] == exe && x["kind"] == "contains"),
        "{rel:?}"
    );
}

#[test]
fn mach_o_from_wheels_thin_and_universal() {
    let r = scan_json(&["--root", &root("macho")]);
    let thin = component(
        &r,
        "macho:/wheels/markupsafe/_speedups.cpython-311-darwin.so",
    );
    assert_eq!(prop(thin, "machine"), "arm64");
    let fat = component(
        &r,
        "macho:/universal2/markupsafe/_speedups.cpython-311-darwin.so",
    );
    assert_eq!(prop(fat, "machine"), "x86_64,arm64");
    assert_eq!(prop(fat, "universal"), "true");
    assert!(
        r["errors"].as_array().unwrap().is_empty(),
        "{}",
        r["errors"]
    );
}

#[test]
fn deep_scan_finds_vendor_strings_with_offsets_as_weak_evidence() {
    let without = scan_json(&["--root", &root("pe"), "--rules", &rules()]);
    assert_eq!(without["scan"]["options"]["deep"], false);
    let shim = component(&without, "pe:/efi/usr/lib/shim/shimx64.efi.signed");
    assert!(!shim["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "string"));

    let r = scan_json(&["--root", &root("pe"), "--rules", &rules(), "--deep"]);
    assert_eq!(r["scan"]["options"]["deep"], true);
    let dll = component(
        &r,
        "pe:/windows/Program Files/Python311/msvcp140_codecvt_ids.dll",
    );
    let hit = dll["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "string")
        .expect("a string hit");
    assert_eq!(hit["value"], "Microsoft Corporation");
    // The version resource is UTF-16LE: found at its offset in the file.
    let at = hit["at"].as_str().unwrap();
    let off = usize::from_str_radix(at.rsplit_once("@0x").unwrap().1, 16).unwrap();
    let bytes = std::fs::read(
        fixtures().join("pe/windows/Program Files/Python311/msvcp140_codecvt_ids.dll"),
    )
    .unwrap();
    let utf16: Vec<u8> = "Microsoft Corporation"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    assert!(bytes[off..].starts_with(&utf16) || bytes[off..].starts_with(b"Microsoft Corporation"));
    // A string alone is too weak to name a vendor: shim stays unattributed.
    let shim = component(&r, "pe:/efi/usr/lib/shim/shimx64.efi.signed");
    assert!(shim["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "string"));
    assert!(shim["vendor"].is_null());
}

#[test]
fn windows_installed_software_from_the_software_hive() {
    let r = scan_json(&[
        "--root",
        &root("windows/win11"),
        "--rules",
        &rules(),
        "--home",
        "DE",
    ]);
    let apps: Vec<&serde_json::Value> = r["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ecosystem"] == "windows")
        .collect();
    // Six machine-wide entries (AddressBook has no DisplayName) and two of alice's.
    assert_eq!(apps.len(), 8, "{apps:?}");
    let acme = component(&r, "windows:Acme Agent@3.2.1");
    assert_eq!(acme["kind"], "application");
    assert_eq!(acme["vendor"]["id"], "acme-gmbh");
    assert_eq!(acme["origin"], "domestic");
    assert_eq!(prop(acme, "arch"), "x64");
    let vc = component(
        &r,
        "windows:Microsoft Visual C++ 2015-2022 Redistributable (x86) - 14.44.35211@14.44.35211.0",
    );
    assert_eq!(vc["vendor"]["id"], "microsoft");
    assert_eq!(prop(vc, "arch"), "x86");
    assert!(prop(vc, "registry-key")
        .as_str()
        .unwrap()
        .starts_with(r"HKLM\SOFTWARE\WOW6432Node\"));
    assert_eq!(vc["locations"][0], "/Windows/System32/config/SOFTWARE");
    let seven = component(&r, "windows:7-Zip 24.09 (x64)@24.09");
    assert!(
        seven["vendor"].is_null(),
        "no rule names Igor Pavlov in the test rules"
    );
    assert!(seven["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "company-name" && e["value"] == "Igor Pavlov"));
}

#[test]
fn binary_in_a_folder_named_like_a_bundle_is_not_linked_without_info_plist() {
    let dir = tempfile::tempdir().unwrap();
    let macos = dir.path().join("Applications/Fake.app/Contents/MacOS");
    std::fs::create_dir_all(&macos).unwrap();
    std::fs::copy(
        fixtures().join("macho/wheels/markupsafe/_speedups.cpython-311-darwin.so"),
        macos.join("fake"),
    )
    .unwrap();
    let r = scan_json(&["--root", dir.path().to_str().unwrap()]);
    component(&r, "macho:/Applications/Fake.app/Contents/MacOS/fake");
    assert!(
        r["relationships"].as_array().is_none_or(|a| a.is_empty()),
        "{}",
        r["relationships"]
    );
}

#[test]
fn windows_per_user_installs_from_ntuser_dat() {
    let r = scan_json(&["--root", &root("windows/win11"), "--rules", &rules()]);
    let code = component(&r, "windows:Microsoft Visual Studio Code (User)@1.95.3");
    assert_eq!(prop(code, "user"), "alice");
    assert!(prop(code, "arch").is_null());
    assert_eq!(code["locations"][0], "/Users/alice/NTUSER.DAT");
    assert!(prop(code, "registry-key")
        .as_str()
        .unwrap()
        .starts_with(r"HKU\alice\Software\Microsoft\"));
    assert_eq!(code["vendor"]["id"], "microsoft");
    let zoom = component(&r, "windows:Zoom Workplace@6.2.11 (52866)");
    assert_eq!(prop(zoom, "publisher"), "Zoom Video Communications, Inc.");
}
