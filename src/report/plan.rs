//! Rendering a [`Plan`] as a table, JSON, Markdown or HTML: the headline shares with their
//! denominators, one row per category, the rows of each category, and (with `--policy`) what
//! has to change to pass.

use super::html::escape as esc;
use super::markdown::escape as md;
use crate::plan::{Alternative, CategoryPlan, Item, Plan, Tier};
use crate::text::sanitize;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use std::fmt::Write;

/// Output formats of `plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    /// Tables.
    Table,
    /// JSON (`sovscan-plan/1`).
    Json,
    /// Markdown.
    Markdown,
    /// One self-contained HTML page (no scripts, no external resources).
    Html,
}

/// Render a plan.
pub fn render(p: &Plan, f: PlanFormat) -> String {
    match f {
        PlanFormat::Json => {
            let mut s = serde_json::to_string_pretty(p).unwrap_or_default();
            s.push('\n');
            s
        }
        PlanFormat::Table => table(p),
        PlanFormat::Markdown => markdown(p),
        PlanFormat::Html => html(p),
    }
}

fn alt(a: &Alternative) -> String {
    let cc = a.country.clone().unwrap_or_else(|| "intl".into());
    let tier = match (a.tier, &a.region) {
        (Tier::Domestic, _) => "domestic".to_owned(),
        (Tier::Region, Some(r)) => format!("region {r}"),
        (Tier::Region, None) => "region".to_owned(),
        (Tier::International, _) => "international".to_owned(),
    };
    format!("{} ({}, {cc}, {tier})", a.name, a.vendor_name)
}

fn alt_list(list: &[Alternative], max: usize) -> String {
    if list.is_empty() {
        return "none in the rule database".into();
    }
    let mut s: Vec<String> = list.iter().take(max).map(alt).collect();
    if list.len() > max {
        s.push(format!("+{} more", list.len() - max));
    }
    s.join("; ")
}

fn alts(it: &Item) -> String {
    alt_list(&it.alternatives, 4)
}

