//! Second pass over the rule database: meaning, not syntax. Every problem is collected with its
//! `file:line:column` and a stable code; nothing stops at the first one.
//!
//! Codes: `unknown-country`, `duplicate-id`, `dangling-parent`, `parent-cycle`,
//! `dangling-vendor`, `dangling-alternative`, `dangling-member`, `duplicate-identifier`,
//! `missing-source`, `bad-identifier`, `bad-criticality`, `bad-id`, `dangling-precedence`,
//! `duplicate-member` (warning), `unknown-category`, `bad-applies-to`. `example-mismatch` comes from [`super::examples`].

use super::{iso, RuleDb};
use crate::diag::{Diagnostics, Locator};
use std::collections::{BTreeMap, BTreeSet};

/// Criticality values a product may have.
pub const CRITICALITIES: &[&str] = &["low", "medium", "high", "critical"];

/// Check the whole database.
pub fn validate(db: &RuleDb, d: &mut Diagnostics) {
    vendors(db, d);
    products(db, d);
    categories(db, d);
    lists(db, d);
    for r in db.regions.values() {
        for cc in &r.countries {
            if !iso::is_country(cc) {
                let file = db
                    .files
                    .iter()
                    .find(|f| f.rel.starts_with("regions"))
                    .map(|f| f.name.as_str())
                    .unwrap_or("rules/regions.yaml");
                d.error(
                    loc(db, file).value(&r.id, "", cc),
                    "unknown-country",
                    format!(
                        "region `{}`: \"{cc}\" is not an ISO 3166-1 alpha-2 code",
                        r.id
                    ),
                );
            }
        }
    }
}

/// A locator over the text of a loaded file.
fn loc<'a>(db: &'a RuleDb, file: &'a str) -> Locator<'a> {
    let text = db
        .files
        .iter()
        .find(|f| f.name == file)
        .map(|f| f.text.as_str())
        .unwrap_or("");
    Locator::new(file, text)
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
}

