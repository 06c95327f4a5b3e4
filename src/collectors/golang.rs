//! Go: module build information embedded in Go executables, and `go.mod`/`go.sum`.
//!
//! Build info is the blob that starts with `\xff Go buildinf:` (in `.go.buildinfo` for ELF,
//! otherwise found 16-byte aligned in the file), as read by Go's `debug/buildinfo`: since Go
//! 1.18 the version and module strings follow the 32-byte header inline, each prefixed by a
//! uvarint length (flag bit 2); before that the header holds two pointers to Go string headers,
//! resolved through the executable's segments (ELF, PE, Mach-O; byte order from flag bit 1).
//! The module text is `path`, `mod`, `dep`, `=>` (replacement) and `build` lines framed by two
//! 16-byte sentinels. Caps: executables up to 4 GiB (memory-mapped), strings up to 1 MiB.
//!
//! Components: `golang:<module>@<version>` for the main module and every dependency (the
//! replacement's version when a module is replaced by another version), purl
//! `pkg:golang/<module>@<version>`, `depends-on` edges from the main module, a `contains` edge
//! from an ELF's `elf:<path>` component, and GoModule evidence (the module path carries the
//! code host and organisation). `go.mod` gives the main module and its requirements; `go.sum`
//! is read only where no `go.mod` sits next to it.

use super::{meta, Candidate, Collected, Collector, Context};
use crate::model::{Component, EvidenceKind, Relationship, RelationshipKind, ScanError};

const MAGIC: &[u8] = b"\xff Go buildinf:";
const MAX_BIN: u64 = 4 << 30;
const MAX_STR: u64 = 1 << 20;
const MOD_CAP: u64 = 16 << 20;

/// The Go collector.
pub struct Golang;

impl Collector for Golang {
    fn id(&self) -> &'static str {
        "golang"
    }
    fn reads(&self) -> &'static str {
        "build info of Go executables (module, version, every dependency; Go ≥ 1.18 inline and older pointer formats); `go.mod`, `go.sum`"
    }
    fn emits(&self) -> &'static [EvidenceKind] {
        &[EvidenceKind::GoModule, EvidenceKind::PackageName]
    }
    fn matches_path(&self, path: &str) -> bool {
        (path.ends_with("/go.mod") || path.ends_with("/go.sum")) && !path.contains("/pkg/mod/")
    }
    fn matches_head(&self, head: &[u8]) -> bool {
        super::is_executable_head(head)
    }
    fn collect(&self, c: &Candidate<'_>, ctx: &Context<'_>) -> Collected {
        if c.path.ends_with("/go.mod") || c.path.ends_with("/go.sum") {
            return manifest(c.path, ctx);
        }
        if c.size > MAX_BIN {
            return Collected::default();
        }
        // Oversized files were skipped above; other collectors report unreadable ones.
        let bytes = match c.load("executable", u64::MAX) {
            Ok(b) => b,
            Err(e) => return e,
        };
        match read_buildinfo(&bytes) {
            Ok(Some((go, modinfo))) => {
                from_modinfo(&go, &modinfo, c.path, bytes.starts_with(b"\x7fELF"))
            }
            Ok(None) => Collected::default(),
            Err(e) => Collected::error(c.path, format!("Go build info: {e}")),
        }
    }
}

fn uvarint(b: &[u8]) -> Option<(u64, usize)> {
    let mut x = 0u64;
    for (i, &byte) in b.iter().enumerate().take(10) {
        x |= u64::from(byte & 0x7f) << (7 * i);
        if byte < 0x80 {
            return Some((x, i + 1));
        }
    }
    None
}

/// Where the build-info header is: `.go.buildinfo` for ELF (every Go ≥ 1.13 ELF has it, so a
/// file without it is not searched), else the first 16-aligned magic (PE, Mach-O, ELF
/// without section headers).
fn find_header(bytes: &[u8]) -> Option<usize> {
    if bytes.starts_with(b"\x7fELF") && !super::sections::elf_without_sections(bytes) {
        let (off, _) = super::sections::elf_section(bytes, ".go.buildinfo")?;
        return bytes.get(off..)?.starts_with(MAGIC).then_some(off);
    }
    let mut at = 0;
    while let Some(i) = bytes
        .get(at..)?
        .windows(MAGIC.len())
        .position(|w| w == MAGIC)
    {
        let off = at + i;
        if off % 16 == 0 {
            return Some(off);
        }
        at = off + 1;
    }
    None
}

