//! `ambassador-bot export`: data for the program office outside chat.

use ambassador_core::program::{quarter_days, quarter_of};
use ambassador_core::{ActivityFilter, Clock, Program, Store, render_markdown};
use std::io::Write;

/// `2027-Q1`.
fn parse_quarter(text: &str) -> anyhow::Result<(i32, u32)> {
    let parsed = ambassador_core::command::parse(&format!("/ambassadors quarter {text}"))
        .and_then(|p| p.command.ok());
    match parsed {
        Some(ambassador_core::command::Command::Quarter { quarter: Some(q) }) => Ok(q),
        _ => anyhow::bail!("`{text}` is not a quarter: write it like 2027-Q1"),
    }
}

/// The activity of a quarter as Markdown (the regional report and every entry) or CSV.
pub async fn activity<S: Store, C: Clock>(
    program: &Program<S, C>,
    format: &str,
    quarter: Option<&str>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let (year, q) = match quarter {
        Some(text) => parse_quarter(text)?,
        None => quarter_of(program.today()),
    };
    let (start, end) = quarter_days(year, q);
    let entries = program
        .store
        .activities(&ActivityFilter {
            from: Some(start),
            to: end.pred_opt(),
            ..ActivityFilter::default()
        })
        .await?;
    match format {
        "markdown" | "md" => {
            let report = program.quarter_report(year, q).await?;
            write!(out, "{}", render_markdown(&report))?;
            writeln!(out, "\n## Activities\n")?;
            if entries.is_empty() {
                writeln!(out, "None logged.")?;
            }
            for e in &entries {
                let a = &e.activity;
                writeln!(
                    out,
                    "- {} · {} · {} ({}){}: {}",
                    a.on,
                    e.ambassador.department.region,
                    e.ambassador.person.display_name,
                    e.ambassador.department.name,
                    a.audience
                        .map(|n| format!(" · {n} people"))
                        .unwrap_or_default(),
                    a.text.replace('\n', " ")
                )?;
            }
        }
        "csv" => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record([
                "date",
                "region",
                "department",
                "ambassador",
                "account",
                "tags",
                "audience",
                "text",
            ])?;
            for e in &entries {
                let a = &e.activity;
                w.write_record([
                    a.on.to_string(),
                    e.ambassador.department.region.clone(),
                    e.ambassador.department.name.clone(),
                    e.ambassador.person.display_name.clone(),
                    e.ambassador.person.account.to_string(),
                    a.tags.join(" "),
                    a.audience.map(|n| n.to_string()).unwrap_or_default(),
                    a.text.clone(),
                ])?;
            }
            w.flush()?;
        }
        other => anyhow::bail!("unknown format `{other}`: use markdown or csv"),
    }
    Ok(())
}
