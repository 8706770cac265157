//! `ambassador-bot export`: data for the program office outside chat.

use crate::csv_row::{People, Person, columns};
use ambassador_core::program::{
    CoverageReport, DepartmentStatus, activity_text, count, quarter_days, quarter_of, resolve_local,
};
use ambassador_core::{
    Account, ActivityFilter, CheckinFilter, Clock, Department, PersonRef, Program, Request,
    RequestFilter, RequestStatus, RosterFilter, Store, name_key, render_markdown, request_figures,
};
use chrono::{DateTime, NaiveDate, NaiveTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use std::collections::HashSet;
use std::io::Write;

/// `2027-Q1`, read by the same rule as the chat command's.
fn parse_quarter(text: &str) -> anyhow::Result<(i32, u32)> {
    ambassador_core::command::parse_quarter(text.trim()).map_err(|e| anyhow::anyhow!(e.message))
}

#[derive(Default, Serialize)]
struct ActivityRow {
    date: NaiveDate,
    region: String,
    department: String,
    ambassador: String,
    account: String,
    tags: Vec<String>,
    audience: Option<u32>,
    text: String,
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
                    "- {} · {} · {} ({}){}: {}{}",
                    a.on,
                    e.ambassador.department.region,
                    e.ambassador.person.display_name,
                    e.ambassador.department.name,
                    a.audience
                        .map(|n| format!(" · {}", count(u64::from(n), "person", "people")))
                        .unwrap_or_default(),
                    activity_text(&a.text),
                    if a.tags.is_empty() {
                        String::new()
                    } else {
                        let tags: Vec<String> = a.tags.iter().map(|t| format!("#{t}")).collect();
                        format!(" — {}", tags.join(" "))
                    }
                )?;
            }
        }
        "csv" => {
            let rows: Vec<ActivityRow> = entries
                .iter()
                .map(|e| ActivityRow {
                    date: e.activity.on,
                    region: e.ambassador.department.region.clone(),
                    department: e.ambassador.department.name.clone(),
                    ambassador: e.ambassador.person.display_name.clone(),
                    account: e.ambassador.person.account.to_string(),
                    tags: e.activity.tags.clone(),
                    audience: e.activity.audience,
                    text: e.activity.text.clone(),
                })
                .collect();
            write_rows(Format::Csv, &rows, out)?;
        }
        other => anyhow::bail!("unknown format `{other}`: use markdown or csv"),
    }
    Ok(())
}

// ---- roster, coverage, check-ins, kudos as CSV or JSON ----

/// How an export is written: CSV with a header row, or a JSON array of objects with the same
/// field names (lists of people become arrays of `{name, account}` there).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

impl std::str::FromStr for Format {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            other => anyhow::bail!("unknown format `{other}`: use csv or json"),
        }
    }
}

/// A day on the command line: `2027-01-31`.
pub fn parse_day(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| format!("`{text}` is not a date: write it like 2027-01-31"))
}

/// Which part of the organization an export covers: everything, one region or one department.
#[derive(Debug, Default)]
pub struct Scope {
    region: Option<String>,
    department: Option<Department>,
}

impl Scope {
    /// Resolves `--region` / `--department` against the org map by the core's rules (name keys,
    /// the closest names); an unknown name is an error that names the closest known ones.
    pub async fn resolve<S: Store, C: Clock>(
        program: &Program<S, C>,
        region: Option<&str>,
        department: Option<&str>,
    ) -> anyhow::Result<Scope> {
        let mut scope = Scope::default();
        if let Some(name) = department {
            match program.find_department(name).await? {
                Ok(d) => scope.department = Some(d),
                Err(near) => anyhow::bail!(
                    "there is no department called `{}`{}",
                    name.trim(),
                    hint(&near)
                ),
            }
        }
        if let Some(name) = region {
            match program.find_region(name).await? {
                Ok(r) => scope.region = Some(r),
                Err((near, _)) => {
                    anyhow::bail!("there is no region called `{}`{}", name.trim(), hint(&near))
                }
            }
        }
        if let (Some(d), Some(r)) = (&scope.department, &scope.region)
            && name_key(&d.region) != name_key(r)
        {
            anyhow::bail!("the department {} is in {}, not in {r}", d.name, d.region);
        }
        Ok(scope)
    }

