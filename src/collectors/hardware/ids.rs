//! Names for PCI and USB ids, from the `pci.ids` and `usb.ids` lists shipped in `rules/ids/`
//! (gzip-compressed into the binary by `build.rs`, inflated and parsed once, on first use).
//!
//! Names are descriptive only: the vendor of a device is decided by the rules engine from the
//! numeric vendor id, never from these names. Only the vendor, device, subsystem and (PCI)
//! class sections are parsed; usb.ids' other sections (HID, languages…) are skipped.

use std::collections::HashMap;
use std::io::Read;
use std::sync::OnceLock;

static PCI_GZ: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/pci.ids.gz"));
static USB_GZ: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/usb.ids.gz"));

/// Largest inflated list accepted (the shipped ones are about 1.5 MB and 0.7 MB).
const MAX_IDS_TEXT: u64 = 16 << 20;

/// One device of a vendor.
#[derive(Debug, Default)]
pub struct Device {
    /// Device name.
    pub name: String,
    /// Subsystem (subvendor, subdevice) → name.
    pub subsystems: HashMap<(u16, u16), String>,
}

/// One vendor.
#[derive(Debug, Default)]
pub struct Vendor {
    /// Vendor name.
    pub name: String,
    /// Devices by id.
    pub devices: HashMap<u16, Device>,
}

/// A parsed id list.
#[derive(Debug, Default)]
pub struct IdDb {
    /// The list's `Version:` header.
    pub version: Option<String>,
    vendors: HashMap<u16, Vendor>,
    /// (class, subclass) → name; subclass `None` is the class itself.
    classes: HashMap<(u8, Option<u8>), String>,
}

impl IdDb {
    /// Parse the text of `pci.ids` or `usb.ids`.
    pub fn parse(text: &str) -> Self {
        let mut db = IdDb::default();
        #[derive(PartialEq)]
        enum Sec {
            Vendors,
            Class,
            Other,
        }
        let mut sec = Sec::Vendors;
        let mut vendor: Option<u16> = None;
        let mut device: Option<u16> = None;
        let mut class: Option<u8> = None;
        for line in text.lines() {
            if let Some(c) = line.strip_prefix('#') {
                if db.version.is_none() {
                    if let Some(v) = c.trim().strip_prefix("Version:") {
                        db.version = Some(v.trim().to_owned());
                    }
                }
                continue;
            }
            if line.trim().is_empty() {
                continue;
            }
            let tabs = line.bytes().take_while(|&b| b == b'\t').count();
            let body = &line[tabs..];
            if tabs == 0 {
                vendor = None;
                device = None;
                class = None;
                if let Some(rest) = body.strip_prefix("C ") {
                    sec = Sec::Class;
                    if let Some((id, name)) = split_id(rest) {
                        class = u8::from_str_radix(id, 16).ok();
                        if let Some(c) = class {
                            db.classes.insert((c, None), name.to_owned());
                        }
                    }
                    continue;
                }
                match split_id(body).and_then(|(id, name)| Some((hex16(id)?, name))) {
                    Some((id, name)) => {
                        sec = Sec::Vendors;
                        vendor = Some(id);
                        db.vendors.entry(id).or_default().name = name.to_owned();
                    }
                    None => sec = Sec::Other,
                }
                continue;
            }
            match (&sec, tabs) {
                (Sec::Vendors, 1) => {
                    let Some(v) = vendor else { continue };
                    let Some((id, name)) = split_id(body).and_then(|(id, n)| Some((hex16(id)?, n)))
                    else {
                        continue;
                    };
                    device = Some(id);
                    if let Some(ven) = db.vendors.get_mut(&v) {
                        ven.devices.entry(id).or_default().name = name.to_owned();
                    }
                }
                (Sec::Vendors, 2) => {
                    let (Some(v), Some(d)) = (vendor, device) else {
                        continue;
                    };
                    let mut parts = body.splitn(3, ' ');
                    let (Some(sv), Some(sd)) =
                        (parts.next().and_then(hex16), parts.next().and_then(hex16))
                    else {
                        continue;
                    };
                    let name = parts.next().unwrap_or("").trim();
                    if let Some(dev) = db.vendors.get_mut(&v).and_then(|x| x.devices.get_mut(&d)) {
                        dev.subsystems.insert((sv, sd), name.to_owned());
                    }
                }
                (Sec::Class, 1) => {
                    let Some(c) = class else { continue };
                    if let Some((id, name)) = split_id(body) {
                        if let Ok(sub) = u8::from_str_radix(id, 16) {
                            db.classes.insert((c, Some(sub)), name.to_owned());
                        }
                    }
                }
                _ => {}
            }
        }
        db
    }

