//! macOS application bundles and installer receipts (the `plist` crate reads both XML and
//! binary property lists).
//!
//! - `…/X.app/Contents/Info.plist` (anywhere: `/Applications`, nested helper apps, an unpacked
//!   installer) becomes one `application` component, `macos-app:/…/X.app`, named by
//!   `CFBundleName` and versioned by `CFBundleShortVersionString` (else `CFBundleVersion`). The
//!   bundle's main executable (`Contents/MacOS/<CFBundleExecutable>`) is read for its code
//!   signature, whose signer is the app's strongest evidence; the Mach-O collector links every
//!   binary inside the bundle to it with a `contains` relationship.
//! - `/Library/Receipts/*.plist` and `/var/db/receipts/*.plist` (what `pkgutil --pkgs`
//!   lists) become `package` components, `macos-pkg:<PackageIdentifier>@<PackageVersion>`.
//!
//! Reverse-DNS identifiers (`com.microsoft.Word`) are reported as a
//! [`EvidenceKind::SigningId`] and, read back as a domain (`microsoft.com`), as a
//! [`EvidenceKind::Url`] host: Apple's naming convention says the identifier starts with the
//! maker's domain. `NSHumanReadableCopyright` is a [`EvidenceKind::CopyrightHolder`].
//!
//! Caps: property lists over [`MAX_PLIST`] bytes are refused; the main executable is read like
//! any Mach-O (memory-mapped when large, see [`super::macho`]).

use super::{macho, Candidate, Collected, Collector, Context};
use crate::model::{Component, ComponentKind, EvidenceKind};
use plist::Value;

/// Largest property list read.
pub const MAX_PLIST: u64 = 1 << 20;

/// The application-bundle and receipt collector.
pub struct AppBundle;

