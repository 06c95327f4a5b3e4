//! Rendering of the fleet-store queries (`sovscan db trend|diff|hosts|check|query`) as
//! tables, JSON, CSV or one self-contained HTML page. The JSON shapes are documented in the
//! README: `trend` is an array of `{quarter, group, hosts, components}`, `hosts` an array of
//! `{host, first_seen, last_scan, components}`, `diff` an object with `appeared`,
//! `disappeared` and `hosts`, `check` an object with `results` per host, `query` an array of
//! objects keyed by column. The HTML of `trend` is the fleet page, with a per-quarter chart.

use crate::db::check::FleetCheck;
use crate::db::query::{Change, FleetDiff, HostRow, TrendRow};
use crate::db::QueryResult;
use crate::report::html::{colour, escape, page_end, page_start, panel};
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
    /// One self-contained HTML page (the fleet page, with a per-quarter chart, for `trend`).
    Html,
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

/// An HTML table with the search box and sortable columns of the page script; `num` marks
/// the numeric columns.
fn html_table(o: &mut String, title: &str, header: &[&str], num: &[bool], rows: &[Vec<String>]) {
    let _ = write!(
        o,
        "<h2>{} (<span id=\"shown\">{}</span> shown)</h2><input id=\"q\" type=\"search\" \
         placeholder=\"Filter…\" aria-label=\"Filter rows\"><table id=\"components\"><thead><tr>",
        escape(title),
        rows.len()
    );
    for (i, h) in header.iter().enumerate() {
        let ty = if num.get(i).copied().unwrap_or(false) {
            " data-type=\"num\""
        } else {
            ""
        };
        let _ = write!(o, "<th{ty}>{}</th>", escape(h));
    }
    o.push_str("</tr></thead><tbody>");
    for r in rows {
        o.push_str("<tr>");
        for (i, c) in r.iter().enumerate() {
            let class = if num.get(i).copied().unwrap_or(false) {
                " class=\"num\""
            } else {
                ""
            };
            let _ = write!(o, "<td{class}>{}</td>", escape(c));
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table>");
}

/// A small table without search (a page has one searchable table).
fn plain_table(o: &mut String, title: &str, header: &[&str], rows: &[Vec<String>]) {
    let _ = write!(o, "<h2>{}</h2><table><thead><tr>", escape(title));
    for h in header {
        let _ = write!(o, "<th>{}</th>", escape(h));
    }
    o.push_str("</tr></thead><tbody>");
    for r in rows {
        o.push_str("<tr>");
        for c in r {
            let _ = write!(o, "<td>{}</td>", escape(c));
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table>");
}

/// A page with a heading, a line of context and `body`.
fn page(title: &str, meta: &str, body: impl FnOnce(&mut String)) -> String {
    let mut o = String::new();
    page_start(&mut o, title);
    let _ = write!(
        o,
        "<h1>{}</h1><div class=\"meta\">{}</div>",
        escape(title),
        escape(meta)
    );
    body(&mut o);
    page_end(&mut o);
    o
}

/// Vertical columns, one per quarter, each stacked to 100 % from its groups' components, with
/// the count on each segment's tooltip and the total above the column.
fn columns(quarters: &[(String, Vec<(String, i64)>)]) -> String {
    if quarters.is_empty() {
        return "<p>No data.</p>".into();
    }
    let (col_w, gap, h, top, bottom) = (56.0, 28.0, 220.0, 22.0, 24.0);
    let width = quarters.len() as f64 * (col_w + gap) + gap;
    let mut series: Vec<&str> = Vec::new();
    let mut svg = format!(
        "<svg role=\"img\" xmlns=\"http://www.w3.org/2000/svg\" width=\"100%\" \
         viewBox=\"0 0 {width} {}\">",
        h + top + bottom
    );
    for (i, (q, groups)) in quarters.iter().enumerate() {
        let x = gap + i as f64 * (col_w + gap);
        let total: i64 = groups.iter().map(|g| g.1).sum();
        let mut y = top + h;
        for (g, n) in groups {
            if !series.contains(&g.as_str()) {
                series.push(g);
            }
            let idx = series.iter().position(|s| s == g).unwrap_or(0);
            let seg = if total > 0 {
                *n as f64 / total as f64 * h
            } else {
                0.0
            };
            y -= seg;
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{col_w}\" height=\"{seg:.1}\" \
                 fill=\"{}\"><title>{} {}: {n} ({:.1} %)</title></rect>",
                colour(g, idx),
                escape(q),
                escape(g),
                if total > 0 {
                    *n as f64 * 100.0 / total as f64
                } else {
                    0.0
                }
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{total}</text>\
             <text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            x + col_w / 2.0,
            top - 6.0,
            x + col_w / 2.0,
            top + h + 16.0,
            escape(q)
        );
    }
    svg.push_str("</svg><div class=\"legend\">");
    for (i, s) in series.iter().enumerate() {
        let _ = write!(
            svg,
            "<span><i style=\"background:{}\"></i>{}</span>",
            colour(s, i),
            escape(s)
        );
    }
    svg.push_str("</div>");
    svg
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
        DbFormat::Html => {
            let num: Vec<bool> = header.iter().map(|h| NUMERIC.contains(h)).collect();
            let body: Vec<Vec<String>> = rows.iter().map(cells).collect();
            page(
                &format!("sovscan fleet: {}", header.join(", ")),
                &format!("{} row(s)", body.len()),
                |o| html_table(o, "Rows", header, &num, &body),
            )
        }
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

/// Column names rendered right-aligned and sorted as numbers.
const NUMERIC: &[&str] = &["hosts", "components", "denied", "warned", "waived"];

/// Render `db trend`; its HTML is the fleet page.
pub fn trend(rows: &[TrendRow], by: &str, format: DbFormat) -> String {
    if format == DbFormat::Html {
        return fleet_page(rows, by);
    }
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

/// One row per vendor, owner or product that appeared or disappeared: change, kind, id and
/// the hosts on each side (the CSV rows and the HTML table of `db diff`).
fn change_rows(d: &FleetDiff) -> Vec<Vec<String>> {
    d.appeared
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
        })
        .collect()
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
        DbFormat::Html => {
            let meta = format!(
                "{} → {}: {} → {} hosts; {} newly foreign, {} newly unknown component(s)",
                d.from,
                d.to,
                d.hosts_from,
                d.hosts_to,
                d.newly_foreign.len(),
                d.newly_unknown.len()
            );
            page(
                &format!("sovscan fleet: {} → {}", d.from, d.to),
                &meta,
                |o| {
                    let changes = change_rows(d);
                    let hosts: Vec<Vec<String>> = d
                        .hosts
                        .iter()
                        .map(|h| {
                            vec![
                                h.host.clone(),
                                format!("{} → {}", h.components_from, h.components_to),
                                format!("{} → {}", pct(h.foreign_from), pct(h.foreign_to)),
                                format!("{} → {}", pct(h.unknown_from), pct(h.unknown_to)),
                            ]
                        })
                        .collect();
                    plain_table(
                        o,
                        "Hosts whose origin shares moved most",
                        &[
                            "host",
                            "components",
                            "foreign share (of known origin)",
                            "unknown share",
                        ],
                        &hosts,
                    );
                    html_table(
                        o,
                        "Vendors, owners and products that appeared or disappeared",
                        &[
                            "change",
                            "kind",
                            "id",
                            &format!("hosts {}", d.from),
                            &format!("hosts {}", d.to),
                        ],
                        &[false, false, false, true, true],
                        &changes,
                    );
                },
            )
        }
        DbFormat::Csv => {
            let rows = change_rows(d);
            csv_of(&["change", "kind", "id", &d.from, &d.to], rows.into_iter())
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

/// The fleet page: per quarter, the groups' share of components as stacked columns, the
/// latest quarter's figures as cards, and every row in a table.
fn fleet_page(rows: &[TrendRow], by: &str) -> String {
    let mut quarters: Vec<(String, Vec<(String, i64)>)> = Vec::new();
    for r in rows {
        match quarters.last_mut() {
            Some((q, groups)) if *q == r.quarter => groups.push((r.group.clone(), r.components)),
            _ => quarters.push((r.quarter.clone(), vec![(r.group.clone(), r.components)])),
        }
    }
    let latest = quarters.last().map(|q| q.0.clone()).unwrap_or_default();
    let meta = if quarters.is_empty() {
        "no scans in the store match".to_owned()
    } else {
        format!(
            "{} quarter(s), {} to {}; each host counted at its latest scan of the quarter",
            quarters.len(),
            quarters[0].0,
            latest
        )
    };
    page(&format!("sovscan fleet: trend by {by}"), &meta, |o| {
        o.push_str("<div class=\"cards\">");
        for r in rows.iter().filter(|r| r.quarter == latest) {
            let _ = write!(
                o,
                "<div class=\"card o-{0}\"><b>{1}</b>{0}: {2} host(s) in {3}</div>",
                escape(&r.group),
                r.components,
                r.hosts,
                escape(&latest)
            );
        }
        o.push_str("</div><div class=\"grid\">");
        panel(
            o,
            &format!("Components by {by}, per quarter (share of the quarter's components)"),
            &columns(&quarters),
        );
        o.push_str("</div>");
        let body: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    r.quarter.clone(),
                    r.group.clone(),
                    r.hosts.to_string(),
                    r.components.to_string(),
                ]
            })
            .collect();
        html_table(
            o,
            "Per quarter and group",
            &["quarter", by, "hosts", "components"],
            &[false, false, true, true],
            &body,
        );
    })
}

/// Render `db check`.
pub fn check(c: &FleetCheck, format: DbFormat) -> String {
    let verdict = |passed: bool| if passed { "pass" } else { "FAIL" }.to_owned();
    let first = |r: &crate::db::check::HostVerdict| {
        r.violations
            .iter()
            .filter(|v| !v.waived)
            .take(3)
            .map(|v| v.message.clone())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let header = [
        "host",
        "last_scan",
        "verdict",
        "denied",
        "warned",
        "waived",
        "violations",
    ];
    let cells = |r: &crate::db::check::HostVerdict| {
        vec![
            r.host.clone(),
            r.last_scan.clone(),
            verdict(r.passed),
            r.denied.to_string(),
            r.warned.to_string(),
            r.waived.to_string(),
            first(r),
        ]
    };
    let summary = format!(
        "{}: {} of {} host(s) fail (home {}, as of {})",
        c.policy, c.failed, c.hosts, c.home, c.today
    );
    match format {
        DbFormat::Json => pretty(&json!(c)),
        DbFormat::Csv => csv_of(&header, c.results.iter().map(cells)),
        DbFormat::Html => page(
            &format!("sovscan fleet check: {}", c.policy),
            &summary,
            |o| {
                let body: Vec<Vec<String>> = c.results.iter().map(cells).collect();
                html_table(
                    o,
                    "Hosts, failing first",
                    &header,
                    &[false, false, false, true, true, true, false],
                    &body,
                );
            },
        ),
        DbFormat::Table => {
            let mut out = format!("{}\n", sanitize(&summary));
            if !c.results.is_empty() {
                let mut t = table(&header);
                for r in &c.results {
                    t.add_row(cells(r).into_iter().map(|x| sanitize(&x)));
                }
                let _ = writeln!(out, "{t}");
            }
            out
        }
    }
}

/// Render `db query`: JSON is an array of objects keyed by column (NULL as `null`).
pub fn query(q: &QueryResult, format: DbFormat) -> String {
    let header: Vec<&str> = q.columns.iter().map(String::as_str).collect();
    let text = |r: &Vec<Option<String>>| {
        r.iter()
            .map(|c| c.clone().unwrap_or_default())
            .collect::<Vec<_>>()
    };
    match format {
        DbFormat::Json => {
            let rows: Vec<serde_json::Value> = q
                .rows
                .iter()
                .map(|r| {
                    let mut m = serde_json::Map::new();
                    for (c, v) in q.columns.iter().zip(r) {
                        m.insert(c.clone(), json!(v));
                    }
                    serde_json::Value::Object(m)
                })
                .collect();
            pretty(&json!(rows))
        }
        DbFormat::Csv => csv_of(&header, q.rows.iter().map(text)),
        DbFormat::Html => page(
            "sovscan fleet: query",
            &format!("{} row(s)", q.rows.len()),
            |o| {
                let body: Vec<Vec<String>> = q.rows.iter().map(text).collect();
                html_table(o, "Rows", &header, &[], &body);
            },
        ),
        DbFormat::Table => {
            if q.rows.is_empty() {
                return "no rows\n".into();
            }
            let mut t = table(&header);
            for r in &q.rows {
                t.add_row(text(r).into_iter().map(|x| sanitize(&x)));
            }
            format!("{t}\n")
        }
    }
}
