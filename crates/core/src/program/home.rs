//! The viewer's home page (Slack's App Home tab): their kudos, their ambassador status with the
//! check-in open now or the next one, their requests to the program office, and for the program
//! office coverage and requests at a glance. Gathered by [`Program::home`], laid out by the pure
//! [`home_message`].

use super::checkin::local_time;
use super::checkin_views::human_duration;
use super::coverage::CoverageReport;
use super::requests::gist;
use super::schedule::in_cadence;
use super::{Inbound, Program, count, percent};
use crate::command::Role;
use crate::message::{Button, FormKind, Message, Rich};
use crate::model::{
    Ambassador, AmbassadorStatus, Checkin, CheckinStatus, Kudos, PersonRef, Request, RequestFilter,
};
use crate::ports::{Clock, Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

/// How many of the latest kudos received the home page shows.
pub const HOME_KUDOS: usize = 5;
/// How many uncovered departments the office's glance names.
pub const HOME_UNCOVERED: usize = 10;
/// How many of the viewer's own requests the home page lists.
pub const HOME_REQUESTS: usize = 10;
/// How long a done or declined request stays on its ambassador's home page, in days.
pub const HOME_CLOSED_DAYS: i64 = 30;

/// One of the viewer's own requests, with the office's latest answer in its thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HomeRequest {
    pub request: Request,
    /// The office's latest message in the request's thread, if any.
    pub answer: Option<String>,
}

/// The viewer's kudos.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HomeKudos {
    pub received: u32,
    pub given: u32,
    /// The latest received, newest first, at most [`HOME_KUDOS`].
    pub latest: Vec<Kudos>,
}

/// Where the viewer stands in the program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HomeStatus {
    /// On the roster, active or paused.
    Ambassador {
        ambassador: Box<Ambassador>,
        /// The check-in that takes answers now.
        open: Option<Checkin>,
        /// When the next prompt goes out, when none is open (none while paused).
        next: Option<DateTime<Utc>>,
    },
    /// Not on the roster (or alumni); `applied`: an application is with the office or in draft.
    Member { applied: bool },
}

/// Coverage at a glance, for the program office.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OfficeGlance {
    pub departments: u32,
    pub covered: u32,
    pub ambassadors: u32,
    /// Names of uncovered departments, the largest first, at most [`HOME_UNCOVERED`].
    pub uncovered: Vec<String>,
    /// How many departments are uncovered in all.
    pub uncovered_count: u32,
    /// Active ambassadors without a sign of life (check-in answer, activity, kudos given) within
    /// the lifecycle's nudge period.
    pub silent: u32,
    /// That period, in days.
    pub silent_days: i64,
    /// Requests still to be worked (new, acknowledged, in progress).
    pub open_requests: u32,
    /// Of those, the ones without any answer from the office for `acknowledge_within` or longer.
    pub waiting_requests: u32,
    /// `requests.acknowledge_within`.
    pub acknowledge_within: Duration,
}

/// Everything the home page shows, gathered from the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Home {
    pub viewer: PersonRef,
    pub kudos: HomeKudos,
    pub status: HomeStatus,
    pub office: Option<OfficeGlance>,
    /// The viewer's own requests: the open ones, then those closed in the last
    /// [`HOME_CLOSED_DAYS`] (the latest closed first), newest first, at most [`HOME_REQUESTS`].
    pub requests: Vec<HomeRequest>,
    /// How many of those there are in all (more than listed: the page points to the full list).
    pub requests_count: usize,
    /// `/` or `!`: how the viewer writes commands.
    pub prefix: char,
    /// The program's time zone, for the dates of kudos.
    pub time_zone: Tz,
}

