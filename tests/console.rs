//! Scenario tests: drive `ambassador-bot console` through stdin, as a script would, and check what it
//! prints. Each test has its own working directory and SQLite database.

mod support;

use support::{Sandbox, line_with, message_with, messages};

#[test]
fn piped_session_prints_no_prompt_and_tags_every_message() {
    let sb = Sandbox::new();
    let out = sb.console(&[], "/ambassadors help\n");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("[only admin] "), "{out}");
    assert!(
        lines[1..].iter().all(|l| l.starts_with("  ")),
        "following lines are indented: {out}"
    );
    assert!(!out.contains("admin@general>"), "no prompt in a pipe");
}

#[test]
fn help_shows_what_each_role_may_use() {
    let sb = Sandbox::new();
    let out = sb.console(
        &["--demo"],
        "/ambassadors help\n:as bob\n/ambassadors help\n:as hedy\n/ambassadors help\n",
    );
    let m = messages(&out);
    assert_eq!(m.len(), 3);
    assert!(m[0].starts_with("[only admin]") && m[0].contains("dept add"));
    assert!(m[1].starts_with("[only bob]"));
    assert!(!m[1].contains("dept add") && !m[1].contains("stepdown"));
    assert!(m[1].contains("/kudos @person") && m[1].contains("e.g. `/ambassadors who Finance`"));
    assert!(m[2].contains("stepdown") && !m[2].contains("dept add"));
}

#[test]
fn demo_coverage_shows_uncovered_covered_thin_and_regional_totals() {
    let sb = Sandbox::new();
    let out = sb.console(&["--demo"], "/ambassadors coverage\n");
    let m = messages(&out);
    assert_eq!(m.len(), 1, "{out}");
    let report = &m[0];
    assert!(report.starts_with("[only admin] *Coverage — whole organization*"));
    assert!(
        report.contains("*6 of 8* departments have an ambassador (75%)"),
        "{report}"
    );
    assert!(
        report.contains("*51%* of 995 people covered · 40% in thin departments"),
        "{report}"
    );
    assert!(line_with(report, "Marketing").contains("✗ uncovered"));
    assert!(line_with(report, "Legal").contains("(1 paused)"));
    assert!(line_with(report, "Legal").contains("✗ uncovered"));
    let sales = line_with(report, "Sales ");
    assert!(
        sales.contains("@margaret") && sales.contains("400") && sales.contains("△ thin"),
        "{sales}"
    );
    let pe = line_with(report, "Platform Engineering");
    assert!(
        pe.contains("@ada and @grace") && pe.contains("60") && pe.contains("✓ covered"),
        "{pe}"
    );
    // Regional totals.
    let americas = line_with(report, "Americas   ");
    assert!(
        americas.contains("2 of 3") && americas.contains("16%") && americas.contains("73%"),
        "{americas}"
    );
    let apac = line_with(report, "APAC    ");
    assert!(apac.contains("2 of 2") && apac.contains("100%"), "{apac}");
}

#[test]
fn a_region_without_ambassadors_and_one_with_many_stand_out() {
    let sb = Sandbox::new().with_env("AMBASSADOR_BOT__PROGRAM__MANY_AMBASSADORS_PER_REGION", "3");
    let out = sb.console(
        &["--demo"],
        "/ambassadors dept add Research LATAM 40\n/ambassadors coverage\n",
    );
    let m = messages(&out);
    let report = message_with(&m, "Coverage — whole organization");
    assert!(
        line_with(report, "LATAM").contains("⚠ no ambassador"),
        "{report}"
    );
    assert!(
        line_with(report, "EMEA   ").contains("★ many ambassadors"),
        "{report}"
    );
}

#[test]
fn coverage_of_one_region_and_matrix_form_agree() {
    let sb = Sandbox::new();
    let out = sb.console(
        &["--demo"],
        "/ambassadors coverage emea\n!ambassadors coverage EMEA\n",
    );
    let m = messages(&out);
    assert_eq!(m.len(), 2);
    assert!(m[0].contains("Coverage — EMEA") && !m[0].contains("Sales"));
    assert_eq!(m[0], m[1], "Slack and Matrix forms answer the same");
}

