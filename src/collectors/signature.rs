//! Code-signing signatures shared by the PE (Authenticode) and Mach-O (Apple code signature)
//! collectors: a CMS/PKCS#7 `SignedData` (RFC 5652) decoded with RustCrypto `cms`, its X.509
//! certificates (`x509-cert`), the signer certificate found through the `SignerInfo`'s issuer
//! and serial number (or subject key id), and the chain from the signer up through the
//! certificates the signature carries.
//!
//! Apple writes its CMS blobs in BER with indefinite lengths, which a DER decoder refuses; for
//! those the certificates are recovered by decoding every DER `Certificate` that starts inside
//! the blob (bounded by [`MAX_SCAN_CERTS`]) and the signer is the certificate no other one was
//! issued by. This module checks no trust and no validity dates: it reports who signed, which
//! is evidence, not a verdict. Digest checks against the file are the callers' business.

use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::asn1::ObjectIdentifier;
use der::{Any, Decode, Encode, SliceReader, Tag, Tagged};
use x509_cert::name::Name;
use x509_cert::Certificate;

use crate::model::{Component, EvidenceKind};

/// `id-signedData`.
const SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// X.520 organisation, country and common name.
const OID_O: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");
const OID_C: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.6");
const OID_CN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
const OID_OU: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.11");

/// Most certificates recovered from a BER blob by scanning.
pub const MAX_SCAN_CERTS: usize = 32;
/// Longest chain followed from the signer.
const MAX_CHAIN: usize = 8;

/// The names of one certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertNames {
    /// Subject `O=`.
    pub organisation: Option<String>,
    /// Subject `C=`.
    pub country: Option<String>,
    /// Subject `CN=`.
    pub common_name: Option<String>,
    /// Subject `OU=` (Apple puts the team id here).
    pub unit: Option<String>,
    /// The whole subject as an RFC 4514 string.
    pub subject: String,
    /// The whole issuer as an RFC 4514 string.
    pub issuer: String,
    /// Issuer `O=`.
    pub issuer_organisation: Option<String>,
    /// Issuer `C=`.
    pub issuer_country: Option<String>,
}

impl CertNames {
    /// The name the certificate was issued to: `O=`, else `CN=`.
    pub fn holder(&self) -> Option<&str> {
        self.organisation.as_deref().or(self.common_name.as_deref())
    }
}

/// What a signature says about who signed.
#[derive(Debug, Clone, Default)]
pub struct SignatureInfo {
    /// The signer certificate, when it could be identified.
    pub signer: Option<CertNames>,
    /// Signer first, then its issuers as far as the signature carries them.
    pub chain: Vec<CertNames>,
    /// The encapsulated content (Authenticode: `SpcIndirectDataContent`), DER.
    pub content: Option<Vec<u8>>,
    /// The digest algorithm of the first `SignerInfo`.
    pub digest_oid: Option<ObjectIdentifier>,
}

/// Decode a `ContentInfo` holding `SignedData`. With `lenient`, falls back to scanning for
/// certificates when the blob is not DER (Apple's BER encoding); Authenticode is always DER.
pub fn parse(blob: &[u8], lenient: bool) -> Result<SignatureInfo, String> {
    match parse_der(blob) {
        Ok(info) => Ok(info),
        Err(e) if !lenient => Err(e),
        Err(e) => {
            let certs = scan_certificates(blob);
            if certs.is_empty() {
                return Err(e);
            }
            Ok(from_loose_certificates(&certs))
        }
    }
}

