//! SMBIOS read as dmidecode reads it: the entry point (`/sys/firmware/dmi/tables/
//! smbios_entry_point`, SMBIOS 2.x `_SM_`, legacy `_DMI_` or 3.x `_SM3_`) and the structure table
//! (`/sys/firmware/dmi/tables/DMI`), so a captured tree's raw table gives the components the live
//! host's `dmi/id` attributes give, and more:
//! - type 0 BIOS (vendor, version, release date), 1 system, 2 baseboard, 3 chassis;
//! - type 4 processors (manufacturer, version, socket, populated or not);
//! - type 17 memory devices (manufacturer string, and the JEDEC JEP106 module and controller
//!   maker ids of SMBIOS 3.2+, named through `rules/ids/jep106.tsv`);
//! - type 38 IPMI device (the BMC's interface) and type 42 management controller host
//!   interface (the BMC's USB or PCI ids, for Redfish over a host interface);
//! - type 39 power supplies (manufacturer, model, revision).
//!
//! Strings are 1-based indexes into the text after each structure's formatted area. Every read
//! is bounded by the table: a length byte that runs past the end, a missing string terminator or
//! a loop of zero-length structures ends the walk with an error, never a panic. Serial numbers,
//! UUIDs and asset tags are never read.

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Largest structure table read (real tables are 2–64 KiB; the 3.x maximum is 4 GiB).
pub const MAX_TABLE: u64 = 1 << 20;
/// Most structures walked.
pub const MAX_STRUCTURES: usize = 8192;

/// One structure: its type, handle, formatted area and strings.
#[derive(Debug, Clone)]
pub struct Structure {
    /// Structure type (0 BIOS, 1 system…).
    pub kind: u8,
    /// Handle.
    pub handle: u16,
    /// The formatted area, header included.
    pub data: Vec<u8>,
    /// The string set, in order (index 1 is `strings[0]`).
    pub strings: Vec<String>,
}

impl Structure {
    /// The byte at `off` of the formatted area.
    pub fn byte(&self, off: usize) -> Option<u8> {
        self.data.get(off).copied()
    }

    /// The little-endian word at `off`.
    pub fn word(&self, off: usize) -> Option<u16> {
        let b = self.data.get(off..off + 2)?;
        Some(u16::from_le_bytes([b[0], b[1]]))
    }

    /// The string whose index is the byte at `off`, trimmed; `None` for index 0, a missing
    /// string or an empty one.
    pub fn string(&self, off: usize) -> Option<String> {
        let i = usize::from(self.byte(off)?);
        let s = self.strings.get(i.checked_sub(1)?)?;
        let s = crate::text::sanitize(s.trim_matches(|c: char| c.is_whitespace() || c == '\0'));
        (!s.is_empty()).then_some(s)
    }
}

/// The SMBIOS version and where the table is, from an entry point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryPoint {
    /// `major.minor` (`3.3`); `2.0` for a legacy `_DMI_` entry.
    pub version: (u8, u8),
    /// The table's length (2.x) or maximum length (3.x).
    pub table_len: u64,
}

/// Parse an entry point. `Err` says what is wrong.
pub fn entry_point(b: &[u8]) -> Result<EntryPoint, String> {
    if b.starts_with(b"_SM3_") {
        if b.len() < 0x18 {
            return Err(format!(
                "SMBIOS 3 entry point of {} bytes (24 needed)",
                b.len()
            ));
        }
        let len = u32::from_le_bytes([b[0x0c], b[0x0d], b[0x0e], b[0x0f]]);
        Ok(EntryPoint {
            version: (b[0x07], b[0x08]),
            table_len: u64::from(len),
        })
    } else if b.starts_with(b"_SM_") {
        if b.len() < 0x1f {
            return Err(format!(
                "SMBIOS 2 entry point of {} bytes (31 needed)",
                b.len()
            ));
        }
        Ok(EntryPoint {
            version: (b[0x06], b[0x07]),
            table_len: u64::from(u16::from_le_bytes([b[0x16], b[0x17]])),
        })
    } else if b.starts_with(b"_DMI_") {
        if b.len() < 0x0f {
            return Err(format!("DMI entry point of {} bytes (15 needed)", b.len()));
        }
        Ok(EntryPoint {
            version: (2, 0),
            table_len: u64::from(u16::from_le_bytes([b[0x06], b[0x07]])),
        })
    } else {
        Err("not an SMBIOS entry point (no _SM3_, _SM_ or _DMI_ anchor)".into())
    }
}