/// The Go version and module text, `Ok(None)` when the file has no build info.
pub fn read_buildinfo(bytes: &[u8]) -> Result<Option<(String, String)>, String> {
    let Some(h) = find_header(bytes) else {
        return Ok(None);
    };
    let head = bytes.get(h..h + 32).ok_or("truncated header")?;
    let (ptr_size, flags) = (head[14] as usize, head[15]);
    if flags & 2 != 0 {
        let mut at = h + 32;
        let mut next = || -> Result<String, String> {
            let (n, used) = uvarint(bytes.get(at..).unwrap_or(&[])).ok_or("bad string length")?;
            if n > MAX_STR {
                return Err(format!("string of {n} bytes"));
            }
            let s = bytes
                .get(at + used..at + used + n as usize)
                .ok_or("string past the end of the file")?;
            at += used + n as usize;
            Ok(String::from_utf8_lossy(s).into_owned())
        };
        let go = next()?;
        let modinfo = next()?;
        return Ok(Some((go, strip_sentinels(&modinfo))));
    }
    // Pre-1.18 pointer format.
    if ptr_size != 4 && ptr_size != 8 {
        return Err(format!("pointer size {ptr_size}"));
    }
    let layout = super::sections::Layout::read(bytes)
        .ok_or("pointer-format build info in an executable whose headers cannot be read")?;
    let big = flags & 1 != 0;
    let read_ptr = |off: usize| -> Option<u64> {
        let b = bytes.get(off..off.checked_add(ptr_size)?)?;
        let mut a = [0u8; 8];
        if big {
            a[8 - ptr_size..].copy_from_slice(b);
            Some(u64::from_be_bytes(a))
        } else {
            a[..ptr_size].copy_from_slice(b);
            Some(u64::from_le_bytes(a))
        }
    };
    let read_string = |va: u64| -> Option<String> {
        let hdr = layout.va_to_off(va)?;
        let (data, len) = (read_ptr(hdr)?, read_ptr(hdr.checked_add(ptr_size)?)?);
        if len > MAX_STR {
            return None;
        }
        let off = layout.va_to_off(data)?;
        Some(String::from_utf8_lossy(bytes.get(off..off.checked_add(len as usize)?)?).into_owned())
    };
    let (vp, mp) = (
        read_ptr(h + 16).ok_or("truncated header")?,
        read_ptr(h + 16 + ptr_size).ok_or("truncated header")?,
    );
    let go = read_string(vp).ok_or("version pointer does not resolve")?;
    let modinfo = read_string(mp).unwrap_or_default();
    Ok(Some((go, strip_sentinels(&modinfo))))
}

fn strip_sentinels(s: &str) -> String {
    let b = s.as_bytes();
    if b.len() >= 33 && b[b.len() - 17] == b'\n' {
        String::from_utf8_lossy(&b[16..b.len() - 16]).into_owned()
    } else {
        s.to_owned()
    }
}

/// A Go module component.
pub fn component(path: &str, version: Option<&str>, at: &str) -> Component {
    let version = version.filter(|v| !v.is_empty() && *v != "(devel)");
    let (ns, name) = path
        .rsplit_once('/')
        .map_or((None, path), |(n, b)| (Some(n), b));
    let purl = meta::purl("golang", ns, name, version);
    let mut comp = meta::package("golang", path, version, at, purl);
    comp.add_evidence(EvidenceKind::GoModule, path, at);
    comp
}

fn edge(out: &mut Collected, from: &str, to: &str, kind: RelationshipKind) {
    if from != to {
        out.relationships.push(Relationship {
            from: from.to_owned(),
            to: to.to_owned(),
            kind,
        });
    }
}

/// Components from build-info module text.
pub fn from_modinfo(go: &str, modinfo: &str, at: &str, is_elf: bool) -> Collected {
    let mut out = Collected::default();
    let mut main: Option<Component> = None;
    let mut deps: Vec<Component> = Vec::new();
    let mut settings = Vec::new();
    for line in modinfo.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        match f.as_slice() {
            ["mod", p, v, ..] => main = Some(component(p, Some(v), at)),
            ["dep", p, v, rest @ ..] => {
                let mut c = component(p, Some(v), at);
                if let Some(h) = rest.first().filter(|h| !h.is_empty()) {
                    c.set_property("h1", h);
                }
                deps.push(c);
            }
            ["=>", p, v, ..] => {
                // Replacement of the previous module: a versioned replacement is what was built.
                if let Some(last) = deps.last_mut() {
                    last.set_property("replaced-by", format!("{p} {v}").trim());
                    if !v.is_empty() {
                        let orig = last.name.clone();
                        *last = component(p, Some(v), at);
                        last.set_property("replaces", orig);
                    }
                }
            }
            ["build", kv] => settings.push(*kv),
            _ => {}
        }
    }
    let main = main.unwrap_or_else(|| {
        let path = modinfo
            .lines()
            .find_map(|l| l.strip_prefix("path\t"))
            .unwrap_or("");
        component(if path.is_empty() { at } else { path }, None, at)
    });
    let mut main = main;
    main.set_property("go-version", go);
    for kv in settings {
        if let Some((k, v)) = kv.split_once('=') {
            if matches!(
                k,
                "GOOS" | "GOARCH" | "CGO_ENABLED" | "vcs" | "vcs.revision"
            ) {
                main.set_property(&format!("go-{}", k.to_ascii_lowercase()), v);
            }
        }
    }
    if is_elf {
        edge(
            &mut out,
            &format!("elf:{at}"),
            &main.id,
            RelationshipKind::Contains,
        );
    }
    for d in &deps {
        edge(&mut out, &main.id, &d.id, RelationshipKind::DependsOn);
    }
    out.components.push(main);
    out.components.extend(deps);
    out
}

