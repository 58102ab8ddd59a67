//! The Velociraptor artifacts and the KAPE module in `integrations/`: they parse as YAML (by
//! PyYAML, an independent reader; Velociraptor and KAPE both read YAML), carry the fields those
//! engines require (Velociraptor's `artifact.proto`: `name`, `sources[].query`,
//! `parameters[].name`, `tools[].name`; KAPE's `ModuleGuide.guide`: `Description`, `Category`,
//! `Author`, `Version`, `Id`, `BinaryUrl`, `ExportFormat`, `Processors[]` with `Executable`,
//! `CommandLine`, `ExportFormat`), and the konseki commands they run, taken from their text,
//! run here on a KAPE-style tree of the shared corpus's logs.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{corpus, konseki, temp_case};

fn integrations() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../integrations")
}

/// The YAML file as JSON, read by PyYAML; `None` (skipped) where PyYAML is not installed.
fn yaml(path: &Path) -> Option<serde_json::Value> {
    let probe = "import yaml";
    if !konseki_testutil::tool_available(
        Command::new("python3").args(["-c", probe]),
        "PyYAML",
        "KONSEKI_REQUIRE_PYYAML",
    ) {
        return None;
    }
    let out = Command::new("python3")
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1], encoding='utf-8'))))",
        ])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

/// A KAPE target tree of one host: the APTSimulator VM's logs under `C\Windows\…`.
fn kape_tree(case: &Path) -> Option<PathBuf> {
    let logs = corpus("evtx/APTSimulatorVM-Win10")?;
    let tree = case.join("target");
    let dest = tree.join("C/Windows/System32/winevt/Logs");
    std::fs::create_dir_all(&dest).unwrap();
    for entry in std::fs::read_dir(logs).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dest.join(path.file_name().unwrap())).unwrap();
    }
    Some(tree)
}

fn text<'a>(v: &'a serde_json::Value, field: &str) -> &'a str {
    v[field]
        .as_str()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| panic!("`{field}` missing or empty"))
}

/// The konseki arguments of a VQL `execve(argv=[…])`: the string literals of the list itself
/// (not of the expressions inside it), in order, with the tree after `scan`, the level after
/// `--min-severity` and the file after `--output` (VQL expressions there).
fn vql_argv(query: &str, tree: &Path, output: &Path) -> Vec<String> {
    let start = query.find("execve(argv=[").expect("an execve") + "execve(argv=[".len();
    let mut literals = Vec::new();
    let (mut depth, mut literal): (usize, Option<String>) = (1, None);
    for c in query[start..].chars() {
        match (&mut literal, c) {
            (Some(text), '"') => {
                if depth == 1 {
                    literals.push(std::mem::take(text));
                }
                literal = None;
            }
            (Some(text), c) => text.push(c),
            (None, '"') => literal = Some(String::new()),
            (None, '[' | '(') => depth += 1,
            (None, ']' | ')') => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            (None, _) => {}
        }
    }
    let mut args = Vec::new();
    for literal in literals {
        let next = match literal.as_str() {
            "scan" => Some(tree.display().to_string()),
            "--min-severity" => Some("info".into()),
            "--output" => Some(output.display().to_string()),
            _ => None,
        };
        args.push(literal);
        args.extend(next);
    }
    args
}

#[test]
fn the_velociraptor_artifacts_carry_their_fields_and_run_konseki() {
    let case = temp_case("integrations-velociraptor");
    let Some(tree) = kape_tree(&case) else {
        return;
    };
    for (file, server) in [
        ("velociraptor/Windows.Persistence.Konseki.yaml", false),
        ("velociraptor/Server.Analysis.Konseki.yaml", true),
    ] {
        let path = integrations().join(file);
        let Some(artifact) = yaml(&path) else {
            return;
        };
        let name = text(&artifact, "name");
        assert_eq!(format!("velociraptor/{name}.yaml"), file);
        text(&artifact, "description");
        assert_eq!(
            artifact["type"].as_str() == Some("SERVER"),
            server,
            "{file}"
        );
        let tool = text(&artifact["tools"][0], "name");
        for parameter in artifact["parameters"].as_array().unwrap() {
            text(parameter, "name");
        }
        let sources = artifact["sources"].as_array().unwrap();
        assert_eq!(sources.len(), 1);
        let query = text(&sources[0], "query");
        assert!(
            query.contains(&format!("FetchBinary(ToolName=\"{tool}\"")),
            "{file}"
        );
        assert!(query.contains("parse_jsonl(filename=Result)"), "{file}");

        let output = case.join(format!("{name}.jsonl"));
        let args = vql_argv(query, &tree, &output);
        assert_eq!(args[0], "scan", "{args:?}");
        let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
        let run = konseki(&args);
        assert!(
            run.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let rows = std::fs::read_to_string(&output).unwrap();
        let mut services = 0;
        for line in rows.lines() {
            let row: serde_json::Value = serde_json::from_str(line).unwrap();
            if row["record_type"] == "service" {
                assert_eq!(row["host"], "DESKTOP-TMKU40H");
                assert!(row["severity"].is_string());
                services += 1;
            }
        }
        assert!(services > 10, "{file}: {services} services");
    }
    std::fs::remove_dir_all(&case).ok();
}

#[test]
fn the_kape_module_carries_its_fields_and_its_commands_run() {
    let case = temp_case("integrations-kape");
    let Some(tree) = kape_tree(&case) else {
        return;
    };
    let Some(module) = yaml(&integrations().join("kape/Konseki.mkape")) else {
        return;
    };
    for field in [
        "Description",
        "Category",
        "Author",
        "BinaryUrl",
        "ExportFormat",
    ] {
        text(&module, field);
    }
    // `Version: 1.0` is a number to YAML, as in KapeFiles' own modules (KAPE reads it as text).
    assert!(module["Version"].is_number() || module["Version"].is_string());
    let id = text(&module, "Id");
    assert!(
        id.len() == 36 && id.split('-').map(str::len).eq([8, 4, 4, 4, 12]),
        "{id}"
    );
    let destination = case.join("out");
    std::fs::create_dir_all(&destination).unwrap();
    let processors = module["Processors"].as_array().unwrap();
    assert!(processors.len() >= 2);
    for processor in processors {
        assert_eq!(text(processor, "Executable"), "konseki\\konseki.exe");
        let format = text(processor, "ExportFormat");
        let command = text(processor, "CommandLine")
            .replace("%sourceDirectory%", &tree.display().to_string())
            .replace(
                "%destinationDirectory%\\",
                &format!("{}/", destination.display()),
            );
        let args: Vec<&std::ffi::OsStr> = command.split_whitespace().map(|a| a.as_ref()).collect();
        let run = konseki(&args);
        assert!(
            run.status.success(),
            "{command}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let written =
            std::fs::read_to_string(destination.join(format!("konseki.{format}"))).unwrap();
        match format {
            "jsonl" => assert!(written
                .lines()
                .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok())),
            "csv" => assert!(written.starts_with("\"host\",\"record_type\",\"severity\",\"name\"")),
            "html" => assert!(written.starts_with("<!DOCTYPE html>")),
            other => panic!("export format {other} not checked"),
        }
    }
    std::fs::remove_dir_all(&case).ok();
}
