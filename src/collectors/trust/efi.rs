//! UEFI Secure Boot keys (UEFI specification 2.10 §32.4 "Firmware/OS key exchange", §3.3
//! "Globally defined variables"; shim's MOK variables), from two places:
//! - [`Efivars`]: `/sys/firmware/efi/efivars` under the root (efivarfs: one file per variable,
//!   named `<Name>-<VendorGuid>`, holding the 4-byte attributes then the data), so a captured
//!   tree scans like the live host, and `/sys/firmware/efi/mok-variables` (Linux 5.12+: shim's
//!   MOK configuration table, files holding the data alone). Read whether or not `--hardware`
//!   is given: these are a handful of small files. shim's numbered parts of a large list
//!   (`MokListRT1`…) are read as the list. The firmware's default keys (`PKDefault`,
//!   `KEKDefault`, `dbDefault`, `dbxDefault`) are not enforced and not read.
//! - [`VarStore`]: the non-volatile variable store of a firmware image (`OVMF_VARS.fd`, a full
//!   flash image's NVRAM volume): a firmware volume whose file system GUID is
//!   `gEfiSystemNvDataFvGuid`, then a `VARIABLE_STORE_HEADER` and variables with (authenticated)
//!   variable headers (EDK II `MdeModulePkg/Include/Guid/VariableFormat.h`). Only variables in
//!   the added state count; deleted copies are skipped.
//!
//! The data of PK, KEK, db, dbx, dbt, MokList(RT) and MokListX(RT) is a sequence of
//! `EFI_SIGNATURE_LIST`s ([`signature_lists`]): X.509 entries become certificate components
//! (with the owner GUID and the variable), hashes are counted on the store component
//! (`dbx-sha256: 431`). SecureBoot, SetupMode, AuditMode, DeployedMode, SecureBootEnable,
//! CustomMode and MokSBStateRT are recorded as store properties.
//!
//! Bad input: a list whose size runs past the variable, is smaller than its header, or whose
//! entry size is zero is one error and ends that variable; an unknown signature type is one
//! error and the list is skipped by its size; a bad DER entry is one error. Every length read
//! is checked against the bytes that hold it; nothing is allocated from one. Caps:
//! [`MAX_VARIABLE`] bytes per efivarfs file, [`MAX_IMAGE`] per firmware image.

use super::{Anchors, Store};
use crate::bytes::{u16le, u32le};
use crate::collectors::{Candidate, Collected, Collector, Context, Phase};
use crate::model::{EvidenceKind, ScanError};

/// Largest efivarfs variable read (a 2024 dbx is about 15 KiB).
pub const MAX_VARIABLE: u64 = 1 << 20;
/// Largest firmware image searched for a variable store.
pub const MAX_IMAGE: u64 = 64 << 20;
/// Where efivarfs is mounted.
pub const EFIVARS: &str = "/sys/firmware/efi/efivars";
/// Where Linux (5.12+) exposes shim's MOK configuration table.
pub const MOK_VARIABLES: &str = "/sys/firmware/efi/mok-variables";

const GLOBAL: &str = "8be4df61-93ca-11d2-aa0d-00e098032b8c";
const IMAGE_SECURITY: &str = "d719b2cb-3d3a-4596-a3bc-dad00e67656f";
const SHIM: &str = "605dab50-e046-4300-abb6-3dd810dd8b23";
/// OVMF's `SecureBootEnable` and `CustomMode` GUIDs.
const SECURE_BOOT_ENABLE: &str = "f0a30bc7-af08-4556-99c4-001009c93a44";
const CUSTOM_MODE: &str = "c076ec0c-7028-4399-a072-71ee5c448b9f";

/// `gEfiSystemNvDataFvGuid`.
const NV_DATA_FV: &str = "fff12b8d-7696-4c8b-a985-2747075b4f50";
/// `gEfiAuthenticatedVariableGuid` and `gEfiVariableGuid` (variable store formats).
const AUTH_VARIABLE_STORE: &str = "aaf32c78-947b-439a-a180-2e144ec37792";
const VARIABLE_STORE: &str = "ddcf3616-3275-4164-98b6-fe85707ffe7d";

