//! The command line: clap derive structs (the raw flags) turned once into validated
//! configuration ([`ScanConfig`]); nothing below this module sees a raw flag. Each field's `///`
//! doc is its `--help` text.

use crate::policy::date::Date;
use crate::report::diff::DiffFormat;
use crate::report::plan::PlanFormat;
use crate::report::{self, CheckFormat, CycloneDxVersion, Format, RenderOptions};
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
    /// Check a system or a report against an origin policy (exit 1 on violations).
    Check(CheckArgs),
    /// Show the evidence and rules behind one component's attribution in a report.
    Explain(ExplainArgs),
    /// Work with the rule database.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Compare two JSON reports: components added, removed and changed, and shifts by origin,
    /// country and category.
    Diff(DiffArgs),
    /// Substitution plan: the foreign products a report relies on, most critical and most used
    /// first, with alternatives from the rule database.
    Plan(PlanArgs),
    /// Merge host reports into one fleet report (per-component host counts, per-host
    /// summaries), reading one report at a time.
    Merge(MergeArgs),
    /// The fleet store: keep many hosts' reports in SQLite or PostgreSQL and query them by
    /// quarter.
    Db(DbArgs),
}

/// `sovscan db`.
#[derive(Debug, Args)]
pub struct DbArgs {
    /// The store: a SQLite file path or `sqlite://PATH` (created when missing), or
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE` for a shared PostgreSQL server.
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "SOVSCAN_DB",
        default_value = "sovscan.db",
        hide_env_values = true
    )]
    pub db: String,
    /// The command.
    #[command(subcommand)]
    pub command: DbCommand,
}

/// `sovscan db …`.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Create the store's tables and views, or bring them up to date (also done on first use).
    Migrate,
    /// Store reports: files, directories of `*.json` reports, or `-` for standard input.
    ///
    /// A report already stored (same host, scan start and file digest) is skipped, so ingesting
    /// twice adds nothing. Reports that cannot be read are named on standard error and the
    /// others are stored; the exit code is then 1.
    Ingest {
        /// Reports (`sovscan scan -f json`), directories of them, or `-`.
        #[arg(value_name = "REPORT", required = true)]
        reports: Vec<PathBuf>,
        /// Tag every ingested scan with KEY=VALUE (repeatable): `--tag unit=finance`.
        #[arg(long = "tag", value_name = "KEY=VALUE")]
        tags: Vec<String>,
        /// Tag scans per host from a CSV file: a header `host,unit,site…`, then one row per host.
        #[arg(long = "tags", value_name = "FILE.csv")]
        tags_file: Option<PathBuf>,
    },
    /// Per quarter and group: how many hosts and components, each host counted at its latest
    /// scan of the quarter.
    Trend {
        /// The dimension to group by.
        #[arg(long, value_enum, default_value_t = crate::db::query::By::Origin)]
        by: crate::db::query::By,
        /// Recompute origin classes relative to this home (country, region or list) instead of
        /// the reports' own.
        #[arg(long, value_name = "CC")]
        home: Option<String>,
        /// First quarter (`2026-Q3`).
        #[arg(long, value_name = "QUARTER")]
        from: Option<String>,
        /// Last quarter.
        #[arg(long, value_name = "QUARTER")]
        to: Option<String>,
        /// Only hosts whose counted scan has the tag KEY=VALUE (repeatable: all must hold).
        #[arg(long = "tag", value_name = "KEY=VALUE")]
        tags: Vec<String>,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = report::db::DbFormat::Table)]
        format: report::db::DbFormat,
    },
    /// Fleet-level changes between two quarters: vendors, owners and products that appeared or
    /// disappeared (with host counts), and the hosts whose origin shares moved most.
    Diff {
        /// The earlier quarter (`2026-Q3`).
        #[arg(long, value_name = "QUARTER")]
        from: String,
        /// The later quarter.
        #[arg(long, value_name = "QUARTER")]
        to: String,
        /// Only hosts whose counted scan has the tag KEY=VALUE (repeatable).
        #[arg(long = "tag", value_name = "KEY=VALUE")]
        tags: Vec<String>,
        /// How many hosts to list.
        #[arg(long, value_name = "N", default_value_t = 20)]
        top: usize,
        /// Exit with code 1 when this holds: a component foreign on some host that was foreign
        /// on none, the same for unknown origin, or any vendor, owner or product appeared or
        /// disappeared.
        #[arg(long, value_enum, value_name = "WHAT")]
        fail_on: Option<crate::diff::FailOn>,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = report::db::DbFormat::Table)]
        format: report::db::DbFormat,
    },
    /// The hosts whose latest scan has a component of a vendor, owner, country, entity list or
    /// product: since when (first scan it was seen in) and their latest scan.
    #[command(group(clap::ArgGroup::new("what").required(true).multiple(false)))]
    Hosts {
        /// Made by this vendor id.
        #[arg(long, value_name = "ID", group = "what")]
        vendor: Option<String>,
        /// Ultimately owned by this vendor id.
        #[arg(long, value_name = "ID", group = "what")]
        owner: Option<String>,
        /// Of a maker whose (owner's) country is CC.
        #[arg(long, value_name = "CC", group = "what")]
        country: Option<String>,
        /// Made or owned by a member of this entity list (`us-fcc-covered`).
        #[arg(long, value_name = "LIST", group = "what")]
        list: Option<String>,
        /// This product id.
        #[arg(long, value_name = "ID", group = "what")]
        product: Option<String>,
        /// Look at the store as it was at the end of this day (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        /// Only hosts whose latest scan has the tag KEY=VALUE (repeatable).
        #[arg(long = "tag", value_name = "KEY=VALUE")]
        tags: Vec<String>,
        /// Add rule files from DIR (for `--list`).
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = report::db::DbFormat::Table)]
        format: report::db::DbFormat,
    },
    /// Evaluate a policy over every host's latest scan, as `sovscan check --report` would on
    /// that host's report; lists the failing hosts first. Exit 1 if any host fails.
    Check {
        /// The policy: a YAML file or `builtin:NAME`.
        #[arg(long, value_name = "FILE")]
        policy: String,
        /// Look at the store as it was at the end of this day (YYYY-MM-DD): each host's latest
        /// scan up to then.
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        /// Evaluate waivers' expiry as of this day (default: today).
        #[arg(long, value_name = "DATE")]
        today: Option<String>,
        /// Only hosts whose latest scan has the tag KEY=VALUE (repeatable).
        #[arg(long = "tag", value_name = "KEY=VALUE")]
        tags: Vec<String>,
        /// Add rule files from DIR.
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = report::db::DbFormat::Table)]
        format: report::db::DbFormat,
    },
    /// Run one read-only SQL statement (a `SELECT` over the tables and the `v_*` views), in a
    /// read-only transaction that is rolled back.
    Query {
        /// The statement.
        #[arg(value_name = "SQL")]
        sql: String,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = report::db::DbFormat::Table)]
        format: report::db::DbFormat,
    },
}

/// `sovscan merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// JSON reports of single hosts (`-` is not accepted: name files).
    #[arg(value_name = "REPORT.json", required = true)]
    pub reports: Vec<PathBuf>,
    /// Output format of the fleet report.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Json)]
    pub format: Format,
    /// CycloneDX version written by `--format cyclonedx`.
    #[arg(long, value_enum, value_name = "VERSION", default_value_t = CycloneDxVersion::V1_6)]
    pub cyclonedx_version: CycloneDxVersion,
    /// Write to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `sovscan plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// A JSON report (of one host, or merged with `sovscan merge`).
    #[arg(value_name = "REPORT.json")]
    pub report: PathBuf,
    /// Home the plan is relative to (default: the report's `--home`).
    #[arg(long, value_name = "CC")]
    pub home: Option<String>,
    /// Plan for international components too (alternatives always rank domestic makers
    /// first, then the home's unions and alliances, then international projects).
    #[arg(long)]
    pub include_international: bool,
    /// Add what has to change for the report to pass this policy (a file or
    /// `builtin:<name>`): the failing components per category, and the share reduction each
    /// threshold needs.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<String>,
    /// Evaluate the policy's waivers as of this date (YYYY-MM-DD; default: today, UTC).
    #[arg(long, value_name = "DATE", requires = "policy")]
    pub today: Option<String>,
    /// Add rule files from DIR (alternatives and ownership come from the rule database).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = PlanFormat::Table)]
    pub format: PlanFormat,
    /// Write to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `plan --policy`: evaluate the policy on the report as `check --report` does.
fn plan_policy(
    spec: &str,
    today: Option<&str>,
    r: &crate::model::Report,
    db: &crate::rules::RuleDb,
) -> anyhow::Result<crate::plan::policy::PolicyPlan> {
    let (policy, diags) = crate::policy::load(spec, db)?;
    let mut err = std::io::stderr().lock();
    for l in diags.rendered() {
        writeln!(err, "{}", report::violations::clean(&l))?;
    }
    let Some(policy) = policy else {
        anyhow::bail!("{spec}: the policy has errors (see above); no plan was made");
    };
    let today = match today {
        Some(t) => {
            Date::parse(t).with_context(|| format!("--today {t}: not a date (YYYY-MM-DD)"))?
        }
        None => Date::today(),
    };
    let outcome = crate::policy::eval::evaluate(&policy, r, db, today);
    Ok(crate::plan::policy::from_outcome(&outcome))
}

/// `sovscan diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The older JSON report.
    #[arg(value_name = "OLD.json")]
    pub old: PathBuf,
    /// The newer JSON report.
    #[arg(value_name = "NEW.json")]
    pub new: PathBuf,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = DiffFormat::Table)]
    pub format: DiffFormat,
    /// Exit with code 1 when this holds: a newly foreign component, a newly unknown one, or any
    /// change at all.
    #[arg(long, value_enum, value_name = "WHAT")]
    pub fail_on: Option<crate::diff::FailOn>,
    /// Write to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `sovscan scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// What to scan and how.
    #[command(flatten)]
    pub input: ScanInput,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// CycloneDX version written by `--format cyclonedx`.
    #[arg(long, value_enum, value_name = "VERSION", default_value_t = CycloneDxVersion::V1_6)]
    pub cyclonedx_version: CycloneDxVersion,
}