/// The home page as a message (well under 100 blocks: about fifteen).
pub fn home_message(home: &Home) -> Message {
    let cmd = |c: &str| format!("{}{c}", home.prefix);
    let k = &home.kudos;
    let mut m = Message::new()
        .heading(format!("Hi {}!", home.viewer.display_name))
        .heading("Your kudos")
        .fields(vec![
            ("Received".into(), Rich::text(k.received.to_string())),
            ("Given".into(), Rich::text(k.given.to_string())),
        ]);
    if k.latest.is_empty() {
        m = m.paragraph("No kudos received yet — they will come!");
    } else {
        m = m.paragraph("Latest received:").list(
            k.latest
                .iter()
                .map(|k| {
                    Rich::text(format!(
                        "{} from ",
                        k.given_at.with_timezone(&home.time_zone).date_naive()
                    ))
                    .and_mention(&k.giver)
                    .and(": ")
                    .and_em(k.reason.clone())
                })
                .collect(),
        );
    }
    m = m
        .context(
            Rich::text("Thank someone: ")
                .and_code(cmd("kudos @person for <what they did>"))
                .and(" · all yours: ")
                .and_code(cmd("kudos mine")),
        )
        .divider();
    match &home.status {
        // The office's own page is about the program; not about joining it.
        HomeStatus::Member { .. } if home.office.is_some() => {}
        HomeStatus::Ambassador {
            ambassador: a,
            open,
            next,
        } => {
            m = m.heading("Your ambassador status");
            let status = match (a.status, a.checkins_paused_until) {
                (AmbassadorStatus::Paused, _) => "Paused".to_string(),
                (_, Some(until)) if next.is_some() || open.is_some() => {
                    format!("Active (check-ins paused until {until})")
                }
                _ => "Active".to_string(),
            };
            m = m.fields(vec![
                ("Department".into(), Rich::text(a.department.name.clone())),
                ("Region".into(), Rich::text(a.department.region.clone())),
                ("Ambassador since".into(), Rich::text(a.since.to_string())),
                ("Status".into(), Rich::text(status)),
            ]);
            let checkin = match (open, next) {
                (Some(c), _) => {
                    let closes = local_time(c.closes_at, &a.time_zone);
                    match c.status {
                        CheckinStatus::Answered => Rich::text("Check-in: ")
                            .and_strong("answered")
                            .and(format!(", thank you! You can add to it until {closes}: ")),
                        CheckinStatus::Skipped => {
                            Rich::text("Check-in: skipped this round; you can still answer until ")
                                .and(format!("{closes}: "))
                        }
                        _ => Rich::text("Check-in: ").and_strong("open now").and(format!(
                            " until {closes}. Answer in a direct message to me or with "
                        )),
                    }
                    .and_code(cmd("checkin <your answer>"))
                }
                (None, Some(at)) => Rich::text(format!(
                    "Next check-in: {} ({}).",
                    local_time(*at, &a.time_zone),
                    a.time_zone
                )),
                (None, None) if a.status == AmbassadorStatus::Paused => {
                    Rich::text("No check-ins while you are paused; the program office resumes you.")
                }
                (None, None) => Rich::text("No check-in is planned."),
            };
            m = m.paragraph(checkin);
            if open.is_some() {
                m = m.buttons(vec![
                    Button::form("Answer the check-in", FormKind::Checkin).primary(),
                ]);
            }
            m = m.context(
                Rich::text("Away? ")
                    .and_code(cmd("checkin pause until <YYYY-MM-DD>"))
                    .and(" · your record: ")
                    .and_code(cmd("ambassadors record"))
                    .and(" · stepping down: ")
                    .and_code(cmd("ambassadors stepdown")),
            );
        }
        HomeStatus::Member { applied } => {
            m = m
                .heading("Your ambassador status")
                .paragraph("You are not an ambassador. Ambassadors connect their department with the program office and help teams work in the open.")
                .list(vec![
                    Rich::text("Find your department's ambassador: ")
                        .and_code(cmd("ambassadors who <department>")),
                    Rich::text("All ambassadors: ").and_code(cmd("ambassadors list")),
                    if *applied {
                        Rich::text("Your application is with the program office; to take it back: ")
                            .and_code(cmd("ambassadors withdraw"))
                    } else {
                        Rich::text("Become one: ").and_code(cmd("ambassadors apply"))
                    },
                ]);
            if !*applied {
                m = m.buttons(vec![Button::form("Apply", FormKind::Application)]);
            }
        }
    }
    let ambassador = matches!(home.status, HomeStatus::Ambassador { .. });
    if ambassador || !home.requests.is_empty() {
        m = m.divider();
        m = requests_section(home, m);
    }
    if let Some(o) = &home.office {
        if ambassador || !home.requests.is_empty() {
            m = m.divider();
        }
        m = m.heading("Coverage at a glance").fields(vec![
            (
                "Departments with an ambassador".into(),
                Rich::text(format!(
                    "{} of {} ({}%)",
                    o.covered,
                    o.departments,
                    percent(u64::from(o.covered), u64::from(o.departments))
                )),
            ),
            (
                "Active ambassadors".into(),
                Rich::text(o.ambassadors.to_string()),
            ),
            (
                "Silent ambassadors".into(),
                Rich::text(format!("{} (nothing in {} days)", o.silent, o.silent_days)),
            ),
        ]);
        if o.uncovered_count == 0 && o.departments > 0 {
            m = m.paragraph("Every department has an ambassador.");
        } else if o.uncovered_count > 0 {
            let mut line = Rich::text("Uncovered: ").and(o.uncovered.join(", "));
            let more =
                o.uncovered_count as usize - o.uncovered.len().min(o.uncovered_count as usize);
            if more > 0 {
                line = line.and(format!(" and {more} more"));
            }
            m = m.paragraph(line);
        } else {
            m = m.paragraph(
                Rich::text("No departments yet: ")
                    .and_code(cmd("ambassadors dept add <name> <region> [headcount]")),
            );
        }
        m = m.paragraph(if o.open_requests == 0 {
            Rich::text("No open requests from ambassadors.")
        } else {
            Rich::text(format!(
                "{}, {} waiting for a first answer for more than {}: ",
                count(u64::from(o.open_requests), "open request", "open requests"),
                o.waiting_requests,
                human_duration(o.acknowledge_within)
            ))
            .and_code(cmd("ambassadors requests --oldest"))
        });
        m = m.context(
            Rich::text("More: ")
                .and_code(cmd("ambassadors coverage"))
                .and(" · ")
                .and_code(cmd("ambassadors checkins"))
                .and(" · ")
                .and_code(cmd("ambassadors applications")),
        );
        m = m.buttons(vec![
            Button::command("Coverage report", "ambassadors coverage"),
            Button::command("Check-ins", "ambassadors checkins"),
            Button::command("Applications", "ambassadors applications"),
            Button::command("Requests", "ambassadors requests --oldest"),
        ]);
    }
    m
}