/// The kind of one signature list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigType {
    /// `EFI_CERT_X509_GUID`: a DER certificate.
    X509,
    /// A hash or bare key (`EFI_CERT_SHA256_GUID`, `EFI_CERT_X509_SHA256_GUID`…), counted by name.
    Hash(&'static str),
}

const SIG_TYPES: &[(&str, SigType)] = &[
    ("a5c059a1-94e4-4aa7-87b5-ab155c2bf072", SigType::X509),
    (
        "c1c41626-504c-4092-aca9-41f936934328",
        SigType::Hash("sha256"),
    ),
    (
        "826ca512-cf10-4ac9-b187-be01496631bd",
        SigType::Hash("sha1"),
    ),
    (
        "0b6e5233-a65c-44c9-9407-d9ab83bfc8bd",
        SigType::Hash("sha224"),
    ),
    (
        "ff3e5307-9fd0-48c9-85f1-8ad56c701e01",
        SigType::Hash("sha384"),
    ),
    (
        "093e0fae-a6c4-4f50-9f1b-d41e2b89c19a",
        SigType::Hash("sha512"),
    ),
    (
        "3c5766e8-269c-4e34-aa14-ed776e85b3b6",
        SigType::Hash("rsa2048"),
    ),
    (
        "e2b36190-879b-4a3d-ad8d-f2e7bba32784",
        SigType::Hash("rsa2048-sha256"),
    ),
    (
        "67f8444f-8743-48f1-a328-1eaab8736080",
        SigType::Hash("rsa2048-sha1"),
    ),
    (
        "3bd2a492-96c0-4079-b420-fcf98ef103ed",
        SigType::Hash("x509-sha256"),
    ),
    (
        "7076876e-80c2-4ee6-aad2-28b349a6865b",
        SigType::Hash("x509-sha384"),
    ),
    (
        "446dbf63-2502-4cda-bcfa-2465d2b0fe9d",
        SigType::Hash("x509-sha512"),
    ),
];

/// One signature of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature<'a> {
    /// What it is.
    pub kind: SigType,
    /// `SignatureOwner` GUID.
    pub owner: String,
    /// `SignatureData`.
    pub data: &'a [u8],
    /// Index of its list in the variable, and of the signature in its list.
    pub list: usize,
    /// Index in its list.
    pub index: usize,
}

/// Format a little-endian EFI GUID (16 bytes) in registry form.
pub fn guid(b: &[u8]) -> Option<String> {
    let b = b.get(..16)?;
    Some(format!(
        "{:08x}-{:04x}-{:04x}-{}",
        u32le(b, 0)?,
        u16le(b, 4)?,
        u16le(b, 6)?,
        {
            let d = super::hex(&b[8..16]);
            format!("{}-{}", &d[..4], &d[4..])
        }
    ))
}

/// Parse a variable's data as `EFI_SIGNATURE_LIST`s: the signatures read, and one message per
/// malformed list.
pub fn signature_lists(data: &[u8]) -> (Vec<Signature<'_>>, Vec<String>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut off = 0usize;
    let mut list = 0usize;
    while off < data.len() {
        let at = off;
        let (Some(ty), Some(size), Some(hsize), Some(ssize)) = (
            data.get(off..off + 16).and_then(guid),
            u32le(data, off + 16),
            u32le(data, off + 20),
            u32le(data, off + 24),
        ) else {
            errors.push(format!(
                "signature list {list} at byte {at}: truncated header ({} bytes left)",
                data.len() - off
            ));
            break;
        };
        let (size, hsize, ssize) = (size as usize, hsize as usize, ssize as usize);
        let Some(end) = off.checked_add(size).filter(|&e| e <= data.len()) else {
            errors.push(format!(
                "signature list {list} at byte {at}: size {size} runs past the variable ({} bytes left)",
                data.len() - off
            ));
            break;
        };
        let body_start = off + 28 + hsize;
        if size < 28 || body_start > end {
            errors.push(format!(
                "signature list {list} at byte {at}: size {size} is smaller than its header"
            ));
            break;
        }
        if ssize < 16 {
            errors.push(format!(
                "signature list {list} at byte {at}: signature size {ssize} is too small"
            ));
            break;
        }
        let Some(kind) = SIG_TYPES.iter().find(|(g, _)| *g == ty).map(|(_, k)| *k) else {
            errors.push(format!(
                "signature list {list} at byte {at}: unknown signature type {ty}"
            ));
            off = end;
            list += 1;
            continue;
        };
        let body = &data[body_start..end];
        if body.len() % ssize != 0 {
            errors.push(format!(
                "signature list {list} at byte {at}: {} bytes of signatures are not a multiple of the signature size {ssize}",
                body.len()
            ));
        }
        for (index, s) in body.chunks_exact(ssize).enumerate() {
            out.push(Signature {
                kind,
                owner: guid(s).unwrap_or_default(),
                data: &s[16..],
                list,
                index,
            });
        }
        off = end;
        list += 1;
    }
    (out, errors)
}

