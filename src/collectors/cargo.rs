//! Cargo (Rust): `Cargo.lock` anywhere, and for a directory that also has `Cargo.toml`, the
//! resolved graph from `cargo metadata` when `cargo` is on PATH and the crate is self-contained.
//!
//! Why run it at all: the lock names crates and versions only; the metadata adds each crate's
//! repository, homepage, authors and licence, which is the evidence that attributes a crate to
//! its maker, and tells workspace members from dependencies.
//!
//! It is the one program sovscan starts, so it is fenced in:
//! - only when every path the manifest names (path dependencies, `[patch]`/`[replace]` paths,
//!   `package.workspace`, workspace members, recursively through members) resolves inside the
//!   scanned root, and no `Cargo.toml` lies in a directory above the scanned root (cargo would
//!   take it for the workspace); otherwise the lock is read and the report says why;
//! - offline and locked (`--offline --locked --format-version 1`, `CARGO_NET_OFFLINE=true`), so
//!   it never touches the network and never writes `Cargo.lock`;
//! - from a fresh empty working directory outside the scanned tree, with `RUSTC` pinned to
//!   `rustc` and `RUSTC_WRAPPER`/`RUSTC_WORKSPACE_WRAPPER` cleared, so no configuration of the
//!   scanned tree starts a program;
//! - under a [`METADATA_TIMEOUT`], after which it is killed.
//!
//! When it cannot or may not run (no cargo, crates not in the local cache, a stale lock, a
//! path outside the root, the timeout), the lock file is used and the report says so: an
//! `errors` entry and the component property `cargo-source: Cargo.lock`. Lock files under `.cargo/registry/` and `.cargo/git/` are the
//! sources of downloaded crates, not installed software, and are skipped.
//!
//! Components: `cargo:<name>@<version>`, purl `pkg:cargo/<name>@<version>`; dependency edges
//! from the lock's `dependencies` or the metadata's `resolve`. Evidence (metadata only):
//! repository and homepage URLs, authors' e-mails. Cap: `Cargo.lock` 64 MiB.

use super::{meta, Candidate, Collected, Collector, Context, Phase};
use crate::model::EvidenceKind;
use crate::model::{Component, Relationship, RelationshipKind, ScanError};
use std::collections::HashMap;

const LOCK_CAP: u64 = 64 << 20;
/// Longest `cargo metadata` may run before it is killed.
pub const METADATA_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
/// Most manifests read to check that a workspace stays inside the root.
const MAX_MANIFESTS: usize = 512;

/// The Cargo collector.
pub struct Cargo;

impl Collector for Cargo {
    fn id(&self) -> &'static str {
        "cargo"
    }
    fn reads(&self) -> &'static str {
        "`Cargo.lock` anywhere; with `Cargo.toml` next to it and `cargo` on PATH, `cargo metadata --offline --locked` (never the network; falls back to the lock and says so)"
    }
    fn emits(&self) -> &'static [EvidenceKind] {
        &[
            EvidenceKind::Email,
            EvidenceKind::Maintainer,
            EvidenceKind::PackageName,
            EvidenceKind::Url,
        ]
    }
    fn phase(&self) -> Phase {
        Phase::Database
    }
    fn matches_path(&self, path: &str) -> bool {
        path.ends_with("/Cargo.lock")
            && !path.contains("/.cargo/registry/")
            && !path.contains("/.cargo/git/")
    }
    fn collect(&self, c: &Candidate<'_>, ctx: &Context<'_>) -> Collected {
        let dir = c.path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        let manifest = format!("{dir}/Cargo.toml");
        let mut fallback_reason = None;
        // `cargo metadata` runs on host files only: an image's tree is in memory.
        if !ctx.root.is_memory() && ctx.root.is_file(&manifest) {
            if let Some(host_manifest) = c.host.parent().map(|d| d.join("Cargo.toml")) {
                match self_contained(ctx.root, dir).and_then(|()| metadata(&host_manifest, c.path))
                {
                    Ok(out) => return out,
                    Err(e) => fallback_reason = Some(e),
                }
            }
        }
        let text = match c.text("Cargo.lock", LOCK_CAP) {
            Ok(t) => t,
            Err(e) => return e,
        };
        let mut out = parse_lock(&text, c.path);
        if let Some(reason) = fallback_reason {
            out.errors.push(ScanError::new(
                &manifest,
                format!("cargo metadata not used, read Cargo.lock instead: {reason}"),
            ));
            for comp in &mut out.components {
                comp.set_property("cargo-source", "Cargo.lock");
            }
        }
        out
    }
}

