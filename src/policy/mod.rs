//! Origin policies for `sovscan check`: reading a policy file (YAML) in two passes and the
//! ready policies shipped in `rules/policies/`.
//!
//! Pass one deserialises into the `Raw*` shapes of [`schema`] (unknown keys are errors, at the
//! YAML crate's line and column). Pass two, [`validate`], checks meaning against the rule
//! database — country and region codes, vendor, list, category and product ids, dates, globs,
//! thresholds — and collects every problem as `file:line:column: error[code]: message` before
//! refusing the file. Evaluation against a report is in [`eval`]; rendering is in `report/`.
//! This module never reads a report and never prints.
//!
//! Diagnostic codes: `invalid-yaml`, `bad-home`, `unknown-country`, `unknown-region`,
//! `unknown-vendor`, `unknown-list`, `unknown-origin`, `unknown-category`, `unknown-product`,
//! `empty-rule`, `bad-threshold`, `bad-level`, `bad-glob`, `bad-date`, `missing-reason`,
//! `missing-expiry`, `unknown-store`, `bad-trust-anchors`, and (found while evaluating)
//! `unused-exception`. Rules may name signers (`signers:`, [`SignerRule`]) as well as makers,
//! and trust anchors (`trust-anchors:`) apart from both.

pub mod date;
pub mod eval;
pub mod locate;
pub mod outcome;
pub mod schema;
pub mod validate;

use crate::diag::{from_yaml_error, Diagnostics};
use crate::model::Origin;
use crate::rules::RuleDb;
use date::Date;
use schema::RawPolicy;

/// Ready policies: (name usable as `builtin:<name>`, text).
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "cn-self-sufficiency",
        include_str!("../../rules/policies/cn-self-sufficiency.yaml"),
    ),
    (
        "eu-sovereignty",
        include_str!("../../rules/policies/eu-sovereignty.yaml"),
    ),
    (
        "no-unknown-origin",
        include_str!("../../rules/policies/no-unknown-origin.yaml"),
    ),
    (
        "us-covered-list",
        include_str!("../../rules/policies/us-covered-list.yaml"),
    ),
];

/// Every code `check` may print, with a short explanation (`sovscan explain CODE`): the
/// policy file's diagnostics, then the rule codes of violations.
pub const CODES: &[(&str, &str)] = &[
    ("invalid-yaml", "The policy is not valid YAML or does not have the policy's shape: a syntax error, a value of the wrong type, or an unknown key (keys are checked so that a typo never silently disables a rule)."),
    ("bad-home", "`home` is missing, or is neither an ISO 3166-1 alpha-2 country code nor a region id of rules/regions.yaml. Origin (domestic or foreign) is relative to it."),
    ("unknown-country", "A country in a rule is not an assigned ISO 3166-1 alpha-2 code."),
    ("unknown-region", "A region in a rule is not defined in rules/regions.yaml."),
    ("unknown-vendor", "A vendor id in a rule or in `allow` is not in the rule database (built-in rules plus --rules)."),
    ("unknown-list", "An entity list id is not in rules/lists/ (add the list, or --rules DIR with a lists/ folder)."),
    ("unknown-origin", "An origin class is not one of domestic, foreign, international, unknown."),
    ("unknown-category", "A category is not in the vocabulary of rules/categories.yaml (nor used by a product of the rule database)."),
    ("unknown-product", "A product id is not in the rule database's products."),
    ("empty-rule", "A deny or warn rule names nothing to match; it would never apply."),
    ("bad-threshold", "A threshold has none of `max_foreign`, `max_foreign_share` and `max_unknown_share`, a share outside 0.0–1.0, or `max_unknown_share` together with a foreign limit or `origin`."),
    ("bad-level", "A threshold's `level` is neither `deny` nor `warn`."),
    ("bad-glob", "An `exceptions` `match` or an `allow` component pattern is not a valid glob."),
    ("bad-date", "An `expires` date is not a real YYYY-MM-DD date."),
    ("missing-reason", "An exception has no `reason`: every waiver must say why it is acceptable."),
    ("missing-expiry", "An exception has no `expires`: every waiver must end."),
    ("unknown-store", "A `trust-anchors` rule names a store that is none of uefi-pk, uefi-kek, uefi-db, uefi-dbx, uefi-dbt, uefi-mok, uefi-mokx, system, system-distrust, system-disabled, java, windows-root, windows-authroot, windows-disallowed, macos, nss, nss-distrust."),
    ("bad-trust-anchors", "A rule has `trust-anchors` beside other subject or scope keys: a trust-anchor rule names its own subjects (countries, regions, owners, lists) and stores inside `trust-anchors`."),
    ("unused-exception", "Warning: an exception covered no violation of this check (its glob matches nothing, or what it matched is no longer a violation). Remove it or fix its `match`."),
    ("deny-country", "Violation: the component's vendor is ultimately owned in a denied country (the vendor's own country with `direct: true`)."),
    ("deny-region", "Violation: the ultimate owner's country is in a denied region."),
    ("deny-vendor", "Violation: the component is made by a denied vendor or by a company it owns (only the vendor itself with `direct: true`)."),
    ("deny-list", "Violation: the vendor, or one of its owners, is on a denied entity list."),
    ("deny-origin", "Violation: the component's origin class (relative to the policy's home) is denied."),
    ("deny-category", "Violation: the component is a product of a denied category."),
    ("deny-product", "Violation: the component is a denied product."),
    ("deny-signer", "Violation: the component was signed by a denied signer (by country or region of the signer's ultimate owner, vendor, owner or entity list), or, with `chain: true`, a denied issuer is in its signing chain."),
    ("deny-threshold", "Violation: reliance on foreign (or the listed origin classes of) components passes a threshold."),
    ("deny-trust-anchor", "Violation: a trust anchor (a certificate in a UEFI variable, the system CA store, a Java keystore, the Windows ROOT store…) is owned in a denied country or region, by a denied owner or a listed one, or lies in a store the rule names."),
    ("expired-exception", "Violation: a waiver's `expires` date has passed; what it covered fails again until the waiver is renewed or the component replaced."),
    ("warn-country", "Warning: as deny-country, reported without failing the check (likewise warn-region, warn-vendor, warn-list, warn-origin, warn-category, warn-product, warn-threshold, warn-trust-anchor)."),
];

