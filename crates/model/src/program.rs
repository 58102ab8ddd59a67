//! A service's program file found in the evidence, and what its imports say it can do.

use std::path::PathBuf;

use serde::Serialize;

/// What a program file is, from its imports and exports (a static check).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProgramKind {
    /// An executable importing the service-control functions (`StartServiceCtrlDispatcher`…).
    ServiceProgram,
    /// A DLL exporting `ServiceMain` (hosted by svchost).
    ServiceDll,
    /// An executable importing none of them: started as a service, it runs until the
    /// ServicesPipeTimeout and is given up on, every time (unless it resolves them at run time).
    PlainProgram,
    /// A DLL without `ServiceMain`.
    PlainDll,
    /// A .NET program: the runtime makes the calls; its imports cannot tell.
    Managed,
    /// Not a readable PE image (see `problem`).
    NotPe,
}

/// A program named by a service's configuration (ImagePath or ServiceDll), found in the evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ProgramFile {
    /// The Windows path the configuration names (expanded).
    pub windows_path: String,
    /// The file in the evidence.
    #[serde(serialize_with = "crate::path_text::one")]
    pub file: PathBuf,
    /// The service keys whose ImagePath or ServiceDll names it.
    pub services: Vec<String>,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lower-case hex (empty when the file could not be read).
    pub sha256: String,
    /// SHA-1, lower-case hex (what Amcache records).
    pub sha1: String,
    /// `x64`, `x86`, `arm64`… (empty when not a PE image).
    pub machine: String,
    /// The conclusion of the check.
    pub kind: ProgramKind,
    /// Service-control functions imported, `library!function`.
    pub service_imports: Vec<String>,
    /// Functions that let it resolve others at run time (`GetProcAddress`…): a plain program
    /// importing them could still find the service-control functions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub runtime_resolution: Vec<String>,
    /// Exports `ServiceMain`.
    pub exports_service_main: bool,
    /// Why the check could not be made, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// A Prefetch file: a program's runs as Windows' prefetcher recorded them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PrefetchEntry {
    /// Executable name as recorded (upper case, at most 29 characters).
    pub executable: String,
    /// Path hash (`AD70946C`).
    pub hash: String,
    /// Format version.
    pub version: u32,
    /// Runs counted by the prefetcher.
    pub run_count: u32,
    /// The last run times kept (up to 8; most recent first). Time role: program run.
    #[serde(serialize_with = "crate::time::seven::all")]
    pub last_runs: Vec<crate::Timestamp>,
    /// The program's own path among the files it loaded (`\VOLUME{…}\WINDOWS\PSEXESVC.EXE`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program_path: Option<String>,
    /// The prefetch file.
    pub source: crate::Provenance,
}

/// An Amcache.hve file entry: Windows recorded the program file (its path and SHA-1). On
/// Windows 10 and later this shows the file was present and inventoried, not that it ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AmcacheEntry {
    /// Full path as recorded (lower case in `InventoryApplicationFile`).
    pub path: String,
    /// SHA-1 of the file's first 31.4 MB (all of any smaller file), lower-case hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha1: Option<String>,
    /// Size in bytes, when recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// PE link date as recorded (`MM/DD/YYYY HH:MM:SS`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_date: Option<String>,
    /// Publisher (`InventoryApplicationFile`), when recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    /// The entry key's last-write time (time role: key last written; usually when Windows
    /// first inventoried the file, or last updated the entry).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::time::seven::option")]
    pub key_last_written: Option<crate::Timestamp>,
    /// The entry's key.
    pub source: crate::Provenance,
}