fn parse_der(blob: &[u8]) -> Result<SignatureInfo, String> {
    // Authenticode pads the blob to 8 bytes and some signers leave more after it: decode one
    // value and ignore what follows.
    let mut reader = SliceReader::new(blob).map_err(|e| format!("PKCS#7 ContentInfo: {e}"))?;
    let ci = ContentInfo::decode(&mut reader).map_err(|e| format!("PKCS#7 ContentInfo: {e}"))?;
    if ci.content_type != SIGNED_DATA {
        return Err(format!(
            "PKCS#7 content type {} is not signedData",
            ci.content_type
        ));
    }
    let sd: SignedData = ci
        .content
        .decode_as()
        .map_err(|e| format!("PKCS#7 SignedData: {e}"))?;
    let certs: Vec<Certificate> = sd
        .certificates
        .as_ref()
        .map(|set| {
            set.0
                .iter()
                .filter_map(|c| match c {
                    cms::cert::CertificateChoices::Certificate(c) => Some(c.clone()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let first = sd.signer_infos.0.iter().next();
    let signer_cert = first.and_then(|si| {
        certs.iter().find(|c| match &si.sid {
            SignerIdentifier::IssuerAndSerialNumber(ias) => {
                c.tbs_certificate.issuer == ias.issuer
                    && c.tbs_certificate.serial_number == ias.serial_number
            }
            SignerIdentifier::SubjectKeyIdentifier(ski) => {
                subject_key_id(c).as_deref() == Some(ski.0.as_bytes())
            }
        })
    });
    let signer_cert = signer_cert.or_else(|| leaf(&certs));
    let chain = signer_cert
        .map(|c| chain_from(c, &certs))
        .unwrap_or_default();
    let content = sd
        .encap_content_info
        .econtent
        .as_ref()
        .and_then(|a| a.to_der().ok());
    Ok(SignatureInfo {
        signer: chain.first().cloned(),
        chain,
        content,
        digest_oid: first.map(|si| si.digest_alg.oid),
    })
}

fn subject_key_id(c: &Certificate) -> Option<Vec<u8>> {
    const SKI: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
    let ext = c
        .tbs_certificate
        .extensions
        .as_ref()?
        .iter()
        .find(|e| e.extn_id == SKI)?;
    let inner = der::asn1::OctetString::from_der(ext.extn_value.as_bytes()).ok()?;
    Some(inner.as_bytes().to_vec())
}

/// The certificate that issued no other certificate of the set (the end entity). Among several,
/// the one that is not a time-stamping certificate comes first.
fn leaf(certs: &[Certificate]) -> Option<&Certificate> {
    let issuers: Vec<&Name> = certs.iter().map(|c| &c.tbs_certificate.issuer).collect();
    let mut leaves: Vec<&Certificate> = certs
        .iter()
        .filter(|c| {
            let s = &c.tbs_certificate.subject;
            // A self-issued root is never the signer.
            s != &c.tbs_certificate.issuer && !issuers.contains(&s)
        })
        .collect();
    leaves.sort_by_key(|c| {
        let n = names(c);
        let cn: String = n
            .common_name
            .unwrap_or_default()
            .to_ascii_lowercase()
            .replace([' ', '-'], "");
        (cn.contains("timestamp") || cn.contains("tsa"), n.subject)
    });
    leaves.first().copied()
}

fn chain_from(signer: &Certificate, certs: &[Certificate]) -> Vec<CertNames> {
    let mut chain = vec![names(signer)];
    let mut cur = signer;
    while chain.len() < MAX_CHAIN {
        let issuer = &cur.tbs_certificate.issuer;
        if issuer == &cur.tbs_certificate.subject {
            break;
        }
        let Some(next) = certs.iter().find(|c| &c.tbs_certificate.subject == issuer) else {
            break;
        };
        chain.push(names(next));
        cur = next;
    }
    chain
}

fn from_loose_certificates(certs: &[Certificate]) -> SignatureInfo {
    let chain = leaf(certs)
        .map(|c| chain_from(c, certs))
        .unwrap_or_default();
    SignatureInfo {
        signer: chain.first().cloned(),
        chain,
        content: None,
        digest_oid: None,
    }
}

/// Every DER certificate that starts inside `blob` (`30 82 LL LL 30 82`), at most
/// [`MAX_SCAN_CERTS`].
pub fn scan_certificates(blob: &[u8]) -> Vec<Certificate> {
    let mut out = Vec::new();
    let mut i = 0usize;
    while i + 8 <= blob.len() && out.len() < MAX_SCAN_CERTS {
        if blob[i] == 0x30 && blob[i + 1] == 0x82 && blob[i + 4] == 0x30 && blob[i + 5] == 0x82 {
            let len = usize::from(u16::from_be_bytes([blob[i + 2], blob[i + 3]])) + 4;
            if let Some(der) = blob.get(i..i + len) {
                if let Ok(c) = Certificate::from_der(der) {
                    out.push(c);
                    i += len;
                    continue;
                }
            }
        }
        i += 1;
    }
    out
}

/// Subject and issuer names of a certificate.
pub fn names(c: &Certificate) -> CertNames {
    let subject = &c.tbs_certificate.subject;
    CertNames {
        organisation: attr(subject, OID_O),
        country: attr(subject, OID_C),
        common_name: attr(subject, OID_CN),
        unit: attr(subject, OID_OU),
        subject: crate::text::sanitize(&subject.to_string()),
        issuer: crate::text::sanitize(&c.tbs_certificate.issuer.to_string()),
        issuer_organisation: attr(&c.tbs_certificate.issuer, OID_O),
        issuer_country: attr(&c.tbs_certificate.issuer, OID_C),
    }
}

/// The last value of an attribute in a name (the most specific RDN).
fn attr(name: &Name, oid: ObjectIdentifier) -> Option<String> {
    name.0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .filter(|atv| atv.oid == oid)
        .filter_map(|atv| any_string(&atv.value))
        .map(|s| crate::text::sanitize(s.trim()))
        .rfind(|s| !s.is_empty())
}

/// A directory string of any of the usual string types.
fn any_string(v: &Any) -> Option<String> {
    let b = v.value();
    match v.tag() {
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::Ia5String
        | Tag::TeletexString
        | Tag::VisibleString => Some(String::from_utf8_lossy(b).into_owned()),
        Tag::BmpString => {
            let units: Vec<u16> = b
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            Some(String::from_utf16_lossy(&units))
        }
        _ => None,
    }
}

/// Put what a signature says on a component: the signer as [`EvidenceKind::SignerSubject`]
/// (its `O=`, else its `CN=`), every certificate of the chain as [`EvidenceKind::Certificate`],
/// and the properties `signature` (the scheme), `signer-name` (`CN=`), `signer-country` (`C=`),
/// `signer-unit` (`OU=`) and `signer-issuer`. The chain's trust anchor — the issuer of its top
/// certificate, which signatures rarely carry themselves — is `anchor-organisation` and
/// `anchor-country`, and every issuer organisation of the chain is `chain-issuers`
/// (`; `-separated, signer's issuer first). `at` is where the signature lives
/// (`/x.dll#authenticode`).
pub fn add_to(comp: &mut Component, info: &SignatureInfo, scheme: &str, at: &str) {
    comp.set_property("signature", scheme);
    if let Some(s) = &info.signer {
        if let Some(h) = s.holder() {
            let kind = if is_attestation(s) {
                comp.set_property("signer-role", "attestation");
                EvidenceKind::AttestationSigner
            } else {
                EvidenceKind::SignerSubject
            };
            comp.add_evidence(kind, h, at);
        }
        if let Some(cn) = &s.common_name {
            comp.set_property("signer-name", cn);
        }
        if let Some(c) = &s.country {
            comp.set_property("signer-country", c);
        }
        if let Some(ou) = &s.unit {
            comp.set_property("signer-unit", ou);
        }
        comp.set_property("signer-issuer", &s.issuer);
    }
    let issuers: Vec<&str> = info.chain.iter().fold(Vec::new(), |mut v, c| {
        if let Some(o) = c.issuer_organisation.as_deref() {
            if !v.contains(&o) {
                v.push(o);
            }
        }
        v
    });
    comp.set_property("chain-issuers", issuers.join("; "));
    if let Some(top) = info.chain.last() {
        if let Some(o) = &top.issuer_organisation {
            comp.set_property("anchor-organisation", o);
        }
        if let Some(c) = &top.issuer_country {
            comp.set_property("anchor-country", c.to_ascii_uppercase());
        }
    }
    for (i, c) in info.chain.iter().enumerate() {
        comp.add_evidence(
            EvidenceKind::Certificate,
            &c.subject,
            format!("{at}/chain/{i}"),
        );
    }
}

/// Signing identities that sign other makers' code after a submission (Microsoft's Windows
/// Hardware Compatibility / Software Compatibility / UEFI CA / third-party component
/// programmes, e.g. `Microsoft 3rd Party Application Component` on redistributed DLLs). Their `O=` says who vouched, not who made the code.
pub fn is_attestation(n: &CertNames) -> bool {
    const SERVICES: &[&str] = &[
        "compatibility publisher",
        "uefi driver publisher",
        "third party component",
        "third party application",
        "3rd party component",
        "3rd party application",
    ];
    let Some(cn) = &n.common_name else {
        return false;
    };
    let cn = cn.to_ascii_lowercase();
    n.organisation.as_deref() == Some("Microsoft Corporation")
        && SERVICES.iter().any(|s| cn.contains(s))
}

/// Rounds of the mutation tests of the binary parsers: `default`, or `SOVSCAN_FUZZ_ROUNDS`
/// for a longer run (`SOVSCAN_FUZZ_ROUNDS=100000 cargo test --release mutated`).
#[cfg(test)]
pub(crate) fn fuzz_rounds(default: usize) -> usize {
    std::env::var("SOVSCAN_FUZZ_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attestation_identities() {
        let n = |cn: &str, o: &str| CertNames {
            common_name: Some(cn.into()),
            organisation: Some(o.into()),
            ..CertNames::default()
        };
        let ms = "Microsoft Corporation";
        assert!(is_attestation(&n(
            "Microsoft Windows Hardware Compatibility Publisher",
            ms
        )));
        assert!(is_attestation(&n(
            "Microsoft 3rd Party Application Component",
            ms
        )));
        assert!(is_attestation(&n(
            "Microsoft Windows UEFI Driver Publisher",
            ms
        )));
        assert!(!is_attestation(&n("Microsoft Windows", ms)));
        assert!(!is_attestation(&n("Microsoft Corporation", ms)));
        assert!(!is_attestation(&n(
            "Compatibility Publisher",
            "Acme Software GmbH"
        )));
    }

    #[test]
    fn garbage_is_an_error() {
        for lenient in [false, true] {
            assert!(parse(b"", lenient).is_err());
            assert!(parse(&[0x30, 0x82, 0xff, 0xff, 0x30, 0x82, 0, 0], lenient).is_err());
            assert!(parse(&[0x30; 64], lenient).is_err());
        }
    }
}