/// The explanation of a code (`warn-*` codes share their `deny-*` text).
pub fn explain_code(code: &str) -> Option<&'static str> {
    let lookup = |c: &str| CODES.iter().find(|(k, _)| *k == c).map(|(_, t)| *t);
    lookup(code).or_else(|| {
        code.strip_prefix("warn-")
            .and_then(|rest| lookup(&format!("deny-{rest}")))
    })
}

/// Whether a rule denies (fails the check) or warns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// Fails the check.
    Deny,
    /// Reported; does not fail the check.
    Warn,
}

impl Level {
    /// `deny` or `warn`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Deny => "deny",
            Level::Warn => "warn",
        }
    }
}

/// A position in the policy file (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Pos {
    /// Line.
    pub line: usize,
    /// Column.
    pub column: usize,
}

/// A value of the policy with the place it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Cited<T> {
    /// The value.
    pub value: T,
    /// Where it is written.
    pub pos: Pos,
}

/// A region named by a rule, expanded to its countries.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionRef {
    /// Region id.
    pub id: String,
    /// Member countries.
    pub countries: Vec<String>,
}

/// One validated deny or warn rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Deny or warn.
    pub level: Level,
    /// Index among the rules of its level (for `deny[1]`).
    pub index: usize,
    /// Where the rule starts.
    pub pos: Pos,
    /// Countries.
    pub countries: Vec<Cited<String>>,
    /// Regions.
    pub regions: Vec<Cited<RegionRef>>,
    /// Vendors.
    pub vendors: Vec<Cited<String>>,
    /// Entity lists.
    pub lists: Vec<Cited<String>>,
    /// Origin classes.
    pub origin: Vec<Cited<Origin>>,
    /// Category scope.
    pub categories: Vec<Cited<String>>,
    /// Product scope.
    pub products: Vec<Cited<String>>,
    /// Match the vendor itself, not its owners.
    pub direct: bool,
    /// Signers matched (`signers:`), when the rule has them.
    pub signers: Option<SignerRule>,
    /// Why the rule exists.
    pub reason: Option<String>,
    /// Set for a `trust-anchors` rule: the stores it is limited to (empty: all). Such a rule
    /// applies to `certificate` components only, and only such rules apply to them.
    pub trust: Option<Vec<Cited<String>>>,
}

/// Countries, regions, vendors and lists a rule (or its `signers:`) names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Subjects {
    /// Countries.
    pub countries: Vec<Cited<String>>,
    /// Regions.
    pub regions: Vec<Cited<RegionRef>>,
    /// Vendors.
    pub vendors: Vec<Cited<String>>,
    /// Entity lists.
    pub lists: Vec<Cited<String>>,
}

