//! `/proc/cpuinfo`: one model per distinct processor, counted over logical processors.
//!
//! - x86: `vendor_id` (the CPUID vendor string, evidence as is) and `model name`;
//! - ARM: `CPU implementer`, `CPU part` (evidence `arm:0x41`); 32-bit kernels' `Hardware` line;
//! - RISC-V: `mvendorid` (evidence `riscv:0x489`), `uarch` (a device-tree compatible), `isa`;
//! - LoongArch: `Model Name` and `CPU Family` (`Loongson-64bit`: the kernel prints it only for
//!   PRID company 0x14, so it is evidence `loongarch:0x14`).
//!
//! ARM part names come from a short table of well-known cores (Linux
//! `arch/arm64/include/asm/cputype.h`, util-linux `lscpu-arm.c`); they name the component and
//! never decide the vendor.

use std::collections::BTreeMap;

/// One distinct processor model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuModel {
    /// Stable key (`x86:GenuineIntel:Intel(R) Xeon(R) …`, `arm:0x41:0xd0c`).
    pub key: String,
    /// Display name.
    pub name: String,
    /// CPU vendor evidence (`GenuineIntel`, `arm:0x41`, `riscv:0x489`, `loongarch:0x14`).
    pub vendor_id: Option<String>,
    /// Device-tree style compatible (`sifive,u74-mc`) for RISC-V `uarch`.
    pub compatible: Option<String>,
    /// Logical processors of this model.
    pub count: u64,
    /// Distinct `physical id`s (sockets) seen.
    pub sockets: u64,
    /// Descriptive properties (family, model, stepping, part…).
    pub properties: BTreeMap<String, String>,
}

/// Well-known (implementer, part) → core name.
const ARM_PARTS: &[(u8, u16, &str)] = &[
    (0x41, 0xd03, "Cortex-A53"),
    (0x41, 0xd04, "Cortex-A35"),
    (0x41, 0xd05, "Cortex-A55"),
    (0x41, 0xd07, "Cortex-A57"),
    (0x41, 0xd08, "Cortex-A72"),
    (0x41, 0xd09, "Cortex-A73"),
    (0x41, 0xd0a, "Cortex-A75"),
    (0x41, 0xd0b, "Cortex-A76"),
    (0x41, 0xd0c, "Neoverse-N1"),
    (0x41, 0xd0d, "Cortex-A77"),
    (0x41, 0xd40, "Neoverse-V1"),
    (0x41, 0xd41, "Cortex-A78"),
    (0x41, 0xd44, "Cortex-X1"),
    (0x41, 0xd46, "Cortex-A510"),
    (0x41, 0xd47, "Cortex-A710"),
    (0x41, 0xd48, "Cortex-X2"),
    (0x41, 0xd49, "Neoverse-N2"),
    (0x41, 0xd4f, "Neoverse-V2"),
    (0x41, 0xc07, "Cortex-A7"),
    (0x41, 0xc09, "Cortex-A9"),
    (0x41, 0xc0f, "Cortex-A15"),
    (0x41, 0xb76, "ARM1176"),
    (0x43, 0x0af, "ThunderX2 99xx"),
    (0x46, 0x001, "A64FX"),
    (0x48, 0xd01, "TaiShan v110 (Kunpeng 920)"),
    (0x4e, 0x004, "Carmel"),
    (0x50, 0x000, "X-Gene"),
    (0x51, 0x800, "Kryo 2XX Gold"),
    (0x51, 0xc00, "Falkor"),
    (0x61, 0x022, "M1 Icestorm"),
    (0x61, 0x023, "M1 Firestorm"),
    (0x70, 0x662, "FTC662"),
    (0x70, 0x663, "FTC663"),
    (0x70, 0x862, "FTC862"),
    (0xc0, 0xac3, "Ampere-1"),
];

fn hex_num(s: &str) -> Option<u64> {
    let s = s.trim();
    let h = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
    u64::from_str_radix(h, 16).ok()
}

