//! A Markdown summary for tickets and pull requests: headline numbers, shares by origin,
//! country and category, trust anchors per store and owner country, the top foreign vendors,
//! and the foreign and unknown components other than trust anchors (the first [`LIST`] of
//! each). Every scanned string is escaped so that a package name cannot open
//! a link, a table cell or HTML in the rendered ticket.

use super::{share, top_vendors};
use crate::model::{owner_country, Origin, Report};
use std::fmt::Write;

/// How many components of one origin are listed.
pub const LIST: usize = 50;

/// Escape text for a Markdown table cell or paragraph.
pub fn escape(s: &str) -> String {
    let s = crate::text::sanitize(s);
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '!' | '|'
            | '~' => {
                out.push('\\');
                out.push(ch);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            _ => out.push(ch),
        }
    }
    out
}

fn share_table(o: &mut String, title: &str, note: &str, what: &str, rows: &[super::ShareRow]) {
    let _ = writeln!(o, "## {title}\n");
    if !note.is_empty() {
        let _ = writeln!(o, "{note}\n");
    }
    let _ = writeln!(
        o,
        "| {what} | components | share | of (denominator) |\n| --- | ---: | ---: | --- |"
    );
    for row in rows {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} {} |",
            escape(&row.label),
            row.count,
            row.percent(),
            row.of,
            row.denominator
        );
    }
    o.push('\n');
}

/// Render the summary.
pub fn render(r: &Report) -> String {
    let mut o = String::new();
    let s = &r.summary;
    let target = super::target(r);
    let _ = writeln!(o, "# sovscan report: {}\n", escape(&target));
    let _ = writeln!(
        o,
        "{} components, {} errors; home {}; rules {}; scanned {}.\n",
        s.components,
        r.errors.len(),
        r.scan
            .home
            .as_deref()
            .map(escape)
            .unwrap_or_else(|| "not set (origin not assessed)".into()),
        escape(&r.tool.rules.version),
        escape(&r.scan.started)
    );
    if !s.by_origin.is_empty() {
        share_table(
            &mut o,
            "By origin",
            "Domestic, foreign and international shares are of the components of known origin; the unknown share is of all components.",
            "origin",
            &super::origin_rows(s),
        );
    }
    if !s.by_country.is_empty() {
        share_table(
            &mut o,
            "By country of the ultimate owner",
            "",
            "country",
            &super::country_rows(s),
        );
    }
    if !s.by_category.is_empty() && r.scan.home.is_some() {
        let _ = writeln!(
            o,
            "## By category\n\n{} of {} components have no category.\n\n| category | components | foreign | of known origin | foreign share | unknown |\n| --- | ---: | ---: | ---: | ---: | ---: |",
            s.uncategorised, s.components
        );
        for row in super::category_rows(s) {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} |",
                escape(&row.category),
                row.components,
                row.foreign,
                row.known,
                share(row.foreign, row.known),
                row.unknown
            );
        }
        o.push('\n');
    }
    if !s.by_signer_country.is_empty() {
        share_table(
            &mut o,
            "Signed components by country of the signer",
            "",
            "signer country",
            &super::signer_rows(s),
        );
    }
    if r.roots.len() > 1 {
        let _ = writeln!(
            o,
            "## Roots\n\n| root | kind | os | components |\n| --- | --- | --- | ---: |"
        );
        for root in &r.roots {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} |",
                escape(&root.path),
                root.kind.as_str(),
                escape(root.os.as_deref().unwrap_or("")),
                root.components
            );
        }
        o.push('\n');
    }
    if !s.by_category.is_empty() {
        let _ = writeln!(o, "## By category\n\n| category | counts |\n| --- | --- |");
        for (cat, m) in &s.by_category {
            let cells: Vec<String> = m
                .iter()
                .map(|(k, n)| format!("{} {n}", escape(k)))
                .collect();
            let _ = writeln!(o, "| {} | {} |", escape(cat), cells.join(", "));
        }
        o.push('\n');
    }
    if !s.trust_anchors.is_empty() {
        let _ = writeln!(
            o,
            "## Trust anchors\n\n| store | trust anchors | by owner country |\n| --- | ---: | --- |"
        );
        for (store, by) in &s.trust_anchors {
            let cells: Vec<String> = by
                .iter()
                .map(|(k, n)| format!("{} {n}", escape(k)))
                .collect();
            let _ = writeln!(
                o,
                "| {} | {} | {} |",
                escape(store),
                by.values().sum::<usize>(),
                cells.join(", ")
            );
        }
        o.push('\n');
    }
    let top = top_vendors(r, 10);
    if !top.is_empty() {
        let title = if r.scan.home.is_some() {
            "Top foreign vendors"
        } else {
            "Top vendors"
        };
        let _ = writeln!(
            o,
            "## {title}\n\n| vendor | country | components |\n| --- | --- | ---: |"
        );
        for v in top {
            let _ = writeln!(
                o,
                "| {} | {} | {} |",
                escape(&v.name),
                escape(&v.country),
                v.components
            );
        }
        o.push('\n');
    }
    for (origin, title) in [
        (Origin::Foreign, "Foreign components"),
        (Origin::Unknown, "Components of unknown origin"),
    ] {
        let list: Vec<_> = r
            .components
            .iter()
            .filter(|c| c.origin == Some(origin) && !c.kind.is_trust())
            .collect();
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(o, "## {title} ({})\n\n| component | version | vendor | country |\n| --- | --- | --- | --- |", list.len());
        for c in list.iter().take(LIST) {
            let v = c.vendor.as_deref();
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} |",
                escape(&c.name),
                escape(c.version.as_deref().unwrap_or("")),
                escape(v.map(|v| v.name.as_str()).unwrap_or("unknown")),
                escape(&v.and_then(owner_country).unwrap_or_default())
            );
        }
        if list.len() > LIST {
            let _ = writeln!(
                o,
                "\n… and {} more (see the JSON report).",
                list.len() - LIST
            );
        }
        o.push('\n');
    }
    o
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup() {
        assert_eq!(
            super::escape("a|b [x](y) <s>"),
            "a\\|b \\[x\\]\\(y\\) &lt;s&gt;"
        );
    }
}
