//! The progress bar: indicatif on stderr, shown only for work that lasts over a second, hidden
//! when stderr is not a terminal or with `--quiet`.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use konseki_extract::Progress;

/// Work shorter than this shows no bar at all.
const SHOW_AFTER: Duration = Duration::from_secs(1);

pub struct Bar {
    bar: ProgressBar,
    started: Instant,
    enabled: bool,
    /// `KONSEKI_TIMINGS` is set: each step's time is said on stderr (for `bench/`).
    timings: bool,
}

impl Bar {
    pub fn new(quiet: bool) -> Bar {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} {bytes}/{total_bytes} {wide_msg}")
        {
            bar.set_style(style);
        }
        Bar {
            bar,
            started: Instant::now(),
            enabled: !quiet && std::io::stderr().is_terminal(),
            timings: std::env::var_os("KONSEKI_TIMINGS").is_some(),
        }
    }
}

impl Progress for Bar {
    fn begin(&self, total: u64) {
        self.bar.set_length(total);
    }

    fn advance(&self, done: u64, what: &str) {
        if self.enabled && self.bar.is_hidden() && self.started.elapsed() > SHOW_AFTER {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        // File names come from the evidence: shown, never acted on by the terminal.
        self.bar
            .set_message(konseki_render::terminal_safe(what).into_owned());
        self.bar.inc(done);
    }

    fn end(&self) {
        self.bar.finish_and_clear();
    }

    fn step(&self, what: &str) {
        if self.timings {
            let at = self.started.elapsed().as_secs_f64();
            eprintln!("konseki:   {what} at {at:.4} s");
        }
    }
}