/// The store a Secure Boot variable's certificates belong to.
fn store_of(name: &str, vendor: &str) -> Option<Store> {
    match (name, vendor) {
        ("PK", GLOBAL) => Some(Store::UefiPk),
        ("KEK", GLOBAL) => Some(Store::UefiKek),
        ("db", IMAGE_SECURITY) => Some(Store::UefiDb),
        ("dbx", IMAGE_SECURITY) => Some(Store::UefiDbx),
        ("dbt", IMAGE_SECURITY) => Some(Store::UefiDbt),
        ("MokList" | "MokListRT", SHIM) => Some(Store::UefiMok),
        ("MokListX" | "MokListXRT", SHIM) => Some(Store::UefiMokx),
        // shim mirrors a large list into numbered parts (MokListRT1, MokListRT2…).
        (n, SHIM) if part_of(n, "MokListXRT") => Some(Store::UefiMokx),
        (n, SHIM) if part_of(n, "MokListRT") => Some(Store::UefiMok),
        _ => None,
    }
}

/// `MokListRT7` is a part of `MokListRT`.
fn part_of(name: &str, base: &str) -> bool {
    name.strip_prefix(base)
        .is_some_and(|d| !d.is_empty() && d.len() <= 3 && d.bytes().all(|b| b.is_ascii_digit()))
}

/// One-byte state variables recorded as store properties: (name, vendor, property).
const STATES: &[(&str, &str, &str)] = &[
    ("SecureBoot", GLOBAL, "secure-boot"),
    ("SetupMode", GLOBAL, "setup-mode"),
    ("AuditMode", GLOBAL, "audit-mode"),
    ("DeployedMode", GLOBAL, "deployed-mode"),
    ("SecureBootEnable", SECURE_BOOT_ENABLE, "secure-boot-enable"),
    ("CustomMode", CUSTOM_MODE, "custom-mode"),
    ("MokSBStateRT", SHIM, "mok-sb-state"),
];

/// Read one variable into `anchors` and the store component `store_id`: certificates,
/// hash counts or a state. `location` is the file, `at` where the variable is in it.
fn variable(
    anchors: &mut Anchors,
    errors: &mut Vec<ScanError>,
    (store_id, location): (&str, &str),
    (name, vendor, at): (&str, &str, &str),
    data: &[u8],
) {
    if let Some((_, _, prop)) = STATES.iter().find(|(n, v, _)| *n == name && *v == vendor) {
        let value = match data.first() {
            Some(0) => "0",
            Some(1) => "1",
            Some(_) => "other",
            None => "empty",
        };
        anchors
            .store(store_id, "UEFI Secure Boot", location)
            .set_property(prop, value);
        return;
    }
    let Some(store) = store_of(name, vendor) else {
        return;
    };
    let (sigs, errs) = signature_lists(data);
    errors.extend(
        errs.into_iter()
            .map(|e| ScanError::new(at, format!("{name}: {e}"))),
    );
    let mut hashes: std::collections::BTreeMap<&str, usize> = Default::default();
    let mut certs = 0usize;
    for s in sigs {
        match s.kind {
            SigType::X509 => {
                let where_ = format!("{at}/{}/{}", s.list, s.index);
                match anchors.add(
                    s.data,
                    store,
                    location,
                    &where_,
                    store_id,
                    &[("variable", name), ("owner-guid", &s.owner)],
                ) {
                    Ok(_) => certs += 1,
                    Err(e) => errors.push(ScanError::new(&where_, format!("{name}: {e}"))),
                }
            }
            SigType::Hash(h) => *hashes.entry(h).or_default() += 1,
        }
    }
    let sc = anchors.store(store_id, "UEFI Secure Boot", location);
    let key = name.to_ascii_lowercase();
    sc.set_property(&format!("{key}-certificates"), certs.to_string());
    for (h, n) in hashes {
        sc.set_property(&format!("{key}-{h}"), n.to_string());
    }
}

