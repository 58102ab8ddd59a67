//! Command-line arguments (clap derive), as the user typed them.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// konseki (痕跡, "traces"): Windows persistence and service-lifecycle verdicts from offline
/// evidence. Did the persisted program run, when, for how long, and on what evidence?
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
pub struct Args {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
    /// Autostart location definitions to use instead of the built-in ones: a TOML file, or a
    /// directory of them (checked as `konseki defs lint` does).
    #[arg(long, global = true, value_name = "PATH")]
    pub defs: Option<PathBuf>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Find the evidence under PATH, rebuild every service's lifecycle and give each a verdict.
    Scan {
        /// Evidence: a mounted volume, a KAPE/Velociraptor collection, a folder of artifacts,
        /// or single files (hives and EVTX logs are recognised by signature).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        output: OutputArgs,
        /// Show every service key in the table, not only those with events or attention flags.
        #[arg(long)]
        all: bool,
        /// Also write each host's report, in the chosen format, to a file of its own in DIR
        /// (named after the host's label, made safe for a file name).
        #[arg(long, value_name = "DIR")]
        per_host: Option<PathBuf>,
    },
    /// The service table: every service key, its configuration and verdict.
    Services {
        /// Evidence, as for `scan`.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Write a built-in case as a KAPE-style evidence tree, scan it, and show the verdict and
    /// the narrative: what konseki concludes and why.
    Demo {
        /// Where to write the evidence tree (default: a new directory under the system's temp
        /// directory, reported).
        dir: Option<PathBuf>,
        /// The scenario (see `--list`).
        #[arg(long, default_value = "service-timeout")]
        scenario: String,
        /// List the built-in scenarios and exit.
        #[arg(long)]
        list: bool,
    },
    /// Every dated fact found, merged into one timeline (JSONL or CSV), each time with what it
    /// means: events logged, keys written, files created, programs run.
    Timeline {
        /// Evidence, as for `scan`.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, short, value_enum, default_value_t = TimelineFormatArg::Jsonl)]
        format: TimelineFormatArg,
        /// Write to FILE instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Hide the progress bar.
        #[arg(long, short)]
        quiet: bool,
    },
    /// The autostart location definitions (`data/autostart/*.toml`): check or list them.
    Defs {
        /// What to do.
        #[command(subcommand)]
        action: DefsAction,
    },
    /// The narrative for one service, autostart entry or scheduled task, with its evidence
    /// chain, as an examiner would write it.
    Explain {
        /// Evidence, as for `scan`: one or more paths (of one host: a collection's folders, or
        /// a hive and the logs beside it given one by one).
        #[arg(required = true, num_args = 1..)]
        paths: Vec<PathBuf>,
        /// What to explain: a service's key or display name, an autostart entry's name (a Run
        /// value, a Startup file, a COM class's CLSID), a task's path or name, or the program
        /// one of them runs.
        name: String,
        /// Hide the progress bar.
        #[arg(long, short)]
        quiet: bool,
    },
    /// A self-contained HTML report of the case (no script, no network): the hosts, the ranked
    /// findings, a card per entity with its evidence chain.
    Report {
        /// Evidence, as for `scan`.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Write to FILE instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// A card for every entity, not only those with events, flags or a severity.
        #[arg(long)]
        all: bool,
        /// Hide the progress bar.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Least-frequency analysis across hosts: every service, autostart entry and task keyed by
    /// what it runs, counted by the hosts that hold it, rarest first.
    Stack {
        /// Case folders and collections (scanned, every host found), or JSON reports saved by
        /// `konseki scan -f json`.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        output: OutputArgs,
    },
}

/// Output options shared by the listing commands.
#[derive(Debug, clap::Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,
    /// Write to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Hide the progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Keep only services, autostart entries and tasks of this severity or above, in every
    /// format (critical, high, medium, low, info).
    #[arg(long, value_name = "SEVERITY")]
    pub min_severity: Option<konseki_model::Severity>,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Aligned text.
    Table,
    /// One JSON document (schema: docs/schema.json).
    Json,
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated values, one row per service.
    Csv,
}

impl From<FormatArg> for konseki_render::Format {
    fn from(format: FormatArg) -> konseki_render::Format {
        match format {
            FormatArg::Table => konseki_render::Format::Table,
            FormatArg::Json => konseki_render::Format::Json,
            FormatArg::Jsonl => konseki_render::Format::Jsonl,
            FormatArg::Csv => konseki_render::Format::Csv,
        }
    }
}

/// Timeline formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TimelineFormatArg {
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated values.
    Csv,
    /// JSONL for Timesketch's importer (`message`, `datetime`, `timestamp`, `timestamp_desc`).
    Timesketch,
}

/// `konseki defs` actions.
#[derive(Debug, Subcommand)]
pub enum DefsAction {
    /// Check definition files (default: the built-in ones); exit 1 with every problem named.
    Lint {
        /// TOML files, or directories holding them.
        paths: Vec<PathBuf>,
    },
    /// List the built-in locations: id, hive, technique, title.
    List,
}
