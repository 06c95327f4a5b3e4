//! .NET: `*.deps.json` dependency manifests written next to every built .NET (Core) application
//! and library (`Microsoft.Extensions.DependencyModel` format), and NuGet package manifests:
//! `*.nuspec` (as unpacked in the NuGet global packages folder, `~/.nuget/packages/<id>/<ver>/`)
//! and the `.nuspec` at the root of a `*.nupkg` archive (skipped when an unpacked `.nuspec` sits
//! next to it, as in that folder).
//!
//! A nuspec is read for its `<metadata>` children only (`id`, `version`, `authors`, `owners`,
//! `projectUrl`, `repository url`, `license`, `copyright`) with a small tag scanner: no DTDs, no
//! entities beyond the five predefined ones. `authors` names the maker (company-name evidence).
//!
//! Every entry of `libraries` is a component: `package` entries are NuGet packages,
//! `project` entries the application's own projects (property `library-type`). Dependency edges
//! come from the `targets` section (first target). Components: `nuget:<name>@<version>`, purl
//! `pkg:nuget/<name>@<version>`. Caps: 64 MiB per deps.json, 1 MiB per nuspec, `.nupkg` archives up
//! to 1 GiB (memory-mapped).

use super::{meta, Candidate, Collected, Collector, Context};
use crate::model::EvidenceKind;
use crate::model::{Relationship, RelationshipKind, ScanError};
use serde_json::Value;
use std::collections::HashMap;

const CAP: u64 = 64 << 20;
const NUSPEC_CAP: u64 = 1 << 20;
const NUPKG_CAP: u64 = 1 << 30;

/// The .NET collector.
pub struct Dotnet;

