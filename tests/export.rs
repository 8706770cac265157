//! `ambassador-bot export roster|coverage|checkins|kudos` as the program office uses it: a demo
//! organization with a check-in round and kudos made through the console on a simulated clock,
//! then exported as CSV and JSON, filtered, into a file; bad input; PostgreSQL like SQLite.

mod support;

use serde_json::Value;
use support::Sandbox;

/// The demo organization, a check-in round (prompted Monday 2027-01-04 in every time zone, closed
/// before the next one opens) in which ada answers and grace skips, and a kudos with a comma, quotes and
/// Unicode in its reason.
const SCRIPT: &str = ":clock 2027-01-05T12:00:00Z\n\
    :as ada\n:dm\nTwo office hours, one “naïve” question — 🚀\n\
    :as grace\n:in general\n/checkin skip\n\
    :clock 2027-01-10T20:00:00Z\n\
    :as bob\n/kudos @ada @grace for the “Zoë” workshop, with \"quotes\" #ci\n";

const REASON: &str = "the “Zoë” workshop, with \"quotes\" #ci";

fn prepared(sb: Sandbox) -> Sandbox {
    sb.console(&["--demo", "--clock", "2027-01-03T12:00:00Z"], SCRIPT);
    sb
}

/// Runs an export; fails the test unless it succeeds.
fn export(sb: &Sandbox, args: &[&str]) -> String {
    let mut all = vec!["export"];
    all.extend_from_slice(args);
    let out = sb.run(&all, "");
    assert!(
        out.status.success(),
        "export {args:?} exited with {}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 export")
}

/// CSV parsed into its header and records.
fn csv_of(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

fn json_of(text: &str) -> Vec<Value> {
    match serde_json::from_str(text) {
        Ok(Value::Array(items)) => items,
        other => panic!("not a JSON array ({other:?}):\n{text}"),
    }
}

/// The value of `column` in a CSV record.
fn field<'a>(header: &[String], row: &'a [String], column: &str) -> &'a str {
    let i = header
        .iter()
        .position(|h| h == column)
        .unwrap_or_else(|| panic!("no column {column} in {header:?}"));
    &row[i]
}

