//! `sovscan db`: the fleet store, run as the same suite against SQLite and a real PostgreSQL
//! server (`SOVSCAN_TEST_PG`, started by `.ci/run` through `.ci/pg-start`). The fleet is made
//! of real fixture scans (dpkg/debian-12 and rpm/mariner-2.0) whose `scan.host` and
//! `scan.started` are set per host and quarter; expected numbers are counted independently
//! from the report files' own summaries.

use crate::common::{fixtures, scan_json, sovscan};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The two base reports (home DE), scanned once per test process.
fn bases() -> &'static (Value, Value) {
    static B: std::sync::OnceLock<(Value, Value)> = std::sync::OnceLock::new();
    B.get_or_init(|| {
        let root = |p: &str| fixtures().join(p).display().to_string();
        (
            scan_json(&["--home", "DE", "--root", &root("dpkg/debian-12")]),
            scan_json(&["--home", "DE", "--root", &root("rpm/mariner-2.0")]),
        )
    })
}

/// (file name, host, started, base: 0 = debian, 1 = mariner)
const FLEET: &[(&str, &str, &str, usize)] = &[
    ("q3-h1-a.json", "h1", "2026-07-10T08:00:00Z", 0),
    ("q3-h1-b.json", "h1", "2026-09-01T08:00:00Z", 0),
    ("q3-h2.json", "h2", "2026-08-01T08:00:00Z", 0),
    ("q4-h1.json", "h1", "2026-11-01T08:00:00Z", 1),
    ("q4-h2.json", "h2", "2026-10-15T08:00:00Z", 0),
    ("q4-h3.json", "h3", "2026-12-01T08:00:00Z", 1),
];

fn write_fleet(dir: &Path) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    let (deb, mar) = bases();
    FLEET
        .iter()
        .map(|(name, host, started, base)| {
            let mut r = if *base == 0 { deb.clone() } else { mar.clone() };
            r["scan"]["host"] = json!(host);
            r["scan"]["started"] = json!(started);
            let p = dir.join(name);
            std::fs::write(&p, serde_json::to_string_pretty(&r).unwrap()).unwrap();
            p
        })
        .collect()
}

fn quarter(ts: &str) -> String {
    let m: u32 = ts[5..7].parse().unwrap();
    format!("{}-Q{}", &ts[..4], (m - 1) / 3 + 1)
}

/// The independent count: per quarter, each host's latest report, its `summary.by_origin`.
fn expected_trend(files: &[PathBuf], hosts: Option<&[&str]>) -> Vec<Value> {
    let mut latest: BTreeMap<(String, String), (String, Value)> = BTreeMap::new();
    for f in files {
        let r: Value = serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
        let host = r["scan"]["host"].as_str().unwrap().to_owned();
        if hosts.is_some_and(|h| !h.contains(&host.as_str())) {
            continue;
        }
        let started = r["scan"]["started"].as_str().unwrap().to_owned();
        let key = (quarter(&started), host);
        if latest.get(&key).is_none_or(|(s, _)| *s < started) {
            latest.insert(key, (started, r));
        }
    }
    let mut groups: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for ((q, _), (_, r)) in &latest {
        for (origin, n) in r["summary"]["by_origin"].as_object().unwrap() {
            let e = groups.entry((q.clone(), origin.clone())).or_default();
            e.0 += 1;
            e.1 += n.as_i64().unwrap();
        }
    }
    groups
        .into_iter()
        .map(|((q, g), (h, c))| json!({"quarter": q, "group": g, "hosts": h, "components": c}))
        .collect()
}

fn db(url: &str, args: &[&str]) -> std::process::Output {
    sovscan()
        .arg("db")
        .args(["--db", url])
        .args(args)
        .env_remove("SOVSCAN_DB")
        .output()
        .unwrap()
}

fn ok_json(url: &str, args: &[&str]) -> Value {
    let out = db(url, args);
    assert!(
        out.status.success(),
        "db {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stdout));
    })
}

