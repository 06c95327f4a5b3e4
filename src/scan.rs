//! The scan pipeline: walk → classify → collect (databases first, then files) → attribute →
//! report. Plain data in, a [`Report`] out; nothing here prints.
//!
//! Classification is cheap: a file is offered to collectors by path alone, and only a file that
//! no package owns has its first [`HEAD_LEN`] bytes read to test magic numbers. Collectors run
//! on rayon; each returns its own results, merged at the end, and the merged report is sorted so
//! the output does not depend on thread count or scheduling.

use crate::attribute::Attributor;
use crate::collectors::{
    Candidate, Collected, Collector, Context, OsRelease, Owner, Phase, ALL, HEAD_LEN,
};
use crate::model::{
    Report, RulesInfo, ScanError, ScanInfo, ScanOptions, Summary, ToolInfo, SCHEMA,
};
use crate::ownership::{OwnedPaths, OwnerIndex, Tie};
use crate::rootfs::RootFs;
use crate::roots::{self, Roots};
use crate::rules::RuleDb;
use crate::walk::{self, Entry, WalkConfig};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

/// Everything a scan needs, validated (built by `cli`).
#[derive(Debug, Clone, Default)]
pub struct ScanConfig {
    /// Host directory that is the scanned system's `/`.
    pub root: PathBuf,
    /// System paths to walk (empty: everything).
    pub paths: Vec<String>,
    /// Exclusion globs.
    pub exclude: Vec<String>,
    /// Stay on one filesystem.
    pub one_file_system: bool,
    /// Home jurisdiction as given (`CN`, `EU`, `DE,FR`).
    pub home: Option<String>,
    /// Worker threads (0: one per core).
    pub jobs: usize,
    /// Fix the timestamp and duration so reports are byte-identical.
    pub reproducible: bool,
    /// Deep byte scan.
    pub deep: bool,
    /// Hardware inventory.
    pub hardware: bool,
    /// SBOMs and inventories to read (`--input`), see [`crate::input`].
    pub inputs: Vec<PathBuf>,
    /// Whether to walk the filesystem at all (false: inputs only).
    pub filesystem: bool,
    /// A container image (OCI layout or `docker save` archive) scanned as the root instead of
    /// `root`, read into memory ([`crate::image`]).
    pub image: Option<PathBuf>,
    /// The host name to record, in place of the root's own (`--hostname`).
    pub hostname: Option<String>,
}

