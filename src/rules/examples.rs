//! Vendor `examples`: evidence that must attribute to the vendor that lists it. Run by
//! `sovscan rules test` and reported by `sovscan rules lint` (code `example-mismatch`).

use super::RuleDb;
use crate::attribute::Attributor;
use crate::diag::{Diagnostics, Locator};
use crate::model::{Component, ComponentKind};

/// The outcome of one example.
#[derive(Debug, Clone, PartialEq)]
pub struct ExampleResult {
    /// Vendor whose example it is.
    pub vendor: String,
    /// Evidence kind (kebab-case).
    pub kind: String,
    /// Evidence value.
    pub value: String,
    /// Vendor it attributed to, if any.
    pub got: Option<String>,
}

impl ExampleResult {
    /// True when the example attributed to its own vendor.
    pub fn passed(&self) -> bool {
        self.got.as_deref() == Some(self.vendor.as_str())
    }
}

/// Run every example of every vendor, each alone, as a component with that one evidence.
pub fn run(db: &RuleDb) -> Vec<ExampleResult> {
    let at = Attributor::new(db, None);
    let mut out = Vec::new();
    for v in db.vendors.values() {
        for ex in &v.raw.examples {
            let mut c = Component::new(ComponentKind::Package, None, "example", None);
            c.add_evidence(ex.kind, &ex.value, "example");
            at.attribute(&mut c);
            out.push(ExampleResult {
                vendor: v.raw.id.clone(),
                kind: ex.kind.as_str().to_owned(),
                value: ex.value.clone(),
                got: c.vendor.map(|p| p.id),
            });
        }
    }
    out
}

/// Add a diagnostic for each failing example.
pub fn check(db: &RuleDb, d: &mut Diagnostics) {
    for r in run(db).into_iter().filter(|r| !r.passed()) {
        let Some(v) = db.vendors.get(&r.vendor) else {
            continue;
        };
        let text = db
            .files
            .iter()
            .find(|f| f.name == v.file)
            .map(|f| f.text.as_str())
            .unwrap_or("");
        let span = Locator::new(&v.file, text).value(&r.vendor, "value:", &r.value);
        let got = match &r.got {
            Some(g) => format!("attributes to `{g}`"),
            None => "attributes to no vendor".to_owned(),
        };
        d.error(
            span,
            "example-mismatch",
            format!("example {} `{}` of `{}` {got}", r.kind, r.value, r.vendor),
        );
    }
}
