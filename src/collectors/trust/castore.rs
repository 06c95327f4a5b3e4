//! Operating-system CA stores, read once per scan from their well-known places in the root:
//! - PEM bundles, store `system`: `/etc/ssl/certs/ca-certificates.crt` (Debian, Ubuntu, Alpine,
//!   Arch), `/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem` and `/etc/pki/tls/certs/ca-bundle.crt`
//!   (RHEL, Fedora), `/etc/ssl/ca-bundle.pem` and `/var/lib/ca-certificates/ca-bundle.pem`
//!   (SUSE), `/etc/ssl/cert.pem`. Paths that resolve to one file are read once.
//! - CA source folders: Debian's `/usr/share/ca-certificates` and `/usr/local/share/ca-certificates`
//!   (a certificate there that the bundle does not hold is `system-disabled`; with no bundle at
//!   all they are `system`), RHEL's `ca-trust/source/anchors` (`system`) and
//!   `ca-trust/source/blocklist` (or the older `blacklist`, store `system-distrust`) under both
//!   `/etc/pki` and `/usr/share/pki/ca-trust-source`.
//! - Windows: the SOFTWARE hive's `Microsoft\SystemCertificates\{ROOT,AuthRoot,Disallowed}\Certificates\<thumbprint>`
//!   keys, whose `Blob` value is a serialised certificate store element (a list of
//!   `(property id, reserved, length, data)` records; property 32 holds the DER certificate),
//!   read with [`crate::collectors::regf`].
//!
//! A bad PEM block or DER certificate is one error; the rest of the store is read. Caps:
//! [`MAX_BUNDLE`] bytes per bundle or certificate file, [`MAX_FILES`] files per source folder,
//! folders followed [`MAX_DEPTH`] levels deep.

use super::{Anchors, Store};
use crate::collectors::regf::Hive;
use crate::collectors::{find_ci, Candidate, Collected, Collector, Context, Phase};
use crate::model::{EvidenceKind, ScanError};
use crate::rootfs::RootFs;
use std::collections::BTreeSet;

/// Largest PEM bundle or certificate file read.
pub const MAX_BUNDLE: u64 = 16 << 20;
/// Most files read from one CA source folder.
pub const MAX_FILES: usize = 4096;
/// Deepest folder followed under a CA source folder.
pub const MAX_DEPTH: usize = 4;
/// Largest SOFTWARE hive read.
pub const MAX_HIVE: u64 = 1 << 30;

const BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/var/lib/ca-certificates/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// Debian's source folders: what the bundle was built from.
const DEBIAN_SOURCES: &[&str] = &[
    "/usr/share/ca-certificates",
    "/usr/local/share/ca-certificates",
];

/// RHEL's source folders and the store their certificates are in.
const RHEL_SOURCES: &[(&str, Store)] = &[
    ("/etc/pki/ca-trust/source/anchors", Store::System),
    ("/usr/share/pki/ca-trust-source/anchors", Store::System),
    ("/etc/pki/ca-trust/source/blocklist", Store::SystemDistrust),
    ("/etc/pki/ca-trust/source/blacklist", Store::SystemDistrust),
    (
        "/usr/share/pki/ca-trust-source/blocklist",
        Store::SystemDistrust,
    ),
    (
        "/usr/share/pki/ca-trust-source/blacklist",
        Store::SystemDistrust,
    ),
];

/// Windows certificate stores of the SOFTWARE hive.
const WINDOWS: &[(&str, Store)] = &[
    (
        r"Microsoft\SystemCertificates\ROOT\Certificates",
        Store::WindowsRoot,
    ),
    (
        r"Microsoft\SystemCertificates\AuthRoot\Certificates",
        Store::WindowsAuthRoot,
    ),
    (
        r"Microsoft\SystemCertificates\Disallowed\Certificates",
        Store::WindowsDisallowed,
    ),
];

/// The system CA store collector.
pub struct CaStore;

