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

/// Whether an independent reader (python-evtx, hivexsh, analyzeMFT…) can be run: `probe` must
/// exit successfully. When it cannot and the environment variable `require` is set (CI), this
/// panics; elsewhere it says the test is skipped.
///
/// # Panics
/// When the tool is missing and `require` is set.
pub fn tool_available(probe: &mut std::process::Command, name: &str, require: &str) -> bool {
    let available = probe.output().is_ok_and(|o| o.status.success());
    if !available {
        assert!(
            std::env::var_os(require).is_none(),
            "{name} is required ({require} is set) but cannot be run"
        );
        eprintln!("{name} not installed: test skipped");
    }
    available
}

/// Runs `command` with `stdin` as its input, asserts it succeeded, and returns its output.
///
/// # Panics
/// When the command cannot be started or fails (its standard error is shown).
pub fn run_tool(command: &mut std::process::Command, stdin: &[u8]) -> String {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the tool");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write the tool's input");
    let out = child.wait_with_output().expect("wait for the tool");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
