//! Usage lines and the help table. Templates are written without the command prefix; renderers put
//! `/` (Slack, console) or `!` (Matrix) in front.

use super::Role;

pub struct HelpEntry {
    pub role: Role,
    pub usage: &'static str,
    pub example: &'static str,
    pub what: &'static str,
}

/// Usage templates, named so parse errors can point at the right one.
#[allow(non_snake_case)]
pub mod USAGE {
    pub const HELP: &str = "ambassadors help";
    pub const COVERAGE: &str = "ambassadors coverage [region]";
    pub const LIST: &str = "ambassadors list [region|department]";
    pub const WHO: &str = "ambassadors who <department|region|@person>";
    pub const KUDOS: &str = "kudos @person [@person …] for <what they did>";
    pub const STEPDOWN: &str = "ambassadors stepdown";
    pub const DEPT_ADD: &str = "ambassadors dept add <name> <region> [headcount]";
    pub const DEPT_RENAME: &str = "ambassadors dept rename <name> to <new name>";
    pub const DEPT_MOVE: &str = "ambassadors dept move <name> to <region>";
    pub const DEPT_HEADCOUNT: &str = "ambassadors dept headcount <name> <number|none>";
    pub const DEPT_REMOVE: &str = "ambassadors dept remove <name>";
    pub const ADD: &str = "ambassadors add @person <department> [time zone]";
    pub const REMOVE: &str = "ambassadors remove @person";
    pub const PAUSE: &str = "ambassadors pause @person";
    pub const RESUME: &str = "ambassadors resume @person";
    pub const CHECKIN: &str = "checkin <your answer>";
    pub const CHECKIN_SHOW: &str = "checkin show";
    pub const CHECKIN_EDIT: &str = "checkin edit <your whole answer>";
    pub const CHECKIN_SKIP: &str = "checkin skip";
    pub const CHECKIN_PAUSE: &str = "checkin pause until <YYYY-MM-DD>";
    pub const CHECKIN_RESUME: &str = "checkin resume";
    pub const CHECKINS: &str = "ambassadors checkins";
    pub const ANNOUNCE: &str =
        "ambassadors announce [--region <region> | --department <department>] <text>";
    pub const ACK: &str = "ambassadors ack [shared]";
    pub const ANNOUNCEMENTS: &str = "ambassadors announcements";
    pub const INBOX: &str = "ambassadors inbox";
    pub const LOG: &str = "ambassadors log <what you did> [#tags] [(25 people)] [on YYYY-MM-DD]";
    pub const LOG_LIST: &str = "ambassadors log list";
    pub const LOG_EDIT: &str = "ambassadors log edit <number> <what you did>";
    pub const LOG_DELETE: &str = "ambassadors log delete <number>";
    pub const ACTIVITY: &str = "ambassadors activity [region|department] [since YYYY-MM-DD]";
    pub const QUARTER: &str = "ambassadors quarter [YYYY-Qn]";
    pub const FEEDBACK: &str = "ambassadors feedback [department|region] [since YYYY-MM-DD]";
    pub const APPLY: &str = "ambassadors apply";
    pub const WITHDRAW: &str = "ambassadors withdraw";
    pub const APPLICATIONS: &str = "ambassadors applications";
    pub const APPROVE: &str = "ambassadors approve @person [department]";
    pub const DECLINE: &str = "ambassadors decline @person <reason>";
    pub const NOMINATE: &str = "ambassadors nominate @person <why>";
    pub const REPORT: &str = "ambassadors report @person <what happened>";
    pub const REPORTS: &str = "ambassadors reports";
    pub const RESOLVE: &str = "ambassadors resolve <number> [note]";
    pub const RECORD: &str = "ambassadors record";
    pub const TIMEZONE: &str = "ambassadors timezone [IANA time zone]";
    pub const RENEW: &str = "ambassadors renew";
    pub const ALUMNI: &str = "ambassadors alumni @person";
    pub const ASK: &str = "ambassadors ask <what you need from the program office> [#tags]";
    pub const REQUESTS: &str = "ambassadors requests [mine|open|all|<status>|<region>|<department>|#label] [--grouped] [--oldest]";
    pub const REQUEST: &str = "ambassadors request <number>";
    pub const REPLY: &str = "ambassadors reply <number> <text>";
    pub const TAKE: &str = "ambassadors take <number>";
    pub const STATUS: &str =
        "ambassadors status <number> <acknowledged|in-progress|done|declined> [note]";
    pub const LABEL: &str = "ambassadors label <number> <label> [label …]";
    pub const KUDOS_MINE: &str = "kudos mine";
    pub const KUDOS_OPTOUT: &str = "kudos optout";
    pub const KUDOS_OPTIN: &str = "kudos optin";
    pub const KUDOS_LEADERBOARD: &str =
        "kudos leaderboard [week|month|quarter|year] [region|department]";
}

