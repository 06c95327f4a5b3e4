//! Rendering a [`Report`] into output formats. Every format renders from the report model, never
//! from scan state; JSON is the canonical form that `diff`, `check --report` and `explain` read.

pub mod github;
pub mod json;
pub mod junit;
pub mod sarif;
pub mod table;
pub mod violations;
pub mod violations_md;

use crate::model::Report;

/// Output formats of `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[non_exhaustive]
pub enum Format {
    /// Human-readable tables (summary, top foreign vendors, components).
    Table,
    /// Canonical JSON (`sovscan-report/1`).
    Json,
}

/// Render a report.
pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Table => table::render(report),
        Format::Json => json::render(report),
    }
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