/// The viewer's own requests: each with where it stands and the office's latest word on it.
fn requests_section(home: &Home, m: Message) -> Message {
    let cmd = |c: &str| format!("{}{c}", home.prefix);
    let m = m.heading("Your requests");
    if home.requests.is_empty() {
        return m.paragraph(
            Rich::text("None open. Ask the program office for what you need: ")
                .and_code(cmd("ambassadors ask <what you need>")),
        );
    }
    let day = |at: DateTime<Utc>| at.with_timezone(&home.time_zone).date_naive();
    let items = home
        .requests
        .iter()
        .map(|h| {
            let r = &h.request;
            let when = match r.closed_at {
                Some(closed) if !r.status.is_open() => format!(" {}", day(closed)),
                _ => String::new(),
            };
            let mut line = Rich::strong(format!("#{}", r.id))
                .and(" · ")
                .and_strong(r.status.label())
                .and(format!("{when} · asked {}: ", day(r.created_at)))
                .and_em(gist(&r.text, 120));
            match (&r.note, &h.answer) {
                (Some(note), _) if !r.status.is_open() => {
                    line = line.and(" — note: ").and(gist(note, 200));
                }
                (_, Some(answer)) => {
                    line = line.and(" — the office: ").and(gist(answer, 200));
                }
                _ if r.first_answer_at.is_none() => {
                    line = line.and(" — no answer yet");
                }
                _ => {}
            }
            line
        })
        .collect();
    let mut m = m.list(items);
    let more = home.requests_count.saturating_sub(home.requests.len());
    if more > 0 {
        m = m.paragraph(
            Rich::text(format!("… and {more} more: "))
                .and_code(cmd("ambassadors requests mine all")),
        );
    }
    m.context(
        Rich::text("With their threads: ")
            .and_code(cmd("ambassadors request N"))
            .and(" · answer the office: ")
            .and_code(cmd("ambassadors reply N <text>"))
            .and(" · ask for more: ")
            .and_code(cmd("ambassadors ask <what you need>")),
    )
}

impl<S: Store, C: Clock> Program<S, C> {
    /// The home page of the person in `viewer` (its `sender`; `room` and `text` are unused).
    pub async fn home(&self, viewer: &Inbound) -> Result<Message, StoreError> {
        let prefix = viewer.sender.platform.command_prefix();
        let caller = self.caller(viewer, prefix, &[]).await?;
        let home = self.gather_home(&caller).await?;
        Ok(home_message(&home))
    }

