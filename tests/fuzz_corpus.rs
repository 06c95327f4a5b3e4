//! Replays every fuzz corpus input (`fuzz/corpus/<target>/`) and every past finding
//! (`fuzz/regressions/<target>/`) through the same entry points the fuzz targets call
//! (`sovscan::fuzzing::TARGETS`), on the stable toolchain, so a fixed crash or hang never
//! comes back. Each input runs on its own thread under a watchdog: a panic or an input still
//! running after two minutes fails the test with the target and the file's name.

use sovscan::fuzzing::{Target, TARGETS};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

const WATCHDOG: Duration = Duration::from_secs(120);

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

/// Run `t` on `data` on a thread; the panic message or a hang, or `None` when it returned.
fn run(t: &'static Target, data: Vec<u8>) -> Option<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(move || {
            let r = std::panic::catch_unwind(|| (t.run)(&data));
            let _ = tx.send(r.err().map(|e| {
                e.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_else(|| "panic".to_owned())
            }));
        })
        .expect("spawn");
    match rx.recv_timeout(WATCHDOG) {
        Ok(r) => r,
        Err(_) => Some(format!("still running after {} s", WATCHDOG.as_secs())),
    }
}

#[test]
fn every_corpus_input_and_past_finding_runs_to_completion() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut failures = Vec::new();
    let mut counted = Vec::new();
    for t in TARGETS {
        let corpus = inputs(&root.join("corpus").join(t.name));
        let regressions = inputs(&root.join("regressions").join(t.name));
        assert!(
            !corpus.is_empty(),
            "fuzz target {} has no checked-in corpus in fuzz/corpus/{}",
            t.name,
            t.name
        );
        for p in corpus.iter().chain(&regressions) {
            let data = std::fs::read(p).expect("read corpus input");
            if let Some(why) = run(t, data) {
                failures.push(format!("{} {}: {why}", t.name, p.display()));
            }
        }
        counted.push(format!("{} {}+{}", t.name, corpus.len(), regressions.len()));
    }
    assert!(
        failures.is_empty(),
        "fuzz inputs failed (replayed {}):\n{}",
        counted.join(", "),
        failures.join("\n")
    );
}

#[test]
fn every_fuzz_target_has_its_libfuzzer_entry() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("fuzz/Cargo.toml");
    for t in TARGETS {
        let src = std::fs::read_to_string(root.join("fuzz_targets").join(format!("{}.rs", t.name)))
            .unwrap_or_else(|_| panic!("fuzz/fuzz_targets/{}.rs missing", t.name));
        assert!(
            src.contains(&format!("run(\"{}\", data)", t.name)),
            "{} does not call its entry",
            t.name
        );
        assert!(
            manifest.contains(&format!("name = \"{}\"", t.name)),
            "{} not in fuzz/Cargo.toml",
            t.name
        );
    }
    assert!(!sovscan::fuzzing::run("no-such-target", b""));
}
