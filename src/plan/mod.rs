//! The substitution plan (`sovscan plan REPORT.json`): which foreign (optionally also
//! international) components a report relies on, grouped by category, how much, and what could
//! replace them.
//!
//! Per category the plan states the foreign share among its components of known origin with
//! the unknown share beside it (every share with its denominator), the vendors and owners, the
//! components and the hosts (`fleet-hosts` of a merged report), the criticality, the units to
//! replace (Σ count × hosts) and the cost an inventory states (`cost` column), and the
//! alternatives ranked by [`alternatives`]. Within a category, rows are products where one was
//! recognised, else the category's components of one vendor (ultimate owner), named by both.
//! Rows and categories are ordered by criticality weight × units. Components of unknown vendor
//! cannot be planned for: they are counted per category, never hidden. `--policy` adds what
//! has to change for the report to pass a policy ([`policy`]). Rendering lives in
//! [`crate::report::plan`].

pub mod alternatives;
pub mod policy;

use crate::attribute::Attributor;
use crate::model::{owner_country, Component, Origin, Report};
use crate::rules::RuleDb;
pub use alternatives::{Alternative, Tier};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Schema name of the JSON plan.
pub const SCHEMA: &str = "sovscan-plan/2";
/// Category of the rows of components no evidence gave a category.
pub const UNCATEGORISED: &str = "uncategorised";
/// Host names listed per item at most (the count is always exact).
pub const MAX_HOSTS: usize = 100;
/// Property of a merged component: on how many hosts it was found.
pub const HOSTS_PROPERTY: &str = "fleet-hosts";
/// Property of a merged component: the first host names, comma-separated.
pub const HOST_LIST_PROPERTY: &str = "fleet-host-list";

/// One row to plan for: a product, or a category's components of one vendor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Product id, or `<category>:<owner>` when no product was recognised.
    pub product: String,
    /// Product name, or "<category name> — <vendor name>".
    pub name: String,
    /// Vendor id (ultimate owner).
    pub vendor: String,
    /// Vendor name.
    pub vendor_name: String,
    /// Country of the ultimate owner.
    pub country: Option<String>,
    /// Category ([`UNCATEGORISED`] when no evidence gave one).
    pub category: String,
    /// Criticality: the product's, else the category's.
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
    /// Σ of the inventory's `cost` column over its components, where one is stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<f64>,
    /// Replacements, ranked.
    pub alternatives: Vec<Alternative>,
}

/// One category of the plan, with its shares and their denominators.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryPlan {
    /// Category id ([`UNCATEGORISED`] for components with none).
    pub category: String,
    /// Category name.
    pub name: String,
    /// The category's criticality.
    pub criticality: Option<String>,
    /// Components in it (the unknown share's denominator).
    pub components: usize,
    /// Of known origin (the foreign share's denominator).
    pub known: usize,
    /// Planned for (foreign; with `--include-international` also international).
    pub planned: usize,
    /// Foreign.
    pub foreign: usize,
    /// Of unknown origin.
    pub unknown: usize,
    /// `foreign / known` (0 over nothing).
    pub foreign_share: f64,
    /// `unknown / components`.
    pub unknown_share: f64,
    /// Vendors (ultimate owners) of the planned components, `name (country)`, sorted.
    pub vendors: Vec<String>,
    /// Hosts affected (first [`MAX_HOSTS`]).
    pub hosts: Vec<String>,
    /// Number of hosts affected.
    pub host_count: u64,
    /// Σ count × hosts over the planned components.
    pub usage: u64,
    /// Σ of the inventory's `cost` column, where stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<f64>,
    /// Criticality weight × use.
    pub score: u64,
    /// Alternatives for the category as a whole, ranked.
    pub alternatives: Vec<Alternative>,
    /// Its rows ([`Item::product`]), most important first.
    pub items: Vec<String>,
}

