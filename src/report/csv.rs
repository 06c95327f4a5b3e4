//! CSV output for spreadsheets: one row per component, RFC 4180 quoting (the `csv` crate), a
//! header row, `;`-joined locations.
//!
//! Cells are neutralised against formula injection: a cell that starts with `=`, `+`, `-`, `@`,
//! a tab or a carriage return gets a leading `'`, so that a package named `=HYPERLINK(…)` is
//! shown as text by spreadsheet programs instead of being evaluated (OWASP "CSV injection").
//! Reading inventories is `crate::input::inventory`'s business.

use crate::model::{owner_country, Report};

/// The header row.
pub const HEADER: &[&str] = &[
    "id",
    "name",
    "version",
    "kind",
    "ecosystem",
    "purl",
    "vendor",
    "vendor_country",
    "ultimate_owner",
    "owner_country",
    "supplier",
    "origin",
    "product",
    "category",
    "criticality",
    "confidence",
    "count",
    "root",
    "part_of",
    "board",
    "found_by",
    "locations",
];

/// Make a cell safe to open in a spreadsheet.
pub fn neutralise(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

/// Render the components as CSV.
pub fn render(r: &Report) -> String {
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let _ = w.write_record(HEADER);
    for c in &r.components {
        let v = c.vendor.as_deref();
        let row: Vec<String> = vec![
            c.id.clone(),
            c.name.clone(),
            c.version.clone().unwrap_or_default(),
            super::props::kind_str(c).to_owned(),
            c.ecosystem.clone().unwrap_or_default(),
            c.purl.clone().unwrap_or_default(),
            v.map(|v| v.name.clone()).unwrap_or_default(),
            v.and_then(|v| v.country.clone()).unwrap_or_default(),
            v.and_then(|v| v.ultimate_owner.clone()).unwrap_or_default(),
            v.and_then(owner_country).unwrap_or_default(),
            c.supplier
                .as_deref()
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            c.origin.map(|o| o.as_str().to_owned()).unwrap_or_default(),
            c.product.as_ref().map(|p| p.id.clone()).unwrap_or_default(),
            c.category_id().unwrap_or_default().to_owned(),
            c.product
                .as_ref()
                .and_then(|p| p.criticality.clone())
                .unwrap_or_default(),
            format!("{:.2}", c.confidence),
            c.count.map(|n| n.to_string()).unwrap_or_default(),
            c.root.clone().unwrap_or_default(),
            c.part_of.clone().unwrap_or_default(),
            c.board
                .as_deref()
                .map(|b| b.name.clone())
                .unwrap_or_default(),
            c.found_by.clone().unwrap_or_default(),
            c.locations.join(";"),
        ];
        let _ = w.write_record(row.iter().map(|cell| neutralise(cell)));
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(neutralise("=1+1"), "'=1+1");
        assert_eq!(neutralise("+x"), "'+x");
        assert_eq!(neutralise("-x"), "'-x");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("openssl"), "openssl");
        assert_eq!(neutralise(""), "");
    }
}
