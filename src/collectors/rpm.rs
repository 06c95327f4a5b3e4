//! rpm: Fedora, RHEL and rebuilds, openSUSE/SLE, CBL-Mariner/Azure Linux, openEuler, Anolis,
//! Kylin and other rpm-based systems.
//!
//! Reads the three package database backends real systems carry, found as `rpmdb.sqlite`,
//! `Packages` or `Packages.db` in a directory named `rpm` (`/var/lib/rpm`,
//! `/usr/lib/sysimage/rpm`, `/usr/share/rpm`):
//! - SQLite `rpmdb.sqlite` (rpm ≥ 4.16: Fedora ≥ 33, RHEL 9), table `Packages(hnum, blob)`,
//!   read from memory with the bundled SQLite (the scanned file is never opened by SQLite, so
//!   nothing is written next to it; a pending `-wal` log is reported, not replayed);
//! - Berkeley DB hash `Packages` (rpm ≤ 4.15), parsed directly: [`bdb`];
//! - ndb `Packages.db` (openSUSE, SLE 15), parsed directly: [`ndb`].
//!
//! Each value is an rpm header blob ([`header`]). When a directory has `rpmdb.sqlite`, that
//! database is the live one and an old `Packages` next to it is ignored (rpm's migration leaves
//! none behind, but copies do).
//!
//! Components: `rpm:<name>@[<epoch>:]<version>-<release>`, purl
//! `pkg:rpm/<os-release ID>/<name>@<version>-<release>?arch=&epoch=&distro=`. Evidence: vendor
//! (company name), packager (maintainer), URL, package and source package names, distributor.
//! File ownership from DIRNAMES/DIRINDEXES/BASENAMES (or OLDFILENAMES), resolved through the
//! root's directory symlinks. Caps: a database up to 1 GiB (memory-mapped), a header up to
//! rpm's own 256 MiB data limit, at most 1 000 000 owned paths per package.

pub mod bdb;
pub mod header;
pub mod ndb;

use super::{Candidate, Collected, Collector, Context, Phase};
use crate::model::{Component, ComponentKind, EvidenceKind, ScanError};
use header::{tag, Header};

const DB_CAP: u64 = 1 << 30;
const MAX_FILES: usize = 1_000_000;
const DB_NAMES: [&str; 3] = ["rpmdb.sqlite", "Packages", "Packages.db"];

/// The rpm collector.
pub struct Rpm;