    async fn gather_home(&self, caller: &super::Caller) -> Result<Home, StoreError> {
        let person = &caller.person;
        let now = self.clock.now();
        let received = self.store.kudos_received(person.id).await?;
        let (count, given) = self.store.kudos_counts(person.id).await?;
        let kudos = HomeKudos {
            received: count,
            given,
            latest: received.into_iter().rev().take(HOME_KUDOS).collect(),
        };
        let status = match &caller.ambassador {
            Some(a) => {
                let open = self.store.current_checkin(person.id, now).await?;
                let next = match (&open, a.status) {
                    (None, AmbassadorStatus::Active) => self.next_prompt(a, now),
                    _ => None,
                };
                HomeStatus::Ambassador {
                    ambassador: Box::new(a.clone()),
                    open,
                    next,
                }
            }
            None => HomeStatus::Member {
                applied: self.store.pending_application(person.id).await?.is_some(),
            },
        };
        let office = match caller.role {
            Role::Office => Some(self.glance(now).await?),
            _ => None,
        };
        let (requests, requests_count) = self.home_requests(person.id, now).await?;
        Ok(Home {
            viewer: person.as_ref(),
            kudos,
            status,
            office,
            requests,
            requests_count,
            prefix: caller.prefix,
            time_zone: self.settings.time_zone,
        })
    }

    /// The person's own requests for their home page (see [`Home::requests`]), and how many
    /// there are in all.
    async fn home_requests(
        &self,
        person: crate::model::PersonId,
        now: DateTime<Utc>,
    ) -> Result<(Vec<HomeRequest>, usize), StoreError> {
        let since = now - Duration::days(HOME_CLOSED_DAYS);
        let mut mine: Vec<Request> = self
            .store
            .requests(&RequestFilter {
                ambassador: Some(person),
                open_only: false,
            })
            .await?
            .into_iter()
            .filter(|r| r.status.is_open() || r.closed_at.is_some_and(|c| c >= since))
            .collect();
        mine.sort_by_key(|r| {
            (
                !r.status.is_open(),
                std::cmp::Reverse(r.closed_at),
                std::cmp::Reverse(r.id),
            )
        });
        let all = mine.len();
        let mut out = Vec::new();
        for r in mine.into_iter().take(HOME_REQUESTS) {
            let answer = self
                .store
                .request_messages(r.id)
                .await?
                .into_iter()
                .rev()
                .find(|m| m.from_office)
                .map(|m| m.text);
            out.push(HomeRequest { request: r, answer });
        }
        Ok((out, all))
    }

    /// The next check-in prompt of an active ambassador: in their time zone, in the cadence, past
    /// a vacation pause.
    pub(crate) fn next_prompt(&self, a: &Ambassador, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let c = &self.settings.checkins;
        let tz: Tz = a.time_zone.parse().unwrap_or(self.settings.time_zone);
        let mut after = now;
        for _ in 0..200 {
            let at = c.schedule.next_after(tz, after)?;
            let day = at.with_timezone(&tz).date_naive();
            if in_cadence(day, c.every_weeks) && a.checkins_paused_until.is_none_or(|u| u < day) {
                return Some(at);
            }
            after = at;
        }
        None
    }

