//! The rule database: vendors, products, entity lists and regions, read from YAML.
//!
//! The shipped database under `rules/` is embedded in the binary at build time (see
//! `build.rs`); `--rules DIR` adds files of the same layout, whose entries override built-in
//! ones with the same id. Loading has two passes, as cargo-deny does: first every file is
//! deserialised into the `Raw*` shapes of [`schema`] (unknown keys are errors, with the YAML
//! crate's line and column), then [`validate`] checks meaning and collects every problem with
//! its `file:line:column` before anything is refused.
//!
//! YAML is read with `serde_norway` (imported as `serde_yaml`): the original `serde_yaml` is
//! archived and flagged unmaintained, and the fork keeps its API and error locations.

pub mod examples;
pub mod iso;
pub mod matcher;
pub mod schema;
pub mod show;
pub mod validate;

use crate::diag::{from_yaml_error, Diagnostics};
use schema::{RawCategory, RawList, RawMeta, RawProduct, RawRegion, RawVendor};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/rules_embedded.rs"));
}

/// One rule file's name (as shown in diagnostics and rule references) and text.
#[derive(Debug, Clone)]
pub struct RuleFile {
    /// Display name: `rules/vendors/us.yaml` for built-ins, the path given for `--rules`.
    pub name: String,
    /// Path relative to the database root (`vendors/us.yaml`), which decides the file's kind.
    pub rel: String,
    /// Text.
    pub text: String,
}

/// A vendor with the file it came from.
#[derive(Debug, Clone)]
pub struct Vendor {
    /// The entry.
    pub raw: RawVendor,
    /// File display name.
    pub file: String,
}

impl Vendor {
    /// Reference to the rule, as written into evidence: `rules/vendors/us.yaml:openssl`.
    pub fn rule_ref(&self) -> String {
        format!("{}:{}", self.file, self.raw.id)
    }

    /// Whether it counts as `international` regardless of home.
    pub fn is_international(&self) -> bool {
        use schema::VendorKind::*;
        self.raw.international.unwrap_or(
            matches!(self.raw.kind, Community | Foundation) || self.raw.country.is_none(),
        )
    }
}

/// A product with the file it came from.
#[derive(Debug, Clone)]
pub struct Product {
    /// The entry.
    pub raw: RawProduct,
    /// File display name.
    pub file: String,
}

/// A category with the file it came from.
#[derive(Debug, Clone)]
pub struct Category {
    /// The entry.
    pub raw: RawCategory,
    /// File display name.
    pub file: String,
}

/// An entity list with the file it came from.
#[derive(Debug, Clone)]
pub struct List {
    /// The entry.
    pub raw: RawList,
    /// File display name.
    pub file: String,
}

/// The loaded, validated database.
#[derive(Debug, Clone, Default)]
pub struct RuleDb {
    /// Vendors by id.
    pub vendors: BTreeMap<String, Vendor>,
    /// Products by id.
    pub products: BTreeMap<String, Product>,
    /// Entity lists by id.
    pub lists: BTreeMap<String, List>,
    /// Regions by id.
    pub regions: BTreeMap<String, RawRegion>,
    /// The category vocabulary by id (`rules/categories.yaml`).
    pub categories: BTreeMap<String, Category>,
    /// Database version (`rules/db.yaml`), with `+local` when `--rules` added files.
    pub version: String,
    /// `sha256:` over every loaded file's name and text.
    pub digest: String,
    /// Every file read, for `rules lint` and examples.
    pub files: Vec<RuleFile>,
}

/// The built-in rule files.
pub fn builtin_files() -> Vec<RuleFile> {
    embedded::FILES
        .iter()
        .map(|(rel, text)| RuleFile {
            name: format!("rules/{rel}"),
            rel: (*rel).to_owned(),
            text: (*text).to_owned(),
        })
        .collect()
}

