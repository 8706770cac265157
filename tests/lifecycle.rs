//! The ambassador's lifecycle through the console: applications from apply to approval and
//! onboarding, a decline, nominations, a withdrawal, misuse reports that never reach a room, the
//! inactivity ladder over simulated months, a yearly renewal, the kudos opt-out in the digest, an
//! exported record, and every office-only command refused to members and ambassadors.

mod support;

use support::{Sandbox, message_with, messages};

fn count(msgs: &[String], needle: &str) -> usize {
    msgs.iter().filter(|m| m.contains(needle)).count()
}

/// Messages sent anywhere other than to one person: rooms and channels.
fn room_messages(msgs: &[String]) -> Vec<&String> {
    msgs.iter()
        .filter(|m| !m.starts_with("[only ") && !m.starts_with("[dm:") && !m.starts_with("[clock]"))
        .collect()
}

#[test]
fn an_application_from_apply_to_approval_onboarding_and_the_digest() {
    let sb = Sandbox::new()
        .with_env(
            "AMBASSADOR_BOT__LIFECYCLE__TRAINING_LINKS",
            "https://innersourcecommons.org/learn/learning-path/",
        )
        .with_env(
            "AMBASSADOR_BOT__LIFECYCLE__AMBASSADORS_CHANNEL",
            "#ambassadors",
        );
    // Wednesday; the digest is due Friday 15:00.
    let script = "\
:as carol
:in general
/ambassadors apply
:dm
I want to help my team share the data tooling we built.
I maintain the team's shared notebook library and reviewed 30 PRs from other teams.

:as admin
/ambassadors applications
:as carol
:dm
A monthly InnerSource office hour and a guide for contributing to our tools.
America/Chicago
Marketting
/ambassadors apply
Marketing
/ambassadors apply
:as admin
:in general
/ambassadors applications
/ambassadors approve @carol
/ambassadors approve @carol
/ambassadors who Marketing
:clock 2027-01-08T16:00:00Z
";
    let out = sb.console(&["--demo", "--clock", "2027-01-06T12:00:00Z"], script);
    let m = messages(&out);

    // The questions come one at a time in the direct conversation.
    assert!(
        m.iter()
            .any(|x| x.starts_with("[only carol]") && x.contains("sent you a direct message")),
        "{out}"
    );
    let q1 = message_with(&m, "1/5: Why do you want to be an ambassador?");
    assert!(q1.starts_with("[dm:carol]"), "{q1}");
    assert!(message_with(&m, "2/5: How have you taken part").starts_with("[dm:carol]"));
    assert!(message_with(&m, "3/5: What would you do").starts_with("[dm:carol]"));
    // Asking to apply while writing repeats the open question.
    assert_eq!(count(&m, "5/5: Last one: which department"), 2, "{out}");
    // An empty line is not an answer; a typo in the department gets a suggestion.
    assert!(out.contains("There is no department called “Marketting”. Did you mean Marketing?"));
    // Nothing reaches the office before the application is sent.
    let early = m
        .iter()
        .position(|x| x.contains("No open applications"))
        .expect("the office saw an empty list while carol was still writing");
    assert!(
        m[early].starts_with("[only admin]") || m[early].starts_with("[dm:admin]"),
        "{}",
        m[early]
    );

    // Sent: the applicant is thanked, the office is told.
    assert!(message_with(&m, "*Application sent*").contains("Marketing (Americas)"));
    let notice = message_with(&m, "New ambassador application from");
    assert!(
        notice.starts_with("[dm:admin]") && notice.contains("@carol"),
        "{notice}"
    );
    // Applying again while it waits says so (a person never has two).
    assert!(out.contains("Your application is with the program office since 2027-01-06"));

    // The office's review: answers, track record and the selection criteria.
    let review = message_with(&m, "Ambassador applications — 1 open");
    assert!(review.starts_with("[only admin]"), "{review}");
    for needle in [
        "@carol — submitted 2027-01-06",
        "Marketing — 0 active ambassadors, headcount 60",
        "Americas — 2 active ambassadors (the goal: a few per region)",
        "1 kudos received, 1 given; no roles as ambassador yet",
        "Why do you want to be an ambassador?* I want to help my team share the data tooling",
        "reviewed 30 PRs from other teams",
        "A monthly InnerSource office hour",
        "/ambassadors approve @carol",
    ] {
        assert!(review.contains(needle), "{needle:?} missing in\n{review}");
    }

    // Approval: roster, welcome with the configured onboarding, once.
    assert!(out.contains("✅ Approved: @carol is now the ambassador of Marketing (Americas)"));
    assert_eq!(count(&m, "✅ Approved"), 1);
    assert!(
        out.contains("@carol has no open application"),
        "second approve: {out}"
    );
    let welcome = message_with(&m, "*Welcome, ambassador of Marketing!*");
    assert!(welcome.starts_with("[dm:carol]"), "{welcome}");
    for needle in [
        "liaison",
        "Promote InnerSource practices",
        "feedback to the program office",
        "https://innersourcecommons.org/learn/learning-path/",
        "*#ambassadors*",
    ] {
        assert!(welcome.contains(needle), "{needle:?} missing in\n{welcome}");
    }
    assert!(
        out.contains("Marketing") && message_with(&m, "[only admin] Marketing").contains("@carol")
    );

    // The next digest welcomes her.
    let digest = message_with(&m, "Weekly digest — week to 2027-01-08");
    assert!(
        digest.contains("Welcome to our new ambassadors"),
        "{digest}"
    );
    assert!(digest.contains("@carol"), "{digest}");
}

