//! File paths written into the report as text. serde's own `Path` impl fails on a path that is
//! not valid UTF-8, and with it the whole report: a file name is attacker-chosen (a Linux
//! mount of an image, an extracted collection can hold such names). Here the invalid bytes
//! become U+FFFD, as the terminal table shows them, and the report is written.

use std::path::{Path, PathBuf};

use serde::ser::Serializer;

/// `#[serde(serialize_with)]` for one path (`PathBuf`, `Arc<Path>`).
pub(crate) fn one<P: AsRef<Path>, S: Serializer>(
    path: &P,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    // Borrowed, not copied, when the path is valid UTF-8.
    serializer.serialize_str(&path.as_ref().to_string_lossy())
}

/// For a list of paths.
pub(crate) fn all<S: Serializer>(paths: &[PathBuf], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(paths.iter().map(|path| Text(path)))
}

/// For a path that may be absent (the field is skipped when it is).
pub(crate) fn optional<S: Serializer>(
    path: &Option<PathBuf>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match path {
        Some(path) => one(path, serializer),
        None => serializer.serialize_none(),
    }
}

struct Text<'a>(&'a Path);

impl serde::Serialize for Text<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        one(&self.0, serializer)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::{Provenance, Warning};

    /// A file name that is not UTF-8 is written with U+FFFD, not a failed report.
    #[cfg(unix)]
    #[test]
    fn a_path_that_is_not_utf8_is_written_with_replacement_characters() {
        use std::os::unix::ffi::OsStrExt;
        let path = std::path::Path::new(std::ffi::OsStr::from_bytes(b"/case/bad\xff.evtx"));
        let source = Provenance::EventRecord {
            file: Arc::from(path),
            record_id: 1,
            event_id: 7045,
        };
        let json = serde_json::to_string(&source).unwrap();
        assert_eq!(
            json,
            "{\"kind\":\"event_record\",\"file\":\"/case/bad\u{fffd}.evtx\",\"record_id\":1,\"event_id\":7045}"
        );
        let warning = Warning {
            file: path.to_path_buf(),
            offset: None,
            message: "m".to_string(),
        };
        assert!(serde_json::to_string(&warning)
            .unwrap()
            .contains("bad\u{fffd}.evtx"));
    }
}
