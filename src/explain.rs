//! `sovscan explain REPORT COMPONENT-ID`: the evidence and rules behind one attribution —
//! each fact a collector found, the rule that matched it (and the vendor and country that rule
//! names), the vendor chosen, its ownership chain to the ultimate owner, and the origin.
//! Reads a report and the rule database; never rescans.

use crate::model::{Component, Evidence, Origin, Party, ProductRef, Report};
use crate::report::violations::clean;
use crate::rules::RuleDb;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, ContentArrangement, Table};
use serde::Serialize;
use std::fmt::Write;

/// One owner in a vendor's ownership chain.
#[derive(Debug, Clone, Serialize)]
pub struct Owner {
    /// Vendor id.
    pub id: String,
    /// Name, when the rule database knows it.
    pub name: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// The rule file that states it.
    pub rule: Option<String>,
}

/// One fact and what the rules made of it.
#[derive(Debug, Clone, Serialize)]
pub struct Fact {
    /// The evidence.
    #[serde(flatten)]
    pub evidence: Evidence,
    /// Vendor the matching rule names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_vendor: Option<String>,
    /// That vendor's country.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_country: Option<String>,
    /// Whether the rule points at the vendor chosen.
    pub supports_vendor: bool,
}

/// Everything behind one component's attribution.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// Component id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Version.
    pub version: Option<String>,
    /// Package URL.
    pub purl: Option<String>,
    /// Where it was found.
    pub locations: Vec<String>,
    /// Who ships it.
    pub supplier: Option<Party>,
    /// Who makes it.
    pub vendor: Option<Party>,
    /// From the vendor to its ultimate owner.
    pub ownership: Vec<Owner>,
    /// Product.
    pub product: Option<ProductRef>,
    /// Category (of `rules/categories.yaml`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The evidence that decided the category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category_from: Option<String>,
    /// Home of the report.
    pub home: Option<String>,
    /// Origin in the report.
    pub origin: Option<Origin>,
    /// Confidence.
    pub confidence: f64,
    /// Facts and the rules that matched them.
    pub facts: Vec<Fact>,
}

fn vendor_of_rule(rule: &str) -> Option<&str> {
    rule.rsplit_once(':').map(|(_, id)| id)
}

/// Explain the component `id` of `report`; `Err` lists close ids when it is not there.
pub fn explain(report: &Report, id: &str, db: &RuleDb) -> crate::Result<Explanation> {
    let Some(c) = report.components.iter().find(|c| c.id == id) else {
        let close: Vec<&str> = report
            .components
            .iter()
            .map(|c| c.id.as_str())
            .filter(|c| c.contains(id) || id.contains(c))
            .take(10)
            .collect();
        let hint = if close.is_empty() {
            String::new()
        } else {
            format!("; did you mean: {}", close.join(", "))
        };
        return Err(crate::Error::Config(format!(
            "no component `{}` in the report{hint}",
            clean(id)
        )));
    };
    Ok(build(report, c, db))
}

fn build(report: &Report, c: &Component, db: &RuleDb) -> Explanation {
    let mut ownership = Vec::new();
    if let Some(v) = &c.vendor {
        let mut cur = Some(v.id.clone());
        while let Some(id) = cur.take() {
            if ownership.iter().any(|o: &Owner| o.id == id) || ownership.len() > 32 {
                break;
            }
            let dbv = db.vendors.get(&id);
            ownership.push(Owner {
                id: id.clone(),
                name: dbv
                    .map(|x| x.raw.name.clone())
                    .or_else(|| (id == v.id).then(|| v.name.clone())),
                country: dbv
                    .map(|x| x.raw.country.clone())
                    .unwrap_or_else(|| (id == v.id).then(|| v.country.clone()).flatten()),
                rule: dbv.map(|x| x.rule_ref()),
            });
            cur = dbv.and_then(|x| x.raw.parent.clone());
        }
        if let Some(o) = &v.ultimate_owner {
            if !ownership.iter().any(|x| &x.id == o) {
                ownership.push(Owner {
                    id: o.clone(),
                    name: None,
                    country: v.owner_country.clone(),
                    rule: None,
                });
            }
        }
    }
    let facts = c
        .evidence
        .iter()
        .map(|e| {
            let rv = e
                .rule
                .as_deref()
                .and_then(vendor_of_rule)
                .map(str::to_owned);
            let rule_country = rv
                .as_deref()
                .and_then(|id| db.vendors.get(id))
                .and_then(|v| v.raw.country.clone());
            let supports =
                rv.is_some() && rv.as_deref() == c.vendor.as_deref().map(|v| v.id.as_str());
            Fact {
                evidence: e.clone(),
                rule_vendor: rv,
                rule_country,
                supports_vendor: supports,
            }
        })
        .collect();
    Explanation {
        id: c.id.clone(),
        name: c.name.clone(),
        version: c.version.clone(),
        purl: c.purl.clone(),
        locations: c.locations.clone(),
        supplier: c.supplier.as_deref().cloned(),
        vendor: c.vendor.as_deref().cloned(),
        ownership,
        product: c.product.clone(),
        category: c.category_id().map(str::to_owned),
        category_from: c.category_from.clone(),
        home: report.scan.home.clone(),
        origin: c.origin,
        confidence: c.confidence,
        facts,
    }
}