/// Called with (files done, files total) as the file phase progresses.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// Run a scan.
pub fn scan(
    cfg: &ScanConfig,
    db: &RuleDb,
    progress: Option<Progress<'_>>,
) -> crate::Result<Report> {
    let started = SystemTime::now();
    let clock = Instant::now();
    let (root, mut image) = match &cfg.image {
        Some(p) => {
            let img = crate::image::open(p, &crate::image::Limits::default())?;
            (RootFs::memory(img.tree), Some((img.info, img.errors)))
        }
        None => (
            RootFs::new(&cfg.root).map_err(|source| crate::Error::Io {
                path: cfg.root.clone(),
                source,
            })?,
            None,
        ),
    };
    let home = cfg
        .home
        .as_deref()
        .map(|h| db.home_countries(h))
        .transpose()?;
    let exclude = walk::exclude_set(&cfg.exclude)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.jobs)
        .build()
        .map_err(|e| crate::Error::Config(format!("--jobs: {e}")))?;
    let os = if cfg.filesystem {
        OsRelease::read(&root)
    } else {
        OsRelease::default()
    };
    let options = ScanOptions {
        deep: cfg.deep,
        hardware: cfg.hardware,
        one_file_system: cfg.one_file_system,
        exclude: cfg.exclude.clone(),
        paths: cfg.paths.clone(),
    };
    let deep = if cfg.deep {
        crate::deep::DeepScan::new(db)
    } else {
        None
    };
    let wcfg = WalkConfig {
        paths: cfg.paths.clone(),
        exclude: cfg.exclude.clone(),
        one_file_system: cfg.one_file_system,
    };

    let (mut collected, root_list) = if !cfg.filesystem {
        (Collected::default(), Vec::new())
    } else {
        pool.install(|| {
            // First walk: the nested roots and the package databases (kept: a few files), the
            // walk's problems, and how many files there are. Nothing per file is kept.
            let mut discovery = crate::roots::Discovery::default();
            let mut db_entries: Vec<walk::Entry> = Vec::new();
            let mut walk_errors = Vec::new();
            let mut total = 0u64;
            walk::walk_each(&root, &wcfg, &exclude, &mut |item| match item {
                walk::Item::File(e) => {
                    total += 1;
                    discovery.add(&e.path);
                    if may_be_database(&e.path) {
                        db_entries.push(e);
                    }
                }
                walk::Item::Link(_) => {}
                walk::Item::Error(e) => walk_errors.push(e),
            });
            let roots = discovery.finish();
            walk_errors.retain(|e| !roots.pruned(&e.path));
            db_entries.retain(|e| !roots.pruned(&e.path));
            let mut systems = Vec::with_capacity(roots.list.len());
            for (i, r) in roots.list.iter().enumerate() {
                if i == 0 {
                    systems.push((root.clone(), os.clone()));
                    continue;
                }
                let fs = root.nested(&r.path);
                let os = OsRelease::read(&fs);
                systems.push((fs, os));
            }
            let ctxs: Vec<Context<'_>> = systems
                .iter()
                .map(|(fs, os)| Context {
                    root: fs,
                    os,
                    options: &options,
                    deep: deep.as_ref(),
                })
                .collect();
            let mut list = roots.list.clone();
            for (r, (_, os)) in list.iter_mut().zip(&systems) {
                r.os = os.pretty_name.clone().or_else(|| os.name.clone());
            }
            let files: Vec<Placed<'_>> = db_entries
                .iter()
                .map(|e| place(e, &roots))
                .filter(|p| p.db)
                .collect();
            let mut all = Collected {
                errors: walk_errors,
                ..Collected::default()
            };
            let mut system = system_phase(&ctxs[0]);
            roots::rebase(&mut system, &roots.list[0]);
            all.extend(system);
            let mut databases = database_phase(&files, &ctxs, &roots);
            if !cfg.paths.is_empty() {
                databases
                    .owned
                    .extend(ownership_outside_paths(&files, &ctxs[0], &root));
            }
            let index = |lists: Vec<(usize, OwnedPaths)>, tie| {
                let mut per_root: Vec<Vec<OwnedPaths>> =
                    (0..ctxs.len()).map(|_| Vec::new()).collect();
                for (r, o) in lists {
                    per_root[r].push(o);
                }
                per_root
                    .into_iter()
                    .map(|o| OwnerIndex::new(OwnedPaths::concat(o), tie))
                    .collect::<Vec<_>>()
            };
            let owned_dirs = index(std::mem::take(&mut databases.owned_dirs_in), Tie::First);
            let mut files_in = std::mem::take(&mut databases.owned_in);
            files_in.push((0, std::mem::take(&mut databases.owned)));
            let owned = index(files_in, Tie::OsPackage);
            all.extend(databases.collected);
            let owners = Owners {
                files: &owned,
                dirs: &owned_dirs,
            };
            // Second walk: every file streamed to the collectors in batches, links checked in
            // the root they lie in.
            let total = total.saturating_sub(files.len() as u64);
            let done = std::sync::atomic::AtomicU64::new(0);
            let mut batch: Vec<walk::Entry> = Vec::with_capacity(BATCH);
            let run_batch = |batch: &mut Vec<walk::Entry>, all: &mut Collected| {
                let placed: Vec<Placed<'_>> = batch
                    .iter()
                    .map(|e| place(e, &roots))
                    .filter(|p| !p.db)
                    .collect();
                all.extend(file_phase(
                    &placed, &owners, &ctxs, &roots, progress, &done, total,
                ));
                batch.clear();
            };
            walk::walk_each(&root, &wcfg, &exclude, &mut |item| match item {
                walk::Item::File(e) if !roots.pruned(&e.path) => {
                    batch.push(e);
                    if batch.len() == BATCH {
                        run_batch(&mut batch, &mut all);
                    }
                }
                walk::Item::Link(l) if !roots.pruned(&l.path) => {
                    let r = roots.root_of(&l.path);
                    walk::check_link(
                        ctxs[r].root,
                        roots.inner(r, &l.path),
                        &l.path,
                        &l.host,
                        &mut all.errors,
                    );
                }
                _ => {}
            });
            run_batch(&mut batch, &mut all);
            (all, list)
        })
    };
    for input in &cfg.inputs {
        collected.extend(crate::input::load(input)?);
    }
    let mut root_list = root_list;
    if let Some((_, errors)) = &mut image {
        collected.errors.append(errors);
        if let Some(r) = root_list.first_mut() {
            r.kind = crate::model::RootKind::Image;
        }
    }

    let attributor = Attributor::new(db, home);
    let mut components = collected.components;
    pool.install(|| {
        components
            .par_iter_mut()
            .for_each(|c| attributor.attribute(c))
    });
    from_contained_binaries(&mut components, &attributor);
    disambiguate_ids(&mut components);

    let (started, duration_ms) = if cfg.reproducible {
        (reproducible_time(), 0)
    } else {
        (
            humantime::format_rfc3339_seconds(started).to_string(),
            clock.elapsed().as_millis() as u64,
        )
    };
    let mut report = Report {
        schema: SCHEMA.to_owned(),
        tool: ToolInfo {
            name: "sovscan".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            rules: RulesInfo {
                version: db.version.clone(),
                digest: db.digest.clone(),
            },
        },
        scan: ScanInfo {
            started,
            duration_ms,
            host: match &cfg.hostname {
                Some(h) if !h.trim().is_empty() => Some(h.trim().to_owned()),
                _ if cfg.filesystem => host_name(&root),
                _ => None,
            },
            roots: roots(cfg),
            home: cfg.home.clone(),
            options,
            image: image.map(|(info, _)| info),
        },
        summary: Summary::default(),
        components,
        relationships: collected.relationships,
        roots: root_list,
        errors: collected.errors,
        fleet: None,
    };
    report.normalise();
    report.summarise();
    Ok(report)
}

