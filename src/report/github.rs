//! `sovscan check` as GitHub Actions workflow commands: one `::error` (denied), `::warning`
//! (warned) or `::notice` (waived) annotation per violation, pointing at the policy line that
//! was broken, then the verdict line. Data and properties are escaped as the runner expects
//! (`%`, CR and LF; `:` and `,` in properties) so a component name cannot inject a command.

use super::violations::{clean, state, verdict};
use crate::policy::eval::Outcome;
use crate::policy::Level;
use std::fmt::Write;

fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn prop(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Render the outcome as workflow commands.
pub fn render(o: &Outcome) -> String {
    let mut out = String::new();
    for v in &o.violations {
        let cmd = match (v.waived_by.is_some(), v.level) {
            (true, _) => "notice",
            (false, Level::Deny) => "error",
            (false, Level::Warn) => "warning",
        };
        let subject = v
            .component
            .as_ref()
            .map(|c| clean(&c.id))
            .unwrap_or_else(|| "policy".to_owned());
        let title = format!("sovscan {} {}: {subject}", state(v).to_lowercase(), v.rule);
        let mut msg = clean(&v.message);
        if let Some(w) = &v.waived_by {
            let _ = write!(msg, " (waived until {}: {})", w.expires, clean(&w.reason));
        } else if let Some(s) = &v.suggested_waiver {
            let _ = write!(msg, "\nTo waive: {}", clean(s));
        }
        let _ = writeln!(
            out,
            "::{cmd} file={},line={},col={},title={}::{}",
            prop(&clean(&o.policy)),
            v.pos.line,
            v.pos.column,
            prop(&title),
            data(&msg)
        );
    }
    for w in &o.warnings {
        let _ = writeln!(out, "::warning::{}", data(&clean(w)));
    }
    let _ = writeln!(out, "{}", verdict(o));
    out
}
