//! `konseki demo`: replay a built-in case (by default the reference experiment: a plain EXE
//! started as a service and killed at the pipe timeout) as real-format evidence, then scan it.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use konseki_forge::scenario::{Scenario, BUILTIN};
use konseki_render::{explain, render, Explanation, Format, Selection};

pub fn run(dir: Option<PathBuf>, name: &str, list: bool) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    if list {
        for (builtin, text) in BUILTIN {
            let scenario = Scenario::parse(text).map_err(anyhow::Error::msg)?;
            writeln!(out, "{builtin:<34} {}", scenario.summary)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let scenario = Scenario::builtin(name).with_context(|| {
        format!("no built-in scenario `{name}` (konseki demo --list shows them)")
    })?;
    let dir = match dir {
        Some(d) => {
            crate::output::refuse_non_empty(&d)?;
            d
        }
        None => std::env::temp_dir().join(format!("konseki-demo-{name}-{}", std::process::id())),
    };
    let files = scenario
        .write_tree(&dir)
        .with_context(|| format!("writing the demo evidence under {}", dir.display()))?;
    writeln!(out, "Demo case `{}`: {}", scenario.name, scenario.summary)?;
    writeln!(
        out,
        "Evidence written (real formats, KAPE layout) under {}:",
        dir.display()
    )?;
    for f in &files {
        writeln!(out, "  {}", f.display())?;
    }
    writeln!(out)?;
    let builtin = konseki_extract::autostart::defs::builtin();
    let report = super::scan::build_report(std::slice::from_ref(&dir), true, &builtin)?;
    render(&report, Format::Table, Selection::Notable, &mut out)?;
    for expectation in &scenario.expect {
        if let Explanation::One(text) = explain(&report, &expectation.service) {
            writeln!(out, "\n{}", "─".repeat(78))?;
            out.write_all(text.as_bytes())?;
        }
    }
    writeln!(
        out,
        "\nRe-run the scan yourself: konseki scan {}",
        dir.display()
    )?;
    Ok(ExitCode::SUCCESS)
}