    fn covers(&self, department: &Department) -> bool {
        self.department
            .as_ref()
            .is_none_or(|d| d.id == department.id)
            && self
                .region
                .as_ref()
                .is_none_or(|r| name_key(r) == name_key(&department.region))
    }
}

impl Scope {
    /// Whether a department and region named as a request keeps them (those it was asked from)
    /// are in scope.
    fn covers_names(&self, department: &str, region: &str) -> bool {
        self.department
            .as_ref()
            .is_none_or(|d| name_key(&d.name) == name_key(department))
            && self
                .region
                .as_ref()
                .is_none_or(|r| name_key(r) == name_key(region))
    }

    /// "all regions", "the region EMEA", "the department Finance (EMEA)".
    fn describe(&self) -> String {
        match (&self.department, &self.region) {
            (Some(d), _) => format!("the department {} ({})", d.name, d.region),
            (None, Some(r)) => format!("the region {r}"),
            (None, None) => "all regions".into(),
        }
    }
}

fn hint(options: &[String]) -> String {
    match options {
        [] => String::new(),
        some => format!(" (did you mean {}?)", some.join(", ")),
    }
}

impl Person {
    fn of(p: &PersonRef) -> Person {
        Person {
            name: p.display_name.clone(),
            account: p.account.to_string(),
        }
    }
}

/// The instants `[from, to)` of the days `since..=until` in `tz`; without `since` from the start of
/// 1970, without `until` to the last second of year 9999.
fn period(
    tz: Tz,
    since: Option<NaiveDate>,
    until: Option<NaiveDate>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let start_of = |day: NaiveDate| resolve_local(tz, day.and_time(NaiveTime::MIN));
    let from = since.map(start_of).unwrap_or(DateTime::UNIX_EPOCH);
    let to = match until.and_then(|d| d.succ_opt()) {
        Some(next) => start_of(next),
        // The last second of year 9999: later years do not compare as text (SQLite).
        None => NaiveDate::from_ymd_opt(9999, 12, 31)
            .and_then(|d| d.and_hms_opt(23, 59, 59))
            .expect("a valid instant")
            .and_utc(),
    };
    (from, to)
}

fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// Writes export rows as CSV (columns read from each row's `Serialize`, see [`crate::csv_row`];
/// the header comes from an empty row, so an export with no rows still has it) or as JSON.
fn write_rows<R: Serialize + Default>(
    format: Format,
    rows: &[R],
    out: &mut impl Write,
) -> anyhow::Result<()> {
    match format {
        Format::Csv => {
            let mut w = crate::safe_csv::Writer::from_writer(out);
            w.write_record(columns(&R::default())?.into_iter().map(|(h, _)| h))?;
            for r in rows {
                w.write_record(columns(r)?.into_iter().map(|(_, cell)| cell))?;
            }
            w.flush()?;
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, rows)?;
            writeln!(out)?;
        }
    }
    Ok(())
}

#[derive(Default, Serialize)]
struct RosterRow {
    region: String,
    department: String,
    ambassador: String,
    account: String,
    status: &'static str,
    since: NaiveDate,
    until: Option<NaiveDate>,
    time_zone: String,
    checkins_paused_until: Option<NaiveDate>,
}

