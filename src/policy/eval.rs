//! Evaluating a [`Policy`] against a [`Report`]: which components violate which rule, which
//! waivers cover them, whether the thresholds hold. The result ([`Outcome`]) carries
//! everything a renderer needs to explain each violation (the policy line, the vendor and its
//! ultimate owner, the countries, the evidence and the rules that matched it, a waiver to paste),
//! so renderers never look at the policy or the rule database again.
//!
//! What is needed is re-derived from the report rather than trusted: the ownership chain comes
//! from the rule database when it knows the vendor (else from the report's `ultimate_owner`),
//! and origin is recomputed relative to the policy's home whenever the report was made with
//! another home or none. The evaluation date is a parameter, so tests never depend on today.

use super::date::Date;
pub use super::outcome::{
    ComponentFacts, Outcome, ThresholdResult, VendorFacts, Violation, WaiverRef,
};
use super::{Level, Policy, Pos, Rule, SignerRule};
use crate::diag::{Diagnostic, Severity};
use crate::model::{owner_country, Component, Evidence, EvidenceKind, Origin, Report};
use crate::rules::matcher::Matcher;
use crate::rules::RuleDb;

/// Days a suggested waiver lasts.
pub const SUGGESTED_WAIVER_DAYS: i64 = 90;
/// Components listed per threshold violation.
const THRESHOLD_LISTED: usize = 50;

struct Facts<'r> {
    c: &'r Component,
    chain: Vec<String>,
    vendor_country: Option<String>,
    owner_country: Option<String>,
    origin: Origin,
}

/// Evaluate `policy` on `report` as of `today`.
pub fn evaluate(policy: &Policy, report: &Report, db: &RuleDb, today: Date) -> Outcome {
    evaluate_components(
        policy,
        report.scan.home.as_deref(),
        &report.components,
        db,
        today,
    )
}

/// The rules' matcher, compiled on first use only: signing-chain issuers are matched as
/// signer subjects, and compiling every vendor name costs far more than most evaluations. One
/// shared by many evaluations (the fleet store's hosts) is compiled once.
pub struct LazyMatcher<'a> {
    db: &'a RuleDb,
    cell: std::cell::OnceCell<Matcher>,
}

impl<'a> LazyMatcher<'a> {
    /// Nothing compiled yet.
    pub fn new(db: &'a RuleDb) -> Self {
        LazyMatcher {
            db,
            cell: std::cell::OnceCell::new(),
        }
    }

    fn get(&self) -> &Matcher {
        self.cell.get_or_init(|| Matcher::new(self.db))
    }
}

/// Evaluate `policy` on the components of a report made with `home`.
pub fn evaluate_components(
    policy: &Policy,
    home: Option<&str>,
    components: &[Component],
    db: &RuleDb,
    today: Date,
) -> Outcome {
    evaluate_with(policy, home, components, db, today, &LazyMatcher::new(db))
}

