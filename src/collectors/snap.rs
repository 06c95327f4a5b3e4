//! Snap packages: `meta/snap.yaml` of each mounted or unpacked snap (`/snap/<name>/<revision>/`
//! on a live system; the snap squashfs images are separate mounts, so scan with
//! `--cross-file-systems` to see them).
//!
//! Top-level scalars are read from the text, not through a YAML number type, so `version: 1.0`
//! stays `1.0`. Components: `snap:<name>@<version>` (the purl specification has no snap type, so
//! there is no purl), with the revision (the directory name under `/snap/<name>/`), type, base,
//! confinement and grade as properties. The publisher is not in `snap.yaml` (snapd keeps it in
//! its store assertions) and is not reported. Cap: 1 MiB.

use super::{meta, Candidate, Collected, Collector, Context};
use crate::model::EvidenceKind;

const CAP: u64 = 1 << 20;

/// The Snap collector.
pub struct Snap;

impl Collector for Snap {
    fn id(&self) -> &'static str {
        "snap"
    }
    fn reads(&self) -> &'static str {
        "`meta/snap.yaml` of mounted or unpacked snaps (`/snap/<name>/<rev>/`; live snap mounts need `--cross-file-systems`)"
    }
    fn emits(&self) -> &'static [EvidenceKind] {
        &[EvidenceKind::PackageName]
    }
    fn matches_path(&self, path: &str) -> bool {
        path.ends_with("/meta/snap.yaml")
    }
    fn wants_owned(&self) -> bool {
        true
    }
    fn collect(&self, c: &Candidate<'_>, _ctx: &Context<'_>) -> Collected {
        let text = match c.text("snap.yaml", CAP) {
            Ok(t) => t,
            Err(e) => return e,
        };
        let get = |k: &str| top_level(&text, k);
        let (Some(name), Some(version)) = (get("name"), get("version")) else {
            return Collected::error(c.path, "snap.yaml without name or version");
        };
        let mut comp = meta::package("snap", &name, Some(&version), c.path, None);
        for k in [
            "summary",
            "type",
            "base",
            "confinement",
            "grade",
            "license",
            "title",
        ] {
            if let Some(v) = get(k) {
                comp.set_property(k, v);
            }
        }
        // /snap/<name>/<revision>/meta/snap.yaml
        let parts: Vec<&str> = c.path.split('/').collect();
        if let [.., "snap", n, rev, "meta", "snap.yaml"] = parts.as_slice() {
            if *n == name {
                comp.set_property("revision", *rev);
            }
        }
        Collected {
            components: vec![comp],
            ..Collected::default()
        }
    }
}

/// A top-level `key: value` scalar (quotes removed; block scalars and flow values ignored).
pub fn top_level(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let rest = l.strip_prefix(key)?.strip_prefix(':')?;
        let v = rest.split(" #").next().unwrap_or(rest).trim();
        let v = v.trim_matches(|c| c == '"' || c == '\'');
        (!v.is_empty() && !v.starts_with(['|', '>', '{', '['])).then(|| v.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_stay_text() {
        let t = "name: x\nversion: 1.0\nsummary: 'a b'\ndescription: |\n  long\napps:\n  name: nested\n";
        assert_eq!(top_level(t, "version").as_deref(), Some("1.0"));
        assert_eq!(top_level(t, "summary").as_deref(), Some("a b"));
        assert_eq!(top_level(t, "description"), None);
        assert_eq!(top_level(t, "name").as_deref(), Some("x"));
    }
}
