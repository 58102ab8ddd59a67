//! Files created or modified inside a run window ($MFT times). What a program did before the
//! SCM gave up on it happened: the reference experiment's file was created one second before
//! the 7009. This is temporal correlation, not proof of causation, and it is worded so.
//!
//! Both attributes count: $STANDARD_INFORMATION (what tools show; settable from user mode, so a
//! backdated SI time hides a file from this view) and $FILE_NAME (set by the kernel when the
//! file is created or renamed).

use konseki_model::{EvidenceItem, FileEntry, RunWindow, Timestamp};

/// At most this many files are listed per window, the closest to its end first kept.
const MAX_PER_WINDOW: usize = 50;

/// One file time, for the sorted index.
struct Stamp {
    time: Timestamp,
    file: usize,
    what: &'static str,
}

/// File times sorted once, then looked up per window.
pub struct FileTimeline<'a> {
    files: &'a [FileEntry],
    stamps: Vec<Stamp>,
}

impl<'a> FileTimeline<'a> {
    /// Indexes the creation and modification times of every file (not directories).
    pub fn new(files: &'a [FileEntry]) -> FileTimeline<'a> {
        let mut stamps = Vec::new();
        for (i, f) in files.iter().enumerate().filter(|(_, f)| !f.is_dir) {
            if let Some(si) = f.si {
                stamps.push(Stamp {
                    time: si.created,
                    file: i,
                    what: "created ($SI)",
                });
                if si.modified != si.created {
                    stamps.push(Stamp {
                        time: si.modified,
                        file: i,
                        what: "modified ($SI)",
                    });
                }
            }
            if let Some(fnt) = f.fn_times {
                if f.si.is_none_or(|si| si.created != fnt.created) {
                    stamps.push(Stamp {
                        time: fnt.created,
                        file: i,
                        what: "created ($FN)",
                    });
                }
            }
        }
        stamps.sort_by_key(|s| s.time);
        FileTimeline { files, stamps }
    }

    /// The file times inside `run`'s window, in time order, each as an evidence item.
    pub fn inside(&self, run: &RunWindow) -> Vec<EvidenceItem> {
        let (Some(from), Some(to)) = run.matching_span() else {
            return Vec::new();
        };
        let first = self.stamps.partition_point(|s| s.time < from);
        let last = self.stamps.partition_point(|s| s.time <= to);
        let inside = &self.stamps[first..last];
        let keep = inside.len().saturating_sub(MAX_PER_WINDOW);
        inside[keep..]
            .iter()
            .map(|s| {
                let f = &self.files[s.file];
                // Across a step of the clock, a clock difference is not time that passed.
                let when = if run.clock_span.is_some() {
                    "inside the run, whose clock was changed (see its clock steps)".to_string()
                } else {
                    format!(
                        "{:.3} s before the run window's end",
                        to.duration_since(s.time).as_secs_f64()
                    )
                };
                EvidenceItem {
                    source: f.source.clone(),
                    time: Some(s.time),
                    summary: format!(
                        "{} {}{}, {when}",
                        f.path,
                        s.what,
                        f.size.map(|n| format!(", {n} bytes")).unwrap_or_default(),
                    )
                    .into(),
                }
            })
            .collect()
    }
}
