//! The README's deployment recipes, checked with the real tools: every fenced block after a
//! `<!-- recipe: NAME -->` marker is extracted; the systemd units must pass `systemd-analyze
//! verify` without a warning, the Ansible play is run against `localhost` (scan, fetch,
//! ingest into a SQLite store), and the Kubernetes manifests must pass `kubernetes-validate
//! --strict`. `.ci/run` installs the tools; outside CI a missing tool is said on stderr and the
//! test returns, in CI it fails.

use crate::common::{fixtures, tool};
use std::path::Path;
use std::process::Command;

/// The recipes of the README: (name, text).
fn recipes() -> Vec<(String, String)> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let mut out = Vec::new();
    let mut lines = readme.lines();
    while let Some(l) = lines.next() {
        let Some(name) = l
            .trim()
            .strip_prefix("<!-- recipe:")
            .and_then(|r| r.strip_suffix("-->"))
        else {
            continue;
        };
        let fence = lines.next().unwrap_or_default();
        assert!(fence.starts_with("```"), "recipe {name}: no fenced block");
        let body: Vec<&str> = lines
            .by_ref()
            .take_while(|l| !l.starts_with("```"))
            .collect();
        out.push((name.trim().to_owned(), body.join("\n") + "\n"));
    }
    out
}

fn recipe(name: &str) -> String {
    recipes()
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("README has no recipe {name}"))
        .1
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn readme_has_the_three_recipes() {
    let names: Vec<String> = recipes().into_iter().map(|r| r.0).collect();
    assert_eq!(
        names,
        [
            "sovscan-scan.service",
            "sovscan-scan.timer",
            "sovscan-play.yml",
            "sovscan-k8s.yaml"
        ]
    );
}

/// `systemd-analyze verify` loads the units as systemd would: unknown keys, bad values and a
/// missing binary are reported. The binary path is pointed at the one under test.
#[test]
fn systemd_units_verify() {
    let Some(analyze) = tool("systemd-analyze") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("sovscan");
    for name in ["sovscan-scan.service", "sovscan-scan.timer"] {
        let text = recipe(name).replace("/usr/local/bin/sovscan", &bin.display().to_string());
        std::fs::write(tmp.path().join(name), text).unwrap();
    }
    let (ok, text) = run(Command::new(&analyze)
        .args(["verify", "--man=no"])
        .arg(tmp.path().join("sovscan-scan.service"))
        .arg(tmp.path().join("sovscan-scan.timer")));
    assert!(
        ok && text.trim().is_empty(),
        "systemd-analyze verify: {text}"
    );
    // The check has teeth: a misspelt key is reported.
    let bad = recipe("sovscan-scan.service").replace("Nice=", "Nicety=");
    std::fs::write(tmp.path().join("bad.service"), bad).unwrap();
    let (_, text) = run(Command::new(&analyze)
        .args(["verify", "--man=no"])
        .arg(tmp.path().join("bad.service")));
    assert!(text.contains("Nicety"), "{text}");
}

/// The play, run for real against `localhost` with a local connection: it installs the binary
/// under test into a temporary directory, scans a fixture root as host `node-a`, fetches the
/// report and ingests it into a SQLite store, which then holds that host's scan.
#[test]
fn ansible_play_scans_fetches_and_ingests() {
    let Some(playbook) = tool("ansible-playbook") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let play = tmp.path().join("sovscan-play.yml");
    std::fs::write(&play, recipe("sovscan-play.yml")).unwrap();
    let inventory = tmp.path().join("inventory");
    std::fs::write(
        &inventory,
        "node-a ansible_connection=local ansible_python_interpreter=\"{{ ansible_playbook_python }}\"\n",
    )
    .unwrap();
    let store = tmp.path().join("fleet.db");
    let reports = tmp.path().join("reports");
    let vars = serde_json::json!({
        "sovscan_local_bin": assert_cmd::cargo::cargo_bin("sovscan"),
        "sovscan_bin": tmp.path().join("bin-sovscan"),
        "sovscan_root": fixtures().join("dpkg/debian-12"),
        "sovscan_report": tmp.path().join("remote-report.json"),
        "sovscan_reports": reports,
        "sovscan_db": store,
    });
    let (ok, text) = run(Command::new(&playbook)
        .arg("-i")
        .arg(&inventory)
        .arg("-e")
        .arg(vars.to_string())
        .arg(&play)
        .env("ANSIBLE_LOCAL_TEMP", tmp.path().join("ansible-local"))
        .env("ANSIBLE_REMOTE_TEMP", tmp.path().join("ansible-remote"))
        .env("ANSIBLE_NOCOLOR", "1"));
    assert!(ok, "ansible-playbook: {text}");
    assert!(reports.join("node-a.json").is_file(), "{text}");
    let out = crate::common::sovscan()
        .args(["db", "--db"])
        .arg(&store)
        .args(["query", "SELECT host, components FROM scans", "-f", "json"])
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["host"], "node-a", "{rows}");
    assert_ne!(rows[0]["components"], "0");
}

/// The manifests against the Kubernetes OpenAPI schema, strictly (an unknown field fails).
#[test]
fn kubernetes_manifests_validate() {
    let Some(validate) = tool("kubernetes-validate") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("sovscan-k8s.yaml");
    let text = recipe("sovscan-k8s.yaml");
    std::fs::write(&file, &text).unwrap();
    let (ok, out) = run(Command::new(&validate).args(["--strict"]).arg(&file));
    assert!(ok, "kubernetes-validate: {out}");
    for kind in ["DaemonSet", "CronJob", "PersistentVolumeClaim"] {
        assert!(text.contains(&format!("kind: {kind}")), "{kind}");
    }
    // The check has teeth: a misplaced field fails.
    std::fs::write(&file, text.replace("concurrencyPolicy:", "concurrency:")).unwrap();
    let (ok, _) = run(Command::new(&validate).args(["--strict"]).arg(&file));
    assert!(!ok, "a wrong field must fail validation");
}
