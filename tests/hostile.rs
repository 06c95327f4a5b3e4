//! A hostile tree built by the test: the scan must finish, list every problem in `errors`, read
//! nothing outside the root and never hang on a FIFO.

use crate::common::{fixtures, sovscan};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::time::Duration;

fn mkfifo(path: &std::path::Path) {
    let st = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(st.success());
}

fn error_for<'a>(report: &'a serde_json::Value, path: &str) -> Option<&'a str> {
    report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == path)
        .and_then(|e| e["error"].as_str())
}

#[test]
fn hostile_tree_is_scanned_safely() {
    let top = tempfile::tempdir().unwrap();
    let root = top.path().join("root");
    let outside = top.path().join("outside");
    std::fs::create_dir_all(root.join("opt/app")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    let elf = std::fs::read(fixtures().join("dpkg/debian-12/opt/acme/lib/libcap.so.2.66")).unwrap();
    // A real ELF outside the root that links try to reach.
    std::fs::write(outside.join("secret.so"), &elf).unwrap();
    mkfifo(&root.join("opt/app/fifo"));
    symlink("loop-b", root.join("opt/app/loop-a")).unwrap();
    symlink("loop-a", root.join("opt/app/loop-b")).unwrap();
    symlink("/etc/passwd", root.join("opt/app/passwd")).unwrap();
    symlink("../../../outside/secret.so", root.join("opt/app/escape.so")).unwrap();
    symlink(&outside, root.join("opt/outside-dir")).unwrap();
    std::fs::write(root.join("opt/app/truncated.so"), &elf[..200]).unwrap();
    std::fs::write(root.join("opt/app/good.so"), &elf).unwrap();
    let bad_name = std::ffi::OsStr::from_bytes(b"bad-\xff\xfe-name.so");
    std::fs::write(root.join("opt/app").join(bad_name), &elf).unwrap();
    let sparse = std::fs::File::create(root.join("opt/app/huge.img")).unwrap();
    sparse.set_len(10 << 30).unwrap();
    let locked = root.join("opt/locked");
    std::fs::create_dir_all(&locked).unwrap();
    std::fs::write(locked.join("hidden.so"), &elf).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();

    let out = sovscan()
        .args(["scan", "--reproducible", "-f", "json", "--root"])
        .arg(&root)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    assert!(error_for(&r, "/opt/app/fifo").unwrap().contains("FIFO"));
    assert!(error_for(&r, "/opt/app/loop-a").unwrap().contains("loop"));
    assert!(error_for(&r, "/opt/app/passwd")
        .unwrap()
        .contains("does not resolve inside the root"));
    assert!(error_for(&r, "/opt/app/escape.so")
        .unwrap()
        .contains("climbs out of the root"));
    assert!(error_for(&r, "/opt/app/truncated.so")
        .unwrap()
        .contains("malformed ELF"));
    assert!(error_for(&r, "/opt/app/bad-\u{fffd}\u{fffd}-name.so")
        .unwrap()
        .contains("UTF-8"));

    let ids: Vec<&str> = r["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"elf:/opt/app/good.so"), "{ids:?}");
    assert!(
        ids.contains(&"elf:/opt/app/bad-\u{fffd}\u{fffd}-name.so"),
        "{ids:?}"
    );
    // The only mention of the outside file is the refused link's target, never a component.
    let comps = serde_json::to_string(&r["components"]).unwrap();
    assert!(
        !comps.contains("secret"),
        "something outside the root was read: {comps}"
    );
    assert!(
        ids.iter()
            .all(|id| id.starts_with("elf:/opt/app/") || id.starts_with("elf:/opt/locked/")),
        "{ids:?}"
    );
    assert!(
        !comps.contains(&top.path().display().to_string()),
        "host paths leaked"
    );

    // Root ignores permissions; elsewhere the locked directory must be an error, not a crash.
    // SAFETY: geteuid has no preconditions.
    #[allow(unsafe_code)]
    let euid = unsafe { libc_geteuid() };
    if euid != 0 {
        assert!(error_for(&r, "/opt/locked")
            .unwrap()
            .contains("Permission denied"));
    }
}

extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}

/// Ctrl-C during a scan with `-o`: the process exits with 130 within a second and leaves
/// neither the report nor a temporary file (the output is written beside it and renamed only
/// once complete). The scan is of the machine's own `/usr` with `--deep`, which takes far
/// longer than the half second before the signal.
#[test]
fn interrupt_exits_130_and_leaves_no_partial_report() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("report.json");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("sovscan"))
        .args(["scan", "--deep", "--root", "/usr", "-f", "json", "-o"])
        .arg(&out)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the scan ended too soon to test"
    );
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let sent = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            sent.elapsed() < std::time::Duration::from_secs(1),
            "still running a second after Ctrl-C"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130));
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}
