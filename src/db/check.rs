//! `db check`: a policy evaluated over every host's latest scan in the store, exactly as
//! `sovscan check --report` evaluates that host's report.
//!
//! The store keeps every component of a report with what policy evaluation reads (identity,
//! purl, vendor and its own country, owner and its country, origin, product, category,
//! criticality, signer, count), so each host's components are rebuilt from their rows and
//! handed to [`crate::policy::eval::evaluate_components`] with the report's home. Evidence and
//! locations are not stored; a violation names the component, and `sovscan explain` on the
//! host's report shows the evidence. Hosts are evaluated a chunk at a time, so memory follows
//! the chunk, not the fleet.

use super::{Backend, Value};
use crate::model::{Component, ComponentKind, Evidence, EvidenceKind, Origin, Party, ProductRef};
use crate::policy::date::Date;
use crate::policy::eval::{evaluate_with, LazyMatcher, Outcome};
use crate::policy::Policy;
use crate::rules::RuleDb;
use anyhow::{Context as _, Result};
use serde::Serialize;
use std::collections::HashMap;

/// Hosts whose components are read in one query.
const CHUNK: usize = 64;
/// Violations listed per host.
const LISTED: usize = 20;

/// One host's verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostVerdict {
    /// Host.
    pub host: String,
    /// Start of the scan evaluated (the host's latest as of the date).
    pub last_scan: String,
    /// Whether the policy passes (no unwaived deny).
    pub passed: bool,
    /// Unwaived deny violations.
    pub denied: usize,
    /// Unwaived warnings.
    pub warned: usize,
    /// Waived violations.
    pub waived: usize,
    /// Components evaluated.
    pub components: usize,
    /// The first violations, denials first.
    pub violations: Vec<HostViolation>,
}

/// One violation of a host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostViolation {
    /// `deny-vendor`, `warn-threshold`…
    pub rule: String,
    /// The component, for a per-component rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// What is wrong.
    pub message: String,
    /// Whether a waiver covers it.
    pub waived: bool,
}

/// `db check` over the store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FleetCheck {
    /// The policy file.
    pub policy: String,
    /// The policy's home.
    pub home: String,
    /// The evaluation date.
    pub today: String,
    /// Hosts evaluated.
    pub hosts: usize,
    /// Hosts that fail.
    pub failed: usize,
    /// Every host, failing first, then by name.
    pub results: Vec<HostVerdict>,
}

struct ScanRef {
    id: i64,
    host: String,
    started: String,
    home: Option<String>,
}

/// Each host's latest scan started at or before `as_of` (RFC 3339), with the tags given.
fn latest_scans(
    b: &mut dyn Backend,
    as_of: &str,
    tags: &[(String, String)],
) -> Result<Vec<ScanRef>> {
    let mut params = vec![Value::from(as_of), Value::from(as_of)];
    let tag_sql = super::query::tag_conditions("s", tags, &mut params);
    let sql = format!(
        "SELECT s.id, s.host, s.started, s.home FROM scans s \
         WHERE s.started <= ? AND NOT EXISTS (SELECT 1 FROM scans x WHERE x.host = s.host \
           AND x.started <= ? AND (x.started > s.started \
           OR (x.started = s.started AND x.report_digest > s.report_digest))){tag_sql} \
         ORDER BY s.host"
    );
    Ok(b.query(&sql, &params)?
        .into_iter()
        .map(|r| ScanRef {
            id: r[0].int(),
            host: r[1].text().unwrap_or_default(),
            started: r[2].text().unwrap_or_default(),
            home: r[3].text(),
        })
        .collect())
}

/// A scan's components; party names come from [`names`] (a few hundred rows read once, not
/// two index look-ups per observation).
const COMPONENT_SQL: &str = "SELECT o.scan_id, o.component_id, NULL, NULL, NULL, NULL, \
    NULL, o.vendor, NULL, o.vendor_country, o.owner, o.country, o.origin, o.international, \
    o.category, o.product, o.criticality, o.count, o.signer, NULL, o.signer_country, \
    o.part_of, o.chain, o.properties FROM observations o";

/// The identity columns of components (`ident, kind, ecosystem, name, version, purl`), put in
/// place of columns 1–6 of a [`COMPONENT_SQL`] row; read by primary key apart, because a
/// join lets PostgreSQL scan the whole components table once per chunk.
const IDENTITY_SQL: &str =
    "SELECT id, ident, kind, ecosystem, name, version, purl FROM components WHERE id IN";

/// Party names by id.
fn names(b: &mut dyn Backend) -> Result<HashMap<String, String>> {
    Ok(
        b.query("SELECT id, name FROM parties WHERE name IS NOT NULL", &[])?
            .into_iter()
            .filter_map(|r| Some((r[0].text()?, r[1].text()?)))
            .collect(),
    )
}

fn parse_enum<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .with_context(|| format!("the store holds an unknown {what} `{s}`"))
}

