//! A host's timeline drawn as SVG for the HTML report: its boot sessions, and for the most
//! severe services with runs, each run window (from its earliest start to its latest end) and
//! each install; clock steps as vertical lines. Times are as the host's clock showed them, on
//! one linear axis from the first to the last time drawn; a window too short to see is drawn
//! two pixels wide. Names are text nodes, escaped like every other string.

use konseki_model::{HostReport, ServiceReport, Severity, Timestamp};
use maud::{html, Markup};

use crate::text::clean;

/// Services drawn, the most severe first.
const ROWS: usize = 20;
const LEFT: f64 = 200.0;
const WIDTH: f64 = 780.0;
const ROW: f64 = 20.0;

/// One span or instant to draw on a row.
struct Mark {
    from: Timestamp,
    to: Option<Timestamp>,
    what: String,
}

/// A labelled row of marks, with the severity that colours it.
type Row = (String, Severity, Vec<Mark>);

/// The rows drawn: boot sessions, then the most severe services with runs or installs.
fn rows_of(report: &HostReport) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    let boots: Vec<Mark> = report
        .boot_sessions
        .iter()
        .filter_map(|b| {
            let from = b.start?;
            Some(Mark {
                from,
                to: b.end.or(b.ended_before),
                what: format!("boot session of {}: {}", b.computer, b.ended_by),
            })
        })
        .collect();
    if !boots.is_empty() {
        rows.push(("boot sessions".into(), Severity::Info, boots));
    }
    let mut services: Vec<&ServiceReport> = report
        .services
        .iter()
        .filter(|s| !s.runs.is_empty() || s.installs().next().is_some())
        .collect();
    services.sort_by_key(|s| std::cmp::Reverse(s.ranking.severity));
    for s in services.into_iter().take(ROWS) {
        let mut marks: Vec<Mark> = s
            .runs
            .iter()
            .filter_map(|r| {
                Some(Mark {
                    from: r.start.earliest().or(r.end.earliest())?,
                    to: r.end.latest(),
                    what: format!("run: {}", crate::text::label(&r.outcome)),
                })
            })
            .collect();
        marks.extend(s.installs().map(|(at, _)| Mark {
            from: at,
            to: None,
            what: "installed".into(),
        }));
        rows.push((clean(&s.name, 28), s.ranking.severity, marks));
    }
    rows
}

/// The SVG, or nothing when the host has no dated run, boot or install to draw.
pub(crate) fn timeline_svg(report: &HostReport) -> Option<Markup> {
    let rows = rows_of(report);
    let times: Vec<Timestamp> = rows
        .iter()
        .flat_map(|(_, _, marks)| {
            marks
                .iter()
                .flat_map(|m| std::iter::once(m.from).chain(m.to))
        })
        .collect();
    let (first, last) = (*times.iter().min()?, *times.iter().max()?);
    let span = (last.as_microsecond() - first.as_microsecond()).max(1) as f64;
    let x =
        |t: Timestamp| LEFT + (t.as_microsecond() - first.as_microsecond()) as f64 / span * WIDTH;
    let height = ROW * (rows.len() as f64 + 2.0);
    let seven = |t: Timestamp| konseki_model::time::seven::text(&t);
    Some(html! {
        svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox={ "0 0 " (LEFT + WIDTH + 10.0) " " (height) }
            role="img" aria-label="timeline" {
            @for step in &report.clock_steps {
                @if step.time >= first && step.time <= last {
                    line x1=(x(step.time)) x2=(x(step.time)) y1="0" y2=(height - ROW) stroke="#999" stroke-dasharray="3,3" {
                        title { "clock stepped by " (step.delta_ms) " ms at " (seven(step.time)) }
                    }
                }
            }
            @for (n, (name, severity, marks)) in rows.iter().enumerate() {
                @let y = ROW * n as f64;
                text x="4" y=(y + 14.0) class=(severity.label()) font-size="12" { (name) }
                @for m in marks {
                    @match m.to {
                        Some(to) => {
                            rect x=(x(m.from)) y=(y + 4.0) width=((x(to) - x(m.from)).max(2.0)) height="12" class={ "bar " (severity.label()) } {
                                title { (clean(&m.what, 200)) ": " (seven(m.from)) " – " (seven(to)) }
                            }
                        }
                        None => {
                            circle cx=(x(m.from)) cy=(y + 10.0) r="4" class={ "dot " (severity.label()) } {
                                title { (clean(&m.what, 200)) ": " (seven(m.from)) }
                            }
                        }
                    }
                }
            }
            text x=(LEFT) y=(height - 4.0) font-size="11" { (seven(first)) }
            text x=(LEFT + WIDTH) y=(height - 4.0) font-size="11" text-anchor="end" { (seven(last)) }
        }
    })
}
