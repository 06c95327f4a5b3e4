//! Boot-ROM images: the first-stage loaders a SoC's mask ROM reads from flash or an SD card, in
//! the header format that ROM expects. Only that SoC maker's ROM reads the format, so the header
//! names the maker; the board the image was built for is a second party (`board`), never the
//! vendor.
//!
//! Formats, each checked against real bytes or a published description:
//!
//! | format | bytes | SoC maker (dt prefix) | checked against |
//! | --- | --- | --- | --- |
//! | `allwinner-egon` | `eGON.BT0` at 0x4, length at 0x10, checksum at 0xc (stamp 0x5F0A6C39), sunxi SPL header `SPL` at 0x14 with the device-tree name | `allwinner` | Debian `u-boot-sunxi` 2023.01 `sunxi-spl.bin`; U-Boot `arch/arm/include/asm/arch-sunxi/spl.h`, <https://linux-sunxi.org/EGON> |
//! | `rockchip-idb` | the first 512 bytes RC4-encrypted with the boot ROM's public key decrypt to magic 0x0FF0AA55; the SPL tag (`RK33`, `RK32`…) at `init_offset`×512 (SD/eMMC) or its SPI-interleaved place | `rockchip` | Debian `u-boot-rockchip` 2023.01 `idbloader.img`; U-Boot `tools/rkcommon.c` |
//! | `rockchip-rkns` | header v2 magic `RKNS` at 0x0, image count 1–4, hash type 0–2 | `rockchip` | U-Boot `tools/rkcommon.c` (`header0_info_v2`); bytes made by Debian's `mkimage -T rksd -n rk3568` |
//! | `amlogic-aml` | `@AML` at 0x10 with header size 64 and header version 1 | `amlogic` | spec only: meson-tools `aml.h` (<https://github.com/afaerber/meson-tools>); Debian ships no signed Amlogic image |
//! | `nxp-imx-ivt` | HAB image vector table: tag 0xD1, length 0x0020 (big-endian), version 0x40–0x43, non-zero entry and self pointers, zero reserved words; at 0x0, 0x400 or 0x1000 | `fsl` | Debian `u-boot-imx` 2023.01 `SPL`; NXP AN4581 "Secure Boot on i.MX" §IVT |
//! | `nxp-flexspi` | FlexSPI NOR configuration block: tag `FCFB` at 0x400, version byte `V` at 0x407 | `fsl` | spec only: i.MX RT reference manuals, "FlexSPI configuration block" |
//! | `ti-gp-ch` | TI configuration header TOC: first item at 0x40, size 0xc, name `CHSETTINGS`/`CHRAM`/`CHFLASH`/`CHMMCSD` at 0x14; GP header (size, load address) at 0x200 | `ti` | Debian `u-boot-omap` 2023.01 `MLO`; U-Boot `tools/omapimage.c` |
//! | `ti-gp` | a file named `MLO` holding only the 8-byte GP header: its size (with or without the 8 header bytes) is the file size, load address in on-chip SRAM (0x4020_0000–0x4040_0000) | `ti` | the GP header of U-Boot `tools/omapimage.c` output (size counts the header); AM335x TRM §26.1.10 "GP device image format" |
//! | `raspberrypi-bootcode` | a file named `bootcode.bin` naming the 8.3 FAT entry `START   ELF` it loads next | `brcm` | Debian `raspi-firmware` 1.20220830 `bootcode.bin` (no published format: recognised by name and contents) |
//! | `xilinx-zynq` | width detection word 0xAA995566 at 0x20, `XNLX` at 0x24, header checksum at 0x48 | `xlnx` | Xilinx UG585 §6.3.2 "BootROM header"; bytes made by Debian's `mkimage -T zynqimage` |
//!
//! Not recognised: Qualcomm MBN and hash-segment ELFs (ELF files belong to the ELF collector,
//! and no signed Qualcomm boot image was available to check against), Allwinner TOC0, and
//! boot images nested inside whole-disk dumps.
//!
//! Reads: candidates by their first bytes, plus files named `MLO` or `bootcode.bin`; the whole
//! file is loaded (at most [`MAX_BOOT`] bytes) and walked by the firmware walker, so a device
//! tree or FIT appended to the loader is read as well. The component is the firmware image
//! component (`firmware:<path>`), with `boot-format`, `category: soc-boot` and the SoC maker
//! as `dt-compatible` evidence at the header field (`/boot/sunxi-spl.bin@0x4`); the board comes
//! from the device tree (`board` evidence) and from Debian's `/usr/lib/u-boot/<board>/` folder.

