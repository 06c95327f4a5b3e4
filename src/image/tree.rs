//! The in-memory filesystem tree of a container image: directories, regular files, symbolic
//! links and special files by absolute path, as the image's layers leave them.
//!
//! A regular file holds its size and either its whole contents (files a collector may read) or
//! only its first [`HEAD_LEN`] bytes; contents are shared (`Arc`), so hard links and the same
//! file seen twice cost nothing more. Paths are normalised (`/usr/bin/ls`, root `/`), kept in a
//! sorted map so that listing is ordered and removing a subtree (a whiteout) is a range.
//!
//! This module only stores: applying layers is [`super::layers`], resolving links like a
//! chroot is [`crate::rootfs`].

use crate::collectors::HEAD_LEN;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One node of the tree.
#[derive(Debug, Clone)]
pub enum Node {
    /// A directory (its entries are the keys below it).
    Dir,
    /// A regular file.
    File(MemFile),
    /// A symbolic link and its target, as written in the layer.
    Link(String),
    /// A FIFO, socket or device file: listed, never read.
    Special(&'static str),
}

/// A regular file's size and the bytes kept of it.
#[derive(Debug, Clone)]
pub struct MemFile {
    /// Size in bytes, from the layer's header.
    pub size: u64,
    /// The whole contents when `complete`, else the first (up to [`HEAD_LEN`]) bytes.
    pub data: Arc<[u8]>,
    /// Whether `data` is the whole file.
    pub complete: bool,
}

impl MemFile {
    /// The first [`HEAD_LEN`] bytes (fewer for a shorter file).
    pub fn head(&self) -> &[u8] {
        &self.data[..self.data.len().min(HEAD_LEN)]
    }
}

/// The tree: nodes by normalised absolute path.
#[derive(Debug, Clone)]
pub struct MemTree {
    nodes: BTreeMap<String, Node>,
}

impl Default for MemTree {
    fn default() -> Self {
        let mut nodes = BTreeMap::new();
        nodes.insert("/".to_owned(), Node::Dir);
        MemTree { nodes }
    }
}

/// `/a/b` for the components `a`, `b`.
pub fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// The parent directory of a normalised path (`/` for `/a` and for `/`).
pub fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

impl MemTree {
    /// The node at exactly `path` (no link followed).
    pub fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path)
    }

    /// Number of nodes, the root included.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True when only the root is there.
    pub fn is_empty(&self) -> bool {
        self.nodes.len() <= 1
    }

    /// Put `node` at `path`, whose parent must already be a directory. What was there is
    /// returned; a directory replaced by anything but a directory loses its subtree.
    pub fn insert(&mut self, path: String, node: Node) -> Vec<Node> {
        let mut gone = Vec::new();
        match (self.nodes.get(&path), &node) {
            (Some(Node::Dir), Node::Dir) => return gone,
            (Some(Node::Dir), _) => gone = self.remove_below(&path, |_| false),
            _ => {}
        }
        if let Some(old) = self.nodes.insert(path, node) {
            gone.push(old);
        }
        gone
    }

    /// Remove `path` and everything below it; returns the removed nodes.
    pub fn remove(&mut self, path: &str) -> Vec<Node> {
        let mut gone = self.remove_below(path, |_| false);
        if path != "/" {
            if let Some(n) = self.nodes.remove(path) {
                gone.push(n);
            }
        }
        gone
    }

    /// Remove every node strictly below directory `dir` for which `keep` is false.
    pub fn remove_below(&mut self, dir: &str, keep: impl Fn(&str) -> bool) -> Vec<Node> {
        let prefix = if dir == "/" {
            "/".to_owned()
        } else {
            format!("{dir}/")
        };
        let doomed: Vec<String> = self
            .nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| k.as_str() != "/" && !keep(k))
            .map(|(k, _)| k.clone())
            .collect();
        doomed
            .into_iter()
            .filter_map(|k| self.nodes.remove(&k))
            .collect()
    }

    /// Names directly in directory `dir`, sorted.
    pub fn children(&self, dir: &str) -> Vec<&str> {
        let prefix = if dir == "/" {
            "/".to_owned()
        } else {
            format!("{dir}/")
        };
        self.nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter_map(|(k, _)| {
                let rest = &k[prefix.len()..];
                (!rest.is_empty() && !rest.contains('/')).then_some(rest)
            })
            .collect()
    }

    /// Every node in path order (a directory before what it holds).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.nodes.iter().map(|(k, v)| (k.as_str(), v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(b: &[u8]) -> Node {
        Node::File(MemFile {
            size: b.len() as u64,
            data: Arc::from(b),
            complete: true,
        })
    }

    #[test]
    fn insert_list_and_remove_subtrees() {
        let mut t = MemTree::default();
        t.insert("/a".into(), Node::Dir);
        t.insert("/a/b".into(), file(b"x"));
        t.insert("/a/c".into(), Node::Dir);
        t.insert("/a/c/d".into(), file(b"y"));
        t.insert("/a-b".into(), file(b"z"));
        assert_eq!(t.children("/"), vec!["a", "a-b"]);
        assert_eq!(t.children("/a"), vec!["b", "c"]);
        // A file over a directory drops the directory's subtree.
        let gone = t.insert("/a/c".into(), file(b"w"));
        assert_eq!(gone.len(), 2);
        assert!(t.get("/a/c/d").is_none());
        // Removing `/a` leaves `/a-b` (a sibling sharing the prefix) alone.
        t.remove("/a");
        assert!(t.get("/a/b").is_none());
        assert!(t.get("/a-b").is_some());
        assert_eq!(t.len(), 2);
        assert_eq!(parent("/a/b"), "/a");
        assert_eq!(parent("/a"), "/");
        assert_eq!(join("/", "a"), "/a");
    }
}