const ENTRIES: &[HelpEntry] = &[
    HelpEntry {
        role: Role::Member,
        usage: USAGE::HELP,
        example: "ambassadors help",
        what: "the commands you may use",
    },
    HelpEntry {
        role: Role::Member,
        usage: USAGE::COVERAGE,
        example: "ambassadors coverage EMEA",
        what: "which departments have an ambassador, too few, or none",
    },
    HelpEntry {
        role: Role::Member,
        usage: USAGE::LIST,
        example: "ambassadors list \"Platform Engineering\"",
        what: "the ambassadors, by region and department",
    },
    HelpEntry {
        role: Role::Member,
        usage: USAGE::WHO,
        example: "ambassadors who Finance",
        what: "find the ambassador of a department or region, or what someone covers",
    },
    HelpEntry {
        role: Role::Member,
        usage: USAGE::KUDOS,
        example: "kudos @ada for the onboarding workshop #docs",
        what: "thank someone publicly for something specific",
    },
    HelpEntry {
        role: Role::Member,
        usage: USAGE::KUDOS_MINE,
        example: "kudos mine",
        what: "the kudos you received (and how many you gave); `kudos optout` keeps you out of digests and leaderboards, `kudos optin` undoes it",
    },
    HelpEntry {
        role: Role::Member,
        usage: USAGE::KUDOS_LEADERBOARD,
        example: "kudos leaderboard quarter region",
        what: "who received and gave the most kudos this week, month (the default), quarter or year; by region or department",
    },
    HelpEntry {
        role: Role::Member,
        usage: USAGE::APPLY,
        example: "ambassadors apply",
        what: "apply to become an ambassador (a few questions in a direct conversation, or a form on Slack); `ambassadors withdraw` withdraws it",
    },
    HelpEntry {
        role: Role::Member,
        usage: USAGE::NOMINATE,
        example: "ambassadors nominate @grace she runs the monthly InnerSource office hours",
        what: "suggest someone as ambassador: the office sees it, they are invited to apply",
    },
    HelpEntry {
        role: Role::Member,
        usage: USAGE::REPORT,
        example: "ambassadors report @mallory claims to speak for the program in vendor talks",
        what: "tell the program office privately about misuse of the ambassador title",
    },
    HelpEntry {
        role: Role::Member,
        usage: USAGE::RECORD,
        example: "ambassadors record",
        what: "your record in the program (terms, check-ins, activities logged, kudos with reasons), e.g. for a performance review",
    },
    HelpEntry {
        role: Role::Member,
        usage: USAGE::TIMEZONE,
        example: "ambassadors timezone Europe/Berlin",
        what: "set your own time zone: check-ins come at their hour in it (without a name: the zone in use)",
    },
    HelpEntry {
        role: Role::Ambassador,
        usage: USAGE::RENEW,
        example: "ambassadors renew",
        what: "confirm another year as ambassador when your anniversary comes",
    },
    HelpEntry {
        role: Role::Ambassador,
        usage: USAGE::STEPDOWN,
        example: "ambassadors stepdown",
        what: "step down as ambassador (you become alumni, with thanks)",
    },
    HelpEntry {
        role: Role::Ambassador,
        usage: USAGE::CHECKIN,
        example: "checkin We ran two InnerSource office hours; the build team needs a CI sponsor.",
        what: "answer the open check-in (or just reply to the prompt in our direct conversation)",
    },
    HelpEntry {
        role: Role::Ambassador,
        usage: USAGE::CHECKIN_SHOW,
        example: "checkin edit We ran three office hours, not two.",
        what: "see your answer; `checkin edit` replaces it while the round is open",
    },
    HelpEntry {
        role: Role::Ambassador,
        usage: USAGE::CHECKIN_SKIP,
        example: "checkin skip",
        what: "skip this round (no reminder, not counted as missed)",
    },
    HelpEntry {
        role: Role::Ambassador,
        usage: USAGE::CHECKIN_PAUSE,
        example: "checkin pause until 2027-01-10",
        what: "no check-ins until a date (vacation); `checkin resume` to get them again",
    },
    HelpEntry {
        role: Role::Member,
        usage: USAGE::ACTIVITY,
        example: "ambassadors activity EMEA since 2027-01-01",
        what: "what ambassadors did, by region and department",
    },
    HelpEntry {
        role: Role::Ambassador,
        usage: USAGE::LOG,
        example: "ambassadors log Ran an InnerSource 101 workshop #workshop (25 people) on 2027-02-03",
        what: "record something you did as ambassador; `log list`, `log edit N …`, `log delete N`",
    },
    HelpEntry {
        role: Role::Ambassador,
        usage: USAGE::ACK,
        example: "ambassadors ack shared",
        what: "acknowledge the latest announcement (`shared`: you passed it on); `inbox` lists open ones",
    },
    HelpEntry {
        role: Role::Ambassador,
        usage: USAGE::ASK,
        example: "ambassadors ask a sponsor for our shared CI runners #ci",
        what: "ask the program office for something (your check-in answer to what you need does the same); you hear back by direct message",
    },
    HelpEntry {
        role: Role::Ambassador,
        usage: USAGE::REQUESTS,
        example: "ambassadors requests --grouped",
        what: "requests to the office and where they stand (an ambassador sees their own); `request N` shows one with its thread",
    },
    HelpEntry {
        role: Role::Ambassador,
        usage: USAGE::REPLY,
        example: "ambassadors reply 12 Thanks, the budget owner is Grace",
        what: "write in a request's thread: the office and the ambassador who asked get it by direct message",
    },
    HelpEntry {
        role: Role::Office,
        usage: USAGE::ANNOUNCE,
        example: "ambassadors announce --region EMEA The InnerSource summit call for talks is open until 2027-03-01.",
        what: "send an announcement to the active ambassadors (all, one region or one department)",
    },
    HelpEntry {
        role: Role::Office,
        usage: USAGE::ANNOUNCEMENTS,
        example: "ambassadors announcements",
        what: "recent announcements: received, acknowledged and shared, by region",
    },
    HelpEntry {
        role: Role::Office,
        usage: USAGE::QUARTER,
        example: "ambassadors quarter 2027-Q1",
        what: "the quarterly regional report: coverage, check-ins, activities, kudos, arrivals and departures",
    },
    HelpEntry {
        role: Role::Office,
        usage: USAGE::CHECKINS,
        example: "ambassadors checkins",
        what: "recent check-in rounds: response rate, time to answer, who is missing",
    },
    HelpEntry {
        role: Role::Office,
        usage: USAGE::FEEDBACK,
        example: "ambassadors feedback EMEA since 2027-01-01",
        what: "check-in answers grouped by region and department, newest first",
    },
    HelpEntry {
        role: Role::Office,
        usage: USAGE::APPLICATIONS,
        example: "ambassadors applications",
        what: "open applications and nominations, with each applicant's track record and the coverage of their department and region",
    },
    HelpEntry {
        role: Role::Office,
        usage: USAGE::APPROVE,
        example: "ambassadors approve @grace",
        what: "approve an application: roster, welcome, and the next digest welcomes them",
    },
    HelpEntry {
        role: Role::Office,
        usage: USAGE::DECLINE,
        example: "ambassadors decline @bob Sales already has three ambassadors; let's talk in spring",
        what: "decline an application; the applicant gets your reason by direct message",
    },
    HelpEntry {
        role: Role::Office,
        usage: USAGE::REPORTS,
        example: "ambassadors resolve 3 talked to them; they corrected the slide",
        what: "open misuse reports; `ambassadors resolve N [note]` marks one resolved",
    },
    HelpEntry {
        role: Role::Office,
        usage: USAGE::TAKE,
        example: "ambassadors take 12",
        what: "take a request on: you own it, it is in progress, its ambassador is told",
    },
    HelpEntry {
        role: Role::Office,
        usage: USAGE::STATUS,
        example: "ambassadors status 12 done Two runners are reserved for Finance from March",
        what: "set where a request stands; done and declined (with your reason) tell its ambassador, with the note",
    },
    HelpEntry {
        role: Role::Office,
        usage: USAGE::LABEL,
        example: "ambassadors label 12 ci-sponsor",
        what: "file a request under a label, so `requests --grouped` shows the same need across departments",
    },
    HelpEntry {
        role: Role::Office,
        usage: USAGE::ALUMNI,
        example: "ambassadors alumni @alan",
        what: "move an ambassador to alumni, with thanks",
    },
    HelpEntry {
        role: Role::Office,
        usage: USAGE::DEPT_ADD,
        example: "ambassadors dept add \"Platform Engineering\" EMEA 120",
        what: "add a department to the org map",
    },
    HelpEntry {
        role: Role::Office,
        usage: USAGE::DEPT_RENAME,
        example: "ambassadors dept rename Platform to \"Platform Engineering\"",
        what: "rename a department",
    },
    HelpEntry {
        role: Role::Office,
        usage: USAGE::DEPT_MOVE,
        example: "ambassadors dept move Finance to Americas",
        what: "move a department to another region",
    },
    HelpEntry {
        role: Role::Office,
        usage: USAGE::DEPT_HEADCOUNT,
        example: "ambassadors dept headcount Finance 85",
        what: "set (or clear) how many people a department has",
    },
    HelpEntry {
        role: Role::Office,
        usage: USAGE::DEPT_REMOVE,
        example: "ambassadors dept remove Legal",
        what: "remove a department that has no ambassadors",
    },
    HelpEntry {
        role: Role::Office,
        usage: USAGE::ADD,
        example: "ambassadors add @ada \"Platform Engineering\" Europe/Berlin",
        what: "make someone the ambassador of a department",
    },
    HelpEntry {
        role: Role::Office,
        usage: USAGE::REMOVE,
        example: "ambassadors remove @ada",
        what: "take someone off the roster",
    },
    HelpEntry {
        role: Role::Office,
        usage: USAGE::PAUSE,
        example: "ambassadors pause @ada",
        what: "pause an ambassador (leave, busy quarter)",
    },
    HelpEntry {
        role: Role::Office,
        usage: USAGE::RESUME,
        example: "ambassadors resume @ada",
        what: "make a paused ambassador active again",
    },
];

/// The help entries a caller with `role` may use.
pub fn help_entries(role: Role) -> impl Iterator<Item = &'static HelpEntry> {
    ENTRIES.iter().filter(move |e| e.role <= role)
}
