//! Integration tests: the `sovscan` binary run on fixture roots and on trees the tests build.

mod common;
mod scan;
mod rpm;
mod apk;
mod python;
mod npm;
mod cargo;
mod golang;
mod java;
mod more_ecosystems;
