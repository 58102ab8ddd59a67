//! Test support shared by konseki's crates (a dev-dependency only).
//!
//! The shared corpus of public Windows artifacts lives beside the repository, at
//! `../shared/corpus`, and is never copied into it (its files carry other projects' licences).
//! Tests that need it call [`corpus`]: when the corpus is absent they say so and skip, unless
//! `KONSEKI_REQUIRE_CORPUS` is set (CI), where absence is a failure.
//!
//! ```
//! if let Some(path) = konseki_testutil::corpus("hives/SYSTEM") {
//!     assert!(path.ends_with("hives/SYSTEM"));
//! }
//! ```

use std::path::PathBuf;

/// The path of `rel` inside the shared corpus, or `None` (with a message) when the corpus is absent.
///
/// # Panics
/// When the corpus is absent and `KONSEKI_REQUIRE_CORPUS` is set.
pub fn corpus(rel: &str) -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if !root.is_dir() {
        assert!(
            std::env::var_os("KONSEKI_REQUIRE_CORPUS").is_none(),
            "shared corpus not found at {} (KONSEKI_REQUIRE_CORPUS is set)",
            root.display()
        );
        eprintln!("shared corpus absent at {}: test skipped", root.display());
        return None;
    }
    Some(root.join(rel))
}