/// The roster (active and paused ambassadors; alumni too with `alumni`), ordered by region,
/// department and name.
pub async fn roster<S: Store>(
    store: &S,
    scope: &Scope,
    alumni: bool,
    format: Format,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let entries = store
        .roster(&RosterFilter {
            region: scope.region.clone(),
            department: scope.department.as_ref().map(|d| d.id),
            include_alumni: alumni,
            ..RosterFilter::default()
        })
        .await?;
    let rows: Vec<RosterRow> = entries
        .into_iter()
        .map(|a| RosterRow {
            region: a.department.region,
            department: a.department.name,
            ambassador: a.person.display_name,
            account: a.person.account.to_string(),
            status: a.status.as_str(),
            since: a.since,
            until: a.until,
            time_zone: a.time_zone,
            checkins_paused_until: a.checkins_paused_until,
        })
        .collect();
    write_rows(format, &rows, out)
}

#[derive(Default, Serialize)]
struct CoverageRow {
    region: String,
    department: String,
    headcount: Option<u32>,
    status: &'static str,
    active: usize,
    paused: u32,
    people_per_ambassador: Option<u32>,
    ambassadors: People,
}

/// Every department in scope with its status as `/ambassadors coverage` computes it.
pub async fn coverage<S: Store, C: Clock>(
    program: &Program<S, C>,
    scope: &Scope,
    format: Format,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let rows = program.store.coverage(scope.region.as_deref()).await?;
    let report = CoverageReport::build(rows, &program.settings);
    let rows: Vec<CoverageRow> = report
        .lines
        .into_iter()
        .filter(|l| scope.covers(&l.department))
        .map(|l| CoverageRow {
            region: l.department.region,
            department: l.department.name,
            headcount: l.department.headcount,
            status: match l.status {
                DepartmentStatus::Uncovered => "uncovered",
                DepartmentStatus::Thin => "thin",
                DepartmentStatus::Covered => "covered",
            },
            active: l.active.len(),
            paused: l.paused,
            people_per_ambassador: l.per_ambassador,
            ambassadors: People(l.active.iter().map(Person::of).collect()),
        })
        .collect();
    write_rows(format, &rows, out)
}

#[derive(Default, Serialize)]
struct CheckinRow {
    round: NaiveDate,
    region: String,
    department: String,
    ambassador: String,
    account: String,
    status: &'static str,
    prompted_at: String,
    closes_at: String,
    reminded_at: Option<String>,
    answered_at: Option<String>,
    answer: String,
}

/// Check-ins of the rounds dated `since..=until` (all when not given), newest round first, with
/// their answers (private: for the program office).
pub async fn checkins<S: Store>(
    store: &S,
    scope: &Scope,
    since: Option<NaiveDate>,
    until: Option<NaiveDate>,
    format: Format,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let entries = store
        .checkins(&CheckinFilter {
            from_round: since,
            to_round: until,
            ..CheckinFilter::default()
        })
        .await?;
    let rows: Vec<CheckinRow> = entries
        .into_iter()
        .filter(|e| scope.covers(&e.ambassador.department))
        .map(|e| {
            let c = e.checkin;
            CheckinRow {
                round: c.round,
                region: e.ambassador.department.region,
                department: e.ambassador.department.name,
                ambassador: e.ambassador.person.display_name,
                account: e.ambassador.person.account.to_string(),
                status: c.status.as_str(),
                prompted_at: instant(c.prompted_at),
                closes_at: instant(c.closes_at),
                reminded_at: c.reminded_at.map(instant),
                answered_at: c.answered_at.map(instant),
                answer: c.answer,
            }
        })
        .collect();
    write_rows(format, &rows, out)
}

#[derive(Default, Serialize)]
struct KudosRow {
    given_at: String,
    giver: String,
    giver_account: String,
    receivers: People,
    reason: String,
    tags: Vec<String>,
    room: String,
}

