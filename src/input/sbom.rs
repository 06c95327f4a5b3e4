//! CycloneDX (1.2–1.7) and SPDX 2.x JSON SBOMs from other tools (syft, Trivy, cdxgen…) and from
//! sovscan itself.
//!
//! Read untyped (`serde_json::Value`), so an SBOM with fields this module does not know, or with
//! one broken component, still yields everything else. What becomes evidence:
//! - CycloneDX `manufacturer` / `manufacture`, `supplier`, `publisher`, `author`, `authors`
//!   names → company names (the `supplier` is read as the distributor when a maker is also
//!   named, since SBOM tools often put the distribution there); their `url` and contacts'
//!   e-mail → URLs and e-mails; `externalReferences` of type website/vcs → URLs; the purl's
//!   namespace → Java groupId, npm scope or Go module; `group` likewise.
//! - SPDX `originator` → company name, `supplier` → company name or distributor (as above),
//!   `homepage` and a `downloadLocation` URL → URLs; purl external references as above.
//! - `sovscan:*` properties (CycloneDX) or annotations (SPDX) written by sovscan: the original
//!   id, kind, ecosystem, evidence, properties and locations, so that a sovscan SBOM loads back
//!   without loss; the evidence then stands for the maker fields.
//!
//! `dependencies` / `DEPENDS_ON` and nested components / `CONTAINS` become relationships.
//! Caps: nesting depth [`MAX_DEPTH`], [`MAX_COMPONENTS`] components per document.

use crate::collectors::Collected;
use crate::model::{
    Component, ComponentKind, EvidenceKind, Relationship, RelationshipKind, ScanError,
};
use serde_json::Value;
use std::collections::HashMap;

/// Deepest component nesting followed.
pub const MAX_DEPTH: usize = 32;
/// Most components read from one document.
pub const MAX_COMPONENTS: usize = 1_000_000;

/// One component as read, before it is built.
#[derive(Default)]
struct Raw {
    name: String,
    version: Option<String>,
    purl: Option<String>,
    kind: Option<ComponentKind>,
    /// The document's own reference (bom-ref, SPDXID).
    reference: String,
    /// Maker and supplier facts.
    makers: Vec<(EvidenceKind, String)>,
    locations: Vec<String>,
    /// `sovscan:*` facts.
    facts: Vec<(String, String)>,
}

