//! Cargo (Rust): `Cargo.lock` anywhere, and for a directory that also has `Cargo.toml`, the
//! resolved graph from `cargo metadata` when `cargo` is on PATH.
//!
//! `cargo metadata` runs offline and locked (`--offline --locked --format-version 1`, with
//! `CARGO_NET_OFFLINE=true`), so it never touches the network and never writes `Cargo.lock`.
//! It reads only manifests; to keep the scanned tree's `.cargo/config.toml` from running a
//! program, `RUSTC` is pinned to `rustc` and `RUSTC_WRAPPER`/`RUSTC_WORKSPACE_WRAPPER` are
//! cleared. When it cannot run (no cargo, crates not in the local cache, a stale lock), the
//! lock file is used and the report says so: an `errors` entry and the component property
//! `cargo-source: Cargo.lock`. Lock files under `.cargo/registry/` and `.cargo/git/` are the
//! sources of downloaded crates, not installed software, and are skipped.
//!
//! Components: `cargo:<name>@<version>`, purl `pkg:cargo/<name>@<version>`; dependency edges
//! from the lock's `dependencies` or the metadata's `resolve`. Evidence (metadata only):
//! repository and homepage URLs, authors' e-mails. Cap: `Cargo.lock` 64 MiB.

use super::{meta, Candidate, Collected, Collector, Context, Phase};
use crate::model::EvidenceKind;
use crate::model::{Component, Relationship, RelationshipKind, ScanError};
use std::collections::HashMap;

const LOCK_CAP: u64 = 64 << 20;

/// The Cargo collector.
pub struct Cargo;

impl Collector for Cargo {
    fn id(&self) -> &'static str {
        "cargo"
    }
    fn reads(&self) -> &'static str {
        "`Cargo.lock` anywhere; with `Cargo.toml` next to it and `cargo` on PATH, `cargo metadata --offline --locked` (never the network; falls back to the lock and says so)"
    }
    fn emits(&self) -> &'static [EvidenceKind] {
        &[
            EvidenceKind::Email,
            EvidenceKind::Maintainer,
            EvidenceKind::PackageName,
            EvidenceKind::Url,
        ]
    }
    fn phase(&self) -> Phase {
        Phase::Database
    }
    fn matches_path(&self, path: &str) -> bool {
        path.ends_with("/Cargo.lock")
            && !path.contains("/.cargo/registry/")
            && !path.contains("/.cargo/git/")
    }
    fn collect(&self, c: &Candidate<'_>, ctx: &Context<'_>) -> Collected {
        let dir = c.path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        let manifest = format!("{dir}/Cargo.toml");
        let mut fallback_reason = None;
        // `cargo metadata` runs on host files only: an image's tree is in memory.
        if !ctx.root.is_memory() && ctx.root.is_file(&manifest) {
            if let Some(host_manifest) = c.host.parent().map(|d| d.join("Cargo.toml")) {
                match metadata(&host_manifest, c.path) {
                    Ok(out) => return out,
                    Err(e) => fallback_reason = Some(e),
                }
            }
        }
        let text = match c.text("Cargo.lock", LOCK_CAP) {
            Ok(t) => t,
            Err(e) => return e,
        };
        let mut out = parse_lock(&text, c.path);
        if let Some(reason) = fallback_reason {
            out.errors.push(ScanError::new(
                &manifest,
                format!("cargo metadata not used, read Cargo.lock instead: {reason}"),
            ));
            for comp in &mut out.components {
                comp.set_property("cargo-source", "Cargo.lock");
            }
        }
        out
    }
}

/// A crate component (see [`meta::crate_component`]).
pub fn component(name: &str, version: &str, source: Option<&str>, at: &str) -> Component {
    meta::crate_component(name, version, source, at)
}

fn edge(out: &mut Collected, from: &str, to: &str) {
    if from != to {
        out.relationships.push(Relationship {
            from: from.to_owned(),
            to: to.to_owned(),
            kind: RelationshipKind::DependsOn,
        });
    }
}