/// The plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// Home the plan is relative to.
    pub home: String,
    /// Components counted (binaries read inside a package count through it).
    pub components: usize,
    /// Of known origin: the denominator of [`Plan::foreign`]'s share.
    pub known: usize,
    /// Foreign components.
    pub foreign: usize,
    /// Foreign components in a category with at least one sourced alternative.
    pub foreign_with_alternative: usize,
    /// Categories, most important first.
    pub categories: Vec<CategoryPlan>,
    /// Rows to replace, most important first.
    pub items: Vec<Item>,
    /// Components whose vendor is unknown (not planned for; counted per category).
    pub unknown: usize,
    /// What has to change to pass a policy (`--policy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<policy::PolicyPlan>,
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

/// Origin of a component relative to the plan's home: recomputed from the rule database's
/// vendor (whatever home the report was made with), else from the report's party.
fn class_of(at: &Attributor<'_>, countries: &[String], c: &Component) -> Origin {
    let Some(v) = &c.vendor else {
        return Origin::Unknown;
    };
    match at.party(&v.id).and_then(|p| p.class) {
        Some(o) => o,
        None => match (v.class, owner_country(v)) {
            (Some(Origin::International), _) | (_, None) => Origin::International,
            (_, Some(cc)) if countries.contains(&cc) => Origin::Domestic,
            _ => Origin::Foreign,
        },
    }
}

/// The cost an inventory row states (`inventory-cost`; currency symbols and thousands
/// separators ignored).
fn cost_of(c: &Component) -> Option<f64> {
    let raw = c.properties.get("inventory-cost")?;
    let digits: String = raw
        .chars()
        .filter(|ch| ch.is_ascii_digit() || *ch == '.' || *ch == '-')
        .collect();
    digits.parse::<f64>().ok()
}

fn add_cost(sum: &mut Option<f64>, c: Option<f64>) {
    if let Some(c) = c {
        *sum = Some(sum.unwrap_or(0.0) + c);
    }
}

/// Make the plan. `home` overrides the report's; `include_international` plans for
/// international components too.
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
    let ranker = alternatives::Ranker::new(db, &at, &countries, home);
    let wanted =
        |o: Origin| o == Origin::Foreign || (include_international && o == Origin::International);
    let mut groups: BTreeMap<String, Item> = BTreeMap::new();
    let mut hostsets: BTreeMap<String, (u64, BTreeSet<String>)> = BTreeMap::new();
    let mut cats: BTreeMap<String, CategoryPlan> = BTreeMap::new();
    let (mut components, mut known, mut foreign, mut unknown) = (0, 0, 0, 0);
    for c in r.components.iter().filter(|c| c.counted()) {
        let class = class_of(&at, &countries, c);
        let cat_id = c.category_id().unwrap_or(UNCATEGORISED).to_owned();
        let cat = cats
            .entry(cat_id.clone())
            .or_insert_with(|| category_plan(db, &cat_id));
        components += 1;
        cat.components += 1;
        match class {
            Origin::Unknown => {
                unknown += 1;
                cat.unknown += 1;
            }
            o => {
                known += 1;
                cat.known += 1;
                if o == Origin::Foreign {
                    foreign += 1;
                    cat.foreign += 1;
                }
            }
        }
        let Some(v) = c.vendor.as_deref().filter(|_| wanted(class)) else {
            continue;
        };
        cat.planned += 1;
        let owner = v.ultimate_owner.clone().unwrap_or_else(|| v.id.clone());
        let owner_name = db
            .vendors
            .get(&owner)
            .map(|o| o.raw.name.clone())
            .unwrap_or_else(|| v.name.clone());
        let (key, name, criticality) = match &c.product {
            Some(p) => {
                let name = db
                    .products
                    .get(&p.id)
                    .map(|x| x.raw.name.clone())
                    .unwrap_or_else(|| p.id.clone());
                (
                    p.id.clone(),
                    name,
                    p.criticality.clone().or_else(|| cat.criticality.clone()),
                )
            }
            None => (
                format!("{cat_id}:{owner}"),
                format!("{} — {owner_name}", cat.name),
                cat.criticality.clone(),
            ),
        };
        let (n_hosts, host_names) = hosts_of(c, r.scan.host.as_deref());
        let usage = c.count.unwrap_or(1).max(1) * n_hosts;
        let cost = cost_of(c);
        cat.usage += usage;
        add_cost(&mut cat.cost, cost);
        let item = groups.entry(key.clone()).or_insert_with(|| Item {
            product: key.clone(),
            name,
            vendor: owner.clone(),
            vendor_name: owner_name,
            country: owner_country(v),
            category: cat_id.clone(),
            criticality,
            class,
            score: 0,
            usage: 0,
            components: Vec::new(),
            hosts: Vec::new(),
            host_count: 0,
            cost: None,
            alternatives: Vec::new(),
        });
        item.usage += usage;
        add_cost(&mut item.cost, cost);
        item.components.push(c.id.clone());
        for k in [key, format!("category:{cat_id}")] {
            let hs = hostsets.entry(k).or_default();
            hs.0 = hs.0.max(n_hosts);
            for h in &host_names {
                if hs.1.len() < MAX_HOSTS {
                    hs.1.insert(h.clone());
                }
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
            let product = db
                .products
                .contains_key(&it.product)
                .then_some(it.product.as_str());
            it.alternatives = ranker.rank(product, &it.category, &it.vendor);
            it
        })
        .collect();
    items.sort_by(|a, b| b.score.cmp(&a.score).then(a.product.cmp(&b.product)));
    let mut categories: Vec<CategoryPlan> = cats
        .into_values()
        .map(|mut cat| {
            finish_category(&mut cat, &items, &ranker, &mut hostsets);
            cat
        })
        .collect();
    categories
        .sort_by(|a, b| (b.score, b.planned, &a.category).cmp(&(a.score, a.planned, &b.category)));
    let foreign_with_alternative = categories
        .iter()
        .filter(|c| !c.alternatives.is_empty())
        .map(|c| c.foreign)
        .sum();
    Ok(Plan {
        schema: SCHEMA.to_owned(),
        home: home.to_owned(),
        components,
        known,
        foreign,
        foreign_with_alternative,
        categories,
        items,
        unknown,
        policy: None,
    })
}

