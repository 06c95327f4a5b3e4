//! CSV asset inventories (CMDB exports, spreadsheets): each data row becomes an `inventory`
//! component whose vendor, manufacturer and product text is evidence for the rules engine.
//!
//! Columns are recognised by name, flexibly: case, spaces, `_`, `-` and `.` are ignored, and
//! common synonyms are accepted (see [`COLUMNS`]): `asset`, `hostname`, `kind`, `vendor`,
//! `manufacturer`, `product`, `model`, `version`, `serial`, `count`, `cost`, `location`,
//! `owner`, `url`, `email`. Other columns are kept as `inventory-<name>` properties. The header
//! is the first of the first [`HEADER_SEARCH`] lines that names at least two known columns (so
//! a title line above it is skipped); the delimiter is `,`, `;`, tab or `|`, whichever the header
//! line holds most of. A UTF-8 byte-order mark is skipped and non-UTF-8 bytes (Latin-1 exports)
//! are decoded lossily.
//!
//! A row needs a product or model (or, in an inventory with neither column, an asset name); a row without one, with an unreadable count, or
//! with a broken quote is reported in `errors` with its line number (`file:line`), and the other
//! rows are kept. Blank rows are skipped. The component id is
//! `inventory:<product>@<version>` plus `?host=` (or serial, or asset) so the same product on two
//! hosts stays two components and ids do not depend on row order.

use crate::collectors::Collected;
use crate::model::{Component, ComponentKind, EvidenceKind, ScanError};

/// How many leading lines may hold the header.
pub const HEADER_SEARCH: usize = 10;

/// Canonical columns and the normalised header names that mean them.
pub const COLUMNS: &[(&str, &[&str])] = &[
    (
        "asset",
        &[
            "asset",
            "assetname",
            "assetid",
            "assettag",
            "assetnumber",
            "ci",
            "ciname",
            "configurationitem",
            "item",
            "name",
        ],
    ),
    (
        "hostname",
        &[
            "hostname",
            "host",
            "server",
            "servername",
            "device",
            "devicename",
            "computer",
            "computername",
            "fqdn",
            "machine",
            "node",
        ],
    ),
    (
        "kind",
        &[
            "kind",
            "type",
            "assettype",
            "assetclass",
            "class",
            "citype",
            "assetcategory",
        ],
    ),
    (
        "vendor",
        &[
            "vendor",
            "vendorname",
            "supplier",
            "suppliername",
            "publisher",
            "brand",
            "make",
            "softwarevendor",
            "softwarepublisher",
        ],
    ),
    (
        "manufacturer",
        &[
            "manufacturer",
            "manufacturername",
            "mfr",
            "mfg",
            "maker",
            "oem",
        ],
    ),
    (
        "product",
        &[
            "product",
            "productname",
            "software",
            "softwarename",
            "application",
            "applicationname",
            "app",
            "title",
            "displayname",
        ],
    ),
    (
        "model",
        &[
            "model",
            "modelname",
            "modelnumber",
            "hardwaremodel",
            "partnumber",
            "sku",
        ],
    ),
    (
        "version",
        &[
            "version",
            "ver",
            "release",
            "softwareversion",
            "productversion",
            "firmware",
            "firmwareversion",
            "build",
        ],
    ),
    (
        "serial",
        &["serial", "serialnumber", "serialno", "sn", "servicetag"],
    ),
    (
        "count",
        &[
            "count",
            "qty",
            "quantity",
            "units",
            "licenses",
            "licences",
            "seats",
            "installs",
            "installations",
            "instances",
            "number",
        ],
    ),
    (
        "cost",
        &[
            "cost",
            "price",
            "annualcost",
            "yearlycost",
            "amount",
            "value",
            "totalcost",
        ],
    ),
    (
        "location",
        &[
            "location",
            "site",
            "datacenter",
            "datacentre",
            "room",
            "rack",
        ],
    ),
    (
        "owner",
        &[
            "owner",
            "department",
            "costcenter",
            "costcentre",
            "businessunit",
            "team",
        ],
    ),
    (
        "url",
        &["url", "website", "homepage", "vendorurl", "vendorwebsite"],
    ),
    (
        "email",
        &["email", "vendoremail", "contactemail", "supportemail"],
    ),
];

