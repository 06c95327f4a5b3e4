//! Java keystores and macOS keychains, wherever the walk finds them:
//! - JKS and JCEKS (`FEEDFEED` / `CECECECE` magic; the format of OpenJDK's
//!   `sun.security.provider.JavaKeyStore`): trusted-certificate entries and the chains of
//!   private-key entries. The trailing SHA-1 integrity digest is checked with the default
//!   password `changeit` (what `cacerts` files use); a mismatch is one error and the
//!   certificates are still reported. A JCEKS secret-key entry (a serialised Java object)
//!   ends the read with an error.
//! - PKCS#12 (RFC 7292) files named `cacerts` or `*.p12`/`*.pfx` under a `security` folder:
//!   the certificate bags of unencrypted safe contents (OpenJDK 18+ ships `cacerts` as a
//!   password-less PKCS#12). Password-encrypted safe contents are one error each, not read.
//! - macOS keychains (`kych` magic, `*.keychain`): the records of the X.509 certificate table
//!   (`CSSM_DL_DB_RECORD_X509_CERTIFICATE`), each certificate decoded from its record.
//!
//! - NSS `cert9.db` databases ([`super::nss`]).
//!
//! Store `java` for keystores, `macos` for keychains, `nss` for NSS databases; one
//! `trust-store` component per file.
//! Every length read is checked against the bytes left; counts from the file only bound loops
//! that also consume input. Cap: [`MAX_KEYSTORE`] bytes.

use super::{Anchors, Store};
use crate::bytes::{u16be, u32be, u64be};
use crate::collectors::{Candidate, Collected, Collector, Context};
use crate::model::{EvidenceKind, ScanError};
use sha1::{Digest, Sha1};

/// Largest keystore or keychain read.
pub const MAX_KEYSTORE: u64 = 32 << 20;

/// The keystore collector.
pub struct Keystore;

impl Collector for Keystore {
    fn id(&self) -> &'static str {
        "keystore"
    }
    fn reads(&self) -> &'static str {
        "Java keystores (JKS/JCEKS by magic, integrity digest checked with `changeit`; PKCS#12 `cacerts`), macOS keychains (`kych`) and NSS `cert9.db` trusted CAs: one `certificate` component per certificate"
    }
    fn emits(&self) -> &'static [EvidenceKind] {
        super::EMITS
    }
    fn matches_path(&self, path: &str) -> bool {
        let name = path.rsplit('/').next().unwrap_or("").to_ascii_lowercase();
        name == "cacerts"
            || name == "jssecacerts"
            || name == "cert9.db"
            || name.ends_with(".jks")
            || name.ends_with(".keychain")
            || name.ends_with(".keychain-db")
            || ((name.ends_with(".p12") || name.ends_with(".pfx")) && path.contains("/security/"))
    }
    fn wants_owned(&self) -> bool {
        // A JDK package owns its `lib/security/cacerts`.
        true
    }
    fn matches_head(&self, head: &[u8]) -> bool {
        head.starts_with(&[0xfe, 0xed, 0xfe, 0xed])
            || head.starts_with(&[0xce, 0xce, 0xce, 0xce])
            || head.starts_with(b"kych")
    }
    fn collect(&self, c: &Candidate<'_>, _ctx: &Context<'_>) -> Collected {
        let bytes = match c.bytes("keystore", MAX_KEYSTORE) {
            Ok(b) => b,
            Err(e) => return e,
        };
        if c.path.ends_with("/cert9.db") {
            let mut anchors = Anchors::default();
            let mut errors = Vec::new();
            super::nss::parse(&bytes, c.path, &mut anchors, &mut errors);
            let mut out = anchors.into_collected();
            out.errors = errors;
            return out;
        }
        parse(&bytes, c.path)
    }
}

