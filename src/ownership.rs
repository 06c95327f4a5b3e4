//! Which package owns which file, kept compactly: a host's package databases own a hundred
//! thousand files or more, and the scan holds their paths for the whole file phase.
//!
//! [`OwnedPaths`] is what a database collector reports: every path in one text arena, each
//! entry 16 bytes (offset, length, owner number), each owner once. [`OwnerIndex`] is the lookup
//! the file phase asks, built by sorting those entries, so the scan keeps no `String` and no
//! hash-table slot per owned file.

use crate::collectors::Owner;
use std::sync::Arc;

#[derive(Debug, Clone, Copy)]
struct Entry {
    at: u64,
    len: u32,
    owner: u32,
}

/// Paths owned by packages, in the order reported. Empty (most collectors' results) it is one
/// null pointer.
#[derive(Debug, Default)]
pub struct OwnedPaths(Option<Box<Paths>>);

#[derive(Debug, Default)]
struct Paths {
    text: String,
    entries: Vec<Entry>,
    owners: Vec<Arc<Owner>>,
}

impl Paths {
    fn path(&self, e: &Entry) -> &str {
        let at = e.at as usize;
        self.text.get(at..at + e.len as usize).unwrap_or("")
    }

    fn append(&mut self, other: Paths) {
        let (at, base) = (self.text.len() as u64, self.owners.len() as u32);
        self.text.push_str(&other.text);
        self.entries
            .extend(other.entries.into_iter().map(|e| Entry {
                at: e.at + at,
                len: e.len,
                owner: e.owner + base,
            }));
        self.owners.extend(other.owners);
    }
}

impl OwnedPaths {
    /// Record that `owner` owns `path`.
    pub fn push(&mut self, path: &str, owner: &Arc<Owner>) {
        let Ok(len) = u32::try_from(path.len()) else {
            return;
        };
        let p = self.0.get_or_insert_with(Box::default);
        let owner = match p.owners.last() {
            Some(last) if Arc::ptr_eq(last, owner) => p.owners.len() - 1,
            _ => {
                p.owners.push(Arc::clone(owner));
                p.owners.len() - 1
            }
        };
        let Ok(owner) = u32::try_from(owner) else {
            return;
        };
        p.entries.push(Entry {
            at: p.text.len() as u64,
            len,
            owner,
        });
        p.text.push_str(path);
    }

    /// Append another list.
    pub fn extend(&mut self, other: OwnedPaths) {
        match (&mut self.0, other.0) {
            (_, None) => {}
            (None, Some(o)) => self.0 = Some(o),
            (Some(p), Some(o)) => p.append(*o),
        }
    }

    /// Join lists, with room for exactly what they hold.
    pub fn concat(lists: impl IntoIterator<Item = OwnedPaths>) -> OwnedPaths {
        let mut lists: Vec<Box<Paths>> = lists.into_iter().filter_map(|l| l.0).collect();
        match lists.len() {
            0 => return OwnedPaths::default(),
            // One list (a root with one package database) is taken as it is, not copied.
            1 => return OwnedPaths(lists.pop()),
            _ => {}
        }
        let mut out = Paths {
            text: String::with_capacity(lists.iter().map(|l| l.text.len()).sum()),
            entries: Vec::with_capacity(lists.iter().map(|l| l.entries.len()).sum()),
            owners: Vec::with_capacity(lists.iter().map(|l| l.owners.len()).sum()),
        };
        for l in lists {
            out.append(*l);
        }
        OwnedPaths(Some(Box::new(out)))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |p| p.entries.len())
    }

    /// No entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forget every entry.
    pub fn clear(&mut self) {
        self.0 = None;
    }

    /// The entries, in the order reported: (path, owner).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Arc<Owner>)> + '_ {
        self.0.iter().flat_map(|p| {
            p.entries
                .iter()
                .map(|e| (p.path(e), &p.owners[e.owner as usize]))
        })
    }
}

/// Which owner wins when several list the same path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tie {
    /// The first reported.
    First,
    /// The first operating-system package, else the first reported: a file that both the
    /// distribution and a language package list (a wheel's RECORD inside a deb) is the
    /// distribution's, which put it on disk.
    OsPackage,
}

/// Owner lookup by path.
#[derive(Debug, Default)]
pub struct OwnerIndex(Paths);