impl Subjects {
    /// True when it names nothing.
    pub fn is_empty(&self) -> bool {
        self.countries.is_empty()
            && self.regions.is_empty()
            && self.vendors.is_empty()
            && self.lists.is_empty()
    }
}

/// The validated `signers:` of a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct SignerRule {
    /// Where `signers:` is written.
    pub pos: Pos,
    /// What it names.
    pub subjects: Subjects,
    /// Also match the issuers of the signing chain.
    pub chain: bool,
    /// Match the signing vendor itself, not its owners.
    pub direct: bool,
}

impl Rule {
    /// True when the rule names no subject (only a scope): everything in scope matches.
    pub fn scope_only(&self) -> bool {
        self.countries.is_empty()
            && self.regions.is_empty()
            && self.vendors.is_empty()
            && self.lists.is_empty()
            && self.origin.is_empty()
            && self.signers.is_none()
    }
}

/// A validated threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// Index in `thresholds`.
    pub index: usize,
    /// Where it is written.
    pub pos: Pos,
    /// Category it is limited to.
    pub category: Option<String>,
    /// Count limit.
    pub max_count: Option<u64>,
    /// Share limit (0–1).
    pub max_share: Option<f64>,
    /// Weigh by criticality.
    pub weighted: bool,
    /// Origin classes counted.
    pub origin: Vec<Origin>,
    /// Deny or warn.
    pub level: Level,
    /// A `max_unknown_share` threshold (origin `[unknown]`, share over all in scope).
    pub unknown_share: bool,
}

/// A validated waiver.
#[derive(Debug, Clone)]
pub struct Exception {
    /// Index in `exceptions`.
    pub index: usize,
    /// Where it is written.
    pub pos: Pos,
    /// The glob as written.
    pub pattern: String,
    /// Compiled glob.
    pub glob: globset::GlobMatcher,
    /// Why.
    pub reason: String,
    /// Last day it applies.
    pub expires: Date,
    /// Who approved it.
    pub approved_by: Option<String>,
    /// Ticket.
    pub ticket: Option<String>,
}

/// A validated policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// File name as shown in diagnostics (`policy.yaml`, `rules/policies/eu-sovereignty.yaml`).
    pub file: String,
    /// Name (from the file, else the file name).
    pub name: String,
    /// Home as written (`CN`, `EU`, `DE,FR`).
    pub home_label: String,
    /// Home countries (regions expanded), sorted.
    pub home: Vec<String>,
    /// Deny rules, then warn rules.
    pub rules: Vec<Rule>,
    /// Allowed vendor ids.
    pub allow_vendors: Vec<String>,
    /// Allowed component globs.
    pub allow_components: Vec<(String, globset::GlobMatcher)>,
    /// Thresholds.
    pub thresholds: Vec<Threshold>,
    /// Waivers.
    pub exceptions: Vec<Exception>,
}

/// Read a policy file, or `builtin:<name>`. I/O failures are errors; problems in the file are
/// diagnostics (the policy is `None` when any is an error).
pub fn load(spec: &str, db: &RuleDb) -> crate::Result<(Option<Policy>, Diagnostics)> {
    let (file, text) = match spec.strip_prefix("builtin:") {
        Some(name) => {
            let Some((_, text)) = BUILTIN.iter().find(|(n, _)| *n == name) else {
                let names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
                return Err(crate::Error::Config(format!(
                    "no built-in policy `{name}` (there are: {})",
                    names.join(", ")
                )));
            };
            (format!("rules/policies/{name}.yaml"), (*text).to_owned())
        }
        None => {
            let path = std::path::Path::new(spec);
            let text = std::fs::read_to_string(path).map_err(|source| crate::Error::Io {
                path: path.to_path_buf(),
                source,
            })?;
            (spec.to_owned(), text)
        }
    };
    Ok(parse(&file, &text, db))
}

/// Parse and validate policy text.
pub fn parse(file: &str, text: &str, db: &RuleDb) -> (Option<Policy>, Diagnostics) {
    let mut d = Diagnostics::default();
    let raw: RawPolicy = match serde_yaml::from_str::<Option<RawPolicy>>(text) {
        Ok(r) => r.unwrap_or_default(),
        Err(e) => {
            d.0.push(from_yaml_error(file, &e));
            return (None, d);
        }
    };
    let policy = validate::validate(file, text, raw, db, &mut d);
    (if d.has_errors() { None } else { Some(policy) }, d)
}
