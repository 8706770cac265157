//! The activity log through the console: kept by its author, reported to the office, in the digest
//! section and the quarterly report, exported as CSV and Markdown.

mod support;

use support::{Sandbox, line_with, messages};

#[test]
fn the_activity_log_is_kept_by_its_author_and_reported_to_the_office() {
    let sb = Sandbox::new();
    let out = sb.console(
        &["--demo", "--clock", "2027-02-10T12:00:00Z"],
        ":as ada\n\
         /ambassadors log Ran an InnerSource 101 workshop #workshop #onboarding (25 people) on 2027-02-03\n\
         /ambassadors log Talk at the platform all-hands for 120 people #talk\n\
         /ambassadors log\n\
         /ambassadors log Mentoring session (many people)\n\
         /ambassadors log Workshop on 2031-01-01\n\
         /ambassadors log list\n\
         /ambassadors log edit 2 Talk at the platform all-hands for 140 people #talk\n\
         :as hedy\n\
         /ambassadors log delete 1\n\
         /ambassadors log Data clinic #mentoring (8 people)\n\
         :as bob\n/ambassadors log I helped too\n/ambassadors activity\n\
         :as admin\n/ambassadors activity\n/ambassadors activity EMAE\n",
    );
    let m = messages(&out);
    assert!(m[0].starts_with(
        "[only ada] Logged #1 · 2027-02-03 · 25 people · Ran an InnerSource 101 workshop #workshop #onboarding (25 people) on 2027-02-03.\n"
    ), "{}", m[0]);
    assert!(
        m[2].contains("What did you do?") && m[2].contains("Usage:"),
        "{}",
        m[2]
    );
    assert!(
        m[3].contains("`many` is not a number of people"),
        "{}",
        m[3]
    );
    assert!(m[4].contains("2031-01-01 is in the future"), "{}", m[4]);
    let list = &m[5];
    assert!(
        list.starts_with("[only ada] *Your activity log (2)*"),
        "{list}"
    );
    assert!(list.contains("#2 · 2027-02-10 · 120 people · Talk at the platform all-hands"));
    assert!(
        m[6].contains("Corrected #2 · 2027-02-10 · 140 people"),
        "{}",
        m[6]
    );
    assert!(
        m[7].starts_with("[only hedy] There is no entry #1 of yours."),
        "{}",
        m[7]
    );
    assert!(m[8].starts_with("[only hedy] Logged #3"));
    assert!(m[9].starts_with("[only bob] The activity log is for ambassadors"));
    // Members see counts per region and department only.
    let public = &m[10];
    assert!(
        public.contains("3 activities logged, reaching 173 people."),
        "{public}"
    );
    assert!(
        line_with(public, "Platform Engineering")
            .trim_end()
            .ends_with('2'),
        "{public}"
    );
    assert!(
        !public.contains("Data clinic"),
        "members see counts, not entries: {public}"
    );
    // The office sees the entries, grouped, with totals, and the quiet departments.
    let office = &m[11];
    assert!(
        office.contains("By tag: #mentoring 1 · #onboarding 1 · #talk 1 · #workshop 1."),
        "{office}"
    );
    assert!(
        office.contains("*EMEA · Platform Engineering* — 2 activities, 165 people"),
        "{office}"
    );
    assert!(
        office.contains("@ada, 2027-02-03: Ran an InnerSource 101 workshop"),
        "{office}"
    );
    assert!(
        office.contains("*APAC · Data Science* — 1 activity, 8 people, #mentoring 1"),
        "{office}"
    );
    assert!(
        office.contains("*No activity logged* despite an ambassador: "),
        "{office}"
    );
    assert!(line_with(office, "No activity logged").contains("Finance (EMEA)"));
    assert!(
        !line_with(office, "No activity logged").contains("Legal"),
        "Legal's only ambassador is paused"
    );
    assert!(m[12].contains("no department or region called “EMAE”") && m[12].contains("EMEA"));
    assert_eq!(m.len(), 13, "{out}");
}

