//! Fuzz target `zip`: see `sovscan::fuzzing::TARGETS`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sovscan::fuzzing::run("zip", data);
});
