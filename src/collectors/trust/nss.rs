//! NSS certificate databases (`cert9.db`, the SQLite format of NSS's `sdb`: the shared
//! `/etc/pki/nssdb`, `~/.pki/nssdb`, Firefox and Thunderbird profiles), read by the
//! [`super::keystore::Keystore`] collector.
//!
//! The table `nssPublic` holds PKCS#11 objects, one column per attribute (`a<hex type>`):
//! certificates (`CKA_CLASS` = `CKO_CERTIFICATE`, DER in `CKA_VALUE`, nickname in `CKA_LABEL`)
//! and NSS trust objects (`CKO_NSS_TRUST`), which name their certificate by its SHA-1
//! (`CKA_CERT_SHA1_HASH`). A certificate is a trust anchor (store `nss`) when its trust object
//! makes it a trusted delegator (`CKT_NSS_TRUSTED_DELEGATOR`, certutil's `C`) for some purpose;
//! one distrusted for a purpose (`CKT_NSS_NOT_TRUSTED`, `p`) is in `nss-distrust`; a stored
//! certificate without such trust (a peer or user certificate) is no anchor and not listed.
//! The built-in Mozilla roots live in `libnssckbi.so`, not in a database. The legacy Berkeley
//! DB `cert8.db` is not read.
//!
//! The file is opened read-only from memory (never on disk); a damaged database is one error.

use super::{Anchors, Store};
use crate::model::ScanError;
use std::collections::BTreeMap;

const CKO_CERTIFICATE: u32 = 1;
const CKO_NSS_TRUST: u32 = 0xce53_4353;
const CKT_NSS_TRUSTED_DELEGATOR: u32 = 0xce53_4352;
const CKT_NSS_NOT_TRUSTED: u32 = 0xce53_435a;

/// Trust purposes: (column, name).
const PURPOSES: &[(&str, &str)] = &[
    ("ace536358", "server-auth"),
    ("ace536359", "client-auth"),
    ("ace53635a", "code-signing"),
    ("ace53635b", "email"),
];

fn ulong(b: Option<Vec<u8>>) -> Option<u32> {
    let b = b?;
    Some(u32::from_be_bytes(b.get(..4)?.try_into().ok()?))
}

/// Read the trust anchors of a `cert9.db` at system path `path`.
pub fn parse(bytes: &[u8], path: &str, anchors: &mut Anchors, errors: &mut Vec<ScanError>) {
    let r = (|| -> rusqlite::Result<()> {
        let mut conn = rusqlite::Connection::open_in_memory()?;
        conn.deserialize_read_exact(rusqlite::MAIN_DB, bytes, bytes.len(), true)?;
        // Trust per certificate SHA-1: (purposes trusted, purposes distrusted).
        let mut trust: BTreeMap<String, (Vec<&str>, Vec<&str>)> = BTreeMap::new();
        let cols: Vec<&str> = PURPOSES.iter().map(|(c, _)| *c).collect();
        let sql = format!("SELECT a0, ace5363b4, {} FROM nssPublic", cols.join(", "));
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            if ulong(row.get(0)?) != Some(CKO_NSS_TRUST) {
                continue;
            }
            let Some(sha1) = row.get::<_, Option<Vec<u8>>>(1)? else {
                continue;
            };
            let e = trust.entry(super::hex(&sha1)).or_default();
            for (i, (_, name)) in PURPOSES.iter().enumerate() {
                match ulong(row.get(2 + i)?) {
                    Some(CKT_NSS_TRUSTED_DELEGATOR) => e.0.push(name),
                    Some(CKT_NSS_NOT_TRUSTED) => e.1.push(name),
                    _ => {}
                }
            }
        }
        let mut stmt = conn.prepare("SELECT id, a0, a3, a11 FROM nssPublic ORDER BY id")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            if ulong(row.get(1)?) != Some(CKO_CERTIFICATE) {
                continue;
            }
            let id: i64 = row.get(0)?;
            let label = row
                .get::<_, Option<Vec<u8>>>(2)?
                .map(|l| String::from_utf8_lossy(&l).into_owned())
                .unwrap_or_default();
            let Some(der) = row.get::<_, Option<Vec<u8>>>(3)? else {
                continue;
            };
            use sha1::Digest;
            let sha1 = super::hex(&sha1::Sha1::digest(&der));
            let Some((trusted, distrusted)) = trust.get(&sha1) else {
                continue;
            };
            let (store, purposes) = if !trusted.is_empty() {
                (Store::Nss, trusted)
            } else if !distrusted.is_empty() {
                (Store::NssDistrust, distrusted)
            } else {
                continue;
            };
            let store_id = format!("trust-store:nss:{path}");
            let at = format!("{path}#{id}");
            anchors.store(&store_id, "NSS certificate database", path);
            let purposes = purposes.join(", ");
            let extra = [
                ("nickname", label.as_str()),
                ("nss-trust", purposes.as_str()),
            ];
            if let Err(e) = anchors.add(&der, store, path, &at, &store_id, &extra) {
                errors.push(ScanError::new(&at, e));
            }
        }
        Ok(())
    })();
    if let Err(e) = r {
        errors.push(ScanError::new(path, format!("NSS database: {e}")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ComponentKind;

    const DB: &[u8] = include_bytes!("../../../fixtures/trust/host/etc/pki/nssdb/cert9.db");

    #[test]
    fn trusted_cas_of_a_certutil_database() {
        // `certutil -L`: ISRG Root X1 `C,,`, GDCA `C,C,`, Certum `,,` (stored, not trusted).
        let mut a = Anchors::default();
        let mut errors = Vec::new();
        parse(DB, "/etc/pki/nssdb/cert9.db", &mut a, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        let c = a.into_collected();
        let mut certs: Vec<(String, String)> = c
            .components
            .iter()
            .filter(|c| c.kind == ComponentKind::Certificate)
            .map(|c| (c.name.clone(), c.properties["nss-trust"].clone()))
            .collect();
        certs.sort();
        assert_eq!(
            certs,
            [
                ("GDCA TrustAUTH R5 ROOT".into(), "server-auth, email".into()),
                ("ISRG Root X1".into(), "server-auth".into())
            ]
        );
        let mut errors = Vec::new();
        parse(
            &DB[..DB.len() / 3],
            "/x",
            &mut Anchors::default(),
            &mut errors,
        );
        parse(
            b"SQLite format 3\0garbage",
            "/x",
            &mut Anchors::default(),
            &mut errors,
        );
        assert!(!errors.is_empty());
    }
}
