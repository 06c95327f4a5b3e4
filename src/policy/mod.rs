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
//! `missing-expiry`, and (found while evaluating) `unused-exception`.

pub mod date;
pub mod eval;
pub mod locate;
pub mod schema;

use crate::diag::{from_yaml_error, Diagnostics};
use crate::model::Origin;
use crate::rules::{iso, RuleDb};
use date::Date;
use locate::{PathLocator, Seg};
use schema::{RawPolicy, RawRule};

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

/// Product categories a policy may name even when no product of the rule database has them
/// yet (the database grows; a policy written for a category must not break meanwhile).
pub const KNOWN_CATEGORIES: &[&str] = &[
    "antivirus",
    "bios-firmware",
    "browser",
    "bmc-firmware",
    "cloud",
    "collaboration",
    "compiler",
    "container-runtime",
    "cpu",
    "crypto-library",
    "database",
    "desktop-environment",
    "erp",
    "gpu",
    "hypervisor",
    "identity",
    "messaging",
    "middleware",
    "mobile-os",
    "network-equipment",
    "office-suite",
    "operating-system",
    "programming-language",
    "runtime",
    "security",
    "storage",
    "surveillance-camera",
    "telecom-equipment",
    "web-browser",
    "web-server",
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
    ("unknown-category", "A product category is neither a known category nor used by a product of the rule database."),
    ("unknown-product", "A product id is not in the rule database's products."),
    ("empty-rule", "A deny or warn rule names nothing to match; it would never apply."),
    ("bad-threshold", "A threshold has neither `max_foreign` nor `max_foreign_share`, or a share outside 0.0–1.0."),
    ("bad-level", "A threshold's `level` is neither `deny` nor `warn`."),
    ("bad-glob", "An `exceptions` `match` or an `allow` component pattern is not a valid glob."),
    ("bad-date", "An `expires` date is not a real YYYY-MM-DD date."),
    ("missing-reason", "An exception has no `reason`: every waiver must say why it is acceptable."),
    ("missing-expiry", "An exception has no `expires`: every waiver must end."),
    ("unused-exception", "Warning: an exception covered no violation of this check (its glob matches nothing, or what it matched is no longer a violation). Remove it or fix its `match`."),
    ("deny-country", "Violation: the component's vendor is ultimately owned in a denied country (the vendor's own country with `direct: true`)."),
    ("deny-region", "Violation: the ultimate owner's country is in a denied region."),
    ("deny-vendor", "Violation: the component is made by a denied vendor or by a company it owns (only the vendor itself with `direct: true`)."),
    ("deny-list", "Violation: the vendor, or one of its owners, is on a denied entity list."),
    ("deny-origin", "Violation: the component's origin class (relative to the policy's home) is denied."),
    ("deny-category", "Violation: the component is a product of a denied category."),
    ("deny-product", "Violation: the component is a denied product."),
    ("deny-threshold", "Violation: reliance on foreign (or the listed origin classes of) components passes a threshold."),
    ("expired-exception", "Violation: a waiver's `expires` date has passed; what it covered fails again until the waiver is renewed or the component replaced."),
    ("warn-country", "Warning: as deny-country, reported without failing the check (likewise warn-region, warn-vendor, warn-list, warn-origin, warn-category, warn-product, warn-threshold)."),
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
    /// Why the rule exists.
    pub reason: Option<String>,
}

impl Rule {
    /// True when the rule names no subject (only a scope): everything in scope matches.
    pub fn scope_only(&self) -> bool {
        self.countries.is_empty()
            && self.regions.is_empty()
            && self.vendors.is_empty()
            && self.lists.is_empty()
            && self.origin.is_empty()
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
    let policy = validate(file, text, raw, db, &mut d);
    (if d.has_errors() { None } else { Some(policy) }, d)
}

struct Ctx<'a> {
    loc: PathLocator<'a>,
    db: &'a RuleDb,
}

