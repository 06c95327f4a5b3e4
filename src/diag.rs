//! Diagnostics for rule and policy files: a stable code, a severity and a `file:line:column`
//! label, collected all at once so one run shows every problem.

use std::fmt;

/// Every diagnostic code with a one-paragraph explanation (`sovscan rules explain CODE`).
pub const CODES: &[(&str, &str)] = &[
    ("invalid-yaml", "The file is not valid YAML, or a value has the wrong type, or a key is not part of the schema (unknown keys are refused so that a typo never silently disables a rule)."),
    ("duplicate-id", "Two entries of the same kind share an id within one rule set. Ids are how reports, policies and parents refer to entries; a user rule directory may reuse a built-in id to override it."),
    ("unknown-country", "A country is not an assigned ISO 3166-1 alpha-2 code. Use `null` with `kind: community` for projects with no legal home rather than guessing."),
    ("dangling-parent", "`parent` names a vendor that does not exist, so the ownership chain cannot be followed."),
    ("parent-cycle", "Following `parent` from this vendor comes back to it; the ultimate owner is undefined."),
    ("dangling-vendor", "A product's `vendor` is not a vendor id."),
    ("dangling-alternative", "A product's `alternatives` names a product id that does not exist."),
    ("dangling-member", "An entity list names a vendor id that does not exist."),
    ("dangling-precedence", "`precedence_over` names a vendor id that does not exist."),
    ("duplicate-identifier", "Two vendors claim the same identifier (PCI/USB id, e-mail domain, URL host, name…) and neither has `precedence_over` the other, so attribution would depend on file order."),
    ("duplicate-member", "A vendor appears twice in one entity list (warning)."),
    ("missing-source", "A vendor or list has no `sources`: every country and ownership fact must be checkable."),
    ("bad-identifier", "An identifier is malformed (a PCI/USB id that is not 4 hex digits, a bare code host such as github.com, a name too short to match safely)."),
    ("bad-criticality", "A product's `criticality` is not one of low, medium, high, critical."),
    ("bad-id", "An id is not lower-case kebab-case."),
    ("bad-applies-to", "A category's `applies_to` names something other than hardware, firmware or software."),
    ("unknown-category", "A product's category (or a category's `replaced_by`) is not an id of rules/categories.yaml, the one vocabulary of component and product categories."),
    ("example-mismatch", "A vendor's `examples` entry does not attribute to that vendor with the current rules (run `sovscan rules test`)."),
];

/// The explanation of a code.
pub fn explain(code: &str) -> Option<&'static str> {
    CODES.iter().find(|(c, _)| *c == code).map(|(_, e)| *e)
}

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
        write!(
            f,
            "{}:{}:{}: {}[{}]: {}",
            self.file, self.line, self.column, sev, self.code, self.message
        )
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

    fn push(
        &mut self,
        at: Span<'_>,
        severity: Severity,
        code: &'static str,
        message: impl Into<String>,
    ) {
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
        Span {
            file: self.file,
            line: 1,
            column: 1,
        }
    }

    /// The line of `id: <id>` (the entry's anchor), or the start of the file.
    pub fn entry(&self, id: &str) -> Span<'a> {
        self.find_after(1, &["id:"], id)
            .unwrap_or_else(|| self.start())
    }

    /// The line of the `n`-th (0-based) `id: <id>` in the file (for duplicates).
    pub fn entry_nth(&self, id: &str, n: usize) -> Span<'a> {
        let mut from = 1;
        let mut found = None;
        for _ in 0..=n {
            match self.find_after(from, &["id:"], id) {
                Some(sp) => {
                    from = sp.line + 1;
                    found = Some(sp);
                }
                None => break,
            }
        }
        found.unwrap_or_else(|| self.entry(id))
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
        for (i, line) in self
            .text
            .lines()
            .enumerate()
            .skip(from_line.saturating_sub(1))
        {
            if !keys.iter().all(|k| line.contains(k)) {
                continue;
            }
            let key_end = keys
                .iter()
                .filter_map(|k| line.find(k).map(|p| p + k.len()))
                .max()
                .unwrap_or(0);
            if let Some(pos) = find_token(&line[key_end..], value) {
                return Some(Span {
                    file: self.file,
                    line: i + 1,
                    column: key_end + pos + 1,
                });
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
        let boundary =
            |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '-' || c == '_'));
        if boundary(before) && boundary(after) {
            return Some(at);
        }
        start = at + value.len();
    }
    None
}

/// A diagnostic from a YAML syntax or type error.
pub fn from_yaml_error(file: &str, e: &serde_yaml::Error) -> Diagnostic {
    let (line, column) = e
        .location()
        .map(|l| (l.line(), l.column()))
        .unwrap_or((1, 1));
    let msg = e.to_string();
    // serde_norway appends " at line X column Y"; the label already says where.
    let msg = match msg.find(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg,
    };
    Diagnostic {
        file: file.to_owned(),
        line,
        column,
        severity: Severity::Error,
        code: "invalid-yaml",
        message: msg,
    }
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
    fn codes_are_unique_and_kebab() {
        let mut codes: Vec<&str> = CODES.iter().map(|(c, _)| *c).collect();
        assert!(codes
            .iter()
            .all(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '-')));
        codes.sort();
        let n = codes.len();
        codes.dedup();
        assert_eq!(n, codes.len(), "duplicate diagnostic code");
        assert!(explain("unknown-country").is_some());
    }

    #[test]
    fn renders() {
        let mut d = Diagnostics::default();
        d.error(
            Span {
                file: "f",
                line: 2,
                column: 3,
            },
            "unknown-country",
            "\"XX\" is not an ISO 3166-1 code",
        );
        assert_eq!(
            d.rendered(),
            vec!["f:2:3: error[unknown-country]: \"XX\" is not an ISO 3166-1 code"]
        );
        assert!(d.has_errors());
    }
}