/// Walk a structure table. Returns the structures read and, when the walk stopped early, why.
pub fn structures(table: &[u8]) -> (Vec<Structure>, Option<String>) {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at + 4 <= table.len() {
        if out.len() >= MAX_STRUCTURES {
            return (out, Some(format!("over {MAX_STRUCTURES} structures")));
        }
        let kind = table[at];
        let len = usize::from(table[at + 1]);
        let handle = u16::from_le_bytes([table[at + 2], table[at + 3]]);
        if len < 4 {
            return (
                out,
                Some(format!(
                    "structure at {at:#x} has length {len} (at least 4)"
                )),
            );
        }
        let Some(data) = table.get(at..at + len) else {
            return (
                out,
                Some(format!("structure at {at:#x} runs past the table's end")),
            );
        };
        // The string set ends at the first double NUL after the formatted area.
        let rest = &table[at + len..];
        let Some(end) = rest.windows(2).position(|w| w == [0, 0]) else {
            return (
                out,
                Some(format!("structure at {at:#x} has no string-set terminator")),
            );
        };
        let strings = if end == 0 {
            Vec::new()
        } else {
            rest[..end]
                .split(|&b| b == 0)
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect()
        };
        out.push(Structure {
            kind,
            handle,
            data: data.to_vec(),
            strings,
        });
        at += len + end + 2;
        // Type 127 is the end-of-table marker.
        if kind == 127 {
            break;
        }
    }
    (out, None)
}

/// The JEP106 name of a manufacturer id word as SMBIOS 3.2 stores it (low byte: the number of
/// 0x7F continuation codes, with odd parity in bit 7; high byte: the code, with parity).
pub fn jep106(word: u16) -> Option<&'static str> {
    let [cont, code] = word.to_le_bytes();
    if word == 0 || word == 0xffff {
        return None;
    }
    let bank = u16::from(cont & 0x7f) + 1;
    jep106_table().get(&(bank, code & 0x7f)).map(String::as_str)
}

/// The JEP106 name of a manufacturer string that is a JEDEC code in hex, as many BIOSes write
/// type 17's manufacturer: `80CE` or `CE80` (Samsung), `802C` (Micron), `80AD000080AD` (SK
/// Hynix; the first word is the module maker). `None` for anything else.
pub fn jep106_hex(s: &str) -> Option<&'static str> {
    let h = s.trim();
    if h.len() < 4 || h.len() % 2 != 0 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let hi = u8::from_str_radix(&h[0..2], 16).ok()?;
    let lo = u8::from_str_radix(&h[2..4], 16).ok()?;
    // `80CE`: the continuation byte first (with parity, bank 1 is 0x80); `CE80` the other way.
    let (cont, code) = if hi & 0x7f < 0x10 { (hi, lo) } else { (lo, hi) };
    if code == 0 || code == 0x7f || code == 0xff {
        return None;
    }
    // Odd parity over the code byte says it is a JEP106 code and not some other hex.
    if code.count_ones() % 2 != 1 {
        return None;
    }
    jep106(u16::from_le_bytes([cont, code]))
}

fn jep106_table() -> &'static BTreeMap<(u16, u8), String> {
    static T: OnceLock<BTreeMap<(u16, u8), String>> = OnceLock::new();
    T.get_or_init(|| {
        let mut m = BTreeMap::new();
        for line in include_str!("../../../rules/ids/jep106.tsv").lines() {
            if line.starts_with('#') || line.starts_with("bank") {
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            let (Some(bank), Some(id), Some(name)) = (f.first(), f.get(1), f.get(4)) else {
                continue;
            };
            let (Ok(bank), Ok(id)) = (
                bank.parse::<u16>(),
                u8::from_str_radix(id.trim_start_matches("0x"), 16),
            ) else {
                continue;
            };
            m.insert((bank, id), (*name).to_owned());
        }
        m
    })
}

