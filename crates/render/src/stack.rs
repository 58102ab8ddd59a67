//! The stack: one row per entity across hosts, rarest first, as a table, CSV (formulas
//! neutralised: names and commands are attacker-written) or JSON.

use std::io::{self, Write};

use konseki_model::StackRow;

use crate::csv::write_row;
use crate::table::write_columns;
use crate::text::clean;
use crate::Format;

/// Writes the stack of `hosts` hosts.
pub fn render_stack(
    rows: &[StackRow],
    hosts: usize,
    format: Format,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    match format {
        Format::Json => {
            serde_json::to_writer(
                &mut out,
                &serde_json::json!({ "hosts": hosts, "rows": rows }),
            )?;
            out.write_all(b"\n")?;
        }
        Format::Jsonl => {
            for row in rows {
                serde_json::to_writer(&mut out, row)?;
                out.write_all(b"\n")?;
            }
        }
        Format::Csv => csv(rows, &mut out)?,
        Format::Table => table(rows, hosts, &mut out)?,
    }
    out.flush()
}

/// One row per entity, formulas neutralised.
fn csv(rows: &[StackRow], out: &mut dyn Write) -> io::Result<()> {
    let header = [
        "host_count",
        "of_hosts",
        "kind",
        "location",
        "name",
        "program",
        "severity",
        "hosts",
    ];
    write_row(out, header.iter().map(|s| s.to_string()))?;
    for r in rows {
        write_row(
            out,
            [
                r.host_count.to_string(),
                r.of_hosts.to_string(),
                r.key.kind.label().to_string(),
                r.key.location.clone(),
                r.key.name.clone(),
                r.key.program.clone(),
                r.severity.label().to_string(),
                r.hosts.join(";"),
            ]
            .into_iter(),
        )?;
    }
    Ok(())
}

/// One line per entity, the first holders named.
fn table(rows: &[StackRow], hosts: usize, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "Stack of {hosts} hosts: {} entities, rarest first",
        rows.len()
    )?;
    let table: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            let name = match r.key.location.as_str() {
                "" => r.key.name.clone(),
                location => format!("{location}: {}", r.key.name),
            };
            let shown = 3;
            let mut holders = r
                .hosts
                .iter()
                .take(shown)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            if r.hosts.len() > shown {
                holders.push_str(&format!(", … ({} more)", r.hosts.len() - shown));
            }
            [
                format!("{}/{}", r.host_count, r.of_hosts),
                r.key.kind.label().to_string(),
                clean(&name, 60),
                clean(&r.key.program, 80),
                r.severity.label().to_string(),
                clean(&holders, 80),
            ]
        })
        .collect();
    write_columns(
        out,
        ["HOSTS", "KIND", "NAME", "PROGRAM", "SEVERITY", "HELD BY"],
        &table,
    )?;
    Ok(())
}
