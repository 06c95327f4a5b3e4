//! Text and JSON views of the rule database for `sovscan rules list` and `sovscan rules show`.
//! Rendering only: the caller writes the result.

use super::{RuleDb, Vendor};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use serde_json::json;

/// Vendors filtered by country (of the vendor or its ultimate owner) and by list membership.
pub fn filter<'a>(
    db: &'a RuleDb,
    country: Option<&str>,
    list: Option<&str>,
) -> crate::Result<Vec<&'a Vendor>> {
    let members: Option<Vec<&str>> = match list {
        Some(l) => {
            let l = db.lists.get(l).ok_or_else(|| {
                crate::Error::Config(format!(
                    "no entity list `{l}` (known: {})",
                    db.lists.keys().cloned().collect::<Vec<_>>().join(", ")
                ))
            })?;
            Some(l.raw.members.iter().map(|m| m.vendor.as_str()).collect())
        }
        None => None,
    };
    let cc = country.map(str::to_ascii_uppercase);
    Ok(db
        .vendors
        .values()
        .filter(|v| {
            members
                .as_ref()
                .is_none_or(|m| m.contains(&v.raw.id.as_str()))
        })
        .filter(|v| {
            let Some(cc) = &cc else { return true };
            let owner = db
                .ultimate_owner(&v.raw.id)
                .and_then(|o| o.raw.country.as_deref());
            v.raw.country.as_deref() == Some(cc.as_str()) || owner == Some(cc.as_str())
        })
        .collect())
}

/// Vendors as a table.
pub fn list_table(db: &RuleDb, vendors: &[&Vendor]) -> String {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
        "id",
        "name",
        "country",
        "kind",
        "ultimate owner",
    ]);
    for v in vendors {
        let owner = db
            .ultimate_owner(&v.raw.id)
            .map(|o| o.raw.id.as_str())
            .unwrap_or("");
        t.add_row(vec![
            v.raw.id.clone(),
            v.raw.name.clone(),
            v.raw.country.clone().unwrap_or_else(|| "—".into()),
            format!("{:?}", v.raw.kind).to_lowercase(),
            if owner == v.raw.id {
                String::new()
            } else {
                owner.to_owned()
            },
        ]);
    }
    format!("{t}\n{} vendor(s)\n", vendors.len())
}

/// Vendors as JSON (an array of entries with their file and ultimate owner).
pub fn list_json(db: &RuleDb, vendors: &[&Vendor]) -> String {
    let v: Vec<_> = vendors.iter().map(|v| vendor_json(db, v)).collect();
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

fn vendor_json(db: &RuleDb, v: &Vendor) -> serde_json::Value {
    let owner = db.ultimate_owner(&v.raw.id).map(|o| o.raw.id.clone());
    let lists: Vec<&str> = db
        .lists
        .values()
        .filter(|l| l.raw.members.iter().any(|m| m.vendor == v.raw.id))
        .map(|l| l.raw.id.as_str())
        .collect();
    let products: Vec<&str> = db
        .products
        .values()
        .filter(|p| p.raw.vendor == v.raw.id)
        .map(|p| p.raw.id.as_str())
        .collect();
    json!({
        "id": v.raw.id, "name": v.raw.name, "country": v.raw.country, "kind": v.raw.kind,
        "parent": v.raw.parent, "ultimate_owner": owner, "international": v.is_international(),
        "sources": v.raw.sources, "match": v.raw.matchers, "lists": lists, "products": products,
        "file": v.file,
    })
}

/// One vendor, product, list or region by id, as YAML-like text or JSON.
pub fn show(db: &RuleDb, id: &str, as_json: bool) -> crate::Result<String> {
    let value = if let Some(v) = db.vendors.get(id) {
        vendor_json(db, v)
    } else if let Some(p) = db.products.get(id) {
        json!({"product": p.raw, "file": p.file})
    } else if let Some(l) = db.lists.get(id) {
        json!({"list": l.raw, "file": l.file})
    } else if let Some(r) = db.regions.get(id) {
        json!({"region": r})
    } else {
        return Err(crate::Error::Config(format!(
            "no vendor, product, list or region with id `{id}`"
        )));
    };
    Ok(if as_json {
        let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
        s.push('\n');
        s
    } else {
        serde_yaml::to_string(&value).unwrap_or_default()
    })
}
