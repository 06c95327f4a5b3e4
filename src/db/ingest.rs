//! `sovscan db ingest`: reports into the store, one at a time, in batches.
//!
//! Each input (a file, every `*.json` under a directory in name order, or `-` for standard
//! input) is read, checked and turned into rows, and the report is dropped before the next is
//! read: memory is bounded by one report plus one batch ([`BATCH_SCANS`] reports or
//! [`BATCH_OBSERVATIONS`] rows), however many are given. A report that cannot be read (not
//! JSON, truncated, another schema, a fleet report, no host) is named in [`Outcome::rejected`]
//! and adds nothing; the others are stored. A batch is written in one transaction, so a report's
//! rows are either all stored or none.
//!
//! Idempotence: a scan is keyed by host, start time and the SHA-256 of the report file; a key
//! already stored is skipped whole (its tags are not changed either).
//!
//! Every component is stored, so that `db check` sees what `check` sees; those the report's
//! summary does not count ([`crate::model::Component::counted`]: a binary read inside a
//! package, which counts through it, and trust anchors and stores, counted apart) are stored
//! with `counted = 0` and left out of every count.

use super::{key_id, quarter_of, Backend};
use crate::model::{owner_country, signer_of, EvidenceKind, Origin, Report};
use crate::rules::RuleDb;
use anyhow::{Context as _, Result};
use sha2::{Digest as _, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// Reports per batch (one transaction).
pub const BATCH_SCANS: usize = 200;
/// Observation rows per batch, whichever limit is reached first.
pub const BATCH_OBSERVATIONS: usize = 50_000;
/// Largest report file read (a report of a very large host is a few tens of MiB).
pub const MAX_REPORT_BYTES: u64 = 512 << 20;

/// One scan row.
#[derive(Debug, Clone)]
pub struct ScanRow {
    /// Id (hash of host, start and digest).
    pub id: i64,
    /// Host name.
    pub host: String,
    /// Start time, RFC 3339 UTC to the second.
    pub started: String,
    /// Quarter of the start (`2026-Q4`).
    pub quarter: String,
    /// `sha256:` of the report file.
    pub digest: String,
    /// Rule database version.
    pub rules_version: String,
    /// Rule database digest.
    pub rules_digest: String,
    /// sovscan version that made the report.
    pub tool_version: String,
    /// Home of the report's origin classes.
    pub home: Option<String>,
    /// Counted components.
    pub components: i64,
    /// Errors in the report.
    pub errors: i64,
    /// The file it was read from (`-` for standard input).
    pub source: String,
    /// Tags (key, value), sorted by key.
    pub tags: Vec<(String, String)>,
}

/// One component identity.
#[derive(Debug, Clone)]
pub struct ComponentRow {
    /// Id (hash of the identity).
    pub id: i64,
    /// The report's component id (`deb:openssl@3.0.15-1~deb12u1`).
    pub ident: String,
    /// Kind (`package`, `binary`…).
    pub kind: String,
    /// Ecosystem.
    pub ecosystem: Option<String>,
    /// Name.
    pub name: String,
    /// Version.
    pub version: Option<String>,
    /// Package URL.
    pub purl: Option<String>,
}

/// A vendor or owner.
#[derive(Debug, Clone, Default)]
pub struct PartyRow {
    /// Vendor id.
    pub id: String,
    /// Name, when a report gave it.
    pub name: Option<String>,
    /// Country.
    pub country: Option<String>,
}

/// One component as observed in one scan.
#[derive(Debug, Clone)]
pub struct ObservationRow {
    /// Scan id.
    pub scan_id: i64,
    /// Component id.
    pub component_id: i64,
    /// Vendor id.
    pub vendor: Option<String>,
    /// Ultimate owner id.
    pub owner: Option<String>,
    /// Country that decides origin (the owner's, else the vendor's).
    pub country: Option<String>,
    /// Origin class relative to the report's home.
    pub origin: Option<String>,
    /// Whether vendor and owner are international (community, foundation).
    pub international: bool,
    /// Product category.
    pub category: Option<String>,
    /// Product id.
    pub product: Option<String>,
    /// How many (hardware, inventory rows); 1 otherwise.
    pub count: i64,
    /// The vendor's own country (policies with `direct: true` look at it).
    pub vendor_country: Option<String>,
    /// Product criticality (weighted thresholds).
    pub criticality: Option<String>,
    /// Signer id, when the component was signed by another party than its vendor.
    pub signer: Option<String>,
    /// The signer's (owner's) country.
    pub signer_country: Option<String>,
    /// The subjects of the certificates in its signing chain, one per line (policies with
    /// `signers: {chain: true}` look at their organisations).
    pub chain: Option<String>,
    /// For a binary listed inside its package, the package's id.
    pub part_of: Option<String>,
    /// Whether the summary counts it ([`crate::model::Component::counted`]).
    pub counted: bool,
    /// The properties policy evaluation reads (a certificate's `store` and
    /// `subject-country`), as a JSON object.
    pub properties: Option<String>,
}

/// The component properties policy evaluation reads (trust-anchor rules).
pub const POLICY_PROPERTIES: &[&str] = &["store", "subject-country"];

/// Rows of several reports, written in one transaction.
#[derive(Debug, Default)]
pub struct Batch {
    /// Scans.
    pub scans: Vec<ScanRow>,
    /// Components by id.
    pub components: BTreeMap<i64, ComponentRow>,
    /// Parties by id.
    pub parties: BTreeMap<String, PartyRow>,
    /// Observations, grouped by scan.
    pub observations: Vec<ObservationRow>,
}

impl Batch {
    fn full(&self) -> bool {
        self.scans.len() >= BATCH_SCANS || self.observations.len() >= BATCH_OBSERVATIONS
    }
}

/// Tags for the scans of an ingest.
#[derive(Debug, Default, Clone)]
pub struct Tags {
    /// `--tag k=v`, for every host.
    pub all: Vec<(String, String)>,
    /// `--tags FILE.csv`: per host.
    pub per_host: HashMap<String, Vec<(String, String)>>,
}

impl Tags {
    /// Parse `k=v`.
    pub fn parse_pair(s: &str) -> Result<(String, String)> {
        match s.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.trim().to_owned())),
            _ => anyhow::bail!("tag `{s}`: write KEY=VALUE"),
        }
    }

    /// Read a CSV whose first column is the host and whose other columns are tags, named by
    /// the header (`host,unit,site`). Empty cells are no tag.
    pub fn read_csv(&mut self, path: &Path) -> Result<()> {
        let mut r = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_path(path)
            .with_context(|| format!("{}: cannot read tags", path.display()))?;
        let header = r
            .headers()
            .with_context(|| format!("{}: no header row", path.display()))?
            .clone();
        if header.len() < 2 {
            anyhow::bail!(
                "{}: the header must name the host column then tag columns (host,unit,site)",
                path.display()
            );
        }
        for (n, rec) in r.records().enumerate() {
            let rec = rec.with_context(|| format!("{}: row {}", path.display(), n + 2))?;
            let Some(host) = rec.get(0).filter(|h| !h.is_empty()) else {
                continue;
            };
            let tags = self.per_host.entry(host.to_owned()).or_default();
            for (k, v) in header.iter().zip(rec.iter()).skip(1) {
                if !v.is_empty() {
                    tags.push((k.to_owned(), v.to_owned()));
                }
            }
        }
        Ok(())
    }

    fn for_host(&self, host: &str) -> Vec<(String, String)> {
        let mut m: BTreeMap<String, String> = self.all.iter().cloned().collect();
        if let Some(t) = self.per_host.get(host) {
            m.extend(t.iter().cloned());
        }
        m.into_iter().collect()
    }
}