fn norm(h: &str) -> String {
    h.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The canonical column a header cell means.
pub fn column(header: &str) -> Option<&'static str> {
    let n = norm(header);
    COLUMNS
        .iter()
        .find(|(_, syn)| syn.contains(&n.as_str()))
        .map(|(c, _)| *c)
}

fn delimiter(line: &str) -> u8 {
    [b',', b';', b'\t', b'|']
        .into_iter()
        .max_by_key(|d| line.bytes().filter(|b| b == d).count())
        .unwrap_or(b',')
}

/// Parse an inventory; `name` is used in locations and errors.
pub fn parse(bytes: &[u8], name: &str) -> Collected {
    let text = String::from_utf8_lossy(bytes);
    let mut out = Collected::default();
    let lines: Vec<&str> = text.lines().take(HEADER_SEARCH).collect();
    let Some(header_idx) = lines.iter().position(|l| {
        let d = delimiter(l);
        let cells = l
            .split(char::from(d))
            .filter_map(|c| column(c.trim().trim_matches('"')))
            .count();
        cells >= 2
    }) else {
        out.errors.push(ScanError::new(
            name,
            "not a recognised input: no CSV header naming at least two inventory columns (asset, hostname, vendor, product, version…) in the first lines",
        ));
        return out;
    };
    let delim = lines.get(header_idx).map(|l| delimiter(l)).unwrap_or(b',');
    // Start the reader at the header line, keeping byte offsets for line numbers.
    let start = match header_idx {
        0 => 0,
        n => text
            .match_indices('\n')
            .nth(n - 1)
            .map(|(i, _)| i + 1)
            .unwrap_or(0),
    };
    let body = text.get(start..).unwrap_or("");
    let mut rdr = ::csv::ReaderBuilder::new()
        .delimiter(delim)
        .flexible(true)
        .has_headers(true)
        .trim(::csv::Trim::All)
        .from_reader(body.as_bytes());
    let headers: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(str::to_owned).collect(),
        Err(e) => {
            out.errors.push(ScanError::new(
                format!("{name}:{}", header_idx + 1),
                format!("unreadable header: {e}"),
            ));
            return out;
        }
    };
    let cols: Vec<Option<&'static str>> = headers.iter().map(|h| column(h)).collect();
    let mut record = ::csv::StringRecord::new();
    loop {
        let pos_line = rdr.position().line() as usize + header_idx;
        match rdr.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record
                    .position()
                    .map(|p| p.line() as usize + header_idx)
                    .unwrap_or(pos_line);
                if record.iter().all(str::is_empty) {
                    continue;
                }
                if record.len() > headers.len() {
                    out.errors.push(ScanError::new(
                        format!("{name}:{line}"),
                        format!(
                            "row has {} fields, the header {}: skipped",
                            record.len(),
                            headers.len()
                        ),
                    ));
                    continue;
                }
                match row(&record, &headers, &cols, name, line) {
                    Ok(c) => out.components.push(c),
                    Err(e) => out.errors.push(ScanError::new(format!("{name}:{line}"), e)),
                }
            }
            Err(e) => {
                let line = e
                    .position()
                    .map(|p| p.line() as usize + header_idx)
                    .unwrap_or(pos_line);
                out.errors.push(ScanError::new(
                    format!("{name}:{line}"),
                    format!("unreadable row: {e}"),
                ));
                if !matches!(
                    e.kind(),
                    ::csv::ErrorKind::UnequalLengths { .. } | ::csv::ErrorKind::Utf8 { .. }
                ) {
                    break;
                }
            }
        }
    }
    out
}

