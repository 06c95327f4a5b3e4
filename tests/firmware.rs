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

fn image_root() -> String {
    fixtures().join("firmware/debian-12").display().to_string()
}

fn secfv() -> Vec<u8> {
    std::fs::read(fixtures().join("firmware/debian-12/usr/share/OVMF/OVMF_SECFV.fd")).unwrap()
}

/// Scan a temporary root holding one file.
fn scan_one(name: &str, bytes: &[u8]) -> serde_json::Value {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join(name), bytes).unwrap();
    scan_json(&["--root", d.path().to_str().unwrap(), "--rules", &rules()])
}

fn ids(r: &serde_json::Value) -> Vec<String> {
    r["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

fn errors(r: &serde_json::Value) -> String {
    serde_json::to_string(&r["errors"]).unwrap()
}

#[test]
fn real_uefi_volume_u_boot_fit_and_device_trees() {
    let r = scan_json(&["--root", &image_root(), "--rules", &rules(), "--home", "CN"]);
    let sec = component(
        &r,
        "firmware:/usr/share/OVMF/OVMF_SECFV.fd!uefi/df1ccef6-f301-4a63-9661-fc6030dcc880",
    );
    assert_eq!(sec["name"], "SecMain");
    assert_eq!(sec["version"], "1.0");
    assert_eq!(sec["properties"]["image"], "pe32");
    assert!(r["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["from"] == "firmware:/usr/share/OVMF/OVMF_SECFV.fd"
            && e["to"] == sec["id"]
            && e["kind"] == "contains"));
    // FIT: the SoC is named by the root compatible; the images by their nodes.
    let fit = component(
        &r,
        "firmware:/usr/lib/u-boot/orangepi_one_plus/u-boot-sunxi-with-spl.fit.itb",
    );
    assert_eq!(fit["vendor"]["id"], "allwinner");
    assert_eq!(fit["origin"], "domestic");
    assert_eq!(fit["properties"]["dt-model"], "OrangePi One Plus");
    let atf = component(
        &r,
        "firmware:/usr/lib/u-boot/orangepi_one_plus/u-boot-sunxi-with-spl.fit.itb!fit/atf",
    );
    assert_eq!(atf["properties"]["os"], "arm-trusted-firmware");
    assert_eq!(
        component(
            &r,
            "firmware:/usr/lib/u-boot/orangepi_one_plus/u-boot-sunxi-with-spl.fit.itb!fit/uboot"
        )["name"],
        "U-Boot (64-bit)"
    );
    assert_eq!(fit["board"]["id"], "xunlong");
    // idbloader.img: the Rockchip boot-ROM header names the SoC maker; the device tree appended
    // to the SPL names the board (Pine64, Hong Kong), which is the board party, never the vendor.
    let idb = component(&r, "firmware:/usr/lib/u-boot/rock64-rk3328/idbloader.img");
    assert_eq!(idb["vendor"]["id"], "rockchip");
    assert_eq!(idb["board"]["id"], "pine64");
    assert_eq!(idb["board"]["country"], "HK");
    assert_eq!(idb["found_by"], "bootrom");
    assert_eq!(idb["properties"]["boot-spl-tag"], "RK32");
    let dtb = component(
        &r,
        "firmware:/usr/lib/u-boot/rock64-rk3328/rk3328-rock64.dtb",
    );
    assert_eq!(dtb["properties"]["dt-model"], "Pine64 Rock64");
    // A bare device tree: the last root compatible (the SoC) is the vendor.
    assert_eq!(dtb["vendor"]["id"], "rockchip");
    assert_eq!(dtb["board"]["id"], "pine64");
    assert_eq!(r["errors"], serde_json::json!([]));
}

fn fix_fv_checksum(fv: &mut [u8]) {
    let hlen = u16::from_le_bytes([fv[48], fv[49]]) as usize;
    fv[50] = 0;
    fv[51] = 0;
    let sum = fv[..hlen].chunks_exact(2).fold(0u16, |s, w| {
        s.wrapping_add(u16::from_le_bytes([w[0], w[1]]))
    });
    fv[50..52].copy_from_slice(&0u16.wrapping_sub(sum).to_le_bytes());
}

#[test]
fn hostile_volume_longer_than_the_file() {
    // Synthesised from the real SECFV: FvLength set to 16 GiB, header checksum fixed up.
    let mut fv = secfv();
    fv[32..40].copy_from_slice(&(16u64 << 30).to_le_bytes());
    fix_fv_checksum(&mut fv);
    let r = scan_one("long.fd", &fv);
    assert!(
        errors(&r).contains("firmware volume claims 17179869184 bytes"),
        "{}",
        errors(&r)
    );
    // What is there is still read.
    assert!(ids(&r)
        .iter()
        .any(|i| i.ends_with("!uefi/df1ccef6-f301-4a63-9661-fc6030dcc880")));
}

#[test]
fn hostile_squashfs_claiming_a_terabyte() {
    // Synthesised superblock: squashfs 4.0, 128 KiB blocks, bytes_used = 1 TiB.
    let mut sb = vec![0u8; 4096];
    sb[..4].copy_from_slice(b"hsqs");
    sb[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    sb[12..16].copy_from_slice(&131072u32.to_le_bytes());
    sb[20..22].copy_from_slice(&1u16.to_le_bytes());
    sb[22..24].copy_from_slice(&17u16.to_le_bytes());
    sb[28..30].copy_from_slice(&4u16.to_le_bytes());
    sb[40..48].copy_from_slice(&(1u64 << 40).to_le_bytes());
    let t = std::time::Instant::now();
    let r = scan_one("rootfs.squashfs", &sb);
    assert!(t.elapsed().as_secs() < 20);
    assert!(
        errors(&r).contains("squashfs claims 1099511627776 bytes"),
        "{}",
        errors(&r)
    );
    assert!(ids(&r).contains(&"firmware:/rootfs.squashfs".to_owned()));
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn hostile_archives_nested_a_hundred_deep() {
    // Synthesised: a kernel banner gzipped 100 times over.
    let mut data = b"Linux version 6.1.0-hostile (x@y) #1".to_vec();
    for _ in 0..100 {
        data = gzip(&data);
    }
    let t = std::time::Instant::now();
    let r = scan_one("nested.bin", &data);
    assert!(t.elapsed().as_secs() < 20);
    assert!(
        errors(&r).contains("nested deeper than 8 levels"),
        "{}",
        errors(&r)
    );
    assert!(!ids(&r).iter().any(|i| i.contains("!linux@")));
}

#[test]
fn hostile_decompression_bomb_is_stopped() {
    // Synthesised: 300 MiB of zeros in a small gzip member, over the 256 MiB budget.
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..300 {
        e.write_all(&zeros).unwrap();
    }
    let gz = e.finish().unwrap();
    let r = scan_one("bomb.img", &gz);
    assert!(errors(&r).contains("decompression bomb"), "{}", errors(&r));
}

fn newc(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let pad = |v: &mut Vec<u8>| {
        while v.len() % 4 != 0 {
            v.push(0);
        }
    };
    for (i, (name, data)) in entries
        .iter()
        .chain(std::iter::once(&("TRAILER!!!", &b""[..])))
        .enumerate()
    {
        let mode = if name.ends_with('/') {
            0o040755
        } else {
            0o100644
        };
        let name = name.trim_end_matches('/');
        out.extend_from_slice(format!("070701{:08x}{mode:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}", i, 0, 0, 1, 0, data.len(), 0, 0, 0, 0, name.len() + 1, 0).as_bytes());
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        pad(&mut out);
        out.extend_from_slice(data);
        pad(&mut out);
    }
    out
}

fn uimage(name: &str, comp: u8, payload: &[u8]) -> Vec<u8> {
    let mut h = vec![0u8; 64];
    h[..4].copy_from_slice(&0x2705_1956u32.to_be_bytes());
    h[12..16].copy_from_slice(&(payload.len() as u32).to_be_bytes());
    h[28] = 5; // linux
    h[29] = 2; // arm
    h[30] = 3; // ramdisk
    h[31] = comp;
    h[32..32 + name.len()].copy_from_slice(name.as_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(&h);
    h[4..8].copy_from_slice(&crc.sum().to_be_bytes());
    h.extend_from_slice(payload);
    h
}

#[test]
fn uimage_with_gzipped_initramfs_holding_firmware_and_a_kernel() {
    // Synthesised: a legacy uImage ramdisk whose gzip payload is a newc cpio with a firmware
    // blob (the real Realtek fixture) and a file carrying a kernel banner.
    let fw = std::fs::read(
        fixtures().join("linux-firmware/debian-12/lib/firmware/rtl_nic/rtl8153a-4.fw"),
    )
    .unwrap();
    let status = std::fs::read(fixtures().join("dpkg/debian-12/var/lib/dpkg/status")).unwrap();
    let os_release = std::fs::read(fixtures().join("dpkg/debian-12/usr/lib/os-release")).unwrap();
    let cpio = newc(&[
        ("lib/", b""),
        ("lib/firmware/rtl_nic/rtl8153a-4.fw", &fw),
        (
            "boot/banner",
            b"\0Linux version 5.10.110 (builder@host) (gcc 10) #1 SMP\n",
        ),
        ("var/lib/dpkg/status", &status),
        ("usr/lib/os-release", &os_release),
    ]);
    let img = uimage("ramdisk of a camera", 1, &gzip(&cpio));
    let r = scan_one("uRamdisk", &img);
    let top = component(&r, "firmware:/uRamdisk");
    assert_eq!(top["properties"]["uimage-name"], "ramdisk of a camera");
    assert_eq!(top["properties"]["uimage-arch"], "arm");
    assert_eq!(
        top["properties"]["formats"],
        "cpio gzip linux-kernel uimage"
    );
    assert_eq!(
        component(&r, "firmware:/uRamdisk!linux@5.10.110")["version"],
        "5.10.110"
    );
    let blob = component(&r, "firmware:/uRamdisk!lib/firmware/rtl_nic/rtl8153a-4.fw");
    assert_eq!(blob["vendor"]["id"], "realtek");
    // The package database of the embedded root is read as a nested root.
    let z = component(&r, "firmware:/uRamdisk!deb:zlib1g@1:1.2.13.dfsg-1");
    assert_eq!(
        z["purl"],
        "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12&upstream=zlib"
    );
    assert!(
        z["locations"][0]
            .as_str()
            .unwrap()
            .starts_with("/uRamdisk@0x0/gzip@0x0!/var/lib/dpkg/status"),
        "{z}"
    );
    assert!(r["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["from"] == "firmware:/uRamdisk" && e["to"] == z["id"]));
    assert_eq!(r["errors"], serde_json::json!([]));
}

#[test]
fn fmp_capsule_and_flash_descriptor_wrap_a_volume() {
    let fv = secfv();
    // Synthesised FMP capsule: EFI_CAPSULE_HEADER + FMP header with one payload (v2 header).
    let fmp_guid = [
        0xed, 0xd5, 0xcb, 0x6d, 0x2d, 0xe8, 0x44, 0x4c, 0xbd, 0xa1, 0x71, 0x94, 0x19, 0x9a, 0xd9,
        0x2a,
    ];
    let mut body = Vec::new();
    body.extend_from_slice(&1u32.to_le_bytes());
    body.extend_from_slice(&0u16.to_le_bytes());
    body.extend_from_slice(&1u16.to_le_bytes());
    body.extend_from_slice(&16u64.to_le_bytes());
    let mut item = vec![0u8; 40];
    item[0] = 2;
    item[4..20].copy_from_slice(&[0x11; 16]);
    item[24..28].copy_from_slice(&(fv.len() as u32).to_le_bytes());
    body.extend_from_slice(&item);
    body.extend_from_slice(&fv);
    let mut cap = fmp_guid.to_vec();
    cap.extend_from_slice(&32u32.to_le_bytes());
    cap.extend_from_slice(&0u32.to_le_bytes());
    cap.extend_from_slice(&((32 + body.len()) as u32).to_le_bytes());
    cap.extend_from_slice(&[0; 4]);
    cap.extend_from_slice(&body);
    let r = scan_one("update.cap", &cap);
    let top = component(&r, "firmware:/update.cap");
    assert_eq!(
        top["properties"]["capsules"],
        "6dcbd5ed-e82d-4c44-bda1-7194199ad92a"
    );
    assert_eq!(
        top["properties"]["fmp-image-types"],
        "11111111-1111-1111-1111-111111111111"
    );
    assert!(ids(&r)
        .iter()
        .any(|i| i.ends_with("!uefi/df1ccef6-f301-4a63-9661-fc6030dcc880")));

    // Synthesised SPI image: an Intel flash descriptor whose BIOS region holds the volume.
    let mut spi = vec![0xffu8; 0x1000 + fv.len()];
    spi[16..20].copy_from_slice(&0x0ff0_a55au32.to_le_bytes());
    spi[20..24].copy_from_slice(&0x0004_0003u32.to_le_bytes()); // FRBA = 0x40
    spi[0x40..0x44].copy_from_slice(&0x0000_0000u32.to_le_bytes()); // descriptor 0x0-0xfff
    let limit = ((0x1000 + fv.len() - 1) >> 12) as u32;
    spi[0x44..0x48].copy_from_slice(&((limit << 16) | 1).to_le_bytes()); // bios
    spi[0x48..0x4c].copy_from_slice(&0x0000_7fffu32.to_le_bytes()); // me unused
    spi[0x1000..].copy_from_slice(&fv);
    let r = scan_one("spi.rom", &spi);
    let top = component(&r, "firmware:/spi.rom");
    assert!(
        top["properties"]["flash-regions"]
            .as_str()
            .unwrap()
            .contains("bios:0x1000-"),
        "{top}"
    );
    assert!(ids(&r)
        .iter()
        .any(|i| i.ends_with("!uefi/df1ccef6-f301-4a63-9661-fc6030dcc880")));
}

#[test]
fn squashfs_made_by_mksquashfs_is_walked() {
    // Needs Debian's squashfs-tools (installed by .ci/run; a failure there, said otherwise).
    let Some(mksquashfs) = crate::common::tool("mksquashfs") else {
        return;
    };
    let st = std::process::Command::new(&mksquashfs)
        .arg("-version")
        .output()
        .unwrap();
    assert!(st.status.success());
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("src");
    std::fs::create_dir_all(src.join("lib/firmware/rtl_nic")).unwrap();
    std::fs::create_dir_all(src.join("usr/bin")).unwrap();
    let fw = fixtures().join("linux-firmware/debian-12/lib/firmware/rtl_nic/rtl8153a-4.fw");
    std::fs::copy(fw, src.join("lib/firmware/rtl_nic/rtl8153a-4.fw")).unwrap();
    // A file of several 128 KiB blocks plus a fragment, with a banner at its end.
    let mut big: Vec<u8> = (0..400_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    big.extend_from_slice(b"\0Linux version 5.15.0-squash (b@h) #1\n");
    std::fs::write(src.join("usr/bin/big"), &big).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", src.join("usr/bin/link")).unwrap();
    std::fs::create_dir_all(src.join("var/lib/dpkg")).unwrap();
    std::fs::copy(
        fixtures().join("dpkg/debian-12/var/lib/dpkg/status"),
        src.join("var/lib/dpkg/status"),
    )
    .unwrap();
    let root = d.path().join("root");
    std::fs::create_dir_all(&root).unwrap();
    for comp in ["gzip", "xz"] {
        let st = std::process::Command::new(&mksquashfs)
            .arg(&src)
            .arg(root.join(format!("rootfs-{comp}.bin")))
            .args(["-noappend", "-quiet", "-comp", comp])
            .output()
            .unwrap();
        assert!(st.status.success());
    }
    let r = scan_json(&["--root", root.to_str().unwrap(), "--rules", &rules()]);
    for comp in ["gzip", "xz"] {
        let id = format!("firmware:/rootfs-{comp}.bin");
        let fs = component(&r, &id)["properties"]["filesystems"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(fs.starts_with(&format!("squashfs 4.0 {comp} (")), "{fs}");
        assert_eq!(
            component(&r, &format!("{id}!lib/firmware/rtl_nic/rtl8153a-4.fw"))["vendor"]["id"],
            "realtek"
        );
        component(&r, &format!("{id}!linux@5.15.0-squash"));
        component(&r, &format!("{id}!deb:hostname@3.23+nmu1"));
    }
    assert_eq!(r["errors"], serde_json::json!([]));
}

fn boot_root() -> String {
    fixtures().join("bootrom/debian-12").display().to_string()
}

fn evidence_at(c: &serde_json::Value, kind: &str, value: &str) -> String {
    c["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == kind && e["value"] == value)
        .and_then(|e| e["at"].as_str())
        .unwrap_or_else(|| panic!("no {kind} evidence {value} in {c}"))
        .to_owned()
}

// Issue #11 item 5 (boot-ROM images): a Rockchip idbloader.img was attributed to the board
// maker named in its device tree (Radxa, PINE64) instead of the SoC maker.
#[test]
fn regression_11_boot_rom_images_name_the_soc_maker_and_the_board_apart() {
    let r = scan_json(&["--root", &boot_root(), "--home", "CN"]);
    let idb = component(
        &r,
        "firmware:/usr/lib/u-boot/rock-pi-4-rk3399/idbloader.img",
    );
    assert_eq!(idb["vendor"]["id"], "rockchip");
    assert_eq!(idb["vendor"]["country"], "CN");
    assert_eq!(idb["board"]["id"], "radxa");
    assert_eq!(idb["kind"], "firmware");
    assert_eq!(idb["properties"]["category"], "soc-boot");
    assert_eq!(idb["properties"]["boot-format"], "rockchip-idb");
    assert_eq!(idb["properties"]["boot-spl-tag"], "RK33");
    assert_eq!(idb["properties"]["boot-media"], "sd-mmc");
    assert_eq!(idb["properties"]["dt-model"], "Radxa ROCK Pi 4B");
    assert_eq!(idb["properties"]["board"], "rock-pi-4-rk3399");
    assert_eq!(
        evidence_at(idb, "dt-compatible", "rockchip"),
        "/usr/lib/u-boot/rock-pi-4-rk3399/idbloader.img@0x0"
    );
    evidence_at(idb, "board", "radxa,rockpi4b");

    let spl = component(&r, "firmware:/usr/lib/u-boot/pine64_plus/sunxi-spl.bin");
    assert_eq!(spl["vendor"]["id"], "allwinner");
    assert_eq!(spl["origin"], "domestic");
    assert_eq!(spl["properties"]["boot-format"], "allwinner-egon");
    assert_eq!(spl["properties"]["boot-dt-name"], "sun50i-a64-pine64-plus");
    assert_eq!(
        evidence_at(spl, "dt-compatible", "allwinner"),
        "/usr/lib/u-boot/pine64_plus/sunxi-spl.bin@0x4"
    );
    // The board folder `pine64_plus` names PINE64 (Hong Kong): foreign to CN, but only as board.
    assert_eq!(spl["board"]["id"], "pine64");
    assert_eq!(spl["board"]["class"], "foreign");

    let imx = component(&r, "firmware:/usr/lib/u-boot/wandboard/SPL");
    assert_eq!(imx["vendor"]["id"], "nxp");
    assert_eq!(imx["vendor"]["country"], "NL");
    assert_eq!(imx["properties"]["boot-format"], "nxp-imx-ivt");
    assert_eq!(imx["properties"]["boot-entry"], "0x00908000");
    assert!(imx["board"].is_null(), "no rule names Wandboard's maker");

    let mlo = component(&r, "firmware:/usr/lib/u-boot/am335x_boneblack/MLO");
    assert_eq!(mlo["vendor"]["id"], "ti");
    assert_eq!(mlo["vendor"]["country"], "US");
    assert_eq!(mlo["properties"]["boot-toc-item"], "CHSETTINGS");
    assert_eq!(mlo["properties"]["boot-load-address"], "0x402f0400");

    let rpi = component(&r, "firmware:/usr/lib/raspi-firmware/bootcode.bin");
    assert_eq!(rpi["vendor"]["id"], "broadcom");
    assert_eq!(rpi["properties"]["boot-format"], "raspberrypi-bootcode");
    // The copyright file next to it is not a boot image.
    assert!(!ids(&r).iter().any(|i| i.contains("copyright")));
    assert_eq!(r["errors"], serde_json::json!([]));
}

#[test]
fn boot_images_made_by_mkimage_zynq_and_rockchip_v2() {
    let root = fixtures().join("bootrom/mkimage").display().to_string();
    let r = scan_json(&["--root", &root]);
    let zynq = component(&r, "firmware:/boot/BOOT.BIN");
    assert_eq!(zynq["vendor"]["id"], "xilinx");
    assert_eq!(zynq["properties"]["boot-format"], "xilinx-zynq");
    assert_eq!(zynq["properties"]["boot-encryption"], "none");
    assert_eq!(
        evidence_at(zynq, "dt-compatible", "xlnx"),
        "/boot/BOOT.BIN@0x24"
    );
    let rkns = component(&r, "firmware:/usr/lib/u-boot/rk3568-demo/idbloader.img");
    assert_eq!(rkns["vendor"]["id"], "rockchip");
    assert_eq!(rkns["properties"]["boot-format"], "rockchip-rkns");
    assert_eq!(rkns["properties"]["boot-hash"], "sha256");
    // The header checksum holds: no error.
    assert_eq!(r["errors"], serde_json::json!([]));
    // The payload the images were made from is no boot image.
    assert!(!ids(&r).iter().any(|i| i.contains("payload")));
}

#[test]
fn corrupt_and_truncated_boot_images_never_name_a_wrong_vendor() {
    let real = |p: &str| std::fs::read(fixtures().join("bootrom/debian-12").join(p)).unwrap();
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("usr/lib/u-boot/rock-pi-4-rk3399");
    std::fs::create_dir_all(&dir).unwrap();
    // Synthesised from the real idbloader.img: one bit of the encrypted magic flipped, so the
    // boot-ROM header is gone; the appended device tree still names the SoC, never the board.
    let mut idb = real("usr/lib/u-boot/rock-pi-4-rk3399/idbloader.img");
    idb[1] ^= 0x01;
    std::fs::write(dir.join("idbloader.img"), &idb).unwrap();
    // The same image cut inside its header: too short for any header.
    std::fs::write(dir.join("cut.img"), &idb[..300]).unwrap();
    // The real sunxi-spl.bin cut to 1 KiB: still eGON (an 8-byte magic), with an error.
    let spl = real("usr/lib/u-boot/pine64_plus/sunxi-spl.bin");
    std::fs::write(dir.join("sunxi-spl.bin"), &spl[..1024]).unwrap();
    // The real MLO with a corrupted TOC item name: not a TI image any more.
    let mut mlo = real("usr/lib/u-boot/am335x_boneblack/MLO");
    mlo[0x14] = b'X';
    std::fs::write(dir.join("MLO"), &mlo).unwrap();
    let r = scan_json(&["--root", d.path().to_str().unwrap()]);
    let base = "firmware:/usr/lib/u-boot/rock-pi-4-rk3399";
    let idb = component(&r, &format!("{base}/idbloader.img"));
    assert!(idb["properties"]["boot-format"].is_null(), "{idb}");
    assert_eq!(idb["found_by"], "firmware");
    assert_eq!(idb["vendor"]["id"], "rockchip");
    assert_eq!(idb["board"]["id"], "radxa");
    assert!(!ids(&r).contains(&format!("{base}/cut.img")));
    assert!(!ids(&r).contains(&format!("{base}/MLO")));
    let cut = component(&r, &format!("{base}/sunxi-spl.bin"));
    assert_eq!(cut["vendor"]["id"], "allwinner");
    assert!(
        errors(&r).contains("eGON header claims 32768 bytes; only 1024 are present"),
        "{}",
        errors(&r)
    );
}

// Firmware anywhere: trees at any depth, content recognition, DEP-5 copyright holders.

fn vendor_of(r: &serde_json::Value, id: &str) -> String {
    component(r, id)["vendor"]["id"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

fn has_evidence(c: &serde_json::Value, kind: &str, value: &str) -> bool {
    c["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == kind && e["value"] == value)
}

#[test]
fn firmware_trees_at_any_depth_use_path_rules_content_and_copyright() {
    let root = fixtures()
        .join("linux-firmware/unpacked")
        .display()
        .to_string();
    let r = scan_json(&["--root", &root]);
    // Path rules apply relative to the nested lib/firmware; the content agrees.
    let iwl = component(&r, "linux-firmware:iwlwifi-1000-5.ucode");
    assert_eq!(
        iwl["locations"][0],
        "/staging/firmware-iwlwifi/lib/firmware/iwlwifi-1000-5.ucode"
    );
    assert_eq!(iwl["vendor"]["id"], "intel");
    assert!(has_evidence(iwl, "firmware-path", "iwlwifi-1000-5.ucode"));
    assert!(has_evidence(iwl, "firmware-format", "iwlwifi-tlv"));
    let sdma = component(&r, "linux-firmware:imx/sdma/sdma-imx6q.bin");
    assert_eq!(sdma["vendor"]["id"], "nxp");
    assert!(has_evidence(sdma, "firmware-format", "imx-sdma"));
    let nv = component(&r, "linux-firmware:nvidia/gp102/acr/bl.bin");
    assert_eq!(nv["vendor"]["id"], "nvidia");
    assert!(has_evidence(nv, "firmware-format", "nvidia-bin"));
    assert!(has_evidence(nv, "copyright-holder", "NVIDIA Corporation"));
    assert_eq!(vendor_of(&r, "linux-firmware:mt7601u.bin"), "mediatek");
    // No path rule names hfi1_*: the CSS header's module_vendor (8086) does.
    let hfi = component(&r, "linux-firmware:hfi1_sbus.fw");
    assert!(has_evidence(hfi, "pci-vendor-id", "8086"));
    assert_eq!(hfi["vendor"]["id"], "intel");
    // DEP-5: the last matching `Files:` paragraph of the unpacked package's copyright file.
    let at = "/staging/firmware-misc-nonfree/usr/share/doc/firmware-misc-nonfree/copyright";
    assert!(hfi["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "copyright-holder"
            && e["at"] == at
            && e["value"].as_str().unwrap().contains("Intel")));
    assert_eq!(hfi["properties"]["copyright-files"], "hfi1_*");
    assert_eq!(sdma["properties"]["copyright-files"], "imx/sdma/*");
    // Comtrol's RocketPort firmware: its copyright paragraph names Comtrol, which no rule
    // knows; the bytes name nobody: unknown.
    let rp2 = component(&r, "linux-firmware:rp2.fw");
    assert_eq!(rp2["properties"]["copyright-files"], "rp2.fw");
    assert!(rp2["vendor"].is_null(), "{rp2}");
    assert_eq!(r["errors"], serde_json::json!([]));
}

#[test]
fn loose_blobs_are_attributed_by_content_only() {
    let root = fixtures()
        .join("firmware-blobs/collected")
        .display()
        .to_string();
    let r = scan_json(&["--root", &root]);
    let expect = [
        ("06-55-07", "intel", "cpu-vendor-id", "GenuineIntel"),
        ("hfi1_sbus.fw", "intel", "pci-vendor-id", "8086"),
        (
            "iwlwifi-1000-5.ucode",
            "intel",
            "firmware-format",
            "iwlwifi-tlv",
        ),
        (
            "microcode_amd_fam16h.bin",
            "amd",
            "cpu-vendor-id",
            "AuthenticAMD",
        ),
        (
            "arcturus_gpu_info.bin",
            "amd",
            "firmware-format",
            "amdgpu-ucode",
        ),
        ("rtl8168h-2.fw", "realtek", "firmware-format", "rtl-nic"),
        ("rtl8153a-4.fw", "realtek", "firmware-format", "rtl-usb-nic"),
        (
            "rtl8761bu_config.bin",
            "realtek",
            "firmware-format",
            "rtl-bt-config",
        ),
        (
            "firmware-5.bin",
            "qualcomm",
            "firmware-format",
            "qca-ath10k",
        ),
        (
            "mt7615_rom_patch.bin",
            "mediatek",
            "firmware-format",
            "mt76-rom-patch",
        ),
        (
            "mt7915_wm.bin",
            "mediatek",
            "firmware-format",
            "mt76-connac-ram",
        ),
        (
            "nvidia-gp102-acr-bl.bin",
            "nvidia",
            "firmware-format",
            "nvidia-bin",
        ),
        ("sdma-imx6q.bin", "nxp", "firmware-format", "imx-sdma"),
        (
            "fmimage_8687.fw",
            "marvell",
            "company-name",
            "Marvell Semiconductor",
        ),
    ];
    for (file, vendor, kind, value) in expect {
        let c = component(&r, &format!("firmware-blob:/{file}"));
        assert_eq!(c["kind"], "firmware", "{file}");
        assert_eq!(c["vendor"]["id"], vendor, "{file}: {c}");
        assert!(has_evidence(c, kind, value), "{file}: {c}");
        // Never the name: no path evidence outside a firmware tree.
        assert!(!has_evidence(c, "firmware-path", file), "{file}");
    }
    let tag = &component(&r, "firmware-blob:/mt7915_wm.bin")["properties"]["build-tag"];
    assert!(
        tag.as_str().unwrap().starts_with("t-neptune-mp-mt7915"),
        "{tag}"
    );
    // A Broadcom dongle banner names both Broadcom's and Cypress's builds: no component.
    assert!(
        !ids(&r).iter().any(|i| i.contains("brcmfmac4329")),
        "{:?}",
        ids(&r)
    );
    assert_eq!(r["errors"], serde_json::json!([]));
}

#[test]
fn blobs_without_maker_evidence_get_no_vendor() {
    // Synthesised: zeros, pseudo-random bytes, and random bytes behind a lookalike magic.
    let d = tempfile::tempdir().unwrap();
    let mut x: u32 = 0x1234_5678;
    let mut random = vec![0u8; 70_000];
    for b in random.iter_mut() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
    std::fs::write(d.path().join("zeros.bin"), vec![0u8; 8192]).unwrap();
    std::fs::write(d.path().join("random.fw"), &random).unwrap();
    let mut fake = random.clone();
    fake[..8].copy_from_slice(b"DMA\0\0\0\0\0");
    std::fs::write(d.path().join("fake-amd.bin"), &fake).unwrap();
    let tree = d.path().join("lib/firmware/unknown");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(tree.join("random.bin"), &random).unwrap();
    let r = scan_json(&["--root", d.path().to_str().unwrap()]);
    // Loose: nothing recognised, nothing reported.
    assert!(
        !ids(&r).iter().any(|i| i.starts_with("firmware-blob:")),
        "{:?}",
        ids(&r)
    );
    // In a tree: a component (the path says it is firmware) with no vendor.
    let c = component(&r, "linux-firmware:unknown/random.bin");
    assert!(c["vendor"].is_null(), "{c}");
    assert!(c["properties"]["firmware-format"].is_null(), "{c}");
    assert_eq!(errors(&r), "[]");
}

#[test]
fn dpkg_owned_blob_uses_its_owner_copyright() {
    // A real root built from real bytes: firmware-realtek 20230210-5's blob and copyright file,
    // a status entry and file list naming it, and a decoy doc directory sorted first whose
    // copyright claims rtl_nic/* for someone else.
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let unpacked = fixtures().join("linux-firmware/unpacked/staging/firmware-misc-nonfree");
    for dir in [
        "lib/firmware/rtl_nic",
        "var/lib/dpkg/info",
        "usr/share/doc/firmware-realtek",
        "usr/share/doc/aaa-decoy",
    ] {
        std::fs::create_dir_all(p.join(dir)).unwrap();
    }
    std::fs::copy(
        fixtures().join("firmware-blobs/collected/rtl8168h-2.fw"),
        p.join("lib/firmware/rtl_nic/rtl8168h-2.fw"),
    )
    .unwrap();
    std::fs::copy(
        unpacked.join("usr/share/doc/firmware-misc-nonfree/copyright"),
        p.join("usr/share/doc/firmware-realtek/copyright"),
    )
    .unwrap();
    std::fs::write(
        p.join("usr/share/doc/aaa-decoy/copyright"),
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n\
         Files: rtl_nic/*\nCopyright: 2020 Decoy Holder\nLicense: x\n",
    )
    .unwrap();
    std::fs::write(
        p.join("var/lib/dpkg/status"),
        "Package: firmware-realtek\nStatus: install ok installed\nArchitecture: all\n\
         Version: 20230210-5\nMaintainer: Debian Kernel Team <debian-kernel@lists.debian.org>\n\
         Description: Binary firmware for Realtek devices\n",
    )
    .unwrap();
    std::fs::write(
        p.join("var/lib/dpkg/info/firmware-realtek.list"),
        "/lib/firmware/rtl_nic/rtl8168h-2.fw\n",
    )
    .unwrap();
    let r = scan_json(&["--root", p.to_str().unwrap()]);
    let c = component(&r, "linux-firmware:rtl_nic/rtl8168h-2.fw");
    assert_eq!(c["vendor"]["id"], "realtek");
    assert!(has_evidence(c, "firmware-format", "rtl-nic"));
    assert!(
        has_evidence(c, "copyright-holder", "Realtek Semiconductor Corporation"),
        "{c}"
    );
    assert!(!has_evidence(c, "copyright-holder", "Decoy Holder"), "{c}");
}

/// A blob of a firmware tree that is an ELF image (Qualcomm's `.mbn` and `.mdt` files are) is
/// one firmware component, not also an unowned binary.
#[test]
fn elf_blob_in_a_firmware_tree_is_one_firmware_component() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp
        .path()
        .join("staging/firmware-atheros/lib/firmware/ath10k/WCN3990/hw1.0");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        fixtures().join("dpkg/debian-12/usr/lib/x86_64-linux-gnu/libz.so.1.2.13"),
        dir.join("wlanmdsp.mbn"),
    )
    .unwrap();
    let r = scan_json(&["--root", tmp.path().to_str().unwrap()]);
    let at: Vec<&serde_json::Value> = r["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["locations"][0]
                .as_str()
                .unwrap()
                .ends_with("/wlanmdsp.mbn")
        })
        .collect();
    assert_eq!(at.len(), 1, "{at:?}");
    assert_eq!(at[0]["found_by"], "linux-firmware");
    assert_eq!(at[0]["vendor"]["id"], "qualcomm");
}

/// A vendor update file offered by its name alone (no signature in its head) holding a real
/// UEFI volume, FIT image and device tree: over 4 MiB it is read only as the windows of the
/// structures a stream search finds, and reports exactly what reading it whole does; the
/// structures' offsets are the file's.
#[test]
fn large_unsigned_image_read_as_windows_reports_what_a_whole_read_does() {
    let base = fixtures().join("firmware/debian-12/usr");
    let parts = [
        secfv(),
        std::fs::read(base.join("lib/u-boot/orangepi_one_plus/u-boot-sunxi-with-spl.fit.itb"))
            .unwrap(),
        std::fs::read(base.join("lib/u-boot/rock64-rk3328/rk3328-rock64.dtb")).unwrap(),
    ];
    let image = |pad: usize| {
        // A vendor header of text, then each part page-aligned after `pad` bytes of 0xff.
        let mut b = b"VENDOR-UPDATE v2 ".repeat(200);
        for p in &parts {
            b.resize((b.len() + pad).div_ceil(4096) * 4096, 0xff);
            b.extend_from_slice(p);
        }
        b
    };
    let (small, big) = (image(4096), image(2 << 20));
    assert!(small.len() < 4 << 20 && big.len() > 6 << 20);
    let (whole, windowed) = (scan_one("update.bin", &small), scan_one("update.bin", &big));
    assert_eq!(errors(&windowed), "[]");
    assert_eq!(whole["components"], windowed["components"]);
    assert_eq!(whole["relationships"], windowed["relationships"]);
    let top = component(&windowed, "firmware:/update.bin");
    assert_eq!(top["properties"]["formats"], "fdt fit uefi-fv");
    assert_eq!(top["properties"]["uefi-volumes"], "1");
    // A structure found in a window is reported at its offset in the file: the volume, made
    // to claim 16 GiB, is an error there, and what it holds is still read.
    let mut long = big.clone();
    let fv_at = (17 * 200 + (2usize << 20)).div_ceil(4096) * 4096;
    assert_eq!(&long[fv_at + 40..fv_at + 44], b"_FVH");
    long[fv_at + 32..fv_at + 40].copy_from_slice(&(16u64 << 30).to_le_bytes());
    fix_fv_checksum(&mut long[fv_at..]);
    let r = scan_one("update.bin", &long);
    assert!(
        errors(&r).contains(&format!(
            "@{fv_at:#x}: firmware volume claims 17179869184 bytes"
        )),
        "{}",
        errors(&r)
    );
    assert!(ids(&r)
        .iter()
        .any(|i| i.ends_with("!uefi/df1ccef6-f301-4a63-9661-fc6030dcc880")));
}
