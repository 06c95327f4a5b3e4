//! Integration tests: the `sovscan` binary run on fixture roots and on trees the tests build.

mod common;
mod diff;
mod hostile;
mod inputs;
mod merge;
mod plan;
mod policy;
mod reports;
mod rules;
mod scan;