fn vendors(db: &RuleDb, d: &mut Diagnostics) {
    // identifier kind + normalised value -> first vendor claiming it
    let mut claimed: BTreeMap<(&str, String), &str> = BTreeMap::new();
    for v in db.vendors.values() {
        let r = &v.raw;
        let l = loc(db, &v.file);
        if !valid_id(&r.id) {
            d.error(
                l.entry(&r.id),
                "bad-id",
                format!("vendor id `{}` must be lower-case kebab-case", r.id),
            );
        }
        if let Some(cc) = &r.country {
            if !iso::is_country(cc) {
                d.error(
                    l.value(&r.id, "country:", cc),
                    "unknown-country",
                    format!("\"{cc}\" is not an ISO 3166-1 alpha-2 code"),
                );
            }
        }
        if r.sources.is_empty() {
            d.error(
                l.entry(&r.id),
                "missing-source",
                format!(
                    "vendor `{}` has no source for its country and ownership",
                    r.id
                ),
            );
        }
        if let Some(p) = &r.parent {
            if !db.vendors.contains_key(p) {
                d.error(
                    l.value(&r.id, "parent:", p),
                    "dangling-parent",
                    format!("parent `{p}` of `{}` is not a vendor", r.id),
                );
            }
        }
        // Cycle: walk up at most vendors.len() steps.
        let mut cur = r.parent.as_deref();
        let mut steps = 0;
        while let Some(p) = cur {
            if p == r.id {
                d.error(
                    l.entry(&r.id),
                    "parent-cycle",
                    format!("vendor `{}` is its own (indirect) parent", r.id),
                );
                break;
            }
            steps += 1;
            if steps > db.vendors.len() {
                break;
            }
            cur = db.vendors.get(p).and_then(|v| v.raw.parent.as_deref());
        }
        for p in &r.precedence_over {
            if !db.vendors.contains_key(p) {
                d.error(
                    l.value(&r.id, "", p),
                    "dangling-precedence",
                    format!("precedence_over `{p}` of `{}` is not a vendor", r.id),
                );
            }
        }
        let m = &r.matchers;
        let mut claim = |kind: &'static str, key: &str, value: String, d: &mut Diagnostics| {
            if let Some(prev) = claimed.get(&(kind, value.clone())) {
                let ordered = r.precedence_over.iter().any(|p| p == prev)
                    || db
                        .vendors
                        .get(*prev)
                        .is_some_and(|pv| pv.raw.precedence_over.contains(&r.id));
                if *prev != r.id.as_str() && !ordered {
                    d.error(
                        l.value(&r.id, key, &value),
                        "duplicate-identifier",
                        format!(
                            "{kind} `{value}` is claimed by both `{prev}` and `{}`",
                            r.id
                        ),
                    );
                }
            } else {
                claimed.insert((kind, value), &r.id);
            }
        };
        for id in &m.pci_vendor_ids {
            check_hex(d, &l, &r.id, "pci_vendor_ids", id);
            claim("PCI vendor id", id, id.to_ascii_lowercase(), d);
        }
        for id in &m.usb_vendor_ids {
            check_hex(d, &l, &r.id, "usb_vendor_ids", id);
            claim("USB vendor id", id, id.to_ascii_lowercase(), d);
        }
        for e in &m.email_domains {
            claim("e-mail domain", "", e.to_ascii_lowercase(), d);
        }
        for h in &m.url_hosts {
            if super::matcher::CODE_HOSTS.contains(&h.to_ascii_lowercase().as_str()) {
                d.error(
                    l.value(&r.id, "", h),
                    "bad-identifier",
                    format!("`{h}` is a code host: name an organisation on it (`{h}/<org>`)"),
                );
            }
            claim(
                "URL host",
                "",
                h.to_ascii_lowercase().trim_end_matches('/').to_owned(),
                d,
            );
        }
        for p in &m.dt_prefixes {
            claim("device-tree prefix", "", p.to_ascii_lowercase(), d);
        }
        for f in &m.firmware_paths {
            let p = f.trim_start_matches('/');
            let glob = if p.ends_with('/') {
                format!("{p}**")
            } else {
                p.to_owned()
            };
            if p.is_empty() || globset::Glob::new(&glob).is_err() {
                d.error(
                    l.value(&r.id, "", f),
                    "bad-identifier",
                    format!("firmware path `{f}` is not a valid glob or directory prefix"),
                );
            }
            claim("firmware path", "", p.to_owned(), d);
        }
        for f in &m.firmware_formats {
            if !crate::collectors::linux_firmware::blob::FORMATS.contains(&f.trim()) {
                d.error(
                    l.value(&r.id, "", f),
                    "bad-identifier",
                    format!(
                        "firmware format `{f}` is not one the firmware-blob collector emits ({})",
                        crate::collectors::linux_firmware::blob::FORMATS.join(", ")
                    ),
                );
            }
            claim("firmware format", "", f.trim().to_ascii_lowercase(), d);
        }
        for c in &m.cpu_ids {
            claim("CPU id", "", c.clone(), d);
        }
        for s in &m.signer_subjects {
            claim("signer subject", "", crate::text::normalise_name(s), d);
        }
        for n in &m.names {
            if crate::text::normalise_name(n).len() < 2 {
                d.error(
                    l.value(&r.id, "", n),
                    "bad-identifier",
                    format!("name `{n}` is too short to match safely"),
                );
            }
            claim("name", "", crate::text::normalise_name(n), d);
        }
    }
}

fn check_hex(d: &mut Diagnostics, l: &Locator<'_>, id: &str, key: &str, value: &str) {
    if value.len() != 4 || !value.chars().all(|c| c.is_ascii_hexdigit()) {
        d.error(
            l.value(id, key, value),
            "bad-identifier",
            format!("`{value}` is not 4 hex digits"),
        );
    }
}

fn products(db: &RuleDb, d: &mut Diagnostics) {
    let mut claimed: BTreeMap<String, &str> = BTreeMap::new();
    for p in db.products.values() {
        let r = &p.raw;
        let l = loc(db, &p.file);
        if !valid_id(&r.id) {
            d.error(
                l.entry(&r.id),
                "bad-id",
                format!("product id `{}` must be lower-case kebab-case", r.id),
            );
        }
        if !db.vendors.contains_key(&r.vendor) {
            d.error(
                l.value(&r.id, "vendor:", &r.vendor),
                "dangling-vendor",
                format!(
                    "vendor `{}` of product `{}` is not a vendor",
                    r.vendor, r.id
                ),
            );
        }
        for a in &r.alternatives {
            if !db.products.contains_key(a) {
                d.error(
                    l.value(&r.id, "", a),
                    "dangling-alternative",
                    format!("alternative `{a}` of `{}` is not a product", r.id),
                );
            }
        }
        if let Some(c) = &r.criticality {
            if !CRITICALITIES.contains(&c.as_str()) {
                d.error(
                    l.value(&r.id, "criticality:", c),
                    "bad-criticality",
                    format!(
                        "criticality `{c}` is not one of {}",
                        CRITICALITIES.join(", ")
                    ),
                );
            }
        }
        for pk in &r.matchers.packages {
            if !pk.contains(':') {
                d.error(
                    l.value(&r.id, "", pk),
                    "bad-identifier",
                    format!("package matcher `{pk}` must be `ecosystem:name`"),
                );
            }
            if let Some(prev) = claimed.insert(pk.clone(), &r.id) {
                if prev != r.id {
                    d.error(
                        l.value(&r.id, "", pk),
                        "duplicate-identifier",
                        format!(
                            "package `{pk}` is claimed by products `{prev}` and `{}`",
                            r.id
                        ),
                    );
                }
            }
        }
    }
}