/// Kudos given on the days `since..=until` (in the program's time zone; all when not given),
/// oldest first. With a region or department, only kudos to someone on the roster there
/// (alumni included).
pub async fn kudos<S: Store, C: Clock>(
    program: &Program<S, C>,
    scope: &Scope,
    since: Option<NaiveDate>,
    until: Option<NaiveDate>,
    format: Format,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let (from, to) = period(program.settings.time_zone, since, until);
    let mut list = program.store.kudos_between(from, to).await?;
    if scope.region.is_some() || scope.department.is_some() {
        let in_scope: HashSet<Account> = program
            .store
            .roster(&RosterFilter {
                region: scope.region.clone(),
                department: scope.department.as_ref().map(|d| d.id),
                include_alumni: true,
                ..RosterFilter::default()
            })
            .await?
            .into_iter()
            .map(|a| a.person.account)
            .collect();
        list.retain(|k| k.receivers.iter().any(|r| in_scope.contains(&r.account)));
    }
    let rows: Vec<KudosRow> = list
        .into_iter()
        .map(|k| KudosRow {
            given_at: instant(k.given_at),
            giver: k.giver.display_name,
            giver_account: k.giver.account.to_string(),
            receivers: People(k.receivers.iter().map(Person::of).collect()),
            reason: k.reason,
            tags: k.tags,
            room: k.room,
        })
        .collect();
    write_rows(format, &rows, out)
}

// ---- requests as CSV, JSON or Markdown ----

/// How `export requests` is written: rows as CSV or JSON, or a Markdown table with the period's
/// totals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestsFormat {
    Rows(Format),
    Markdown,
}

impl std::str::FromStr for RequestsFormat {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<RequestsFormat> {
        match s.trim().to_ascii_lowercase().as_str() {
            "markdown" | "md" => Ok(RequestsFormat::Markdown),
            other => other.parse().map(RequestsFormat::Rows).map_err(|_| {
                anyhow::anyhow!("unknown format `{other}`: use csv, json or markdown")
            }),
        }
    }
}

/// Which requests `export requests` writes besides scope and days: one status, or the open ones.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestsWanted {
    pub status: Option<RequestStatus>,
    pub open: bool,
}

#[derive(Default, Serialize)]
struct RequestRow {
    number: i64,
    status: &'static str,
    ambassador: String,
    account: String,
    department: String,
    region: String,
    round: Option<NaiveDate>,
    asked_at: String,
    first_answer_at: Option<String>,
    days_to_first_answer: Option<f64>,
    closed_at: Option<String>,
    owner: Option<String>,
    owner_account: Option<String>,
    labels: Vec<String>,
    text: String,
    note: Option<String>,
    messages: usize,
}

/// Days from asking to the office's first answer, to a tenth of a day.
fn days_to_first_answer(r: &Request) -> Option<f64> {
    r.first_answer_at.map(|t| {
        let days = (t - r.created_at).num_seconds() as f64 / 86_400.0;
        (days * 10.0).round() / 10.0
    })
}

/// A Markdown table cell: `|` and backslashes escaped, line breaks as `<br>`.
fn md_cell(text: &str) -> String {
    text.trim()
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace("\r\n", "<br>")
        .replace(['\n', '\r'], "<br>")
}

