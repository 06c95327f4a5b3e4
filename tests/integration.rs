//! Integration tests: the `sovscan` binary run on fixture roots and on trees the tests build.

mod apk;
mod binaries;
mod cargo;
mod common;
mod db;
mod diff;
mod firmware;
mod golang;
mod hardware;
mod hostile;
mod image;
mod inputs;
mod java;
mod merge;
mod more_ecosystems;
mod npm;
mod plan;
mod policy;
mod python;
mod reports;
mod roots;
mod rpm;
mod rules;
mod scan;
mod trust;
