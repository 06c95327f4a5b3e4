//! The substitution plan (`sovscan plan REPORT.json`): which foreign (optionally also
//! international) products a report relies on, how much, and what could replace them.
//!
//! Components are grouped by product (or, when no product was recognised, by the vendor's
//! ultimate owner), classed relative to the home given (default: the report's home) with the
//! rule database's ownership chains, and ordered by criticality weight × use, where use is the
//! sum over the group's components of their count (inventory quantities; 1 by default) times the
//! hosts they run on (`fleet-hosts` of a merged report; 1 for a single host). Hosts are named
//! from `fleet-host-list`, an inventory row's hostname, or the report's host. Alternatives are
//! the product entry's `alternatives` whose makers are domestic (or, with
//! `--include-international`, international); when none of those qualifies, domestic products of
//! the same category are suggested and marked so. Rendering lives in [`crate::report::plan`].

use crate::attribute::Attributor;
use crate::model::{owner_country, Component, Origin, Report};
use crate::rules::RuleDb;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Schema name of the JSON plan.
pub const SCHEMA: &str = "sovscan-plan/1";
/// Host names listed per item at most (the count is always exact).
pub const MAX_HOSTS: usize = 100;
/// Property of a merged component: on how many hosts it was found.
pub const HOSTS_PROPERTY: &str = "fleet-hosts";
/// Property of a merged component: the first host names, comma-separated.
pub const HOST_LIST_PROPERTY: &str = "fleet-host-list";

/// A possible replacement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alternative {
    /// Product id.
    pub product: String,
    /// Product name.
    pub name: String,
    /// Vendor id.
    pub vendor: String,
    /// Vendor name.
    pub vendor_name: String,
    /// Country of the vendor's ultimate owner.
    pub country: Option<String>,
    /// `domestic` or `international`, relative to the plan's home.
    pub class: Origin,
    /// `listed` (the product's own alternatives) or `category` (same category).
    pub source: String,
}

/// One product to plan for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Product id, or `vendor:<owner>` when no product was recognised.
    pub product: String,
    /// Product name (or the vendor's name).
    pub name: String,
    /// Vendor id (ultimate owner).
    pub vendor: String,
    /// Vendor name.
    pub vendor_name: String,
    /// Country of the ultimate owner.
    pub country: Option<String>,
    /// Category (`uncategorised` without a product).
    pub category: String,
    /// Criticality, when the product has one.
    pub criticality: Option<String>,
    /// `foreign` or `international`.
    pub class: Origin,
    /// Criticality weight × use.
    pub score: u64,
    /// Σ count × hosts.
    pub usage: u64,
    /// Component ids.
    pub components: Vec<String>,
    /// Hosts affected (first [`MAX_HOSTS`]).
    pub hosts: Vec<String>,
    /// Number of hosts affected.
    pub host_count: u64,
    /// Replacements.
    pub alternatives: Vec<Alternative>,
}

/// The plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// Home the plan is relative to.
    pub home: String,
    /// Products to replace, most important first.
    pub items: Vec<Item>,
    /// Components whose vendor is unknown (not planned for).
    pub unknown: usize,
}

/// The weight of a criticality in the ordering.
pub fn weight(criticality: Option<&str>) -> u64 {
    match criticality {
        Some("critical") => 4,
        Some("high") => 3,
        Some("medium") => 2,
        _ => 1,
    }
}