/// Parse a `Cargo.lock` (format v1–v4) into packages and edges.
pub fn parse_lock(text: &str, at: &str) -> Collected {
    #[derive(serde::Deserialize)]
    struct Lock {
        #[serde(default)]
        package: Vec<Pkg>,
    }
    #[derive(serde::Deserialize)]
    struct Pkg {
        name: String,
        version: String,
        source: Option<String>,
        #[serde(default)]
        dependencies: Vec<String>,
    }
    let mut out = Collected::default();
    let lock: Lock = match toml::from_str(text) {
        Ok(l) => l,
        Err(e) => {
            // A damaged lock: keep every `[[package]]` table that still parses on its own.
            let package: Vec<Pkg> = text
                .split("\n[[package]]")
                .skip(1)
                .filter_map(|chunk| toml::from_str::<Lock>(&format!("[[package]]{chunk}")).ok())
                .flat_map(|l| l.package)
                .collect();
            out.errors.push(ScanError::new(
                at,
                format!(
                    "invalid Cargo.lock ({}); {} package entries read",
                    e.message(),
                    package.len()
                ),
            ));
            Lock { package }
        }
    };
    // A dependency names `name`, `name version` or `name version (source)`; a bare name is
    // unique in the lock.
    let mut by_name: HashMap<&str, Vec<&Pkg>> = HashMap::new();
    for p in &lock.package {
        by_name.entry(p.name.as_str()).or_default().push(p);
    }
    for p in &lock.package {
        let comp = component(&p.name, &p.version, p.source.as_deref(), at);
        for d in &p.dependencies {
            let mut w = d.split_whitespace();
            let (Some(n), v) = (w.next(), w.next()) else {
                continue;
            };
            let cands = by_name.get(n).map(Vec::as_slice).unwrap_or(&[]);
            let target = match v {
                Some(v) => cands.iter().find(|c| c.version == v),
                None => cands.first(),
            };
            if let Some(t) = target {
                edge(
                    &mut out,
                    &comp.id,
                    &format!("cargo:{}@{}", t.name, t.version),
                );
            }
        }
        out.components.push(comp);
    }
    out
}

/// Run `cargo metadata` offline on a host manifest path.
fn metadata(manifest: &std::path::Path, at: &str) -> Result<Collected, String> {
    let md = cargo_metadata::MetadataCommand::new()
        .manifest_path(manifest)
        .other_options(vec!["--offline".to_owned(), "--locked".to_owned()])
        .env("CARGO_NET_OFFLINE", "true")
        .env("RUSTC", "rustc")
        .env("RUSTC_WRAPPER", "")
        .env("RUSTC_WORKSPACE_WRAPPER", "")
        .env("CARGO_BUILD_RUSTC_WRAPPER", "")
        .exec()
        .map_err(|e| first_line(&e.to_string()))?;
    let mut out = Collected::default();
    let mut ids: HashMap<&str, String> = HashMap::new();
    for p in &md.packages {
        let source = p.source.as_ref().map(|s| s.repr.as_str());
        let mut comp = component(&p.name, &p.version.to_string(), source, at);
        comp.set_property("cargo-source", "cargo metadata");
        if md.workspace_members.contains(&p.id) {
            comp.set_property("workspace-member", "true");
        }
        for a in &p.authors {
            meta::people(&mut comp, a, at, false);
        }
        for u in [&p.repository, &p.homepage].into_iter().flatten() {
            meta::url(&mut comp, u, at);
        }
        if let Some(l) = &p.license {
            comp.set_property("license", l);
        }
        ids.insert(p.id.repr.as_str(), comp.id.clone());
        out.components.push(comp);
    }
    for n in md.resolve.iter().flat_map(|r| &r.nodes) {
        let Some(from) = ids.get(n.id.repr.as_str()) else {
            continue;
        };
        for d in &n.deps {
            if let Some(to) = ids.get(d.pkg.repr.as_str()) {
                edge(&mut out, from, to);
            }
        }
    }
    Ok(out)
}

fn first_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("Caused by"))
        .unwrap_or(s)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_packages_and_edges() {
        let t = "version = 4\n[[package]]\nname = \"a\"\nversion = \"0.1.0\"\ndependencies = [\"b 1.0.0\", \"c\"]\n\n[[package]]\nname = \"b\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"b\"\nversion = \"2.0.0\"\n\n[[package]]\nname = \"c\"\nversion = \"0.3.0\"\n";
        let c = parse_lock(t, "/Cargo.lock");
        assert_eq!(c.components.len(), 4);
        let to: Vec<&str> = c.relationships.iter().map(|r| r.to.as_str()).collect();
        assert_eq!(to, vec!["cargo:b@1.0.0", "cargo:c@0.3.0"]);
        assert_eq!(c.components[1].purl.as_deref(), Some("pkg:cargo/b@1.0.0"));
        assert!(!parse_lock("[[package]]\nname = 1", "/x").errors.is_empty());
    }
}
