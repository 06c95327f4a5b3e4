//! Device firmware recognised by its content: the headers and trailers the makers of
//! linux-firmware write into their blobs, never the file name.
//!
//! A blob outside any `lib/firmware` tree (a folder of copied blobs) becomes a `firmware`
//! component of its own ([`FirmwareBlob`]) when its bytes are recognised, and nothing otherwise;
//! inside a firmware tree the same evidence is added beside the path evidence by
//! [`super::LinuxFirmware`]. What is recognised, and the evidence it gives:
//!
//! | bytes | format (`firmware-format`) or evidence | maker per the rules |
//! | --- | --- | --- |
//! | `00000000 "IWL\n"` at 0, then the version string (iwlwifi TLV) | `iwlwifi-tlv` | Intel |
//! | CSS header (header version `0x10000`, 0xa1/0xe1 dwords), `module_vendor` at 16 | `pci-vendor-id` of that field (`8086`) | Intel |
//! | Intel microcode update header (versions 1, BCD date, sizes, checksum when whole) | `cpu-vendor-id` `GenuineIntel` | Intel |
//! | `DMA\0` container, equivalence table, patch section | `cpu-vendor-id` `AuthenticAMD` | AMD |
//! | amdgpu/radeon common header (`size_bytes` = file size, header and ucode bounds) | `amdgpu-ucode` | AMD |
//! | r8169 firmware (magic 0, `rtl…` version, byte sum 0) | `rtl-nic` | Realtek |
//! | r8152 firmware (SHA-256 of the rest in the first 32 bytes, `rtl…` version) | `rtl-usb-nic` | Realtek |
//! | `Realtech` / `RTBTCore` epatch signature | `rtl-bt-epatch` | Realtek |
//! | `55 ab 23 87` config magic with its exact length | `rtl-bt-config` | Realtek |
//! | `QCA-ATH10K\0`, `QCA-ATH10K-BOARD\0`, `QCA-ATH11K-BOARD\0`, `QCA-ATH6KL\0` | `qca-ath10k`, `qca-ath10k-board`, `qca-ath11k-board`, `qca-ath6kl` | Qualcomm |
//! | mt76x0/x2 header (ILM + DLM + 32 = file size, `YYYYMMDDhhmm____` build time) | `mt76x02-fw` | MediaTek |
//! | MediaTek ROM patch header (14-digit build date, platform `ALPS`) | `mt76-rom-patch` | MediaTek |
//! | MediaTek connac RAM trailer (last 36 bytes: regions, version, 14-digit build date); a `t-neptune-…` build tag becomes a property | `mt76-connac-ram` | MediaTek |
//! | NVIDIA firmware container (magic `0x10de`, `bin_size` = file size) | `nvidia-bin` | NVIDIA |
//! | i.MX SDMA script header (`SDMA`, version, bounded offsets) | `imx-sdma` | NXP |
//! | a whole printable string equal to a maker's name (`Marvell Semiconductor`, `Advanced Micro Devices`) | `company-name` | that maker |
//!
//! Broadcom/Cypress dongle firmware ends with a version banner (`Version: … CRC: … Date: …`)
//! that both makers write; it becomes the `firmware-version` property, not evidence. Strings
//! that merely mention a maker (`link to Broadcom AP`, a third-party RTOS copyright) are never
//! evidence: a wrong vendor is worse than an unknown one.
//!
//! Reads are bounded: the first [`HEAD_CAP`] and last [`TAIL_CAP`] bytes of a file, every
//! integer read bounds-checked; checks that need the whole file (checksums) run only when it
//! fits in the head.

use super::super::{Candidate, Collected, Collector, Context};
use crate::model::{Component, ComponentKind, EvidenceKind};
use std::io::{Read, Seek, SeekFrom};

/// Bytes read from the start of a blob.
pub const HEAD_CAP: usize = 256 << 10;
/// Bytes read from the end of a blob larger than [`HEAD_CAP`].
pub const TAIL_CAP: usize = 64 << 10;

