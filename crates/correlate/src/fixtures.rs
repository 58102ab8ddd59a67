//! Small hand-built timelines for the reasoning's unit tests: one service's SCM events and its
//! host's boot markers on WS01, each an event record of `System.evtx` numbered in order.

use std::path::Path;
use std::sync::Arc;

use konseki_model::{
    BootMarker, BootMarkerKind, Install, KeyLink, Provenance, ScmEvent, ScmEventKind, Timestamp,
};

/// `2026-01-05T08:00:00Z` plus `seconds`.
pub fn at(seconds: f64) -> Timestamp {
    "2026-01-05T08:00:00Z".parse::<Timestamp>().unwrap()
        + jiff::SignedDuration::from_secs_f64(seconds)
}

fn record(record_id: u64, event_id: u16) -> Provenance {
    Provenance::EventRecord {
        file: Arc::from(Path::new("System.evtx")),
        record_id,
        event_id,
    }
}

/// An SCM event of service `svc` at `seconds`, record `record_id`.
pub fn scm(event_id: u16, seconds: f64, record_id: u64, what: ScmEventKind) -> ScmEvent {
    ScmEvent {
        event_id,
        time: at(seconds),
        service: "svc".into(),
        display_name: Some("Service".into()),
        link: KeyLink::Binary,
        what,
        computer: "WS01".into(),
        user_sid: None,
        source: record(record_id, event_id),
        data: Default::default(),
    }
}

/// A 7045 of an auto-start own-process service running `image`.
pub fn installed(seconds: f64, record_id: u64, image: &str) -> ScmEvent {
    scm(
        7045,
        seconds,
        record_id,
        ScmEventKind::Installed {
            install: Box::new(Install {
                image_path: image.into(),
                start_type: "auto start".into(),
                service_type: "user mode service".into(),
                account: "LocalSystem".into(),
                executable: image.into(),
            }),
        },
    )
}

/// A 7009 logging a wait of `ms`.
pub fn timed_out(seconds: f64, record_id: u64, ms: u64) -> ScmEvent {
    scm(
        7009,
        seconds,
        record_id,
        ScmEventKind::ConnectTimeout {
            timeout_ms: Some(ms),
        },
    )
}

/// A 7000 with `error` (`%%1053`, `%%2`…).
pub fn start_failed(seconds: f64, record_id: u64, error: &str) -> ScmEvent {
    scm(
        7000,
        seconds,
        record_id,
        ScmEventKind::StartFailed {
            error: error.into(),
        },
    )
}

/// A 7036 into `state` (`running`, `stopped`).
pub fn state(seconds: f64, record_id: u64, state: &str) -> ScmEvent {
    scm(
        7036,
        seconds,
        record_id,
        ScmEventKind::StateChanged {
            state: state.into(),
        },
    )
}

/// A 7031 (corrective action `restart` or none).
pub fn crashed(seconds: f64, record_id: u64, restart: bool) -> ScmEvent {
    scm(
        7031,
        seconds,
        record_id,
        ScmEventKind::Crashed {
            count: Some(1),
            action_delay_ms: Some(60_000),
            action: restart.then(|| "Restart the service".into()),
        },
    )
}

/// A boot or shutdown marker.
pub fn marker(kind: BootMarkerKind, seconds: f64, record_id: u64) -> BootMarker {
    let event_id = match kind {
        BootMarkerKind::Boot => 6005,
        BootMarkerKind::Shutdown => 6006,
        _ => 6008,
    };
    BootMarker {
        kind,
        time: at(seconds),
        computer: "WS01".into(),
        source: record(record_id, event_id),
    }
}
