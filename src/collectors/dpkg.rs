//! dpkg: Debian and derivatives (Ubuntu, UOS/Deepin, Kylin, Astra…).
//!
//! Reads `/var/lib/dpkg/status` (deb822 stanzas, see deb-status(5)) and, for distroless images,
//! each file of `/var/lib/dpkg/status.d/`. Only packages whose status is installed (or whose
//! files are on disk: `unpacked`, `half-configured`, `triggers-*`) are reported. File ownership
//! comes from `/var/lib/dpkg/info/<pkg>[:<arch>].list` (or `status.d/<pkg>.md5sums`), resolved
//! through the root's directory symlinks so `/bin/ls` in a merged-/usr system owns `/usr/bin/ls`.
//! A machine-readable (DEP-5) `/usr/share/doc/<pkg>/copyright` adds upstream evidence.
//!
//! Caps: the status file may be up to 256 MiB; each `.list` and copyright file up to 16 MiB.
//! Evidence: maintainer, homepage and Vcs URLs, DEP-5 Upstream-Contact/Source/Copyright
//! holders, package and source package names, and the distributor from os-release.

use super::{Candidate, Collected, Collector, Context, DirCache, Phase};
use crate::model::{Component, ComponentKind, EvidenceKind};
use crate::rootfs::RootFs;
use rayon::prelude::*;

const STATUS_CAP: u64 = 256 << 20;
const FILE_CAP: u64 = 16 << 20;
const STATUS: &str = "/var/lib/dpkg/status";
const STATUS_D: &str = "/var/lib/dpkg/status.d/";

/// The dpkg collector.
pub struct Dpkg;

impl Collector for Dpkg {
    fn id(&self) -> &'static str {
        "dpkg"
    }
    fn reads(&self) -> &'static str {
        "`/var/lib/dpkg/status`, `status.d/` (distroless), `info/*.list` for file ownership, DEP-5 `/usr/share/doc/*/copyright`"
    }
    fn emits(&self) -> &'static [EvidenceKind] {
        &[
            EvidenceKind::CopyrightHolder,
            EvidenceKind::Distributor,
            EvidenceKind::Email,
            EvidenceKind::Homepage,
            EvidenceKind::Maintainer,
            EvidenceKind::PackageName,
            EvidenceKind::Url,
        ]
    }
    fn phase(&self) -> Phase {
        Phase::Database
    }
    fn database_paths(&self) -> &'static [&'static str] {
        &[STATUS]
    }
    fn matches_path(&self, path: &str) -> bool {
        path == STATUS
            || path
                .strip_prefix(STATUS_D)
                .is_some_and(|n| !n.contains('/') && !n.ends_with(".md5sums"))
    }
    fn reads_beside(&self, path: &str) -> bool {
        let in_dir = |dir: &str| path.strip_prefix(dir).is_some_and(|n| !n.contains('/'));
        (in_dir("/var/lib/dpkg/info/") && path.ends_with(".list"))
            || (in_dir(STATUS_D) && path.ends_with(".md5sums"))
            || path
                .strip_prefix("/usr/share/doc/")
                .and_then(|r| r.strip_suffix("/copyright"))
                .is_some_and(|pkg| !pkg.contains('/'))
    }
    fn collect(&self, c: &Candidate<'_>, ctx: &Context<'_>) -> Collected {
        let text = match c.text("dpkg status", STATUS_CAP) {
            Ok(t) => t,
            Err(e) => return e,
        };
        let distroless = c.path != STATUS;
        let mut out = Collected::default();
        let stanzas = parse_status(&text);
        if stanzas.is_empty() && !text.trim().is_empty() {
            out.errors.push(crate::model::ScanError::new(
                c.path,
                "no package stanza could be parsed",
            ));
        }
        let dirs = DirCache::default();
        let results: Vec<Parsed<'_>> = stanzas
            .par_iter()
            .filter_map(|st| match st {
                Ok(st) => Some(package(st, c.path, distroless, ctx)),
                Err(e) => Some((Collected::error(c.path, e), None)),
            })
            .collect();
        // The file lists are read in order into one arena: per-package lists joined afterwards
        // would hold a host's 100,000 paths or more twice over, and leave the holes behind.
        for (r, owner) in results {
            out.extend(r);
            if let Some((st, owner)) = owner {
                let name = field(st, "Package").unwrap_or_default();
                let arch = field(st, "Architecture");
                let ids = (ctx.root, &dirs, &owner);
                owned_files(name, arch, distroless, c.path, ids, &mut out);
            }
        }
        out
    }
}