/// Read a keystore or keychain at system path `path`.
pub fn parse(b: &[u8], path: &str) -> Collected {
    let mut anchors = Anchors::default();
    let mut errors = Vec::new();
    if b.starts_with(&[0xfe, 0xed, 0xfe, 0xed]) || b.starts_with(&[0xce, 0xce, 0xce, 0xce]) {
        jks(b, path, &mut anchors, &mut errors);
    } else if b.starts_with(b"kych") {
        keychain(b, path, &mut anchors, &mut errors);
    } else if b.first() == Some(&0x30) {
        pkcs12(b, path, &mut anchors, &mut errors);
    } else {
        // A file named like a keystore that is none (a `cacerts` folder note, a text file).
        return Collected::default();
    }
    let mut out = anchors.into_collected();
    out.errors = errors;
    out
}

/// A big-endian cursor that fails instead of reading past the end.
struct Cur<'a> {
    b: &'a [u8],
    off: usize,
}

impl<'a> Cur<'a> {
    fn u16(&mut self) -> Option<u16> {
        let v = u16be(self.b, self.off)?;
        self.off += 2;
        Some(v)
    }
    fn u32(&mut self) -> Option<u32> {
        let v = u32be(self.b, self.off)?;
        self.off += 4;
        Some(v)
    }
    fn u64(&mut self) -> Option<u64> {
        let v = u64be(self.b, self.off)?;
        self.off += 8;
        Some(v)
    }
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = crate::bytes::slice(self.b, self.off, n)?;
        self.off += n;
        Some(s)
    }
    /// A Java modified-UTF-8 string (`DataOutput.writeUTF`).
    fn utf(&mut self) -> Option<String> {
        let n = usize::from(self.u16()?);
        Some(String::from_utf8_lossy(self.take(n)?).into_owned())
    }
}

fn jks(b: &[u8], path: &str, anchors: &mut Anchors, errors: &mut Vec<ScanError>) {
    let jceks = b.starts_with(&[0xce, 0xce, 0xce, 0xce]);
    let store_id = format!("trust-store:java:{path}");
    let mut cur = Cur { b, off: 4 };
    let (Some(version), Some(count)) = (cur.u32(), cur.u32()) else {
        errors.push(ScanError::new(path, "keystore header is truncated"));
        return;
    };
    if version != 1 && version != 2 {
        errors.push(ScanError::new(
            path,
            format!("keystore version {version} is not 1 or 2"),
        ));
        return;
    }
    let mut certs = 0usize;
    let mut complete = true;
    let mut add = |der: &[u8], alias: &str, i: usize, errors: &mut Vec<ScanError>| {
        let at = format!("{path}#{alias}");
        match anchors.add(der, Store::Java, path, &at, &store_id, &[("alias", alias)]) {
            Ok(_) => certs += 1,
            Err(e) => errors.push(ScanError::new(&at, format!("entry {i}: {e}"))),
        }
    };
    for i in 0..count {
        let Some((tag, alias)) = (|| Some((cur.u32()?, cur.utf()?)))() else {
            errors.push(ScanError::new(path, format!("entry {i} is truncated")));
            complete = false;
            break;
        };
        let alias = crate::text::sanitize(&alias);
        let one_cert = |cur: &mut Cur<'_>| -> Option<Vec<u8>> {
            if version == 2 {
                cur.utf()?;
            }
            let n = cur.u32()? as usize;
            Some(cur.take(n)?.to_vec())
        };
        let ok = match tag {
            2 => (|| {
                cur.u64()?;
                one_cert(&mut cur)
            })()
            .map(|der| add(&der, &alias, i as usize, errors))
            .is_some(),
            1 => (|| {
                cur.u64()?;
                let n = cur.u32()? as usize;
                cur.take(n)?;
                let chain = cur.u32()?;
                let mut ders = Vec::new();
                for _ in 0..chain {
                    ders.push(one_cert(&mut cur)?);
                }
                Some(ders)
            })()
            .map(|ders| {
                for d in ders {
                    add(&d, &alias, i as usize, errors);
                }
            })
            .is_some(),
            3 if jceks => {
                errors.push(ScanError::new(
                    path,
                    format!("entry {i} (`{alias}`) is a JCEKS secret key (a serialised Java object); the entries after it are not read"),
                ));
                complete = false;
                break;
            }
            t => {
                errors.push(ScanError::new(
                    path,
                    format!("entry {i} (`{alias}`) has unknown tag {t}; the entries after it are not read"),
                ));
                complete = false;
                break;
            }
        };
        if !ok {
            errors.push(ScanError::new(
                path,
                format!("entry {i} (`{alias}`) is truncated"),
            ));
            complete = false;
            break;
        }
    }
    if complete {
        let end = cur.off;
        match b.get(end..end + 20) {
            Some(digest) if digest == jks_digest(&b[..end], "changeit") => {}
            Some(_) => errors.push(ScanError::new(
                path,
                "keystore integrity digest does not match (checked with the default password `changeit`): the file was altered or uses another password",
            )),
            None => errors.push(ScanError::new(path, "keystore integrity digest is missing")),
        }
    }
    let sc = anchors.store(&store_id, "Java keystore", path);
    sc.set_property("format", if jceks { "jceks" } else { "jks" });
    sc.set_property("certificates", certs.to_string());
    sc.set_property("store", "java");
}

