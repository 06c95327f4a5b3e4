//! npm: installed packages (`node_modules/**/package.json`, nested and scoped) and lock files
//! (`package-lock.json`/`npm-shrinkwrap.json` v1–v3, `yarn.lock` v1 and Berry, `pnpm-lock.yaml`
//! v5–v9, parsed in [`locks`]).
//!
//! An installed tree is the truth: a lock file whose directory also has `node_modules/`
//! contributes only its dependency edges (by component id), so packages are not counted twice.
//! The project's own root entry is not a component. Components: `npm:<name>@<version>` (scoped
//! names keep their scope), purl `pkg:npm/%40scope/name@version`. Evidence: scope, repository
//! and homepage URLs, author/maintainer/contributor e-mails. Caps: `package.json` 4 MiB, lock
//! files 256 MiB.

pub mod locks;

use super::{meta, Candidate, Collected, Collector, Context, Phase};
use crate::model::{Component, EvidenceKind};
use serde_json::Value;

const PKG_CAP: u64 = 4 << 20;
const LOCK_CAP: u64 = 256 << 20;

/// The npm collector.
pub struct Npm;

impl Collector for Npm {
    fn id(&self) -> &'static str {
        "npm"
    }
    fn reads(&self) -> &'static str {
        "installed `node_modules/**/package.json` (each package owns its folder: binaries in it are read as its parts); `package-lock.json` v1–v3, `yarn.lock` (v1, Berry), `pnpm-lock.yaml` (v5–v9) with dependency edges; a lock next to `node_modules` only adds edges"
    }
    fn emits(&self) -> &'static [EvidenceKind] {
        &[
            EvidenceKind::Email,
            EvidenceKind::Maintainer,
            EvidenceKind::NpmScope,
            EvidenceKind::PackageName,
            EvidenceKind::Url,
        ]
    }
    fn phase(&self) -> Phase {
        Phase::Database
    }
    fn matches_path(&self, path: &str) -> bool {
        let Some((dir, name)) = path.rsplit_once('/') else {
            return false;
        };
        match name {
            "package.json" => installed_dir(dir).is_some(),
            "package-lock.json" | "npm-shrinkwrap.json" | "yarn.lock" | "pnpm-lock.yaml" => {
                !dir.contains("/node_modules/")
            }
            _ => false,
        }
    }
    fn collect(&self, c: &Candidate<'_>, ctx: &Context<'_>) -> Collected {
        let (dir, name) = c.path.rsplit_once('/').unwrap_or(("", c.path));
        let cap = if name == "package.json" {
            PKG_CAP
        } else {
            LOCK_CAP
        };
        let text = match c.text("npm manifest", cap) {
            Ok(t) => t,
            Err(e) => return e,
        };
        if name == "package.json" {
            return match serde_json::from_str::<Value>(&text) {
                Ok(v) => installed(&v, c.path),
                Err(e) => Collected::error(c.path, format!("invalid package.json: {e}")),
            };
        }
        let mut out = match name {
            "yarn.lock" => locks::yarn(&text, c.path),
            "pnpm-lock.yaml" => locks::pnpm(&text, c.path),
            _ => locks::package_lock(&text, c.path),
        };
        let has_tree = ctx.root.list_dir(&format!("{dir}/node_modules")).is_ok();
        if has_tree {
            out.components.clear();
            out.owned.clear();
        }
        out
    }
}

/// For `…/node_modules/<name>` or `…/node_modules/@scope/<name>`, the package name. Every
/// level below the first `node_modules` must itself be a package directory, as npm lays them
/// out, so test fixtures shipped inside a package (`x/test/node_modules/y`) are not installs.
fn installed_dir(dir: &str) -> Option<String> {
    let segs: Vec<&str> = dir.split('/').collect();
    let first = segs.iter().position(|s| *s == "node_modules")?;
    let mut i = first;
    let mut name = None;
    while i < segs.len() {
        if segs[i] != "node_modules" {
            return None;
        }
        let n = segs.get(i + 1)?;
        if n.starts_with('.') || n.is_empty() {
            return None;
        }
        if n.starts_with('@') {
            let b = segs.get(i + 2)?;
            if b.is_empty() || b.starts_with('.') {
                return None;
            }
            name = Some(format!("{n}/{b}"));
            i += 3;
        } else {
            name = Some((*n).to_owned());
            i += 2;
        }
    }
    name
}

