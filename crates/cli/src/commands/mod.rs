//! One module per command; `run` dispatches.

mod defs;
mod demo;
mod explain;
mod report;
pub(crate) mod scan;
mod stack;
mod timeline;

use std::process::ExitCode;

use crate::args::{Args, Command};

/// Fails, naming the path, when an evidence path does not exist.
fn require_paths(paths: &[std::path::PathBuf]) -> anyhow::Result<()> {
    match paths.iter().find(|p| !p.exists()) {
        Some(p) => anyhow::bail!("{}: no such file or directory", p.display()),
        None => Ok(()),
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let locations = defs::locations(args.defs.as_deref())?;
    let locations = &locations;
    match args.command {
        Command::Scan {
            paths,
            output,
            all,
            per_host,
        } => scan::run(&paths, &output, all, per_host.as_deref(), locations),
        Command::Services { paths, output } => scan::run(&paths, &output, true, None, locations),
        Command::Demo {
            dir,
            scenario,
            list,
        } => demo::run(dir, &scenario, list),
        Command::Timeline {
            paths,
            format,
            output,
            quiet,
        } => timeline::run(&paths, format, output.as_deref(), quiet, locations),
        Command::Defs { action } => defs::run(action),
        Command::Explain { paths, name, quiet } => explain::run(&paths, &name, quiet, locations),
        Command::Stack { paths, output } => stack::run(&paths, &output, locations),
        Command::Report {
            paths,
            output,
            all,
            quiet,
        } => report::run(&paths, output.as_deref(), all, quiet, locations),
    }
}
