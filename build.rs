//! Embeds every YAML file under `rules/` (except `rules/policies/`) into the binary, and the
//! gzip-compressed PCI and USB id lists of `rules/ids/`.

// A build script talks to cargo through standard output.
#![allow(clippy::disallowed_macros)]

use std::fmt::Write;
use std::path::Path;

fn collect(dir: &Path, base: &Path, out: &mut Vec<(String, String)>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        let rel = p
            .strip_prefix(base)
            .unwrap_or(&p)
            .to_string_lossy()
            .replace('\\', "/");
        if p.is_dir() {
            if rel != "policies" {
                collect(&p, base, out);
            }
        } else if matches!(p.extension().and_then(|x| x.to_str()), Some("yaml" | "yml")) {
            out.push((
                rel,
                p.canonicalize().unwrap_or(p).to_string_lossy().into_owned(),
            ));
        }
    }
}

fn main() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    println!("cargo:rerun-if-changed=rules");
    let mut files = Vec::new();
    collect(&base, &base, &mut files);
    let mut src = String::from("/// Embedded rule files: (path under rules/, text).\npub static FILES: &[(&str, &str)] = &[\n");
    for (rel, abs) in &files {
        println!("cargo:rerun-if-changed={abs}");
        let _ = writeln!(src, "    ({rel:?}, include_str!({abs:?})),");
    }
    src.push_str("];\n");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let out = Path::new(&out_dir).join("rules_embedded.rs");
    std::fs::write(out, src).expect("OUT_DIR is writable");
    compress_ids(&base, Path::new(&out_dir));
}

/// gzip `rules/ids/{pci,usb}.ids` into OUT_DIR (about 2.2 MB of text becomes about 0.6 MB).
fn compress_ids(base: &Path, out_dir: &Path) {
    use std::io::Write as _;
    for name in ["pci.ids", "usb.ids"] {
        let src = base.join("ids").join(name);
        println!("cargo:rerun-if-changed={}", src.display());
        let text = std::fs::read(&src).expect("rules/ids/ holds pci.ids and usb.ids");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&text).expect("compressing in memory");
        let gz = enc.finish().expect("compressing in memory");
        std::fs::write(out_dir.join(format!("{name}.gz")), gz).expect("OUT_DIR is writable");
    }
}