/// A report that was not stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The file.
    pub source: String,
    /// Why.
    pub reason: String,
}

/// What an ingest did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Reports read and accepted.
    pub reports: usize,
    /// Scans newly stored.
    pub new_scans: usize,
    /// Observation rows newly stored.
    pub new_observations: usize,
    /// Reports that were stored before.
    pub already: usize,
    /// Reports rejected.
    pub rejected: Vec<Rejected>,
}

/// Every report file named by the inputs: files as given, `*.json` under directories in name
/// order, `-` for standard input.
pub fn expand(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in inputs {
        if p.as_os_str() == "-" || !p.is_dir() {
            out.push(p.clone());
            continue;
        }
        let mut files: Vec<PathBuf> = walkdir::WalkDir::new(p)
            .follow_links(false)
            .into_iter()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .filter(|f| f.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        out.extend(files);
    }
    Ok(out)
}

/// Ingest the inputs into the store.
pub fn ingest(
    store: &mut dyn Backend,
    inputs: &[PathBuf],
    tags: &Tags,
    rules: &RuleDb,
) -> Result<Outcome> {
    let mut out = Outcome::default();
    let mut batch = Batch::default();
    for path in expand(inputs)? {
        let source = path.display().to_string();
        match read_one(&path).and_then(|(bytes, report)| {
            let digest = sha256(&bytes);
            drop(bytes);
            rows(&report, &source, &digest, tags, rules, &mut batch)
        }) {
            Ok(()) => out.reports += 1,
            Err(e) => out.rejected.push(Rejected {
                source,
                reason: format!("{e:#}"),
            }),
        }
        if batch.full() {
            flush(store, &mut batch, &mut out)?;
        }
    }
    flush(store, &mut batch, &mut out)?;
    Ok(out)
}

fn flush(store: &mut dyn Backend, batch: &mut Batch, out: &mut Outcome) -> Result<()> {
    if batch.scans.is_empty() {
        return Ok(());
    }
    let new = store.write(batch)?;
    let set: std::collections::HashSet<i64> = new.iter().copied().collect();
    out.new_scans += new.len();
    out.already += batch.scans.len() - new.len();
    out.new_observations += batch
        .observations
        .iter()
        .filter(|o| set.contains(&o.scan_id))
        .count();
    *batch = Batch::default();
    Ok(())
}

fn read_one(path: &Path) -> Result<(Vec<u8>, Report)> {
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .take(MAX_REPORT_BYTES)
            .read_to_end(&mut bytes)
            .context("reading standard input")?;
    } else {
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_REPORT_BYTES).read_to_end(&mut bytes))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    // The caller names the file; keep only the reason.
    let report = crate::report::json::parse(&bytes, path).map_err(|e| match e {
        crate::Error::Report { message, .. } => anyhow::anyhow!("not a sovscan report: {message}"),
        e => anyhow::anyhow!("{e}"),
    })?;
    Ok((bytes, report))
}

