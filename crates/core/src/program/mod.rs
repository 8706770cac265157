//! The use cases: one file per thing a user does. [`Program::handle`] turns an inbound chat line into
//! replies; adapters deliver them.

mod activity;
mod announce;
mod applications;
mod checkin;
mod checkin_views;
mod coverage;
mod dashboard;
mod digest;
mod directory;
mod forms;
mod help;
mod home;
mod kudos;
mod leaderboard;
mod lifecycle;
mod nominations;
mod org;
mod outbox;
mod quarter;
mod reaction;
mod record;
mod reports;
mod requests;
mod resolve;
mod roster;
mod schedule;
mod timezone;

pub use activity::{ParsedActivity, activity_text, parse_activity};
pub use checkin_views::{
    CheckinCounts, ResponseRate, human_duration, latest_closed_round, response_rate,
};
pub use coverage::{CoverageReport, DepartmentLine, DepartmentStatus, RegionTotals};
pub use dashboard::{
    ANNOUNCEMENTS_SHOWN, ActivityOverview, AnnouncementLine, PARTICIPATION_WEEKS, Participation,
    Recognition, RoundLine, Silent, TOP_PEOPLE, Viewer,
};
pub use home::{Home, HomeKudos, HomeRequest, HomeStatus, OfficeGlance, home_message};
pub use outbox::{DispatchReport, DispatchSettings, Dispatcher, backoff};
pub use quarter::{quarter_days, quarter_of};
pub use reaction::reaction_source;
pub use requests::{RequestFigures, is_nothing, need_of, request_figures, word_overlap};
pub use schedule::{Cron, Job, JobKind, TickReport, in_cadence, resolve_local};

use crate::command::{Command, ParseError, Role, parse};
use crate::message::{Message, Reply, Rich};
use crate::model::{Account, Ambassador, AmbassadorStatus, Person, Platform};
use crate::ports::{Clock, Store, StoreError, StoreResult};
use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;

/// The program's rules, from configuration.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Program office members (ISPO/OSPO staff).
    pub office: Vec<Account>,
    /// The program's own time zone: days for the kudos limit, default for ambassadors.
    pub time_zone: Tz,
    /// Kudos one person may give per day (0: no limit).
    pub kudos_daily_limit: u32,
    /// A typed kudos reason shorter than this many words gets a nudge to say what the person did,
    /// and is not recorded (0: any reason).
    pub kudos_min_reason_words: u32,
    /// The most people one kudos may name; one naming more is refused before anyone is looked up.
    pub kudos_max_people: u32,
    /// A department with more people than this per active ambassador is "thin".
    pub thin_headcount_per_ambassador: u32,
    /// A region with at least this many active ambassadors stands out as having many.
    pub many_ambassadors_per_region: u32,
    /// Longest kudos reason and name, in characters.
    pub max_text_chars: usize,
    pub checkins: CheckinSettings,
    pub digest: DigestSettings,
    /// Occurrences missed while the bot was down run late within this window, and are skipped
    /// beyond it.
    pub grace: chrono::Duration,
    /// Ambassadors who have not acknowledged an announcement this long after it get one reminder.
    pub announce_remind_after: chrono::Duration,
    /// When the quarterly regional report goes to the office, in the program's time zone.
    pub quarterly_report: Cron,
    pub lifecycle: LifecycleSettings,
    pub requests: RequestSettings,
    pub dashboard: DashboardSettings,
}

/// The web dashboard, as far as chat needs it.
#[derive(Clone, Debug)]
pub struct DashboardSettings {
    /// The address the dashboard is reached at (`dashboard.base_url`, e.g.
    /// `https://ambassadors.example.com`); `None`: there is none, and `ambassadors dashboard` says so.
    pub base_url: Option<String>,
    /// How long a sign-in link works.
    pub link_valid_for: chrono::Duration,
    /// A session unused this long has ended.
    pub session_idle: chrono::Duration,
}

impl Default for DashboardSettings {
    fn default() -> Self {
        DashboardSettings {
            base_url: None,
            link_valid_for: chrono::Duration::minutes(10),
            session_idle: chrono::Duration::hours(8),
        }
    }
}

