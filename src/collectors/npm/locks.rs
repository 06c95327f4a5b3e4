//! npm ecosystem lock files: `package-lock.json` (v1 nested `dependencies`; v2/v3 flat
//! `packages` keyed by install path), `yarn.lock` (v1 custom format and Berry YAML) and
//! `pnpm-lock.yaml` (v5 `/name/version`, v6 `/name@version`, v9 `name@version` keys).
//!
//! Each gives packages and, where the format records them, dependency edges resolved the way
//! the package manager resolves them (node_modules lookup for npm, `name@range` entries for
//! yarn, exact keys for pnpm). Does not read `node_modules`; see [`super`].

use super::component;
use crate::collectors::Collected;
use crate::model::{Relationship, RelationshipKind, ScanError};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

const DEP_KEYS: [&str; 3] = ["dependencies", "optionalDependencies", "peerDependencies"];

fn edge(out: &mut Collected, from: &str, to: &str) {
    if from != to {
        out.relationships.push(Relationship {
            from: from.to_owned(),
            to: to.to_owned(),
            kind: RelationshipKind::DependsOn,
        });
    }
}

/// `package-lock.json` / `npm-shrinkwrap.json`.
pub fn package_lock(text: &str, at: &str) -> Collected {
    let v: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return Collected::error(at, format!("invalid lock file: {e}")),
    };
    let mut out = Collected::default();
    if let Some(pkgs) = v["packages"].as_object() {
        // v2/v3: path → entry. Ids by path for edge resolution.
        let mut ids: HashMap<&str, String> = HashMap::new();
        for (path, e) in pkgs {
            if path.is_empty() || e["link"].as_bool() == Some(true) {
                continue;
            }
            let name = e["name"]
                .as_str()
                .map(str::to_owned)
                .or_else(|| name_from_path(path));
            let (Some(name), Some(ver)) = (name, e["version"].as_str()) else {
                out.errors.push(ScanError::new(
                    at,
                    format!("lock entry {path:?} without a name or version"),
                ));
                continue;
            };
            let mut comp = component(&name, ver, at);
            super::evidence(&mut comp, e, at);
            if let Some(r) = e["resolved"].as_str() {
                comp.set_property("resolved", r);
            }
            ids.insert(path.as_str(), comp.id.clone());
            out.components.push(comp);
        }
        for (path, e) in pkgs {
            let Some(from) = ids.get(path.as_str()) else {
                continue;
            };
            for k in DEP_KEYS {
                for dep in e[k].as_object().into_iter().flat_map(|m| m.keys()) {
                    if let Some(to) = resolve_node(path, dep, &ids) {
                        edge(&mut out, from, to);
                    }
                }
            }
        }
    } else if let Some(deps) = v["dependencies"].as_object() {
        // v1: nested; `requires` names resolve to the nearest enclosing level.
        let mut stack: Vec<&serde_json::Map<String, Value>> = vec![deps];
        v1(deps, &mut stack, at, &mut out, 0);
    } else if v.get("lockfileVersion").is_none() {
        out.errors.push(ScanError::new(
            at,
            "not an npm lock file (no lockfileVersion)",
        ));
    }
    out
}

fn v1<'a>(
    level: &'a serde_json::Map<String, Value>,
    stack: &mut Vec<&'a serde_json::Map<String, Value>>,
    at: &str,
    out: &mut Collected,
    depth: usize,
) {
    if depth > 64 {
        out.errors
            .push(ScanError::new(at, "lock file nested deeper than 64 levels"));
        return;
    }
    for (name, e) in level {
        let Some(ver) = e["version"].as_str() else {
            continue;
        };
        if ver.starts_with("file:") || ver.starts_with("link:") {
            continue;
        }
        let comp = component(name, ver, at);
        let id = comp.id.clone();
        out.components.push(comp);
        let nested = e["dependencies"].as_object();
        if let Some(n) = nested {
            stack.push(n);
        }
        for dep in e["requires"].as_object().into_iter().flat_map(|m| m.keys()) {
            if let Some(v) = stack
                .iter()
                .rev()
                .find_map(|l| l.get(dep))
                .and_then(|d| d["version"].as_str())
            {
                edge(out, &id, &component(dep, v, at).id);
            }
        }
        if let Some(n) = nested {
            v1(n, stack, at, out, depth + 1);
            stack.pop();
        }
    }
}

/// `node_modules/a/node_modules/@s/b` → `@s/b`.
fn name_from_path(path: &str) -> Option<String> {
    let i = path.rfind("node_modules/")?;
    Some(path[i + "node_modules/".len()..].to_owned()).filter(|s| !s.is_empty())
}