#[test]
fn a_decline_a_withdrawal_and_a_nomination() {
    let sb = Sandbox::new();
    let script = "\
:as dave
:dm
/ambassadors apply
I like helping.
Not much yet.
Workshops.
America/New_York
Sales
:as admin
:in general
/ambassadors decline @dave
/ambassadors decline @dave Sales already has an ambassador; let's talk again in spring.
/ambassadors decline @dave twice
:as bob
:dm
/ambassadors apply
Because.
/ambassadors withdraw
/ambassadors withdraw
/ambassadors apply
:in general
/ambassadors nominate @bob me
/ambassadors nominate @ada she is great
/ambassadors nominate @carol she runs the data office hours every month
/ambassadors nominate @carol again
/ambassadors nominate @carol
:as admin
/ambassadors applications
";
    let out = sb.console(&["--demo", "--clock", "2027-01-06T12:00:00Z"], script);
    let m = messages(&out);

    // Decline: a reason is required; the applicant reads it by direct message.
    assert!(
        out.contains("Give the applicant a reason: they will read it."),
        "{out}"
    );
    assert!(out.contains("Declined the application of @dave"));
    let letter = message_with(&m, "*About your ambassador application*");
    assert!(letter.starts_with("[dm:dave]"), "{letter}");
    assert!(letter.contains("Sales already has an ambassador; let's talk again in spring."));
    assert!(
        letter.contains("/ambassadors apply"),
        "invited to apply again: {letter}"
    );
    assert!(
        out.contains("@dave has no open application"),
        "decided once: {out}"
    );

    // Withdrawal from a draft; withdrawing twice explains; applying again starts afresh.
    assert!(out.contains("Your application is withdrawn."));
    assert!(out.contains("You have no application under way, so there is nothing to withdraw."));
    assert_eq!(
        count(&m, "1/5: Why do you want to be an ambassador?"),
        3,
        "{out}"
    );

    // Nominations: not yourself, not a current ambassador, not twice, not without a reason.
    assert!(
        out.contains("To put yourself forward, apply: `/ambassadors apply`"),
        "{out}"
    );
    assert!(out.contains("@ada is already the ambassador of Platform Engineering."));
    assert!(out.contains("You have already nominated @carol; the program office has it."));
    assert!(out.contains("Say why: what have they done that makes them a good ambassador?"));
    let invite = message_with(&m, "*You were nominated as ambassador*");
    assert!(
        invite.starts_with("[dm:carol]") && invite.contains("@bob suggested you"),
        "{invite}"
    );
    assert!(invite.contains("she runs the data office hours every month"));
    let review = message_with(&m, "Ambassador applications —");
    assert!(review.contains("— 0 open, 1 nomination"), "{review}");
    assert!(review.contains("Nominated, not applied yet"), "{review}");
    assert!(
        review.contains(
            "@carol, nominated by @bob on 2027-01-06: _she runs the data office hours every month_"
        ),
        "{review}"
    );
    // No nomination and no decline was ever posted in a room.
    for msg in room_messages(&m) {
        assert!(
            !msg.contains("nominat") && !msg.contains("Declined"),
            "{msg}"
        );
    }
}

