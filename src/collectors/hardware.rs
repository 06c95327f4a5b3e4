//! Hardware inventory of the scanned system, read from `/sys` and `/proc` under the root (so a
//! captured tree, see `fixtures/hardware/capture.sh`, scans like the live host).
//!
//! One `hardware` component per distinct device model, with `count` and the sysfs paths of
//! every instance in `locations`:
//! - PCI (`/sys/bus/pci/devices/*`: vendor, device, subsystem ids, class, driver), evidence the
//!   chip's PCI vendor id (the subsystem vendor, usually the board maker, is a property);
//! - USB (`/sys/bus/usb/devices/*`, interfaces skipped): vendor id, the device class (else its
//!   first interface's), and the device's own `manufacturer` string as a company name;
//! - DMI (`/sys/class/dmi/id`): the system, the board and the BIOS (a `firmware` component);
//!   placeholder strings ("To be filled by O.E.M.") are dropped;
//! - CPUs from `/proc/cpuinfo` ([`cpu`]);
//! - block devices (`/sys/block/*/device`: vendor, model);
//! - the device tree root (`compatible`, `model`) from `/sys/firmware/devicetree/base` or
//!   `/proc/device-tree`;
//! - network interfaces with a device behind them: their driver, and the device's
//!   `of_node/compatible` on device-tree platforms;
//! - TPMs (`/sys/class/tpm/tpm*`): version, firmware version and the maker's TCG vendor id
//!   ([`tpm`]).
//!
//! Names come from the shipped `pci.ids`/`usb.ids` ([`ids`]); vendor and country come from the
//! rules. Runs only with `--hardware`. Each attribute read is capped at [`MAX_ATTR`] bytes,
//! `/proc/cpuinfo` at [`MAX_CPUINFO`], and at most [`MAX_ENTRIES`] entries of a directory are
//! read. A symlink (sysfs `driver`) is read, never followed out of the root.

pub mod cpu;
pub mod ids;
pub mod smbios;
mod system;
pub mod tpm;

use super::{Collected, Collector, Context, Phase};
use crate::model::{Component, ComponentKind, EvidenceKind, ScanError};
use crate::rootfs::RootFs;
use std::collections::BTreeMap;

/// Largest sysfs attribute read.
pub const MAX_ATTR: u64 = 4096;
/// Largest `/proc/cpuinfo` read (a 1024-core machine prints about 1.5 MB).
pub const MAX_CPUINFO: u64 = 8 << 20;
/// Most entries of one sysfs directory looked at.
pub const MAX_ENTRIES: usize = 16384;

/// DMI values that name no one.
const PLACEHOLDERS: &[&str] = &[
    "to be filled by o.e.m.",
    "to be filled by oem",
    "default string",
    "system manufacturer",
    "system product name",
    "system version",
    "o.e.m.",
    "oem",
    "not specified",
    "not applicable",
    "none",
    "unknown",
    "n/a",
    "0123456789",
    "base board manufacturer",
    "chassis manufacturer",
];

/// Disk "vendors" that are a transport, not a maker.
const GENERIC_DISK_VENDORS: &[&str] = &["ata", "nvme", "scsi", "usb", "generic", "linux"];

/// The hardware collector.
pub struct Hardware;

impl Collector for Hardware {
    fn id(&self) -> &'static str {
        "hardware"
    }
    fn reads(&self) -> &'static str {
        "`/sys/bus/pci/devices/*`, `/sys/bus/usb/devices/*`, `/sys/class/dmi/id/*`, `/proc/cpuinfo`, `/sys/block/*/device`, `/sys/firmware/devicetree/base` (or `/proc/device-tree`), `/sys/class/net/*/device`, `/sys/class/tpm/tpm*` (TCG vendor id from `caps` or the ACPI id); one component per device model with `count`; names from `rules/ids/pci.ids` and `usb.ids` (with `--hardware`)"
    }
    fn emits(&self) -> &'static [EvidenceKind] {
        &[
            EvidenceKind::CompanyName,
            EvidenceKind::CpuVendorId,
            EvidenceKind::DtCompatible,
            EvidenceKind::PciVendorId,
            EvidenceKind::UsbVendorId,
        ]
    }
    fn phase(&self) -> Phase {
        Phase::System
    }
    fn collect(&self, _c: &super::Candidate<'_>, _ctx: &Context<'_>) -> Collected {
        Collected::default()
    }
    fn collect_system(&self, ctx: &Context<'_>) -> Collected {
        if !ctx.options.hardware {
            return Collected::default();
        }
        let mut inv = Inventory {
            root: ctx.root,
            models: BTreeMap::new(),
            errors: Vec::new(),
        };
        inv.pci();
        inv.usb();
        inv.dmi();
        inv.cpus();
        inv.block();
        inv.device_tree();
        inv.net();
        inv.tpm();
        Collected {
            components: inv.models.into_values().collect(),
            errors: inv.errors,
            ..Collected::default()
        }
    }
}

