//! `konseki stack PATH…`: least-frequency analysis across hosts. Each PATH is evidence (a case
//! folder of several hosts, a collection) scanned here, or a JSON report saved by
//! `konseki scan -f json` elsewhere (so per-host scans made on many machines stack centrally).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use konseki_correlate::stack::{stack, stack_items, stack_key};
use konseki_extract::autostart::defs::Location;
use konseki_model::{EntityKind, Severity, StackItem};
use konseki_render::Format;

use crate::args::OutputArgs;

pub fn run(
    paths: &[PathBuf],
    output: &OutputArgs,
    locations: &[Location],
) -> anyhow::Result<ExitCode> {
    super::require_paths(paths)?;
    let mut items = Vec::new();
    let mut labels: HashSet<String> = HashSet::new();
    for path in paths {
        let hosts = match saved_report(path) {
            Some(doc) => from_saved(&doc)
                .with_context(|| format!("{}: not a konseki JSON report", path.display()))?,
            None => super::scan::build_report(std::slice::from_ref(path), output.quiet, locations)?
                .hosts
                .iter()
                .map(stack_items)
                .collect(),
        };
        for mut host in hosts {
            // A label met in another input is another host: told apart by its input.
            if let Some(first) = host.first() {
                let label = first.host.clone();
                if !labels.insert(label.to_lowercase()) {
                    let unique = format!("{label} [{}]", path.display());
                    labels.insert(unique.to_lowercase());
                    host.iter_mut().for_each(|i| i.host = unique.clone());
                }
            }
            items.extend(host);
        }
    }
    let hosts = labels.len();
    let mut rows = stack(items, hosts);
    if let Some(min) = output.min_severity {
        rows.retain(|r| r.severity >= min);
    }
    let format = Format::from(output.format);
    let mut out = crate::output::open(output.output.as_deref(), paths, &[])?;
    konseki_render::render_stack(&rows, hosts, format, &mut out).context("writing the stack")?;
    out.flush().context("writing the stack")?;
    Ok(ExitCode::SUCCESS)
}

/// The JSON document of a file that is a konseki report (`schema_version` and `hosts[]`).
fn saved_report(path: &Path) -> Option<serde_json::Value> {
    if !path.is_file() {
        return None;
    }
    use std::io::BufRead;
    let mut reader = std::io::BufReader::new(std::fs::File::open(path).ok()?);
    if reader.fill_buf().ok()?.first() != Some(&b'{') {
        return None;
    }
    let doc: serde_json::Value = serde_json::from_reader(reader).ok()?;
    (doc.get("schema_version").is_some() && doc["hosts"].is_array()).then_some(doc)
}

/// The entities of every host of a saved report, keyed as a scan here keys them.
fn from_saved(doc: &serde_json::Value) -> anyhow::Result<Vec<Vec<StackItem>>> {
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
    let severity = |v: &serde_json::Value| {
        v["severity"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or(Severity::Info)
    };
    let list = |v: &serde_json::Value| v.as_array().cloned().unwrap_or_default();
    let mut hosts = Vec::new();
    for host in list(&doc["hosts"]) {
        let label = host["host"]["label"]
            .as_str()
            .context("a host without a label")?
            .to_string();
        let mut items = Vec::new();
        let mut push = |key, severity| {
            items.push(StackItem {
                host: label.clone(),
                key,
                severity,
            })
        };
        for s in list(&host["services"]) {
            let config = &s["configs"][0];
            let installed = list(&s["events"])
                .into_iter()
                .find(|e| e["what"]["kind"] == "installed")
                .map(|e| text(&e["what"]["executable"]));
            let image = match text(&config["image_path"]["executable"]) {
                image if image.is_empty() => installed.unwrap_or_default(),
                image => image,
            };
            let dll = text(&config["service_dll"]);
            push(
                stack_key(EntityKind::Service, "", &text(&s["name"]), &[&image, &dll]),
                severity(&s),
            );
        }
        for a in list(&host["autostarts"]) {
            let e = &a["entry"];
            push(
                stack_key(
                    EntityKind::Autostart,
                    &text(&e["location"]),
                    &text(&e["name"]),
                    &[&text(&e["command"])],
                ),
                severity(&a),
            );
        }
        for t in list(&host["tasks"]) {
            let programs: Vec<String> = list(&t["actions"])
                .iter()
                .filter(|a| a["kind"] == "exec")
                .map(|a| text(&a["command"]))
                .collect();
            let programs: Vec<&str> = programs.iter().map(String::as_str).collect();
            push(
                stack_key(EntityKind::Task, "", &text(&t["name"]), &programs),
                severity(&t),
            );
        }
        hosts.push(items);
    }
    Ok(hosts)
}
