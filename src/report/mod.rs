//! Rendering a [`Report`] into output formats. Every format renders from the report model, never
//! from scan state; JSON is the canonical form that `diff`, `check --report` and `explain` read.

pub mod json;
pub mod table;

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
