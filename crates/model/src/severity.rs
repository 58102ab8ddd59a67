//! How much an entity deserves the examiner's attention first: a severity and the rules that
//! set it (`data/severity/rules.toml`), each with its MITRE ATT&CK technique.

use serde::{Deserialize, Serialize};

/// Severity, lowest first (so that `max` is the most severe).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Nothing to look at: no rule met (or a responder tool's footprint).
    #[default]
    Info,
    /// A weakness with no evidence of use.
    Low,
    /// Unusual, but common on clean systems.
    Medium,
    /// What attackers or broken installers produce.
    High,
    /// A persisted program that ran in a way only an intrusion explains until shown otherwise.
    Critical,
}

impl Severity {
    /// The name, as serialised.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Severity, String> {
        Severity::deserialize(
            serde::de::value::StrDeserializer::<serde::de::value::Error>::new(
                &s.to_ascii_lowercase(),
            ),
        )
        .map_err(|_| format!("`{s}`: not a severity (critical, high, medium, low, info)"))
    }
}

/// A rule an entity met.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SeverityReason {
    /// The rule's id (`data/severity/rules.toml`).
    pub rule: String,
    /// The severity it sets.
    pub severity: Severity,
    /// MITRE ATT&CK technique id.
    pub attack: String,
    /// Why, in one sentence.
    pub why: String,
}

/// An entity's rank.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Ranking {
    /// The highest severity of the rules met; `info` when none, or for a responder tool.
    pub severity: Severity,
    /// The rules met, most severe first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity_reasons: Vec<SeverityReason>,
    /// When its name or program is that of a responder's tool (FTK Imager, F-Response,
    /// WinPmem…): the tool and why it leaves this footprint. Ranked `info`, not hidden; a name
    /// is no proof, check it against the acquisition notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responder_tool: Option<String>,
    /// A stock Windows service with Windows' own program: the versions whose installs have it
    /// so (`data/baseline/services.toml`). Empty: not known to be stock.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stock_in: Vec<String>,
}
