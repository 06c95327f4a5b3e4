//! The scan pipeline: walk → classify → collect (databases first, then files) → attribute →
//! report. Plain data in, a [`Report`] out; nothing here prints.
//!
//! Classification is cheap: a file is offered to collectors by path alone, and only a file that
//! no package owns has its first [`HEAD_LEN`] bytes read to test magic numbers. Collectors run
//! on rayon; each returns its own results, merged at the end, and the merged report is sorted so
//! the output does not depend on thread count or scheduling.

use crate::attribute::Attributor;
use crate::collectors::{Candidate, Collected, Context, OsRelease, Phase, ALL, HEAD_LEN};
use crate::model::{
    Report, RulesInfo, ScanError, ScanInfo, ScanOptions, Summary, ToolInfo, SCHEMA,
};
use crate::rootfs::{open_regular, read_head, RootFs};
use crate::rules::RuleDb;
use crate::walk::{self, Entry, WalkConfig};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashSet};
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
    let root = RootFs::new(&cfg.root).map_err(|source| crate::Error::Io {
        path: cfg.root.clone(),
        source,
    })?;
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
    let ctx = Context {
        root: &root,
        os: &os,
        options: &options,
        deep: deep.as_ref(),
    };
    let wcfg = WalkConfig {
        paths: cfg.paths.clone(),
        exclude: cfg.exclude.clone(),
        one_file_system: cfg.one_file_system,
    };

    let mut collected = if !cfg.filesystem {
        Collected::default()
    } else {
        pool.install(|| {
            let walked = walk::walk(&root, &wcfg, &exclude);
            let (dbs, files): (Vec<Entry>, Vec<Entry>) = walked.files.into_iter().partition(|e| {
                ALL.iter()
                    .any(|c| c.phase() == Phase::Database && c.matches_path(&e.path))
            });
            let mut all = Collected {
                errors: walked.errors,
                ..Collected::default()
            };
            all.extend(system_phase(&ctx));
            all.extend(database_phase(&dbs, &ctx));
            if !cfg.paths.is_empty() {
                all.owned.extend(ownership_outside_paths(&dbs, &ctx, &root));
            }
            let owned: HashSet<String> = std::mem::take(&mut all.owned).into_iter().collect();
            all.extend(file_phase(&files, &owned, &ctx, progress));
            all
        })
    };
    for input in &cfg.inputs {
        collected.extend(crate::input::load(input)?);
    }

    let attributor = Attributor::new(db, home);
    let mut components = collected.components;
    pool.install(|| {
        components
            .par_iter_mut()
            .for_each(|c| attributor.attribute(c))
    });
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
            host: if cfg.filesystem {
                host_name(&root)
            } else {
                None
            },
            roots: roots(cfg),
            home: cfg.home.clone(),
            options,
        },
        summary: Summary::default(),
        components,
        relationships: collected.relationships,
        errors: collected.errors,
        fleet: None,
    };
    report.normalise();
    report.summarise();
    Ok(report)
}

fn system_phase(ctx: &Context<'_>) -> Collected {
    ALL.par_iter()
        .filter(|c| c.phase() == Phase::System)
        .map(|c| c.collect_system(ctx))
        .reduce(Collected::default, |mut a, b| {
            a.extend(b);
            a
        })
}

fn database_phase(dbs: &[Entry], ctx: &Context<'_>) -> Collected {
    dbs.par_iter()
        .flat_map_iter(|e| {
            ALL.iter()
                .filter(|c| c.phase() == Phase::Database && c.matches_path(&e.path))
                .map(move |c| {
                    c.collect(
                        &Candidate {
                            path: &e.path,
                            host: &e.host,
                            size: e.size(),
                            head: &[],
                        },
                        ctx,
                    )
                })
        })
        .reduce(Collected::default, |mut a, b| {
            a.extend(b);
            a
        })
}

/// When the walk is limited to some paths, package databases elsewhere in the root still say
/// which files they own, so a limited walk does not report owned binaries as unowned.
fn ownership_outside_paths(walked_dbs: &[Entry], ctx: &Context<'_>, root: &RootFs) -> Vec<String> {
    let seen: HashSet<&str> = walked_dbs.iter().map(|e| e.path.as_str()).collect();
    let mut owned = Vec::new();
    for c in ALL.iter().filter(|c| c.phase() == Phase::Database) {
        for p in c.database_paths() {
            if seen.contains(p) {
                continue;
            }
            let Ok(host) = root.resolve(p) else { continue };
            let Ok((_, md)) = open_regular(&host) else {
                continue;
            };
            let got = c.collect(
                &Candidate {
                    path: p,
                    host: &host,
                    size: md.len(),
                    head: &[],
                },
                ctx,
            );
            owned.extend(got.owned);
        }
    }
    owned
}

fn file_phase(
    files: &[Entry],
    owned: &HashSet<String>,
    ctx: &Context<'_>,
    progress: Option<Progress<'_>>,
) -> Collected {
    let total = files.len() as u64;
    let done = std::sync::atomic::AtomicU64::new(0);
    files
        .par_iter()
        .map(|e| {
            let r = one_file(e, owned.contains(&e.path), ctx);
            if let Some(p) = progress {
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                if n % 256 == 0 || n == total {
                    p(n, total);
                }
            }
            r
        })
        .reduce(Collected::default, |mut a, b| {
            a.extend(b);
            a
        })
}

fn one_file(e: &Entry, owned: bool, ctx: &Context<'_>) -> Collected {
    let mut out = Collected::default();
    let files = || ALL.iter().filter(|c| c.phase() == Phase::File);
    let by_path: Vec<_> = files()
        .filter(|c| (!owned || c.wants_owned()) && c.matches_path(&e.path))
        .collect();
    if !by_path.is_empty() {
        let size = e.size();
        for c in &by_path {
            let cand = Candidate {
                path: &e.path,
                host: &e.host,
                size,
                head: &[],
            };
            out.extend(c.collect(&cand, ctx));
        }
    }
    if owned {
        return out;
    }
    let opened = open_regular(&e.host)
        .and_then(|(mut f, md)| read_head(&mut f, HEAD_LEN).map(|h| (h, md.len())));
    let (head, size) = match opened {
        Ok(x) => x,
        Err(err) => {
            out.errors
                .push(ScanError::new(&e.path, format!("cannot read: {err}")));
            return out;
        }
    };
    if size == 0 {
        return out;
    }
    for c in files().filter(|c| !by_path.iter().any(|b| b.id() == c.id()) && c.matches_head(&head))
    {
        let cand = Candidate {
            path: &e.path,
            host: &e.host,
            size,
            head: &head,
        };
        out.extend(c.collect(&cand, ctx));
    }
    out
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
