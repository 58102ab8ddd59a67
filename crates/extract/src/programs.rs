//! Service programs in the evidence: each ImagePath and ServiceDll is looked up in the
//! collection's volume trees (`C/…` in a KAPE target, `C%3A/…` in Velociraptor, a mounted
//! volume) and, when the file is there, checked with [`konseki_pe`] (imports, hashes).
//!
//! The volume trees are the ones discovery found ([`Volumes`]). Names are matched
//! case-insensitively, as Windows does.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use konseki_model::{ProgramFile, ProgramKind, ServiceConfig};
use konseki_pe::PeError;

use crate::discover::{decoded_file_name, drive_letter};
use crate::image_path::{normalize_image_path, WindowsPaths};
use crate::volumes::Volumes;

/// Service types whose ImagePath is a program the SCM starts (own or shared process).
const WIN32_SERVICE: u32 = 0x10 | 0x20;

/// The program files named by `services`, found in the evidence's volume trees, checked.
pub fn find_programs(
    volumes: &Volumes,
    services: &[ServiceConfig],
    paths: &WindowsPaths,
) -> Vec<ProgramFile> {
    if volumes.is_empty() {
        return Vec::new();
    }
    // Lower-cased path → (path as named, services naming it).
    let mut wanted: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    let mut want = |path: String, service: &str| {
        let entry = wanted
            .entry(path.to_lowercase())
            .or_insert_with(|| (path, Vec::new()));
        if !entry.1.iter().any(|s| s.eq_ignore_ascii_case(service)) {
            entry.1.push(service.to_string());
        }
    };
    for s in services {
        if s.service_type.is_some_and(|t| t & WIN32_SERVICE == 0) {
            continue; // drivers are loaded by the I/O manager, not started as programs
        }
        if let Some(image) = &s.image_path {
            want(image.executable.clone(), &s.name);
        }
        if let Some(dll) = &s.service_dll {
            want(
                normalize_image_path(dll, paths, false, &s.name).executable,
                &s.name,
            );
        }
    }
    let mut tree = Tree::default();
    wanted
        .into_values()
        .filter_map(|(windows_path, services)| {
            let file = tree.resolve(volumes, &windows_path)?;
            Some(check(windows_path, services, file))
        })
        .collect()
}

fn check(windows_path: String, services: Vec<String>, file: PathBuf) -> ProgramFile {
    let empty = |kind, problem: String, size| ProgramFile {
        windows_path: windows_path.clone(),
        services: services.clone(),
        file: file.clone(),
        size,
        sha256: String::new(),
        sha1: String::new(),
        machine: String::new(),
        kind,
        service_imports: Vec::new(),
        runtime_resolution: Vec::new(),
        exports_service_main: false,
        problem: Some(problem),
    };
    match konseki_pe::inspect(&file) {
        Ok(report) => ProgramFile {
            windows_path,
            services,
            file,
            size: report.size,
            sha256: report.sha256,
            sha1: report.sha1,
            machine: report.machine,
            kind: match report.kind {
                konseki_pe::ProgramKind::ServiceProgram => ProgramKind::ServiceProgram,
                konseki_pe::ProgramKind::ServiceDll => ProgramKind::ServiceDll,
                konseki_pe::ProgramKind::PlainProgram => ProgramKind::PlainProgram,
                konseki_pe::ProgramKind::PlainDll => ProgramKind::PlainDll,
                konseki_pe::ProgramKind::Managed => ProgramKind::Managed,
            },
            service_imports: report.service_imports,
            runtime_resolution: report.runtime_resolution,
            exports_service_main: report.exports_service_main,
            problem: None,
        },
        Err(e @ PeError::NotPe { .. }) => {
            let size = crate::discover::file_size(&file);
            empty(ProgramKind::NotPe, e.to_string(), size)
        }
        Err(e) => empty(ProgramKind::NotPe, e.to_string(), 0),
    }
}

/// Case-insensitive path lookups, with each directory listed once.
#[derive(Default)]
struct Tree {
    listings: HashMap<PathBuf, Vec<(String, PathBuf)>>,
}

impl Tree {
    fn resolve(&mut self, volumes: &Volumes, windows_path: &str) -> Option<PathBuf> {
        let (drive, rest) = windows_path.split_at_checked(2)?;
        let drive = drive_letter(drive)?;
        let parts: Vec<&str> = rest.split('\\').filter(|p| !p.is_empty()).collect();
        if parts.is_empty() || parts.contains(&"..") {
            return None;
        }
        volumes.roots_of(&drive).iter().find_map(|root| {
            let mut at = root.clone();
            for part in &parts {
                at = self.child(&at, part)?;
            }
            konseki_source::metadata(&at)
                .is_ok_and(|m| m.kind == konseki_source::Kind::File)
                .then_some(at)
        })
    }

    fn child(&mut self, dir: &Path, name: &str) -> Option<PathBuf> {
        let listing = self.listings.entry(dir.to_path_buf()).or_insert_with(|| {
            konseki_source::read_dir(dir)
                .map(|entries| {
                    entries
                        .into_iter()
                        // Links are not followed: one could lead out of the evidence.
                        .filter(|(_, kind)| *kind != konseki_source::Kind::Link)
                        .filter_map(|(path, _)| {
                            Some((decoded_file_name(&path)?.to_lowercase(), path))
                        })
                        .collect()
                })
                .unwrap_or_default()
        });
        let name = name.to_lowercase();
        listing
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, p)| p.clone())
    }
}