fn pct(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

fn cost(c: Option<f64>) -> String {
    c.map(|c| format!("{c:.2}")).unwrap_or_else(|| "—".into())
}

fn cat_shares(c: &CategoryPlan) -> (String, String) {
    (
        format!(
            "{} of {} known = {}",
            c.foreign,
            c.known,
            pct(c.foreign_share)
        ),
        format!(
            "{} of {} = {}",
            c.unknown,
            c.components,
            pct(c.unknown_share)
        ),
    )
}

fn hosts(it: &Item) -> String {
    let shown: Vec<&str> = it.hosts.iter().take(5).map(String::as_str).collect();
    if shown.is_empty() {
        return it.host_count.to_string();
    }
    let hidden = it.host_count.saturating_sub(shown.len() as u64);
    let mut s = shown.join(", ");
    if hidden > 0 {
        let _ = write!(s, " +{hidden}");
    }
    s
}

fn headline(p: &Plan) -> String {
    let share = |n: usize, d: usize| if d == 0 { 0.0 } else { n as f64 / d as f64 };
    format!(
        "Substitution plan relative to {}: {} foreign of {} components of known origin ({}); {} of {} components of unknown origin ({}), not planned; {} of the {} foreign components are in a category with a sourced alternative ({}); {} row(s) in {} categories",
        p.home,
        p.foreign,
        p.known,
        pct(share(p.foreign, p.known)),
        p.unknown,
        p.components,
        pct(share(p.unknown, p.components)),
        p.foreign_with_alternative,
        p.foreign,
        pct(share(p.foreign_with_alternative, p.foreign)),
        p.items.len(),
        p.categories.iter().filter(|c| c.planned > 0).count()
    )
}

const CAT_HEADER: [&str; 10] = [
    "category",
    "criticality",
    "foreign (of known origin)",
    "unknown (of all)",
    "vendors",
    "hosts",
    "units",
    "cost",
    "score",
    "alternatives",
];

fn cat_cells(c: &CategoryPlan) -> Vec<String> {
    let (f, u) = cat_shares(c);
    let vendors = if c.vendors.len() > 4 {
        format!(
            "{}; +{} more",
            c.vendors[..4].join("; "),
            c.vendors.len() - 4
        )
    } else {
        c.vendors.join("; ")
    };
    vec![
        c.category.clone(),
        c.criticality.clone().unwrap_or_else(|| "—".into()),
        f,
        u,
        vendors,
        c.host_count.to_string(),
        c.usage.to_string(),
        cost(c.cost),
        c.score.to_string(),
        alt_list(&c.alternatives, 4),
    ]
}

fn policy_lines(p: &Plan) -> Vec<String> {
    let Some(pp) = &p.policy else {
        return Vec::new();
    };
    let mut out = vec![format!(
        "To pass {} ({}): {}; {} component(s) fail a deny rule",
        pp.name,
        pp.policy,
        if pp.passed {
            "it passes already"
        } else {
            "it fails"
        },
        pp.failing
    )];
    for c in &pp.categories {
        out.push(format!(
            "- category {}: {} component(s) to replace or waive ({})",
            c.category,
            c.count,
            c.rules.join(", ")
        ));
    }
    for t in &pp.thresholds {
        let of = if t.denominator == "all" {
            "components"
        } else {
            "components of known origin"
        };
        let limit = match (t.max_count, t.max_share) {
            (Some(n), _) => format!("at most {n}"),
            (None, Some(s)) => format!("at most {}", pct(s)),
            _ => String::new(),
        };
        let what = if t.holds {
            "holds".to_owned()
        } else {
            format!(
                "replace {} component(s) ({:.1} share points)",
                t.replace,
                t.reduce_share_by * 100.0
            )
        };
        out.push(format!(
            "- threshold at line {} ({} {}): {} of {} {of} = {}, {limit}: {what}",
            t.line,
            t.scope,
            t.origin.join("/"),
            t.counted,
            t.total,
            pct(t.share)
        ));
    }
    out
}

fn table(p: &Plan) -> String {
    let mut o = format!("{}\n", sanitize(&headline(p)));
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_header(CAT_HEADER.to_vec());
    for c in p
        .categories
        .iter()
        .filter(|c| c.planned > 0 || c.unknown > 0)
    {
        t.add_row(cat_cells(c).iter().map(|x| sanitize(x)).collect::<Vec<_>>());
    }
    let _ = writeln!(o, "\nBy category\n{t}");
    if !p.items.is_empty() {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
            "#",
            "product",
            "vendor (country)",
            "category",
            "criticality",
            "units",
            "cost",
            "score",
            "hosts",
            "alternatives",
        ]);
        for (i, it) in p.items.iter().enumerate() {
            t.add_row(vec![
                (i + 1).to_string(),
                sanitize(&it.name),
                sanitize(&format!(
                    "{} ({})",
                    it.vendor_name,
                    it.country.as_deref().unwrap_or("intl")
                )),
                sanitize(&it.category),
                sanitize(it.criticality.as_deref().unwrap_or("—")),
                it.usage.to_string(),
                cost(it.cost),
                it.score.to_string(),
                sanitize(&hosts(it)),
                sanitize(&alts(it)),
            ]);
        }
        let _ = writeln!(o, "\nRows\n{t}");
    }
    for l in policy_lines(p) {
        let _ = writeln!(o, "{}", sanitize(&l));
    }
    o
}