/// Files handed to the collectors at a time by the second walk (each batch runs in parallel).
const BATCH: usize = 4096;

/// Whether a path may be a package database of some root, at any depth: a database collector
/// matches the path or one of its `/`-suffixes (the same file seen from a nested root).
fn may_be_database(path: &str) -> bool {
    let dbs = || ALL.iter().filter(|c| c.phase() == Phase::Database);
    path.match_indices('/')
        .any(|(i, _)| dbs().any(|c| c.matches_path(&path[i..])))
}

/// A walked file placed in its root.
fn place<'a>(e: &'a walk::Entry, roots: &'a Roots) -> Placed<'a> {
    let r = roots.root_of(&e.path);
    let inner = roots.inner(r, &e.path);
    let db = ALL
        .iter()
        .any(|c| c.phase() == Phase::Database && c.matches_path(inner));
    Placed {
        entry: e,
        root: r,
        inner,
        db,
    }
}

/// A walked file with the root it belongs to and its path inside that root.
struct Placed<'a> {
    entry: &'a Entry,
    root: usize,
    inner: &'a str,
    /// A [`Phase::Database`] collector wants it.
    db: bool,
}

/// What the database phase found: components (rebased into the scanned tree) and, per root,
/// the files their packages own (paths inside that root).
#[derive(Default)]
struct Databases {
    collected: Collected,
    owned_in: Vec<(usize, OwnedPaths)>,
    owned_dirs_in: Vec<(usize, OwnedPaths)>,
    /// Owned files of the scanned root found outside the walked paths.
    owned: OwnedPaths,
}

