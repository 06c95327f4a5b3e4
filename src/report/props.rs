//! The `sovscan:*` name/value facts that the SBOM formats (CycloneDX properties, SPDX
//! annotations) carry for each component, so that another tool sees the attribution and
//! `scan --input` can load a sovscan SBOM back without losing the evidence behind it.
//!
//! Names are stable: `sovscan:root`, `sovscan:found-by`, `sovscan:part-of`, `sovscan:origin`, `sovscan:vendor`, `sovscan:ultimate-owner`,
//! `sovscan:board`, `sovscan:rule`, `sovscan:confidence`, `sovscan:evidence:<kind>`,
//! `sovscan:property:<key>`…

use crate::model::{owner_country, Component};

/// The prefix of every fact name.
pub const PREFIX: &str = "sovscan:";

/// The facts of one component, in a stable order.
pub fn facts(c: &Component) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut put = |k: &str, v: &str| {
        if !v.is_empty() {
            out.push((format!("{PREFIX}{k}"), v.to_owned()));
        }
    };
    put("id", &c.id);
    put("kind", kind_str(c));
    if let Some(e) = &c.ecosystem {
        put("ecosystem", e);
    }
    if let Some(r) = &c.root {
        put("root", r);
    }
    if let Some(f) = &c.found_by {
        put("found-by", f);
    }
    if let Some(p) = &c.part_of {
        put("part-of", p);
    }
    if let Some(o) = c.origin {
        put("origin", o.as_str());
    }
    if let Some(v) = &c.vendor {
        put("vendor", &v.id);
        put("vendor-name", &v.name);
        if let Some(cc) = &v.country {
            put("vendor-country", cc);
        }
        if let Some(o) = &v.ultimate_owner {
            put("ultimate-owner", o);
        }
        if let Some(cc) = owner_country(v) {
            put("owner-country", &cc);
        }
    }
    if let Some(s) = &c.supplier {
        put("supplier", &s.id);
    }
    if let Some(b) = &c.board {
        put("board", &b.id);
        if let Some(cc) = &b.country {
            put("board-country", cc);
        }
    }
    if let Some(cat) = c.category_id() {
        put("category", cat);
    }
    if let Some(p) = &c.product {
        put("product", &p.id);
        if let Some(cr) = &p.criticality {
            put("criticality", cr);
        }
    }
    put("confidence", &format!("{:.2}", c.confidence));
    if let Some(n) = c.count {
        put("count", &n.to_string());
    }
    let mut rules: Vec<&str> = c
        .evidence
        .iter()
        .filter_map(|e| e.rule.as_deref())
        .collect();
    rules.sort_unstable();
    rules.dedup();
    for r in rules {
        put("rule", r);
    }
    for e in &c.evidence {
        put(&format!("evidence:{}", e.kind.as_str()), &e.value);
    }
    for (k, v) in &c.properties {
        put(&format!("property:{k}"), v);
    }
    out
}

/// The kebab-case component kind.
pub fn kind_str(c: &Component) -> &'static str {
    use crate::model::ComponentKind as K;
    match c.kind {
        K::Package => "package",
        K::Binary => "binary",
        K::Application => "application",
        K::Firmware => "firmware",
        K::Hardware => "hardware",
        K::Inventory => "inventory",
        K::Certificate => "certificate",
        K::TrustStore => "trust-store",
    }
}