fn markdown(p: &Plan) -> String {
    let mut o = format!(
        "# Substitution plan\n\n{}.\n\n## By category\n\n",
        md(&headline(p))
    );
    let _ = writeln!(o, "| {} |", CAT_HEADER.join(" | "));
    let _ = writeln!(o, "|{}", " --- |".repeat(CAT_HEADER.len()));
    for c in p
        .categories
        .iter()
        .filter(|c| c.planned > 0 || c.unknown > 0)
    {
        let cells: Vec<String> = cat_cells(c).iter().map(|x| md(x)).collect();
        let _ = writeln!(o, "| {} |", cells.join(" | "));
    }
    if !p.items.is_empty() {
        o.push_str("\n## Rows\n\n| # | product | vendor (country) | category | criticality | units | cost | score | hosts | alternatives |\n| ---: | --- | --- | --- | --- | ---: | ---: | ---: | --- | --- |\n");
        for (i, it) in p.items.iter().enumerate() {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                i + 1,
                md(&it.name),
                md(&format!(
                    "{} ({})",
                    it.vendor_name,
                    it.country.as_deref().unwrap_or("intl")
                )),
                md(&it.category),
                md(it.criticality.as_deref().unwrap_or("")),
                it.usage,
                cost(it.cost),
                it.score,
                md(&hosts(it)),
                md(&alts(it))
            );
        }
        o.push_str("\n## Components per row\n\n");
        for it in &p.items {
            let ids: Vec<String> = it
                .components
                .iter()
                .take(20)
                .map(|c| format!("`{}`", c.replace('`', "'")))
                .collect();
            let more = it.components.len().saturating_sub(20);
            let _ = write!(o, "- **{}**: {}", md(&it.name), ids.join(", "));
            if more > 0 {
                let _ = write!(o, " and {more} more");
            }
            o.push('\n');
        }
    }
    let lines = policy_lines(p);
    if !lines.is_empty() {
        o.push_str("\n## Policy\n\n");
        for l in lines {
            let _ = writeln!(o, "{}", md(&l));
        }
    }
    o
}

fn html_table(o: &mut String, header: &[&str], rows: &[Vec<String>]) {
    o.push_str("<table><thead><tr>");
    for h in header {
        let _ = write!(o, "<th>{}</th>", esc(h));
    }
    o.push_str("</tr></thead><tbody>");
    for r in rows {
        o.push_str("<tr>");
        for c in r {
            let _ = write!(o, "<td>{}</td>", esc(c));
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table>");
}

fn html(p: &Plan) -> String {
    let mut o = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"><title>Substitution plan: {0}</title><style>body{{font:14px system-ui,sans-serif;margin:24px}}table{{border-collapse:collapse;width:100%;margin-bottom:24px}}th,td{{border-bottom:1px solid #e6e9ef;padding:4px 6px;text-align:left;vertical-align:top}}</style></head><body><h1>Substitution plan relative to {0}</h1><p>{1}.</p><h2>By category</h2>",
        esc(&p.home),
        esc(&headline(p))
    );
    let cats: Vec<Vec<String>> = p
        .categories
        .iter()
        .filter(|c| c.planned > 0 || c.unknown > 0)
        .map(cat_cells)
        .collect();
    html_table(&mut o, &CAT_HEADER, &cats);
    if !p.items.is_empty() {
        o.push_str("<h2>Rows</h2>");
        let rows: Vec<Vec<String>> = p
            .items
            .iter()
            .enumerate()
            .map(|(i, it)| {
                vec![
                    (i + 1).to_string(),
                    it.name.clone(),
                    format!(
                        "{} ({})",
                        it.vendor_name,
                        it.country.as_deref().unwrap_or("intl")
                    ),
                    it.category.clone(),
                    it.criticality.clone().unwrap_or_default(),
                    it.usage.to_string(),
                    cost(it.cost),
                    it.score.to_string(),
                    hosts(it),
                    alts(it),
                ]
            })
            .collect();
        let header = [
            "#",
            "product",
            "vendor (country)",
            "category",
            "criticality",
            "units",
            "cost",
            "score",
            "hosts",
            "alternatives",
        ];
        html_table(&mut o, &header, &rows);
    }
    let lines = policy_lines(p);
    if !lines.is_empty() {
        o.push_str("<h2>Policy</h2><ul>");
        for l in lines {
            let _ = write!(o, "<li>{}</li>", esc(l.trim_start_matches("- ")));
        }
        o.push_str("</ul>");
    }
    o.push_str("</body></html>\n");
    o
}
