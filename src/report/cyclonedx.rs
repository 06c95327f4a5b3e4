//! CycloneDX JSON output (1.6, or 1.5 on request), rendered from the report model.
//!
//! Each component carries `supplier` (who ships it: the report's supplier, else the vendor) and,
//! in 1.6, `manufacturer` (the vendor) as organizational entities with `address.country`; 1.5
//! has no manufacturer nor postal address, so the vendor goes to `publisher` and the countries
//! to properties. `evidence` holds identity (how the component was recognised) and occurrences
//! (its locations); the attribution travels as `sovscan:*` properties (see [`super::props`]).
//! `depends-on` relationships become `dependencies`.
//!
//! The serial number is a name-based (v5) UUID of the rest of the document, so the same report
//! always gives the same bytes. This module does not read CycloneDX: `crate::input` does.

use super::props::facts;
use super::stream::{JsonStream, V5Hasher};
use super::CycloneDxVersion;
use crate::model::{Component, ComponentKind, Party, RelationshipKind, Report};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::io::Write;

/// The namespace of sovscan's name-based UUIDs (a fixed value chosen once; never change it).
const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6f1b_2d1c_95a4_5d7e_8a3e_2b5f_0c9d_4e11);

/// Render a report as a CycloneDX JSON document.
pub fn render(r: &Report, version: CycloneDxVersion) -> String {
    let mut out = Vec::new();
    // Writing into memory cannot fail.
    let _ = write(r, version, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Write a report as a CycloneDX JSON document, one component at a time: a first pass over the
/// components hashes the compact document for the serial number, the second writes it.
pub fn write(r: &Report, version: CycloneDxVersion, w: &mut dyn Write) -> std::io::Result<()> {
    let dependencies = dependencies(r);
    let mut h = V5Hasher::new(&NAMESPACE);
    document(
        r,
        version,
        &dependencies,
        None,
        &mut JsonStream::new(&mut h, false),
    )?;
    let serial = format!("urn:uuid:{}", h.uuid());
    document(
        r,
        version,
        &dependencies,
        Some(&serial),
        &mut JsonStream::new(w, true),
    )?;
    w.write_all(b"\n")
}

/// `depends-on` relationships between listed components, by component, sorted.
fn dependencies(r: &Report) -> Vec<Value> {
    let mut deps: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for c in &r.components {
        deps.entry(c.id.as_str()).or_default();
    }
    for rel in &r.relationships {
        if rel.kind == RelationshipKind::DependsOn && deps.contains_key(rel.to.as_str()) {
            if let Some(d) = deps.get_mut(rel.from.as_str()) {
                d.push(rel.to.as_str());
            }
        }
    }
    deps.into_iter()
        .filter(|(_, to)| !to.is_empty())
        .map(|(from, mut to)| {
            to.sort_unstable();
            to.dedup();
            json!({"ref": from, "dependsOn": to})
        })
        .collect()
}

/// The document, its members in serde_json's (sorted) key order.
fn document(
    r: &Report,
    version: CycloneDxVersion,
    dependencies: &[Value],
    serial: Option<&str>,
    s: &mut JsonStream<'_>,
) -> std::io::Result<()> {
    let spec = match version {
        CycloneDxVersion::V1_5 => "1.5",
        CycloneDxVersion::V1_6 => "1.6",
    };
    let mut meta_props = vec![prop("sovscan:schema", &r.schema)];
    if let Some(h) = &r.scan.home {
        meta_props.push(prop("sovscan:home", h));
    }
    meta_props.push(prop("sovscan:rules-version", &r.tool.rules.version));
    meta_props.push(prop("sovscan:rules-digest", &r.tool.rules.digest));
    if let Some(h) = &r.scan.host {
        meta_props.push(prop("sovscan:host", h));
    }
    for root in &r.scan.roots {
        meta_props.push(prop("sovscan:root", root));
    }
    s.begin_object()?;
    s.field(
        "$schema",
        &format!("http://cyclonedx.org/schema/bom-{spec}.schema.json"),
    )?;
    s.field("bomFormat", &"CycloneDX")?;
    s.key("components")?;
    s.begin_array()?;
    for c in &r.components {
        s.value(&component(c, version))?;
    }
    s.end_array()?;
    if !dependencies.is_empty() {
        s.field("dependencies", &dependencies)?;
    }
    s.field(
        "metadata",
        &json!({
            "timestamp": r.scan.started,
            "tools": {"components": [{
                "type": "application",
                "name": r.tool.name,
                "version": r.tool.version,
            }]},
            "properties": meta_props,
        }),
    )?;
    if let Some(serial) = serial {
        s.field("serialNumber", &serial)?;
    }
    s.field("specVersion", &spec)?;
    s.field("version", &1)?;
    s.end_object()
}

fn prop(name: &str, value: &str) -> Value {
    json!({"name": name, "value": value})
}

/// The CycloneDX component type for a sovscan component.
fn cdx_type(c: &Component) -> &'static str {
    match c.kind {
        ComponentKind::Package => match c.ecosystem.as_deref() {
            Some("deb" | "rpm" | "apk")
                if c.product
                    .as_ref()
                    .is_some_and(|p| p.category == "operating-system") =>
            {
                "operating-system"
            }
            _ => "library",
        },
        ComponentKind::Binary => "file",
        ComponentKind::Application => "application",
        ComponentKind::Firmware => "firmware",
        ComponentKind::Hardware => "device",
        // `cryptographic-asset` exists only from CycloneDX 1.6; `data` is valid in 1.5 too.
        ComponentKind::Certificate | ComponentKind::TrustStore => "data",
        ComponentKind::Inventory => {
            let k = c
                .properties
                .get("inventory-kind")
                .map(|s| s.to_ascii_lowercase())
                .unwrap_or_default();
            if [
                "hardware",
                "server",
                "device",
                "switch",
                "router",
                "firewall",
                "storage",
                "network",
                "appliance",
            ]
            .iter()
            .any(|h| k.contains(h))
            {
                "device"
            } else {
                "application"
            }
        }
    }
}

fn technique(c: &Component) -> &'static str {
    match c.kind {
        ComponentKind::Package => "manifest-analysis",
        ComponentKind::Binary | ComponentKind::Firmware | ComponentKind::Application => {
            "binary-analysis"
        }
        ComponentKind::Hardware => "instrumentation",
        ComponentKind::Certificate | ComponentKind::TrustStore => "manifest-analysis",
        ComponentKind::Inventory => "other",
    }
}