use super::firmware::{self, rd, Walker};
use super::{Candidate, Collected, Collector, Context};
use crate::model::EvidenceKind;

/// Largest boot image read (a Zynq `BOOT.BIN` may carry a bitstream).
pub const MAX_BOOT: u64 = 256 << 20;
/// Most bytes searched for the Raspberry Pi loader's file names.
const RPI_SEARCH: usize = 1 << 20;

/// A recognised boot-ROM header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boot {
    /// Format id (`allwinner-egon`).
    pub format: &'static str,
    /// Device-tree vendor prefix of the SoC maker whose boot ROM reads the format.
    pub soc: &'static str,
    /// Offset of the field that identifies the format.
    pub at: usize,
    /// Header facts (property name, value).
    pub facts: Vec<(&'static str, String)>,
    /// Inconsistencies met (a checksum that does not match, a length past the end).
    pub problems: Vec<String>,
}

impl Boot {
    fn new(format: &'static str, soc: &'static str, at: usize) -> Self {
        Boot {
            format,
            soc,
            at,
            facts: Vec::new(),
            problems: Vec::new(),
        }
    }
    fn fact(&mut self, k: &'static str, v: impl Into<String>) {
        self.facts.push((k, v.into()));
    }
}

/// The boot-ROM header at the start of the whole file `b`, if any. `name` is the file name
/// (formats without a magic are recognised only under their conventional name).
pub fn identify(b: &[u8], name: &str) -> Option<Boot> {
    find(b, name, true)
}

/// Whether the first bytes of a file carry a header this collector reads.
pub fn sniff(head: &[u8]) -> bool {
    find(head, "", false).is_some()
}

/// `whole`: `b` is the whole file, so lengths and checksums can be checked.
fn find(b: &[u8], name: &str, whole: bool) -> Option<Boot> {
    egon(b, whole)
        .or_else(|| rkns(b))
        .or_else(|| rockchip_rc4(b))
        .or_else(|| amlogic(b))
        .or_else(|| zynq(b))
        .or_else(|| imx(b))
        .or_else(|| ti_ch(b, whole))
        .or_else(|| ti_gp(b, name))
        .or_else(|| rpi(b, name))
}

fn at(b: &[u8], o: usize, m: &[u8]) -> bool {
    b.get(o..o.saturating_add(m.len())) == Some(m)
}

fn cstr(b: &[u8]) -> String {
    let s = b.split(|&c| c == 0).next().unwrap_or(b"");
    crate::text::sanitize(&String::from_utf8_lossy(s))
}

const EGON_STAMP: u32 = 0x5F0A_6C39;

fn egon(b: &[u8], whole: bool) -> Option<Boot> {
    if !at(b, 4, b"eGON.BT0") {
        return None;
    }
    let mut boot = Boot::new("allwinner-egon", "allwinner", 4);
    let length = rd::u32le(b, 0x10)? as usize;
    let sum = rd::u32le(b, 0xc)?;
    boot.fact("length", length.to_string());
    if at(b, 0x14, b"SPL") {
        let version = b.get(0x17).copied().unwrap_or(0);
        boot.fact("spl-version", version.to_string());
        // SPL header v2 and later: offset of the device-tree name in the header.
        if version >= 2 {
            let off = rd::u32le(b, 0x20).unwrap_or(0) as usize;
            if (0x2c..0x200).contains(&off) {
                boot.fact("dt-name", cstr(b.get(off..).unwrap_or(&[])));
            }
        }
    }
    if length < 0x20 || length % 4 != 0 {
        boot.problems
            .push(format!("eGON header gives an impossible length {length}"));
    } else if let Some(body) = b.get(..length) {
        let total = body.chunks_exact(4).enumerate().fold(0u32, |s, (i, w)| {
            let v = if i == 3 {
                EGON_STAMP
            } else {
                u32::from_le_bytes([w[0], w[1], w[2], w[3]])
            };
            s.wrapping_add(v)
        });
        if total != sum {
            boot.problems.push(format!(
                "eGON checksum {sum:#010x} does not match the contents ({total:#010x})"
            ));
        }
    } else if whole {
        boot.problems.push(format!(
            "eGON header claims {length} bytes; only {} are present",
            b.len()
        ));
    }
    Some(boot)
}

