//! The rule database compiled for matching: hash maps for exact keys, suffix walks for hosts
//! (stopping at the registrable domain, never past a public suffix), prefix walks for Java
//! groups and Go modules, and one Aho-Corasick automaton for names inside longer text. Built
//! once at start-up; matching one piece of evidence allocates little and compiles nothing.

use super::RuleDb;
use crate::model::EvidenceKind;
use crate::text::normalise_name;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use std::collections::HashMap;

/// Hosts where the first path segment (the organisation), not the host, names the maker.
pub const CODE_HOSTS: &[&str] = &[
    "github.com",
    "gitlab.com",
    "gitee.com",
    "bitbucket.org",
    "codeberg.org",
    "sourceforge.net",
    "launchpad.net",
    "git.sr.ht",
    "sr.ht",
    "pypi.org",
    "pypi.python.org",
    "npmjs.com",
    "www.npmjs.com",
    "crates.io",
    "pkg.go.dev",
    "hub.docker.com",
    "gitcode.com",
    "gitcode.net",
    "framagit.org",
    "salsa.debian.org",
    "gitlab.gnome.org",
    "invent.kde.org",
    "gitlab.freedesktop.org",
];

/// Hosts that say nothing about a maker (mail providers, generic hosting).
const NEUTRAL_HOSTS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "hotmail.com",
    "outlook.com",
    "yahoo.com",
    "qq.com",
    "163.com",
    "126.com",
    "foxmail.com",
    "yandex.ru",
    "mail.ru",
    "gmx.de",
    "gmx.net",
    "web.de",
    "protonmail.com",
    "proton.me",
    "icloud.com",
    "me.com",
    "users.noreply.github.com",
    "localhost",
    "example.com",
    "example.org",
    "github.io",
    "readthedocs.io",
    "readthedocs.org",
    "sourceforge.io",
];

/// A matched rule: vendor (by id), how strong the match is, and the rule reference.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Vendor id.
    pub vendor: String,
    /// Strength 0–1 of this evidence for this vendor.
    pub strength: f64,
    /// Rule reference (`rules/vendors/us.yaml:openssl`).
    pub rule: String,
    /// Product id, when the match went through a product.
    pub product: Option<String>,
}

#[derive(Debug, Clone)]
struct Target {
    vendor: String,
    rule: String,
}

/// The compiled matchers.
pub struct Matcher {
    names: HashMap<String, usize>,
    signers: HashMap<String, usize>,
    hosts: HashMap<String, usize>,
    emails: HashMap<String, usize>,
    pci: HashMap<String, usize>,
    usb: HashMap<String, usize>,
    dt: HashMap<String, usize>,
    cpu: HashMap<String, usize>,
    java: HashMap<String, usize>,
    npm: HashMap<String, usize>,
    go: HashMap<String, usize>,
    firmware: FirmwarePaths,
    fw_formats: HashMap<String, usize>,
    packages: HashMap<String, String>,
    binaries: HashMap<String, String>,
    strings: HashMap<String, usize>,
    name_ac: Option<AhoCorasick>,
    name_ac_targets: Vec<usize>,
    targets: Vec<Target>,
    product_vendor: HashMap<String, (String, String)>,
}

fn lc(s: &str) -> String {
    s.trim().to_ascii_lowercase()
}