/// The efivarfs collector.
pub struct Efivars;

impl Collector for Efivars {
    fn id(&self) -> &'static str {
        "efivars"
    }
    fn reads(&self) -> &'static str {
        "`/sys/firmware/efi/efivars` and `/sys/firmware/efi/mok-variables`: PK, KEK, db, dbx, dbt, MokList(RT), MokListX(RT) signature lists (X.509 certificates as `certificate` components, hashes counted), SecureBoot, SetupMode and MOK states"
    }
    fn emits(&self) -> &'static [EvidenceKind] {
        super::EMITS
    }
    fn phase(&self) -> Phase {
        Phase::System
    }
    fn collect(&self, _c: &Candidate<'_>, _ctx: &Context<'_>) -> Collected {
        Collected::default()
    }
    fn collect_system(&self, ctx: &Context<'_>) -> Collected {
        let mut anchors = Anchors::default();
        let mut errors = Vec::new();
        read_dir(ctx, EFIVARS, true, &mut anchors, &mut errors);
        read_dir(ctx, MOK_VARIABLES, false, &mut anchors, &mut errors);
        let mut out = anchors.into_collected();
        out.errors = errors;
        out
    }
}

/// Read the Secure Boot variables of `dir`: efivarfs (`efivarfs`: files named `<Name>-<GUID>`
/// holding 4 bytes of attributes, then the data) or the kernel's copy of shim's MOK
/// configuration table (files named `<Name>` holding the data).
fn read_dir(
    ctx: &Context<'_>,
    dir: &str,
    efivarfs: bool,
    anchors: &mut Anchors,
    errors: &mut Vec<ScanError>,
) {
    let names = match ctx.root.list_dir(dir) {
        Ok(n) => n,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => return errors.push(ScanError::new(dir, format!("cannot list: {e}"))),
    };
    let mut names: Vec<String> = names
        .into_iter()
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    names.sort();
    let store_id = "trust-store:uefi:efivars";
    for file in names.iter().take(super::super::hardware::MAX_ENTRIES) {
        let (name, vendor) = if efivarfs {
            match split_name(file) {
                Some(x) => x,
                None => continue,
            }
        } else {
            (file.as_str(), SHIM)
        };
        let wanted = store_of(name, vendor).is_some()
            || STATES.iter().any(|(n, v, _)| *n == name && *v == vendor);
        if !wanted {
            continue;
        }
        let path = format!("{dir}/{file}");
        let bytes = match ctx.root.read_capped(&path, MAX_VARIABLE) {
            Ok(b) => b,
            Err(e) => {
                errors.push(ScanError::new(&path, format!("cannot read: {e}")));
                continue;
            }
        };
        let data = if efivarfs {
            let Some(data) = bytes.get(4..) else {
                errors.push(ScanError::new(
                    &path,
                    "efivarfs file shorter than its 4-byte attributes",
                ));
                continue;
            };
            data
        } else {
            &bytes[..]
        };
        variable(
            anchors,
            errors,
            (store_id, EFIVARS),
            (name, vendor, &path),
            data,
        );
    }
}

/// `db-d719b2cb-…` → (`db`, GUID).
fn split_name(file: &str) -> Option<(&str, &str)> {
    let cut = file.len().checked_sub(37)?;
    let (name, rest) = (file.get(..cut)?, file.get(cut..)?);
    let vendor = rest.strip_prefix('-')?;
    (!name.is_empty() && vendor.len() == 36).then_some((name, vendor))
}

/// The firmware variable-store collector.
pub struct VarStore;