fn installed(v: &Value, at: &str) -> Collected {
    let dir = at.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let Some(name) = v["name"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| installed_dir(dir))
    else {
        return Collected::error(at, "package.json without a name");
    };
    let Some(version) = v["version"].as_str().filter(|s| !s.is_empty()) else {
        return Collected::error(at, "package.json without a version");
    };
    let mut comp = component(&name, version, at);
    evidence(&mut comp, v, at);
    let mut out = Collected::default();
    // An installed package owns its folder (its nested `node_modules` hold other packages,
    // whose deeper folders own their own files).
    if installed_dir(dir).is_some() {
        out.own_dir(dir, &super::Owner::of(&comp));
    }
    out.components.push(comp);
    out
}

/// An npm package component with scope evidence.
pub fn component(name: &str, version: &str, at: &str) -> Component {
    let (ns, base) = match name.split_once('/') {
        Some((s, b)) if s.starts_with('@') => (Some(s), b),
        _ => (None, name),
    };
    let purl = meta::purl("npm", ns, base, Some(version));
    let mut comp = meta::package("npm", name, Some(version), at, purl);
    if let Some(s) = ns {
        comp.add_evidence(EvidenceKind::NpmScope, s, at);
    }
    comp
}

/// Evidence from package.json-shaped metadata (also used for lock entries that carry some).
pub fn evidence(comp: &mut Component, v: &Value, at: &str) {
    match &v["repository"] {
        Value::String(s) => repo_shorthand(comp, s, at),
        Value::Object(o) => {
            if let Some(u) = o.get("url").and_then(Value::as_str) {
                repo_shorthand(comp, u, at);
            }
        }
        _ => {}
    }
    if let Some(h) = v["homepage"].as_str() {
        meta::url(comp, h, at);
    }
    let mut people: Vec<&Value> = vec![&v["author"]];
    for k in ["maintainers", "contributors"] {
        if let Some(a) = v[k].as_array() {
            people.extend(a.iter().take(32));
        }
    }
    for p in people {
        match p {
            Value::String(s) => meta::people(comp, s, at, false),
            Value::Object(o) => {
                if let Some(e) = o.get("email").and_then(Value::as_str) {
                    meta::people(comp, e, at, false);
                }
                if let Some(u) = o.get("url").and_then(Value::as_str) {
                    meta::url(comp, u, at);
                }
            }
            _ => {}
        }
    }
    match &v["license"] {
        Value::String(s) => comp.set_property("license", s),
        Value::Object(o) => comp.set_property(
            "license",
            o.get("type").and_then(Value::as_str).unwrap_or(""),
        ),
        _ => {}
    }
}

/// `github:org/repo`, `org/repo`, `gitlab:org/repo` shorthands or a full URL.
fn repo_shorthand(comp: &mut Component, s: &str, at: &str) {
    let host = |p: &str| match p {
        "github" => Some("github.com"),
        "gitlab" => Some("gitlab.com"),
        "bitbucket" => Some("bitbucket.org"),
        _ => None,
    };
    if let Some((prefix, rest)) = s.split_once(':') {
        if let Some(h) = host(prefix) {
            return meta::url(comp, &format!("https://{h}/{rest}"), at);
        }
    }
    if !s.contains(':') && s.matches('/').count() == 1 {
        return meta::url(comp, &format!("https://github.com/{s}"), at);
    }
    meta::url(comp, s, at);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_dirs() {
        assert_eq!(installed_dir("/a/node_modules/x").as_deref(), Some("x"));
        assert_eq!(
            installed_dir("/a/node_modules/@s/x").as_deref(),
            Some("@s/x")
        );
        assert_eq!(installed_dir("/a/node_modules/x/lib"), None);
        assert_eq!(installed_dir("/a/node_modules/.bin"), None);
        assert_eq!(installed_dir("/a/node_modules/@s"), None);
        assert_eq!(
            installed_dir("/a/node_modules/x/node_modules/@s/y").as_deref(),
            Some("@s/y")
        );
        assert_eq!(installed_dir("/a/node_modules/x/test/node_modules/y"), None);
    }

    #[test]
    fn scoped_purl() {
        let c = component("@babel/core", "7.0.0", "/x");
        assert_eq!(c.purl.as_deref(), Some("pkg:npm/%40babel/core@7.0.0"));
        assert_eq!(c.id, "npm:@babel/core@7.0.0");
    }
}
