//! One-line descriptions of evidence, and the wording of durations and errors.

use std::cell::RefCell;
use std::path::Path;
use std::sync::Arc;

use foldhash::{HashMap, HashSet};

use konseki_model::{BootMarkerKind, EvidenceItem, Provenance, ScmEvent, ScmEventKind};

/// Whether two evidence files are the same file, as the walk named them: one `Arc` per file,
/// else the same bytes. Paths of one discovery are compared as written, not component by
/// component (which was most of a large scan's correlation where records of copies collide).
pub(crate) fn same_file(a: &Arc<Path>, b: &Arc<Path>) -> bool {
    Arc::ptr_eq(a, b) || a.as_os_str() == b.as_os_str()
}

/// A record as a narrative cites it: `4698 record 7` for an event, the key or file otherwise.
pub(crate) fn record_text(source: &Provenance) -> String {
    match source {
        Provenance::EventRecord {
            record_id,
            event_id,
            ..
        } => format!("{event_id} record {record_id}"),
        Provenance::RegistryKey { at, .. } => format!("key {}", at.key),
        Provenance::MftEntry { entry, .. } => format!("$MFT entry {entry}"),
        Provenance::File { file } => file.display().to_string(),
    }
}

/// The evidence item for an SCM event.
pub(crate) fn event_item(event: &ScmEvent) -> EvidenceItem {
    EvidenceItem {
        source: event.source.clone(),
        time: Some(event.time),
        summary: event_summary(event),
    }
}

thread_local! {
    /// Summaries by event id and what the event says (all a summary depends on): a service
    /// started at every boot for years cites the same few events thousands of times, and
    /// looking one up costs less than writing it again.
    static BY_EVENT: RefCell<HashMap<u16, HashMap<ScmEventKind, Arc<str>>>> =
        RefCell::new(HashMap::default());
}

/// The summary of `event`, shared with every event that says the same.
fn event_summary(event: &ScmEvent) -> Arc<str> {
    BY_EVENT.with(|by_event| {
        let mut by_event = by_event.borrow_mut();
        let of_id = by_event.entry(event.event_id).or_default();
        if let Some(known) = of_id.get(&event.what) {
            return known.clone();
        }
        if of_id.len() >= MAX_SHARED {
            of_id.clear();
        }
        let summary = shared(describe_event(event));
        of_id.insert(event.what.clone(), summary.clone());
        summary
    })
}

/// Distinct summaries kept per thread before the set starts over: bounds memory on crafted
/// input, and real logs repeat far fewer.
const MAX_SHARED: usize = 16_384;

thread_local! {
    static SUMMARIES: RefCell<HashSet<Arc<str>>> = RefCell::new(HashSet::default());
}

/// One allocation per distinct summary: most events say the same thing ("7036: service entered
/// the running state"), and a large case cites hundreds of thousands of them.
pub(crate) fn shared(summary: String) -> Arc<str> {
    SUMMARIES.with(|set| {
        let mut set = set.borrow_mut();
        if let Some(known) = set.get(summary.as_str()) {
            return known.clone();
        }
        if set.len() >= MAX_SHARED {
            set.clear();
        }
        let summary: Arc<str> = summary.into();
        set.insert(summary.clone());
        summary
    })
}

fn describe_event(e: &ScmEvent) -> String {
    let id = e.event_id;
    match &e.what {
        ScmEventKind::Installed { install } => format!(
            "{id}: service installed, ImagePath `{}`, start type {}, account {}",
            install.image_path, install.start_type, install.account
        ),
        ScmEventKind::ConnectTimeout { timeout_ms } => format!(
            "{id}: the SCM started the program and waited {} ms for it to connect; it did not",
            timeout_ms.map_or("?".to_string(), |t| t.to_string())
        ),
        ScmEventKind::StartFailed { error } => {
            format!("{id}: service failed to start: {}", win32_error_text(error))
        }
        ScmEventKind::TransactionTimeout { timeout_ms } => format!(
            "{id}: timeout ({} ms) waiting for a transaction response",
            timeout_ms.map_or("?".to_string(), |t| t.to_string())
        ),
        ScmEventKind::HungOnStart => format!("{id}: service hung on starting"),
        ScmEventKind::TerminatedWithError { error } => {
            format!(
                "{id}: service terminated with error {}",
                win32_error_text(error)
            )
        }
        ScmEventKind::Crashed {
            count,
            action_delay_ms,
            action,
        } => format!(
            "{id}: service terminated unexpectedly ({} time(s)){}",
            count.map_or("?".to_string(), |c| c.to_string()),
            match (action, action_delay_ms) {
                (Some(a), Some(d)) => format!("; corrective action in {d} ms: {a}"),
                (Some(a), None) => format!("; corrective action: {a}"),
                _ => String::new(),
            }
        ),
        ScmEventKind::RecoveryFailed { action, error } => {
            format!("{id}: corrective action {action} failed: {error}")
        }
        ScmEventKind::StateChanged { state } => format!("{id}: service entered the {state} state"),
        ScmEventKind::StartTypeChanged { from, to } => {
            format!("{id}: start type changed from {from} to {to}")
        }
        ScmEventKind::DriversFailed { .. } => {
            format!("{id}: boot/system-start driver failed to load")
        }
    }
}

