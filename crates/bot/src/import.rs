//! `ambassador-bot import`: the org map and the roster from CSV files, idempotently.
//!
//! Departments: columns `name`, `region`, `headcount` (optional, may be empty).
//! Roster: columns `person` (an account such as `slack:U012AB3CD`, `matrix:@ada:example.org`, or a
//! bare id on the default platform), `department`, and optional `time_zone`, `display_name`, `since`
//! (YYYY-MM-DD), `manager` (an account like `person`: kudos can be copied to them). Running an
//! import twice changes nothing the second time.

use ambassador_core::{
    Account, AmbassadorStatus, Department, NAME_MAX, NameProblem, NewDepartment, Platform, Store,
    StoreError, clean_name, closest, name_key, quote_back, sanitize_text,
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

type Rows = Vec<(u64, HashMap<String, String>)>;

/// Reads a CSV file into (line number, header → value) rows, and the lines that could not be read
/// (not UTF-8, say) with why. Header names are matched case-insensitively, spaces and dashes as
/// underscores.
fn read_rows(path: &Path) -> anyhow::Result<(Rows, Vec<(u64, String)>)> {
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
    let mut unreadable = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            // One bad line is rejected, the others are read.
            Err(e) if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                unreadable.push((line, "the line is not UTF-8 text".into()));
                continue;
            }
            Err(e) => {
                return Err(e).with_context(|| format!("{} is not valid CSV", path.display()));
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let row = headers
            .iter()
            .cloned()
            .zip(record.iter().map(str::to_string))
            .collect();
        rows.push((line, row));
    }
    Ok((rows, unreadable))
}

/// A name cell (`what`: "name", "region", …) as the org map and the roster keep it, or why the
/// row is rejected.
fn name_cell(raw: &str, what: &str) -> Result<String, String> {
    clean_name(raw).map_err(|problem| match problem {
        NameProblem::Empty => format!("{what} is required"),
        NameProblem::TooLong(n) => too_long(what, n),
    })
}

/// Why a name cell of `n` characters is rejected.
fn too_long(what: &str, n: usize) -> String {
    format!(
        "{what} is {} characters long; names take up to {NAME_MAX}",
        thousands(n)
    )
}

/// `1234567` as `1,234,567`, as the bot writes numbers everywhere.
fn thousands(n: usize) -> String {
    ambassador_core::program::thousands(u64::try_from(n).unwrap_or(u64::MAX))
}

/// The longest account id an import takes (Matrix ids are at most 255 bytes).
const ACCOUNT_ID_MAX: usize = 255;

/// A store error on one row: a refusal of that row's data rejects the row, the others go on; a
/// failing database stops the import.
fn row_error(line: u64, e: StoreError) -> anyhow::Result<String> {
    match e {
        StoreError::Backend(_) => Err(anyhow::Error::new(e).context(format!(
            "line {line}: the database failed; rows before it were imported"
        ))),
        other => Ok(other.to_string()),
    }
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
    let (rows, unreadable) = read_rows(path)?;
    require_columns(path, &rows, &["name", "region"])?;
    let mut report = Report {
        rejected: unreadable,
        ..Report::default()
    };
    let bar = progress(rows.len() as u64, "departments");
    for (line, row) in &rows {
        bar.inc(1);
        let (raw_name, raw_region) = (field(row, "name"), field(row, "region"));
        if sanitize_text(raw_name).is_empty() || sanitize_text(raw_region).is_empty() {
            report
                .rejected
                .push((*line, "name and region are required".into()));
            continue;
        }
        let (name, region) = match (name_cell(raw_name, "name"), name_cell(raw_region, "region")) {
            (Ok(name), Ok(region)) => (name, region),
            (Err(e), _) | (_, Err(e)) => {
                report.rejected.push((*line, e));
                continue;
            }
        };
        match department_row(store, &mut report, name, region, row).await {
            Ok(Ok(())) => {}
            Ok(Err(reason)) => report.rejected.push((*line, reason)),
            Err(e) => report.rejected.push((*line, row_error(*line, e)?)),
        }
    }
    bar.finish_and_clear();
    report.rejected.sort_by_key(|(line, _)| *line);
    Ok(report)
}