fn manifest(path: &str, ctx: &Context<'_>) -> Collected {
    let is_sum = path.ends_with("/go.sum");
    if is_sum
        && ctx
            .root
            .is_file(&format!("{}go.mod", path.trim_end_matches("go.sum")))
    {
        return Collected::default();
    }
    let text = match ctx.root.read_capped(path, MOD_CAP) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) => return Collected::error(path, format!("cannot read: {e}")),
    };
    if is_sum {
        parse_go_sum(&text, path)
    } else {
        parse_go_mod(&text, path)
    }
}

/// `go.mod`: `module`, `require` (single and block), `// indirect` marks.
pub fn parse_go_mod(text: &str, at: &str) -> Collected {
    let mut out = Collected::default();
    let mut main = None;
    let mut block: Option<String> = None;
    let mut reqs: Vec<Component> = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let (line, comment) = match raw.split_once("//") {
            Some((l, c)) => (l.trim(), c.trim()),
            None => (raw.trim(), ""),
        };
        if line.is_empty() {
            continue;
        }
        if line == ")" {
            block = None;
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let (verb, args) = match (&block, words.as_slice()) {
            (Some(b), w) => (b.as_str(), w),
            (None, [v, "("]) => {
                block = Some((*v).to_owned());
                continue;
            }
            (None, [v, rest @ ..]) => (*v, rest),
            (None, []) => continue,
        };
        match (verb, args) {
            ("module", [m, ..]) => main = Some(component(m.trim_matches('"'), None, at)),
            ("require", [p, v, ..]) => {
                let mut c = component(p, Some(v), at);
                if comment.contains("indirect") {
                    c.set_property("indirect", "true");
                }
                reqs.push(c);
            }
            ("require", _) => out.errors.push(ScanError::new(
                at,
                format!("line {}: malformed require", n + 1),
            )),
            _ => {}
        }
    }
    let Some(main) = main else {
        out.errors
            .push(ScanError::new(at, "go.mod without a module line"));
        out.components = reqs;
        return out;
    };
    for r in &reqs {
        edge(&mut out, &main.id, &r.id, RelationshipKind::DependsOn);
    }
    out.components.push(main);
    out.components.extend(reqs);
    out
}