/// Rule files under a user directory (same layout as `rules/`), sorted.
pub fn dir_files(dir: &Path) -> crate::Result<Vec<RuleFile>> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry = entry.map_err(|e| crate::Error::Io {
            path: e
                .path()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| dir.to_path_buf()),
            source: e
                .into_io_error()
                .unwrap_or_else(|| std::io::Error::other("walk error")),
        })?;
        let p = entry.path();
        if !entry.file_type().is_file()
            || !matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
        {
            continue;
        }
        let rel = p
            .strip_prefix(dir)
            .unwrap_or(p)
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(p).map_err(|source| crate::Error::Io {
            path: p.to_path_buf(),
            source,
        })?;
        out.push(RuleFile {
            name: p.display().to_string(),
            rel,
            text,
        });
    }
    Ok(out)
}

/// Load the built-in database plus `extra` directories; all problems are collected into the
/// returned diagnostics (errors and warnings). The database is usable when no error was found.
pub fn load(extra: &[PathBuf]) -> crate::Result<(RuleDb, Diagnostics)> {
    let mut files = builtin_files();
    let builtin = files.len();
    for d in extra {
        if !d.is_dir() {
            return Err(crate::Error::Config(format!(
                "--rules {}: not a directory",
                d.display()
            )));
        }
        files.extend(dir_files(d)?);
    }
    Ok(parse_and_validate_from(files, builtin))
}

/// Parse and validate rule files alone (no built-in database): what `load` does after reading
/// them. For the rules fuzz target.
pub fn parse_and_validate(files: Vec<RuleFile>) -> (RuleDb, Diagnostics) {
    parse_and_validate_from(files, 0)
}

/// Parse `files`, of which the first `builtin` are the built-in ones, and validate the result.
fn parse_and_validate_from(files: Vec<RuleFile>, builtin: usize) -> (RuleDb, Diagnostics) {
    let mut diags = Diagnostics::default();
    let mut db = parse_files(&files, builtin, &mut diags);
    db.files = files;
    validate::validate(&db, &mut diags);
    (db, diags)
}

/// Load and refuse a database with errors (for scanning commands).
pub fn load_strict(extra: &[PathBuf]) -> crate::Result<RuleDb> {
    let (db, diags) = load(extra)?;
    if diags.has_errors() {
        let lines = diags
            .rendered()
            .into_iter()
            .filter(|l| l.contains(": error["))
            .collect();
        return Err(crate::Error::Rules(lines));
    }
    Ok(db)
}

/// What a file holds, from its path relative to the database root.
fn file_kind(rel: &str) -> Option<&'static str> {
    let first = rel.split('/').next().unwrap_or("");
    match (first, rel) {
        ("vendors", _) => Some("vendors"),
        ("products", _) => Some("products"),
        ("lists", _) => Some("list"),
        (_, "regions.yaml" | "regions.yml") => Some("regions"),
        (_, "categories.yaml" | "categories.yml") => Some("categories"),
        (_, "db.yaml" | "db.yml") => Some("meta"),
        _ => None,
    }
}

