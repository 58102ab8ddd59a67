//! Opening a hive with its transaction logs, and walking keys.

use std::fs::File;
use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use notatin::parser::Parser;
use notatin::parser_builder::ParserBuilder;

use crate::base_block::{sniff_log, BaseBlock, LogFormat};
use crate::key::Key;

/// An open hive. All reads are from an in-memory copy; the file itself is opened read-only.
pub struct Hive {
    parser: Parser,
    /// What opening the hive established: dirtiness, logs, warnings.
    pub info: HiveInfo,
    root_prefix_len: usize,
}

/// The state of a hive and of its transaction logs, as found when opening it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HiveInfo {
    /// The primary file.
    pub path: PathBuf,
    /// Primary ≠ secondary sequence number in the base block.
    pub dirty: bool,
    /// Primary sequence number.
    pub primary_sequence: u32,
    /// Secondary sequence number.
    pub secondary_sequence: u32,
    /// The transaction logs offered, with their format.
    pub logs: Vec<LogFileInfo>,
    /// Whether new-format log entries were replayed onto the hive.
    pub replayed: bool,
    /// Everything worth telling the examiner: skipped logs, notatin's own parse warnings.
    pub warnings: Vec<String>,
}

/// One transaction log file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFileInfo {
    /// The log file.
    pub path: PathBuf,
    /// Its format; only [`LogFormat::New`] logs are replayed.
    pub format: LogFormat,
}

/// Why a hive could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HiveError {
    /// The file cannot be read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// No `regf` signature.
    #[error("{path}: not a registry hive (no 'regf' signature at offset 0)")]
    NotAHive {
        /// The file.
        path: PathBuf,
    },
    /// notatin refused the file.
    #[error("{path}: registry hive could not be parsed: {reason}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's explanation.
        reason: String,
    },
}

impl Hive {
    /// Opens `path` and replays the new-format logs among `logs` when the hive is dirty.
    pub fn open(path: &Path, logs: &[PathBuf]) -> Result<Hive, HiveError> {
        let head = read_head(path, 4096)?;
        let base = BaseBlock::parse(&head).ok_or_else(|| HiveError::NotAHive {
            path: path.to_path_buf(),
        })?;
        let mut info = HiveInfo {
            path: path.to_path_buf(),
            dirty: base.is_dirty(),
            primary_sequence: base.primary_sequence,
            secondary_sequence: base.secondary_sequence,
            logs: Vec::new(),
            replayed: false,
            warnings: Vec::new(),
        };
        // notatin wants an owned `'static` path; clippy misreads the borrow as unnecessary.
        #[allow(clippy::unnecessary_to_owned)]
        let mut builder = ParserBuilder::from_path(path.to_path_buf());
        builder.recover_deleted(false);
        for log in logs {
            let format = read_head(log, 516).map_or(LogFormat::Unusable, |h| sniff_log(&h));
            match format {
                LogFormat::New => {
                    builder.with_transaction_log(log.clone());
                }
                LogFormat::Old => info.warnings.push(format!(
                    "{}: old-format (Vista/7) transaction log: not replayed, the hive may miss its last writes",
                    log.display()
                )),
                LogFormat::Unusable => info.warnings.push(format!(
                    "{}: not a usable transaction log (empty or no HvLE/DIRT signature): ignored",
                    log.display()
                )),
            }
            info.logs.push(LogFileInfo {
                path: log.clone(),
                format,
            });
        }
        let parser = guard(|| builder.build())
            .map_err(|reason| HiveError::Parse {
                path: path.to_path_buf(),
                reason,
            })?
            .map_err(|e| HiveError::Parse {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        let mut skipped_logs = false;
        if let Some(logs) = parser.get_parse_logs().get() {
            for log in logs {
                skipped_logs |= log.text.starts_with("Skipping");
                info.warnings.push(log.text.clone());
            }
        }
        let new_logs = info.logs.iter().any(|l| l.format == LogFormat::New);
        info.replayed = info.dirty && new_logs && !skipped_logs;
        if info.dirty && !info.replayed {
            info.warnings.push(
                "hive is dirty and no transaction log was replayed: recent changes may be missing"
                    .to_string(),
            );
        }
        let mut hive = Hive {
            parser,
            info,
            root_prefix_len: 0,
        };
        // notatin's paths start with the root key's name (e.g. `ROOT` or `CMI-CreateHive{…}`).
        if let Some(root) = hive.guarded(|p| p.get_root_key().ok().flatten()) {
            hive.root_prefix_len = root.path.len();
        }
        Ok(hive)
    }

    /// The key at `path` (relative to the root, `\`-separated, case-insensitive).
    pub fn key(&mut self, path: &str) -> Option<Key> {
        let prefix = self.root_prefix_len;
        self.guarded(|p| p.get_key(path, false).ok().flatten())
            .map(|node| Key::from_node(node, prefix))
    }

    /// The direct sub-keys of `key`.
    pub fn subkeys(&mut self, key: &Key) -> Vec<Key> {
        let prefix = self.root_prefix_len;
        let mut node = key.node.clone();
        self.guarded(|p| Some(node.read_sub_keys(p)))
            .unwrap_or_default()
            .into_iter()
            .map(|n| Key::from_node(n, prefix))
            .collect()
    }

    /// The sub-key `name` of `key`, when present.
    pub fn subkey(&mut self, key: &Key, name: &str) -> Option<Key> {
        let path = if key.path.is_empty() {
            name.to_string()
        } else {
            format!("{}\\{}", key.path, name)
        };
        self.key(&path)
    }

    /// Runs a notatin call, turning a panic inside it into `None` plus a warning.
    fn guarded<T>(&mut self, f: impl FnOnce(&mut Parser) -> Option<T>) -> Option<T> {
        let parser = &mut self.parser;
        match guard(|| f(parser)) {
            Ok(v) => v,
            Err(reason) => {
                self.info.warnings.push(reason);
                None
            }
        }
    }
}

/// notatin reads attacker-controlled bytes; a panic in it must not end the run.
fn guard<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        format!("the hive parser failed on damaged data ({what}); this part was skipped")
    })
}

fn read_head(path: &Path, len: u64) -> Result<Vec<u8>, HiveError> {
    let io = |source| HiveError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut head = Vec::new();
    File::open(path)
        .map_err(io)?
        .take(len)
        .read_to_end(&mut head)
        .map_err(io)?;
    Ok(head)
}