/// `go.sum`: modules whose content hash is recorded (not only their `go.mod`).
pub fn parse_go_sum(text: &str, at: &str) -> Collected {
    let mut out = Collected::default();
    let mut seen = std::collections::BTreeSet::new();
    for line in text.lines() {
        let mut w = line.split_whitespace();
        let (Some(p), Some(v)) = (w.next(), w.next()) else {
            continue;
        };
        if v.ends_with("/go.mod") || !seen.insert((p, v)) {
            continue;
        }
        out.components.push(component(p, Some(v), at));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_mod_blocks_and_comments() {
        let t = "module example.org/x\n\ngo 1.21\n\nrequire (\n\tgithub.com/a/b v1.2.3\n\tgolang.org/x/sys v0.1.0 // indirect\n)\nrequire gitee.com/o/r v0.0.1\n";
        let c = parse_go_mod(t, "/go.mod");
        let ids: Vec<&str> = c.components.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            vec![
                "golang:example.org/x",
                "golang:github.com/a/b@v1.2.3",
                "golang:golang.org/x/sys@v0.1.0",
                "golang:gitee.com/o/r@v0.0.1"
            ]
        );
        assert_eq!(
            c.components[2]
                .properties
                .get("indirect")
                .map(String::as_str),
            Some("true")
        );
        assert_eq!(
            c.components[1].purl.as_deref(),
            Some("pkg:golang/github.com/a/b@v1.2.3")
        );
        assert_eq!(c.relationships.len(), 3);
    }

    #[test]
    fn modinfo_with_replacement() {
        let m = "path\tex.org/m\nmod\tex.org/m\tv1.0.0\t\ndep\tgithub.com/a/b\tv1.0.0\th1:x=\n=>\tgithub.com/fork/b\tv1.0.1\th1:y=\ndep\tgithub.com/c/d\tv0.1.0\t\n=>\t../d\t\t\nbuild\tGOOS=linux\n";
        let c = from_modinfo("go1.22.1", m, "/bin/m", false);
        let ids: Vec<&str> = c.components.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            vec![
                "golang:ex.org/m@v1.0.0",
                "golang:github.com/fork/b@v1.0.1",
                "golang:github.com/c/d@v0.1.0"
            ]
        );
        assert_eq!(
            c.components[0]
                .properties
                .get("go-goos")
                .map(String::as_str),
            Some("linux")
        );
    }

    /// The real fixture executable, cut and with its build-info region bit-flipped: no panic.
    #[test]
    fn damaged_real_binary_never_panics() {
        use std::io::Read;
        let gz = include_bytes!("../../fixtures/golang/binary/hello.gz");
        let mut bin = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut bin)
            .unwrap();
        let (go, m) = read_buildinfo(&bin).unwrap().unwrap();
        assert_eq!(go, "go1.19.8");
        assert!(m.contains("dep\tgithub.com/google/uuid\tv1.3.0"));
        let at = bin.windows(MAGIC.len()).position(|w| w == MAGIC).unwrap();
        for i in 0..96 {
            for x in [0x01u8, 0x80, 0xff] {
                let mut m = bin.clone();
                m[at + 14 + i] ^= x;
                let _ =
                    read_buildinfo(&m).map(|r| r.map(|(g, t)| from_modinfo(&g, &t, "/x", true)));
            }
        }
        for cut in (0..bin.len()).step_by(bin.len() / 64) {
            let _ = read_buildinfo(&bin[..cut]);
        }
    }

    /// The pre-1.18 pointer format, synthesised: a minimal ELF with one PT_LOAD segment.
    #[test]
    fn pointer_format() {
        let base = 0x40_0000u64;
        let mut f = vec![0u8; 0x400];
        // ELF64 LE header.
        f[..4].copy_from_slice(b"\x7fELF");
        f[4] = 2;
        f[5] = 1;
        f[6] = 1;
        f[16..18].copy_from_slice(&2u16.to_le_bytes());
        f[18..20].copy_from_slice(&62u16.to_le_bytes());
        f[20..24].copy_from_slice(&1u32.to_le_bytes());
        f[32..40].copy_from_slice(&64u64.to_le_bytes()); // e_phoff
        f[52..54].copy_from_slice(&64u16.to_le_bytes()); // e_ehsize
        f[54..56].copy_from_slice(&56u16.to_le_bytes()); // e_phentsize
        f[56..58].copy_from_slice(&1u16.to_le_bytes()); // e_phnum
        f[58..60].copy_from_slice(&64u16.to_le_bytes());
        // PT_LOAD covering the whole file at `base`.
        let ph = 64;
        f[ph..ph + 4].copy_from_slice(&1u32.to_le_bytes());
        f[ph + 8..ph + 16].copy_from_slice(&0u64.to_le_bytes());
        f[ph + 16..ph + 24].copy_from_slice(&base.to_le_bytes());
        f[ph + 32..ph + 40].copy_from_slice(&0x400u64.to_le_bytes());
        f[ph + 40..ph + 48].copy_from_slice(&0x400u64.to_le_bytes());
        // Build-info header at 0x100: magic, ptr size 8, flags 0, two pointers.
        f[0x100..0x10e].copy_from_slice(MAGIC);
        f[0x10e] = 8;
        f[0x110..0x118].copy_from_slice(&(base + 0x200).to_le_bytes());
        f[0x118..0x120].copy_from_slice(&(base + 0x210).to_le_bytes());
        let version = b"go1.16.5";
        let modinfo =
            b"path\tex.org/old\nmod\tex.org/old\tv0.1.0\t\ndep\tgithub.com/x/y\tv1.1.0\th1:z=\n";
        f[0x200..0x208].copy_from_slice(&(base + 0x300).to_le_bytes());
        f[0x208..0x210].copy_from_slice(&(version.len() as u64).to_le_bytes());
        f[0x210..0x218].copy_from_slice(&(base + 0x320).to_le_bytes());
        f[0x218..0x220].copy_from_slice(&(modinfo.len() as u64).to_le_bytes());
        f[0x300..0x300 + version.len()].copy_from_slice(version);
        f[0x320..0x320 + modinfo.len()].copy_from_slice(modinfo);
        let (go, m) = read_buildinfo(&f).unwrap().unwrap();
        assert_eq!(go, "go1.16.5");
        assert!(m.contains("dep\tgithub.com/x/y\tv1.1.0"));
        // Every truncation is an error or nothing, never a panic.
        for cut in (0..f.len()).step_by(7) {
            let _ = read_buildinfo(&f[..cut]);
        }
    }
}
