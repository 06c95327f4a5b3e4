//! Rendering of the fleet-store queries (`sovscan db trend|diff|hosts`) as tables, JSON or
//! CSV. The JSON shapes are documented in the README: `trend` is an array of `{quarter, group,
//! hosts, components}`, `hosts` an array of `{host, first_seen, last_scan, components}`, `diff`
//! an object with `appeared`, `disappeared` and `hosts`.

use crate::db::query::{Change, FleetDiff, HostRow, TrendRow};
use crate::text::sanitize;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, ContentArrangement, Table};
use serde_json::json;
use std::fmt::Write;

/// Output formats of the `db` queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DbFormat {
    /// A table.
    Table,
    /// JSON.
    Json,
    /// CSV (RFC 4180), one header row.
    Csv,
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.iter().map(|h| Cell::new(*h)));
    t
}

fn csv_of(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(header);
    for r in rows {
        let _ = w.write_record(r.iter().map(|c| sanitize(c)));
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn pretty(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// One row per item in the asked format: JSON as the items serialise, CSV and table from
/// `cells`, and `empty` in place of an empty table.
fn listing<T: serde::Serialize>(
    rows: &[T],
    header: &[&str],
    cells: impl Fn(&T) -> Vec<String>,
    empty: &str,
    format: DbFormat,
) -> String {
    match format {
        DbFormat::Json => pretty(&json!(rows)),
        DbFormat::Csv => csv_of(header, rows.iter().map(cells)),
        DbFormat::Table => {
            if rows.is_empty() {
                return format!("{empty}\n");
            }
            let mut t = table(header);
            for r in rows {
                t.add_row(cells(r).into_iter().map(|c| sanitize(&c)));
            }
            format!("{t}\n")
        }
    }
}

/// Render `db trend`.
pub fn trend(rows: &[TrendRow], by: &str, format: DbFormat) -> String {
    let header = ["quarter", by, "hosts", "components"];
    let cells = |r: &TrendRow| {
        vec![
            r.quarter.clone(),
            r.group.clone(),
            r.hosts.to_string(),
            r.components.to_string(),
        ]
    };
    listing(rows, &header, cells, "no scans in the store match", format)
}

/// Render `db hosts`.
pub fn hosts(rows: &[HostRow], format: DbFormat) -> String {
    let header = ["host", "first_seen", "last_scan", "components"];
    let cells = |r: &HostRow| {
        vec![
            r.host.clone(),
            r.first_seen.clone(),
            r.last_scan.clone(),
            r.components.to_string(),
        ]
    };
    listing(rows, &header, cells, "no host matches", format)
}

fn change_json(c: &Change) -> serde_json::Value {
    let mut v = json!({
        "kind": c.kind,
        "id": c.id,
        "hosts": c.hosts_from.max(c.hosts_to),
        "hosts_from": c.hosts_from,
        "hosts_to": c.hosts_to,
    });
    v[c.kind] = json!(c.id);
    v
}

fn pct(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

/// Render `db diff`.
pub fn diff(d: &FleetDiff, format: DbFormat) -> String {
    match format {
        DbFormat::Json => pretty(&json!({
            "from": d.from,
            "to": d.to,
            "hosts_from": d.hosts_from,
            "hosts_to": d.hosts_to,
            "appeared": d.appeared.iter().map(change_json).collect::<Vec<_>>(),
            "disappeared": d.disappeared.iter().map(change_json).collect::<Vec<_>>(),
            "hosts": d.hosts,
            "newly_foreign": d.newly_foreign,
            "newly_unknown": d.newly_unknown,
        })),
        DbFormat::Csv => {
            let rows = d
                .appeared
                .iter()
                .map(|c| ("appeared", c))
                .chain(d.disappeared.iter().map(|c| ("disappeared", c)))
                .map(|(what, c)| {
                    vec![
                        what.to_owned(),
                        c.kind.to_owned(),
                        c.id.clone(),
                        c.hosts_from.to_string(),
                        c.hosts_to.to_string(),
                    ]
                });
            csv_of(
                &["change", "kind", "id", &d.from, &d.to],
                rows.collect::<Vec<_>>().into_iter(),
            )
        }
        DbFormat::Table => {
            let mut out = String::new();
            let _ = writeln!(
                out,
                "{} → {}: {} → {} hosts; {} appeared, {} disappeared; {} newly foreign, {} newly unknown component(s)",
                d.from,
                d.to,
                d.hosts_from,
                d.hosts_to,
                d.appeared.len(),
                d.disappeared.len(),
                d.newly_foreign.len(),
                d.newly_unknown.len()
            );
            for (title, list) in [("Appeared", &d.appeared), ("Disappeared", &d.disappeared)] {
                if list.is_empty() {
                    continue;
                }
                let mut t = table(&["kind", "id", &d.from, &d.to]);
                for c in list {
                    t.add_row(vec![
                        c.kind.to_owned(),
                        sanitize(&c.id),
                        c.hosts_from.to_string(),
                        c.hosts_to.to_string(),
                    ]);
                }
                let _ = writeln!(out, "\n{title} (hosts on each side)\n{t}");
            }
            if !d.hosts.is_empty() {
                let mut t = table(&["host", "components", "foreign share", "unknown share"]);
                for h in &d.hosts {
                    t.add_row(vec![
                        sanitize(&h.host),
                        format!("{} → {}", h.components_from, h.components_to),
                        format!("{} → {}", pct(h.foreign_from), pct(h.foreign_to)),
                        format!("{} → {}", pct(h.unknown_from), pct(h.unknown_to)),
                    ]);
                }
                let _ = writeln!(out, "\nHosts whose origin shares moved most\n{t}");
            }
            out
        }
    }
}