/// Run one collector on one candidate: the panic of a collector becomes an error entry of
/// that file, and every component records which collector found it.
fn run(c: &dyn Collector, cand: &Candidate<'_>, ctx: &Context<'_>) -> Collected {
    let budget = crate::work::Budget::arm(crate::work::for_size(cand.size));
    let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| c.collect(cand, ctx)));
    let spent = budget.spent().then(|| budget.steps());
    drop(budget);
    let mut out = got.unwrap_or_else(|p| {
        let why = p
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".to_owned());
        Collected::error(
            cand.path,
            format!(
                "{} collector failed on this file ({why}); the scan went on",
                c.id()
            ),
        )
    });
    if let Some(steps) = spent {
        out.errors.push(ScanError::new(
            cand.path,
            format!(
                "{} collector stopped: the file's analysis went over its work budget of {steps} \
                 steps; what it found up to there is kept, the rest of the file is not analysed",
                c.id()
            ),
        ));
    }
    for comp in &mut out.components {
        comp.found_by.get_or_insert_with(|| c.id().to_owned());
        // Lists grown by pushes keep up to half again their length; the report holds every
        // component to the end, so it holds them at their size.
        comp.evidence.shrink_to_fit();
        comp.locations.shrink_to_fit();
    }
    if let (Some(d), true) = (ctx.deep, c.deep()) {
        deep_scan(d, cand, &mut out);
    }
    out
}

/// Stream the candidate through the deep automaton and add the hits to the component located
/// at it (the binary itself, not the modules found inside it).
fn deep_scan(d: &crate::deep::DeepScan, cand: &Candidate<'_>, out: &mut Collected) {
    let Some(comp) = out
        .components
        .iter_mut()
        .find(|x| x.locations.first().map(String::as_str) == Some(cand.path))
    else {
        return;
    };
    let opened = cand.open();
    let check = opened
        .as_ref()
        .ok()
        .and_then(crate::rootfs::Opened::change_check);
    let file = match opened.and_then(crate::rootfs::Opened::reader) {
        Ok(f) => f,
        Err(e) => {
            out.errors.push(ScanError::new(
                cand.path,
                format!("deep scan: cannot read: {e}"),
            ));
            return;
        }
    };
    let (hits, err) = d.find_stream(file);
    for (s, off) in hits {
        comp.add_evidence(
            crate::model::EvidenceKind::String,
            s,
            format!("{}@{off:#x}", cand.path),
        );
    }
    if let Some(e) = err {
        out.errors
            .push(ScanError::new(cand.path, format!("deep scan stopped: {e}")));
    }
    if let Some(Err(e)) = check.map(|(f, md)| crate::rootfs::unchanged(&f, &md)) {
        out.errors
            .push(ScanError::new(cand.path, format!("deep scan: {e}")));
    }
}

fn system_phase(ctx: &Context<'_>) -> Collected {
    ALL.par_iter()
        .filter(|c| c.phase() == Phase::System)
        .map(|c| {
            let got =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| c.collect_system(ctx)));
            let mut out = got.unwrap_or_else(|_| {
                Collected::error(
                    "/",
                    format!("{} collector failed; the scan went on", c.id()),
                )
            });
            for comp in &mut out.components {
                comp.found_by.get_or_insert_with(|| c.id().to_owned());
            }
            out
        })
        .reduce(Collected::default, |mut a, b| {
            a.extend(b);
            a
        })
}

fn database_phase(files: &[Placed<'_>], ctxs: &[Context<'_>], roots: &Roots) -> Databases {
    files
        .par_iter()
        .filter(|f| f.db)
        .flat_map_iter(|f| {
            ALL.iter()
                .filter(|c| c.phase() == Phase::Database && c.matches_path(f.inner))
                .map(move |c| {
                    let mut got = run(
                        *c,
                        &Candidate {
                            path: f.inner,
                            host: &f.entry.host,
                            fs: ctxs[f.root].root,
                            size: f.entry.size(),
                            head: &[],
                            owner: None,
                            loaded: Default::default(),
                        },
                        &ctxs[f.root],
                    );
                    let owned = std::mem::take(&mut got.owned);
                    let dirs = std::mem::take(&mut got.owned_dirs);
                    roots::rebase(&mut got, &roots.list[f.root]);
                    Databases {
                        collected: got,
                        owned_in: vec![(f.root, owned)],
                        owned_dirs_in: vec![(f.root, dirs)],
                        owned: OwnedPaths::default(),
                    }
                })
        })
        .reduce(Databases::default, |mut a, b| {
            a.collected.extend(b.collected);
            a.owned_in.extend(b.owned_in);
            a.owned_dirs_in.extend(b.owned_dirs_in);
            a
        })
}