impl Ctx<'_> {
    fn pos(&self, path: &[Seg<'_>], value: Option<&str>) -> Pos {
        let s = self.loc.find(path, value);
        Pos {
            line: s.line,
            column: s.column,
        }
    }

    fn err(
        &self,
        d: &mut Diagnostics,
        path: &[Seg<'_>],
        value: Option<&str>,
        code: &'static str,
        msg: String,
    ) {
        d.error(self.loc.find(path, value), code, msg);
    }
}

/// Second pass: meaning. Every problem goes into `d`.
pub fn validate(
    file: &str,
    text: &str,
    raw: RawPolicy,
    db: &RuleDb,
    d: &mut Diagnostics,
) -> Policy {
    let cx = Ctx {
        loc: PathLocator::new(file, text),
        db,
    };
    let mut home = Vec::new();
    for h in &raw.home.0 {
        match db.home_countries(h) {
            Ok(cc) => home.extend(cc),
            Err(_) => cx.err(d, &[Seg::Key("home")], Some(h), "bad-home", format!("home `{h}` is neither an ISO 3166-1 alpha-2 country code nor a region of rules/regions.yaml")),
        }
    }
    if raw.home.0.is_empty() {
        cx.err(
            d,
            &[],
            None,
            "bad-home",
            "the policy has no `home` (a country such as CN, a region such as EU, or a list)"
                .to_owned(),
        );
    }
    home.sort();
    home.dedup();
    let mut rules = Vec::new();
    let multi_deny = raw.deny.0.len() > 1;
    for (i, r) in raw.deny.0.iter().enumerate() {
        rules.push(rule(&cx, d, r, Level::Deny, i, multi_deny));
    }
    let multi_warn = raw.warn.0.len() > 1;
    for (i, r) in raw.warn.0.iter().enumerate() {
        rules.push(rule(&cx, d, r, Level::Warn, i, multi_warn));
    }
    for v in &raw.allow.vendors {
        check_vendor(&cx, d, &[Seg::Key("allow"), Seg::Key("vendors")], v);
    }
    let allow_components = raw
        .allow
        .components
        .iter()
        .filter_map(|g| {
            glob(&cx, d, &[Seg::Key("allow"), Seg::Key("components")], g).map(|m| (g.clone(), m))
        })
        .collect();
    let thresholds = raw
        .thresholds
        .iter()
        .enumerate()
        .map(|(i, t)| threshold(&cx, d, t, i))
        .collect();
    let mut exceptions = Vec::new();
    for (i, e) in raw.exceptions.iter().enumerate() {
        let at = [Seg::Key("exceptions"), Seg::Item(i)];
        let glob = glob(
            &cx,
            d,
            &[Seg::Key("exceptions"), Seg::Item(i), Seg::Key("match")],
            &e.pattern,
        );
        let reason = e.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
        if reason.is_none() {
            cx.err(
                d,
                &at,
                None,
                "missing-reason",
                format!(
                    "exception `{}` has no `reason`: every waiver says why",
                    e.pattern
                ),
            );
        }
        let expires = match e.expires.as_deref() {
            None => {
                cx.err(
                    d,
                    &at,
                    None,
                    "missing-expiry",
                    format!(
                        "exception `{}` has no `expires: YYYY-MM-DD`: every waiver ends",
                        e.pattern
                    ),
                );
                None
            }
            Some(s) => {
                let date = Date::parse(s);
                if date.is_none() {
                    cx.err(
                        d,
                        &[Seg::Key("exceptions"), Seg::Item(i), Seg::Key("expires")],
                        Some(s),
                        "bad-date",
                        format!("`{s}` is not a date (YYYY-MM-DD)"),
                    );
                }
                date
            }
        };
        if let (Some(glob), Some(reason), Some(expires)) = (glob, reason, expires) {
            exceptions.push(Exception {
                index: i,
                pos: cx.pos(&at, None),
                pattern: e.pattern.clone(),
                glob,
                reason: reason.to_owned(),
                expires,
                approved_by: e.approved_by.clone(),
                ticket: e.ticket.clone(),
            });
        }
    }
    let name = raw.name.clone().unwrap_or_else(|| {
        std::path::Path::new(file)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| file.to_owned())
    });
    Policy {
        file: file.to_owned(),
        name,
        home_label: raw.home.0.join(","),
        home,
        rules,
        allow_vendors: raw.allow.vendors.clone(),
        allow_components,
        thresholds,
        exceptions,
    }
}

