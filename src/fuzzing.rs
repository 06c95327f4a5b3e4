//! Entry points for coverage-guided fuzzing and for the corpus replay test.
//!
//! Each [`Target`] feeds arbitrary bytes to one parser through the same function the scan
//! calls, and then does what the scan does with the result (builds components, attributes
//! nothing). `fuzz/fuzz_targets/*.rs` calls [`run`] with its target's name, and
//! `tests/fuzz_corpus.rs` replays every checked-in corpus input and every past finding
//! (`fuzz/regressions/`) through the same [`TARGETS`] on the stable toolchain, so a fixed crash
//! or hang cannot come back unnoticed. Nothing here is used by a scan.

use crate::collectors::{self, firmware::walk::Walker, Collected};
use crate::rules::{RuleDb, RuleFile};
use std::sync::OnceLock;

/// One fuzz target: its name (the `fuzz/fuzz_targets/<name>.rs` file and corpus directory)
/// and the function that takes its input.
pub struct Target {
    /// Name, also the corpus directory.
    pub name: &'static str,
    /// What it parses.
    pub what: &'static str,
    /// The entry point.
    pub run: fn(&[u8]),
}

/// Every target, by name.
pub static TARGETS: &[Target] = &[
    Target {
        name: "elf",
        what: "ELF headers, notes, dynamic section, sections",
        run: elf,
    },
    Target {
        name: "pe",
        what: "PE headers, version resource, Authenticode",
        run: pe,
    },
    Target {
        name: "macho",
        what: "Mach-O and fat load commands, code signature",
        run: macho,
    },
    Target {
        name: "gobuildinfo",
        what: "Go build info and cargo-auditable data",
        run: gobuildinfo,
    },
    Target {
        name: "rpm",
        what: "rpm databases (BDB hash, ndb, SQLite) and headers",
        run: rpm,
    },
    Target {
        name: "dpkg",
        what: "dpkg status and DEP-5 copyright files",
        run: dpkg,
    },
    Target {
        name: "apk",
        what: "apk installed database",
        run: apk,
    },
    Target {
        name: "regf",
        what: "Windows registry hives (uninstall keys)",
        run: regf,
    },
    Target {
        name: "squashfs",
        what: "squashfs superblock, directories, inodes, fragments",
        run: squashfs,
    },
    Target {
        name: "uefi",
        what: "UEFI firmware volumes, FFS files, sections, capsules, flash descriptors",
        run: uefi,
    },
    Target {
        name: "fdt",
        what: "flattened device trees",
        run: fdt,
    },
    Target {
        name: "uimage",
        what: "legacy uImage and FIT images",
        run: uimage,
    },
    Target {
        name: "cpio",
        what: "cpio (newc/crc) archives",
        run: cpio,
    },
    Target {
        name: "firmware",
        what: "whole firmware images: every signature, nested payloads, and the windows a stream search reads",
        run: firmware,
    },
    Target {
        name: "blob",
        what: "Linux firmware blob formats and boot-ROM loaders",
        run: blob,
    },
    Target {
        name: "plist",
        what: "Info.plist and installer receipts (XML and binary)",
        run: plist,
    },
    Target {
        name: "locks",
        what: "package-lock.json, yarn.lock, pnpm-lock.yaml",
        run: locks,
    },
    Target {
        name: "gomod",
        what: "go.mod and go.sum",
        run: gomod,
    },
    Target {
        name: "trust",
        what: "EFI signature lists, PEM bundles, X.509, keystores",
        run: trust,
    },
    Target {
        name: "input",
        what: "CycloneDX and SPDX SBOMs, CSV/TSV inventories",
        run: input,
    },
    Target {
        name: "rules",
        what: "rule database YAML (every file kind)",
        run: rules,
    },
    Target {
        name: "policy",
        what: "policy YAML",
        run: policy,
    },
    Target {
        name: "zip",
        what: "zip central directory and entries (Java archives)",
        run: zip,
    },
];

/// Run target `name` on `data`; false when no target has that name.
pub fn run(name: &str, data: &[u8]) -> bool {
    match TARGETS.iter().find(|t| t.name == name) {
        Some(t) => {
            (t.run)(data);
            true
        }
        None => false,
    }
}