impl Collector for Rpm {
    fn id(&self) -> &'static str {
        "rpm"
    }
    fn reads(&self) -> &'static str {
        "`rpmdb.sqlite` (SQLite), `Packages` (Berkeley DB hash) and `Packages.db` (ndb) under `/var/lib/rpm`, `/usr/lib/sysimage/rpm`; file ownership from the headers"
    }
    fn emits(&self) -> &'static [EvidenceKind] {
        &[
            EvidenceKind::CompanyName,
            EvidenceKind::Distributor,
            EvidenceKind::Email,
            EvidenceKind::Homepage,
            EvidenceKind::Maintainer,
            EvidenceKind::PackageName,
            EvidenceKind::Url,
        ]
    }
    fn phase(&self) -> Phase {
        Phase::Database
    }
    fn database_paths(&self) -> &'static [&'static str] {
        &[
            "/var/lib/rpm/rpmdb.sqlite",
            "/var/lib/rpm/Packages",
            "/var/lib/rpm/Packages.db",
            "/usr/lib/sysimage/rpm/rpmdb.sqlite",
            "/usr/lib/sysimage/rpm/Packages.db",
        ]
    }
    fn matches_path(&self, path: &str) -> bool {
        let Some((dir, name)) = path.rsplit_once('/') else {
            return false;
        };
        DB_NAMES.contains(&name) && dir.rsplit('/').next() == Some("rpm")
    }
    fn collect(&self, c: &Candidate<'_>, ctx: &Context<'_>) -> Collected {
        if !c.path.ends_with("/rpmdb.sqlite") {
            let dir = c.path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
            if ctx.root.is_file(&format!("{dir}/rpmdb.sqlite")) {
                return Collected::default();
            }
        }
        let bytes = match c.load("rpm database", DB_CAP) {
            Ok(b) => b,
            Err(e) => return e,
        };
        let mut out = Collected::default();
        if c.path.ends_with("/rpmdb.sqlite") {
            let wal = format!("{}-wal", c.path);
            if ctx.root.open(&wal).is_ok_and(|f| !f.is_empty()) {
                out.errors.push(ScanError::new(
                    &wal,
                    "write-ahead log not replayed: recent rpm transactions may be missing",
                ));
            }
        }
        let (blobs, errors) = read_blobs(&bytes);
        out.errors
            .extend(errors.into_iter().map(|e| ScanError::new(c.path, e)));
        if blobs.is_empty() && out.errors.is_empty() && !bytes.is_empty() {
            out.errors
                .push(ScanError::new(c.path, "rpm database holds no package"));
        }
        let dirs = super::DirCache::default();
        for (i, blob) in blobs.iter().enumerate() {
            if !crate::work::charge_bytes(blob.len()) {
                break;
            }
            match Header::parse(blob).and_then(|h| Package::from_header(&h)) {
                Ok(p) => {
                    let comp = p.component(c.path, ctx);
                    let owner = super::Owner::of(&comp);
                    for f in p.files.iter().take(MAX_FILES) {
                        out.own(dirs.canonical(ctx.root, f), &owner);
                    }
                    out.components.push(comp);
                }
                // Key records of Berkeley DB (a 4-byte counter) are not headers.
                Err(_) if blob.len() < 8 => {}
                Err(e) => out.errors.push(ScanError::new(
                    c.path,
                    format!("package record {}: {e}", i + 1),
                )),
            }
        }
        out
    }
}

/// The header blobs of a database, whatever its backend, plus the problems met.
pub fn read_blobs(bytes: &[u8]) -> (Vec<Vec<u8>>, Vec<String>) {
    if bytes.starts_with(b"SQLite format 3\0") {
        sqlite_blobs(bytes)
    } else if ndb::is_ndb(bytes) {
        let (b, e) = ndb::blobs(bytes);
        (b.into_iter().map(<[u8]>::to_vec).collect(), e)
    } else if bdb::is_bdb_hash(bytes) {
        bdb::values(bytes)
    } else if bytes.is_empty() {
        (Vec::new(), vec!["empty rpm database".to_owned()])
    } else {
        (
            Vec::new(),
            vec!["not an rpm database (neither SQLite, Berkeley DB hash nor ndb)".to_owned()],
        )
    }
}