#[test]
fn a_misuse_report_never_reaches_a_room_and_the_office_resolves_it() {
    let sb = Sandbox::new();
    let script = "\
:as bob
:in general
/ambassadors report @linus told a vendor he can sign contracts as InnerSource ambassador
/ambassadors report @linus
/ambassadors report @bob myself
:as admin
/ambassadors reports
/ambassadors resolve 7
/ambassadors resolve 1 talked to linus; he corrected it
/ambassadors resolve 1
/ambassadors reports
";
    let out = sb.console(&["--demo", "--clock", "2027-01-06T12:00:00Z"], script);
    let m = messages(&out);
    let secret = "sign contracts";
    for msg in &m {
        if msg.contains(secret) {
            assert!(
                msg.starts_with("[dm:admin]") || msg.starts_with("[only admin]"),
                "the report leaked: {msg}"
            );
        }
    }
    assert!(
        room_messages(&m).iter().all(|x| !x.contains("report")),
        "{out}"
    );
    let ack = message_with(
        &m,
        "Report #1 is recorded and on its way privately to the program office",
    );
    assert!(ack.starts_with("[only bob]"), "{ack}");
    let to_office = message_with(&m, "*Misuse report #1*");
    assert!(to_office.starts_with("[dm:admin]"), "{to_office}");
    assert!(to_office.contains("@bob reports @linus (active ambassador of Finance)"));
    assert!(out.contains("What happened? The program office reads it privately."));
    assert!(out.contains("A report is about someone else."));
    let list = message_with(&m, "Open misuse reports — 1");
    assert!(list.contains("#1") && list.contains(secret), "{list}");
    assert!(out.contains("There is no report #7."));
    assert!(
        out.contains("[only admin] Report #1 is resolved; the reporter is told by direct message.")
    );
    let told = message_with(&m, "Your report #1 was looked at and resolved");
    assert!(told.starts_with("[dm:bob]"), "{told}");
    assert!(
        out.contains("Report #1 was already resolved by @admin on 2027-01-06."),
        "{out}"
    );
    assert!(out.contains("No open misuse reports."));
}