/// [`evaluate_components`] with a matcher shared across evaluations (the fleet store
/// evaluates each host's stored components without rebuilding a whole report).
pub fn evaluate_with(
    policy: &Policy,
    home: Option<&str>,
    components: &[Component],
    db: &RuleDb,
    today: Date,
    matcher: &LazyMatcher<'_>,
) -> Outcome {
    let report_home = home.and_then(|h| db.home_countries(h).ok());
    let same_home = report_home.as_deref() == Some(policy.home.as_slice());
    let facts: Vec<Facts<'_>> = components
        .iter()
        .map(|c| facts(c, db, &policy.home, same_home))
        .collect();
    let mut used = vec![false; policy.exceptions.len()];
    let mut violations = Vec::new();
    for f in &facts {
        if allowed(policy, f) {
            continue;
        }
        // Trust anchors are checked by `trust-anchors` rules only, and those rules check
        // nothing else; trust-store components by no rule.
        let Some((rule, code, pos, why)) = policy
            .rules
            .iter()
            .filter(|r| r.trust.is_some() == f.c.kind.is_trust())
            .find_map(|r| match r.trust.as_deref() {
                Some(stores) => {
                    match_trust(r, stores, f, db, &policy.home).map(|(k, p, w)| (r, k, p, w))
                }
                None => match_rule(r, f, db, matcher).map(|(k, p, w)| (r, k, p, w)),
            })
        else {
            continue;
        };
        let mut v = Violation {
            level: rule.level,
            rule: format!("{}-{code}", rule.level.as_str()),
            pos,
            message: format!("{}: {why}", f.c.id),
            rule_reason: rule.reason.clone(),
            component: Some(component_facts(f, db)),
            waived_by: None,
            expired_waiver: None,
            counted: Vec::new(),
            suggested_waiver: Some(suggest(f.c, today)),
        };
        for e in policy.exceptions.iter().filter(|e| covers(e, f.c)) {
            if e.expires >= today {
                used[e.index] = true;
                v.waived_by = Some(waiver_ref(e));
                break;
            }
            v.expired_waiver.get_or_insert_with(|| waiver_ref(e));
        }
        violations.push(v);
    }
    let mut diagnostics = Vec::new();
    for e in &policy.exceptions {
        if e.expires < today {
            let covered: Vec<String> = facts
                .iter()
                .filter(|f| covers(e, f.c))
                .map(|f| f.c.id.clone())
                .collect();
            violations.push(Violation {
                level: Level::Deny,
                rule: "expired-exception".to_owned(),
                pos: e.pos,
                message: format!(
                    "waiver `{}` expired on {} (reason: {}){}; renew it with a new date or fix what it covered",
                    e.pattern,
                    e.expires,
                    e.reason,
                    if covered.is_empty() { String::new() } else { format!("; it matches {}", covered.join(", ")) }
                ),
                rule_reason: None,
                component: None,
                waived_by: None,
                expired_waiver: Some(waiver_ref(e)),
                counted: covered,
                suggested_waiver: None,
            });
        } else if !used[e.index] {
            diagnostics.push(Diagnostic {
                file: policy.file.clone(),
                line: e.pos.line,
                column: e.pos.column,
                severity: Severity::Warning,
                code: "unused-exception",
                message: format!(
                    "exception `{}` matched no violation; remove it or fix its `match`",
                    e.pattern
                ),
            });
        }
    }
    let mut thresholds = Vec::new();
    for t in &policy.thresholds {
        let (res, counted) = threshold(t, &facts, policy);
        if !res.holds {
            let scope = t
                .category
                .as_deref()
                .map(|c| format!(" in category `{c}`"))
                .unwrap_or_default();
            let what: Vec<&str> = t.origin.iter().map(|o| o.as_str()).collect();
            let unit = if t.weighted {
                "criticality-weighted components"
            } else {
                "components"
            };
            let limit = match (t.max_count, t.max_share) {
                (Some(n), _) if res.counted > n as f64 => format!("more than the {n} allowed"),
                (_, Some(s)) => format!("more than the {:.1} % allowed", s * 100.0),
                _ => String::new(),
            };
            let of = if res.denominator == "all" {
                format!("{unit}{scope}")
            } else {
                format!(
                    "{unit}{scope} of known origin; {} of {} ({:.1} %) are of unknown origin",
                    fmt_num(res.unknown),
                    fmt_num(res.in_scope),
                    pct(res.unknown, res.in_scope)
                )
            };
            violations.push(Violation {
                level: t.level,
                rule: format!("{}-threshold", t.level.as_str()),
                pos: t.pos,
                message: format!(
                    "{} {} of {} {of}: {:.1} % {}, {limit}",
                    fmt_num(res.counted),
                    what.join("/"),
                    fmt_num(res.total),
                    res.share * 100.0,
                    what.join(" or "),
                ),
                rule_reason: None,
                component: None,
                waived_by: None,
                expired_waiver: None,
                counted,
                suggested_waiver: None,
            });
        }
        thresholds.push(res);
    }
    violations.sort_by(|a, b| {
        (
            a.level,
            a.waived_by.is_some(),
            a.component.is_none(),
            a.component.as_ref().map(|c| c.id.as_str()),
            a.pos.line,
        )
            .cmp(&(
                b.level,
                b.waived_by.is_some(),
                b.component.is_none(),
                b.component.as_ref().map(|c| c.id.as_str()),
                b.pos.line,
            ))
    });
    let denied = violations.iter().filter(|v| v.fails()).count();
    let warned = violations
        .iter()
        .filter(|v| v.level == Level::Warn && v.waived_by.is_none())
        .count();
    let waived = violations.iter().filter(|v| v.waived_by.is_some()).count();
    diagnostics.sort();
    Outcome {
        policy: policy.file.clone(),
        policy_name: policy.name.clone(),
        home: policy.home_label.clone(),
        today: today.to_string(),
        passed: denied == 0,
        components: components.len(),
        denied,
        warned,
        waived,
        violations,
        thresholds,
        warnings: diagnostics.iter().map(ToString::to_string).collect(),
        diagnostics,
    }
}

