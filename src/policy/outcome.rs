//! The result of evaluating a policy ([`Outcome`]): violations with everything needed to
//! explain them (policy position, component, vendor and ownership, evidence, waivers) and the
//! measured thresholds. Plain serialisable data: renderers in `report/` read only this.

use super::{Level, Pos};
use crate::diag::Diagnostic;
use crate::model::{Evidence, Origin};
use serde::Serialize;

/// The vendor of a violating component, with its ownership.
#[derive(Debug, Clone, Serialize)]
pub struct VendorFacts {
    /// Vendor id.
    pub id: String,
    /// Name.
    pub name: String,
    /// The vendor's own country.
    pub country: Option<String>,
    /// Ultimate owner's id.
    pub ultimate_owner: String,
    /// Ultimate owner's name.
    pub owner_name: String,
    /// Ultimate owner's country (decides origin).
    pub owner_country: Option<String>,
    /// Vendor ids from the vendor up to its ultimate owner.
    pub chain: Vec<String>,
}

/// A component as the policy saw it.
#[derive(Debug, Clone, Serialize)]
pub struct ComponentFacts {
    /// Component id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Package URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// First location in the scanned system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Vendor, when attributed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<VendorFacts>,
    /// Origin relative to the policy's home.
    pub origin: Origin,
    /// Product id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// Product category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The evidence behind the attribution, each with the rule that matched it.
    pub evidence: Vec<Evidence>,
}

/// A waiver as cited by a violation.
#[derive(Debug, Clone, Serialize)]
pub struct WaiverRef {
    /// The glob.
    pub pattern: String,
    /// Why.
    pub reason: String,
    /// Last day it applies.
    pub expires: String,
    /// Who approved it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    /// Ticket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// Where it is written.
    pub pos: Pos,
}

/// One violation of the policy.
#[derive(Debug, Clone, Serialize)]
pub struct Violation {
    /// Deny or warn.
    pub level: Level,
    /// Stable rule code: `deny-list`, `warn-origin`, `deny-threshold`, `expired-exception`…
    pub rule: String,
    /// The policy line that was violated.
    pub pos: Pos,
    /// One-line message.
    pub message: String,
    /// Why the rule exists, when the policy says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_reason: Option<String>,
    /// The component (absent for thresholds and expired waivers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<ComponentFacts>,
    /// The waiver that covers it (it then does not fail the check).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waived_by: Option<WaiverRef>,
    /// A waiver that would have covered it but has expired.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expired_waiver: Option<WaiverRef>,
    /// Component ids a threshold counted (first ones).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub counted: Vec<String>,
    /// A waiver to paste under `exceptions:` to accept this violation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggested_waiver: Option<String>,
}

impl Violation {
    /// Whether this violation fails the check.
    pub fn fails(&self) -> bool {
        self.level == Level::Deny && self.waived_by.is_none()
    }
}

/// A threshold's measured value.
#[derive(Debug, Clone, Serialize)]
pub struct ThresholdResult {
    /// Index in `thresholds`.
    pub index: usize,
    /// Where it is written.
    pub pos: Pos,
    /// Category, if limited to one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Origin classes counted.
    pub origin: Vec<Origin>,
    /// Weighted by criticality.
    pub weighted: bool,
    /// Counted weight.
    pub counted: f64,
    /// The denominator: the weight in scope of components whose origin is known, or of all
    /// components in scope when `origin` lists `unknown`.
    pub total: f64,
    /// What [`ThresholdResult::total`] counts: `known-origin` or `all`.
    pub denominator: &'static str,
    /// Weight in scope of components of unknown origin, reported beside every share.
    pub unknown: f64,
    /// Weight of every component in scope (the unknown share's denominator).
    pub in_scope: f64,
    /// `counted / total` (0 when nothing is in scope).
    pub share: f64,
    /// Count limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_foreign: Option<u64>,
    /// Share limit (of `max_foreign_share`, or of `max_unknown_share`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_foreign_share: Option<f64>,
    /// Whether it is a `max_unknown_share` threshold.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unknown_share: bool,
    /// Whether it holds.
    pub holds: bool,
}

/// The result of a check.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// Policy file.
    pub policy: String,
    /// Policy name.
    pub policy_name: String,
    /// Home as written in the policy.
    pub home: String,
    /// Evaluation date.
    pub today: String,
    /// True when nothing fails the check.
    pub passed: bool,
    /// Components checked.
    pub components: usize,
    /// Violations that fail the check.
    pub denied: usize,
    /// Warnings.
    pub warned: usize,
    /// Violations covered by a waiver.
    pub waived: usize,
    /// Violations, sorted (deny first, then by component id).
    pub violations: Vec<Violation>,
    /// Every threshold with its measured value.
    pub thresholds: Vec<ThresholdResult>,
    /// Problems of the policy found while evaluating (`unused-exception`), rendered.
    pub warnings: Vec<String>,
    /// The same, structured.
    #[serde(skip)]
    pub diagnostics: Vec<Diagnostic>,
}
