//! Stock Windows services: which program (and ServiceDll) a Windows service runs on Windows'
//! own installs (`data/baseline/services.toml`, generated from SYSTEM hives by
//! `data/baseline/make_services.py`). A service of a stock name with Windows' program is
//! labelled stock; one with another program is flagged: replacing a stock service's ImagePath
//! or ServiceDll is a persistence that hides among Windows' own (ATT&CK T1574.011, T1543.003).
//! The baseline never lowers a severity: it labels and checks the names it knows.
//!
//! Windows versions differ (XP's `Eventlog` runs in services.exe, 7's in svchost; `Dhcp`'s
//! ServiceDll changed), and a scan does not always know the version: a stock name whose program
//! differs from every version's is flagged only when that program or ServiceDll lies outside
//! the Windows folder. One inside it is most likely another version's own (a replaced
//! `System32` DLL is not caught here: its Amcache and $MFT evidence is).

use std::collections::HashMap;
use std::sync::OnceLock;

use konseki_model::{Attention, EvidenceItem, Flag, ServiceConfig, ServiceReport};
use serde::Deserialize;

const SERVICES: &str = include_str!("../../../data/baseline/services.toml");

/// One stock service as a Windows install has it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stock {
    name: String,
    image: String,
    service_dll: Option<String>,
    windows: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct StockFile {
    service: Vec<Stock>,
}

/// The baseline by lower-cased service name.
fn baseline() -> &'static HashMap<String, Vec<Stock>> {
    static BASELINE: OnceLock<HashMap<String, Vec<Stock>>> = OnceLock::new();
    BASELINE.get_or_init(|| {
        let file: StockFile =
            toml::from_str(SERVICES).expect("data/baseline/services.toml is valid");
        let mut by_name: HashMap<String, Vec<Stock>> = HashMap::new();
        for s in file.service {
            by_name.entry(s.name.to_lowercase()).or_default().push(s);
        }
        by_name
    })
}

/// A path as the baseline writes it: lower-cased, unquoted, `%SystemRoot%` expanded.
fn normal(path: &str) -> String {
    let p = path.trim().trim_matches('"').to_lowercase();
    let p = p.strip_prefix("\\??\\").unwrap_or(&p).to_string();
    for prefix in ["%systemroot%", "\\systemroot", "%windir%"] {
        if let Some(rest) = p.strip_prefix(prefix) {
            return format!("c:\\windows{rest}");
        }
    }
    match p.strip_prefix("system32\\") {
        Some(rest) => format!("c:\\windows\\system32\\{rest}"),
        None => p,
    }
}

/// Whether `config` runs what `stock` runs: the same program, and the same ServiceDll when
/// both have one.
fn runs_as(config: &ServiceConfig, stock: &Stock) -> Option<bool> {
    let image = normal(&config.image_path.as_ref()?.executable);
    let dll_matches = match (service_dll(config), &stock.service_dll) {
        (Some(dll), Some(expected)) => dll == *expected,
        _ => true,
    };
    Some(image == stock.image && dll_matches)
}

/// The configured ServiceDll, as the baseline writes paths; none when empty.
fn service_dll(config: &ServiceConfig) -> Option<String> {
    config
        .service_dll
        .as_deref()
        .map(normal)
        .filter(|d| !d.is_empty())
}

/// Whether the program or ServiceDll of `config` lies outside the Windows folder.
fn outside_windows(config: &ServiceConfig) -> bool {
    let outside = |p: &str| !p.starts_with("c:\\windows\\");
    config
        .image_path
        .as_ref()
        .is_some_and(|i| outside(&normal(&i.executable)))
        || service_dll(config).is_some_and(|d| outside(&d))
}

/// Labels a stock service, or flags the stock name that runs another program.
pub(crate) fn check_stock(report: &mut ServiceReport) {
    let Some(stock) = baseline().get(&report.name.to_lowercase()) else {
        return;
    };
    let mut changed = Vec::new();
    let mut versions: Vec<String> = Vec::new();
    for config in &report.configs {
        let matched: Vec<&Stock> = stock
            .iter()
            .filter(|s| runs_as(config, s) == Some(true))
            .collect();
        match matched.as_slice() {
            [] if outside_windows(config) => changed.push(config),
            [] => {}
            _ => versions.extend(matched.iter().flat_map(|s| s.windows.iter().cloned())),
        }
    }
    if let Some(config) = changed.first() {
        let expected: Vec<String> = stock
            .iter()
            .map(|s| match &s.service_dll {
                Some(dll) => format!(
                    "`{}` with ServiceDll `{dll}` (Windows {})",
                    s.image,
                    s.windows.join(", ")
                ),
                None => format!("`{}` (Windows {})", s.image, s.windows.join(", ")),
            })
            .collect();
        let runs = match &config.service_dll {
            Some(dll) => format!(
                "`{}` with ServiceDll `{dll}`",
                config
                    .image_path
                    .as_ref()
                    .map_or("", |i| i.executable.as_str())
            ),
            None => format!(
                "`{}`",
                config
                    .image_path
                    .as_ref()
                    .map_or("", |i| i.executable.as_str())
            ),
        };
        report.attention.push(Attention {
            id: Flag::StockServiceProgramChanged,
            reason: format!(
                "`{}` is a Windows service that runs {} on Windows' own installs; in {} it runs {runs}: a stock service's program replaced hides among Windows' own",
                report.name,
                expected.join(" or "),
                config.control_set
            ),
            evidence: vec![EvidenceItem {
                source: config.source.clone(),
                time: config.key_last_written,
                summary: format!("{}: ImagePath and ServiceDll as configured", config.control_set).into(),
            }],
        });
        report.notable = true;
        return;
    }
    versions.sort();
    versions.dedup();
    report.ranking.stock_in = versions;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_baseline_parses_and_paths_compare_as_written() {
        let wuauserv = &baseline()["wuauserv"];
        assert_eq!(wuauserv[0].image, "c:\\windows\\system32\\svchost.exe");
        assert_eq!(
            normal("%SystemRoot%\\System32\\wuaueng.dll"),
            "c:\\windows\\system32\\wuaueng.dll"
        );
        assert_eq!(
            normal("\\SystemRoot\\system32\\drivers\\afd.sys"),
            "c:\\windows\\system32\\drivers\\afd.sys"
        );
        assert_eq!(
            normal("System32\\drivers\\afd.sys"),
            "c:\\windows\\system32\\drivers\\afd.sys"
        );
    }
}