fn s(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// A CycloneDX organizational entity: name, urls, contact e-mails.
fn entity(v: &Value, kind: EvidenceKind, out: &mut Vec<(EvidenceKind, String)>) {
    if let Some(n) = s(v, "name") {
        out.push((kind, n));
    }
    for u in arr(v, "url").iter().filter_map(Value::as_str) {
        out.push((EvidenceKind::Url, u.to_owned()));
    }
    for c in arr(v, "contact") {
        if let Some(e) = s(c, "email") {
            out.push((EvidenceKind::Email, e));
        }
    }
}

/// An author string `Name <mail>` or a CycloneDX `authors` entry.
fn person(text: &str, out: &mut Vec<(EvidenceKind, String)>) {
    match crate::rules::matcher::email_address(text) {
        Some(mail) => {
            out.push((EvidenceKind::Email, mail.to_owned()));
            let name = text.split('<').next().unwrap_or("").trim();
            if !name.is_empty() && !name.contains('@') {
                out.push((EvidenceKind::CompanyName, name.to_owned()));
            }
        }
        None => out.push((EvidenceKind::CompanyName, text.to_owned())),
    }
}

/// Read a CycloneDX JSON document.
pub fn cyclonedx(doc: &Value, src: &str) -> Collected {
    let mut raws: Vec<Raw> = Vec::new();
    let mut contains: Vec<(String, String)> = Vec::new();
    let mut errors: Vec<ScanError> = Vec::new();
    let mut stack: Vec<(&Value, usize, Option<String>, String)> = arr(doc, "components")
        .iter()
        .enumerate()
        .rev()
        .map(|(i, c)| (c, 0, None, format!("/components/{i}")))
        .collect();
    while let Some((c, depth, parent, ptr)) = stack.pop() {
        if raws.len() >= MAX_COMPONENTS {
            errors.push(ScanError::new(
                src,
                format!("more than {MAX_COMPONENTS} components; the rest were not read"),
            ));
            break;
        }
        match cdx_component(c) {
            Some(raw) => {
                if let Some(p) = &parent {
                    contains.push((p.clone(), raw.reference.clone()));
                }
                let me = raw.reference.clone();
                raws.push(raw);
                let kids = arr(c, "components");
                if !kids.is_empty() && depth + 1 >= MAX_DEPTH {
                    errors.push(ScanError::new(
                        src,
                        format!("{ptr}: components nested deeper than {MAX_DEPTH}, not read"),
                    ));
                    continue;
                }
                for (i, k) in kids.iter().enumerate().rev() {
                    stack.push((
                        k,
                        depth + 1,
                        Some(me.clone()),
                        format!("{ptr}/components/{i}"),
                    ));
                }
            }
            None => errors.push(ScanError::new(
                src,
                format!("{ptr}: component without a name, skipped"),
            )),
        }
    }
    let mut depends: Vec<(String, String)> = Vec::new();
    for d in arr(doc, "dependencies") {
        let Some(from) = s(d, "ref") else { continue };
        for to in arr(d, "dependsOn").iter().filter_map(Value::as_str) {
            depends.push((from.clone(), to.to_owned()));
        }
    }
    finish(raws, depends, contains, errors, src)
}

fn cdx_component(c: &Value) -> Option<Raw> {
    let name = s(c, "name")?;
    let mut raw = Raw {
        version: s(c, "version"),
        purl: s(c, "purl"),
        kind: s(c, "type").map(|t| match t.as_str() {
            "application" => ComponentKind::Application,
            "firmware" => ComponentKind::Firmware,
            "device" => ComponentKind::Hardware,
            "file" => ComponentKind::Binary,
            _ => ComponentKind::Package,
        }),
        reference: s(c, "bom-ref").unwrap_or_else(|| name.clone()),
        name,
        ..Raw::default()
    };
    let maker_named = c.get("manufacturer").is_some()
        || c.get("manufacture").is_some()
        || c.get("authors").is_some()
        || c.get("author").is_some()
        || c.get("publisher").is_some();
    for key in ["manufacturer", "manufacture"] {
        if let Some(m) = c.get(key) {
            entity(m, EvidenceKind::CompanyName, &mut raw.makers);
        }
    }
    if let Some(sup) = c.get("supplier") {
        let kind = if maker_named {
            EvidenceKind::Distributor
        } else {
            EvidenceKind::CompanyName
        };
        entity(sup, kind, &mut raw.makers);
    }
    // For distribution packages, syft and Trivy put the package maintainer in `publisher` or
    // `author`: a packager, not the maker, so it is weak maintainer evidence there.
    let distro_pkg = raw.purl.as_deref().is_some_and(|p| {
        ["pkg:deb/", "pkg:apk/", "pkg:alpm/"]
            .iter()
            .any(|t| p.starts_with(t))
    });
    for key in ["publisher", "author"] {
        if let Some(t) = s(c, key) {
            if distro_pkg {
                raw.makers.push((EvidenceKind::Maintainer, t));
            } else {
                person(&t, &mut raw.makers);
            }
        }
    }
    for a in arr(c, "authors") {
        if let Some(n) = s(a, "name") {
            raw.makers.push((EvidenceKind::CompanyName, n));
        }
        if let Some(e) = s(a, "email") {
            raw.makers.push((EvidenceKind::Email, e));
        }
    }
    if let Some(g) = s(c, "group") {
        let kind = if g.starts_with('@') {
            EvidenceKind::NpmScope
        } else {
            EvidenceKind::JavaGroupId
        };
        raw.makers.push((kind, g));
    }
    for r in arr(c, "externalReferences") {
        if matches!(s(r, "type").as_deref(), Some("website" | "vcs")) {
            if let Some(u) = s(r, "url") {
                raw.makers.push((EvidenceKind::Url, u));
            }
        }
    }
    if let Some(ev) = c.get("evidence") {
        for o in arr(ev, "occurrences") {
            if let Some(l) = s(o, "location") {
                raw.locations.push(l);
            }
        }
    }
    for p in arr(c, "properties") {
        if let (Some(n), Some(v)) = (s(p, "name"), s(p, "value")) {
            if n.starts_with(crate::report::props::PREFIX) {
                raw.facts.push((n, v));
            } else if n.starts_with("syft:location:") && n.ends_with(":path") {
                // syft writes locations as properties, not as evidence occurrences.
                raw.locations.push(v);
            }
        }
    }
    Some(raw)
}

/// `Organization: Name (mail)` / `Person: …` / `NOASSERTION` → name and e-mail.
fn spdx_party(text: &str) -> Option<(String, Option<String>)> {
    let t = text.trim();
    if t.is_empty() || t == "NOASSERTION" || t == "NONE" {
        return None;
    }
    let body = t
        .split_once(':')
        .filter(|(k, _)| matches!(k.trim(), "Organization" | "Person" | "Tool"))
        .map(|(_, b)| b)
        .unwrap_or(t);
    let body = body.trim();
    if let Some(open) = body.rfind('(') {
        let inner = body[open + 1..].trim_end_matches(')').trim();
        if inner.contains('@') || inner.is_empty() {
            let name = body[..open].trim().to_owned();
            return (!name.is_empty())
                .then(|| (name, (!inner.is_empty()).then(|| inner.to_owned())));
        }
    }
    Some((body.to_owned(), None))
}

/// Read an SPDX 2.x JSON document.
pub fn spdx(doc: &Value, src: &str) -> Collected {
    let mut raws: Vec<Raw> = Vec::new();
    let mut errors: Vec<ScanError> = Vec::new();
    for (i, p) in arr(doc, "packages").iter().enumerate() {
        if raws.len() >= MAX_COMPONENTS {
            errors.push(ScanError::new(
                src,
                format!("more than {MAX_COMPONENTS} packages; the rest were not read"),
            ));
            break;
        }
        let Some(name) = s(p, "name") else {
            errors.push(ScanError::new(
                src,
                format!("/packages/{i}: package without a name, skipped"),
            ));
            continue;
        };
        let mut raw = Raw {
            version: s(p, "versionInfo"),
            reference: s(p, "SPDXID").unwrap_or_else(|| name.clone()),
            kind: s(p, "primaryPackagePurpose").map(|t| match t.as_str() {
                "APPLICATION" => ComponentKind::Application,
                "FIRMWARE" => ComponentKind::Firmware,
                "DEVICE" => ComponentKind::Hardware,
                "FILE" => ComponentKind::Binary,
                _ => ComponentKind::Package,
            }),
            name,
            ..Raw::default()
        };
        for r in arr(p, "externalRefs") {
            if s(r, "referenceType").as_deref() == Some("purl") && raw.purl.is_none() {
                raw.purl = s(r, "referenceLocator");
            }
        }
        let originator = s(p, "originator").and_then(|o| spdx_party(&o));
        let maker_named = originator.is_some();
        if let Some((n, mail)) = originator {
            raw.makers.push((EvidenceKind::CompanyName, n));
            raw.makers.extend(mail.map(|m| (EvidenceKind::Email, m)));
        }
        if let Some((n, mail)) = s(p, "supplier").and_then(|o| spdx_party(&o)) {
            let kind = if maker_named {
                EvidenceKind::Distributor
            } else {
                EvidenceKind::CompanyName
            };
            raw.makers.push((kind, n));
            raw.makers.extend(mail.map(|m| (EvidenceKind::Email, m)));
        }
        for key in ["homepage", "downloadLocation"] {
            if let Some(u) = s(p, key).filter(|u| u.contains("://")) {
                raw.makers.push((EvidenceKind::Url, u));
            }
        }
        for a in arr(p, "annotations") {
            let Some(c) = s(a, "comment") else { continue };
            if let Some((k, v)) = c.split_once('=') {
                if k.starts_with(crate::report::props::PREFIX) {
                    raw.facts.push((k.to_owned(), v.to_owned()));
                }
            }
        }
        raws.push(raw);
    }
    let (mut depends, mut contains) = (Vec::new(), Vec::new());
    for r in arr(doc, "relationships") {
        let (Some(a), Some(t), Some(b)) = (
            s(r, "spdxElementId"),
            s(r, "relationshipType"),
            s(r, "relatedSpdxElement"),
        ) else {
            continue;
        };
        match t.as_str() {
            "DEPENDS_ON" => depends.push((a, b)),
            "DEPENDENCY_OF" => depends.push((b, a)),
            "CONTAINS" => contains.push((a, b)),
            "CONTAINED_BY" => contains.push((b, a)),
            _ => {}
        }
    }
    finish(raws, depends, contains, errors, src)
}

/// purl → (type, namespace, name).
fn purl_parts(purl: &str) -> Option<(String, Option<String>, String)> {
    let p: packageurl::PackageUrl<'_> = purl.parse().ok()?;
    Some((
        p.ty().to_owned(),
        p.namespace().map(str::to_owned),
        p.name().to_owned(),
    ))
}

fn build(raw: Raw, src: &str) -> Component {
    let at = format!("{src}#{}", raw.reference);
    let parts = raw.purl.as_deref().and_then(purl_parts);
    let fact = |k: &str| {
        raw.facts
            .iter()
            .find(|(n, _)| n.strip_prefix(crate::report::props::PREFIX) == Some(k))
            .map(|(_, v)| v.clone())
    };
    let kind = fact("kind")
        .and_then(|k| serde_json::from_value::<ComponentKind>(Value::String(k)).ok())
        .or(raw.kind)
        .unwrap_or(ComponentKind::Package);
    let ecosystem = fact("ecosystem").or_else(|| parts.as_ref().map(|(t, _, _)| t.clone()));
    let mut c = Component::new(
        kind,
        ecosystem.as_deref(),
        &raw.name,
        raw.version.as_deref(),
    );
    if let Some(id) = fact("id") {
        c.id = crate::text::sanitize(&id);
    }
    c.purl = raw.purl.clone();
    if let Some(n) = fact("count").and_then(|n| n.parse().ok()) {
        c.count = Some(n);
    }
    let mut own_evidence = false;
    for (k, v) in &raw.facts {
        let Some(k) = k.strip_prefix(crate::report::props::PREFIX) else {
            continue;
        };
        if let Some(kind) = k.strip_prefix("evidence:") {
            if let Ok(kind) = serde_json::from_value::<EvidenceKind>(Value::String(kind.to_owned()))
            {
                c.add_evidence(kind, v, &at);
                own_evidence = true;
            }
        } else if let Some(p) = k.strip_prefix("property:") {
            c.set_property(p, v);
        } else if k == "location" {
            c.locations.push(crate::text::sanitize(v));
        } else if k == "root" {
            c.root = Some(crate::text::sanitize(v));
        } else if k == "part-of" {
            c.part_of = Some(crate::text::sanitize(v));
        }
    }
    if !own_evidence {
        for (kind, v) in &raw.makers {
            c.add_evidence(*kind, v, &at);
        }
        if let Some((ty, ns, name)) = &parts {
            c.add_evidence(EvidenceKind::PackageName, format!("{ty}:{name}"), &at);
            match (ty.as_str(), ns) {
                ("maven", Some(ns)) => c.add_evidence(EvidenceKind::JavaGroupId, ns, &at),
                ("npm", Some(ns)) => c.add_evidence(EvidenceKind::NpmScope, ns, &at),
                ("golang", Some(ns)) => {
                    c.add_evidence(EvidenceKind::GoModule, format!("{ns}/{name}"), &at)
                }
                ("github" | "gitlab" | "bitbucket", Some(ns)) => c.add_evidence(
                    EvidenceKind::Url,
                    format!("https://{ty}.com/{ns}/{name}"),
                    &at,
                ),
                _ => {}
            }
        } else if raw.purl.is_none() {
            c.add_evidence(
                EvidenceKind::PackageName,
                format!(
                    "{}:{}",
                    ecosystem.as_deref().unwrap_or("cyclonedx"),
                    raw.name.to_lowercase()
                ),
                &at,
            );
        }
    }
    if c.locations.is_empty() {
        c.locations = raw
            .locations
            .iter()
            .map(|l| crate::text::sanitize(l))
            .collect();
    }
    if c.locations.is_empty() {
        c.locations.push(crate::text::sanitize(src));
    }
    c
}

fn finish(
    raws: Vec<Raw>,
    depends: Vec<(String, String)>,
    contains: Vec<(String, String)>,
    errors: Vec<ScanError>,
    src: &str,
) -> Collected {
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut components = Vec::with_capacity(raws.len());
    for raw in raws {
        let reference = raw.reference.clone();
        let c = build(raw, src);
        ids.entry(reference).or_insert_with(|| c.id.clone());
        components.push(c);
    }
    let mut relationships = Vec::new();
    for (list, kind) in [
        (depends, RelationshipKind::DependsOn),
        (contains, RelationshipKind::Contains),
    ] {
        for (a, b) in list {
            if let (Some(from), Some(to)) = (ids.get(&a), ids.get(&b)) {
                relationships.push(Relationship {
                    from: from.clone(),
                    to: to.clone(),
                    kind,
                });
            }
        }
    }
    Collected {
        components,
        errors,
        relationships,
        ..Collected::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spdx_parties() {
        assert_eq!(
            spdx_party("Organization: ACME (Beijing) Co."),
            Some(("ACME (Beijing) Co.".into(), None))
        );
        assert_eq!(
            spdx_party("Person: Jane Doe (jane@acme.test)"),
            Some(("Jane Doe".into(), Some("jane@acme.test".into())))
        );
        assert_eq!(spdx_party("NOASSERTION"), None);
    }

    #[test]
    fn broken_components_do_not_stop_the_rest() {
        let doc: Value = serde_json::from_str(
            r#"{"bomFormat":"CycloneDX","components":[{"type":"library"},{"name":"ok","version":"1","purl":"pkg:npm/%40acme/ok@1"}, 7]}"#,
        )
        .unwrap();
        let got = cyclonedx(&doc, "x.json");
        assert_eq!(got.components.len(), 1);
        assert_eq!(got.components[0].id, "npm:ok@1");
        assert!(got.components[0]
            .evidence
            .iter()
            .any(|e| e.kind == EvidenceKind::NpmScope && e.value == "@acme"));
        assert_eq!(got.errors.len(), 2, "{:?}", got.errors);
    }
}