/// A crate component (see [`meta::crate_component`]).
pub fn component(name: &str, version: &str, source: Option<&str>, at: &str) -> Component {
    meta::crate_component(name, version, source, at)
}

fn edge(out: &mut Collected, from: &str, to: &str) {
    if from != to {
        out.relationships.push(Relationship {
            from: from.to_owned(),
            to: to.to_owned(),
            kind: RelationshipKind::DependsOn,
        });
    }
}

/// Parse a `Cargo.lock` (format v1–v4) into packages and edges.
pub fn parse_lock(text: &str, at: &str) -> Collected {
    #[derive(serde::Deserialize)]
    struct Lock {
        #[serde(default)]
        package: Vec<Pkg>,
    }
    #[derive(serde::Deserialize)]
    struct Pkg {
        name: String,
        version: String,
        source: Option<String>,
        #[serde(default)]
        dependencies: Vec<String>,
    }
    let mut out = Collected::default();
    let lock: Lock = match toml::from_str(text) {
        Ok(l) => l,
        Err(e) => {
            // A damaged lock: keep every `[[package]]` table that still parses on its own.
            let package: Vec<Pkg> = text
                .split("\n[[package]]")
                .skip(1)
                .filter_map(|chunk| toml::from_str::<Lock>(&format!("[[package]]{chunk}")).ok())
                .flat_map(|l| l.package)
                .collect();
            out.errors.push(ScanError::new(
                at,
                format!(
                    "invalid Cargo.lock ({}); {} package entries read",
                    e.message(),
                    package.len()
                ),
            ));
            Lock { package }
        }
    };
    // A dependency names `name`, `name version` or `name version (source)`; a bare name is
    // unique in the lock.
    let mut by_name: HashMap<&str, Vec<&Pkg>> = HashMap::new();
    for p in &lock.package {
        by_name.entry(p.name.as_str()).or_default().push(p);
    }
    for p in &lock.package {
        let comp = component(&p.name, &p.version, p.source.as_deref(), at);
        for d in &p.dependencies {
            let mut w = d.split_whitespace();
            let (Some(n), v) = (w.next(), w.next()) else {
                continue;
            };
            let cands = by_name.get(n).map(Vec::as_slice).unwrap_or(&[]);
            let target = match v {
                Some(v) => cands.iter().find(|c| c.version == v),
                None => cands.first(),
            };
            if let Some(t) = target {
                edge(
                    &mut out,
                    &comp.id,
                    &format!("cargo:{}@{}", t.name, t.version),
                );
            }
        }
        out.components.push(comp);
    }
    out
}

