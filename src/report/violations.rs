//! `sovscan check` output as text (a verdict line, one explanation block per violation, the
//! thresholds) and as JSON (the [`Outcome`] itself). Every string that may come from a report
//! file goes through [`clean`]: a report written elsewhere must not drive the terminal.

use crate::model::Evidence;
use crate::policy::eval::{Outcome, Violation};
use crate::policy::Level;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, ContentArrangement, Table};
use std::fmt::Write;

/// Strip control and bidi characters (newlines become spaces); no length cap.
pub fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// One line saying whether the policy holds.
pub fn verdict(o: &Outcome) -> String {
    let status = if o.passed { "PASSED" } else { "FAILED" };
    format!(
        "sovscan check: {status} — policy \"{}\" ({}), home {}, as of {}: {} denied, {} warning(s), {} waived, {} components",
        clean(&o.policy_name),
        clean(&o.policy),
        clean(&o.home),
        o.today,
        o.denied,
        o.warned,
        o.waived,
        o.components
    )
}

/// Label of a violation's state: `DENY`, `WARN`, `WAIVED`.
pub fn state(v: &Violation) -> &'static str {
    match (v.waived_by.is_some(), v.level) {
        (true, _) => "WAIVED",
        (false, Level::Deny) => "DENY",
        (false, Level::Warn) => "WARN",
    }
}

/// One evidence line: `kind "value" at PATH → RULE`.
pub fn evidence_line(e: &Evidence) -> String {
    let rule = e
        .rule
        .as_deref()
        .map(|r| format!(" → {}", clean(r)))
        .unwrap_or_default();
    format!(
        "{} \"{}\" at {}{rule}",
        e.kind.as_str(),
        clean(&e.value),
        clean(&e.at)
    )
}

/// Explanation lines of one violation (label, text), shared by the text, Markdown and JUnit
/// renderers.
pub fn explanation(o: &Outcome, v: &Violation) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(c) = &v.component {
        if let Some(l) = &c.location {
            out.push(("at", clean(l)));
        }
        if let Some(p) = &c.purl {
            out.push(("purl", clean(p)));
        }
    }
    out.push(("why", clean(&v.message)));
    let reason = v
        .rule_reason
        .as_deref()
        .map(|r| format!(" — {}", clean(r)))
        .unwrap_or_default();
    out.push((
        "policy",
        format!(
            "{}:{}:{} ({}){reason}",
            clean(&o.policy),
            v.pos.line,
            v.pos.column,
            v.rule
        ),
    ));
    if let Some(c) = &v.component {
        match &c.vendor {
            Some(vf) => {
                let cc = |x: &Option<String>| {
                    x.as_deref()
                        .map(clean)
                        .unwrap_or_else(|| "no country (international)".to_owned())
                };
                let mut s = format!(
                    "{} ({}), {}",
                    clean(&vf.name),
                    clean(&vf.id),
                    cc(&vf.country)
                );
                if vf.ultimate_owner != vf.id {
                    let _ = write!(
                        s,
                        "; ultimate owner {} ({}), {}",
                        clean(&vf.owner_name),
                        clean(&vf.ultimate_owner),
                        cc(&vf.owner_country)
                    );
                }
                let _ = write!(s, "; origin {}", c.origin.as_str());
                out.push(("vendor", s));
            }
            None => out.push(("vendor", "none attributed (origin unknown)".to_owned())),
        }
        if let (Some(p), Some(cat)) = (&c.product, &c.category) {
            out.push(("product", format!("{} (category {})", clean(p), clean(cat))));
        }
        for e in &c.evidence {
            out.push(("evidence", evidence_line(e)));
        }
    }
    if !v.counted.is_empty() {
        let label = if v.component.is_none() && v.expired_waiver.is_some() {
            "matches"
        } else {
            "counted"
        };
        out.push((label, clean(&v.counted.join(", "))));
    }
    if let Some(w) = &v.waived_by {
        out.push((
            "waived",
            format!(
                "by {}:{} `{}` until {} — {}",
                clean(&o.policy),
                w.pos.line,
                clean(&w.pattern),
                w.expires,
                clean(&w.reason)
            ),
        ));
    }
    if let Some(w) = &v.expired_waiver {
        if v.component.is_some() {
            out.push((
                "expired",
                format!(
                    "waiver {}:{} `{}` expired on {}",
                    clean(&o.policy),
                    w.pos.line,
                    clean(&w.pattern),
                    w.expires
                ),
            ));
        }
    }
    if v.waived_by.is_none() {
        if let Some(s) = &v.suggested_waiver {
            out.push((
                "waive",
                format!(
                    "add under `exceptions:` in {}: {}",
                    clean(&o.policy),
                    clean(s)
                ),
            ));
        }
    }
    out
}

/// The text report (policy warnings such as `unused-exception` go to stderr, not here).
pub fn render_text(o: &Outcome) -> String {
    let mut out = verdict(o);
    out.push('\n');
    for v in &o.violations {
        let subject = v
            .component
            .as_ref()
            .map(|c| clean(&c.id))
            .unwrap_or_else(|| "(policy)".to_owned());
        let _ = write!(out, "\n{:<6} {}  {subject}\n", state(v), v.rule);
        for (k, text) in explanation(o, v) {
            let _ = writeln!(out, "  {k:<9} {text}");
        }
    }
    if !o.thresholds.is_empty() {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Disabled);
        t.set_header(
            [
                "threshold",
                "scope",
                "counted",
                "measured",
                "limit",
                "holds",
            ]
            .map(Cell::new),
        );
        for r in &o.thresholds {
            t.add_row(threshold_row(o, r));
        }
        let _ = write!(out, "\nThresholds\n{t}\n");
    }
    out
}

/// Cells of a threshold row: location, scope, origins counted, measured, limit, holds.
pub fn threshold_row(o: &Outcome, r: &crate::policy::eval::ThresholdResult) -> Vec<String> {
    let scope = r
        .category
        .as_deref()
        .map(clean)
        .unwrap_or_else(|| "all".to_owned());
    let origins: Vec<&str> = r.origin.iter().map(|x| x.as_str()).collect();
    let weighted = if r.weighted { " (weighted)" } else { "" };
    let measured = if r.denominator == "all" {
        format!(
            "{} of {} components{weighted} = {:.1} %",
            fmt(r.counted),
            fmt(r.total),
            r.share * 100.0
        )
    } else {
        format!(
            "{} of {} of known origin{weighted} = {:.1} % (unknown: {} of {} = {:.1} %)",
            fmt(r.counted),
            fmt(r.total),
            r.share * 100.0,
            fmt(r.unknown),
            fmt(r.in_scope),
            crate::policy::eval::pct(r.unknown, r.in_scope)
        )
    };
    let limit = match (r.max_foreign, r.max_foreign_share) {
        (Some(n), Some(s)) => format!("≤ {n} and ≤ {:.1} %", s * 100.0),
        (Some(n), None) => format!("≤ {n}"),
        (None, Some(s)) => format!("≤ {:.1} %", s * 100.0),
        (None, None) => "—".to_owned(),
    };
    vec![
        format!("{}:{}", clean(&o.policy), r.pos.line),
        scope,
        origins.join(", "),
        measured,
        limit,
        if r.holds { "yes" } else { "NO" }.to_owned(),
    ]
}

fn fmt(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// The outcome as pretty JSON.
pub fn render_json(o: &Outcome) -> String {
    let mut s =
        serde_json::to_string_pretty(o).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