/// Requests: what ambassadors need from the office.
#[derive(Clone, Debug)]
pub struct RequestSettings {
    /// The check-in question (index into `checkins.questions`) whose answer becomes a request;
    /// `None`: check-in answers make none (`ambassadors ask` still does).
    pub need_question: Option<usize>,
    /// A request with no answer from the office this long after it was made is listed to the
    /// office in the next weekly requests summary (once).
    pub acknowledge_within: chrono::Duration,
    /// When the weekly requests summary goes to the office, in the program's time zone.
    pub summary: Cron,
}

impl Default for RequestSettings {
    fn default() -> Self {
        RequestSettings {
            need_question: Some(3),
            acknowledge_within: chrono::Duration::days(5),
            summary: Cron::parse("0 9 * * Mon").expect("valid default"),
        }
    }
}

/// Onboarding, the inactivity ladder, renewals, managers.
#[derive(Clone, Debug)]
pub struct LifecycleSettings {
    /// When the daily lifecycle job runs (inactivity ladder, renewals), in the program's time zone.
    pub schedule: Cron,
    /// An active ambassador this long without a check-in answer, a logged activity or kudos given
    /// gets a friendly nudge…
    pub nudge_after: chrono::Duration,
    /// …then the office is asked whether to mark them inactive (pause)…
    pub ask_office_after: chrono::Duration,
    /// …then the office is advised to move them to alumni. Nothing happens without the office.
    pub suggest_alumni_after: chrono::Duration,
    /// On each anniversary of their term an ambassador is asked to confirm; no answer within this
    /// long is reported to the office.
    pub renewal_grace: chrono::Duration,
    /// Links to training material, shown in the welcome.
    pub training_links: Vec<String>,
    /// The ambassadors' own channel or room, named in the welcome.
    pub ambassadors_channel: Option<String>,
    /// What is expected of an ambassador, one line each, in the welcome.
    pub expectations: Vec<String>,
    /// Copy kudos to the receiver's manager (when known) by direct message.
    pub copy_kudos_to_manager: bool,
}

impl Default for LifecycleSettings {
    fn default() -> Self {
        LifecycleSettings {
            schedule: Cron::parse("0 10 * * *").expect("valid default"),
            nudge_after: chrono::Duration::days(60),
            ask_office_after: chrono::Duration::days(90),
            suggest_alumni_after: chrono::Duration::days(180),
            renewal_grace: chrono::Duration::days(14),
            training_links: Vec::new(),
            ambassadors_channel: None,
            expectations: vec![
                "Be the liaison between your department and the program office: people find you with `who`.".into(),
                "Promote InnerSource practices: pass on what works, help teams open up their code.".into(),
                "Give feedback to the program office: answer your check-ins, tell us what your department needs.".into(),
                "Praise people for specific things with kudos.".into(),
            ],
            copy_kudos_to_manager: false,
        }
    }
}

/// When and how ambassadors are asked to check in.
#[derive(Clone, Debug)]
pub struct CheckinSettings {
    /// When prompts go out, in each ambassador's own time zone.
    pub schedule: Cron,
    /// Keep every n-th week of the schedule (2: fortnightly).
    pub every_weeks: u32,
    pub questions: Vec<String>,
    /// One reminder this long after the prompt to those who have not answered.
    pub remind_after: chrono::Duration,
    /// The round closes this long after the prompt; unanswered check-ins become missed.
    pub close_after: chrono::Duration,
    /// An ambassador silent this many rounds in a row is reported to the office, once.
    pub silent_rounds: u32,
}

impl Default for CheckinSettings {
    fn default() -> Self {
        CheckinSettings {
            schedule: Cron::parse("0 9 * * Mon").expect("valid default"),
            every_weeks: 1,
            questions: vec![
                "What challenges did you or your department meet?".into(),
                "What went well: successes worth sharing?".into(),
                "What opportunities do you see for InnerSource here?".into(),
                "What do you need from the program office?".into(),
            ],
            remind_after: chrono::Duration::days(2),
            close_after: chrono::Duration::days(6),
            silent_rounds: 2,
        }
    }
}