fn hosts_of(c: &Component, report_host: Option<&str>) -> (u64, Vec<String>) {
    let list: Vec<String> = c
        .properties
        .get(HOST_LIST_PROPERTY)
        .map(|l| {
            l.split(',')
                .map(str::trim)
                .filter(|h| !h.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    match c
        .properties
        .get(HOSTS_PROPERTY)
        .and_then(|n| n.parse::<u64>().ok())
    {
        Some(n) => (n.max(1), list),
        // An inventory row names its host; a scanned component runs on the scanned host.
        None => (
            1,
            c.properties
                .get("inventory-hostname")
                .map(String::as_str)
                .or(report_host)
                .map(|h| vec![h.to_owned()])
                .unwrap_or_default(),
        ),
    }
}

/// Make the plan. `home` overrides the report's; `include_international` plans for
/// international products too (and accepts international alternatives).
pub fn plan(
    r: &Report,
    db: &RuleDb,
    home: Option<&str>,
    include_international: bool,
) -> crate::Result<Plan> {
    let home = home.or(r.scan.home.as_deref()).ok_or_else(|| {
        crate::Error::Config("the report has no home: give one with --home".to_owned())
    })?;
    let countries = db.home_countries(home)?;
    let at = Attributor::new(db, Some(countries.clone()));
    let class_of = |vendor_id: &str, fallback: &crate::model::Party| -> Origin {
        match at.party(vendor_id).and_then(|p| p.class) {
            Some(c) => c,
            None => match (fallback.class, owner_country(fallback)) {
                (Some(Origin::International), _) | (_, None) => Origin::International,
                (_, Some(cc)) if countries.contains(&cc) => Origin::Domestic,
                _ => Origin::Foreign,
            },
        }
    };
    let wanted =
        |o: Origin| o == Origin::Foreign || (include_international && o == Origin::International);
    let mut groups: BTreeMap<String, Item> = BTreeMap::new();
    let mut hostsets: BTreeMap<String, (u64, BTreeSet<String>)> = BTreeMap::new();
    let mut unknown = 0;
    // Trust anchors are not products to substitute.
    for c in r.components.iter().filter(|c| !c.kind.is_trust()) {
        let Some(v) = &c.vendor else {
            unknown += 1;
            continue;
        };
        let class = class_of(&v.id, v);
        if !wanted(class) {
            continue;
        }
        let owner = v.ultimate_owner.clone().unwrap_or_else(|| v.id.clone());
        let owner_name = db
            .vendors
            .get(&owner)
            .map(|o| o.raw.name.clone())
            .unwrap_or_else(|| v.name.clone());
        let (key, name, category, criticality) = match &c.product {
            Some(p) => {
                let name = db
                    .products
                    .get(&p.id)
                    .map(|x| x.raw.name.clone())
                    .unwrap_or_else(|| p.id.clone());
                (
                    p.id.clone(),
                    name,
                    p.category.clone(),
                    p.criticality.clone(),
                )
            }
            None => (
                format!("vendor:{owner}"),
                format!("{owner_name} (unrecognised products)"),
                "uncategorised".to_owned(),
                None,
            ),
        };
        let (n_hosts, host_names) = hosts_of(c, r.scan.host.as_deref());
        let item = groups.entry(key.clone()).or_insert_with(|| Item {
            product: key.clone(),
            name,
            vendor: owner.clone(),
            vendor_name: owner_name,
            country: owner_country(v),
            category,
            criticality,
            class,
            score: 0,
            usage: 0,
            components: Vec::new(),
            hosts: Vec::new(),
            host_count: 0,
            alternatives: Vec::new(),
        });
        item.usage += c.count.unwrap_or(1).max(1) * n_hosts;
        item.components.push(c.id.clone());
        let hs = hostsets.entry(key).or_default();
        hs.0 = hs.0.max(n_hosts);
        for h in host_names {
            if hs.1.len() < MAX_HOSTS {
                hs.1.insert(h);
            }
        }
    }
    let mut items: Vec<Item> = groups
        .into_iter()
        .map(|(key, mut it)| {
            let (n, set) = hostsets.remove(&key).unwrap_or_default();
            it.host_count = n.max(set.len() as u64);
            it.hosts = set.into_iter().collect();
            it.score = weight(it.criticality.as_deref()) * it.usage;
            it.alternatives = alternatives(db, &at, &it, include_international);
            it
        })
        .collect();
    items.sort_by(|a, b| b.score.cmp(&a.score).then(a.product.cmp(&b.product)));
    Ok(Plan {
        schema: SCHEMA.to_owned(),
        home: home.to_owned(),
        items,
        unknown,
    })
}

fn alternatives(
    db: &RuleDb,
    at: &Attributor<'_>,
    it: &Item,
    include_international: bool,
) -> Vec<Alternative> {
    let ok =
        |o: Origin| o == Origin::Domestic || (include_international && o == Origin::International);
    let make = |pid: &str, source: &str| -> Option<Alternative> {
        let p = db.products.get(pid)?;
        let party = at.party(&p.raw.vendor)?;
        let class = party.class?;
        ok(class).then(|| Alternative {
            product: p.raw.id.clone(),
            name: p.raw.name.clone(),
            vendor: party.id.clone(),
            vendor_name: party.name.clone(),
            country: owner_country(&party),
            class,
            source: source.to_owned(),
        })
    };
    let listed: Vec<Alternative> = db
        .products
        .get(&it.product)
        .map(|p| {
            p.raw
                .alternatives
                .iter()
                .filter_map(|a| make(a, "listed"))
                .collect()
        })
        .unwrap_or_default();
    if !listed.is_empty() {
        return listed;
    }
    db.products
        .values()
        .filter(|p| p.raw.category == it.category && p.raw.id != it.product)
        .filter_map(|p| make(&p.raw.id, "category"))
        .collect()
}
