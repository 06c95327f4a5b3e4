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
use std::collections::HashMap;

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

/// `yarn.lock`, v1 or Berry. Both are read line by line (Berry's YAML subset included), so a
/// duplicated entry or a damaged stanza costs only that stanza.
pub fn yarn(text: &str, at: &str) -> Collected {
    let berry = text.lines().any(|l| l.starts_with("__metadata:"));
    let mut out = Collected::default();
    // entries: (name, version, resolution kind, deps as specs)
    struct Entry {
        name: String,
        version: Option<String>,
        workspace: bool,
        deps: Vec<String>,
    }
    let mut entries: Vec<Entry> = Vec::new();
    let mut by_spec: HashMap<String, usize> = HashMap::new();
    let mut in_deps = false;
    let mut skip = false;
    let unquote = |s: &str| s.trim().trim_matches('"').to_owned();
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            in_deps = false;
            let specs = line.trim_end().trim_end_matches(':');
            skip = specs == "__metadata";
            if skip {
                continue;
            }
            let Some((name, _)) = specs.split(", ").next().and_then(split_spec) else {
                out.errors.push(ScanError::new(
                    at,
                    format!("line {}: unreadable entry {line:?}", n + 1),
                ));
                skip = true;
                continue;
            };
            entries.push(Entry {
                name: name.to_owned(),
                version: None,
                workspace: false,
                deps: Vec::new(),
            });
            for s in specs.split(", ") {
                by_spec.insert(unquote(s), entries.len() - 1);
            }
            continue;
        }
        if skip {
            continue;
        }
        let Some(cur) = entries.last_mut() else {
            continue;
        };
        let t = line.trim();
        let (key, value) = match t.split_once(if berry { ": " } else { " " }) {
            Some((k, v)) => (unquote(k), unquote(v)),
            None => (unquote(t.trim_end_matches(':')), String::new()),
        };
        if !line.starts_with("    ") {
            in_deps = value.is_empty() && (key == "dependencies" || key == "optionalDependencies");
            match key.as_str() {
                "version" => cur.version = Some(value),
                "resolution" => {
                    if let Some((name, r)) = split_spec(&value) {
                        cur.name = name.to_owned();
                        cur.workspace = r.starts_with("workspace:") || r.starts_with("link:");
                    }
                }
                _ => {}
            }
        } else if in_deps && !value.is_empty() {
            let range = if berry && !value.contains(':') {
                format!("npm:{value}")
            } else {
                value
            };
            cur.deps.push(format!("{key}@{range}"));
        }
    }
    let ids: Vec<Option<String>> = entries
        .iter()
        .map(|e| {
            e.version
                .as_ref()
                .filter(|_| !e.workspace)
                .map(|v| component(&e.name, v, at).id)
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    for (i, e) in entries.iter().enumerate() {
        if e.workspace {
            continue;
        }
        let Some(v) = &e.version else {
            out.errors.push(ScanError::new(
                at,
                format!("entry {} without a version", e.name),
            ));
            continue;
        };
        let comp = component(&e.name, v, at);
        if !seen.insert(comp.id.clone()) {
            continue;
        }
        for d in &e.deps {
            if let (Some(Some(from)), Some(Some(to))) =
                (ids.get(i), by_spec.get(d).and_then(|&j| ids.get(j)))
            {
                edge(&mut out, from, to);
            }
        }
        out.components.push(comp);
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
    fn yarn_berry_duplicates_and_workspace() {
        let t = "__metadata:\n  version: 6\n\n\"a@npm:1.0.0\":\n  version: 1.0.0\n  resolution: \"a@npm:1.0.0\"\n  dependencies:\n    b: ^2.0.0\n\n\"a@npm:1.0.0\":\n  version: 1.0.0\n  resolution: \"a@npm:1.0.0\"\n\n\"b@npm:^2.0.0\":\n  version: 2.1.0\n  resolution: \"b@npm:2.1.0\"\n\n\"root@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"root@workspace:.\"\n";
        let c = yarn(t, "/yarn.lock");
        let ids: Vec<&str> = c.components.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, vec!["npm:a@1.0.0", "npm:b@2.1.0"]);
        assert_eq!(c.relationships.len(), 1);
    }

    #[test]
    fn package_lock_v1_nested() {
        let t = r#"{"lockfileVersion":1,"dependencies":{"a":{"version":"1.0.0","requires":{"b":"^2"},"dependencies":{"b":{"version":"2.0.0"}}},"b":{"version":"1.0.0"}}}"#;
        let c = package_lock(t, "/package-lock.json");
        assert_eq!(c.components.len(), 3);
        assert_eq!(c.relationships[0].to, "npm:b@2.0.0");
    }
}