/// What an empty week's digest does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmptyWeek {
    /// Post one short line.
    Short,
    /// Post nothing.
    Skip,
}

/// The weekly digest.
#[derive(Clone, Debug)]
pub struct DigestSettings {
    /// When it is posted, in the program's time zone.
    pub schedule: Cron,
    /// Where it is posted.
    pub channels: Vec<crate::ports::Destination>,
    pub empty_week: EmptyWeek,
    /// Add a "You said, we did" section on the week's requests (departments, never people).
    pub requests: bool,
}

impl Default for DigestSettings {
    fn default() -> Self {
        DigestSettings {
            schedule: Cron::parse("0 15 * * Fri").expect("valid default"),
            channels: vec![crate::ports::Destination::Room {
                platform: Platform::Console,
                id: "general".into(),
            }],
            empty_week: EmptyWeek::Short,
            requests: false,
        }
    }
}

impl Settings {
    /// The most distinct people one kudos may name (at least one), the bound the core refuses
    /// beyond and the adapters look up no more people than.
    pub fn most_people_per_kudos(&self) -> usize {
        usize::try_from(self.kudos_max_people.max(1)).unwrap_or(usize::MAX)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            office: vec![Account::new(Platform::Console, "admin")],
            time_zone: Tz::UTC,
            kudos_daily_limit: 5,
            kudos_min_reason_words: 3,
            kudos_max_people: 10,
            thin_headcount_per_ambassador: 150,
            many_ambassadors_per_region: 5,
            max_text_chars: 1000,
            checkins: CheckinSettings::default(),
            digest: DigestSettings::default(),
            grace: chrono::Duration::hours(6),
            announce_remind_after: chrono::Duration::days(3),
            quarterly_report: Cron::parse("0 10 1-7 1,4,7,10 Mon").expect("valid default"),
            lifecycle: LifecycleSettings::default(),
            requests: RequestSettings::default(),
            dashboard: DashboardSettings::default(),
        }
    }
}

/// A chat line from a person, as an adapter hands it over.
#[derive(Clone, Debug)]
pub struct Inbound {
    pub sender: Account,
    /// The sender's display name as the platform shows it.
    pub sender_name: String,
    /// Where it was written (room or channel); for the record and for replies.
    pub room: String,
    pub text: String,
    /// The bot's own account on this platform: kudos to it are refused.
    pub bot: Option<Account>,
    /// Whether the line was written in a direct conversation with the bot (where plain text is a
    /// check-in answer).
    pub direct: bool,
    /// Whether mentioned people the bot has never seen may be created from the mention alone. True
    /// where the platform vouches for mention ids (Slack `<@U…>`, Matrix ids); false in the console,
    /// where a typo would otherwise invent a person.
    pub create_mentioned: bool,
}

/// Who is asking, resolved once per command.
#[derive(Clone, Debug)]
pub struct Caller {
    pub person: Person,
    pub role: Role,
    pub ambassador: Option<Ambassador>,
    pub room: String,
    /// `/` or `!`, to show commands the way this caller writes them.
    pub prefix: char,
    pub bot: Option<Account>,
    pub create_mentioned: bool,
    /// Whether the command came in a direct conversation with the bot.
    pub direct: bool,
    /// People the command mentions, read together with the caller (those already known).
    pub mentioned: Vec<Person>,
}

impl Caller {
    /// A command as this caller writes it: `cmd("ambassadors help")` is `/ambassadors help` or
    /// `!ambassadors help`.
    pub fn cmd(&self, template: &str) -> String {
        format!("{}{template}", self.prefix)
    }
}

/// Why a use case stopped: the user gets told, or the store failed.
#[derive(Debug)]
pub(crate) enum Failure {
    User(Message),
    Store(StoreError),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

pub(crate) type Outcome = Result<Vec<Reply>, Failure>;

pub(crate) fn refuse(text: impl Into<Rich>) -> Failure {
    Failure::User(Message::text(text))
}

/// The program: the store, the clock and the rules.
pub struct Program<S, C> {
    pub store: S,
    pub clock: C,
    pub settings: Settings,
}

impl<S: Store, C: Clock> Program<S, C> {
    pub fn new(store: S, clock: C, settings: Settings) -> Self {
        Program {
            store,
            clock,
            settings,
        }
    }