#[test]
fn kudos_rules_self_reason_limit() {
    let sb = Sandbox::new().with_env("AMBASSADOR_BOT__PROGRAM__KUDOS_DAILY_LIMIT", "2");
    let out = sb.console(
        &["--demo"],
        ":as bob\n\
         /kudos @bob for being me\n\
         /kudos @ada\n\
         /kudos @ada for the great onboarding workshop #workshop\n\
         /kudos @grace @linus for reviewing the CI templates\n\
         /kudos @hedy for the data clinic\n\
         /kudos @bot for existing\n",
    );
    let m = messages(&out);
    assert!(m[0].starts_with("[only bob]") && m[0].contains("can't give kudos to yourself"));
    assert!(m[1].starts_with("[only bob]") && m[1].contains("praise is specific"));
    assert_eq!(
        m[2],
        "[general] 🎉 Kudos to @ada from @bob for *the great onboarding workshop #workshop*"
    );
    assert!(m[3].contains("one kudos left today"), "{}", m[3]);
    assert!(m[4].starts_with("[general] 🎉 Kudos to @grace and @linus from @bob"));
    assert!(m[5].contains("last kudos for today"));
    assert!(
        m[6].starts_with("[only bob]") && m[6].contains("daily limit"),
        "{}",
        m[6]
    );
    assert!(
        m[6].contains("the data clinic"),
        "the refused text is handed back"
    );
    assert!(m[7].contains("kudos are for people"));
    assert_eq!(m.len(), 8, "{out}");
}

#[test]
fn kudos_refuses_unknown_people_and_overlong_text_without_recording() {
    let sb = Sandbox::new().with_env("AMBASSADOR_BOT__PROGRAM__KUDOS_DAILY_LIMIT", "1");
    let long = "x".repeat(1001);
    let out = sb.console(
        &["--demo"],
        &format!(
            ":as bob\n/kudos @adaa for typo\n/kudos @ada for {long}\n/kudos @ada for  \u{202E}the docs\u{200B} rewrite\n"
        ),
    );
    let m = messages(&out);
    assert!(m[0].contains("I don't know @adaa"));
    assert!(
        m[1].contains("That is 1001 characters; kudos take up to 1000"),
        "{}",
        m[1]
    );
    // Neither refusal used up the single kudos of the day; control characters are dropped.
    assert_eq!(
        m[2],
        "[general] 🎉 Kudos to @ada from @bob for *the docs rewrite*"
    );
}

#[test]
fn roster_changes_refused_for_members_accepted_for_the_office() {
    let sb = Sandbox::new();
    let out = sb.console(
        &["--demo"],
        ":as bob\n\
         /ambassadors add @carol Marketing\n\
         /ambassadors dept add Security EMEA 30\n\
         /ambassadors pause @ada\n\
         :as admin\n\
         /ambassadors add @carol Marketing America/Denver\n\
         /ambassadors dept add Security EMEA 30\n\
         /ambassadors pause @ada\n\
         /ambassadors coverage Americas\n",
    );
    let m = messages(&out);
    for refusal in &m[0..3] {
        assert!(
            refusal.starts_with("[only bob] Only the program office can do that"),
            "{refusal}"
        );
    }
    assert_eq!(
        m[3],
        "[only admin] @carol is now the ambassador of Marketing (Americas), time zone America/Denver; the welcome message is on its way to them by direct message."
    );
    assert!(
        m[4].starts_with("[dm:carol] *Welcome, ambassador of Marketing!*"),
        "{}",
        m[4]
    );
    assert!(m[5].contains("Added department *Security* in EMEA (30 people)"));
    assert!(m[6].contains("@ada is paused"));
    let report = &m[7];
    assert!(line_with(report, "Marketing").contains("@carol"));
    assert!(line_with(report, "Marketing").contains("✓ covered"));
}