/// `SELECT blob FROM Packages` over an in-memory copy of the database. A damaged or truncated
/// database whose table scan fails is read again row by row (`WHERE hnum = ?`, up to the
/// `sqlite_sequence` counter or 65 536), so the rows that can still be reached are kept.
fn sqlite_blobs(bytes: &[u8]) -> (Vec<Vec<u8>>, Vec<String>) {
    let mut copy = bytes.to_vec();
    // A WAL-mode header (file format 2) cannot be read from memory; declare it rollback-mode.
    for i in [18, 19] {
        if copy.get(i) == Some(&2) {
            copy[i] = 1;
        }
    }
    // A truncated copy: make the in-header page count match the pages actually present, so
    // SQLite reads what is there instead of declaring the whole file malformed.
    let page_size = match copy.get(16..18).map(|b| u16::from_be_bytes([b[0], b[1]])) {
        Some(1) => 65536,
        Some(n) => usize::from(n),
        None => 0,
    };
    if page_size >= 512
        && (copy.len() % page_size != 0 || copy.len() / page_size < header_pages(&copy))
    {
        let pages = copy.len() / page_size;
        copy.truncate(pages * page_size);
        if let Some(h) = copy.get_mut(28..32) {
            h.copy_from_slice(&(pages as u32).to_be_bytes());
        }
    }
    let mut rows: std::collections::BTreeMap<i64, Vec<u8>> = std::collections::BTreeMap::new();
    let mut errors = Vec::new();
    let conn = (|| -> rusqlite::Result<rusqlite::Connection> {
        let mut conn = rusqlite::Connection::open_in_memory()?;
        conn.deserialize_read_exact(rusqlite::MAIN_DB, copy.as_slice(), copy.len(), true)?;
        Ok(conn)
    })();
    let conn = match conn {
        Ok(c) => c,
        Err(e) => return (Vec::new(), vec![format!("SQLite: {e}")]),
    };
    let scan = (|| -> rusqlite::Result<()> {
        let mut stmt = conn.prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")?;
        let mut q = stmt.query([])?;
        while let Some(row) = q.next()? {
            rows.insert(row.get(0)?, row.get(1)?);
        }
        Ok(())
    })();
    if let Err(e) = scan {
        errors.push(format!("SQLite: {e}"));
        let last: i64 = conn
            .query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = 'Packages'",
                [],
                |r| r.get(0),
            )
            .unwrap_or(65536)
            .clamp(0, 1 << 20);
        if let Ok(mut stmt) = conn.prepare("SELECT blob FROM Packages WHERE hnum = ?1") {
            let mut unreadable = 0usize;
            for h in 1..=last {
                if rows.contains_key(&h) {
                    continue;
                }
                match stmt.query_row([h], |r| r.get::<_, Vec<u8>>(0)) {
                    Ok(b) => {
                        rows.insert(h, b);
                    }
                    Err(rusqlite::Error::QueryReturnedNoRows) => {}
                    Err(_) => unreadable += 1,
                }
            }
            if unreadable > 0 {
                errors.push(format!(
                    "{unreadable} row lookups failed; {} packages read",
                    rows.len()
                ));
            }
        }
    }
    (rows.into_values().collect(), errors)
}

/// The in-header database size in pages (bytes 28..32), 0 when absent.
fn header_pages(db: &[u8]) -> usize {
    db.get(28..32)
        .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
}

/// One installed package as its header describes it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Package {
    /// Name.
    pub name: String,
    /// Epoch, when set.
    pub epoch: Option<u32>,
    /// Version.
    pub version: String,
    /// Release.
    pub release: String,
    /// Architecture (absent for `gpg-pubkey` pseudo-packages).
    pub arch: Option<String>,
    /// Vendor.
    pub vendor: Option<String>,
    /// Packager.
    pub packager: Option<String>,
    /// Upstream URL.
    pub url: Option<String>,
    /// Licence.
    pub license: Option<String>,
    /// Source rpm file name.
    pub source_rpm: Option<String>,
    /// Distribution.
    pub distribution: Option<String>,
    /// Summary.
    pub summary: Option<String>,
    /// Owned paths.
    pub files: Vec<String>,
}

impl Package {
    /// Read the fields from a header; `Err` without a name or version.
    pub fn from_header(h: &Header<'_>) -> Result<Self, String> {
        let name = h
            .string(tag::NAME)
            .filter(|s| !s.is_empty())
            .ok_or("header without a name")?;
        let version = h
            .string(tag::VERSION)
            .ok_or_else(|| format!("{name}: header without a version"))?;
        let text = |t| {
            h.string(t)
                .filter(|s: &String| !s.trim().is_empty() && s != "(none)")
        };
        Ok(Package {
            epoch: h.u32(tag::EPOCH),
            release: h.string(tag::RELEASE).unwrap_or_default(),
            arch: text(tag::ARCH),
            vendor: text(tag::VENDOR),
            packager: text(tag::PACKAGER),
            url: text(tag::URL),
            license: text(tag::LICENSE),
            source_rpm: text(tag::SOURCERPM),
            distribution: text(tag::DISTRIBUTION),
            summary: text(tag::SUMMARY),
            files: files(h).map_err(|e| format!("{name}: {e}"))?,
            name,
            version,
        })
    }

