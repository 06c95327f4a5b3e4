//! Terminal tables (comfy-table): a summary by origin and country, trust anchors by store and
//! owner country, the top vendors (foreign ones when a home is set), the components, and the
//! errors. Every cell is sanitised again here
//! because a report may come from a file another tool wrote.

use super::share;
use crate::model::{owner_country, Origin, Report};
use crate::text::sanitize;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, ContentArrangement, Table};
use std::collections::BTreeMap;
use std::fmt::Write;

/// How many vendors the top-vendor table shows.
const TOP: usize = 15;

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.iter().map(|h| Cell::new(*h)));
    t
}

/// `US 62, JP 12, …`: counts by country, largest first.
pub fn countries(by: &BTreeMap<String, usize>) -> String {
    let mut rows: Vec<_> = by.iter().collect();
    rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    rows.iter()
        .map(|(cc, n)| format!("{} {n}", sanitize(cc)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Render the whole report as tables.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let s = &r.summary;
    let home = r.scan.home.as_deref().map(sanitize);
    let _ = writeln!(
        out,
        "sovscan {} — {} components, {} errors, rules {} — home: {}",
        sanitize(&r.tool.version),
        s.components,
        r.errors.len(),
        sanitize(&r.tool.rules.version),
        home.as_deref().unwrap_or("(none: origin not assessed)")
    );
    if !s.by_origin.is_empty() {
        out.push_str(&share_table(
            "By origin (domestic, foreign, international: of the components of known origin; unknown: of all)",
            "origin",
            &super::origin_rows(s),
        ));
    }
    if !s.by_country.is_empty() {
        out.push_str(&share_table(
            "By country of the ultimate owner",
            "country",
            &super::country_rows(s),
        ));
    }
    categories(r, &mut out);
    if !s.by_signer_country.is_empty() {
        out.push_str(&share_table(
            "Signed components by country of the signer",
            "signer country",
            &super::signer_rows(s),
        ));
    }
    if r.roots.len() > 1 {
        let mut t = table(&["root", "kind", "os", "components"]);
        for root in &r.roots {
            t.add_row(vec![
                sanitize(&root.path),
                root.kind.as_str().to_owned(),
                root.os.as_deref().map(sanitize).unwrap_or_default(),
                root.components.to_string(),
            ]);
        }
        let _ = writeln!(
            out,
            "\nRoots (the scanned root and the nested roots in it)\n{t}"
        );
    }
    if !s.trust_anchors.is_empty() {
        let mut t = table(&["store", "trust anchors", "by owner country"]);
        for (store, by) in &s.trust_anchors {
            t.add_row(vec![
                sanitize(store),
                by.values().sum::<usize>().to_string(),
                countries(by),
            ]);
        }
        let _ = writeln!(out, "\nTrust anchors by store and owner country\n{t}");
    }
    top_vendors(r, &mut out);
    let mut t = table(&[
        "component",
        "version",
        "kind",
        "category",
        "vendor",
        "country",
        "origin",
        "conf.",
    ]);
    for c in &r.components {
        let (vendor, country) = match &c.vendor {
            Some(v) => (
                sanitize(&v.name),
                owner_country(v)
                    .map(|c| sanitize(&c))
                    .unwrap_or_else(|| "—".into()),
            ),
            None => ("unknown".into(), "—".into()),
        };
        t.add_row(vec![
            sanitize(&c.name),
            c.version.as_deref().map(sanitize).unwrap_or_default(),
            format!("{:?}", c.kind).to_lowercase(),
            c.category_id().map(sanitize).unwrap_or_else(|| "—".into()),
            vendor,
            country,
            c.origin
                .map(|o| o.as_str().to_owned())
                .unwrap_or_else(|| "—".into()),
            format!("{:.2}", c.confidence),
        ]);
    }
    let _ = writeln!(out, "\nComponents\n{t}");
    if !r.errors.is_empty() {
        let mut t = table(&["path", "error"]);
        for e in r.errors.iter().take(50) {
            t.add_row(vec![sanitize(&e.path), sanitize(&e.error)]);
        }
        let more = r.errors.len().saturating_sub(50);
        let _ = writeln!(out, "\nErrors (the scan went on)\n{t}");
        if more > 0 {
            let _ = writeln!(out, "… and {more} more (see --format json)");
        }
    }
    out
}

fn top_vendors(r: &Report, out: &mut String) {
    let foreign_only = r.scan.home.is_some();
    let mut by: BTreeMap<String, (String, String, usize)> = BTreeMap::new();
    for c in r.components.iter().filter(|c| !c.kind.is_trust()) {
        let Some(v) = &c.vendor else { continue };
        if foreign_only && c.origin != Some(Origin::Foreign) {
            continue;
        }
        let owner = v.ultimate_owner.clone().unwrap_or_else(|| v.id.clone());
        let e = by
            .entry(owner)
            .or_insert_with(|| (v.name.clone(), owner_country(v).unwrap_or_default(), 0));
        e.2 += 1;
    }
    if by.is_empty() {
        return;
    }
    let mut rows: Vec<_> = by.into_iter().collect();
    rows.sort_by(|a, b| b.1 .2.cmp(&a.1 .2).then(a.0.cmp(&b.0)));
    let mut t = table(&["vendor (ultimate owner)", "country", "components"]);
    for (id, (name, cc, n)) in rows.into_iter().take(TOP) {
        t.add_row(vec![
            format!("{} ({})", sanitize(&name), sanitize(&id)),
            sanitize(&cc),
            n.to_string(),
        ]);
    }
    let title = if foreign_only {
        "Top foreign vendors"
    } else {
        "Top vendors"
    };
    let _ = writeln!(out, "\n{title}\n{t}");
}

fn share_table(title: &str, what: &str, rows: &[super::ShareRow]) -> String {
    let mut t = table(&[what, "components", "share", "of (denominator)"]);
    for row in rows {
        t.add_row(vec![
            sanitize(&row.label),
            row.count.to_string(),
            row.percent(),
            format!("{} {}", row.of, row.denominator),
        ]);
    }
    format!("\n{title}\n{t}\n")
}

fn categories(r: &Report, out: &mut String) {
    let s = &r.summary;
    if s.by_category.is_empty() {
        return;
    }
    let home = r.scan.home.is_some();
    let mut t = if home {
        table(&[
            "category",
            "components",
            "foreign",
            "of known origin",
            "foreign share",
            "unknown",
        ])
    } else {
        table(&["category", "components"])
    };
    for row in super::category_rows(s) {
        let mut cells = vec![sanitize(&row.category), row.components.to_string()];
        if home {
            cells.extend([
                row.foreign.to_string(),
                row.known.to_string(),
                share(row.foreign, row.known),
                format!("{} ({})", row.unknown, share(row.unknown, row.components)),
            ]);
        }
        t.add_row(cells);
    }
    let _ = writeln!(
        out,
        "\nBy category ({} of {} components have none)\n{t}",
        s.uncategorised, s.components
    );
}