const RK_MAGIC: u32 = 0x0FF0_AA55;
const RK_MAGIC_V2: u32 = 0x534E_4B52;
/// The key the Rockchip boot ROM decrypts the header with (public: U-Boot `tools/rkcommon.c`).
const RK_RC4_KEY: [u8; 16] = [124, 78, 3, 4, 85, 5, 9, 7, 45, 44, 123, 56, 23, 13, 23, 17];
/// SPL tags the ROM checks after the header, and the SoCs that use each (rkcommon.c).
const RK_TAGS: &[(&[u8; 4], &str)] = &[
    (b"RK30", "rk3036 rk3066"),
    (b"RK31", "rk3128 rk3188"),
    (b"RK32", "rk322x rk3288 rk3328"),
    (b"RK33", "px30 rk3308 rk3368 rk3399"),
    (b"RK11", "rv1108"),
    (b"110B", "rv1126"),
];

fn rc4(data: &mut [u8], key: &[u8]) {
    let mut s: [u8; 256] = std::array::from_fn(|i| i as u8);
    let mut j = 0u8;
    for i in 0..256 {
        j = j.wrapping_add(s[i]).wrapping_add(key[i % key.len()]);
        s.swap(i, j as usize);
    }
    let (mut i, mut j) = (0u8, 0u8);
    for d in data.iter_mut() {
        i = i.wrapping_add(1);
        j = j.wrapping_add(s[i as usize]);
        s.swap(i as usize, j as usize);
        *d ^= s[s[i as usize].wrapping_add(s[j as usize]) as usize];
    }
}

/// The first word of every idbloader header once RC4-encrypted with the fixed key
/// (rkcommon.h): checked before decrypting, so the RC4 runs only on idbloader images and not on
/// the head of every file a scan sniffs.
const RK_MAGIC_ENCRYPTED: u32 = 0xfcdc_8c3b;

fn rockchip_rc4(b: &[u8]) -> Option<Boot> {
    if rd::u32le(b, 0)? != RK_MAGIC_ENCRYPTED {
        return None;
    }
    let mut h = b.get(..512)?.to_vec();
    rc4(&mut h, &RK_RC4_KEY);
    if rd::u32le(&h, 0)? != RK_MAGIC {
        return None;
    }
    let mut boot = Boot::new("rockchip-idb", "rockchip", 0);
    let plain = rd::u32le(&h, 8)? == 1;
    let init_offset = rd::u16le(&h, 12)? as usize;
    let init_size = rd::u16le(&h, 506)? as usize;
    boot.fact("payload", if plain { "plain" } else { "rc4-encrypted" });
    boot.fact("init-size", (init_size * 512).to_string());
    let sd = init_offset * 512;
    // SPI images use the first 2 KiB of every 4 KiB page (rkcommon_offset_to_spi).
    let spi = ((sd & !0x7ff) << 1) + (sd & 0x7ff);
    for (o, media) in [(sd, "sd-mmc"), (spi, "spi")] {
        if let Some((tag, socs)) = RK_TAGS.iter().find(|(t, _)| at(b, o, &t[..])) {
            boot.fact("spl-tag", String::from_utf8_lossy(&tag[..]).into_owned());
            boot.fact("soc-family", *socs);
            boot.fact("media", media);
            break;
        }
    }
    Some(boot)
}

