//! Prefetch files of the collection, read in parallel into the model.

use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use konseki_model::{FoundArtifact, PrefetchEntry, Provenance, Warning};

/// Every prefetch artifact, read; unreadable ones become warnings naming the file.
pub fn read_prefetch_files(artifacts: &[&FoundArtifact]) -> (Vec<PrefetchEntry>, Vec<Warning>) {
    let results: Vec<_> = artifacts
        .par_iter()
        .map(|a| konseki_prefetch::read_prefetch(&a.path).map_err(|e| (a.path.clone(), e)))
        .collect();
    let mut entries = Vec::with_capacity(results.len());
    let mut warnings = Vec::new();
    for result in results {
        match result {
            Ok(pf) => entries.push(entry(pf)),
            Err((file, e)) => warnings.push(Warning {
                file,
                offset: None,
                message: format!("prefetch file skipped: {e}"),
            }),
        }
    }
    (entries, warnings)
}

fn entry(pf: konseki_prefetch::Prefetch) -> PrefetchEntry {
    // The program's own path: the loaded file whose name is the executable's (names longer
    // than 29 characters are cut in the header, so compare the start).
    let program_path = pf
        .files
        .iter()
        .find(|f| {
            let name = f.rsplit('\\').next().unwrap_or(f);
            !pf.executable.is_empty() && name.to_uppercase().starts_with(&pf.executable)
        })
        .cloned();
    PrefetchEntry {
        executable: pf.executable,
        hash: pf.hash,
        version: pf.version,
        run_count: pf.run_count,
        last_runs: pf.last_runs,
        program_path,
        source: Provenance::File {
            file: Arc::from(Path::new(&pf.path)),
        },
    }
}
