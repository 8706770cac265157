//! The office answers back, through the console over simulated weeks: three ambassadors in two
//! regions answer a check-in round with needs (two of them the same need in other words), the
//! office acknowledges, replies, groups and marks one done, the ambassadors get each answer by
//! direct message, an unanswered request reaches the office's Monday summary once, and the
//! quarterly report's "You said, we did" counts them with the right median.

mod support;

use support::{Sandbox, message_with, messages};

fn count(msgs: &[String], needle: &str) -> usize {
    msgs.iter().filter(|m| m.contains(needle)).count()
}

/// The demo organization: ada (Platform Engineering) and linus (Finance) in EMEA, margaret (Sales)
/// in the Americas. Monday 2027-01-11 is a check-in round; at 15:00 UTC it is open in London,
/// Helsinki and New York.
const ROUND: &str = "\
:clock 2027-01-11T15:00:00Z
:as ada
:dm
1. Builds are slow again
4. A sponsor for shared CI runners #ci
:as linus
:dm
Good week overall.
Need: shared CI runners, someone has to sponsor them
:as margaret
:dm
1. Nothing blocking
4) Legal review of our license for the design system
:as hedy
:dm
4. nothing, thanks
";

#[test]
fn needs_become_requests_the_office_answers_groups_and_closes_and_reports() {
    let sb = Sandbox::new().with_env("AMBASSADOR_BOT__DIGEST__REQUESTS", "true");
    let script = format!(
        "{ROUND}\
:clock 2027-01-12T15:00:00Z
:as admin
:in general
/ambassadors requests
/ambassadors status 1 acknowledged
/ambassadors label 1 ci-sponsor
/ambassadors label 2 ci-sponsor
/ambassadors requests --grouped
:clock 2027-01-14T15:00:00Z
:as admin
/ambassadors reply 2 Grace owns the CI budget; I asked her to sponsor runners for both teams.
:as linus
/ambassadors reply 2 Thank you, we need four runners.
:as admin
/ambassadors status 1 done Two runners are reserved for Platform Engineering from March.
:clock 2027-01-26T12:00:00Z
:as admin
/ambassadors quarter 2027-Q1
:as bob
/ambassadors request 3
:as ada
/ambassadors request 2
/ambassadors requests all
"
    );
    let out = sb.console(&["--demo", "--clock", "2027-01-08T12:00:00Z"], &script);
    let m = messages(&out);

    // Each need became a numbered request, told to its ambassador; "nothing" made none.
    let ada_thanks = message_with(&m, "What you need is request #1");
    assert!(ada_thanks.starts_with("[dm:ada]"), "{ada_thanks}");
    assert!(message_with(&m, "What you need is request #2").starts_with("[dm:linus]"));
    assert!(message_with(&m, "What you need is request #3").starts_with("[dm:margaret]"));
    assert_eq!(count(&m, "is request #4"), 0, "{out}");
    assert!(
        !m.iter()
            .any(|x| x.starts_with("[dm:hedy]") && x.contains("request #"))
    );

    // The office hears of each, with its department and region; the second is suggested as the
    // same need as the first.
    let second = message_with(&m, "*Request #2*");
    assert!(second.starts_with("[dm:admin]"), "{second}");
    assert!(second.contains("(Finance, EMEA) needs, from the check-in of 2027-01-11"));
    assert!(second.contains("Possibly the same need as:"), "{second}");
    assert!(
        second.contains("*#1* (Platform Engineering, new)"),
        "{second}"
    );
    let third = message_with(&m, "*Request #3*");
    assert!(third.contains("(Sales, Americas)"), "{third}");
    assert!(!third.contains("Possibly the same need"), "{third}");

    // The office's list, newest first.
    let list = message_with(&m, "*Requests — open (3)*");
    let (p3, p2, p1) = (
        list.find("*#3*").unwrap(),
        list.find("*#2*").unwrap(),
        list.find("*#1*").unwrap(),
    );
    assert!(p3 < p2 && p2 < p1, "{list}");

    // Acknowledging tells ada.
    let ack = message_with(&m, "The program office has read your request #1");
    assert!(ack.starts_with("[dm:ada]"), "{ack}");

    // Grouped: the same need across two departments, with its age.
    let grouped = message_with(&m, "grouped by label");
    assert!(
        grouped.contains(
            "*ci-sponsor*: 2 departments (Finance, Platform Engineering), oldest 1 day · #2 #1"
        ),
        "{grouped}"
    );
    assert!(
        grouped.contains("no label: 1 department (Sales)"),
        "{grouped}"
    );

    // The reply reaches linus privately, and his answer reaches the office.
    let reply = message_with(&m, "Grace owns the CI budget");
    assert!(reply.starts_with("[dm:linus]"), "{reply}");
    assert!(
        reply.contains("The program office answered your request #2"),
        "{reply}"
    );
    assert!(reply.contains("`/ambassadors reply 2 <text>`"), "{reply}");
    let back = message_with(&m, "we need four runners");
    assert!(back.starts_with("[dm:admin]"), "{back}");
    assert!(
        back.contains("Request #2: an answer from its ambassador"),
        "{back}"
    );

    // Done, with the note, to ada.
    let done = message_with(&m, "Your request #1 is done");
    assert!(done.starts_with("[dm:ada]"), "{done}");
    assert!(done.contains("Two runners are reserved for Platform Engineering from March."));

    // Margaret's request waited more than 5 days for a first answer: listed in the Monday
    // summary of 2027-01-18, and not in the one of 2027-01-25.
    let summaries: Vec<&String> = m
        .iter()
        .filter(|x| x.starts_with("[dm:admin] *Requests — 2027-"))
        .collect();
    let listing: Vec<&&String> = summaries
        .iter()
        .filter(|x| x.contains("Waiting more than 5 days for a first answer"))
        .collect();
    assert_eq!(listing.len(), 1, "{summaries:#?}");
    assert!(
        listing[0].contains("*Requests — 2027-01-18*"),
        "{}",
        listing[0]
    );
    assert!(
        listing[0].contains("*#3* Sales (Americas), asked 6 d 18 h ago by @margaret"),
        "{}",
        listing[0]
    );
    assert!(!listing[0].contains("*#1*") && !listing[0].contains("*#2*"));
    assert_eq!(count(&m, "*#3* Sales (Americas), asked"), 1, "{out}");

    // The quarter: 3 received, 2 answered after 1 and 3 days (median 2 days), 1 done; by region.
    let quarter = message_with(&m, "*Quarterly report — 2027-Q1*");
    assert!(
        quarter.contains(
            "*You said, we did:* requests 3 received, 2 answered (median first answer 2 days), 1 done."
        ),
        "{quarter}"
    );
    assert!(
        quarter.contains("*EMEA*: 2 received, 2 answered (median first answer 2 days), 1 done"),
        "{quarter}"
    );
    assert!(
        quarter.contains("*Americas*: 1 received, 0 answered, 0 done"),
        "{quarter}"
    );
    assert!(quarter.contains(
        "Platform Engineering (EMEA), 2027-01-14: _A sponsor for shared CI runners #ci_ — Two runners are reserved"
    ));
    // Departments, never people, in the report's requests section.
    let section = &quarter[quarter.find("You said, we did").unwrap()..];
    assert!(
        !section.contains("@ada") && !section.contains("@linus"),
        "{section}"
    );

    // The digest of Friday 2027-01-15 says the same of its week, naming departments only; the
    // next week's, without requests, says nothing of them.
    let digest = message_with(&m, "*Weekly digest — week to 2027-01-15*");
    assert!(digest.starts_with("[general]"), "{digest}");
    assert!(
        digest.contains(
            "*You said, we did:* requests 3 received, 2 answered (median first answer 2 days), 1 done."
        ),
        "{digest}"
    );
    assert!(
        digest.contains("Platform Engineering (EMEA), 2027-01-14:"),
        "{digest}"
    );
    let section = &digest[digest.find("You said, we did").unwrap()..];
    assert!(!section.contains('@'), "{section}");
    assert!(!message_with(&m, "*Weekly digest — week to 2027-01-22*").contains("You said"));

    // Only the office and the request's ambassador see a request; numbers tell nobody else.
    let refused: Vec<&String> = m
        .iter()
        .filter(|x| x.contains("There is no request #"))
        .collect();
    assert_eq!(refused.len(), 2, "{refused:#?}");
    assert!(refused[0].starts_with("[only bob]") && refused[1].starts_with("[only ada]"));
    let mine = message_with(&m, "*Your requests (1)*");
    assert!(
        mine.starts_with("[only ada]") && mine.contains("*#1* · done"),
        "{mine}"
    );
}

