//! Helpers shared by the integration tests.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// The repository's fixtures directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// A command running the built `sovscan` binary.
pub fn sovscan() -> Command {
    Command::cargo_bin("sovscan").expect("the sovscan binary is built for integration tests")
}

/// Run `sovscan scan --reproducible -f json ARGS` and parse the report.
pub fn scan_json(args: &[&str]) -> serde_json::Value {
    let out = sovscan()
        .arg("scan")
        .arg("--reproducible")
        .args(["-f", "json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "scan failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("scan prints JSON")
}

/// The component with this id.
pub fn component<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no component {id}"))
}

/// The tool's path, or `None` (said on stderr) outside CI; in CI a missing tool fails.
pub fn tool(name: &str) -> Option<std::path::PathBuf> {
    let found = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(name))
            .find(|f| f.is_file())
    });
    if found.is_none() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true and `{name}` is not on PATH: .ci/run installs it");
        }
        let _ = std::io::Write::write_fmt(
            &mut std::io::stderr(),
            format_args!("SKIPPED: `{name}` is not on PATH (.ci/run installs it)\n"),
        );
    }
    found
}