#[test]
fn unknown_names_are_answered_with_suggestions() {
    let sb = Sandbox::new();
    let out = sb.console(
        &["--demo"],
        "/ambassadors who Platfrom Engineering\n\
         /ambassadors coverage EMAE\n\
         /ambassadors add @carol Finanse\n\
         /ambassadors add @carol Finance Europe/Berlim\n\
         /ambassadors coverag\n",
    );
    let m = messages(&out);
    assert!(
        m[0].contains("Did you mean Platform Engineering?"),
        "{}",
        m[0]
    );
    assert!(
        m[1].contains("no region called “EMAE”") && m[1].contains("EMEA"),
        "{}",
        m[1]
    );
    assert!(
        m[2].contains("no department called “Finanse”") && m[2].contains("Finance"),
        "{}",
        m[2]
    );
    assert!(m[3].contains("Europe/Berlin"), "{}", m[3]);
    assert!(m[4].contains("Did you mean `coverage`?") && m[4].contains("/ambassadors help"));
    assert_eq!(m.len(), 5);
}

#[test]
fn stepdown_thanks_the_ambassador_and_updates_coverage() {
    let sb = Sandbox::new();
    let out = sb.console(
        &["--demo"],
        ":as linus\n/ambassadors stepdown\n/ambassadors stepdown\n:as admin\n/ambassadors coverage EMEA\n/ambassadors who @linus\n",
    );
    let m = messages(&out);
    assert!(
        m[0].starts_with("[general] 🎉 Thank you, @linus, for being the ambassador of Finance")
    );
    assert!(
        m[1].starts_with("[only linus]") && m[1].contains("Finance has no active ambassador now")
    );
    assert!(m[2].starts_with("[dm:admin] @linus stepped down as ambassador of Finance"));
    assert!(m[3].starts_with("[only linus]") && m[3].contains("not on the ambassador roster"));
    assert!(
        line_with(&m[4], "Finance").contains("✗ uncovered"),
        "{}",
        m[4]
    );
    assert!(m[5].contains("alumni"), "{}", m[5]);
}

#[test]
fn removing_a_department_with_ambassadors_is_refused_and_loses_nothing() {
    let sb = Sandbox::new();
    let out = sb.console(
        &["--demo"],
        "/ambassadors dept remove Platform Engineering\n\
         /ambassadors who Platform Engineering\n\
         /ambassadors dept remove Marketing\n\
         /ambassadors who marketing\n",
    );
    let m = messages(&out);
    assert!(
        m[0].contains("Platform Engineering still has 2 ambassadors: @ada and @grace"),
        "{}",
        m[0]
    );
    assert!(m[0].contains("Nothing was removed"));
    assert_eq!(
        m[1],
        "[only admin] Platform Engineering (EMEA): @ada and @grace."
    );
    assert_eq!(
        m[2],
        "[only admin] Removed department Marketing (Americas)."
    );
    assert!(
        m[3].contains("no department or region called “marketing”"),
        "{}",
        m[3]
    );
}

#[test]
fn org_map_edits_rename_move_and_headcount() {
    let sb = Sandbox::new();
    let out = sb.console(
        &["--demo"],
        "/ambassadors dept rename Finance to \"Finance & Controlling\"\n\
         /ambassadors dept rename Legal to finance & controlling\n\
         /ambassadors dept move Legal to Americas\n\
         /ambassadors dept headcount Legal 1,000\n\
         /ambassadors dept add Legal EMEA\n\
         /ambassadors who Finance & Controlling\n",
    );
    let m = messages(&out);
    assert!(m[0].contains("Renamed Finance to *Finance & Controlling*"));
    assert!(m[1].contains("already a department called"));
    assert!(m[2].contains("Moved Legal from EMEA to Americas"));
    assert!(m[3].contains("Legal: 1,000 people (was 25 people)"));
    assert!(m[4].contains("already a department called Legal (Americas)"));
    assert!(m[5].contains("Finance & Controlling (EMEA): @linus"));
}

#[test]
fn odd_unicode_names_work_end_to_end() {
    let sb = Sandbox::new();
    let out = sb.console(
        &[],
        "/ambassadors dept add 研究開発 APAC 12\n\
         /ambassadors dept add \"Zoë’s Café 🚀\" EMEA 7\n\
         :as 李\n:as admin\n\
         /ambassadors add @李 研究開発 Asia/Shanghai\n\
         /ambassadors who ＺＯË’S CAFÉ 🚀\n\
         /ambassadors coverage apac\n",
    );
    let m = messages(&out);
    assert!(m[0].contains("Added department *研究開発* in APAC"));
    assert!(m[1].contains("*Zoë’s Café 🚀*"));
    assert!(m[2].contains("@李 is now the ambassador of 研究開発"));
    assert!(
        m[4].contains("Zoë’s Café 🚀 (EMEA) has no active ambassador yet"),
        "{}",
        m[4]
    );
    assert!(line_with(&m[5], "研究開発").contains("@李"));
}