    /// Handles a chat line. `Ok(None)`: not a command of this bot, say nothing. `Err`: the store
    /// failed; the adapter logs it and tells the user something went wrong (see [`apology`]).
    pub async fn handle(&self, inbound: &Inbound) -> Result<Option<Vec<Reply>>, StoreError> {
        let Some(parsed) = parse(&inbound.text) else {
            if inbound.direct && !inbound.text.trim().is_empty() {
                let caller = self.caller(inbound, '/', &[]).await?;
                return match self.direct_text(&caller, &inbound.text).await {
                    Ok(replies) => Ok(Some(replies)),
                    Err(Failure::User(message)) => Ok(Some(vec![Reply::caller(message)])),
                    Err(Failure::Store(e)) => Err(e),
                };
            }
            return Ok(None);
        };
        let mentions = match &parsed.command {
            Ok(Command::Kudos { receivers, .. }) => receivers.as_slice(),
            _ => &[],
        };
        let caller = self.caller(inbound, parsed.prefix, mentions).await?;
        let command = match parsed.command {
            Ok(command) => command,
            Err(e) => return Ok(Some(vec![Reply::caller(usage_message(&caller, &e))])),
        };
        match self.run(&caller, command).await {
            Ok(replies) => Ok(Some(replies)),
            Err(Failure::User(message)) => Ok(Some(vec![Reply::caller(message)])),
            Err(Failure::Store(e)) => Err(e),
        }
    }

    /// Who is asking, read in one store call together with the people `mentions` names (the
    /// receivers of kudos), whom the command then need not look up one by one.
    pub(crate) async fn caller(
        &self,
        inbound: &Inbound,
        prefix: char,
        mentions: &[crate::command::Mention],
    ) -> Result<Caller, StoreError> {
        let platform = inbound.sender.platform;
        let mut accounts = Vec::with_capacity(1 + mentions.len());
        accounts.push(inbound.sender.clone());
        accounts.extend(mentions.iter().map(|m| Account::new(platform, m.0.clone())));
        let mut found = self.store.find_people_and_ambassadors(&accounts).await?;
        let sender = found
            .iter()
            .position(|(p, _)| p.account == inbound.sender)
            .map(|i| found.swap_remove(i));
        let mentioned = found.into_iter().map(|(p, _)| p).collect();
        // The common case (a known person, same name) is that one read; someone new or renamed is
        // written first, then their roster entry read.
        let (person, ambassador) = match sender {
            Some((p, a))
                if p.display_name == inbound.sender_name
                    || inbound.sender_name.is_empty()
                    || p.display_name == crate::model::display_name(&inbound.sender_name) =>
            {
                (p, a)
            }
            _ => {
                let name = crate::model::display_name(&inbound.sender_name);
                let name = if name.is_empty() {
                    inbound.sender.id.clone()
                } else {
                    name
                };
                let person = self.store.ensure_person(&inbound.sender, &name).await?;
                let ambassador = self.store.ambassador(person.id).await?;
                (person, ambassador)
            }
        };
        let ambassador = ambassador.filter(|a| a.status != AmbassadorStatus::Alumni);
        let role = if self.settings.office.contains(&inbound.sender) {
            Role::Office
        } else if ambassador.is_some() {
            Role::Ambassador
        } else {
            Role::Member
        };
        Ok(Caller {
            person,
            role,
            ambassador,
            room: inbound.room.clone(),
            prefix,
            bot: inbound.bot.clone(),
            create_mentioned: inbound.create_mentioned,
            direct: inbound.direct,
            mentioned,
        })
    }

