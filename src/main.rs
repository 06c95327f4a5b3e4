//! The `sovscan` binary: parse the command line, run, map the result to an exit code
//! (0 done, 1 findings where a command defines them, 2 usage or configuration error).

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

/// Keep glibc's allocator from holding on to freed memory: a scan makes many short-lived
/// large buffers (zip indexes, file heads, decompressed payloads) on several threads, and with
/// the default sliding mmap threshold they end up in arenas that are never given back, so peak
/// memory would grow with the tree. A fixed 1 MiB threshold maps big buffers (returned to the
/// system when freed) and trimming keeps the heaps small.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn tune_allocator() {
    // SAFETY: mallopt only sets allocator parameters; it is called before any other thread
    // exists and before any allocation depends on them.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}

fn main() -> ExitCode {
    tune_allocator();
    let cli = sovscan::cli::Cli::parse();
    sovscan::output::on_interrupt();
    match sovscan::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {e:#}");
            ExitCode::from(2)
        }
    }
}