struct Inventory<'a> {
    root: &'a RootFs,
    models: BTreeMap<String, Component>,
    errors: Vec<ScanError>,
}

fn hex_id(s: &str, digits: usize) -> Option<String> {
    let s = s.trim().to_ascii_lowercase();
    let h = s.strip_prefix("0x").unwrap_or(&s);
    (h.len() == digits && h.bytes().all(|b| b.is_ascii_hexdigit())).then(|| h.to_owned())
}

fn u16_of(h: &str) -> u16 {
    u16::from_str_radix(h, 16).unwrap_or(0)
}

fn placeholder(s: &str) -> bool {
    let l = s.trim().to_ascii_lowercase();
    l.is_empty()
        || PLACEHOLDERS.contains(&l.as_str())
        || l.chars().all(|c| c == '0' || c == 'x' || c == ' ')
}

impl Inventory<'_> {
    /// A sysfs attribute, trimmed; `None` when missing or empty.
    fn attr(&self, dir: &str, name: &str) -> Option<String> {
        let s = self
            .root
            .read_string_capped(&format!("{dir}/{name}"), MAX_ATTR)
            .ok()?;
        let s = crate::text::sanitize(s.trim_matches(|c: char| c.is_whitespace() || c == '\0'));
        (!s.is_empty()).then_some(s)
    }

    /// The last component of a symlink's target (sysfs `driver` → `e1000e`), read inside the root.
    fn link_name(&self, dir: &str, name: &str) -> Option<String> {
        let host = self.root.resolve(dir).ok()?.join(name);
        let target = self.root.read_link_host(&host).ok()?;
        let n = target.file_name()?.to_string_lossy().into_owned();
        (!n.is_empty()).then(|| crate::text::sanitize(&n))
    }

    fn entries(&mut self, dir: &str) -> Vec<String> {
        match self.root.list_dir(dir) {
            Ok(v) => {
                if v.len() > MAX_ENTRIES {
                    self.errors.push(ScanError::new(
                        dir,
                        format!("over {MAX_ENTRIES} entries; the rest are skipped"),
                    ));
                }
                v.into_iter()
                    .take(MAX_ENTRIES)
                    .map(|n| n.to_string_lossy().into_owned())
                    .collect()
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                self.errors
                    .push(ScanError::new(dir, format!("cannot list: {e}")));
                Vec::new()
            }
        }
    }

    /// Count one more instance of a model, creating it with `make` the first time.
    fn add(&mut self, key: String, location: &str, make: impl FnOnce() -> Component) {
        let c = self.models.entry(key).or_insert_with(|| {
            let mut c = make();
            c.count = Some(0);
            c
        });
        c.count = Some(c.count.unwrap_or(0) + 1);
        c.locations.push(location.to_owned());
    }

    fn pci(&mut self) {
        let base = "/sys/bus/pci/devices";
        for slot in self.entries(base) {
            let dir = format!("{base}/{slot}");
            let (Some(v), Some(d)) = (
                self.attr(&dir, "vendor").and_then(|s| hex_id(&s, 4)),
                self.attr(&dir, "device").and_then(|s| hex_id(&s, 4)),
            ) else {
                self.errors.push(ScanError::new(
                    &dir,
                    "PCI device without a readable vendor and device id",
                ));
                continue;
            };
            let sv = self
                .attr(&dir, "subsystem_vendor")
                .and_then(|s| hex_id(&s, 4))
                .filter(|s| s != "0000");
            let sd = self
                .attr(&dir, "subsystem_device")
                .and_then(|s| hex_id(&s, 4));
            let class = self.attr(&dir, "class").and_then(|s| hex_id(&s, 6));
            let rev = self.attr(&dir, "revision").and_then(|s| hex_id(&s, 2));
            let driver = self.link_name(&dir, "driver");
            let key = match (&sv, &sd) {
                (Some(sv), Some(sd)) => format!("pci:{v}:{d}:{sv}:{sd}"),
                _ => format!("pci:{v}:{d}"),
            };
            let at = format!("{dir}/vendor");
            self.add(key.clone(), &dir, || {
                let db = ids::pci();
                let (vi, di) = (u16_of(&v), u16_of(&d));
                let name = db
                    .device(vi, di)
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("PCI device {v}:{d}"));
                let mut c = Component::new(ComponentKind::Hardware, Some("pci"), &name, None);
                c.id = key;
                c.add_evidence(EvidenceKind::PciVendorId, &v, &at);
                c.set_property("pci-id", format!("{v}:{d}"));
                c.set_property("vendor-name", db.vendor(vi).unwrap_or(""));
                if let (Some(sv), Some(sd)) = (&sv, &sd) {
                    c.set_property("subsystem-id", format!("{sv}:{sd}"));
                    c.set_property("subsystem-vendor-name", db.vendor(u16_of(sv)).unwrap_or(""));
                    c.set_property(
                        "subsystem-name",
                        db.subsystem(vi, di, u16_of(sv), u16_of(sd)).unwrap_or(""),
                    );
                }
                if let Some(cl) = &class {
                    c.set_property("class", cl);
                    let (cc, sc) = (
                        u8::from_str_radix(&cl[..2], 16).unwrap_or(0),
                        u8::from_str_radix(&cl[2..4], 16).unwrap_or(0),
                    );
                    c.set_property("class-name", db.class(cc, sc).unwrap_or(""));
                }
                if let Some(r) = &rev {
                    c.set_property("revision", r);
                }
                if let Some(dr) = &driver {
                    c.set_property("driver", dr);
                }
                c
            });
        }
    }

    fn usb(&mut self) {
        let base = "/sys/bus/usb/devices";
        for name in self.entries(base) {
            // `1-1:1.0` is an interface of device `1-1`, not a device.
            if name.contains(':') {
                continue;
            }
            let dir = format!("{base}/{name}");
            let (Some(v), Some(p)) = (
                self.attr(&dir, "idVendor").and_then(|s| hex_id(&s, 4)),
                self.attr(&dir, "idProduct").and_then(|s| hex_id(&s, 4)),
            ) else {
                continue;
            };
            let manufacturer = self.attr(&dir, "manufacturer");
            let product = self.attr(&dir, "product");
            // The device class, else (00: "defined per interface"; ef: "miscellaneous") the
            // first interface's.
            let class = self
                .attr(&dir, "bDeviceClass")
                .and_then(|s| hex_id(&s, 2))
                .filter(|c| c != "00" && c != "ef")
                .or_else(|| {
                    self.attr(&format!("{dir}/{name}:1.0"), "bInterfaceClass")
                        .and_then(|s| hex_id(&s, 2))
                });
            let key = format!("usb:{v}:{p}");
            let at = format!("{dir}/idVendor");
            self.add(key.clone(), &dir, || {
                let db = ids::usb();
                let (vi, pi) = (u16_of(&v), u16_of(&p));
                let name = db
                    .device(vi, pi)
                    .map(str::to_owned)
                    .or_else(|| product.clone())
                    .unwrap_or_else(|| format!("USB device {v}:{p}"));
                let mut c = Component::new(ComponentKind::Hardware, Some("usb"), &name, None);
                c.id = key;
                c.add_evidence(EvidenceKind::UsbVendorId, &v, &at);
                if let Some(m) = manufacturer.as_deref().filter(|m| !placeholder(m)) {
                    c.add_evidence(EvidenceKind::CompanyName, m, format!("{dir}/manufacturer"));
                    c.set_property("manufacturer", m);
                }
                if let Some(pr) = &product {
                    c.set_property("product", pr);
                }
                c.set_property("usb-id", format!("{v}:{p}"));
                if let Some(cl) = &class {
                    c.set_property("usb-class", cl);
                }
                c.set_property("vendor-name", db.vendor(vi).unwrap_or(""));
                c
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_placeholders() {
        assert_eq!(hex_id("0x8086\n", 4).as_deref(), Some("8086"));
        assert_eq!(hex_id("0x08086", 4), None);
        assert_eq!(hex_id("0x020000", 6).as_deref(), Some("020000"));
        assert!(placeholder("To Be Filled By O.E.M."));
        assert!(placeholder("0x0000"));
        assert!(!placeholder("Dell Inc."));
    }
}