#[test]
fn asking_directly_editing_a_checkin_and_bad_input_lose_nothing() {
    let sb = Sandbox::new();
    let long = "x".repeat(2001);
    let script = format!(
        "{ROUND}\
:as ada
/checkin edit 4. A sponsor for shared CI runners, and a budget for two more
:as admin
:in general
/ambassadors take 1
:as ada
/checkin edit 4. Something else entirely
/ambassadors ask {long}
/ambassadors ask n/a
/ambassadors ask   
/ambassadors ask A day of legal office hours for license questions #legal
:as bob
/ambassadors ask I want something
/ambassadors requests
:as admin
/ambassadors status 99 done
/ambassadors status 2 declined
/ambassadors status 2 finished-ish
/ambassadors label 2 not/a/label
/ambassadors take 1
/ambassadors status 2 declined Finance runs on the shared pool already.
/ambassadors requests --oldest
/ambassadors requests EMEA
/ambassadors requests Atlantis
/ambassadors requests #legal
:as linus
/ambassadors take 2
"
    );
    let out = sb.console(&["--demo", "--clock", "2027-01-08T12:00:00Z"], &script);
    let m = messages(&out);

    // While nobody answered, editing the check-in edits its request.
    assert!(
        message_with(&m, "Your request #1 now reads as your answer says.").starts_with("[dm:ada]")
    );
    // Once the office took it, it keeps its words, and ada is told how to add to it.
    let kept = message_with(&m, "has already answered your request #1");
    assert!(kept.contains("`/ambassadors reply 1 <text>`"), "{kept}");
    let taken = message_with(&m, "is taking care of your request #1");
    assert!(taken.starts_with("[dm:ada]"), "{taken}");
    assert!(taken.contains("and a budget for two more"), "{taken}");

    // Bad input gets a short answer and makes nothing.
    assert!(
        out.contains("That request is 2001 characters; it takes up to 2000."),
        "{out}"
    );
    assert!(out.contains("That reads as “nothing needed”, so no request was made."));
    assert!(out.contains("What do you need from the program office? Say it in a few words."));
    let asked = message_with(&m, "Your request #4 is with the program office");
    assert!(asked.starts_with("[only ada]"), "{asked}");
    assert!(
        out.contains("[only bob] Requests come from ambassadors, and you are not on the roster.")
    );
    assert!(out.contains("[only bob] Requests come from ambassadors, and you have none."));
    assert!(
        out.contains("There is no request #99 that you can see."),
        "{out}"
    );
    assert!(out.contains("Say why it is declined: the ambassador is told."));
    assert!(
        out.contains("`finished-ish` is not a request status"),
        "{out}"
    );
    assert!(out.contains("`not/a/label` is not a label"), "{out}");
    assert!(out.contains("[only admin] Request #1 is yours already, and in progress."));
    let declined = message_with(&m, "Your request #2 was declined");
    assert!(declined.starts_with("[dm:linus]"), "{declined}");
    assert!(declined.contains("explains: Finance runs on the shared pool already."));

    // Oldest first, by region, by label; an unknown region gets a suggestion-style refusal.
    let oldest = message_with(&m, "*Requests — open (3)*");
    assert!(
        oldest.find("*#1*").unwrap() < oldest.find("*#4*").unwrap(),
        "{oldest}"
    );
    let emea = message_with(&m, "— open — EMEA (2)");
    assert!(
        emea.contains("*#4*") && emea.contains("*#1*") && !emea.contains("*#3*"),
        "{emea}"
    );
    assert!(
        out.contains("There is no department or region called “Atlantis”."),
        "{out}"
    );
    let legal = message_with(&m, "— open, #legal (1)");
    assert!(legal.contains("*#4*"), "{legal}");

    // Office-only steps are refused to an ambassador, and nothing else reached a room.
    assert!(
        out.contains("[only linus] Only the program office can do that (`/ambassadors take`).")
    );
    assert!(
        !m.iter()
            .any(|x| x.starts_with("[general]") && x.contains("request")),
        "{out}"
    );
}
