//! Opening a hive with its transaction logs, and walking keys.

use std::cell::Cell;
use std::io::{Read, Seek, SeekFrom};
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
    /// The base block declares more hive data than konseki reads ([`MAX_HIVE_BYTES`]).
    #[error("{path}: declares {declared} bytes of hive data, more than the {MAX_HIVE_BYTES} konseki reads: not read")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Base block plus the hive bins it declares.
        declared: u64,
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

/// The most bytes of hive data (or of one transaction log) konseki reads. notatin parses a
/// hive from memory, so a file is read whole; real SYSTEM and SOFTWARE hives are tens to a few
/// hundred MiB, and a file that declares more is refused rather than allocated (a hostile
/// "hive" can be a sparse file of gigabytes).
pub const MAX_HIVE_BYTES: u64 = 1 << 30;

/// Bytes past the hive bins a base block declares that are still read: real hives carry some
/// slack after their last bin (the corpus: up to a few hundred KiB), and a damaged base block
/// may undercount. Anything further is not read.
const SLACK_BYTES: u64 = 64 << 20;

/// A transaction log that will be offered to notatin.
struct UsableLog {
    path: PathBuf,
}

/// A file read only up to `limit` bytes: notatin reads its input whole (`read_to_end`), and
/// this bounds what it can allocate without copying the bytes through a buffer of ours first.
struct Bounded {
    file: konseki_source::Reader,
    limit: u64,
}

impl Bounded {
    fn open(path: &Path, limit: u64) -> std::io::Result<Bounded> {
        Ok(Bounded {
            file: konseki_source::open(path)?,
            limit,
        })
    }
}

impl Read for Bounded {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let at = self.file.stream_position()?;
        let room = self.limit.saturating_sub(at);
        let take = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        self.file.read(&mut buf[..take])
    }

    /// What notatin calls: the bytes up to the limit (or the end) in one allocation of their
    /// size, as `File` itself reads, not a buffer grown by doubling.
    fn read_to_end(&mut self, buf: &mut Vec<u8>) -> std::io::Result<usize> {
        let at = self.file.stream_position()?;
        let end = self.file.len()?.min(self.limit);
        let want = end.saturating_sub(at);
        buf.try_reserve_exact(usize::try_from(want).unwrap_or(usize::MAX))?;
        (&mut self.file).take(want).read_to_end(buf)
    }
}

impl Seek for Bounded {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.file.seek(pos)
    }
}

