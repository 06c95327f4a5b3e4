//! Windows installed software: when the root is a Windows volume
//! (`Windows/System32/config/SOFTWARE` exists, names compared case-insensitively as NTFS does),
//! the hive's `Uninstall` keys — 64-bit `Microsoft\Windows\CurrentVersion\Uninstall` and 32-bit
//! `WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall` — read with [`super::regf`]. Each
//! entry with a `DisplayName` (what "Programs and Features" lists) becomes an `application`
//! component: `DisplayVersion` its version, `Publisher` [`EvidenceKind::CompanyName`],
//! `URLInfoAbout`/`HelpLink`/`URLUpdateInfo` [`EvidenceKind::Url`], `InstallLocation` and the
//! key as properties. Each user profile's `Users/<name>/NTUSER.DAT` is read the same way
//! (`Software\Microsoft\Windows\CurrentVersion\Uninstall`: per-user installs), its entries
//! carrying the `user` property. The binaries under `Program Files` are the PE collector's.
//!
//! Caps: the hive is memory-mapped and refused over [`MAX_HIVE`] bytes; see [`super::regf`]
//! for the per-key caps. A damaged key is a report error; the other entries are still read.

use super::regf::{Hive, Key};
use super::{find_ci, Candidate, Collected, Collector, Context, Phase};
use crate::model::{Component, ComponentKind, EvidenceKind, ScanError};

/// Largest hive read.
pub const MAX_HIVE: u64 = 1 << 30;

/// Per-user hives read at most.
pub const MAX_USERS: usize = 1024;

/// Uninstall keys of the machine-wide SOFTWARE hive: (key, architecture).
const MACHINE: &[(&str, Option<&str>)] = &[
    (r"Microsoft\Windows\CurrentVersion\Uninstall", Some("x64")),
    (
        r"WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall",
        Some("x86"),
    ),
];
/// Uninstall key of a user's NTUSER.DAT (per-user installs: VS Code, Zoom, Teams…).
const USER: &[(&str, Option<&str>)] =
    &[(r"Software\Microsoft\Windows\CurrentVersion\Uninstall", None)];

/// Which hive an entry came from.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// `HKLM\SOFTWARE`.
    Machine,
    /// `HKU\<user>` (the user's profile folder name).
    User(&'a str),
}

/// The Windows installed-software collector.
pub struct WindowsSoftware;

impl Collector for WindowsSoftware {
    fn id(&self) -> &'static str {
        "windows-software"
    }
    fn reads(&self) -> &'static str {
        "`Windows/System32/config/SOFTWARE` hive (names matched case-insensitively): 64- and 32-bit `Uninstall` keys (DisplayName, DisplayVersion, Publisher, URLs, InstallLocation); per-user installs from `Users/*/NTUSER.DAT`"
    }
    fn emits(&self) -> &'static [EvidenceKind] {
        &[EvidenceKind::CompanyName, EvidenceKind::Url]
    }
    fn phase(&self) -> Phase {
        Phase::System
    }
    fn reads_beside(&self, path: &str) -> bool {
        let p = path.to_ascii_lowercase();
        p == "/windows/system32/config/software"
            || p.strip_prefix("/users/")
                .and_then(|r| r.strip_suffix("/ntuser.dat"))
                .is_some_and(|user| !user.is_empty() && !user.contains('/'))
    }
    fn collect(&self, _c: &Candidate<'_>, _ctx: &Context<'_>) -> Collected {
        Collected::default()
    }
    fn collect_system(&self, ctx: &Context<'_>) -> Collected {
        let mut out = Collected::default();
        if let Some(path) = find_ci(ctx.root, "", &["Windows", "System32", "config", "SOFTWARE"]) {
            out.extend(read_hive(ctx, &path, Scope::Machine));
        }
        if let Some(users) = find_ci(ctx.root, "", &["Users"]) {
            let names: Vec<String> = ctx
                .root
                .list_dir(&users)
                .map(|d| d.iter().map(|n| n.to_string_lossy().into_owned()).collect())
                .unwrap_or_default();
            for user in names.iter().take(MAX_USERS) {
                if let Some(path) = find_ci(ctx.root, &format!("{users}/{user}"), &["NTUSER.DAT"]) {
                    out.extend(read_hive(ctx, &path, Scope::User(user)));
                }
            }
        }
        out
    }
}

fn read_hive(ctx: &Context<'_>, path: &str, scope: Scope<'_>) -> Collected {
    let bytes = ctx.root.load(path, MAX_HIVE).map_err(|e| e.to_string());
    match bytes {
        Ok(b) => parse(&b, path, scope),
        Err(e) => Collected::error(path, format!("cannot read: {e}")),
    }
}

/// Read the Uninstall entries of a SOFTWARE (`Scope::Machine`) or NTUSER.DAT hive at system
/// path `path`.
pub fn parse(bytes: &[u8], path: &str, scope: Scope<'_>) -> Collected {
    let mut out = Collected::default();
    let hive = match Hive::new(bytes) {
        Ok(h) => h,
        Err(e) => return Collected::error(path, e),
    };
    let root = match hive.root() {
        Ok(r) => r,
        Err(e) => return Collected::error(path, format!("registry root key: {e}")),
    };
    let keys = match scope {
        Scope::Machine => MACHINE,
        Scope::User(_) => USER,
    };
    for (key_path, arch) in keys {
        let uninstall = match hive.path(&root, key_path) {
            Ok(Some(k)) => k,
            Ok(None) => continue,
            Err(e) => {
                out.errors
                    .push(ScanError::new(path, format!("{key_path}: {e}")));
                continue;
            }
        };
        let (entries, errors) = hive.subkeys(&uninstall);
        out.errors.extend(
            errors
                .into_iter()
                .map(|e| ScanError::new(path, format!("{key_path}: {e}"))),
        );
        for entry in entries {
            match component(&hive, &entry, path, key_path, *arch, scope) {
                Ok(Some(c)) => out.components.push(c),
                Ok(None) => {}
                Err(e) => out.errors.push(ScanError::new(
                    path,
                    format!("{key_path}\\{}: {e}", entry.name),
                )),
            }
        }
    }
    out
}