fn rkns(b: &[u8]) -> Option<Boot> {
    if rd::u32le(b, 0)? != RK_MAGIC_V2 {
        return None;
    }
    let size_and_n = rd::u32le(b, 8)?;
    let images = size_and_n >> 16;
    let hash = rd::u32le(b, 12)? & 0xf;
    if !(1..=4).contains(&images) || hash > 2 || size_and_n & 0xffff == 0 {
        return None;
    }
    let mut boot = Boot::new("rockchip-rkns", "rockchip", 0);
    boot.fact("images", images.to_string());
    boot.fact("hash", ["none", "sha256", "sha512"][hash as usize]);
    Some(boot)
}

fn amlogic(b: &[u8]) -> Option<Boot> {
    if !at(b, 0x10, b"@AML") || rd::u16le(b, 0x18)? != 64 || rd::u16le(b, 0x1a)? != 1 {
        return None;
    }
    let mut boot = Boot::new("amlogic-aml", "amlogic", 0x10);
    boot.fact("length", rd::u32le(b, 0x14)?.to_string());
    boot.fact(
        "encrypted",
        if rd::u32le(b, 0x20)? != 0 {
            "yes"
        } else {
            "no"
        },
    );
    Some(boot)
}

fn zynq(b: &[u8]) -> Option<Boot> {
    if rd::u32le(b, 0x20)? != 0xAA99_5566 || !at(b, 0x24, b"XNLX") {
        return None;
    }
    let mut boot = Boot::new("xilinx-zynq", "xlnx", 0x24);
    let sum = (0x20..0x48)
        .step_by(4)
        .try_fold(0u32, |s, o| Some(s.wrapping_add(rd::u32le(b, o)?)))?;
    let stored = rd::u32le(b, 0x48)?;
    if !sum != stored {
        boot.problems.push(format!(
            "Zynq boot header checksum {stored:#010x} does not match ({:#010x})",
            !sum
        ));
    }
    let enc = match rd::u32le(b, 0x28)? {
        0 => "none",
        0xA5C3_C5A3 => "efuse",
        0x3A5C_3C5A => "bbram",
        _ => "other",
    };
    boot.fact("encryption", enc);
    boot.fact("image-length", rd::u32le(b, 0x34)?.to_string());
    Some(boot)
}

fn ivt(b: &[u8], o: usize) -> Option<(u8, u32)> {
    let h = b.get(o..o.checked_add(32)?)?;
    let (tag, len, ver) = (h[0], u16::from_be_bytes([h[1], h[2]]), h[3]);
    let entry = rd::u32le(h, 4)?;
    let self_ptr = rd::u32le(h, 20)?;
    (tag == 0xD1
        && len == 0x20
        && (0x40..=0x43).contains(&ver)
        && entry != 0
        && self_ptr != 0
        && rd::u32le(h, 8)? == 0
        && rd::u32le(h, 28)? == 0)
        .then_some((ver, entry))
}

fn imx(b: &[u8]) -> Option<Boot> {
    let fcfb = at(b, 0x400, b"FCFB") && b.get(0x407) == Some(&b'V');
    for o in [0usize, 0x400, 0x1000] {
        if let Some((ver, entry)) = ivt(b, o) {
            let mut boot = Boot::new("nxp-imx-ivt", "fsl", o);
            boot.fact("ivt-offset", format!("{o:#x}"));
            boot.fact("ivt-version", format!("{ver:#04x}"));
            boot.fact("entry", format!("{entry:#010x}"));
            if fcfb && o == 0x1000 {
                boot.fact("flexspi-config", "0x400");
            }
            return Some(boot);
        }
    }
    fcfb.then(|| {
        let mut boot = Boot::new("nxp-flexspi", "fsl", 0x400);
        boot.fact("flexspi-config", "0x400");
        boot
    })
}

const TI_CH: &[&[u8]] = &[b"CHSETTINGS", b"CHRAM", b"CHFLASH", b"CHMMCSD"];

