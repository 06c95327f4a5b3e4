//! Trust anchors: the certificates a system trusts, as `certificate` components, and the stores
//! that hold them, as `trust-store` components. Four collectors share this module:
//! - [`efi::Efivars`]: UEFI Secure Boot variables (PK, KEK, db, dbx, MokList…) under
//!   `/sys/firmware/efi/efivars`, with the Secure Boot and SetupMode states;
//! - [`efi::VarStore`]: the authenticated variable store of a UEFI firmware image
//!   (`OVMF_VARS.fd`, a flash image's NVRAM volume);
//! - [`castore::CaStore`]: the operating system's CA stores (Debian/Ubuntu/Alpine, RHEL/Fedora,
//!   the Windows `ROOT`/`AuthRoot`/`Disallowed` stores of the SOFTWARE hive);
//! - [`keystore::Keystore`]: Java keystores (JKS, password-less PKCS#12), macOS keychains and
//!   NSS databases ([`nss`]).
//!
//! **One component per certificate per store**: its id is `cert:<store>:<sha256>` (the SHA-256
//! of the certificate's DER), so a root trusted by both the system bundle and Java's `cacerts`
//! is two components, one per store, and a policy or the summary can ask about one store.
//! Within one store, the same certificate found in several files (the Debian bundle and its
//! `/usr/share/ca-certificates` source, MokList and MokListRT) is one component listing every
//! location and variable. A keystore, keychain or NSS database is a store of its own file: two
//! JDKs' `cacerts` holding the same root are two components (the scan qualifies the second
//! id with `?<path>`). A store file or variable set is a `trust-store` component that
//! `contains` its certificates and carries counts (dbx hashes are counted there, not listed).
//!
//! The certificate's subject `O=` is [`EvidenceKind::SignerSubject`] evidence (the rules'
//! `signer_subjects` and names attribute it); its subject `C=` is kept as the `subject-country`
//! property, the country the summary and `trust-anchors` policies fall back to when no rule
//! knows the organisation. Nothing here checks a signature or a validity date.

pub mod castore;
pub mod efi;
pub mod keystore;
pub mod nss;

use crate::collectors::signature;
use crate::model::{Component, ComponentKind, EvidenceKind, Relationship, RelationshipKind};
use der::{Decode, Reader, SliceReader};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use x509_cert::Certificate;

/// Where a system trusts a certificate (the `store` property; policy `trust-anchors.stores`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Store {
    /// UEFI Platform Key.
    UefiPk,
    /// UEFI Key Exchange Keys.
    UefiKek,
    /// UEFI allowed signature database `db`.
    UefiDb,
    /// UEFI forbidden signature database `dbx` (certificates here are distrusted).
    UefiDbx,
    /// UEFI timestamp signature database `dbt`.
    UefiDbt,
    /// shim's Machine Owner Keys (`MokList`, `MokListRT`).
    UefiMok,
    /// shim's forbidden Machine Owner Keys (`MokListX`, `MokListXRT`).
    UefiMokx,
    /// The operating system's CA bundle (Debian, Alpine, RHEL, Fedora…).
    System,
    /// Certificates the operating system explicitly distrusts (RHEL's `blocklist`).
    SystemDistrust,
    /// Certificates shipped in the system's CA source folder but not enabled in its bundle.
    SystemDisabled,
    /// A Java keystore (`cacerts`, `*.jks`, PKCS#12).
    Java,
    /// Windows' `ROOT` store (trusted roots).
    WindowsRoot,
    /// Windows' `AuthRoot` store (third-party roots from Microsoft's root programme).
    WindowsAuthRoot,
    /// Windows' `Disallowed` store (distrusted certificates).
    WindowsDisallowed,
    /// A macOS keychain (`SystemRootCertificates.keychain`).
    Macos,
    /// An NSS database's trusted CAs (`cert9.db`).
    Nss,
    /// An NSS database's explicitly distrusted certificates.
    NssDistrust,
}

