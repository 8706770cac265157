//! `ambassador-bot import`: the org map and the roster from CSV files, idempotently.
//!
//! Departments: columns `name`, `region`, `headcount` (optional, may be empty).
//! Roster: columns `person` (an account such as `slack:U012AB3CD`, `matrix:@ada:example.org`, or a
//! bare id on the default platform), `department`, and optional `time_zone`, `display_name`, `since`
//! (YYYY-MM-DD), `manager` (an account like `person`: kudos can be copied to them). Running an
//! import twice changes nothing the second time.

use ambassador_core::{
    Account, AmbassadorStatus, Department, NewDepartment, Platform, Store, closest, name_key,
    sanitize_text,
};
use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::path::Path;

/// What an import did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// (line number, reason)
    pub rejected: Vec<(u64, String)>,
}

impl Report {
    pub fn summary(&self, what: &str) -> String {
        format!(
            "{what}: {} added, {} updated, {} unchanged, {} rejected",
            self.added,
            self.updated,
            self.unchanged,
            self.rejected.len()
        )
    }
}

fn progress(len: u64, what: &str) -> ProgressBar {
    // indicatif draws nothing when stderr is not a terminal.
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{msg:12} [{bar:40}] {pos}/{len} rows") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

/// Reads a CSV file into (line number, header → value) rows. Header names are matched
/// case-insensitively, spaces and dashes as underscores.
fn read_rows(path: &Path) -> anyhow::Result<Vec<(u64, HashMap<String, String>)>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let headers: Vec<String> = reader
        .headers()
        .with_context(|| format!("{} has no header line", path.display()))?
        .iter()
        .map(|h| {
            h.trim_start_matches('\u{feff}')
                .trim()
                .to_lowercase()
                .replace([' ', '-'], "_")
        })
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("{} is not valid CSV", path.display()))?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let row = headers
            .iter()
            .cloned()
            .zip(record.iter().map(str::to_string))
            .collect();
        rows.push((line, row));
    }
    Ok(rows)
}

fn require_columns(
    path: &Path,
    rows: &[(u64, HashMap<String, String>)],
    columns: &[&str],
) -> anyhow::Result<()> {
    if let Some((_, first)) = rows.first() {
        for c in columns {
            anyhow::ensure!(
                first.contains_key(*c),
                "{} has no `{c}` column (expected columns: {})",
                path.display(),
                columns.join(", ")
            );
        }
    }
    Ok(())
}

fn field<'a>(row: &'a HashMap<String, String>, key: &str) -> &'a str {
    row.get(key).map(String::as_str).unwrap_or("").trim()
}

pub async fn departments<S: Store>(store: &S, path: &Path) -> anyhow::Result<Report> {
    let rows = read_rows(path)?;
    require_columns(path, &rows, &["name", "region"])?;
    let mut report = Report::default();
    let bar = progress(rows.len() as u64, "departments");
    for (line, row) in &rows {
        bar.inc(1);
        let name = sanitize_text(field(row, "name"));
        let region = sanitize_text(field(row, "region"));
        if name.is_empty() || region.is_empty() {
            report
                .rejected
                .push((*line, "name and region are required".into()));
            continue;
        }
        let raw = field(row, "headcount").replace([',', '_'], "");
        let headcount = if raw.is_empty() {
            None
        } else {
            match raw.parse::<u32>() {
                Ok(n) if n <= 10_000_000 => Some(n),
                _ => {
                    report.rejected.push((
                        *line,
                        format!("headcount `{raw}` is not a whole number from 0 to 10,000,000"),
                    ));
                    continue;
                }
            }
        };
        match store.department_by_name(&name).await? {
            None => {
                store
                    .add_department(&NewDepartment {
                        name,
                        region,
                        headcount,
                    })
                    .await?;
                report.added += 1;
            }
            Some(d) => {
                let mut changed = false;
                if name_key(&d.region) != name_key(&region) {
                    store.set_department_region(d.id, &region).await?;
                    changed = true;
                }
                if d.headcount != headcount && headcount.is_some() {
                    store.set_headcount(d.id, headcount).await?;
                    changed = true;
                }
                if changed {
                    report.updated += 1;
                } else {
                    report.unchanged += 1;
                }
            }
        }
    }
    bar.finish_and_clear();
    Ok(report)
}

