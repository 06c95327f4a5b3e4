//! Java archives: `.jar`, `.war`, `.ear` (and Jenkins `.hpi`/`.jpi`), read through their zip
//! central directory ([`super::zipdir`], which keeps only the entries read), including archives
//! nested inside them (`WEB-INF/lib/*.jar`,
//! `BOOT-INF/lib/*.jar`, `lib/*.jar` of an EAR).
//!
//! Each `META-INF/maven/<group>/<artifact>/pom.properties` is a component (a shaded jar holds
//! several); an archive without one is a component named from its manifest
//! (`Bundle-SymbolicName`, `Implementation-Title`, else the file name). `META-INF/MANIFEST.MF`
//! main attributes give vendor names (`Implementation-Vendor`, `Bundle-Vendor`,
//! `Specification-Vendor`) as company-name evidence, `Implementation-Vendor-Id` and the groupId
//! as Java groupId evidence, and `Implementation-URL`/`Bundle-DocURL` as URLs.
//!
//! Components: `maven:<groupId>:<artifactId>@<version>`, purl
//! `pkg:maven/<groupId>/<artifactId>@<version>`; nested archives are located as
//! `outer.war!/WEB-INF/lib/inner.jar` with a `contains` edge from the outer component. Caps:
//! archives up to 2 GiB (read through the index, never whole), nesting 4 levels deep, each
//! nested archive up to 256 MiB (held one at a time) and 1 GiB inflated per top-level archive,
//! metadata entries up to 1 MiB, 10,000 metadata entries and nested archives kept per archive
//! (the entries passed over cost nothing but their work-budget steps).

use super::zipdir;
use super::{meta, Candidate, Collected, Collector, Context};
use crate::model::{Component, EvidenceKind, Relationship, RelationshipKind, ScanError};
use std::io::{Cursor, Read, Seek};

const MAX_ARCHIVE: u64 = 2 << 30;
const MAX_DEPTH: usize = 4;
const MAX_NESTED: u64 = 256 << 20;
const MAX_TOTAL: u64 = 1 << 30;
const MAX_META: u64 = 1 << 20;
/// Metadata entries and nested archives kept from one central directory.
const MAX_KEPT: usize = 10_000;
const EXTS: [&str; 5] = [".jar", ".war", ".ear", ".hpi", ".jpi"];

/// The Java archive collector.
pub struct Java;

impl Collector for Java {
    fn id(&self) -> &'static str {
        "java"
    }
    fn reads(&self) -> &'static str {
        "`.jar`/`.war`/`.ear` and archives nested in them (bounded): `pom.properties` coordinates, `MANIFEST.MF` vendor, title, version"
    }
    fn emits(&self) -> &'static [EvidenceKind] {
        &[
            EvidenceKind::CompanyName,
            EvidenceKind::JavaGroupId,
            EvidenceKind::PackageName,
            EvidenceKind::Url,
        ]
    }
    fn matches_path(&self, path: &str) -> bool {
        let lower = path.to_ascii_lowercase();
        EXTS.iter().any(|e| lower.ends_with(e))
    }
    fn wants_owned(&self) -> bool {
        true
    }
    fn collect(&self, c: &Candidate<'_>, _ctx: &Context<'_>) -> Collected {
        if c.size > MAX_ARCHIVE {
            return Collected::error(
                c.path,
                format!(
                    "archive of {} bytes is over the {MAX_ARCHIVE} byte limit",
                    c.size
                ),
            );
        }
        // Read through the zip index: the central directory and the entries looked at, not
        // the whole archive (a fat jar is tens of megabytes).
        let reader = match c.open().and_then(crate::rootfs::Opened::seekable) {
            Ok(r) => r,
            Err(e) => return Collected::error(c.path, format!("cannot read archive: {e}")),
        };
        let mut out = Collected::default();
        let mut budget = MAX_TOTAL;
        archive(reader, c.size, c.path, 0, &mut budget, &mut out);
        out
    }
}