fn check_vendor(cx: &Ctx<'_>, d: &mut Diagnostics, path: &[Seg<'_>], v: &str) -> bool {
    let ok = cx.db.vendors.contains_key(v);
    if !ok {
        cx.err(
            d,
            path,
            Some(v),
            "unknown-vendor",
            format!("`{v}` is not a vendor id of the rule database"),
        );
    }
    ok
}

fn glob(
    cx: &Ctx<'_>,
    d: &mut Diagnostics,
    path: &[Seg<'_>],
    g: &str,
) -> Option<globset::GlobMatcher> {
    // `literal_separator(false)`: `*` crosses `/` so `pkg:npm/*` matches scoped packages too.
    match globset::GlobBuilder::new(g)
        .literal_separator(false)
        .build()
    {
        Ok(m) if !g.trim().is_empty() => Some(m.compile_matcher()),
        Ok(_) => {
            cx.err(d, path, None, "bad-glob", "empty glob".to_owned());
            None
        }
        Err(e) => {
            cx.err(
                d,
                path,
                Some(g),
                "bad-glob",
                format!("`{g}` is not a valid glob: {}", e.kind()),
            );
            None
        }
    }
}

fn parse_origin(s: &str) -> Option<Origin> {
    match s {
        "domestic" => Some(Origin::Domestic),
        "foreign" => Some(Origin::Foreign),
        "international" => Some(Origin::International),
        "unknown" => Some(Origin::Unknown),
        _ => None,
    }
}

fn origins(
    cx: &Ctx<'_>,
    d: &mut Diagnostics,
    path: &[Seg<'_>],
    values: &[String],
) -> Vec<Cited<Origin>> {
    values
        .iter()
        .filter_map(|o| match parse_origin(o) {
            Some(v) => Some(Cited {
                value: v,
                pos: cx.pos(path, Some(o)),
            }),
            None => {
                cx.err(
                    d,
                    path,
                    Some(o),
                    "unknown-origin",
                    format!(
                        "`{o}` is not an origin class (domestic, foreign, international, unknown)"
                    ),
                );
                None
            }
        })
        .collect()
}

fn known_category(db: &RuleDb, c: &str) -> bool {
    KNOWN_CATEGORIES.contains(&c) || db.products.values().any(|p| p.raw.category == c)
}

fn rule(
    cx: &Ctx<'_>,
    d: &mut Diagnostics,
    r: &RawRule,
    level: Level,
    index: usize,
    multi: bool,
) -> Rule {
    let top = level.as_str();
    let base: Vec<Seg<'static>> = if multi {
        vec![Seg::Key(top), Seg::Item(index)]
    } else {
        vec![Seg::Key(top)]
    };
    let at = |key: &'static str| -> Vec<Seg<'static>> {
        let mut p = base.clone();
        p.push(Seg::Key(key));
        p
    };
    let cite = |key: &'static str, v: &str| Cited {
        value: v.to_owned(),
        pos: cx.pos(&at(key), Some(v)),
    };
    let mut countries = Vec::new();
    for cc in &r.countries {
        if iso::is_country(cc) {
            countries.push(cite("countries", cc));
        } else {
            cx.err(
                d,
                &at("countries"),
                Some(cc),
                "unknown-country",
                format!("\"{cc}\" is not an ISO 3166-1 alpha-2 country code"),
            );
        }
    }
    let mut regions = Vec::new();
    for id in &r.regions {
        match cx.db.regions.get(id) {
            Some(reg) => regions.push(Cited {
                value: RegionRef {
                    id: id.clone(),
                    countries: reg.countries.clone(),
                },
                pos: cx.pos(&at("regions"), Some(id)),
            }),
            None => cx.err(
                d,
                &at("regions"),
                Some(id),
                "unknown-region",
                format!("`{id}` is not a region of rules/regions.yaml"),
            ),
        }
    }
    let vendors = r
        .vendors
        .iter()
        .filter(|v| check_vendor(cx, d, &at("vendors"), v))
        .map(|v| cite("vendors", v))
        .collect();
    let mut lists = Vec::new();
    for l in &r.lists {
        if cx.db.lists.contains_key(l) {
            lists.push(cite("lists", l));
        } else {
            let known: Vec<&str> = cx.db.lists.keys().map(String::as_str).collect();
            let known = if known.is_empty() {
                "none are loaded".to_owned()
            } else {
                format!("known: {}", known.join(", "))
            };
            cx.err(
                d,
                &at("lists"),
                Some(l),
                "unknown-list",
                format!("`{l}` is not an entity list of rules/lists/ ({known})"),
            );
        }
    }
    let origin = origins(cx, d, &at("origin"), &r.origin);
    let mut categories = Vec::new();
    for c in &r.categories {
        if known_category(cx.db, c) {
            categories.push(cite("categories", c));
        } else {
            cx.err(
                d,
                &at("categories"),
                Some(c),
                "unknown-category",
                format!("`{c}` is not a product category"),
            );
        }
    }
    let mut products = Vec::new();
    for p in &r.products {
        if cx.db.products.contains_key(p) {
            products.push(cite("products", p));
        } else {
            cx.err(
                d,
                &at("products"),
                Some(p),
                "unknown-product",
                format!("`{p}` is not a product id of the rule database"),
            );
        }
    }
    let rule = Rule {
        level,
        index,
        pos: cx.pos(&base, None),
        countries,
        regions,
        vendors,
        lists,
        origin,
        categories,
        products,
        direct: r.direct,
        reason: r.reason.clone(),
    };
    let named = r.countries.len()
        + r.regions.len()
        + r.vendors.len()
        + r.lists.len()
        + r.origin.len()
        + r.categories.len()
        + r.products.len();
    if named == 0 {
        cx.err(d, &base, None, "empty-rule", format!("this {top} rule names nothing to match (countries, regions, vendors, lists, origin, categories or products)"));
    }
    rule
}