fn parse_count(s: &str) -> Option<u64> {
    let t: String = s
        .chars()
        .filter(|c| !matches!(c, ',' | '\'' | ' ' | '_' | '\u{a0}'))
        .collect();
    if let Ok(n) = t.parse::<u64>() {
        return Some(n);
    }
    let f: f64 = t.parse().ok()?;
    (f >= 0.0 && f.fract() == 0.0 && f < 1e15).then_some(f as u64)
}

fn row(
    rec: &::csv::StringRecord,
    headers: &[String],
    cols: &[Option<&'static str>],
    name: &str,
    line: usize,
) -> Result<Component, String> {
    let get = |col: &str| -> Option<&str> {
        cols.iter()
            .position(|c| *c == Some(col))
            .and_then(|i| rec.get(i))
            .filter(|v| !v.is_empty())
    };
    // An asset tag names a product only in inventories with no product or model column.
    let has_product_column = cols.iter().any(|c| matches!(c, Some("product" | "model")));
    let product = get("product").or_else(|| get("model")).or_else(|| {
        if has_product_column {
            None
        } else {
            get("asset")
        }
    });
    let Some(product) = product else {
        return Err("row names no product or model: skipped".to_owned());
    };
    let count = match get("count") {
        Some(c) => Some(parse_count(c).ok_or_else(|| {
            format!(
                "count `{}` is not a whole number: row skipped",
                crate::text::sanitize(c)
            )
        })?),
        None => None,
    };
    let version = get("version");
    let mut c = Component::new(
        ComponentKind::Inventory,
        Some("inventory"),
        product,
        version,
    );
    let key = get("hostname")
        .map(|h| format!("host={h}"))
        .or_else(|| get("serial").map(|s| format!("serial={s}")))
        .or_else(|| {
            get("asset")
                .filter(|a| *a != product)
                .map(|a| format!("asset={a}"))
        });
    if let Some(k) = key {
        c.id = format!("{}?{}", c.id, crate::text::sanitize(&k));
    }
    c.count = count;
    c.locations
        .push(format!("{}:{line}", crate::text::sanitize(name)));
    let at = format!("{name}:{line}");
    for col in ["vendor", "manufacturer"] {
        if let Some(v) = get(col) {
            c.add_evidence(EvidenceKind::CompanyName, v, &at);
        }
    }
    if let Some(u) = get("url") {
        c.add_evidence(EvidenceKind::Url, u, &at);
    }
    if let Some(e) = get("email") {
        c.add_evidence(EvidenceKind::Email, e, &at);
    }
    for col in ["product", "model"] {
        if let Some(p) = get(col) {
            c.add_evidence(
                EvidenceKind::PackageName,
                format!("inventory:{}", p.to_lowercase()),
                &at,
            );
            c.add_evidence(EvidenceKind::String, p, &at);
        }
    }
    for (i, h) in headers.iter().enumerate() {
        let Some(v) = rec.get(i).filter(|v| !v.is_empty()) else {
            continue;
        };
        match cols.get(i).copied().flatten() {
            Some("product" | "version" | "count") => {}
            Some(col) => c.set_property(&format!("inventory-{col}"), v),
            None => {
                let k = norm(h);
                if !k.is_empty() {
                    c.set_property(&format!("inventory-{k}"), v);
                }
            }
        }
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_flexibly() {
        assert_eq!(column("Host Name"), Some("hostname"));
        assert_eq!(column("SERIAL_NUMBER"), Some("serial"));
        assert_eq!(column("Qty."), Some("count"));
        assert_eq!(column("Software Publisher"), Some("vendor"));
        assert_eq!(column("colour"), None);
    }

    #[test]
    fn counts() {
        assert_eq!(parse_count("1,200"), Some(1200));
        assert_eq!(parse_count("3.0"), Some(3));
        assert_eq!(parse_count("two"), None);
        assert_eq!(parse_count("-1"), None);
    }
}
