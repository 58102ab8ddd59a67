//! The merged timeline: every dated fact extracted, with what its time means.

use std::sync::Arc;

use serde::Serialize;

use crate::evidence::{ArtifactKind, Provenance};
use crate::time::{TimeRole, Timestamp};

/// One dated fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TimelineEntry {
    /// When (UTC).
    #[serde(serialize_with = "crate::time::seven::one")]
    pub time: Timestamp,
    /// What the time means (`time_means` in every export, JSONL and CSV alike).
    #[serde(rename = "time_means")]
    pub role: TimeRole,
    /// The kind of artifact it comes from.
    pub artifact: ArtifactKind,
    /// The service it concerns, when it is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The severity of that service (`konseki scan`'s ranking), when it is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<crate::Severity>,
    /// What happened, in one line.
    pub summary: Arc<str>,
    /// Where to re-check it.
    pub source: Provenance,
}