impl Collector for CaStore {
    fn id(&self) -> &'static str {
        "ca-store"
    }
    fn reads(&self) -> &'static str {
        "system CA bundles (`/etc/ssl/certs/ca-certificates.crt`, `/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem`, SUSE, Alpine), `/usr/share/ca-certificates`, `/etc/pki/ca-trust/source/{anchors,blocklist}`, and the Windows SOFTWARE hive's `SystemCertificates\\{ROOT,AuthRoot,Disallowed}` stores: one `certificate` component per root and store"
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
        linux(ctx.root, &mut anchors, &mut errors);
        if let Some(path) = find_ci(ctx.root, "", &["Windows", "System32", "config", "SOFTWARE"]) {
            match ctx.root.load(&path, MAX_HIVE) {
                Ok(b) => windows(&b, &path, &mut anchors, &mut errors),
                Err(e) => errors.push(ScanError::new(&path, format!("cannot read: {e}"))),
            }
        }
        let mut out = anchors.into_collected();
        out.errors = errors;
        out
    }
}

fn linux(root: &RootFs, anchors: &mut Anchors, errors: &mut Vec<ScanError>) {
    let mut seen: BTreeSet<std::path::PathBuf> = BTreeSet::new();
    let mut bundle = false;
    for path in BUNDLES {
        let Ok(host) = root.resolve(path) else {
            continue;
        };
        if !root.is_file(path) || !seen.insert(host) {
            continue;
        }
        bundle = true;
        read_pem_file(root, path, Store::System, anchors, errors);
    }
    for dir in DEBIAN_SOURCES {
        for path in files_under(root, dir, errors) {
            let Some(bytes) = read(root, &path, errors) else {
                continue;
            };
            let store_id = format!("trust-store:{}:{dir}", Store::System.as_str());
            for (i, block) in pem_blocks(&bytes).into_iter().enumerate() {
                let at = format!("{path}#{i}");
                let der = match block {
                    Ok(d) => d,
                    Err(e) => {
                        errors.push(ScanError::new(&at, e));
                        continue;
                    }
                };
                let in_bundle = super::decode(&der)
                    .map(|(_, b)| anchors.has(&format!("cert:system:{}", super::sha256_hex(b))))
                    .unwrap_or(false);
                let store = if in_bundle || !bundle {
                    Store::System
                } else {
                    Store::SystemDisabled
                };
                let name = "CA certificate sources";
                anchors.store(&store_id, name, dir);
                if let Err(e) = anchors.add(&der, store, &path, &at, &store_id, &[]) {
                    errors.push(ScanError::new(&at, e));
                }
            }
        }
    }
    for (dir, store) in RHEL_SOURCES {
        for path in files_under(root, dir, errors) {
            read_pem_file(root, &path, *store, anchors, errors);
        }
    }
}

fn read(root: &RootFs, path: &str, errors: &mut Vec<ScanError>) -> Option<Vec<u8>> {
    match root.read_capped(path, MAX_BUNDLE) {
        Ok(b) => Some(b),
        Err(e) => {
            errors.push(ScanError::new(path, format!("cannot read: {e}")));
            None
        }
    }
}

/// Read a PEM (or single DER) certificate file into `store`, with its own store component.
fn read_pem_file(
    root: &RootFs,
    path: &str,
    store: Store,
    anchors: &mut Anchors,
    errors: &mut Vec<ScanError>,
) {
    let Some(bytes) = read(root, path, errors) else {
        return;
    };
    let store_id = format!("trust-store:{}:{path}", store.as_str());
    let mut n = 0usize;
    let blocks = if bytes.first() == Some(&0x30) {
        vec![Ok(bytes.clone())]
    } else {
        pem_blocks(&bytes)
    };
    for (i, block) in blocks.into_iter().enumerate() {
        let at = format!("{path}#{i}");
        match block.and_then(|der| anchors.add(&der, store, path, &at, &store_id, &[])) {
            Ok(_) => n += 1,
            Err(e) => errors.push(ScanError::new(&at, e)),
        }
    }
    anchors
        .store(&store_id, "CA certificate bundle", path)
        .set_property("certificates", n.to_string());
    anchors
        .store(&store_id, "CA certificate bundle", path)
        .set_property("store", store.as_str());
}

/// Regular files under `dir` (sorted, at most [`MAX_FILES`], [`MAX_DEPTH`] levels).
fn files_under(root: &RootFs, dir: &str, errors: &mut Vec<ScanError>) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_owned(), 0usize)];
    while let Some((d, depth)) = stack.pop() {
        let Ok(names) = root.list_dir(&d) else {
            continue;
        };
        let mut names: Vec<String> = names
            .into_iter()
            .map(|n| n.to_string_lossy().into_owned())
            .collect();
        names.sort();
        for n in names {
            let p = format!("{d}/{n}");
            if out.len() >= MAX_FILES {
                errors.push(ScanError::new(
                    dir,
                    format!("over {MAX_FILES} files; the rest are skipped"),
                ));
                return out;
            }
            if root.is_file(&p) {
                out.push(p);
            } else if depth < MAX_DEPTH && root.list_dir(&p).is_ok() {
                stack.push((p, depth + 1));
            }
        }
    }
    out.sort();
    out
}