/// When the walk is limited to some paths, package databases elsewhere in the root still say
/// which files they own, so a limited walk does not report owned binaries as unowned.
fn ownership_outside_paths(walked: &[Placed<'_>], ctx: &Context<'_>, root: &RootFs) -> OwnedPaths {
    let seen: HashSet<&str> = walked
        .iter()
        .filter(|f| f.db && f.root == 0)
        .map(|f| f.inner)
        .collect();
    let mut owned = OwnedPaths::default();
    for c in ALL.iter().filter(|c| c.phase() == Phase::Database) {
        for p in c.database_paths() {
            if seen.contains(p) {
                continue;
            }
            let Ok(host) = root.resolve(p) else { continue };
            let Ok(file) = root.open_host(&host) else {
                continue;
            };
            let got = run(
                *c,
                &Candidate {
                    path: p,
                    host: &host,
                    fs: root,
                    size: file.len(),
                    head: &[],
                    owner: None,
                    loaded: Default::default(),
                },
                ctx,
            );
            owned.extend(got.owned);
        }
    }
    owned
}

/// Who owns the files of each root: by file list, then by owned directory.
struct Owners<'a> {
    files: &'a [OwnerIndex],
    dirs: &'a [OwnerIndex],
}

impl Owners<'_> {
    /// The owner of `path` in root `r`: the package whose file list names it, else the package
    /// whose owned directory is the deepest one holding it.
    fn of(&self, r: usize, path: &str) -> Option<&Owner> {
        if let Some(o) = self.files[r].get(path) {
            return Some(o);
        }
        let dirs = &self.dirs[r];
        if dirs.is_empty() {
            return None;
        }
        let mut end = path.len();
        while let Some(i) = path[..end].rfind('/') {
            if i == 0 {
                break;
            }
            if let Some(o) = dirs.get(&path[..i]) {
                return Some(o);
            }
            end = i;
        }
        None
    }
}