fn entity(p: &Party, version: CycloneDxVersion) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), Value::String(p.name.clone()));
    if version == CycloneDxVersion::V1_6 {
        if let Some(cc) = &p.country {
            m.insert("address".into(), json!({"country": cc}));
        }
    }
    Value::Object(m)
}

fn component(c: &Component, version: CycloneDxVersion) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), Value::String(cdx_type(c).into()));
    m.insert("bom-ref".into(), Value::String(c.id.clone()));
    if let Some(s) = c.supplier.as_deref().or(c.vendor.as_deref()) {
        m.insert("supplier".into(), entity(s, version));
    }
    if let Some(v) = &c.vendor {
        match version {
            CycloneDxVersion::V1_6 => {
                m.insert("manufacturer".into(), entity(v, version));
            }
            CycloneDxVersion::V1_5 => {
                m.insert("publisher".into(), Value::String(v.name.clone()));
            }
        }
    }
    m.insert("name".into(), Value::String(c.name.clone()));
    if let Some(v) = &c.version {
        m.insert("version".into(), Value::String(v.clone()));
    }
    if let Some(p) = &c.purl {
        m.insert("purl".into(), Value::String(p.clone()));
    }
    let (field, concluded) = match &c.purl {
        Some(p) => ("purl", p.clone()),
        None => ("name", c.name.clone()),
    };
    let methods: Vec<Value> = c
        .locations
        .iter()
        .take(1)
        .map(|l| json!({"technique": technique(c), "confidence": 1.0, "value": l}))
        .collect();
    let mut identity = json!({"field": field, "confidence": 1.0});
    if version == CycloneDxVersion::V1_6 {
        identity["concludedValue"] = Value::String(concluded);
    }
    if !methods.is_empty() {
        identity["methods"] = Value::Array(methods);
    }
    let mut evidence = Map::new();
    evidence.insert(
        "identity".into(),
        match version {
            CycloneDxVersion::V1_6 => Value::Array(vec![identity]),
            CycloneDxVersion::V1_5 => identity,
        },
    );
    if !c.locations.is_empty() {
        let occ: Vec<Value> = c.locations.iter().map(|l| json!({"location": l})).collect();
        evidence.insert("occurrences".into(), Value::Array(occ));
    }
    m.insert("evidence".into(), Value::Object(evidence));
    let mut props: Vec<Value> = facts(c).iter().map(|(k, v)| prop(k, v)).collect();
    if version == CycloneDxVersion::V1_5 {
        if let Some(s) = c
            .supplier
            .as_deref()
            .or(c.vendor.as_deref())
            .and_then(|s| s.country.clone())
        {
            props.push(prop("sovscan:supplier-country", &s));
        }
    }
    m.insert("properties".into(), Value::Array(props));
    Value::Object(m)
}
