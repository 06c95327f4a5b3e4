//! Attribution: evidence × rules → vendor, supplier, product, origin and confidence.
//!
//! Each piece of evidence is matched once against the compiled [`Matcher`]; a match carries a
//! strength set by the kind of evidence (a signing certificate or a hardware id beats a
//! homepage, which beats a maintainer or a string found in the bytes). Evidence falls into
//! tiers (signer subject and hardware ids > a company name written into the artifact >
//! package metadata > file names > strings): only vendors matched in the highest tier present
//! compete, so no pile of weak facts outvotes a signature. Within it, strengths for the same
//! vendor combine as independent witnesses (`1 − Π(1 − s)`) and the vendor with the highest
//! score wins (ties broken by id, so the result never depends on order). A signer that is not
//! the vendor chosen (or that only vouches for the code, as Microsoft's attestation signing
//! does) is kept as the component's `signer`. Board evidence (a device tree's board
//! `compatible` or `model`, a board folder) names the `board` party and never competes for the
//! vendor. The ownership chain is then
//! followed to the ultimate owner, whose country decides the origin relative to home. Last, the
//! component's category is decided from its evidence ([`crate::category`]).
//!
//! Nothing here reads files; collectors never call it.

use crate::category::Categoriser;
use crate::model::{Component, EvidenceKind, Origin, Party, ProductRef};
use crate::rules::matcher::{Hit, Matcher};
use crate::rules::{RuleDb, Vendor};
use std::collections::{BTreeMap, BTreeSet};

/// Below this score the vendor is left unknown rather than guessed.
pub const MIN_SCORE: f64 = 0.25;
/// The winner must lead the runner-up by this much, unless its evidence is decisive.
pub const MIN_MARGIN: f64 = 0.1;
/// Evidence at least this strong (signer subject, hardware ids) decides on its own.
pub const DECISIVE: f64 = 0.9;

/// Attributes components with one rule database and one home.
pub struct Attributor<'a> {
    db: &'a RuleDb,
    matcher: Matcher,
    categoriser: Categoriser,
    /// Countries of the home jurisdiction; `None` when no home was given.
    home: Option<Vec<String>>,
}

impl<'a> Attributor<'a> {
    /// Compile the matchers. `home` is the set of home countries (already expanded from regions).
    pub fn new(db: &'a RuleDb, home: Option<Vec<String>>) -> Self {
        Attributor {
            db,
            matcher: Matcher::new(db),
            categoriser: Categoriser::new(db),
            home,
        }
    }