/// `n / d` in percent, 0 for an empty denominator.
pub fn pct(n: f64, d: f64) -> f64 {
    if d > 0.0 {
        n * 100.0 / d
    } else {
        0.0
    }
}

fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

fn facts<'r>(c: &'r Component, db: &RuleDb, home: &[String], same_home: bool) -> Facts<'r> {
    let Some(v) = &c.vendor else {
        return Facts {
            c,
            chain: Vec::new(),
            vendor_country: None,
            owner_country: None,
            origin: Origin::Unknown,
        };
    };
    let mut chain = owner_chain(db, &v.id);
    if let Some(o) = &v.ultimate_owner {
        if !chain.contains(o) {
            chain.push(o.clone());
        }
    }
    let owner_cc = owner_country(v);
    let origin = match (same_home, c.origin) {
        (true, Some(o)) => o,
        _ => {
            let international = match (
                db.vendors.get(&v.id),
                chain.last().and_then(|o| db.vendors.get(o)),
            ) {
                (Some(vv), Some(ov)) => vv.is_international() && ov.is_international(),
                _ => v.class == Some(Origin::International),
            };
            if international {
                Origin::International
            } else {
                match &owner_cc {
                    Some(cc) if home.contains(cc) => Origin::Domestic,
                    Some(_) => Origin::Foreign,
                    None => Origin::International,
                }
            }
        }
    };
    Facts {
        c,
        chain,
        vendor_country: v.country.clone(),
        owner_country: owner_cc,
        origin,
    }
}

fn allowed(p: &Policy, f: &Facts<'_>) -> bool {
    f.chain.iter().any(|v| p.allow_vendors.contains(v))
        || p.allow_components
            .iter()
            .any(|(_, g)| g.is_match(&f.c.id) || f.c.purl.as_deref().is_some_and(|u| g.is_match(u)))
}

fn covers(e: &super::Exception, c: &Component) -> bool {
    e.glob.is_match(&c.id) || c.purl.as_deref().is_some_and(|u| e.glob.is_match(u))
}

/// The ownership chain of a vendor id: itself, then its parents (bounded, cycle-safe).
fn owner_chain(db: &RuleDb, id: &str) -> Vec<String> {
    let mut chain = vec![id.to_owned()];
    let mut cur = db.vendors.get(id);
    while let Some(p) = cur.and_then(|x| x.raw.parent.as_deref()) {
        if chain.iter().any(|c| c == p) || chain.len() > 32 {
            break;
        }
        chain.push(p.to_owned());
        cur = db.vendors.get(p);
    }
    chain
}

/// The parties that signed a component, each with how it signed: the signer (`signed by`),
/// then, with `chain`, the vendors named as `O=` of the certificates of its chain (`issuer`).
fn signing_parties(c: &Component, chain: bool, m: &LazyMatcher<'_>) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = Vec::new();
    if let Some(p) = crate::model::signer_of(c) {
        out.push((p.id.clone(), "signed by"));
    }
    if chain {
        for e in c
            .evidence
            .iter()
            .filter(|e| e.kind == EvidenceKind::Certificate)
        {
            let org = e
                .value
                .split(',')
                .find_map(|part| part.trim().strip_prefix("O="))
                .map(str::trim);
            let Some(hit) = org.and_then(|o| m.get().evidence(EvidenceKind::SignerSubject, o))
            else {
                continue;
            };
            if !out.iter().any(|(v, _)| *v == hit.vendor) {
                out.push((hit.vendor, "issuer in the signing chain of"));
            }
        }
    }
    out
}