/// `sovscan check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Policy file (YAML), or `builtin:NAME` for a ready policy of rules/policies/
    /// (cn-self-sufficiency, eu-sovereignty, no-unknown-origin, us-covered-list).
    #[arg(long, value_name = "FILE")]
    pub policy: String,
    /// Check this JSON report (`sovscan scan -f json`) instead of scanning.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Evaluate waiver expiry as of this date (YYYY-MM-DD; default: today, UTC).
    #[arg(long, value_name = "DATE")]
    pub today: Option<String>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = CheckFormat::Table)]
    pub format: CheckFormat,
    /// Write the result to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// What to scan and how (when no --report is given). The home is the policy's.
    #[command(flatten)]
    pub scan: ScanInput,
}

/// `sovscan explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A JSON report (`sovscan scan -f json`), or alone a diagnostic or rule code
    /// (`unknown-list`, `deny-country`) to explain.
    #[arg(value_name = "REPORT")]
    pub report: PathBuf,
    /// The component id (as in the report: `deb:openssl@3.0.15-1~deb12u1`).
    #[arg(value_name = "COMPONENT-ID")]
    pub component: Option<String>,
    /// Add rule files from DIR (to name the vendors and owners rules point at).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ExplainFormat::Table)]
    pub format: ExplainFormat,
}

