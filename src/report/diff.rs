//! Rendering a [`Diff`] as a table, JSON, Markdown or a self-contained HTML page. Every string
//! from the reports is sanitised (table), escaped (Markdown, HTML) or JSON-encoded.

use super::html::escape as h;
use super::markdown::escape as md;
use crate::diff::{Diff, Shift};
use crate::model::{owner_country, Component};
use crate::text::sanitize;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use std::fmt::Write;

/// Output formats of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// Tables.
    Table,
    /// JSON (`sovscan-diff/1`): `added`, `removed`, `changed` (`before`/`after`), `summary`.
    Json,
    /// Markdown.
    Markdown,
    /// One self-contained HTML page.
    Html,
}

/// Render a diff.
pub fn render(d: &Diff, f: DiffFormat) -> String {
    match f {
        DiffFormat::Json => {
            let mut s = serde_json::to_string_pretty(d).unwrap_or_default();
            s.push('\n');
            s
        }
        DiffFormat::Table => table(d),
        DiffFormat::Markdown => markdown(d),
        DiffFormat::Html => html(d),
    }
}

/// One line per change: what, and from what to what.
fn rows(d: &Diff) -> Vec<[String; 5]> {
    let who = |c: &Component| -> String {
        match &c.vendor {
            Some(v) => format!(
                "{} ({})",
                v.name,
                owner_country(v).unwrap_or_else(|| "—".into())
            ),
            None => "unknown".into(),
        }
    };
    let origin = |c: &Component| {
        c.origin
            .map(|o| o.as_str().to_owned())
            .unwrap_or_else(|| "—".into())
    };
    let mut out = Vec::new();
    for c in &d.added {
        out.push([
            "added".into(),
            c.id.clone(),
            c.version.clone().unwrap_or_default(),
            who(c),
            origin(c),
        ]);
    }
    for c in &d.removed {
        out.push([
            "removed".into(),
            c.id.clone(),
            c.version.clone().unwrap_or_default(),
            who(c),
            origin(c),
        ]);
    }
    for ch in &d.changed {
        let (a, b) = (&ch.before, &ch.after);
        let arrow = |x: String, y: String| if x == y { y } else { format!("{x} → {y}") };
        out.push([
            format!("changed: {}", ch.fields.join(", ")),
            b.id.clone(),
            arrow(
                a.version.clone().unwrap_or_default(),
                b.version.clone().unwrap_or_default(),
            ),
            arrow(who(a), who(b)),
            arrow(origin(a), origin(b)),
        ]);
    }
    out
}

fn headline(d: &Diff) -> String {
    let s = &d.summary;
    format!(
        "{} → {} components: {} added, {} removed, {} changed; {} newly foreign, {} newly unknown",
        s.components_before,
        s.components_after,
        s.added,
        s.removed,
        s.changed,
        s.newly_foreign.len(),
        s.newly_unknown.len()
    )
}

fn pct(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

fn table(d: &Diff) -> String {
    let mut o = format!("{}\n", sanitize(&headline(d)));
    for n in &d.summary.notes {
        let _ = writeln!(o, "note: {}", sanitize(n));
    }
    let r = rows(d);
    if !r.is_empty() {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
            "change",
            "component",
            "version",
            "vendor (country)",
            "origin",
        ]);
        for row in r {
            t.add_row(row.iter().map(|c| sanitize(c)).collect::<Vec<_>>());
        }
        let _ = writeln!(o, "\n{t}");
    }
    for (title, shifts) in [
        ("By origin", &d.summary.by_origin),
        ("By country", &d.summary.by_country),
        ("By category", &d.summary.by_category),
    ] {
        let moved: Vec<&Shift> = shifts.iter().filter(|s| s.delta != 0).collect();
        if moved.is_empty() {
            continue;
        }
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
            "",
            "before",
            "after",
            "delta",
            "share before",
            "share after",
        ]);
        for s in moved {
            t.add_row(vec![
                sanitize(&s.key),
                s.before.to_string(),
                s.after.to_string(),
                format!("{:+}", s.delta),
                pct(s.share_before),
                pct(s.share_after),
            ]);
        }
        let _ = writeln!(o, "\n{title}\n{t}");
    }
    o
}

fn markdown(d: &Diff) -> String {
    let mut o = String::from("# sovscan diff\n\n");
    let _ = writeln!(o, "{} → {}\n", md(&d.old.started), md(&d.new.started));
    let _ = writeln!(o, "{}.\n", md(&headline(d)));
    for n in &d.summary.notes {
        let _ = writeln!(o, "> {}\n", md(n));
    }
    let r = rows(d);
    if !r.is_empty() {
        o.push_str("| change | component | version | vendor (country) | origin |\n| --- | --- | --- | --- | --- |\n");
        for row in r {
            let cells: Vec<String> = row.iter().map(|c| md(c)).collect();
            let _ = writeln!(o, "| {} |", cells.join(" | "));
        }
        o.push('\n');
    }
    for (title, shifts) in [
        ("By origin", &d.summary.by_origin),
        ("By country", &d.summary.by_country),
        ("By category", &d.summary.by_category),
    ] {
        let moved: Vec<&Shift> = shifts.iter().filter(|s| s.delta != 0).collect();
        if moved.is_empty() {
            continue;
        }
        let _ = writeln!(o, "## {title}\n\n| | before | after | delta | share before | share after |\n| --- | ---: | ---: | ---: | ---: | ---: |");
        for s in moved {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {:+} | {} | {} |",
                md(&s.key),
                s.before,
                s.after,
                s.delta,
                pct(s.share_before),
                pct(s.share_after)
            );
        }
        o.push('\n');
    }
    o
}

fn html(d: &Diff) -> String {
    let mut o = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
<title>sovscan diff</title><style>body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2330}\
table{border-collapse:collapse;margin:8px 0 20px}th,td{border-bottom:1px solid #e6e9ef;padding:4px 8px;text-align:left}\
th{background:#f4f6f9}.added{color:#067647}.removed{color:#b42318}.num{text-align:right}</style></head><body>",
    );
    let _ = write!(
        o,
        "<h1>sovscan diff</h1><p>{} → {}</p><p><b>{}</b></p>",
        h(&d.old.started),
        h(&d.new.started),
        h(&headline(d))
    );
    for n in &d.summary.notes {
        let _ = write!(o, "<p><i>{}</i></p>", h(n));
    }
    let r = rows(d);
    if !r.is_empty() {
        o.push_str("<table><thead><tr><th>change</th><th>component</th><th>version</th><th>vendor (country)</th><th>origin</th></tr></thead><tbody>");
        for row in r {
            let class = row[0].split(':').next().unwrap_or("").to_owned();
            let _ = write!(o, "<tr class=\"{}\">", h(&class));
            for c in &row {
                let _ = write!(o, "<td>{}</td>", h(c));
            }
            o.push_str("</tr>");
        }
        o.push_str("</tbody></table>");
    }
    for (title, shifts) in [
        ("By origin", &d.summary.by_origin),
        ("By country", &d.summary.by_country),
        ("By category", &d.summary.by_category),
    ] {
        if shifts.is_empty() {
            continue;
        }
        let _ = write!(o, "<h2>{title}</h2><table><thead><tr><th></th><th>before</th><th>after</th><th>delta</th><th>share before</th><th>share after</th></tr></thead><tbody>");
        for s in shifts {
            let _ = write!(
                o,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:+}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                h(&s.key),
                s.before,
                s.after,
                s.delta,
                pct(s.share_before),
                pct(s.share_after)
            );
        }
        o.push_str("</tbody></table>");
    }
    o.push_str("</body></html>\n");
    o
}