/// Whether a rule's `signers:` matches the component: (the position, why).
fn match_signers(
    sr: &SignerRule,
    f: &Facts<'_>,
    db: &RuleDb,
    m: &LazyMatcher<'_>,
) -> Option<(Pos, String)> {
    let vname = |id: &str| {
        db.vendors
            .get(id)
            .map(|v| format!("{} ({id})", v.raw.name))
            .unwrap_or_else(|| format!("`{id}`"))
    };
    let s = &sr.subjects;
    for (id, how) in signing_parties(f.c, sr.chain, m) {
        let chain = owner_chain(db, &id);
        let candidates: &[String] = if sr.direct { &chain[..1] } else { &chain };
        let who = vname(&id);
        if let Some(l) = s.lists.iter().find(|l| {
            db.lists.get(&l.value).is_some_and(|x| {
                x.raw
                    .members
                    .iter()
                    .any(|mm| candidates.contains(&mm.vendor))
            })
        }) {
            return Some((l.pos, format!("{how} {who}, on entity list `{}`", l.value)));
        }
        if let Some(v) = s.vendors.iter().find(|v| candidates.contains(&v.value)) {
            return Some((
                v.pos,
                format!("{how} {who}: denied signer {}", vname(&v.value)),
            ));
        }
        let decisive = if sr.direct {
            chain.first()
        } else {
            chain.last()
        };
        let cc = decisive
            .and_then(|o| db.vendors.get(o))
            .and_then(|o| o.raw.country.clone());
        let Some(cc) = cc else { continue };
        let whose = if sr.direct { "" } else { ", ultimately owned" };
        if let Some(c) = s.countries.iter().find(|c| c.value == cc) {
            return Some((c.pos, format!("{how} {who}{whose} in {cc}")));
        }
        if let Some(r) = s.regions.iter().find(|r| r.value.countries.contains(&cc)) {
            return Some((
                r.pos,
                format!("{how} {who}{whose} in {cc}, part of {}", r.value.id),
            ));
        }
    }
    None
}

/// Whether `rule` matches: (kind, the policy position that matched, why).
fn match_rule(
    rule: &Rule,
    f: &Facts<'_>,
    db: &RuleDb,
    m: &LazyMatcher<'_>,
) -> Option<(&'static str, Pos, String)> {
    let category = f.c.category_id();
    let product = f.c.product.as_ref().map(|p| p.id.as_str());
    if !rule.categories.is_empty()
        && !rule
            .categories
            .iter()
            .any(|c| Some(c.value.as_str()) == category)
    {
        return None;
    }
    if !rule.products.is_empty()
        && !rule
            .products
            .iter()
            .any(|c| Some(c.value.as_str()) == product)
    {
        return None;
    }
    let in_scope = match (category, product) {
        (_, Some(p)) if !rule.products.is_empty() => format!(" (product `{p}`)"),
        (Some(c), _) if !rule.categories.is_empty() => format!(" (category `{c}`)"),
        _ => String::new(),
    };
    let vname = |id: &str| {
        db.vendors
            .get(id)
            .map(|v| format!("{} ({id})", v.raw.name))
            .unwrap_or_else(|| format!("`{id}`"))
    };
    if let Some((pos, why)) = rule
        .signers
        .as_ref()
        .and_then(|sr| match_signers(sr, f, db, m))
    {
        return Some(("signer", pos, format!("{why}{in_scope}")));
    }
    let candidates: &[String] = if rule.direct {
        f.chain.get(..1).unwrap_or(&[])
    } else {
        &f.chain
    };
    for l in &rule.lists {
        let Some(list) = db.lists.get(&l.value) else {
            continue;
        };
        if let Some(m) = list
            .raw
            .members
            .iter()
            .find(|m| candidates.contains(&m.vendor))
        {
            let via = if f.chain.first() == Some(&m.vendor) {
                String::new()
            } else {
                format!(
                    ", owner of {}",
                    vname(f.chain.first().map(String::as_str).unwrap_or(""))
                )
            };
            let listed = m
                .listed_as
                .as_deref()
                .map(|a| format!(" as \"{a}\""))
                .unwrap_or_default();
            return Some((
                "list",
                l.pos,
                format!(
                    "vendor {}{via} is on {} ({}){listed}{in_scope}",
                    vname(&m.vendor),
                    list.raw.name,
                    list.raw.id
                ),
            ));
        }
    }
    for v in &rule.vendors {
        if candidates.contains(&v.value) {
            let via = if f.chain.first() == Some(&v.value) {
                String::new()
            } else {
                format!(
                    " (owner of {})",
                    vname(f.chain.first().map(String::as_str).unwrap_or(""))
                )
            };
            return Some((
                "vendor",
                v.pos,
                format!("made by denied vendor {}{via}{in_scope}", vname(&v.value)),
            ));
        }
    }
    let country = if rule.direct {
        f.vendor_country.as_deref()
    } else {
        f.owner_country.as_deref()
    };
    let whose = if rule.direct {
        "vendor"
    } else {
        "ultimate owner"
    };
    if let Some(cc) = country {
        if let Some(c) = rule.countries.iter().find(|c| c.value == cc) {
            return Some((
                "country",
                c.pos,
                format!(
                    "{whose} {} is in {cc}{in_scope}",
                    vname(owner_or_vendor(f, rule.direct))
                ),
            ));
        }
        if let Some(r) = rule
            .regions
            .iter()
            .find(|r| r.value.countries.iter().any(|x| x == cc))
        {
            return Some((
                "region",
                r.pos,
                format!(
                    "{whose} {} is in {cc}, part of {}{in_scope}",
                    vname(owner_or_vendor(f, rule.direct)),
                    r.value.id
                ),
            ));
        }
    }
    if let Some(o) = rule.origin.iter().find(|o| o.value == f.origin) {
        let who = match f.chain.first() {
            Some(v) => format!("vendor {}", vname(v)),
            None => "no vendor could be attributed".to_owned(),
        };
        return Some((
            "origin",
            o.pos,
            format!("origin is {} ({who}){in_scope}", f.origin.as_str()),
        ));
    }
    if rule.scope_only() {
        if let Some(p) = rule.products.first() {
            return Some((
                "product",
                p.pos,
                format!("product `{}` is not allowed", p.value),
            ));
        }
        if let Some(c) = rule
            .categories
            .iter()
            .find(|c| Some(c.value.as_str()) == category)
        {
            return Some((
                "category",
                c.pos,
                format!("category `{}` is not allowed", c.value),
            ));
        }
    }
    None
}

