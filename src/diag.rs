//! Diagnostics for rule and policy files: a stable code, a severity and a `file:line:column`
//! label, collected all at once so one run shows every problem.

use std::fmt;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Makes the file unusable.
    Error,
    /// Worth fixing; does not stop anything.
    Warning,
}

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    /// File as the user knows it (`rules/vendors/us.yaml`).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Severity.
    pub severity: Severity,
    /// Stable kebab-case code (`unknown-country`).
    pub code: &'static str,
    /// Message.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}:{}:{}: {}[{}]: {}", self.file, self.line, self.column, sev, self.code, self.message)
    }
}

/// Collected diagnostics.
#[derive(Debug, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Add an error at a position.
    pub fn error(&mut self, at: Span<'_>, code: &'static str, message: impl Into<String>) {
        self.push(at, Severity::Error, code, message);
    }

    /// Add a warning at a position.
    pub fn warning(&mut self, at: Span<'_>, code: &'static str, message: impl Into<String>) {
        self.push(at, Severity::Warning, code, message);
    }

    fn push(&mut self, at: Span<'_>, severity: Severity, code: &'static str, message: impl Into<String>) {
        self.0.push(Diagnostic {
            file: at.file.to_owned(),
            line: at.line,
            column: at.column,
            severity,
            code,
            message: message.into(),
        });
    }

    /// True when any error (not warning) was recorded.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    /// Sorted, rendered lines.
    pub fn rendered(&self) -> Vec<String> {
        let mut v = self.0.clone();
        v.sort();
        v.dedup();
        v.iter().map(ToString::to_string).collect()
    }
}

/// A position in a file.
#[derive(Debug, Clone, Copy)]
pub struct Span<'a> {
    /// File name.
    pub file: &'a str,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

/// Finds positions of values in YAML source text, for checks made after deserialisation
/// (serde gives positions only for syntax and type errors).
pub struct Locator<'a> {
    file: &'a str,
    text: &'a str,
}

impl<'a> Locator<'a> {
    /// A locator over one file's text.
    pub fn new(file: &'a str, text: &'a str) -> Self {
        Locator { file, text }
    }

    /// Start of the file.
    pub fn start(&self) -> Span<'a> {
        Span { file: self.file, line: 1, column: 1 }
    }

    /// The line of `id: <id>` (the entry's anchor), or the start of the file.
    pub fn entry(&self, id: &str) -> Span<'a> {
        self.find_after(1, &["id:"], id).unwrap_or_else(|| self.start())
    }

    /// The first occurrence of `value` on a line containing `key` at or after the entry `id`,
    /// falling back to the entry itself.
    pub fn value(&self, id: &str, key: &str, value: &str) -> Span<'a> {
        let entry = self.entry(id);
        self.find_after(entry.line, &[key], value)
            .or_else(|| self.find_after(entry.line, &[], value))
            .unwrap_or(entry)
    }

    fn find_after(&self, from_line: usize, keys: &[&str], value: &str) -> Option<Span<'a>> {
        for (i, line) in self.text.lines().enumerate().skip(from_line.saturating_sub(1)) {
            if !keys.iter().all(|k| line.contains(k)) {
                continue;
            }
            let key_end = keys.iter().filter_map(|k| line.find(k).map(|p| p + k.len())).max().unwrap_or(0);
            if let Some(pos) = find_token(&line[key_end..], value) {
                return Some(Span { file: self.file, line: i + 1, column: key_end + pos + 1 });
            }
        }
        None
    }
}

/// Position of `value` in `line` as a whole token (not inside a longer word).
fn find_token(line: &str, value: &str) -> Option<usize> {
    if value.is_empty() {
        return None;
    }
    let mut start = 0;
    while let Some(p) = line[start..].find(value) {
        let at = start + p;
        let before = line[..at].chars().next_back();
        let after = line[at + value.len()..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '-' || c == '_'));
        if boundary(before) && boundary(after) {
            return Some(at);
        }
        start = at + value.len();
    }
    None
}

/// A diagnostic from a YAML syntax or type error.
pub fn from_yaml_error(file: &str, e: &serde_yaml::Error) -> Diagnostic {
    let (line, column) = e.location().map(|l| (l.line(), l.column())).unwrap_or((1, 1));
    let msg = e.to_string();
    // serde_norway appends " at line X column Y"; the label already says where.
    let msg = match msg.find(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg,
    };
    Diagnostic { file: file.to_owned(), line, column, severity: Severity::Error, code: "invalid-yaml", message: msg }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_values() {
        let text = "- id: a\n  country: XX\n- id: b\n  country: XX\n  parent: zz\n";
        let l = Locator::new("f.yaml", text);
        let s = l.value("b", "country:", "XX");
        assert_eq!((s.line, s.column), (4, 12));
        let s = l.value("b", "parent:", "zz");
        assert_eq!((s.line, s.column), (5, 11));
        assert_eq!(l.entry("a").line, 1);
        assert_eq!(l.entry("missing").line, 1);
    }

    #[test]
    fn renders() {
        let mut d = Diagnostics::default();
        d.error(Span { file: "f", line: 2, column: 3 }, "unknown-country", "\"XX\" is not an ISO 3166-1 code");
        assert_eq!(d.rendered(), vec!["f:2:3: error[unknown-country]: \"XX\" is not an ISO 3166-1 code"]);
        assert!(d.has_errors());
    }
}