#[test]
fn exports_roster_coverage_checkins_and_kudos_as_csv_and_json() {
    let sb = prepared(Sandbox::new());

    // Roster: the 8 demo ambassadors, tim paused; one department.
    let (header, rows) = csv_of(&export(&sb, &["roster"]));
    assert_eq!(
        header,
        [
            "region",
            "department",
            "ambassador",
            "account",
            "status",
            "since",
            "until",
            "time_zone",
            "checkins_paused_until"
        ]
    );
    assert_eq!(rows.len(), 8, "{rows:?}");
    let tim = rows
        .iter()
        .find(|r| field(&header, r, "ambassador") == "tim")
        .expect("tim");
    assert_eq!(field(&header, tim, "status"), "paused");
    assert_eq!(field(&header, tim, "account"), "console:tim");
    assert_eq!(field(&header, tim, "time_zone"), "Europe/Paris");
    let json = json_of(&export(
        &sb,
        &[
            "roster",
            "--format",
            "json",
            "--department",
            "platform  ENGINEERING",
        ],
    ));
    let names: Vec<&str> = json
        .iter()
        .map(|a| a["ambassador"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ada", "grace"]);
    assert_eq!(json[0]["account"], "console:ada");
    assert_eq!(json[0]["region"], "EMEA");
    assert_eq!(json[0]["until"], Value::Null);

    // Coverage: as /ambassadors coverage computes it, per department.
    let (header, rows) = csv_of(&export(&sb, &["coverage", "--region", "americas"]));
    let line = |name: &str| {
        rows.iter()
            .find(|r| field(&header, r, "department") == name)
            .unwrap_or_else(|| panic!("no {name} in {rows:?}"))
    };
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(field(&header, line("Marketing"), "status"), "uncovered");
    assert_eq!(field(&header, line("Sales"), "status"), "thin");
    assert_eq!(
        field(&header, line("Sales"), "people_per_ambassador"),
        "400"
    );
    assert_eq!(
        field(&header, line("Sales"), "ambassador_accounts"),
        "console:margaret"
    );
    let json = json_of(&export(&sb, &["coverage", "--format", "json"]));
    assert_eq!(json.len(), 8);
    let platform = json
        .iter()
        .find(|d| d["department"] == "Platform Engineering")
        .unwrap();
    assert_eq!(platform["status"], "covered");
    assert_eq!(platform["headcount"], 120);
    assert_eq!(platform["active"], 2);
    assert_eq!(
        platform["ambassadors"],
        serde_json::json!([
            {"name": "ada", "account": "console:ada"},
            {"name": "grace", "account": "console:grace"}
        ])
    );

    // Check-ins: everyone active was prompted; ada answered, grace skipped, the rest missed.
    let (header, rows) = csv_of(&export(&sb, &["checkins"]));
    assert_eq!(rows.len(), 7, "the 7 active ambassadors: {rows:?}");
    let by = |name: &str| {
        rows.iter()
            .find(|r| field(&header, r, "ambassador") == name)
            .unwrap_or_else(|| panic!("no {name} in {rows:?}"))
    };
    let ada = by("ada");
    assert_eq!(field(&header, ada, "round"), "2027-01-04");
    assert_eq!(field(&header, ada, "status"), "answered");
    assert_eq!(
        field(&header, ada, "answer"),
        "Two office hours, one “naïve” question — 🚀"
    );
    assert_eq!(field(&header, ada, "answered_at"), "2027-01-05T12:00:00Z");
    assert_eq!(field(&header, ada, "prompted_at"), "2027-01-04T09:00:00Z");
    assert_eq!(field(&header, ada, "closes_at"), "2027-01-10T09:00:00Z");
    assert_eq!(field(&header, by("grace"), "status"), "skipped");
    assert_eq!(field(&header, by("hedy"), "status"), "missed");
    assert_eq!(field(&header, by("hedy"), "answered_at"), "");
    let json = json_of(&export(
        &sb,
        &["checkins", "--format", "json", "--region", "APAC"],
    ));
    assert_eq!(json.len(), 2, "hedy and alan: {json:?}");
    assert!(json.iter().all(|c| c["region"] == "APAC"));
    assert!(json.iter().all(|c| c["answered_at"].is_null()));
    let none = export(&sb, &["checkins", "--since", "2027-01-05"]);
    assert_eq!(csv_of(&none).1.len(), 0, "no round on or after 2027-01-05");
    assert!(none.starts_with("round,region,department,ambassador,account,status,"));

    // Kudos: the comma, quotes and Unicode survive CSV quoting and JSON.
    let text = export(
        &sb,
        &["kudos", "--since", "2027-01-10", "--until", "2027-01-10"],
    );
    assert!(
        text.contains(&format!("\"{}\"", REASON.replace('"', "\"\""))),
        "the reason is quoted:\n{text}"
    );
    let (header, rows) = csv_of(&text);
    assert_eq!(
        header,
        [
            "given_at",
            "giver",
            "giver_account",
            "receivers",
            "receiver_accounts",
            "reason",
            "tags",
            "room"
        ]
    );
    assert_eq!(rows.len(), 1, "{rows:?}");
    let k = &rows[0];
    assert_eq!(field(&header, k, "given_at"), "2027-01-10T20:00:00Z");
    assert_eq!(field(&header, k, "giver"), "bob");
    assert_eq!(field(&header, k, "giver_account"), "console:bob");
    assert_eq!(field(&header, k, "receivers"), "ada; grace");
    assert_eq!(
        field(&header, k, "receiver_accounts"),
        "console:ada; console:grace"
    );
    assert_eq!(field(&header, k, "reason"), REASON);
    assert_eq!(field(&header, k, "tags"), "ci");
    let all = json_of(&export(&sb, &["kudos", "--format", "json"]));
    assert_eq!(all.len(), 5, "the 4 demo kudos and bob's: {all:?}");
    let mine = all.last().unwrap();
    assert_eq!(mine["reason"], REASON);
    assert_eq!(mine["receivers"][1]["account"], "console:grace");
    assert_eq!(mine["tags"], serde_json::json!(["ci"]));
    // Kudos to someone in APAC: carol's to hedy only.
    let apac = json_of(&export(
        &sb,
        &["kudos", "--format", "json", "--region", "apac"],
    ));
    assert_eq!(apac.len(), 1, "{apac:?}");
    assert_eq!(apac[0]["receivers"][0]["name"], "hedy");

    // Into a file: the same bytes as stdout, nothing on stdout.
    let out = sb.run(&["export", "kudos", "--output", "kudos.csv"], "");
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    assert_eq!(
        std::fs::read_to_string(sb.path().join("kudos.csv")).unwrap(),
        export(&sb, &["kudos"])
    );
}

#[test]
fn bad_export_input_gets_a_short_error_and_no_file() {
    let sb = prepared(Sandbox::new());
    for (args, says) in [
        (
            &["roster", "--department", "Platform Engineerin"][..],
            "there is no department called `Platform Engineerin` (did you mean Platform Engineering",
        ),
        (
            &["coverage", "--region", "Emae"],
            "there is no region called `Emae` (did you mean EMEA",
        ),
        (
            &["checkins", "--since", "2027-02-30"],
            "`2027-02-30` is not a date: write it like 2027-01-31",
        ),
        (
            &["kudos", "--until", "last week"],
            "`last week` is not a date",
        ),
        (
            &["kudos", "--since", "2027-02-01", "--until", "2027-01-01"],
            "--since 2027-02-01 is after --until 2027-01-01",
        ),
        (
            &["coverage", "--format", "xlsx"],
            "unknown format `xlsx`: use csv or json",
        ),
        (
            &["roster", "--region", "APAC", "--department", "Legal"],
            "the department Legal is in EMEA, not in APAC",
        ),
    ] {
        let mut all = vec!["export"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--output", "out.csv"]);
        let out = sb.run(&all, "");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(err.lines().count() <= 3, "short: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(
            !sb.path().join("out.csv").exists(),
            "{args:?} left a file behind"
        );
    }
}

#[test]
fn postgresql_exports_the_same_as_sqlite() {
    let Some(schema) = support::PgSchema::new("export") else {
        return;
    };
    let sqlite = prepared(Sandbox::new());
    let pg = prepared(Sandbox::new().with_env("AMBASSADOR_BOT__DATABASE__URL", &schema.url));
    for what in ["roster", "coverage", "checkins", "kudos"] {
        for format in ["csv", "json"] {
            let args = [what, "--format", format];
            let (a, b) = (export(&sqlite, &args), export(&pg, &args));
            assert!(a.lines().count() > 2, "{what} {format} has rows:\n{a}");
            assert_eq!(a, b, "{what} as {format}: SQLite and PostgreSQL differ");
        }
    }
    let text = export(&pg, &["kudos", "--department", "Platform Engineering"]);
    assert!(text.contains("“Zoë” workshop"), "{text}");
}

/// A member's text or a department's name that a spreadsheet would run as a formula is written
/// as text in every CSV export (a leading `'`, as the OWASP guidance on CSV injection says);
/// JSON keeps it as it was.
#[test]
fn csv_cells_a_spreadsheet_would_run_are_neutralised() {
    let sb = Sandbox::new();
    sb.console(
        &["--demo", "--clock", "2027-01-03T12:00:00Z"],
        "/ambassadors dept add =1+1 EMEA 12\n\
         :as bob\n\
         /kudos @ada for =HYPERLINK(\"http://x\",\"y\") and the docs\n",
    );
    let (header, rows) = csv_of(&export(&sb, &["kudos", "--format", "csv"]));
    let reason = rows
        .iter()
        .map(|r| field(&header, r, "reason"))
        .find(|r| r.contains("HYPERLINK"))
        .expect("the kudos is exported");
    assert_eq!(reason, "'=HYPERLINK(\"http://x\",\"y\") and the docs");
    let (header, rows) = csv_of(&export(&sb, &["coverage", "--format", "csv"]));
    assert!(
        rows.iter()
            .any(|r| field(&header, r, "department") == "'=1+1"),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .all(|r| r.iter().all(|cell| !cell.starts_with('='))),
        "{rows:?}"
    );
    let json = export(&sb, &["coverage", "--format", "json"]);
    assert!(
        json.contains("\"=1+1\""),
        "JSON is not a spreadsheet: {json}"
    );
    let record = export(&sb, &["record", "console:ada", "--format", "csv"]);
    assert!(
        record.contains("'=HYPERLINK") && !record.contains(",=HYPERLINK"),
        "{record}"
    );
}