impl Collector for VarStore {
    fn id(&self) -> &'static str {
        "efi-varstore"
    }
    fn reads(&self) -> &'static str {
        "UEFI firmware images (`*.fd`, or any file starting with an NVRAM firmware volume): the authenticated variable store's Secure Boot variables, as `efivars` reads them"
    }
    fn emits(&self) -> &'static [EvidenceKind] {
        super::EMITS
    }
    fn matches_path(&self, path: &str) -> bool {
        path.rsplit('/')
            .next()
            .is_some_and(|n| n.to_ascii_lowercase().ends_with(".fd"))
    }
    fn wants_owned(&self) -> bool {
        // Debian's ovmf package owns /usr/share/OVMF/OVMF_VARS*.fd.
        true
    }
    fn matches_head(&self, head: &[u8]) -> bool {
        is_nv_volume(head)
    }
    fn collect(&self, c: &Candidate<'_>, _ctx: &Context<'_>) -> Collected {
        let bytes = match c.load("firmware image", MAX_IMAGE) {
            Ok(b) => b,
            Err(e) => return e,
        };
        parse_image(&bytes, c.path)
    }
}

fn is_nv_volume(b: &[u8]) -> bool {
    b.get(0x28..0x2c) == Some(b"_FVH")
        && b.get(0x10..0x20).and_then(guid).as_deref() == Some(NV_DATA_FV)
}

/// Every NVRAM volume of a firmware image (at 4 KiB boundaries) and the Secure Boot variables
/// of its variable store.
pub fn parse_image(b: &[u8], path: &str) -> Collected {
    let mut anchors = Anchors::default();
    let mut errors = Vec::new();
    let mut found = false;
    let mut off = 0usize;
    while off + 0x48 <= b.len() {
        if is_nv_volume(&b[off..]) {
            found = true;
            let fv = &b[off..];
            let store_id = format!("trust-store:uefi:{path}@{off:#x}");
            let at = format!("{path}@{off:#x}");
            match volume(fv) {
                Ok(vars) => {
                    anchors.store(&store_id, "UEFI Secure Boot", path);
                    for v in vars {
                        let where_ = format!("{at}#{}", v.name);
                        variable(
                            &mut anchors,
                            &mut errors,
                            (&store_id, path),
                            (&v.name, &v.vendor, &where_),
                            v.data,
                        );
                    }
                }
                Err(e) => errors.push(ScanError::new(&at, e)),
            }
            let len = u32le(fv, 0x20).map_or(0, |l| l as usize);
            off += len.max(0x1000).next_multiple_of(0x1000);
        } else {
            off += 0x1000;
        }
    }
    if !found {
        return Collected::default();
    }
    let mut out = anchors.into_collected();
    out.errors = errors;
    out
}

/// One variable of a store.
struct Var<'a> {
    name: String,
    vendor: String,
    data: &'a [u8],
}