/// Read one archive (and, recursively, the archives inside it); returns the ids of its own
/// components and, for each nested archive, the ids of its components.
fn archive<R: Read + Seek>(
    mut reader: R,
    len: u64,
    at: &str,
    depth: usize,
    budget: &mut u64,
    out: &mut Collected,
) -> Vec<String> {
    let dir = match zipdir::directory(&mut reader, len) {
        Ok(d) => d,
        Err(e) => {
            out.errors.push(ScanError::new(
                at,
                format!("not a readable Java archive: {e}"),
            ));
            return Vec::new();
        }
    };
    let is_meta = |lower: &str| {
        lower == "meta-inf/manifest.mf"
            || (lower.starts_with("meta-inf/maven/") && lower.ends_with("/pom.properties"))
    };
    let is_nested = |lower: &str| depth < MAX_DEPTH && EXTS.iter().any(|e| lower.ends_with(e));
    let (kept, err) = zipdir::entries(
        &mut reader,
        &dir,
        |name| {
            let lower = name.to_ascii_lowercase();
            is_meta(&lower) || is_nested(&lower)
        },
        MAX_KEPT,
    );
    if let Some(e) = err {
        out.errors.push(ScanError::new(at, e));
    }
    if kept.len() >= MAX_KEPT {
        out.errors.push(ScanError::new(
            at,
            format!(
                "more than {MAX_KEPT} metadata entries and nested archives; the rest is skipped"
            ),
        ));
    }
    let mut manifest = None;
    let mut poms = Vec::new();
    let mut nested = Vec::new();
    for e in kept.iter().filter(|e| !e.dir) {
        let name = &e.name;
        let lower = name.to_ascii_lowercase();
        let entry_at = || format!("{at}!/{name}");
        if is_meta(&lower) {
            let mut b = Vec::new();
            match zipdir::open(&mut reader, &dir, e, MAX_META)
                .and_then(|mut r| r.read_to_end(&mut b))
            {
                Ok(_) => {
                    let s = String::from_utf8_lossy(&b).into_owned();
                    if lower.ends_with(".mf") {
                        manifest = Some(s);
                    } else {
                        poms.push((name.clone(), s));
                    }
                }
                Err(err) => out
                    .errors
                    .push(ScanError::new(entry_at(), format!("cannot inflate: {err}"))),
            }
        } else {
            let size = e.size;
            if size > MAX_NESTED || size > *budget {
                out.errors.push(ScanError::new(
                    entry_at(),
                    format!("nested archive of {size} bytes skipped (limit)"),
                ));
                continue;
            }
            *budget -= size;
            let mut buf = Vec::with_capacity(size as usize);
            match zipdir::open(&mut reader, &dir, e, size).and_then(|mut r| r.read_to_end(&mut buf))
            {
                // Read one nested archive at a time: its bytes are dropped once it is done.
                Ok(_) => {
                    let inner_at = entry_at();
                    let n = buf.len() as u64;
                    let inner =
                        archive(Cursor::new(&buf[..]), n, &inner_at, depth + 1, budget, out);
                    nested.push(inner);
                }
                Err(err) => out
                    .errors
                    .push(ScanError::new(entry_at(), format!("cannot inflate: {err}"))),
            }
        }
    }
    let mf = manifest.as_deref().map(parse_manifest).unwrap_or_default();
    let mut ids = Vec::new();
    for (entry, text) in &poms {
        let props = parse_properties(text);
        let get = |k: &str| {
            props
                .iter()
                .find(|(pk, _)| pk == k)
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.is_empty())
        };
        let (Some(g), Some(a)) = (get("groupId"), get("artifactId")) else {
            out.errors.push(ScanError::new(
                format!("{at}!/{entry}"),
                "pom.properties without groupId or artifactId",
            ));
            continue;
        };
        let mut comp = component(g, a, get("version"), at);
        // The manifest describes the archive's own artifact: the pom whose artifact the file is
        // named after, or the only one.
        let stem = file_stem(at);
        if poms.len() == 1 || stem.starts_with(a) {
            manifest_evidence(&mut comp, &mf, at);
        }
        ids.push(comp.id.clone());
        out.components.push(comp);
    }
    if poms.is_empty() {
        let get = |k: &str| {
            mf.iter()
                .find(|(mk, _)| mk.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.is_empty())
        };
        let stem = file_stem(at);
        let (fname, fver) = split_versioned(stem);
        let name = get("Bundle-SymbolicName")
            .map(|s| s.split(';').next().unwrap_or(s).trim())
            .or(get("Implementation-Title"))
            .unwrap_or(fname);
        let version = get("Implementation-Version")
            .or(get("Bundle-Version"))
            .or(fver);
        let group = get("Implementation-Vendor-Id").filter(|g| g.contains('.'));
        let mut comp = match group {
            Some(g) => component(g, name, version, at),
            None => {
                let purl = meta::purl("maven", None, name, version);
                meta::package("maven", name, version, at, purl)
            }
        };
        manifest_evidence(&mut comp, &mf, at);
        ids.push(comp.id.clone());
        out.components.push(comp);
    }
    for inner in nested {
        for from in &ids {
            for to in &inner {
                out.relationships.push(Relationship {
                    from: from.clone(),
                    to: to.clone(),
                    kind: RelationshipKind::Contains,
                });
            }
        }
    }
    ids
}

