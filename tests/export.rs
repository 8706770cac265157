//! `ambassador-bot export roster|coverage|checkins|kudos|requests` as the program office uses it:
//! a demo organization with a check-in round, kudos and requests made through the console on a
//! simulated clock, then exported as CSV, JSON (and Markdown for requests), filtered, into a file;
//! bad input; PostgreSQL like SQLite.

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
        (
            &["requests", "--department", "Platform Engineerin"],
            "there is no department called `Platform Engineerin` (did you mean Platform Engineering",
        ),
        (
            &["requests", "--format", "xlsx"],
            "unknown format `xlsx`: use csv, json or markdown",
        ),
        (
            &["requests", "--until", "2027-13-01"],
            "`2027-13-01` is not a date",
        ),
        (
            &["requests", "--status", "finished"],
            "`finished` is not a request status",
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

/// Requests made through the console on a simulated clock: ada's from her check-in of the round of
/// 2027-01-04 (two need lines, one with a `|`), answered, answered back, taken and done; hedy's asked
/// directly with a text a spreadsheet would run; margaret's asked late on 2027-01-05 (UTC), labelled
/// by the office; hedy's second a week later.
const REQUESTS: &str = ":clock 2027-01-05T12:00:00Z\n\
    :as ada\n:dm\n4. a sponsor for the shared CI templates #ci\nNeed: a budget line | for runners\n\
    :as hedy\n:in general\n/ambassadors ask =HYPERLINK(\"http://x\",\"y\") docs in Japanese\n\
    :clock 2027-01-05T20:00:00Z\n\
    :as margaret\n:in general\n/ambassadors ask a CI sponsor for Sales too #ci\n\
    :clock 2027-01-07T00:00:00Z\n\
    :as admin\n:in general\n/ambassadors reply 1 We are looking for one\n\
    :as ada\n:in general\n/ambassadors reply 1 Thanks, Finance may co-fund\n\
    :clock 2027-01-08T12:00:00Z\n\
    :as admin\n:in general\n/ambassadors take 1\n\
    /ambassadors status 1 done Platform sponsors it from Q2\n/ambassadors label 3 ci-sponsor\n\
    :clock 2027-01-12T09:00:00Z\n\
    :as hedy\n:in general\n/ambassadors ask a translated contributor guide\n";

fn with_requests(sb: Sandbox) -> Sandbox {
    sb.console(&["--demo", "--clock", "2027-01-03T12:00:00Z"], REQUESTS);
    sb
}

/// The numbers of the requests in a CSV export.
fn numbers(text: &str) -> Vec<String> {
    let (header, rows) = csv_of(text);
    rows.iter()
        .map(|r| field(&header, r, "number").to_string())
        .collect()
}

#[test]
fn exports_requests_as_csv_json_and_markdown() {
    let sb = with_requests(Sandbox::new());

    // CSV: one row per request by number, every column the office checks.
    let text = export(&sb, &["requests"]);
    let (header, rows) = csv_of(&text);
    assert_eq!(
        header,
        [
            "number",
            "status",
            "ambassador",
            "account",
            "department",
            "region",
            "round",
            "asked_at",
            "first_answer_at",
            "days_to_first_answer",
            "closed_at",
            "owner",
            "owner_account",
            "labels",
            "text",
            "note",
            "messages"
        ]
    );
    assert_eq!(numbers(&text), ["1", "2", "3", "4"], "{text}");
    let ada = &rows[0];
    for (column, value) in [
        ("status", "done"),
        ("ambassador", "ada"),
        ("account", "console:ada"),
        ("department", "Platform Engineering"),
        ("region", "EMEA"),
        ("round", "2027-01-04"),
        ("asked_at", "2027-01-05T12:00:00Z"),
        ("first_answer_at", "2027-01-07T00:00:00Z"),
        ("days_to_first_answer", "1.5"),
        ("closed_at", "2027-01-08T12:00:00Z"),
        ("owner", "admin"),
        ("owner_account", "console:admin"),
        ("labels", "ci"),
        (
            "text",
            "a sponsor for the shared CI templates #ci\na budget line | for runners",
        ),
        ("note", "Platform sponsors it from Q2"),
        ("messages", "2"),
    ] {
        assert_eq!(field(&header, ada, column), value, "{column} of #1");
    }
    let hedy = &rows[1];
    assert_eq!(field(&header, hedy, "round"), "", "asked directly");
    assert_eq!(field(&header, hedy, "status"), "new");
    assert_eq!(field(&header, hedy, "first_answer_at"), "");
    assert_eq!(field(&header, hedy, "days_to_first_answer"), "");
    assert_eq!(field(&header, hedy, "owner"), "");
    assert_eq!(field(&header, hedy, "messages"), "0");
    // A text a spreadsheet would run is written as text.
    assert_eq!(
        field(&header, hedy, "text"),
        "'=HYPERLINK(\"http://x\",\"y\") docs in Japanese"
    );
    assert!(
        rows.iter().flatten().all(|cell| !cell.starts_with('=')),
        "{rows:?}"
    );
    // Labels from the text and the office's, joined with a space.
    assert_eq!(field(&header, &rows[2], "labels"), "ci ci-sponsor");

    // Filters: scope by the department and region asked from, status, open, days asked.
    let only = |args: &[&str]| {
        let mut all = vec!["requests"];
        all.extend_from_slice(args);
        numbers(&export(&sb, &all))
    };
    assert_eq!(only(&["--region", "apac"]), ["2", "4"]);
    assert_eq!(only(&["--department", "sales"]), ["3"]);
    assert_eq!(only(&["--status", "done"]), ["1"]);
    assert_eq!(only(&["--status", "NEW", "--region", "APAC"]), ["2", "4"]);
    assert_eq!(only(&["--open"]), ["2", "3", "4"]);
    assert_eq!(only(&["--since", "2027-01-06"]), ["4"]);
    assert_eq!(only(&["--until", "2027-01-05"]), ["1", "2", "3"]);
    assert_eq!(only(&["--since", "2027-01-13"]), Vec::<String>::new());
    // Days are the program's: margaret asked at 20:00 UTC, 05:00 on 2027-01-06 in Tokyo.
    sb.file("tokyo.toml", "[program]\ntime_zone = \"Asia/Tokyo\"\n");
    let tokyo = |args: &[&str]| {
        let mut all = vec!["--config", "tokyo.toml", "export", "requests"];
        all.extend_from_slice(args);
        let out = sb.run(&all, "");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        numbers(&String::from_utf8(out.stdout).unwrap())
    };
    assert_eq!(tokyo(&["--until", "2027-01-05"]), ["1", "2"]);
    assert_eq!(tokyo(&["--since", "2027-01-06"]), ["3", "4"]);

    // JSON: typed fields, null for what is missing.
    let json = json_of(&export(&sb, &["requests", "--format", "json"]));
    assert_eq!(json.len(), 4);
    let ada = &json[0];
    assert_eq!(ada["number"], 1);
    assert_eq!(ada["days_to_first_answer"], 1.5);
    assert_eq!(ada["messages"], 2);
    assert_eq!(ada["round"], "2027-01-04");
    assert_eq!(ada["labels"], serde_json::json!(["ci"]));
    assert_eq!(ada["owner_account"], "console:admin");
    let hedy = &json[1];
    assert_eq!(
        hedy["text"], "=HYPERLINK(\"http://x\",\"y\") docs in Japanese",
        "JSON is not a spreadsheet"
    );
    for missing in [
        "round",
        "first_answer_at",
        "days_to_first_answer",
        "closed_at",
        "owner",
        "owner_account",
        "note",
    ] {
        assert!(hedy[missing].is_null(), "{missing}: {hedy}");
    }
    assert_eq!(hedy["messages"], 0);
    assert_eq!(hedy["labels"], serde_json::json!([]));
    assert_eq!(json[2]["labels"], serde_json::json!(["ci", "ci-sponsor"]));

    // Markdown: a table whose cells keep to one row, and the totals of the period as the
    // quarterly report counts them.
    let md = export(
        &sb,
        &[
            "requests",
            "--format",
            "markdown",
            "--since",
            "2027-01-01",
            "--until",
            "2027-03-31",
        ],
    );
    let table: Vec<&str> = md.lines().filter(|l| l.starts_with('|')).collect();
    assert_eq!(
        table.len(),
        6,
        "a header, its underline and 4 requests:\n{md}"
    );
    let columns = table[0].matches(" | ").count();
    assert!(
        table
            .iter()
            .all(|l| l.replace("\\|", "").matches(" | ").count() == columns),
        "every row has the header's columns:\n{md}"
    );
    let first = table.iter().find(|l| l.starts_with("| 1 |")).expect("#1");
    assert!(
        first.contains(
            "| a sponsor for the shared CI templates #ci<br>a budget line \\| for runners |"
        ),
        "{first}"
    );
    assert!(first.contains("| ada (console:ada) |"), "{first}");
    assert!(first.contains("| 2027-01-04 |"), "the round: {first}");
    let totals = md
        .lines()
        .find(|l| l.starts_with("**Totals**"))
        .unwrap_or_else(|| panic!("no totals in\n{md}"));
    assert!(
        totals.ends_with("requests 4 received, 1 answered (median first answer 1 d 12 h), 1 done."),
        "{totals}"
    );
    let report = export(&sb, &["activity", "--quarter", "2027-Q1"]);
    let said = report
        .lines()
        .find(|l| l.contains("You said, we did"))
        .unwrap_or_else(|| panic!("no requests section in\n{report}"));
    let figures = |l: &str| l[l.find("requests ").expect("figures")..].to_string();
    assert_eq!(
        figures(totals),
        figures(said),
        "the quarterly report's figures"
    );
    // A period without requests asked still counts what was answered and done in it.
    let md = export(
        &sb,
        &[
            "requests",
            "--format",
            "md",
            "--region",
            "EMEA",
            "--since",
            "2027-01-07",
            "--until",
            "2027-01-08",
        ],
    );
    assert!(md.contains("\nNone.\n"), "{md}");
    assert!(
        md.contains("requests 0 received, 1 answered (median first answer 1 d 12 h), 1 done."),
        "{md}"
    );

    // A bad department: refused, nothing written.
    let out = sb.run(
        &[
            "export",
            "requests",
            "--department",
            "Sale",
            "--format",
            "markdown",
            "--output",
            "requests.md",
        ],
        "",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("there is no department called `Sale` (did you mean Sales"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!sb.path().join("requests.md").exists());
    let out = sb.run(&["export", "requests", "--output", "requests.csv"], "");
    assert!(out.status.success() && out.stdout.is_empty());
    assert_eq!(
        std::fs::read_to_string(sb.path().join("requests.csv")).unwrap(),
        text
    );
}

#[test]
fn postgresql_exports_requests_like_sqlite() {
    let Some(schema) = support::PgSchema::new("export_requests") else {
        return;
    };
    let sqlite = with_requests(Sandbox::new());
    let pg = with_requests(Sandbox::new().with_env("AMBASSADOR_BOT__DATABASE__URL", &schema.url));
    for format in ["csv", "json", "markdown"] {
        let args = ["requests", "--format", format];
        let (a, b) = (export(&sqlite, &args), export(&pg, &args));
        assert!(a.contains("Platform sponsors it from Q2"), "{format}:\n{a}");
        assert_eq!(a, b, "requests as {format}: SQLite and PostgreSQL differ");
    }
}
