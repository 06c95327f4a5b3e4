//! The command line: clap derive structs (the raw flags) turned once into validated
//! configuration ([`ScanConfig`]); nothing below this module sees a raw flag. Each field's `///`
//! doc is its `--help` text.

use crate::report::{self, Format};
use crate::scan::{self, ScanConfig};
use anyhow::{Context as _, Result};
use clap::{Args, Parser, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Which vendor, in which country, makes each piece of hardware and software you run.
#[derive(Debug, Parser)]
#[command(name = "sovscan", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Inventory a system and attribute every component to a vendor and country.
    Scan(ScanArgs),
    /// Work with the rule database.
    #[command(subcommand)]
    Rules(RulesCommand),
}

/// `sovscan scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Limit the walk to these paths of the scanned system (default: the whole root).
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
    /// Scan DIR as the root filesystem of another system (a mounted image, an unpacked rootfs).
    ///
    /// Package databases are read under DIR, reported paths are that system's own paths, and
    /// symbolic links are resolved inside DIR as a chroot would: nothing outside DIR is read.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// Skip paths matching GLOB (repeatable). A glob without `/` matches any file or directory
    /// name (`*.log`); one with `/` matches system paths (`/home/**`).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Do not cross into other filesystems (default when scanning the host's `/`).
    #[arg(long, overrides_with = "cross_file_systems")]
    pub one_file_system: bool,
    /// Cross into other mounted filesystems (default when scanning with --root).
    #[arg(long, overrides_with = "one_file_system")]
    pub cross_file_systems: bool,
    /// Home jurisdiction origin is relative to: a country (`CN`), a region of
    /// rules/regions.yaml (`EU`), or a comma-separated list (`DE,FR`).
    ///
    /// Without a home, countries are reported and origin classes are left out.
    #[arg(long, value_name = "CC")]
    pub home: Option<String>,
    /// Add rule files from DIR (same layout as the built-in rules/; same ids override).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Fix the start time (to SOURCE_DATE_EPOCH or 1970) and duration so that the same input
    /// gives a byte-identical report.
    #[arg(long)]
    pub reproducible: bool,
    /// Also search the bytes of binaries for the vendor strings of the rule database.
    ///
    /// One automaton over every vendor's `strings` (ASCII and UTF-16LE), run over each ELF, PE
    /// and Mach-O image (first 256 MiB); hits are weak evidence and say where they were found.
    #[arg(long)]
    pub deep: bool,
}

/// `sovscan rules …`.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Check the rule database and print every problem as file:line:column.
    Lint {
        /// Add rule files from DIR.
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
    },
}

impl ScanArgs {
    /// Validate into a [`ScanConfig`].
    pub fn to_config(&self) -> Result<ScanConfig> {
        let host_root = self.root == std::path::Path::new("/");
        let one_fs = if self.cross_file_systems { false } else { self.one_file_system || host_root };
        if let Some(0) = self.jobs {
            anyhow::bail!("--jobs must be at least 1");
        }
        let paths = self
            .paths
            .iter()
            .map(|p| {
                if host_root {
                    // Without --root, PATHs are host paths, relative to the working directory.
                    let abs = std::path::absolute(p).with_context(|| format!("{p}: cannot make absolute"))?;
                    Ok(abs.to_string_lossy().into_owned())
                } else if p.starts_with('/') {
                    Ok(p.clone())
                } else {
                    Ok(format!("/{p}"))
                }
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ScanConfig {
            root: self.root.clone(),
            paths,
            exclude: self.exclude.clone(),
            one_file_system: one_fs,
            home: self.home.clone(),
            jobs: self.jobs.unwrap_or(0),
            reproducible: self.reproducible,
            deep: self.deep,
            hardware: false,
        })
    }
}

/// Run a parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Scan(args) => run_scan(&args),
        Command::Rules(RulesCommand::Lint { rules }) => {
            let (db, diags) = crate::rules::load(&rules)?;
            let lines = diags.rendered();
            let mut err = std::io::stderr().lock();
            for l in &lines {
                writeln!(err, "{l}")?;
            }
            writeln!(
                err,
                "{} vendors, {} products, {} lists, {} regions; {} problem(s)",
                db.vendors.len(),
                db.products.len(),
                db.lists.len(),
                db.regions.len(),
                lines.len()
            )?;
            Ok(if diags.has_errors() { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
    }
}

fn run_scan(args: &ScanArgs) -> Result<ExitCode> {
    let cfg = args.to_config()?;
    let db = crate::rules::load_strict(&args.rules)?;
    let bar = std::io::stderr().is_terminal().then(|| {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {pos}/{len} files [{elapsed}] {wide_bar}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let cb = |done: u64, total: u64| {
        if let Some(b) = &bar {
            b.set_length(total);
            b.set_position(done);
        }
    };
    let report = scan::scan(&cfg, &db, bar.as_ref().map(|_| &cb as scan::Progress<'_>))?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    emit(&report::render(&report, args.format), args.output.as_deref())?;
    Ok(ExitCode::SUCCESS)
}

/// Write output to a file or standard output; a closed pipe is not an error.
pub fn emit(text: &str, output: Option<&std::path::Path>) -> Result<()> {
    match output {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display())),
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.context("writing to standard output"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(args).unwrap()
    }

    #[test]
    fn scan_defaults_and_root() {
        let Command::Scan(a) = parse(&["sovscan", "scan"]).command else { panic!() };
        let c = a.to_config().unwrap();
        assert!(c.one_file_system);
        assert_eq!(c.root, PathBuf::from("/"));
        let Command::Scan(a) = parse(&["sovscan", "scan", "--root", "/mnt/img", "usr/bin", "--exclude", "*.log", "-j", "2", "--home", "EU"]).command else { panic!() };
        let c = a.to_config().unwrap();
        assert!(!c.one_file_system);
        assert_eq!(c.paths, vec!["/usr/bin"]);
        assert_eq!(c.jobs, 2);
        assert_eq!(c.home.as_deref(), Some("EU"));
        let Command::Scan(a) = parse(&["sovscan", "scan", "--cross-file-systems"]).command else { panic!() };
        assert!(!a.to_config().unwrap().one_file_system);
        let Command::Scan(a) = parse(&["sovscan", "scan", "-j", "0"]).command else { panic!() };
        assert!(a.to_config().is_err());
        assert!(Cli::try_parse_from(["sovscan", "scan", "--format", "xml"]).is_err());
    }
}