/// Render an explanation as text with a table of facts.
pub fn render_text(x: &Explanation) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", clean(&x.id));
    let opt = |s: &Option<String>| s.as_deref().map(clean).unwrap_or_else(|| "—".to_owned());
    let _ = writeln!(out, "  name        {} {}", clean(&x.name), opt(&x.version));
    if let Some(p) = &x.purl {
        let _ = writeln!(out, "  purl        {}", clean(p));
    }
    for l in &x.locations {
        let _ = writeln!(out, "  location    {}", clean(l));
    }
    match &x.vendor {
        Some(v) => {
            let _ = writeln!(
                out,
                "  vendor      {} ({}), {} — confidence {:.2}",
                clean(&v.name),
                clean(&v.id),
                opt(&v.country),
                x.confidence
            );
        }
        None => {
            let _ = writeln!(
                out,
                "  vendor      none: no rule matched strongly enough (origin unknown)"
            );
        }
    }
    if x.ownership.len() > 1 {
        let chain: Vec<String> = x
            .ownership
            .iter()
            .map(|o| {
                format!(
                    "{} ({})",
                    clean(o.name.as_deref().unwrap_or(&o.id)),
                    opt(&o.country)
                )
            })
            .collect();
        let _ = writeln!(out, "  ownership   {}", chain.join(" → owned by "));
    }
    if let Some(s) = &x.supplier {
        let _ = writeln!(out, "  supplier    {} ({})", clean(&s.name), clean(&s.id));
    }
    if let Some(cat) = x.category.as_deref() {
        let from = x.category_from.as_deref().map(clean).unwrap_or_default();
        let _ = writeln!(out, "  category    {} (from {from})", clean(cat));
    }
    if let Some(p) = &x.product {
        let _ = writeln!(
            out,
            "  product     {} (category {}, criticality {})",
            clean(&p.id),
            clean(&p.category),
            opt(&p.criticality)
        );
    }
    let origin = x
        .origin
        .map(|o| o.as_str().to_owned())
        .unwrap_or_else(|| "not assessed (the report has no home)".to_owned());
    let _ = writeln!(
        out,
        "  origin      {origin}{}",
        x.home
            .as_deref()
            .map(|h| format!(" (home {})", clean(h)))
            .unwrap_or_default()
    );
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    t.set_header(["evidence", "value", "found at", "rule", "names", "supports"].map(Cell::new));
    for f in &x.facts {
        let e = &f.evidence;
        t.add_row(vec![
            e.kind.as_str().to_owned(),
            clean(&e.value),
            clean(&e.at),
            opt(&e.rule),
            match (&f.rule_vendor, &f.rule_country) {
                (Some(v), Some(cc)) => format!("{} ({})", clean(v), clean(cc)),
                (Some(v), None) => clean(v),
                _ => "—".to_owned(),
            },
            if f.supports_vendor { "yes" } else { "" }.to_owned(),
        ]);
    }
    let _ = write!(
        out,
        "\nEvidence ({} facts, {} matched a rule)\n{t}\n",
        x.facts.len(),
        x.facts.iter().filter(|f| f.evidence.rule.is_some()).count()
    );
    out
}

/// Render as JSON.
pub fn render_json(x: &Explanation) -> String {
    let mut s = serde_json::to_string_pretty(x).unwrap_or_default();
    s.push('\n');
    s
}
