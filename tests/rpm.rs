//! rpm databases: the three backends, compared with `rpm -qa`, plus corrupt copies.

use crate::common::{component, fixtures, scan_json};
use serde_json::Value;
use std::path::Path;

/// `rpm --dbpath fixtures/rpm/mariner-2.0/var/lib/rpm -qa --qf '%{NAME} %{EPOCH}:%{VERSION}-%{RELEASE} %{ARCH}\n'`
/// (Debian's rpm 4.18.0; `(none):` epochs dropped), sorted.
const MARINER_RPM_QA: &str = "bash 5.1.8-1.cm2 x86_64;bzip2-libs 1.0.8-1.cm2 x86_64;coreutils 8.32-1.cm2 x86_64;cracklib 2.9.7-4.cm2 x86_64;e2fsprogs-libs 1.46.4-1.cm2 x86_64;elfutils-libelf 0.185-1.cm2 x86_64;expat-libs 2.4.3-1.cm2 x86_64;filesystem 1.1-8.cm2 x86_64;glibc 2.34-2.cm2 x86_64;gmp 6.2.1-2.cm2 x86_64;grep 3.7-1.cm2 x86_64;gzip 1.11-1.cm2 x86_64;krb5 1.18-2.cm2 x86_64;libassuan 2.5.5-1.cm2 x86_64;libcap 2.26-2.cm2 x86_64;libffi 3.4.2-1.cm2 x86_64;libgcc 11.2.0-1.cm2 x86_64;libgcrypt 1.9.4-1.cm2 x86_64;libgpg-error 1.43-1.cm2 x86_64;libselinux 3.2-1.cm2 x86_64;libsepol 3.2-2.cm2 x86_64;libstdc++ 11.2.0-1.cm2 x86_64;lua-libs 5.3.5-11.cm2 x86_64;mariner-release 2.0-4.cm2 noarch;mariner-rpm-macros 2.0-10.cm2 noarch;ncurses-libs 6.2-4.cm2 x86_64;nspr 4.21-2.cm2 x86_64;openssl 1.1.1k-7.cm2 x86_64;openssl-libs 1.1.1k-7.cm2 x86_64;p11-kit 0.23.22-3.cm2 x86_64;pcre 8.44-3.cm2 x86_64;pcre-libs 8.44-3.cm2 x86_64;popt 1.16-7.cm2 x86_64;readline 8.1-1.cm2 x86_64;sqlite-libs 3.34.1-2.cm2 x86_64;xz 5.2.5-1.cm2 x86_64;xz-libs 5.2.5-1.cm2 x86_64;zlib 1.2.11-5.cm2 x86_64;zstd-libs 1.5.0-1.cm2 x86_64";

/// `rpm -qa` of the SUSE Linux Enterprise 15 BCI image this ndb database comes from, as
/// published with it (go-rpmdb `pkg/rpmdb_testcase_test.go` at d637bcc, restated in fossa-cli's
/// `test/Ndb/NdbSpec.hs`); Debian's rpm is built without ndb.
const SLE15_RPM_QA: &str = "system-user-root 20190513-3.3.1 noarch;filesystem 15.0-11.3.2 x86_64;glibc 2.31-9.3.2 x86_64;libpcre1 8.45-20.10.1 x86_64;libgmp10 6.1.2-4.6.1 x86_64;libgcc_s1 11.2.1+git610-1.3.9 x86_64;libcap2 2.26-4.6.1 x86_64;libstdc++6 11.2.1+git610-1.3.9 x86_64;libncurses6 6.1-5.9.1 x86_64;terminfo-base 6.1-5.9.1 x86_64;libattr1 2.4.47-2.19 x86_64;libselinux1 3.0-1.31 x86_64;libreadline7 7.0-19.6.1 x86_64;bash 4.4-19.6.1 x86_64;libacl1 2.2.52-4.3.1 x86_64;coreutils 8.32-3.2.1 x86_64;sles-release 15.3-55.4.1 x86_64;ca-certificates-mozilla-prebuilt 2.44-21.1 noarch;libgpg-error0 1.29-1.8 x86_64;libpopt0 1.16-3.22 x86_64;file-magic 5.32-7.14.1 noarch;libbz2-1 1.0.6-5.11.1 x86_64;liblua5_3-5 5.3.6-3.6.1 x86_64;liblzma5 5.2.3-4.3.1 x86_64;libz1 1.2.11-3.21.1 x86_64;libzstd1 1.4.4-1.6.1 x86_64;libmagic1 5.32-7.14.1 x86_64;libdw1 0.168-4.5.3 x86_64;libebl-plugins 0.168-4.5.3 x86_64;libelf1 0.168-4.5.3 x86_64;libcrypt1 4.4.15-2.51 x86_64;perl-base 5.26.1-15.87 x86_64;libgcrypt20 1.8.2-8.39.1 x86_64;rpm-config-SUSE 1-5.6.1 noarch;rpm-ndb 4.14.3-40.1 x86_64";