/// Output formats of `explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExplainFormat {
    /// Text and a table of the evidence.
    Table,
    /// JSON.
    Json,
}

/// Scan options shared by `scan` and `check`.
#[derive(Debug, Args)]
pub struct ScanInput {
    /// Limit the walk to these paths of the scanned system (default: the whole root).
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
    /// Scan DIR as the root filesystem of another system (a mounted image, an unpacked rootfs).
    ///
    /// Package databases are read under DIR, reported paths are that system's own paths, and
    /// symbolic links are resolved inside DIR as a chroot would: nothing outside DIR is read.
    ///
    /// Default: `/`, unless only `--input` files are given.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Scan a container image as the root: an OCI image layout directory or a `docker save` /
    /// `podman save` archive.
    ///
    /// Nothing is unpacked to disk: the layers are applied in memory in order (whiteouts, hard
    /// links and symlinks as a runtime would), and the report's paths are the image's own.
    /// The image's digest, tags, layers and OS/architecture are in `scan.image`. PATHs limit
    /// the walk to paths of the image.
    #[arg(long, value_name = "PATH", conflicts_with = "root")]
    pub image: Option<PathBuf>,
    /// Read components from FILE too (repeatable): a CycloneDX or SPDX JSON SBOM from another
    /// tool, or a CSV asset inventory (columns such as asset, hostname, kind, vendor,
    /// manufacturer, product, model, version, serial, count, cost; names matched loosely).
    ///
    /// With `--input` and neither PATH nor `--root`, the local filesystem is not scanned.
    #[arg(long = "input", value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
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
    /// Record NAME as the scanned host (`scan.host`, the key of the fleet store) instead of
    /// the root's own hostname: a node's name when its root is mounted into a pod, or an
    /// image's name.
    #[arg(long, value_name = "NAME")]
    pub hostname: Option<String>,
    /// Add rule files from DIR (same layout as the built-in rules/; same ids override).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Fix the start time (to SOURCE_DATE_EPOCH or 1970) and duration so that the same input
    /// gives a byte-identical report.
    #[arg(long)]
    pub reproducible: bool,
    /// Inventory the hardware (PCI, USB, DMI, CPUs, disks, device tree, network drivers) from
    /// `/sys` and `/proc` under the root.
    ///
    /// On by default when scanning the whole host (`/` without PATHs); with --root it reads a
    /// captured tree such as one made by `fixtures/hardware/capture.sh`.
    #[arg(long, overrides_with = "no_hardware")]
    pub hardware: bool,
    /// Do not inventory the hardware.
    #[arg(long, overrides_with = "hardware")]
    pub no_hardware: bool,
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
    /// Check the rule database and print every problem as file:line:column: error[code].
    ///
    /// Exits 1 when there are errors (warnings alone exit 0).
    Lint {
        /// Add rule files from DIR.
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
        /// Also check these policy files (or `builtin:NAME`) against the rules.
        #[arg(long = "policy", value_name = "FILE")]
        policies: Vec<String>,
    },
    /// Run every vendor's `examples` and report those that do not attribute to their vendor.
    Test {
        /// Add rule files from DIR.
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
    },
    /// List vendors, optionally of one country (own or ultimate owner's) or one entity list.
    List {
        /// Only vendors of this country (ISO 3166-1 alpha-2).
        #[arg(long, value_name = "CC")]
        country: Option<String>,
        /// Only members of this entity list (`us-fcc-covered`).
        #[arg(long, value_name = "NAME")]
        list: Option<String>,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Add rule files from DIR.
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
    },
    /// Explain a diagnostic code (`unknown-country`, `duplicate-identifier`…).
    Explain {
        /// The code.
        code: String,
    },
    /// Show one vendor, product, entity list or region.
    Show {
        /// Its id.
        id: String,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Add rule files from DIR.
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
    },
}