impl Collector for Dotnet {
    fn id(&self) -> &'static str {
        "dotnet"
    }
    fn reads(&self) -> &'static str {
        "`*.deps.json`: NuGet packages, projects, dependency edges; `*.nuspec` (NuGet packages folder) and `*.nupkg`"
    }
    fn emits(&self) -> &'static [EvidenceKind] {
        &[
            EvidenceKind::CompanyName,
            EvidenceKind::Email,
            EvidenceKind::Maintainer,
            EvidenceKind::PackageName,
            EvidenceKind::Url,
        ]
    }
    fn matches_path(&self, path: &str) -> bool {
        let lower = path.to_ascii_lowercase();
        lower.ends_with(".deps.json") || lower.ends_with(".nuspec") || lower.ends_with(".nupkg")
    }
    fn wants_owned(&self) -> bool {
        true
    }
    fn collect(&self, c: &Candidate<'_>, ctx: &Context<'_>) -> Collected {
        let lower = c.path.to_ascii_lowercase();
        if lower.ends_with(".nuspec") {
            return match c.text("nuspec", NUSPEC_CAP) {
                Ok(t) => nuspec(&t, c.path),
                Err(e) => e,
            };
        }
        if lower.ends_with(".nupkg") {
            return nupkg(c, ctx);
        }
        let text = match c.text(".NET manifest", CAP) {
            Ok(t) => t,
            Err(e) => return e,
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

fn nupkg(c: &Candidate<'_>, ctx: &Context<'_>) -> Collected {
    let dir = c.path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let has_nuspec = ctx
        .root
        .list_dir(if dir.is_empty() { "/" } else { dir })
        .is_ok_and(|names| {
            names.iter().any(|n| {
                n.to_string_lossy()
                    .to_ascii_lowercase()
                    .ends_with(".nuspec")
            })
        });
    if has_nuspec || c.size > NUPKG_CAP {
        return Collected::default();
    }
    let bytes = match c.open().and_then(crate::rootfs::Opened::load) {
        Ok(b) => b,
        Err(e) => return Collected::error(c.path, format!("cannot read: {e}")),
    };
    let mut zip = match zip::ZipArchive::new(std::io::Cursor::new(&bytes[..])) {
        Ok(z) => z,
        Err(e) => return Collected::error(c.path, format!("not a readable .nupkg: {e}")),
    };
    let Some(name) = zip
        .file_names()
        .find(|n| !n.contains('/') && n.to_ascii_lowercase().ends_with(".nuspec"))
        .map(str::to_owned)
    else {
        return Collected::error(c.path, ".nupkg without a .nuspec");
    };
    let mut text = String::new();
    let read = zip.by_name(&name).map_err(|e| e.to_string()).and_then(|f| {
        use std::io::Read;
        f.take(NUSPEC_CAP)
            .read_to_string(&mut text)
            .map_err(|e| e.to_string())
    });
    match read {
        Ok(_) => nuspec(&text, c.path),
        Err(e) => Collected::error(c.path, format!("{name}: {e}")),
    }
}

/// The text of the first `<tag>` element inside `<metadata>` (entities decoded).
fn xml_text(doc: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}");
    let mut from = 0;
    while let Some(i) = doc.get(from..)?.find(&open) {
        let start = from + i + open.len();
        let rest = doc.get(start..)?;
        // `<id>` must not match `<idx>`: the tag name ends at `>`, `/` or whitespace.
        match rest.chars().next() {
            Some('>') | Some(' ') | Some('\t') | Some('\n') | Some('\r') => {
                let gt = rest.find('>')?;
                if rest[..gt].ends_with('/') {
                    return None;
                }
                let body = &rest[gt + 1..];
                let end = body.find(&format!("</{tag}>"))?;
                return Some(unescape(body[..end].trim()));
            }
            _ => from = start,
        }
    }
    None
}

/// The value of `attr` on the first `<tag …>` element.
fn xml_attr(doc: &str, tag: &str, attr: &str) -> Option<String> {
    let i = doc.find(&format!("<{tag} "))?;
    let el = &doc[i..i + doc[i..].find('>')?];
    let key = format!(" {attr}=\"");
    let j = el.find(&key)? + key.len();
    let k = el[j..].find('"')?;
    Some(unescape(&el[j..j + k]))
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// A nuspec document as a component.
pub fn nuspec(doc: &str, at: &str) -> Collected {
    let meta_start = doc.find("<metadata").unwrap_or(0);
    let doc = &doc[meta_start..];
    let (Some(id), Some(version)) = (xml_text(doc, "id"), xml_text(doc, "version")) else {
        return Collected::error(at, "nuspec without <id> or <version>");
    };
    let purl = meta::purl("nuget", None, &id, Some(&version));
    let mut comp = meta::package("nuget", &id, Some(&version), at, purl);
    if let Some(a) = xml_text(doc, "authors") {
        for name in a
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .take(8)
        {
            comp.add_evidence(crate::model::EvidenceKind::CompanyName, name, at);
        }
        comp.set_property("authors", a);
    }
    for (k, v) in [
        ("owners", xml_text(doc, "owners")),
        ("license", xml_text(doc, "license")),
        ("copyright", xml_text(doc, "copyright")),
    ] {
        if let Some(v) = v {
            comp.set_property(k, v);
        }
    }
    for u in [
        xml_text(doc, "projectUrl"),
        xml_attr(doc, "repository", "url"),
    ]
    .into_iter()
    .flatten()
    {
        meta::url(&mut comp, &u, at);
    }
    Collected {
        components: vec![comp],
        ..Collected::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nuspec_tags() {
        let d = "<metadata><idx>no</idx><id>A&amp;B</id><version>1.0</version><repository type=\"git\" url=\"https://x/y\" /></metadata>";
        assert_eq!(xml_text(d, "id").as_deref(), Some("A&B"));
        assert_eq!(
            xml_attr(d, "repository", "url").as_deref(),
            Some("https://x/y")
        );
        assert_eq!(xml_text(d, "authors"), None);
        assert!(!nuspec("<metadata><id>x</id></metadata>", "/x.nuspec")
            .errors
            .is_empty());
    }
}
