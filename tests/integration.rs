//! Integration tests: the `sovscan` binary run on fixture roots and on trees the tests build.

mod binaries;
mod common;
mod scan;