#[test]
fn data_outlives_the_process() {
    let sb = Sandbox::new();
    sb.console(&[], "/ambassadors dept add Finance EMEA 80\n:as ada\n:as admin\n/ambassadors add @ada Finance\n");
    let out = sb.console(&[], "/ambassadors who finance\n");
    assert_eq!(out.trim_end(), "[only admin] Finance (EMEA): @ada.");
    // --demo leaves a database with data alone.
    let out = sb.console(&["--demo"], "/ambassadors coverage\n");
    assert!(out.contains("*1 of 1* departments"), "{out}");
}

#[test]
fn directives_switch_user_and_room() {
    let sb = Sandbox::new();
    let out = sb.console(
        &["--demo"],
        ":in #random\n:as bob\n/kudos @ada for the docs rewrite\n:dm\n/kudos @grace for reviewing the CI templates\n:bogus\nhello, not a command\n:in general\nhello again\n:quit\n/ambassadors help\n",
    );
    let m = messages(&out);
    assert!(m[0].starts_with("[random] 🎉 Kudos to @ada from @bob"));
    assert!(m[1].starts_with("[only bob]"));
    assert!(m[2].starts_with("[dm:bob] 🎉 Kudos to @grace"));
    assert!(m[4].starts_with("[console] unknown directive `:bogus`"));
    assert!(
        m[5].starts_with("[dm:bob] I understand commands here"),
        "a hint in a direct conversation"
    );
    assert_eq!(
        m.len(),
        6,
        "plain chat in a room gets no answer and :quit stops: {out}"
    );
}

#[test]
fn postgresql_and_sqlite_give_the_same_transcript() {
    let Some(schema) = support::PgSchema::new("console") else {
        return;
    };
    let script = "/ambassadors coverage\n\
                  :as bob\n\
                  /kudos @ada @grace for the CI templates #ci\n\
                  :as admin\n\
                  /ambassadors dept add \"Zoë’s Café 🚀\" APAC 12\n\
                  /ambassadors add @bob \"zoë’s café 🚀\" Asia/Tokyo\n\
                  /ambassadors dept remove Finance\n\
                  :as grace\n\
                  /ambassadors stepdown\n\
                  :as admin\n\
                  /ambassadors coverage\n\
                  /ambassadors list APAC\n";
    let sqlite = Sandbox::new().console(&["--demo"], script);
    let pg = Sandbox::new()
        .with_env("AMBASSADOR_BOT__DATABASE__URL", &schema.url)
        .console(&["--demo"], script);
    assert_eq!(messages(&sqlite).len(), 12, "{sqlite}");
    assert_eq!(sqlite, pg, "both back-ends answer the same");
}

/// `:clock` refuses a jump beyond its documented limit (10 years) with one line, and a jump past
/// the calendar's end does not panic: the session goes on.
#[test]
fn clock_jumps_beyond_ten_years_are_refused_in_one_line() {
    let sb = Sandbox::new();
    let out = sb.console(
        &["--demo", "--clock", "2027-01-03T12:00:00Z"],
        ":clock +99999999999d\n:clock +100000d\n:clock 9999-01-01\n:clock +11d\n/ambassadors who Finance\n",
    );
    let refusals: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("[console]") && l.contains("too far ahead"))
        .collect();
    assert_eq!(refusals.len(), 3, "{out}");
    assert!(
        refusals.iter().all(|l| l.contains("at most 10 years")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("[console]") && l.contains("99999999999d")),
        "the impossible jump gets an answer too: {out}"
    );
    assert!(
        out.contains("[clock] Thursday 2027-01-14 12:00 UTC"),
        "{out}"
    );
    assert!(
        out.contains("[only admin]") && out.contains("Finance"),
        "{out}"
    );
}
