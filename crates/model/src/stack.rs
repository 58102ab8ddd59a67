//! Stacking: how many hosts of a fleet hold each autostart entity, rarest first (long-tail
//! analysis: the one host whose services differ from the rest's).

use serde::Serialize;

use crate::Severity;

/// The kind of entity stacked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// A service.
    Service,
    /// An autostart entry (Run key, Startup item, Winlogon, IFEO, COM class…).
    Autostart,
    /// A scheduled task.
    Task,
}

impl EntityKind {
    /// The name, as serialised.
    pub fn label(self) -> &'static str {
        match self {
            EntityKind::Service => "service",
            EntityKind::Autostart => "autostart",
            EntityKind::Task => "task",
        }
    }
}

/// What makes two hosts' entities one: compared lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StackKey {
    /// Its kind.
    pub kind: EntityKind,
    /// Where it is: the autostart location id; empty for services and tasks.
    pub location: String,
    /// Its name: service key, value or file name, task path.
    pub name: String,
    /// What it runs: a service's program (and ServiceDll), an entry's command, a task's
    /// actions.
    pub program: String,
}

/// One entity of one host, to stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackItem {
    /// The host's label.
    pub host: String,
    /// What it is.
    pub key: StackKey,
    /// Its severity on that host.
    pub severity: Severity,
}

/// One stacked entity: the hosts that hold it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StackRow {
    /// What it is (lower-cased).
    #[serde(flatten)]
    pub key: StackKey,
    /// How many hosts hold it.
    pub host_count: usize,
    /// Of how many hosts stacked.
    pub of_hosts: usize,
    /// The hosts that hold it.
    pub hosts: Vec<String>,
    /// The highest severity it has on any of them.
    pub severity: Severity,
}