impl Store {
    /// Every store, in a fixed order.
    pub const ALL: &'static [Store] = &[
        Store::UefiPk,
        Store::UefiKek,
        Store::UefiDb,
        Store::UefiDbx,
        Store::UefiDbt,
        Store::UefiMok,
        Store::UefiMokx,
        Store::System,
        Store::SystemDistrust,
        Store::SystemDisabled,
        Store::Java,
        Store::WindowsRoot,
        Store::WindowsAuthRoot,
        Store::WindowsDisallowed,
        Store::Macos,
        Store::Nss,
        Store::NssDistrust,
    ];

    /// The kebab-case name used in reports and policies.
    pub fn as_str(self) -> &'static str {
        match self {
            Store::UefiPk => "uefi-pk",
            Store::UefiKek => "uefi-kek",
            Store::UefiDb => "uefi-db",
            Store::UefiDbx => "uefi-dbx",
            Store::UefiDbt => "uefi-dbt",
            Store::UefiMok => "uefi-mok",
            Store::UefiMokx => "uefi-mokx",
            Store::System => "system",
            Store::SystemDistrust => "system-distrust",
            Store::SystemDisabled => "system-disabled",
            Store::Java => "java",
            Store::WindowsRoot => "windows-root",
            Store::WindowsAuthRoot => "windows-authroot",
            Store::WindowsDisallowed => "windows-disallowed",
            Store::Macos => "macos",
            Store::Nss => "nss",
            Store::NssDistrust => "nss-distrust",
        }
    }

    /// The store named `s`, if any.
    pub fn parse(s: &str) -> Option<Store> {
        Store::ALL.iter().copied().find(|x| x.as_str() == s)
    }

    /// Whether certificates of this store are distrusted rather than trusted.
    pub fn distrusts(self) -> bool {
        matches!(
            self,
            Store::UefiDbx
                | Store::UefiMokx
                | Store::SystemDistrust
                | Store::WindowsDisallowed
                | Store::NssDistrust
        )
    }
}

/// The evidence kinds the trust collectors emit.
pub const EMITS: &[EvidenceKind] = &[EvidenceKind::Certificate, EvidenceKind::SignerSubject];

/// Decode one DER certificate at the start of `der` (trailing bytes, such as an OpenSSL
/// `TRUSTED CERTIFICATE`'s auxiliary trust, are ignored): the certificate and its own bytes.
pub fn decode(der: &[u8]) -> Result<(Certificate, &[u8]), String> {
    let mut r = SliceReader::new(der).map_err(|e| format!("bad DER certificate: {e}"))?;
    let cert = Certificate::decode(&mut r).map_err(|e| format!("bad DER certificate: {e}"))?;
    let used = usize::try_from(u32::from(r.position())).unwrap_or(der.len());
    Ok((cert, der.get(..used).unwrap_or(der)))
}

/// Lowercase hex.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The SHA-256 fingerprint of DER bytes, lowercase hex.
pub fn sha256_hex(der: &[u8]) -> String {
    hex(&Sha256::digest(der))
}

/// The certificates found in one store and the store components, merged by id.
#[derive(Debug, Default)]
pub struct Anchors {
    certs: BTreeMap<String, Component>,
    stores: BTreeMap<String, Component>,
    edges: Vec<Relationship>,
}

impl Anchors {
    /// Add the DER certificate `der` trusted by `store`, found at `location` (a file), at `at`
    /// (the file plus where inside it: `#db/0`), held by `holder` (a store component id from
    /// [`Anchors::store`]). The extra properties (`variable`, `alias`, `owner-guid`) are merged
    /// as `;`-separated sets when the same certificate is found again. Returns its component id.
    pub fn add(
        &mut self,
        der: &[u8],
        store: Store,
        location: &str,
        at: &str,
        holder: &str,
        extra: &[(&str, &str)],
    ) -> Result<String, String> {
        let (cert, bytes) = decode(der)?;
        let fp = sha256_hex(bytes);
        let id = format!("cert:{}:{fp}", store.as_str());
        let c = self
            .certs
            .entry(id.clone())
            .or_insert_with(|| component(&cert, &fp, store, location, at));
        if !c.locations.iter().any(|l| l == location) {
            c.locations.push(location.to_owned());
        }
        for (k, v) in extra {
            merge_set(c, k, v);
        }
        self.edges.push(Relationship {
            from: holder.to_owned(),
            to: id.clone(),
            kind: RelationshipKind::Contains,
        });
        Ok(id)
    }

    /// The store component for `location` (created on first use), to set counts and states on.
    pub fn store(&mut self, id: &str, name: &str, location: &str) -> &mut Component {
        self.stores.entry(id.to_owned()).or_insert_with(|| {
            let mut c = Component::new(ComponentKind::TrustStore, Some("trust"), name, None);
            c.id = id.to_owned();
            c.locations.push(location.to_owned());
            c
        })
    }

    /// Number of distinct certificates found so far.
    pub fn len(&self) -> usize {
        self.certs.len()
    }

    /// Whether no certificate was found.
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }

    /// Whether the certificate component `id` was found.
    pub fn has(&self, id: &str) -> bool {
        self.certs.contains_key(id)
    }

    /// Into a collector result (errors are the caller's).
    pub fn into_collected(self) -> crate::collectors::Collected {
        let mut edges = self.edges;
        edges.sort();
        edges.dedup();
        crate::collectors::Collected {
            components: self
                .stores
                .into_values()
                .chain(self.certs.into_values())
                .collect(),
            relationships: edges,
            ..Default::default()
        }
    }
}