impl ScanArgs {
    /// Validate into a [`ScanConfig`].
    pub fn to_config(&self) -> Result<ScanConfig> {
        self.input.to_config()
    }
}

impl ScanInput {
    /// Validate into a [`ScanConfig`].
    pub fn to_config(&self) -> Result<ScanConfig> {
        let filesystem = self.inputs.is_empty()
            || self.root.is_some()
            || self.image.is_some()
            || !self.paths.is_empty();
        let root = self.root.clone().unwrap_or_else(|| PathBuf::from("/"));
        let host_root = root == std::path::Path::new("/") && self.image.is_none();
        let one_fs = if self.cross_file_systems {
            false
        } else {
            self.one_file_system || host_root
        };
        if let Some(0) = self.jobs {
            anyhow::bail!("--jobs must be at least 1");
        }
        let paths = self
            .paths
            .iter()
            .map(|p| {
                if host_root {
                    // Without --root, PATHs are host paths, relative to the working directory.
                    let abs = std::path::absolute(p)
                        .with_context(|| format!("{p}: cannot make absolute"))?;
                    Ok(abs.to_string_lossy().into_owned())
                } else if p.starts_with('/') {
                    Ok(p.clone())
                } else {
                    Ok(format!("/{p}"))
                }
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ScanConfig {
            root,
            paths,
            exclude: self.exclude.clone(),
            one_file_system: one_fs,
            home: self.home.clone(),
            jobs: self.jobs.unwrap_or(0),
            reproducible: self.reproducible,
            deep: self.deep,
            // Hardware of the scanning machine only when the whole host is scanned.
            hardware: if self.no_hardware {
                false
            } else {
                self.hardware || (host_root && self.paths.is_empty() && filesystem)
            },
            inputs: self.inputs.clone(),
            filesystem,
            image: self.image.clone(),
            hostname: self.hostname.as_deref().map(crate::text::sanitize),
        })
    }
}

/// Run a parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Scan(args) => run_scan(&args),
        Command::Check(args) => run_check(&args),
        Command::Explain(args) => {
            let Some(component) = &args.component else {
                let code = args.report.to_string_lossy();
                let text = crate::policy::explain_code(&code).with_context(|| {
                    format!(
                        "`{code}` is not a code; to explain a component give REPORT COMPONENT-ID"
                    )
                })?;
                emit(&format!("{code}: {text}\n"), None)?;
                return Ok(ExitCode::SUCCESS);
            };
            let db = crate::rules::load_strict(&args.rules)?;
            let report = report::json::read(&args.report)?;
            let x = crate::explain::explain(&report, component, &db)?;
            let text = match args.format {
                ExplainFormat::Table => crate::explain::render_text(&x),
                ExplainFormat::Json => crate::explain::render_json(&x),
            };
            emit(&text, None)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Merge(args) => {
            let mut m = crate::merge::Merger::new();
            for p in &args.reports {
                m.add_file(p)?;
            }
            let r = m.finish();
            let opts = RenderOptions {
                cyclonedx_version: args.cyclonedx_version,
            };
            emit(
                &report::render_with(&r, args.format, &opts),
                args.output.as_deref(),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Plan(args) => {
            let r = report::json::read(&args.report)?;
            let db = crate::rules::load_strict(&args.rules)?;
            let mut p =
                crate::plan::plan(&r, &db, args.home.as_deref(), args.include_international)?;
            if let Some(spec) = &args.policy {
                p.policy = Some(plan_policy(spec, args.today.as_deref(), &r, &db)?);
            }
            emit(
                &report::plan::render(&p, args.format),
                args.output.as_deref(),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Diff(args) => {
            let old = report::json::read(&args.old)?;
            let new = report::json::read(&args.new)?;
            let d = crate::diff::diff(&old, &new);
            emit(
                &report::diff::render(&d, args.format),
                args.output.as_deref(),
            )?;
            Ok(match args.fail_on {
                Some(on) if d.fails(on) => ExitCode::from(1),
                _ => ExitCode::SUCCESS,
            })
        }
        Command::Rules(cmd) => run_rules(cmd),
        Command::Db(args) => run_db(args),
    }
}

fn tag_pairs(tags: &[String]) -> Result<Vec<(String, String)>> {
    tags.iter()
        .map(|t| crate::db::ingest::Tags::parse_pair(t))
        .collect()
}

fn run_db(args: DbArgs) -> Result<ExitCode> {
    use crate::db::{self, query};
    let loc = db::Location::parse(&args.db)?;
    let mut store = db::open(&loc)?;
    let store = store.as_mut();
    match args.command {
        DbCommand::Migrate => {
            let v = db::schema::current(store)?;
            emit(&format!("{}: schema version {v}\n", loc.display()), None)?;
            Ok(ExitCode::SUCCESS)
        }
        DbCommand::Ingest {
            reports,
            tags,
            tags_file,
        } => {
            let mut t = db::ingest::Tags {
                all: tag_pairs(&tags)?,
                ..Default::default()
            };
            if let Some(f) = &tags_file {
                t.read_csv(f)?;
            }
            let rules = crate::rules::load_strict(&[])?;
            let started = std::time::Instant::now();
            let out = db::ingest::ingest(store, &reports, &t, &rules)?;
            {
                let mut err = std::io::stderr().lock();
                for r in &out.rejected {
                    writeln!(
                        err,
                        "error: {}: {}",
                        crate::text::sanitize(&r.source),
                        crate::text::sanitize(&r.reason)
                    )?;
                }
            }
            emit(
                &format!(
                    "{} report(s) read: {} new scan(s) with {} observation(s), {} already stored, {} rejected ({:.2} s)\n",
                    out.reports,
                    out.new_scans,
                    out.new_observations,
                    out.already,
                    out.rejected.len(),
                    started.elapsed().as_secs_f64()
                ),
                None,
            )?;
            Ok(if out.rejected.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        DbCommand::Trend {
            by,
            home,
            from,
            to,
            tags,
            format,
        } => {
            let home = match &home {
                Some(h) => Some(crate::rules::load_strict(&[])?.home_countries(h)?),
                None => None,
            };
            let scope = query::Scope {
                from: from.as_deref().map(db::parse_quarter).transpose()?,
                to: to.as_deref().map(db::parse_quarter).transpose()?,
                tags: tag_pairs(&tags)?,
            };
            let rows = query::trend(store, by, home.as_deref(), &scope)?;
            let name = clap::ValueEnum::to_possible_value(&by)
                .map(|v| v.get_name().to_owned())
                .unwrap_or_default();
            emit(&report::db::trend(&rows, &name, format), None)?;
            Ok(ExitCode::SUCCESS)
        }
        DbCommand::Diff {
            from,
            to,
            tags,
            top,
            fail_on,
            format,
        } => {
            let (from, to) = (db::parse_quarter(&from)?, db::parse_quarter(&to)?);
            let d = query::diff(store, &from, &to, &tag_pairs(&tags)?, top)?;
            emit(&report::db::diff(&d, format), None)?;
            Ok(match fail_on {
                Some(on) if d.fails(on) => ExitCode::from(1),
                _ => ExitCode::SUCCESS,
            })
        }
        DbCommand::Hosts {
            vendor,
            owner,
            country,
            list,
            product,
            as_of,
            tags,
            rules,
            format,
        } => {
            let filter = if let Some(v) = vendor {
                query::Filter::Vendor(v)
            } else if let Some(v) = owner {
                query::Filter::Owner(v)
            } else if let Some(v) = country {
                query::Filter::Country(v)
            } else if let Some(v) = product {
                query::Filter::Product(v)
            } else if let Some(name) = list {
                let rdb = crate::rules::load_strict(&rules)?;
                let l = rdb.lists.get(&name).with_context(|| {
                    format!(
                        "--list {name}: no such entity list (known: {})",
                        rdb.lists.keys().cloned().collect::<Vec<_>>().join(", ")
                    )
                })?;
                query::Filter::List(l.raw.members.iter().map(|m| m.vendor.clone()).collect())
            } else {
                anyhow::bail!("give one of --vendor, --owner, --country, --list, --product");
            };
            let bound = query::as_of_bound(as_of.as_deref())?;
            let rows = query::hosts(store, &filter, &bound, &tag_pairs(&tags)?)?;
            emit(&report::db::hosts(&rows, format), None)?;
            Ok(ExitCode::SUCCESS)
        }
        DbCommand::Check {
            policy,
            as_of,
            today,
            tags,
            rules,
            format,
        } => {
            let rdb = crate::rules::load_strict(&rules)?;
            let policy = load_policy(&policy, &rdb)?;
            let today = today_arg(today.as_deref())?;
            let bound = query::as_of_bound(as_of.as_deref())?;
            let result = db::check::check(store, &policy, &rdb, &bound, &tag_pairs(&tags)?, today)?;
            emit(&report::db::check(&result, format), None)?;
            Ok(if result.failed > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        DbCommand::Query { sql, format } => {
            let result = store.read_only(&sql)?;
            emit(&report::db::query(&result, format), None)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn run_rules(cmd: RulesCommand) -> Result<ExitCode> {
    use crate::rules::{examples, show};
    match cmd {
        RulesCommand::Lint { rules, policies } => {
            let (db, mut diags) = crate::rules::load(&rules)?;
            if !diags.has_errors() {
                examples::check(&db, &mut diags);
            }
            for spec in &policies {
                diags.0.extend(crate::policy::load(spec, &db)?.1 .0);
            }
            let lines = diags.rendered();
            let mut err = std::io::stderr().lock();
            for l in &lines {
                writeln!(err, "{l}")?;
            }
            writeln!(
                err,
                "{} vendors, {} products, {} categories, {} lists, {} regions; {} problem(s)",
                db.vendors.len(),
                db.products.len(),
                db.categories.len(),
                db.lists.len(),
                db.regions.len(),
                lines.len()
            )?;
            Ok(if diags.has_errors() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        RulesCommand::Test { rules } => {
            let db = crate::rules::load_strict(&rules)?;
            let results = examples::run(&db);
            let failed: Vec<_> = results.iter().filter(|r| !r.passed()).collect();
            let mut text = String::new();
            for r in &failed {
                let got = r.got.as_deref().unwrap_or("no vendor");
                text.push_str(&format!(
                    "FAIL {}: {} `{}` attributes to {got}\n",
                    r.vendor, r.kind, r.value
                ));
            }
            text.push_str(&format!(
                "{} passed, {} failed\n",
                results.len() - failed.len(),
                failed.len()
            ));
            emit(&text, None)?;
            Ok(if failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        RulesCommand::List {
            country,
            list,
            format,
            rules,
        } => {
            let db = crate::rules::load_strict(&rules)?;
            let vendors = show::filter(&db, country.as_deref(), list.as_deref())?;
            let text = match format {
                Format::Json => show::list_json(&db, &vendors),
                _ => show::list_table(&db, &vendors),
            };
            emit(&text, None)?;
            Ok(ExitCode::SUCCESS)
        }
        RulesCommand::Explain { code } => match crate::diag::explain(&code) {
            Some(text) => {
                emit(&format!("{code}: {text}\n"), None)?;
                Ok(ExitCode::SUCCESS)
            }
            None => anyhow::bail!("unknown diagnostic code `{code}`"),
        },
        RulesCommand::Show { id, format, rules } => {
            let db = crate::rules::load_strict(&rules)?;
            emit(&show::show(&db, &id, format == Format::Json)?, None)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn run_scan(args: &ScanArgs) -> Result<ExitCode> {
    let cfg = args.to_config()?;
    let db = crate::rules::load_strict(&args.input.rules)?;
    let report = scan_with_progress(&cfg, &db)?;
    if args.format == report::Format::Xlsx {
        let plan = match report.scan.home {
            Some(_) => Some(crate::plan::plan(&report, &db, None, false)?),
            None => None,
        };
        let bytes = report::xlsx::render(&report, plan.as_ref())
            .map_err(|e| anyhow::anyhow!("writing the XLSX workbook: {e}"))?;
        emit_bytes(&bytes, args.output.as_deref())?;
        return Ok(ExitCode::SUCCESS);
    }
    let opts = RenderOptions {
        cyclonedx_version: args.cyclonedx_version,
    };
    emit_with(args.output.as_deref(), |w| {
        report::write_with(&report, args.format, &opts, w)
    })?;
    Ok(ExitCode::SUCCESS)
}

fn scan_with_progress(cfg: &ScanConfig, db: &crate::rules::RuleDb) -> Result<crate::model::Report> {
    let bar = std::io::stderr().is_terminal().then(|| {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {pos}/{len} files [{elapsed}] {wide_bar}",
            )
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
    let report = scan::scan(cfg, db, bar.as_ref().map(|_| &cb as scan::Progress<'_>))?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    Ok(report)
}

/// Load a policy, printing its diagnostics; an error when it has errors.
fn load_policy(spec: &str, db: &crate::rules::RuleDb) -> Result<crate::policy::Policy> {
    let (policy, diags) = crate::policy::load(spec, db)?;
    {
        let mut err = std::io::stderr().lock();
        for l in diags.rendered() {
            writeln!(err, "{l}")?;
        }
    }
    policy
        .with_context(|| format!("{spec}: the policy has errors (see above); nothing was checked"))
}

/// `--today DATE`, else today.
fn today_arg(today: Option<&str>) -> Result<Date> {
    match today {
        Some(t) => Date::parse(t).with_context(|| format!("--today {t}: not a date (YYYY-MM-DD)")),
        None => Ok(Date::today()),
    }
}

fn run_check(args: &CheckArgs) -> Result<ExitCode> {
    let db = crate::rules::load_strict(&args.scan.rules)?;
    let policy = load_policy(&args.policy, &db)?;
    let today = today_arg(args.today.as_deref())?;
    let report = match &args.report {
        Some(path) => {
            if !args.scan.paths.is_empty() || args.scan.home.is_some() {
                anyhow::bail!(
                    "--report checks an existing report: scan paths and --home do not apply"
                );
            }
            report::json::read(path)?
        }
        None => {
            if args.scan.home.is_some() {
                anyhow::bail!(
                    "--home: `check` takes the home from the policy (`home: {}`)",
                    policy.home_label
                );
            }
            let mut cfg = args.scan.to_config()?;
            cfg.home = Some(policy.home.join(","));
            scan_with_progress(&cfg, &db)?
        }
    };
    let outcome = crate::policy::eval::evaluate(&policy, &report, &db, today);
    {
        let mut err = std::io::stderr().lock();
        for l in &outcome.warnings {
            writeln!(err, "{}", report::violations::clean(l))?;
        }
        if args.output.is_some() || args.format != CheckFormat::Table {
            writeln!(err, "{}", report::violations::verdict(&outcome))?;
        }
    }
    emit(
        &report::render_check(&outcome, args.format),
        args.output.as_deref(),
    )?;
    Ok(if outcome.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Write output to a file or standard output; a closed pipe is not an error.
pub fn emit(text: &str, output: Option<&std::path::Path>) -> Result<()> {
    emit_bytes(text.as_bytes(), output)
}

/// Write what `write` produces to `-o FILE` (atomically) or to standard output (buffered; a
/// closed pipe ends it quietly).
pub fn emit_with(
    output: Option<&std::path::Path>,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<()> {
    match output {
        Some(p) => crate::output::write_atomic(p, write),
        None => {
            let stdout = std::io::stdout().lock();
            let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout);
            match write(&mut out).and_then(|_| out.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.context("writing to standard output"),
            }
        }
    }
}

/// Write bytes (an XLSX workbook) to `-o FILE` or standard output.
pub fn emit_bytes(bytes: &[u8], output: Option<&std::path::Path>) -> Result<()> {
    emit_with(output, |w| w.write_all(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(args).unwrap()
    }

    #[test]
    fn scan_image() {
        let Command::Scan(a) = parse(&["sovscan", "scan", "--image", "img.tar", "usr"]).command
        else {
            panic!()
        };
        let c = a.to_config().unwrap();
        assert_eq!(c.image, Some(PathBuf::from("img.tar")));
        assert!(c.filesystem);
        // PATHs are the image's paths, and the scanning machine's hardware is not inventoried.
        assert_eq!(c.paths, vec!["/usr"]);
        assert!(!c.hardware);
        let only_inputs = ["sovscan", "scan", "--image", "i", "--input", "x.csv"];
        let Command::Scan(a) = parse(&only_inputs).command else {
            panic!()
        };
        assert!(a.to_config().unwrap().filesystem);
        assert!(Cli::try_parse_from(["sovscan", "scan", "--image", "i", "--root", "/r"]).is_err());
    }

    #[test]
    fn scan_defaults_and_root() {
        let Command::Scan(a) = parse(&["sovscan", "scan"]).command else {
            panic!()
        };
        let c = a.to_config().unwrap();
        assert!(c.one_file_system);
        assert_eq!(c.root, PathBuf::from("/"));
        let Command::Scan(a) = parse(&[
            "sovscan",
            "scan",
            "--root",
            "/mnt/img",
            "usr/bin",
            "--exclude",
            "*.log",
            "-j",
            "2",
            "--home",
            "EU",
        ])
        .command
        else {
            panic!()
        };
        let c = a.to_config().unwrap();
        assert!(!c.one_file_system);
        assert_eq!(c.paths, vec!["/usr/bin"]);
        assert_eq!(c.jobs, 2);
        assert_eq!(c.home.as_deref(), Some("EU"));
        let Command::Scan(a) = parse(&["sovscan", "scan", "--cross-file-systems"]).command else {
            panic!()
        };
        assert!(!a.to_config().unwrap().one_file_system);
        let Command::Scan(a) = parse(&["sovscan", "scan", "-j", "0"]).command else {
            panic!()
        };
        assert!(a.to_config().is_err());
        let Command::Scan(a) = parse(&[
            "sovscan",
            "scan",
            "--input",
            "a.cdx.json",
            "--input",
            "b.csv",
        ])
        .command
        else {
            panic!()
        };
        let c = a.to_config().unwrap();
        assert!(!c.filesystem);
        assert_eq!(c.inputs.len(), 2);
        let Command::Scan(a) =
            parse(&["sovscan", "scan", "--input", "a.csv", "--root", "/mnt"]).command
        else {
            panic!()
        };
        assert!(a.to_config().unwrap().filesystem);
        let Command::Scan(a) = parse(&[
            "sovscan",
            "scan",
            "-f",
            "cyclonedx",
            "--cyclonedx-version",
            "1.5",
        ])
        .command
        else {
            panic!()
        };
        assert_eq!(a.cyclonedx_version, CycloneDxVersion::V1_5);
        assert!(a.to_config().unwrap().filesystem);
        assert!(Cli::try_parse_from(["sovscan", "scan", "--format", "xml"]).is_err());
    }

    #[test]
    fn check_and_explain_args() {
        let cli = parse(&[
            "sovscan",
            "check",
            "--policy",
            "builtin:eu-sovereignty",
            "--report",
            "q4.json",
            "--today",
            "2027-01-01",
            "-f",
            "sarif",
            "-o",
            "out.sarif",
        ]);
        let Command::Check(a) = cli.command else {
            panic!()
        };
        assert_eq!(a.policy, "builtin:eu-sovereignty");
        assert_eq!(a.report, Some(PathBuf::from("q4.json")));
        assert_eq!(a.today.as_deref(), Some("2027-01-01"));
        assert_eq!(a.format, CheckFormat::Sarif);
        let cli = parse(&[
            "sovscan", "check", "--policy", "p.yaml", "--root", "/mnt/img", "usr", "--rules", "r",
            "-f", "github",
        ]);
        let Command::Check(a) = cli.command else {
            panic!()
        };
        assert_eq!(a.scan.to_config().unwrap().paths, vec!["/usr"]);
        assert_eq!(a.scan.rules, vec![PathBuf::from("r")]);
        assert!(
            Cli::try_parse_from(["sovscan", "check", "--report", "x.json"]).is_err(),
            "--policy is required"
        );
        assert!(Cli::try_parse_from(["sovscan", "check", "--policy", "p", "-f", "html"]).is_err());
        let Command::Explain(a) =
            parse(&["sovscan", "explain", "r.json", "deb:zlib1g@1", "-f", "json"]).command
        else {
            panic!()
        };
        assert_eq!(
            (a.component.as_deref(), a.format),
            (Some("deb:zlib1g@1"), ExplainFormat::Json)
        );
    }

    #[test]
    fn db_args() {
        let db = |args: &[&str]| {
            let Command::Db(a) = parse(args).command else {
                panic!()
            };
            a
        };
        let a = db(&[
            "sovscan",
            "db",
            "ingest",
            "q3/",
            "-",
            "--tag",
            "unit=fin",
            "--tags",
            "t.csv",
            "--db",
            "postgres://u@h/d",
        ]);
        assert_eq!(a.db, "postgres://u@h/d");
        let DbCommand::Ingest {
            reports,
            tags,
            tags_file,
        } = a.command
        else {
            panic!()
        };
        assert_eq!(reports, vec![PathBuf::from("q3/"), PathBuf::from("-")]);
        assert_eq!(tags, vec!["unit=fin"]);
        assert_eq!(tags_file, Some(PathBuf::from("t.csv")));
        let a = db(&[
            "sovscan", "db", "--db", "f.db", "trend", "--by", "country", "--home", "EU", "--from",
            "2026-Q3", "-f", "csv",
        ]);
        let DbCommand::Trend {
            by, home, format, ..
        } = a.command
        else {
            panic!()
        };
        assert_eq!(by, crate::db::query::By::Country);
        assert_eq!(home.as_deref(), Some("EU"));
        assert_eq!(format, report::db::DbFormat::Csv);
        let a = db(&[
            "sovscan",
            "db",
            "diff",
            "--from",
            "2026-Q3",
            "--to",
            "2026-Q4",
            "--fail-on",
            "any",
        ]);
        assert!(matches!(
            a.command,
            DbCommand::Diff {
                fail_on: Some(crate::diff::FailOn::Any),
                ..
            }
        ));
        let a = db(&[
            "sovscan",
            "db",
            "hosts",
            "--list",
            "us-fcc-covered",
            "--as-of",
            "2026-12-31",
        ]);
        assert!(matches!(
            a.command,
            DbCommand::Hosts {
                list: Some(_),
                as_of: Some(_),
                ..
            }
        ));
        assert!(Cli::try_parse_from(["sovscan", "db", "hosts"]).is_err());
        assert!(
            Cli::try_parse_from(["sovscan", "db", "hosts", "--vendor", "a", "--owner", "b"])
                .is_err()
        );
        assert!(Cli::try_parse_from(["sovscan", "db", "diff", "--from", "2026-Q3"]).is_err());
        assert!(Cli::try_parse_from(["sovscan", "db", "ingest"]).is_err());
    }

    #[test]
    fn hardware_default_and_flags() {
        let cfg = |args: &[&str]| {
            let Command::Scan(a) = parse(args).command else {
                panic!()
            };
            a.to_config().unwrap().hardware
        };
        assert!(cfg(&["sovscan", "scan"]));
        assert!(!cfg(&["sovscan", "scan", "--no-hardware"]));
        assert!(!cfg(&["sovscan", "scan", "/usr"]));
        assert!(!cfg(&["sovscan", "scan", "--root", "/mnt/img"]));
        assert!(cfg(&[
            "sovscan",
            "scan",
            "--root",
            "/mnt/img",
            "--hardware"
        ]));
        assert!(!cfg(&["sovscan", "scan", "--hardware", "--no-hardware"]));
    }
}
