//! apk: Alpine Linux and derivatives (postmarketOS, Wolfi/Chainguard images).
//!
//! Reads `/lib/apk/db/installed` (the apk v2 installed database: blank-line separated stanzas
//! of `X:value` lines, see apk-tools `doc/apk-installed-db` and `src/database.c`). Fields used:
//! `P` name, `V` version, `A` arch, `U` URL, `L` licence, `o` origin (source package), `m`
//! maintainer, `c` aports commit, `T` description; `F` directory and `R` file lines give file
//! ownership. Cap: 256 MiB. A stanza without `P` or `V` is reported and skipped.

use super::{meta, Candidate, Collected, Collector, Context, Phase};
use crate::model::{EvidenceKind, ScanError};

const CAP: u64 = 256 << 20;
const INSTALLED: &str = "/lib/apk/db/installed";

/// The apk collector.
pub struct Apk;

impl Collector for Apk {
    fn id(&self) -> &'static str {
        "apk"
    }
    fn reads(&self) -> &'static str {
        "`/lib/apk/db/installed`: packages, origin, maintainer, URL, licence, file ownership"
    }
    fn emits(&self) -> &'static [EvidenceKind] {
        &[
            EvidenceKind::Distributor,
            EvidenceKind::Email,
            EvidenceKind::Maintainer,
            EvidenceKind::PackageName,
            EvidenceKind::Url,
        ]
    }
    fn phase(&self) -> Phase {
        Phase::Database
    }
    fn database_paths(&self) -> &'static [&'static str] {
        &[INSTALLED]
    }
    fn matches_path(&self, path: &str) -> bool {
        path == INSTALLED || path == "/usr/lib/apk/db/installed"
    }
    fn collect(&self, c: &Candidate<'_>, ctx: &Context<'_>) -> Collected {
        let text = match c.text("apk database", CAP) {
            Ok(t) => t,
            Err(e) => return e,
        };
        let mut out = Collected::default();
        let dirs = super::DirCache::default();
        for st in parse_installed(&text) {
            match st {
                Ok(p) => {
                    let comp = p.component(c.path, ctx);
                    let owner = super::Owner::of(&comp);
                    for f in &p.files {
                        out.own(dirs.canonical(ctx.root, f), &owner);
                    }
                    out.components.push(comp);
                }
                Err(e) => out.errors.push(ScanError::new(c.path, e)),
            }
        }
        if out.components.is_empty() && out.errors.is_empty() && !text.trim().is_empty() {
            out.errors
                .push(ScanError::new(c.path, "no package stanza could be parsed"));
        }
        out
    }
}

/// One installed package.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ApkPackage {
    /// `P`.
    pub name: String,
    /// `V`.
    pub version: String,
    /// Single-letter field → value (first occurrence).
    pub fields: std::collections::BTreeMap<char, String>,
    /// Owned paths (`/dir/file`).
    pub files: Vec<String>,
}

impl ApkPackage {
    fn get(&self, k: char) -> Option<&str> {
        self.fields
            .get(&k)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    fn component(&self, at: &str, ctx: &Context<'_>) -> crate::model::Component {
        let ns = ctx.os.id.clone().unwrap_or_else(|| "alpine".to_owned());
        let mut p = packageurl::PackageUrl::new("apk", self.name.as_str()).ok();
        if let Some(p) = p.as_mut() {
            p.with_namespace(ns.as_str())
                .with_version(self.version.as_str());
            if let Some(a) = self.get('A') {
                let _ = p.add_qualifier("arch", a);
            }
            if let Some(d) = ctx.os.distro() {
                let _ = p.add_qualifier("distro", d);
            }
        }
        let mut comp = meta::package(
            "apk",
            &self.name,
            Some(&self.version),
            at,
            p.map(|p| p.to_string()),
        );
        if let Some(o) = self.get('o').filter(|o| *o != self.name) {
            comp.add_evidence(EvidenceKind::PackageName, format!("apk:{o}"), at);
        }
        if let Some(m) = self.get('m') {
            meta::people(&mut comp, m, at, true);
        }
        if let Some(u) = self.get('U') {
            meta::url(&mut comp, u, at);
        }
        if let Some(os) = ctx.os.name.as_ref().or(ctx.os.id.as_ref()) {
            comp.add_evidence(EvidenceKind::Distributor, os, "/etc/os-release");
        }
        for (k, name) in [
            ('A', "arch"),
            ('L', "license"),
            ('o', "origin"),
            ('c', "commit"),
            ('T', "summary"),
        ] {
            if let Some(v) = self.get(k) {
                comp.set_property(name, v);
            }
        }
        comp
    }
}

/// Parse the installed database into packages; a stanza missing `P` or `V` is an `Err`.
pub fn parse_installed(text: &str) -> Vec<Result<ApkPackage, String>> {
    let mut out = Vec::new();
    let mut cur = ApkPackage::default();
    let mut dir = String::new();
    let mut start = 1;
    let mut seen = false;
    let flush = |cur: &mut ApkPackage,
                 start: usize,
                 seen: bool,
                 out: &mut Vec<Result<ApkPackage, String>>| {
        if seen {
            let p = std::mem::take(cur);
            out.push(if p.name.is_empty() || p.version.is_empty() {
                Err(format!("line {start}: package stanza without P: or V:"))
            } else {
                Ok(p)
            });
        }
    };
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            flush(&mut cur, start, seen, &mut out);
            seen = false;
            dir.clear();
            start = i + 2;
            continue;
        }
        seen = true;
        let mut chars = line.chars();
        let (Some(k), Some(':')) = (chars.next(), chars.next()) else {
            continue; // not `X:value`: apk itself ignores such lines
        };
        let v = chars.as_str();
        match k {
            'P' => cur.name = v.to_owned(),
            'V' => cur.version = v.to_owned(),
            'F' => dir = v.trim_matches('/').to_owned(),
            'R' => {
                let p = if dir.is_empty() {
                    format!("/{v}")
                } else {
                    format!("/{dir}/{v}")
                };
                cur.files.push(p);
            }
            _ => {
                cur.fields.entry(k).or_insert_with(|| v.to_owned());
            }
        }
    }
    flush(&mut cur, start, seen, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stanzas_files_and_bad_stanza() {
        let t = "P:a\nV:1-r0\nF:usr/lib\nR:liba.so\n\nV:2\nm:x\n\nP:b\nV:2-r1\nR:top\n";
        let v = parse_installed(t);
        assert_eq!(v.len(), 3);
        let a = v[0].as_ref().unwrap();
        assert_eq!(a.files, vec!["/usr/lib/liba.so"]);
        assert!(v[1].as_ref().unwrap_err().contains("line 6"));
        assert_eq!(v[2].as_ref().unwrap().files, vec!["/top"]);
    }
}