impl Hive {
    /// Opens `path` and replays the new-format logs among `logs` when the hive is dirty. A log
    /// that is old-format, empty, foreign (its base block names another hive) or too large is
    /// set aside with a warning; when the usable logs cannot be applied at all, the primary file
    /// is read alone, with a warning naming them: a bad log never costs the hive.
    pub fn open(path: &Path, logs: &[PathBuf]) -> Result<Hive, HiveError> {
        let head = read_head(path, 4096)?;
        let base = BaseBlock::parse(&head).ok_or_else(|| HiveError::NotAHive {
            path: path.to_path_buf(),
        })?;
        let declared = 4096 + u64::from(base.hive_bins_size);
        if declared > MAX_HIVE_BYTES {
            return Err(HiveError::TooLarge {
                path: path.to_path_buf(),
                declared,
            });
        }
        let mut info = HiveInfo {
            path: path.to_path_buf(),
            dirty: base.is_dirty(),
            primary_sequence: base.primary_sequence,
            secondary_sequence: base.secondary_sequence,
            logs: Vec::new(),
            replayed: false,
            warnings: Vec::new(),
        };
        let usable = usable_logs(&base, logs, &mut info);
        let names: Vec<String> = usable
            .iter()
            .map(|l| l.path.display().to_string())
            .collect();
        let limit = declared + SLACK_BYTES;
        let open = || {
            Bounded::open(path, limit).map_err(|source| HiveError::Io {
                path: path.to_path_buf(),
                source,
            })
        };
        let parser = match build(open()?, usable) {
            Ok(parser) => parser,
            Err(reason) if !names.is_empty() => {
                info.warnings.push(format!(
                    "transaction log(s) {} could not be applied ({reason}): the primary file was read alone, so its last writes may be missing",
                    names.join(", ")
                ));
                for log in &mut info.logs {
                    log.format = LogFormat::Unusable;
                }
                build(open()?, Vec::new()).map_err(|reason| HiveError::Parse {
                    path: path.to_path_buf(),
                    reason,
                })?
            }
            Err(reason) => {
                return Err(HiveError::Parse {
                    path: path.to_path_buf(),
                    reason,
                })
            }
        };
        // notatin says what it applied only in words: "Applied transaction log(s). Sequence
        // numbers have been updated to N" (N = 0: no entry applied). A log older than the hive
        // ("Skipping log file") is normal beside one that applies: Windows alternates them.
        let mut applied_sequence = 0;
        if let Some(logs) = parser.get_parse_logs().get() {
            for log in logs {
                if let Some(n) = applied_sequence_number(&log.text) {
                    applied_sequence = n;
                }
                info.warnings.push(log.text.clone());
            }
        }
        info.replayed = info.dirty && applied_sequence != 0;
        if info.dirty && !info.replayed {
            let offered: Vec<String> = info
                .logs
                .iter()
                .map(|l| l.path.display().to_string())
                .collect();
            info.warnings.push(if offered.is_empty() {
                "hive is dirty and no transaction log was found beside it: recent changes may be missing".to_string()
            } else {
                format!(
                    "hive is dirty and none of its transaction logs ({}) could be replayed: recent changes may be missing",
                    offered.join(", ")
                )
            });
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

    /// The sub-key `name` (or `name\\…` path) of `key`, when present. Looked up from `key`,
    /// not from the root: notatin reads every sibling at each level it passes (each key node
    /// parsed and hashed), so a walk from the root to each of a SYSTEM hive's hundreds of
    /// services read all of them again for every one.
    pub fn subkey(&mut self, key: &Key, name: &str) -> Option<Key> {
        let prefix = self.root_prefix_len;
        let mut node = key.node.clone();
        self.guarded(|p| node.get_sub_key_by_path(p, name))
            .map(|node| Key::from_node(node, prefix))
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

/// N of notatin's "Applied transaction log(s). Sequence numbers have been updated to N. …".
fn applied_sequence_number(text: &str) -> Option<u32> {
    let rest = text
        .strip_prefix("Applied transaction log(s).")?
        .split("updated to ")
        .nth(1)?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// The logs among `offered` notatin can apply to this hive, each read into memory; the others
/// are recorded in `info` with why they are set aside.
fn usable_logs(base: &BaseBlock, offered: &[PathBuf], info: &mut HiveInfo) -> Vec<UsableLog> {
    let mut usable = Vec::new();
    for log in offered {
        let bytes = read_head(log, 4096).unwrap_or_default();
        let size = konseki_source::metadata(log).map_or(0, |m| m.len);
        let mut format = sniff_log(&bytes);
        let shown = log.display();
        let foreign = BaseBlock::parse(&bytes).filter(|l| {
            !l.file_name.is_empty()
                && !base.file_name.is_empty()
                && !l.file_name.eq_ignore_ascii_case(&base.file_name)
        });
        if let Some(other) = foreign {
            format = LogFormat::Unusable;
            info.warnings.push(format!(
                "{shown}: transaction log of another hive (it names `{}`, this hive `{}`): not applied",
                other.file_name, base.file_name
            ));
        } else if size > MAX_HIVE_BYTES {
            format = LogFormat::Unusable;
            info.warnings.push(format!(
                "{shown}: transaction log larger than {MAX_HIVE_BYTES} bytes: not read"
            ));
        } else {
            match format {
                LogFormat::New => usable.push(UsableLog { path: log.clone() }),
                LogFormat::Old => info.warnings.push(format!(
                    "{shown}: old-format (Vista/7) transaction log: not replayed, the hive may miss its last writes"
                )),
                LogFormat::Unusable => info.warnings.push(format!(
                    "{shown}: not a usable transaction log (empty or no HvLE/DIRT signature): ignored"
                )),
            }
        }
        info.logs.push(LogFileInfo {
            path: log.clone(),
            format,
        });
    }
    usable
}

/// notatin's parser over the primary bytes with these logs, guarded; the error says why.
fn build(primary: Bounded, logs: Vec<UsableLog>) -> Result<Parser, String> {
    let mut builder = ParserBuilder::from_file(primary);
    builder.recover_deleted(false);
    for log in logs {
        let file = Bounded::open(&log.path, MAX_HIVE_BYTES)
            .map_err(|e| format!("{}: cannot read: {e}", log.path.display()))?;
        builder.with_transaction_log(file);
    }
    guard(|| builder.build())?.map_err(|e| e.to_string())
}

thread_local! {
    /// Set while notatin runs on this thread: a panic there is damage in the evidence, caught
    /// and reported as a warning, not a crash to print.
    static IN_PARSER: Cell<bool> = const { Cell::new(false) };
}

/// Whether this thread is inside a guarded notatin call: a panic hook stays silent then (the
/// panic is caught and becomes a warning; no message or backtrace belongs on stderr).
pub fn in_guarded_parser() -> bool {
    IN_PARSER.with(Cell::get)
}

/// notatin reads attacker-controlled bytes; a panic in it must not end the run.
fn guard<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let was = IN_PARSER.with(|flag| flag.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    IN_PARSER.with(|flag| flag.set(was));
    result.map_err(|payload| {
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
    konseki_source::open(path)
        .map_err(io)?
        .take(len)
        .read_to_end(&mut head)
        .map_err(io)?;
    Ok(head)
}
