//! Rendering a [`Report`] into output formats. Every format renders from the report model, never
//! from scan state; JSON is the canonical form that `diff`, `check --report` and `explain` read.
//!
//! This module also holds the few aggregations several formats share (top vendors), so that the
//! table, Markdown and HTML outputs agree on the numbers.

pub mod csv;
pub mod cyclonedx;
pub mod db;
pub mod diff;
pub mod github;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod plan;
pub mod props;
pub mod sarif;
pub mod spdx;
pub mod stream;
pub mod table;
pub mod violations;
pub mod violations_md;
pub mod xlsx;

use crate::model::{owner_country, Origin, Report};
use std::collections::BTreeMap;

/// Output formats of `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[non_exhaustive]
pub enum Format {
    /// Human-readable tables (summary, top foreign vendors, components).
    Table,
    /// Canonical JSON (`sovscan-report/1`).
    Json,
    /// CycloneDX JSON SBOM (1.6 by default, see `--cyclonedx-version`).
    Cyclonedx,
    /// SPDX 2.3 JSON SBOM.
    Spdx,
    /// CSV, one row per component, for spreadsheets.
    Csv,
    /// Markdown summary for tickets and pull requests.
    Markdown,
    /// One self-contained HTML page with charts and a searchable component table.
    Html,
    /// An XLSX workbook (summary with denominators, plan, components, one sheet per category);
    /// binary, written by [`xlsx::render`].
    Xlsx,
}

/// CycloneDX specification versions that can be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum CycloneDxVersion {
    /// CycloneDX 1.5 (no `manufacturer` or postal address: those go to properties).
    #[value(name = "1.5")]
    V1_5,
    /// CycloneDX 1.6.
    #[default]
    #[value(name = "1.6")]
    V1_6,
}

/// Options of the renderers that have any.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    /// CycloneDX version to write.
    pub cyclonedx_version: CycloneDxVersion,
}

/// Render a report with default options.
pub fn render(report: &Report, format: Format) -> String {
    render_with(report, format, &RenderOptions::default())
}

/// Render a report.
pub fn render_with(report: &Report, format: Format, opts: &RenderOptions) -> String {
    match format {
        Format::Table => table::render(report),
        Format::Json => json::render(report),
        Format::Cyclonedx => cyclonedx::render(report, opts.cyclonedx_version),
        Format::Spdx => spdx::render(report),
        Format::Csv => csv::render(report),
        Format::Markdown => markdown::render(report),
        Format::Html => html::render(report),
        // A workbook is bytes, not text: `scan` writes it with `xlsx::render`; as text the
        // report reads as its tables.
        Format::Xlsx => table::render(report),
    }
}

/// Write a report to `w`. JSON, CycloneDX and SPDX are streamed (one component in memory at
/// a time); the other formats are rendered, then written.
pub fn write_with(
    report: &Report,
    format: Format,
    opts: &RenderOptions,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Json => json::write(report, w),
        Format::Cyclonedx => cyclonedx::write(report, opts.cyclonedx_version, w),
        Format::Spdx => spdx::write(report, w),
        _ => w.write_all(render_with(report, format, opts).as_bytes()),
    }
}

/// One row of a top-vendors ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct VendorCount {
    /// Ultimate owner id.
    pub id: String,
    /// Name of the vendor first seen for that owner.
    pub name: String,
    /// Country of the ultimate owner.
    pub country: String,
    /// Components attributed to it.
    pub components: usize,
}

/// Vendors ranked by components (ties by id). With a home, only foreign components count;
/// trust anchors never do (they are counted per store in the summary).
pub fn top_vendors(r: &Report, limit: usize) -> Vec<VendorCount> {
    let foreign_only = r.scan.home.is_some();
    let mut by: BTreeMap<String, VendorCount> = BTreeMap::new();
    for c in r.components.iter().filter(|c| !c.kind.is_trust()) {
        let Some(v) = &c.vendor else { continue };
        if foreign_only && c.origin != Some(Origin::Foreign) {
            continue;
        }
        let owner = v.ultimate_owner.clone().unwrap_or_else(|| v.id.clone());
        by.entry(owner.clone())
            .or_insert_with(|| VendorCount {
                id: owner,
                name: v.name.clone(),
                country: owner_country(v).unwrap_or_default(),
                components: 0,
            })
            .components += 1;
    }
    let mut rows: Vec<_> = by.into_values().collect();
    rows.sort_by(|a, b| b.components.cmp(&a.components).then(a.id.cmp(&b.id)));
    rows.truncate(limit);
    rows
}

/// What a report is about: the host, the fleet, or the roots scanned.
pub fn target(r: &Report) -> String {
    if let Some(f) = &r.fleet {
        return format!("fleet of {} hosts", f.hosts.len());
    }
    r.scan
        .host
        .clone()
        .unwrap_or_else(|| r.scan.roots.join(", "))
}

