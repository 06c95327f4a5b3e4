//! The policy file's raw shapes, as read from YAML: unknown keys are refused (with the YAML
//! crate's line and column). Values stay strings here; their meaning (country codes, vendor and
//! list ids, dates, globs) is checked in the second pass of [`super::load`].

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// One value or a list of values (`home: CN` or `home: [DE, FR]`).
#[derive(Debug, Clone, PartialEq)]
pub struct OneOrMany<T>(pub Vec<T>);

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        OneOrMany(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A hand-written visitor instead of `#[serde(untagged)]`: untagged enums buffer the
        // input and lose both the YAML position and the precise error (an unknown key).
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value or a list of values")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Vec::<T>::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(OneOrMany)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|t| OneOrMany(vec![t]))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                T::deserialize(de::value::StrDeserializer::new(v)).map(|t| OneOrMany(vec![t]))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(OneOrMany(Vec::new()))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A whole policy file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    /// Short name shown in reports.
    #[serde(default)]
    pub name: Option<String>,
    /// What the policy is for.
    #[serde(default)]
    pub description: Option<String>,
    /// Home jurisdiction: a country, a region of `rules/regions.yaml`, or a list of either.
    #[serde(default)]
    pub home: OneOrMany<String>,
    /// Rules whose matches fail the check.
    #[serde(default)]
    pub deny: OneOrMany<RawRule>,
    /// Rules whose matches are reported without failing the check.
    #[serde(default)]
    pub warn: OneOrMany<RawRule>,
    /// Vendors and components that no deny or warn rule applies to.
    #[serde(default)]
    pub allow: RawAllow,
    /// Limits on foreign reliance.
    #[serde(default)]
    pub thresholds: Vec<RawThreshold>,
    /// Time-limited waivers.
    #[serde(default)]
    pub exceptions: Vec<RawException>,
}

/// One deny or warn rule. Subject keys (`countries`, `regions`, `vendors`, `lists`, `origin`)
/// are alternatives: any one matching is enough. Scope keys (`categories`, `products`) narrow
/// the rule to those components; a rule with only scope keys matches everything in scope.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    /// ISO 3166-1 alpha-2 codes of the vendor's ultimate owner (or the vendor, with `direct`).
    #[serde(default)]
    pub countries: Vec<String>,
    /// Region ids of `rules/regions.yaml`.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Vendor ids; a vendor owned (through `parent`) by one of them matches too, unless `direct`.
    #[serde(default)]
    pub vendors: Vec<String>,
    /// Entity list ids of `rules/lists/`; a listed vendor's subsidiaries match too, unless `direct`.
    #[serde(default)]
    pub lists: Vec<String>,
    /// Origin classes: `domestic`, `foreign`, `international`, `unknown`.
    #[serde(default)]
    pub origin: Vec<String>,
    /// Product categories the rule is limited to.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Product ids the rule is limited to.
    #[serde(default)]
    pub products: Vec<String>,
    /// Match the attributed vendor itself, not its owners.
    #[serde(default)]
    pub direct: bool,
    /// Match by who signed the component instead of who made it.
    #[serde(default)]
    pub signers: Option<RawSigners>,
    /// Why the rule exists (shown with its violations).
    #[serde(default)]
    pub reason: Option<String>,
    /// A rule on trust anchors (`certificate` components) instead of components: it names
    /// its own subjects and stores and is the only kind of rule certificates are checked by.
    #[serde(default, rename = "trust-anchors")]
    pub trust_anchors: Option<RawTrustAnchors>,
}

/// `trust-anchors:` of a deny or warn rule. Subject keys (`countries`, `regions`, `owners`,
/// `lists`, `origin`) are alternatives; `stores` narrows the rule to those stores. With no subject key,
/// every anchor of the stores matches.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTrustAnchors {
    /// Countries the anchor is owned in (its vendor's ultimate owner, else the subject's `C=`).
    #[serde(default)]
    pub countries: Vec<String>,
    /// Region ids of `rules/regions.yaml`.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Vendor ids owning the anchor (or owning, through `parent`, the vendor that does).
    #[serde(default)]
    pub owners: Vec<String>,
    /// Entity list ids of `rules/lists/`.
    #[serde(default)]
    pub lists: Vec<String>,
    /// Origin classes of the anchor relative to home (`foreign`, `unknown`…): from its
    /// vendor when the rules know it, else from the subject's `C=`.
    #[serde(default)]
    pub origin: Vec<String>,
    /// Stores (`uefi-pk`, `uefi-kek`, `uefi-db`, `uefi-dbx`, `uefi-mok`, `system`, `java`,
    /// `windows-root`…); empty means every store.
    #[serde(default)]
    pub stores: Vec<String>,
}

/// The signers a rule matches (`deny: {signers: {countries: [US]}}`): the party that signed the
/// component (its `signer`, or its vendor when the vendor signed its own code) and, with
/// `chain`, every issuer named in its signing chain. Any one key matching is enough.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSigners {
    /// ISO 3166-1 alpha-2 codes of the signer's ultimate owner (the signer's own, with `direct`).
    #[serde(default)]
    pub countries: Vec<String>,
    /// Region ids of `rules/regions.yaml`.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Vendor ids; a signer owned by one of them matches too, unless `direct`.
    #[serde(default)]
    pub vendors: Vec<String>,
    /// Entity list ids; a listed vendor's subsidiaries match too, unless `direct`.
    #[serde(default)]
    pub lists: Vec<String>,
    /// Also match the issuers of the signing chain (the CAs above the signer).
    #[serde(default)]
    pub chain: bool,
    /// Match the signing vendor itself, not its owners.
    #[serde(default)]
    pub direct: bool,
}

/// Overrides: these are never denied or warned about.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAllow {
    /// Vendor ids (and everything they own).
    #[serde(default)]
    pub vendors: Vec<String>,
    /// Component id or purl globs.
    #[serde(default)]
    pub components: Vec<String>,
}

/// A limit on foreign reliance, overall or in one category.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawThreshold {
    /// Limit to one product category.
    #[serde(default)]
    pub category: Option<String>,
    /// At most this many counted components.
    #[serde(default)]
    pub max_foreign: Option<u64>,
    /// At most this share (0.0–1.0) of counted components. Its denominator is the components
    /// in scope whose origin is known, unless `origin` lists `unknown`, when it is all of them.
    #[serde(default)]
    pub max_foreign_share: Option<f64>,
    /// At most this share (0.0–1.0) of the components in scope of unknown origin. Stands
    /// alone in its threshold.
    #[serde(default)]
    pub max_unknown_share: Option<f64>,
    /// Weigh components by product criticality (low 1, medium 2, high 3, critical 4).
    #[serde(default)]
    pub weighted: bool,
    /// Origin classes that count (default `[foreign]`).
    #[serde(default)]
    pub origin: Vec<String>,
    /// `deny` (default) or `warn`.
    #[serde(default)]
    pub level: Option<String>,
}

/// A waiver.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawException {
    /// Component id or purl glob (`pkg:npm/%40acme/*`, `deb:openssl@*`).
    #[serde(rename = "match")]
    pub pattern: String,
    /// Why the waiver is acceptable (required).
    #[serde(default)]
    pub reason: Option<String>,
    /// Last day the waiver applies, `YYYY-MM-DD` (required).
    #[serde(default)]
    pub expires: Option<String>,
    /// Who approved it.
    #[serde(default)]
    pub approved_by: Option<String>,
    /// Tracking ticket.
    #[serde(default)]
    pub ticket: Option<String>,
}
