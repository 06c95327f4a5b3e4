//! Integration tests: the `sovscan` binary run on fixture roots and on trees the tests build.

mod common;
mod firmware;
mod hardware;
mod scan;
