//! The command grammar shared by all platforms: `/ambassadors …` and `/kudos …` on Slack and in the
//! console, `!ambassadors …` and `!kudos …` on Matrix. Parsing is pure ([`parse`]); handling is in
//! [`crate::program`].

mod help;
mod parse;
mod token;

pub use help::{HelpEntry, USAGE, help_entries};
pub use parse::{ParseError, Parsed, label_of, parse, parse_date, parse_quarter, tags_of};

/// How a command names a person: the platform id as written (`ada` from `@ada`, `U012AB3CD` from
/// `<@U012AB3CD|ada>`, `@ada:example.org` on Matrix).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mention(pub String);

/// A department, a region, or a person: what `who` looks up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Person(Mention),
    Name(String),
}

/// The program's commands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Help,
    /// `/ambassadors coverage [region]`
    Coverage {
        region: Option<String>,
    },
    /// `/ambassadors list [region|department]`
    List {
        scope: Option<String>,
    },
    /// `/ambassadors who <department|region|@person>`
    Who {
        target: Target,
    },
    /// `/ambassadors dept add <name> <region> [headcount]`
    DeptAdd {
        name: String,
        region: String,
        headcount: Option<u32>,
    },
    /// `/ambassadors dept rename <name> to <new name>`
    DeptRename {
        name: String,
        new_name: String,
    },
    /// `/ambassadors dept move <name> to <region>`
    DeptMove {
        name: String,
        region: String,
    },
    /// `/ambassadors dept headcount <name> <number|none>`
    DeptHeadcount {
        name: String,
        headcount: Option<u32>,
    },
    /// `/ambassadors dept remove <name>`
    DeptRemove {
        name: String,
    },
    /// `/ambassadors add @person <department> [time zone]`
    Add {
        person: Mention,
        department: String,
        time_zone: Option<String>,
    },
    /// `/ambassadors remove @person`
    Remove {
        person: Mention,
    },
    /// `/ambassadors pause @person`
    Pause {
        person: Mention,
    },
    /// `/ambassadors resume @person`
    Resume {
        person: Mention,
    },
    /// `/ambassadors stepdown`
    StepDown,
    /// `/checkin …`: an ambassador answers, shows, edits or skips their check-in, or pauses them.
    Checkin(CheckinCommand),
    /// `/ambassadors checkins`: the office's view of recent rounds.
    Checkins,
    /// `/ambassadors feedback [department|region] [since DATE]`
    Feedback {
        scope: Option<String>,
        since: Option<chrono::NaiveDate>,
    },
    /// `/ambassadors announce [--region R | --department D] <text>`
    Announce {
        scope: Option<ScopeArg>,
        text: String,
    },
    /// `/ambassadors ack [shared]`
    Ack {
        shared: bool,
    },
    /// `/ambassadors announcements`: the office's view of recent announcements.
    Announcements,
    /// `/ambassadors inbox`: announcements the caller has not acknowledged.
    Inbox,
    /// `/ambassadors log …`: the activity log.
    Log(LogCommand),
    /// `/ambassadors activity [region|department] [since DATE]`
    Activity {
        scope: Option<String>,
        since: Option<chrono::NaiveDate>,
    },
    /// `/ambassadors quarter [YYYY-Qn]`
    Quarter {
        quarter: Option<(i32, u32)>,
    },
    /// `/ambassadors apply`: start (or continue) an application in a direct conversation.
    Apply,
    /// `/ambassadors withdraw`: withdraw one's own pending application.
    Withdraw,
    /// `/ambassadors applications`: the office reviews open applications and nominations.
    Applications,
    /// `/ambassadors approve @person [department]`
    Approve {
        person: Mention,
        department: Option<String>,
    },
    /// `/ambassadors decline @person <reason>`
    Decline {
        person: Mention,
        reason: String,
    },
    /// `/ambassadors nominate @person <why>`
    Nominate {
        person: Mention,
        reason: String,
    },
    /// `/ambassadors report @person <what happened>`: misuse of the title, privately to the office.
    Report {
        person: Mention,
        text: String,
    },
    /// `/ambassadors reports`: the office's list of open misuse reports.
    Reports,
    /// `/ambassadors resolve N [note]`
    Resolve {
        id: i64,
        note: Option<String>,
    },
    /// `/ambassadors record`: the caller's own record in the program.
    Record,
    /// `/ambassadors timezone [IANA name]`: set one's own time zone, or (without a name) see it.
    TimeZone {
        zone: Option<String>,
    },
    /// `/ambassadors renew`: confirm another year as ambassador.
    Renew,
    /// `/ambassadors alumni @person`: the office moves an ambassador to alumni.
    Alumni {
        person: Mention,
    },
    /// `/ambassadors ask <what you need>`: an ambassador asks the office for something.
    Ask {
        text: String,
    },
    /// `/ambassadors requests [mine|open|all|status|region|department|#label] [--grouped] [--oldest]`
    Requests(RequestsQuery),
    /// `/ambassadors request N`: one request with its thread.
    RequestShow {
        id: i64,
    },
    /// `/ambassadors reply N <text>`: the office or the request's ambassador writes in its thread.
    RequestReply {
        id: i64,
        text: String,
    },
    /// `/ambassadors take N`: the caller (office) owns the request.
    RequestTake {
        id: i64,
    },
    /// `/ambassadors status N <status> [note]`
    RequestStatus {
        id: i64,
        status: crate::model::RequestStatus,
        note: Option<String>,
    },
    /// `/ambassadors label N <label> [label …]`
    RequestLabel {
        id: i64,
        labels: Vec<String>,
    },
    /// `/kudos mine`
    KudosMine,
    /// `/kudos optout` (true) and `/kudos optin` (false)
    KudosOptOut(bool),
    /// `/kudos leaderboard [week|month|quarter|year] [region|department]`
    KudosLeaderboard {
        period: Period,
        group: Option<Grouping>,
    },
    /// `/kudos @a [@b …] [for] <what they did>`
    Kudos {
        receivers: Vec<Mention>,
        reason: String,
        tags: Vec<String>,
    },
}

