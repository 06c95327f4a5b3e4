//! Categories: which kind of thing a component is (`nic`, `gpu`, `platform-firmware`,
//! `database`…), from the vocabulary of `rules/categories.yaml`, decided from evidence only.
//!
//! The evidence is tried in a fixed order, strongest first, and the first that names a category
//! decides it:
//! 1. the recognised product's category;
//! 2. a PCI vendor or vendor:device id listed by a category (`pci_ids`);
//! 3. the PCI class code (`pci_classes`, longest code wins: `0280` before `02`);
//! 4. the USB class (`usb_classes`);
//! 5. a role the collector stated ([`roles`]: `cpu`, `dmi:system`, `disk:rotational`,
//!    `efi:application`…);
//! 6. the device firmware path (`firmware_paths`, longest pattern wins) or format;
//! 7. the package section (`sections`);
//! 8. the ecosystem (`ecosystems`);
//! 9. an inventory row whose kind column names a category id.
//!
//! What decided is kept as `category_from` (`pci-class:0280`), so `explain` can show it.
//! Nothing is guessed: a component none of this applies to has no category. This module
//! neither reads files nor decides vendors.

use crate::model::{Component, EvidenceKind};
use crate::rules::matcher::FirmwarePaths;
use crate::rules::RuleDb;
use std::collections::HashMap;

/// Compiled category matchers.
pub struct Categoriser {
    ids: Vec<String>,
    pci_ids: HashMap<String, usize>,
    pci_classes: HashMap<String, usize>,
    usb_classes: HashMap<String, usize>,
    roles: HashMap<String, usize>,
    firmware: FirmwarePaths,
    formats: HashMap<String, usize>,
    sections: HashMap<String, usize>,
    ecosystems: HashMap<String, usize>,
}

/// A category decided for a component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Category id.
    pub id: String,
    /// The evidence that decided (`pci-class:0280`, `product:openssl`).
    pub from: String,
}

fn norm(s: &str) -> String {
    s.trim().to_ascii_lowercase()
}

impl Categoriser {
    /// Compile the categories of a database.
    pub fn new(db: &RuleDb) -> Self {
        let mut c = Categoriser {
            ids: Vec::new(),
            pci_ids: HashMap::new(),
            pci_classes: HashMap::new(),
            usb_classes: HashMap::new(),
            roles: HashMap::new(),
            firmware: FirmwarePaths::default(),
            formats: HashMap::new(),
            sections: HashMap::new(),
            ecosystems: HashMap::new(),
        };
        let mut patterns = Vec::new();
        for (t, cat) in db.categories.values().enumerate() {
            c.ids.push(cat.raw.id.clone());
            let m = &cat.raw.matchers;
            for (map, values) in [
                (&mut c.pci_ids, &m.pci_ids),
                (&mut c.pci_classes, &m.pci_classes),
                (&mut c.usb_classes, &m.usb_classes),
                (&mut c.roles, &m.roles),
                (&mut c.formats, &m.firmware_formats),
                (&mut c.sections, &m.sections),
                (&mut c.ecosystems, &m.ecosystems),
            ] {
                for v in values {
                    // The first category (by id) claiming a value keeps it; lint reports the rest.
                    map.entry(norm(v)).or_insert(t);
                }
            }
            patterns.extend(m.firmware_paths.iter().map(|p| (p.trim().to_owned(), t)));
        }
        c.firmware = FirmwarePaths::new(&patterns);
        c
    }

    fn id(&self, t: usize) -> String {
        self.ids.get(t).cloned().unwrap_or_default()
    }