/// One department row: added, updated or unchanged (counted in `report`), or why it is rejected.
async fn department_row<S: Store>(
    store: &S,
    report: &mut Report,
    name: String,
    region: String,
    row: &HashMap<String, String>,
) -> Result<Result<(), String>, StoreError> {
    let raw = field(row, "headcount").replace([',', '_'], "");
    let headcount = if raw.is_empty() {
        None
    } else {
        match raw.parse::<u32>() {
            Ok(n) if n <= 10_000_000 => Some(n),
            _ => {
                return Ok(Err(format!(
                    "headcount `{}` is not a whole number from 0 to 10,000,000",
                    quote_back(&raw)
                )));
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
    Ok(Ok(()))
}

/// An account as written in a CSV cell or on the command line: `platform:id`, or a bare id
/// (`@ada` or `ada`) on the default platform.
pub(crate) fn account_of(raw: &str, default_platform: Platform) -> Result<Account, String> {
    let shown = quote_back(raw);
    if raw.chars().nth(ACCOUNT_ID_MAX + 10).is_some() {
        return Err(format!(
            "`{shown}` is not an account: ids are at most {ACCOUNT_ID_MAX} characters"
        ));
    }
    if raw
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || sanitize_text(&c.to_string()).is_empty())
    {
        return Err(format!(
            "`{shown}` is not an account: it has spaces, control or invisible characters"
        ));
    }
    let account = if raw.contains(':')
        && raw
            .split(':')
            .next()
            .is_some_and(|p| p.parse::<Platform>().is_ok())
    {
        raw.parse::<Account>()?
    } else {
        Account::new(default_platform, raw.trim_start_matches('@'))
    };
    if account.id.trim_start_matches('@').is_empty() {
        return Err(format!("`{shown}` has an empty id"));
    }
    if account.id.chars().count() > ACCOUNT_ID_MAX {
        return Err(format!(
            "`{shown}` is not an account: ids are at most {ACCOUNT_ID_MAX} characters"
        ));
    }
    Ok(account)
}

pub async fn roster<S: Store>(
    store: &S,
    path: &Path,
    default_platform: Platform,
    default_time_zone: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<Report> {
    let (rows, unreadable) = read_rows(path)?;
    require_columns(path, &rows, &["person", "department"])?;
    let departments: Vec<Department> = store.departments().await?;
    let by_key: HashMap<String, &Department> =
        departments.iter().map(|d| (name_key(&d.name), d)).collect();
    let mut report = Report {
        rejected: unreadable,
        ..Report::default()
    };
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
                format!("unknown department `{}`{hint}", quote_back(department_name)),
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
                    report.rejected.push((
                        *line,
                        format!("`{}` is not an IANA time zone", quote_back(tz_raw)),
                    ));
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
                        format!(
                            "since `{}` is not a date (YYYY-MM-DD)",
                            quote_back(since_raw)
                        ),
                    ));
                    continue;
                }
            }
        };
        let display = match clean_name(field(row, "display_name")) {
            Ok(name) => name,
            Err(NameProblem::Empty) => account.id.trim_start_matches('@').to_string(),
            Err(NameProblem::TooLong(n)) => {
                report.rejected.push((*line, too_long("display_name", n)));
                continue;
            }
        };
        let stored: Result<(), StoreError> = async {
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
            Ok(())
        }
        .await;
        if let Err(e) = stored {
            report.rejected.push((*line, row_error(*line, e)?));
        }
    }
    bar.finish_and_clear();
    report.rejected.sort_by_key(|(line, _)| *line);
    Ok(report)
}
