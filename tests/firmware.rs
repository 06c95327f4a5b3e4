//! Firmware: `lib/firmware` blobs attributed by path rules, microcode headers, firmware images.

use crate::common::{component, fixtures, scan_json};

fn rules() -> String {
    fixtures().join("hardware/rules").display().to_string()
}

#[test]
fn lib_firmware_blobs_are_attributed_by_path_rules() {
    let root = fixtures()
        .join("linux-firmware/debian-12")
        .display()
        .to_string();
    let r = scan_json(&["--root", &root, "--rules", &rules()]);
    let vendor = |id: &str| {
        component(&r, id)["vendor"]["id"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };
    assert_eq!(vendor("linux-firmware:rtl_nic/rtl8153a-4.fw"), "realtek");
    assert_eq!(vendor("linux-firmware:iwlwifi-3945-2.ucode"), "intel");
    assert_eq!(
        vendor("linux-firmware:mediatek/mt7615_rom_patch.bin"),
        "mediatek"
    );
    assert_eq!(
        vendor("linux-firmware:nvidia/gv100/gr/fecs_bl.bin"),
        "nvidia"
    );
    assert_eq!(vendor("linux-firmware:carl9170-1.fw"), "qualcomm");
    // No rule names Comtrol: unknown, never guessed.
    assert!(component(&r, "linux-firmware:rp2.fw")["vendor"].is_null());
    let ucode = component(&r, "linux-firmware:intel-ucode/06-55-07@0x5003901");
    assert_eq!(ucode["kind"], "firmware");
    assert_eq!(ucode["version"], "0x5003901");
    assert_eq!(ucode["properties"]["microcode-targets"], "06-55-07");
    assert_eq!(ucode["vendor"]["id"], "intel");
    let amd = component(
        &r,
        "linux-firmware:amd-ucode/microcode_amd_fam16h.bin@0x700010f",
    );
    assert_eq!(amd["vendor"]["id"], "amd");
    assert_eq!(amd["properties"]["microcode-targets"], "16h");
    assert_eq!(r["errors"], serde_json::json!([]));
}

#[test]
fn corrupt_microcode_is_an_error_next_to_the_component() {
    // Synthesised: an Intel header claiming more bytes than the file has.
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("lib/firmware/intel-ucode");
    std::fs::create_dir_all(&dir).unwrap();
    let mut h = vec![0u8; 2048];
    h[0] = 1;
    h[20] = 1;
    h[28] = 1;
    h[32..36].copy_from_slice(&(1u32 << 30).to_le_bytes());
    std::fs::write(dir.join("06-8e-09"), &h).unwrap();
    let r = scan_json(&["--root", d.path().to_str().unwrap()]);
    assert_eq!(r["errors"][0]["path"], "/lib/firmware/intel-ucode/06-8e-09");
    assert!(r["errors"][0]["error"].as_str().unwrap().contains("claims"));
    component(&r, "linux-firmware:intel-ucode/06-8e-09");
}