/// An account as written in a CSV cell or on the command line: `platform:id`, or a bare id
/// (`@ada` or `ada`) on the default platform.
pub(crate) fn account_of(raw: &str, default_platform: Platform) -> Result<Account, String> {
    if raw.contains(':')
        && raw
            .split(':')
            .next()
            .is_some_and(|p| p.parse::<Platform>().is_ok())
    {
        raw.parse::<Account>()
    } else {
        Ok(Account::new(default_platform, raw.trim_start_matches('@')))
    }
}

pub async fn roster<S: Store>(
    store: &S,
    path: &Path,
    default_platform: Platform,
    default_time_zone: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<Report> {
    let rows = read_rows(path)?;
    require_columns(path, &rows, &["person", "department"])?;
    let departments: Vec<Department> = store.departments().await?;
    let by_key: HashMap<String, &Department> =
        departments.iter().map(|d| (name_key(&d.name), d)).collect();
    let mut report = Report::default();
    let bar = progress(rows.len() as u64, "roster");
    for (line, row) in &rows {
        bar.inc(1);
        let raw_person = field(row, "person");
        if raw_person.is_empty() {
            report.rejected.push((*line, "person is required".into()));
            continue;
        }
        let account = match account_of(raw_person, default_platform) {
            Ok(a) => a,
            Err(e) => {
                report.rejected.push((*line, e));
                continue;
            }
        };
        let raw_manager = field(row, "manager");
        let manager = if raw_manager.is_empty() {
            None
        } else {
            match account_of(raw_manager, default_platform) {
                Ok(m) if m == account => {
                    report
                        .rejected
                        .push((*line, "a person cannot be their own manager".into()));
                    continue;
                }
                Ok(m) => Some(m),
                Err(e) => {
                    report.rejected.push((*line, format!("manager: {e}")));
                    continue;
                }
            }
        };
        let department_name = field(row, "department");
        let Some(department) = by_key.get(&name_key(department_name)) else {
            let hint = closest(
                department_name,
                departments.iter().map(|d| d.name.as_str()),
                2,
            );
            let hint = if hint.is_empty() {
                String::new()
            } else {
                format!(" (did you mean {}?)", hint.join(" or "))
            };
            report.rejected.push((
                *line,
                format!("unknown department `{department_name}`{hint}"),
            ));
            continue;
        };
        let tz_raw = field(row, "time_zone");
        let tz = if tz_raw.is_empty() {
            default_time_zone.to_string()
        } else {
            match tz_raw.parse::<chrono_tz::Tz>() {
                Ok(tz) => tz.name().to_string(),
                Err(_) => {
                    report
                        .rejected
                        .push((*line, format!("`{tz_raw}` is not an IANA time zone")));
                    continue;
                }
            }
        };
        let since_raw = field(row, "since");
        let since = if since_raw.is_empty() {
            None
        } else {
            match NaiveDate::parse_from_str(since_raw, "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    report.rejected.push((
                        *line,
                        format!("since `{since_raw}` is not a date (YYYY-MM-DD)"),
                    ));
                    continue;
                }
            }
        };
        let display = sanitize_text(field(row, "display_name"));
        let display = if display.is_empty() {
            account.id.trim_start_matches('@').to_string()
        } else {
            display
        };
        let person = match store.find_person(&account).await? {
            Some(p) if p.display_name == display => p,
            _ => store.ensure_person(&account, &display).await?,
        };
        if person.time_zone.is_none() {
            store.set_person_time_zone(person.id, &tz, false).await?;
        }
        if let Some(m) = &manager {
            let manager = match store.find_person(m).await? {
                Some(p) => p,
                None => store.ensure_person(m, m.id.trim_start_matches('@')).await?,
            };
            if store.manager(person.id).await?.map(|p| p.id) != Some(manager.id) {
                store.set_manager(person.id, Some(manager.id)).await?;
            }
        }
        match store.ambassador(person.id).await? {
            Some(a)
                if a.department.id == department.id
                    && a.time_zone == tz
                    && a.status != AmbassadorStatus::Alumni
                    && since.is_none_or(|s| s == a.since) =>
            {
                report.unchanged += 1;
            }
            existing => {
                let since = since
                    .or(existing.as_ref().map(|a| a.since))
                    .unwrap_or(today);
                store
                    .add_ambassador(person.id, department.id, &tz, since)
                    .await?;
                if existing.is_some() {
                    report.updated += 1;
                } else {
                    report.added += 1;
                }
            }
        }
        // From now on the bot knows them (the first import counts): the inactivity ladder never
        // counts a spell from before it.
        store.note_known_since(person.id, now).await?;
    }
    bar.finish_and_clear();
    Ok(report)
}
