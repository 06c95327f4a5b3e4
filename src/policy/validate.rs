//! Second pass over a policy file: meaning, not syntax. Country and region codes, vendor,
//! list, category and product ids, origin classes, globs, dates and thresholds are checked
//! against the rule database; every problem is collected with its `file:line:column` (found by
//! [`super::locate`]) and nothing stops at the first one.

use super::date::Date;
use super::locate::{PathLocator, Seg};
use super::schema::{RawPolicy, RawRule, RawSigners, RawThreshold};
use super::{
    Cited, Exception, Level, Policy, Pos, RegionRef, Rule, SignerRule, Subjects, Threshold,
};
use crate::diag::Diagnostics;
use crate::model::Origin;
use crate::rules::{iso, RuleDb};

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

/// Countries, regions, vendors and lists written under `base` (a rule, or its `signers:`).
#[allow(clippy::too_many_arguments)]
/// The raw countries, regions, vendors (or owners) and lists of a rule.
type RawSubjects<'a> = (&'a [String], &'a [String], &'a [String], &'a [String]);

fn subjects(
    cx: &Ctx<'_>,
    d: &mut Diagnostics,
    base: &[Seg<'static>],
    (countries_raw, regions_raw, vendors_raw, lists_raw): RawSubjects<'_>,
    vendors_key: &'static str,
) -> Subjects {
    let at = |key: &'static str| -> Vec<Seg<'static>> {
        let mut p = base.to_vec();
        p.push(Seg::Key(key));
        p
    };
    let cite = |key: &'static str, v: &str| Cited {
        value: v.to_owned(),
        pos: cx.pos(&at(key), Some(v)),
    };
    let mut countries = Vec::new();
    for cc in countries_raw {
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
    for id in regions_raw {
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
    let vendors = vendors_raw
        .iter()
        .filter(|v| check_vendor(cx, d, &at(vendors_key), v))
        .map(|v| cite(vendors_key, v))
        .collect();
    let mut lists = Vec::new();
    for l in lists_raw {
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
    Subjects {
        countries,
        regions,
        vendors,
        lists,
    }
}

/// A rule's `signers:`: what it names, checked like the rule's own subjects.
fn signer_rule(
    cx: &Ctx<'_>,
    d: &mut Diagnostics,
    base: &[Seg<'static>],
    sg: &RawSigners,
) -> SignerRule {
    let mut path = base.to_vec();
    path.push(Seg::Key("signers"));
    let subjects = subjects(
        cx,
        d,
        &path,
        (&sg.countries, &sg.regions, &sg.vendors, &sg.lists),
        "vendors",
    );
    let named = sg.countries.len() + sg.regions.len() + sg.vendors.len() + sg.lists.len();
    if named == 0 {
        cx.err(
            d,
            &path,
            None,
            "empty-rule",
            "`signers` names nothing to match (countries, regions, vendors or lists)".to_owned(),
        );
    }
    SignerRule {
        pos: cx.pos(&path, None),
        subjects,
        chain: sg.chain,
        direct: sg.direct,
    }
}

fn known_category(db: &RuleDb, c: &str) -> bool {
    db.categories.contains_key(c) || db.products.values().any(|p| p.raw.category == c)
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
    // A `trust-anchors` rule takes its subjects from inside `trust-anchors`.
    let ta = r.trust_anchors.as_ref();
    let sub = |key: &'static str| -> Vec<Seg<'static>> {
        let mut p = base.clone();
        if ta.is_some() {
            p.push(Seg::Key("trust-anchors"));
        }
        p.push(Seg::Key(key));
        p
    };
    let (r_countries, r_regions, r_vendors, r_lists, vendors_key) = match ta {
        Some(t) => (&t.countries, &t.regions, &t.owners, &t.lists, "owners"),
        None => (&r.countries, &r.regions, &r.vendors, &r.lists, "vendors"),
    };
    let cite = |key: &'static str, v: &str| Cited {
        value: v.to_owned(),
        pos: cx.pos(&at(key), Some(v)),
    };
    let subject_cite = |key: &'static str, v: &str| Cited {
        value: v.to_owned(),
        pos: cx.pos(&sub(key), Some(v)),
    };
    let mut subject_base = base.clone();
    if ta.is_some() {
        subject_base.push(Seg::Key("trust-anchors"));
    }
    let subjects = subjects(
        cx,
        d,
        &subject_base,
        (r_countries, r_regions, r_vendors, r_lists),
        vendors_key,
    );
    let signers = r.signers.as_ref().map(|sg| signer_rule(cx, d, &base, sg));
    let origin = match ta {
        Some(t) => origins(cx, d, &sub("origin"), &t.origin),
        None => origins(cx, d, &at("origin"), &r.origin),
    };
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
    let trust = ta.map(|t| {
        let mut stores = Vec::new();
        for st in &t.stores {
            if crate::collectors::trust::Store::parse(st).is_some() {
                stores.push(subject_cite("stores", st));
            } else {
                let known: Vec<&str> = crate::collectors::trust::Store::ALL
                    .iter()
                    .map(|s| s.as_str())
                    .collect();
                cx.err(
                    d,
                    &sub("stores"),
                    Some(st),
                    "unknown-store",
                    format!("`{st}` is not a trust store (known: {})", known.join(", ")),
                );
            }
        }
        stores
    });
    let rule = Rule {
        level,
        index,
        pos: cx.pos(&base, None),
        countries: subjects.countries,
        regions: subjects.regions,
        vendors: subjects.vendors,
        lists: subjects.lists,
        origin,
        categories,
        products,
        direct: r.direct,
        signers,
        reason: r.reason.clone(),
        trust,
    };
    if ta.is_some() {
        let beside = r.countries.len()
            + r.regions.len()
            + r.vendors.len()
            + r.lists.len()
            + r.origin.len()
            + r.categories.len()
            + r.products.len();
        if beside > 0 {
            cx.err(d, &base, None, "bad-trust-anchors", format!("this {top} rule has `trust-anchors` beside other keys: name a trust-anchor rule's countries, regions, owners, lists and stores inside `trust-anchors`, and write other rules separately"));
        }
        return rule;
    }
    let named = r.countries.len()
        + r.regions.len()
        + r.vendors.len()
        + r.lists.len()
        + r.origin.len()
        + r.categories.len()
        + r.products.len()
        + usize::from(r.signers.is_some());
    if named == 0 {
        cx.err(d, &base, None, "empty-rule", format!("this {top} rule names nothing to match (countries, regions, vendors, lists, origin, signers, categories or products)"));
    }
    rule
}

fn threshold(cx: &Ctx<'_>, d: &mut Diagnostics, t: &RawThreshold, i: usize) -> Threshold {
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
    if let Some(u) = unknown_threshold(cx, d, t, i) {
        return u;
    }
    if t.max_foreign.is_none() && t.max_foreign_share.is_none() {
        cx.err(
            d,
            &at,
            None,
            "bad-threshold",
            "a threshold needs `max_foreign` (a count), `max_foreign_share` or `max_unknown_share` (0.0–1.0)".to_owned(),
        );
    }
    if let Some(s) = t.max_foreign_share {
        share_in_range(cx, d, i, "max_foreign_share", s);
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
    Threshold {
        index: i,
        pos: cx.pos(&at, None),
        category: t.category.clone(),
        max_count: t.max_foreign,
        max_share: t.max_foreign_share,
        weighted: t.weighted,
        origin,
        level: level(cx, d, t, i),
        unknown_share: false,
    }
}

fn share_in_range(cx: &Ctx<'_>, d: &mut Diagnostics, i: usize, key: &'static str, s: f64) {
    if !(0.0..=1.0).contains(&s) {
        let path = [Seg::Key("thresholds"), Seg::Item(i), Seg::Key(key)];
        cx.err(
            d,
            &path,
            Some(&s.to_string()),
            "bad-threshold",
            format!("{key} {s} is not a share between 0.0 and 1.0 (25 % is 0.25)"),
        );
    }
}

fn level(cx: &Ctx<'_>, d: &mut Diagnostics, t: &RawThreshold, i: usize) -> Level {
    match t.level.as_deref() {
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
    }
}

/// A `max_unknown_share` threshold: the share of components of unknown origin among all those
/// in scope. It stands alone: combined with a foreign limit or `origin` it would be ambiguous.
fn unknown_threshold(
    cx: &Ctx<'_>,
    d: &mut Diagnostics,
    t: &RawThreshold,
    i: usize,
) -> Option<Threshold> {
    let s = t.max_unknown_share?;
    share_in_range(cx, d, i, "max_unknown_share", s);
    let at = [Seg::Key("thresholds"), Seg::Item(i)];
    if t.max_foreign.is_some() || t.max_foreign_share.is_some() || !t.origin.is_empty() {
        cx.err(
            d,
            &at,
            None,
            "bad-threshold",
            "`max_unknown_share` stands alone: write `max_foreign`, `max_foreign_share` or `origin` in a threshold of their own".to_owned(),
        );
    }
    Some(Threshold {
        index: i,
        pos: cx.pos(&at, None),
        category: t.category.clone(),
        max_count: None,
        max_share: Some(s),
        weighted: t.weighted,
        origin: vec![Origin::Unknown],
        level: level(cx, d, t, i),
        unknown_share: true,
    })
}