fn rpm_listing(report: &Value) -> Vec<String> {
    let mut v: Vec<String> = report["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ecosystem"] == "rpm")
        .map(|c| {
            format!(
                "{} {} {}",
                c["name"].as_str().unwrap(),
                c["version"].as_str().unwrap(),
                c["properties"]["arch"].as_str().unwrap_or("(none)")
            )
        })
        .collect();
    v.sort();
    v
}

fn expected(list: &str) -> Vec<String> {
    let mut v: Vec<String> = list.split(';').map(str::to_owned).collect();
    v.sort();
    v
}

fn errors(report: &Value) -> Vec<String> {
    report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["error"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn sqlite_matches_rpm_qa() {
    let r = scan_json(&[
        "--root",
        fixtures().join("rpm/mariner-2.0").to_str().unwrap(),
    ]);
    assert_eq!(rpm_listing(&r), expected(MARINER_RPM_QA));
    assert!(errors(&r).is_empty(), "{:?}", errors(&r));
    let zlib = component(&r, "rpm:zlib@1.2.11-5.cm2");
    assert_eq!(
        zlib["purl"],
        "pkg:rpm/mariner/zlib@1.2.11-5.cm2?arch=x86_64&distro=mariner-2.0"
    );
    assert_eq!(zlib["locations"][0], "/var/lib/rpm/rpmdb.sqlite");
    let ev = zlib["evidence"].as_array().unwrap();
    let has = |k: &str, v: &str| ev.iter().any(|e| e["kind"] == k && e["value"] == v);
    assert!(has("company-name", "Microsoft Corporation"), "{ev:?}");
    assert!(has("url", "http://www.zlib.net/"), "{ev:?}");
    assert!(has("package-name", "rpm:zlib"), "{ev:?}");
    assert_eq!(zlib["properties"]["license"], "zlib");
    assert_eq!(
        zlib["properties"]["source-rpm"],
        "zlib-1.2.11-5.cm2.src.rpm"
    );
}

#[test]
fn berkeley_db_matches_rpm_qa() {
    let r = scan_json(&["--root", fixtures().join("rpm/rhel-8").to_str().unwrap()]);
    // rpm --define '_db_backend bdb_ro' --dbpath fixtures/rpm/rhel-8/var/lib/rpm -qa
    assert_eq!(rpm_listing(&r), vec!["libuuid 2.32.1-42.el8_8 x86_64"]);
    let c = component(&r, "rpm:libuuid@2.32.1-42.el8_8");
    assert_eq!(c["purl"], "pkg:rpm/libuuid@2.32.1-42.el8_8?arch=x86_64");
    let ev = c["evidence"].as_array().unwrap();
    let has = |k: &str, v: &str| ev.iter().any(|e| e["kind"] == k && e["value"] == v);
    assert!(has("company-name", "Red Hat, Inc."));
    assert!(has(
        "maintainer",
        "Red Hat, Inc. <http://bugzilla.redhat.com/bugzilla>"
    ));
    assert!(has("url", "http://en.wikipedia.org/wiki/Util-linux"));
    assert!(has("package-name", "rpm:util-linux"));
    assert_eq!(c["properties"]["license"], "BSD");
}

#[test]
fn ndb_matches_rpm_qa() {
    let r = scan_json(&["--root", fixtures().join("rpm/sle-15").to_str().unwrap()]);
    assert_eq!(rpm_listing(&r), expected(SLE15_RPM_QA));
    assert!(errors(&r).is_empty(), "{:?}", errors(&r));
    let bash = component(&r, "rpm:bash@4.4-19.6.1");
    let ev = bash["evidence"].as_array().unwrap();
    assert!(ev
        .iter()
        .any(|e| e["kind"] == "company-name" && e["value"] == "SUSE LLC <https://www.suse.com/>"));
}

fn copy_truncated(src: &Path, dst_root: &Path, rel: &str, keep: f64) {
    let bytes = std::fs::read(src.join(rel)).unwrap();
    let dst = dst_root.join(rel);
    std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
    std::fs::write(dst, &bytes[..(bytes.len() as f64 * keep) as usize]).unwrap();
}

/// Truncated copies (made here) keep what can be read and say what could not.
#[test]
fn truncated_databases_keep_readable_entries() {
    let f = fixtures().join("rpm");
    for (case, rel, total) in [
        ("sle-15", "usr/lib/sysimage/rpm/Packages.db", 35usize),
        ("mariner-2.0", "var/lib/rpm/rpmdb.sqlite", 39),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        copy_truncated(&f.join(case), tmp.path(), rel, 0.6);
        let r = scan_json(&["--root", tmp.path().to_str().unwrap()]);
        let n = rpm_listing(&r).len();
        let errs = errors(&r);
        assert!(
            !errs.is_empty(),
            "{case}: no error for a truncated database"
        );
        assert!(n < total, "{case}: {n} packages from a truncated copy");
        assert!(n > 10, "{case}: only {n} packages kept");
    }
    // Berkeley DB cut inside the overflow pages of its only header.
    let tmp = tempfile::tempdir().unwrap();
    copy_truncated(&f.join("rhel-8"), tmp.path(), "var/lib/rpm/Packages", 0.5);
    let r = scan_json(&["--root", tmp.path().to_str().unwrap()]);
    assert!(rpm_listing(&r).is_empty());
    assert!(
        errors(&r).iter().any(|e| e.contains("truncated")),
        "{:?}",
        errors(&r)
    );
}

/// Garbage and bit-flipped databases (made here) never abort the scan.
#[test]
fn corrupt_databases_are_errors() {
    let f = fixtures().join("rpm");
    for (case, rel) in [
        ("sle-15", "usr/lib/sysimage/rpm/Packages.db"),
        ("rhel-8", "var/lib/rpm/Packages"),
        ("mariner-2.0", "var/lib/rpm/rpmdb.sqlite"),
    ] {
        let mut bytes = std::fs::read(f.join(case).join(rel)).unwrap();
        // Flip every 97th byte after the first page: headers, slots and pages all get hit.
        for i in (4096..bytes.len()).step_by(97) {
            bytes[i] ^= 0x5a;
        }
        let tmp = tempfile::tempdir().unwrap();
        let dst = tmp.path().join(rel);
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::write(&dst, &bytes).unwrap();
        let r = scan_json(&["--root", tmp.path().to_str().unwrap()]);
        assert!(
            !errors(&r).is_empty(),
            "{case}: corrupt database without an error"
        );
        std::fs::write(&dst, b"").unwrap();
        let r = scan_json(&["--root", tmp.path().to_str().unwrap()]);
        assert!(
            errors(&r).iter().any(|e| e.contains("empty")),
            "{case}: {:?}",
            errors(&r)
        );
    }
}

/// Files an rpm package owns are not reported again as unowned binaries.
#[test]
fn owned_files_are_not_binaries() {
    let tmp = tempfile::tempdir().unwrap();
    copy_truncated(
        &fixtures().join("rpm/rhel-8"),
        tmp.path(),
        "var/lib/rpm/Packages",
        1.0,
    );
    let lib = tmp.path().join("usr/lib64");
    std::fs::create_dir_all(&lib).unwrap();
    // Not a valid ELF: reported as malformed if (wrongly) treated as unowned.
    std::fs::write(lib.join("libuuid.so.1.3.0"), b"\x7fELF broken").unwrap();
    std::fs::write(lib.join("unowned.so"), b"\x7fELF broken").unwrap();
    let r = scan_json(&["--root", tmp.path().to_str().unwrap()]);
    let paths: Vec<&str> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec!["/usr/lib64/unowned.so"]);
}
