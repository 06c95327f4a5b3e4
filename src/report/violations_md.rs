//! `sovscan check` as Markdown for a pull-request comment: a verdict heading, a table of
//! violations with the policy line each broke, the thresholds, then (folded) the explanation
//! of each violation with a ready-to-paste waiver.

use super::violations::{clean, explanation, state, threshold_row, verdict};
use crate::policy::eval::Outcome;
use std::fmt::Write;

/// Table rows shown: a pull-request comment is limited to 65,536 characters.
const MAX_ROWS: usize = 200;
/// Explanations shown.
const MAX_DETAILS: usize = 30;

fn more(out: &mut String, total: usize, shown: usize) {
    if total > shown {
        let _ = writeln!(
            out,
            "\n… and {} more (see `--format json` or `--format sarif`).",
            total - shown
        );
    }
}

/// Escape a table cell (no line breaks, no column separators, no inline HTML).
fn cell(s: &str) -> String {
    clean(s)
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A code span that cannot be broken out of.
fn code(s: &str) -> String {
    let s = clean(s).replace('`', "'");
    format!("`{s}`")
}

/// Render the outcome as Markdown.
pub fn render(o: &Outcome) -> String {
    let mut out = String::new();
    let icon = if o.passed { "✅" } else { "❌" };
    let _ = writeln!(out, "## {icon} {}\n", cell(&verdict(o)));
    if o.violations.is_empty() {
        let _ = writeln!(out, "No component matched a deny or warn rule.\n");
    } else {
        out.push_str(
            "| State | Component | Vendor (ultimate owner) | Country | Rule | Policy line |\n",
        );
        out.push_str("| --- | --- | --- | --- | --- | --- |\n");
        for v in o.violations.iter().take(MAX_ROWS) {
            let (comp, vendor, country) = match &v.component {
                Some(c) => match &c.vendor {
                    Some(vf) => (
                        code(&c.id),
                        if vf.ultimate_owner == vf.id {
                            cell(&vf.name)
                        } else {
                            format!("{} ({})", cell(&vf.name), cell(&vf.owner_name))
                        },
                        vf.owner_country
                            .as_deref()
                            .map(cell)
                            .unwrap_or_else(|| "—".to_owned()),
                    ),
                    None => (code(&c.id), "unknown".to_owned(), "—".to_owned()),
                },
                None => (cell(&v.message), "—".to_owned(), "—".to_owned()),
            };
            let _ = writeln!(
                out,
                "| {} | {comp} | {vendor} | {country} | {} | {} |",
                state(v),
                code(&v.rule),
                code(&format!("{}:{}", o.policy, v.pos.line))
            );
        }
        more(&mut out, o.violations.len(), MAX_ROWS);
        out.push('\n');
    }
    if !o.thresholds.is_empty() {
        out.push_str("| Threshold | Scope | Counts | Measured | Limit | Holds |\n| --- | --- | --- | --- | --- | --- |\n");
        for r in &o.thresholds {
            let row: Vec<String> = threshold_row(o, r).iter().map(|c| cell(c)).collect();
            let _ = writeln!(out, "| {} |", row.join(" | "));
        }
        out.push('\n');
    }
    if !o.violations.is_empty() {
        out.push_str("<details><summary>Why, and how to waive</summary>\n\n");
        for v in o.violations.iter().take(MAX_DETAILS) {
            let subject = v
                .component
                .as_ref()
                .map(|c| c.id.as_str())
                .unwrap_or("policy");
            let _ = writeln!(
                out,
                "#### {} {} {}\n",
                state(v),
                code(subject),
                code(&v.rule)
            );
            for (k, t) in explanation(o, v) {
                if k == "waive" {
                    continue;
                }
                let _ = writeln!(out, "- **{k}**: {}", cell(&t));
            }
            if let (None, Some(s)) = (&v.waived_by, &v.suggested_waiver) {
                let _ = write!(out, "\nTo accept it for a while, add under `exceptions:` in {}:\n\n```yaml\n{}\n```\n", code(&o.policy), clean(s));
            }
            out.push('\n');
        }
        more(&mut out, o.violations.len(), MAX_DETAILS);
        out.push_str("</details>\n");
    }
    for w in &o.warnings {
        let _ = writeln!(out, "\n> ⚠️ {}", cell(w));
    }
    out
}
