//! Work budgets: an allowance of parser steps for each file, so that no input, however it is
//! crafted, keeps a collector busy for ever or for far longer than its size warrants.
//!
//! The scan arms a [`Budget`] before it hands a file to a collector, sized by the file
//! ([`for_size`]). Parsers [`charge`] one step per structure they visit (a note, a load command,
//! a resource entry, a directory entry, a hive cell, a header tag, an archive member) and one per
//! KiB of data they decode or search; once `charge` returns `false` they stop and return what
//! they have. The scan then records the file in `errors`, naming the collector, and goes on.
//! A step budget rather than a clock keeps reports deterministic: the same input stops at the
//! same step on every machine. Outside an armed budget (a library caller, a fuzz target) the
//! allowance is unlimited and `charge` always succeeds.

use std::cell::Cell;

/// Steps every file gets, whatever its size.
pub const BASE: u64 = 1 << 20;
/// Further steps per KiB of input: a linear parser never needs more than a handful.
pub const PER_KIB: u64 = 256;

thread_local! {
    static LEFT: Cell<u64> = const { Cell::new(u64::MAX) };
    static SPENT: Cell<bool> = const { Cell::new(false) };
}

/// The budget for a file of `bytes`.
pub fn for_size(bytes: u64) -> u64 {
    BASE.saturating_add((bytes / 1024).saturating_mul(PER_KIB))
}

/// Charge `steps`; `false` once this thread's budget is spent (and from then on, until the
/// budget is disarmed).
pub fn charge(steps: u64) -> bool {
    let left = LEFT.with(Cell::get);
    if left == u64::MAX {
        return true;
    }
    if steps > left {
        LEFT.with(|l| l.set(0));
        SPENT.with(|s| s.set(true));
        return false;
    }
    LEFT.with(|l| l.set(left - steps));
    !SPENT.with(Cell::get)
}

/// Charge for `bytes` of data decoded or searched (one step per KiB, at least one).
pub fn charge_bytes(bytes: usize) -> bool {
    charge((bytes as u64 / 1024).max(1))
}

/// Whether the armed budget has run out.
pub fn spent() -> bool {
    SPENT.with(Cell::get)
}

/// An armed budget; dropping it restores the budget that was in force before, less the steps
/// spent under this one (a budget armed inside another never allows more than the outer one
/// has left).
#[must_use = "the budget is disarmed when this is dropped"]
pub struct Budget {
    steps: u64,
    outer: (u64, bool),
}

impl Budget {
    /// Arm a budget of `steps` on this thread.
    pub fn arm(steps: u64) -> Budget {
        let outer = (LEFT.with(Cell::get), SPENT.with(Cell::get));
        let steps = steps.min(outer.0).min(u64::MAX - 1);
        LEFT.with(|l| l.set(steps));
        SPENT.with(|s| s.set(false));
        Budget { steps, outer }
    }

    /// Whether this budget ran out.
    pub fn spent(&self) -> bool {
        spent()
    }

    /// The steps this budget allowed.
    pub fn steps(&self) -> u64 {
        self.steps
    }
}

impl Drop for Budget {
    fn drop(&mut self) {
        let (left, spent) = self.outer;
        let used = self.steps - LEFT.with(Cell::get).min(self.steps);
        let left = if left == u64::MAX {
            left
        } else {
            left - used.min(left)
        };
        LEFT.with(|l| l.set(left));
        SPENT.with(|s| s.set(spent));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unarmed_is_unlimited() {
        assert!(charge(u64::MAX - 2));
        assert!(charge(u64::MAX - 2));
        assert!(!spent());
    }

    #[test]
    fn armed_budget_runs_out_and_stays_out() {
        let b = Budget::arm(10);
        assert!(charge(4));
        assert!(charge(6));
        assert!(!b.spent());
        assert!(!charge(1));
        assert!(b.spent());
        assert!(!charge(0), "once spent, every charge fails");
        drop(b);
        assert!(!spent());
        assert!(charge(1_000_000_000));
    }

    #[test]
    fn nested_budget_restores_the_outer_one() {
        let outer = Budget::arm(100);
        assert!(charge(50));
        {
            let inner = Budget::arm(5);
            assert!(!charge(6));
            assert!(inner.spent());
        }
        assert!(!outer.spent());
        assert!(
            charge(45),
            "the inner budget's 5 steps count against the outer one"
        );
        assert!(!charge(1));
    }

    #[test]
    fn size_grows_the_budget() {
        assert_eq!(for_size(0), BASE);
        assert_eq!(for_size(1 << 20), BASE + 1024 * PER_KIB);
        assert!(
            for_size(u64::MAX) > for_size(1 << 40),
            "no overflow at the top"
        );
    }
}