impl Matcher {
    /// Compile a database.
    pub fn new(db: &RuleDb) -> Self {
        let mut m = Matcher {
            names: HashMap::new(),
            signers: HashMap::new(),
            hosts: HashMap::new(),
            emails: HashMap::new(),
            pci: HashMap::new(),
            usb: HashMap::new(),
            dt: HashMap::new(),
            cpu: HashMap::new(),
            java: HashMap::new(),
            npm: HashMap::new(),
            go: HashMap::new(),
            firmware: FirmwarePaths::default(),
            fw_formats: HashMap::new(),
            packages: HashMap::new(),
            binaries: HashMap::new(),
            strings: HashMap::new(),
            name_ac: None,
            name_ac_targets: Vec::new(),
            targets: Vec::new(),
            product_vendor: HashMap::new(),
        };
        let mut ac_patterns: Vec<String> = Vec::new();
        let mut fw_patterns: Vec<(String, usize)> = Vec::new();
        for v in db.vendors.values() {
            let t = m.targets.len();
            m.targets.push(Target {
                vendor: v.raw.id.clone(),
                rule: v.rule_ref(),
            });
            let x = &v.raw.matchers;
            // First claim wins unless this vendor has precedence over the holder; `rules lint`
            // reports double claims without a precedence.
            let beats = |holder: usize, targets: &[Target]| {
                v.raw
                    .precedence_over
                    .iter()
                    .any(|p| targets.get(holder).is_some_and(|h| &h.vendor == p))
            };
            let ins = |map: &mut HashMap<String, usize>, k: String, targets: &[Target]| {
                if k.is_empty() {
                    return;
                }
                match map.get(&k) {
                    Some(&holder) if !beats(holder, targets) => {}
                    _ => {
                        map.insert(k, t);
                    }
                }
            };
            for n in &x.names {
                let k = normalise_name(n);
                if k.len() >= 3 && !m.names.contains_key(&k) {
                    ac_patterns.push(format!(" {k} "));
                    m.name_ac_targets.push(t);
                }
                ins(&mut m.names, k, &m.targets);
            }
            // The legal name matches as well as the listed variants.
            ins(&mut m.names, normalise_name(&v.raw.name), &m.targets);
            for s in &x.signer_subjects {
                ins(&mut m.signers, normalise_name(s), &m.targets);
            }
            for h in &x.url_hosts {
                ins(
                    &mut m.hosts,
                    lc(h).trim_end_matches('/').to_owned(),
                    &m.targets,
                );
            }
            for e in &x.email_domains {
                ins(&mut m.emails, lc(e), &m.targets);
            }
            for p in &x.pci_vendor_ids {
                ins(&mut m.pci, lc(p), &m.targets);
            }
            for p in &x.usb_vendor_ids {
                ins(&mut m.usb, lc(p), &m.targets);
            }
            for p in &x.dt_prefixes {
                ins(&mut m.dt, lc(p), &m.targets);
            }
            for p in &x.cpu_ids {
                ins(&mut m.cpu, cpu_key(p), &m.targets);
            }
            for p in &x.java_groups {
                ins(&mut m.java, lc(p), &m.targets);
            }
            for p in &x.npm_scopes {
                ins(
                    &mut m.npm,
                    lc(p).trim_start_matches('@').to_owned(),
                    &m.targets,
                );
            }
            for p in &x.firmware_paths {
                fw_patterns.push((p.trim().to_owned(), t));
            }
            for p in &x.firmware_formats {
                ins(&mut m.fw_formats, lc(p.trim()), &m.targets);
            }
            for p in &x.strings {
                ins(&mut m.strings, p.trim().to_owned(), &m.targets);
            }
            for p in &x.go_modules {
                ins(
                    &mut m.go,
                    lc(p).trim_end_matches('/').to_owned(),
                    &m.targets,
                );
            }
        }
        for p in db.products.values() {
            m.product_vendor.insert(
                p.raw.id.clone(),
                (p.raw.vendor.clone(), format!("{}:{}", p.file, p.raw.id)),
            );
            for k in &p.raw.matchers.packages {
                m.packages.entry(lc(k)).or_insert_with(|| p.raw.id.clone());
            }
            for k in &p.raw.matchers.binaries {
                m.binaries
                    .entry(k.trim().to_owned())
                    .or_insert_with(|| p.raw.id.clone());
            }
        }
        m.firmware = FirmwarePaths::new(&fw_patterns);
        if !ac_patterns.is_empty() {
            m.name_ac = AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&ac_patterns)
                .ok();
        }
        m
    }

    fn hit(&self, t: usize, strength: f64) -> Hit {
        let tg = &self.targets[t];
        Hit {
            vendor: tg.vendor.clone(),
            strength,
            rule: tg.rule.clone(),
            product: None,
        }
    }

    /// Match a company name: exact after normalisation, else a known name as whole words inside.
    pub fn name(&self, text: &str, exact: f64, partial: f64) -> Option<Hit> {
        let k = normalise_name(text);
        if let Some(&t) = self.names.get(&k) {
            return Some(self.hit(t, exact));
        }
        let ac = self.name_ac.as_ref()?;
        let hay = format!(" {k} ");
        let m = ac
            .find_iter(&hay)
            .max_by_key(|m| (m.end() - m.start(), std::cmp::Reverse(m.start())))?;
        let t = *self.name_ac_targets.get(m.pattern().as_usize())?;
        Some(self.hit(t, partial))
    }

    /// Match a host name against hosts and its parent domains, stopping at the registrable
    /// domain (`mirrors.example.com.cn` → `example.com.cn`, never `com.cn`).
    fn host_in(&self, map: &HashMap<String, usize>, host: &str) -> Option<usize> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if host.is_empty() || NEUTRAL_HOSTS.contains(&host.as_str()) {
            return None;
        }
        let registrable = psl::domain_str(&host).unwrap_or(&host).to_owned();
        let mut cur: &str = &host;
        loop {
            if NEUTRAL_HOSTS.contains(&cur) {
                return None;
            }
            if let Some(&t) = map.get(cur) {
                return Some(t);
            }
            if cur.len() <= registrable.len() {
                return None;
            }
            cur = cur.split_once('.').map(|(_, rest)| rest)?;
        }
    }

    /// Match a URL (or bare host): the code-host organisation on code hosts, else the host.
    /// `strength` is for a host match; an organisation on a code host is a little stronger.
    pub fn url(&self, url: &str, strength: f64) -> Option<Hit> {
        let (host, path) = split_url(url)?;
        if let Some(org) = code_host_org(&host, &path) {
            return self.hosts.get(&org).map(|&t| self.hit(t, strength + 0.05));
        }
        if CODE_HOSTS.contains(&host.as_str()) {
            return None;
        }
        self.host_in(&self.hosts, &host)
            .map(|t| self.hit(t, strength))
    }

    /// Match an e-mail address (or `Name <address>`) by its domain; e-mail domains first, then
    /// URL hosts (a vendor's web domain is usually its mail domain).
    pub fn email(&self, text: &str, strength: f64) -> Option<Hit> {
        let addr = email_address(text)?;
        let domain = addr.rsplit_once('@')?.1;
        self.host_in(&self.emails, domain)
            .or_else(|| self.host_in(&self.hosts, domain))
            .map(|t| self.hit(t, strength))
    }

    /// Match one piece of evidence. `None` when no rule applies.
    pub fn evidence(&self, kind: EvidenceKind, value: &str) -> Option<Hit> {
        use EvidenceKind as K;
        match kind {
            K::SignerSubject | K::AttestationSigner => {
                let k = normalise_name(value);
                self.signers
                    .get(&k)
                    .or_else(|| self.names.get(&k))
                    .map(|&t| self.hit(t, 1.0))
            }
            K::PciVendorId => self
                .pci
                .get(lc(value).trim_start_matches("0x"))
                .map(|&t| self.hit(t, 0.95)),
            K::UsbVendorId => self
                .usb
                .get(lc(value).trim_start_matches("0x"))
                .map(|&t| self.hit(t, 0.95)),
            K::CpuVendorId => self.cpu.get(&cpu_key(value)).map(|&t| self.hit(t, 0.95)),
            K::DtCompatible => {
                let prefix = value.split(',').next().unwrap_or(value);
                self.dt.get(&lc(prefix)).map(|&t| self.hit(t, 0.9))
            }
            K::CompanyName => self.name(value, 0.85, 0.5),
            K::CopyrightHolder => self
                .name(value, 0.5, 0.35)
                .or_else(|| self.email(value, 0.35)),
            K::Maintainer => self
                .email(value, 0.3)
                .or_else(|| self.name(value, 0.3, 0.2)),
            K::Email => self.email(value, 0.4),
            K::Homepage => self.url(value, 0.7),
            K::Url => self.url(value, 0.55),
            K::JavaGroupId => prefix_walk(&self.java, &lc(value), '.').map(|t| self.hit(t, 0.75)),
            K::GoModule => prefix_walk(&self.go, &lc(value), '/')
                .map(|t| self.hit(t, 0.75))
                .or_else(|| self.url(&format!("https://{value}"), 0.65)),
            K::NpmScope => self
                .npm
                .get(lc(value).trim_start_matches('@'))
                .map(|&t| self.hit(t, 0.75)),
            K::PackageName => self.product_hit(self.packages.get(&lc(value))?, 0.8),
            K::BinaryName | K::Soname => self.product_hit(self.binaries.get(value.trim())?, 0.6),
            K::String => self
                .strings
                .get(value.trim())
                .map(|&t| self.hit(t, 0.2))
                .or_else(|| self.name(value, 0.2, 0.2)),
            K::Distributor => self
                .name(value, 0.0, 0.0)
                .map(|h| Hit { strength: 0.0, ..h }),
            K::FirmwarePath => self.firmware.find(value).map(|t| self.hit(t, 0.85)),
            K::FirmwareFormat => self
                .fw_formats
                .get(&lc(value.trim()))
                .map(|&t| self.hit(t, 0.9)),
            _ => None,
        }
    }

    /// Match board evidence for the `board` party: a device-tree `compatible` (`radxa,rockpi4b`)
    /// by its vendor prefix, else a board name or `model` (`Pine64 Rock64`) by company name.
    pub fn board(&self, value: &str) -> Option<Hit> {
        if let Some((prefix, _)) = value.split_once(',') {
            if !prefix.is_empty() && !prefix.contains(' ') {
                return self.dt.get(&lc(prefix)).map(|&t| self.hit(t, 0.9));
            }
        }
        self.name(value, 0.85, 0.5)
    }

    /// Match distributor evidence for the supplier (os-release name or id).
    pub fn supplier(&self, value: &str) -> Option<Hit> {
        self.name(value, 1.0, 0.8)
    }

    fn product_hit(&self, product: &str, strength: f64) -> Option<Hit> {
        let (vendor, rule) = self.product_vendor.get(product)?;
        Some(Hit {
            vendor: vendor.clone(),
            strength,
            rule: rule.clone(),
            product: Some(product.to_owned()),
        })
    }
}