    /// `version-release`, as rpm prints it without the epoch.
    pub fn vr(&self) -> String {
        if self.release.is_empty() {
            self.version.clone()
        } else {
            format!("{}-{}", self.version, self.release)
        }
    }

    /// `[epoch:]version-release`.
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(e) => format!("{e}:{}", self.vr()),
            None => self.vr(),
        }
    }

    /// The source package's name: `util-linux-2.32.1-42.el8_8.src.rpm` → `util-linux`.
    pub fn source_name(&self) -> Option<&str> {
        let s = self.source_rpm.as_deref()?;
        let s = s.strip_suffix(".rpm")?;
        let s = s.rsplit_once('.').map(|(a, _)| a)?; // .src / .nosrc
        let s = s.rsplit_once('-')?.0; // release
        Some(s.rsplit_once('-')?.0) // version
    }

    fn purl(&self, ctx: &Context<'_>) -> Option<String> {
        let mut p = packageurl::PackageUrl::new("rpm", self.name.as_str()).ok()?;
        if let Some(ns) = &ctx.os.id {
            p.with_namespace(ns.as_str());
        }
        p.with_version(self.vr());
        if let Some(a) = &self.arch {
            p.add_qualifier("arch", a.as_str()).ok()?;
        }
        if let Some(e) = self.epoch {
            p.add_qualifier("epoch", e.to_string()).ok()?;
        }
        if let Some(d) = ctx.os.distro() {
            p.add_qualifier("distro", d).ok()?;
        }
        Some(p.to_string())
    }

    /// The report component (files are reported separately as ownership).
    pub fn component(&self, db: &str, ctx: &Context<'_>) -> Component {
        let mut comp = Component::new(
            ComponentKind::Package,
            Some("rpm"),
            &self.name,
            Some(&self.evr()),
        );
        comp.locations.push(db.to_owned());
        comp.purl = self.purl(ctx);
        comp.add_evidence(EvidenceKind::PackageName, format!("rpm:{}", self.name), db);
        if let Some(src) = self.source_name().filter(|s| *s != self.name) {
            comp.add_evidence(EvidenceKind::PackageName, format!("rpm:{src}"), db);
        }
        if let Some(v) = &self.vendor {
            comp.add_evidence(EvidenceKind::CompanyName, v, db);
            comp.set_property("vendor", v);
        }
        if let Some(p) = &self.packager {
            comp.add_evidence(EvidenceKind::Maintainer, p, db);
        }
        if let Some(u) = &self.url {
            comp.add_evidence(EvidenceKind::Url, u, db);
        }
        if let Some(os) = ctx.os.name.as_ref().or(ctx.os.id.as_ref()) {
            comp.add_evidence(EvidenceKind::Distributor, os, "/etc/os-release");
        } else if let Some(d) = &self.distribution {
            comp.add_evidence(EvidenceKind::Distributor, d, db);
        }
        for (k, v) in [
            ("arch", &self.arch),
            ("license", &self.license),
            ("source-rpm", &self.source_rpm),
            ("distribution", &self.distribution),
            ("summary", &self.summary),
        ] {
            if let Some(v) = v {
                comp.set_property(k, v);
            }
        }
        if let Some(e) = self.epoch {
            comp.set_property("epoch", e.to_string());
        }
        comp
    }
}

