//! Announcements from the program office through the console: sent to the active ambassadors in
//! scope, acknowledged, reminded, followed by region; bad announcements and log entries explained.

mod support;

use support::{Sandbox, line_with, messages};

fn count(msgs: &[String], prefix: &str, needle: &str) -> usize {
    msgs.iter()
        .filter(|m| m.starts_with(prefix) && m.contains(needle))
        .count()
}

#[test]
fn announcements_reach_the_active_ambassadors_in_scope_and_are_followed_up() {
    let sb = Sandbox::new();
    let out = sb.console(
        &["--demo", "--clock", "2027-02-01T12:00:00Z"],
        ":as linus\n/ambassadors stepdown\n\
         :as admin\n\
         /ambassadors announce The InnerSource summit call for talks is open until 2027-03-01.\n\
         /ambassadors announce --region emea Office hours move to Thursdays.\n\
         :as ada\n/ambassadors inbox\n/ambassadors ack\n/ambassadors ack shared\n\
         :as hedy\n/ambassadors ack shared\n\
         :as bob\n/ambassadors announce hello\n/ambassadors announcements\n\
         :clock 2027-02-05T00:00:00Z\n\
         :as admin\n/ambassadors announcements\n",
    );
    let m = messages(&out);
    // To all: the 6 active ambassadors (not tim, paused; not linus, alumni now).
    assert!(
        m.iter()
            .any(|x| x
                .starts_with("[only admin] 📣 Sent to 6 active ambassadors (all ambassadors).\n")),
        "{out}"
    );
    for who in ["ada", "grace", "margaret", "katherine", "hedy", "alan"] {
        assert_eq!(
            count(
                &m,
                &format!("[dm:{who}] *📣 From the program office*"),
                "call for talks"
            ),
            1,
            "{who}"
        );
    }
    for who in ["tim", "linus", "bob"] {
        assert_eq!(
            count(&m, &format!("[dm:{who}]"), "From the program office"),
            0,
            "{who}"
        );
    }
    // To EMEA: ada and grace only.
    assert!(m.iter().any(|x| {
        x.starts_with("[only admin] 📣 Sent to 2 active ambassadors (the ambassadors of EMEA).\n")
    }));
    assert_eq!(count(&m, "[dm:ada]", "Thursdays"), 1);
    assert_eq!(count(&m, "[dm:hedy]", "Thursdays"), 0);

    let inbox = m
        .iter()
        .find(|x| x.starts_with("[only ada] *Open announcements (2)*"))
        .expect("inbox");
    assert!(inbox.contains("Thursdays") && inbox.contains("call for talks"));
    assert!(m.iter().any(|x| {
        x.starts_with("[only ada] Thanks! Acknowledged “Office hours move to Thursdays.”")
            && x.contains("1 more open")
    }));
    assert!(m.iter().any(|x| x.starts_with(
        "[only ada] Thanks! Noted that you shared “Office hours move to Thursdays.”"
    )));
    assert!(m.iter().any(|x| x.starts_with(
        "[only hedy] Thanks! Noted that you shared “The InnerSource summit call for talks"
    )));
    // Members are refused.
    assert_eq!(
        count(&m, "[only bob] Only the program office can do that", ""),
        2
    );

    // One reminder after three days to those who did not acknowledge, none to the others.
    for who in ["grace", "margaret", "katherine", "alan"] {
        assert_eq!(
            count(
                &m,
                &format!("[dm:{who}] A reminder: the program office's announcement"),
                ""
            ),
            1 + usize::from(who == "grace"),
            "{who}"
        );
    }
    assert_eq!(count(&m, "[dm:hedy] A reminder", ""), 0);
    // ada acknowledged the EMEA one only (the newest), so she is reminded of the other.
    assert_eq!(count(&m, "[dm:ada] A reminder", "call for talks"), 1);
    assert_eq!(count(&m, "[dm:ada] A reminder", "Thursdays"), 0);

    let view = m.last().unwrap();
    assert!(view.starts_with("[only admin] *Announcements*"), "{view}");
    let emea = line_with(view, "EMEA ");
    assert!(emea.contains("2") && emea.contains("1 (50%)"), "{view}");
    assert!(
        view.contains("Not acknowledged, even after a reminder: "),
        "{view}"
    );
}

#[test]
fn bad_announcements_and_log_entries_are_explained_and_store_nothing() {
    let sb = Sandbox::new();
    let long = "x".repeat(3001);
    let out = sb.console(
        &["--demo", "--clock", "2027-02-10T12:00:00Z"],
        &format!(
            "/ambassadors announce\n\
             /ambassadors announce \u{200B} \n\
             /ambassadors announce {long}\n\
             /ambassadors announce --region EMAE Hello\n\
             /ambassadors announce --department Finanse Hello\n\
             /ambassadors announce --team Platform Hello\n\
             /ambassadors announce --region Americas\n\
             /ambassadors announcements\n\
             :as ada\n\
             /ambassadors log {long}\n\
             /ambassadors log Workshop for lots of people\n\
             /ambassadors log Workshop (a dozen people)\n\
             /ambassadors log edit 7 Nothing here\n\
             /ambassadors log delete x\n\
             /ambassadors log list\n\
             /ambassadors inbox\n"
        ),
    );
    let m = messages(&out);
    assert!(m[0].contains("What should I announce?"), "{}", m[0]);
    assert!(m[1].contains("The text is empty"), "{}", m[1]);
    assert!(
        m[2].contains("3001 characters") && m[2].contains("Nothing was sent"),
        "{}",
        m[2]
    );
    assert!(
        m[3].contains("no region called “EMAE”") && m[3].contains("Did you mean EMEA?"),
        "{}",
        m[3]
    );
    assert!(
        m[4].contains("no department called “Finanse”") && m[4].contains("Finance"),
        "{}",
        m[4]
    );
    assert!(m[5].contains("use --region or --department"), "{}", m[5]);
    assert!(m[6].contains("What should I announce?"), "{}", m[6]);
    assert!(
        m[7].contains("No announcements in the last 90 days"),
        "nothing was sent: {}",
        m[7]
    );
    assert!(m[8].contains("3001 characters"), "{}", m[8]);
    // "lots" is not next to "people": no audience; an entry is logged.
    assert!(
        m[9].starts_with("[only ada] Logged #1 · 2027-02-10 · Workshop for lots of people."),
        "{}",
        m[9]
    );
    assert!(
        m[10].contains("`a dozen` is not a number of people"),
        "{}",
        m[10]
    );
    assert!(m[11].contains("There is no entry #7 of yours"), "{}", m[11]);
    assert!(m[12].contains("Give the number of the entry"), "{}", m[12]);
    assert!(
        m[13].contains("*Your activity log (1)*"),
        "only the valid entry was stored: {}",
        m[13]
    );
    assert!(m[14].contains("Your inbox is empty"), "{}", m[14]);
    assert!(
        !out.contains("From the program office"),
        "no announcement went out: {out}"
    );
}