/// The added variables of the store in a firmware volume.
fn volume(fv: &[u8]) -> Result<Vec<Var<'_>>, String> {
    let hlen = u16le(fv, 0x30).ok_or("truncated firmware volume header")? as usize;
    let store = fv
        .get(hlen..)
        .ok_or("firmware volume header runs past the file")?;
    let kind = store
        .get(..16)
        .and_then(guid)
        .ok_or("truncated variable store header")?;
    let auth = match kind.as_str() {
        AUTH_VARIABLE_STORE => true,
        VARIABLE_STORE => false,
        other => return Err(format!("variable store of unknown format {other}")),
    };
    let size = u32le(store, 16).ok_or("truncated variable store header")? as usize;
    if store.get(20) != Some(&0x5a) {
        return Err("variable store is not formatted".into());
    }
    let store = store.get(..size.min(store.len())).unwrap_or(store);
    let hdr = if auth { 60 } else { 32 };
    let mut vars: Vec<Var<'_>> = Vec::new();
    let mut off = 28usize;
    while off + hdr <= store.len() {
        if u16le(store, off) != Some(0x55aa) {
            break;
        }
        let state = store[off + 2];
        let (ns, ds, g) = if auth {
            (u32le(store, off + 36), u32le(store, off + 40), off + 44)
        } else {
            (u32le(store, off + 8), u32le(store, off + 12), off + 16)
        };
        let (ns, ds) = (
            ns.unwrap_or(u32::MAX) as usize,
            ds.unwrap_or(u32::MAX) as usize,
        );
        let name_at = off + hdr;
        let Some(data_end) = name_at
            .checked_add(ns)
            .and_then(|x| x.checked_add(ds))
            .filter(|&e| e <= store.len())
        else {
            return Err(format!(
                "variable at byte {off} of the store runs past it (name {ns}, data {ds} bytes)"
            ));
        };
        // VAR_ADDED, or VAR_ADDED in deleted transition (still the live copy).
        if state == 0x3f || state == 0x3e {
            let units: Vec<u16> = store[name_at..name_at + ns]
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .take_while(|&u| u != 0)
                .collect();
            let name = String::from_utf16_lossy(&units);
            let vendor = guid(&store[g..g + 16]).unwrap_or_default();
            let data = &store[name_at + ns..data_end];
            // A later added copy replaces one in transition.
            vars.retain(|v| !(v.name == name && v.vendor == vendor));
            vars.push(Var { name, vendor, data });
        }
        off = data_end.next_multiple_of(4);
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ComponentKind;

    const OVMF_MS: &[u8] = include_bytes!("../../../fixtures/trust/ovmf/OVMF_VARS.ms.fd");
    const MS_KEK: &[u8] = include_bytes!("../../../fixtures/trust/certs/MicCorKEKCA2011.der");
    const X509: [u8; 16] = [
        0xa1, 0x59, 0xc0, 0xa5, 0xe4, 0x94, 0xa7, 0x4a, 0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0,
        0x72,
    ];
    const SHA256: [u8; 16] = [
        0x26, 0x16, 0xc4, 0xc1, 0x4c, 0x50, 0x92, 0x40, 0xac, 0xa9, 0x41, 0xf9, 0x36, 0x93, 0x43,
        0x28,
    ];

    /// An EFI_SIGNATURE_LIST as efitools' cert-to-efi-sig-list writes it.
    fn list(ty: [u8; 16], sigs: &[&[u8]]) -> Vec<u8> {
        let ssize = 16 + sigs.first().map_or(0, |s| s.len());
        let mut v = ty.to_vec();
        v.extend(((28 + ssize * sigs.len()) as u32).to_le_bytes());
        v.extend(0u32.to_le_bytes());
        v.extend((ssize as u32).to_le_bytes());
        for s in sigs {
            v.extend([0x11; 16]);
            v.extend(*s);
        }
        v
    }

    #[test]
    fn ovmf_ms_store_matches_efitools() {
        // sig-list-to-certs on the variables of Debian's OVMF_VARS.ms.fd: PK 1, KEK 2
        // (Debian, Microsoft KEK CA 2011), db 2 (Windows Production PCA 2011, UEFI CA 2011),
        // dbx one SHA-256 hash.
        let c = parse_image(OVMF_MS, "/OVMF_VARS.ms.fd");
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        let certs: Vec<_> = c
            .components
            .iter()
            .filter(|c| c.kind == ComponentKind::Certificate)
            .collect();
        let stores: Vec<&str> = certs
            .iter()
            .map(|c| c.properties["store"].as_str())
            .collect();
        assert_eq!(
            stores,
            ["uefi-db", "uefi-db", "uefi-kek", "uefi-kek", "uefi-pk"],
            "{certs:#?}"
        );
        let store = c
            .components
            .iter()
            .find(|c| c.kind == ComponentKind::TrustStore)
            .unwrap();
        let p = |k: &str| store.properties.get(k).map(String::as_str);
        assert_eq!(p("dbx-sha256"), Some("1"));
        assert_eq!(p("dbx-certificates"), Some("0"));
        assert_eq!(p("kek-certificates"), Some("2"));
        assert_eq!(p("secure-boot-enable"), Some("1"));
        assert_eq!(p("custom-mode"), Some("0"));
        let ms = certs
            .iter()
            .find(|c| c.name == "Microsoft Corporation KEK CA 2011")
            .unwrap();
        assert_eq!(
            ms.properties.get("owner-guid").map(String::as_str),
            Some("77fa9abd-0359-4d32-bd60-28f4e78f784b")
        );
        assert_eq!(c.relationships.len(), 5);
        // OVMF_VARS.fd without keys: a store, no certificates, no error.
        let bare = &OVMF_MS[..0x3000];
        let c = parse_image(bare, "/x.fd");
        assert!(c
            .components
            .iter()
            .all(|c| c.kind == ComponentKind::TrustStore));
    }

    #[test]
    fn signature_lists_count_and_errors() {
        let mut v = list(X509, &[MS_KEK]);
        v.extend(list(SHA256, &[&[1; 32], &[2; 32], &[3; 32]]));
        let (s, e) = signature_lists(&v);
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(s.len(), 4);
        assert_eq!(s[0].kind, SigType::X509);
        assert_eq!(s[0].owner, "11111111-1111-1111-1111-111111111111");
        assert_eq!(s[3].kind, SigType::Hash("sha256"));
        assert_eq!(s[3].index, 2);

        // A size past the variable: one error, the lists before it kept.
        let mut bad = v.clone();
        let second = 28 + 16 + MS_KEK.len();
        bad[second + 16..second + 20].copy_from_slice(&u32::MAX.to_le_bytes());
        let (s, e) = signature_lists(&bad);
        assert_eq!((s.len(), e.len()), (1, 1), "{e:?}");
        assert!(e[0].contains("runs past"), "{e:?}");

        // A zero signature size: one error.
        let mut zero = v.clone();
        zero[24..28].copy_from_slice(&0u32.to_le_bytes());
        let (s, e) = signature_lists(&zero);
        assert_eq!((s.len(), e.len()), (0, 1), "{e:?}");

        // An unknown type: one error, the next list still read.
        let mut unknown = v.clone();
        unknown[0] ^= 0xff;
        let (s, e) = signature_lists(&unknown);
        assert_eq!((s.len(), e.len()), (3, 1), "{e:?}");
        assert!(e[0].contains("unknown signature type"));
    }

    #[test]
    fn bad_der_is_one_error() {
        let mut v = list(X509, &[MS_KEK]);
        v.extend(list(X509, &[&MS_KEK[..MS_KEK.len() - 1]]));
        let mut a = Anchors::default();
        let mut errors = Vec::new();
        variable(
            &mut a,
            &mut errors,
            ("s", "/sys/firmware/efi/efivars"),
            ("KEK", GLOBAL, "/KEK"),
            &v,
        );
        assert_eq!(a.len(), 1);
        assert_eq!(errors.len(), 1, "{errors:?}");
    }

    #[test]
    fn names_split_at_the_guid() {
        assert_eq!(
            split_name("db-d719b2cb-3d3a-4596-a3bc-dad00e67656f"),
            Some(("db", IMAGE_SECURITY))
        );
        assert_eq!(
            split_name("MokListRT-605dab50-e046-4300-abb6-3dd810dd8b23"),
            Some(("MokListRT", SHIM))
        );
        assert_eq!(split_name("short"), None);
        assert_eq!(store_of("MokListRT1", SHIM), Some(Store::UefiMok));
        assert_eq!(store_of("MokListXRT2", SHIM), Some(Store::UefiMokx));
        assert_eq!(store_of("MokListRTx", SHIM), None);
        assert_eq!(store_of("MokListRT1", GLOBAL), None);
        assert_eq!(store_of("db", GLOBAL), None);
    }

    #[test]
    fn mutated_signature_lists_never_panic() {
        let mut v = list(X509, &[MS_KEK]);
        v.extend(list(SHA256, &[&[1; 32], &[2; 32]]));
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..crate::collectors::signature::fuzz_rounds(800) {
            let mut m = v.clone();
            for _ in 0..4 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let i = (seed as usize) % m.len();
                m[i] = (seed >> 32) as u8;
            }
            let cut = (seed as usize >> 8) % (m.len() + 1);
            let mut a = Anchors::default();
            let mut errors = Vec::new();
            variable(
                &mut a,
                &mut errors,
                ("s", "/"),
                ("db", IMAGE_SECURITY, "/db"),
                &m[..cut],
            );
            let _ = parse_image(&OVMF_MS[..(seed as usize) % OVMF_MS.len()], "/x.fd");
        }
        // A store with mutated bytes in the variables region.
        let mut img = OVMF_MS.to_vec();
        for i in (0x3cf4..0x5a00).step_by(97) {
            img[i] ^= 0x5a;
        }
        let _ = parse_image(&img, "/x.fd");
    }
}