/// The input split into a selector byte and the rest (for targets with several formats).
fn split(data: &[u8]) -> (u8, &[u8]) {
    match data.split_first() {
        Some((s, rest)) => (*s, rest),
        None => (0, data),
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn elf(data: &[u8]) {
    let _ = collectors::elf::parse(data, "/usr/lib/fuzz.so");
    let _ = collectors::sections::Layout::read(data);
    let _ = collectors::sections::elf_without_sections(data);
}

fn pe(data: &[u8]) {
    let _ = collectors::pe::parse(data, "/Windows/fuzz.dll");
}

fn macho(data: &[u8]) {
    let _ = collectors::macho::parse(data, "/Applications/Fuzz.app/Contents/MacOS/fuzz");
}

fn gobuildinfo(data: &[u8]) {
    if let Ok(Some((go, modinfo))) = collectors::golang::read_buildinfo(data) {
        let _ = collectors::golang::from_modinfo(&go, &modinfo, "/usr/bin/fuzz", false);
    }
    if let Some(section) = collectors::auditable::find_section(data) {
        let _ = collectors::auditable::decode(section);
    }
}

fn rpm(data: &[u8]) {
    use collectors::rpm::{header::Header, read_blobs, Package};
    let (blobs, _) = read_blobs(data);
    for b in blobs.iter().map(Vec::as_slice).chain([data]) {
        if let Ok(h) = Header::parse(b) {
            let _ = Package::from_header(&h);
        }
    }
}

fn dpkg(data: &[u8]) {
    let t = text(data);
    for st in collectors::dpkg::parse_status(&t).into_iter().flatten() {
        let _ = collectors::dpkg::field(&st, "Status").map(collectors::dpkg::is_installed);
    }
    let _ = collectors::dpkg::parse_dep5(&t);
    for line in t.lines().take(1000) {
        let _ = collectors::dpkg::copyright_holder(line);
    }
}

fn apk(data: &[u8]) {
    let _ = collectors::apk::parse_installed(&text(data));
}

fn zip(data: &[u8]) {
    use std::io::Read;
    let mut c = std::io::Cursor::new(data);
    let Ok(dir) = collectors::zipdir::directory(&mut c, data.len() as u64) else {
        return;
    };
    let (kept, _) = collectors::zipdir::entries(&mut c, &dir, |_| true, 64);
    for e in &kept {
        if let Ok(mut r) = collectors::zipdir::open(&mut c, &dir, e, 1 << 16) {
            let _ = r.read_to_end(&mut Vec::new());
        }
    }
}

fn regf(data: &[u8]) {
    let _ = collectors::windows::parse(
        data,
        "/Windows/System32/config/SOFTWARE",
        collectors::windows::Scope::Machine,
    );
}

/// The walker's findings turned into components, as the firmware collector does.
fn finish(w: Walker<'_>) {
    let _ = collectors::firmware::components(w.path, w.f);
}

fn squashfs(data: &[u8]) {
    let mut w = Walker::new("/fuzz.squashfs");
    w.keep = Some(&collectors::firmware::nested::wanted);
    let _ = w.squashfs(data, 0, "");
    finish(w);
}

fn uefi(data: &[u8]) {
    use collectors::firmware::uefi;
    let (sel, rest) = split(data);
    let mut w = Walker::new("/fuzz.fd");
    let _ = match sel % 3 {
        0 => uefi::volume(&mut w, rest, 0, ""),
        1 => uefi::capsule(&mut w, rest, 0, ""),
        _ => uefi::flash_descriptor(&mut w, rest, 0, ""),
    };
    finish(w);
}

fn fdt(data: &[u8]) {
    let mut w = Walker::new("/fuzz.dtb");
    let _ = collectors::firmware::fdt::tree(&mut w, data, 0, "");
    finish(w);
}

fn uimage(data: &[u8]) {
    let mut w = Walker::new("/fuzz.itb");
    let _ = collectors::firmware::fdt::uimage(&mut w, data, 0, "");
    finish(w);
}

fn cpio(data: &[u8]) {
    let mut w = Walker::new("/fuzz.cpio");
    w.keep = Some(&collectors::firmware::nested::wanted);
    let _ = w.cpio(data, 0, "");
    finish(w);
}

fn firmware(data: &[u8]) {
    let mut w = Walker::new("/fuzz.bin");
    w.keep = Some(&collectors::firmware::nested::wanted);
    collectors::firmware::text::bzimage(&mut w, data);
    w.scan(data, 0, "");
    // The windowed walk of a large file offered by name alone, over the same bytes.
    if let Ok((windows, _)) = collectors::firmware::structures(data) {
        for win in windows {
            let start = usize::try_from(win.start)
                .unwrap_or(usize::MAX)
                .min(data.len());
            let end = usize::try_from(win.start.saturating_add(win.len))
                .unwrap_or(usize::MAX)
                .min(data.len());
            w.origin = win.start;
            w.scan(&data[start..end], 0, "");
        }
    }
    finish(w);
}

fn blob(data: &[u8]) {
    use collectors::linux_firmware::blob;
    let rec = blob::recognise(&blob::Sample::of(data));
    let mut comp = crate::model::Component::new(
        crate::model::ComponentKind::Firmware,
        None,
        "fuzz.bin",
        None,
    );
    blob::apply(&rec, &mut comp, "/usr/lib/firmware/fuzz.bin");
    let _ = collectors::bootrom::identify(data, "idbloader.img");
}

fn plist(data: &[u8]) {
    let (sel, rest) = split(data);
    let _: Collected = if sel % 2 == 0 {
        collectors::appbundle::bundle(rest, "/Applications/Fuzz.app/Contents/Info.plist")
    } else {
        collectors::appbundle::receipt(rest, "/var/db/receipts/com.example.fuzz.plist")
    };
}

fn locks(data: &[u8]) {
    use collectors::npm::locks;
    let (sel, rest) = split(data);
    let t = text(rest);
    let _ = match sel % 3 {
        0 => locks::package_lock(&t, "/app/package-lock.json"),
        1 => locks::yarn(&t, "/app/yarn.lock"),
        _ => locks::pnpm(&t, "/app/pnpm-lock.yaml"),
    };
}

fn gomod(data: &[u8]) {
    let (sel, rest) = split(data);
    let t = text(rest);
    let _ = if sel % 2 == 0 {
        collectors::golang::parse_go_mod(&t, "/src/go.mod")
    } else {
        collectors::golang::parse_go_sum(&t, "/src/go.sum")
    };
}

fn trust(data: &[u8]) {
    use collectors::trust::{self as t, castore, efi, keystore};
    let (sel, rest) = split(data);
    match sel % 5 {
        0 => {
            let _ = efi::signature_lists(rest);
        }
        1 => {
            for der in castore::pem_blocks(rest).into_iter().flatten().take(64) {
                let _ = t::decode(&der);
            }
        }
        2 => {
            let _ = keystore::parse(rest, "/etc/pki/java/cacerts");
        }
        3 => {
            let _ = efi::parse_image(rest, "/boot/efi/EFI/fuzz.efi");
        }
        _ => {
            let mut anchors = t::Anchors::default();
            let mut errors = Vec::new();
            castore::windows(
                rest,
                "/Windows/System32/config/SOFTWARE",
                &mut anchors,
                &mut errors,
            );
            let _ = t::decode(rest);
        }
    }
}

fn input(data: &[u8]) {
    let _ = crate::input::parse(data, "fuzz-input");
}

/// Rule file kinds, chosen by the first byte.
const RULE_FILES: &[&str] = &[
    "vendors/fuzz.yaml",
    "products/fuzz.yaml",
    "lists/fuzz.yaml",
    "regions.yaml",
    "categories.yaml",
    "db.yaml",
];

fn rules(data: &[u8]) {
    let (sel, rest) = split(data);
    let rel = RULE_FILES[usize::from(sel) % RULE_FILES.len()];
    let file = RuleFile {
        name: format!("fuzz/{rel}"),
        rel: rel.to_owned(),
        text: text(rest),
    };
    let _ = crate::rules::parse_and_validate(vec![file]);
}

fn policy(data: &[u8]) {
    static DB: OnceLock<Option<RuleDb>> = OnceLock::new();
    let Some(db) = DB.get_or_init(|| crate::rules::load_strict(&[]).ok()) else {
        return;
    };
    let _ = crate::policy::parse("fuzz.yaml", &text(data), db);
}
