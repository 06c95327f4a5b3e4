//! `sovscan check` as JUnit XML (the Ant/Surefire dialect CI test tabs read): one test suite
//! for the policy; one test case per violating component (a `failure` when denied, `skipped`
//! when only warned about or waived), one per threshold, and one for the waivers' expiry.
//! Written by hand with escaping: the format is small, and a writer crate would add nothing.

use super::violations::{clean, explanation};
use crate::policy::eval::Outcome;
use crate::policy::Level;
use std::fmt::Write;

/// Escape text for an XML attribute or element (also drops characters XML 1.0 forbids).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            c if c.is_control() || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Render the outcome as JUnit XML.
pub fn render(o: &Outcome) -> String {
    let mut cases = String::new();
    let (mut tests, mut failures, mut skipped) = (0usize, 0usize, 0usize);
    for v in &o.violations {
        tests += 1;
        let name = v
            .component
            .as_ref()
            .map(|c| clean(&c.id))
            .unwrap_or_else(|| format!("{}:{} {}", clean(&o.policy), v.pos.line, v.rule));
        let body: Vec<String> = explanation(o, v)
            .into_iter()
            .map(|(k, t)| format!("{k}: {t}"))
            .collect();
        let body = esc(&body.join("\n"));
        let _ = writeln!(
            cases,
            "    <testcase name=\"{}\" classname=\"sovscan.{}\">",
            esc(&name),
            esc(&v.rule)
        );
        if v.waived_by.is_some() || v.level == Level::Warn {
            skipped += 1;
            let what = if v.waived_by.is_some() {
                "waived"
            } else {
                "warning"
            };
            let _ = writeln!(
                cases,
                "      <skipped type=\"{what}\" message=\"{}\"/>",
                esc(&format!("{what}: {}", clean(&v.message)))
            );
            let _ = writeln!(cases, "      <system-out>{body}</system-out>");
        } else {
            failures += 1;
            let _ = writeln!(
                cases,
                "      <failure type=\"{}\" message=\"{}\">{body}</failure>",
                esc(&v.rule),
                esc(&clean(&v.message))
            );
        }
        cases.push_str("    </testcase>\n");
    }
    for t in o.thresholds.iter().filter(|t| t.holds) {
        tests += 1;
        let scope = t
            .category
            .as_deref()
            .map(clean)
            .unwrap_or_else(|| "all".to_owned());
        let _ = writeln!(
            cases,
            "    <testcase name=\"{}\" classname=\"sovscan.threshold\"/>",
            esc(&format!(
                "{}:{} threshold ({scope}): {:.1} % holds",
                clean(&o.policy),
                t.pos.line,
                t.share * 100.0
            ))
        );
    }
    let component_failures = o.violations.iter().any(|v| v.component.is_some());
    if !component_failures {
        tests += 1;
        let _ = writeln!(
            cases,
            "    <testcase name=\"{}\" classname=\"sovscan.components\"/>",
            esc(&format!("{} components: no rule matched", o.components))
        );
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<testsuites name=\"sovscan check\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">");
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" timestamp=\"{}\">",
        esc(&format!("policy {}", clean(&o.policy_name))),
        esc(&o.today)
    );
    out.push_str("    <properties>\n");
    for (k, v) in [
        ("policy", clean(&o.policy)),
        ("home", clean(&o.home)),
        ("date", o.today.clone()),
        ("components", o.components.to_string()),
    ] {
        let _ = writeln!(out, "      <property name=\"{k}\" value=\"{}\"/>", esc(&v));
    }
    out.push_str("    </properties>\n");
    out.push_str(&cases);
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}