/// Compiled `firmware_paths`: one glob set over every vendor's (or category's) patterns, each
/// pattern pointing at a target index.
#[derive(Default)]
pub struct FirmwarePaths {
    set: Option<globset::GlobSet>,
    /// Per compiled glob: (target, pattern length) — the longest matching pattern wins.
    targets: Vec<(usize, usize)>,
}

impl FirmwarePaths {
    /// Compile `(pattern, target)` pairs (a directory prefix ending in `/`, else a glob).
    pub fn new(patterns: &[(String, usize)]) -> Self {
        let mut b = globset::GlobSetBuilder::new();
        let mut targets = Vec::new();
        for (p, t) in patterns {
            let p = p.trim_start_matches('/');
            if p.is_empty() {
                continue;
            }
            // `rtl_nic/` is a directory prefix; anything else is a glob on the relative path.
            let glob = if p.ends_with('/') {
                format!("{p}**")
            } else {
                p.to_owned()
            };
            // An invalid glob is skipped here (the rest of the rules still work).
            let Ok(g) = globset::GlobBuilder::new(&glob)
                .literal_separator(true)
                .build()
            else {
                continue;
            };
            b.add(g);
            targets.push((*t, p.len()));
        }
        let set = if targets.is_empty() {
            None
        } else {
            b.build().ok()
        };
        FirmwarePaths { set, targets }
    }

