//! konseki renderers: one per output format, all over the same [`CaseReport`] (its hosts'
//! reports, each row carrying its host).
//!
//! Evidence strings are attacker-controlled: the CSV renderer neutralises spreadsheet formulas,
//! the table and narrative show control and invisible format characters visibly escaped
//! ([`terminal_safe`]: terminal escapes, bidi overrides), JSON and JSONL are serde_json's
//! (every string escaped, exact).
//!
//! ```
//! use konseki_render::{render, Format, Selection};
//! # fn demo(report: &konseki_model::CaseReport) -> std::io::Result<()> {
//! render(report, Format::Json, Selection::All, &mut std::io::stdout())?;
//! # Ok(()) }
//! ```

mod csv;
mod entity;
mod explain;
mod findings;
mod html;
mod html_search;
mod html_timeline;
mod json;
mod narrative;
mod stack;
mod table;
mod text;
mod timeline;

use std::io::{self, Write};

use konseki_model::{CaseReport, ServiceReport};

pub use explain::{explain, Explanation};
pub use html::render_html;
pub use stack::render_stack;
pub use table::fit_tables_to_terminal;
pub use text::{terminal_path, terminal_safe};
pub use timeline::{render_timeline, TimelineFormat};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned text for a terminal.
    Table,
    /// One JSON document (`docs/schema.json`).
    Json,
    /// One JSON object per line: each service, then each warning.
    Jsonl,
    /// One row per service, autostart entry and task.
    Csv,
}

/// Which services the table shows (JSON always has all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// Every service key.
    All,
    /// Services with events or attention flags.
    Notable,
}

impl Selection {
    /// Whether a service is shown.
    pub fn includes(&self, s: &ServiceReport) -> bool {
        self.shows(s.notable)
    }

    /// Whether an entity that correlation judged `notable` (or not) is shown: the same rule
    /// for services, autostart entries and tasks, in every format.
    pub fn shows(&self, notable: bool) -> bool {
        match self {
            Selection::All => true,
            Selection::Notable => notable,
        }
    }
}

/// Writes the report in the chosen format.
pub fn render(
    report: &CaseReport,
    format: Format,
    selection: Selection,
    out: &mut dyn Write,
) -> io::Result<()> {
    // Serialisers write a few bytes at a time: buffer them here, where the writer's type is
    // known, rather than through a call on `dyn Write` for each.
    let mut buffered = io::BufWriter::with_capacity(1 << 16, out);
    let out: &mut io::BufWriter<&mut dyn Write> = &mut buffered;
    match format {
        Format::Table => table::render(report, selection, out),
        Format::Json => json::render(report, out),
        Format::Jsonl => json::render_lines(report, selection, out),
        Format::Csv => csv::render(report, selection, out),
    }?;
    buffered.flush()
}