impl Collector for AppBundle {
    fn id(&self) -> &'static str {
        "macos-app"
    }
    fn reads(&self) -> &'static str {
        "`*.app/Contents/Info.plist` (one `application` per bundle, signed by its main executable's signer), `/var/db/receipts/*.plist`, `/Library/Receipts/*.plist`"
    }
    fn emits(&self) -> &'static [EvidenceKind] {
        &[
            EvidenceKind::AttestationSigner,
            EvidenceKind::Certificate,
            EvidenceKind::CopyrightHolder,
            EvidenceKind::SignerSubject,
            EvidenceKind::SigningId,
            EvidenceKind::Url,
        ]
    }
    fn matches_path(&self, path: &str) -> bool {
        path.ends_with(".app/Contents/Info.plist") || is_receipt(path)
    }
    fn wants_owned(&self) -> bool {
        true
    }
    fn collect(&self, c: &Candidate<'_>, ctx: &Context<'_>) -> Collected {
        if c.size > MAX_PLIST {
            return Collected::error(
                c.path,
                format!(
                    "property list of {} bytes is over the {MAX_PLIST} byte limit",
                    c.size
                ),
            );
        }
        let bytes = match c.bytes("property list", MAX_PLIST) {
            Ok(b) => b,
            Err(e) => return e,
        };
        if is_receipt(c.path) {
            return receipt(&bytes, c.path);
        }
        let mut out = bundle(&bytes, c.path);
        // The main executable's signature speaks for the app.
        if let (Some(app), Some(exe)) =
            (out.components.first_mut(), main_executable(&bytes, c.path))
        {
            if let Ok(bin) = ctx.root.open(&exe).and_then(crate::rootfs::Opened::load) {
                let m = macho::parse(&bin, &exe);
                if let Some(b) = m.components.first() {
                    for e in b.evidence.iter().filter(|e| is_signature_evidence(e.kind)) {
                        app.evidence.push(e.clone());
                    }
                    for (k, v) in b
                        .properties
                        .iter()
                        .filter(|(k, _)| is_signature_property(k))
                    {
                        app.properties.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        out
    }
}

fn is_signature_evidence(k: EvidenceKind) -> bool {
    matches!(
        k,
        EvidenceKind::SignerSubject | EvidenceKind::AttestationSigner | EvidenceKind::Certificate
    )
}

fn is_signature_property(k: &str) -> bool {
    k == "signature" || k == "team-id" || k.starts_with("signer-")
}

fn is_receipt(path: &str) -> bool {
    (path.starts_with("/var/db/receipts/") || path.starts_with("/Library/Receipts/"))
        && path.ends_with(".plist")
        && path.matches('/').count() == 4 - usize::from(path.starts_with("/Library/"))
}

fn dict(bytes: &[u8]) -> Result<plist::Dictionary, String> {
    let v = Value::from_reader(std::io::Cursor::new(bytes))
        .map_err(|e| format!("malformed property list: {e}"))?;
    v.into_dictionary()
        .ok_or_else(|| "property list is not a dictionary".to_owned())
}

fn string<'a>(d: &'a plist::Dictionary, key: &str) -> Option<&'a str> {
    d.get(key)
        .and_then(Value::as_string)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// `Contents/MacOS/<CFBundleExecutable>` of the bundle whose `Info.plist` is at `plist_path`.
fn main_executable(bytes: &[u8], plist_path: &str) -> Option<String> {
    let d = dict(bytes).ok()?;
    let exe = string(&d, "CFBundleExecutable")?;
    if exe.contains('/') || exe == ".." {
        return None;
    }
    let contents = plist_path.strip_suffix("Info.plist")?;
    Some(format!("{contents}MacOS/{exe}"))
}

/// Parse an application bundle's `Info.plist`.
pub fn bundle(bytes: &[u8], path: &str) -> Collected {
    let d = match dict(bytes) {
        Ok(d) => d,
        Err(e) => return Collected::error(path, e),
    };
    let Some(app_path) = path.strip_suffix("/Contents/Info.plist") else {
        return Collected::default();
    };
    let dir_name = app_path
        .rsplit('/')
        .next()
        .unwrap_or(app_path)
        .trim_end_matches(".app");
    let name = string(&d, "CFBundleName")
        .or(string(&d, "CFBundleDisplayName"))
        .unwrap_or(dir_name);
    let version = string(&d, "CFBundleShortVersionString").or(string(&d, "CFBundleVersion"));
    let mut comp = Component::new(ComponentKind::Application, Some("macos-app"), name, version);
    // Identity is the bundle's place: the same app in two places is two installs.
    comp.id = format!("macos-app:{app_path}");
    comp.locations.push(app_path.to_owned());
    comp.locations.push(path.to_owned());
    if let Some(id) = string(&d, "CFBundleIdentifier") {
        add_identifier(&mut comp, id, &format!("{path}#CFBundleIdentifier"));
        comp.set_property("bundle-id", id);
    }
    if let Some(c) = string(&d, "NSHumanReadableCopyright") {
        comp.add_evidence(
            EvidenceKind::CopyrightHolder,
            c,
            format!("{path}#NSHumanReadableCopyright"),
        );
    }
    if let Some(v) = string(&d, "CFBundleVersion") {
        comp.set_property("bundle-version", v);
    }
    if let Some(v) = string(&d, "LSMinimumSystemVersion") {
        comp.set_property("minimum-system-version", v);
    }
    Collected {
        components: vec![comp],
        ..Collected::default()
    }
}

/// Parse an installer receipt (`PackageIdentifier`, `PackageVersion`, `InstallPrefixPath`).
pub fn receipt(bytes: &[u8], path: &str) -> Collected {
    let d = match dict(bytes) {
        Ok(d) => d,
        Err(e) => return Collected::error(path, e),
    };
    let Some(id) = string(&d, "PackageIdentifier") else {
        return Collected::error(path, "installer receipt has no PackageIdentifier");
    };
    let mut comp = Component::new(
        ComponentKind::Package,
        Some("macos-pkg"),
        id,
        string(&d, "PackageVersion"),
    );
    comp.locations.push(path.to_owned());
    add_identifier(&mut comp, id, &format!("{path}#PackageIdentifier"));
    if let Some(p) = string(&d, "InstallPrefixPath") {
        comp.set_property("install-prefix", p);
    }
    if let Some(p) = string(&d, "PackageFileName") {
        comp.set_property("package-file", p);
    }
    if let Some(date) = d.get("InstallDate").and_then(Value::as_date) {
        comp.set_property("install-date", date.to_xml_format());
    }
    Collected {
        components: vec![comp],
        ..Collected::default()
    }
}

/// A reverse-DNS identifier as signing id and as the domain it starts with.
fn add_identifier(comp: &mut Component, id: &str, at: &str) {
    comp.add_evidence(EvidenceKind::SigningId, id, at);
    if let Some(domain) = reverse_dns_domain(id) {
        comp.add_evidence(EvidenceKind::Url, domain, at);
    }
}

/// `com.microsoft.Word` → `microsoft.com`; `uk.co.bbc.iplayer` → `bbc.co.uk` (the registrable
/// domain under the public suffix list); `None` for identifiers that are no domain.
pub fn reverse_dns_domain(id: &str) -> Option<String> {
    let labels: Vec<&str> = id.split('.').collect();
    if labels.len() < 2
        || labels
            .iter()
            .any(|l| l.is_empty() || !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    {
        return None;
    }
    let host = labels
        .iter()
        .rev()
        .map(|l| l.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(".");
    psl::domain_str(&host).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_dns() {
        assert_eq!(
            reverse_dns_domain("com.microsoft.Word").as_deref(),
            Some("microsoft.com")
        );
        assert_eq!(
            reverse_dns_domain("uk.co.bbc.iplayer").as_deref(),
            Some("bbc.co.uk")
        );
        assert_eq!(reverse_dns_domain("Word"), None);
        assert_eq!(reverse_dns_domain("com..x"), None);
        assert_eq!(reverse_dns_domain("com.example app"), None);
    }

    #[test]
    fn receipts_are_recognised_by_path() {
        assert!(is_receipt("/var/db/receipts/com.apple.pkg.XProtect.plist"));
        assert!(is_receipt("/Library/Receipts/org.python.Python.plist"));
        assert!(!is_receipt("/var/db/receipts/x/y.plist"));
        assert!(!is_receipt("/var/db/receipts/com.apple.pkg.XProtect.bom"));
    }

    #[test]
    fn receipt_plist() {
        // Synthesised in the shape `pkgutil` writes to /var/db/receipts (no real receipt ships
        // in a public package).
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
<key>InstallDate</key><date>2026-03-02T09:14:11Z</date>
<key>InstallPrefixPath</key><string>/</string>
<key>InstallProcessName</key><string>installer</string>
<key>PackageFileName</key><string>Microsoft_Teams.pkg</string>
<key>PackageIdentifier</key><string>com.microsoft.teams2</string>
<key>PackageVersion</key><string>25044.2208.3471</string>
</dict></plist>"#;
        let c = receipt(xml, "/var/db/receipts/com.microsoft.teams2.plist");
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        let p = &c.components[0];
        assert_eq!(p.id, "macos-pkg:com.microsoft.teams2@25044.2208.3471");
        assert_eq!(
            p.properties.get("install-date").map(String::as_str),
            Some("2026-03-02T09:14:11Z")
        );
        assert!(p
            .evidence
            .iter()
            .any(|e| e.kind == EvidenceKind::Url && e.value == "microsoft.com"));
    }

    /// Deterministic mutation of a real Info.plist, as XML and as a binary plist: no panic.
    #[test]
    fn mutated_plists_never_panic() {
        let xml: &[u8] = include_bytes!(
            "../../fixtures/macho/applications/Applications/terminal-notifier.app/Contents/Info.plist"
        );
        let mut binary = Vec::new();
        Value::from_reader(std::io::Cursor::new(xml))
            .unwrap()
            .to_writer_binary(&mut binary)
            .unwrap();
        let good = bundle(&binary, "/A.app/Contents/Info.plist");
        assert_eq!(good.components[0].version.as_deref(), Some("1.7.2"));
        let mut seed = 0x1234_5678_9abc_def1u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for base in [xml, binary.as_slice()] {
            for round in 0..crate::collectors::signature::fuzz_rounds(400) {
                let mut b = base.to_vec();
                for _ in 0..1 + (next() % 8) as usize {
                    let at = (next() as usize) % b.len();
                    b[at] = next() as u8;
                }
                if round % 5 == 0 {
                    b.truncate((next() as usize) % base.len());
                }
                let _ = bundle(&b, "/A.app/Contents/Info.plist");
                let _ = receipt(&b, "/var/db/receipts/x.plist");
            }
        }
    }

    #[test]
    fn broken_plists_are_errors() {
        let c = bundle(
            b"<?xml version=\"1.0\"?><plist><dict><key>x</key>",
            "/A.app/Contents/Info.plist",
        );
        assert_eq!(c.errors.len(), 1);
        assert!(c.components.is_empty());
        let c = receipt(
            b"<plist version=\"1.0\"><dict></dict></plist>",
            "/var/db/receipts/x.plist",
        );
        assert_eq!(c.errors.len(), 1);
        let c = bundle(b"bplist00\xff\xff", "/A.app/Contents/Info.plist");
        assert_eq!(c.errors.len(), 1);
    }
}