/// What a category may describe.
pub const APPLIES_TO: &[&str] = &["hardware", "firmware", "software"];

/// The category vocabulary: valid entries, and every product's category in it.
fn categories(db: &RuleDb, d: &mut Diagnostics) {
    for p in db.products.values() {
        if !db.categories.contains_key(&p.raw.category) {
            d.error(
                loc(db, &p.file).value(&p.raw.id, "category:", &p.raw.category),
                "unknown-category",
                format!(
                    "category `{}` of product `{}` is not in rules/categories.yaml",
                    p.raw.category, p.raw.id
                ),
            );
        }
    }
    let mut claimed: BTreeMap<(&str, String), &str> = BTreeMap::new();
    for c in db.categories.values() {
        let r = &c.raw;
        let l = loc(db, &c.file);
        if !valid_id(&r.id) {
            d.error(
                l.entry(&r.id),
                "bad-id",
                format!("category id `{}` must be lower-case kebab-case", r.id),
            );
        }
        if !CRITICALITIES.contains(&r.criticality.as_str()) {
            d.error(
                l.value(&r.id, "criticality:", &r.criticality),
                "bad-criticality",
                format!(
                    "criticality `{}` is not one of {}",
                    r.criticality,
                    CRITICALITIES.join(", ")
                ),
            );
        }
        for a in &r.applies_to {
            if !APPLIES_TO.contains(&a.as_str()) {
                d.error(
                    l.value(&r.id, "", a),
                    "bad-applies-to",
                    format!("`{a}` is not one of {}", APPLIES_TO.join(", ")),
                );
            }
        }
        for x in &r.replaced_by {
            if !db.categories.contains_key(x) {
                d.error(
                    l.value(&r.id, "", x),
                    "unknown-category",
                    format!("`{x}` (replaced_by of `{}`) is not a category", r.id),
                );
            }
        }
        if r.sources.is_empty() {
            d.error(
                l.entry(&r.id),
                "missing-source",
                format!("category `{}` has no source", r.id),
            );
        }
        let m = &r.matchers;
        for (key, values, hex) in [
            ("pci_ids", &m.pci_ids, true),
            ("pci_classes", &m.pci_classes, true),
            ("usb_classes", &m.usb_classes, true),
            ("roles", &m.roles, false),
            ("firmware_paths", &m.firmware_paths, false),
            ("firmware_formats", &m.firmware_formats, false),
            ("sections", &m.sections, false),
            ("ecosystems", &m.ecosystems, false),
        ] {
            for v in values {
                let bad_hex = hex
                    && !(v.len() >= 2
                        && v.chars().all(|ch| ch.is_ascii_hexdigit() || ch == ':')
                        && v == &v.to_ascii_lowercase());
                if bad_hex {
                    d.error(
                        l.value(&r.id, "", v),
                        "bad-identifier",
                        format!("{key} value `{v}` must be lower-case hex"),
                    );
                }
                if let Some(prev) = claimed.insert((key, v.to_ascii_lowercase()), &r.id) {
                    d.error(
                        l.value(&r.id, "", v),
                        "duplicate-identifier",
                        format!(
                            "{key} `{v}` is claimed by categories `{prev}` and `{}`",
                            r.id
                        ),
                    );
                }
            }
        }
    }
}

fn lists(db: &RuleDb, d: &mut Diagnostics) {
    for list in db.lists.values() {
        let l = loc(db, &list.file);
        let mut seen = BTreeSet::new();
        for m in &list.raw.members {
            if !db.vendors.contains_key(&m.vendor) {
                d.error(
                    l.value(&list.raw.id, "vendor:", &m.vendor),
                    "dangling-member",
                    format!(
                        "list `{}` names `{}`, which is not a vendor",
                        list.raw.id, m.vendor
                    ),
                );
            }
            if !seen.insert(&m.vendor) {
                d.warning(
                    l.value(&list.raw.id, "vendor:", &m.vendor),
                    "duplicate-member",
                    format!("`{}` is listed twice in `{}`", m.vendor, list.raw.id),
                );
            }
        }
        if list.raw.sources.is_empty() {
            d.error(
                l.start(),
                "missing-source",
                format!("list `{}` has no source", list.raw.id),
            );
        }
    }
}