/// Add `v` to the `;`-separated sorted set property `k`.
pub fn merge_set(c: &mut Component, k: &str, v: &str) {
    let v = crate::text::sanitize(v.trim());
    if v.is_empty() {
        return;
    }
    let mut set: Vec<String> = c
        .properties
        .get(k)
        .map(|s| s.split("; ").map(str::to_owned).collect())
        .unwrap_or_default();
    if !set.contains(&v) {
        set.push(v);
        set.sort();
    }
    c.properties.insert(k.to_owned(), set.join("; "));
}

/// The `certificate` component of one certificate.
fn component(cert: &Certificate, fp: &str, store: Store, location: &str, at: &str) -> Component {
    let n = signature::names(cert);
    let name = n
        .common_name
        .clone()
        .or_else(|| n.organisation.clone())
        .unwrap_or_else(|| n.subject.clone());
    let mut c = Component::new(ComponentKind::Certificate, Some("x509"), &name, None);
    c.id = format!("cert:{}:{fp}", store.as_str());
    c.locations.push(location.to_owned());
    if let Some(h) = n.holder() {
        c.add_evidence(EvidenceKind::SignerSubject, h, at);
    }
    c.add_evidence(EvidenceKind::Certificate, &n.subject, at);
    let tbs = &cert.tbs_certificate;
    c.set_property("store", store.as_str());
    if store.distrusts() {
        c.set_property("trust", "distrusted");
    }
    c.set_property("subject", &n.subject);
    c.set_property("issuer", &n.issuer);
    if let Some(o) = &n.organisation {
        c.set_property("subject-organisation", o);
    }
    if let Some(cc) = &n.country {
        c.set_property("subject-country", cc.to_ascii_uppercase());
    }
    c.set_property("serial", hex(tbs.serial_number.as_bytes()));
    c.set_property("not-before", tbs.validity.not_before.to_string());
    c.set_property("not-after", tbs.validity.not_after.to_string());
    c.set_property("sha256", fp);
    c.set_property(
        "self-signed",
        if tbs.subject == tbs.issuer {
            "true"
        } else {
            "false"
        },
    );
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS_KEK: &[u8] = include_bytes!("../../../fixtures/trust/certs/MicCorKEKCA2011.der");

    #[test]
    fn certificate_component_fields_match_openssl() {
        let mut a = Anchors::default();
        let id = a
            .add(
                MS_KEK,
                Store::UefiKek,
                "/x",
                "/x#KEK/0",
                "s",
                &[("variable", "KEK")],
            )
            .unwrap();
        // `openssl x509 -inform der -fingerprint -sha256 -serial -dates`
        assert_eq!(
            id,
            "cert:uefi-kek:a1117f516a32cefcba3f2d1ace10a87972fd6bbe8fe0d0b996e09e65d802a503"
        );
        let c = a.certs.get(&id).unwrap();
        assert_eq!(c.name, "Microsoft Corporation KEK CA 2011");
        let p = |k: &str| c.properties.get(k).map(String::as_str);
        assert_eq!(p("serial"), Some("610ad188000000000003"));
        assert_eq!(p("not-before"), Some("2011-06-24T20:41:29Z"));
        assert_eq!(p("not-after"), Some("2026-06-24T20:51:29Z"));
        assert_eq!(p("subject-country"), Some("US"));
        assert_eq!(p("self-signed"), Some("false"));
        assert!(c
            .evidence
            .iter()
            .any(|e| e.kind == EvidenceKind::SignerSubject && e.value == "Microsoft Corporation"));
        // Found again through another variable: one component, both variables.
        a.add(
            MS_KEK,
            Store::UefiKek,
            "/y",
            "/y#KEK/0",
            "s",
            &[("variable", "KEKDefault")],
        )
        .unwrap();
        assert_eq!(a.len(), 1);
        let c = a.certs.get(&id).unwrap();
        assert_eq!(c.locations, ["/x", "/y"]);
        assert_eq!(
            c.properties.get("variable").map(String::as_str),
            Some("KEK; KEKDefault")
        );
        assert!(a
            .add(&MS_KEK[..100], Store::UefiKek, "/x", "/x", "s", &[])
            .is_err());
        assert!(a.add(b"", Store::UefiKek, "/x", "/x", "s", &[]).is_err());
    }

    #[test]
    fn store_names_round_trip() {
        for s in Store::ALL {
            assert_eq!(Store::parse(s.as_str()), Some(*s));
        }
        assert_eq!(Store::parse("nope"), None);
    }
}
