//! The HTML report: one self-contained file (inline CSS, one script of our own for the search
//! box, no request: its Content-Security-Policy allows that script by hash and nothing else),
//! for readers who do not run a CLI. The case summary,
//! then per host its identity, its ranked findings and a card per entity with its verdict,
//! reasons and evidence chain. Printed, every card is open.
//!
//! Every string from the evidence goes through maud's escaping (text and attribute contexts
//! alike), and through [`clean`] first, so control and bidi-override characters are shown, not
//! acted on. Element ids are built from indices, never from evidence.

use std::io::{self, Write};

use konseki_model::{CaseReport, HostReport, Severity};
use maud::{html, Markup, PreEscaped, DOCTYPE};

use crate::entity::Entity;
use crate::findings::ranked;
use crate::html_timeline::timeline_svg;
use crate::text::{clean, terminal_path};
use crate::Selection;

/// No script but the search box's (by hash), no request, no frame, no form: styles only from
/// the page itself. (`frame-ancestors` is not allowed in a `<meta>` policy: browsers ignore it
/// and say so.)
fn policy() -> String {
    format!(
        "default-src 'none'; script-src {}; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'",
        crate::html_search::SCRIPT_HASH
    )
}

const STYLE: &str = r#"
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 80em; padding: 0 1em; color: #1b1b1b; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 2px solid #444; }
table { border-collapse: collapse; width: 100%; margin: .5em 0 1em; table-layout: fixed; }
th, td { text-align: left; vertical-align: top; padding: .25em .5em; border-bottom: 1px solid #ddd; overflow-wrap: anywhere; }
th { background: #f2f2f2; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #fafafa; border: 1px solid #e4e4e4; padding: .75em; }
details { border: 1px solid #ccc; border-radius: 4px; margin: .5em 0; padding: .25em .75em; }
summary { cursor: pointer; overflow-wrap: anywhere; }
.sev { display: inline-block; min-width: 5.5em; font-weight: bold; text-transform: uppercase; }
.critical { color: #a00000; } .high { color: #d03000; } .medium { color: #8a6d00; } .low { color: #00708a; } .info { color: #666; }
.note { color: #555; }
svg .bar.critical, svg .dot.critical { fill: #a00000; } svg .bar.high, svg .dot.high { fill: #d03000; }
svg .bar.medium, svg .dot.medium { fill: #b08d00; } svg .bar.low, svg .dot.low { fill: #00708a; }
svg .bar.info, svg .dot.info { fill: #8a8a8a; } svg text.critical, svg text.high { fill: #a00000; }
.unmatched { display: none; }
@media print { details { border: none; } details > * { display: block; } .filter, .search { display: none; } }
"#;

/// Writes the report; `selection` says which entities get a card (the notable ones, or all).
pub fn render_html(case: &CaseReport, selection: Selection, out: &mut dyn Write) -> io::Result<()> {
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(policy());
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "konseki report: " (case.hosts.len()) " host(s)" }
                style { (PreEscaped(STYLE)) (PreEscaped(filter_style())) }
            }
            body {
                h1 { "konseki report" }
                p.note {
                    "konseki " (case.konseki_version) ", report schema " (case.schema_version)
                    ". Evidence under: "
                    @for (i, root) in case.roots.iter().enumerate() {
                        @if i > 0 { ", " }
                        code { (terminal_path(root)) }
                    }
                    ". Times are UTC; each says what it means."
                }
                (summary(case))
                (severity_filter())
                p.search hidden {
                    label for="search" { "Search names, paths, reasons and evidence: " }
                    input type="search" id="search" size="40";
                    " " span id="search-count" {}
                }
                @for note in &case.notes { p.note { (clean(note, 2000)) } }
                @for (index, report) in case.hosts.iter().enumerate() {
                    (host(index, report, selection))
                }
                @if !case.warnings.is_empty() {
                    h2 { "Warnings of no one host" }
                    (warnings(&case.warnings))
                }
                script { (PreEscaped(crate::html_search::SCRIPT)) }
            }
        }
    };
    out.write_all(page.into_string().as_bytes())
}

/// The case at a glance: a row per host.
fn summary(case: &CaseReport) -> Markup {
    html! {
        table {
            thead { tr { th { "Host" } th { "Found" } th { "Missing" } th { "Logs cover (event logged)" } th { "Notable" } } }
            tbody {
                @for (index, h) in case.summary.iter().enumerate() {
                    tr {
                        td { a href={ "#host-" (index) } { (clean(&h.host, 200)) } }
                        td { @for (kind, n) in &h.found { (n) " " (kind) " " } }
                        td { (h.missing.join(", ")) }
                        td {
                            @match (h.logs_from, h.logs_to) {
                                (Some(from), Some(to)) => { (seven(from)) " – " (seven(to)) }
                                _ => { "no event log" }
                            }
                        }
                        td { (h.notable) " of " (h.entities) }
                    }
                }
            }
        }
    }
}

/// One host: identity, findings, a card per entity shown, warnings.
fn host(index: usize, report: &HostReport, selection: Selection) -> Markup {
    let entities = ranked(report);
    let shown: Vec<&Entity> = entities
        .iter()
        .filter(|e| {
            selection == Selection::All || e.ranking().severity > Severity::Info || e.notable()
        })
        .collect();
    let findings: Vec<&&Entity> = shown
        .iter()
        .filter(|e| e.ranking().severity > Severity::Info)
        .collect();
    html! {
        h2 id={ "host-" (index) } { "Host " (clean(&report.host.label, 200)) }
        ul {
            @for name in &report.host.names {
                li { (clean(&name.name, 200)) " (" (crate::text::label(&name.source)) ": " (clean(&name.detail, 400)) ")" }
            }
            @for d in &report.host.disagreements { li.high { "Disagreement: " (clean(d, 2000)) } }
        }
        @if let Some(svg) = timeline_svg(report) {
            h3 { "Timeline (as the host's clock showed it; dashed: clock steps)" }
            (svg)
        }
        h3 { "Findings (" (findings.len()) " ranked low or above, of " (entities.len()) " entities)" }
        @if !findings.is_empty() {
            table {
                thead { tr { th style="width:7em" { "Severity" } th style="width:6em" { "Kind" } th { "Name" } th style="width:16em" { "First seen" } th { "Why" } } }
                tbody {
                    @for (n, e) in findings.iter().enumerate() {
                        tr class={ "sev-" (e.ranking().severity.label()) } data-search {
                            td { (severity(e.ranking().severity)) }
                            td { (e.kind()) }
                            td { a href={ "#host-" (index) "-entity-" (n) } { (clean(e.name(), 200)) } }
                            td { @if let Some(t) = e.first_seen() { (seven(t)) } }
                            td {
                                @for r in &e.ranking().severity_reasons {
                                    div { (clean(&r.why, 500)) " (" (r.attack) ", " (r.rule) ")" }
                                }
                            }
                        }
                    }
                }
            }
        }
        h3 { "Entities (" (shown.len()) (if selection == Selection::All { ", all" } else { " with events, flags or a severity; --all for every one" }) ")" }
        @for (n, e) in shown.iter().enumerate() {
            details id={ "host-" (index) "-entity-" (n) } class={ "sev-" (e.ranking().severity.label()) } data-search open[e.ranking().severity >= Severity::High] {
                summary {
                    (severity(e.ranking().severity)) " " (e.kind()) " " strong { (clean(e.name(), 300)) } ": " (clean(e.summary(), 500))
                }
                @if let Some(tool) = &e.ranking().responder_tool { p.note { "Responder tool: " (clean(tool, 500)) } }
                @if !e.ranking().stock_in.is_empty() { p.note { "Stock Windows service (Windows " (e.ranking().stock_in.join(", ")) ")." } }
                pre { (e.narrative()) }
            }
        }
        @if !report.warnings.is_empty() {
            h3 { "Warnings (" (report.warnings.len()) ")" }
            (warnings(&report.warnings))
        }
    }
}

/// The severities, lowest first.
const LEVELS: [Severity; 5] = [
    Severity::Info,
    Severity::Low,
    Severity::Medium,
    Severity::High,
    Severity::Critical,
];

/// A filter by severity without script: one radio button per level, and a CSS rule per level
/// that hides what lies below it (`:has()`).
fn severity_filter() -> Markup {
    html! {
        p.filter {
            "Show entities of severity at least: "
            @for level in LEVELS {
                input type="radio" name="min-severity" id={ "min-" (level.label()) } checked[level == Severity::Info];
                label for={ "min-" (level.label()) } { (level.label()) " " }
            }
        }
    }
}

/// The rules of [`severity_filter`].
fn filter_style() -> String {
    let mut css = String::new();
    for (i, shown) in LEVELS.iter().enumerate() {
        for hidden in &LEVELS[..i] {
            css.push_str(&format!(
                "body:has(#min-{}:checked) .sev-{} {{ display: none; }}\n",
                shown.label(),
                hidden.label()
            ));
        }
    }
    css
}

fn warnings(list: &[konseki_model::Warning]) -> Markup {
    html! {
        ul {
            @for w in list {
                li { code { (terminal_path(&w.file)) } @if let Some(o) = w.offset { " @0x" (format!("{o:x}")) } ": " (clean(&w.message, 1000)) }
            }
        }
    }
}

fn severity(s: Severity) -> Markup {
    html! { span class={ "sev " (s.label()) } { (s.label()) } }
}

fn seven(t: konseki_model::Timestamp) -> String {
    konseki_model::time::seven::text(&t)
}
