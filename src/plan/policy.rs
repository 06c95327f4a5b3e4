//! `plan --policy FILE`: what has to change for a report to pass a policy. The policy is
//! evaluated as `check` does ([`crate::policy::eval`]); the plan then lists the failing
//! components per category, and for each threshold that fails, how far its share (or count)
//! must come down and how many components that is: replacing a foreign component with a
//! domestic one keeps the denominator, so a share `counted / total` above the limit `s` needs
//! `⌈counted − s × total⌉` of them replaced (attributed, for an unknown share).

use crate::policy::eval::{Outcome, ThresholdResult};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Component ids listed per category at most (the count is always exact).
pub const LISTED: usize = 50;

/// The components of one category that fail the policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailingCategory {
    /// Category id (`uncategorised` for none).
    pub category: String,
    /// Failing components in it.
    pub count: usize,
    /// Rule codes that fail them (`deny-country`), sorted.
    pub rules: Vec<String>,
    /// Their ids (first [`LISTED`]).
    pub components: Vec<String>,
}

/// A threshold and what it takes to hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdChange {
    /// Line of the threshold in the policy file.
    pub line: usize,
    /// Category it is limited to (`all` otherwise).
    pub scope: String,
    /// Origin classes counted.
    pub origin: Vec<String>,
    /// Counted weight.
    pub counted: f64,
    /// Its denominator.
    pub total: f64,
    /// What the denominator counts (`known-origin` or `all`).
    pub denominator: String,
    /// `counted / total`.
    pub share: f64,
    /// The share limit, when there is one.
    pub max_share: Option<f64>,
    /// The count limit, when there is one.
    pub max_count: Option<u64>,
    /// Whether it holds.
    pub holds: bool,
    /// How many (weighted) components must be replaced for it to hold (0 when it does).
    pub replace: f64,
    /// Share points it must come down by (0 when it holds).
    pub reduce_share_by: f64,
}

/// What has to change to pass a policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyPlan {
    /// Policy file.
    pub policy: String,
    /// Policy name.
    pub name: String,
    /// Whether the report passes already.
    pub passed: bool,
    /// Components failing a deny rule (unwaived).
    pub failing: usize,
    /// Failing components per category, most first.
    pub categories: Vec<FailingCategory>,
    /// Every threshold with what it takes to hold.
    pub thresholds: Vec<ThresholdChange>,
}

fn change(t: &ThresholdResult) -> ThresholdChange {
    let mut need: f64 = 0.0;
    if let Some(n) = t.max_foreign {
        need = need.max(t.counted - n as f64);
    }
    let mut points = 0.0;
    if let Some(s) = t.max_foreign_share {
        need = need.max((t.counted - s * t.total - 1e-9).ceil());
        points = (t.share - s).max(0.0);
    }
    ThresholdChange {
        line: t.pos.line,
        scope: t.category.clone().unwrap_or_else(|| "all".to_owned()),
        origin: t.origin.iter().map(|o| o.as_str().to_owned()).collect(),
        counted: t.counted,
        total: t.total,
        denominator: t.denominator.to_owned(),
        share: t.share,
        max_share: t.max_foreign_share,
        max_count: t.max_foreign,
        holds: t.holds,
        replace: if t.holds { 0.0 } else { need.max(0.0) },
        reduce_share_by: if t.holds { 0.0 } else { points },
    }
}

/// The policy part of a plan, from a check's outcome.
pub fn from_outcome(o: &Outcome) -> PolicyPlan {
    let mut by: BTreeMap<String, FailingCategory> = BTreeMap::new();
    let mut failing = 0;
    for v in o.violations.iter().filter(|v| v.fails()) {
        let Some(c) = &v.component else { continue };
        failing += 1;
        let cat = c
            .category
            .clone()
            .unwrap_or_else(|| super::UNCATEGORISED.to_owned());
        let e = by.entry(cat.clone()).or_insert_with(|| FailingCategory {
            category: cat,
            count: 0,
            rules: Vec::new(),
            components: Vec::new(),
        });
        e.count += 1;
        if !e.rules.contains(&v.rule) {
            e.rules.push(v.rule.clone());
            e.rules.sort();
        }
        if e.components.len() < LISTED {
            e.components.push(c.id.clone());
        }
    }
    let mut categories: Vec<FailingCategory> = by.into_values().collect();
    categories.sort_by(|a, b| b.count.cmp(&a.count).then(a.category.cmp(&b.category)));
    PolicyPlan {
        policy: o.policy.clone(),
        name: o.policy_name.clone(),
        passed: o.passed,
        failing,
        categories,
        thresholds: o.thresholds.iter().map(change).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Origin;
    use crate::policy::Pos;

    #[test]
    fn a_share_above_its_limit_needs_whole_components_replaced() {
        let t = ThresholdResult {
            index: 0,
            pos: Pos { line: 3, column: 5 },
            category: None,
            origin: vec![Origin::Foreign],
            weighted: false,
            counted: 453.0,
            total: 780.0,
            denominator: "known-origin",
            unknown: 2134.0,
            in_scope: 2914.0,
            share: 453.0 / 780.0,
            max_foreign: None,
            max_foreign_share: Some(0.30),
            unknown_share: false,
            holds: false,
        };
        let c = change(&t);
        // 453 − 0.30 × 780 = 219: replacing 219 foreign components leaves 234 of 780 = 30 %.
        assert_eq!(c.replace, 219.0);
        assert!((c.reduce_share_by - (453.0 / 780.0 - 0.30)).abs() < 1e-12);
        let holds = ThresholdResult { holds: true, ..t };
        assert_eq!(change(&holds).replace, 0.0);
    }
}
