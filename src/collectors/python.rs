//! Python distributions installed in any `site-packages`/`dist-packages` (system, virtualenvs,
//! user installs): `*.dist-info/METADATA` (wheels, PEP 427/566), `*.egg-info/PKG-INFO` and
//! single-file `*.egg-info` (setuptools, distutils). Core metadata is RFC 822 headers
//! (<https://packaging.python.org/en/latest/specifications/core-metadata/>); the body is not read.
//!
//! Runs with the package databases ([`Phase::Database`]) so that the files a wheel's `RECORD`
//! lists (its modules and compiled extensions) are owned by the distribution and not reported
//! again as binaries. A METADATA file that dpkg or rpm owns still describes a PyPI project and
//! is reported too (a distribution packaged by the OS is both).
//!
//! Components: `pypi:<normalised name>@<version>`, purl `pkg:pypi/<normalised name>@<version>`
//! (PEP 503 normalisation, as the purl spec asks). Evidence: author/maintainer e-mails, home
//! page, project URLs, download URL. Caps: METADATA headers up to 1 MiB, RECORD up to 16 MiB.

use super::{meta, Candidate, Collected, Collector, Context, Phase};
use crate::model::{EvidenceKind, ScanError};

const META_CAP: u64 = 1 << 20;
const RECORD_CAP: u64 = 16 << 20;

/// The Python collector.
pub struct Python;

impl Collector for Python {
    fn id(&self) -> &'static str {
        "python"
    }
    fn reads(&self) -> &'static str {
        "`*.dist-info/METADATA`, `*.egg-info/PKG-INFO`, `*.egg-info` in any site-packages; `RECORD` for file ownership (binaries it lists are read as parts of the package)"
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
        let Some((dir, name)) = path.rsplit_once('/') else {
            return false;
        };
        (name == "METADATA" && dir.ends_with(".dist-info"))
            || (name == "PKG-INFO" && dir.ends_with(".egg-info"))
            || (name.ends_with(".egg-info")
                && (dir.ends_with("-packages") || dir.ends_with("/site-python")))
    }
    fn reads_beside(&self, path: &str) -> bool {
        path.rsplit_once('/')
            .is_some_and(|(dir, name)| name == "RECORD" && dir.ends_with(".dist-info"))
    }
    fn collect(&self, c: &Candidate<'_>, ctx: &Context<'_>) -> Collected {
        let bytes = match c.bytes("Python metadata", META_CAP) {
            Ok(b) => b,
            Err(e) => return e,
        };
        let text = String::from_utf8_lossy(&bytes);
        let md = parse_metadata(&text);
        let (Some(name), Some(version)) = (md.get("Name"), md.get("Version")) else {
            return Collected::error(c.path, "Python metadata without Name or Version");
        };
        let mut out = Collected::default();
        let comp = component(&md, name, version, c.path);
        let owner = super::Owner::of(&comp);
        out.components.push(comp);
        if let Some(dir) = c.path.strip_suffix("/METADATA") {
            record_ownership(dir, ctx, &owner, &mut out);
        }
        out
    }
}

/// PEP 503 normalised name: lower case, runs of `-_.` become `-`.
pub fn normalise(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for ch in name.trim().chars() {
        if matches!(ch, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(ch.to_lowercase());
        }
    }
    out
}

/// Core metadata headers in order (a header may repeat, e.g. `Project-URL`).
#[derive(Debug, Default)]
pub struct Metadata(pub Vec<(String, String)>);

impl Metadata {
    /// The first value of a header (case-insensitive).
    pub fn get(&self, k: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, v)| key.eq_ignore_ascii_case(k) && !v.is_empty() && v != "UNKNOWN")
            .map(|(_, v)| v.as_str())
    }
    /// Every value of a header.
    pub fn all<'a>(&'a self, k: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(key, _)| key.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty() && *v != "UNKNOWN")
    }
}

/// Parse the header block of METADATA/PKG-INFO (stops at the first blank line).
pub fn parse_metadata(text: &str) -> Metadata {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = out.last_mut() {
                v.push('\n');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    Metadata(out)
}

fn component(md: &Metadata, name: &str, version: &str, at: &str) -> crate::model::Component {
    let norm = normalise(name);
    let purl = meta::purl("pypi", None, &norm, Some(version));
    let mut comp = meta::package("pypi", &norm, Some(version), at, purl);
    comp.name = crate::text::sanitize(name);
    for k in ["Author-email", "Maintainer-email"] {
        for v in md.all(k) {
            meta::people(&mut comp, v, at, false);
        }
    }
    for k in ["Author", "Maintainer"] {
        for v in md.all(k) {
            // Author sometimes carries the address (`Jane <jane@x>`).
            meta::people(&mut comp, v, at, false);
            comp.set_property(&k.to_ascii_lowercase(), v.lines().next().unwrap_or(v));
        }
    }
    for k in ["Home-page", "Download-URL"] {
        for v in md.all(k) {
            meta::url(&mut comp, v, at);
        }
    }
    for v in md.all("Project-URL") {
        let u = v.split_once(',').map(|(_, u)| u).unwrap_or(v);
        meta::url(&mut comp, u, at);
    }
    if let Some(l) = md.get("License-Expression").or_else(|| md.get("License")) {
        comp.set_property("license", l.lines().next().unwrap_or(l));
    }
    if let Some(s) = md.get("Summary") {
        comp.set_property("summary", s);
    }
    comp.add_evidence(
        EvidenceKind::PackageName,
        format!("pypi:{}", normalise(name)),
        at,
    );
    comp
}

/// `RECORD` paths, relative to the directory holding the `.dist-info`, become owned paths.
fn record_ownership(
    dist_info: &str,
    ctx: &Context<'_>,
    owner: &std::sync::Arc<super::Owner>,
    out: &mut Collected,
) {
    let record = format!("{dist_info}/RECORD");
    let text = match ctx.root.read_capped(&record, RECORD_CAP) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => {
            out.errors
                .push(ScanError::new(&record, format!("cannot read RECORD: {e}")));
            return;
        }
    };
    let base = dist_info.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    for line in text.lines() {
        // CSV: path,hash,size. Paths with commas are quoted.
        let path = match line.strip_prefix('"') {
            Some(rest) => rest.split_once('"').map(|(p, _)| p).unwrap_or(rest),
            None => line.split(',').next().unwrap_or(""),
        };
        if path.is_empty() {
            continue;
        }
        if let Some(p) = join_lexically(base, path) {
            out.own(p, owner);
        }
    }
}

/// `base` + relative `rel` with `.`/`..` removed; absolute `rel` is taken as is.
fn join_lexically(base: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = if rel.starts_with('/') {
        Vec::new()
    } else {
        base.split('/').filter(|s| !s.is_empty()).collect()
    };
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalised_names() {
        assert_eq!(normalise("Flask_SQLAlchemy"), "flask-sqlalchemy");
        assert_eq!(normalise("zope.interface"), "zope-interface");
        assert_eq!(normalise("A__-b"), "a-b");
    }

    #[test]
    fn headers_stop_at_body() {
        let md = parse_metadata(
            "Name: x\nProject-URL: Home, https://a\nProject-URL: Src, https://b\n\nName: body\n",
        );
        assert_eq!(md.get("name"), Some("x"));
        assert_eq!(md.all("Project-URL").count(), 2);
    }

    #[test]
    fn record_paths_resolve() {
        assert_eq!(
            join_lexically("/v/lib/python3.11/site-packages", "../../../bin/pip").as_deref(),
            Some("/v/bin/pip")
        );
        assert_eq!(join_lexically("/a", "../../../x"), None);
    }
}