/// The package's paths: DIRNAMES[DIRINDEXES[i]] + BASENAMES[i], or OLDFILENAMES.
fn files(h: &Header<'_>) -> Result<Vec<String>, String> {
    let base = h.strings(tag::BASENAMES)?;
    if base.is_empty() {
        return h.strings(tag::OLDFILENAMES);
    }
    let dirs = h.strings(tag::DIRNAMES)?;
    let idx = h.u32s(tag::DIRINDEXES)?;
    if idx.len() != base.len() {
        return Err(format!(
            "{} base names but {} directory indexes",
            base.len(),
            idx.len()
        ));
    }
    base.iter()
        .zip(idx)
        .map(|(b, i)| {
            let d = dirs
                .get(i as usize)
                .ok_or_else(|| format!("directory index {i} out of range"))?;
            Ok(format!("{d}{b}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::header::tests::{build, s};
    use super::*;

    fn pkg_blob() -> Vec<u8> {
        build(&[
            s(tag::NAME, "libuuid"),
            s(tag::VERSION, "2.32.1"),
            s(tag::RELEASE, "42.el8_8"),
            (tag::EPOCH, 4, 1, 2u32.to_be_bytes().to_vec()),
            s(tag::ARCH, "x86_64"),
            s(tag::SOURCERPM, "util-linux-2.32.1-42.el8_8.src.rpm"),
            (
                tag::DIRNAMES,
                8,
                2,
                b"/usr/lib64/\0/usr/share/doc/\0".to_vec(),
            ),
            (tag::BASENAMES, 8, 2, b"libuuid.so.1\0README\0".to_vec()),
            (
                tag::DIRINDEXES,
                4,
                2,
                [0u32.to_be_bytes(), 1u32.to_be_bytes()].concat(),
            ),
        ])
    }

    #[test]
    fn package_fields_and_files() {
        let blob = pkg_blob();
        let p = Package::from_header(&Header::parse(&blob).unwrap()).unwrap();
        assert_eq!(p.evr(), "2:2.32.1-42.el8_8");
        assert_eq!(p.source_name(), Some("util-linux"));
        assert_eq!(
            p.files,
            vec!["/usr/lib64/libuuid.so.1", "/usr/share/doc/README"]
        );
    }

    #[test]
    fn bad_directory_index_is_an_error() {
        let blob = build(&[
            s(tag::NAME, "x"),
            s(tag::VERSION, "1"),
            (tag::DIRNAMES, 8, 1, b"/a/\0".to_vec()),
            (tag::BASENAMES, 8, 1, b"b\0".to_vec()),
            (tag::DIRINDEXES, 4, 1, 9u32.to_be_bytes().to_vec()),
        ]);
        let e = Package::from_header(&Header::parse(&blob).unwrap()).unwrap_err();
        assert!(e.contains("out of range"), "{e}");
    }

    /// Every prefix and many bit-flipped copies of the real Berkeley DB and ndb fixtures parse
    /// without panicking.
    #[test]
    fn cut_and_flipped_databases_never_panic() {
        let dbs: [&[u8]; 2] = [
            include_bytes!("../../fixtures/rpm/rhel-8/var/lib/rpm/Packages"),
            include_bytes!("../../fixtures/rpm/sle-15/usr/lib/sysimage/rpm/Packages.db"),
        ];
        for db in dbs {
            let step = (db.len() / 97).max(1);
            for cut in (0..db.len()).step_by(step) {
                let (blobs, _) = read_blobs(&db[..cut]);
                for b in blobs {
                    let _ = Header::parse(&b).and_then(|h| Package::from_header(&h));
                }
            }
            for seed in 0..16usize {
                let mut m = db.to_vec();
                for i in (seed * 31..m.len()).step_by(509 + seed) {
                    m[i] ^= 0x5a ^ seed as u8;
                }
                let (blobs, _) = read_blobs(&m);
                for b in blobs {
                    let _ = Header::parse(&b).and_then(|h| Package::from_header(&h));
                }
            }
        }
    }

    #[test]
    fn unknown_bytes_are_not_a_database() {
        let (b, e) = read_blobs(b"hello world, certainly not a database");
        assert!(b.is_empty());
        assert_eq!(e.len(), 1);
        let (b, e) = read_blobs(b"SQLite format 3\0garbage");
        assert!(b.is_empty() && e[0].starts_with("SQLite"), "{e:?}");
    }
}