fn ti_ch(b: &[u8], whole: bool) -> Option<Boot> {
    let name = b.get(0x14..0x20)?;
    let item = TI_CH
        .iter()
        .find(|n| name.starts_with(n) && name[n.len()..].iter().all(|&c| c == 0))?;
    if rd::u32le(b, 0)? != 0x40 || rd::u32le(b, 4)? != 0x0c {
        return None;
    }
    let mut boot = Boot::new("ti-gp-ch", "ti", 0x14);
    boot.fact("toc-item", String::from_utf8_lossy(item).into_owned());
    if let (Some(size), Some(load)) = (rd::u32le(b, 0x200), rd::u32le(b, 0x204)) {
        boot.fact("load-address", format!("{load:#010x}"));
        boot.fact("length", size.to_string());
        // The size counts the GP header itself (U-Boot `omapimage`: file = 0x200 + size).
        if whole && (size as usize).saturating_add(0x200) > b.len() {
            boot.problems.push(format!(
                "GP header claims {size} bytes; only {} are there",
                b.len().saturating_sub(0x200)
            ));
        }
    }
    Some(boot)
}

fn ti_gp(b: &[u8], name: &str) -> Option<Boot> {
    if !name.eq_ignore_ascii_case("MLO") {
        return None;
    }
    let size = rd::u32le(b, 0)? as usize;
    let load = rd::u32le(b, 4)?;
    // The size counts the 8 header bytes (as `omapimage` writes it) or only the code after.
    let fits = size == b.len() || size.checked_add(8)? == b.len();
    if !fits || !(0x4020_0000..0x4040_0000).contains(&load) {
        return None;
    }
    let mut boot = Boot::new("ti-gp", "ti", 0);
    boot.fact("load-address", format!("{load:#010x}"));
    boot.fact("length", size.to_string());
    Some(boot)
}

fn rpi(b: &[u8], name: &str) -> Option<Boot> {
    if !name.eq_ignore_ascii_case("bootcode.bin") {
        return None;
    }
    let hay = &b[..b.len().min(RPI_SEARCH)];
    let o = hay.windows(11).position(|w| w == b"START   ELF")?;
    Some(Boot::new("raspberrypi-bootcode", "brcm", o))
}

/// The board folder of Debian's U-Boot layout: `/usr/lib/u-boot/<board>/<file>`.
pub fn board_dir(path: &str) -> Option<&str> {
    let mut parts = path.rsplit('/');
    parts.next()?;
    let board = parts.next()?;
    (parts.next()? == "u-boot" && !board.is_empty()).then_some(board)
}

/// The boot-ROM image collector.
pub struct BootRom;

const NAMES: &[&str] = &["mlo", "bootcode.bin"];

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