    async fn run(&self, caller: &Caller, command: Command) -> Outcome {
        if command.required_role() == Role::Office && caller.role != Role::Office {
            return Err(refuse(format!(
                "Only the program office can do that (`{}`). If something in the org map or the roster is wrong, tell the program office.",
                caller.cmd(command.spec().name)
            )));
        }
        match command {
            Command::Help => Ok(help::help(caller)),
            Command::Coverage { region } => self.coverage(caller, region.as_deref()).await,
            Command::List { scope } => self.list(caller, scope.as_deref()).await,
            Command::Who { target } => self.who(caller, &target).await,
            Command::DeptAdd {
                name,
                region,
                headcount,
            } => self.dept_add(caller, &name, &region, headcount).await,
            Command::DeptRename { name, new_name } => {
                self.dept_rename(caller, &name, &new_name).await
            }
            Command::DeptMove { name, region } => self.dept_move(caller, &name, &region).await,
            Command::DeptHeadcount { name, headcount } => {
                self.dept_headcount(caller, &name, headcount).await
            }
            Command::DeptRemove { name } => self.dept_remove(caller, &name).await,
            Command::Add {
                person,
                department,
                time_zone,
            } => {
                self.roster_add(caller, &person, &department, time_zone.as_deref())
                    .await
            }
            Command::Remove { person } => self.roster_remove(caller, &person).await,
            Command::Pause { person } => {
                self.roster_status(caller, &person, AmbassadorStatus::Paused)
                    .await
            }
            Command::Resume { person } => {
                self.roster_status(caller, &person, AmbassadorStatus::Active)
                    .await
            }
            Command::StepDown => self.step_down(caller).await,
            Command::Checkin(c) => self.checkin_command(caller, c).await,
            Command::Checkins => self.checkins_view(caller).await,
            Command::Feedback { scope, since } => {
                self.feedback_view(caller, scope.as_deref(), since).await
            }
            Command::Announce { scope, text } => self.announce(caller, scope, &text).await,
            Command::Ack { shared } => self.ack(caller, shared).await,
            Command::Announcements => self.announcements_view(caller).await,
            Command::Inbox => self.inbox(caller).await,
            Command::Log(l) => self.log(caller, l).await,
            Command::Activity { scope, since } => {
                self.activity_view(caller, scope.as_deref(), since).await
            }
            Command::Quarter { quarter } => self.quarter_command(caller, quarter).await,
            Command::Apply => self.apply(caller).await,
            Command::Withdraw => self.withdraw(caller).await,
            Command::Applications => self.applications_view(caller).await,
            Command::Approve { person, department } => {
                self.approve(caller, &person, department.as_deref()).await
            }
            Command::Decline { person, reason } => self.decline(caller, &person, &reason).await,
            Command::Nominate { person, reason } => self.nominate(caller, &person, &reason).await,
            Command::Report { person, text } => self.report(caller, &person, &text).await,
            Command::Reports => self.reports_view(caller).await,
            Command::Resolve { id, note } => self.resolve(caller, id, note.as_deref()).await,
            Command::Record => self.record_command(caller).await,
            Command::Dashboard => self.dashboard_link(caller).await,
            Command::TimeZone { zone } => self.time_zone_command(caller, zone.as_deref()).await,
            Command::Renew => self.renew(caller).await,
            Command::Alumni { person } => self.to_alumni(caller, &person).await,
            Command::Ask { text } => self.ask(caller, &text).await,
            Command::Requests(q) => self.requests_view(caller, &q).await,
            Command::RequestShow { id } => self.request_show(caller, id).await,
            Command::RequestReply { id, text } => self.request_reply(caller, id, &text).await,
            Command::RequestTake { id } => self.request_take(caller, id).await,
            Command::RequestStatus { id, status, note } => {
                self.request_status(caller, id, status, note.as_deref())
                    .await
            }
            Command::RequestLabel { id, labels } => self.request_label(caller, id, &labels).await,
            Command::KudosMine => self.kudos_mine(caller).await,
            Command::KudosOptOut(out) => self.kudos_optout(caller, out).await,
            Command::KudosLeaderboard { period, group } => {
                self.kudos_leaderboard(caller, period, group).await
            }
            Command::Kudos {
                receivers,
                reason,
                tags,
            } => self.kudos(caller, &receivers, &reason, tags, None).await,
        }
    }

