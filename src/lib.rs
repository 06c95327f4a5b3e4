//! sovscan: which vendor, in which country, makes each piece of hardware and software a system
//! runs, and how much it relies on foreign suppliers.
//!
//! The pipeline (see DESIGN.md): [`walk`] → classify and [`collectors`] (in [`scan`]) →
//! [`attribute`] with the [`rules`] database → [`report`]. Every stage takes and returns plain
//! data; only the binary and the report renderers write output.

#![warn(missing_docs)]
#![deny(unsafe_code)]

pub mod attribute;
pub mod bytes;
pub mod category;
pub mod cli;
pub mod collectors;
pub mod db;
pub mod deep;
pub mod diag;
pub mod diff;
pub mod error;
pub mod explain;
#[doc(hidden)]
pub mod fuzzing;
pub mod image;
pub mod input;
pub mod merge;
pub mod model;
pub mod output;
pub mod ownership;
pub mod plan;
pub mod policy;
pub mod report;
pub mod rootfs;
pub mod roots;
pub mod rules;
pub mod scan;
pub mod text;
pub mod walk;
pub mod work;

pub use error::{Error, Result};