/// JKS integrity digest: SHA-1 over the password (UTF-16BE), "Mighty Aphrodite", the bytes.
fn jks_digest(body: &[u8], password: &str) -> [u8; 20] {
    let mut h = Sha1::new();
    for u in password.encode_utf16() {
        h.update(u.to_be_bytes());
    }
    h.update(b"Mighty Aphrodite");
    h.update(body);
    h.finalize().into()
}

/// A DER TLV: its tag, its content, and (from [`tlv`]) the bytes after it or (from
/// [`items`]) the whole encoding.
type Tlv<'a> = (u8, &'a [u8], &'a [u8]);

/// A certificate bag: the DER certificate and its friendly name.
type CertBag<'a> = (&'a [u8], Option<String>);

/// One DER TLV: (tag, content, the bytes after it). Definite lengths up to 4 bytes.
fn tlv(b: &[u8]) -> Option<Tlv<'_>> {
    let tag = *b.first()?;
    let first = *b.get(1)?;
    let (len, hdr) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | usize::from(*b.get(2 + i)?);
        }
        (len, 2 + n)
    };
    let content = crate::bytes::slice(b, hdr, len)?;
    Some((tag, content, &b[hdr + len..]))
}

/// Every TLV of a SEQUENCE's or SET's content.
fn items(mut b: &[u8]) -> Result<Vec<Tlv<'_>>, ()> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let whole = b;
        let (t, c, rest) = tlv(b).ok_or(())?;
        out.push((t, c, &whole[..whole.len() - rest.len()]));
        b = rest;
    }
    Ok(out)
}

const OID_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];
const OID_ENCRYPTED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x06];
const OID_CERT_BAG: &[u8] = &[
    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01, 0x03,
];
const OID_X509_CERT: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x16, 0x01];
const OID_FRIENDLY_NAME: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x14];

/// The octet string of a `data` ContentInfo's `[0] EXPLICIT` content.
fn data_content(ci: &[u8]) -> Result<&[u8], String> {
    let it = items(ci).map_err(|_| "bad ContentInfo".to_owned())?;
    match it.as_slice() {
        [(0x06, oid, _), (0xa0, inner, _), ..] if *oid == OID_DATA => match tlv(inner) {
            Some((0x04, os, _)) => Ok(os),
            _ => Err("data content is not a DER OCTET STRING".into()),
        },
        [(0x06, oid, _), ..] if *oid == OID_ENCRYPTED_DATA => {
            Err("password-encrypted safe contents are not read (only password-less PKCS#12)".into())
        }
        _ => Err("ContentInfo of an unsupported type".into()),
    }
}

