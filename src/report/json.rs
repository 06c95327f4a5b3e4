//! Canonical JSON: pretty-printed, keys in schema order, components and errors sorted, newline
//! at the end. Reading is strict about the schema name so that `diff` never compares a report
//! with something else.

use crate::model::{Report, SCHEMA};
use std::path::Path;

/// Serialise a report.
pub fn render(report: &Report) -> String {
    let mut s =
        serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

/// Write a report as canonical JSON, streamed (serde writes it member by member).
pub fn write(report: &Report, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, report)?;
    w.write_all(b"\n")
}

/// Read a report, refusing other schemas with a clear message.
pub fn read(path: &Path) -> crate::Result<Report> {
    let text = std::fs::read_to_string(path).map_err(|source| crate::Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(text.as_bytes(), path)
}

/// Parse a report read from `path`, refusing other schemas with a clear message.
pub fn parse(bytes: &[u8], path: &Path) -> crate::Result<Report> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| crate::Error::Report {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    match value.get("schema").and_then(|s| s.as_str()) {
        Some(SCHEMA) => {}
        Some(other) => {
            return Err(crate::Error::Report {
                path: path.to_path_buf(),
                message: format!(
                    "schema `{other}` is not supported (this sovscan reads `{SCHEMA}`)"
                ),
            })
        }
        None => {
            return Err(crate::Error::Report {
                path: path.to_path_buf(),
                message: "no `schema` field".to_owned(),
            })
        }
    }
    serde_json::from_value(value).map_err(|e| crate::Error::Report {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}
