//! Copyright holders of a firmware blob from its package's machine-readable (DEP-5)
//! `usr/share/doc/<package>/copyright`:
//! <https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/>.
//!
//! For a blob in a firmware tree `X/lib/firmware/<rel>` the copyright file is looked for under
//! `X/usr/share/doc/`: the owning package's when a package database owns the blob, otherwise
//! the copyright files of an unpacked package there (at most [`MAX_PACKAGES`] doc directories:
//! a real root's `/usr/share/doc` holds every package's, and there the database names the
//! owner). The `Files:` paragraph covering the blob decides (the last one that matches, as
//! DEP-5 says); its patterns are relative to the source tree, so they are matched against
//! `<rel>` and `lib/firmware/<rel>`. Without an owner, only a paragraph naming the blob more
//! closely than `Files: *` counts, so that an unrelated package's copyright is never used.
//!
//! Caps: copyright files of at most [`MAX_COPYRIGHT`] bytes; at most [`MAX_HOLDERS`] holders
//! per paragraph; parsed files are cached per scan process (at most [`CACHE_ENTRIES`], keyed by
//! host path, size and modification time) because one file covers thousands of blobs.

use super::super::Owner;
use crate::rootfs::RootFs;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Largest copyright file read.
pub const MAX_COPYRIGHT: u64 = 1 << 20;
/// Holders kept per `Files:` paragraph.
pub const MAX_HOLDERS: usize = 16;
/// Doc directories searched for an unowned blob.
pub const MAX_PACKAGES: usize = 16;
/// Parsed copyright files kept.
pub const CACHE_ENTRIES: usize = 32;

/// One `Files:` paragraph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilesParagraph {
    /// Its glob patterns.
    pub patterns: Vec<String>,
    /// Copyright holders (years, "Copyright" and `(c)` stripped).
    pub holders: Vec<String>,
}

/// The `Files:` paragraphs of a machine-readable copyright file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Copyright {
    /// In file order.
    pub files: Vec<FilesParagraph>,
}

impl Copyright {
    /// The paragraph covering `path` (the last match), with the pattern that matched.
    pub fn covering(&self, paths: &[&str]) -> Option<(&FilesParagraph, &str)> {
        self.files.iter().rev().find_map(|p| {
            p.patterns
                .iter()
                .find(|pat| paths.iter().any(|s| glob(pat, s)))
                .map(|pat| (p, pat.as_str()))
        })
    }
}

/// Parse DEP-5; `None` when the text is not machine-readable.
pub fn parse(text: &str) -> Option<Copyright> {
    let first = text.lines().find(|l| !l.trim().is_empty())?;
    if !(first.starts_with("Format:") && first.contains("copyright-format")) {
        return None;
    }
    let mut out = Copyright::default();
    for para in paragraphs(text) {
        let (Some(files), Some(c)) = (field(&para, "files"), field(&para, "copyright")) else {
            continue;
        };
        let patterns: Vec<String> = files.split_whitespace().map(str::to_owned).collect();
        let mut holders: Vec<String> = Vec::new();
        for h in c.lines().filter_map(holder) {
            if !holders.contains(&h) && holders.len() < MAX_HOLDERS {
                holders.push(h);
            }
        }
        out.files.push(FilesParagraph { patterns, holders });
    }
    Some(out)
}

type Paragraph = Vec<(String, String)>;

fn paragraphs(text: &str) -> Vec<Paragraph> {
    let mut out = Vec::new();
    let mut cur: Paragraph = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        } else if line.starts_with('#') {
            continue;
        } else if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = cur.last_mut() {
                let l = line.trim();
                v.push('\n');
                v.push_str(if l == "." { "" } else { l });
            }
        } else if let Some((k, v)) = line.split_once(':') {
            cur.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn field<'a>(p: &'a Paragraph, name: &str) -> Option<&'a str> {
    p.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// "2009-2023, Advanced Micro Devices, Inc." → "Advanced Micro Devices, Inc."; a DEP-5