    /// Whether the inbound event `key` (a platform's event id, a signed request) is met for the
    /// first time by any replica: true once per key for a day (see
    /// [`CoordinationStore::remember_event`](crate::CoordinationStore::remember_event)). Adapters
    /// drop what comes again.
    pub async fn first_sighting(&self, key: &str) -> StoreResult<bool> {
        self.store.remember_event(key, self.clock.now()).await
    }

    /// The person behind `account`, when the bot has met them.
    pub async fn known_person(&self, account: &Account) -> StoreResult<Option<Person>> {
        self.store.find_person(account).await
    }

    /// Records someone an adapter met (mentioned, joined a room) under the name their platform
    /// shows, cleaned by the caller with [`display_name`](crate::model::display_name).
    pub async fn meet_person(&self, account: &Account, name: &str) -> StoreResult<Person> {
        self.store.ensure_person(account, name).await
    }

    /// Today in the program's time zone.
    pub fn today(&self) -> NaiveDate {
        self.clock
            .now()
            .with_timezone(&self.settings.time_zone)
            .date_naive()
    }

    /// The instant today began in the program's time zone.
    pub(crate) fn day_start(&self) -> chrono::DateTime<chrono::Utc> {
        let tz = self.settings.time_zone;
        let midnight = self.today().and_hms_opt(0, 0, 0).expect("midnight exists");
        // Where midnight is skipped by a daylight-saving change, the day starts at the first instant.
        tz.from_local_datetime(&midnight)
            .earliest()
            .or_else(|| {
                tz.from_local_datetime(&(midnight + chrono::Duration::hours(1)))
                    .earliest()
            })
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_else(|| self.clock.now())
    }
}

/// What to tell the user when the store failed: short, no internals.
pub fn apology() -> Message {
    Message::text(
        "Sorry, something went wrong on my side and nothing was changed. Please try again in a minute; if it keeps happening, tell the program office.",
    )
}

fn usage_message(caller: &Caller, e: &ParseError) -> Message {
    let mut m = Message::text(e.message.clone());
    let lines: Vec<Rich> = e
        .usage
        .iter()
        .map(|u| Rich::new().and_code(caller.cmd(u)))
        .collect();
    if !lines.is_empty() {
        m = m.paragraph("Usage:").list(lines);
    }
    m.context(
        Rich::text("All commands: ")
            .and_code(caller.cmd("ambassadors help"))
            .and(". Names of several words go in quotes."),
    )
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A count with its noun, the one way counts are written: `1 activity`, `2 activities`,
/// `1,075 people`. A noun that is the same in the plural (`kudos`) reads `one kudos`, so that it
/// still reads as one.
pub fn count(n: u64, one: &str, many: &str) -> String {
    match n {
        1 if one == many => format!("one {one}"),
        1 => format!("1 {one}"),
        n => format!("{} {many}", thousands(n)),
    }
}

/// A share as a whole percentage, rounded to the nearest (halves up): 2 of 3 is 67. Every
/// percentage the bot shows goes through here; 0 when `whole` is 0.
pub fn percent(part: u64, whole: u64) -> u64 {
    if whole == 0 {
        return 0;
    }
    let (part, whole) = (u128::from(part), u128::from(whole));
    u64::try_from((part * 200 + whole) / (whole * 2)).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1075), "1,075");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(percent(2, 3), 67);
        assert_eq!(percent(1, 6), 17);
        assert_eq!(percent(1, 8), 13);
        assert_eq!(percent(1, 3), 33);
        assert_eq!(percent(999, 1000), 100);
        assert_eq!(percent(3, 3), 100);
        assert_eq!(percent(1, 0), 0);
    }

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(count(1, "activity", "activities"), "1 activity");
        assert_eq!(count(0, "activity", "activities"), "0 activities");
        assert_eq!(count(1_075, "person", "people"), "1,075 people");
        assert_eq!(count(1, "kudos", "kudos"), "one kudos");
        assert_eq!(count(2, "kudos", "kudos"), "2 kudos");
    }
}