fn pkcs12(b: &[u8], path: &str, anchors: &mut Anchors, errors: &mut Vec<ScanError>) {
    let store_id = format!("trust-store:java:{path}");
    let mut certs = 0usize;
    let r: Result<(), String> = (|| {
        let (t, pfx, _) = tlv(b).ok_or("not DER")?;
        let pfx = items(pfx).map_err(|_| "bad PFX")?;
        let [(0x02, ver, _), (0x30, auth, _), ..] = pfx.as_slice() else {
            return Err("not a PKCS#12 PFX".into());
        };
        if t != 0x30 || *ver != [3] {
            return Err("not a PKCS#12 PFX version 3".into());
        }
        let safe = data_content(auth)?;
        let (0x30, safe, _) = tlv(safe).ok_or("bad AuthenticatedSafe")? else {
            return Err("bad AuthenticatedSafe".into());
        };
        for (ci_index, (_, ci, _)) in items(safe)
            .map_err(|_| "bad AuthenticatedSafe")?
            .into_iter()
            .enumerate()
        {
            let contents = match data_content(ci) {
                Ok(c) => c,
                Err(e) => {
                    errors.push(ScanError::new(
                        path,
                        format!("safe contents {ci_index}: {e}"),
                    ));
                    continue;
                }
            };
            let Some((0x30, bags, _)) = tlv(contents) else {
                errors.push(ScanError::new(
                    path,
                    format!("safe contents {ci_index}: bad SafeContents"),
                ));
                continue;
            };
            let Ok(bags) = items(bags) else {
                errors.push(ScanError::new(
                    path,
                    format!("safe contents {ci_index}: bad SafeContents"),
                ));
                continue;
            };
            for (bag_index, (_, bag, _)) in bags.into_iter().enumerate() {
                let at = format!("{path}#{ci_index}/{bag_index}");
                match cert_bag(bag) {
                    Ok(None) => {}
                    Ok(Some((der, alias))) => {
                        let alias = alias.unwrap_or_default();
                        match anchors.add(
                            der,
                            Store::Java,
                            path,
                            &at,
                            &store_id,
                            &[("alias", &alias)],
                        ) {
                            Ok(_) => certs += 1,
                            Err(e) => errors.push(ScanError::new(&at, e)),
                        }
                    }
                    Err(e) => errors.push(ScanError::new(&at, e)),
                }
            }
        }
        Ok(())
    })();
    if let Err(e) = r {
        // Not a PKCS#12 file at all (a `cacerts` named file of another kind): silently none.
        if certs == 0 && anchors.is_empty() && e.starts_with("not ") {
            return;
        }
        errors.push(ScanError::new(path, format!("PKCS#12: {e}")));
    }
    let sc = anchors.store(&store_id, "Java keystore", path);
    sc.set_property("format", "pkcs12");
    sc.set_property("certificates", certs.to_string());
    sc.set_property("store", "java");
}

/// A SafeBag: the certificate of a certBag holding an X.509 certificate, with its friendly name.
fn cert_bag(bag: &[u8]) -> Result<Option<CertBag<'_>>, String> {
    let it = items(bag).map_err(|_| "bad SafeBag")?;
    let [(0x06, oid, _), (0xa0, value, _), rest @ ..] = it.as_slice() else {
        return Err("bad SafeBag".into());
    };
    if *oid != OID_CERT_BAG {
        return Ok(None);
    }
    let (_, cb, _) = tlv(value).ok_or("bad CertBag")?;
    let cb = items(cb).map_err(|_| "bad CertBag")?;
    let [(0x06, cid, _), (0xa0, cv, _), ..] = cb.as_slice() else {
        return Err("bad CertBag".into());
    };
    if *cid != OID_X509_CERT {
        return Ok(None);
    }
    let Some((0x04, der, _)) = tlv(cv) else {
        return Err("CertBag value is not an OCTET STRING".into());
    };
    let alias = rest.iter().find_map(|(t, attrs, _)| {
        if *t != 0x31 {
            return None;
        }
        items(attrs).ok()?.into_iter().find_map(|(_, a, _)| {
            let a = items(a).ok()?;
            let [(0x06, aoid, _), (0x31, vals, _)] = a.as_slice() else {
                return None;
            };
            if *aoid != OID_FRIENDLY_NAME {
                return None;
            }
            let (0x1e, bmp, _) = tlv(vals)? else {
                return None;
            };
            let units: Vec<u16> = bmp
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            Some(crate::text::sanitize(&String::from_utf16_lossy(&units)))
        })
    });
    Ok(Some((der, alias)))
}

