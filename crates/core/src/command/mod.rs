//! The command grammar shared by all platforms: `/ambassadors …` and `/kudos …` on Slack and in the
//! console, `!ambassadors …` and `!kudos …` on Matrix. Parsing is pure ([`parse`]); handling is in
//! [`crate::program`].
//!
//! Each command is declared once, in the module of its group, as a [`CommandSpec`]: the words that
//! select it, their other spellings, who may run it, its usage, an example, its help line and the
//! function that parses it. [`COMMANDS`] lists them all, in the order help shows them; the parser,
//! help, the roles and usage errors all read that list. A group module opens with the grammar of its
//! commands.

mod activity;
mod announce;
mod checkin;
mod directory;
mod help;
mod kudos;
mod lifecycle;
mod misuse;
mod org;
mod parse;
mod personal;
mod requests;
mod token;

pub use activity::parse_quarter;
pub use help::{HelpEntry, USAGE, help_entries};
pub use parse::{ParseError, Parsed, parse, parse_date, tags_of};
pub use requests::label_of;

use parse::{Group, Input, Parse};

/// One command, declared once: what selects it, who may run it, how it is written and explained,
/// and how it is parsed.
pub struct CommandSpec {
    /// The words that select it after the prefix, root included: `ambassadors dept add`,
    /// `kudos mine`, `checkin pause`. The usage starts with them.
    pub name: &'static str,
    /// Other spellings of the name, root included; a word may list alternatives with `|`
    /// (`ambassadors log remove|rm`).
    pub aliases: &'static [&'static str],
    /// Who may run it.
    pub role: Role,
    /// The usage template, without prefix.
    pub usage: &'static str,
    /// A line that runs it (help shows it beside the help line).
    pub example: &'static str,
    /// Its help line: what it does. `None` keeps it out of help; another command's help line names
    /// it then.
    pub help: Option<&'static str>,
    /// Reads the line whose words selected it.
    pub(crate) parse: fn(&Input) -> Parse,
    /// Whether a parsed command is this one: how a [`Command`] finds its declaration.
    pub(crate) is: fn(&Command) -> bool,
}

impl CommandSpec {
    /// The name without the `ambassadors` root: `dept add`, `help`, `kudos mine`.
    pub fn short_name(&self) -> &'static str {
        self.name.strip_prefix("ambassadors ").unwrap_or(self.name)
    }

    /// The name and the aliases.
    pub fn spellings(&self) -> impl Iterator<Item = &'static str> + use<> {
        std::iter::once(self.name).chain(self.aliases.iter().copied())
    }
}

/// Every command, in the order help lists them (a command without a help line stands after the one
/// whose line names it). Adding a command: declare it in its group module and list it here.
pub static COMMANDS: &[CommandSpec] = &[
    directory::HELP,
    directory::COVERAGE,
    directory::LIST,
    directory::WHO,
    kudos::KUDOS,
    kudos::KUDOS_MINE,
    kudos::KUDOS_OPTOUT,
    kudos::KUDOS_OPTIN,
    kudos::KUDOS_LEADERBOARD,
    lifecycle::APPLY,
    lifecycle::WITHDRAW,
    lifecycle::NOMINATE,
    misuse::REPORT,
    personal::RECORD,
    personal::TIMEZONE,
    personal::DASHBOARD,
    lifecycle::RENEW,
    lifecycle::STEPDOWN,
    checkin::CHECKIN,
    checkin::CHECKIN_SHOW,
    checkin::CHECKIN_EDIT,
    checkin::CHECKIN_SKIP,
    checkin::CHECKIN_PAUSE,
    checkin::CHECKIN_RESUME,
    activity::ACTIVITY,
    activity::LOG,
    activity::LOG_LIST,
    activity::LOG_EDIT,
    activity::LOG_DELETE,
    announce::ACK,
    announce::INBOX,
    requests::ASK,
    requests::REQUESTS,
    requests::REQUEST,
    requests::REPLY,
    announce::ANNOUNCE,
    announce::ANNOUNCEMENTS,
    activity::QUARTER,
    checkin::CHECKINS,
    checkin::FEEDBACK,
    lifecycle::APPLICATIONS,
    lifecycle::APPROVE,
    lifecycle::DECLINE,
    misuse::REPORTS,
    misuse::RESOLVE,
    requests::TAKE,
    requests::STATUS,
    requests::LABEL,
    lifecycle::ALUMNI,
    org::DEPT_ADD,
    org::DEPT_RENAME,
    org::DEPT_MOVE,
    org::DEPT_HEADCOUNT,
    org::DEPT_REMOVE,
    org::ADD,
    org::REMOVE,
    org::PAUSE,
    org::RESUME,
];

