//! Why an artifact (or part of one) could not be read: typed causes, each with the file and,
//! when known, the offset it concerns. Every one becomes a [`Warning`] in the report and
//! processing goes on with the rest of the evidence.

use std::path::{Path, PathBuf};

use konseki_model::Warning;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum Cause {
    /// The file could not be read.
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    /// The registry adapter could not open the hive.
    #[error("{0}")]
    Hive(#[from] konseki_registry::HiveError),
    /// A hive named like a SYSTEM hive without a `Select` key.
    #[error("no Select key: not a SYSTEM hive")]
    NotSystemHive,
    /// A hive named like a SOFTWARE hive without `CurrentVersion\SystemRoot`.
    #[error("no Microsoft\\Windows NT\\CurrentVersion\\SystemRoot: not a SOFTWARE hive")]
    NotSoftwareHive,
    /// A hive named like an Amcache without its `Root` key.
    #[error("no Root key: not an Amcache hive")]
    NotAmcacheHive,
    /// A file larger than any real artifact of its kind: not read.
    #[error("{size} bytes: too large for {what}")]
    TooLarge {
        /// Its size.
        size: u64,
        /// What it was taken for.
        what: &'static str,
    },
    /// A Task Scheduler 1.0 `.job` that does not parse.
    #[error("{0}")]
    Job(#[from] konseki_job::JobError),
    /// A walk over a key tree stopped early (depth or count bound, a loop).
    #[error("{0}")]
    Walk(String),
}

/// A [`Cause`] and where it happened.
#[derive(Debug, thiserror::Error)]
#[error("{}: {cause}", file.display())]
pub struct ReadError {
    /// The file concerned.
    pub file: PathBuf,
    /// Byte offset in it, when known.
    pub offset: Option<u64>,
    /// What went wrong.
    #[source]
    pub cause: Cause,
}

impl ReadError {
    /// `cause` in `file`, offset unknown.
    pub fn new(file: &Path, cause: impl Into<Cause>) -> ReadError {
        ReadError {
            file: file.to_path_buf(),
            offset: None,
            cause: cause.into(),
        }
    }
}

impl From<ReadError> for Warning {
    fn from(e: ReadError) -> Warning {
        Warning {
            message: e.cause.to_string(),
            file: e.file,
            offset: e.offset,
        }
    }
}