/// Run `cargo metadata` offline on a host manifest path.
/// Lexically join `rel` to directory `dir` (system paths); `None` when it climbs above `/` or
/// is absolute.
fn join_inside(dir: &str, rel: &str) -> Option<String> {
    if rel.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

/// Every path a manifest names: path dependencies (in every dependency table, `[patch]` and
/// `[replace]`), `package.workspace`, and workspace members.
fn manifest_paths(m: &toml::Value) -> (Vec<String>, Vec<String>) {
    let mut paths = Vec::new();
    let deps = |t: Option<&toml::Value>, paths: &mut Vec<String>| {
        for d in t
            .and_then(toml::Value::as_table)
            .into_iter()
            .flat_map(|t| t.values())
        {
            if let Some(p) = d.get("path").and_then(toml::Value::as_str) {
                paths.push(p.to_owned());
            }
        }
    };
    for key in [
        "dependencies",
        "dev-dependencies",
        "build-dependencies",
        "dev_dependencies",
        "build_dependencies",
    ] {
        deps(m.get(key), &mut paths);
        deps(m.get("workspace").and_then(|w| w.get(key)), &mut paths);
        for t in m
            .get("target")
            .and_then(toml::Value::as_table)
            .into_iter()
            .flat_map(|t| t.values())
        {
            deps(t.get(key), &mut paths);
        }
    }
    deps(m.get("replace"), &mut paths);
    for reg in m
        .get("patch")
        .and_then(toml::Value::as_table)
        .into_iter()
        .flat_map(|t| t.values())
    {
        deps(Some(reg), &mut paths);
    }
    if let Some(w) = m
        .get("package")
        .and_then(|p| p.get("workspace"))
        .and_then(toml::Value::as_str)
    {
        paths.push(w.to_owned());
    }
    let members = m
        .get("workspace")
        .and_then(|w| w.get("members"))
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(toml::Value::as_str)
        .map(str::to_owned)
        .collect();
    (paths, members)
}

/// `Ok` when `cargo metadata` on the crate in `dir` (a system path of `root`) can only read
/// files inside the root: see the module documentation.
fn self_contained(root: &crate::rootfs::RootFs, dir: &str) -> Result<(), String> {
    if !root.is_host_root() {
        for up in root.host_root().ancestors().skip(1) {
            let m = up.join("Cargo.toml");
            if m.exists() {
                return Err(format!(
                    "{} lies above the scanned root and cargo would read it as the workspace",
                    m.display()
                ));
            }
        }
    }
    // cargo resolves paths on the host, following links as the host does: the real path must
    // stay under the real root (a link climbing out of the root is outside, even though the
    // scan itself reads the tree as a chroot).
    let real_root = std::fs::canonicalize(root.host_root()).map_err(|e| e.to_string())?;
    let inside =
        |sys: &str| std::fs::canonicalize(root.join(sys)).is_ok_and(|p| p.starts_with(&real_root));
    let mut todo = vec![dir.to_owned()];
    let mut seen = std::collections::HashSet::new();
    while let Some(d) = todo.pop() {
        if !seen.insert(d.clone()) {
            continue;
        }
        if seen.len() > MAX_MANIFESTS {
            return Err(format!("more than {MAX_MANIFESTS} workspace manifests"));
        }
        let manifest = format!("{}/Cargo.toml", d.trim_end_matches('/'));
        let text = root
            .read_string_capped(&manifest, 1 << 20)
            .map_err(|e| format!("{manifest}: {e}"))?;
        let m: toml::Value =
            toml::from_str(&text).map_err(|e| format!("{manifest}: {}", e.message()))?;
        let (paths, members) = manifest_paths(&m);
        let outside = |p: &str| {
            format!("{manifest} names `{p}`, which is missing or outside the scanned root")
        };
        for p in &paths {
            let at = join_inside(&d, p)
                .filter(|at| inside(at))
                .ok_or_else(|| outside(p))?;
            root.resolve(&at).map_err(|_| outside(p))?;
        }
        for member in &members {
            let (prefix, glob) = match member.split_once('*') {
                Some((pre, rest)) if rest.is_empty() && pre.ends_with('/') => {
                    (pre.trim_end_matches('/'), true)
                }
                Some(_) => {
                    return Err(format!(
                        "{manifest}: workspace member pattern `{member}` is not checked"
                    ))
                }
                None => (member.as_str(), false),
            };
            let at = join_inside(&d, prefix)
                .filter(|at| inside(at))
                .ok_or_else(|| outside(member))?;
            let host = root.resolve(&at).map_err(|_| outside(member))?;
            if glob {
                let mut subs: Vec<String> = std::fs::read_dir(&host)
                    .map_err(|e| format!("{at}: {e}"))?
                    .flatten()
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                    .filter_map(|e| e.file_name().to_str().map(|n| format!("{at}/{n}")))
                    .filter(|sub| root.is_file(&format!("{sub}/Cargo.toml")))
                    .collect();
                subs.sort();
                todo.extend(subs);
            } else {
                todo.push(at);
            }
        }
    }
    Ok(())
}

/// Run `cargo metadata` on `manifest` (a host path) in a fresh empty directory, killed after
/// [`METADATA_TIMEOUT`].
fn run_metadata(manifest: &std::path::Path) -> Result<cargo_metadata::Metadata, String> {
    let cwd = std::env::temp_dir().join(format!(
        "sovscan-cargo-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&cwd).map_err(|e| format!("cannot make a working directory: {e}"))?;
    let mut cmd = cargo_metadata::MetadataCommand::new()
        .manifest_path(manifest)
        .other_options(vec!["--offline".to_owned(), "--locked".to_owned()])
        .env("CARGO_NET_OFFLINE", "true")
        .env("RUSTC", "rustc")
        .env("RUSTC_WRAPPER", "")
        .env("RUSTC_WORKSPACE_WRAPPER", "")
        .env("CARGO_BUILD_RUSTC_WRAPPER", "")
        .cargo_command();
    cmd.current_dir(&cwd)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let result = (|| {
        let mut child = cmd.spawn().map_err(|e| format!("cannot run cargo: {e}"))?;
        let pipe = |r: Option<Box<dyn std::io::Read + Send>>| {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                if let Some(mut r) = r {
                    let _ = std::io::Read::read_to_end(&mut r, &mut buf);
                }
                buf
            })
        };
        let out = pipe(
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        );
        let err = pipe(
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        );
        let deadline = std::time::Instant::now() + METADATA_TIMEOUT;
        let status = loop {
            if let Some(st) = child.try_wait().map_err(|e| e.to_string())? {
                break st;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "cargo metadata ran over {} s and was stopped",
                    METADATA_TIMEOUT.as_secs()
                ));
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let (out, err) = (
            out.join().unwrap_or_default(),
            err.join().unwrap_or_default(),
        );
        if !status.success() {
            return Err(first_line(&String::from_utf8_lossy(&err)));
        }
        let text = String::from_utf8_lossy(&out);
        let line = text.lines().find(|l| l.starts_with('{')).unwrap_or("");
        cargo_metadata::MetadataCommand::parse(line).map_err(|e| first_line(&e.to_string()))
    })();
    let _ = std::fs::remove_dir(&cwd);
    result
}

fn metadata(manifest: &std::path::Path, at: &str) -> Result<Collected, String> {
    let md = run_metadata(manifest)?;
    let mut out = Collected::default();
    let mut ids: HashMap<&str, String> = HashMap::new();
    for p in &md.packages {
        let source = p.source.as_ref().map(|s| s.repr.as_str());
        let mut comp = component(&p.name, &p.version.to_string(), source, at);
        comp.set_property("cargo-source", "cargo metadata");
        if md.workspace_members.contains(&p.id) {
            comp.set_property("workspace-member", "true");
        }
        for a in &p.authors {
            meta::people(&mut comp, a, at, false);
        }
        for u in [&p.repository, &p.homepage].into_iter().flatten() {
            meta::url(&mut comp, u, at);
        }
        if let Some(l) = &p.license {
            comp.set_property("license", l);
        }
        ids.insert(p.id.repr.as_str(), comp.id.clone());
        out.components.push(comp);
    }
    for n in md.resolve.iter().flat_map(|r| &r.nodes) {
        let Some(from) = ids.get(n.id.repr.as_str()) else {
            continue;
        };
        for d in &n.deps {
            if let Some(to) = ids.get(d.pkg.repr.as_str()) {
                edge(&mut out, from, to);
            }
        }
    }
    Ok(out)
}

fn first_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("Caused by"))
        .unwrap_or(s)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_packages_and_edges() {
        let t = "version = 4\n[[package]]\nname = \"a\"\nversion = \"0.1.0\"\ndependencies = [\"b 1.0.0\", \"c\"]\n\n[[package]]\nname = \"b\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"b\"\nversion = \"2.0.0\"\n\n[[package]]\nname = \"c\"\nversion = \"0.3.0\"\n";
        let c = parse_lock(t, "/Cargo.lock");
        assert_eq!(c.components.len(), 4);
        let to: Vec<&str> = c.relationships.iter().map(|r| r.to.as_str()).collect();
        assert_eq!(to, vec!["cargo:b@1.0.0", "cargo:c@0.3.0"]);
        assert_eq!(c.components[1].purl.as_deref(), Some("pkg:cargo/b@1.0.0"));
        assert!(!parse_lock("[[package]]\nname = 1", "/x").errors.is_empty());
    }

    fn tree(files: &[(&str, &str)]) -> (tempfile::TempDir, crate::rootfs::RootFs) {
        let top = tempfile::tempdir().unwrap();
        let root = top.path().join("root");
        for (p, text) in files {
            let f = root.join(p.trim_start_matches('/'));
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, text).unwrap();
        }
        std::fs::create_dir_all(&root).unwrap();
        let fs = crate::rootfs::RootFs::new(&root).unwrap();
        (top, fs)
    }

    /// cargo metadata runs only on a crate whose manifests name nothing outside the root.
    #[test]
    fn metadata_only_for_self_contained_crates() {
        let pkg = "[package]\nname = \"a\"\nversion = \"0.1.0\"\n";
        let (_t, fs) = tree(&[
            (
                "/src/app/Cargo.toml",
                &format!("{pkg}[dependencies]\nb = {{ path = \"../b\" }}\n"),
            ),
            ("/src/b/Cargo.toml", pkg),
        ]);
        assert_eq!(self_contained(&fs, "/src/app"), Ok(()));
        for (dep, why) in [
            (
                "{ path = \"../../../outside\" }",
                "outside the scanned root",
            ),
            ("{ path = \"/etc\" }", "outside the scanned root"),
        ] {
            let (_t, fs) = tree(&[(
                "/app/Cargo.toml",
                &format!("{pkg}[dependencies]\nb = {dep}\n"),
            )]);
            let e = self_contained(&fs, "/app").unwrap_err();
            assert!(e.contains(why), "{dep}: {e}");
        }
        // Members are followed: a member's own path dependency counts.
        let (_t, fs) = tree(&[
            ("/ws/Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\n"),
            (
                "/ws/crates/x/Cargo.toml",
                &format!(
                    "{pkg}[target.'cfg(unix)'.dependencies]\nz = {{ path = \"../../../../z\" }}\n"
                ),
            ),
        ]);
        assert!(self_contained(&fs, "/ws")
            .unwrap_err()
            .contains("crates/x/Cargo.toml"));
        // A path through a link that climbs out of the root.
        let (_t, fs) = tree(&[(
            "/l/Cargo.toml",
            &format!("{pkg}[dependencies]\nb = {{ path = \"up/b\" }}\n"),
        )]);
        std::os::unix::fs::symlink("../../..", fs.join("/l/up")).unwrap();
        assert!(self_contained(&fs, "/l").is_err());
        let (_t, fs) = tree(&[(
            "/p/Cargo.toml",
            &format!("{pkg}[patch.crates-io]\nq = {{ path = \"../../q\" }}\n"),
        )]);
        assert!(self_contained(&fs, "/p").is_err());
        assert_eq!(join_inside("/a/b", "../c/./d"), Some("/a/c/d".to_owned()));
        assert_eq!(join_inside("/a", "../../x"), None);
    }
}
