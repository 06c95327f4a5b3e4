//! .NET: `*.deps.json` dependency manifests written next to every built .NET (Core) application
//! and library (`Microsoft.Extensions.DependencyModel` format).
//!
//! Every entry of `libraries` is a component: `package` entries are NuGet packages,
//! `project` entries the application's own projects (property `library-type`). Dependency edges
//! come from the `targets` section (first target). Components: `nuget:<name>@<version>`, purl
//! `pkg:nuget/<name>@<version>`. Cap: 64 MiB per file.

use super::{meta, Candidate, Collected, Collector, Context};
use crate::model::{Relationship, RelationshipKind, ScanError};
use serde_json::Value;
use std::collections::HashMap;

const CAP: u64 = 64 << 20;

/// The .NET collector.
pub struct Dotnet;

impl Collector for Dotnet {
    fn id(&self) -> &'static str {
        "dotnet"
    }
    fn matches_path(&self, path: &str) -> bool {
        path.ends_with(".deps.json")
    }
    fn wants_owned(&self) -> bool {
        true
    }
    fn collect(&self, c: &Candidate<'_>, ctx: &Context<'_>) -> Collected {
        let text = match ctx.root.read_capped(c.path, CAP) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => return Collected::error(c.path, format!("cannot read: {e}")),
        };
        match serde_json::from_str::<Value>(text.trim_start_matches('\u{feff}')) {
            Ok(v) => parse_deps(&v, c.path),
            Err(e) => Collected::error(c.path, format!("invalid deps.json: {e}")),
        }
    }
}

/// Components and edges of a parsed deps.json.
pub fn parse_deps(v: &Value, at: &str) -> Collected {
    let mut out = Collected::default();
    let Some(libs) = v["libraries"].as_object() else {
        return Collected::error(at, "deps.json without libraries");
    };
    let mut ids: HashMap<String, String> = HashMap::new();
    for (key, lib) in libs {
        let Some((name, version)) = key.split_once('/') else {
            out.errors.push(ScanError::new(
                at,
                format!("library key {key:?} is not name/version"),
            ));
            continue;
        };
        let purl = meta::purl("nuget", None, name, Some(version));
        let mut comp = meta::package("nuget", name, Some(version), at, purl);
        if let Some(t) = lib["type"].as_str() {
            comp.set_property("library-type", t);
        }
        if let Some(h) = lib["sha512"].as_str() {
            comp.set_property("sha512", h);
        }
        ids.insert(name.to_ascii_lowercase(), comp.id.clone());
        out.components.push(comp);
    }
    let target = v["targets"]
        .as_object()
        .and_then(|t| t.values().next())
        .and_then(Value::as_object);
    for (key, entry) in target.into_iter().flatten() {
        let Some(from) = key
            .split_once('/')
            .and_then(|(n, _)| ids.get(&n.to_ascii_lowercase()))
        else {
            continue;
        };
        for dep in entry["dependencies"]
            .as_object()
            .into_iter()
            .flat_map(|d| d.keys())
        {
            if let Some(to) = ids.get(&dep.to_ascii_lowercase()) {
                out.relationships.push(Relationship {
                    from: from.clone(),
                    to: to.clone(),
                    kind: RelationshipKind::DependsOn,
                });
            }
        }
    }
    out
}
