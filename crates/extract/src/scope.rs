//! The roots the user gave, as a boundary: nothing above them is read, and no folder name above
//! them is used to interpret a path (a drive letter, a user profile, a Startup folder). An
//! examiner's own `/mnt/c/cases/Users/…` says nothing about the evidence below it.

use std::path::{Path, PathBuf};

/// The evidence roots of a scan.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    roots: Vec<PathBuf>,
}

impl Scope {
    /// The roots as given (paths found by the walk start with one of them).
    pub fn new(roots: &[PathBuf]) -> Scope {
        Scope {
            roots: roots.to_vec(),
        }
    }

    /// The folders above `path`, nearest first, up to and including the root it was found
    /// under; none for a root given as a file, or a path under no root.
    pub fn ancestors<'a>(&self, path: &'a Path) -> impl Iterator<Item = &'a Path> + 'a {
        let root = self
            .roots
            .iter()
            .filter(|r| path != r.as_path() && path.starts_with(r))
            .max_by_key(|r| r.components().count())
            .cloned();
        path.ancestors()
            .skip(1)
            .take_while(move |dir| root.as_ref().is_some_and(|r| dir.starts_with(r)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_stop_at_the_root() {
        let scope = Scope::new(&["/mnt/c/case".into(), "/x/SYSTEM".into()]);
        let above: Vec<&Path> = scope
            .ancestors(Path::new("/mnt/c/case/C/Windows/SYSTEM"))
            .collect();
        assert_eq!(
            above,
            [
                Path::new("/mnt/c/case/C/Windows"),
                Path::new("/mnt/c/case/C"),
                Path::new("/mnt/c/case"),
            ]
        );
        assert_eq!(scope.ancestors(Path::new("/x/SYSTEM")).count(), 0);
        assert_eq!(scope.ancestors(Path::new("/elsewhere/f")).count(), 0);
    }
}
