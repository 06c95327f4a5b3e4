//! An XLSX workbook for procurement (`scan --format xlsx`), written with `rust_xlsxwriter`:
//! a `Summary` sheet with every share beside its count and denominator, a `Plan` sheet (per
//! category, then per row, when the report has a home), a `Components` sheet with auto-filters,
//! and one sheet per category with that category's components. It renders from the report
//! model (and the plan made from it), like every other format; cells are sanitised.

use crate::model::{owner_country, signer_of, Component, Report};
use crate::plan::Plan;
use crate::text::sanitize;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

/// Columns of the component sheets.
const COMPONENT_COLUMNS: [&str; 16] = [
    "id",
    "name",
    "version",
    "kind",
    "category",
    "category from",
    "vendor",
    "vendor country",
    "ultimate owner",
    "owner country",
    "origin",
    "signer",
    "signer country",
    "product",
    "count",
    "location",
];

/// The sheet name of a category (Excel: at most 31 characters, none of `[]:*?/\`).
pub fn sheet_name(category: &str) -> String {
    let clean: String = category
        .chars()
        .map(|c| if "[]:*?/\\'".contains(c) { '-' } else { c })
        .collect();
    clean.chars().take(31).collect()
}

fn header(ws: &mut Worksheet, row: u32, cols: &[&str], bold: &Format) -> Result<(), XlsxError> {
    for (i, h) in cols.iter().enumerate() {
        ws.write_string_with_format(row, i as u16, *h, bold)?;
    }
    Ok(())
}

fn share_rows(
    ws: &mut Worksheet,
    row: &mut u32,
    title: &str,
    rows: &[super::ShareRow],
    bold: &Format,
    pct: &Format,
) -> Result<(), XlsxError> {
    if rows.is_empty() {
        return Ok(());
    }
    ws.write_string_with_format(*row, 0, title, bold)?;
    *row += 1;
    header(
        ws,
        *row,
        &["", "components", "of", "denominator", "share"],
        bold,
    )?;
    *row += 1;
    for r in rows {
        ws.write_string(*row, 0, sanitize(&r.label))?;
        ws.write_number(*row, 1, r.count as f64)?;
        ws.write_number(*row, 2, r.of as f64)?;
        ws.write_string(*row, 3, r.denominator)?;
        if r.of > 0 {
            ws.write_number_with_format(*row, 4, r.count as f64 / r.of as f64, pct)?;
        }
        *row += 1;
    }
    *row += 1;
    Ok(())
}

fn summary(wb: &mut Workbook, r: &Report, bold: &Format, pct: &Format) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet().set_name("Summary")?;
    let s = &r.summary;
    ws.write_string_with_format(0, 0, "sovscan report", bold)?;
    ws.write_string(1, 0, "target")?;
    ws.write_string(1, 1, sanitize(&super::target(r)))?;
    ws.write_string(2, 0, "home")?;
    ws.write_string(2, 1, sanitize(r.scan.home.as_deref().unwrap_or("not set")))?;
    ws.write_string(3, 0, "components")?;
    ws.write_number(3, 1, s.components as f64)?;
    ws.write_string(4, 0, "without a category")?;
    ws.write_number(4, 1, s.uncategorised as f64)?;
    let mut row = 6;
    share_rows(ws, &mut row, "By origin", &super::origin_rows(s), bold, pct)?;
    share_rows(
        ws,
        &mut row,
        "By country of the ultimate owner",
        &super::country_rows(s),
        bold,
        pct,
    )?;
    share_rows(
        ws,
        &mut row,
        "Signed components by signer country",
        &super::signer_rows(s),
        bold,
        pct,
    )?;
    if r.scan.home.is_some() && !s.by_category.is_empty() {
        ws.write_string_with_format(row, 0, "By category", bold)?;
        row += 1;
        let cols = [
            "category",
            "components",
            "foreign",
            "of known origin",
            "foreign share",
            "unknown",
            "unknown share",
        ];
        header(ws, row, &cols, bold)?;
        row += 1;
        for c in super::category_rows(s) {
            ws.write_string(row, 0, sanitize(&c.category))?;
            ws.write_number(row, 1, c.components as f64)?;
            ws.write_number(row, 2, c.foreign as f64)?;
            ws.write_number(row, 3, c.known as f64)?;
            if c.known > 0 {
                ws.write_number_with_format(row, 4, c.foreign as f64 / c.known as f64, pct)?;
            }
            ws.write_number(row, 5, c.unknown as f64)?;
            if c.components > 0 {
                ws.write_number_with_format(row, 6, c.unknown as f64 / c.components as f64, pct)?;
            }
            row += 1;
        }
    }
    ws.autofit();
    Ok(())
}