/// Every `firmware-format` value this module emits (the rules linter checks `firmware_formats`
/// against it).
pub const FORMATS: &[&str] = &[
    "iwlwifi-tlv",
    "amdgpu-ucode",
    "rtl-nic",
    "rtl-usb-nic",
    "rtl-bt-epatch",
    "rtl-bt-config",
    "qca-ath10k",
    "qca-ath10k-board",
    "qca-ath11k-board",
    "qca-ath6kl",
    "mt76x02-fw",
    "mt76-rom-patch",
    "mt76-connac-ram",
    "nvidia-bin",
    "imx-sdma",
];

/// Maker names that count as evidence only when a whole printable string equals them.
const MAKER_STRINGS: &[&str] = &["Marvell Semiconductor", "Advanced Micro Devices"];

/// The bounded bytes of one blob.
#[derive(Debug, Default)]
pub struct Sample {
    /// The first bytes (the whole file when it is at most [`HEAD_CAP`] bytes).
    pub head: Vec<u8>,
    /// The last bytes, when the file is larger than the head.
    pub tail: Vec<u8>,
    /// File size.
    pub size: u64,
}

impl Sample {
    /// A sample of bytes held in memory (tests, embedded files).
    pub fn of(b: &[u8]) -> Self {
        let head = b[..b.len().min(HEAD_CAP)].to_vec();
        let tail = if b.len() > HEAD_CAP {
            b[b.len() - (b.len() - HEAD_CAP).min(TAIL_CAP)..].to_vec()
        } else {
            Vec::new()
        };
        Sample {
            head,
            tail,
            size: b.len() as u64,
        }
    }

    /// Read the head and tail of an opened regular file (on the host or in an image's tree).
    pub fn read(f: crate::rootfs::Opened) -> std::io::Result<Self> {
        let size = f.len();
        match f {
            crate::rootfs::Opened::Disk(mut f, _) => {
                let head = crate::rootfs::read_head(&mut f, HEAD_CAP)?;
                let mut tail = Vec::new();
                if size > head.len() as u64 && head.len() == HEAD_CAP {
                    let start = size.saturating_sub(TAIL_CAP as u64).max(HEAD_CAP as u64);
                    f.seek(SeekFrom::Start(start))?;
                    f.take(TAIL_CAP as u64).read_to_end(&mut tail)?;
                }
                Ok(Sample { head, tail, size })
            }
            crate::rootfs::Opened::Memory(m) => {
                let mut s = Sample::of(&m.data);
                s.size = size;
                if !m.complete {
                    // Only the first bytes were kept: no tail to read.
                    s.tail.clear();
                }
                Ok(s)
            }
        }
    }

    /// The whole file, when it fits in the head.
    pub fn whole(&self) -> Option<&[u8]> {
        (self.head.len() as u64 == self.size).then_some(&self.head[..])
    }

    /// The last bytes of the file (the head when the file is whole).
    pub fn end(&self) -> &[u8] {
        if self.tail.is_empty() {
            self.whole().unwrap_or(&[])
        } else {
            &self.tail
        }
    }
}

/// What the bytes of a blob say.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Recognised {
    /// Formats recognised (`iwlwifi-tlv`, `intel-css`…), in the order found.
    pub formats: Vec<&'static str>,
    /// Maker evidence.
    pub evidence: Vec<(EvidenceKind, String)>,
    /// Descriptive facts (`firmware-version`, `build-date`…).
    pub properties: Vec<(&'static str, String)>,
}

impl Recognised {
    fn format(&mut self, f: &'static str) {
        self.formats.push(f);
        if FORMATS.contains(&f) {
            self.evidence
                .push((EvidenceKind::FirmwareFormat, f.to_owned()));
        }
    }
    fn prop(&mut self, k: &'static str, v: impl Into<String>) {
        let v = v.into();
        if !v.is_empty() && !self.properties.iter().any(|(key, _)| *key == k) {
            self.properties.push((k, v));
        }
    }
    /// Whether anything names a maker.
    pub fn has_evidence(&self) -> bool {
        !self.evidence.is_empty()
    }
}

