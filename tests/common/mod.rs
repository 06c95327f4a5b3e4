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
    let out = sovscan().arg("scan").arg("--reproducible").args(["-f", "json"]).args(args).output().unwrap();
    assert!(out.status.success(), "scan failed: {}", String::from_utf8_lossy(&out.stderr));
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