/// Whether a `trust-anchors` rule limited to `stores` matches a certificate component.
fn match_trust(
    rule: &Rule,
    stores: &[super::Cited<String>],
    f: &Facts<'_>,
    db: &RuleDb,
    home: &[String],
) -> Option<(&'static str, Pos, String)> {
    if f.c.kind != crate::model::ComponentKind::Certificate {
        return None;
    }
    let store =
        f.c.properties
            .get("store")
            .map(String::as_str)
            .unwrap_or("");
    let in_store = stores.iter().find(|s| s.value == store);
    if !stores.is_empty() && in_store.is_none() {
        return None;
    }
    let what = format!("trust anchor `{}` in store {store}", f.c.name);
    let vname = |id: &str| {
        db.vendors
            .get(id)
            .map(|v| format!("{} ({id})", v.raw.name))
            .unwrap_or_else(|| format!("`{id}`"))
    };
    let candidates: &[String] = if rule.direct {
        f.chain.get(..1).unwrap_or(&[])
    } else {
        &f.chain
    };
    for l in &rule.lists {
        let Some(list) = db.lists.get(&l.value) else {
            continue;
        };
        if let Some(m) = list
            .raw
            .members
            .iter()
            .find(|m| candidates.contains(&m.vendor))
        {
            return Some((
                "trust-anchor",
                l.pos,
                format!(
                    "{what} is owned by {}, on {} ({})",
                    vname(&m.vendor),
                    list.raw.name,
                    list.raw.id
                ),
            ));
        }
    }
    if let Some(v) = rule.vendors.iter().find(|v| candidates.contains(&v.value)) {
        return Some((
            "trust-anchor",
            v.pos,
            format!("{what} is owned by denied owner {}", vname(&v.value)),
        ));
    }
    let country = if rule.direct {
        f.c.vendor
            .as_deref()
            .and_then(|v| v.country.clone())
            .or_else(|| f.c.properties.get("subject-country").cloned())
    } else {
        crate::model::trust_country(f.c)
    };
    let owner = match f.chain.first() {
        Some(_) => vname(owner_or_vendor(f, rule.direct)),
        None => format!(
            "subject `{}`",
            f.c.properties
                .get("subject")
                .map(String::as_str)
                .unwrap_or("")
        ),
    };
    if let Some(cc) = country.as_deref() {
        if let Some(c) = rule.countries.iter().find(|c| c.value == cc) {
            return Some((
                "trust-anchor",
                c.pos,
                format!("{what} is owned in {cc} ({owner})"),
            ));
        }
        if let Some(r) = rule
            .regions
            .iter()
            .find(|r| r.value.countries.iter().any(|x| x == cc))
        {
            return Some((
                "trust-anchor",
                r.pos,
                format!("{what} is owned in {cc}, part of {} ({owner})", r.value.id),
            ));
        }
    }
    // Origin: the vendor's when the rules know it, else from the subject's country.
    let origin = match (&f.c.vendor, country.as_deref()) {
        (Some(_), _) => f.origin,
        (None, Some(cc)) if home.iter().any(|h| h == cc) => Origin::Domestic,
        (None, Some(_)) => Origin::Foreign,
        (None, None) => Origin::Unknown,
    };
    if let Some(o) = rule.origin.iter().find(|o| o.value == origin) {
        return Some((
            "trust-anchor",
            o.pos,
            format!("{what} is of {} origin ({owner})", origin.as_str()),
        ));
    }
    if rule.scope_only() {
        let pos = in_store.map_or(rule.pos, |s| s.pos);
        return Some(("trust-anchor", pos, format!("{what} is not allowed")));
    }
    None
}