fn threshold(cx: &Ctx<'_>, d: &mut Diagnostics, t: &schema::RawThreshold, i: usize) -> Threshold {
    let at = [Seg::Key("thresholds"), Seg::Item(i)];
    if let Some(c) = &t.category {
        if !known_category(cx.db, c) {
            cx.err(
                d,
                &[Seg::Key("thresholds"), Seg::Item(i), Seg::Key("category")],
                Some(c),
                "unknown-category",
                format!("`{c}` is not a product category"),
            );
        }
    }
    if t.max_foreign.is_none() && t.max_foreign_share.is_none() {
        cx.err(
            d,
            &at,
            None,
            "bad-threshold",
            "a threshold needs `max_foreign` (a count) or `max_foreign_share` (0.0–1.0)".to_owned(),
        );
    }
    if let Some(s) = t.max_foreign_share {
        if !(0.0..=1.0).contains(&s) {
            let path = [
                Seg::Key("thresholds"),
                Seg::Item(i),
                Seg::Key("max_foreign_share"),
            ];
            cx.err(
                d,
                &path,
                Some(&s.to_string()),
                "bad-threshold",
                format!("max_foreign_share {s} is not a share between 0.0 and 1.0 (25 % is 0.25)"),
            );
        }
    }
    let mut origin: Vec<Origin> = origins(
        cx,
        d,
        &[Seg::Key("thresholds"), Seg::Item(i), Seg::Key("origin")],
        &t.origin,
    )
    .into_iter()
    .map(|c| c.value)
    .collect();
    if origin.is_empty() {
        origin.push(Origin::Foreign);
    }
    let level = match t.level.as_deref() {
        None | Some("deny") => Level::Deny,
        Some("warn") => Level::Warn,
        Some(other) => {
            cx.err(
                d,
                &[Seg::Key("thresholds"), Seg::Item(i), Seg::Key("level")],
                Some(other),
                "bad-level",
                format!("level `{other}` is neither `deny` nor `warn`"),
            );
            Level::Deny
        }
    };
    Threshold {
        index: i,
        pos: cx.pos(&at, None),
        category: t.category.clone(),
        max_count: t.max_foreign,
        max_share: t.max_foreign_share,
        weighted: t.weighted,
        origin,
        level,
    }
}
