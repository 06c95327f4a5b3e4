//! PHP Composer: installed packages (`vendor/composer/installed.json`, Composer 1 list and
//! Composer 2 `{"packages": [...]}` forms) and lock files (`composer.lock`, `packages` and
//! `packages-dev`).
//!
//! A lock file whose directory has `vendor/composer/installed.json` is skipped: what is
//! installed is the truth. Components: `composer:<vendor>/<name>@<version>`, purl
//! `pkg:composer/<vendor>/<name>@<version>`; dev packages carry the property `dev: true`.
//! Evidence: source and homepage URLs, author e-mails. Cap: 64 MiB per file.

use super::{meta, Candidate, Collected, Collector, Context};
use crate::model::EvidenceKind;
use crate::model::ScanError;
use serde_json::Value;

const CAP: u64 = 64 << 20;

/// The Composer collector.
pub struct Composer;

impl Collector for Composer {
    fn id(&self) -> &'static str {
        "composer"
    }
    fn reads(&self) -> &'static str {
        "`vendor/composer/installed.json` (Composer 1 and 2), `composer.lock` where nothing is installed"
    }
    fn emits(&self) -> &'static [EvidenceKind] {
        &[
            EvidenceKind::Email,
            EvidenceKind::Maintainer,
            EvidenceKind::PackageName,
            EvidenceKind::Url,
        ]
    }
    fn matches_path(&self, path: &str) -> bool {
        path.ends_with("/vendor/composer/installed.json")
            || (path.ends_with("/composer.lock") && !path.contains("/vendor/"))
    }
    fn collect(&self, c: &Candidate<'_>, ctx: &Context<'_>) -> Collected {
        if let Some(dir) = c.path.strip_suffix("/composer.lock") {
            if ctx
                .root
                .is_file(&format!("{dir}/vendor/composer/installed.json"))
            {
                return Collected::default();
            }
        }
        let text = match c.text("Composer file", CAP) {
            Ok(t) => t,
            Err(e) => return e,
        };
        match serde_json::from_str::<Value>(&text) {
            Ok(v) => parse(&v, c.path),
            Err(e) => Collected::error(c.path, format!("invalid JSON: {e}")),
        }
    }
}

/// Packages of an installed.json or composer.lock document.
pub fn parse(v: &Value, at: &str) -> Collected {
    let mut out = Collected::default();
    let dev_names: Vec<&str> = v["dev-package-names"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let lists: Vec<(&Value, bool)> = match v {
        Value::Array(_) => vec![(v, false)],
        _ => vec![(&v["packages"], false), (&v["packages-dev"], true)],
    };
    for (list, dev) in lists {
        for p in list.as_array().into_iter().flatten() {
            let (Some(name), Some(version)) = (p["name"].as_str(), p["version"].as_str()) else {
                out.errors.push(ScanError::new(
                    at,
                    "package entry without a name or version",
                ));
                continue;
            };
            let (ns, base) = name
                .split_once('/')
                .map_or((None, name), |(n, b)| (Some(n), b));
            let purl = meta::purl("composer", ns, base, Some(version));
            let mut comp = meta::package("composer", name, Some(version), at, purl);
            if dev || dev_names.contains(&name) {
                comp.set_property("dev", "true");
            }
            if let Some(u) = p["source"]["url"].as_str() {
                meta::url(&mut comp, u, at);
            }
            if let Some(u) = p["homepage"].as_str() {
                meta::url(&mut comp, u, at);
            }
            for a in p["authors"].as_array().into_iter().flatten().take(32) {
                if let Some(e) = a["email"].as_str() {
                    meta::people(&mut comp, e, at, false);
                }
            }
            let licenses: Vec<&str> = p["license"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if !licenses.is_empty() {
                comp.set_property("license", licenses.join(" OR "));
            }
            out.components.push(comp);
        }
    }
    out
}