/// `CSSM_DL_DB_RECORD_X509_CERTIFICATE`.
const KEYCHAIN_CERT_TABLE: u32 = 0x8000_1000;
/// Bytes of a certificate record's header before the DER: six `u32`s and nine attribute offsets.
const KEYCHAIN_CERT_HEADER: usize = 60;

fn keychain(b: &[u8], path: &str, anchors: &mut Anchors, errors: &mut Vec<ScanError>) {
    let store_id = format!("trust-store:macos:{path}");
    let mut certs = 0usize;
    let r: Result<(), String> = (|| {
        // Header: magic, version, header size, schema offset, auth offset.
        let schema = u32be(b, 12).ok_or("truncated keychain header")? as usize;
        let tables = u32be(b, schema + 4).ok_or("truncated keychain schema")?;
        for t in 0..tables as usize {
            let Some(toff) = u32be(b, schema + 8 + 4 * t) else {
                return Err(format!("table offset {t} runs past the keychain"));
            };
            // Table offsets count from the start of the schema.
            let table = schema + toff as usize;
            let (Some(id), Some(n)) = (u32be(b, table + 4), u32be(b, table + 24)) else {
                return Err(format!("table {t} runs past the keychain"));
            };
            if id != KEYCHAIN_CERT_TABLE {
                continue;
            }
            for r in 0..n as usize {
                let at = format!("{path}#record/{r}");
                let Some(roff) = u32be(b, table + 28 + 4 * r) else {
                    return Err(format!(
                        "certificate table record {r} runs past the keychain"
                    ));
                };
                // Unused slots have an odd or zero offset.
                if roff == 0 || roff % 4 != 0 {
                    continue;
                }
                let rec = table + roff as usize;
                let (Some(size), Some(dlen)) = (u32be(b, rec), u32be(b, rec + 16)) else {
                    errors.push(ScanError::new(&at, "record runs past the keychain"));
                    continue;
                };
                let der = crate::bytes::slice(b, rec + KEYCHAIN_CERT_HEADER, dlen as usize)
                    .filter(|_| dlen as usize + KEYCHAIN_CERT_HEADER <= size as usize);
                let Some(der) = der else {
                    errors.push(ScanError::new(
                        &at,
                        "certificate record runs past the keychain",
                    ));
                    continue;
                };
                match anchors.add(der, Store::Macos, path, &at, &store_id, &[]) {
                    Ok(_) => certs += 1,
                    Err(e) => errors.push(ScanError::new(&at, e)),
                }
            }
        }
        Ok(())
    })();
    if let Err(e) = r {
        errors.push(ScanError::new(path, format!("keychain: {e}")));
    }
    let sc = anchors.store(&store_id, "macOS keychain", path);
    sc.set_property("format", "keychain");
    sc.set_property("certificates", certs.to_string());
    sc.set_property("store", "macos");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ComponentKind;

    const JKS: &[u8] = include_bytes!("../../../fixtures/trust/host/etc/ssl/certs/java/cacerts");
    const P12: &[u8] = include_bytes!("../../../fixtures/trust/host/opt/jdk/lib/security/cacerts");

    fn certs(c: &Collected) -> Vec<&crate::model::Component> {
        c.components
            .iter()
            .filter(|c| c.kind == ComponentKind::Certificate)
            .collect()
    }

    #[test]
    fn jks_matches_keytool() {
        let c = parse(JKS, "/etc/ssl/certs/java/cacerts");
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        // `keytool -list` on the fixture: 5 trustedCertEntry (see make-fixtures.sh).
        assert_eq!(certs(&c).len(), 5);
        assert!(certs(&c).iter().all(|c| c.properties["store"] == "java"));
        assert!(certs(&c)
            .iter()
            .any(|c| c.properties.get("alias").map(String::as_str) == Some("isrg-root-x1")));
    }

    #[test]
    fn jks_with_a_wrong_digest_is_one_error() {
        let mut b = JKS.to_vec();
        let n = b.len();
        b[n - 1] ^= 1;
        let c = parse(&b, "/cacerts");
        assert_eq!(c.errors.len(), 1, "{:?}", c.errors);
        assert!(c.errors[0].error.contains("digest"));
        assert_eq!(certs(&c).len(), 5);
        // Cut short: an error, the entries before the cut kept.
        let c = parse(&JKS[..JKS.len() / 2], "/cacerts");
        assert_eq!(c.errors.len(), 1, "{:?}", c.errors);
        assert!(!certs(&c).is_empty() && certs(&c).len() < 5);
    }

    #[test]
    fn password_less_pkcs12_matches_keytool() {
        let c = parse(P12, "/opt/jdk/lib/security/cacerts");
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        assert_eq!(certs(&c).len(), 5);
        assert!(certs(&c).iter().any(
            |c| c.properties.get("alias").map(String::as_str) == Some("gdca-trustauth-r5-root")
        ));
    }

    #[test]
    fn mutated_keystores_never_panic() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..crate::collectors::signature::fuzz_rounds(300) {
            for src in [JKS, P12] {
                let mut m = src.to_vec();
                for _ in 0..3 {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    let i = (seed as usize) % m.len();
                    m[i] = (seed >> 40) as u8;
                }
                let _ = parse(&m, "/cacerts");
                let _ = parse(&m[..(seed as usize >> 3) % m.len()], "/cacerts");
            }
        }
    }

    #[test]
    fn keychain_records() {
        // Synthesised: a keychain header, a schema with one certificate table holding one
        // record (the layout Apple's securityd writes), then the same file cut short.
        const KEK: &[u8] = include_bytes!("../../../fixtures/trust/certs/MicCorKEKCA2011.der");
        let mut b = Vec::new();
        b.extend(b"kych");
        b.extend(0x0001_0000u32.to_be_bytes());
        b.extend(16u32.to_be_bytes());
        b.extend(20u32.to_be_bytes()); // schema offset
        b.extend(0u32.to_be_bytes());
        // schema at 20: size, one table at schema+12
        b.extend(0u32.to_be_bytes());
        b.extend(1u32.to_be_bytes());
        b.extend(12u32.to_be_bytes());
        // table at 32: size, id, record count, records, indexes, free list, numbers count, offsets[1]
        let table = b.len();
        b.extend(0u32.to_be_bytes());
        b.extend(KEYCHAIN_CERT_TABLE.to_be_bytes());
        b.extend([0; 16]);
        b.extend(1u32.to_be_bytes());
        b.extend(32u32.to_be_bytes()); // record at table+32
        assert_eq!(b.len() - table, 32);
        b.extend(((KEYCHAIN_CERT_HEADER + KEK.len()) as u32).to_be_bytes());
        b.extend([0; 12]);
        b.extend((KEK.len() as u32).to_be_bytes());
        b.extend([0; KEYCHAIN_CERT_HEADER - 20]);
        b.extend(KEK);
        let c = parse(
            &b,
            "/System/Library/Keychains/SystemRootCertificates.keychain",
        );
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        assert_eq!(certs(&c).len(), 1);
        assert_eq!(certs(&c)[0].properties["store"], "macos");
        let c = parse(&b[..b.len() - 10], "/x.keychain");
        assert_eq!((certs(&c).len(), c.errors.len()), (0, 1), "{:?}", c.errors);
    }
}
