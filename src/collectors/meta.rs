//! Helpers shared by the manifest collectors (apk, pip, npm, Cargo, gems…): people and links as
//! package metadata writes them, turned into evidence, and purl building.
//!
//! Owns no format; only the conventions many formats share (`Name <mail@host>`, URL fields,
//! `<type>:<name>@<version>` ids).

use crate::model::{Component, ComponentKind, EvidenceKind};

/// The e-mail addresses in a people field: `Jane <jane@x.org>, bob@y.com` → both addresses.
pub fn emails(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in s.split(|c: char| {
        c.is_whitespace() || matches!(c, '<' | '>' | ',' | ';' | '(' | ')' | '"' | '\'')
    }) {
        let w = word
            .trim_start_matches("mailto:")
            .trim_matches(|c: char| c == '.' || c == ':');
        if let Some((user, host)) = w.split_once('@') {
            if !user.is_empty() && host.contains('.') && !host.contains('@') && !host.contains('/')
            {
                out.push(w.to_owned());
            }
        }
    }
    out.dedup();
    out
}

/// Add Email evidence for every address in a people field, and Maintainer evidence for the
/// field itself when `maintainer` is set.
pub fn people(comp: &mut Component, s: &str, at: &str, maintainer: bool) {
    if maintainer {
        comp.add_evidence(EvidenceKind::Maintainer, s, at);
    }
    for e in emails(s).into_iter().take(16) {
        comp.add_evidence(EvidenceKind::Email, e, at);
    }
}

/// Add Url evidence when the value looks like a URL (`git+https://…`, `git@github.com:o/r`).
pub fn url(comp: &mut Component, s: &str, at: &str) {
    let s = s.trim();
    let s = s.strip_prefix("git+").unwrap_or(s);
    if let Some(rest) = s.strip_prefix("git@") {
        // scp-like git remote: git@github.com:org/repo.git
        if let Some((host, path)) = rest.split_once(':') {
            comp.add_evidence(EvidenceKind::Url, format!("https://{host}/{path}"), at);
        }
        return;
    }
    if s.contains("://") {
        comp.add_evidence(EvidenceKind::Url, s, at);
    }
}

/// A package component of ecosystem `ty` (a purl type): id `<ty>:<name>@<version>`, the
/// `<ty>:<name>` package-name evidence, the location and the purl.
pub fn package(
    ty: &str,
    name: &str,
    version: Option<&str>,
    at: &str,
    purl: Option<String>,
) -> Component {
    let mut comp = Component::new(ComponentKind::Package, Some(ty), name, version);
    comp.locations.push(at.to_owned());
    comp.add_evidence(EvidenceKind::PackageName, format!("{ty}:{name}"), at);
    comp.purl = purl;
    comp
}

/// A purl of `ty` with an optional namespace and a version; `None` if the name is unusable.
pub fn purl(
    ty: &str,
    namespace: Option<&str>,
    name: &str,
    version: Option<&str>,
) -> Option<String> {
    let mut p = packageurl::PackageUrl::new(ty, name).ok()?;
    if let Some(ns) = namespace.filter(|n| !n.is_empty()) {
        p.with_namespace(ns);
    }
    if let Some(v) = version.filter(|v| !v.is_empty()) {
        p.with_version(v);
    }
    Some(p.to_string())
}

/// A cargo component.
pub fn crate_component(name: &str, version: &str, source: Option<&str>, at: &str) -> Component {
    let purl = purl("cargo", None, name, Some(version));
    let mut comp = package("cargo", name, Some(version), at, purl);
    if let Some(s) = source {
        comp.set_property("source", s);
    }
    comp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_in_people_fields() {
        assert_eq!(
            emails("Timo Teräs <timo.teras@iki.fi>"),
            vec!["timo.teras@iki.fi"]
        );
        assert_eq!(
            emails("a@b.org, \"X\" <x@y.cn>; nobody, c@localhost"),
            vec!["a@b.org", "x@y.cn"]
        );
        assert!(emails("https://github.com/x@y").is_empty());
    }

    #[test]
    fn git_remotes_become_urls() {
        let mut c = Component::new(ComponentKind::Package, Some("npm"), "x", None);
        url(&mut c, "git+https://github.com/a/b.git", "/p");
        url(&mut c, "git@gitee.com:org/repo.git", "/p");
        url(&mut c, "not a url", "/p");
        let v: Vec<&str> = c.evidence.iter().map(|e| e.value.as_str()).collect();
        assert_eq!(
            v,
            vec![
                "https://github.com/a/b.git",
                "https://gitee.com/org/repo.git"
            ]
        );
    }
}
