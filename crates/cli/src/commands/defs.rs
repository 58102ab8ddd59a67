//! `konseki defs lint|list`: the autostart location definitions.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use konseki_extract::autostart::defs::{builtin, lint, Location, BUILTIN};

use crate::args::DefsAction;

pub fn run(action: DefsAction) -> anyhow::Result<ExitCode> {
    match action {
        DefsAction::List => {
            for l in lint(&BUILTIN).map_err(|p| anyhow::anyhow!(p.join("\n")))? {
                println!(
                    "{:<22} {:<8} {:<10} {}",
                    l.id,
                    format!("{:?}", l.hive).to_uppercase(),
                    l.attack,
                    l.title
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        DefsAction::Lint { paths } => {
            let files = if paths.is_empty() {
                BUILTIN
                    .iter()
                    .map(|(n, t)| (n.to_string(), t.to_string()))
                    .collect()
            } else {
                read_files(&paths)?
            };
            let borrowed: Vec<(&str, &str)> = files
                .iter()
                .map(|(n, t)| (n.as_str(), t.as_str()))
                .collect();
            match lint(&borrowed) {
                Ok(locations) => {
                    println!(
                        "{} location(s) in {} file(s): valid",
                        locations.len(),
                        files.len()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(problems) => {
                    for p in &problems {
                        eprintln!("konseki: {p}");
                    }
                    Ok(ExitCode::from(1))
                }
            }
        }
    }
}

/// The locations to scan for: the analyst's files when given (any problem stops the run, each
/// named), else the built-in ones.
pub fn locations(defs: Option<&Path>) -> anyhow::Result<Vec<Location>> {
    let Some(path) = defs else {
        return Ok(builtin());
    };
    let files = read_files(&[path.to_path_buf()])?;
    if files.is_empty() {
        anyhow::bail!("{}: no .toml definition files", path.display());
    }
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    lint(&borrowed).map_err(|problems| anyhow::anyhow!("{}", problems.join("\n")))
}

/// The `.toml` files of `paths` (files as given, directories' direct children).
fn read_files(paths: &[PathBuf]) -> anyhow::Result<Vec<(String, String)>> {
    let mut files = Vec::new();
    for path in paths {
        let listed: Vec<PathBuf> = if path.is_dir() {
            let mut children: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("{}: cannot list", path.display()))?
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.extension()
                        .is_some_and(|x| x.eq_ignore_ascii_case("toml"))
                })
                .collect();
            children.sort();
            children
        } else {
            vec![path.clone()]
        };
        for file in listed {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("{}: cannot read", file.display()))?;
            files.push((display(&file), text));
        }
    }
    Ok(files)
}

fn display(path: &Path) -> String {
    path.display().to_string()
}