/// One row of a share table: what is counted, how many, and over what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareRow {
    /// Origin class, country or category.
    pub label: String,
    /// Components counted.
    pub count: usize,
    /// The denominator.
    pub of: usize,
    /// What the denominator counts (`components of known origin`).
    pub denominator: &'static str,
}

impl ShareRow {
    /// The share in percent with one decimal (`—` over nothing).
    pub fn percent(&self) -> String {
        share(self.count, self.of)
    }

    /// `453 of 780 components of known origin`.
    pub fn stated(&self) -> String {
        format!("{} of {} {}", self.count, self.of, self.denominator)
    }
}

/// Denominator of domestic, foreign and international shares.
pub const KNOWN: &str = "components of known origin";
/// Denominator of the unknown share and of plain counts.
pub const ALL: &str = "components";

/// Shares by origin class: domestic, foreign and international over the components of known
/// origin, unknown over all components (so unknown never dilutes a foreign share).
pub fn origin_rows(s: &crate::model::Summary) -> Vec<ShareRow> {
    let known = s.known_origin.unwrap_or(s.components);
    s.by_origin
        .iter()
        .map(|(k, n)| {
            let unknown = k == Origin::Unknown.as_str();
            ShareRow {
                label: k.clone(),
                count: *n,
                of: if unknown { s.components } else { known },
                denominator: if unknown { ALL } else { KNOWN },
            }
        })
        .collect()
}

/// Shares by country of the ultimate owner over the components attributed to a vendor with a
/// country, most first.
pub fn country_rows(s: &crate::model::Summary) -> Vec<ShareRow> {
    let of: usize = s.by_country.values().sum();
    let mut rows: Vec<ShareRow> = s
        .by_country
        .iter()
        .map(|(k, n)| ShareRow {
            label: k.clone(),
            count: *n,
            of,
            denominator: "components attributed to a country",
        })
        .collect();
    rows.sort_by(|a, b| b.count.cmp(&a.count).then(a.label.cmp(&b.label)));
    rows
}

/// Signed components by country of the signer over all signed components, most first.
pub fn signer_rows(s: &crate::model::Summary) -> Vec<ShareRow> {
    let of: usize = s.by_signer_country.values().sum();
    let mut rows: Vec<ShareRow> = s
        .by_signer_country
        .iter()
        .map(|(k, n)| ShareRow {
            label: k.clone(),
            count: *n,
            of,
            denominator: "signed components",
        })
        .collect();
    rows.sort_by(|a, b| b.count.cmp(&a.count).then(a.label.cmp(&b.label)));
    rows
}

/// One category of the summary: its foreign share over its components of known origin, with
/// its unknown ones beside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryRow {
    /// Category id.
    pub category: String,
    /// Components in it.
    pub components: usize,
    /// Foreign among them.
    pub foreign: usize,
    /// Of known origin among them (the foreign share's denominator).
    pub known: usize,
    /// Of unknown origin among them.
    pub unknown: usize,
}

/// Per-category rows (with a home), most foreign first; then the uncategorised count.
pub fn category_rows(s: &crate::model::Summary) -> Vec<CategoryRow> {
    let mut rows: Vec<CategoryRow> = s
        .by_category
        .iter()
        .map(|(cat, m)| {
            let get = |o: Origin| m.get(o.as_str()).copied().unwrap_or(0);
            let components: usize = m.values().sum();
            CategoryRow {
                category: cat.clone(),
                components,
                foreign: get(Origin::Foreign),
                known: components - get(Origin::Unknown),
                unknown: get(Origin::Unknown),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.foreign
            .cmp(&a.foreign)
            .then(b.components.cmp(&a.components))
            .then(a.category.cmp(&b.category))
    });
    rows
}

/// A share as a percentage with one decimal, or `—` for an empty total.
pub fn share(n: usize, total: usize) -> String {
    if total == 0 {
        return "—".into();
    }
    format!("{:.1} %", n as f64 * 100.0 / total as f64)
}

/// Output formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[non_exhaustive]
pub enum CheckFormat {
    /// The verdict, each violation explained, the thresholds.
    Table,
    /// The evaluation outcome as JSON.
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// JUnit XML, for CI test tabs.
    Junit,
    /// Markdown, for a pull-request comment.
    Markdown,
    /// GitHub Actions workflow-command annotations.
    Github,
}

/// Render a check outcome.
pub fn render_check(o: &crate::policy::eval::Outcome, format: CheckFormat) -> String {
    match format {
        CheckFormat::Table => violations::render_text(o),
        CheckFormat::Json => violations::render_json(o),
        CheckFormat::Sarif => sarif::render(o),
        CheckFormat::Junit => junit::render(o),
        CheckFormat::Markdown => violations_md::render(o),
        CheckFormat::Github => github::render(o),
    }
}