/// A component rebuilt from its stored row (columns as in [`COMPONENT_SQL`], after the scan
/// id).
fn component(r: &[Value], names: &HashMap<String, String>) -> Result<Component> {
    let text = |i: usize| r[i].text();
    let name = |i: usize| text(i).and_then(|id| names.get(&id).cloned());
    let kind: ComponentKind = parse_enum("component kind", &text(2).unwrap_or_default())?;
    let origin: Option<Origin> = text(12).map(|o| parse_enum("origin", &o)).transpose()?;
    let mut c = Component::new(
        kind,
        text(3).as_deref(),
        &text(4).unwrap_or_default(),
        text(5).as_deref(),
    );
    c.id = text(1).unwrap_or_default();
    c.purl = text(6);
    c.origin = origin;
    let party = |id: String, name: Option<String>, own: Option<String>, owner: Option<String>| {
        let owner_country = owner.filter(|o| Some(o) != own.as_ref());
        Party {
            name: name.unwrap_or_else(|| id.clone()),
            id,
            country: own,
            ultimate_owner: None,
            owner_country,
            class: None,
        }
    };
    if let Some(id) = text(7) {
        let mut v = party(id, name(7), text(9), text(11));
        v.ultimate_owner = text(10);
        v.class = if r[13].int() != 0 {
            Some(Origin::International)
        } else {
            origin
        };
        c.vendor = Some(Box::new(v));
    }
    c.category = text(14);
    if let Some(id) = text(15) {
        c.product = Some(ProductRef {
            id,
            category: text(14).unwrap_or_default(),
            criticality: text(16),
        });
    }
    c.count = u64::try_from(r[17].int()).ok().filter(|n| *n != 1);
    if let Some(id) = text(18) {
        c.signer = Some(Box::new(party(id, name(18), text(20), None)));
    }
    c.part_of = text(21);
    if let Some(json) = text(23) {
        let props: std::collections::BTreeMap<String, String> = serde_json::from_str(&json)
            .with_context(|| format!("the store holds bad properties `{json}`"))?;
        c.properties.extend(props);
    }
    for subject in text(22).iter().flat_map(|t| t.lines()) {
        c.evidence
            .push(Evidence::new(EvidenceKind::Certificate, subject, ""));
    }
    Ok(c)
}

fn verdict(s: &ScanRef, o: &Outcome) -> HostVerdict {
    HostVerdict {
        host: s.host.clone(),
        last_scan: s.started.clone(),
        passed: o.passed,
        denied: o.denied,
        warned: o.warned,
        waived: o.waived,
        components: o.components,
        violations: o
            .violations
            .iter()
            .take(LISTED)
            .map(|v| HostViolation {
                rule: v.rule.clone(),
                component: v.component.as_ref().map(|c| c.id.clone()),
                message: v.message.clone(),
                waived: v.waived_by.is_some(),
            })
            .collect(),
    }
}

/// Evaluate `policy` over each host's latest scan as of `as_of`.
pub fn check(
    b: &mut dyn Backend,
    policy: &Policy,
    rules: &RuleDb,
    as_of: &str,
    tags: &[(String, String)],
    today: Date,
) -> Result<FleetCheck> {
    let scans = latest_scans(b, as_of, tags)?;
    let names = names(b)?;
    let matcher = LazyMatcher::new(rules);
    let mut results = Vec::with_capacity(scans.len());
    for chunk in scans.chunks(CHUNK) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let params: Vec<Value> = chunk.iter().map(|s| Value::Int(s.id)).collect();
        let sql = format!("{COMPONENT_SQL} WHERE o.scan_id IN ({marks})");
        let mut rows = b.query(&sql, &params)?;
        let mut ids: Vec<i64> = rows.iter().map(|r| r[1].int()).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut identity: HashMap<i64, Vec<Value>> = HashMap::with_capacity(ids.len());
        for part in ids.chunks(500) {
            let marks = vec!["?"; part.len()].join(", ");
            let params: Vec<Value> = part.iter().map(|i| Value::Int(*i)).collect();
            for r in b.query(&format!("{IDENTITY_SQL} ({marks})"), &params)? {
                identity.insert(r[0].int(), r);
            }
        }
        let mut per: HashMap<i64, Vec<Component>> = HashMap::new();
        for r in &mut rows {
            let id = identity
                .get(&r[1].int())
                .context("an observation names a component the store does not have")?;
            r[1..7].clone_from_slice(&id[1..7]);
            per.entry(r[0].int())
                .or_default()
                .push(component(r, &names)?);
        }
        for s in chunk {
            // In the report's order (by id, bytewise), whatever the engine's collation.
            let mut comps = per.remove(&s.id).unwrap_or_default();
            comps.sort_by(|a, b| a.id.cmp(&b.id));
            let outcome = evaluate_with(policy, s.home.as_deref(), &comps, rules, today, &matcher);
            results.push(verdict(s, &outcome));
        }
    }
    results.sort_by(|a, b| a.passed.cmp(&b.passed).then(a.host.cmp(&b.host)));
    Ok(FleetCheck {
        policy: policy.file.clone(),
        home: policy.home_label.clone(),
        today: today.to_string(),
        hosts: results.len(),
        failed: results.iter().filter(|r| !r.passed).count(),
        results,
    })
}
