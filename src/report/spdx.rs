//! SPDX 2.3 JSON output, rendered from the report model.
//!
//! Each component is a package with `supplier` (who ships it: the report's supplier, else the
//! vendor) and `originator` (the vendor) as `Organization: …`, its purl as a `PACKAGE-MANAGER`
//! external reference, and the attribution (origin, vendor, countries, owner, rules, evidence,
//! locations) as `OTHER` annotations whose comment is `sovscan:<name>=<value>` (see
//! [`super::props`]), which `scan --input` reads back. Relationships become `DEPENDS_ON` and
//! `CONTAINS`; the document `DESCRIBES` every package.
//!
//! The document namespace is a name-based UUID of the content, so the same report always gives
//! the same bytes. Reading SPDX is `crate::input`'s business, not this module's.

use super::props::facts;
use super::stream::{JsonStream, V5Hasher};
use crate::model::{Component, ComponentKind, Party, RelationshipKind, Report};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write;

const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x2c4a_8e57_1b0d_5f93_9a61_7d3e_44b8_c025);

/// Render a report as an SPDX 2.3 JSON document.
pub fn render(r: &Report) -> String {
    let mut out = Vec::new();
    // Writing into memory cannot fail.
    let _ = write(r, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Write a report as an SPDX 2.3 JSON document, one package and relationship at a time: a
/// first pass hashes the compact document for the namespace, the second writes it.
pub fn write(r: &Report, w: &mut dyn Write) -> std::io::Result<()> {
    let ids: BTreeMap<&str, String> = r
        .components
        .iter()
        .map(|c| (c.id.as_str(), spdx_id(&c.id)))
        .collect();
    let mut h = V5Hasher::new(&NAMESPACE);
    document(r, &ids, None, &mut JsonStream::new(&mut h, false))?;
    let ns = format!("https://spdx.org/spdxdocs/sovscan-{}", h.uuid());
    document(r, &ids, Some(&ns), &mut JsonStream::new(w, true))?;
    w.write_all(b"\n")
}

/// The document, its members in serde_json's (sorted) key order.
fn document(
    r: &Report,
    ids: &BTreeMap<&str, String>,
    namespace: Option<&str>,
    s: &mut JsonStream<'_>,
) -> std::io::Result<()> {
    let tool = format!("Tool: {}-{}", r.tool.name, r.tool.version);
    let name = match &r.scan.host {
        Some(h) => format!("sovscan {h}"),
        None => format!("sovscan {}", r.scan.roots.join(" ")),
    };
    let mut comment = format!(
        "sovscan report; rules {} ({})",
        r.tool.rules.version, r.tool.rules.digest
    );
    if let Some(h) = &r.scan.home {
        comment.push_str(&format!("; home {h}"));
    }
    s.begin_object()?;
    s.field("SPDXID", &"SPDXRef-DOCUMENT")?;
    s.field(
        "creationInfo",
        &json!({"created": r.scan.started, "creators": [tool], "comment": comment}),
    )?;
    s.field("dataLicense", &"CC0-1.0")?;
    if let Some(ns) = namespace {
        s.field("documentNamespace", &ns)?;
    }
    s.field("name", &name)?;
    s.key("packages")?;
    s.begin_array()?;
    for c in &r.components {
        s.value(&package(c, ids, &tool, &r.scan.started))?;
    }
    s.end_array()?;
    s.key("relationships")?;
    s.begin_array()?;
    for id in r.components.iter().filter_map(|c| ids.get(c.id.as_str())) {
        s.value(&json!({"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": id}))?;
    }
    for rel in &r.relationships {
        let (Some(from), Some(to)) = (ids.get(rel.from.as_str()), ids.get(rel.to.as_str())) else {
            continue;
        };
        let kind = match rel.kind {
            RelationshipKind::DependsOn => "DEPENDS_ON",
            RelationshipKind::Contains => "CONTAINS",
        };
        s.value(
            &json!({"spdxElementId": from, "relationshipType": kind, "relatedSpdxElement": to}),
        )?;
    }
    s.end_array()?;
    s.field("spdxVersion", &"SPDX-2.3")?;
    s.end_object()
}

/// An SPDX element id for a component id: letters, digits, `.` and `-` only, with a short hash
/// of the original id so that two ids that differ only in other characters stay distinct.
pub fn spdx_id(id: &str) -> String {
    let clean: String = id
        .chars()
        .take(80)
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || ch == '.' {
                ch
            } else {
                '-'
            }
        })
        .collect();
    let h = Sha256::digest(id.as_bytes());
    format!(
        "SPDXRef-{clean}-{:02x}{:02x}{:02x}{:02x}",
        h[0], h[1], h[2], h[3]
    )
}

/// `Organization: name`, with characters that SPDX's syntax gives meaning to taken out.
fn organization(p: &Party) -> String {
    let name: String = p
        .name
        .chars()
        .map(|ch| {
            if matches!(ch, '(' | ')' | '\n' | '\r') {
                ' '
            } else {
                ch
            }
        })
        .collect();
    format!("Organization: {}", crate::text::sanitize(&name))
}

fn purpose(c: &Component) -> &'static str {
    match c.kind {
        ComponentKind::Package
            if c.product
                .as_ref()
                .is_some_and(|p| p.category == "operating-system") =>
        {
            "OPERATING_SYSTEM"
        }
        ComponentKind::Package => "LIBRARY",
        ComponentKind::Binary => "FILE",
        ComponentKind::Application => "APPLICATION",
        ComponentKind::Firmware => "FIRMWARE",
        ComponentKind::Hardware => "DEVICE",
        ComponentKind::Inventory | ComponentKind::Certificate | ComponentKind::TrustStore => {
            "OTHER"
        }
    }
}

fn package(c: &Component, ids: &BTreeMap<&str, String>, tool: &str, date: &str) -> Value {
    let mut p = json!({
        "SPDXID": ids.get(c.id.as_str()).cloned().unwrap_or_else(|| spdx_id(&c.id)),
        "name": c.name,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "primaryPackagePurpose": purpose(c),
    });
    if let Some(v) = &c.version {
        p["versionInfo"] = Value::String(v.clone());
    }
    p["supplier"] = Value::String(
        c.supplier
            .as_deref()
            .or(c.vendor.as_deref())
            .map(organization)
            .unwrap_or_else(|| "NOASSERTION".into()),
    );
    p["originator"] = Value::String(
        c.vendor
            .as_deref()
            .map(organization)
            .unwrap_or_else(|| "NOASSERTION".into()),
    );
    if let Some(purl) = &c.purl {
        p["externalRefs"] = json!([{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": purl}]);
    }
    let mut notes: Vec<(String, String)> = facts(c);
    notes.extend(
        c.locations
            .iter()
            .map(|l| ("sovscan:location".to_owned(), l.clone())),
    );
    p["annotations"] = Value::Array(
        notes
            .into_iter()
            .map(|(k, v)| {
                json!({"annotationDate": date, "annotationType": "OTHER", "annotator": tool, "comment": format!("{k}={v}")})
            })
            .collect(),
    );
    p
}