#[test]
fn the_digest_tells_what_ambassadors_did_and_the_quarterly_report_arrives_once() {
    let sb = Sandbox::new();
    let out = sb.console(
        &["--demo", "--clock", "2027-03-23T12:00:00Z"],
        ":as ada\n/ambassadors log Ran an InnerSource 101 workshop #workshop (25 people)\n\
         :as hedy\n/ambassadors log Data clinic #mentoring (8 people)\n\
         :as margaret\n/ambassadors log Sales enablement talk #talk (40 people) on 2027-03-02\n\
         :clock 2027-04-06T00:00:00Z\n\
         :clock +7d\n\
         :as admin\n/ambassadors quarter 2027-Q1\n/ambassadors quarter 2027-Q4\n/ambassadors quarter 27Q\n",
    );
    let m = messages(&out);
    let digest = m
        .iter()
        .find(|x| x.starts_with("[general] *Weekly digest — week to 2027-03-26*"))
        .expect("the digest");
    assert!(digest.contains("*🛠 What our ambassadors did*: 2 activities, reaching 33 people (#mentoring 1 · #workshop 1)."), "{digest}");
    assert!(
        digest.contains("@ada (Platform Engineering): Ran an InnerSource 101 workshop"),
        "{digest}"
    );
    // The quarterly report: the first Monday of April, 10:00 UTC, to the office, exactly once.
    let reports: Vec<&String> = m
        .iter()
        .filter(|x| x.starts_with("[dm:admin] *Quarterly report — 2027-Q1*"))
        .collect();
    assert_eq!(reports.len(), 1, "{out}");
    let report = reports[0];
    assert!(report.contains("2027-01-01 to 2027-03-31, by region."));
    let emea = line_with(report, "EMEA ");
    assert!(emea.contains("2 of 3"), "{report}");
    assert!(line_with(report, "Americas ").contains("40"), "{report}");
    assert!(report.contains("activities #talk 1"), "{report}");
    // On demand: the same report; a quarter to come and a bad one are explained.
    let on_demand = m
        .iter()
        .find(|x| x.starts_with("[only admin] *Quarterly report — 2027-Q1*"))
        .expect("on demand");
    assert_eq!(
        on_demand.replacen("[only admin]", "", 1),
        report.replacen("[dm:admin]", "", 1)
    );
    assert!(m.iter().any(|x| x.contains("2027-Q4 has not started yet.")));
    assert!(m.iter().any(|x| x.contains("`27Q` is not a quarter")));
}

#[test]
fn export_activity_as_csv_and_markdown() {
    let sb = Sandbox::new();
    sb.console(
        &["--demo", "--clock", "2027-02-10T12:00:00Z"],
        ":as ada\n/ambassadors log Ran a workshop, with \"quotes\" #workshop (25 people) on 2027-02-03\n",
    );
    let out = sb.run(
        &[
            "export",
            "activity",
            "--format",
            "csv",
            "--quarter",
            "2027-Q1",
        ],
        "",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        text,
        "date,region,department,ambassador,account,tags,audience,text\n2027-02-03,EMEA,Platform Engineering,ada,console:ada,workshop,25,\"Ran a workshop, with \"\"quotes\"\" #workshop (25 people) on 2027-02-03\"\n"
    );
    let out = sb.run(&["export", "activity", "--quarter", "2027-Q1"], "");
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.starts_with("## Quarterly report — 2027-Q1"), "{md}");
    assert!(md.contains("| Region | With ambassador |"), "{md}");
    assert!(
        md.contains("- 2027-02-03 · EMEA · ada (Platform Engineering) · 25 people: Ran a workshop"),
        "{md}"
    );
    let bad = sb.run(&["export", "activity", "--quarter", "soon"], "");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("`soon` is not a quarter"));
}