fn file_phase(
    todo: &[Placed<'_>],
    owned: &Owners<'_>,
    ctxs: &[Context<'_>],
    roots: &Roots,
    progress: Option<Progress<'_>>,
    done: &std::sync::atomic::AtomicU64,
    total: u64,
) -> Collected {
    todo.par_iter()
        .map(|f| {
            let owner = owned.of(f.root, f.inner);
            let mut r = one_file(f, owner, &ctxs[f.root]);
            roots::rebase(&mut r, &roots.list[f.root]);
            if let Some(p) = progress {
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                if n % 256 == 0 || n == total {
                    p(n, total.max(n));
                }
            }
            r
        })
        .reduce(Collected::default, |mut a, b| {
            a.extend(b);
            a
        })
}

/// Whether a file a package owns is opened for its own evidence: every file of a language
/// package that may be a binary (its signed DLLs, native extensions), and of an operating-system
/// package only the formats that carry a signature of their own (PE, EFI, Mach-O), so that the
/// unsigned ELF files of `/usr` are not read again.
fn opens_owned(owner: &Owner, path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let ext = name.rsplit_once('.').map(|(_, e)| e);
    let signed_format = matches!(
        ext,
        Some("exe" | "dll" | "sys" | "efi" | "signed" | "ocx" | "cpl" | "scr" | "drv" | "dylib")
    );
    if owner.is_os_package() {
        return signed_format;
    }
    signed_format
        || matches!(ext, Some("so" | "pyd" | "node" | "bundle" | "jnilib"))
        || name.contains(".so.")
        || (ext.is_none() && path.contains("/bin/"))
}

fn one_file(f: &Placed<'_>, owner: Option<&Owner>, ctx: &Context<'_>) -> Collected {
    let path = f.inner;
    let e = f.entry;
    let mut out = Collected::default();
    let files = || ALL.iter().filter(|c| c.phase() == Phase::File);
    let by_path: Vec<_> = files()
        .filter(|c| (owner.is_none() || c.wants_owned()) && c.matches_path(path))
        .collect();
    if !by_path.is_empty() {
        let size = e.size();
        for c in &by_path {
            let cand = Candidate {
                path,
                host: &e.host,
                fs: ctx.root,
                size,
                head: &[],
                owner,
                loaded: Default::default(),
            };
            out.extend(run(**c, &cand, ctx));
        }
    }
    if owner.is_some_and(|o| !opens_owned(o, path)) {
        return out;
    }
    // A file a path collector already made a firmware component of (a blob of a firmware
    // tree, which may well be an ELF image) is that component, not a second binary.
    if out.components.iter().any(|c| {
        c.kind == crate::model::ComponentKind::Firmware
            && c.locations.first().map(String::as_str) == Some(path)
    }) {
        return out;
    }
    let opened = ctx
        .root
        .open_host(&e.host)
        .and_then(|mut f| f.head(HEAD_LEN).map(|h| (h, f.len())));
    let (head, size) = match opened {
        Ok(x) => x,
        Err(err) => {
            out.errors
                .push(ScanError::new(path, format!("cannot read: {err}")));
            return out;
        }
    };
    if size == 0 {
        return out;
    }
    let mut inside = Collected::default();
    // One candidate for every collector that wants the file: they share one load of it.
    let cand = Candidate {
        path,
        host: &e.host,
        fs: ctx.root,
        size,
        head: &head,
        owner,
        loaded: Default::default(),
    };
    for c in files().filter(|c| !by_path.iter().any(|b| b.id() == c.id()) && c.matches_head(&head))
    {
        inside.extend(run(*c, &cand, ctx));
    }
    embedded_in_binary(path, &mut inside);
    if let Some(o) = owner {
        // A binary read inside a package is a part of it, linked by `contains`.
        for comp in inside.components.iter_mut().filter(|c| c.part_of.is_none()) {
            comp.part_of = Some(o.id.clone());
            inside.relationships.push(crate::model::Relationship {
                from: o.id.clone(),
                to: comp.id.clone(),
                kind: crate::model::RelationshipKind::Contains,
            });
        }
    }
    out.extend(inside);
    out
}

/// The modules a binary was built from (Go modules, Rust crates from its build metadata) are
/// parts of that binary: listed with their own evidence, counted through it, and never its
/// vendor (a Go module of Google's inside a binary does not make Google its maker).
fn embedded_in_binary(path: &str, found: &mut Collected) {
    let at = |c: &crate::model::Component| c.locations.first().map(String::as_str) == Some(path);
    let mut binaries = found
        .components
        .iter()
        .filter(|c| c.kind == crate::model::ComponentKind::Binary && at(c));
    let (Some(bin), None) = (binaries.next(), binaries.next()) else {
        return;
    };
    let bin = bin.id.clone();
    for c in &mut found.components {
        if c.kind == crate::model::ComponentKind::Package && at(c) && c.part_of.is_none() {
            c.part_of = Some(bin.clone());
            found.relationships.push(crate::model::Relationship {
                from: bin.clone(),
                to: c.id.clone(),
                kind: crate::model::RelationshipKind::Contains,
            });
        }
    }
}

/// A package whose own metadata names no maker is attributed from the binaries read inside it
/// ([`Component::part_of`]) when they agree: every attributed binary names the same vendor and
/// at least half of its binaries are attributed. The binaries' matched evidence is copied to
/// the package (with its location), so the package's attribution keeps its reasons.
fn from_contained_binaries(
    components: &mut [crate::model::Component],
    attributor: &Attributor<'_>,
) {
    let index: HashMap<String, usize> = components
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.clone(), i))
        .collect();
    let mut parts: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, c) in components.iter().enumerate() {
        if c.kind != crate::model::ComponentKind::Binary {
            continue;
        }
        if let Some(&p) = c.part_of.as_ref().and_then(|p| index.get(p)) {
            if components[p].kind == crate::model::ComponentKind::Package {
                parts.entry(p).or_default().push(i);
            }
        }
    }
    for (p, kids) in parts {
        if components[p].vendor.is_some() {
            continue;
        }
        let vendors: BTreeSet<&str> = kids
            .iter()
            .filter_map(|&k| components[k].vendor.as_deref().map(|v| v.id.as_str()))
            .collect();
        let attributed = kids
            .iter()
            .filter(|&&k| components[k].vendor.is_some())
            .count();
        if vendors.len() != 1 || attributed * 2 < kids.len() {
            continue;
        }
        let mut seen = BTreeSet::new();
        let mut copied = Vec::new();
        for &k in &kids {
            for e in &components[k].evidence {
                if e.rule.is_some() && seen.insert((e.kind, e.value.clone())) {
                    let mut e = e.clone();
                    e.rule = None;
                    copied.push(e);
                }
            }
        }
        let pkg = &mut components[p];
        pkg.evidence.extend(copied);
        attributor.attribute(pkg);
    }
}

