//! Rendering a [`Plan`] as a table, JSON or Markdown.

use super::markdown::escape as md;
use crate::plan::{Item, Plan};
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
    }
}

fn alts(it: &Item) -> String {
    if it.alternatives.is_empty() {
        return "none in the rule database".into();
    }
    it.alternatives
        .iter()
        .map(|a| {
            let cc = a.country.clone().unwrap_or_else(|| "intl".into());
            let mark = if a.source == "category" {
                ", same category"
            } else {
                ""
            };
            format!("{} ({}, {cc}{mark})", a.name, a.vendor_name)
        })
        .collect::<Vec<_>>()
        .join("; ")
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
    format!("Substitution plan relative to {}: {} product(s) to review; {} component(s) of unknown vendor not planned", p.home, p.items.len(), p.unknown)
}

fn table(p: &Plan) -> String {
    let mut o = format!("{}\n", sanitize(&headline(p)));
    if p.items.is_empty() {
        return o;
    }
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
        "#",
        "product",
        "vendor (country)",
        "category",
        "criticality",
        "use",
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
            it.score.to_string(),
            sanitize(&hosts(it)),
            sanitize(&alts(it)),
        ]);
    }
    let _ = writeln!(o, "{t}");
    o
}

fn markdown(p: &Plan) -> String {
    let mut o = format!("# Substitution plan\n\n{}.\n\n", md(&headline(p)));
    if p.items.is_empty() {
        return o;
    }
    o.push_str("| # | product | vendor (country) | category | criticality | use | score | hosts | alternatives |\n| ---: | --- | --- | --- | --- | ---: | ---: | --- | --- |\n");
    for (i, it) in p.items.iter().enumerate() {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
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
            it.score,
            md(&hosts(it)),
            md(&alts(it))
        );
    }
    o.push_str("\n## Components per product\n\n");
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
    o
}
