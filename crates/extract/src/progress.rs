//! Progress reporting as an observer: the CLI draws it, libraries only call it.

/// Receives progress while evidence is read. Implementations must be cheap and thread-safe.
pub trait Progress: Sync {
    /// Work of `total` units (bytes) starts.
    fn begin(&self, total: u64);
    /// `done` more units are finished; `what` names the file.
    fn advance(&self, done: u64, what: &str);
    /// All work is finished.
    fn end(&self);
    /// A step of the reading is done (`what` names it): for timings, not for display.
    fn step(&self, _what: &str) {}
}

/// Progress that goes nowhere.
pub struct NoProgress;

impl Progress for NoProgress {
    fn begin(&self, _total: u64) {}
    fn advance(&self, _done: u64, _what: &str) {}
    fn end(&self) {}
}