fn owner_or_vendor<'f>(f: &'f Facts<'_>, direct: bool) -> &'f str {
    let id = if direct {
        f.chain.first()
    } else {
        f.chain.last()
    };
    id.map(String::as_str).unwrap_or("")
}

fn component_facts(f: &Facts<'_>, db: &RuleDb) -> ComponentFacts {
    let c = f.c;
    let vendor = c.vendor.as_deref().map(|v| {
        let owner = f.chain.last().cloned().unwrap_or_else(|| v.id.clone());
        let owner_name = if owner == v.id {
            v.name.clone()
        } else {
            db.vendors
                .get(&owner)
                .map(|o| o.raw.name.clone())
                .unwrap_or_else(|| owner.clone())
        };
        VendorFacts {
            id: v.id.clone(),
            name: v.name.clone(),
            country: v.country.clone(),
            ultimate_owner: owner,
            owner_name,
            owner_country: f.owner_country.clone(),
            chain: f.chain.clone(),
        }
    });
    let mut evidence: Vec<Evidence> = c
        .evidence
        .iter()
        .filter(|e| e.rule.is_some())
        .cloned()
        .collect();
    if evidence.is_empty() {
        evidence = c.evidence.iter().take(3).cloned().collect();
    }
    ComponentFacts {
        id: c.id.clone(),
        name: c.name.clone(),
        version: c.version.clone(),
        purl: c.purl.clone(),
        location: c.locations.first().cloned(),
        vendor,
        origin: f.origin,
        product: c.product.as_ref().map(|p| p.id.clone()),
        category: c.category_id().map(str::to_owned),
        evidence,
    }
}

fn waiver_ref(e: &super::Exception) -> WaiverRef {
    WaiverRef {
        pattern: e.pattern.clone(),
        reason: e.reason.clone(),
        expires: e.expires.to_string(),
        approved_by: e.approved_by.clone(),
        ticket: e.ticket.clone(),
        pos: e.pos,
    }
}

/// YAML double-quoted string.
fn yaml_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A ready-to-paste waiver for one component (exact id, 90 days from `today`).
pub fn suggest(c: &Component, today: Date) -> String {
    format!(
        "- {{match: {}, reason: \"<why this is acceptable>\", expires: {}, approved_by: \"<name>\", ticket: \"<ticket>\"}}",
        yaml_quote(&c.id),
        today.add_days(SUGGESTED_WAIVER_DAYS)
    )
}

fn criticality_weight(c: Option<&str>) -> f64 {
    match c {
        Some("critical") => 4.0,
        Some("high") => 3.0,
        Some("medium") => 2.0,
        _ => 1.0,
    }
}

/// What a threshold's share is over: every component in scope when it counts unknown origin,
/// else those whose origin is known (unknown never dilutes a foreign share).
fn denominator(t: &super::Threshold) -> &'static str {
    if t.origin.contains(&Origin::Unknown) {
        "all"
    } else {
        "known-origin"
    }
}

