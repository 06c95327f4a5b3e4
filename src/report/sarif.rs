//! `sovscan check` as SARIF 2.1.0 (OASIS), for code-scanning dashboards: one result per
//! violating component (plus one per failed threshold or expired waiver), `ruleId` = the policy
//! rule code, located at the component's first location (relative to the scanned root) with the
//! policy line as a related location. Waived violations carry an external suppression with the
//! waiver's reason, so dashboards show them as dismissed rather than hiding them.

use super::violations::{clean, explanation};
use crate::policy::eval::{Outcome, Violation};
use crate::policy::Level;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The schema URI written into `$schema`.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn describe(rule: &str) -> &'static str {
    match rule.split_once('-').map(|x| x.1).unwrap_or(rule) {
        "list" => "Vendor on a denied entity list",
        "vendor" => "Denied vendor",
        "country" => "Vendor owned in a denied country",
        "region" => "Vendor owned in a denied region",
        "origin" => "Component of a denied origin class",
        "category" => "Denied product category",
        "product" => "Denied product",
        "threshold" => "Foreign reliance over the policy threshold",
        "exception" => "Expired waiver",
        _ => "Policy rule",
    }
}

/// A relative URI reference for a path (leading `/` dropped, reserved characters escaped).
pub fn uri(path: &str) -> String {
    let mut out = String::new();
    for b in path.trim_start_matches('/').bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out.is_empty() {
        out.push('.');
    }
    out
}

/// The policy file's URI: relative paths stay relative (to the repository in CI); an absolute
/// host path becomes a `file://` URI.
fn policy_uri(path: &str) -> String {
    if path.starts_with('/') {
        format!("file:///{}", uri(path))
    } else {
        uri(path)
    }
}

fn level(v: &Violation) -> &'static str {
    match v.level {
        Level::Deny => "error",
        Level::Warn => "warning",
    }
}

fn result(o: &Outcome, v: &Violation, rule_index: usize) -> Value {
    let policy_loc = json!({
        "physicalLocation": {
            "artifactLocation": {"uri": policy_uri(&o.policy)},
            "region": {"startLine": v.pos.line.max(1), "startColumn": v.pos.column.max(1)}
        }
    });
    let mut details: Vec<String> = explanation(o, v)
        .into_iter()
        .filter(|(k, _)| *k != "why")
        .map(|(k, t)| format!("{k}: {t}"))
        .collect();
    details.insert(0, clean(&v.message));
    let mut r = json!({
        "ruleId": v.rule,
        "ruleIndex": rule_index,
        "level": level(v),
        "message": {"text": details.join("\n")},
    });
    let mut props = serde_json::Map::new();
    match &v.component {
        Some(c) => {
            let loc = c.location.as_deref().unwrap_or("/");
            r["locations"] = json!([{
                "physicalLocation": {"artifactLocation": {"uri": uri(loc)}},
                "logicalLocations": [{"name": clean(&c.id), "fullyQualifiedName": clean(c.purl.as_deref().unwrap_or(&c.id)), "kind": "module"}]
            }]);
            let mut related = policy_loc;
            related["id"] = json!(0);
            related["message"] = json!({"text": format!("policy rule {} ({}:{})", v.rule, clean(&o.policy), v.pos.line)});
            r["relatedLocations"] = json!([related]);
            r["partialFingerprints"] =
                json!({"sovscanComponent/v1": format!("{}|{}", clean(&c.id), v.rule)});
            props.insert("component".into(), json!(clean(&c.id)));
            props.insert("origin".into(), json!(c.origin.as_str()));
            if let Some(vf) = &c.vendor {
                props.insert("vendor".into(), json!(clean(&vf.id)));
                props.insert("ultimateOwner".into(), json!(clean(&vf.ultimate_owner)));
                if let Some(cc) = &vf.owner_country {
                    props.insert("country".into(), json!(clean(cc)));
                }
            }
        }
        None => {
            r["locations"] = json!([policy_loc]);
            r["partialFingerprints"] =
                json!({"sovscanPolicy/v1": format!("{}|{}", v.rule, v.pos.line)});
        }
    }
    if let Some(w) = &v.waived_by {
        r["suppressions"] = json!([{
            "kind": "external",
            "status": "accepted",
            "justification": format!("{} (waiver `{}` until {})", clean(&w.reason), clean(&w.pattern), w.expires)
        }]);
    }
    if !props.is_empty() {
        r["properties"] = Value::Object(props);
    }
    r
}

/// Render the outcome as a SARIF 2.1.0 log.
pub fn render(o: &Outcome) -> String {
    let mut rule_ids: BTreeMap<&str, usize> = BTreeMap::new();
    for v in &o.violations {
        let n = rule_ids.len();
        rule_ids.entry(v.rule.as_str()).or_insert(n);
    }
    let mut rules: Vec<(&str, usize)> = rule_ids.iter().map(|(k, v)| (*k, *v)).collect();
    rules.sort_by_key(|r| r.1);
    let rules_json: Vec<Value> = rules
        .iter()
        .map(|(id, _)| {
            json!({
                "id": id,
                "name": describe(id).replace(' ', ""),
                "shortDescription": {"text": describe(id)},
                "defaultConfiguration": {"level": if id.starts_with("warn") { "warning" } else { "error" }}
            })
        })
        .collect();
    let results: Vec<Value> = o
        .violations
        .iter()
        .map(|v| result(o, v, rule_ids.get(v.rule.as_str()).copied().unwrap_or(0)))
        .collect();
    let log = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "sovscan",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://crates.io/crates/sovscan",
                "rules": rules_json
            }},
            "invocations": [{
                "executionSuccessful": true,
                "properties": {"policy": clean(&o.policy), "home": clean(&o.home), "date": o.today, "passed": o.passed}
            }],
            "results": results
        }]
    });
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
    s.push('\n');
    s
}
