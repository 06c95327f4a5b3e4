//! Attribution: evidence × rules → vendor, supplier, product, origin and confidence.
//!
//! Each piece of evidence is matched once against the compiled [`Matcher`]; a match carries a
//! strength set by the kind of evidence (a signing certificate or a hardware id beats a
//! homepage, which beats a maintainer or a string found in the bytes). Strengths for the same
//! vendor combine as independent witnesses (`1 − Π(1 − s)`); the vendor with the highest score
//! wins (ties broken by id, so the result never depends on order). The ownership chain is then
//! followed to the ultimate owner, whose country decides the origin relative to home.
//!
//! Nothing here reads files; collectors never call it.

use crate::model::{Component, EvidenceKind, Origin, Party, ProductRef};
use crate::rules::matcher::Matcher;
use crate::rules::{RuleDb, Vendor};
use std::collections::BTreeMap;

/// Below this score the vendor is left unknown rather than guessed.
pub const MIN_SCORE: f64 = 0.25;

/// Attributes components with one rule database and one home.
pub struct Attributor<'a> {
    db: &'a RuleDb,
    matcher: Matcher,
    /// Countries of the home jurisdiction; `None` when no home was given.
    home: Option<Vec<String>>,
}

impl<'a> Attributor<'a> {
    /// Compile the matchers. `home` is the set of home countries (already expanded from regions).
    pub fn new(db: &'a RuleDb, home: Option<Vec<String>>) -> Self {
        Attributor { db, matcher: Matcher::new(db), home }
    }

    /// The compiled matchers.
    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    /// Attribute one component in place.
    pub fn attribute(&self, c: &mut Component) {
        let mut scores: BTreeMap<String, f64> = BTreeMap::new();
        let mut products: BTreeMap<String, f64> = BTreeMap::new();
        let mut supplier: Option<String> = None;
        for e in &mut c.evidence {
            if e.kind == EvidenceKind::Distributor {
                if let Some(h) = self.matcher.supplier(&e.value) {
                    e.rule = Some(h.rule);
                    supplier.get_or_insert(h.vendor);
                }
                continue;
            }
            let Some(hit) = self.matcher.evidence(e.kind, &e.value) else { continue };
            e.rule = Some(hit.rule.clone());
            if let Some(p) = &hit.product {
                let s = products.entry(p.clone()).or_insert(0.0);
                *s = s.max(hit.strength);
            }
            let s = scores.entry(hit.vendor).or_insert(0.0);
            *s = 1.0 - (1.0 - *s) * (1.0 - hit.strength);
        }
        let total: f64 = scores.values().sum();
        let best = scores
            .iter()
            .max_by(|a, b| a.1.total_cmp(b.1).then_with(|| b.0.cmp(a.0)))
            .map(|(id, s)| (id.clone(), *s));
        c.supplier = supplier.and_then(|id| self.party(&id));
        c.vendor = None;
        c.origin = None;
        c.confidence = 0.0;
        if let Some((id, score)) = best.filter(|(_, s)| *s >= MIN_SCORE) {
            c.vendor = self.party(&id);
            c.confidence = round2(score * (score / total.max(score)));
        }
        // A product is named only when it agrees with the vendor chosen (or no vendor was).
        c.product = products
            .iter()
            .filter(|(pid, _)| {
                let pv = self.db.products.get(*pid).map(|p| p.raw.vendor.as_str());
                c.vendor.as_ref().is_none_or(|v| Some(v.id.as_str()) == pv)
            })
            .max_by(|a, b| a.1.total_cmp(b.1).then_with(|| b.0.cmp(a.0)))
            .and_then(|(pid, _)| self.db.products.get(pid))
            .map(|p| ProductRef {
                id: p.raw.id.clone(),
                category: p.raw.category.clone(),
                criticality: p.raw.criticality.clone(),
            });
        if self.home.is_some() {
            c.origin = Some(match &c.vendor {
                Some(v) => self.origin_of(v),
                None => Origin::Unknown,
            });
        }
    }

    /// A party (vendor or supplier) with ownership and class filled in.
    pub fn party(&self, id: &str) -> Option<Party> {
        let v = self.db.vendors.get(id)?;
        let owner = self.db.ultimate_owner(id).unwrap_or(v);
        let owner_country = (owner.raw.id != v.raw.id && owner.raw.country != v.raw.country)
            .then(|| owner.raw.country.clone())
            .flatten();
        let mut p = Party {
            id: v.raw.id.clone(),
            name: v.raw.name.clone(),
            country: v.raw.country.clone(),
            ultimate_owner: Some(owner.raw.id.clone()),
            owner_country,
            class: None,
        };
        if self.home.is_some() {
            p.class = Some(self.class(v, owner));
        }
        Some(p)
    }

    fn class(&self, v: &Vendor, owner: &Vendor) -> Origin {
        if owner.is_international() && v.is_international() {
            return Origin::International;
        }
        let Some(home) = &self.home else { return Origin::Unknown };
        match owner.raw.country.as_ref().or(v.raw.country.as_ref()) {
            Some(cc) if home.contains(cc) => Origin::Domestic,
            Some(_) => Origin::Foreign,
            None => Origin::International,
        }
    }

    fn origin_of(&self, p: &Party) -> Origin {
        p.class.unwrap_or(Origin::Unknown)
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