impl Command {
    /// A short stable name, for logs and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Help => "help",
            Command::Coverage { .. } => "coverage",
            Command::List { .. } => "list",
            Command::Who { .. } => "who",
            Command::DeptAdd { .. } => "dept-add",
            Command::DeptRename { .. } => "dept-rename",
            Command::DeptMove { .. } => "dept-move",
            Command::DeptHeadcount { .. } => "dept-headcount",
            Command::DeptRemove { .. } => "dept-remove",
            Command::Add { .. } => "add",
            Command::Remove { .. } => "remove",
            Command::Pause { .. } => "pause",
            Command::Resume { .. } => "resume",
            Command::StepDown => "stepdown",
            Command::Checkin(c) => c.name(),
            Command::Checkins => "checkins",
            Command::Feedback { .. } => "feedback",
            Command::Announce { .. } => "announce",
            Command::Ack { .. } => "ack",
            Command::Announcements => "announcements",
            Command::Inbox => "inbox",
            Command::Log(l) => l.name(),
            Command::Activity { .. } => "activity",
            Command::Quarter { .. } => "quarter",
            Command::Apply => "apply",
            Command::Withdraw => "withdraw",
            Command::Applications => "applications",
            Command::Approve { .. } => "approve",
            Command::Decline { .. } => "decline",
            Command::Nominate { .. } => "nominate",
            Command::Report { .. } => "report",
            Command::Reports => "reports",
            Command::Resolve { .. } => "resolve",
            Command::Record => "record",
            Command::TimeZone { .. } => "timezone",
            Command::Renew => "renew",
            Command::Alumni { .. } => "alumni",
            Command::Ask { .. } => "ask",
            Command::Requests(_) => "requests",
            Command::RequestShow { .. } => "request",
            Command::RequestReply { .. } => "reply",
            Command::RequestTake { .. } => "take",
            Command::RequestStatus { .. } => "status",
            Command::RequestLabel { .. } => "label",
            Command::KudosMine => "kudos-mine",
            Command::KudosOptOut(true) => "kudos-optout",
            Command::KudosOptOut(false) => "kudos-optin",
            Command::KudosLeaderboard { .. } => "kudos-leaderboard",
            Command::Kudos { .. } => "kudos",
        }
    }

    /// Who may run it.
    pub fn required_role(&self) -> Role {
        match self {
            Command::DeptAdd { .. }
            | Command::DeptRename { .. }
            | Command::DeptMove { .. }
            | Command::DeptHeadcount { .. }
            | Command::DeptRemove { .. }
            | Command::Add { .. }
            | Command::Remove { .. }
            | Command::Pause { .. }
            | Command::Resume { .. }
            | Command::Checkins
            | Command::Feedback { .. }
            | Command::Announce { .. }
            | Command::Announcements
            | Command::Quarter { .. }
            | Command::Applications
            | Command::Approve { .. }
            | Command::Decline { .. }
            | Command::Reports
            | Command::Resolve { .. }
            | Command::Alumni { .. }
            | Command::RequestTake { .. }
            | Command::RequestStatus { .. }
            | Command::RequestLabel { .. } => Role::Office,
            Command::StepDown
            | Command::Renew
            | Command::Checkin(_)
            | Command::Ack { .. }
            | Command::Inbox
            | Command::Log(_)
            | Command::Ask { .. }
            | Command::Requests(_)
            | Command::RequestShow { .. }
            | Command::RequestReply { .. } => Role::Ambassador,
            _ => Role::Member,
        }
    }
}