fn file_stem(at: &str) -> &str {
    let base = at.rsplit(['/', '!']).next().unwrap_or(at);
    base.rsplit_once('.').map(|(s, _)| s).unwrap_or(base)
}

/// `commons-cli-1.5.0` → (`commons-cli`, `1.5.0`).
fn split_versioned(stem: &str) -> (&str, Option<&str>) {
    for (i, _) in stem.match_indices('-') {
        if stem[i + 1..].starts_with(|c: char| c.is_ascii_digit()) {
            return (&stem[..i], Some(&stem[i + 1..]));
        }
    }
    (stem, None)
}

/// A Maven component.
pub fn component(group: &str, artifact: &str, version: Option<&str>, at: &str) -> Component {
    let purl = meta::purl("maven", Some(group), artifact, version);
    let mut comp = meta::package("maven", &format!("{group}:{artifact}"), version, at, purl);
    comp.add_evidence(EvidenceKind::JavaGroupId, group, at);
    comp
}

fn manifest_evidence(comp: &mut Component, mf: &[(String, String)], at: &str) {
    let mf_at = format!("{at}!/META-INF/MANIFEST.MF");
    for (k, v) in mf {
        match k.to_ascii_lowercase().as_str() {
            "implementation-vendor" | "bundle-vendor" | "specification-vendor" => {
                comp.add_evidence(EvidenceKind::CompanyName, v, &mf_at);
            }
            "implementation-vendor-id" => comp.add_evidence(EvidenceKind::JavaGroupId, v, &mf_at),
            "implementation-url" | "bundle-docurl" => meta::url(comp, v, &mf_at),
            "bundle-symbolicname" => {
                comp.set_property("bundle-symbolic-name", v.split(';').next().unwrap_or(v))
            }
            "implementation-title" => comp.set_property("implementation-title", v),
            "bundle-license" => comp.set_property("license", v),
            _ => {}
        }
    }
}

/// Main attributes of a manifest (up to the first blank line; 72-byte continuation lines joined).
pub fn parse_manifest(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            break;
        }
        if let Some(cont) = line.strip_prefix(' ') {
            if let Some((_, v)) = out.last_mut() {
                v.push_str(cont);
            }
        } else if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    out
}

/// Java `.properties` (`key=value` or `key: value`, `#`/`!` comments).
pub fn parse_properties(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        .filter_map(|l| {
            let i = l.find(['=', ':'])?;
            Some((l[..i].trim().to_owned(), l[i + 1..].trim().to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_continuations() {
        let m = parse_manifest("Manifest-Version: 1.0\r\nBundle-Vendor: The Apache Software Fou\r\n ndation\r\n\r\nName: x\r\n");
        assert_eq!(
            m[1],
            (
                "Bundle-Vendor".to_owned(),
                "The Apache Software Foundation".to_owned()
            )
        );
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn versioned_names() {
        assert_eq!(
            split_versioned("commons-cli-1.5.0"),
            ("commons-cli", Some("1.5.0"))
        );
        assert_eq!(split_versioned("log4j-api"), ("log4j-api", None));
        assert_eq!(file_stem("/a/b.war!/WEB-INF/lib/x-1.jar"), "x-1");
    }
}
