//! Comparing two reports (`sovscan diff OLD NEW`): components added, removed and changed, and
//! the shifts in counts and shares by origin, country and category.
//!
//! Components are matched by their stable id first. Among the rest, a component whose id
//! changed only because its version did (`deb:x@1` → `deb:x@2`) is matched by kind, ecosystem,
//! name and the id's qualifier (`?arch`, `?host=`), so an upgrade is one change, not an
//! addition and a removal; several candidates pair in version order. A change lists the fields
//! that differ among `version`, `vendor` and `origin`. Summaries are recomputed from the
//! components, so a hand-edited summary cannot mislead. Rendering lives in
//! [`crate::report::diff`]; this module only compares.

use crate::model::{Component, Origin, Report};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Schema name of the JSON diff.
pub const SCHEMA: &str = "sovscan-diff/1";

/// One changed component.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The fields that differ (`version`, `vendor`, `origin`).
    pub fields: Vec<String>,
    /// The component in the old report.
    pub before: Component,
    /// The component in the new report.
    pub after: Component,
}

/// How one count moved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shift {
    /// Origin class, country code, or `category/key`.
    pub key: String,
    /// Count in the old report.
    pub before: usize,
    /// Count in the new report.
    pub after: usize,
    /// `after - before`.
    pub delta: i64,
    /// Share of all components in the old report (0–1).
    pub share_before: f64,
    /// Share in the new report (0–1).
    pub share_after: f64,
}

/// Headline numbers of a diff.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DiffSummary {
    /// Components in the old report.
    pub components_before: usize,
    /// Components in the new report.
    pub components_after: usize,
    /// Number added.
    pub added: usize,
    /// Number removed.
    pub removed: usize,
    /// Number changed.
    pub changed: usize,
    /// Shifts by origin class.
    pub by_origin: Vec<Shift>,
    /// Shifts by country of the ultimate owner.
    pub by_country: Vec<Shift>,
    /// Shifts by `category/origin-or-country`.
    pub by_category: Vec<Shift>,
    /// Ids (in the new report) of components that are foreign now and were not (or are new).
    pub newly_foreign: Vec<String>,
    /// Ids (in the new report) of components of unknown origin now that were known (or are new).
    pub newly_unknown: Vec<String>,
    /// Caveats (a different home or rule database between the two reports).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diff {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// Start time, host and home of the old report.
    pub old: Side,
    /// Same for the new report.
    pub new: Side,
    /// Components only in the new report.
    pub added: Vec<Component>,
    /// Components only in the old report.
    pub removed: Vec<Component>,
    /// Components in both whose version, vendor or origin differ.
    pub changed: Vec<Change>,
    /// Shifts.
    pub summary: DiffSummary,
}

/// Which report one side is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Side {
    /// `scan.started`.
    pub started: String,
    /// `scan.host`.
    pub host: Option<String>,
    /// `scan.home`.
    pub home: Option<String>,
    /// Rule database version.
    pub rules: String,
}

impl Side {
    fn of(r: &Report) -> Self {
        Side {
            started: r.scan.started.clone(),
            host: r.scan.host.clone(),
            home: r.scan.home.clone(),
            rules: r.tool.rules.version.clone(),
        }
    }
}

/// What `--fail-on` tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// A component is foreign that was not (or a new foreign one).
    NewForeign,
    /// A component is of unknown origin that was not (or a new unknown one).
    NewUnknown,
    /// Anything added, removed or changed.
    Any,
}

impl Diff {
    /// Whether the condition holds (exit code 1).
    pub fn fails(&self, on: FailOn) -> bool {
        match on {
            FailOn::NewForeign => !self.summary.newly_foreign.is_empty(),
            FailOn::NewUnknown => !self.summary.newly_unknown.is_empty(),
            FailOn::Any => {
                !(self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty())
            }
        }
    }
}

fn vendor_id(c: &Component) -> Option<&str> {
    c.vendor.as_deref().map(|v| v.id.as_str())
}

fn changed_fields(a: &Component, b: &Component) -> Vec<String> {
    let mut f = Vec::new();
    if a.version != b.version {
        f.push("version".to_owned());
    }
    if vendor_id(a) != vendor_id(b) {
        f.push("vendor".to_owned());
    }
    if a.origin != b.origin {
        f.push("origin".to_owned());
    }
    f
}

/// The identity of a component apart from its version: kind, ecosystem, name, id qualifier.
fn loose_key(c: &Component) -> (String, Option<String>, String, Option<String>) {
    let qualifier = c.id.split_once('?').map(|(_, q)| q.to_owned());
    (
        crate::report::props::kind_str(c).to_owned(),
        c.ecosystem.clone(),
        c.name.clone(),
        qualifier,
    )
}

