//! Positions in a policy file for checks made after deserialisation. A policy is not a list of
//! id-keyed entries (which [`crate::diag::Locator`] finds), so this follows a key path through the
//! YAML text instead: `deny` → `lists` → the value `us-fcc-covered`, or `exceptions` → item 2 →
//! `expires`. Block and flow styles both work; the result is the best position found, never
//! an error (the start of the file at worst).

use crate::diag::Span;

/// One step of a path.
#[derive(Debug, Clone, Copy)]
pub enum Seg<'a> {
    /// A mapping key.
    Key(&'a str),
    /// The n-th (0-based) block sequence item (`- …`) below the current position.
    Item(usize),
}

/// Finds key paths and values in one file's text.
pub struct PathLocator<'a> {
    file: &'a str,
    lines: Vec<&'a str>,
}

/// Line text without a trailing comment.
fn code(line: &str) -> &str {
    let b = line.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'#' && (i == 0 || b[i - 1] == b' ' || b[i - 1] == b'\t') {
            return &line[..i];
        }
    }
    line
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_blank(line: &str) -> bool {
    code(line).trim().is_empty()
}

fn boundary(c: Option<char>) -> bool {
    c.is_none_or(|c| !(c.is_alphanumeric() || c == '-' || c == '_' || c == '.' || c == '*'))
}

/// Byte offset of `word` as a whole token in `s`, searching from `from`.
fn token(s: &str, word: &str, from: usize) -> Option<usize> {
    if word.is_empty() {
        return None;
    }
    let mut start = from.min(s.len());
    while let Some(p) = s.get(start..)?.find(word) {
        let at = start + p;
        let before = s[..at].chars().next_back();
        let after = s[at + word.len()..].chars().next();
        if boundary(before) && boundary(after) {
            return Some(at);
        }
        start = at + word.len();
    }
    None
}

impl<'a> PathLocator<'a> {
    /// A locator over one file.
    pub fn new(file: &'a str, text: &'a str) -> Self {
        PathLocator {
            file,
            lines: text.lines().collect(),
        }
    }

    fn span(&self, line: usize, col: usize) -> Span<'a> {
        Span {
            file: self.file,
            line: line + 1,
            column: col + 1,
        }
    }

    /// The first line after `line` (0-based) that is not blank and is indented at most `ind`.
    fn block_end(&self, line: usize, ind: usize) -> usize {
        (line + 1..self.lines.len())
            .find(|&l| !is_blank(self.lines[l]) && indent(self.lines[l]) <= ind)
            .unwrap_or(self.lines.len())
    }

    /// Position of `value` under `path` (or of the last path step found, when `value` is
    /// `None` or not found).
    pub fn find(&self, path: &[Seg<'_>], value: Option<&str>) -> Span<'a> {
        let (mut line, mut col, mut end) = (0usize, 0usize, self.lines.len());
        let mut best = self.span(0, 0);
        for seg in path {
            let found = match *seg {
                Seg::Key(k) => self.key(k, line, col, end),
                Seg::Item(n) => self.item(n, line, col, end),
            };
            let Some((l, c, e)) = found else {
                return self.value_or(value, line, col, end, best);
            };
            (line, col, end) = (l, c, e);
            best = self.span(l, c);
        }
        self.value_or(value, line, col, end, best)
    }

    fn value_or(
        &self,
        value: Option<&str>,
        line: usize,
        col: usize,
        end: usize,
        best: Span<'a>,
    ) -> Span<'a> {
        let Some(v) = value else { return best };
        for l in line..end.min(self.lines.len()) {
            let text = code(self.lines[l]);
            let from = if l == line { col } else { 0 };
            if let Some(c) = token(text, v, from) {
                return self.span(l, c);
            }
        }
        best
    }

    fn key(&self, k: &str, line: usize, col: usize, end: usize) -> Option<(usize, usize, usize)> {
        for l in line..end.min(self.lines.len()) {
            let text = code(self.lines[l]);
            let mut from = if l == line { col } else { 0 };
            while let Some(c) = token(text, k, from) {
                let rest = text[c + k.len()..].trim_start_matches(['"', '\'']);
                if rest.trim_start().starts_with(':') {
                    let key_end = c + k.len();
                    return Some((l, key_end, self.block_end(l, c).max(l + 1)));
                }
                from = c + k.len();
            }
        }
        None
    }

    fn item(&self, n: usize, line: usize, col: usize, end: usize) -> Option<(usize, usize, usize)> {
        let mut item_indent = None;
        let mut seen = 0;
        for l in line..end.min(self.lines.len()) {
            let text = code(self.lines[l]);
            let from = if l == line { col } else { 0 };
            let Some(rest) = text.get(from..) else {
                continue;
            };
            let trimmed = rest.trim_start();
            if !(trimmed.starts_with("- ") || trimmed == "-") {
                continue;
            }
            let dash = from + (rest.len() - trimmed.len());
            match item_indent {
                None => item_indent = Some(dash),
                Some(i) if i != dash => continue,
                Some(_) => {}
            }
            if seen == n {
                return Some((
                    l,
                    (dash + 2).min(text.len()),
                    self.block_end(l, dash).max(l + 1),
                ));
            }
            seen += 1;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "home: CN   # the home
deny:
  countries: [US]
  lists:
    - us-fcc-covered
    - XX
warn:
  countries: [XX]
thresholds:
  - {category: cpu, max_foreign: 0}
  - max_foreign_share: 2.5
    weighted: true
exceptions:
  - match: \"deb:zlib*\"
    reason: old
    expires: 2027-02-30
";

    #[test]
    fn follows_paths() {
        let l = PathLocator::new("p.yaml", TEXT);
        let at = |p: &[Seg<'_>], v: Option<&str>| {
            let s = l.find(p, v);
            (s.line, s.column)
        };
        assert_eq!(
            at(&[Seg::Key("deny"), Seg::Key("lists")], Some("XX")),
            (6, 7)
        );
        assert_eq!(
            at(&[Seg::Key("warn"), Seg::Key("countries")], Some("XX")),
            (8, 15)
        );
        assert_eq!(
            at(
                &[
                    Seg::Key("thresholds"),
                    Seg::Item(1),
                    Seg::Key("max_foreign_share")
                ],
                Some("2.5")
            ),
            (11, 24)
        );
        assert_eq!(
            at(
                &[Seg::Key("thresholds"), Seg::Item(0), Seg::Key("category")],
                Some("cpu")
            ),
            (10, 16)
        );
        assert_eq!(
            at(
                &[Seg::Key("exceptions"), Seg::Item(0), Seg::Key("expires")],
                Some("2027-02-30")
            ),
            (16, 14)
        );
        assert_eq!(at(&[Seg::Key("exceptions"), Seg::Item(0)], None), (14, 5));
        // A missing key falls back to the last step found; a comment never matches.
        assert_eq!(
            at(&[Seg::Key("deny"), Seg::Key("vendors")], Some("acme")),
            (2, 5)
        );
        assert_eq!(at(&[Seg::Key("home")], Some("home")), (1, 5));
    }
}