    /// Vendor name.
    pub fn vendor(&self, v: u16) -> Option<&str> {
        self.vendors.get(&v).map(|x| x.name.as_str())
    }

    /// Device name.
    pub fn device(&self, v: u16, d: u16) -> Option<&str> {
        self.vendors
            .get(&v)?
            .devices
            .get(&d)
            .map(|x| x.name.as_str())
    }

    /// Subsystem name.
    pub fn subsystem(&self, v: u16, d: u16, sv: u16, sd: u16) -> Option<&str> {
        self.vendors
            .get(&v)?
            .devices
            .get(&d)?
            .subsystems
            .get(&(sv, sd))
            .map(String::as_str)
    }

    /// Class name: the subclass's when listed, else the class's.
    pub fn class(&self, class: u8, sub: u8) -> Option<&str> {
        self.classes
            .get(&(class, Some(sub)))
            .or_else(|| self.classes.get(&(class, None)))
            .map(String::as_str)
    }

    /// Number of vendors.
    pub fn vendor_count(&self) -> usize {
        self.vendors.len()
    }
}

fn split_id(s: &str) -> Option<(&str, &str)> {
    let (id, name) = s.split_once("  ")?;
    Some((id.trim(), name.trim()))
}

fn hex16(s: &str) -> Option<u16> {
    let s = s.trim();
    (s.len() == 4)
        .then(|| u16::from_str_radix(s, 16).ok())
        .flatten()
}

fn inflate(gz: &[u8]) -> IdDb {
    let mut raw = Vec::new();
    match flate2::read::GzDecoder::new(gz)
        .take(MAX_IDS_TEXT)
        .read_to_end(&mut raw)
    {
        // usb.ids has a few Latin-1 bytes: decode lossily rather than drop the whole list.
        Ok(_) => IdDb::parse(&String::from_utf8_lossy(&raw)),
        Err(_) => IdDb::default(),
    }
}

/// The shipped `pci.ids`.
pub fn pci() -> &'static IdDb {
    static DB: OnceLock<IdDb> = OnceLock::new();
    DB.get_or_init(|| inflate(PCI_GZ))
}

/// The shipped `usb.ids`.
pub fn usb() -> &'static IdDb {
    static DB: OnceLock<IdDb> = OnceLock::new();
    DB.get_or_init(|| inflate(USB_GZ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_lists_parse() {
        let p = pci();
        assert!(p.vendor_count() > 2000, "{}", p.vendor_count());
        assert_eq!(p.vendor(0x8086), Some("Intel Corporation"));
        assert_eq!(p.vendor(0x19e5), Some("Huawei Technologies Co., Ltd."));
        assert_eq!(p.class(0x02, 0x00), Some("Ethernet controller"));
        assert_eq!(p.version.as_deref(), Some("2025.07.11"));
        let u = usb();
        assert!(u.vendor_count() > 3000);
        assert_eq!(u.vendor(0x1d6b), Some("Linux Foundation"));
        assert_eq!(u.device(0x1d6b, 0x0002), Some("2.0 root hub"));
    }

    #[test]
    fn parses_subsystems_and_skips_other_sections() {
        let db = IdDb::parse("# Version: 1\n8086  Intel\n\t1521  I350\n\t\t15d9 1521  Supermicro I350\nC 02  Network controller\n\t00  Ethernet controller\nHID 00  None\n\t01 bogus\n");
        assert_eq!(db.device(0x8086, 0x1521), Some("I350"));
        assert_eq!(
            db.subsystem(0x8086, 0x1521, 0x15d9, 0x1521),
            Some("Supermicro I350")
        );
        assert_eq!(db.class(2, 0), Some("Ethernet controller"));
        assert_eq!(db.class(2, 9), Some("Network controller"));
        assert_eq!(db.vendor_count(), 1);
    }
}