/// Compare two reports.
pub fn diff(old: &Report, new: &Report) -> Diff {
    let mut old = old.clone();
    let mut new = new.clone();
    old.summarise();
    new.summarise();
    let old_by: BTreeMap<&str, &Component> =
        old.components.iter().map(|c| (c.id.as_str(), c)).collect();
    let new_by: BTreeMap<&str, &Component> =
        new.components.iter().map(|c| (c.id.as_str(), c)).collect();
    let mut changed = Vec::new();
    for (id, a) in &old_by {
        if let Some(b) = new_by.get(id) {
            let fields = changed_fields(a, b);
            if !fields.is_empty() {
                changed.push(Change {
                    fields,
                    before: (*a).clone(),
                    after: (*b).clone(),
                });
            }
        }
    }
    // Unmatched ones, grouped by identity-without-version.
    type Key = (String, Option<String>, String, Option<String>);
    let mut gone: BTreeMap<Key, Vec<&Component>> = BTreeMap::new();
    for c in old
        .components
        .iter()
        .filter(|c| !new_by.contains_key(c.id.as_str()))
    {
        gone.entry(loose_key(c)).or_default().push(c);
    }
    let mut came: BTreeMap<Key, Vec<&Component>> = BTreeMap::new();
    for c in new
        .components
        .iter()
        .filter(|c| !old_by.contains_key(c.id.as_str()))
    {
        came.entry(loose_key(c)).or_default().push(c);
    }
    let mut removed = Vec::new();
    let mut added = Vec::new();
    for (key, mut olds) in gone {
        let mut news = came.remove(&key).unwrap_or_default();
        olds.sort_by(|a, b| a.version.cmp(&b.version).then(a.id.cmp(&b.id)));
        news.sort_by(|a, b| a.version.cmp(&b.version).then(a.id.cmp(&b.id)));
        let n = olds.len().min(news.len());
        for (a, b) in olds.iter().zip(news.iter()).take(n) {
            let mut fields = changed_fields(a, b);
            if fields.is_empty() {
                fields.push("id".to_owned());
            }
            changed.push(Change {
                fields,
                before: (*a).clone(),
                after: (*b).clone(),
            });
        }
        removed.extend(olds.into_iter().skip(n).cloned());
        added.extend(news.into_iter().skip(n).cloned());
    }
    added.extend(came.into_values().flatten().cloned());
    added.sort_by(|a, b| a.id.cmp(&b.id));
    removed.sort_by(|a, b| a.id.cmp(&b.id));
    changed.sort_by(|a, b| a.after.id.cmp(&b.after.id));

    let newly = |o: Origin| -> Vec<String> {
        let mut v: Vec<String> = added
            .iter()
            .filter(|c| c.origin == Some(o))
            .map(|c| c.id.clone())
            .collect();
        v.extend(
            changed
                .iter()
                .filter(|ch| ch.after.origin == Some(o) && ch.before.origin != Some(o))
                .map(|ch| ch.after.id.clone()),
        );
        v.sort();
        v
    };
    let (nb, na) = (old.summary.components, new.summary.components);
    let mut notes = Vec::new();
    if old.scan.home != new.scan.home {
        notes.push(format!(
            "the reports were made with different homes ({} and {}): origin changes may come from that",
            old.scan.home.as_deref().unwrap_or("none"),
            new.scan.home.as_deref().unwrap_or("none")
        ));
    }
    if old.tool.rules.digest != new.tool.rules.digest {
        notes.push(format!(
            "the rule databases differ ({} and {}): vendor changes may come from the rules",
            old.tool.rules.version, new.tool.rules.version
        ));
    }
    let flat_cat = |r: &Report| -> BTreeMap<String, usize> {
        r.summary
            .by_category
            .iter()
            .flat_map(|(cat, m)| m.iter().map(move |(k, n)| (format!("{cat}/{k}"), *n)))
            .collect()
    };
    let summary = DiffSummary {
        components_before: nb,
        components_after: na,
        added: added.len(),
        removed: removed.len(),
        changed: changed.len(),
        by_origin: shifts(&old.summary.by_origin, &new.summary.by_origin, nb, na),
        by_country: shifts(&old.summary.by_country, &new.summary.by_country, nb, na),
        by_category: shifts(&flat_cat(&old), &flat_cat(&new), nb, na),
        newly_foreign: newly(Origin::Foreign),
        newly_unknown: newly(Origin::Unknown),
        notes,
    };
    Diff {
        schema: SCHEMA.to_owned(),
        old: Side::of(&old),
        new: Side::of(&new),
        added,
        removed,
        changed,
        summary,
    }
}

fn shifts(
    a: &BTreeMap<String, usize>,
    b: &BTreeMap<String, usize>,
    na: usize,
    nb: usize,
) -> Vec<Shift> {
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let share = |n: usize, t: usize| {
        if t == 0 {
            0.0
        } else {
            (n as f64 / t as f64 * 10_000.0).round() / 10_000.0
        }
    };
    keys.into_iter()
        .map(|k| {
            let (x, y) = (
                a.get(k).copied().unwrap_or(0),
                b.get(k).copied().unwrap_or(0),
            );
            Shift {
                key: k.clone(),
                before: x,
                after: y,
                delta: y as i64 - x as i64,
                share_before: share(x, na),
                share_after: share(y, nb),
            }
        })
        .collect()
}