fn plan_sheet(
    wb: &mut Workbook,
    p: Option<&Plan>,
    bold: &Format,
    pct: &Format,
) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet().set_name("Plan")?;
    let Some(p) = p else {
        ws.write_string(0, 0, "No plan: the report has no home (scan with --home).")?;
        return Ok(());
    };
    ws.write_string_with_format(
        0,
        0,
        format!("Substitution plan relative to {}", sanitize(&p.home)),
        bold,
    )?;
    let cols = [
        "category",
        "criticality",
        "components",
        "foreign",
        "of known origin",
        "foreign share",
        "unknown",
        "unknown share",
        "vendors",
        "hosts",
        "units",
        "cost",
        "score",
        "alternatives",
    ];
    header(ws, 2, &cols, bold)?;
    let mut row = 3;
    for c in p
        .categories
        .iter()
        .filter(|c| c.planned > 0 || c.unknown > 0)
    {
        ws.write_string(row, 0, sanitize(&c.category))?;
        ws.write_string(row, 1, c.criticality.as_deref().unwrap_or(""))?;
        ws.write_number(row, 2, c.components as f64)?;
        ws.write_number(row, 3, c.foreign as f64)?;
        ws.write_number(row, 4, c.known as f64)?;
        ws.write_number_with_format(row, 5, c.foreign_share, pct)?;
        ws.write_number(row, 6, c.unknown as f64)?;
        ws.write_number_with_format(row, 7, c.unknown_share, pct)?;
        ws.write_string(row, 8, sanitize(&c.vendors.join("; ")))?;
        ws.write_number(row, 9, c.host_count as f64)?;
        ws.write_number(row, 10, c.usage as f64)?;
        if let Some(cost) = c.cost {
            ws.write_number(row, 11, cost)?;
        }
        ws.write_number(row, 12, c.score as f64)?;
        ws.write_string(row, 13, sanitize(&alternatives(&c.alternatives)))?;
        row += 1;
    }
    row += 1;
    let cols = [
        "row",
        "vendor",
        "country",
        "category",
        "criticality",
        "components",
        "units",
        "cost",
        "score",
        "hosts",
        "alternatives",
    ];
    header(ws, row, &cols, bold)?;
    let first = row;
    row += 1;
    for it in &p.items {
        ws.write_string(row, 0, sanitize(&it.name))?;
        ws.write_string(row, 1, sanitize(&it.vendor_name))?;
        ws.write_string(row, 2, it.country.as_deref().unwrap_or(""))?;
        ws.write_string(row, 3, sanitize(&it.category))?;
        ws.write_string(row, 4, it.criticality.as_deref().unwrap_or(""))?;
        ws.write_number(row, 5, it.components.len() as f64)?;
        ws.write_number(row, 6, it.usage as f64)?;
        if let Some(cost) = it.cost {
            ws.write_number(row, 7, cost)?;
        }
        ws.write_number(row, 8, it.score as f64)?;
        ws.write_number(row, 9, it.host_count as f64)?;
        ws.write_string(row, 10, sanitize(&alternatives(&it.alternatives)))?;
        row += 1;
    }
    if row > first + 1 {
        ws.autofilter(first, 0, row - 1, (cols.len() - 1) as u16)?;
    }
    Ok(())
}

fn alternatives(list: &[crate::plan::Alternative]) -> String {
    list.iter()
        .map(|a| {
            format!(
                "{} ({}, {}, {:?}{}) {}",
                a.name,
                a.vendor_name,
                a.country.as_deref().unwrap_or("intl"),
                a.tier,
                a.region
                    .as_deref()
                    .map(|r| format!(" {r}"))
                    .unwrap_or_default(),
                a.url.as_deref().unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn components(
    wb: &mut Workbook,
    name: &str,
    cs: &[&Component],
    bold: &Format,
) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet().set_name(name)?;
    header(ws, 0, &COMPONENT_COLUMNS, bold)?;
    for (i, c) in cs.iter().enumerate() {
        let row = i as u32 + 1;
        let v = c.vendor.as_deref();
        let signer = signer_of(c);
        let cells = [
            c.id.clone(),
            c.name.clone(),
            c.version.clone().unwrap_or_default(),
            format!("{:?}", c.kind).to_lowercase(),
            c.category_id().unwrap_or("").to_owned(),
            c.category_from.clone().unwrap_or_default(),
            v.map(|v| v.name.clone()).unwrap_or_default(),
            v.and_then(|v| v.country.clone()).unwrap_or_default(),
            v.and_then(|v| v.ultimate_owner.clone()).unwrap_or_default(),
            v.and_then(owner_country).unwrap_or_default(),
            c.origin.map(|o| o.as_str().to_owned()).unwrap_or_default(),
            signer.map(|s| s.name.clone()).unwrap_or_default(),
            signer.and_then(owner_country).unwrap_or_default(),
            c.product.as_ref().map(|p| p.id.clone()).unwrap_or_default(),
        ];
        for (col, text) in cells.iter().enumerate() {
            ws.write_string(row, col as u16, sanitize(text))?;
        }
        ws.write_number(row, 14, c.count.unwrap_or(1) as f64)?;
        ws.write_string(
            row,
            15,
            sanitize(c.locations.first().map(String::as_str).unwrap_or("")),
        )?;
    }
    ws.autofilter(0, 0, cs.len() as u32, (COMPONENT_COLUMNS.len() - 1) as u16)?;
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// The workbook's bytes. `plan` is the report's plan (none without a home).
pub fn render(r: &Report, plan: Option<&Plan>) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let pct = Format::new().set_num_format("0.0%");
    summary(&mut wb, r, &bold, &pct)?;
    plan_sheet(&mut wb, plan, &bold, &pct)?;
    let counted: Vec<&Component> = r.components.iter().filter(|c| c.counted()).collect();
    components(&mut wb, "Components", &counted, &bold)?;
    let mut cats: std::collections::BTreeMap<&str, Vec<&Component>> = Default::default();
    for c in &counted {
        cats.entry(c.category_id().unwrap_or(crate::plan::UNCATEGORISED))
            .or_default()
            .push(c);
    }
    for (cat, cs) in cats {
        // "Summary", "Plan" and "Components" are taken; no category id is one of them.
        components(&mut wb, &sheet_name(cat), &cs, &bold)?;
    }
    wb.save_to_buffer()
}
