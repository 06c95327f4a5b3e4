//! The platform half of the hardware inventory: DMI (system, board, BIOS), CPUs from
//! `/proc/cpuinfo`, block devices, the device-tree root and network interfaces' drivers. The
//! buses (PCI, USB) and the shared helpers are in [`super`].

use super::{cpu, hex_id, placeholder, Inventory, GENERIC_DISK_VENDORS, MAX_ATTR, MAX_CPUINFO};
use crate::model::{Component, ComponentKind, EvidenceKind, ScanError};

impl Inventory<'_> {
    pub(super) fn dmi(&mut self) {
        let dir = "/sys/class/dmi/id";
        let get = |inv: &Self, k: &str| inv.attr(dir, k).filter(|s| !placeholder(s));
        let parts: [(&str, &str, &str, &str, ComponentKind); 3] = [
            (
                "system",
                "sys_vendor",
                "product_name",
                "product_version",
                ComponentKind::Hardware,
            ),
            (
                "board",
                "board_vendor",
                "board_name",
                "board_version",
                ComponentKind::Hardware,
            ),
            (
                "bios",
                "bios_vendor",
                "bios_version",
                "bios_date",
                ComponentKind::Firmware,
            ),
        ];
        for (what, vk, nk, xk, kind) in parts {
            let vendor = get(self, vk);
            let name = get(self, nk);
            if vendor.is_none() && name.is_none() {
                continue;
            }
            let extra = get(self, xk);
            let family = if what == "system" {
                get(self, "product_family")
            } else {
                None
            };
            let (display, version) = if what == "bios" {
                (
                    format!("{} BIOS", vendor.as_deref().unwrap_or("unknown")),
                    name.clone(),
                )
            } else {
                (
                    name.clone().unwrap_or_else(|| format!("unknown {what}")),
                    extra.clone(),
                )
            };
            let key = format!("dmi:{what}:{}:{}", vendor.as_deref().unwrap_or(""), display);
            self.add(key.clone(), dir, || {
                let mut c = Component::new(kind, Some("dmi"), &display, version.as_deref());
                c.id = match &version {
                    Some(v) => format!("{key}@{v}"),
                    None => key,
                };
                if let Some(v) = &vendor {
                    c.add_evidence(EvidenceKind::CompanyName, v, format!("{dir}/{vk}"));
                    c.set_property("vendor", v);
                }
                c.set_property("dmi", what);
                if what == "bios" {
                    c.set_property("date", extra.as_deref().unwrap_or(""));
                }
                c.set_property("family", family.as_deref().unwrap_or(""));
                c
            });
        }
    }

    pub(super) fn cpus(&mut self) {
        let path = "/proc/cpuinfo";
        let text = match self.root.read_string_capped(path, MAX_CPUINFO) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            Err(e) => {
                self.errors
                    .push(ScanError::new(path, format!("cannot read: {e}")));
                return;
            }
        };
        for m in cpu::parse(&text) {
            let key = format!("cpu:{}", m.key);
            let mut c = Component::new(ComponentKind::Hardware, Some("cpu"), &m.name, None);
            c.id = key.clone();
            if let Some(v) = &m.vendor_id {
                c.add_evidence(EvidenceKind::CpuVendorId, v, path);
            }
            if let Some(dt) = &m.compatible {
                c.add_evidence(EvidenceKind::DtCompatible, dt, path);
            }
            for (k, v) in &m.properties {
                c.set_property(k, v);
            }
            if m.sockets > 0 {
                c.set_property("sockets", m.sockets.to_string());
            }
            c.count = Some(m.count);
            c.locations.push(path.to_owned());
            self.models.insert(key, c);
        }
    }

    pub(super) fn block(&mut self) {
        for name in self.entries("/sys/block") {
            if ["loop", "ram", "zram", "dm-", "md", "nbd"]
                .iter()
                .any(|p| name.starts_with(p))
            {
                continue;
            }
            let dev = format!("/sys/block/{name}/device");
            let vendor = self.attr(&dev, "vendor");
            let model = self.attr(&dev, "model");
            if vendor.is_none() && model.is_none() {
                continue;
            }
            let rev = self
                .attr(&dev, "rev")
                .or_else(|| self.attr(&dev, "firmware_rev"));
            let rotational = self.attr(&format!("/sys/block/{name}/queue"), "rotational");
            let key = format!(
                "disk:{}:{}",
                vendor.as_deref().unwrap_or(""),
                model.as_deref().unwrap_or("")
            );
            let loc = format!("/sys/block/{name}");
            self.add(key.clone(), &loc, || {
                let display = model
                    .clone()
                    .unwrap_or_else(|| format!("{} disk", vendor.as_deref().unwrap_or("unknown")));
                let mut c = Component::new(ComponentKind::Hardware, Some("disk"), &display, None);
                c.id = key;
                match vendor.as_deref() {
                    // virtio and some controllers give a PCI-style vendor id.
                    Some(v) if hex_id(v, 4).is_some() && v.starts_with("0x") => {
                        c.add_evidence(
                            EvidenceKind::PciVendorId,
                            hex_id(v, 4).unwrap_or_default(),
                            format!("{dev}/vendor"),
                        );
                    }
                    Some(v)
                        if !GENERIC_DISK_VENDORS.contains(&v.to_ascii_lowercase().as_str())
                            && !placeholder(v) =>
                    {
                        c.add_evidence(EvidenceKind::CompanyName, v, format!("{dev}/vendor"));
                    }
                    // ATA and NVMe disks name their maker only in the model ("Samsung SSD 870").
                    _ => {
                        if let Some(m) = &model {
                            c.add_evidence(EvidenceKind::CompanyName, m, format!("{dev}/model"));
                        }
                    }
                }
                c.set_property("vendor", vendor.as_deref().unwrap_or(""));
                c.set_property("model", model.as_deref().unwrap_or(""));
                c.set_property("revision", rev.as_deref().unwrap_or(""));
                c.set_property("rotational", rotational.as_deref().unwrap_or(""));
                c
            });
        }
    }

    pub(super) fn device_tree(&mut self) {
        for base in ["/sys/firmware/devicetree/base", "/proc/device-tree"] {
            let Ok(raw) = self
                .root
                .read_capped(&format!("{base}/compatible"), MAX_ATTR)
            else {
                continue;
            };
            let compat: Vec<String> = raw
                .split(|&b| b == 0)
                .map(|s| crate::text::sanitize(&String::from_utf8_lossy(s)))
                .filter(|s| !s.trim().is_empty())
                .collect();
            let Some(first) = compat.first() else {
                continue;
            };
            let model = self.attr(base, "model");
            let key = format!("dt:{first}");
            let at = format!("{base}/compatible");
            self.add(key.clone(), base, || {
                let mut c = Component::new(
                    ComponentKind::Hardware,
                    Some("devicetree"),
                    model.as_deref().unwrap_or(first),
                    None,
                );
                c.id = key;
                for s in &compat {
                    c.add_evidence(EvidenceKind::DtCompatible, s, &at);
                }
                c.set_property("compatible", compat.join(" "));
                c
            });
            // `/proc/device-tree` is a link to the same tree.
            return;
        }
    }

    pub(super) fn net(&mut self) {
        for name in self.entries("/sys/class/net") {
            let dev = format!("/sys/class/net/{name}/device");
            let Some(driver) = self.link_name(&dev, "driver") else {
                continue;
            };
            let compat = self
                .root
                .read_capped(&format!("{dev}/of_node/compatible"), MAX_ATTR)
                .ok()
                .and_then(|raw| {
                    raw.split(|&b| b == 0)
                        .next()
                        .map(|s| crate::text::sanitize(&String::from_utf8_lossy(s)))
                })
                .filter(|s| !s.is_empty());
            let vendor = self.attr(&dev, "vendor").and_then(|s| hex_id(&s, 4));
            // A wireless interface has a `wireless` directory (or a `phy80211` link).
            let ifdir = format!("/sys/class/net/{name}");
            let wireless = self.root.list_dir(&format!("{ifdir}/wireless")).is_ok()
                || self.link_name(&ifdir, "phy80211").is_some();
            let key = format!("net:{driver}:{}", compat.as_deref().unwrap_or(""));
            let loc = format!("/sys/class/net/{name}");
            self.add(key.clone(), &loc, || {
                let mut c = Component::new(
                    ComponentKind::Hardware,
                    Some("net"),
                    &format!("{driver} network interface"),
                    None,
                );
                c.id = key;
                c.set_property("driver", &driver);
                if wireless {
                    c.set_property("wireless", "true");
                }
                if let Some(cp) = &compat {
                    c.add_evidence(
                        EvidenceKind::DtCompatible,
                        cp,
                        format!("{dev}/of_node/compatible"),
                    );
                }
                if let Some(v) = &vendor {
                    c.add_evidence(EvidenceKind::PciVendorId, v, format!("{dev}/vendor"));
                }
                c
            });
        }
    }
}
