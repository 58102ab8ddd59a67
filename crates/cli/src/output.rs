//! Where output goes: standard output or a file, never onto the evidence.
//!
//! Evidence must never be written. An `-o FILE` that names an input file, lies inside an input
//! folder, or is the same file as an evidence file under another name (a symbolic or hard link)
//! is refused before anything is opened for writing: paths are compared canonically (symlinks
//! and `..` resolved) and files by identity (device and inode on Unix, volume and file index on
//! Windows, through the `same-file` crate).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

/// The command refused to write where it was asked to (documented in README.md, "Exit codes").
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// Opens the output: the file when given (created or truncated) once [`refuse_evidence`] allows
/// it, else buffered stdout.
pub fn open(
    path: Option<&Path>,
    roots: &[PathBuf],
    evidence: &[&Path],
) -> anyhow::Result<Box<dyn Write>> {
    Ok(match path {
        Some(p) => {
            refuse_evidence(p, roots, evidence)?;
            Box::new(BufWriter::new(File::create(p).with_context(|| {
                format!("cannot create output file {}", p.display())
            })?))
        }
        None => Box::new(BufWriter::new(io::stdout().lock())),
    })
}

/// Fails with [`Refused`] when `output` is, or lies inside, one of the `roots` given as
/// evidence, or is the same file as one of the `evidence` files read (through any link).
pub fn refuse_evidence(output: &Path, roots: &[PathBuf], evidence: &[&Path]) -> anyhow::Result<()> {
    let target = resolved(output)
        .with_context(|| format!("cannot resolve output path {}", output.display()))?;
    for root in roots {
        let Ok(root_real) = root.canonicalize() else {
            continue;
        };
        if target == root_real || target.starts_with(&root_real) {
            return Err(Refused(format!(
                "refusing to write {}: it {} the evidence {} (evidence is never written; choose an output outside it)",
                output.display(),
                if target == root_real { "is" } else { "lies inside" },
                root.display()
            ))
            .into());
        }
    }
    // Outside every root, an existing file can still be an evidence file under another name.
    if let Ok(handle) = same_file::Handle::from_path(output) {
        for file in evidence {
            if same_file::Handle::from_path(file).is_ok_and(|h| h == handle) {
                return Err(Refused(format!(
                    "refusing to write {}: it is the evidence file {} under another name (a link)",
                    output.display(),
                    file.display()
                ))
                .into());
            }
        }
    }
    Ok(())
}

/// The canonical path `path` names, whether or not the file exists yet: its folder resolved,
/// then its name (itself resolved when it exists: it may be a link).
fn resolved(path: &Path) -> io::Result<PathBuf> {
    if let Ok(real) = path.canonicalize() {
        return Ok(real);
    }
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.canonicalize()?,
        _ => std::env::current_dir()?,
    };
    Ok(parent.join(name))
}

/// Fails with [`Refused`] when `dir` exists and holds anything: `demo` writes a fresh tree and
/// never overwrites files.
pub fn refuse_non_empty(dir: &Path) -> anyhow::Result<()> {
    match std::fs::read_dir(dir).map(|mut entries| entries.next().is_some()) {
        Ok(true) => Err(Refused(format!(
            "refusing to write the demo case into {}: the folder is not empty (nothing is ever overwritten; give a new or empty folder)",
            dir.display()
        ))
        .into()),
        Ok(false) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) if dir.is_file() => Err(Refused(format!(
            "refusing to write the demo case into {}: it is a file ({e})",
            dir.display()
        ))
        .into()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", dir.display())),
    }
}