impl OwnerIndex {
    /// Sort `paths` for lookup, one entry per path, ties broken by `tie`.
    pub fn new(paths: OwnedPaths, tie: Tie) -> Self {
        let Some(mut paths) = paths.0.map(|b| *b) else {
            return OwnerIndex::default();
        };
        let mut entries = std::mem::take(&mut paths.entries);
        // Stable: entries of one path stay in the order reported.
        entries.sort_by(|a, b| paths.path(a).cmp(paths.path(b)));
        let mut kept: Vec<Entry> = Vec::with_capacity(entries.len());
        let mut group_os = false;
        for e in entries {
            let os = paths.owners[e.owner as usize].is_os_package();
            match kept.last_mut() {
                Some(last) if paths.path(last) == paths.path(&e) => {
                    if tie == Tie::OsPackage && os && !group_os {
                        *last = e;
                        group_os = true;
                    }
                }
                _ => {
                    kept.push(e);
                    group_os = os;
                }
            }
        }
        kept.shrink_to_fit();
        paths.entries = kept;
        paths.text.shrink_to_fit();
        paths.owners.shrink_to_fit();
        OwnerIndex(paths)
    }

    /// The owner of `path`.
    pub fn get(&self, path: &str) -> Option<&Arc<Owner>> {
        let p = &self.0;
        p.entries
            .binary_search_by(|e| p.path(e).cmp(path))
            .ok()
            .map(|i| &p.owners[p.entries[i].owner as usize])
    }

    /// No entries.
    pub fn is_empty(&self) -> bool {
        self.0.entries.is_empty()
    }

    /// Number of paths.
    pub fn len(&self) -> usize {
        self.0.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(eco: &str, name: &str) -> Arc<Owner> {
        Arc::new(Owner {
            id: format!("{eco}:{name}"),
            ecosystem: eco.to_owned(),
            name: name.to_owned(),
        })
    }

    #[test]
    fn push_extend_and_iterate_in_order() {
        let (a, b) = (owner("deb", "a"), owner("pypi", "b"));
        let mut x = OwnedPaths::default();
        x.push("/usr/bin/a", &a);
        x.push("/usr/lib/a.so", &a);
        let mut y = OwnedPaths::default();
        y.push("/usr/lib/python3/b.py", &b);
        y.push("/usr/bin/a", &b);
        x.extend(y);
        let got: Vec<(&str, &str)> = x.iter().map(|(p, o)| (p, o.name.as_str())).collect();
        assert_eq!(
            got,
            [
                ("/usr/bin/a", "a"),
                ("/usr/lib/a.so", "a"),
                ("/usr/lib/python3/b.py", "b"),
                ("/usr/bin/a", "b")
            ]
        );
        assert_eq!(
            x.0.as_ref().unwrap().owners.len(),
            2,
            "an owner is stored once per run of its files"
        );
    }

    #[test]
    fn index_finds_each_path_and_nothing_else() {
        let a = owner("deb", "a");
        let mut x = OwnedPaths::default();
        for p in ["/z", "/usr/bin/ls", "/etc/passwd", "/usr/bin/l"] {
            x.push(p, &a);
        }
        let ix = OwnerIndex::new(x, Tie::First);
        assert_eq!(ix.len(), 4);
        for p in ["/z", "/usr/bin/ls", "/etc/passwd", "/usr/bin/l"] {
            assert!(ix.get(p).is_some(), "{p}");
        }
        for p in ["/usr/bin/lsx", "/usr/bin", "", "/"] {
            assert!(ix.get(p).is_none(), "{p}");
        }
    }

    #[test]
    fn ties_keep_the_first_or_the_os_package() {
        let (wheel, deb, rpm) = (owner("pypi", "w"), owner("deb", "d"), owner("rpm", "r"));
        let make = || {
            let mut x = OwnedPaths::default();
            x.push("/f", &wheel);
            x.push("/f", &deb);
            x.push("/f", &rpm);
            x.push("/g", &wheel);
            x
        };
        let first = OwnerIndex::new(make(), Tie::First);
        assert_eq!(first.get("/f").unwrap().name, "w");
        let os = OwnerIndex::new(make(), Tie::OsPackage);
        assert_eq!(os.get("/f").unwrap().name, "d", "the first OS package wins");
        assert_eq!(os.get("/g").unwrap().name, "w");
        assert_eq!(os.len(), 2);
    }
}