fn parse_files(files: &[RuleFile], builtin: usize, diags: &mut Diagnostics) -> RuleDb {
    let mut db = RuleDb::default();
    let mut hasher = Sha256::new();
    // Ids seen per source set: a duplicate inside one set is an error; a user set overrides.
    let mut seen_builtin: BTreeMap<(&'static str, String), String> = BTreeMap::new();
    let mut seen_user: BTreeMap<(&'static str, String), String> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        hasher.update(f.rel.as_bytes());
        hasher.update([0]);
        hasher.update(f.text.as_bytes());
        hasher.update([0]);
        let seen = if i < builtin {
            &mut seen_builtin
        } else {
            &mut seen_user
        };
        let Some(kind) = file_kind(&f.rel) else {
            continue;
        };
        let loc = crate::diag::Locator::new(&f.name, &f.text);
        let mut in_file: BTreeMap<String, usize> = BTreeMap::new();
        let mut dup = |kind: &'static str, id: &str, diags: &mut Diagnostics| {
            let nth = in_file.entry(id.to_owned()).or_insert(0);
            let at = loc.entry_nth(id, *nth);
            *nth += 1;
            if let Some(prev) = seen.insert((kind, id.to_owned()), f.name.clone()) {
                diags.error(
                    at,
                    "duplicate-id",
                    format!("{kind} id `{id}` is already defined in {prev}"),
                );
            }
        };
        match kind {
            "vendors" => match serde_yaml::from_str::<Option<Vec<RawVendor>>>(&f.text) {
                Ok(v) => {
                    for raw in v.unwrap_or_default() {
                        dup("vendor", &raw.id, diags);
                        db.vendors.insert(
                            raw.id.clone(),
                            Vendor {
                                raw,
                                file: f.name.clone(),
                            },
                        );
                    }
                }
                Err(e) => diags.0.push(from_yaml_error(&f.name, &e)),
            },
            "products" => match serde_yaml::from_str::<Option<Vec<RawProduct>>>(&f.text) {
                Ok(v) => {
                    for raw in v.unwrap_or_default() {
                        dup("product", &raw.id, diags);
                        db.products.insert(
                            raw.id.clone(),
                            Product {
                                raw,
                                file: f.name.clone(),
                            },
                        );
                    }
                }
                Err(e) => diags.0.push(from_yaml_error(&f.name, &e)),
            },
            "list" => match serde_yaml::from_str::<RawList>(&f.text) {
                Ok(raw) => {
                    dup("list", &raw.id, diags);
                    db.lists.insert(
                        raw.id.clone(),
                        List {
                            raw,
                            file: f.name.clone(),
                        },
                    );
                }
                Err(e) => diags.0.push(from_yaml_error(&f.name, &e)),
            },
            "regions" => match serde_yaml::from_str::<Option<Vec<RawRegion>>>(&f.text) {
                Ok(v) => {
                    for raw in v.unwrap_or_default() {
                        dup("region", &raw.id, diags);
                        db.regions.insert(raw.id.clone(), raw);
                    }
                }
                Err(e) => diags.0.push(from_yaml_error(&f.name, &e)),
            },
            "categories" => match serde_yaml::from_str::<Option<Vec<RawCategory>>>(&f.text) {
                Ok(v) => {
                    for raw in v.unwrap_or_default() {
                        dup("category", &raw.id, diags);
                        db.categories.insert(
                            raw.id.clone(),
                            Category {
                                raw,
                                file: f.name.clone(),
                            },
                        );
                    }
                }
                Err(e) => diags.0.push(from_yaml_error(&f.name, &e)),
            },
            _ => match serde_yaml::from_str::<RawMeta>(&f.text) {
                Ok(m) if i < builtin => db.version = m.version,
                Ok(_) => {}
                Err(e) => diags.0.push(from_yaml_error(&f.name, &e)),
            },
        }
    }
    if db.version.is_empty() {
        db.version = "unversioned".to_owned();
    }
    if files.len() > builtin {
        db.version.push_str("+local");
    }
    let digest = hasher.finalize();
    db.digest = format!(
        "sha256:{}",
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    db
}

impl RuleDb {
    /// The countries a home (country code, region id, or comma-separated list of either) covers.
    pub fn home_countries(&self, home: &str) -> crate::Result<Vec<String>> {
        let mut out = Vec::new();
        for part in home.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let up = part.to_ascii_uppercase();
            if let Some(r) = self.regions.get(&up).or_else(|| self.regions.get(part)) {
                out.extend(r.countries.iter().cloned());
            } else if iso::is_country(&up) {
                out.push(up);
            } else {
                return Err(crate::Error::Config(format!(
                    "home `{part}` is neither an ISO 3166-1 alpha-2 country code nor a region of rules/regions.yaml"
                )));
            }
        }
        if out.is_empty() {
            return Err(crate::Error::Config("empty home".to_owned()));
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Follow `parent` links to the ultimate owner (stops on a cycle).
    pub fn ultimate_owner(&self, id: &str) -> Option<&Vendor> {
        let mut cur = self.vendors.get(id)?;
        for _ in 0..32 {
            match cur.raw.parent.as_deref().and_then(|p| self.vendors.get(p)) {
                Some(p) => cur = p,
                None => break,
            }
        }
        Some(cur)
    }
}