fn ingest(url: &str, args: &[&str]) -> String {
    let out = db(url, &[&["ingest"], args].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn count_rows(url: &str, table: &str) -> i64 {
    let loc = sovscan::db::Location::parse(url).unwrap();
    let mut store = sovscan::db::open(&loc).unwrap();
    let rows = store
        .query(&format!("SELECT COUNT(*) FROM {table}"), &[])
        .unwrap();
    rows[0][0].int()
}

fn hosts_of(v: &Value) -> Vec<(String, String, String)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["host"].as_str().unwrap().to_owned(),
                h["first_seen"].as_str().unwrap().to_owned(),
                h["last_scan"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn strip_trend(v: Value) -> Vec<Value> {
    v.as_array().unwrap().clone()
}

/// The whole suite on one store.
fn fleet_suite(url: &str, tmp: &Path) {
    let files = write_fleet(&tmp.join("fleet"));
    let tags = tmp.join("tags.csv");
    std::fs::write(&tags, "host,unit\nh1,ops\nh2,ops\nh3,dev\n").unwrap();
    let d = tmp.join("fleet").display().to_string();
    let t = tags.display().to_string();
    let first = ingest(url, &[&d, "--tags", &t, "--tag", "site=sh-02"]);
    assert!(
        first.starts_with("6 report(s) read: 6 new scan(s)"),
        "{first}"
    );
    let observations = count_rows(url, "observations");
    let deb = bases().0["summary"]["components"].as_i64().unwrap();
    let mar = bases().1["summary"]["components"].as_i64().unwrap();
    assert_eq!(observations, 4 * deb + 2 * mar);
    // Idempotent: the same reports again, by file and by directory, add nothing.
    let again = ingest(url, &[&d]);
    assert!(
        again.contains("0 new scan(s) with 0 observation(s), 6 already stored"),
        "{again}"
    );
    let one = files[0].display().to_string();
    assert!(ingest(url, &[&one]).contains("1 already stored"));
    assert_eq!(count_rows(url, "observations"), observations);
    assert_eq!(count_rows(url, "scans"), 6);

    // Trend by origin: exactly the independent count.
    let trend = ok_json(url, &["trend", "-f", "json"]);
    assert_eq!(strip_trend(trend.clone()), expected_trend(&files, None));
    // And the numbers written out: Q3 counts h1 once (at its September scan).
    assert_eq!(
        trend,
        json!([
            {"quarter": "2026-Q3", "group": "foreign", "hosts": 2, "components": 4},
            {"quarter": "2026-Q3", "group": "international", "hosts": 2, "components": 4},
            {"quarter": "2026-Q3", "group": "unknown", "hosts": 2, "components": 8},
            {"quarter": "2026-Q4", "group": "foreign", "hosts": 3, "components": 2 + 2 * mar},
            {"quarter": "2026-Q4", "group": "international", "hosts": 1, "components": 2},
            {"quarter": "2026-Q4", "group": "unknown", "hosts": 1, "components": 4},
        ])
    );
    let q4 = ok_json(
        url,
        &[
            "trend", "--from", "2026-Q4", "--to", "2026-q4", "-f", "json",
        ],
    );
    assert_eq!(q4.as_array().unwrap().len(), 3);
    // Tags: per host from the CSV, and the one given to every scan.
    let ops = ok_json(url, &["trend", "--tag", "unit=ops", "-f", "json"]);
    assert_eq!(
        strip_trend(ops),
        expected_trend(&files, Some(&["h1", "h2"]))
    );
    let dev = ok_json(
        url,
        &[
            "trend",
            "--tag",
            "unit=dev",
            "--tag",
            "site=sh-02",
            "-f",
            "json",
        ],
    );
    assert_eq!(
        dev,
        json!([{"quarter": "2026-Q4", "group": "foreign", "hosts": 1, "components": mar}])
    );
    assert_eq!(
        ok_json(url, &["trend", "--tag", "unit=none", "-f", "json"]),
        json!([])
    );
    // By country and by vendor (owner), against the summaries.
    let by_country = ok_json(
        url,
        &[
            "trend", "--by", "country", "--from", "2026-Q4", "-f", "json",
        ],
    );
    let us = by_country
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"] == "US")
        .unwrap();
    let deb_us = bases().0["summary"]["by_country"]["US"].as_i64().unwrap();
    assert_eq!(us["hosts"], 3);
    assert_eq!(us["components"], deb_us + 2 * mar);
    let by_owner = ok_json(url, &["trend", "--by", "owner", "-f", "json"]);
    let ms = by_owner
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"] == "microsoft")
        .unwrap();
    assert_eq!(
        ms,
        &json!({"quarter": "2026-Q4", "group": "microsoft", "hosts": 2, "components": 2 * mar})
    );
    // --home US: the US makers become domestic.
    let home_us = ok_json(
        url,
        &["trend", "--home", "US", "--from", "2026-Q4", "-f", "json"],
    );
    assert!(
        home_us
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["group"] == "domestic" && r["components"] == deb_us + 2 * mar),
        "{home_us:#}"
    );
    // Table and CSV render the same rows.
    let csv = String::from_utf8(db(url, &["trend", "-f", "csv"]).stdout).unwrap();
    assert!(
        csv.starts_with("quarter,origin,hosts,components\n2026-Q3,foreign,2,4\n"),
        "{csv}"
    );
    let table = String::from_utf8(db(url, &["trend"]).stdout).unwrap();
    assert!(
        table.contains("2026-Q4") && table.contains("international"),
        "{table}"
    );

    // Diff: Microsoft appeared on two hosts; nothing disappeared (h2 still runs Debian).
    let diff = ok_json(
        url,
        &["diff", "--from", "2026-Q3", "--to", "2026-Q4", "-f", "json"],
    );
    let appeared: Vec<(String, String, i64)> = diff["appeared"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap().to_owned(),
                c["id"].as_str().unwrap().to_owned(),
                c["hosts"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(
        appeared.contains(&("vendor".into(), "microsoft".into(), 2)),
        "{diff:#}"
    );
    assert!(
        appeared.contains(&("owner".into(), "microsoft".into(), 2)),
        "{diff:#}"
    );
    assert_eq!(diff["appeared"][0]["vendor"], "microsoft");
    assert_eq!(diff["disappeared"], json!([]));
    assert_eq!(
        (diff["hosts_from"].as_i64(), diff["hosts_to"].as_i64()),
        (Some(2), Some(3))
    );
    // h1 went from Debian (half of its known-origin components foreign) to all foreign.
    assert_eq!(diff["hosts"].as_array().unwrap().len(), 1, "{diff:#}");
    assert_eq!(diff["hosts"][0]["host"], "h1");
    assert_eq!(diff["hosts"][0]["foreign_from"], 0.5);
    assert_eq!(diff["hosts"][0]["foreign_to"], 1.0);
    assert_eq!(diff["newly_foreign"].as_array().unwrap().len() as i64, mar);
    // Backwards, Microsoft disappeared, with its two hosts on the `from` side.
    let back = ok_json(
        url,
        &["diff", "--from", "2026-Q4", "--to", "2026-Q3", "-f", "json"],
    );
    assert!(back["disappeared"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["vendor"] == "microsoft" && c["hosts_from"] == 2 && c["hosts_to"] == 0));
    // Exit codes like `diff`.
    let code = |args: &[&str]| db(url, args).status.code();
    assert_eq!(
        code(&[
            "diff",
            "--from",
            "2026-Q3",
            "--to",
            "2026-Q4",
            "--fail-on",
            "new-foreign"
        ]),
        Some(1)
    );
    assert_eq!(
        code(&[
            "diff",
            "--from",
            "2026-Q3",
            "--to",
            "2026-Q4",
            "--fail-on",
            "new-unknown"
        ]),
        Some(0)
    );
    assert_eq!(
        code(&[
            "diff",
            "--from",
            "2026-Q3",
            "--to",
            "2026-Q3",
            "--fail-on",
            "any"
        ]),
        Some(0)
    );
    assert_eq!(
        code(&["diff", "--from", "2026-Q3", "--to", "2026-Q5"]),
        Some(2)
    );

    // Hosts: since when, and their latest scan.
    let ms = ok_json(url, &["hosts", "--vendor", "microsoft", "-f", "json"]);
    assert_eq!(
        hosts_of(&ms),
        [
            (
                "h1".into(),
                "2026-11-01T08:00:00Z".into(),
                "2026-11-01T08:00:00Z".into()
            ),
            (
                "h3".into(),
                "2026-12-01T08:00:00Z".into(),
                "2026-12-01T08:00:00Z".into()
            ),
        ]
    );
    assert_eq!(ms[0]["components"].as_i64(), Some(mar));
    let ms_nov = ok_json(
        url,
        &[
            "hosts",
            "--owner",
            "microsoft",
            "--as-of",
            "2026-11-15",
            "-f",
            "json",
        ],
    );
    assert_eq!(hosts_of(&ms_nov).len(), 1);
    // h1 left Debian in Q4; as of the end of Q3 it ran it since July.
    let debian = ok_json(url, &["hosts", "--vendor", "debian", "-f", "json"]);
    assert_eq!(
        hosts_of(&debian),
        [(
            "h2".into(),
            "2026-08-01T08:00:00Z".into(),
            "2026-10-15T08:00:00Z".into()
        )]
    );
    let debian_q3 = ok_json(
        url,
        &[
            "hosts",
            "--vendor",
            "debian",
            "--as-of",
            "2026-09-30",
            "-f",
            "json",
        ],
    );
    assert_eq!(
        hosts_of(&debian_q3),
        [
            (
                "h1".into(),
                "2026-07-10T08:00:00Z".into(),
                "2026-09-01T08:00:00Z".into()
            ),
            (
                "h2".into(),
                "2026-08-01T08:00:00Z".into(),
                "2026-08-01T08:00:00Z".into()
            ),
        ]
    );
    let us_hosts = ok_json(url, &["hosts", "--country", "us", "-f", "json"]);
    assert_eq!(hosts_of(&us_hosts).len(), 3);
    let dev_hosts = ok_json(
        url,
        &[
            "hosts",
            "--country",
            "US",
            "--tag",
            "unit=dev",
            "-f",
            "json",
        ],
    );
    assert_eq!(hosts_of(&dev_hosts)[0].0, "h3");
    let zlib = ok_json(url, &["hosts", "--product", "zlib", "-f", "json"]);
    assert_eq!(hosts_of(&zlib).len(), 1);
    assert_eq!(
        ok_json(url, &["hosts", "--list", "us-fcc-covered", "-f", "json"]),
        json!([])
    );
    assert_eq!(
        db(url, &["hosts", "--list", "no-such-list"]).status.code(),
        Some(2)
    );
    assert_eq!(
        db(url, &["hosts"]).status.code(),
        Some(2),
        "one filter is required"
    );

    // The BI views answer the same numbers.
    let loc = sovscan::db::Location::parse(url).unwrap();
    let mut store = sovscan::db::open(&loc).unwrap();
    let rows = store
        .query(
            "SELECT quarter, origin, hosts, components FROM v_quarterly_reliance ORDER BY 1, 2",
            &[],
        )
        .unwrap();
    let view: Vec<Value> = rows
        .iter()
        .map(|r| json!({"quarter": r[0].text(), "group": r[1].text(), "hosts": r[2].int(), "components": r[3].int()}))
        .collect();
    assert_eq!(view, expected_trend(&files, None));
    let latest = store
        .query(
            "SELECT COUNT(*) FROM v_latest_observation WHERE host = ?",
            &["h2".into()],
        )
        .unwrap();
    assert_eq!(latest[0][0].int(), deb);
}

/// Bad input: each bad file is named, the good ones are stored, nothing is half-written.
fn bad_input_suite(url: &str, tmp: &Path) {
    let files = write_fleet(&tmp.join("good"));
    let bad = tmp.join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    let text = std::fs::read_to_string(&files[0]).unwrap();
    std::fs::write(bad.join("truncated.json"), &text[..text.len() / 2]).unwrap();
    std::fs::write(bad.join("other.json"), r#"{"bomFormat": "CycloneDX"}"#).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["schema"] = json!("sovscan-report/9");
    std::fs::write(bad.join("future.json"), v.to_string()).unwrap();
    v["schema"] = json!("sovscan-report/1");
    v["scan"]["host"] = json!("");
    std::fs::write(bad.join("nohost.json"), v.to_string()).unwrap();
    let out = db(
        url,
        &[
            "ingest",
            &bad.display().to_string(),
            &files[2].display().to_string(),
            &tmp.join("missing.json").display().to_string(),
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    for (name, why) in [
        ("truncated.json", "not a sovscan report"),
        ("other.json", "no `schema` field"),
        ("future.json", "schema `sovscan-report/9` is not supported"),
        ("nohost.json", "no `scan.host`"),
        ("missing.json", "No such file"),
    ] {
        assert!(
            err.lines().any(|l| l.contains(name) && l.contains(why)),
            "{name}: {err}"
        );
    }
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 new scan(s)"));
    assert_eq!(count_rows(url, "scans"), 1);
    // Standard input.
    let stdin = std::fs::read(&files[3]).unwrap();
    let out = sovscan()
        .args(["db", "--db", url, "ingest", "-"])
        .write_stdin(stdin)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(count_rows(url, "scans"), 2);
    // A fleet report of `merge` is refused.
    let merged = sovscan().arg("merge").args(&files[..3]).output().unwrap();
    let m = tmp.join("merged.json");
    std::fs::write(&m, &merged.stdout).unwrap();
    let out = db(url, &["ingest", &m.display().to_string()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("fleet report"));
}

/// Two ingests of the same reports at once neither fail nor duplicate rows.
fn concurrent_suite(url: &str, tmp: &Path) {
    let files = write_fleet(&tmp.join("fleet"));
    let d = tmp.join("fleet").display().to_string();
    // Create the schema first so that both processes race on the data, not only on DDL.
    assert!(db(url, &["migrate"]).status.success());
    let spawn = || {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("sovscan"))
            .args(["db", "--db", url, "ingest", &d])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (spawn(), spawn());
    assert!(a.wait().unwrap().success());
    assert!(b.wait().unwrap().success());
    assert_eq!(count_rows(url, "scans"), files.len() as i64);
    let deb = bases().0["summary"]["components"].as_i64().unwrap();
    let mar = bases().1["summary"]["components"].as_i64().unwrap();
    assert_eq!(count_rows(url, "observations"), 4 * deb + 2 * mar);
}

/// A policy of the test's own: Microsoft is denied (so the signed DLLs inside the wheel fail
/// as parts of their package), foreign components are warned, and a waiver covers one host's
/// Microsoft package.
const OWN_POLICY: &str = "name: test\nhome: DE\ndeny:\n  - vendors: [microsoft]\nwarn:\n  - origin: [foreign]\n\
exceptions:\n  - {match: \"pe:/Scripts/vcruntime140.dll\", reason: \"test\", expires: 2099-01-01, approved_by: t, ticket: T-1}\n";

/// `db check`, `db query` and the HTML pages: each host's verdict equals `sovscan check
/// --report` on that host's latest report (with a wheel whose signed DLLs are stored as parts
/// of their package), `--as-of` picks the scans of that day, `db query` reads and never writes.
fn check_suite(url: &str, tmp: &Path) {
    let (deb, mar) = bases();
    let wheel = scan_json(&[
        "--home",
        "DE",
        "--root",
        &fixtures().join("python/win-wheel").display().to_string(),
    ]);
    assert!(wheel["components"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| !c["part_of"].is_null()));
    // A root with a CA bundle: its certificates are stored (for trust-anchor rules), never
    // counted.
    let certs = scan_json(&[
        "--home",
        "DE",
        "--root",
        &fixtures().join("trust/host").display().to_string(),
    ]);
    assert!(certs["components"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["kind"] == "certificate"));
    let dir = tmp.join("check");
    std::fs::create_dir_all(&dir).unwrap();
    // (host, started, base); c1's later scan is the wheel, its earlier one Debian.
    let plan: [(&str, &str, &Value); 5] = [
        ("c1", "2026-10-01T00:00:00Z", deb),
        ("c1", "2026-11-20T00:00:00Z", &wheel),
        ("c2", "2026-10-05T00:00:00Z", mar),
        ("c3", "2026-11-02T00:00:00Z", deb),
        ("c4", "2026-11-03T00:00:00Z", &certs),
    ];
    let mut files = Vec::new();
    for (i, (host, started, base)) in plan.iter().enumerate() {
        let mut r = (*base).clone();
        r["scan"]["host"] = json!(host);
        r["scan"]["started"] = json!(started);
        let f = dir.join(format!("{i}.json"));
        std::fs::write(&f, r.to_string()).unwrap();
        files.push(f);
    }
    ingest(url, &[&dir.display().to_string()]);
    // Contained binaries are stored but not counted: c1 counts its one package.
    let hosts = ok_json(url, &["hosts", "--vendor", "microsoft", "-f", "json"]);
    assert_eq!(hosts[0]["components"], 1, "{hosts}");
    let c4 = ok_json(
        url,
        &[
            "query",
            "SELECT components FROM scans WHERE host = 'c4'",
            "-f",
            "json",
        ],
    );
    assert_eq!(
        c4[0]["components"],
        json!(certs["summary"]["components"].to_string())
    );
    let own = tmp.join("own.yaml");
    std::fs::write(&own, OWN_POLICY).unwrap();
    let own = own.display().to_string();
    let signer = tmp.join("signer.yaml");
    std::fs::write(
        &signer,
        "name: signers\nhome: DE\ndeny:\n  - signers: {countries: [US], chain: true}\n",
    )
    .unwrap();
    let signer = signer.display().to_string();
    let trust = tmp.join("trust.yaml");
    std::fs::write(
        &trust,
        "name: trust\nhome: DE\ndeny:\n  - trust-anchors: {countries: [US], stores: [system]}\n",
    )
    .unwrap();
    let trust = trust.display().to_string();
    for (policy, as_of, latest) in [
        (trust.as_str(), None, [1usize, 2, 3, 4]),
        (signer.as_str(), None, [1, 2, 3, 4]),
        ("builtin:eu-sovereignty", None, [1, 2, 3, 4]),
        ("builtin:cn-self-sufficiency", None, [1, 2, 3, 4]),
        ("builtin:no-unknown-origin", None, [1, 2, 3, 4]),
        ("builtin:us-covered-list", None, [1, 2, 3, 4]),
        (own.as_str(), None, [1, 2, 3, 4]),
        (own.as_str(), Some("2026-11-10"), [0, 2, 3, 4]),
    ] {
        let mut args = vec![
            "check",
            "--policy",
            policy,
            "--today",
            "2027-01-01",
            "-f",
            "json",
        ];
        if let Some(d) = as_of {
            args.extend(["--as-of", d]);
        }
        let out = db(url, &args);
        let fleet: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{policy}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
        let mut any_fail = false;
        for i in latest {
            let host = plan[i].0;
            let one = sovscan()
                .args([
                    "check",
                    "--policy",
                    policy,
                    "--today",
                    "2027-01-01",
                    "-f",
                    "json",
                ])
                .arg("--report")
                .arg(&files[i])
                .output()
                .unwrap();
            let want: Value = serde_json::from_slice(&one.stdout).unwrap();
            let got = fleet["results"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["host"] == host)
                .unwrap_or_else(|| panic!("{policy}: {host} missing: {fleet}"));
            assert_eq!(got["last_scan"], json!(plan[i].1), "{policy} {host}");
            for k in ["passed", "denied", "warned", "waived", "components"] {
                assert_eq!(got[k], want[k], "{policy} {host} {k}: {got} vs {want}");
            }
            let rules = |v: &Value, key: &str| {
                let mut r: Vec<String> = v[key]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| format!("{} {}", x["rule"], x["message"]))
                    .collect();
                r.sort();
                r.truncate(20);
                r
            };
            if want["violations"].as_array().unwrap().len() <= 20 {
                assert_eq!(
                    rules(got, "violations"),
                    rules(&want, "violations"),
                    "{policy} {host}"
                );
            }
            any_fail |= want["passed"] == json!(false);
        }
        assert_eq!(fleet["hosts"], 4);
        assert_eq!(
            out.status.code(),
            Some(if any_fail { 1 } else { 0 }),
            "{policy}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The test policy denies Microsoft: c1's wheel fails through its DLLs and its package
    // (one DLL waived), c2 (CBL-Mariner) through its packages.
    let out = db(
        url,
        &[
            "check",
            "--policy",
            &own,
            "--today",
            "2027-01-01",
            "-f",
            "json",
        ],
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["results"][0]["host"], "c1");
    assert_eq!(v["results"][0]["passed"], false);
    assert_eq!(v["results"][0]["waived"], 1);
    let table = String::from_utf8(db(url, &["check", "--policy", &own]).stdout).unwrap();
    let failed = v["failed"].as_u64().unwrap();
    assert!(failed >= 2, "{v}");
    assert!(
        table.contains(&format!("{failed} of 4 host(s) fail")),
        "{table}"
    );
    // A bad policy is an error naming the file, exit 2.
    let bad = tmp.join("bad.yaml");
    std::fs::write(&bad, "home: DE\ndeny:\n  - vendors: [no-such-vendor]\n").unwrap();
    let out = db(url, &["check", "--policy", &bad.display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.yaml:3:"));

    // `db query` reads, in every format; it refuses to write, and refuses two statements.
    let q = ok_json(
        url,
        &[
            "query",
            "SELECT host, COUNT(*) AS scans FROM scans GROUP BY host ORDER BY host",
            "-f",
            "json",
        ],
    );
    assert_eq!(
        q,
        json!([
            {"host": "c1", "scans": "2"},
            {"host": "c2", "scans": "1"},
            {"host": "c3", "scans": "1"},
            {"host": "c4", "scans": "1"}
        ])
    );
    let csv = String::from_utf8(
        db(
            url,
            &[
                "query",
                "SELECT host FROM v_latest_scan ORDER BY host",
                "-f",
                "csv",
            ],
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(csv, "host\nc1\nc2\nc3\nc4\n");
    for sql in [
        "DELETE FROM scans",
        "UPDATE scans SET host = 'x'",
        "DROP TABLE observations",
        "CREATE TABLE x (a INTEGER)",
        "SELECT 1; DELETE FROM scans",
    ] {
        let out = db(url, &["query", sql]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert_eq!(count_rows(url, "scans"), 5, "{sql}");
    }

    // HTML: the fleet page with its per-quarter chart, and pages for the other queries.
    let page = String::from_utf8(db(url, &["trend", "-f", "html"]).stdout).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<svg") && page.contains("2026-Q4") && page.contains("foreign"));
    assert!(page.contains("Content-Security-Policy") && page.trim_end().ends_with("</html>"));
    for args in [
        vec!["hosts", "--vendor", "microsoft", "-f", "html"],
        vec!["diff", "--from", "2026-Q3", "--to", "2026-Q4", "-f", "html"],
        vec!["check", "--policy", own.as_str(), "-f", "html"],
        vec!["query", "SELECT host FROM scans", "-f", "html"],
    ] {
        let out = db(url, &args);
        let page = String::from_utf8(out.stdout).unwrap();
        assert!(
            page.starts_with("<!DOCTYPE html>") && page.contains("<table"),
            "{args:?}"
        );
    }
}

fn sqlite_url(tmp: &Path) -> String {
    tmp.join("fleet.db").display().to_string()
}

#[test]
fn sqlite_fleet() {
    let tmp = tempfile::tempdir().unwrap();
    fleet_suite(&sqlite_url(tmp.path()), tmp.path());
    // `sqlite://` names the same kind of store; `migrate` reports the version.
    let url = format!("sqlite://{}", tmp.path().join("other.db").display());
    let out = db(&url, &["migrate"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("schema version 2"));
}

#[test]
fn sqlite_check_query_html() {
    let tmp = tempfile::tempdir().unwrap();
    check_suite(&sqlite_url(tmp.path()), tmp.path());
}

#[test]
fn sqlite_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    bad_input_suite(&sqlite_url(tmp.path()), tmp.path());
}

#[test]
fn sqlite_concurrent_ingest() {
    let tmp = tempfile::tempdir().unwrap();
    concurrent_suite(&sqlite_url(tmp.path()), tmp.path());
}

#[test]
fn sqlite_store_from_env_and_bad_urls() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("env.db");
    let out = sovscan()
        .args(["db", "migrate"])
        .env("SOVSCAN_DB", &file)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(file.exists());
    let out = db("mysql://x/y", &["migrate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown scheme"));
    let notdb = tmp.path().join("not.db");
    std::fs::write(
        &notdb,
        "this is not a database, just text long enough to be a header",
    )
    .unwrap();
    let out = db(&notdb.display().to_string(), &["migrate"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
}

/// A fresh database on the test server (`SOVSCAN_TEST_PG`) for one test, or `None` outside CI
/// when no server is configured. In CI a missing server fails the test: it never skips there.
fn pg_database(name: &str) -> Option<String> {
    let Ok(base) = std::env::var("SOVSCAN_TEST_PG") else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true and SOVSCAN_TEST_PG is not set: .ci/run starts PostgreSQL and sets it");
        }
        // Said on stderr (shown with --nocapture): the test says what it skips.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: {name}: SOVSCAN_TEST_PG is not set (eval \"$(.ci/pg-start)\")"
        );
        return None;
    };
    let mut client = postgres::Client::connect(&base, postgres::NoTls)
        .unwrap_or_else(|e| panic!("SOVSCAN_TEST_PG: cannot connect: {e}"));
    let db = format!("sovscan_{name}_{}", std::process::id());
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db}"))
        .unwrap();
    client
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .unwrap();
    let (prefix, _) = base.rsplit_once('/').unwrap();
    Some(format!("{prefix}/{db}"))
}

#[test]
fn postgres_fleet() {
    let Some(url) = pg_database("fleet") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    fleet_suite(&url, tmp.path());
}

#[test]
fn postgres_check_query_html() {
    let Some(url) = pg_database("check") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    check_suite(&url, tmp.path());
}

#[test]
fn postgres_bad_input() {
    let Some(url) = pg_database("bad") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    bad_input_suite(&url, tmp.path());
}

#[test]
fn postgres_concurrent_ingest() {
    let Some(url) = pg_database("concurrent") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    concurrent_suite(&url, tmp.path());
}

#[test]
fn postgres_unreachable_is_one_line_and_exit_2() {
    let out = db("postgres://sovscan:secret@127.0.0.1:1/none", &["trend"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("cannot connect") && !err.contains("secret"),
        "{err}"
    );
}