    /// The category of a component, from its evidence (see the module doc for the order).
    pub fn decide(&self, c: &Component) -> Option<Decision> {
        let hit = |t: usize, from: String| Decision {
            id: self.id(t),
            from,
        };
        if let Some(p) = &c.product {
            return Some(Decision {
                id: p.category.clone(),
                from: format!("product:{}", p.id),
            });
        }
        if let Some(pci) = c.properties.get("pci-id") {
            let vendor = pci.split(':').next().unwrap_or("");
            for key in [pci.as_str(), vendor] {
                if let Some(&t) = self.pci_ids.get(&norm(key)) {
                    return Some(hit(t, format!("pci-id:{key}")));
                }
            }
        }
        if let Some(class) = c.properties.get("class") {
            // `020000`: base class, subclass, programming interface; longest code first.
            for n in [4, 2] {
                if let Some(t) = class.get(..n).and_then(|k| self.pci_classes.get(&norm(k))) {
                    return Some(hit(*t, format!("pci-class:{}", &class[..n])));
                }
            }
        }
        if let Some(class) = c.properties.get("usb-class") {
            if let Some(&t) = self.usb_classes.get(&norm(class)) {
                return Some(hit(t, format!("usb-class:{class}")));
            }
        }
        for r in roles(c) {
            if let Some(&t) = self.roles.get(&r) {
                return Some(hit(t, format!("role:{r}")));
            }
        }
        for e in &c.evidence {
            let t = match e.kind {
                EvidenceKind::FirmwarePath => self.firmware.find(&e.value),
                EvidenceKind::FirmwareFormat => self.formats.get(&norm(&e.value)).copied(),
                _ => None,
            };
            if let Some(t) = t {
                return Some(hit(t, format!("{}:{}", e.kind.as_str(), e.value)));
            }
        }
        if let Some(s) = c.properties.get("section") {
            // `non-free/net` is section `net` of area `non-free`.
            let s = s.rsplit('/').next().unwrap_or(s);
            if let Some(&t) = self.sections.get(&norm(s)) {
                return Some(hit(t, format!("section:{s}")));
            }
        }
        if c.kind == crate::model::ComponentKind::Package {
            if let Some(t) = c
                .ecosystem
                .as_deref()
                .and_then(|e| self.ecosystems.get(&norm(e)))
            {
                return Some(hit(
                    *t,
                    format!("ecosystem:{}", c.ecosystem.as_deref().unwrap_or("")),
                ));
            }
        }
        if let Some(t) = c.ecosystem.as_deref().and_then(|e| {
            // Firmware modules and kernels read out of an image are not packages.
            (c.kind == crate::model::ComponentKind::Firmware)
                .then(|| self.ecosystems.get(&norm(e)))
                .flatten()
        }) {
            return Some(hit(
                *t,
                format!("ecosystem:{}", c.ecosystem.as_deref().unwrap_or("")),
            ));
        }
        if let Some(kind) = c.properties.get("inventory-kind") {
            let k = norm(kind).replace([' ', '_'], "-");
            if let Some(t) = self.ids.iter().position(|id| *id == k) {
                return Some(hit(t, format!("inventory-kind:{kind}")));
            }
        }
        None
    }
}