/// One stanza: field name (as written) → value (continuation lines joined with `\n`).
pub type Stanza = Vec<(String, String)>;

/// Look a field up case-insensitively.
pub fn field<'a>(st: &'a Stanza, name: &str) -> Option<&'a str> {
    st.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// Parse deb822 text into stanzas. A malformed stanza yields an `Err` with its line number and
/// the next stanza is still parsed.
pub fn parse_status(text: &str) -> Vec<Result<Stanza, String>> {
    let mut out = Vec::new();
    let mut cur: Stanza = Vec::new();
    let mut bad: Option<String> = None;
    let flush =
        |cur: &mut Stanza, bad: &mut Option<String>, out: &mut Vec<Result<Stanza, String>>| {
            if let Some(e) = bad.take() {
                out.push(Err(e));
            } else if !cur.is_empty() {
                out.push(Ok(std::mem::take(cur)));
            }
            cur.clear();
        };
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            flush(&mut cur, &mut bad, &mut out);
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            match cur.last_mut() {
                Some((_, v)) => {
                    v.push('\n');
                    v.push_str(line.trim());
                }
                None => {
                    bad.get_or_insert_with(|| {
                        format!("line {}: continuation line outside a field", i + 1)
                    });
                }
            }
            continue;
        }
        match line.split_once(':') {
            Some((k, v)) if !k.is_empty() && !k.contains(' ') => {
                cur.push((k.to_owned(), v.trim().to_owned()))
            }
            _ => {
                bad.get_or_insert_with(|| format!("line {}: expected `Field: value`", i + 1));
            }
        }
    }
    flush(&mut cur, &mut bad, &mut out);
    out
}

/// True when the third word of `Status:` means the package's files are on disk.
pub fn is_installed(status: &str) -> bool {
    matches!(
        status.split_whitespace().nth(2),
        Some(
            "installed" | "unpacked" | "half-configured" | "triggers-awaited" | "triggers-pending"
        )
    )
}

/// A stanza's result, with the stanza and owner of an installed package (see [`package`]).
type Parsed<'s> = (
    Collected,
    Option<(&'s Stanza, std::sync::Arc<super::Owner>)>,
);

/// The component of one installed package's stanza, with its stanza and owner for the file
/// list read afterwards (none for a stanza that is not an installed package).
fn package<'s>(
    st: &'s Stanza,
    status_path: &str,
    distroless: bool,
    ctx: &Context<'_>,
) -> Parsed<'s> {
    let mut out = Collected::default();
    let Some(name) = field(st, "Package") else {
        out.errors.push(crate::model::ScanError::new(
            status_path,
            "stanza without a Package field",
        ));
        return (out, None);
    };
    // Distroless status.d entries carry no Status field: their presence means installed.
    if !distroless && !field(st, "Status").is_some_and(is_installed) {
        return (out, None);
    }
    let version = field(st, "Version");
    let arch = field(st, "Architecture");
    let mut comp = Component::new(ComponentKind::Package, Some("deb"), name, version);
    comp.locations.push(status_path.to_owned());
    comp.purl = purl(name, version, arch, field(st, "Source"), ctx);
    let at = status_path;
    comp.add_evidence(EvidenceKind::PackageName, format!("deb:{name}"), at);
    if let Some(src) = field(st, "Source") {
        let src = src.split_whitespace().next().unwrap_or(src);
        comp.set_property("source", src);
        if src != name {
            comp.add_evidence(EvidenceKind::PackageName, format!("deb:{src}"), at);
        }
    }
    if let Some(a) = arch {
        comp.set_property("arch", a);
    }
    if let Some(sec) = field(st, "Section") {
        comp.set_property("section", sec);
    }
    if let Some(m) = field(st, "Maintainer") {
        comp.add_evidence(EvidenceKind::Maintainer, m, at);
    }
    if let Some(m) = field(st, "Original-Maintainer") {
        comp.add_evidence(EvidenceKind::Maintainer, m, at);
    }
    // A native package (no Debian revision in its version) is its maintainer's own work: the
    // maintainer is also the upstream contact.
    if version.is_some_and(|v| !v.contains('-')) {
        if let Some(m) = field(st, "Maintainer") {
            comp.set_property("native", "true");
            comp.add_evidence(EvidenceKind::Email, m, at);
        }
    }
    for f in ["Homepage", "Vcs-Browser", "Vcs-Git"] {
        if let Some(u) = field(st, f) {
            if f == "Homepage" {
                comp.add_evidence(EvidenceKind::Homepage, u, at);
            } else {
                comp.set_property(&f.to_ascii_lowercase(), u);
            }
        }
    }
    if let Some(os) = ctx.os.name.as_ref().or(ctx.os.id.as_ref()) {
        comp.add_evidence(EvidenceKind::Distributor, os, "/etc/os-release");
    }
    copyright_evidence(&mut comp, ctx.root, name, &mut out);
    let owner = super::Owner::of(&comp);
    out.components.push(comp);
    (out, Some((st, owner)))
}