#[test]
fn the_inactivity_ladder_nudges_asks_the_office_then_suggests_alumni_and_never_removes() {
    let sb = Sandbox::new();
    // alan joined the demo's roster 30 days before 2027-01-04; the bot first knew him when the
    // demo was loaded then, and he never answers or logs anything.
    let script = "\
:clock 2027-02-10T12:00:00Z
:clock 2027-03-10T12:00:00Z
:clock 2027-07-10T12:00:00Z
:as admin
:in general
/ambassadors list Operations
:as alan
/ambassadors log Ran a brown-bag session on code review #talk (12 people)
:clock 2027-08-10T12:00:00Z
:clock 2027-09-10T12:00:00Z
";
    let out = sb.console(&["--demo", "--clock", "2027-01-04T08:00:00Z"], script);
    let m = messages(&out);
    let nudges: Vec<&String> = m
        .iter()
        .filter(|x| {
            x.starts_with("[dm:alan]") && x.contains("We have not heard from you in a while")
        })
        .collect();
    let asks: Vec<&String> = m
        .iter()
        .filter(|x| {
            x.starts_with("[dm:admin]") && x.contains("@alan") && x.contains("Mark them inactive?")
        })
        .collect();
    let alumni: Vec<&String> = m
        .iter()
        .filter(|x| {
            x.starts_with("[dm:admin]") && x.contains("@alan") && x.contains("move them to alumni")
        })
        .collect();
    assert_eq!(nudges.len(), 2, "one per quiet spell: {nudges:#?}");
    assert_eq!(asks.len(), 1, "{asks:#?}");
    assert_eq!(alumni.len(), 1, "{alumni:#?}");
    assert!(
        asks[0].contains("has been quiet for 90 days"),
        "{}",
        asks[0]
    );
    assert!(asks[0].contains("/ambassadors pause @alan"), "{}", asks[0]);
    assert!(
        alumni[0].contains("has been quiet for 180 days"),
        "{}",
        alumni[0]
    );
    assert!(alumni[0].contains("Nothing happens unless you do it."));
    // Order: nudge, then the question, then the suggestion.
    let at = |needle: &str| {
        m.iter()
            .position(|x| x.contains(needle) && x.contains("alan"))
            .unwrap()
    };
    assert!(at("We have not heard from you") < at("Mark them inactive?"));
    assert!(at("Mark them inactive?") < at("move them to alumni"));
    // Still on the roster, active: nobody is removed without the office.
    let list = message_with(&m, "[only admin] *Ambassadors — Operations");
    assert!(list.contains("@alan"), "{list}");
    assert!(
        !list.contains("paused") && !list.contains("alumni"),
        "{list}"
    );
    // Activity starts a new quiet spell: the second nudge comes 60 days after the logged activity.
    let logged = m
        .iter()
        .position(|x| x.starts_with("[only alan]") && x.contains("brown-bag"))
        .expect("the log entry was confirmed");
    let second = m.iter().rposition(|x| x == nudges[1]).unwrap();
    assert!(second > logged, "{out}");
    let weeks_between = m[logged..second]
        .iter()
        .filter(|x| x.starts_with("[dm:alan] *Check-in for"))
        .count();
    assert!(
        weeks_between >= 8,
        "the second nudge came after {weeks_between} weeks: {out}"
    );
}

#[test]
fn a_yearly_renewal_is_asked_on_the_anniversary_and_silence_is_reported() {
    let sb = Sandbox::new();
    let script = "\
/ambassadors dept add Research EMEA 40
/ambassadors dept add Support EMEA 90
/ambassadors add @eve Research
/ambassadors add @frank Support
:as eve
/ambassadors renew
:as admin
:clock 2028-03-01T12:00:00Z
:as eve
/ambassadors renew
/ambassadors renew
:as admin
:clock 2028-03-20T12:00:00Z
";
    // In the console, people are known once they have said something.
    let script =
        format!(":as eve\n/ambassadors help\n:as frank\n/ambassadors help\n:as admin\n{script}");
    let out = sb.console(&["--clock", "2027-03-01T08:00:00Z"], &script);
    let m = messages(&out);
    assert!(
        out.contains("Your first year runs until 2028-03-01"),
        "{out}"
    );
    let asks = |who: &str| {
        m.iter()
            .filter(|x| {
                x.starts_with(&format!("[dm:{who}]"))
                    && x.contains("Would you like to go on for another year?")
            })
            .count()
    };
    assert_eq!(asks("eve"), 1, "{out}");
    assert_eq!(asks("frank"), 1, "{out}");
    let ask = message_with(&m, "[dm:eve] *1 year as ambassador of Research 🎂*");
    assert!(
        ask.contains("/ambassadors renew") && ask.contains("/ambassadors stepdown"),
        "{ask}"
    );
    assert!(out.contains("Thank you for another year as ambassador of Research!"));
    assert!(out.contains("You already confirmed this year (since 2028-03-01)."));
    let reports: Vec<&String> = m
        .iter()
        .filter(|x| x.starts_with("[dm:admin]") && x.contains("has not confirmed another year"))
        .collect();
    assert_eq!(reports.len(), 1, "only frank, once: {reports:#?}");
    assert!(reports[0].contains("@frank") && reports[0].contains("anniversary 2028-03-01"));
}