/// Give colliding ids (the same package twice, e.g. two architectures) a stable suffix.
fn disambiguate_ids(components: &mut [crate::model::Component]) {
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for c in components.iter() {
        *count.entry(c.id.clone()).or_default() += 1;
    }
    for c in components.iter_mut() {
        if count.get(&c.id).copied().unwrap_or(0) > 1 {
            let key = c
                .properties
                .get("arch")
                .cloned()
                .or_else(|| c.locations.first().cloned())
                .unwrap_or_default();
            c.id = format!("{}?{}", c.id, key);
        }
    }
}

/// What was scanned: the walked paths (when the filesystem was), then the input files.
fn roots(cfg: &ScanConfig) -> Vec<String> {
    let mut out = Vec::new();
    if cfg.filesystem {
        if cfg.paths.is_empty() {
            out.push("/".to_owned());
        } else {
            out.extend(cfg.paths.iter().cloned());
        }
    }
    out.extend(
        cfg.inputs
            .iter()
            .map(|p| crate::text::sanitize(&p.display().to_string())),
    );
    out
}

fn reproducible_time() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(0);
    humantime::format_rfc3339_seconds(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
        .to_string()
}

fn host_name(root: &RootFs) -> Option<String> {
    let p = if root.is_host_root() {
        "/proc/sys/kernel/hostname"
    } else {
        "/etc/hostname"
    };
    let text = if root.is_host_root() {
        std::fs::read_to_string(p).ok()
    } else {
        root.read_string_capped(p, 4096).ok()
    }?;
    let h = crate::text::sanitize(text.lines().next().unwrap_or(""));
    (!h.is_empty()).then_some(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collectors::{OsRelease, Phase};
    use crate::model::EvidenceKind;

    /// A collector whose parser would never end on its own: it loops for as long as the work
    /// budget lets it, as a parser caught in a cycle of structures would.
    struct Spinner;

    impl Collector for Spinner {
        fn id(&self) -> &'static str {
            "spinner"
        }
        fn reads(&self) -> &'static str {
            "anything"
        }
        fn emits(&self) -> &'static [EvidenceKind] {
            &[]
        }
        fn phase(&self) -> Phase {
            Phase::File
        }
        fn collect(&self, c: &Candidate<'_>, _ctx: &Context<'_>) -> Collected {
            let mut steps = 0u64;
            while crate::work::charge(1) {
                steps += 1;
            }
            let mut out = Collected::default();
            let mut comp = crate::model::Component::new(
                crate::model::ComponentKind::Binary,
                None,
                &format!("spun-{steps}"),
                None,
            );
            comp.locations.push(c.path.to_owned());
            out.components.push(comp);
            out
        }
    }

    #[test]
    fn a_file_over_its_work_budget_is_an_error_naming_the_collector() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), vec![0u8; 4096]).unwrap();
        let root = RootFs::new(dir.path()).unwrap();
        let os = OsRelease::default();
        let options = crate::model::ScanOptions::default();
        let ctx = Context {
            root: &root,
            os: &os,
            options: &options,
            deep: None,
        };
        let host = dir.path().join("f");
        let cand = Candidate {
            path: "/f",
            host: &host,
            fs: &root,
            size: 4096,
            head: &[],
            owner: None,
            loaded: Default::default(),
        };
        let out = run(&Spinner, &cand, &ctx);
        let budget = crate::work::for_size(4096);
        assert_eq!(out.components.len(), 1, "what was found is kept");
        assert_eq!(out.components[0].name, format!("spun-{budget}"));
        assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
        assert_eq!(out.errors[0].path, "/f");
        assert!(
            out.errors[0].error.contains("spinner collector stopped")
                && out.errors[0].error.contains(&format!("{budget} steps")),
            "{}",
            out.errors[0].error
        );
        // The budget is per file: the next file starts with a full one.
        assert!(crate::work::charge(budget * 2));
    }
}
