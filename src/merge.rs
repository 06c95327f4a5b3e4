//! Fleet reports (`sovscan merge REPORT.json...`): many host reports of schema
//! `sovscan-report/1` merged into one of the same schema, so that `diff` and `plan` work on a
//! fleet as on a host.
//!
//! Reports are read one at a time and dropped after use: memory is bounded by the number of
//! distinct components (each keeps at most [`MAX_LOCATIONS`] locations and [`MAX_HOST_NAMES`]
//! host names) plus one small summary per host, not by the number of reports. Each component
//! gets the properties `fleet-hosts` (on how many hosts it was found) and `fleet-host-list`
//! (the first host names, comma-separated); `fleet.hosts` has one summary per host. The first
//! report a component appears in gives its attribution. A host seen twice is reported in
//! `errors` and counted once; reports made relative to different homes are refused, since their
//! origin classes cannot be added up.

use crate::model::{
    Component, Fleet, HostSummary, Relationship, Report, ScanError, ScanInfo, ScanOptions, Summary,
    ToolInfo, SCHEMA,
};
use crate::plan::{HOSTS_PROPERTY, HOST_LIST_PROPERTY, MAX_HOSTS};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Locations kept per merged component.
pub const MAX_LOCATIONS: usize = 32;
/// Host names kept per merged component (the count stays exact).
pub const MAX_HOST_NAMES: usize = MAX_HOSTS;
/// Errors kept in the fleet report.
pub const MAX_ERRORS: usize = 10_000;

struct Entry {
    component: Component,
    hosts: u64,
    names: Vec<String>,
}

/// Accumulates host reports.
#[derive(Default)]
pub struct Merger {
    components: BTreeMap<String, Entry>,
    relationships: BTreeSet<Relationship>,
    hosts: BTreeMap<String, HostSummary>,
    errors: Vec<ScanError>,
    dropped_errors: usize,
    tool: Option<ToolInfo>,
    home: Option<Option<String>>,
    digests: BTreeSet<String>,
    started: Option<String>,
}

impl Merger {
    /// A new, empty merge.
    pub fn new() -> Self {
        Merger::default()
    }

    fn error(&mut self, path: &str, msg: String) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(ScanError::new(path, msg));
        } else {
            self.dropped_errors += 1;
        }
    }

    /// Read one report file and add it.
    pub fn add_file(&mut self, path: &Path) -> crate::Result<()> {
        let r = crate::report::json::read(path)?;
        self.add(r, &path.display().to_string())
    }

    /// Add one host report (`name` identifies it in summaries and errors).
    pub fn add(&mut self, r: Report, name: &str) -> crate::Result<()> {
        match &self.home {
            None => self.home = Some(r.scan.home.clone()),
            Some(h) if *h != r.scan.home => {
                return Err(crate::Error::Config(format!(
                    "{name}: made with home {}, the reports before it with {}: origins relative to different homes cannot be merged",
                    r.scan.home.as_deref().unwrap_or("none"),
                    h.as_deref().unwrap_or("none")
                )))
            }
            Some(_) => {}
        }
        let host = r.scan.host.clone().unwrap_or_else(|| {
            Path::new(name)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| name.to_owned())
        });
        let host = crate::text::sanitize(&host).replace(',', " ");
        if self.hosts.contains_key(&host) {
            self.error(
                name,
                format!(
                    "host `{host}` was already merged from another report: this one is skipped"
                ),
            );
            return Ok(());
        }
        if self.tool.is_none() {
            self.tool = Some(r.tool.clone());
        }
        self.digests.insert(r.tool.rules.digest.clone());
        if self.started.as_ref().is_none_or(|s| r.scan.started < *s) {
            self.started = Some(r.scan.started.clone());
        }
        let mut by_origin: BTreeMap<String, usize> = BTreeMap::new();
        for c in &r.components {
            if let Some(o) = c.origin {
                *by_origin.entry(o.as_str().to_owned()).or_default() += 1;
            }
        }
        self.hosts.insert(
            host.clone(),
            HostSummary {
                host: host.clone(),
                report: crate::text::sanitize(name),
                started: r.scan.started.clone(),
                components: r.components.len(),
                by_origin,
                errors: r.errors.len(),
            },
        );
        for e in r.errors {
            self.error(&format!("{host}:{}", e.path), e.error);
        }
        self.relationships.extend(r.relationships);
        for c in r.components {
            match self.components.get_mut(&c.id) {
                Some(e) => {
                    e.hosts += 1;
                    if e.names.len() < MAX_HOST_NAMES {
                        e.names.push(host.clone());
                    }
                    for l in c.locations {
                        if e.component.locations.len() >= MAX_LOCATIONS {
                            break;
                        }
                        if !e.component.locations.contains(&l) {
                            e.component.locations.push(l);
                        }
                    }
                }
                None => {
                    let mut component = c;
                    component.locations.truncate(MAX_LOCATIONS);
                    self.components.insert(
                        component.id.clone(),
                        Entry {
                            component,
                            hosts: 1,
                            names: vec![host.clone()],
                        },
                    );
                }
            }
        }
        Ok(())
    }

    /// The fleet report.
    pub fn finish(mut self) -> Report {
        if self.digests.len() > 1 {
            self.error("merge", format!("the reports were made with {} different rule databases: attributions come from the first report of each component", self.digests.len()));
        }
        if self.dropped_errors > 0 {
            let n = self.dropped_errors;
            self.errors
                .push(ScanError::new("merge", format!("{n} more errors not kept")));
        }
        let components: Vec<Component> = self
            .components
            .into_values()
            .map(|mut e| {
                e.names.sort();
                e.component
                    .properties
                    .insert(HOSTS_PROPERTY.to_owned(), e.hosts.to_string());
                e.component
                    .properties
                    .insert(HOST_LIST_PROPERTY.to_owned(), e.names.join(","));
                e.component
            })
            .collect();
        let tool = self.tool.unwrap_or_else(|| ToolInfo {
            name: "sovscan".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            rules: crate::model::RulesInfo {
                version: "none".into(),
                digest: String::new(),
            },
        });
        let mut r = Report {
            schema: SCHEMA.to_owned(),
            tool,
            scan: ScanInfo {
                started: self.started.unwrap_or_default(),
                duration_ms: 0,
                host: None,
                roots: Vec::new(),
                home: self.home.flatten(),
                options: ScanOptions::default(),
                image: None,
            },
            summary: Summary::default(),
            components,
            relationships: self.relationships.into_iter().collect(),
            roots: Vec::new(),
            errors: self.errors,
            fleet: Some(Fleet {
                hosts: self.hosts.into_values().collect(),
            }),
        };
        r.normalise();
        r.summarise();
        r
    }
}