/// Node's lookup: `<from>/node_modules/<dep>`, then each ancestor's `node_modules`.
fn resolve_node<'a>(from: &str, dep: &str, ids: &'a HashMap<&str, String>) -> Option<&'a String> {
    let mut base = from.to_owned();
    loop {
        let cand = if base.is_empty() {
            format!("node_modules/{dep}")
        } else {
            format!("{base}/node_modules/{dep}")
        };
        if let Some(id) = ids.get(cand.as_str()) {
            return Some(id);
        }
        if base.is_empty() {
            return None;
        }
        base = match base.rfind("/node_modules/") {
            Some(i) => base[..i].to_owned(),
            None => String::new(),
        };
    }
}

/// `@scope/name@^1.0` → (`@scope/name`, `^1.0`).
fn split_spec(spec: &str) -> Option<(&str, &str)> {
    let spec = spec.trim().trim_matches('"');
    let i = spec.get(1..)?.find('@')? + 1;
    Some((&spec[..i], &spec[i + 1..]))
}

/// `yarn.lock`, v1 or Berry.
pub fn yarn(text: &str, at: &str) -> Collected {
    if text.contains("\n__metadata:") || text.starts_with("__metadata:") {
        return yarn_berry(text, at);
    }
    let mut out = Collected::default();
    // spec ("name@range") → index of its entry; entries: (name, version, deps)
    let mut entries: Vec<(String, Option<String>, Vec<String>)> = Vec::new();
    let mut by_spec: HashMap<String, usize> = HashMap::new();
    let mut in_deps = false;
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            let specs = line.trim_end_matches(':');
            let Some((name, _)) = specs.split(", ").next().and_then(split_spec) else {
                out.errors.push(ScanError::new(
                    at,
                    format!("line {}: unreadable entry {line:?}", n + 1),
                ));
                entries.push((String::new(), None, Vec::new()));
                continue;
            };
            entries.push((name.to_owned(), None, Vec::new()));
            for s in specs.split(", ") {
                by_spec.insert(s.trim().trim_matches('"').to_owned(), entries.len() - 1);
            }
            in_deps = false;
            continue;
        }
        let Some(cur) = entries.last_mut() else {
            continue;
        };
        let t = line.trim();
        if !line.starts_with("    ") {
            in_deps = t == "dependencies:" || t == "optionalDependencies:";
            if let Some(v) = t.strip_prefix("version ") {
                cur.1 = Some(v.trim().trim_matches('"').to_owned());
            }
        } else if in_deps {
            let mut parts = t.splitn(2, ' ');
            if let (Some(dn), Some(dr)) = (parts.next(), parts.next()) {
                cur.2.push(format!(
                    "{}@{}",
                    dn.trim_matches('"'),
                    dr.trim().trim_matches('"')
                ));
            }
        }
    }
    let ids: Vec<Option<String>> = entries
        .iter()
        .map(|(name, ver, _)| {
            ver.as_ref()
                .filter(|_| !name.is_empty())
                .map(|v| component(name, v, at).id)
        })
        .collect();
    for (i, (name, ver, deps)) in entries.iter().enumerate() {
        let Some(v) = ver else {
            if !name.is_empty() {
                out.errors.push(ScanError::new(
                    at,
                    format!("entry {name} without a version"),
                ));
            }
            continue;
        };
        out.components.push(component(name, v, at));
        for d in deps {
            if let (Some(Some(from)), Some(Some(to))) =
                (ids.get(i), by_spec.get(d).and_then(|&j| ids.get(j)))
            {
                edge(&mut out, from, to);
            }
        }
    }
    out
}