fn threshold(
    t: &super::Threshold,
    facts: &[Facts<'_>],
    policy: &Policy,
) -> (ThresholdResult, Vec<String>) {
    let over_all = denominator(t) == "all";
    let (mut counted, mut total, mut unknown, mut in_scope) = (0.0, 0.0, 0.0, 0.0);
    let mut ids = Vec::new();
    // Binaries read inside a package count through it, as in the summary.
    for f in facts.iter().filter(|f| f.c.counted()) {
        if t.category
            .as_deref()
            .is_some_and(|c| Some(c) != f.c.category_id())
        {
            continue;
        }
        let mut w = f.c.count.unwrap_or(1) as f64;
        if t.weighted {
            w *= criticality_weight(f.c.product.as_ref().and_then(|p| p.criticality.as_deref()));
        }
        in_scope += w;
        if f.origin == Origin::Unknown {
            unknown += w;
            if !over_all {
                continue;
            }
        }
        total += w;
        // Allowed vendors and components are accepted reliance: they do not count.
        if t.origin.contains(&f.origin) && !allowed(policy, f) {
            counted += w;
            if ids.len() < THRESHOLD_LISTED {
                ids.push(f.c.id.clone());
            }
        }
    }
    let share = if total > 0.0 { counted / total } else { 0.0 };
    let holds = t.max_count.is_none_or(|n| counted <= n as f64)
        && t.max_share.is_none_or(|s| share <= s + 1e-9);
    (
        ThresholdResult {
            index: t.index,
            pos: t.pos,
            category: t.category.clone(),
            origin: t.origin.clone(),
            weighted: t.weighted,
            counted,
            total,
            denominator: denominator(t),
            unknown,
            in_scope,
            share,
            max_foreign: t.max_count,
            max_foreign_share: t.max_share,
            unknown_share: t.unknown_share,
            holds,
        },
        ids,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn setup() -> (RuleDb, Report) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/policy");
        let (db, _) = crate::rules::load(&[dir.join("rules")]).unwrap();
        let report = crate::report::json::read(&dir.join("reports/mixed.json")).unwrap();
        (db, report)
    }

    fn run(text: &str, report: &Report, db: &RuleDb) -> Outcome {
        let (p, d) = crate::policy::parse("p.yaml", text, db);
        let p = p.unwrap_or_else(|| panic!("{:?}", d.rendered()));
        evaluate(&p, report, db, Date::parse("2026-11-22").unwrap())
    }

    fn ids(o: &Outcome) -> Vec<&str> {
        o.violations
            .iter()
            .filter_map(|v| v.component.as_ref().map(|c| c.id.as_str()))
            .collect()
    }

    #[test]
    fn ownership_is_followed_unless_direct() {
        let (db, report) = setup();
        let o = run("home: US\ndeny: {vendors: [huawei]}\n", &report, &db);
        assert_eq!(
            ids(&o),
            vec![
                "fw:/lib/firmware/hisilicon/hi3516cv300.bin",
                "hw:pci:19e5:1822"
            ]
        );
        let o = run(
            "home: US\ndeny: {vendors: [huawei], direct: true}\n",
            &report,
            &db,
        );
        assert_eq!(ids(&o), vec!["hw:pci:19e5:1822"]);
        assert!(!o.passed);
    }

    #[test]
    fn origin_is_recomputed_for_the_policy_home() {
        let (db, mut report) = setup();
        // A report made for home US says Windows is domestic; a CN policy sees it as foreign.
        report.scan.home = Some("US".to_owned());
        for c in &mut report.components {
            c.origin = Some(Origin::Domestic);
        }
        let o = run("home: CN\ndeny: {origin: [foreign]}\n", &report, &db);
        assert_eq!(
            ids(&o),
            vec![
                "app:windows-server@2022",
                "deb:kesl@12.0.0-6672",
                "rpm:oracle-database-ee-19c@1.0-1"
            ]
        );
        // With the same home the report's own origin is used.
        let o = run("home: US\ndeny: {origin: [foreign]}\n", &report, &db);
        assert!(o.violations.is_empty());
        // Regions: EU home makes the Debian project international, never foreign.
        let o = run("home: EU\nwarn: {origin: [international]}\n", &report, &db);
        assert_eq!(
            ids(&o),
            vec!["deb:base-files@12.4+deb12u11", "deb:zlib1g@1:1.2.13.dfsg-1"]
        );
        assert!(o.passed);
    }

    #[test]
    fn allow_overrides_and_thresholds_count() {
        let (db, report) = setup();
        let text = "home: CN\ndeny: {countries: [US]}\nallow: {vendors: [microsoft], components: [\"rpm:oracle-*\"]}\nthresholds:\n  - {max_foreign: 1}\n";
        let o = run(text, &report, &db);
        assert!(ids(&o).is_empty(), "{:?}", ids(&o));
        // Kaspersky (RU) is the one foreign component left: count 1 holds.
        assert_eq!(o.thresholds[0].counted, 1.0);
        assert!(o.thresholds[0].holds && o.passed);
    }
}