/// `Copyright` line names a holder with or without years.
pub fn holder(line: &str) -> Option<String> {
    let mut s = line.trim();
    loop {
        let before = s;
        for p in ["Copyright", "copyright", "COPYRIGHT", "(C)", "(c)", "©"] {
            s = s.strip_prefix(p).unwrap_or(s).trim_start();
        }
        s = s.trim_start_matches(|c: char| {
            c.is_ascii_digit() || matches!(c, '-' | ',' | ' ' | '–' | ':')
        });
        if s == before {
            break;
        }
    }
    let s = s.split('<').next().unwrap_or(s);
    let s = s.trim().trim_end_matches([',', ';']).trim();
    let lower = s.to_ascii_lowercase();
    let useless = s.len() < 2
        || s.len() > 200
        || ["not applicable", "none", "unknown", "n/a"].contains(&lower.as_str())
        || !s.chars().any(char::is_alphabetic);
    (!useless).then(|| s.to_owned())
}

/// DEP-5 glob: `*` any run of characters (`/` included), `?` one, `\` escapes.
pub fn glob(pattern: &str, s: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = s.chars().collect();
    // Tokens: Some(c) a literal, None a star; '?' is '\u{0}' marker.
    let mut toks: Vec<Option<(char, bool)>> = Vec::with_capacity(p.len());
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '\\' if i + 1 < p.len() => {
                toks.push(Some((p[i + 1], false)));
                i += 2;
                continue;
            }
            '*' => toks.push(None),
            '?' => toks.push(Some(('?', true))),
            c => toks.push(Some((c, false))),
        }
        i += 1;
    }
    // Greedy matching with one backtrack point: linear in practice, O(n·m) at worst.
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match toks.get(pi) {
            Some(Some((c, any))) if *any || *c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            Some(None) => {
                star = Some((pi, ti));
                pi += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    toks[pi.min(toks.len())..].iter().all(Option::is_none)
}

type Cache = Mutex<HashMap<(PathBuf, u64, Option<std::time::SystemTime>), Arc<Option<Copyright>>>>;

fn cache() -> &'static Cache {
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The parsed copyright file at a system path (`None` when absent or not DEP-5), read once per
/// file version.
fn load(root: &RootFs, system: &str) -> Result<Arc<Option<Copyright>>, String> {
    let f = match root.open(system) {
        Ok(x) => x,
        Err(_) => return Ok(Arc::new(None)),
    };
    let mtime = match &f {
        crate::rootfs::Opened::Disk(_, md) => md.modified().ok(),
        crate::rootfs::Opened::Memory(_) => None,
    };
    let key = (root.join(system), f.len(), mtime);
    if let Some(hit) = cache().lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(hit);
    }
    let bytes = f.read_capped(MAX_COPYRIGHT).map_err(|e| e.to_string())?;
    let parsed = Arc::new(parse(&String::from_utf8_lossy(&bytes)));
    if let Ok(mut c) = cache().lock() {
        if c.len() >= CACHE_ENTRIES {
            c.clear();
        }
        c.insert(key, Arc::clone(&parsed));
    }
    Ok(parsed)
}

/// What the copyright file says about one blob.
#[derive(Debug, PartialEq, Eq)]
pub struct Holders {
    /// System path of the copyright file.
    pub file: String,
    /// The `Files:` pattern that matched.
    pub pattern: String,
    /// The holders it names.
    pub holders: Vec<String>,
}