fn yarn_berry(text: &str, at: &str) -> Collected {
    let map: BTreeMap<String, serde_yaml::Value> = match serde_yaml::from_str(text) {
        Ok(m) => m,
        Err(e) => return Collected::error(at, format!("invalid yarn.lock: {e}")),
    };
    let mut out = Collected::default();
    let mut by_spec: HashMap<String, String> = HashMap::new();
    let mut pending: Vec<(String, Vec<String>)> = Vec::new();
    for (key, e) in &map {
        if key == "__metadata" {
            continue;
        }
        let Some(res) = e.get("resolution").and_then(|v| v.as_str()) else {
            continue;
        };
        let Some((name, r)) = split_spec(res) else {
            continue;
        };
        // Workspaces and the project itself are not dependencies.
        if r.starts_with("workspace:") {
            continue;
        }
        let Some(ver) = e.get("version").and_then(|v| v.as_str()) else {
            continue;
        };
        let comp = component(name, ver, at);
        for s in key.split(", ") {
            by_spec.insert(s.trim().to_owned(), comp.id.clone());
        }
        let deps = e
            .get("dependencies")
            .and_then(|d| d.as_mapping())
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| {
                        let (k, v) = (k.as_str()?, v.as_str()?);
                        let v = if v.contains(':') {
                            v.to_owned()
                        } else {
                            format!("npm:{v}")
                        };
                        Some(format!("{k}@{v}"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        pending.push((comp.id.clone(), deps));
        out.components.push(comp);
    }
    for (from, deps) in pending {
        for d in deps {
            if let Some(to) = by_spec.get(&d) {
                edge(&mut out, &from, to);
            }
        }
    }
    out
}

/// `pnpm-lock.yaml` package key → (name, version): `/a/1.0.0`, `/@s/a/1.0.0_peer`,
/// `/a@1.0.0(peer@2)`, `a@1.0.0`.
fn pnpm_key(key: &str) -> Option<(String, String)> {
    let k = key.trim_start_matches('/');
    let k = k.split('(').next()?;
    if let Some((n, v)) = split_spec(k) {
        let slashes = if n.starts_with('@') { 1 } else { 0 };
        if n.matches('/').count() == slashes {
            return Some((n.to_owned(), v.to_owned()));
        }
    }
    // v5: name/version[_peers]
    let (n, v) = k.rsplit_once('/')?;
    let v = v.split('_').next()?;
    Some((n.to_owned(), v.to_owned()))
}

/// `pnpm-lock.yaml`.
pub fn pnpm(text: &str, at: &str) -> Collected {
    let doc: serde_yaml::Value = match serde_yaml::from_str(text) {
        Ok(d) => d,
        Err(e) => return Collected::error(at, format!("invalid pnpm-lock.yaml: {e}")),
    };
    let mut out = Collected::default();
    let Some(pkgs) = doc.get("packages").and_then(|p| p.as_mapping()) else {
        return out;
    };
    let mut seen = std::collections::BTreeSet::new();
    for key in pkgs.keys().filter_map(|k| k.as_str()) {
        match pnpm_key(key) {
            Some((n, v)) if seen.insert((n.clone(), v.clone())) => {
                out.components.push(component(&n, &v, at))
            }
            Some(_) => {}
            None => out.errors.push(ScanError::new(
                at,
                format!("unreadable package key {key:?}"),
            )),
        }
    }
    // v9 keeps edges in `snapshots`; older versions in `packages`.
    let graph = doc
        .get("snapshots")
        .and_then(|s| s.as_mapping())
        .unwrap_or(pkgs);
    for (key, e) in graph {
        let Some((n, v)) = key.as_str().and_then(pnpm_key) else {
            continue;
        };
        let from = component(&n, &v, at).id;
        for dk in ["dependencies", "optionalDependencies"] {
            for (dn, dv) in e.get(dk).and_then(|d| d.as_mapping()).into_iter().flatten() {
                let (Some(dn), Some(dv)) = (dn.as_str(), dv.as_str()) else {
                    continue;
                };
                let dv = dv
                    .split('(')
                    .next()
                    .unwrap_or(dv)
                    .split('_')
                    .next()
                    .unwrap_or(dv);
                // A value may be a version or a full key (`/other/1.0.0`, aliases).
                let (tn, tv) = if dv.starts_with('/') {
                    pnpm_key(dv).unwrap_or_default()
                } else {
                    (dn.to_owned(), dv.to_owned())
                };
                if seen.contains(&(tn.clone(), tv.clone())) {
                    edge(&mut out, &from, &component(&tn, &tv, at).id);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pnpm_keys() {
        assert_eq!(pnpm_key("/ms/2.1.2"), Some(("ms".into(), "2.1.2".into())));
        assert_eq!(
            pnpm_key("/@babel/core/7.1.0_foo@1.0.0"),
            Some(("@babel/core".into(), "7.1.0".into()))
        );
        assert_eq!(
            pnpm_key("/debug@4.3.4(supports-color@8.1.1)"),
            Some(("debug".into(), "4.3.4".into()))
        );
        assert_eq!(
            pnpm_key("@types/node@20.1.0"),
            Some(("@types/node".into(), "20.1.0".into()))
        );
    }

    #[test]
    fn yarn_v1_entries_and_edges() {
        let t = "# yarn lockfile v1\n\n\"@s/a@^1.0.0\", \"@s/a@^1.1.0\":\n  version \"1.2.0\"\n  dependencies:\n    ms \"^2.0.0\"\n\nms@^2.0.0:\n  version \"2.1.3\"\n";
        let c = yarn(t, "/yarn.lock");
        let ids: Vec<&str> = c.components.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, vec!["npm:@s/a@1.2.0", "npm:ms@2.1.3"]);
        assert_eq!(c.relationships.len(), 1);
        assert_eq!(c.relationships[0].to, "npm:ms@2.1.3");
    }

    #[test]
    fn package_lock_v1_nested() {
        let t = r#"{"lockfileVersion":1,"dependencies":{"a":{"version":"1.0.0","requires":{"b":"^2"},"dependencies":{"b":{"version":"2.0.0"}}},"b":{"version":"1.0.0"}}}"#;
        let c = package_lock(t, "/package-lock.json");
        assert_eq!(c.components.len(), 3);
        assert_eq!(c.relationships[0].to, "npm:b@2.0.0");
    }
}