/// Parse cpuinfo text into distinct models, sorted by key.
pub fn parse(text: &str) -> Vec<CpuModel> {
    let mut global: BTreeMap<String, String> = BTreeMap::new();
    let mut blocks: Vec<BTreeMap<String, String>> = Vec::new();
    let mut cur: BTreeMap<String, String> = BTreeMap::new();
    for line in text.lines().chain(std::iter::once("")) {
        if line.trim().is_empty() {
            if !cur.is_empty() {
                if cur.contains_key("processor") {
                    blocks.push(std::mem::take(&mut cur));
                } else {
                    global.append(&mut cur);
                }
            }
            continue;
        }
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        // The kernel prints `key\t: value`; keep the value's own spaces (x86 vendor strings
        // such as "  Shanghai  " are 12 bytes) apart from the one separating space.
        let v = v.strip_prefix(' ').unwrap_or(v);
        cur.insert(k.trim().to_ascii_lowercase(), v.to_owned());
    }
    // Some kernels (arm32, LoongArch) print shared lines before or after the processor blocks.
    let mut models: BTreeMap<String, (CpuModel, std::collections::BTreeSet<String>)> =
        BTreeMap::new();
    for b in &blocks {
        let get = |k: &str| {
            b.get(k)
                .or_else(|| global.get(k))
                .map(|s| s.as_str())
                .filter(|s| !s.trim().is_empty())
        };
        let mut props = BTreeMap::new();
        let (key, name, vendor_id, compatible) = if let Some(vendor) = get("vendor_id") {
            let model = get("model name").unwrap_or("unknown model").trim();
            for k in ["cpu family", "model", "stepping"] {
                if let Some(v) = get(k) {
                    props.insert(k.replace(' ', "-"), v.trim().to_owned());
                }
            }
            (
                format!("x86:{}:{}", vendor.trim(), model),
                model.to_owned(),
                Some(vendor.to_owned()),
                None,
            )
        } else if let Some(imp) = get("cpu implementer").and_then(hex_num) {
            let part = get("cpu part").and_then(hex_num).unwrap_or(0);
            let known = ARM_PARTS
                .iter()
                .find(|(i, p, _)| u64::from(*i) == imp && u64::from(*p) == part);
            let name = match (known, get("model name")) {
                (Some((_, _, n)), _) => (*n).to_owned(),
                (None, Some(m)) => m.trim().to_owned(),
                (None, None) => format!("ARM implementer {imp:#04x} part {part:#05x}"),
            };
            props.insert("cpu-part".into(), format!("{part:#05x}"));
            for k in ["cpu architecture", "cpu variant", "hardware"] {
                if let Some(v) = get(k) {
                    props.insert(k.replace(' ', "-"), v.trim().to_owned());
                }
            }
            (
                format!("arm:{imp:#04x}:{part:#05x}"),
                name,
                Some(format!("arm:{imp:#04x}")),
                None,
            )
        } else if let Some(isa) = get("isa") {
            let vendor = get("mvendorid").and_then(hex_num);
            let uarch = get("uarch").map(|s| s.trim().to_owned());
            for k in ["isa", "mmu", "marchid", "mimpid"] {
                if let Some(v) = get(k) {
                    props.insert(k.to_owned(), v.trim().to_owned());
                }
            }
            let name = uarch
                .clone()
                .unwrap_or_else(|| format!("RISC-V {}", isa.trim()));
            let key = format!(
                "riscv:{}:{}",
                vendor.map(|v| format!("{v:#x}")).unwrap_or_default(),
                name
            );
            (key, name, vendor.map(|v| format!("riscv:{v:#x}")), uarch)
        } else if let Some(model) = get("model name").or_else(|| get("cpu model")) {
            let family = get("cpu family").map(str::trim);
            if let Some(f) = family {
                props.insert("cpu-family".into(), f.to_owned());
            }
            // LoongArch prints "Loongson-64bit" only for cores of PRID company 0x14 (Loongson).
            let vendor = family
                .filter(|f| f.starts_with("Loongson-"))
                .map(|_| "loongarch:0x14".to_owned());
            (
                format!("cpu:{}", model.trim()),
                model.trim().to_owned(),
                vendor,
                None,
            )
        } else {
            continue;
        };
        let entry = models.entry(key.clone()).or_insert_with(|| {
            let m = CpuModel {
                key,
                name,
                vendor_id,
                compatible,
                count: 0,
                sockets: 0,
                properties: props,
            };
            (m, Default::default())
        });
        entry.0.count += 1;
        if let Some(p) = get("physical id").or_else(|| get("package")) {
            entry.1.insert(p.trim().to_owned());
        }
    }
    models
        .into_values()
        .map(|(mut m, sockets)| {
            m.sockets = sockets.len() as u64;
            m
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x86_and_zhaoxin_spaces() {
        let t = "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel name\t: Intel(R) Xeon(R)\nphysical id\t: 0\n\nprocessor\t: 1\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel name\t: Intel(R) Xeon(R)\nphysical id\t: 1\n\nprocessor\t: 2\nvendor_id\t:   Shanghai  \nmodel name\t: ZHAOXIN KaiXian KX-U6780A@2.7GHz\n";
        let m = parse(t);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].vendor_id.as_deref(), Some("GenuineIntel"));
        assert_eq!((m[0].count, m[0].sockets), (2, 2));
        assert_eq!(m[1].vendor_id.as_deref(), Some("  Shanghai  "));
    }

    #[test]
    fn arm32_riscv_loongarch() {
        let arm = "processor\t: 0\nmodel name\t: ARMv7 Processor rev 4 (v7l)\nCPU implementer\t: 0x41\nCPU part\t: 0xd03\n\nHardware\t: BCM2835\n";
        let m = parse(arm);
        assert_eq!(m[0].name, "Cortex-A53");
        assert_eq!(m[0].vendor_id.as_deref(), Some("arm:0x41"));
        assert_eq!(
            m[0].properties.get("hardware").map(String::as_str),
            Some("BCM2835")
        );
        let rv = "processor\t: 0\nhart\t\t: 1\nisa\t\t: rv64imafdc\nmmu\t\t: sv39\nuarch\t\t: sifive,u74-mc\nmvendorid\t: 0x489\n";
        let m = parse(rv);
        assert_eq!(m[0].vendor_id.as_deref(), Some("riscv:0x489"));
        assert_eq!(m[0].compatible.as_deref(), Some("sifive,u74-mc"));
        let la = "system type\t\t: generic-loongson-machine\n\nprocessor\t\t: 0\npackage\t\t\t: 0\nCPU Family\t\t: Loongson-64bit\nModel Name\t\t: Loongson-3A5000\n";
        let m = parse(la);
        assert_eq!(m[0].name, "Loongson-3A5000");
        assert_eq!(m[0].vendor_id.as_deref(), Some("loongarch:0x14"));
        assert!(parse("garbage\n\x00\u{fffd}: :\n").is_empty());
    }
}