fn category_plan(db: &RuleDb, id: &str) -> CategoryPlan {
    let c = db.categories.get(id);
    CategoryPlan {
        category: id.to_owned(),
        name: c
            .map(|c| c.raw.name.clone())
            .unwrap_or_else(|| "No category".to_owned()),
        criticality: c.map(|c| c.raw.criticality.clone()),
        components: 0,
        known: 0,
        planned: 0,
        foreign: 0,
        unknown: 0,
        foreign_share: 0.0,
        unknown_share: 0.0,
        vendors: Vec::new(),
        hosts: Vec::new(),
        host_count: 0,
        usage: 0,
        cost: None,
        score: 0,
        alternatives: Vec::new(),
        items: Vec::new(),
    }
}

fn finish_category(
    cat: &mut CategoryPlan,
    items: &[Item],
    ranker: &alternatives::Ranker<'_>,
    hostsets: &mut BTreeMap<String, (u64, BTreeSet<String>)>,
) {
    let ratio = |n: usize, d: usize| if d == 0 { 0.0 } else { n as f64 / d as f64 };
    cat.foreign_share = ratio(cat.foreign, cat.known);
    cat.unknown_share = ratio(cat.unknown, cat.components);
    let mine: Vec<&Item> = items
        .iter()
        .filter(|i| i.category == cat.category)
        .collect();
    cat.items = mine.iter().map(|i| i.product.clone()).collect();
    let vendors: BTreeSet<String> = mine
        .iter()
        .map(|i| {
            format!(
                "{} ({})",
                i.vendor_name,
                i.country.as_deref().unwrap_or("intl")
            )
        })
        .collect();
    cat.vendors = vendors.into_iter().collect();
    let (n, set) = hostsets
        .remove(&format!("category:{}", cat.category))
        .unwrap_or_default();
    cat.host_count = n.max(set.len() as u64);
    cat.hosts = set.into_iter().collect();
    cat.score = weight(cat.criticality.as_deref()) * cat.usage;
    if cat.category != UNCATEGORISED {
        cat.alternatives = ranker.rank(None, &cat.category, "");
    }
}