/// The DER of every `CERTIFICATE` (or OpenSSL `TRUSTED CERTIFICATE`) block of a PEM text, in
/// order; a block that does not decode is an error in its place.
pub fn pem_blocks(text: &[u8]) -> Vec<Result<Vec<u8>, String>> {
    let text = String::from_utf8_lossy(text);
    let mut out = Vec::new();
    let mut rest: &str = &text;
    while let Some(b) = rest.find("-----BEGIN ") {
        let after = &rest[b + 11..];
        let Some(le) = after.find("-----") else {
            break;
        };
        let label = &after[..le];
        let body_start = &after[le + 5..];
        let end_tag = format!("-----END {label}-----");
        let Some(e) = body_start.find(&end_tag) else {
            out.push(Err(format!("PEM block `{label}` has no END line")));
            break;
        };
        let body = &body_start[..e];
        rest = &body_start[e + end_tag.len()..];
        if label != "CERTIFICATE" && label != "TRUSTED CERTIFICATE" && label != "X509 CERTIFICATE" {
            continue;
        }
        out.push(base64(body).ok_or_else(|| format!("PEM block `{label}` is not valid base64")));
    }
    out
}

/// Decode standard base64, ignoring whitespace; `None` on any other character.
fn base64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    let mut pad = false;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                pad = true;
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\n' => continue,
            _ => return None,
        };
        if pad {
            return None;
        }
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The Windows certificate stores of a SOFTWARE hive at system path `path`.
pub fn windows(bytes: &[u8], path: &str, anchors: &mut Anchors, errors: &mut Vec<ScanError>) {
    let hive = match Hive::new(bytes) {
        Ok(h) => h,
        Err(e) => return errors.push(ScanError::new(path, e)),
    };
    let root = match hive.root() {
        Ok(r) => r,
        Err(e) => return errors.push(ScanError::new(path, format!("registry root key: {e}"))),
    };
    for (key_path, store) in WINDOWS {
        let key = match hive.path(&root, key_path) {
            Ok(Some(k)) => k,
            Ok(None) => continue,
            Err(e) => {
                errors.push(ScanError::new(path, format!("{key_path}: {e}")));
                continue;
            }
        };
        let store_id = format!("trust-store:{}:{path}", store.as_str());
        let (subkeys, errs) = hive.subkeys(&key);
        errors.extend(
            errs.into_iter()
                .map(|e| ScanError::new(path, format!("{key_path}: {e}"))),
        );
        let mut n = 0usize;
        for k in subkeys {
            let at = format!("{path}#HKLM\\SOFTWARE\\{key_path}\\{}", k.name);
            let blob = hive.values(&k).map(|vals| {
                vals.into_iter()
                    .find(|v| v.name.eq_ignore_ascii_case("Blob"))
                    .map(|v| v.data)
            });
            let der = match blob {
                Ok(Some(b)) => blob_certificate(&b),
                Ok(None) => Err("no Blob value".to_owned()),
                Err(e) => Err(e),
            };
            let thumb = k.name.to_ascii_lowercase();
            match der.and_then(|d| {
                anchors
                    .add(&d, *store, path, &at, &store_id, &[("thumbprint", &thumb)])
                    .map(|_| d)
            }) {
                Ok(d) => {
                    n += 1;
                    // The key is named by the certificate's SHA-1 thumbprint.
                    use sha1::Digest;
                    let sha1 = super::hex(&sha1::Sha1::digest(&d));
                    if sha1 != thumb {
                        errors.push(ScanError::new(
                            &at,
                            format!("certificate's SHA-1 thumbprint is {sha1}, not the key's name"),
                        ));
                    }
                }
                Err(e) => errors.push(ScanError::new(&at, e)),
            }
        }
        let sc = anchors.store(&store_id, "Windows certificate store", path);
        sc.set_property("certificates", n.to_string());
        sc.set_property("store", store.as_str());
        sc.set_property("registry-key", format!("HKLM\\SOFTWARE\\{key_path}"));
    }
}

