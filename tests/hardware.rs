//! `sovscan scan --hardware` on captured and assembled sysfs/procfs trees.

use crate::common::{component, fixtures, scan_json};

fn tree(name: &str) -> String {
    fixtures().join("hardware").join(name).display().to_string()
}

fn rules() -> String {
    fixtures().join("hardware/rules").display().to_string()
}

fn vendor(r: &serde_json::Value, id: &str) -> String {
    component(r, id)["vendor"]["id"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

#[test]
fn desktop_devices_are_counted_named_and_attributed() {
    let r = scan_json(&[
        "--root",
        &tree("desktop-z690"),
        "--hardware",
        "--rules",
        &rules(),
        "--home",
        "CN",
    ]);
    let gpu = component(&r, "pci:10de:2484:1043:87b8");
    assert_eq!(gpu["name"], "GA104 [GeForce RTX 3070]");
    assert_eq!(gpu["kind"], "hardware");
    assert_eq!(
        gpu["properties"]["subsystem-vendor-name"],
        "ASUSTeK Computer Inc."
    );
    assert_eq!(gpu["properties"]["class-name"], "VGA compatible controller");
    assert_eq!(gpu["properties"]["driver"], "nvidia");
    assert_eq!(vendor(&r, "pci:10de:2484:1043:87b8"), "nvidia");
    // Two identical receivers: one model, counted twice, both bus paths kept.
    let rx = component(&r, "usb:046d:c52b");
    assert_eq!(rx["name"], "Unifying Receiver");
    assert_eq!(rx["count"], 2);
    assert_eq!(
        rx["locations"],
        serde_json::json!(["/sys/bus/usb/devices/1-3", "/sys/bus/usb/devices/1-4"])
    );
    assert_eq!(vendor(&r, "usb:046d:c52b"), "logitech");
    assert_eq!(component(&r, "usb:1d6b:0002")["name"], "2.0 root hub");
    let cpu = component(
        &r,
        "cpu:x86:GenuineIntel:12th Gen Intel(R) Core(TM) i7-12700K",
    );
    assert_eq!(
        (cpu["count"].as_u64(), cpu["properties"]["sockets"].as_str()),
        (Some(4), Some("1"))
    );
    assert_eq!(
        vendor(
            &r,
            "cpu:x86:GenuineIntel:12th Gen Intel(R) Core(TM) i7-12700K"
        ),
        "intel"
    );
    // ASUS boards leave the system fields as placeholders: no system component, a board one.
    let ids: Vec<&str> = r["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(!ids.iter().any(|i| i.starts_with("dmi:system")), "{ids:?}");
    assert_eq!(
        vendor(&r, "dmi:board:ASUSTeK COMPUTER INC.:PRIME Z690-P@Rev 1.xx"),
        "asus"
    );
    let bios = component(
        &r,
        "dmi:bios:American Megatrends Inc.:American Megatrends Inc. BIOS@2212",
    );
    assert_eq!(bios["kind"], "firmware");
    assert_eq!(bios["vendor"]["id"], "ami");
    // SATA disks say "ATA": the maker is only in the model.
    assert_eq!(vendor(&r, "disk:ATA:WDC WD10EZEX-08W"), "western-digital");
    assert_eq!(component(&r, "net:r8169:")["properties"]["driver"], "r8169");
    assert_eq!(r["errors"], serde_json::json!([]));
}

#[test]
fn arm_server_cpu_and_soc_devices() {
    let r = scan_json(&[
        "--root",
        &tree("kunpeng-920-server"),
        "--hardware",
        "--rules",
        &rules(),
        "--home",
        "CN",
    ]);
    let cpu = component(&r, "cpu:arm:0x48:0xd01");
    assert_eq!(cpu["evidence"][0]["value"], "arm:0x48");
    assert_eq!(cpu["count"], 4);
    assert_eq!(cpu["vendor"]["id"], "hisilicon");
    assert_eq!(cpu["vendor"]["ultimate_owner"], "huawei");
    assert_eq!(cpu["origin"], "domestic");
    let nic = component(&r, "pci:19e5:a222:19e5:0454");
    assert_eq!(nic["count"], 2);
    assert_eq!(nic["origin"], "domestic");
    let cx5 = component(&r, "pci:15b3:1017:15b3:0007");
    assert_eq!(cx5["vendor"]["ultimate_owner"], "nvidia");
    assert_eq!(cx5["origin"], "foreign");
    assert_eq!(
        vendor(&r, "dmi:system:Huawei:TaiShan 200 (Model 2280)"),
        "huawei"
    );
    assert_eq!(component(&r, "net:hns3:")["count"], 2);
}

#[test]
fn captured_vm_matches_its_pci_bus() {
    let r = scan_json(&["--root", &tree("this-vm"), "--hardware"]);
    let pci: u64 = r["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ecosystem"] == "pci")
        .map(|c| c["count"].as_u64().unwrap())
        .sum();
    let slots = std::fs::read_dir(fixtures().join("hardware/this-vm/sys/bus/pci/devices"))
        .unwrap()
        .count() as u64;
    assert_eq!(pci, slots);
    assert_eq!(
        component(&r, "pci:1af4:1041:1af4:1041")["name"],
        "Virtio 1.0 network device"
    );
}

#[test]
fn hardware_is_off_with_root_unless_asked() {
    let r = scan_json(&["--root", &tree("desktop-z690")]);
    assert_eq!(r["components"], serde_json::json!([]));
    assert_eq!(r["scan"]["options"]["hardware"], false);
}

#[test]
fn corrupt_sysfs_gives_errors_not_a_crash() {
    // Synthesised: unreadable ids, a binary cpuinfo, a driver link pointing out of the root.
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    let dev = root.join("sys/bus/pci/devices/0000:00:01.0");
    std::fs::create_dir_all(&dev).unwrap();
    std::fs::write(dev.join("vendor"), "0xzzzz\n").unwrap();
    std::fs::write(dev.join("device"), "\0\0\0").unwrap();
    let ok = root.join("sys/bus/pci/devices/0000:00:02.0");
    std::fs::create_dir_all(&ok).unwrap();
    std::fs::write(ok.join("vendor"), "0x8086\n").unwrap();
    std::fs::write(ok.join("device"), "0x1521\n").unwrap();
    std::os::unix::fs::symlink("/etc/passwd", ok.join("driver")).unwrap();
    std::fs::create_dir_all(root.join("proc")).unwrap();
    std::fs::write(
        root.join("proc/cpuinfo"),
        [0xffu8, 0x00, b':', b'\n', 0x1b, b'[', b'2', b'J'],
    )
    .unwrap();
    let r = scan_json(&["--root", root.to_str().unwrap(), "--hardware"]);
    assert_eq!(r["errors"][0]["path"], "/sys/bus/pci/devices/0000:00:01.0");
    let i350 = component(&r, "pci:8086:1521");
    assert_eq!(i350["name"], "I350 Gigabit Network Connection");
    // Only the link's last component is used as a name; nothing is read through it.
    assert_eq!(i350["properties"]["driver"], "passwd");
    assert_eq!(r["components"].as_array().unwrap().len(), 1);
}

#[test]
fn capture_script_round_trip_on_this_machine() {
    // Runs fixtures/hardware/capture.sh on the machine running the tests (skipped without a
    // PCI bus in /sys, as in some containers) and compares with /sys itself.
    let slots = std::fs::read_dir("/sys/bus/pci/devices").map_or(0, |d| d.count() as u64);
    if slots == 0 {
        // A property of the machine, not a missing tool: said, and not a failure.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"SKIPPED: capture_script_round_trip_on_this_machine: no PCI bus in /sys\n",
        );
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let st = std::process::Command::new("sh")
        .arg(fixtures().join("hardware/capture.sh"))
        .arg(d.path())
        .status()
        .unwrap();
    assert!(st.success());
    let r = scan_json(&["--root", d.path().to_str().unwrap(), "--hardware"]);
    let pci: u64 = r["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ecosystem"] == "pci")
        .map(|c| c["count"].as_u64().unwrap())
        .sum();
    assert_eq!(pci, slots);
    assert!(r["components"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["ecosystem"] == "cpu"));
}

#[test]
fn tpms_report_version_firmware_and_tcg_maker() {
    // TPM 1.2: the maker from `caps` (`Manufacturer: 0x53544d20` is TCG vendor id `STM`).
    let r = scan_json(&["--root", &tree("tpm12-laptop"), "--hardware"]);
    let t = component(&r, "tpm:stm:1.2");
    assert_eq!(t["name"], "TPM 1.2 (STMicroelectronics)");
    assert_eq!(t["properties"]["firmware-version"], "13.12");
    assert_eq!(t["properties"]["driver"], "tpm_tis");
    assert_eq!(t["vendor"]["id"], "st", "{t:#}");
    // TPM 2.0 firmware TPM behind the generic MSFT0101 id: no maker claimed.
    let r = scan_json(&[
        "--root",
        &tree("desktop-z690"),
        "--hardware",
        "--rules",
        &rules(),
    ]);
    let t = component(&r, "tpm:unknown:2");
    assert_eq!(t["name"], "TPM 2");
    assert_eq!(t["properties"]["acpi-ids"], "MSFT0101");
    assert_eq!(t["properties"]["driver"], "tpm_crb");
    assert!(t.get("vendor").is_none());
}