    /// The compiled matchers.
    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    /// Attribute one component in place.
    pub fn attribute(&self, c: &mut Component) {
        let mut hits: Vec<(EvidenceKind, Hit)> = Vec::new();
        let mut supplier: Option<String> = None;
        let mut signer: Option<(f64, String)> = None;
        let mut board: Option<(f64, String)> = None;
        for e in &mut c.evidence {
            if e.kind == EvidenceKind::Board {
                // The board or OEM: its own party, never a candidate for the vendor.
                if let Some(h) = self.matcher.board(&e.value) {
                    e.rule = Some(h.rule);
                    if board.as_ref().is_none_or(|(s, _)| h.strength > *s) {
                        board = Some((h.strength, h.vendor));
                    }
                }
                continue;
            }
            if e.kind == EvidenceKind::Distributor {
                if let Some(h) = self.matcher.supplier(&e.value) {
                    e.rule = Some(h.rule);
                    supplier.get_or_insert(h.vendor);
                }
                continue;
            }
            let Some(hit) = self.matcher.evidence(e.kind, &e.value) else {
                continue;
            };
            e.rule = Some(hit.rule.clone());
            if matches!(
                e.kind,
                EvidenceKind::SignerSubject | EvidenceKind::AttestationSigner
            ) {
                let better = match &signer {
                    None => true,
                    Some((s, id)) => hit.strength > *s || (hit.strength == *s && hit.vendor < *id),
                };
                if better {
                    signer = Some((hit.strength, hit.vendor.clone()));
                }
            }
            if e.kind == EvidenceKind::AttestationSigner {
                // Who vouched for the code, not who made it.
                continue;
            }
            hits.push((e.kind, hit));
        }
        // A maintainer from the supplier (a distribution's packager) says who ships the
        // component, not who makes it.
        if let Some(sup) = &supplier {
            hits.retain(|(k, h)| !(*k == EvidenceKind::Maintainer && &h.vendor == sup));
        }
        // Copyright files name many holders: when they point at several vendors, each says
        // little about which one makes the component.
        let holder_vendors: BTreeSet<&str> = hits
            .iter()
            .filter(|(k, _)| *k == EvidenceKind::CopyrightHolder)
            .map(|(_, h)| h.vendor.as_str())
            .collect();
        let holder_weight = 1.0 / holder_vendors.len().max(1) as f64;
        // Per tier, per vendor: combined score, and the strongest single fact.
        let mut scores: BTreeMap<(u8, String), f64> = BTreeMap::new();
        let mut strongest: BTreeMap<String, f64> = BTreeMap::new();
        let mut products: BTreeMap<String, f64> = BTreeMap::new();
        for (kind, hit) in &hits {
            let strength = if *kind == EvidenceKind::CopyrightHolder {
                hit.strength * holder_weight
            } else {
                hit.strength
            };
            if let Some(p) = &hit.product {
                let s = products.entry(p.clone()).or_insert(0.0);
                *s = s.max(strength);
            }
            let s = scores
                .entry((tier(*kind, hit.strength), hit.vendor.clone()))
                .or_insert(0.0);
            *s = 1.0 - (1.0 - *s) * (1.0 - strength);
            let m = strongest.entry(hit.vendor.clone()).or_insert(0.0);
            *m = m.max(strength);
        }
        // Only the highest tier with any match competes; within it the best combined score
        // wins, and must stand clearly above the runner-up unless its evidence is decisive.
        let top = scores.keys().map(|(t, _)| *t).max();
        let mut ranked: Vec<(&str, f64)> = scores
            .iter()
            .filter(|((t, _), _)| Some(*t) == top)
            .map(|((_, v), s)| (v.as_str(), *s))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let total: f64 = ranked.iter().map(|(_, s)| s).sum();
        let best = ranked.first().map(|(id, s)| ((*id).to_owned(), *s));
        let runner_up = ranked.get(1).map(|(_, s)| *s).unwrap_or(0.0);
        c.supplier = supplier.and_then(|id| self.party(&id)).map(Box::new);
        c.vendor = None;
        c.origin = None;
        c.confidence = 0.0;
        if let Some((id, score)) = best {
            let decisive = strongest.get(&id).copied().unwrap_or(0.0) >= DECISIVE;
            if score >= MIN_SCORE && (decisive || score - runner_up >= MIN_MARGIN) {
                c.vendor = self.party(&id).map(Box::new);
                c.confidence = round2(score * (score / total.max(score)));
            }
        }
        c.signer = signer
            .filter(|(_, id)| c.vendor.as_deref().map(|v| &v.id) != Some(id))
            .and_then(|(_, id)| self.party(&id))
            .map(Box::new);
        c.board = board.and_then(|(_, id)| self.party(&id)).map(Box::new);
        // A product is named only when it agrees with the vendor chosen (or no vendor was).
        c.product = products
            .iter()
            .filter(|(pid, _)| {
                let pv = self.db.products.get(*pid).map(|p| p.raw.vendor.as_str());
                c.vendor
                    .as_deref()
                    .is_none_or(|v| Some(v.id.as_str()) == pv)
            })
            .max_by(|a, b| a.1.total_cmp(b.1).then_with(|| b.0.cmp(a.0)))
            .and_then(|(pid, _)| self.db.products.get(pid))
            .map(|p| ProductRef {
                id: p.raw.id.clone(),
                category: p.raw.category.clone(),
                criticality: p.raw.criticality.clone(),
            });
        let category = self.categoriser.decide(c);
        c.category_from = category.as_ref().map(|d| d.from.clone());
        c.category = category.map(|d| d.id);
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
        let Some(home) = &self.home else {
            return Origin::Unknown;
        };
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

/// Evidence tiers: a vendor with evidence in a higher tier beats any sum of lower-tier
/// evidence. Signer subjects and hardware ids, then company names the vendor wrote into the
/// artifact (exact matches: PE CompanyName, Publisher, rpm Vendor), then package metadata,
/// then path conventions (file names), then strings found in the bytes.
fn tier(kind: EvidenceKind, strength: f64) -> u8 {
    use EvidenceKind as K;
    match kind {
        K::SignerSubject | K::PciVendorId | K::UsbVendorId | K::CpuVendorId | K::DtCompatible => 4,
        K::CompanyName if strength >= 0.85 => 3,
        K::BinaryName => 1,
        K::String => 0,
        _ => 2,
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ComponentKind;

    fn attributor_test(evidence: &[(EvidenceKind, &str)]) -> Component {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/binaries-rules");
        let db = crate::rules::load_strict(&[dir]).expect("test rules load");
        let a = Attributor::new(&db, Some(vec!["DE".to_owned()]));
        let mut c = Component::new(ComponentKind::Binary, Some("pe"), "x.sys", None);
        for (k, v) in evidence {
            c.add_evidence(*k, v, "/x.sys");
        }
        a.attribute(&mut c);
        c
    }

    #[test]
    fn signer_beats_any_pile_of_weaker_evidence_and_the_loser_is_kept() {
        use EvidenceKind as K;
        let c = attributor_test(&[
            (K::SignerSubject, "Acme Software GmbH"),
            (K::CompanyName, "Microsoft Corporation"),
            (K::CopyrightHolder, "Copyright Microsoft Corporation"),
            (K::Url, "https://www.microsoft.com/"),
        ]);
        assert_eq!(
            c.vendor.as_deref().map(|v| v.id.as_str()),
            Some("acme-gmbh")
        );
        assert_eq!(c.origin, Some(Origin::Domestic));
        assert_eq!(c.signer, None, "the signer is the vendor");
    }

    #[test]
    fn company_name_beats_package_metadata_and_strings() {
        use EvidenceKind as K;
        let c = attributor_test(&[
            (K::CompanyName, "Acme Software GmbH"),
            (K::Url, "https://www.microsoft.com/"),
            (K::CopyrightHolder, "Microsoft Corporation"),
            (K::String, "Microsoft Corporation"),
            (K::String, "Apple Inc."),
        ]);
        assert_eq!(
            c.vendor.as_deref().map(|v| v.id.as_str()),
            Some("acme-gmbh")
        );
        let c = attributor_test(&[
            (K::String, "Apple Inc."),
            (K::Url, "https://www.python.org/"),
        ]);
        assert_eq!(c.vendor.as_deref().map(|v| v.id.as_str()), Some("psf"));
    }

    #[test]
    fn attestation_signer_is_kept_but_never_makes_the_vendor() {
        use EvidenceKind as K;
        // A driver made by one company and signed through Microsoft's hardware programme.
        let c = attributor_test(&[
            (K::AttestationSigner, "Microsoft Corporation"),
            (K::CompanyName, "Acme Software GmbH"),
        ]);
        assert_eq!(
            c.vendor.as_deref().map(|v| v.id.as_str()),
            Some("acme-gmbh")
        );
        assert_eq!(
            c.signer.as_deref().map(|v| v.id.as_str()),
            Some("microsoft")
        );
        assert_eq!(
            c.signer.as_deref().and_then(|v| v.country.as_deref()),
            Some("US")
        );
        // Nothing but the attestation: no vendor, the signer still said.
        let c = attributor_test(&[(K::AttestationSigner, "Microsoft Corporation")]);
        assert!(c.vendor.is_none());
        assert_eq!(c.origin, Some(Origin::Unknown));
        assert_eq!(
            c.signer.as_deref().map(|v| v.id.as_str()),
            Some("microsoft")
        );
    }
}