/// The roles a component's collector stated for it, from the facts it recorded: `cpu`;
/// `dmi:system`, `dmi:board`, `dmi:bios`; `devicetree` (the device-tree root); `net` and
/// `net:wireless`; `disk`, `disk:rotational`, `disk:solid-state`; `efi:application` and
/// `efi:driver` (an EFI image's subsystem); `uefi-image` (a flash image with UEFI volumes);
/// `boot-image` (a SoC boot image); `fit:<type>` (an image of a FIT); `inventory:<kind>`.
pub fn roles(c: &Component) -> Vec<String> {
    let p = |k: &str| c.properties.get(k).map(String::as_str);
    let mut out = Vec::new();
    match c.ecosystem.as_deref() {
        Some("cpu") => out.push("cpu".to_owned()),
        Some("dmi") => {
            if let Some(w) = p("dmi") {
                out.push(format!("dmi:{w}"));
            }
        }
        Some("devicetree") => out.push("devicetree".to_owned()),
        Some("net") => out.push(if p("wireless") == Some("true") {
            "net:wireless".to_owned()
        } else {
            "net".to_owned()
        }),
        Some("disk") => out.push(match p("rotational") {
            Some("1") => "disk:rotational".to_owned(),
            Some("0") => "disk:solid-state".to_owned(),
            _ => "disk".to_owned(),
        }),
        Some("fit") => {
            if let Some(t) = p("type").filter(|t| !t.is_empty()) {
                out.push(format!("fit:{t}"));
            }
        }
        _ => {}
    }
    match p("efi-subsystem") {
        Some("application") => out.push("efi:application".to_owned()),
        Some(_) => out.push("efi:driver".to_owned()),
        None => {}
    }
    if p("boot-format").is_some() {
        out.push("boot-image".to_owned());
    } else if p("uefi-volumes").is_some() {
        out.push("uefi-image".to_owned());
    }
    if let Some(k) = p("inventory-kind") {
        out.push(format!("inventory:{}", norm(k)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ComponentKind;

    fn db() -> RuleDb {
        crate::rules::load_strict(&[]).expect("built-in rules load")
    }

    fn hw(eco: &str, props: &[(&str, &str)]) -> Component {
        let mut c = Component::new(ComponentKind::Hardware, Some(eco), "x", None);
        for (k, v) in props {
            c.set_property(k, v);
        }
        c
    }

    #[test]
    fn pci_class_longest_code_wins_and_ids_beat_classes() {
        let db = db();
        let cat = Categoriser::new(&db);
        let d = |c: &Component| cat.decide(c).map(|d| (d.id, d.from));
        let wifi = hw("pci", &[("pci-id", "8086:2723"), ("class", "028000")]);
        assert_eq!(
            d(&wifi),
            Some(("wifi-bluetooth".into(), "pci-class:0280".into()))
        );
        let eth = hw("pci", &[("pci-id", "10ec:8168"), ("class", "020000")]);
        assert_eq!(d(&eth).map(|x| x.0), Some("nic".into()));
        let vga = hw("pci", &[("pci-id", "10de:2204"), ("class", "030000")]);
        assert_eq!(d(&vga).map(|x| x.0), Some("gpu".into()));
        // ASPEED's VGA function belongs to the BMC, whatever its class says.
        let bmc = hw("pci", &[("pci-id", "1a03:2000"), ("class", "030000")]);
        assert_eq!(d(&bmc), Some(("bmc".into(), "pci-id:1a03".into())));
        let nvme = hw("pci", &[("pci-id", "144d:a808"), ("class", "010802")]);
        assert_eq!(d(&nvme).map(|x| x.0), Some("ssd".into()));
        // A class no category names stays unknown.
        assert_eq!(d(&hw("pci", &[("class", "ff0000")])), None);
    }

    #[test]
    fn roles_firmware_paths_and_sections() {
        let db = db();
        let cat = Categoriser::new(&db);
        let id = |c: &Component| cat.decide(c).map(|d| d.id);
        assert_eq!(id(&hw("cpu", &[])), Some("cpu".into()));
        assert_eq!(id(&hw("dmi", &[("dmi", "system")])), Some("system".into()));
        assert_eq!(id(&hw("disk", &[("rotational", "1")])), Some("hdd".into()));
        assert_eq!(id(&hw("disk", &[("rotational", "0")])), Some("ssd".into()));
        let fw = |path: &str| {
            let mut c = Component::new(ComponentKind::Firmware, Some("linux-firmware"), path, None);
            c.add_evidence(EvidenceKind::FirmwarePath, path, "/lib/firmware");
            cat.decide(&c).map(|d| d.id)
        };
        assert_eq!(fw("rtl_nic/rtl8168h-2.fw"), Some("nic".into()));
        assert_eq!(fw("iwlwifi-cc-a0-77.ucode"), Some("wifi-bluetooth".into()));
        assert_eq!(fw("intel/ibt-19-0-4.sfi"), Some("wifi-bluetooth".into()));
        // The longest pattern wins: intel/ice/ is a NIC's, intel/ibt-* a Bluetooth adapter's.
        assert_eq!(fw("intel/ice/ddp/ice.pkg"), Some("nic".into()));
        assert_eq!(fw("intel-ucode/06-55-04"), Some("cpu-microcode".into()));
        assert_eq!(fw("amdgpu/vega12_sdma.bin"), Some("gpu".into()));
        assert_eq!(
            fw("mrvl/prestera/mvsw_prestera_fw-v4.1.img"),
            Some("nic".into())
        );
        assert_eq!(fw("unheard-of/blob.bin"), None);
        let mut deb = Component::new(ComponentKind::Package, Some("deb"), "mariadb-server", None);
        deb.set_property("section", "database");
        assert_eq!(id(&deb), Some("database".into()));
        deb.set_property("section", "non-free/net");
        assert_eq!(id(&deb), Some("network-service".into()));
        let pip = Component::new(ComponentKind::Package, Some("pypi"), "requests", None);
        assert_eq!(id(&pip), Some("library".into()));
        let mut efi = Component::new(ComponentKind::Binary, Some("pe"), "shimx64.efi", None);
        efi.set_property("efi-subsystem", "application");
        assert_eq!(id(&efi), Some("bootloader".into()));
    }
}
