//! The `sovscan` binary: parse the command line, run, map the result to an exit code
//! (0 done, 1 findings where a command defines them, 2 usage or configuration error).

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
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