/// The period a kudos leaderboard covers: the current calendar week (from Monday), month, quarter
/// or year in the program's time zone, up to today.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    Week,
    Month,
    Quarter,
    Year,
}

impl Period {
    pub fn word(self) -> &'static str {
        match self {
            Period::Week => "week",
            Period::Month => "month",
            Period::Quarter => "quarter",
            Period::Year => "year",
        }
    }
}

/// How a kudos leaderboard is grouped: by the region or department people represent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grouping {
    Region,
    Department,
}

/// The audience option of `announce`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScopeArg {
    Region(String),
    Department(String),
}

/// Which requests `/ambassadors requests` lists. With nothing given: the open ones, newest first
/// (for an ambassador: their own).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestsQuery {
    /// Only the caller's own (as the ambassador who asked, or as the office member who took them).
    pub mine: bool,
    /// Closed ones too.
    pub all: bool,
    pub status: Option<crate::model::RequestStatus>,
    /// `#label`
    pub label: Option<String>,
    /// A region or a department, as written.
    pub scope: Option<String>,
    /// Grouped by label across departments.
    pub grouped: bool,
    /// Oldest first.
    pub oldest_first: bool,
}

/// What `/ambassadors log` does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogCommand {
    /// `/ambassadors log <what you did>`
    Add(String),
    /// `/ambassadors log list`
    List,
    /// `/ambassadors log edit N <what you did>`
    Edit(i64, String),
    /// `/ambassadors log delete N`
    Delete(i64),
}

impl LogCommand {
    pub fn name(&self) -> &'static str {
        match self {
            LogCommand::Add(_) => "log",
            LogCommand::List => "log-list",
            LogCommand::Edit(..) => "log-edit",
            LogCommand::Delete(_) => "log-delete",
        }
    }
}

/// What `/checkin` does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckinCommand {
    /// `/checkin <text>`: add to the answer of the open round.
    Answer(String),
    /// `/checkin show`
    Show,
    /// `/checkin edit <text>`: replace the answer.
    Edit(String),
    /// `/checkin skip`
    Skip,
    /// `/checkin pause until 2027-01-10`
    PauseUntil(chrono::NaiveDate),
    /// `/checkin resume`
    Resume,
}

impl CheckinCommand {
    pub fn name(&self) -> &'static str {
        match self {
            CheckinCommand::Answer(_) => "checkin",
            CheckinCommand::Show => "checkin-show",
            CheckinCommand::Edit(_) => "checkin-edit",
            CheckinCommand::Skip => "checkin-skip",
            CheckinCommand::PauseUntil(_) => "checkin-pause",
            CheckinCommand::Resume => "checkin-resume",
        }
    }
}

/// The caller's role. Ordered: the office may do what ambassadors may, and ambassadors what members may,
/// except that stepping down needs a roster entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Member,
    Ambassador,
    Office,
}

impl Role {
    pub fn describe(self) -> &'static str {
        match self {
            Role::Member => "everyone",
            Role::Ambassador => "ambassadors",
            Role::Office => "the program office",
        }
    }
}