fn purl(
    name: &str,
    version: Option<&str>,
    arch: Option<&str>,
    source: Option<&str>,
    ctx: &Context<'_>,
) -> Option<String> {
    let ns = ctx.os.id.clone().unwrap_or_else(|| "debian".to_owned());
    let mut p = packageurl::PackageUrl::new("deb", name).ok()?;
    p.with_namespace(ns);
    if let Some(v) = version {
        p.with_version(v);
    }
    if let Some(a) = arch {
        p.add_qualifier("arch", a).ok()?;
    }
    if let Some(d) = ctx.os.distro() {
        p.add_qualifier("distro", d).ok()?;
    }
    if let Some(src) = source {
        let mut words = src.split_whitespace();
        let src_name = words.next().unwrap_or(src);
        let src_ver = words
            .next()
            .map(|v| v.trim_matches(|c| c == '(' || c == ')'));
        let up = match src_ver {
            Some(v) => format!("{src_name}@{v}"),
            None => src_name.to_owned(),
        };
        if src_name != name || src_ver.is_some() {
            p.add_qualifier("upstream", up).ok()?;
        }
    }
    Some(p.to_string())
}

fn owned_files(
    name: &str,
    arch: Option<&str>,
    distroless: bool,
    status_path: &str,
    (root, dirs, owner): (&RootFs, &DirCache, &std::sync::Arc<super::Owner>),
    out: &mut Collected,
) {
    let (candidates, md5): (Vec<String>, bool) = if distroless {
        let base = status_path.strip_prefix(STATUS_D).unwrap_or(name);
        (
            vec![
                format!("{STATUS_D}{base}.md5sums"),
                format!("{STATUS_D}{name}.md5sums"),
            ],
            true,
        )
    } else {
        let mut v = Vec::new();
        if let Some(a) = arch {
            v.push(format!("/var/lib/dpkg/info/{name}:{a}.list"));
        }
        v.push(format!("/var/lib/dpkg/info/{name}.list"));
        (v, false)
    };
    for list in &candidates {
        match root.read_string_capped(list, FILE_CAP) {
            Ok(text) => {
                for line in text.lines() {
                    let p = if md5 {
                        line.split_once("  ").map(|(_, p)| p).unwrap_or("")
                    } else {
                        line
                    };
                    let p = p.trim();
                    if p.is_empty() || p == "/." {
                        continue;
                    }
                    let p = if p.starts_with('/') {
                        p.to_owned()
                    } else {
                        format!("/{p}")
                    };
                    out.own(dirs.canonical(root, &p), owner);
                }
                return;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                out.errors.push(crate::model::ScanError::new(
                    list,
                    format!("cannot read file list: {e}"),
                ));
                return;
            }
        }
    }
}

fn copyright_evidence(comp: &mut Component, root: &RootFs, name: &str, out: &mut Collected) {
    let path = format!("/usr/share/doc/{name}/copyright");
    let text = match root.read_string_capped(&path, FILE_CAP) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) if e.to_string().contains("not a regular file") => return,
        Err(e) => {
            out.errors.push(crate::model::ScanError::new(
                &path,
                format!("cannot read copyright: {e}"),
            ));
            return;
        }
    };
    let Some(dep5) = parse_dep5(&text) else {
        return;
    };
    if let Some(n) = dep5.upstream_name {
        comp.set_property("upstream-name", n);
    }
    for c in dep5.upstream_contacts {
        if c.contains('@') && !c.contains("://") {
            comp.add_evidence(EvidenceKind::Email, c, &path);
        } else {
            comp.add_evidence(EvidenceKind::Url, c, &path);
        }
    }
    for s in dep5.sources {
        comp.add_evidence(EvidenceKind::Url, s, &path);
    }
    for h in dep5.holders {
        comp.add_evidence(EvidenceKind::CopyrightHolder, h, &path);
    }
}