impl Collector for BootRom {
    fn id(&self) -> &'static str {
        "bootrom"
    }
    fn reads(&self) -> &'static str {
        "files whose first bytes carry a boot-ROM header, and files named `MLO` or `bootcode.bin`: Allwinner eGON, Rockchip idbloader (RC4 header, SPL tag) and `RKNS`, Amlogic `@AML`, NXP i.MX IVT and FlexSPI `FCFB`, TI GP/CH, Raspberry Pi `bootcode.bin`, Xilinx Zynq `BOOT.BIN`; vendor = the SoC maker whose boot ROM reads the format, `board` = the board from the appended device tree or the `/usr/lib/u-boot/<board>/` folder"
    }
    fn emits(&self) -> &'static [EvidenceKind] {
        &[
            EvidenceKind::Board,
            EvidenceKind::CopyrightHolder,
            EvidenceKind::DtCompatible,
        ]
    }
    fn matches_path(&self, path: &str) -> bool {
        NAMES.contains(&file_name(path).to_ascii_lowercase().as_str())
    }
    fn matches_head(&self, head: &[u8]) -> bool {
        sniff(head)
    }
    fn collect(&self, c: &Candidate<'_>, _ctx: &Context<'_>) -> Collected {
        let bytes = match c.load("boot image", MAX_BOOT) {
            Ok(b) => b,
            Err(e) => return e,
        };
        let Some(boot) = identify(&bytes, file_name(c.path)) else {
            return Collected::default();
        };
        let mut w = Walker::new(c.path);
        w.scan(&bytes, 0, "");
        w.format(boot.format);
        let mut out = firmware::components(c.path, w.f);
        let id = format!("firmware:{}", c.path);
        if let Some(top) = out.components.iter_mut().find(|x| x.id == id) {
            top.add_evidence(
                EvidenceKind::DtCompatible,
                boot.soc,
                format!("{}@{:#x}", c.path, boot.at),
            );
            top.set_property("boot-format", boot.format);
            top.set_property("category", "soc-boot");
            for (k, v) in &boot.facts {
                top.set_property(&format!("boot-{k}"), v);
            }
            if let Some(board) = board_dir(c.path) {
                top.add_evidence(EvidenceKind::Board, board, c.path);
                top.properties
                    .entry("board".into())
                    .or_insert_with(|| crate::text::sanitize(board));
            }
        }
        out.errors.extend(
            boot.problems
                .iter()
                .map(|p| crate::model::ScanError::new(c.path, p)),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rc4_matches_the_published_first_word() {
        // rkcommon.h: the encrypted magic reads 0xfcdc8c3b.
        let mut w = RK_MAGIC.to_le_bytes().to_vec();
        rc4(&mut w, &RK_RC4_KEY);
        assert_eq!(
            u32::from_le_bytes([w[0], w[1], w[2], w[3]]),
            RK_MAGIC_ENCRYPTED
        );
    }

    #[test]
    fn board_folder_only_under_u_boot() {
        assert_eq!(
            board_dir("/usr/lib/u-boot/rock-pi-4-rk3399/idbloader.img"),
            Some("rock-pi-4-rk3399")
        );
        assert_eq!(board_dir("/boot/idbloader.img"), None);
        assert_eq!(board_dir("idbloader.img"), None);
    }

    #[test]
    fn amlogic_header_needs_size_and_version() {
        let mut b = vec![0u8; 0x200];
        b[0x10..0x14].copy_from_slice(b"@AML");
        b[0x14..0x18].copy_from_slice(&0xc000u32.to_le_bytes());
        b[0x18..0x1a].copy_from_slice(&64u16.to_le_bytes());
        b[0x1a..0x1c].copy_from_slice(&1u16.to_le_bytes());
        let boot = identify(&b, "").expect("amlogic");
        assert_eq!(
            (boot.format, boot.soc, boot.at),
            ("amlogic-aml", "amlogic", 0x10)
        );
        b[0x18] = 65;
        assert_eq!(identify(&b, ""), None);
    }

    #[test]
    fn flexspi_block_with_ivt_at_4k() {
        let mut b = vec![0u8; 0x2000];
        b[0x400..0x404].copy_from_slice(b"FCFB");
        b[0x404..0x408].copy_from_slice(&0x5601_0400u32.to_le_bytes());
        assert_eq!(
            identify(&b[..4096], "").map(|x| x.format),
            Some("nxp-flexspi")
        );
        b[0x1000..0x1004].copy_from_slice(&[0xd1, 0x00, 0x20, 0x41]);
        b[0x1004..0x1008].copy_from_slice(&0x6000_2000u32.to_le_bytes());
        b[0x1014..0x1018].copy_from_slice(&0x6000_1000u32.to_le_bytes());
        let boot = identify(&b, "").expect("ivt");
        assert_eq!((boot.format, boot.at), ("nxp-imx-ivt", 0x1000));
        assert!(boot.facts.contains(&("flexspi-config", "0x400".into())));
    }

    #[test]
    fn gp_only_mlo_needs_its_name_size_and_sram_address() {
        let mut b = vec![0u8; 0x108];
        b[..4].copy_from_slice(&0x100u32.to_le_bytes());
        b[4..8].copy_from_slice(&0x402f_0400u32.to_le_bytes());
        assert_eq!(identify(&b, "MLO").map(|x| x.soc), Some("ti"));
        assert_eq!(identify(&b, "u-boot.bin"), None);
        b[4..8].copy_from_slice(&0x8000_0000u32.to_le_bytes());
        assert_eq!(identify(&b, "MLO"), None);
    }

    #[test]
    fn rkns_needs_a_sane_image_count() {
        let mut b = vec![0u8; 0x800];
        b[..4].copy_from_slice(b"RKNS");
        b[8..12].copy_from_slice(&((2u32 << 16) + 384).to_le_bytes());
        b[12] = 1;
        assert_eq!(identify(&b, "").map(|x| x.format), Some("rockchip-rkns"));
        b[8..12].copy_from_slice(&((9u32 << 16) + 384).to_le_bytes());
        assert_eq!(identify(&b, ""), None);
    }

    const REAL: &[(&str, &[u8], &str, &str)] = &[
        (
            "idbloader.img",
            include_bytes!(
                "../../fixtures/bootrom/debian-12/usr/lib/u-boot/rock-pi-4-rk3399/idbloader.img"
            ),
            "rockchip-idb",
            "rockchip",
        ),
        (
            "sunxi-spl.bin",
            include_bytes!(
                "../../fixtures/bootrom/debian-12/usr/lib/u-boot/pine64_plus/sunxi-spl.bin"
            ),
            "allwinner-egon",
            "allwinner",
        ),
        (
            "SPL",
            include_bytes!("../../fixtures/bootrom/debian-12/usr/lib/u-boot/wandboard/SPL"),
            "nxp-imx-ivt",
            "fsl",
        ),
        (
            "MLO",
            include_bytes!("../../fixtures/bootrom/debian-12/usr/lib/u-boot/am335x_boneblack/MLO"),
            "ti-gp-ch",
            "ti",
        ),
        (
            "bootcode.bin",
            include_bytes!("../../fixtures/bootrom/debian-12/usr/lib/raspi-firmware/bootcode.bin"),
            "raspberrypi-bootcode",
            "brcm",
        ),
        (
            "BOOT.BIN",
            include_bytes!("../../fixtures/bootrom/mkimage/boot/BOOT.BIN"),
            "xilinx-zynq",
            "xlnx",
        ),
    ];

    #[test]
    fn real_images_are_recognised_without_problems() {
        for (name, bytes, format, soc) in REAL {
            let boot = identify(bytes, name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!((boot.format, boot.soc), (*format, *soc), "{name}");
            assert_eq!(boot.problems, Vec::<String>::new(), "{name}");
            // The bootcode.bin check needs more than the head; every other one fits in it.
            let head = &bytes[..bytes.len().min(4096)];
            assert_eq!(sniff(head), *name != "bootcode.bin", "{name}");
        }
        let egon = identify(REAL[1].1, "").unwrap();
        assert!(egon
            .facts
            .contains(&("dt-name", "sun50i-a64-pine64-plus".to_owned())));
    }

    #[test]
    fn mutated_and_truncated_real_images_never_name_another_maker() {
        for (name, bytes, _, soc) in REAL {
            let head = &bytes[..bytes.len().min(4096)];
            for i in (0..head.len()).step_by(13) {
                let mut m = head.to_vec();
                m[i] ^= 0x5a;
                for b in [&m[..], &m[..i], &head[..i]] {
                    if let Some(x) = identify(b, name) {
                        assert_eq!(x.soc, *soc, "{name} mutated at {i}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_bad_egon_checksum_is_a_problem() {
        let mut b = REAL[1].1.to_vec();
        b[0x100] ^= 1;
        let boot = identify(&b, "").unwrap();
        assert!(boot.problems[0].contains("checksum"), "{:?}", boot.problems);
        let mut z = REAL[5].1.to_vec();
        z[0x30] ^= 1;
        let boot = identify(&z, "").unwrap();
        assert!(boot.problems[0].contains("Zynq"), "{:?}", boot.problems);
    }

    #[test]
    fn chance_bytes_are_not_boot_images() {
        assert_eq!(identify(&[], ""), None);
        assert_eq!(identify(&[0u8; 4096], ""), None);
        assert_eq!(identify(&[0xffu8; 4096], "MLO"), None);
        assert_eq!(identify(b"eGON.BT", ""), None);
        // A truncated eGON image is still eGON (the magic is eight bytes), with a problem.
        let mut b = vec![0u8; 0x14];
        b[4..12].copy_from_slice(b"eGON.BT0");
        b[0x10..0x14].copy_from_slice(&0x8000u32.to_le_bytes());
        let boot = identify(&b, "").expect("egon");
        assert_eq!(boot.soc, "allwinner");
        assert!(
            boot.problems[0].contains("claims 32768 bytes"),
            "{:?}",
            boot.problems
        );
        assert!(sniff(&b));
    }
}