#[test]
fn kudos_mine_and_an_opt_out_honoured_by_the_digest() {
    let sb = Sandbox::new();
    let script = "\
:as carol
/kudos optout
:as bob
:in general
/kudos @carol @ada for pairing on the release pipeline all week
/kudos @carol for the data-quality checklist
:as carol
/kudos @dave for reviewing my notebook library change
/kudos mine
:clock 2027-01-08T16:00:00Z
:as dave
/kudos optin
";
    let out = sb.console(&["--demo", "--clock", "2027-01-06T12:00:00Z"], script);
    let m = messages(&out);
    assert!(
        out.contains("you no longer appear by name in the weekly digest"),
        "{out}"
    );
    let mine = message_with(&m, "*Your kudos — 3 received, 2 given*");
    assert!(mine.starts_with("[only carol]"), "{mine}");
    assert!(
        mine.contains("from @bob: _the data-quality checklist_"),
        "{mine}"
    );
    assert!(
        mine.contains("from @ada: _their first merged contribution"),
        "{mine}"
    );
    let digest = message_with(&m, "Weekly digest — week to 2027-01-08");
    assert!(!digest.contains("@carol"), "carol opted out: {digest}");
    assert!(
        !digest.contains("data-quality checklist"),
        "kudos only to carol are not listed: {digest}"
    );
    assert!(
        digest.contains("@ada, thanked by @bob for _pairing on the release pipeline all week_"),
        "{digest}"
    );
    assert!(
        digest.contains("@dave, thanked for _reviewing my notebook library change_"),
        "the opted-out giver is not named: {digest}"
    );
    assert!(out.contains(
        "[only dave] Welcome back: the weekly digest and leaderboards may name you again."
    ));
}

#[test]
fn an_exported_record_holds_terms_check_ins_and_kudos_with_reasons() {
    let sb = Sandbox::new();
    let script = "\
:clock 2027-01-04T12:00:00Z
:as ada
:dm
Two office hours; the build team needs a CI sponsor.
:as bob
:in general
/kudos @ada for the \"InnerSource 101\" talk, with 40 people
:as ada
/ambassadors record
:as admin
/ambassadors add @ada Finance
";
    sb.console(&["--demo", "--clock", "2027-01-03T12:00:00Z"], script);
    let md = sb.run(&["export", "record", "console:ada"], "");
    assert!(
        md.status.success(),
        "{}",
        String::from_utf8_lossy(&md.stderr)
    );
    let md = String::from_utf8(md.stdout).unwrap();
    let closes = chrono::DateTime::parse_from_rfc3339("2027-01-10T09:00:00Z").unwrap();
    let checkins = if chrono::Utc::now() < closes {
        "no round closed yet · 1 open"
    } else {
        "1 of 1 answered (100%)"
    };
    for needle in [
        "Ambassador program record — ada",
        "Platform Engineering (EMEA): 2025-11-29 – 2027-01-04",
        "Finance (EMEA): 2027-01-04 – today",
        checkins,
        "2 received, 1 given",
        "from @bob: _the \"InnerSource 101\" talk, with 40 people_",
        "running the InnerSource onboarding workshop",
    ] {
        assert!(md.contains(needle), "{needle:?} missing in\n{md}");
    }
    let csv = sb.run(&["export", "record", "console:ada", "--format", "csv"], "");
    assert!(
        csv.status.success(),
        "{}",
        String::from_utf8_lossy(&csv.stderr)
    );
    let csv = String::from_utf8(csv.stdout).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "kind,date,until,detail,from,from_account");
    assert!(
        rows.contains(&"term,2025-11-29,2027-01-04,ambassador of Platform Engineering (EMEA),,"),
        "{csv}"
    );
    assert!(
        rows.contains(&"kudos,2027-01-04,,\"the \"\"InnerSource 101\"\" talk, with 40 people\",bob,console:bob"),
        "{csv}"
    );
    assert!(
        rows.contains(&format!("checkins,,,{checkins},,").as_str()),
        "{csv}"
    );
    // Unknown people and formats get a clear answer and a failure code.
    let unknown = sb.run(&["export", "record", "console:nobody"], "");
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("nobody with the account console:nobody")
    );
    let bad = sb.run(&["export", "record", "console:ada", "--format", "pdf"], "");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown format `pdf`"));
}

