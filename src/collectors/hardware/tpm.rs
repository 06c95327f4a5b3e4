//! TPMs from `/sys/class/tpm/tpm*` (the `tpmrm*` resource managers are the same devices).
//!
//! The maker is read from, in order:
//! - the TPM 1.2 `caps` attribute (`device/caps`): `Manufacturer: 0x49465800` is the TCG
//!   vendor id (four ASCII bytes, `IFX`), and `Firmware version: 6.40` the firmware;
//! - the ACPI or PnP ids of the device (`device/firmware_node/hid`, `device/id`,
//!   `device/firmware_node/modalias`): discrete TPMs are listed under their maker's TCG vendor
//!   prefix (`IFX0102`, `NTC0702`, `STM0125`); `MSFT0101` and `PNP0C31` are the generic TPM
//!   ids and name no maker;
//! - the device's ACPI description (`device/firmware_node/description`, `device/description`)
//!   as a company name when it names one.
//!
//! A TPM 2.0 reports its `TPM_PT_MANUFACTURER` only to a `TPM2_GetCapability` command sent to
//! the device, which a scan of a captured tree cannot do: a firmware TPM behind the generic
//! `MSFT0101` id (Intel PTT, AMD fTPM, both through `tpm_crb`) is listed with its version and
//! driver and no maker. The TCG vendor ids are those of the TCG "TPM Vendor ID Registry".

use super::Inventory;
use crate::model::{Component, ComponentKind, EvidenceKind};

/// TCG TPM vendor ids (TPM Vendor ID Registry, version 1.07) and the maker each names.
pub const TCG_VENDORS: &[(&str, &str)] = &[
    ("AMD", "Advanced Micro Devices, Inc."),
    ("ANT", "Ant Group"),
    ("ATML", "Atmel Corporation"),
    ("BRCM", "Broadcom Inc."),
    ("CSCO", "Cisco Systems, Inc."),
    ("FLYS", "Flyslice Technologies"),
    ("ROCC", "Fuzhou Rockchip Electronics Co., Ltd."),
    ("GOOG", "Google LLC"),
    ("HPI", "HP Inc."),
    ("HPE", "Hewlett Packard Enterprise"),
    ("HISI", "HiSilicon Technologies Co., Ltd."),
    ("IBM", "International Business Machines Corporation"),
    ("IFX", "Infineon Technologies AG"),
    ("INTC", "Intel Corporation"),
    ("LEN", "Lenovo Group Limited"),
    ("MSFT", "Microsoft Corporation"),
    ("NSM", "National Semiconductor Corporation"),
    ("NTZ", "Nationz Technologies Inc."),
    ("NTC", "Nuvoton Technology Corporation"),
    ("QCOM", "Qualcomm Incorporated"),
    ("SMSC", "Standard Microsystems Corporation"),
    ("STM", "STMicroelectronics"),
    ("SMSN", "Samsung Electronics Co., Ltd."),
    ("SNS", "Sinosun Technology"),
    ("TXN", "Texas Instruments Incorporated"),
    ("WEC", "Winbond Electronics Corporation"),
];

/// ACPI/PnP ids that mean "a TPM" without naming its maker.
const GENERIC_IDS: &[&str] = &["MSFT0101", "MSFT0200", "PNP0C31"];

/// The TCG vendor id of a TPM 1.2 `Manufacturer: 0x…` value (four ASCII bytes, NUL-padded).
pub fn manufacturer_id(caps: &str) -> Option<String> {
    let hex = caps.lines().find_map(|l| {
        l.trim()
            .strip_prefix("Manufacturer:")
            .map(|v| v.trim().trim_start_matches("0x").to_owned())
    })?;
    let n = u32::from_str_radix(&hex, 16).ok()?;
    let s: String = n
        .to_be_bytes()
        .iter()
        .take_while(|&&b| b != 0)
        .map(|&b| b as char)
        .collect();
    let s = s.trim().to_owned();
    (!s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric())).then_some(s)
}

/// The TCG vendor id an ACPI/PnP id is listed under (`IFX0102` → `IFX`), when it is not generic.
pub fn id_vendor(id: &str) -> Option<&'static str> {
    let id = id.trim().to_ascii_uppercase();
    if GENERIC_IDS.contains(&id.as_str()) {
        return None;
    }
    // Longest prefix first (`INTC` before `IN…`): ids are the prefix plus 4 hex digits.
    TCG_VENDORS
        .iter()
        .filter(|(v, _)| {
            id.strip_prefix(v)
                .is_some_and(|rest| rest.len() == 4 && rest.bytes().all(|b| b.is_ascii_hexdigit()))
        })
        .map(|(v, _)| *v)
        .next()
}