/// Requests asked on the days `since..=until` (in the program's time zone; all when not given)
/// from a department in scope, with `wanted` status, by number, each with the number of messages
/// in its thread. Markdown adds the totals of the period as the quarterly report counts them
/// ([`request_figures`], over every request in scope whatever its status now).
pub async fn requests<S: Store, C: Clock>(
    program: &Program<S, C>,
    scope: &Scope,
    since: Option<NaiveDate>,
    until: Option<NaiveDate>,
    wanted: RequestsWanted,
    format: RequestsFormat,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let tz = program.settings.time_zone;
    let (from, to) = period(tz, since, until);
    let mut in_scope = program.store.requests(&RequestFilter::default()).await?;
    in_scope.retain(|r| scope.covers_names(&r.department, &r.region));
    in_scope.sort_by_key(|r| r.id);
    let mut listed = Vec::new();
    for r in &in_scope {
        let asked = r.created_at >= from && r.created_at < to;
        let status = wanted.status.is_none_or(|s| s == r.status);
        if asked && status && (!wanted.open || r.status.is_open()) {
            let messages = program.store.request_messages(r.id).await?.len();
            listed.push((r, messages));
        }
    }
    let format = match format {
        RequestsFormat::Rows(format) => format,
        RequestsFormat::Markdown => {
            let (total, _) = request_figures(&in_scope, from, to);
            return requests_markdown(scope, since, until, wanted, tz, &listed, &total, out);
        }
    };
    let rows: Vec<RequestRow> = listed
        .into_iter()
        .map(|(r, messages)| RequestRow {
            number: r.id,
            status: r.status.as_str(),
            ambassador: r.ambassador.display_name.clone(),
            account: r.ambassador.account.to_string(),
            department: r.department.clone(),
            region: r.region.clone(),
            round: r.round,
            asked_at: instant(r.created_at),
            first_answer_at: r.first_answer_at.map(instant),
            days_to_first_answer: days_to_first_answer(r),
            closed_at: r.closed_at.map(instant),
            owner: r.owner.as_ref().map(|o| o.display_name.clone()),
            owner_account: r.owner.as_ref().map(|o| o.account.to_string()),
            labels: r.labels.clone(),
            text: r.text.clone(),
            note: r.note.clone(),
            messages,
        })
        .collect();
    write_rows(format, &rows, out)
}

#[allow(clippy::too_many_arguments)]
fn requests_markdown(
    scope: &Scope,
    since: Option<NaiveDate>,
    until: Option<NaiveDate>,
    wanted: RequestsWanted,
    tz: Tz,
    listed: &[(&Request, usize)],
    total: &ambassador_core::RequestFigures,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let days = match (since, until) {
        (Some(s), Some(u)) => format!("from {s} to {u}"),
        (Some(s), None) => format!("from {s} on"),
        (None, Some(u)) => format!("up to {u}"),
        (None, None) => "at any time".into(),
    };
    writeln!(out, "# Requests from {}, asked {days}\n", scope.describe())?;
    match (wanted.status, wanted.open) {
        (Some(s), _) => writeln!(out, "Only those now {}.\n", s.label())?,
        (None, true) => writeln!(
            out,
            "Only the open ones (new, acknowledged or in progress).\n"
        )?,
        (None, false) => {}
    }
    writeln!(out, "Times in {}.\n", tz.name())?;
    if listed.is_empty() {
        writeln!(out, "None.")?;
    } else {
        writeln!(
            out,
            "| # | Status | Ambassador | Department | Region | Round | Asked | First answer | Days to first answer | Closed | Owner | Labels | Text | Note | Messages |"
        )?;
        writeln!(
            out,
            "| ---: | --- | --- | --- | --- | --- | --- | --- | ---: | --- | --- | --- | --- | --- | ---: |"
        )?;
        let local = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
        for (r, messages) in listed {
            let cells = [
                r.id.to_string(),
                r.status.label().to_string(),
                format!("{} ({})", r.ambassador.display_name, r.ambassador.account),
                r.department.clone(),
                r.region.clone(),
                opt(&r.round),
                local(r.created_at),
                r.first_answer_at.map(local).unwrap_or_default(),
                opt(&days_to_first_answer(r)),
                r.closed_at.map(local).unwrap_or_default(),
                r.owner
                    .as_ref()
                    .map(|o| format!("{} ({})", o.display_name, o.account))
                    .unwrap_or_default(),
                r.labels.join(" "),
                r.text.clone(),
                r.note.clone().unwrap_or_default(),
                messages.to_string(),
            ];
            let cells: Vec<String> = cells.iter().map(|c| md_cell(c)).collect();
            writeln!(out, "| {} |", cells.join(" | "))?;
        }
    }
    writeln!(
        out,
        "\n**Totals** for {}, {days}: requests {}.\n",
        scope.describe(),
        total.describe()
    )?;
    writeln!(
        out,
        "_As the quarterly report counts them, over every request whatever its status now: received = asked in the period; answered = first answer from the office in the period; done = closed as done in the period; median over the requests first answered in the period._"
    )?;
    Ok(())
}