/// The words that select a family of commands by the word after them.
static GROUPS: &[Group] = &[org::DEPT];

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
    /// `/ambassadors dashboard`: a one-time sign-in link to the web dashboard, by direct message.
    Dashboard,
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
    /// Its declaration.
    pub fn spec(&self) -> &'static CommandSpec {
        COMMANDS
            .iter()
            .find(|s| (s.is)(self))
            .expect("every command is declared in COMMANDS")
    }

    /// The words that select it, without the `ambassadors` root (`dept add`, `kudos mine`): a
    /// short stable name, for logs.
    pub fn name(&self) -> &'static str {
        self.spec().short_name()
    }

    /// Who may run it.
    pub fn required_role(&self) -> Role {
        self.spec().role
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

/// The declarations agree with themselves, with help and with the parser.
#[cfg(test)]
mod tests {
    use super::*;

    fn run(line: &str) -> Command {
        parse(&format!("/{line}"))
            .unwrap_or_else(|| panic!("`{line}` is not a command"))
            .command
            .unwrap_or_else(|e| panic!("`{line}`: {}", e.message))
    }

    /// Every concrete spelling: the name, and each alias with its `|` alternatives spelled out.
    fn spellings(spec: &CommandSpec) -> Vec<String> {
        let mut all = Vec::new();
        for spelling in spec.spellings() {
            let mut lines = vec![String::new()];
            for word in spelling.split(' ') {
                lines = lines
                    .iter()
                    .flat_map(|l| word.split('|').map(move |w| format!("{l} {w}")))
                    .collect();
            }
            all.extend(lines.into_iter().map(|l| l.trim_start().to_string()));
        }
        all
    }

    /// A line that must run this very command: its usage when it has no placeholders, else its
    /// example.
    fn own_line(spec: &CommandSpec) -> &'static str {
        if spec.usage.contains(['<', '[']) {
            spec.example
        } else {
            spec.usage
        }
    }

    fn names(help: &str, spec: &CommandSpec) -> bool {
        [spec.name, spec.short_name()]
            .iter()
            .any(|n| help.contains(&format!("`{n}`")) || help.contains(&format!("`{n} ")))
    }

    #[test]
    fn every_declaration_is_whole_and_declared_once() {
        let mut seen: Vec<String> = Vec::new();
        for spec in COMMANDS {
            assert!(
                spec.usage == spec.name || spec.usage.starts_with(&format!("{} ", spec.name)),
                "the usage of `{}` starts with its name: {}",
                spec.name,
                spec.usage
            );
            assert!(!spec.example.is_empty(), "`{}` has an example", spec.name);
            assert!(
                spec.help.is_none_or(|h| !h.trim().is_empty()),
                "`{}` has an empty help line",
                spec.name
            );
            for spelling in spellings(spec) {
                assert!(
                    !seen.contains(&spelling),
                    "`{spelling}` selects two commands"
                );
                seen.push(spelling);
            }
        }
    }

    #[test]
    fn name_and_role_come_from_the_declaration_of_what_was_parsed() {
        for spec in COMMANDS {
            let line = own_line(spec);
            let command = run(line);
            let declared: Vec<&str> = COMMANDS
                .iter()
                .filter(|s| (s.is)(&command))
                .map(|s| s.name)
                .collect();
            assert_eq!(declared, [spec.name], "`{line}` runs one declared command");
            assert_eq!(command.name(), spec.short_name());
            assert_eq!(command.required_role(), spec.role);
        }
    }

    #[test]
    fn every_example_runs_its_command_or_one_its_help_line_names() {
        for spec in COMMANDS {
            let ran = run(spec.example).spec();
            assert!(
                std::ptr::eq(ran, spec) || spec.help.is_some_and(|h| names(h, ran)),
                "the example of `{}` runs `{}`",
                spec.name,
                ran.name
            );
        }
    }

    #[test]
    fn every_spelling_runs_the_same_command() {
        for spec in COMMANDS {
            let Some(args) = spec.example.strip_prefix(spec.name) else {
                continue;
            };
            let want = run(spec.example);
            for spelling in spellings(spec) {
                assert_eq!(
                    run(&format!("{spelling}{args}")),
                    want,
                    "`{spelling}{args}`"
                );
            }
        }
        for group in GROUPS {
            let word = group.name.rsplit(' ').next().unwrap();
            for spec in COMMANDS.iter().filter(|s| s.name.starts_with(group.name)) {
                for alias in group.aliases {
                    let line = spec.example.replacen(word, alias, 1);
                    assert_eq!(run(&line), run(spec.example), "`{line}`");
                }
            }
        }
    }

    #[test]
    fn help_shows_each_help_line_once_with_its_declared_role() {
        for role in [Role::Member, Role::Ambassador, Role::Office] {
            let rows: Vec<HelpEntry> = help_entries(role).collect();
            let shown: Vec<&CommandSpec> = COMMANDS
                .iter()
                .filter(|s| s.help.is_some() && s.role <= role)
                .collect();
            assert_eq!(rows.len(), shown.len());
            for (row, spec) in rows.iter().zip(shown) {
                assert_eq!(row.usage, spec.usage);
                assert_eq!(row.role, spec.role);
                assert_eq!(Some(row.what), spec.help);
                assert_eq!(row.example, spec.example);
                assert_eq!(
                    rows.iter().filter(|r| r.usage == spec.usage).count(),
                    1,
                    "`{}` shows once",
                    spec.usage
                );
            }
        }
    }

    #[test]
    fn a_command_without_a_help_line_is_named_in_another() {
        for spec in COMMANDS.iter().filter(|s| s.help.is_none()) {
            assert!(
                COMMANDS
                    .iter()
                    .filter_map(|s| s.help)
                    .any(|h| names(h, spec)),
                "no help line names `{}`",
                spec.name
            );
        }
    }

    #[test]
    fn did_you_mean_chooses_from_the_declared_command_words() {
        let words = parse::subcommands("ambassadors");
        for spec in COMMANDS {
            let mut name = spec.name.split(' ');
            if name.next() == Some("ambassadors") {
                assert!(words.contains(&name.next().unwrap()), "{}", spec.name);
            }
        }
        for word in &words {
            assert_eq!(words.iter().filter(|w| *w == word).count(), 1);
            assert!(
                COMMANDS
                    .iter()
                    .any(|s| s.name.starts_with(&format!("ambassadors {word}"))),
                "{word}"
            );
        }
        for group in GROUPS {
            let word = group.name.rsplit(' ').next().unwrap();
            assert!(words.contains(&word), "`{word}` starts declared commands");
        }
    }
}