/// What a machine-readable debian/copyright says about upstream.
#[derive(Debug, Default, PartialEq)]
pub struct Dep5 {
    /// Upstream-Name.
    pub upstream_name: Option<String>,
    /// Upstream-Contact entries (addresses or URLs).
    pub upstream_contacts: Vec<String>,
    /// URLs in Source.
    pub sources: Vec<String>,
    /// Copyright holders of the `Files: *` paragraph (years and "Copyright" stripped).
    pub holders: Vec<String>,
}

/// Parse DEP-5; `None` when the file is not machine-readable.
pub fn parse_dep5(text: &str) -> Option<Dep5> {
    let first = text.lines().find(|l| !l.trim().is_empty())?;
    if !(first.starts_with("Format:") && first.contains("copyright-format")) {
        return None;
    }
    let stanzas: Vec<Stanza> = parse_status(text)
        .into_iter()
        .filter_map(Result::ok)
        .collect();
    let header = stanzas.first()?;
    let mut d = Dep5 {
        upstream_name: field(header, "Upstream-Name").map(str::to_owned),
        ..Dep5::default()
    };
    if let Some(c) = field(header, "Upstream-Contact") {
        d.upstream_contacts = c
            .lines()
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty() && l != ".")
            .collect();
    }
    if let Some(s) = field(header, "Source") {
        d.sources = s
            .split_whitespace()
            .filter(|w| {
                w.starts_with("http://") || w.starts_with("https://") || w.starts_with("ftp://")
            })
            .map(|w| w.trim_end_matches([',', ';', ')']).to_owned())
            .collect();
    }
    for st in &stanzas[1..] {
        if field(st, "Files").map(str::trim) != Some("*") {
            continue;
        }
        if let Some(c) = field(st, "Copyright") {
            d.holders.extend(c.lines().filter_map(copyright_holder));
        }
    }
    d.holders.dedup();
    d.holders.truncate(16);
    Some(d)
}

/// "Copyright (c) 1998-2023 The OpenSSL Project Authors <x@y>" → "The OpenSSL Project Authors".
/// Lines that do not start with a year or a copyright sign (licence text run into the field)
/// give nothing.
pub fn copyright_holder(line: &str) -> Option<String> {
    let mut s = line.trim();
    let starts_ok = s.starts_with(|c: char| c.is_ascii_digit())
        || ["Copyright", "copyright", "COPYRIGHT", "(C)", "(c)", "©"]
            .iter()
            .any(|p| s.starts_with(p));
    if !starts_ok {
        return None;
    }
    for p in ["Copyright", "copyright", "(C)", "(c)", "©", ":"] {
        s = s.trim_start_matches(p).trim_start();
    }
    let s =
        s.trim_start_matches(|c: char| c.is_ascii_digit() || matches!(c, '-' | ',' | ' ' | '–'));
    let s = match s.find('<') {
        Some(i) => &s[..i],
        None => s,
    };
    let s = s.trim().trim_end_matches([',', '.', ';']).trim();
    (s.len() >= 2 && s != ".").then(|| s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stanzas_and_continuations() {
        let t = "Package: a\nStatus: install ok installed\nDescription: x\n more\n\nPackage: b\nStatus: deinstall ok config-files\n";
        let s = parse_status(t);
        assert_eq!(s.len(), 2);
        let a = s[0].as_ref().unwrap();
        assert_eq!(field(a, "description"), Some("x\nmore"));
        assert!(is_installed(field(a, "Status").unwrap()));
        assert!(!is_installed(
            field(s[1].as_ref().unwrap(), "Status").unwrap()
        ));
    }

    #[test]
    fn malformed_stanza_is_reported_and_next_kept() {
        let t = "Package: a\ngarbage line\n\nPackage: b\nStatus: install ok installed\n";
        let s = parse_status(t);
        assert!(s[0].as_ref().unwrap_err().contains("line 2"));
        assert_eq!(field(s[1].as_ref().unwrap(), "Package"), Some("b"));
    }

    #[test]
    fn holders() {
        assert_eq!(
            copyright_holder("1998-2023 The OpenSSL Project Authors").as_deref(),
            Some("The OpenSSL Project Authors")
        );
        assert_eq!(
            copyright_holder(
                "Copyright (C) 2007 Free Software Foundation, Inc. <https://fsf.org/>"
            )
            .as_deref(),
            Some("Free Software Foundation, Inc")
        );
        assert_eq!(
            copyright_holder("2020, Jane Doe <jane@example.org>").as_deref(),
            Some("Jane Doe")
        );
    }
}