impl Inventory<'_> {
    pub(super) fn tpm(&mut self) {
        for name in self.entries("/sys/class/tpm") {
            if !name.starts_with("tpm") || name.starts_with("tpmrm") {
                continue;
            }
            let dir = format!("/sys/class/tpm/{name}");
            let dev = format!("{dir}/device");
            // Read raw: `attr` sanitises the line breaks the fields are split on.
            let caps = [format!("{dev}/caps"), format!("{dir}/caps")]
                .iter()
                .find_map(|p| self.root.read_string_capped(p, super::MAX_ATTR).ok())
                .map(|s| {
                    s.lines()
                        .map(crate::text::sanitize)
                        .collect::<Vec<_>>()
                        .join("\n")
                });
            let version = self
                .attr(&dir, "tpm_version_major")
                .or_else(|| {
                    caps.as_deref().and_then(|c| {
                        c.lines()
                            .find_map(|l| l.trim().strip_prefix("TCG version:"))
                            .map(|v| v.trim().to_owned())
                    })
                })
                .unwrap_or_default();
            let firmware = caps.as_deref().and_then(|c| {
                c.lines()
                    .find_map(|l| l.trim().strip_prefix("Firmware version:"))
                    .map(|v| v.trim().to_owned())
            });
            let mut ids: Vec<String> = Vec::new();
            for (d, a) in [
                (format!("{dev}/firmware_node"), "hid"),
                (dev.clone(), "id"),
                (format!("{dev}/firmware_node"), "modalias"),
            ] {
                if let Some(v) = self.attr(&d, a) {
                    ids.extend(
                        v.split(|c: char| c.is_whitespace() || c == ':' || c == ',')
                            .filter(|s| s.len() >= 7)
                            .map(str::to_owned),
                    );
                }
            }
            let from_caps = caps.as_deref().and_then(manufacturer_id);
            let tcg = from_caps
                .clone()
                .or_else(|| ids.iter().find_map(|i| id_vendor(i)).map(str::to_owned));
            let maker = tcg
                .as_deref()
                .and_then(|t| TCG_VENDORS.iter().find(|(v, _)| *v == t).map(|(_, n)| *n));
            let description = self
                .attr(&format!("{dev}/firmware_node"), "description")
                .or_else(|| self.attr(&dev, "description"));
            let driver = self.link_name(&dev, "driver");
            let key = format!(
                "tpm:{}:{}",
                tcg.as_deref().unwrap_or("unknown").to_ascii_lowercase(),
                version
            );
            let at = if from_caps.is_some() {
                format!("{dev}/caps")
            } else {
                format!("{dev}/firmware_node/hid")
            };
            self.add(key.clone(), &dir, || {
                let label = match (maker, version.as_str()) {
                    (Some(m), "") => format!("TPM ({m})"),
                    (Some(m), v) => format!("TPM {v} ({m})"),
                    (None, "") => "TPM".to_owned(),
                    (None, v) => format!("TPM {v}"),
                };
                let mut c = Component::new(ComponentKind::Hardware, Some("tpm"), &label, None);
                c.id = key;
                if let Some(m) = maker {
                    c.add_evidence(EvidenceKind::CompanyName, m, &at);
                }
                if let Some(d) = description
                    .as_deref()
                    .filter(|d| !d.to_ascii_lowercase().starts_with("tpm"))
                {
                    c.add_evidence(EvidenceKind::CompanyName, d, format!("{dev}/description"));
                }
                c.set_property("tpm-version", &version);
                c.set_property("tcg-vendor-id", tcg.as_deref().unwrap_or(""));
                c.set_property("firmware-version", firmware.as_deref().unwrap_or(""));
                c.set_property("acpi-ids", ids.join(" "));
                c.set_property("description", description.as_deref().unwrap_or(""));
                if let Some(d) = &driver {
                    c.set_property("driver", d);
                }
                c
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcg_vendor_ids() {
        assert_eq!(
            manufacturer_id("Manufacturer: 0x49465800\nTCG version: 1.2\n").as_deref(),
            Some("IFX")
        );
        assert_eq!(
            manufacturer_id("Manufacturer: 0x53544d20\n").as_deref(),
            Some("STM")
        );
        assert_eq!(manufacturer_id("Manufacturer: 0x00000000"), None);
        assert_eq!(manufacturer_id("Manufacturer: zz"), None);
        assert_eq!(id_vendor("IFX0102"), Some("IFX"));
        assert_eq!(id_vendor("NTC0702"), Some("NTC"));
        assert_eq!(id_vendor("ATML0001"), Some("ATML"));
        assert_eq!(id_vendor("MSFT0101"), None);
        assert_eq!(id_vendor("PNP0C31"), None);
        assert_eq!(id_vendor("IFX"), None);
    }
}