fn sha256(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Normalise an RFC 3339 time to UTC seconds (`2026-11-22T10:00:00Z`).
pub fn normalise_time(s: &str) -> Option<String> {
    let t = humantime::parse_rfc3339_weak(s.trim_end_matches('Z').trim_end_matches('z'))
        .or_else(|_| humantime::parse_rfc3339(s))
        .ok()?;
    Some(humantime::format_rfc3339_seconds(t).to_string())
}

/// Turn one report into rows of the batch. Nothing is added when it fails.
fn rows(
    r: &Report,
    source: &str,
    digest: &str,
    tags: &Tags,
    rules: &RuleDb,
    batch: &mut Batch,
) -> Result<()> {
    if r.fleet.is_some() {
        anyhow::bail!("a fleet report made by `sovscan merge`: ingest the host reports instead");
    }
    let host = r.scan.host.as_deref().map(str::trim).unwrap_or("");
    if host.is_empty() {
        anyhow::bail!("the report has no `scan.host`: the store keys scans by host");
    }
    let started = normalise_time(&r.scan.started).with_context(|| {
        format!(
            "`scan.started` `{}` is not an RFC 3339 time",
            r.scan.started
        )
    })?;
    let quarter = quarter_of(&started).context("`scan.started` has no quarter")?;
    let id = key_id(&[host, &started, digest]);
    let counted = r.components.iter().filter(|c| c.counted()).count();
    batch.scans.push(ScanRow {
        id,
        host: host.to_owned(),
        started,
        quarter,
        digest: digest.to_owned(),
        rules_version: r.tool.rules.version.clone(),
        rules_digest: r.tool.rules.digest.clone(),
        tool_version: r.tool.version.clone(),
        home: r.scan.home.clone(),
        components: counted as i64,
        errors: r.errors.len() as i64,
        source: source.to_owned(),
        tags: tags.for_host(host),
    });
    let mut seen = std::collections::HashSet::new();
    for c in &r.components {
        let cid = key_id(&[&c.id]);
        if !seen.insert(cid) {
            continue;
        }
        batch.components.entry(cid).or_insert_with(|| ComponentRow {
            id: cid,
            ident: c.id.clone(),
            kind: crate::report::props::kind_str(c).to_owned(),
            ecosystem: c.ecosystem.clone(),
            name: c.name.clone(),
            version: c.version.clone(),
            purl: c.purl.clone(),
        });
        let v = c.vendor.as_deref();
        let owner = v.map(|v| v.ultimate_owner.clone().unwrap_or_else(|| v.id.clone()));
        let country = v.and_then(owner_country);
        for v in v.into_iter().chain(signer_of(c)) {
            let p = batch.parties.entry(v.id.clone()).or_default();
            p.id = v.id.clone();
            p.name = p.name.take().or_else(|| Some(v.name.clone()));
            p.country = p.country.take().or_else(|| v.country.clone());
            let owner = v.ultimate_owner.as_ref().filter(|o| **o != v.id);
            if let Some(o) = owner {
                let p = batch.parties.entry(o.clone()).or_default();
                p.id = o.clone();
                p.country = p.country.take().or_else(|| owner_country(v));
            }
        }
        let international = match v {
            None => false,
            Some(v) => match v.class {
                Some(class) => class == Origin::International,
                None => {
                    let intl = |id: &str| rules.vendors.get(id).map(|x| x.is_international());
                    intl(&v.id).unwrap_or(country.is_none())
                        && owner.as_deref().and_then(intl).unwrap_or(country.is_none())
                }
            },
        };
        batch.observations.push(ObservationRow {
            scan_id: id,
            component_id: cid,
            vendor: v.map(|v| v.id.clone()),
            owner,
            country,
            origin: c.origin.map(|o| o.as_str().to_owned()),
            international,
            category: c.category_id().map(str::to_owned),
            product: c.product.as_ref().map(|p| p.id.clone()),
            count: c.count.unwrap_or(1).min(i64::MAX as u64) as i64,
            vendor_country: v.and_then(|v| v.country.clone()),
            criticality: c.product.as_ref().and_then(|p| p.criticality.clone()),
            signer: signer_of(c).map(|s| s.id.clone()),
            signer_country: signer_of(c).and_then(owner_country),
            chain: {
                let subjects: Vec<&str> = c
                    .evidence
                    .iter()
                    .filter(|e| e.kind == EvidenceKind::Certificate)
                    .map(|e| e.value.as_str())
                    .collect();
                (!subjects.is_empty()).then(|| subjects.join("\n"))
            },
            part_of: c.part_of.clone(),
            counted: c.counted(),
            properties: {
                let kept: BTreeMap<&str, &str> = POLICY_PROPERTIES
                    .iter()
                    .filter_map(|k| Some((*k, c.properties.get(*k)?.as_str())))
                    .collect();
                (!kept.is_empty()).then(|| serde_json::json!(kept).to_string())
            },
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_tags() {
        assert_eq!(
            normalise_time("2026-11-22T10:00:00Z").as_deref(),
            Some("2026-11-22T10:00:00Z")
        );
        assert_eq!(
            normalise_time("2026-11-22T10:00:00.123Z").as_deref(),
            Some("2026-11-22T10:00:00Z")
        );
        assert_eq!(normalise_time("yesterday"), None);
        assert_eq!(
            Tags::parse_pair("unit = finance").unwrap(),
            ("unit".into(), "finance".into())
        );
        assert!(Tags::parse_pair("=x").is_err());
        assert!(Tags::parse_pair("x").is_err());
        let t = Tags {
            all: vec![("unit".into(), "a".into()), ("site".into(), "s".into())],
            per_host: [("h".to_owned(), vec![("unit".to_owned(), "b".to_owned())])].into(),
        };
        assert_eq!(
            t.for_host("h"),
            vec![("site".into(), "s".into()), ("unit".into(), "b".into())]
        );
    }
}