/// The DER certificate (property 32, `CERT_CERT_PROP_ID`) of a serialised store element.
pub fn blob_certificate(b: &[u8]) -> Result<Vec<u8>, String> {
    const CERT_PROP: u32 = 32;
    let mut off = 0usize;
    while off + 12 <= b.len() {
        let (Some(id), Some(len)) = (crate::bytes::u32le(b, off), crate::bytes::u32le(b, off + 8))
        else {
            break;
        };
        let Some(data) = crate::bytes::slice(b, off + 12, len as usize) else {
            return Err(format!(
                "certificate blob property {id} of {len} bytes runs past the blob"
            ));
        };
        if id == CERT_PROP {
            return Ok(data.to_vec());
        }
        off += 12 + data.len();
    }
    Err("certificate blob holds no certificate (property 32)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEK: &[u8] = include_bytes!("../../../fixtures/trust/certs/MicCorKEKCA2011.der");

    #[test]
    fn pem_blocks_and_base64() {
        let b64 = {
            // Encode with the inverse of `base64` to keep the test self-contained.
            const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            let mut s = String::new();
            for ch in KEK.chunks(3) {
                let n = ch.len();
                let v = (u32::from(ch[0]) << 16)
                    | (u32::from(*ch.get(1).unwrap_or(&0)) << 8)
                    | u32::from(*ch.get(2).unwrap_or(&0));
                for i in 0..4 {
                    if i <= n {
                        s.push(A[(v >> (18 - 6 * i) & 63) as usize] as char);
                    } else {
                        s.push('=');
                    }
                }
            }
            s
        };
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        let pem = format!(
            "# Label\n-----BEGIN CERTIFICATE-----\r\n{}\r\n-----END CERTIFICATE-----\n\
             -----BEGIN CERTIFICATE-----\n@@@\n-----END CERTIFICATE-----\n\
             -----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            lines.join("\r\n")
        );
        let blocks = pem_blocks(pem.as_bytes());
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].as_deref().ok(), Some(KEK));
        assert!(blocks[1].is_err());
        assert_eq!(pem_blocks(b"-----BEGIN CERTIFICATE-----\nAAAA").len(), 1);
    }

    const HIVE: &[u8] =
        include_bytes!("../../../fixtures/trust/windows/Windows/System32/config/SOFTWARE");

    #[test]
    fn windows_stores_of_a_software_hive() {
        let mut a = Anchors::default();
        let mut errors = Vec::new();
        windows(HIVE, "/SOFTWARE", &mut a, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        let c = a.into_collected();
        let stores: Vec<&str> = c
            .components
            .iter()
            .filter(|c| c.kind == crate::model::ComponentKind::Certificate)
            .map(|c| c.properties["store"].as_str())
            .collect();
        assert_eq!(
            stores,
            [
                "windows-authroot",
                "windows-disallowed",
                "windows-root",
                "windows-root",
                "windows-root"
            ]
        );
        // A damaged certificate in one Blob: one error, the other four still read.
        let mut b = HIVE.to_vec();
        let at = (0..b.len() - 4)
            .find(|&i| b[i..i + 4] == [0x30, 0x82, 0x05, 0x6b])
            .unwrap();
        b[at + 8] ^= 0xff;
        let mut a = Anchors::default();
        let mut errors = Vec::new();
        windows(&b, "/SOFTWARE", &mut a, &mut errors);
        assert_eq!((a.len(), errors.len()), (4, 1), "{errors:?}");
    }

    #[test]
    fn windows_blob() {
        // A serialised element: a SHA-1 hash property (3), then the certificate (32).
        let mut b = Vec::new();
        b.extend(3u32.to_le_bytes());
        b.extend(1u32.to_le_bytes());
        b.extend(20u32.to_le_bytes());
        b.extend([0xaa; 20]);
        b.extend(32u32.to_le_bytes());
        b.extend(1u32.to_le_bytes());
        b.extend((KEK.len() as u32).to_le_bytes());
        b.extend(KEK);
        assert_eq!(blob_certificate(&b).unwrap(), KEK);
        assert!(blob_certificate(&b[..b.len() - 1]).is_err());
        assert!(blob_certificate(&b[..32]).is_err());
    }
}