    /// The target of a firmware path (`/lib/firmware/` or `/usr/lib/firmware/` prefixes are
    /// dropped; the rest is matched as given); the longest matching pattern wins.
    pub fn find(&self, path: &str) -> Option<usize> {
        let set = self.set.as_ref()?;
        let p = path.trim();
        let rel = [
            "/usr/lib/firmware/",
            "/lib/firmware/",
            "usr/lib/firmware/",
            "lib/firmware/",
        ]
        .iter()
        .find_map(|pre| p.strip_prefix(pre))
        .unwrap_or(p);
        set.matches(rel)
            .into_iter()
            .filter_map(|i| self.targets.get(i))
            .max_by_key(|(t, len)| (*len, std::cmp::Reverse(*t)))
            .map(|(t, _)| *t)
    }
}

/// CPU vendor ids compare case-insensitively with whitespace runs folded: CPUID strings are
/// padded with spaces ("  Shanghai  ") that text sanitising collapses.
fn cpu_key(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
}

/// Longest key of `map` that is `value` or a prefix of it ending at `sep`.
fn prefix_walk(map: &HashMap<String, usize>, value: &str, sep: char) -> Option<usize> {
    let mut cur = value;
    loop {
        if let Some(&t) = map.get(cur) {
            return Some(t);
        }
        cur = &cur[..cur.rfind(sep)?];
    }
}