/// The copyright holders of the blob at system path `path` (relative path `rel` inside its
/// firmware tree `base/lib/firmware`), or an error message about an unreadable file.
pub fn holders(
    root: &RootFs,
    base: &str,
    rel: &str,
    owner: Option<&Owner>,
) -> Result<Option<Holders>, String> {
    let doc = format!("{base}/usr/share/doc");
    let long = format!("lib/firmware/{rel}");
    let paths = [rel, long.as_str()];
    let owned = owner
        .filter(|o| o.ecosystem == "deb")
        .map(|o| o.name.clone());
    let (candidates, any_paragraph) = match owned {
        Some(pkg) => (vec![pkg], true),
        None => {
            let names = root.list_dir(&doc).unwrap_or_default();
            if names.len() > MAX_PACKAGES {
                return Ok(None);
            }
            let names = names
                .into_iter()
                .filter_map(|n| n.into_string().ok())
                .collect();
            (names, false)
        }
    };
    for pkg in candidates {
        if pkg.contains('/') || pkg.starts_with('.') {
            continue;
        }
        let file = format!("{doc}/{pkg}/copyright");
        let parsed = load(root, &file).map_err(|e| format!("cannot read {file}: {e}"))?;
        let Some(c) = parsed.as_ref() else { continue };
        let Some((para, pattern)) = c.covering(&paths) else {
            continue;
        };
        if !any_paragraph && pattern == "*" {
            continue;
        }
        if para.holders.is_empty() {
            continue;
        }
        return Ok(Some(Holders {
            file,
            pattern: pattern.to_owned(),
            holders: para.holders.clone(),
        }));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\
Upstream-Name: linux-firmware\n\
Files-Excluded:\n\
# a comment inside a field\n emi26/*.fw\n\n\
Files: *\nCopyright: not applicable\nLicense: other\n\n\
Files: rtl_nic/* rtl_bt/*\nCopyright: 2006-2023, Realtek Semiconductor Corp.\n 2010 (c) Jane Doe <jane@example.org>\nLicense: x\n\n\
Files: rtl_nic/rtl8168h-*.fw\nCopyright: Broadcom Corporation\nLicense: y\n";

    #[test]
    fn last_matching_paragraph_wins() {
        let c = parse(TEXT).unwrap();
        assert_eq!(c.files.len(), 3);
        let (p, pat) = c.covering(&["rtl_nic/rtl8153a-4.fw"]).unwrap();
        assert_eq!(pat, "rtl_nic/*");
        assert_eq!(p.holders, vec!["Realtek Semiconductor Corp.", "Jane Doe"]);
        let (p, _) = c.covering(&["rtl_nic/rtl8168h-2.fw"]).unwrap();
        assert_eq!(p.holders, vec!["Broadcom Corporation"]);
        // `Files: *` covers the rest but names no holder.
        let (p, pat) = c.covering(&["other.bin"]).unwrap();
        assert_eq!(pat, "*");
        assert!(p.holders.is_empty());
        assert!(parse("Package: x\n").is_none());
    }

    #[test]
    fn dep5_globs() {
        assert!(glob(
            "ath10k/QCA*/hw*/firmware-4.bin",
            "ath10k/QCA988X/hw2.0/firmware-4.bin"
        ));
        assert!(glob("*", "a/b/c"));
        assert!(glob("iwlwifi-*", "iwlwifi-cc-a0-77.ucode"));
        assert!(glob("adaptec/starfire_??.bin", "adaptec/starfire_rx.bin"));
        assert!(!glob("adaptec/starfire_??.bin", "adaptec/starfire_r.bin"));
        assert!(!glob("rtl_nic/*", "rtl_bt/x"));
        assert!(glob("a\\*b", "a*b"));
        assert!(!glob("a\\*b", "axb"));
        assert!(!glob("", "x"));
        // Many stars on a long miss stays fast.
        let long = "a".repeat(2000);
        assert!(!glob("*a*a*a*a*a*a*b", &long));
    }

    #[test]
    fn holder_lines() {
        assert_eq!(
            holder("2009-2023, Advanced Micro Devices, Inc.").as_deref(),
            Some("Advanced Micro Devices, Inc.")
        );
        assert_eq!(
            holder("Copyright (c) 2014, Intel Corporation.").as_deref(),
            Some("Intel Corporation.")
        );
        assert_eq!(
            holder("Broadcom Corporation").as_deref(),
            Some("Broadcom Corporation")
        );
        assert_eq!(holder("not applicable"), None);
        assert_eq!(holder("2001, 2003"), None);
    }
}