/// `%%1053` → `%%1053 (ERROR_SERVICE_REQUEST_TIMEOUT: …)` for the errors that matter to a
/// verdict (winerror.h). Unknown codes are returned as logged.
pub fn win32_error_text(error: &str) -> String {
    let meaning = match error.trim() {
        "%%1053" => "ERROR_SERVICE_REQUEST_TIMEOUT: the service did not respond to the start request in a timely fashion",
        "%%2" => "ERROR_FILE_NOT_FOUND: the image file was not found",
        "%%3" => "ERROR_PATH_NOT_FOUND: the image path was not found",
        "%%5" => "ERROR_ACCESS_DENIED",
        "%%193" => "ERROR_BAD_EXE_FORMAT: not a valid Win32 application",
        "%%216" => "ERROR_EXE_MACHINE_TYPE_MISMATCH",
        "%%50" => "ERROR_NOT_SUPPORTED",
        "%%1058" => "ERROR_SERVICE_DISABLED",
        "%%1069" => "ERROR_SERVICE_LOGON_FAILED: the service account could not log on",
        "%%1275" => "ERROR_DRIVER_BLOCKED",
        "%%577" => "ERROR_INVALID_IMAGE_HASH: signature check failed",
        _ => return error.to_string(),
    };
    format!("{error} ({meaning})")
}

/// Errors after which the image was certainly not run: the process was never created.
pub(crate) fn error_means_not_executed(error: &str) -> bool {
    matches!(
        error.trim(),
        "%%2" | "%%3" | "%%193" | "%%216" | "%%1058" | "%%1069" | "%%1275" | "%%577"
    )
}

/// "≤ 0.55 s", "≤ 30 s", "≤ 10 min": an upper bound, so rounded *up*.
pub fn format_duration_at_most(ms: u64) -> String {
    if ms < 10_000 {
        let centis = ms.div_ceil(10);
        let text = format!("{}.{:02}", centis / 100, centis % 100);
        let text = text.trim_end_matches('0').trim_end_matches('.');
        format!("≤ {text} s")
    } else if ms < 120_000 {
        format!("≤ {} s", ms.div_ceil(1000))
    } else if ms < 7_200_000 {
        format!("≤ {} min", ms.div_ceil(60_000))
    } else {
        format!("≤ {} h", ms.div_ceil(3_600_000))
    }
}

/// A length of time to the second, in its largest units: `3 h 0 min 0 s` → `3 h`,
/// `2 h 29 min 5 s`, `33.6 s`.
pub(crate) fn format_duration(d: std::time::Duration) -> String {
    let ms = d.as_millis();
    if ms < 60_000 {
        let tenths = ms.div_ceil(100);
        return format!("{}.{} s", tenths / 10, tenths % 10).replace(".0 s", " s");
    }
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let parts: Vec<String> = [(h, "h"), (m, "min"), (s, "s")]
        .iter()
        .skip_while(|(n, _)| *n == 0)
        .map(|(n, unit)| format!("{n} {unit}"))
        .collect();
    let mut parts = parts;
    while parts.len() > 1 && parts.last().is_some_and(|p| p.starts_with("0 ")) {
        parts.pop();
    }
    parts.join(" ")
}

/// What a boot marker says, for the timeline and the boot sessions.
pub(crate) fn marker_text(kind: BootMarkerKind) -> &'static str {
    match kind {
        BootMarkerKind::Boot => "system boot",
        BootMarkerKind::BootInfo => "system boot (OS version logged)",
        BootMarkerKind::Shutdown => "system shutdown",
        BootMarkerKind::ShutdownInitiated => "shutdown or restart initiated",
        BootMarkerKind::UnexpectedShutdown => "the previous shutdown was unexpected",
        BootMarkerKind::LogCleared => "event log cleared",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_up() {
        assert_eq!(format_duration_at_most(547), "≤ 0.55 s");
        assert_eq!(format_duration_at_most(440), "≤ 0.44 s");
        assert_eq!(format_duration_at_most(1000), "≤ 1 s");
        assert_eq!(format_duration_at_most(30_000), "≤ 30 s");
        assert_eq!(format_duration_at_most(600_000), "≤ 10 min");
        assert_eq!(format_duration_at_most(0), "≤ 0 s");
    }

    #[test]
    fn errors_are_explained() {
        assert!(win32_error_text("%%1053").contains("timely"));
        assert_eq!(win32_error_text("%%9999"), "%%9999");
        assert!(error_means_not_executed("%%2"));
        assert!(!error_means_not_executed("%%1053"));
    }
}