/// Host (lower-case) and path of a URL or bare host; tolerates `git+https://`, `git@host:org/x`.
pub fn split_url(url: &str) -> Option<(String, String)> {
    let s = url.trim().trim_start_matches('<').trim_end_matches('>');
    let s = s.split_whitespace().next()?;
    let rest = match s.find("://") {
        Some(i) => &s[i + 3..],
        None => s,
    };
    // Drop user information (`user@`, `git@`) when it comes before the path.
    let slash = rest.find('/').unwrap_or(rest.len());
    let rest = match rest[..slash].rfind('@') {
        Some(i) => &rest[i + 1..],
        None => rest,
    };
    let end = rest.find(['/', ':', '?', '#']).unwrap_or(rest.len());
    let host = rest[..end].to_ascii_lowercase();
    let mut path = &rest[end..];
    if let Some(p) = path.strip_prefix(':') {
        // `host:8080/x` is a port; `host:org/repo` is scp-style.
        let after_port = p.trim_start_matches(|c: char| c.is_ascii_digit());
        path = if after_port.len() < p.len()
            && (after_port.is_empty() || after_port.starts_with('/'))
        {
            after_port
        } else {
            p
        };
    }
    if host.is_empty() || !host.contains('.') {
        return None;
    }
    Some((host, path.trim_start_matches('/').to_owned()))
}

/// `github.com/<org>` for code hosts (`sourceforge.net/projects/<x>` → `sourceforge.net/<x>`).
pub fn code_host_org(host: &str, path: &str) -> Option<String> {
    let host = host.strip_prefix("www.").unwrap_or(host);
    if !CODE_HOSTS.contains(&host) {
        return None;
    }
    let mut segs = path.split('/').filter(|s| !s.is_empty());
    let mut org = segs.next()?;
    if matches!(host, "sourceforge.net" | "pypi.org" | "pypi.python.org")
        && matches!(org, "projects" | "p" | "project")
    {
        org = segs.next()?;
    }
    if host.ends_with("npmjs.com") && org == "package" {
        org = segs.next()?;
    }
    let org = org.trim_end_matches(".git").to_ascii_lowercase();
    (!org.is_empty()).then(|| format!("{host}/{org}"))
}

/// The address in `Name <addr>` or a bare address.
pub fn email_address(text: &str) -> Option<&str> {
    let t = text.trim();
    let addr = match (t.rfind('<'), t.rfind('>')) {
        (Some(a), Some(b)) if a < b => &t[a + 1..b],
        _ => t.split_whitespace().find(|w| w.contains('@'))?,
    };
    let addr = addr.trim().trim_start_matches("mailto:");
    (addr.contains('@') && addr.rsplit_once('@')?.1.contains('.')).then_some(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split() {
        assert_eq!(
            split_url("https://www.openssl.org/"),
            Some(("www.openssl.org".into(), "".into()))
        );
        assert_eq!(
            split_url("git+https://github.com/npm/cli.git"),
            Some(("github.com".into(), "npm/cli.git".into()))
        );
        assert_eq!(
            split_url("git@github.com:alibaba/nacos.git"),
            Some(("github.com".into(), "alibaba/nacos.git".into()))
        );
        assert_eq!(
            split_url("http://user@host.example.org:8080/x"),
            Some(("host.example.org".into(), "x".into()))
        );
        assert_eq!(split_url("not a url"), None);
        assert_eq!(
            code_host_org("github.com", "alibaba/nacos.git").as_deref(),
            Some("github.com/alibaba")
        );
        assert_eq!(
            code_host_org("sourceforge.net", "projects/zlib/files").as_deref(),
            Some("sourceforge.net/zlib")
        );
        assert_eq!(code_host_org("example.org", "a/b"), None);
    }

    #[test]
    fn firmware_paths_prefix_and_glob_longest_wins() {
        let f = FirmwarePaths::new(&[
            ("rtl_nic/".into(), 1),
            ("iwlwifi-*".into(), 2),
            ("intel/".into(), 2),
            ("intel/ice/".into(), 3),
            ("[bad".into(), 4),
        ]);
        assert_eq!(f.find("/lib/firmware/rtl_nic/rtl8168h-2.fw"), Some(1));
        assert_eq!(
            f.find("/usr/lib/firmware/iwlwifi-9000-pu-b0-jf-b0-46.ucode.xz"),
            Some(2)
        );
        assert_eq!(f.find("intel/ice/ddp/ice.pkg"), Some(3));
        assert_eq!(f.find("intel/ibt-12-16.sfi"), Some(2));
        assert_eq!(f.find("brcm/iwlwifi-x.bin"), None);
        assert_eq!(f.find("mediatek/mt7921.bin"), None);
    }

    #[test]
    fn emails() {
        assert_eq!(
            email_address("Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>"),
            Some("pkg-openssl-devel@alioth-lists.debian.net")
        );
        assert_eq!(email_address("jane@example.org"), Some("jane@example.org"));
        assert_eq!(email_address("Jane Doe"), None);
    }
}