fn u16le(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(o..o.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn u32le(b: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(o..o.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn at(b: &[u8], o: usize, m: &[u8]) -> bool {
    o.checked_add(m.len())
        .and_then(|e| b.get(o..e))
        .is_some_and(|s| s == m)
}

/// The NUL-terminated printable string at `o` (at most `max` bytes), if it is at least `min`
/// bytes long and wholly printable.
fn cstr(b: &[u8], o: usize, max: usize, min: usize) -> Option<String> {
    let s = b.get(o..)?;
    let s = &s[..s.len().min(max)];
    let end = s.iter().position(|&c| c == 0).unwrap_or(s.len());
    let s = &s[..end];
    (s.len() >= min && s.iter().all(|c| (0x20..0x7f).contains(c)))
        .then(|| String::from_utf8_lossy(s).trim().to_owned())
}

fn digits(b: &[u8], o: usize, n: usize) -> bool {
    o.checked_add(n)
        .and_then(|e| b.get(o..e))
        .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
}

/// Cheap test on the first bytes: whether one of the head formats may be there.
pub fn sniff(head: &[u8]) -> bool {
    let mut r = Recognised::default();
    let s = Sample {
        head: head.to_vec(),
        tail: Vec::new(),
        size: u64::MAX,
    };
    header_formats(&s, &mut r, false);
    // Realtek NIC firmware is checked against the whole file; its version string is at a fixed
    // offset in the head.
    !r.formats.is_empty()
        || (at(head, 0, &[0, 0, 0, 0]) && at(head, 4, b"rtl"))
        || at(head, 32, b"rtl")
}

/// Recognise a blob from its sample.
pub fn recognise(s: &Sample) -> Recognised {
    let mut r = Recognised::default();
    header_formats(s, &mut r, true);
    trailer_formats(s, &mut r);
    maker_strings(s, &mut r);
    r
}

/// Formats identified by the first bytes. `sized`: whether `s.size` is the real file size (for
/// a head-only sniff it is not, and checks against the size are relaxed to "fits").
fn header_formats(s: &Sample, r: &mut Recognised, sized: bool) {
    let h = &s.head[..];
    let size_is = |v: u64| {
        if sized {
            v == s.size
        } else {
            v >= h.len() as u64
        }
    };
    // Intel iwlwifi TLV.
    if at(h, 0, &[0, 0, 0, 0]) && at(h, 4, b"IWL\n") {
        r.format("iwlwifi-tlv");
        if let Some(v) = cstr(h, 8, 64, 1) {
            r.prop("firmware-version", v);
        }
        return;
    }
    if let Some(vendor) = intel_css(h, s.size) {
        r.formats.push("intel-css");
        r.evidence
            .push((EvidenceKind::PciVendorId, format!("{vendor:04x}")));
        return;
    }
    if intel_microcode(h, s.size, s.whole()) {
        r.formats.push("intel-microcode");
        r.evidence
            .push((EvidenceKind::CpuVendorId, "GenuineIntel".into()));
        return;
    }
    if amd_microcode(h) {
        r.formats.push("amd-microcode");
        r.evidence
            .push((EvidenceKind::CpuVendorId, "AuthenticAMD".into()));
        return;
    }
    for (magic, f) in [
        (&b"QCA-ATH10K-BOARD\0"[..], "qca-ath10k-board"),
        (b"QCA-ATH11K-BOARD\0", "qca-ath11k-board"),
        (b"QCA-ATH10K\0", "qca-ath10k"),
        (b"QCA-ATH6KL\0", "qca-ath6kl"),
    ] {
        if at(h, 0, magic) {
            r.format(f);
            return;
        }
    }
    if at(h, 0, b"Realtech") || at(h, 0, b"RTBTCore") {
        r.format("rtl-bt-epatch");
        return;
    }
    if at(h, 0, &[0x55, 0xab, 0x23, 0x87]) {
        if let Some(len) = u16le(h, 4) {
            if size_is(u64::from(len) + 6) {
                r.format("rtl-bt-config");
                return;
            }
        }
    }
    if let Some(w) = s.whole() {
        if let Some(v) = rtl_nic(w) {
            r.format("rtl-nic");
            r.prop("firmware-version", v);
            return;
        }
        if let Some(v) = rtl_usb_nic(w) {
            r.format("rtl-usb-nic");
            r.prop("firmware-version", v);
            return;
        }
    }
    if let Some(v) = amdgpu(h, s.size, sized) {
        r.format("amdgpu-ucode");
        r.prop("ucode-version", format!("{v:#x}"));
        return;
    }
    // mt76x0/mt76x2: ILM and DLM lengths, then the build time.
    if let (Some(ilm), Some(dlm)) = (u32le(h, 0), u32le(h, 4)) {
        if digits(h, 16, 12) && at(h, 28, b"____") && size_is(u64::from(ilm) + u64::from(dlm) + 32)
        {
            r.format("mt76x02-fw");
            r.prop("build-date", String::from_utf8_lossy(&h[16..28]));
            return;
        }
    }
    if digits(h, 0, 14) && at(h, 0, b"20") && at(h, 16, b"ALPS") {
        r.format("mt76-rom-patch");
        r.prop("build-date", String::from_utf8_lossy(&h[0..14]));
        return;
    }
    if u32le(h, 0) == Some(0x10de) {
        let ok = (|| {
            let bin = u64::from(u32le(h, 8)?);
            let hdr = u64::from(u32le(h, 12)?);
            let data = u64::from(u32le(h, 16)?);
            let dsize = u64::from(u32le(h, 20)?);
            Some(size_is(bin) && hdr < bin && data + dsize <= bin)
        })();
        if ok == Some(true) {
            r.format("nvidia-bin");
            return;
        }
    }
    if at(h, 0, b"SDMA") {
        let ok = (|| {
            // magic, version major, minor, script_addrs_start, num_script_addrs,
            // ram_code_start, ram_code_size (bytes).
            let major = u32le(h, 4)?;
            let scripts = u64::from(u32le(h, 12)?);
            let n_scripts = u64::from(u32le(h, 16)?);
            let code = u64::from(u32le(h, 20)?);
            let code_size = u64::from(u32le(h, 24)?);
            let limit = if sized { s.size } else { u64::MAX };
            Some(
                (1..=4).contains(&major)
                    && scripts >= 28
                    && scripts + n_scripts * 4 <= limit
                    && code >= 28
                    && code_size > 0
                    && code + code_size <= limit,
            )
        })();
        if ok == Some(true) {
            r.format("imx-sdma");
        }
    }
}

/// Intel CSS header: the module vendor (a PCI vendor id), when the header is well formed.
fn intel_css(h: &[u8], size: u64) -> Option<u16> {
    let hdr_dw = u32le(h, 4)?;
    if u32le(h, 8)? != 0x0001_0000 || !matches!(hdr_dw, 0xa1 | 0xe1) {
        return None;
    }
    let vendor = u32le(h, 16)?;
    let size_dw = u64::from(u32le(h, 24)?);
    (vendor != 0 && vendor <= 0xffff && size_dw >= u64::from(hdr_dw) && size_dw * 4 <= size)
        .then_some(vendor as u16)
}

/// Intel microcode update header (and checksum of the first update when it is all there).
fn intel_microcode(h: &[u8], size: u64, whole: Option<&[u8]>) -> bool {
    let ok = (|| {
        if u32le(h, 0)? != 1 || u32le(h, 20)? != 1 {
            return None;
        }
        let date = format!("{:08x}", u32le(h, 8)?);
        let (m, d, y) = (&date[0..2], &date[2..4], &date[4..8]);
        if !date.bytes().all(|c| c.is_ascii_digit())
            || !("01"..="12").contains(&m)
            || !("01"..="31").contains(&d)
            || !("1995"..="2099").contains(&y)
        {
            return None;
        }
        let data = u64::from(u32le(h, 28)?);
        let total = u64::from(u32le(h, 32)?);
        if data == 0 || data % 4 != 0 || total % 1024 != 0 || data + 48 > total || total > size {
            return None;
        }
        if let Some(w) = whole {
            let upd = w.get(..usize::try_from(total).ok()?)?;
            let sum = upd
                .chunks_exact(4)
                .fold(0u32, |a, c| a.wrapping_add(u32le(c, 0).unwrap_or(0)));
            if sum != 0 {
                return None;
            }
        }
        Some(())
    })();
    ok.is_some()
}

/// AMD microcode container: magic, equivalence table, then a patch section.
fn amd_microcode(h: &[u8]) -> bool {
    let ok = (|| {
        let table = usize::try_from(u32le(h, 8)?).ok()?;
        let next = table.checked_add(12)?;
        Some(
            at(h, 0, b"DMA\0")
                && u32le(h, 4)? == 0
                && table > 0
                && table % 16 == 0
                && u32le(h, next)? == 1,
        )
    })();
    ok == Some(true)
}

/// amdgpu/radeon `common_firmware_header`: its ucode version.
fn amdgpu(h: &[u8], size: u64, sized: bool) -> Option<u32> {
    let total = u64::from(u32le(h, 0)?);
    let hdr = u32le(h, 4)?;
    let major = u16le(h, 8)?;
    let minor = u16le(h, 10)?;
    let version = u32le(h, 16)?;
    let usize_ = u64::from(u32le(h, 20)?);
    let uoff = u64::from(u32le(h, 24)?);
    let size_ok = if sized {
        total == size
    } else {
        total >= h.len() as u64
    };
    (size_ok
        && (0x20..=0x100).contains(&hdr)
        && hdr % 4 == 0
        && (1..=2).contains(&major)
        && minor <= 8
        && uoff >= u64::from(hdr)
        && usize_ > 0
        && uoff + usize_ <= total)
        .then_some(version)
}

/// r8169 firmware: magic 0, a `rtl…` version, all bytes summing to 0.
fn rtl_nic(w: &[u8]) -> Option<String> {
    if u32le(w, 0)? != 0 || w.len() < 48 {
        return None;
    }
    let v = cstr(w, 4, 32, 4)?;
    let sum = w.iter().fold(0u8, |a, &b| a.wrapping_add(b));
    (v.starts_with("rtl") && sum == 0).then_some(v)
}

/// r8152 firmware: SHA-256 of everything after it in the first 32 bytes, then a `rtl…` version.
fn rtl_usb_nic(w: &[u8]) -> Option<String> {
    use sha2::Digest;
    let rest = w.get(32..)?;
    let v = cstr(w, 32, 32, 4)?;
    if !v.starts_with("rtl") {
        return None;
    }
    let digest = sha2::Sha256::digest(rest);
    (w.get(..32)? == digest.as_slice()).then_some(v)
}

/// Formats identified by the last bytes.
fn trailer_formats(s: &Sample, r: &mut Recognised) {
    let t = s.end();
    if t.len() >= 36 {
        let tr = &t[t.len() - 36..];
        // chip_id, eco, n_region, format_ver, format_flag, reserved[2], fw_ver[10],
        // build_date[15], crc.
        if (1..=16).contains(&tr[2])
            && digits(tr, 17, 14)
            && at(tr, 17, b"20")
            && tr[31] == 0
            && tr[7..17].iter().all(|c| (0x20..0x7f).contains(c))
        {
            r.format("mt76-connac-ram");
            r.prop("build-date", String::from_utf8_lossy(&tr[17..31]));
            if let Some(i) = find(t, b"t-neptune-") {
                if let Some(tag) = cstr(t, i, 200, 10) {
                    r.prop("build-tag", tag);
                }
            }
        }
    }
    // Broadcom/Cypress dongle banner: descriptive only.
    if let Some(i) = find(t, b" Version: ") {
        let from = t[..i]
            .iter()
            .rposition(|c| !(0x20..0x7f).contains(c))
            .map_or(0, |p| p + 1);
        let run = &t[from..];
        let end = run
            .iter()
            .position(|c| !(0x20..0x7f).contains(c))
            .unwrap_or(run.len())
            .min(400);
        let banner = String::from_utf8_lossy(&run[..end]);
        if banner.contains(" CRC: ") {
            r.prop("firmware-version", banner.trim());
        }
    }
}

fn find(h: &[u8], needle: &[u8]) -> Option<usize> {
    h.windows(needle.len()).position(|w| w == needle)
}

/// Whole printable strings equal to a maker's name.
fn maker_strings(s: &Sample, r: &mut Recognised) {
    for part in [&s.head[..], &s.tail[..]] {
        for run in part.split(|c| !(0x20..0x7f).contains(c)) {
            if run.len() < 6 {
                continue;
            }
            let text = String::from_utf8_lossy(run);
            let text = text.trim();
            if let Some(m) = MAKER_STRINGS.iter().find(|m| **m == text) {
                let e = (EvidenceKind::CompanyName, (*m).to_owned());
                if !r.evidence.contains(&e) {
                    r.evidence.push(e);
                }
            }
        }
    }
}

/// Add what the bytes say to a component.
pub fn apply(rec: &Recognised, comp: &mut Component, path: &str) {
    for (k, v) in &rec.evidence {
        if !comp.evidence.iter().any(|e| e.kind == *k && e.value == *v) {
            comp.add_evidence(*k, v, path);
        }
    }
    if !rec.formats.is_empty() {
        comp.set_property("firmware-format", rec.formats.join(" "));
    }
    for (k, v) in &rec.properties {
        comp.set_property(k, v);
    }
}

/// Blobs outside firmware trees, recognised by content.
pub struct FirmwareBlob;

/// File names a loose blob is often given: offered by name so that trailers are read too (the
/// name selects what is read, never who made it).
const BLOB_EXTENSIONS: &[&str] = &[".bin", ".fw", ".ucode"];

impl Collector for FirmwareBlob {
    fn id(&self) -> &'static str {
        "firmware-blob"
    }
    fn reads(&self) -> &'static str {
        "every file in a firmware tree: `/lib/firmware`, `/usr/lib/firmware` and `lib/firmware` at any depth (attributed by the rules' `firmware_paths` on the path inside the tree); Intel `intel-ucode/` and AMD `amd-ucode/` microcode headers; the blob's content as `firmware-blob` reads it; copyright holders from the shipping package's DEP-5 `usr/share/doc/<pkg>/copyright` (`Files:` paragraph covering the blob)"
    }
    fn emits(&self) -> &'static [EvidenceKind] {
        &[
            EvidenceKind::CompanyName,
            EvidenceKind::CpuVendorId,
            EvidenceKind::FirmwareFormat,
            EvidenceKind::PciVendorId,
        ]
    }
    fn matches_path(&self, path: &str) -> bool {
        let lower = path.to_ascii_lowercase();
        super::relative(path).is_none() && BLOB_EXTENSIONS.iter().any(|e| lower.ends_with(e))
    }
    fn matches_head(&self, head: &[u8]) -> bool {
        sniff(head)
    }
    fn collect(&self, c: &Candidate<'_>, _ctx: &Context<'_>) -> Collected {
        if super::relative(c.path).is_some() {
            return Collected::default();
        }
        let sample = match c.open().and_then(Sample::read) {
            Ok(s) => s,
            Err(e) => return Collected::error(c.path, format!("cannot read firmware blob: {e}")),
        };
        let rec = recognise(&sample);
        if !rec.has_evidence() {
            return Collected::default();
        }
        let file = c.path.rsplit('/').next().unwrap_or(c.path);
        let mut comp = Component::new(ComponentKind::Firmware, Some("firmware-blob"), file, None);
        comp.id = format!("firmware-blob:{}", c.path);
        comp.locations.push(c.path.to_owned());
        apply(&rec, &mut comp, c.path);
        Collected {
            components: vec![comp],
            ..Collected::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(b: &[u8]) -> Recognised {
        recognise(&Sample::of(b))
    }

    #[test]
    fn iwlwifi_tlv_magic_and_version() {
        let mut b = vec![0u8; 128];
        b[4..8].copy_from_slice(b"IWL\n");
        b[8..24].copy_from_slice(b"release/core69::");
        let r = rec(&b);
        assert_eq!(r.formats, vec!["iwlwifi-tlv"]);
        assert_eq!(
            r.evidence,
            vec![(EvidenceKind::FirmwareFormat, "iwlwifi-tlv".into())]
        );
        assert_eq!(r.properties[0].1, "release/core69::");
        // One byte off in the magic: nothing.
        b[7] = b'\r';
        assert!(!rec(&b).has_evidence());
    }

    #[test]
    fn css_vendor_field_is_the_evidence() {
        let mut b = vec![0u8; 1024];
        b[0] = 6;
        b[4] = 0xa1;
        b[8..12].copy_from_slice(&0x1_0000u32.to_le_bytes());
        b[16..20].copy_from_slice(&0x8086u32.to_le_bytes());
        b[24..28].copy_from_slice(&0xa1u32.to_le_bytes());
        assert_eq!(
            rec(&b).evidence,
            vec![(EvidenceKind::PciVendorId, "8086".into())]
        );
        // A size claim past the end of the file is not a CSS header.
        b[24..28].copy_from_slice(&0x1000u32.to_le_bytes());
        assert!(!rec(&b).has_evidence());
    }

    #[test]
    fn checksums_guard_realtek_formats() {
        // r8169: magic 0, version, bytes summing to zero.
        let mut b = vec![0u8; 64];
        b[4..20].copy_from_slice(b"rtl8168h-2_0.0.2");
        let sum = b.iter().fold(0u8, |a, &x| a.wrapping_add(x));
        b[60] = 0u8.wrapping_sub(sum);
        assert_eq!(rec(&b).formats, vec!["rtl-nic"]);
        b[61] = 1;
        assert!(rec(&b).formats.is_empty());
        // r8152: SHA-256 of the rest.
        use sha2::Digest;
        let mut u = vec![0u8; 96];
        u[32..50].copy_from_slice(b"rtl8153a-4 v2 02/0");
        let d = sha2::Sha256::digest(&u[32..]);
        u[..32].copy_from_slice(&d);
        assert_eq!(rec(&u).formats, vec!["rtl-usb-nic"]);
        u[90] ^= 1;
        assert!(rec(&u).formats.is_empty());
    }

    #[test]
    fn mediatek_trailer_and_build_tag() {
        let mut b = vec![0xffu8; 4096];
        let tag = b"t-neptune-mp-mt7915-2045-MT7915_MP_7_4_2045-20220929103802\0";
        b[1000..1000 + tag.len()].copy_from_slice(tag);
        let n = b.len();
        let tr = &mut b[n - 36..];
        tr[..7].copy_from_slice(&[0x0b, 0x01, 0x07, 0x02, 0x01, 0x00, 0x00]);
        tr[7..17].copy_from_slice(b"____000000");
        tr[17..32].copy_from_slice(b"20220929104145\0");
        let r = rec(&b);
        assert_eq!(r.formats, vec!["mt76-connac-ram"]);
        assert!(r.properties.contains(&(
            "build-tag",
            String::from_utf8_lossy(&tag[..tag.len() - 1]).into()
        )));
        b[n - 36 + 2] = 0; // no regions
        assert!(rec(&b).formats.is_empty());
    }

    #[test]
    fn maker_names_only_as_whole_strings() {
        let r = rec(b"\0\0Marvell Semiconductor\0\0link to Broadcom AP\0");
        assert_eq!(
            r.evidence,
            vec![(EvidenceKind::CompanyName, "Marvell Semiconductor".into())]
        );
        assert!(!rec(b"\0Marvell Semiconductors rock\0").has_evidence());
    }

    fn fixture(name: &str) -> Recognised {
        let p = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/firmware-blobs/collected/"
        );
        rec(&std::fs::read(format!("{p}{name}")).unwrap())
    }

    #[test]
    fn real_blobs() {
        let f = |n: &str| fixture(n).formats;
        assert_eq!(f("06-55-07"), vec!["intel-microcode"]);
        assert_eq!(f("microcode_amd_fam16h.bin"), vec!["amd-microcode"]);
        assert_eq!(f("arcturus_gpu_info.bin"), vec!["amdgpu-ucode"]);
        assert_eq!(f("rtl8168h-2.fw"), vec!["rtl-nic"]);
        assert_eq!(f("rtl8153a-4.fw"), vec!["rtl-usb-nic"]);
        assert_eq!(f("rtl8761bu_config.bin"), vec!["rtl-bt-config"]);
        assert_eq!(f("firmware-5.bin"), vec!["qca-ath10k"]);
        assert_eq!(f("mt7615_rom_patch.bin"), vec!["mt76-rom-patch"]);
        assert_eq!(f("mt7915_wm.bin"), vec!["mt76-connac-ram"]);
        assert_eq!(f("nvidia-gp102-acr-bl.bin"), vec!["nvidia-bin"]);
        assert_eq!(f("sdma-imx6q.bin"), vec!["imx-sdma"]);
        assert_eq!(f("iwlwifi-1000-5.ucode"), vec!["iwlwifi-tlv"]);
        let css = fixture("hfi1_sbus.fw");
        assert_eq!(css.formats, vec!["intel-css"]);
        assert_eq!(
            css.evidence,
            vec![(EvidenceKind::PciVendorId, "8086".into())]
        );
        // The Broadcom dongle banner is described, never evidence.
        let brcm = fixture("brcmfmac4329-sdio.bin");
        assert!(!brcm.has_evidence());
        assert!(
            brcm.properties[0].1.starts_with("4329b1/sdio-g-cdc"),
            "{brcm:?}"
        );
        // The head sniff finds what the loose collector must open.
        let head = |n: &str| {
            let p = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/fixtures/firmware-blobs/collected/"
            );
            let b = std::fs::read(format!("{p}{n}")).unwrap();
            sniff(&b[..b.len().min(crate::collectors::HEAD_LEN)])
        };
        assert!(head("06-55-07") && head("rtl8168h-2.fw") && head("hfi1_sbus.fw"));
        assert!(!head("brcmfmac4329-sdio.bin") && !head("mt7915_wm.bin"));
    }

    #[test]
    fn hostile_and_empty_blobs_give_nothing() {
        assert_eq!(rec(b""), Recognised::default());
        assert!(!rec(&[0u8; 4096]).has_evidence());
        assert!(!rec(&[0xffu8; 100]).has_evidence());
        // Headers whose sizes overflow or point past the end.
        let mut b = vec![0u8; 64];
        b[..4].copy_from_slice(b"DMA\0");
        b[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(!rec(&b).has_evidence());
        b[..4].copy_from_slice(b"SDMA");
        b[4] = 1;
        b[12] = 28;
        b[20..24].copy_from_slice(&u32::MAX.to_le_bytes());
        b[24..28].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(!rec(&b).has_evidence());
        let mut m = vec![0u8; 48];
        m[0] = 1;
        m[20] = 1;
        m[8..12].copy_from_slice(&0x0711_2023u32.to_le_bytes());
        m[28..32].copy_from_slice(&u32::MAX.to_le_bytes());
        m[32..36].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(!rec(&m).has_evidence());
    }
}
