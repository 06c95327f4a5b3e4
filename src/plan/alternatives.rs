//! Alternatives for a plan row: the products that could replace a component, ranked for the
//! plan's home — domestic makers first, then makers in a country that shares a union or an
//! alliance with the home (`rules/regions.yaml`, kind `union` or `alliance`: EU, EEA, NATO, SCO
//! …; forums such as the G20 do not rank), then international community projects. Makers
//! elsewhere are not alternatives: swapping one foreign dependency for another is not a plan.
//!
//! A product's own `alternatives` come first when any of them qualifies (`listed`); otherwise
//! the products of the row's category and of the categories that replace it (`replaced_by`:
//! CPU microcode is replaced with the CPU) are offered (`category`). Only products with a
//! source are offered, and never one of the row's own vendor.

use crate::attribute::Attributor;
use crate::model::{owner_country, Origin};
use crate::rules::schema::RegionKind;
use crate::rules::RuleDb;
use serde::{Deserialize, Serialize};

/// How close an alternative's maker is to the home.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tier {
    /// Owned in the home jurisdiction.
    Domestic,
    /// Owned in a country sharing a union or alliance with the home.
    Region,
    /// A community project or foundation without a national owner.
    International,
}

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
    /// Origin class relative to the plan's home.
    pub class: Origin,
    /// Rank: domestic, region, international.
    pub tier: Tier,
    /// The union or alliance shared with the home, for the `region` tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// `listed` (the product's own alternatives) or `category` (same or replacing category).
    pub source: String,
    /// Where the product can be checked (its first source).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// Ranks products for one home.
pub struct Ranker<'a> {
    db: &'a RuleDb,
    at: &'a Attributor<'a>,
    /// Unions and alliances with a member in the home (the home region itself excluded).
    regions: Vec<(String, Vec<String>)>,
    home: Vec<String>,
}

impl<'a> Ranker<'a> {
    /// A ranker for `home` (its countries, regions expanded) and its label (`CN`, `EU`).
    pub fn new(db: &'a RuleDb, at: &'a Attributor<'a>, home: &[String], label: &str) -> Self {
        let regions = db
            .regions
            .values()
            .filter(|r| r.kind != RegionKind::Forum && !r.id.eq_ignore_ascii_case(label))
            .filter(|r| r.countries.iter().any(|c| home.contains(c)))
            .map(|r| (r.kind, r.countries.len(), r.id.clone(), r.countries.clone()))
            .collect::<Vec<_>>();
        // The closest bond names the tier: a union before an alliance, a smaller one first.
        let mut regions = regions;
        regions.sort();
        let regions = regions
            .into_iter()
            .map(|(_, _, id, members)| (id, members))
            .collect();
        Ranker {
            db,
            at,
            regions,
            home: home.to_vec(),
        }
    }

    /// The product as an alternative, when its maker ranks at all.
    pub fn alternative(&self, pid: &str, source: &str) -> Option<Alternative> {
        let p = self.db.products.get(pid)?;
        let url = p.raw.sources.first().cloned();
        url.as_ref()?;
        let party = self.at.party(&p.raw.vendor)?;
        let class = party.class?;
        let country = owner_country(&party);
        let (tier, region) = match class {
            Origin::Domestic => (Tier::Domestic, None),
            Origin::International => (Tier::International, None),
            _ => {
                let cc = country.as_deref()?;
                let (id, _) = self
                    .regions
                    .iter()
                    .find(|(_, members)| members.iter().any(|m| m == cc))?;
                (Tier::Region, Some(id.clone()))
            }
        };
        Some(Alternative {
            product: p.raw.id.clone(),
            name: p.raw.name.clone(),
            vendor: party.id.clone(),
            vendor_name: party.name.clone(),
            country,
            class,
            tier,
            region,
            source: source.to_owned(),
            url,
        })
    }

    /// Alternatives for a row: of `product`'s own list, else of `category` and the categories
    /// replacing it; never of `own_vendor` (an ultimate owner); ranked, then by product id.
    pub fn rank(
        &self,
        product: Option<&str>,
        category: &str,
        own_vendor: &str,
    ) -> Vec<Alternative> {
        let own = |a: &Alternative| {
            self.db
                .ultimate_owner(&a.vendor)
                .is_some_and(|o| o.raw.id == own_vendor)
        };
        let sort = |mut v: Vec<Alternative>| {
            v.retain(|a| !own(a));
            v.sort_by(|a, b| (a.tier, &a.product).cmp(&(b.tier, &b.product)));
            v.dedup_by(|a, b| a.product == b.product);
            v
        };
        if let Some(p) = product.and_then(|p| self.db.products.get(p)) {
            let listed = sort(
                p.raw
                    .alternatives
                    .iter()
                    .filter_map(|a| self.alternative(a, "listed"))
                    .collect(),
            );
            if !listed.is_empty() {
                return listed;
            }
        }
        let cats = self.replacing(category);
        sort(
            self.db
                .products
                .values()
                .filter(|p| cats.contains(&p.raw.category.as_str()))
                .filter(|p| Some(p.raw.id.as_str()) != product)
                .filter_map(|p| self.alternative(&p.raw.id, "category"))
                .collect(),
        )
    }

    /// The categories whose products replace one of `category` (itself by default).
    pub fn replacing<'c>(&'c self, category: &'c str) -> Vec<&'c str> {
        match self.db.categories.get(category) {
            Some(c) if !c.raw.replaced_by.is_empty() => {
                c.raw.replaced_by.iter().map(String::as_str).collect()
            }
            _ => vec![category],
        }
    }

    /// The home countries.
    pub fn home(&self) -> &[String] {
        &self.home
    }
}