fn component(
    hive: &Hive<'_>,
    entry: &Key,
    path: &str,
    key_path: &str,
    arch: Option<&str>,
    scope: Scope<'_>,
) -> Result<Option<Component>, String> {
    let values = hive.values(entry)?;
    let get = |name: &str| {
        values
            .iter()
            .find(|v| v.name.eq_ignore_ascii_case(name))
            .and_then(|v| v.as_string())
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    let Some(name) = get("DisplayName") else {
        return Ok(None);
    };
    let version = get("DisplayVersion");
    let mut c = Component::new(
        ComponentKind::Application,
        Some("windows"),
        &name,
        version.as_deref(),
    );
    let key = match scope {
        Scope::Machine => format!(r"HKLM\SOFTWARE\{key_path}\{}", entry.name),
        Scope::User(u) => format!(r"HKU\{u}\{key_path}\{}", entry.name),
    };
    c.locations.push(path.to_owned());
    c.set_property("registry-key", &key);
    if let Some(a) = arch {
        c.set_property("arch", a);
    }
    if let Scope::User(u) = scope {
        c.set_property("user", u);
    }
    let at = |v: &str| format!("{path}#{key}\\{v}");
    if let Some(p) = get("Publisher") {
        c.add_evidence(EvidenceKind::CompanyName, &p, at("Publisher"));
        c.set_property("publisher", p);
    }
    for u in ["URLInfoAbout", "HelpLink", "URLUpdateInfo"] {
        if let Some(url) = get(u) {
            c.add_evidence(EvidenceKind::Url, url, at(u));
        }
    }
    if let Some(l) = get("InstallLocation") {
        if let Some(p) = system_path(&l) {
            // Where the PE collector reports the program's binaries (`pe:<path>/…`).
            c.set_property("install-path", p);
        }
        c.set_property("install-location", l);
    }
    if let Some(d) = get("InstallDate") {
        c.set_property("install-date", d);
    }
    Ok(Some(c))
}

/// `C:\Program Files\7-Zip\` → `/Program Files/7-Zip`: the scanned volume is the system
/// drive, so only `C:` paths map into it.
fn system_path(location: &str) -> Option<String> {
    let rest = location.trim().trim_matches('"');
    let rest = rest
        .strip_prefix("C:")
        .or_else(|| rest.strip_prefix("c:"))?;
    let p: Vec<&str> = rest
        .split(['\\', '/'])
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    if p.is_empty() || p.contains(&"..") {
        return None;
    }
    Some(format!("/{}", p.join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HIVE: &[u8] =
        include_bytes!("../../fixtures/windows/win11/Windows/System32/config/SOFTWARE");

    #[test]
    fn both_uninstall_keys() {
        let c = parse(HIVE, "/Windows/System32/config/SOFTWARE", Scope::Machine);
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        let ids: Vec<&str> = c.components.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids.len(), 6, "{ids:?} (AddressBook has no DisplayName)");
        let wps = c
            .components
            .iter()
            .find(|c| c.name == "WPS Office (12.2.0.18911)")
            .unwrap();
        assert_eq!(wps.properties.get("arch").map(String::as_str), Some("x86"));
        assert!(wps
            .evidence
            .iter()
            .any(|e| e.kind == EvidenceKind::CompanyName && e.value == "Kingsoft Corp."));
        let seven = c
            .components
            .iter()
            .find(|c| c.id == "windows:7-Zip 24.09 (x64)@24.09")
            .unwrap();
        assert_eq!(
            seven.properties.get("install-location").map(String::as_str),
            Some(r"C:\Program Files\7-Zip\")
        );
        assert_eq!(
            seven.properties.get("install-path").map(String::as_str),
            Some("/Program Files/7-Zip")
        );
        assert_eq!(system_path(r"D:\Apps\x"), None);
        assert_eq!(system_path(r"C:\a\..\..\etc"), None);
    }

    #[test]
    fn damaged_entry_is_an_error_next_to_the_others() {
        // Synthesised: the first DisplayName value's signature is overwritten.
        let mut b = HIVE.to_vec();
        let at = (0..HIVE.len() - 31)
            .find(|&i| &HIVE[i..i + 2] == b"vk" && &HIVE[i + 20..i + 31] == b"DisplayName")
            .unwrap();
        b[at..at + 2].copy_from_slice(b"XX");
        let c = parse(&b, "/SOFTWARE", Scope::Machine);
        assert_eq!(c.errors.len(), 1, "{:?}", c.errors);
        assert_eq!(c.components.len(), 5);
        // Cut short after the root key: errors, no components, no panic.
        let c = parse(&HIVE[..0x1100], "/SOFTWARE", Scope::Machine);
        assert!(
            !c.errors.is_empty() && c.components.is_empty(),
            "{:?}",
            c.errors
        );
    }
}