/// The type 3 chassis type byte's name.
pub fn chassis_type(b: u8) -> &'static str {
    match b & 0x7f {
        0x03 => "desktop",
        0x04 => "low-profile-desktop",
        0x06 => "mini-tower",
        0x07 => "tower",
        0x08 => "portable",
        0x09 => "laptop",
        0x0a => "notebook",
        0x0d => "all-in-one",
        0x0e => "sub-notebook",
        0x11 => "main-server-chassis",
        0x17 => "rack-mount",
        0x18 => "sealed-case-pc",
        0x1c => "blade",
        0x1d => "blade-enclosure",
        0x1e => "tablet",
        0x1f => "convertible",
        0x20 => "detachable",
        0x21 => "iot-gateway",
        0x22 => "embedded-pc",
        0x23 => "mini-pc",
        0x24 => "stick-pc",
        _ => "other",
    }
}

/// The type 17 memory type byte's name.
pub fn memory_type(b: u8) -> &'static str {
    match b {
        0x12 => "DDR",
        0x13 => "DDR2",
        0x18 => "DDR3",
        0x1a => "DDR4",
        0x1b => "LPDDR",
        0x1c => "LPDDR2",
        0x1d => "LPDDR3",
        0x1e => "LPDDR4",
        0x1f => "logical-non-volatile",
        0x20 => "HBM",
        0x21 => "HBM2",
        0x22 => "DDR5",
        0x23 => "LPDDR5",
        0x24 => "HBM3",
        _ => "other",
    }
}

/// The type 38 interface type's name.
pub fn ipmi_interface(b: u8) -> &'static str {
    match b {
        1 => "KCS",
        2 => "SMIC",
        3 => "BT",
        4 => "SSIF",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(parts: &[(&[u8], &[&str])]) -> Vec<u8> {
        let mut t = Vec::new();
        for (data, strings) in parts {
            t.extend_from_slice(data);
            for s in *strings {
                t.extend_from_slice(s.as_bytes());
                t.push(0);
            }
            if strings.is_empty() {
                t.push(0);
            }
            t.push(0);
        }
        t
    }

    #[test]
    fn walks_strings_and_stops_at_bad_lengths() {
        let t = table(&[
            (
                &[0, 0x18, 0, 0, 1, 2, 0, 0, 3],
                &["American Megatrends Inc.", "F20", "01/02/2023"],
            ),
            (&[127, 4, 1, 0], &[]),
        ]);
        let (s, err) = structures(&t);
        assert!(err.is_none());
        assert_eq!(s.len(), 1 + 1);
        // The formatted area of the first is shorter than its length byte says: the walk stops
        // rather than reading strings out of the next structure.
        let t = table(&[(&[0, 9, 0, 0, 1, 2, 0, 0, 3], &["AMI", "F20", "2023"])]);
        let (s, err) = structures(&t);
        assert_eq!(s[0].string(4).as_deref(), Some("AMI"));
        assert_eq!(s[0].string(8).as_deref(), Some("2023"));
        assert_eq!(s[0].string(6), None);
        assert!(err.is_none());
        let (s, err) = structures(&[1, 2, 0, 0, 0, 0]);
        assert!(s.is_empty() && err.unwrap().contains("length 2"));
        let (_, err) = structures(&[1, 40, 0, 0, 0, 0]);
        assert!(err.unwrap().contains("past the table"));
        let (_, err) = structures(&[1, 4, 0, 0, b'a']);
        assert!(err.unwrap().contains("terminator"));
    }

    #[test]
    fn entry_points_and_jedec() {
        let mut ep3 = b"_SM3_".to_vec();
        ep3.resize(0x18, 0);
        ep3[7] = 3;
        ep3[8] = 3;
        ep3[0x0c] = 0x00;
        ep3[0x0d] = 0x10;
        assert_eq!(
            entry_point(&ep3),
            Ok(EntryPoint {
                version: (3, 3),
                table_len: 4096
            })
        );
        assert!(entry_point(b"_SM_").is_err());
        assert!(entry_point(b"garbage").is_err());
        assert_eq!(jep106(0xce80), Some("Samsung"));
        assert_eq!(jep106(0x2c80), Some("Micron Technology"));
        assert_eq!(jep106(0xad80), Some("SK Hynix"));
        assert_eq!(jep106_hex("80CE"), Some("Samsung"));
        assert_eq!(jep106_hex("CE80"), Some("Samsung"));
        assert_eq!(jep106_hex("80AD000080AD"), Some("SK Hynix"));
        assert_eq!(jep106_hex("Samsung"), None);
        assert_eq!(jep106_hex("0000"), None);
        assert_eq!(jep106(0), None);
    }
}