#[test]
fn every_office_only_command_is_refused_to_members_and_ambassadors() {
    let sb = Sandbox::new();
    let commands = [
        "/ambassadors applications",
        "/ambassadors approve @bob",
        "/ambassadors decline @bob not now",
        "/ambassadors reports",
        "/ambassadors resolve 1",
        "/ambassadors alumni @grace",
        "/ambassadors add @bob Finance",
        "/ambassadors remove @grace",
        "/ambassadors pause @grace",
        "/ambassadors resume @tim",
        "/ambassadors dept add X EMEA",
        "/ambassadors dept rename Finance to Money",
        "/ambassadors dept move Finance to APAC",
        "/ambassadors dept headcount Finance 3",
        "/ambassadors dept remove Legal",
        "/ambassadors checkins",
        "/ambassadors feedback",
        "/ambassadors announce hello",
        "/ambassadors announcements",
        "/ambassadors quarter",
    ];
    let mut script = String::new();
    for who in ["bob", "ada"] {
        script += &format!(":as {who}\n");
        for c in commands {
            script += c;
            script += "\n";
        }
    }
    script += ":as admin\n/ambassadors list Platform Engineering\n";
    let out = sb.console(&["--demo"], &script);
    let m = messages(&out);
    assert_eq!(m.len(), commands.len() * 2 + 1, "{out}");
    for (i, reply) in m[..commands.len() * 2].iter().enumerate() {
        let who = if i < commands.len() { "bob" } else { "ada" };
        assert!(
            reply.starts_with(&format!("[only {who}] Only the program office can do that")),
            "{}: {reply}",
            commands[i % commands.len()]
        );
    }
    // Nothing changed: grace is still an active ambassador.
    assert!(m.last().unwrap().contains("@grace"));
}

#[test]
fn kudos_are_copied_to_the_manager_when_configured() {
    let sb = Sandbox::new().with_env("AMBASSADOR_BOT__LIFECYCLE__COPY_KUDOS_TO_MANAGER", "true");
    let departments = sb.file(
        "departments.csv",
        "name,region,headcount\nResearch,EMEA,40\n",
    );
    let roster = sb.file(
        "roster.csv",
        "person,department,display_name,manager\nconsole:eve,Research,eve,console:mia\n",
    );
    let import = sb.run(
        &[
            "import",
            "--departments",
            departments.to_str().unwrap(),
            "--roster",
            roster.to_str().unwrap(),
            "--platform",
            "console",
        ],
        "",
    );
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );
    let out = sb.console(
        &[],
        ":as mia\n/ambassadors help\n:as bob\n/kudos @eve for the reproducible benchmark setup\n:as mia\n/kudos @eve for the paper draft\n",
    );
    let m = messages(&out);
    let copies: Vec<&String> = m
        .iter()
        .filter(|x| x.starts_with("[dm:mia] FYI:"))
        .collect();
    assert_eq!(copies.len(), 1, "not for kudos the manager gave: {out}");
    assert!(copies[0].contains(
        "@eve from your team got kudos from @bob for *the reproducible benchmark setup*"
    ));
}