    async fn glance(&self, now: DateTime<Utc>) -> Result<OfficeGlance, StoreError> {
        let report = CoverageReport::build(self.store.coverage(None).await?, &self.settings);
        let mut uncovered: Vec<_> = report
            .lines
            .iter()
            .filter(|l| l.active.is_empty())
            .collect();
        uncovered.sort_by_key(|l| std::cmp::Reverse(l.department.headcount));
        let quiet = self.settings.lifecycle.nudge_after;
        let silent = self
            .store
            .last_active(Some(now - quiet))
            .await?
            .iter()
            .filter(|life| {
                now - super::lifecycle::quiet_from(life, self.settings.time_zone) >= quiet
            })
            .count();
        let wait = self.settings.requests.acknowledge_within;
        let open = self.open_requests().await?;
        let waiting = open
            .iter()
            .filter(|r| super::requests::waiting(r, wait, now))
            .count();
        Ok(OfficeGlance {
            departments: report.total.departments,
            covered: report.total.covered,
            ambassadors: report.total.ambassadors,
            uncovered_count: uncovered.len() as u32,
            uncovered: uncovered
                .iter()
                .take(HOME_UNCOVERED)
                .map(|l| l.department.name.clone())
                .collect(),
            silent: silent as u32,
            silent_days: quiet.num_days(),
            open_requests: open.len() as u32,
            waiting_requests: waiting as u32,
            acknowledge_within: wait,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{Block, render_plain};
    use crate::model::{Account, Department, Person, Platform, RequestStatus};
    use chrono::{NaiveDate, TimeZone};

    fn slack(id: &str, name: &str) -> PersonRef {
        PersonRef {
            account: Account::new(Platform::Slack, id),
            display_name: name.into(),
        }
    }

    fn at(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, d, h, 0, 0).unwrap()
    }

    fn kudos(id: i64, from: &str, reason: &str, day: u32) -> Kudos {
        Kudos {
            id,
            giver: slack(&format!("U{id}"), from),
            receivers: vec![slack("U2", "Bob")],
            reason: reason.into(),
            tags: vec![],
            given_at: at(day, 12),
            room: "C0GENERAL".into(),
        }
    }

    fn bob_in_finance(status: AmbassadorStatus) -> Ambassador {
        Ambassador {
            person: Person {
                id: 2,
                account: Account::new(Platform::Slack, "U2"),
                display_name: "Bob".into(),
                time_zone: None,
                time_zone_chosen: false,
            },
            department: Department {
                id: 1,
                name: "Finance".into(),
                region: "EMEA".into(),
                headcount: Some(120),
            },
            status,
            since: NaiveDate::from_ymd_opt(2024, 12, 2).unwrap(),
            until: None,
            time_zone: "Europe/Berlin".into(),
            checkins_paused_until: None,
        }
    }

    fn home(status: HomeStatus) -> Home {
        Home {
            viewer: slack("U2", "Bob"),
            kudos: HomeKudos {
                received: 7,
                given: 3,
                latest: vec![
                    kudos(1, "Ada", "“the release checklist”", 3),
                    kudos(3, "Carol", "fixing CI", 1),
                ],
            },
            status,
            office: None,
            requests: vec![],
            requests_count: 0,
            prefix: '/',
            time_zone: Tz::UTC,
        }
    }

    fn request(id: i64, status: RequestStatus, text: &str, day: u32) -> Request {
        Request {
            id,
            ambassador: slack("U2", "Bob"),
            department: "Finance".into(),
            region: "EMEA".into(),
            round: None,
            text: text.into(),
            status,
            owner: None,
            labels: vec![],
            created_at: at(day, 9),
            first_answer_at: (status != RequestStatus::New).then(|| at(day + 1, 9)),
            closed_at: (!status.is_open()).then(|| at(day + 2, 9)),
            note: None,
            overdue_listed_at: None,
        }
    }

    fn glance(open_requests: u32, waiting_requests: u32) -> OfficeGlance {
        OfficeGlance {
            departments: 40,
            covered: 25,
            ambassadors: 31,
            uncovered: (1..=HOME_UNCOVERED).map(|i| format!("Dept {i}")).collect(),
            uncovered_count: 15,
            silent: 4,
            silent_days: 60,
            open_requests,
            waiting_requests,
            acknowledge_within: Duration::days(5),
        }
    }

    fn open_checkin(status: CheckinStatus) -> Checkin {
        Checkin {
            round: NaiveDate::from_ymd_opt(2025, 3, 3).unwrap(),
            person: 2,
            status,
            prompted_at: at(3, 8),
            closes_at: at(9, 8),
            reminded_at: None,
            answer: String::new(),
            answered_at: None,
            flagged: false,
        }
    }

    #[test]
    fn an_ambassador_sees_their_kudos_their_post_and_the_open_checkin() {
        let page = home_message(&home(HomeStatus::Ambassador {
            ambassador: Box::new(bob_in_finance(AmbassadorStatus::Active)),
            open: Some(open_checkin(CheckinStatus::Open)),
            next: None,
        }));
        let text = render_plain(&page);
        for wanted in [
            "*Hi Bob!*",
            "Received: 7",
            "Given: 3",
            "• 2025-03-03 from @Ada: _“the release checklist”_",
            "• 2025-03-01 from @Carol: _fixing CI_",
            "Department: Finance",
            "Region: EMEA",
            "Ambassador since: 2024-12-02",
            "Status: Active",
            // Closing time in the ambassador's zone (Berlin is UTC+1 in March).
            "Check-in: *open now* until Sunday 9 March, 09:00",
            "`/checkin <your answer>`",
        ] {
            assert!(text.contains(wanted), "{wanted:?} in\n{text}");
        }
        assert!(!text.contains("Coverage"), "{text}");
        assert!(!text.contains("not an ambassador"), "{text}");
        // Newest first, as given.
        assert!(text.find("@Ada").unwrap() < text.find("@Carol").unwrap());

        let answered = render_plain(&home_message(&home(HomeStatus::Ambassador {
            ambassador: Box::new(bob_in_finance(AmbassadorStatus::Active)),
            open: Some(open_checkin(CheckinStatus::Answered)),
            next: None,
        })));
        assert!(answered.contains("*answered*, thank you!"), "{answered}");
    }

    #[test]
    fn the_next_checkin_or_the_pause_is_shown_when_none_is_open() {
        let mut ambassador = bob_in_finance(AmbassadorStatus::Active);
        ambassador.checkins_paused_until = NaiveDate::from_ymd_opt(2025, 3, 12);
        let next = render_plain(&home_message(&home(HomeStatus::Ambassador {
            ambassador: Box::new(ambassador),
            open: None,
            next: Some(at(17, 8)),
        })));
        assert!(
            next.contains("Next check-in: Monday 17 March, 09:00 (Europe/Berlin)."),
            "{next}"
        );
        assert!(
            next.contains("Status: Active (check-ins paused until 2025-03-12)"),
            "{next}"
        );
        let paused = render_plain(&home_message(&home(HomeStatus::Ambassador {
            ambassador: Box::new(bob_in_finance(AmbassadorStatus::Paused)),
            open: None,
            next: None,
        })));
        assert!(paused.contains("Status: Paused"), "{paused}");
        assert!(
            paused.contains("No check-ins while you are paused"),
            "{paused}"
        );
    }

    #[test]
    fn a_member_learns_how_to_find_their_ambassador_and_apply() {
        let mut page = home(HomeStatus::Member { applied: false });
        page.kudos = HomeKudos {
            received: 0,
            given: 0,
            latest: vec![],
        };
        page.prefix = '!';
        let text = render_plain(&home_message(&page));
        for wanted in [
            "No kudos received yet",
            "You are not an ambassador",
            "`!ambassadors who <department>`",
            "`!ambassadors list`",
            "Become one: `!ambassadors apply`",
        ] {
            assert!(text.contains(wanted), "{wanted:?} in\n{text}");
        }
        let applied = render_plain(&home_message(&home(HomeStatus::Member { applied: true })));
        assert!(
            applied.contains("Your application is with the program office"),
            "{applied}"
        );
        assert!(!applied.contains("Become one"), "{applied}");
    }

    #[test]
    fn the_office_sees_coverage_at_a_glance_in_a_few_blocks() {
        let mut page = home(HomeStatus::Member { applied: false });
        page.office = Some(glance(3, 1));
        let message = home_message(&page);
        let text = render_plain(&message);
        for wanted in [
            "Departments with an ambassador: 25 of 40 (63%)",
            "Active ambassadors: 31",
            "Silent ambassadors: 4 (nothing in 60 days)",
            "Uncovered: Dept 1, Dept 2,",
            "Dept 10 and 5 more",
            "`/ambassadors coverage`",
            "`/ambassadors checkins`",
            "3 open requests, 1 waiting for a first answer for more than 5 days: `/ambassadors requests --oldest`",
        ] {
            assert!(text.contains(wanted), "{wanted:?} in\n{text}");
        }
        // The office's own requests section shows only when it asked something itself.
        assert!(!text.contains("Your requests"), "{text}");
        // The office's page is not an invitation to apply.
        assert!(!text.contains("not an ambassador"), "{text}");
        assert!(message.blocks.len() <= 20, "{}", message.blocks.len());
        assert!(
            !matches!(message.blocks.last(), Some(Block::Divider)),
            "no trailing divider"
        );

        page.office.as_mut().unwrap().uncovered = vec![];
        page.office.as_mut().unwrap().uncovered_count = 0;
        let all = render_plain(&home_message(&page));
        assert!(all.contains("Every department has an ambassador."), "{all}");

        page.office = Some(glance(1, 0));
        let one = render_plain(&home_message(&page));
        assert!(
            one.contains("1 open request, 0 waiting for a first answer for more than 5 days"),
            "{one}"
        );
        page.office = Some(glance(0, 0));
        let none = render_plain(&home_message(&page));
        assert!(
            none.contains("No open requests from ambassadors."),
            "{none}"
        );
        assert!(!none.contains("waiting"), "{none}");
    }

    #[test]
    fn an_ambassador_sees_their_requests_with_the_offices_latest_word() {
        let mut page = home(HomeStatus::Ambassador {
            ambassador: Box::new(bob_in_finance(AmbassadorStatus::Active)),
            open: None,
            next: Some(at(17, 8)),
        });
        let mut done = request(1, RequestStatus::Done, "A sponsor for the CI runners", 1);
        done.note = Some("The platform team sponsors them from April.".into());
        page.requests = vec![
            HomeRequest {
                request: request(4, RequestStatus::New, "Slides for the pitch", 6),
                answer: None,
            },
            HomeRequest {
                request: request(
                    3,
                    RequestStatus::InProgress,
                    "A budget for the hackathon",
                    4,
                ),
                answer: Some("We ask finance on Friday.\nMore soon.".into()),
            },
            HomeRequest {
                request: done,
                // The note it closed with is the latest word, not an earlier reply.
                answer: Some("Looking for a sponsor.".into()),
            },
        ];
        page.requests_count = 5;
        let message = home_message(&page);
        let text = render_plain(&message);
        for wanted in [
            "*Your requests*",
            "• *#4* · *new* · asked 2025-03-06: _Slides for the pitch_ — no answer yet",
            "• *#3* · *in progress* · asked 2025-03-04: _A budget for the hackathon_ — the office: We ask finance on Friday. More soon.",
            "• *#1* · *done* 2025-03-03 · asked 2025-03-01: _A sponsor for the CI runners_ — note: The platform team sponsors them from April.",
            "… and 2 more: `/ambassadors requests mine all`",
            "`/ambassadors reply N <text>`",
        ] {
            assert!(text.contains(wanted), "{wanted:?} in\n{text}");
        }
        assert!(!text.contains("Looking for a sponsor"), "{text}");
        // As given: open ones first, newest first.
        assert!(text.find("*#4*").unwrap() < text.find("*#3*").unwrap());
        assert!(text.find("*#3*").unwrap() < text.find("*#1*").unwrap());
        // The section comes after the ambassador's status, and the page stays short.
        assert!(text.find("Your ambassador status").unwrap() < text.find("Your requests").unwrap());
        assert!(message.blocks.len() <= 30, "{}", message.blocks.len());

        // With the office's glance too, each section is set apart once.
        page.office = Some(glance(2, 0));
        let both = home_message(&page);
        let dividers = both
            .blocks
            .iter()
            .filter(|b| matches!(b, Block::Divider))
            .count();
        assert_eq!(dividers, 3, "{both:?}");
        assert!(both.blocks.len() <= 40, "{}", both.blocks.len());
    }

    #[test]
    fn an_ambassador_without_requests_learns_how_to_ask_and_a_member_sees_none() {
        let page = home(HomeStatus::Ambassador {
            ambassador: Box::new(bob_in_finance(AmbassadorStatus::Active)),
            open: None,
            next: Some(at(17, 8)),
        });
        let text = render_plain(&home_message(&page));
        assert!(
            text.contains("None open. Ask the program office for what you need: `/ambassadors ask <what you need>`"),
            "{text}"
        );
        let member = render_plain(&home_message(&home(HomeStatus::Member { applied: false })));
        assert!(!member.contains("Your requests"), "{member}");
        // A former ambassador still sees the requests they made.
        let mut former = home(HomeStatus::Member { applied: false });
        former.requests = vec![HomeRequest {
            request: request(7, RequestStatus::Acknowledged, "Office hours", 2),
            answer: None,
        }];
        former.requests_count = 1;
        let text = render_plain(&home_message(&former));
        assert!(text.contains("*#7* · *acknowledged*"), "{text}");
        assert!(!text.contains("no answer yet"), "{text}");
        assert!(!text.contains("… and"), "{text}");
    }
}
