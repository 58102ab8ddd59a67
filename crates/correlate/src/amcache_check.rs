//! What Amcache says about a service's program: the file was present and inventoried (with
//! its SHA-1), which on Windows 10 and later is not proof it ran; and whether the file now in the
//! evidence is the one Windows recorded.

use std::collections::HashMap;

use konseki_model::{AmcacheEntry, Attention, EvidenceItem, Flag, ProgramFile};

/// Amcache entries by lower-cased path.
pub struct AmcacheIndex<'a> {
    by_path: HashMap<String, Vec<&'a AmcacheEntry>>,
}

impl<'a> AmcacheIndex<'a> {
    /// Indexes `entries`.
    pub fn new(entries: &'a [AmcacheEntry]) -> Self {
        let mut by_path: HashMap<String, Vec<&AmcacheEntry>> = HashMap::new();
        for e in entries {
            by_path.entry(e.path.to_lowercase()).or_default().push(e);
        }
        AmcacheIndex { by_path }
    }

    /// The entries recorded for the program at `path` (a full Windows path).
    pub fn of_program(&self, path: &str) -> Vec<&'a AmcacheEntry> {
        self.by_path
            .get(&path.to_lowercase())
            .cloned()
            .unwrap_or_default()
    }
}

/// One evidence item per entry.
pub fn amcache_items(entries: &[&AmcacheEntry]) -> Vec<EvidenceItem> {
    entries
        .iter()
        .map(|e| EvidenceItem {
            source: e.source.clone(),
            time: e.key_last_written,
            summary: format!(
                "Amcache: {} inventoried (entry key last written then){}{}: the file was on the system; on Windows 10 and later this alone does not show it ran",
                e.path,
                e.sha1.as_ref().map(|h| format!(", sha1 {h}")).unwrap_or_default(),
                e.size.map(|n| format!(", {n} bytes")).unwrap_or_default(),
            )
            .into(),
        })
        .collect()
}

/// `program_differs_from_amcache`: the program file in the evidence is not the file Amcache
/// recorded at the same path (its SHA-1 differs): it was replaced after Windows saw it.
pub fn amcache_flags(entries: &[&AmcacheEntry], programs: &[ProgramFile]) -> Vec<Attention> {
    let mut flags = Vec::new();
    for program in programs.iter().filter(|p| !p.sha1.is_empty()) {
        let recorded: Vec<&&AmcacheEntry> = entries
            .iter()
            .filter(|e| e.path.eq_ignore_ascii_case(&program.windows_path))
            .collect();
        let differs: Vec<&&AmcacheEntry> = recorded
            .iter()
            .copied()
            .filter(|e| e.sha1.as_ref().is_some_and(|h| *h != program.sha1))
            .collect();
        // Amcache hashes at most the first 31.4 MB: larger files are not compared.
        if differs.is_empty() || program.size > 31_457_280 {
            continue;
        }
        flags.push(Attention {
            id: Flag::ProgramDiffersFromAmcache,
            reason: format!(
                "the program file in the evidence ({}, sha1 {}) is not the file Amcache recorded at that path (sha1 {}): it was replaced after Windows inventoried it",
                program.windows_path,
                program.sha1,
                differs
                    .iter()
                    .filter_map(|e| e.sha1.as_deref())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            evidence: amcache_items(&differs.into_iter().copied().collect::<Vec<_>>()),
        });
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;
    use konseki_model::{ProgramKind, Provenance};
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    fn program(sha1: &str) -> ProgramFile {
        ProgramFile {
            windows_path: "C:\\tmp\\TestWriteFile.exe".into(),
            file: PathBuf::from("C/tmp/TestWriteFile.exe"),
            services: vec!["test".into()],
            size: 1536,
            sha256: "00".repeat(32),
            sha1: sha1.into(),
            machine: "x64".into(),
            kind: ProgramKind::PlainProgram,
            service_imports: Vec::new(),
            runtime_resolution: Vec::new(),
            exports_service_main: false,
            problem: None,
        }
    }

    #[test]
    fn a_replaced_program_is_flagged_and_the_same_one_is_not() {
        let entry = AmcacheEntry {
            path: "c:\\tmp\\testwritefile.exe".into(),
            sha1: Some("aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d".into()),
            size: Some(1536),
            link_date: None,
            publisher: None,
            key_last_written: Some("2026-01-04T08:00:00Z".parse().unwrap()),
            source: Provenance::registry_key(
                Arc::from(Path::new("Amcache.hve")),
                "Root\\InventoryApplicationFile\\testwritefile.exe|1".into(),
                None,
            ),
        };
        let index_entries = [entry];
        let index = AmcacheIndex::new(&index_entries);
        let recorded = index.of_program("C:\\TMP\\TestWriteFile.exe");
        assert_eq!(recorded.len(), 1);
        let same = program("aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d");
        assert!(amcache_flags(&recorded, &[same]).is_empty());
        let replaced = program("bbf4c61ddcc5e8a2dabede0f3b482cd9aea9434d");
        let flags = amcache_flags(&recorded, &[replaced]);
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].id, "program_differs_from_amcache");
        assert!(flags[0].reason.contains("sha1 aaf4c61d"));
    }
}
